//! The workflow's errors: one sentence each, saying what is wrong and what
//! to do.

use crate::attachments::AttachmentError;
use crate::body::BodyError;
use crate::ledger::LedgerError;
use crate::wallet::WalletError;
use medchain_siff::CryptoError;

/// Why a workflow step failed. Nothing already stored is lost by a failed
/// step: the ledger is write-once and the wallet is rewritten atomically.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The ledger failed or rejected the transaction.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A cryptographic step failed (e.g. a wrong password).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The wallet could not be read or written.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The case does not exist on the ledger.
    #[error("there is no case {0} on the ledger; check the case id")]
    UnknownCase(String),
    /// The user is not a participant of the case.
    #[error("you are not a participant of case {0}")]
    NotParticipant(String),
    /// A step was taken before the steps it depends on.
    #[error("{0}")]
    OutOfOrder(String),
    /// The input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The case's doctor is not one the consortium trusts, or a tag was
    /// not signed by the case's doctor (the sentence says why); the case is
    /// not answered and the tag not used.
    #[error("{0}")]
    Untrusted(String),
    /// A participant's answer to a case cannot be used, so the case cannot
    /// be completed (the sentence names the participant).
    #[error("{0}")]
    UnusableResponse(String),
    /// An attachment could not be stored or fetched (nothing of it was
    /// written to disk, and no record was stored).
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// A record's body (content and attachment references) is not valid.
    #[error(transparent)]
    Body(#[from] BodyError),
}

impl WorkflowError {
    /// Whether the step failed because the connection to the ledger broke
    /// (worth trying again once it is back).
    pub fn is_connection_failure(&self) -> bool {
        matches!(self, Self::Ledger(e) if e.is_connection_failure())
    }
}
