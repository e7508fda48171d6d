//! The world-state layout.
//!
//! | key | value |
//! |---|---|
//! | `hex(κ)` (64 lowercase hex digits) | the stored input-parameter bytes |
//! | composite `medchain.reg` / `hex16(ind)` | the `reg` input-parameter bytes |
//! | composite `medchain.case` / `hex(κ0)` / `time` / `tx id` | κ of a record of the case |
//! | composite `medchain.txtr` / `hex(κ0)` / `hex16(ind)` | κ of that participant's response |
//! | composite `medchain.tag` / `hex(κ0)` | SHA-256 of the case's tag (fixed by its first record) |
//! | composite `medchain.count` / `hex(κ0)` / `hex16(ind)` | how many `txd`/`txm`/`txa` records `ind` stored in the case (8 bytes, big-endian) |
//! | composite `medchain.selection` / `hex(SHA-256(vk_p ‖ nonce))` | κ0 of the case the patient's selection opened |
//! | composite `medchain.epoch` / `hex(κ0)` | the case's latest key epoch e (4 bytes, big-endian; absent: 0) |
//! | composite `medchain.txeo` / `hex(κ0)` / `hex8(e)` | κ of the opening of epoch e |
//! | composite `medchain.members` / `hex(κ0)` / `hex8(e)` | the members of epoch e (8 bytes each, big-endian, in member order) |
//! | composite `medchain.txer` / `hex(κ0)` / `hex8(e)` / `hex16(ind)` | κ of that member's answer to epoch e |
//! | composite `medchain.txet` / `hex(κ0)` / `hex8(e)` | SHA-256 of the tag of epoch e |
//!
//! `time` is the proposal timestamp as `seconds.nanoseconds`, zero-padded so
//! that key order is time order; the tx id breaks ties. `GetCase` pages
//! through the case index in this (index) order. The record counter is per
//! submitter, so concurrent records of different participants never
//! conflict (Fabric's MVCC check covers the keys a transaction reads).

use fabric_shim::{StubError, create_composite_key, split_composite_key};
use prost_types::Timestamp;

use crate::error::ContractError;

/// Object type of registration keys.
pub const REGISTRATION: &str = "medchain.reg";
/// Object type of the per-case record index.
pub const CASE_INDEX: &str = "medchain.case";
/// Object type of the per-case response index.
pub const RESPONSE_INDEX: &str = "medchain.txtr";
/// Object type of the per-case tag fingerprint.
pub const TAG: &str = "medchain.tag";
/// Object type of the per-case, per-submitter record counters.
pub const RECORD_COUNT: &str = "medchain.count";
/// Object type of used patient selections.
pub const SELECTION: &str = "medchain.selection";
/// Object type of a case's grants (`txgo`), by grantee.
pub const GRANT: &str = "medchain.txgo";
/// Object type of a case's grant responses (`txgr`), by grantee.
pub const GRANT_RESPONSE: &str = "medchain.txgr";
/// Object type of a case's grant tags (`txgt`), by grantee.
pub const GRANT_TAG: &str = "medchain.txgt";
/// Object type of a case's grant counter.
pub const GRANT_COUNT: &str = "medchain.grants";
/// Object type of a case's list of grantees with a grant tag.
pub const GRANTEES: &str = "medchain.grantees";

/// Object type of a case's latest key epoch.
pub const EPOCH: &str = "medchain.epoch";
/// Object type of a case's epoch openings (`txeo`), by epoch.
pub const EPOCH_OPENING: &str = "medchain.txeo";
/// Object type of the member lists of a case's epochs, by epoch.
pub const EPOCH_MEMBERS: &str = "medchain.members";
/// Object type of a case's epoch responses (`txer`), by epoch and member.
pub const EPOCH_RESPONSE: &str = "medchain.txer";
/// Object type of the fingerprints of a case's epoch tags (`txet`).
pub const EPOCH_TAG: &str = "medchain.txet";

/// The state key of a record stored under κ.
pub fn record_state_key(kappa: &[u8]) -> String {
    hex::encode(kappa)
}

