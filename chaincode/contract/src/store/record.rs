//! `txd`, `txm`, `txa`: the records of a case. The doctor's first `txd`
//! fixes the case's tag, signed by the doctor; no other record comes first.

use fabric_shim::Stub;
use medchain_protocol::v1::{CaseRecord, Role};
use sha2::{Digest, Sha256};

use super::authorize::require_registered;
use super::{emit, put_record};
use crate::CreatorIndex;
use crate::creator::Creator;
use crate::error::ContractError;
use crate::keys::{record_count_key, response_key, tag_key};
use crate::query::{load_case, load_registration};
use crate::validate::{key32, tag};
use medchain_protocol::limits::{
    MAX_PADDED_BYTES, MAX_RECORDS_PER_SUBMITTER, MIN_PADDED_BYTES, is_record_ciphertext_len,
};
use medchain_protocol::signature::verify_tag_signature;

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
    let expected = case.others(creator.ind());
    if record.participants != expected {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "participants must list the case's other {} participants in canonical order (patient, family, doctor, pharmacists, insurers, lawyers/experts)",
                expected.len()
            ),
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
    tag(record_type, &record.tag, case.len())?;
    if record.tag_signature.is_empty() {
        return Err(ContractError::invalid(
            record_type,
            "the record carries no tag signature (a protocol v1 record); use a medchain v2 client, which carries the doctor's signed tag",
        ));
    }
    let fingerprint: [u8; 32] = Sha256::digest(&record.tag).into();
    let tag_state = tag_key(kappa0)?;
    let fixed = stub.get_state(&tag_state).await?;
    match &fixed {
        None if record_type != "txd" => {
            return Err(ContractError::OutOfOrder(format!(
                "the doctor has not fixed the tag of case {} yet; wait for the doctor's first txd record",
                hex::encode(kappa0)
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
            hex::encode(kappa0)
        )));
    };
    let case_id: [u8; 32] = kappa0
        .try_into()
        .map_err(|_| ContractError::invalid(record_type, "the case key must be 32 bytes"))?;
    verify_tag_signature(&doctor_key, &case_id, &record.tag, &record.tag_signature).map_err(
        |fault| {
            ContractError::invalid(
                record_type,
                format!(
                    "the tag signature is not the case's doctor's ({fault}); carry the tag and signature of the doctor's record"
                ),
            )
        },
    )?;
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
    if fixed.is_none() {
        stub.put_state(&tag_state, &fingerprint).await?;
    }
    let mut receivers = case.receivers(record_type);
    receivers.extend(super::grant::grantees(stub, kappa0).await?);
    emit(stub, record_type, &kappa, kappa0, receivers);
    Ok(kappa.to_vec())
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
