//! The embedded ledger's block log: an append-only file of framed blocks.
//!
//! Frame: `len: u32 big-endian` · `SHA-256(body): 32 bytes` · `body`, where
//! `body` is a prost-encoded [`Block`]. Appends happen under an exclusive
//! file lock and are synced before the lock is released, so a frame is
//! either complete or the torn tail of a crash during an append that was
//! never acknowledged; such a tail is cut off when the log is next opened
//! for writing. A bad frame anywhere else is corruption and is reported,
//! never repaired silently.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use prost::Message;
use sha2::{Digest, Sha256};

use super::EmbeddedError;

const HEADER_BYTES: usize = 4 + 32;
/// Refuse frames above this size (a record is at most ~1 MiB).
const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// One committed transaction (the embedded ledger commits one transaction
/// per block).
#[derive(Clone, PartialEq, Message)]
pub struct Block {
    /// Block number, from 0.
    #[prost(uint64, tag = "1")]
    pub number: u64,
    /// The transaction id.
    #[prost(string, tag = "2")]
    pub tx_id: String,
    /// Proposal timestamp: seconds since the Unix epoch.
    #[prost(int64, tag = "3")]
    pub seconds: i64,
    /// Proposal timestamp: nanoseconds.
    #[prost(int32, tag = "4")]
    pub nanos: i32,
    /// The writes, in key order.
    #[prost(message, repeated, tag = "5")]
    pub writes: Vec<KeyWrite>,
    /// The chaincode event's name (empty when none was set).
    #[prost(string, tag = "6")]
    pub event_name: String,
    /// The chaincode event's payload.
    #[prost(bytes = "vec", tag = "7")]
    pub event_payload: Vec<u8>,
}

/// One key written by a transaction.
#[derive(Clone, PartialEq, Message)]
pub struct KeyWrite {
    /// The key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The value (empty for a delete).
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
    /// Whether the key was deleted.
    #[prost(bool, tag = "3")]
    pub is_delete: bool,
}

/// Reads every complete frame from `offset` on. Returns the blocks and the
/// offset just past the last complete frame; `torn` tells whether
/// incomplete bytes follow it.
pub fn read_from(
    mut file: &File,
    offset: u64,
    path: &Path,
) -> Result<(Vec<Block>, u64, bool), EmbeddedError> {
    let length = file
        .metadata()
        .map_err(|e| EmbeddedError::io(path, e))?
        .len();
    if length < offset {
        return Err(EmbeddedError::Corrupt(format!(
            "{} shrank below what was already read; it was modified by something other than medchain",
            path.display()
        )));
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| EmbeddedError::io(path, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(length - offset).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|e| EmbeddedError::io(path, e))?;
    let mut blocks = Vec::new();
    let mut at = 0usize;
    while bytes.len() - at >= HEADER_BYTES {
        let mut len = [0u8; 4];
        len.copy_from_slice(&bytes[at..at + 4]);
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_FRAME_BYTES {
            return Err(corrupt(
                path,
                offset + at as u64,
                "frame length is implausible",
            ));
        }
        let end = at + HEADER_BYTES + len;
        if end > bytes.len() {
            break;
        }
        let body = &bytes[at + HEADER_BYTES..end];
        let digest: [u8; 32] = Sha256::digest(body).into();
        if digest[..] != bytes[at + 4..at + HEADER_BYTES] {
            if end == bytes.len() {
                break; // torn tail of an interrupted append
            }
            return Err(corrupt(path, offset + at as u64, "checksum mismatch"));
        }
        let block = Block::decode(body)
            .map_err(|_| corrupt(path, offset + at as u64, "block does not decode"))?;
        blocks.push(block);
        at = end;
    }
    Ok((blocks, offset + at as u64, at != bytes.len()))
}

fn corrupt(path: &Path, offset: u64, what: &str) -> EmbeddedError {
    EmbeddedError::Corrupt(format!(
        "{} is damaged at byte {offset} ({what}); restore it from a backup or move it away to start a new ledger",
        path.display()
    ))
}

/// Appends one block at `offset` (cutting off any torn tail first) and syncs
/// it to disk. Returns the new end offset.
pub fn append(
    mut file: &File,
    offset: u64,
    block: &Block,
    path: &Path,
) -> Result<u64, EmbeddedError> {
    let body = block.encode_to_vec();
    let mut frame = Vec::with_capacity(HEADER_BYTES + body.len());
    let len =
        u32::try_from(body.len()).map_err(|_| EmbeddedError::Corrupt("block too large".into()))?;
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&Sha256::digest(&body));
    frame.extend_from_slice(&body);
    file.set_len(offset)
        .map_err(|e| EmbeddedError::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| EmbeddedError::io(path, e))?;
    file.write_all(&frame)
        .map_err(|e| EmbeddedError::io(path, e))?;
    file.sync_data().map_err(|e| EmbeddedError::io(path, e))?;
    Ok(offset + frame.len() as u64)
}

/// Opens (creating if needed) the log file for reading and appending.
pub fn open(path: &Path) -> Result<File, EmbeddedError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| EmbeddedError::io(path, e))
}
