//! Records of a case: the case key, storing (`txd`, `txm`, `txa`), reading and auditing.

use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseOpening, CaseRecord, InputParameter};
use rand_core::OsRng;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use super::epoch::Epochs;
use super::participant_secret;
use crate::body::RecordBody;
use crate::connect;
use crate::ledger::Ledger;
use crate::wallet::{CaseStatus, Wallet};
use crate::workflow::case_view::CaseView;
use crate::workflow::{DecryptedRecord, SignedTag, TagCheck, WorkflowError, verified_tag};
use fabric_gateway::sign_message;
use medchain_contract::Case;
use medchain_protocol::signature::tag_signature_message;
use medchain_siff::{
    CaseId, CryptoError, KdfPolicy, RecordKey, RecordType, SharedKey, Tag, open_record, seal_record,
};
use prost::Message;

/// The case key `K`, recovered from a checked tag with the user's
/// password.
fn shared_key(
    case: &Case,
    id: &CaseId,
    tag: &Tag,
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<SharedKey, WorkflowError> {
    if tag.participant_count() != case.len() {
        return Err(WorkflowError::Invalid(
            "the case's tag does not match its participants".into(),
        ));
    }
    let secret = participant_secret(case, id, ind, password, policy)?;
    Ok(tag.recover_key(&secret))
}

/// The case key `K` as this user recovers it: from the case's tag for a
/// participant, from its grant tag for a grantee
/// ([`super::grant::grantee_shared_key`]).
async fn any_shared_key(
    ledger: &Ledger,
    opening: &CaseOpening,
    case: &Case,
    id: &CaseId,
    tag: &Tag,
    password: &str,
    policy: KdfPolicy,
) -> Result<SharedKey, WorkflowError> {
    if case.role_of(ledger.ind()).is_none()
        && let Some(key) =
            super::grant::grantee_shared_key(ledger, opening, case, id, password, policy).await?
    {
        return Ok(key);
    }
    shared_key(case, id, tag, ledger.ind(), password, policy)
}

/// The case's record key (bound to the doctor's tag) as this user — a
/// participant or a grantee — recovers it with its password.
async fn any_record_key(
    ledger: &Ledger,
    opening: &CaseOpening,
    case: &Case,
    id: &CaseId,
    tag: &Tag,
    password: &str,
    policy: KdfPolicy,
) -> Result<RecordKey, WorkflowError> {
    let key = any_shared_key(ledger, opening, case, id, tag, password, policy).await?;
    Ok(RecordKey::derive(&key, id, tag)?)
}

/// The case's record key (bound to the tag), recovered with the user's
/// password.
fn record_key(
    case: &Case,
    id: &CaseId,
    tag: &Tag,
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<RecordKey, WorkflowError> {
    Ok(RecordKey::derive(
        &shared_key(case, id, tag, ind, password, policy)?,
        id,
        tag,
    )?)
}

/// The case key `K` as this user recovers it from the published tag (once
/// checked to be the doctor's, [`verified_tag`]) with its password alone.
/// A non-participant or a wrong password gets an unrelated value (compare
/// keys in constant time: [`SharedKey`] does).
pub async fn recover_case_key(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<SharedKey, WorkflowError> {
    let (view, signed) = published_tag(ledger, case).await?;
    any_shared_key(
        ledger,
        &view.opening,
        &view.case,
        &view.id,
        &signed.tag,
        password,
        policy,
    )
    .await
}

/// The case and its tag once published and checked to be the doctor's
/// ([`verified_tag`]).
pub(super) async fn published_tag(
    ledger: &Ledger,
    case: &CaseId,
) -> Result<(CaseView, SignedTag), WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let signed = verified_tag(ledger, &view).await?.ok_or_else(|| {
        WorkflowError::OutOfOrder(format!(
            "case {} has no record yet, so its key is not published",
            hex::encode(case.as_bytes())
        ))
    })?;
    Ok((view, signed))
}

/// The doctor's tag from its wallet (kept since `establish`), signed now
/// with the doctor's identity key.
fn pending_signed_tag(
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    pending: &str,
) -> Result<SignedTag, WorkflowError> {
    let damaged = || WorkflowError::Invalid("the wallet's tag is damaged".into());
    let bytes = hex::decode(pending).map_err(|_| damaged())?;
    let tag = Tag::from_bytes(&bytes).map_err(|_| damaged())?;
    let profile = wallet.profile()?;
    let secrets = wallet.secrets(password)?;
    let signer = connect::identity_signer(&profile, &secrets).map_err(|e| {
        WorkflowError::Invalid(format!("the doctor's key cannot sign the tag: {e}"))
    })?;
    let signature = sign_message(&signer, &tag_signature_message(case.as_bytes(), &bytes))
        .map_err(|e| {
            WorkflowError::Invalid(format!("the doctor's key cannot sign the tag: {e}"))
        })?;
    Ok(SignedTag {
        tag,
        bytes,
        signature,
    })
}

/// What storing a record of a case needs once its tag is checked: the
/// case, the signed tag the record carries and the record key.
pub(super) struct RecordContext {
    pub(super) view: CaseView,
    pub(super) signed: SignedTag,
    pub(super) key: RecordKey,
    /// The key epoch the record is sealed in.
    pub(super) epoch: u32,
    /// The other members the record lists.
    pub(super) participants: Vec<u64>,
}

/// Checks that this user may store a record of `case` now and recovers
/// the record key: the doctor's first record signs the tag kept in its
/// wallet; every later record carries the ledger's tag once checked
/// ([`verified_tag`]). A doctor whose wallet holds a tag different from the
/// ledger's stops: the ledger's tag is not the one it established.
pub(super) async fn record_context(
    ledger: &Ledger,
    wallet: Option<&Wallet>,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<RecordContext, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    view.require_participant(ledger)?;
    let ind = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    let epochs = view.epochs();
    let epoch = epochs.latest();
    if epoch > 0 {
        if epochs.tag(epoch).is_none() {
            return Err(WorkflowError::OutOfOrder(format!(
                "case {case_hex} is changing its key (epoch {epoch} is collecting its members' answers); store the record once the epoch's tag is published"
            )));
        }
        let Some((signed, key)) = epochs.record_key(
            &view.opening,
            &view.case,
            case,
            epoch,
            ind,
            password,
            policy,
        )?
        else {
            return Err(WorkflowError::Invalid(format!(
                "you were revoked from case {case_hex} (you are not a member of its key epoch {epoch}); you store no more records"
            )));
        };
        let participants = epochs
            .members(&view.case, epoch)
            .into_iter()
            .filter(|&m| m != ind)
            .collect();
        return Ok(RecordContext {
            view,
            signed,
            key,
            epoch,
            participants,
        });
    }
    let pending = wallet
        .map(|w| w.profile())
        .transpose()?
        .and_then(|p| p.cases.get(&case_hex).and_then(|c| c.pending_tag.clone()));
    let signed = match (verified_tag(ledger, &view).await?, pending, wallet) {
        (Some(on_ledger), Some(own), _) => {
            let own = hex::decode(own)
                .map_err(|_| WorkflowError::Invalid("the wallet's tag is damaged".into()))?;
            if own != on_ledger.bytes {
                return Err(WorkflowError::Untrusted(format!(
                    "the ledger's tag of case {case_hex} is not the one this doctor established; nothing was stored — check the peers"
                )));
            }
            on_ledger
        }
        (Some(on_ledger), None, _) => on_ledger,
        (None, Some(own), Some(wallet)) => pending_signed_tag(wallet, password, case, &own)?,
        (None, _, _) if ind == view.case.doctor => {
            return Err(WorkflowError::OutOfOrder(format!(
                "the key of case {case_hex} is not established yet; run `medchain establish` once everyone has answered"
            )));
        }
        (None, _, _) => {
            return Err(WorkflowError::OutOfOrder(format!(
                "case {case_hex} has no diagnosis yet, so its key is not published; wait for the doctor's first record"
            )));
        }
    };
    let key = record_key(&view.case, &view.id, &signed.tag, ind, password, policy)?;
    let participants = view.case.others(ind);
    Ok(RecordContext {
        view,
        signed,
        key,
        epoch: 0,
        participants,
    })
}

/// Seals `plaintext` under the context's record key and stores it as a
/// record of `record_type`; returns its key κ.
pub(super) async fn store_record(
    ledger: &Ledger,
    wallet: Option<&Wallet>,
    context: RecordContext,
    record_type: RecordType,
    plaintext: &[u8],
) -> Result<[u8; 32], WorkflowError> {
    let RecordContext {
        view,
        signed,
        key,
        epoch,
        participants,
    } = context;
    let case = &view.id;
    let case_hex = hex::encode(case.as_bytes());
    let ciphertext = seal_record(&key, record_type, case, plaintext, &mut OsRng)?;
    let record = CaseRecord {
        case_key: case.as_bytes().to_vec(),
        participants,
        tag: signed.bytes,
        ciphertext,
        tag_signature: signed.signature,
        epoch,
    };
    let record = match record_type {
        RecordType::Diagnosis => Record::Txd(record),
        RecordType::Medication => Record::Txm(record),
        RecordType::Compensation => Record::Txa(record),
    };
    let committed = ledger
        .store(&InputParameter {
            record: Some(record),
        })
        .await?;
    if let Some(wallet) = wallet {
        wallet.update(|p| {
            if let Some(entry) = p.cases.get_mut(&case_hex) {
                entry.status = CaseStatus::Active;
                entry.pending_tag = None;
            }
        })?;
    }
    committed
        .payload
        .as_slice()
        .try_into()
        .map_err(|_| WorkflowError::Invalid("the ledger returned a malformed record key".into()))
}

/// Stores an encrypted record of the case (`txd` by the doctor, `txm` by a
/// pharmacist, `txa` by an insurer) whose content is `plaintext`, without
/// attachments; returns its key κ. The record carries the doctor's signed
/// tag ([`record_context`] says which).
pub async fn add_record(
    ledger: &Ledger,
    wallet: Option<&Wallet>,
    password: &str,
    case: &CaseId,
    record_type: RecordType,
    plaintext: &[u8],
    policy: KdfPolicy,
) -> Result<[u8; 32], WorkflowError> {
    let context = record_context(ledger, wallet, password, case, policy).await?;
    let body = RecordBody::new(plaintext, Vec::new())?;
    store_record(ledger, wallet, context, record_type, &body.encode()).await
}

/// The record key of `case` as this user recovers it from the checked tag
/// with its password (what attachments are sealed under).
pub(super) async fn case_record_key(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<RecordKey, WorkflowError> {
    let (view, signed) = published_tag(ledger, case).await?;
    any_record_key(
        ledger,
        &view.opening,
        &view.case,
        &view.id,
        &signed.tag,
        password,
        policy,
    )
    .await
}

/// The opening of case `id` (`Get(κ0)`, one record) and its participants.
pub(super) async fn load_opening(
    ledger: &Ledger,
    id: &CaseId,
) -> Result<(CaseOpening, Case), WorkflowError> {
    let unknown = || WorkflowError::UnknownCase(hex::encode(id.as_bytes()));
    let opening = match ledger.get(id.as_bytes()).await {
        Ok(InputParameter {
            record: Some(Record::Txtc(opening)),
        }) => opening,
        Ok(_) => return Err(unknown()),
        Err(e) if e.is_not_found() => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    let case = Case::from_opening(&opening).map_err(WorkflowError::Invalid)?;
    Ok((opening, case))
}

/// What an audit read besides the records it handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditSummary {
    /// The case's participants, doctor included.
    pub participants: usize,
    /// Its responses (`txtr`).
    pub answers: usize,
    /// Its records (`txd`, `txm`, `txa`).
    pub records: usize,
    /// How many of them opened with the case key.
    pub decrypted: usize,
    /// The length of its tag (0 before the first record).
    pub tag_bytes: usize,
    /// How many `GetCase` pages were read.
    pub pages: u64,
}

/// Decrypts every record of a case page by page (an audit, or a
/// participant reading its case), handing each to `emit` as its page
/// arrives, in index order, so memory does not grow with the case: the
/// opening comes from `Get(κ0)`, the key is recovered once from the first
/// record's tag, and every record's tag is checked against it
/// ([`TagCheck`]). A wrong password or a non-participant fails with
/// "cannot decrypt: wrong password or not a participant of this case" once
/// no record of the case opened (records emitted before then carry no
/// plaintext). A record that does not open while others do (written with
/// another key or damaged) is emitted without plaintext rather than
/// hiding the rest. An error of `emit` stops the audit.
pub async fn audit_pages<F>(
    ledger: &Ledger,
    password: &str,
    id: &CaseId,
    policy: KdfPolicy,
    mut emit: F,
) -> Result<AuditSummary, WorkflowError>
where
    F: FnMut(DecryptedRecord) -> Result<(), WorkflowError>,
{
    let (opening, case) = load_opening(ledger, id).await?;
    let mut summary = AuditSummary {
        participants: case.len(),
        ..AuditSummary::default()
    };
    let mut tags: Option<TagCheck> = None;
    let mut key: Option<RecordKey> = None;
    // The epochs as the pages show them so far (they come before their
    // records in index order), and the whole case's, scanned only when
    // those do not give a record's key.
    let mut streamed = Epochs::default();
    let mut scanned: Option<Epochs> = None;
    let mut epoch_keys: BTreeMap<u32, Option<(SignedTag, RecordKey)>> = BTreeMap::new();
    let mut pages = ledger.case_pages(id.as_bytes());
    while let Some(page) = pages.next_page().await? {
        for stored in page {
            let record = InputParameter::decode(stored.value.as_slice())
                .ok()
                .and_then(|i| i.record);
            let (record_type, record) = match record {
                Some(Record::Txtr(_)) => {
                    summary.answers += 1;
                    continue;
                }
                Some(r @ (Record::Txeo(_) | Record::Txet(_) | Record::Txgt(_))) => {
                    streamed.observe(r);
                    continue;
                }
                Some(Record::Txd(r)) => (RecordType::Diagnosis, r),
                Some(Record::Txm(r)) => (RecordType::Medication, r),
                Some(Record::Txa(r)) => (RecordType::Compensation, r),
                _ => continue,
            };
            let record_key = if record.epoch == 0 {
                let check = match &mut tags {
                    Some(check) => check,
                    None => tags.insert(TagCheck::new(ledger, &case, id).await?),
                };
                let signed = check.check(&record)?;
                summary.tag_bytes = signed.bytes.len();
                Some(match &key {
                    Some(key) => key,
                    None => {
                        let tag = signed.tag.clone();
                        key.insert(
                            any_record_key(ledger, &opening, &case, id, &tag, password, policy)
                                .await?,
                        )
                    }
                })
            } else {
                let entry = match epoch_keys.entry(record.epoch) {
                    Entry::Occupied(entry) => entry.into_mut(),
                    Entry::Vacant(entry) => {
                        let key = |epochs: &Epochs| {
                            epochs.record_key(
                                &opening,
                                &case,
                                id,
                                record.epoch,
                                ledger.ind(),
                                password,
                                policy,
                            )
                        };
                        let found = match key(&streamed) {
                            Ok(Some(found)) => Some(found),
                            // Not a member, or an epoch the pages so far do
                            // not show whole (clients' clocks differ): ask
                            // the whole case.
                            _ => {
                                let scanned = match &scanned {
                                    Some(scanned) => scanned,
                                    None => scanned.insert(Epochs::scan(ledger, id).await?),
                                };
                                key(scanned)?
                            }
                        };
                        entry.insert(found)
                    }
                };
                match entry {
                    Some((signed, _)) if signed.bytes != record.tag => {
                        return Err(WorkflowError::Untrusted(format!(
                            "a record of key epoch {} of case {} carries a tag that is not its epoch's; it is not used — the peer may be faulty or compromised, try another peer",
                            record.epoch,
                            hex::encode(id.as_bytes())
                        )));
                    }
                    Some((_, key)) => Some(&*key),
                    None => None,
                }
            };
            let plaintext = record_key
                .and_then(|key| open_record(key, record_type, id, &record.ciphertext).ok());
            summary.records += 1;
            summary.decrypted += usize::from(plaintext.is_some());
            let key_bytes: [u8; 32] = stored.key.as_slice().try_into().map_err(|_| {
                WorkflowError::Invalid("the ledger returned a malformed record key".into())
            })?;
            let body = plaintext.as_deref().map(|p| RecordBody::decode(p));
            let (plaintext, attachments, body_error) = match body {
                None => (None, Vec::new(), None),
                Some(Ok(body)) => (Some(body.content), body.attachments, None),
                Some(Err(e)) => (plaintext, Vec::new(), Some(e)),
            };
            emit(DecryptedRecord {
                key: key_bytes,
                case: *id.as_bytes(),
                epoch: record.epoch,
                record_type,
                tx_id: stored.tx_id,
                plaintext,
                attachments,
                body_error,
            })?;
        }
    }
    summary.pages = pages.pages_read();
    if summary.records > 0 && summary.decrypted == 0 {
        return Err(CryptoError::CannotDecrypt.into());
    }
    Ok(summary)
}

/// Decrypts every record of a case and collects them ([`audit_pages`]
/// holding every plaintext at once: for short cases and tests).
pub async fn audit(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<Vec<DecryptedRecord>, WorkflowError> {
    let mut records = Vec::new();
    audit_pages(ledger, password, case, policy, |r| {
        records.push(r);
        Ok(())
    })
    .await?;
    Ok(records)
}

/// Decrypts one record, given its key κ: its case is read page by page and
/// only that record's plaintext is kept.
pub async fn read_record(
    ledger: &Ledger,
    password: &str,
    kappa: &[u8; 32],
    policy: KdfPolicy,
) -> Result<DecryptedRecord, WorkflowError> {
    let input = ledger.get(kappa).await?;
    let record = match input.record {
        Some(Record::Txd(r) | Record::Txm(r) | Record::Txa(r)) => r,
        _ => {
            return Err(WorkflowError::Invalid(format!(
                "{} is not an encrypted record (txd, txm or txa)",
                hex::encode(kappa)
            )));
        }
    };
    let case = CaseId::from_slice(&record.case_key)?;
    let mut found = None;
    audit_pages(ledger, password, &case, policy, |r| {
        if &r.key == kappa {
            found = Some(r);
        }
        Ok(())
    })
    .await?;
    let record = found.ok_or_else(|| {
        WorkflowError::Invalid(format!(
            "record {} is not part of its case",
            hex::encode(kappa)
        ))
    })?;
    if record.plaintext.is_none() && record.epoch > 0 {
        return Err(WorkflowError::Invalid(format!(
            "record {} is sealed in key epoch {} of its case, which your key does not open: you were revoked before it, or it is damaged",
            hex::encode(kappa),
            record.epoch
        )));
    }
    if record.plaintext.is_none() {
        return Err(WorkflowError::Invalid(format!(
            "record {} does not decrypt with its case's key: it was written with another key or damaged",
            hex::encode(kappa)
        )));
    }
    Ok(record)
}