/// The state key of a participant's registration.
pub fn registration_key(ind: u64) -> Result<String, StubError> {
    create_composite_key(REGISTRATION, &[&ind_hex(ind)])
}

/// The attributes that select every index entry of a case (for a partial
/// composite key query on [`CASE_INDEX`]).
pub fn case_index_range_attributes(kappa0: &[u8]) -> [String; 1] {
    [hex::encode(kappa0)]
}

/// The index entry of one record of a case.
pub fn case_index_key(
    kappa0: &[u8],
    timestamp: &Timestamp,
    tx_id: &str,
) -> Result<String, ContractError> {
    let time = sortable_time(timestamp)?;
    Ok(create_composite_key(
        CASE_INDEX,
        &[&hex::encode(kappa0), &time, tx_id],
    )?)
}

/// Whether `key` is a key of case κ0's index: the composite key
/// `medchain.case` · `hex(κ0)` · two non-empty attributes (a `GetCase`
/// bookmark must be one).
pub fn is_case_index_key(kappa0: &[u8], key: &str) -> bool {
    let Ok((object_type, attributes)) = split_composite_key(key) else {
        return false;
    };
    let [case, time, tx_id] = attributes.as_slice() else {
        return false;
    };
    object_type == CASE_INDEX
        && *case == hex::encode(kappa0)
        && !time.is_empty()
        && !tx_id.is_empty()
        && create_composite_key(CASE_INDEX, &[case, time, tx_id]).is_ok_and(|k| k == key)
}

/// The counter of the `txd`/`txm`/`txa` records participant `ind` stored
/// in case κ0.
pub fn record_count_key(kappa0: &[u8], ind: u64) -> Result<String, StubError> {
    create_composite_key(RECORD_COUNT, &[&hex::encode(kappa0), &ind_hex(ind)])
}

/// The key recording that a patient's selection (identified by its key and
/// nonce) opened a case.
pub fn selection_key(patient_key: &[u8], nonce: &[u8]) -> Result<String, StubError> {
    use sha2::{Digest, Sha256};
    let id = Sha256::new()
        .chain_update(patient_key)
        .chain_update(nonce)
        .finalize();
    create_composite_key(SELECTION, &[&hex::encode(id)])
}

/// The index entry of a participant's response to a case.
pub fn response_key(kappa0: &[u8], ind: u64) -> Result<String, StubError> {
    create_composite_key(RESPONSE_INDEX, &[&hex::encode(kappa0), &ind_hex(ind)])
}

/// The key holding κ of the grant (`txgo`) of case κ0 to `grantee`.
pub fn grant_key(kappa0: &[u8], grantee: u64) -> Result<String, StubError> {
    create_composite_key(GRANT, &[&hex::encode(kappa0), &ind_hex(grantee)])
}

/// The key holding how many grants case κ0 has (8 bytes, big-endian).
pub fn grant_count_key(kappa0: &[u8]) -> Result<String, StubError> {
    create_composite_key(GRANT_COUNT, &[&hex::encode(kappa0)])
}

/// The key holding κ of the grantee's answer (`txgr`) to its grant.
pub fn grant_response_key(kappa0: &[u8], grantee: u64) -> Result<String, StubError> {
    create_composite_key(GRANT_RESPONSE, &[&hex::encode(kappa0), &ind_hex(grantee)])
}

/// The key holding κ of the grant tag (`txgt`) of case κ0 for `grantee`.
pub fn grant_tag_key(kappa0: &[u8], grantee: u64) -> Result<String, StubError> {
    create_composite_key(GRANT_TAG, &[&hex::encode(kappa0), &ind_hex(grantee)])
}

/// The key holding the indices (8 bytes each, big-endian, in grant order)
/// of every grantee of case κ0 whose grant tag is stored: they are
/// notified of every later record.
pub fn grantees_key(kappa0: &[u8]) -> Result<String, StubError> {
    create_composite_key(GRANTEES, &[&hex::encode(kappa0)])
}

/// The key holding the fingerprint of a case's tag.
pub fn tag_key(kappa0: &[u8]) -> Result<String, StubError> {
    create_composite_key(TAG, &[&hex::encode(kappa0)])
}

