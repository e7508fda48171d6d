//! `txeo`, `txer`, `txet`: a new key epoch of a case, without the members
//! it revokes. The patient or a family member opens the epoch (signed,
//! with a fresh ephemeral key), every remaining member answers with its
//! epoch secret sealed to the opener, the opener publishes the epoch tag
//! (signed); from then on every record is sealed in the new epoch and only
//! its members are notified.

use fabric_shim::Stub;
use medchain_protocol::ephemeral_key;
use medchain_protocol::limits::MAX_EPOCHS_PER_CASE;
use medchain_protocol::signature::{
    epoch_signature_message, epoch_tag_signature_message, verify_low_s,
};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{EpochOpening, EpochResponse, EpochTag, Role};
use p256::PublicKey;
use p256::ecdsa::VerifyingKey;
use sha2::{Digest, Sha256};

use super::authorize::{authorize_participant, require_registered};
use super::grant::{grantees, load_grant, require_speaks_for_patient};
use super::{emit, put_once, put_record};
use crate::CreatorIndex;
use crate::case::{Case, ParticipantRef};
use crate::creator::Creator;
use crate::epoch::{decode_members, encode_members, initial_members, next_members};
use crate::error::ContractError;
use crate::keys::{
    epoch_key, epoch_members_key, epoch_opening_key, epoch_response_key, epoch_tag_key,
    record_state_key, tag_key,
};
use crate::query::{decode_stored, load_case};
use crate::validate::{key32, sealed_answer, tag};

/// The case's latest key epoch (0 until one is opened).
pub(super) async fn latest_epoch<S: Stub>(stub: &S, kappa0: &[u8]) -> Result<u32, ContractError> {
    match stub.get_state(&epoch_key(kappa0)?).await? {
        None => Ok(0),
        Some(value) => {
            let latest = <[u8; 4]>::try_from(value.as_slice())
                .map(u32::from_be_bytes)
                .map_err(|_| {
                    ContractError::Corrupt(format!(
                        "the epoch counter of case {} holds {} bytes, not 4",
                        hex::encode(kappa0),
                        value.len()
                    ))
                })?;
            if latest > MAX_EPOCHS_PER_CASE {
                return Err(ContractError::Corrupt(format!(
                    "the epoch counter of case {} says {latest}, more than the {MAX_EPOCHS_PER_CASE} epochs a case can have",
                    hex::encode(kappa0)
                )));
            }
            Ok(latest)
        }
    }
}

/// The members of epoch `epoch` of the case.
async fn members<S: Stub>(
    stub: &S,
    case: &Case,
    kappa0: &[u8],
    epoch: u32,
) -> Result<Vec<u64>, ContractError> {
    if epoch == 0 {
        return Ok(initial_members(case, &grantees(stub, kappa0).await?));
    }
    let bytes = stub
        .get_state(&epoch_members_key(kappa0, epoch)?)
        .await?
        .unwrap_or_default();
    decode_members(&bytes)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ContractError::Corrupt(format!(
                "the member list of epoch {epoch} of case {} is missing or malformed",
                hex::encode(kappa0)
            ))
        })
}

/// Whether epoch `epoch` of the case has its key: epoch 0 once the doctor
/// fixed the tag, a later one once its `txet` is stored.
async fn established<S: Stub>(stub: &S, kappa0: &[u8], epoch: u32) -> Result<bool, ContractError> {
    let key = if epoch == 0 {
        tag_key(kappa0)?
    } else {
        epoch_tag_key(kappa0, epoch)?
    };
    Ok(stub.get_state(&key).await?.is_some())
}

/// The latest established epoch of the case below `epoch` (0 at least:
/// the case's key is established before any epoch is opened).
async fn established_before<S: Stub>(
    stub: &S,
    kappa0: &[u8],
    epoch: u32,
) -> Result<u32, ContractError> {
    for e in (1..epoch).rev() {
        if established(stub, kappa0, e).await? {
            return Ok(e);
        }
    }
    Ok(0)
}

