//! The medchain medical records contract.
//!
//! Functions (argument 0 is the function name):
//!
//! | function | argument | result |
//! |---|---|---|
//! | `Store` | an encoded `medchain.v1.InputParameter` | the key κ it was stored under |
//! | `Get` | κ (32 bytes, raw or 64 hex digits) | the stored input-parameter bytes |
//! | `GetCase` | κ0 (32 bytes, raw or hex), optionally a bookmark | a `CaseRecords` message: one page of the case's records and the next page's bookmark |
//! | `GetParticipant` | `ind` (8 bytes big-endian, raw or 16 hex digits) | the stored `reg` input parameter |
//! | `Init` | hex of a `medchain.v1.ConsortiumPolicy` (only as the chaincode's initialization) | the policy bytes |
//! | `GetPolicy` | none | the stored `ConsortiumPolicy` bytes |
//!
//! The contract is written against [`fabric_shim::Stub`] only, so the same
//! code runs under a Fabric peer (through `medchain-chaincode`) and
//! in-process (the client's embedded ledger). It is deterministic: it reads
//! no clock and no randomness and never iterates a hash map.
//!
//! See `docs/chaincode.md` for the validation rules and events.

#![forbid(unsafe_code)]

mod canonical;
mod case;
pub mod consent;
mod creator;
pub mod epoch;
mod error;
mod keys;
pub mod policy;
mod query;
mod store;
mod validate;

pub use case::{Case, ParticipantRef};
pub use creator::Creator;
pub use error::ContractError;
pub use keys::{case_index_range_attributes, is_case_index_key, record_state_key};
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
///
/// # Example
///
/// The contract served by the shim's chaincode server to the in-process
/// mock peer (`fabric-shim`'s `mock-peer` feature), as a Fabric peer runs it
/// in chaincode-as-a-service mode. Asking for a participant nobody
/// registered is refused with the typed refusal `not_found` (status 404):
///
/// ```
/// use std::collections::BTreeMap;
///
/// use fabric_shim::mock_peer::{MockPeer, serialized_identity};
/// use fabric_shim::server::{ServerConfig, serve_on_listener};
/// use medchain_contract::MedicalRecords;
/// use medchain_protocol::{ContractFailure, ErrorCode, function};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let address = listener.local_addr()?;
/// let config = ServerConfig::new(address, "medchain:1");
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(serve_on_listener(listener, config, MedicalRecords, async {
///     let _ = stopped.await;
/// }));
///
/// let peer = MockPeer::connect(address).await?;
/// let creator = serialized_identity("Org1MSP", "");
/// let ind = 42_u64.to_be_bytes(); // nobody registered with this index
/// let args: [&[u8]; 2] = [function::GET_PARTICIPANT.as_bytes(), &ind];
/// let done = peer.invoke(&creator, &args, &BTreeMap::new()).await?;
///
/// let refusal = ContractFailure::parse(done.response.status, &done.response.message)
///     .ok_or("not a refusal in the wire form")?;
/// assert_eq!(refusal.code, ErrorCode::NotFound);
/// assert_eq!(done.response.status, 404);
/// assert!(done.response.message.starts_with("not_found: "));
/// assert!(!done.committed);
///
/// drop(peer);
/// let _ = stop.send(());
/// server.await??;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct MedicalRecords;

impl MedicalRecords {
    /// Runs one invocation (a `TRANSACTION` message) and returns its
    /// payload or a contract error.
    pub async fn call<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, ContractError> {
        let (function, rest) = split_call(stub)?;
        match (function, rest) {
            (function::GET_POLICY, []) => policy::get_policy(stub).await,
            (function::GET_POLICY, _) => Err(ContractError::BadCall(format!(
                "GetPolicy takes no argument, got {}",
                rest.len()
            ))),
            (function::INIT, _) => Err(ContractError::BadCall(
                "Init runs only as the chaincode's initialization (invoke it with --isInit on a definition approved with --init-required)".into(),
            )),
            (function, [argument]) => {
                let argument = argument.as_slice();
                match function {
                    function::STORE => store::store(stub, argument).await,
                    function::GET => query::get(stub, argument).await,
                    function::GET_CASE => query::get_case(stub, argument, None).await,
                    function::GET_PARTICIPANT => query::get_participant(stub, argument).await,
                    other => Err(unknown_function(other)),
                }
            }
            (function::GET_CASE, [argument, bookmark]) => {
                query::get_case(stub, argument, Some(bookmark.as_slice())).await
            }
            (function::GET_CASE, _) => Err(ContractError::BadCall(format!(
                "GetCase takes the case key κ0 and an optional bookmark, got {} arguments",
                rest.len()
            ))),
            (function::STORE | function::GET | function::GET_PARTICIPANT, _) => {
                Err(ContractError::BadCall(format!(
                    "{function} takes exactly one argument, got {}",
                    rest.len()
                )))
            }
            (other, _) => Err(unknown_function(other)),
        }
    }

    /// Runs the chaincode's initialization (an `INIT` message): `Init` with
    /// the consortium's role policy.
    pub async fn initialize<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, ContractError> {
        match split_call(stub)? {
            (function::INIT, [argument]) => policy::init(stub, argument).await,
            (function::INIT, rest) => Err(ContractError::BadCall(format!(
                "Init takes exactly one argument (the hex-encoded role policy), got {}",
                rest.len()
            ))),
            (other, _) => Err(ContractError::BadCall(format!(
                "the chaincode's initialization must call Init with the role policy, not {other:?}"
            ))),
        }
    }
}

/// The function name (UTF-8) and the arguments after it.
fn split_call<S: Stub>(stub: &S) -> Result<(&str, &[Vec<u8>]), ContractError> {
    let Some((function, rest)) = stub.args().split_first() else {
        return Err(ContractError::BadCall("no function name was given".into()));
    };
    let function = std::str::from_utf8(function)
        .map_err(|_| ContractError::BadCall("the function name is not UTF-8".into()))?;
    Ok((function, rest))
}

fn unknown_function(name: &str) -> ContractError {
    ContractError::BadCall(format!(
        "unknown function {name:?}; use Store, Get, GetCase, GetParticipant or GetPolicy"
    ))
}

impl Chaincode for MedicalRecords {
    async fn init<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
        self.initialize(stub).await.map_err(|e| {
            tracing::warn!(tx_id = stub.tx_id(), error = %e, "initialization rejected");
            e.to_invoke_error()
        })
    }

    async fn invoke<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
        self.call(stub).await.map_err(|e| {
            tracing::debug!(tx_id = stub.tx_id(), error = %e, "transaction rejected");
            e.to_invoke_error()
        })
    }
}
