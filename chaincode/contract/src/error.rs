//! The contract's errors: each is one sentence saying what is wrong.

use fabric_shim::StubError;

/// Why the contract rejected a call. The `Display` text is what the client
/// sees (Fabric returns it as the proposal response message).
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The function name or argument count is wrong.
    #[error("bad call: {0}")]
    BadCall(String),
    /// The input parameter is malformed or violates a size bound.
    #[error("invalid {record}: {message}")]
    Invalid {
        /// The record type being stored (`reg`, `txtc`, …) or `argument`.
        record: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The creator is not allowed to store this record.
    #[error("not authorized to store {record}: {message}")]
    Unauthorized {
        /// The record type being stored.
        record: &'static str,
        /// Why not.
        message: String,
    },
    /// The key already exists: storing is write-once.
    #[error("already stored: {0}")]
    AlreadyStored(String),
    /// A step of the workflow was taken before the steps it depends on.
    #[error("out of order: {0}")]
    OutOfOrder(String),
    /// Something the call refers to does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored value that should be valid could not be decoded.
    #[error("corrupt ledger state: {0}")]
    Corrupt(String),
    /// The ledger refused a read or write.
    #[error(transparent)]
    Ledger(#[from] StubError),
}

impl ContractError {
    /// An [`ContractError::Invalid`] for `record`.
    pub(crate) fn invalid(record: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            record,
            message: message.into(),
        }
    }

    /// An [`ContractError::Unauthorized`] for `record`.
    pub(crate) fn unauthorized(record: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized {
            record,
            message: message.into(),
        }
    }
}