/// The opening of epoch `epoch` of the case.
async fn load_opening<S: Stub>(
    stub: &S,
    kappa0: &[u8],
    epoch: u32,
) -> Result<EpochOpening, ContractError> {
    let corrupt = || {
        ContractError::Corrupt(format!(
            "the opening of epoch {epoch} of case {} is missing or not an epoch opening",
            hex::encode(kappa0)
        ))
    };
    let kappa = stub
        .get_state(&epoch_opening_key(kappa0, epoch)?)
        .await?
        .ok_or_else(corrupt)?;
    let bytes = stub
        .get_state(&record_state_key(&kappa))
        .await?
        .ok_or_else(corrupt)?;
    match decode_stored(&bytes)? {
        (Record::Txeo(opening), _) => Ok(opening),
        _ => Err(corrupt()),
    }
}

/// The identity key of the case's patient or family member `ind`.
fn speaker_key(case: &Case, ind: u64) -> Result<PublicKey, ContractError> {
    let bytes = match case.role_of(ind) {
        Some(ParticipantRef::Patient) => Some(&case.patient_key),
        Some(ParticipantRef::Family(n)) => case.family_keys.get(n),
        _ => None,
    };
    bytes
        .and_then(|b| medchain_protocol::identity_key(b).ok())
        .ok_or_else(|| {
            ContractError::Corrupt(format!(
                "the opener {ind:016x} of an epoch is neither the patient nor a family member"
            ))
        })
}

fn case_id(record: &'static str, kappa0: &[u8]) -> Result<[u8; 32], ContractError> {
    kappa0
        .try_into()
        .map_err(|_| ContractError::invalid(record, "the case key must be 32 bytes"))
}

/// Checks that the creator is member `ind` of the case by its full
/// identity: a participant as for `txtr` (the doctor by its registration),
/// a grantee as for `txgr`.
async fn authorize_member<S: Stub>(
    stub: &S,
    record: &'static str,
    case: &Case,
    creator: &Creator,
    kappa0: &[u8],
) -> Result<(), ContractError> {
    match case.role_of(creator.ind()) {
        Some(ParticipantRef::Doctor) => {
            require_registered(stub, record, creator, creator.ind(), Role::Doctor).await
        }
        Some(_) => authorize_participant(stub, record, case, creator, kappa0).await,
        None => {
            let not_member = || {
                ContractError::unauthorized(
                    record,
                    format!(
                        "the submitter is not a member of case {}",
                        hex::encode(kappa0)
                    ),
                )
            };
            let grant = load_grant(stub, kappa0, creator.ind())
                .await?
                .ok_or_else(not_member)?;
            if grant.grantee_key.is_empty() {
                let role = Role::try_from(grant.grantee_role).unwrap_or(Role::Unspecified);
                require_registered(stub, record, creator, creator.ind(), role).await
            } else {
                match medchain_protocol::identity_key(&grant.grantee_key) {
                    Ok(key) if &key == creator.public_key() => Ok(()),
                    _ => Err(not_member()),
                }
            }
        }
    }
}

