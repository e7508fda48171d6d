//! `txgo`, `txgr`, `txgt`: granting an established case to a new
//! participant. The patient or a family member of the case opens the grant
//! (signed), the grantee answers with its sealed secret, the granter
//! publishes the grant tag (signed); from then on the grantee is notified of
//! every record of the case.

use fabric_shim::Stub;
use medchain_protocol::limits::MAX_GRANTS_PER_CASE;
use medchain_protocol::signature::{
    grant_signature_message, grant_tag_signature_message, verify_low_s,
};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{GrantOpening, GrantResponse, GrantTag, Role};
use medchain_protocol::{ephemeral_key, identity_key, participant_index};
use p256::ecdsa::VerifyingKey;

use super::authorize::require_registered;
use super::record::stored_count;
use super::{emit, put_once, put_record, role_name};
use crate::CreatorIndex;
use crate::case::{Case, ParticipantRef};
use crate::creator::Creator;
use crate::error::ContractError;
use crate::keys::{
    grant_count_key, grant_key, grant_response_key, grant_tag_key, grantees_key, tag_key,
};
use crate::query::{decode_stored, load_case, load_registration};
use crate::validate::{key32, sealed_answer, tag};

/// The roles a registered grantee may have.
const GRANTEE_ROLES: [Role; 4] = [
    Role::Doctor,
    Role::Pharmacist,
    Role::Insurer,
    Role::LawyerExpert,
];

/// Checks that the creator is the case's patient or one of its family
/// members, named by exactly its key, to take `action` ("grant it").
pub(super) fn require_speaks_for_patient(
    record: &'static str,
    action: &str,
    case: &Case,
    creator: &Creator,
    kappa0: &[u8],
) -> Result<(), ContractError> {
    match case.role_of(creator.ind()) {
        Some(who @ (ParticipantRef::Patient | ParticipantRef::Family(_)))
            if case.named_by_key(who, creator.public_key()) =>
        {
            Ok(())
        }
        _ => Err(ContractError::unauthorized(
            record,
            format!(
                "only the patient or a family member named in case {} may {action}",
                hex::encode(kappa0)
            ),
        )),
    }
}

/// Refuses every grant step once the case has left key epoch 0: a grant
/// tag yields the case's first key only (protocol §7b).
async fn require_epoch_zero<S: Stub>(stub: &S, kappa0: &[u8]) -> Result<(), ContractError> {
    let epoch = super::epoch::latest_epoch(stub, kappa0).await?;
    if epoch == 0 {
        return Ok(());
    }
    Err(ContractError::OutOfOrder(format!(
        "case {} has entered key epoch {epoch} after a revocation, and a grant yields only the case's first key; grants are made before a revocation",
        hex::encode(kappa0)
    )))
}

fn case_id(record: &'static str, kappa0: &[u8]) -> Result<[u8; 32], ContractError> {
    kappa0
        .try_into()
        .map_err(|_| ContractError::invalid(record, "the case key must be 32 bytes"))
}

