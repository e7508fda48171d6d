//! The trait a chaincode implements, and the error a chaincode function
//! returns.

use std::fmt;
use std::future::Future;

use crate::stub::Stub;

/// Fabric's status of a failed response (`shim.ERROR`), the status of an
/// [`InvokeError`] unless the chaincode chooses another.
pub const STATUS_ERROR: i32 = 500;

/// The range of statuses a failed response may carry: Fabric treats a
/// status of 400 or more as an error (`shim.ERRORTHRESHOLD`) and 200 to 399
/// as success; the shim keeps error statuses within HTTP's error classes.
pub const ERROR_STATUSES: std::ops::RangeInclusive<i32> = 400..=599;

/// Why a chaincode function failed: the status and message of the failed
/// transaction's response. Nothing the transaction wrote is kept.
///
/// Any error converts into one with status 500 and its `Display` text as
/// message (so `?` works on every error); [`InvokeError::with_status`]
/// chooses another error status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeError {
    status: i32,
    message: String,
}

/// A response status outside [`ERROR_STATUSES`] given for a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("status {0} is not an error status (400 to 599)")]
pub struct InvalidStatus(pub i32);

impl InvokeError {
    /// A failure with status 500 and `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            status: STATUS_ERROR,
            message: message.into(),
        }
    }

    /// A failure with `status` (400 to 599) and `message`; any other status
    /// is refused, since Fabric would not treat the response as a failure
    /// (below 400) or it is no error class (above 599).
    pub fn with_status(status: i32, message: impl Into<String>) -> Result<Self, InvalidStatus> {
        if ERROR_STATUSES.contains(&status) {
            Ok(Self {
                status,
                message: message.into(),
            })
        } else {
            Err(InvalidStatus(status))
        }
    }

    /// The response status (400 to 599; 500 unless chosen).
    pub fn status(&self) -> i32 {
        self.status
    }

    /// The response message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// `InvokeError` itself implements no `std::error::Error`, so that every
// error converts into it.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for InvokeError {
    fn from(error: E) -> Self {
        Self::new(error.to_string())
    }
}

/// A chaincode: the functions Fabric calls on `Init` and on every
/// transaction proposal.
///
/// The same implementation runs under a Fabric peer (through the shim's
/// server) and in-process over any other [`Stub`] implementation.
pub trait Chaincode: Send + Sync + 'static {
    /// Called for an `INIT` message (only when the chaincode definition
    /// requires initialisation). The default does nothing and succeeds. A
    /// failure is answered with an `ERROR` message carrying its message (as
    /// Fabric's shims do), so its status is not sent.
    fn init<S: Stub>(&self, stub: &S) -> impl Future<Output = Result<Vec<u8>, InvokeError>> + Send {
        let _ = stub;
        async { Ok(Vec::new()) }
    }

    /// Called for every `TRANSACTION` message. `Ok(payload)` becomes a
    /// status-200 response carrying `payload`; `Err(e)` a response with
    /// `e.status()` and `e.message()` and no payload, and nothing the
    /// transaction wrote is kept.
    fn invoke<S: Stub>(
        &self,
        stub: &S,
    ) -> impl Future<Output = Result<Vec<u8>, InvokeError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_converts_with_status_500() {
        let error = InvokeError::from(std::fmt::Error);
        assert_eq!(error.status(), 500);
        assert_eq!(error.message(), std::fmt::Error.to_string());
        assert_eq!(InvokeError::new("refused").to_string(), "refused");
    }

    #[test]
    fn only_error_statuses_can_be_chosen() {
        for status in [400, 404, 409, 599] {
            let error = InvokeError::with_status(status, "no");
            assert_eq!(error.map(|e| e.status()), Ok(status));
        }
        for status in [-1, 0, 200, 302, 399, 600, 1000] {
            assert_eq!(
                InvokeError::with_status(status, "no"),
                Err(InvalidStatus(status))
            );
        }
    }
}