/// The key holding case κ0's latest key epoch.
pub fn epoch_key(kappa0: &[u8]) -> Result<String, StubError> {
    create_composite_key(EPOCH, &[&hex::encode(kappa0)])
}

/// The key holding κ of the opening of epoch `epoch` of case κ0.
pub fn epoch_opening_key(kappa0: &[u8], epoch: u32) -> Result<String, StubError> {
    create_composite_key(EPOCH_OPENING, &[&hex::encode(kappa0), &epoch_hex(epoch)])
}

/// The key holding the members of epoch `epoch` of case κ0.
pub fn epoch_members_key(kappa0: &[u8], epoch: u32) -> Result<String, StubError> {
    create_composite_key(EPOCH_MEMBERS, &[&hex::encode(kappa0), &epoch_hex(epoch)])
}

/// The key holding κ of member `ind`'s answer to epoch `epoch`.
pub fn epoch_response_key(kappa0: &[u8], epoch: u32, ind: u64) -> Result<String, StubError> {
    create_composite_key(
        EPOCH_RESPONSE,
        &[&hex::encode(kappa0), &epoch_hex(epoch), &ind_hex(ind)],
    )
}

/// The key holding the fingerprint of the tag of epoch `epoch`.
pub fn epoch_tag_key(kappa0: &[u8], epoch: u32) -> Result<String, StubError> {
    create_composite_key(EPOCH_TAG, &[&hex::encode(kappa0), &epoch_hex(epoch)])
}

fn epoch_hex(epoch: u32) -> String {
    format!("{epoch:08x}")
}

fn ind_hex(ind: u64) -> String {
    format!("{ind:016x}")
}

fn sortable_time(timestamp: &Timestamp) -> Result<String, ContractError> {
    if timestamp.seconds < 0 || !(0..1_000_000_000).contains(&timestamp.nanos) {
        return Err(ContractError::BadCall(
            "the proposal timestamp is out of range; sign the proposal with a correct clock".into(),
        ));
    }
    Ok(format!("{:019}.{:09}", timestamp.seconds, timestamp.nanos))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sortable_time_orders_like_time() {
        let a = sortable_time(&Timestamp {
            seconds: 9,
            nanos: 999_999_999,
        })
        .unwrap();
        let b = sortable_time(&Timestamp {
            seconds: 10,
            nanos: 0,
        })
        .unwrap();
        assert!(a < b);
    }

    #[test]
    fn negative_time_is_rejected() {
        assert!(
            sortable_time(&Timestamp {
                seconds: -1,
                nanos: 0
            })
            .is_err()
        );
        assert!(
            sortable_time(&Timestamp {
                seconds: 1,
                nanos: -1
            })
            .is_err()
        );
    }

    #[test]
    fn only_keys_of_the_case_index_are_bookmarks() {
        let case = [7u8; 32];
        let time = sortable_time(&Timestamp {
            seconds: 1,
            nanos: 0,
        })
        .unwrap();
        let key = case_index_key(
            &case,
            &Timestamp {
                seconds: 1,
                nanos: 0,
            },
            "tx1",
        )
        .unwrap();
        assert!(is_case_index_key(&case, &key));
        assert!(!is_case_index_key(&[8u8; 32], &key));
        for other in [
            String::new(),
            "x".into(),
            "\0".into(),
            create_composite_key(CASE_INDEX, &[&hex::encode(case), &time]).unwrap(),
            create_composite_key(CASE_INDEX, &[&hex::encode(case), &time, ""]).unwrap(),
            create_composite_key(CASE_INDEX, &[&hex::encode(case), &time, "tx1", "more"]).unwrap(),
            create_composite_key(TAG, &[&hex::encode(case), &time, "tx1"]).unwrap(),
            format!("{key}\u{10FFFF}\0"),
        ] {
            assert!(!is_case_index_key(&case, &other), "{other:?}");
        }
    }

    #[test]
    fn registration_keys_are_fixed_width() {
        let key = registration_key(1).unwrap();
        assert!(key.contains("0000000000000001"));
    }
}
