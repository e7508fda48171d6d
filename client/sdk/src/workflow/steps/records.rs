//! Records of a case: the case key, storing (`txd`, `txm`, `txa`), reading and auditing.

use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecord, InputParameter};
use rand_core::OsRng;

use super::participant_secret;
use crate::connect;
use crate::ledger::Ledger;
use crate::wallet::{CaseStatus, Wallet};
use crate::workflow::case_view::CaseView;
use crate::workflow::{DecryptedRecord, SignedTag, WorkflowError, verified_tag};
use fabric_gateway::sign_message;
use medchain_protocol::signature::tag_signature_message;
use medchain_siff::{
    CaseId, CryptoError, KdfPolicy, RecordKey, RecordType, SharedKey, Tag, open_record, seal_record,
};

/// The case key `K`, recovered from a checked tag with the user's
/// password.
fn shared_key(
    view: &CaseView,
    tag: &Tag,
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<SharedKey, WorkflowError> {
    if tag.participant_count() != view.case.len() {
        return Err(WorkflowError::Invalid(
            "the case's tag does not match its participants".into(),
        ));
    }
    let secret = participant_secret(view, ind, password, policy)?;
    Ok(tag.recover_key(&secret))
}

/// The case's record key (bound to the tag), recovered with the user's
/// password.
fn record_key(
    view: &CaseView,
    tag: &Tag,
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<RecordKey, WorkflowError> {
    Ok(RecordKey::derive(
        &shared_key(view, tag, ind, password, policy)?,
        &view.id,
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
    let view = CaseView::load(ledger, case).await?;
    let signed = verified_tag(ledger, &view).await?.ok_or_else(|| {
        WorkflowError::OutOfOrder(format!(
            "case {} has no record yet, so its key is not published",
            hex::encode(case.as_bytes())
        ))
    })?;
    shared_key(&view, &signed.tag, ledger.ind(), password, policy)
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

/// Stores an encrypted record of the case (`txd` by the doctor, `txm` by a
/// pharmacist, `txa` by an insurer); returns its key κ. The record carries
/// the doctor's signed tag: the doctor's first record signs the tag kept in
/// its wallet; every later record carries the ledger's tag once checked
/// ([`verified_tag`]). A doctor whose wallet holds a tag different from the
/// ledger's stops: the ledger's tag is not the one it established.
pub async fn add_record(
    ledger: &Ledger,
    wallet: Option<&Wallet>,
    password: &str,
    case: &CaseId,
    record_type: RecordType,
    plaintext: &[u8],
    policy: KdfPolicy,
) -> Result<[u8; 32], WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    view.require_participant(ledger)?;
    let ind = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
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
    let key = record_key(&view, &signed.tag, ind, password, policy)?;
    let ciphertext = seal_record(&key, record_type, case, plaintext, &mut OsRng)?;
    let record = CaseRecord {
        case_key: case.as_bytes().to_vec(),
        participants: view.case.others(ind),
        tag: signed.bytes,
        ciphertext,
        tag_signature: signed.signature,
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

/// Decrypts every record of a case (an audit, or a participant reading its
/// case). A wrong password or a non-participant fails with "cannot
/// decrypt: wrong password or not a participant of this case". A record
/// that does not open while others do (written with another key or
/// damaged) is returned without plaintext rather than hiding the rest.
pub async fn audit(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<Vec<DecryptedRecord>, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let Some(signed) = verified_tag(ledger, &view).await? else {
        return Ok(Vec::new());
    };
    let key = record_key(&view, &signed.tag, ledger.ind(), password, policy)?;
    let records: Vec<DecryptedRecord> = view
        .records
        .iter()
        .map(|r| DecryptedRecord {
            key: r.key,
            record_type: r.record_type,
            tx_id: r.tx_id.clone(),
            plaintext: open_record(&key, r.record_type, case, &r.record.ciphertext).ok(),
        })
        .collect();
    if records.iter().all(|r| r.plaintext.is_none()) {
        return Err(CryptoError::CannotDecrypt.into());
    }
    Ok(records)
}

/// Decrypts one record, given its key κ.
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
    let records = audit(ledger, password, &case, policy).await?;
    let record = records
        .into_iter()
        .find(|r| &r.key == kappa)
        .ok_or_else(|| {
            WorkflowError::Invalid(format!(
                "record {} is not part of its case",
                hex::encode(kappa)
            ))
        })?;
    if record.plaintext.is_none() {
        return Err(WorkflowError::Invalid(format!(
            "record {} does not decrypt with its case's key: it was written with another key or damaged",
            hex::encode(kappa)
        )));
    }
    Ok(record)
}
