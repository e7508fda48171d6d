//! Who may store what: registered roles and case participants, checked by full public key.

use fabric_shim::Stub;
use medchain_protocol::v1::Role;

use super::role_name;
use crate::CreatorIndex;
use crate::case::{Case, ParticipantRef};
use crate::creator::Creator;
use crate::error::ContractError;
use crate::query::load_registration;

/// Checks that the creator is registered as `role` under `ind` with the
/// same public key it signed with.
pub(super) async fn require_registered<S: Stub>(
    stub: &S,
    record: &'static str,
    creator: &Creator,
    ind: u64,
    role: Role,
) -> Result<(), ContractError> {
    match load_registration(stub, ind).await? {
        Some((registered, key)) if registered == role && &key == creator.public_key() => Ok(()),
        Some((registered, _)) if registered != role => Err(ContractError::unauthorized(
            record,
            format!(
                "the submitter is registered as {}, not as {}",
                role_name(registered),
                role_name(role)
            ),
        )),
        Some(_) => Err(ContractError::unauthorized(
            record,
            "the submitter's key differs from its registered certificate",
        )),
        None => Err(ContractError::unauthorized(
            record,
            format!(
                "the submitter is not registered as a {}; register first",
                role_name(role)
            ),
        )),
    }
}

/// Checks that the creator is a participant of the case who answers it
/// (everyone but the doctor), comparing full public keys.
pub(super) async fn authorize_participant<S: Stub>(
    stub: &S,
    record: &'static str,
    case: &Case,
    creator: &Creator,
    kappa0: &[u8],
) -> Result<(), ContractError> {
    let not_participant = || {
        ContractError::unauthorized(
            record,
            format!(
                "the submitter is not a participant of case {}",
                hex::encode(kappa0)
            ),
        )
    };
    match case.role_of(creator.ind()) {
        None => Err(not_participant()),
        Some(ParticipantRef::Doctor) => Err(ContractError::unauthorized(
            record,
            "the doctor does not answer its own case; it derives its secret locally",
        )),
        Some(who @ (ParticipantRef::Patient | ParticipantRef::Family(_)))
            if case.named_by_key(who, creator.public_key()) =>
        {
            Ok(())
        }
        Some(ParticipantRef::Patient | ParticipantRef::Family(_)) => Err(not_participant()),
        Some(ParticipantRef::Pharmacist) => {
            require_registered(stub, record, creator, creator.ind(), Role::Pharmacist).await
        }
        Some(ParticipantRef::Insurer) => {
            require_registered(stub, record, creator, creator.ind(), Role::Insurer).await
        }
        Some(ParticipantRef::LawyerExpert) => {
            require_registered(stub, record, creator, creator.ind(), Role::LawyerExpert).await
        }
    }
}
