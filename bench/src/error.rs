//! Why a benchmark could not run or finish.

use std::path::{Path, PathBuf};

use medchain_sdk::cast::CastError;
use medchain_sdk::ledger::LedgerError;
use medchain_sdk::workflow::WorkflowError;

/// A benchmark failure, in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or directory could not be read or written.
    #[error("cannot {action} {path}: {cause}")]
    Io {
        /// What was attempted ("read", "write", …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error (part of the message, not a separate cause).
        cause: std::io::Error,
    },
    /// Setting up a participant (wallet, connection, registration) failed.
    #[error(transparent)]
    Setup(#[from] CastError),
    /// A workflow step failed.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// A ledger call failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A wallet could not be read or updated.
    #[error(transparent)]
    Wallet(#[from] medchain_sdk::wallet::WalletError),
    /// A results file is not what this tool writes.
    #[error(
        "{path} is not a medchain-bench results file ({cause}); give the JSON a `latency` run wrote"
    )]
    Results {
        /// The file.
        path: PathBuf,
        /// The parse error.
        cause: serde_json::Error,
    },
    /// Something the benchmark needs is missing or inconsistent.
    #[error("{0}")]
    Invalid(String),
}

impl BenchError {
    /// An I/O failure on `path`.
    pub fn io(action: &'static str, path: &Path, cause: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_owned(),
            cause,
        }
    }
}

/// Results of benchmark steps.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
