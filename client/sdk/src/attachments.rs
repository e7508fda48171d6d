//! Attachments of any size off-chain: a file encrypted in 256 KiB chunks
//! ([`medchain_siff::AttachmentSealer`]) under a key derived from the case's
//! record key and a fresh attachment id, its ciphertext stored as an IPFS
//! file ([`ipfs_blocks`]) whose every block is verified on the way back.
//! What a record keeps of it is an [`AttachmentRef`]: its id, name, sizes,
//! CID and the SHA-256 of its ciphertext.
//!
//! Memory does not grow with the file: one chunk is in flight at a time.
//! A download goes to a temporary file beside the target and takes the
//! file's name only once every chunk opened and the ciphertext's size and
//! hash match the reference; on any failure nothing is left on disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use ipfs_blocks::{BlockStore, FileReader, FileWriter, IpfsError, parse_cid};
use medchain_siff::{
    ATTACHMENT_CHUNK, ATTACHMENT_CIPHERTEXT_CHUNK, ATTACHMENT_ID_LEN, AttachmentKey,
    AttachmentOpener, AttachmentSealer, CaseId, CryptoError, RecordKey, attachment_ciphertext_len,
};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

/// The longest attachment name, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// What a record holds of one attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    /// The attachment id (the salt of its key).
    pub id: [u8; ATTACHMENT_ID_LEN],
    /// Its file name (no directory).
    pub name: String,
    /// Its plaintext size in bytes.
    pub size: u64,
    /// The IPFS CID of its ciphertext.
    pub cid: String,
    /// The ciphertext's size in bytes.
    pub ciphertext_size: u64,
    /// SHA-256 of the ciphertext.
    pub ciphertext_sha256: [u8; 32],
}

/// Why an attachment could not be stored or fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachmentError {
    /// A local file cannot be read or written.
    #[error("cannot use {path}: {source}; check the path and its permissions")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The block store failed (unreachable node, a block failing verification, …).
    #[error(transparent)]
    Ipfs(#[from] IpfsError),
    /// The block store failed while an attachment was fetched (unreachable
    /// node, a block failing verification, …); nothing was written.
    #[error("cannot fetch attachment {name}: {source} (no file was written)")]
    Fetch {
        /// The attachment's name.
        name: String,
        /// What the block store did.
        source: IpfsError,
    },
    /// A chunk did not open: wrong key, or ciphertext reordered, cut or changed.
    #[error(
        "attachment {name} does not decrypt: its ciphertext was changed, cut or reordered, or the case key is not the one it was sealed with; nothing was written"
    )]
    Decrypt {
        /// The attachment's name.
        name: String,
    },
    /// The ciphertext read is not the one the record names.
    #[error(
        "attachment {name} on the block store is not the one the record names (size or SHA-256 differ); nothing was written"
    )]
    Mismatch {
        /// The attachment's name.
        name: String,
    },
    /// A name that cannot be a file name in a directory.
    #[error(
        "'{0}' cannot be an attachment name: use 1 to 255 bytes without '/', '\\', control characters or a leading '.'"
    )]
    BadName(String),
    /// The target file exists.
    #[error("{0} already exists; remove it or save the attachments into another directory")]
    Exists(String),
    /// The file changed size while it was read.
    #[error("{0} changed while it was being encrypted; store it again once it is complete")]
    Changed(String),
    /// Crypto failure other than a chunk not opening.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Checks that `name` can be a file name inside a directory.
pub fn validate_name(name: &str) -> Result<(), AttachmentError> {
    let bad = name.is_empty()
        || name.len() > MAX_NAME_BYTES
        || name.starts_with('.')
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(AttachmentError::BadName(name.chars().take(80).collect()));
    }
    Ok(())
}

/// The attachment name a file gets: its file name, checked
/// ([`validate_name`]).
pub fn attachment_name(path: &Path) -> Result<String, AttachmentError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    validate_name(&name)?;
    Ok(name)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AttachmentError + '_ {
    move |source| AttachmentError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Encrypts the file at `path` under `key` (the record key of `case`) and
