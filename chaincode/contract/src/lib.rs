//! The medchain medical records contract.
//!
//! Functions (argument 0 is the function name):
//!
//! | function | argument | result |
//! |---|---|---|
//! | `Store` | an encoded `medchain.v1.InputParameter` | the key κ it was stored under |
//! | `Get` | κ (32 bytes, raw or 64 hex digits) | the stored input-parameter bytes |
//! | `GetCase` | κ0 (32 bytes, raw or hex) | a `CaseRecords` message: every record of the case |
//! | `GetParticipant` | `ind` (8 bytes big-endian, raw or 16 hex digits) | the stored `reg` input parameter |
//!
//! The contract is written against [`fabric_shim::Stub`] only, so the same
//! code runs under a Fabric peer (through `medchain-chaincode`) and
//! in-process (the client's embedded ledger). It is deterministic: it reads
//! no clock and no randomness and never iterates a hash map.
//!
//! See `docs/chaincode.md` for the validation rules and events.

#![forbid(unsafe_code)]

mod case;
pub mod consent;
mod creator;
mod error;
mod keys;
mod query;
mod store;
mod validate;

pub use case::{Case, ParticipantRef};
pub use creator::Creator;
pub use error::ContractError;
pub use keys::{case_index_range_attributes, record_state_key};
pub use query::record_type;
pub use store::role_name;

use fabric_shim::{Chaincode, InvokeError, Stub};
use medchain_protocol::function;

/// The paper's participant index `ind` of a transaction's creator.
pub trait CreatorIndex {
    /// The index of the certificate's key ([`medchain_protocol::participant_index`]).
    fn ind(&self) -> u64;
}

/// The medical records contract (stateless: all state is on the ledger).
#[derive(Debug, Default, Clone, Copy)]
pub struct MedicalRecords;

impl MedicalRecords {
    /// Runs one invocation and returns its payload or a contract error.
    pub async fn call<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, ContractError> {
        let args = stub.args();
        let Some((function, rest)) = args.split_first() else {
            return Err(ContractError::BadCall("no function name was given".into()));
        };
        let function = std::str::from_utf8(function)
            .map_err(|_| ContractError::BadCall("the function name is not UTF-8".into()))?;
        let argument = match rest {
            [argument] => argument.as_slice(),
            _ => {
                return Err(ContractError::BadCall(format!(
                    "{function} takes exactly one argument, got {}",
                    rest.len()
                )));
            }
        };
        match function {
            function::STORE => store::store(stub, argument).await,
            function::GET => query::get(stub, argument).await,
            function::GET_CASE => query::get_case(stub, argument).await,
            function::GET_PARTICIPANT => query::get_participant(stub, argument).await,
            other => Err(ContractError::BadCall(format!(
                "unknown function {other:?}; use Store, Get, GetCase or GetParticipant"
            ))),
        }
    }
}

impl Chaincode for MedicalRecords {
    async fn invoke<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
        self.call(stub).await.map_err(|e| {
            tracing::debug!(tx_id = stub.tx_id(), error = %e, "transaction rejected");
            e.to_invoke_error()
        })
    }
}