pub(super) async fn store_grant<S: Stub>(
    stub: &S,
    bytes: &[u8],
    grant: &GrantOpening,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txgo";
    let kappa0 = key32(RECORD, "the case key", &grant.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    if grant.granter != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the grant names granter {:016x} but the submitter is {:016x}; grant only as yourself",
                grant.granter,
                creator.ind()
            ),
        ));
    }
    require_speaks_for_patient(RECORD, "grant it", &case, &creator, kappa0)?;
    require_epoch_zero(stub, kappa0).await?;
    if stub.get_state(&tag_key(kappa0)?).await?.is_none() {
        return Err(ContractError::OutOfOrder(format!(
            "case {} has no diagnosis yet, so its key is not established; grant it after the doctor's first record",
            hex::encode(kappa0)
        )));
    }
    let role = Role::try_from(grant.grantee_role)
        .map_err(|_| ContractError::invalid(RECORD, "grantee_role is not a known role"))?;
    if grant.grantee_key.is_empty() {
        if !GRANTEE_ROLES.contains(&role) {
            return Err(ContractError::invalid(
                RECORD,
                "a registered grantee needs grantee_role doctor, pharmacist, insurer or lawyer-expert; name a family member by grantee_key instead",
            ));
        }
        match load_registration(stub, grant.grantee).await? {
            Some((registered, _)) if registered == role => {}
            _ => {
                return Err(ContractError::invalid(
                    RECORD,
                    format!(
                        "participant {:016x} is not registered with the role {}; only registered participants or family members named by key can be granted a case",
                        grant.grantee,
                        role_name(role)
                    ),
                ));
            }
        }
    } else {
        let key = identity_key(&grant.grantee_key)
            .map_err(|e| ContractError::invalid(RECORD, format!("grantee key: {e}")))?;
        if role != Role::Unspecified {
            return Err(ContractError::invalid(
                RECORD,
                "a family member named by grantee_key has no registered role; leave grantee_role unspecified",
            ));
        }
        if participant_index(&key) != grant.grantee {
            return Err(ContractError::invalid(
                RECORD,
                "grantee must be the index of grantee_key (its last 8 bytes)",
            ));
        }
    }
    if case.role_of(grant.grantee).is_some() {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "participant {:016x} is already a participant of case {}; it reads the case with its password",
                grant.grantee,
                hex::encode(kappa0)
            ),
        ));
    }
    ephemeral_key(&grant.granter_ephemeral_key)
        .map_err(|e| ContractError::invalid(RECORD, format!("ephemeral key: {e}")))?;
    let message = grant_signature_message(
        &case_id(RECORD, kappa0)?,
        grant.granter,
        grant.grantee,
        grant.grantee_role,
        &grant.grantee_key,
        &grant.granter_ephemeral_key,
    );
    verify_low_s(
        &VerifyingKey::from(creator.public_key()),
        &message,
        &grant.signature,
    )
    .map_err(|fault| {
        ContractError::invalid(
            RECORD,
            format!("the grant's signature is not the granter's ({fault}); sign the grant with your identity key"),
        )
    })?;
    let index = grant_key(kappa0, grant.grantee)?;
    if stub.get_state(&index).await?.is_some() {
        return Err(ContractError::AlreadyStored(format!(
            "case {} is already granted to participant {:016x}; a case is granted once per grantee",
            hex::encode(kappa0),
            grant.grantee
        )));
    }
    let count_key = grant_count_key(kappa0)?;
    let granted = stored_count(stub, &count_key, kappa0).await?;
    if granted >= MAX_GRANTS_PER_CASE {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "case {} is already granted to {granted} participants, the most one case can be granted to ({MAX_GRANTS_PER_CASE})",
                hex::encode(kappa0)
            ),
        ));
    }
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    stub.put_state(&index, &kappa).await?;
    stub.put_state(&count_key, &(granted + 1).to_be_bytes())
        .await?;
    emit(stub, RECORD, &kappa, kappa0, vec![grant.grantee]);
    Ok(kappa.to_vec())
}

/// The grant of case κ0 to `grantee`, if one is stored.
pub(super) async fn load_grant<S: Stub>(
    stub: &S,
    kappa0: &[u8],
    grantee: u64,
) -> Result<Option<GrantOpening>, ContractError> {
    let Some(kappa) = stub.get_state(&grant_key(kappa0, grantee)?).await? else {
        return Ok(None);
    };
    let corrupt = || {
        ContractError::Corrupt(format!(
            "the grant of case {} to {grantee:016x} is missing or not a grant",
            hex::encode(kappa0)
        ))
    };
    let bytes = stub
        .get_state(&crate::keys::record_state_key(&kappa))
        .await?
        .ok_or_else(corrupt)?;
    match decode_stored(&bytes)? {
        (Record::Txgo(grant), _) => Ok(Some(grant)),
        _ => Err(corrupt()),
    }
}

