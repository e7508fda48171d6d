//! The contract's errors: each is one sentence saying what is wrong, under
//! one of the protocol's error codes.

use fabric_shim::{InvokeError, StubError};
use medchain_protocol::ErrorCode;

/// Why the contract rejected a call. The `Display` text is the wire form
/// `<code>: <sentence>` of [`medchain_protocol::error`] that the client
/// sees (Fabric returns it as the proposal response message, with the
/// code's status).
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The function name or argument count is wrong.
    #[error("bad_call: {0}")]
    BadCall(String),
    /// The input parameter is malformed or violates a size bound.
    #[error("invalid: {record}: {message}")]
    Invalid {
        /// The record type being stored (`reg`, `txtc`, …) or `argument`.
        record: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The creator is not allowed to store this record.
    #[error("unauthorized: {record}: {message}")]
    Unauthorized {
        /// The record type being stored.
        record: &'static str,
        /// Why not.
        message: String,
    },
    /// The key already exists: storing is write-once.
    #[error("already_stored: {0}")]
    AlreadyStored(String),
    /// A step of the workflow was taken before the steps it depends on.
    #[error("out_of_order: {0}")]
    OutOfOrder(String),
    /// Something the call refers to does not exist.
    #[error("not_found: {0}")]
    NotFound(String),
    /// A stored value that should be valid could not be decoded.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// The ledger refused a read or write.
    #[error("ledger: {0}")]
    Ledger(#[from] StubError),
}

impl ContractError {
    /// The protocol's error code of this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadCall(_) => ErrorCode::BadCall,
            Self::Invalid { .. } => ErrorCode::Invalid,
            Self::Unauthorized { .. } => ErrorCode::Unauthorized,
            Self::AlreadyStored(_) => ErrorCode::AlreadyStored,
            Self::OutOfOrder(_) => ErrorCode::OutOfOrder,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Corrupt(_) => ErrorCode::Corrupt,
            Self::Ledger(_) => ErrorCode::Ledger,
        }
    }

    /// The chaincode response of this refusal: the code's status and the
    /// wire form as message.
    pub fn to_invoke_error(&self) -> InvokeError {
        let code = self.code();
        // Every code's status is an error status; should one not be, the
        // refusal still fails, with status 500.
        InvokeError::with_status(code.status(), self.to_string())
            .unwrap_or_else(|_| InvokeError::new(self.to_string()))
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use medchain_protocol::ContractFailure;

    #[test]
    fn every_error_is_sent_in_the_wire_form_with_its_codes_status() {
        let errors = [
            ContractError::BadCall("no function name was given".into()),
            ContractError::invalid("reg", "the role must be set"),
            ContractError::unauthorized("txtc", "only a doctor opens a case"),
            ContractError::AlreadyStored("participant 07".into()),
            ContractError::OutOfOrder("the case key is not established yet".into()),
            ContractError::NotFound("no case is stored under key 00".into()),
            ContractError::Corrupt("a stored record does not decode".into()),
            ContractError::Ledger(StubError::Disconnected("GET_STATE")),
        ];
        let codes: Vec<ErrorCode> = errors.iter().map(ContractError::code).collect();
        assert_eq!(codes, ErrorCode::ALL);
        for error in &errors {
            let sent = error.to_invoke_error();
            assert_eq!(sent.status(), error.code().status(), "{error}");
            assert_eq!(sent.message(), error.to_string());
            let failure = ContractFailure::parse(sent.status(), sent.message());
            assert_eq!(failure.map(|f| f.code), Some(error.code()), "{error}");
        }
        assert_eq!(errors[1].to_string(), "invalid: reg: the role must be set");
    }
}
