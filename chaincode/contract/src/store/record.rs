//! `txd`, `txm`, `txa`: the records of a case. The doctor's first `txd`
//! fixes the case's tag, signed by the doctor; no other record comes first.

use fabric_shim::Stub;
use medchain_protocol::v1::{CaseRecord, Role};
use sha2::{Digest, Sha256};

use super::authorize::require_registered;
use super::epoch::{RecordEpoch, record_epoch};
use super::{emit, put_record};
use crate::CreatorIndex;
use crate::case::Case;
use crate::creator::Creator;
use crate::error::ContractError;
use crate::keys::{record_count_key, response_key, tag_key};
use crate::query::{load_case, load_registration};
use crate::validate::{key32, tag};
use medchain_protocol::limits::{
    MAX_PADDED_BYTES, MAX_RECORDS_PER_SUBMITTER, MIN_PADDED_BYTES, is_record_ciphertext_len,
};
use medchain_protocol::signature::{
    epoch_tag_signature_message, verify_low_s, verify_tag_signature,
};
use p256::ecdsa::VerifyingKey;

pub(super) async fn store_case_record<S: Stub>(
    stub: &S,
    bytes: &[u8],
    record_type: &'static str,
    record: &CaseRecord,
) -> Result<Vec<u8>, ContractError> {
    let kappa0 = key32(record_type, "the case key", &record.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, record_type)?;
    let (allowed, role) = match record_type {
        "txd" => (creator.ind() == case.doctor, Role::Doctor),
        "txm" => (case.pharmacists.contains(&creator.ind()), Role::Pharmacist),
        _ => (case.insurers.contains(&creator.ind()), Role::Insurer),
    };
    if !allowed {
        return Err(ContractError::unauthorized(
            record_type,
            format!(
                "only the case's {} may store a {record_type} record",
                describe_writers(role)
            ),
        ));
    }
    require_registered(stub, record_type, &creator, creator.ind(), role).await?;
    for ind in case.responders() {
        if stub.get_state(&response_key(kappa0, ind)?).await?.is_none() {
            return Err(ContractError::OutOfOrder(format!(
                "the case key is not established yet: participant {ind:016x} has not answered case {}; wait for every response",
                hex::encode(kappa0)
            )));
        }
    }
    let epoch = record_epoch(stub, &case, kappa0).await?;
    let current = epoch.as_ref().map_or(0, |e| e.epoch);
    if let Some(e) = &epoch
        && !e.members.contains(&creator.ind())
    {
        return Err(ContractError::unauthorized(
            record_type,
            format!(
                "participant {:016x} was revoked from case {} (it is not a member of key epoch {}); it stores no more records",
                creator.ind(),
                hex::encode(kappa0),
                e.epoch
            ),
        ));
    }
    if record.epoch != current {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "case {} is in key epoch {current}, but the record says epoch {}; seal every record in the case's current epoch",
                hex::encode(kappa0),
                record.epoch
            ),
        ));
    }
    let expected = match &epoch {
        None => case.others(creator.ind()),
        Some(e) => e
            .members
            .iter()
            .copied()
            .filter(|&m| m != creator.ind())
            .collect(),
    };
    if record.participants != expected {
        return Err(ContractError::invalid(
            record_type,
            match &epoch {
                None => format!(
                    "participants must list the case's other {} participants in canonical order (patient, family, doctor, pharmacists, insurers, lawyers/experts)",
                    expected.len()
                ),
                Some(e) => format!(
                    "participants must list the other {} members of key epoch {} in member order",
                    expected.len(),
                    e.epoch
                ),
            },
        ));
    }
    let n = record.ciphertext.len();
    if !is_record_ciphertext_len(n) {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "the ciphertext must be a padded record (a 256·2^i-byte bucket from {MIN_PADDED_BYTES} B to {MAX_PADDED_BYTES} B, plus a 12-byte nonce and a 16-byte GCM tag), got {n} bytes; pad the plaintext as protocol v2 specifies"
            ),
        ));
    }
    tag(
        record_type,
        &record.tag,
        epoch.as_ref().map_or(case.len(), |e| e.members.len()),
    )?;
    if record.tag_signature.is_empty() {
        return Err(ContractError::invalid(
            record_type,
            "the record carries no tag signature (a protocol v1 record); use a medchain v2 client, which carries the doctor's signed tag",
        ));
    }
    let fingerprint: [u8; 32] = Sha256::digest(&record.tag).into();
    let case_id: [u8; 32] = kappa0
        .try_into()
        .map_err(|_| ContractError::invalid(record_type, "the case key must be 32 bytes"))?;
    let tag_state = tag_key(kappa0)?;
    let fixed = match &epoch {
        Some(e) => {
            check_epoch_tag(record_type, e, &case_id, record, &fingerprint)?;
            None
        }
        None => {
            let fixed = stub.get_state(&tag_state).await?;
            check_doctor_tag(
                stub,
                record_type,
                &case,
                &case_id,
                record,
                &fingerprint,
                &fixed,
            )
            .await?;
            Some(fixed)
        }
    };
    let count_state = record_count_key(kappa0, creator.ind())?;
    let stored = stored_count(stub, &count_state, kappa0).await?;
    if stored >= MAX_RECORDS_PER_SUBMITTER {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "participant {:016x} has stored {stored} records in case {}, the most one submitter may store in a case ({MAX_RECORDS_PER_SUBMITTER}); open a new case to record more",
                creator.ind(),
                hex::encode(kappa0)
            ),
        ));
    }
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    stub.put_state(&count_state, &(stored + 1).to_be_bytes())
        .await?;
    if let Some(None) = fixed {
        stub.put_state(&tag_state, &fingerprint).await?;
    }
    let mut receivers = case.receivers(record_type);
    receivers.extend(super::grant::grantees(stub, kappa0).await?);
    if let Some(e) = &epoch {
        receivers.retain(|r| e.members.contains(r));
    }
    emit(stub, record_type, &kappa, kappa0, receivers);
    Ok(kappa.to_vec())
}

