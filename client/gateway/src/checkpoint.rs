//! Where a chaincode event listener resumes: a [`Checkpoint`] names the
//! block to read from and the last transaction in that block whose event
//! was already handled. The gateway is asked to start at that block
//! (`SeekPosition::Specified`) and to skip events up to and including that
//! transaction (`after_transaction_id`), so a listener that saves a
//! checkpoint after each event and restarts from it sees every event
//! exactly once.
//!
//! Checkpoints are saved through a [`CheckpointStore`]: in memory, or in a
//! file written atomically with mode 0600.

use std::path::{Path, PathBuf};

use fabric_protos::orderer::{SeekNextCommit, SeekPosition, SeekSpecified, seek_position};
use serde::{Deserialize, Serialize};

use super::event::ChaincodeEvent;
use crate::private_file::write_private_file;

/// The position after the last handled event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    block_number: u64,
    transaction_id: Option<String>,
}

impl Checkpoint {
    /// Resume in `block_number`, after the event of `transaction_id` (or at
    /// the start of the block when `None`). An empty transaction id counts
    /// as `None`.
    pub fn new(block_number: u64, transaction_id: Option<String>) -> Self {
        Self {
            block_number,
            transaction_id: transaction_id.filter(|tx| !tx.is_empty()),
        }
    }

    /// The position just after `event`.
    pub fn after_event(event: &ChaincodeEvent) -> Self {
        Self::new(event.block_number, Some(event.tx_id.clone()))
    }

    /// The position at the start of the block after `block_number` (every
    /// event of that block handled).
    pub fn after_block(block_number: u64) -> Self {
        Self::new(block_number.saturating_add(1), None)
    }

    /// The block to resume reading from.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    /// The last handled transaction in that block, if any.
    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction_id.as_deref()
    }

    /// Whether `event` lies at or before this position, i.e. was already
    /// handled. (A Fabric transaction emits at most one chaincode event, so
    /// block number and transaction id identify it.)
    pub fn covers(&self, event: &ChaincodeEvent) -> bool {
        event.block_number < self.block_number
            || (event.block_number == self.block_number
                && self.transaction_id.as_deref() == Some(event.tx_id.as_str()))
    }
}

/// Where a chaincode event stream starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPosition {
    /// With the next block committed after the request.
    NextCommit,
    /// At the start of this block (0 reads the whole ledger).
    Block(u64),
    /// Just after a saved checkpoint.
    Checkpoint(Checkpoint),
}

impl StartPosition {
    /// The saved checkpoint if there is one, otherwise `otherwise` — how a
    /// restarted listener picks up where it left off.
    pub fn resume(saved: Option<Checkpoint>, otherwise: StartPosition) -> Self {
        saved.map_or(otherwise, StartPosition::Checkpoint)
    }

    /// The checkpoint, for a position that is one.
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        match self {
            StartPosition::Checkpoint(checkpoint) => Some(checkpoint),
            _ => None,
        }
    }

    /// The `start_position` and `after_transaction_id` fields of a
    /// `gateway.ChaincodeEventsRequest`.
    pub(crate) fn to_request_fields(&self) -> (SeekPosition, String) {
        let specified = |number| seek_position::Type::Specified(SeekSpecified { number });
        let (seek, after) = match self {
            StartPosition::NextCommit => (
                seek_position::Type::NextCommit(SeekNextCommit {}),
                String::new(),
            ),
            StartPosition::Block(number) => (specified(*number), String::new()),
            StartPosition::Checkpoint(checkpoint) => (
                specified(checkpoint.block_number),
                checkpoint.transaction_id.clone().unwrap_or_default(),
            ),
        };
        (SeekPosition { r#type: Some(seek) }, after)
    }
}

impl From<Checkpoint> for StartPosition {
    fn from(checkpoint: Checkpoint) -> Self {
        StartPosition::Checkpoint(checkpoint)
    }
}

/// Why a checkpoint could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The checkpoint file could not be read or written.
    #[error("cannot {action} the event checkpoint {}: {source}", path.display())]
    Io {
        /// "read" or "save".
        action: &'static str,
        /// The checkpoint file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The checkpoint file exists but is not a checkpoint.
    #[error("{} is not a valid event checkpoint ({reason}); it was left as it is: restore it, or move it away to start from the default position", path.display())]
    Corrupt {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Keeps the last checkpoint of an event listener.
pub trait CheckpointStore {
    /// The saved checkpoint, or `None` if nothing was saved yet.
    fn load(&self) -> Result<Option<Checkpoint>, CheckpointError>;

    /// Saves `checkpoint`, replacing the previous one.
    fn save(&mut self, checkpoint: &Checkpoint) -> Result<(), CheckpointError>;

    /// Records that `event` was handled.
    fn save_event(&mut self, event: &ChaincodeEvent) -> Result<(), CheckpointError> {
        self.save(&Checkpoint::after_event(event))
    }
}

/// A checkpoint store in memory (lost when the process ends).
#[derive(Debug, Clone, Default)]
pub struct InMemoryCheckpointStore {
    saved: Option<Checkpoint>,
}

impl InMemoryCheckpointStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl CheckpointStore for InMemoryCheckpointStore {
    fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        Ok(self.saved.clone())
    }

    fn save(&mut self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        self.saved = Some(checkpoint.clone());
        Ok(())
    }
}

/// A checkpoint store in a JSON file, replaced atomically (temporary file +
/// rename) with mode 0600 on every save. A missing file means "nothing
/// saved yet"; an unreadable one is reported, never overwritten silently.
#[derive(Debug, Clone)]
pub struct FileCheckpointStore {
    path: PathBuf,
}

/// The `format` field of a checkpoint file.
const FILE_FORMAT: &str = "medchain-event-checkpoint";
/// The `version` field of a checkpoint file.
const FILE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointFile {
    format: String,
    version: u32,
    block_number: u64,
    transaction_id: Option<String>,
}

impl FileCheckpointStore {
    /// A store kept in the file at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn corrupt(&self, reason: impl Into<String>) -> CheckpointError {
        CheckpointError::Corrupt {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }
}

impl CheckpointStore for FileCheckpointStore {
    fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CheckpointError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let file: CheckpointFile =
            serde_json::from_slice(&bytes).map_err(|e| self.corrupt(e.to_string()))?;
        if file.format != FILE_FORMAT {
            return Err(self.corrupt(format!(
                "its format is {:?}, not {FILE_FORMAT:?}",
                file.format
            )));
        }
        if file.version != FILE_VERSION {
            return Err(self.corrupt(format!(
                "it has version {}, and this client reads version {FILE_VERSION}",
                file.version
            )));
        }
        if file.transaction_id.as_deref() == Some("") {
            return Err(self.corrupt("its transaction id is empty"));
        }
        Ok(Some(Checkpoint::new(
            file.block_number,
            file.transaction_id,
        )))
    }

    fn save(&mut self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        let file = CheckpointFile {
            format: FILE_FORMAT.to_owned(),
            version: FILE_VERSION,
            block_number: checkpoint.block_number,
            transaction_id: checkpoint.transaction_id.clone(),
        };
        serde_json::to_vec_pretty(&file)
            .map_err(std::io::Error::other)
            .and_then(|mut json| {
                json.push(b'\n');
                write_private_file(&self.path, &json)
            })
            .map_err(|source| CheckpointError::Io {
                action: "save",
                path: self.path.clone(),
                source,
            })
    }
}
