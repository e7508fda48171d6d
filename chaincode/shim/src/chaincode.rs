//! The trait a chaincode implements.

use std::future::Future;

use crate::stub::Stub;

/// The error a chaincode function returns; its `Display` text becomes the
/// message of the failed transaction's response (status 500).
pub type InvokeError = Box<dyn std::error::Error + Send + Sync>;

/// A chaincode: the functions Fabric calls on `Init` and on every
/// transaction proposal.
///
/// The same implementation runs under a Fabric peer (through the shim's
/// server) and in-process over any other [`Stub`] implementation.
pub trait Chaincode: Send + Sync + 'static {
    /// Called for an `INIT` message (only when the chaincode definition
    /// requires initialisation). The default does nothing and succeeds.
    fn init<S: Stub>(&self, stub: &S) -> impl Future<Output = Result<Vec<u8>, InvokeError>> + Send {
        let _ = stub;
        async { Ok(Vec::new()) }
    }

    /// Called for every `TRANSACTION` message. `Ok(payload)` becomes a
    /// status-200 response carrying `payload`; `Err(e)` a status-500
    /// response whose message is `e.to_string()`, and nothing the
    /// transaction wrote is kept.
    fn invoke<S: Stub>(
        &self,
        stub: &S,
    ) -> impl Future<Output = Result<Vec<u8>, InvokeError>> + Send;
}
