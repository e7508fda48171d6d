//! The mock peer's reading loop and the state it shares with
//! [`super::MockPeer`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeMessage, Response};
use prost::Message;
use tokio::sync::{mpsc, oneshot};
use tonic::Streaming;

use super::ledger::Ledger;
use crate::server::codec::RawFrame;
use crate::server::router::TxKey;

/// Fabric's `shim.ERRORTHRESHOLD`: responses at or above it fail.
const ERROR_THRESHOLD: i32 = 400;

/// What the peer side knows, shared by the reader and the API.
pub(crate) struct State {
    pub ledger: Ledger,
    /// Transactions waiting for their `COMPLETED` / `ERROR`.
    pub waiting: HashMap<TxKey, oneshot::Sender<ChaincodeMessage>>,
    /// How many messages of each type the chaincode sent.
    pub received: HashMap<i32, usize>,
    /// Whether the stream has ended.
    pub closed: bool,
}

/// The shared state.
pub(crate) type Shared = Arc<Mutex<State>>;

/// Locks the shared state (a panic elsewhere does not make it unusable).
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a response lets the endorser endorse (status 200 to 399).
pub(crate) fn succeeded(response: &Response) -> bool {
    (200..ERROR_THRESHOLD).contains(&response.status)
}

/// Whether a final message commits its transaction.
fn commits(msg: &ChaincodeMessage) -> bool {
    msg.r#type == Type::Completed as i32
        && Response::decode(msg.payload.as_slice()).is_ok_and(|response| succeeded(&response))
}

/// The peer's reading loop: answers requests, finishes transactions, and
/// passes everything else on as unsolicited.
pub(crate) async fn read(
    mut inbound: Streaming<ChaincodeMessage>,
    outbound: mpsc::Sender<RawFrame>,
    shared: Shared,
    unsolicited: mpsc::UnboundedSender<ChaincodeMessage>,
) {
    while let Ok(Some(msg)) = inbound.message().await {
        let kind = Type::try_from(msg.r#type);
        let reply = {
            let mut state = lock(&shared);
            *state.received.entry(msg.r#type).or_default() += 1;
            match kind {
                Ok(Type::Completed | Type::Error) => {
                    let key = TxKey::of(&msg);
                    match state.waiting.remove(&key) {
                        Some(done) => {
                            let commit = commits(&msg);
                            state.ledger.finish(&key, commit);
                            let _ = done.send(msg);
                        }
                        None => {
                            let _ = unsolicited.send(msg);
                        }
                    }
                    None
                }
                Ok(
                    Type::GetState
                    | Type::PutState
                    | Type::DelState
                    | Type::GetStateByRange
                    | Type::QueryStateNext
                    | Type::QueryStateClose
                    | Type::GetHistoryForKey,
                ) => Some(state.ledger.handle(&msg)),
                _ => {
                    let _ = unsolicited.send(msg);
                    None
                }
            }
        };
        if let Some(reply) = reply
            && outbound
                .send(RawFrame(reply.encode_to_vec()))
                .await
                .is_err()
        {
            break;
        }
    }
    let mut state = lock(&shared);
    state.closed = true;
    state.waiting.clear();
    state.ledger.abandon_all();
}
