//! `txd`, `txm`, `txa`: the records of a case.

use fabric_shim::Stub;
use medchain_protocol::v1::{CaseRecord, Role};
use sha2::{Digest, Sha256};

use super::authorize::require_registered;
use super::{emit, put_record};
use crate::CreatorIndex;
use crate::creator::Creator;
use crate::error::ContractError;
use crate::keys::{response_key, tag_key};
use crate::query::load_case;
use crate::validate::{key32, tag};
use medchain_protocol::limits::{MAX_CIPHERTEXT_BYTES, MIN_CIPHERTEXT_BYTES};

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
    if !(MIN_CIPHERTEXT_BYTES..=MAX_CIPHERTEXT_BYTES).contains(&n) {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "the ciphertext must be between {MIN_CIPHERTEXT_BYTES} and {MAX_CIPHERTEXT_BYTES} bytes, got {n}"
            ),
        ));
    }
    tag(record_type, &record.tag, case.len())?;
    let fingerprint: [u8; 32] = Sha256::digest(&record.tag).into();
    let mut fix_tag = false;
    let tag_state = tag_key(kappa0)?;
    match stub.get_state(&tag_state).await? {
        Some(fixed) if fixed.as_slice() != fingerprint => {
            return Err(ContractError::invalid(
                record_type,
                "the tag differs from the tag fixed by the case's first record; every record of a case carries the same tag",
            ));
        }
        Some(_) => {}
        None => fix_tag = true,
    }
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    if fix_tag {
        stub.put_state(&tag_state, &fingerprint).await?;
    }
    emit(
        stub,
        record_type,
        &kappa,
        kappa0,
        case.receivers(record_type),
    );
    Ok(kappa.to_vec())
}

pub(super) fn describe_writers(role: Role) -> &'static str {
    match role {
        Role::Doctor => "doctor",
        Role::Pharmacist => "listed pharmacists",
        _ => "listed insurers",
    }
}