pub(super) async fn store_epoch_opening<S: Stub>(
    stub: &S,
    bytes: &[u8],
    opening: &EpochOpening,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txeo";
    let kappa0 = key32(RECORD, "the case key", &opening.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    let case_hex = hex::encode(kappa0);
    if opening.opener != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the epoch opening names opener {:016x} but the submitter is {:016x}; open an epoch only as yourself",
                opening.opener,
                creator.ind()
            ),
        ));
    }
    require_speaks_for_patient(RECORD, "revoke its participants", &case, &creator, kappa0)?;
    let latest = latest_epoch(stub, kappa0).await?;
    if latest == 0 && !established(stub, kappa0, 0).await? {
        return Err(ContractError::OutOfOrder(format!(
            "case {case_hex} has no diagnosis yet, so its key is not established; revoke after the doctor's first record"
        )));
    }
    // A latest epoch still collecting answers is abandoned: the new one
    // starts from the latest established epoch.
    let base = established_before(stub, kappa0, latest + 1).await?;
    let next = latest + 1;
    if opening.epoch != next {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "case {case_hex} is in key epoch {latest}, so the next epoch is {next}, not {}",
                opening.epoch
            ),
        ));
    }
    if next > MAX_EPOCHS_PER_CASE {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "case {case_hex} already has {latest} key epochs, the most one case can have ({MAX_EPOCHS_PER_CASE}); open a new case"
            ),
        ));
    }
    let previous = members(stub, &case, kappa0, base).await?;
    if !previous.contains(&creator.ind()) {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "participant {:016x} was revoked from case {case_hex} and cannot open its epochs",
                creator.ind()
            ),
        ));
    }
    let remaining = next_members(&previous, &opening.revoked, creator.ind(), case.doctor)
        .map_err(|m| ContractError::invalid(RECORD, m))?;
    ephemeral_key(&opening.opener_ephemeral_key)
        .map_err(|e| ContractError::invalid(RECORD, format!("ephemeral key: {e}")))?;
    let message = epoch_signature_message(
        &case_id(RECORD, kappa0)?,
        opening.epoch,
        opening.opener,
        &opening.revoked,
        &opening.opener_ephemeral_key,
    );
    verify_low_s(
        &VerifyingKey::from(creator.public_key()),
        &message,
        &opening.signature,
    )
    .map_err(|fault| {
        ContractError::invalid(
            RECORD,
            format!("the epoch opening's signature is not the opener's ({fault}); sign it with your identity key"),
        )
    })?;
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    stub.put_state(&epoch_opening_key(kappa0, next)?, &kappa)
        .await?;
    stub.put_state(
        &epoch_members_key(kappa0, next)?,
        &encode_members(&remaining),
    )
    .await?;
    stub.put_state(&epoch_key(kappa0)?, &next.to_be_bytes())
        .await?;
    let answering = remaining
        .into_iter()
        .filter(|&m| m != creator.ind())
        .collect();
    emit(stub, RECORD, &kappa, kappa0, answering);
    Ok(kappa.to_vec())
}

/// Checks that `epoch` is the case's latest epoch and still collecting
/// answers (no tag yet, not abandoned for a later one); returns its
/// members.
async fn collecting<S: Stub>(
    stub: &S,
    case: &Case,
    kappa0: &[u8],
    epoch: u32,
) -> Result<Vec<u64>, ContractError> {
    let latest = latest_epoch(stub, kappa0).await?;
    let case_hex = hex::encode(kappa0);
    if epoch == 0 || epoch > latest {
        return Err(ContractError::NotFound(format!(
            "case {case_hex} has no key epoch {epoch} opened"
        )));
    }
    if established(stub, kappa0, epoch).await? {
        return Err(ContractError::AlreadyStored(format!(
            "epoch {epoch} of case {case_hex} already has its tag"
        )));
    }
    if epoch < latest {
        return Err(ContractError::OutOfOrder(format!(
            "epoch {epoch} of case {case_hex} was abandoned for epoch {latest} before its tag was published; answer epoch {latest}"
        )));
    }
    members(stub, case, kappa0, epoch).await
}

pub(super) async fn store_epoch_response<S: Stub>(
    stub: &S,
    bytes: &[u8],
    response: &EpochResponse,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txer";
    let kappa0 = key32(RECORD, "the case key", &response.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    if response.responder != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the answer names member {:016x} but the submitter is {:016x}; answer only for yourself",
                response.responder,
                creator.ind()
            ),
        ));
    }
    let members = collecting(stub, &case, kappa0, response.epoch).await?;
    let opening = load_opening(stub, kappa0, response.epoch).await?;
    if !members.contains(&creator.ind()) || creator.ind() == opening.opener {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the submitter is not a member who answers epoch {} of case {}",
                response.epoch,
                hex::encode(kappa0)
            ),
        ));
    }
    authorize_member(stub, RECORD, &case, &creator, kappa0).await?;
    sealed_answer(RECORD, &response.ephemeral_key, &response.sealed_secret)?;
    let index = epoch_response_key(kappa0, response.epoch, creator.ind())?;
    let kappa = put_once(stub, bytes, kappa0, &index, || {
        format!(
            "participant {:016x} has already answered epoch {} of case {}",
            creator.ind(),
            response.epoch,
            hex::encode(kappa0)
        )
    })
    .await?;
    emit(stub, RECORD, &kappa, kappa0, vec![opening.opener]);
    Ok(kappa.to_vec())
}