/// stores its ciphertext in `store`; `progress` gets the plaintext bytes
/// done after each chunk.
pub async fn store_attachment(
    store: &BlockStore,
    key: &RecordKey,
    case: &CaseId,
    path: &Path,
    mut progress: impl FnMut(u64),
) -> Result<AttachmentRef, AttachmentError> {
    let name = attachment_name(path)?;
    let mut file = tokio::fs::File::open(path).await.map_err(io(path))?;
    let size = file.metadata().await.map_err(io(path))?.len();
    let mut id = [0u8; ATTACHMENT_ID_LEN];
    OsRng.fill_bytes(&mut id);
    let mut sealer = AttachmentSealer::new(&AttachmentKey::derive(key, case, &id)?);
    let mut writer = FileWriter::new(store);
    let mut hash = Sha256::new();
    let mut chunk = vec![0u8; ATTACHMENT_CHUNK];
    let mut done = 0u64;
    loop {
        let want = usize::try_from((size - done).min(ATTACHMENT_CHUNK as u64))
            .map_err(|_| AttachmentError::Changed(path.display().to_string()))?;
        file.read_exact(&mut chunk[..want]).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                AttachmentError::Changed(path.display().to_string())
            } else {
                io(path)(e)
            }
        })?;
        done += want as u64;
        let last = done == size;
        if last {
            let sealed = sealer.seal_last(&chunk[..want])?;
            hash.update(&sealed);
            writer.push_leaf(sealed).await?;
            break;
        }
        let sealed = sealer.seal_chunk(&chunk[..want])?;
        hash.update(&sealed);
        writer.push_leaf(sealed).await?;
        progress(done);
    }
    progress(done);
    if file.read(&mut chunk[..1]).await.map_err(io(path))? != 0 {
        return Err(AttachmentError::Changed(path.display().to_string()));
    }
    let summary = writer.finish().await?;
    Ok(AttachmentRef {
        id,
        name,
        size,
        cid: summary.root.to_string(),
        ciphertext_size: summary.size,
        ciphertext_sha256: hash.finalize().into(),
    })
}

/// Fetches attachment `att` from `store`, every block verified against its
/// CID, decrypts it and saves it as `dir/<name>` (which must not exist);
/// `progress` gets the ciphertext bytes read. Returns the saved path.
pub async fn fetch_attachment(
    store: &BlockStore,
    key: &RecordKey,
    case: &CaseId,
    att: &AttachmentRef,
    dir: &Path,
    mut progress: impl FnMut(u64),
) -> Result<PathBuf, AttachmentError> {
    validate_name(&att.name)?;
    let target = dir.join(&att.name);
    if target.exists() {
        return Err(AttachmentError::Exists(target.display().to_string()));
    }
    let decrypt = || AttachmentError::Decrypt {
        name: att.name.clone(),
    };
    let mismatch = || AttachmentError::Mismatch {
        name: att.name.clone(),
    };
    if att.ciphertext_size != attachment_ciphertext_len(att.size) {
        return Err(mismatch());
    }
    let fetch = |source| AttachmentError::Fetch {
        name: att.name.clone(),
        source,
    };
    let root = parse_cid(&att.cid).map_err(fetch)?;
    let mut out = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    let mut opener = AttachmentOpener::new(&AttachmentKey::derive(key, case, &att.id)?);
    let mut reader = FileReader::new(store, root, att.ciphertext_size);
    let mut hash = Sha256::new();
    let mut pending: Vec<u8> = Vec::with_capacity(2 * ATTACHMENT_CIPHERTEXT_CHUNK);
    while let Some(leaf) = reader.next_leaf().await.map_err(fetch)? {
        hash.update(&leaf);
        pending.extend_from_slice(&leaf);
        // A chunk is known not to be the last once more bytes follow it.
        while pending.len() > ATTACHMENT_CIPHERTEXT_CHUNK {
            let plain = opener
                .open_chunk(&pending[..ATTACHMENT_CIPHERTEXT_CHUNK])
                .map_err(|_| decrypt())?;
            out.write_all(&plain).map_err(io(dir))?;
            pending.drain(..ATTACHMENT_CIPHERTEXT_CHUNK);
        }
        progress(reader.bytes_read());
    }
    let digest: [u8; 32] = hash.finalize().into();
    if reader.bytes_read() != att.ciphertext_size || digest != att.ciphertext_sha256 {
        return Err(mismatch());
    }
    let plain = opener.open_last(&pending).map_err(|_| decrypt())?;
    out.write_all(&plain).map_err(io(dir))?;
    out.as_file().sync_all().map_err(io(dir))?;
    out.persist_noclobber(&target)
        .map_err(|e| io(&target)(e.error))?;
    Ok(target)
}