pub(super) async fn store_grant_response<S: Stub>(
    stub: &S,
    bytes: &[u8],
    response: &GrantResponse,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txgr";
    let kappa0 = key32(RECORD, "the case key", &response.case_key)?;
    load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    if response.grantee != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the answer names grantee {:016x} but the submitter is {:016x}; answer only for yourself",
                response.grantee,
                creator.ind()
            ),
        ));
    }
    let not_granted = || {
        ContractError::unauthorized(
            RECORD,
            format!(
                "case {} is not granted to the submitter",
                hex::encode(kappa0)
            ),
        )
    };
    let grant = load_grant(stub, kappa0, creator.ind())
        .await?
        .ok_or_else(not_granted)?;
    if grant.grantee_key.is_empty() {
        let role = Role::try_from(grant.grantee_role).unwrap_or(Role::Unspecified);
        require_registered(stub, RECORD, &creator, creator.ind(), role).await?;
    } else {
        let key = identity_key(&grant.grantee_key)
            .map_err(|e| ContractError::Corrupt(format!("a stored grant's grantee key: {e}")))?;
        if &key != creator.public_key() {
            return Err(not_granted());
        }
    }
    require_epoch_zero(stub, kappa0).await?;
    sealed_answer(RECORD, &response.ephemeral_key, &response.sealed_secret)?;
    let index = grant_response_key(kappa0, creator.ind())?;
    let kappa = put_once(stub, bytes, kappa0, &index, || {
        format!(
            "participant {:016x} has already answered its grant of case {}",
            creator.ind(),
            hex::encode(kappa0)
        )
    })
    .await?;
    emit(stub, RECORD, &kappa, kappa0, vec![grant.granter]);
    Ok(kappa.to_vec())
}

pub(super) async fn store_grant_tag<S: Stub>(
    stub: &S,
    bytes: &[u8],
    grant_tag: &GrantTag,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txgt";
    let kappa0 = key32(RECORD, "the case key", &grant_tag.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    let grant = load_grant(stub, kappa0, grant_tag.grantee)
        .await?
        .ok_or_else(|| {
            ContractError::NotFound(format!(
                "case {} is not granted to participant {:016x}",
                hex::encode(kappa0),
                grant_tag.grantee
            ))
        })?;
    if grant.granter != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            "only the granter of this grant may publish its tag",
        ));
    }
    require_speaks_for_patient(RECORD, "grant it", &case, &creator, kappa0)?;
    require_epoch_zero(stub, kappa0).await?;
    if stub
        .get_state(&grant_response_key(kappa0, grant_tag.grantee)?)
        .await?
        .is_none()
    {
        return Err(ContractError::OutOfOrder(format!(
            "participant {:016x} has not answered its grant of case {} yet; wait for its answer",
            grant_tag.grantee,
            hex::encode(kappa0)
        )));
    }
    tag(RECORD, &grant_tag.tag, 2)?;
    let message =
        grant_tag_signature_message(&case_id(RECORD, kappa0)?, grant_tag.grantee, &grant_tag.tag);
    verify_low_s(
        &VerifyingKey::from(creator.public_key()),
        &message,
        &grant_tag.tag_signature,
    )
    .map_err(|fault| {
        ContractError::invalid(
            RECORD,
            format!("the grant tag's signature is not the granter's ({fault}); sign it with your identity key"),
        )
    })?;
    let index = grant_tag_key(kappa0, grant_tag.grantee)?;
    let kappa = put_once(stub, bytes, kappa0, &index, || {
        format!(
            "the grant of case {} to participant {:016x} already has its tag",
            hex::encode(kappa0),
            grant_tag.grantee
        )
    })
    .await?;
    let list = grantees_key(kappa0)?;
    let mut grantees = stub.get_state(&list).await?.unwrap_or_default();
    grantees.extend_from_slice(&grant_tag.grantee.to_be_bytes());
    stub.put_state(&list, &grantees).await?;
    emit(stub, RECORD, &kappa, kappa0, vec![grant_tag.grantee]);
    Ok(kappa.to_vec())
}

/// The grantees of case κ0 with a grant tag, in grant order: they are
/// notified of every later record.
pub(super) async fn grantees<S: Stub>(stub: &S, kappa0: &[u8]) -> Result<Vec<u64>, ContractError> {
    let Some(list) = stub.get_state(&grantees_key(kappa0)?).await? else {
        return Ok(Vec::new());
    };
    if list.len() % 8 != 0 {
        return Err(ContractError::Corrupt(format!(
            "the grantee list of case {} holds {} bytes, not a multiple of 8",
            hex::encode(kappa0),
            list.len()
        )));
    }
    Ok(list
        .chunks_exact(8)
        .filter_map(|c| <[u8; 8]>::try_from(c).ok())
        .map(u64::from_be_bytes)
        .collect())
}