/// Checks a record of epoch 0 carries the doctor's tag: the one fixed by
/// the doctor's first `txd` (which a `txd` may fix now), signed by the key
/// of the doctor's registered certificate.
async fn check_doctor_tag<S: Stub>(
    stub: &S,
    record_type: &'static str,
    case: &Case,
    case_id: &[u8; 32],
    record: &CaseRecord,
    fingerprint: &[u8; 32],
    fixed: &Option<Vec<u8>>,
) -> Result<(), ContractError> {
    match fixed {
        None if record_type != "txd" => {
            return Err(ContractError::OutOfOrder(format!(
                "the doctor has not fixed the tag of case {} yet; wait for the doctor's first txd record",
                hex::encode(case_id)
            )));
        }
        Some(fixed) if fixed.as_slice() != fingerprint => {
            return Err(ContractError::invalid(
                record_type,
                "the tag differs from the one the doctor fixed for this case; every record of a case carries the doctor's tag and signature",
            ));
        }
        _ => {}
    }
    let Some((_, doctor_key)) = load_registration(stub, case.doctor).await? else {
        return Err(ContractError::Corrupt(format!(
            "the doctor {:016x} of case {} is not registered",
            case.doctor,
            hex::encode(case_id)
        )));
    };
    verify_tag_signature(&doctor_key, case_id, &record.tag, &record.tag_signature).map_err(
        |fault| {
            ContractError::invalid(
                record_type,
                format!(
                    "the tag signature is not the case's doctor's ({fault}); carry the tag and signature of the doctor's record"
                ),
            )
        },
    )
}

/// Checks a record of epoch e ≥ 1 carries the epoch's tag, signed by the
/// epoch's opener.
fn check_epoch_tag(
    record_type: &'static str,
    epoch: &RecordEpoch,
    case_id: &[u8; 32],
    record: &CaseRecord,
    fingerprint: &[u8; 32],
) -> Result<(), ContractError> {
    if epoch.fingerprint.as_slice() != fingerprint {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "the tag differs from the tag of key epoch {}; every record of the epoch carries its tag and its opener's signature",
                epoch.epoch
            ),
        ));
    }
    let message = epoch_tag_signature_message(case_id, epoch.epoch, &record.tag);
    verify_low_s(
        &VerifyingKey::from(&epoch.opener_key),
        &message,
        &record.tag_signature,
    )
    .map_err(|fault| {
        ContractError::invalid(
            record_type,
            format!(
                "the tag signature is not the epoch opener's ({fault}); carry the tag and signature of the epoch's txet"
            ),
        )
    })
}

/// The value of a record counter: 8 bytes, big-endian; absent is 0.
pub(super) async fn stored_count<S: Stub>(
    stub: &S,
    key: &str,
    kappa0: &[u8],
) -> Result<u64, ContractError> {
    match stub.get_state(key).await? {
        None => Ok(0),
        Some(value) => <[u8; 8]>::try_from(value.as_slice())
            .map(u64::from_be_bytes)
            .map_err(|_| {
                ContractError::Corrupt(format!(
                    "a record counter of case {} holds {} bytes, not 8",
                    hex::encode(kappa0),
                    value.len()
                ))
            }),
    }
}

pub(super) fn describe_writers(role: Role) -> &'static str {
    match role {
        Role::Doctor => "doctor",
        Role::Pharmacist => "listed pharmacists",
        _ => "listed insurers",
    }
}