pub(super) async fn store_epoch_tag<S: Stub>(
    stub: &S,
    bytes: &[u8],
    epoch_tag: &EpochTag,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txet";
    let kappa0 = key32(RECORD, "the case key", &epoch_tag.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    let epoch = epoch_tag.epoch;
    let members = collecting(stub, &case, kappa0, epoch).await?;
    let opening = load_opening(stub, kappa0, epoch).await?;
    if opening.opener != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            "only the opener of this epoch may publish its tag",
        ));
    }
    require_speaks_for_patient(RECORD, "revoke its participants", &case, &creator, kappa0)?;
    for &ind in members.iter().filter(|&&m| m != opening.opener) {
        if stub
            .get_state(&epoch_response_key(kappa0, epoch, ind)?)
            .await?
            .is_none()
        {
            return Err(ContractError::OutOfOrder(format!(
                "member {ind:016x} has not answered epoch {epoch} of case {} yet; wait for every answer",
                hex::encode(kappa0)
            )));
        }
    }
    tag(RECORD, &epoch_tag.tag, members.len())?;
    let message = epoch_tag_signature_message(&case_id(RECORD, kappa0)?, epoch, &epoch_tag.tag);
    verify_low_s(
        &VerifyingKey::from(creator.public_key()),
        &message,
        &epoch_tag.tag_signature,
    )
    .map_err(|fault| {
        ContractError::invalid(
            RECORD,
            format!("the epoch tag's signature is not the opener's ({fault}); sign it with your identity key"),
        )
    })?;
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    let fingerprint: [u8; 32] = Sha256::digest(&epoch_tag.tag).into();
    stub.put_state(&epoch_tag_key(kappa0, epoch)?, &fingerprint)
        .await?;
    let others = members
        .into_iter()
        .filter(|&m| m != creator.ind())
        .collect();
    emit(stub, RECORD, &kappa, kappa0, others);
    Ok(kappa.to_vec())
}

/// The key epoch a record of the case is sealed in, once the case has left
/// epoch 0.
pub(super) struct RecordEpoch {
    /// e ≥ 1.
    pub(super) epoch: u32,
    /// Its members, in member order.
    pub(super) members: Vec<u64>,
    /// SHA-256 of its tag.
    pub(super) fingerprint: Vec<u8>,
    /// The identity key of its opener, who signed the tag.
    pub(super) opener_key: PublicKey,
}

/// The epoch records of the case are sealed in now: `None` in epoch 0; an
/// out-of-order refusal while the latest epoch is collecting answers.
pub(super) async fn record_epoch<S: Stub>(
    stub: &S,
    case: &Case,
    kappa0: &[u8],
) -> Result<Option<RecordEpoch>, ContractError> {
    let epoch = latest_epoch(stub, kappa0).await?;
    if epoch == 0 {
        return Ok(None);
    }
    let Some(fingerprint) = stub.get_state(&epoch_tag_key(kappa0, epoch)?).await? else {
        return Err(ContractError::OutOfOrder(format!(
            "case {} is changing its key (epoch {epoch} is collecting its members' answers); store the record once the epoch's tag is published",
            hex::encode(kappa0)
        )));
    };
    let opening = load_opening(stub, kappa0, epoch).await?;
    Ok(Some(RecordEpoch {
        epoch,
        members: members(stub, case, kappa0, epoch).await?,
        fingerprint,
        opener_key: speaker_key(case, opening.opener)?,
    }))
}
