//! Records with attachments: files encrypted under the case's record key
//! and stored off-chain ([`crate::attachments`]) before the record that
//! names them is stored on the ledger; and fetching them back.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::PathBuf;

use ipfs_blocks::{BlockStore, DAG_PB, block_cid};
use medchain_contract::Case;
use medchain_protocol::limits::{MAX_ATTACHMENTS, MAX_PLAINTEXT_BYTES};
use medchain_protocol::v1::CaseOpening;
use medchain_siff::{
    ATTACHMENT_ID_LEN, CaseId, KdfPolicy, RecordKey, RecordType, attachment_ciphertext_len,
};

use super::epoch::Epochs;
use super::records::{case_record_key, load_opening, record_context, store_record};
use crate::attachments::{
    AttachmentError, AttachmentRef, attachment_name, fetch_attachment, store_attachment,
};
use crate::body::{BodyError, RecordBody};
use crate::ledger::Ledger;
use crate::wallet::Wallet;
use crate::workflow::WorkflowError;

/// How far an attachment upload or download is: the attachment's position
/// in the record, and its bytes done so far (plaintext bytes encrypted on
/// upload, ciphertext bytes verified on download).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentProgress {
    /// The attachment's position in the record (0-based).
    pub index: usize,
    /// Bytes done.
    pub done: u64,
}

/// Stores a record like [`super::add_record`] whose body also names the
/// files `files`: each is checked (readable, a valid and distinct file
/// name, at most [`MAX_ATTACHMENTS`]) before anything is sent, then
/// encrypted under the case's record key and stored in `store`, and the
/// record naming them is stored last. A failure at any step stores no
/// record (blocks already sent stay on the block store, unnamed and
/// unreadable without the case key).
#[allow(clippy::too_many_arguments)]
pub async fn add_record_with_attachments(
    ledger: &Ledger,
    wallet: Option<&Wallet>,
    password: &str,
    case: &CaseId,
    record_type: RecordType,
    content: &[u8],
    files: &[PathBuf],
    store: &BlockStore,
    mut progress: impl FnMut(AttachmentProgress),
    policy: KdfPolicy,
) -> Result<[u8; 32], WorkflowError> {
    plan(content, files)?;
    let context = record_context(ledger, wallet, password, case, policy).await?;
    let mut attachments = Vec::with_capacity(files.len());
    for (index, path) in files.iter().enumerate() {
        let att = store_attachment(store, &context.key, case, path, |done| {
            progress(AttachmentProgress { index, done })
        })
        .await?;
        tracing::debug!(name = %att.name, size = att.size, cid = %att.cid, "attachment stored");
        attachments.push(att);
    }
    let body = RecordBody::new(content, attachments)?;
    store_record(ledger, wallet, context, record_type, &body.encode()).await
}

/// The record body `content` and `files` will make, with placeholder ids,
/// CIDs and hashes of the real sizes: refused before anything is sent when
/// a file cannot be read, a name is invalid or repeated, or the body would
/// not fit in a record.
fn plan(content: &[u8], files: &[PathBuf]) -> Result<RecordBody, WorkflowError> {
    if files.len() > MAX_ATTACHMENTS {
        return Err(BodyError::TooMany(files.len()).into());
    }
    let placeholder_cid = block_cid(DAG_PB, &[])
        .map_err(AttachmentError::from)?
        .to_string();
    let mut refs = Vec::with_capacity(files.len());
    for path in files {
        let name = attachment_name(path)?;
        let meta = std::fs::metadata(path).map_err(|source| AttachmentError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if !meta.is_file() {
            return Err(WorkflowError::Invalid(format!(
                "{} is not a file; attach files one by one",
                path.display()
            )));
        }
        refs.push(AttachmentRef {
            id: [0; ATTACHMENT_ID_LEN],
            name,
            size: meta.len(),
            cid: placeholder_cid.clone(),
            ciphertext_size: attachment_ciphertext_len(meta.len()),
            ciphertext_sha256: [0; 32],
        });
    }
    let body = RecordBody::new(content, refs)?;
    let len = body.encode().len();
    if len > MAX_PLAINTEXT_BYTES {
        return Err(WorkflowError::Invalid(format!(
            "the record's content and attachment list take {len} bytes, more than the {MAX_PLAINTEXT_BYTES} a record holds; shorten the content or put it in an attachment"
        )));
    }
    Ok(body)
}

/// One attachment to fetch: where to save it, its reference, and the key
/// epoch of the record that names it (its key is that epoch's).
#[derive(Debug, Clone)]
pub struct AttachmentTarget {
    /// The directory to save it in (as `dir/<name>`).
    pub dir: PathBuf,
    /// The reference the record names.
    pub attachment: AttachmentRef,
    /// The record's key epoch ([`crate::workflow::DecryptedRecord::epoch`]).
    pub epoch: u32,
}

/// Fetches attachments of records of `case` from `store` — each `items`
/// entry — every block verified against its CID, decrypts them with the
/// record key of their epoch (recovered once per epoch with the user's
/// password) and saves each as `dir/<name>`; returns the saved paths in
/// order. An attachment that fails leaves no file of its own (the ones
/// saved before it stay) and stops the rest.
pub async fn save_attachments(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    items: &[AttachmentTarget],
    store: &BlockStore,
    mut progress: impl FnMut(AttachmentProgress),
    policy: KdfPolicy,
) -> Result<Vec<PathBuf>, WorkflowError> {
    let mut keys: BTreeMap<u32, RecordKey> = BTreeMap::new();
    let mut epochs: Option<(CaseOpening, Case, Epochs)> = None;
    let mut saved = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let key = match keys.entry(item.epoch) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) if item.epoch == 0 => {
                entry.insert(case_record_key(ledger, password, case, policy).await?)
            }
            Entry::Vacant(entry) => {
                let (opening, participants, epochs) = match &epochs {
                    Some(loaded) => loaded,
                    None => {
                        let (opening, participants) = load_opening(ledger, case).await?;
                        let scanned = Epochs::scan(ledger, case).await?;
                        epochs.insert((opening, participants, scanned))
                    }
                };
                let (_, key) = epochs
                    .record_key(
                        opening,
                        participants,
                        case,
                        item.epoch,
                        ledger.ind(),
                        password,
                        policy,
                    )?
                    .ok_or_else(|| {
                        WorkflowError::Invalid(format!(
                            "{} belongs to a record of key epoch {} of case {}, of which you are not a member; nothing was saved",
                            item.attachment.name,
                            item.epoch,
                            hex::encode(case.as_bytes())
                        ))
                    })?;
                entry.insert(key)
            }
        };
        let att = &item.attachment;
        let path = fetch_attachment(store, key, case, att, &item.dir, |done| {
            progress(AttachmentProgress { index, done })
        })
        .await?;
        tracing::debug!(name = %att.name, path = %path.display(), "attachment saved");
        saved.push(path);
    }
    Ok(saved)
}
