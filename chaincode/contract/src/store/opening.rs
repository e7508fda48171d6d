//! `txtc`: the doctor opens a case.

use fabric_shim::Stub;
use medchain_protocol::v1::{CaseOpening, Role};

use super::authorize::require_registered;
use super::{emit, put_record, role_name};
use crate::CreatorIndex;
use crate::case::Case;
use crate::consent::verify_consent;
use crate::creator::Creator;
use crate::error::ContractError;
use crate::keys::selection_key;
use crate::policy;
use crate::query::load_registration;
use crate::validate::kdf_params;
use medchain_protocol::ephemeral_key;
use medchain_protocol::limits::MAX_PARTICIPANTS;

/// The record type of a case opening.
const RECORD: &str = "txtc";

pub(super) async fn store_opening<S: Stub>(
    stub: &S,
    bytes: &[u8],
    opening: &CaseOpening,
) -> Result<Vec<u8>, ContractError> {
    let creator = Creator::of(stub, RECORD)?;
    require_registered(stub, RECORD, &creator, creator.ind(), Role::Doctor).await?;
    if opening.doctor != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the case names doctor {:016x} but the submitter is {:016x}; a doctor opens cases only for itself",
                opening.doctor,
                creator.ind()
            ),
        ));
    }
    let k = 2
        + opening.family_keys.len()
        + opening.pharmacists.len()
        + opening.insurers.len()
        + opening.lawyer_experts.len();
    if k > MAX_PARTICIPANTS {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "a case has at most {MAX_PARTICIPANTS} participants (doctor included), got {k}"
            ),
        ));
    }
    ephemeral_key(&opening.doctor_ephemeral_key)
        .map_err(|e| ContractError::invalid(RECORD, format!("doctor ephemeral key: {e}")))?;
    kdf_params(opening.kdf.as_ref())?;
    require_kdf_floor(stub, opening).await?;
    let case = Case::from_opening(opening).map_err(|e| ContractError::invalid(RECORD, e))?;
    let mut sorted = case.participants();
    sorted.sort_unstable();
    if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "participant {:016x} is listed twice; list each participant once",
                pair[0]
            ),
        ));
    }
    for (list, role) in [
        (&case.pharmacists, Role::Pharmacist),
        (&case.insurers, Role::Insurer),
        (&case.lawyer_experts, Role::LawyerExpert),
    ] {
        for &ind in list {
            match load_registration(stub, ind).await? {
                Some((registered, _)) if registered == role => {}
                Some((registered, _)) => {
                    return Err(ContractError::invalid(
                        RECORD,
                        format!(
                            "participant {ind:016x} is listed as {} but is registered as {}",
                            role_name(role),
                            role_name(registered)
                        ),
                    ));
                }
                None => {
                    return Err(ContractError::invalid(
                        RECORD,
                        format!(
                            "{} {ind:016x} is not registered; ask them to register first",
                            role_name(role)
                        ),
                    ));
                }
            }
        }
    }
    verify_consent(opening).map_err(|e| ContractError::unauthorized(RECORD, e.to_string()))?;
    let nonce = opening
        .consent
        .as_ref()
        .map(|c| c.nonce.as_slice())
        .unwrap_or_default();
    let used = selection_key(&opening.patient_key, nonce)?;
    if stub.get_state(&used).await?.is_some() {
        return Err(ContractError::AlreadyStored(
            "this patient selection already opened a case; ask the patient for a new selection"
                .into(),
        ));
    }
    let kappa0 = put_record(stub, bytes, None).await?;
    stub.put_state(&used, &kappa0).await?;
    tracing::info!(tx_id = stub.tx_id(), case = %hex::encode(&kappa0[..8]), participants = k, "case opened");
    emit(stub, RECORD, &kappa0, &kappa0, case.receivers(RECORD));
    Ok(kappa0.to_vec())
}

/// Refuses a case whose Argon2id parameters are below the consortium's
/// floor: every participant's watcher spends them, and a weak case would be
/// an offline guessing oracle for their passwords.
async fn require_kdf_floor<S: Stub>(stub: &S, opening: &CaseOpening) -> Result<(), ContractError> {
    let floor = policy::kdf_floor(&policy::load(stub, RECORD).await?);
    let kdf = opening.kdf.unwrap_or_default();
    if kdf.m_kib < floor.m_kib {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "kdf.m_kib = {} KiB is below the consortium's floor of {} KiB; open the case with at least that much memory",
                kdf.m_kib, floor.m_kib
            ),
        ));
    }
    if kdf.t < floor.t {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "kdf.t = {} is below the consortium's floor of {} passes; open the case with at least that many",
                kdf.t, floor.t
            ),
        ));
    }
    Ok(())
}
