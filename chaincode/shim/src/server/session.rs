//! One `Connect` stream with a peer: the handshake (`REGISTER` →
//! `REGISTERED` → `READY`), then `INIT` / `TRANSACTION` messages, each run
//! in its own task, while the peer's replies are routed to the transaction
//! waiting for them.
//!
//! The reading loop never waits for a transaction: it only decodes, routes
//! and spawns. Everything the shim sends goes through one queue that tonic
//! drains onto the stream.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeId, ChaincodeMessage};
use futures::{Stream, StreamExt};
use prost::Message;
use tokio::sync::{mpsc, watch};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::TIMING_TARGET;
use super::codec::RawFrame;
use super::messages::{completed, error_reply, for_tx, response, type_name};
use super::peer_stub::{PeerLink, PeerStub};
use super::proposal::TxContext;
use super::router::{Router, TxKey, Unroutable};
use crate::chaincode::{Chaincode, InvokeError};

/// How many outbound messages may queue before senders wait.
const OUTBOUND_QUEUE: usize = 256;

/// How long a shutting-down stream waits for running transactions (Fabric's
/// default execute timeout) before abandoning them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The stream of messages to the peer.
pub type OutboundStream = Pin<Box<dyn Stream<Item = Result<ChaincodeMessage, Status>> + Send>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `REGISTER` sent, waiting for `REGISTERED`.
    Created,
    /// Waiting for `READY`.
    Established,
    /// Serving transactions.
    Ready,
}

impl Phase {
    fn describe(self) -> &'static str {
        match self {
            Phase::Created => "waiting for REGISTERED",
            Phase::Established => "waiting for READY",
            Phase::Ready => "ready",
        }
    }
}

struct Running {
    key: TxKey,
    is_init: bool,
    stub: Arc<PeerStub>,
    /// When the `INIT` / `TRANSACTION` message arrived.
    started: Instant,
}

struct Session<C> {
    chaincode: Arc<C>,
    link: PeerLink,
    phase: Phase,
    tasks: JoinSet<Result<Vec<u8>, InvokeError>>,
    running: HashMap<Id, Running>,
    peer: String,
}

/// Starts serving one `Connect` stream: queues `REGISTER` and spawns the
/// session; returns the outbound stream for tonic to send.
pub fn start<C: Chaincode, I>(
    chaincode: Arc<C>,
    chaincode_id: Arc<str>,
    inbound: I,
    shutdown: watch::Receiver<bool>,
    peer: Option<SocketAddr>,
) -> OutboundStream
where
    I: Stream<Item = Result<RawFrame, Status>> + Send + Unpin + 'static,
{
    let (outbound, queue) = mpsc::channel(OUTBOUND_QUEUE);
    let session = Session {
        chaincode,
        link: PeerLink {
            outbound,
            router: Arc::new(Router::new()),
            chaincode_id,
        },
        phase: Phase::Created,
        tasks: JoinSet::new(),
        running: HashMap::new(),
        peer: peer.map_or_else(|| "unknown".to_owned(), |a| a.to_string()),
    };
    tokio::spawn(session.run(inbound, shutdown));
    Box::pin(ReceiverStream::new(queue).map(Ok))
}

fn panic_text(error: JoinError) -> String {
    if !error.is_panic() {
        return "the chaincode task was cancelled".into();
    }
    let panic = error.into_panic();
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".into());
    format!("chaincode panicked: {text}")
}

impl<C: Chaincode> Session<C> {
    async fn run<I>(mut self, mut inbound: I, mut shutdown: watch::Receiver<bool>)
    where
        I: Stream<Item = Result<RawFrame, Status>> + Send + Unpin + 'static,
    {
        tracing::info!(peer = %self.peer, "peer connected; sending REGISTER");
        let register = ChaincodeId {
            name: self.link.chaincode_id.to_string(),
            ..Default::default()
        };
        self.send(ChaincodeMessage {
            r#type: Type::Register as i32,
            payload: register.encode_to_vec(),
            ..Default::default()
        })
        .await;

        let mut drain_deadline = (*shutdown.borrow()).then(|| Instant::now() + DRAIN_TIMEOUT);
        loop {
            if drain_deadline.is_some() && self.tasks.is_empty() {
                tracing::info!(peer = %self.peer, "closing the stream for shutdown");
                break;
            }
            let deadline = drain_deadline.unwrap_or_else(|| Instant::now() + DRAIN_TIMEOUT);
            tokio::select! {
                frame = inbound.next() => match frame {
                    Some(Ok(frame)) => self.on_frame(frame, drain_deadline.is_some()).await,
                    Some(Err(status)) => {
                        tracing::warn!(peer = %self.peer, code = ?status.code(), "the peer stream failed");
                        break;
                    }
                    None => {
                        tracing::info!(peer = %self.peer, "the peer closed the stream");
                        break;
                    }
                },
                Some(finished) = self.tasks.join_next_with_id() => self.on_finished(finished).await,
                _ = shutdown.changed(), if drain_deadline.is_none() => {
                    tracing::info!(peer = %self.peer, running = self.tasks.len(), "shutdown: finishing running transactions");
                    drain_deadline = Some(Instant::now() + DRAIN_TIMEOUT);
                }
                () = tokio::time::sleep_until(deadline), if drain_deadline.is_some() => {
                    tracing::warn!(peer = %self.peer, abandoned = self.tasks.len(), "shutdown: transactions still running after the drain timeout");
                    break;
                }
            }
        }
        // Wake every waiting request; dropping the JoinSet aborts what still runs.
        self.link.router.close();
        if !self.running.is_empty() {
            tracing::warn!(peer = %self.peer, abandoned = self.running.len(), "stream ended with transactions running");
        }
    }

    async fn send(&self, msg: ChaincodeMessage) {
        if self.link.outbound.send(msg).await.is_err() {
            tracing::debug!(peer = %self.peer, "the outbound stream is closed");
        }
    }

    async fn reply_error(&self, to: &ChaincodeMessage, text: &str) {
        tracing::warn!(
            peer = %self.peer,
            tx_id = %to.txid,
            message_type = %type_name(to.r#type),
            problem = text,
            "replying ERROR"
        );
        self.send(error_reply(to, text)).await;
    }

    async fn on_frame(&mut self, frame: RawFrame, draining: bool) {
        let msg = match ChaincodeMessage::decode(frame.0.as_slice()) {
            Ok(msg) => msg,
            Err(e) => {
                let text = format!(
                    "undecodable ChaincodeMessage ({} bytes): {e}",
                    frame.0.len()
                );
                self.reply_error(&ChaincodeMessage::default(), &text).await;
                return;
            }
        };
        let Ok(kind) = Type::try_from(msg.r#type) else {
            let text = format!("unknown message type {}", msg.r#type);
            self.reply_error(&msg, &text).await;
            return;
        };
        tracing::trace!(peer = %self.peer, tx_id = %msg.txid, message_type = kind.as_str_name(), "received");
        match (self.phase, kind) {
            (_, Type::Keepalive) => self.send(msg).await,
            (Phase::Created, Type::Registered) => {
                tracing::debug!(peer = %self.peer, "REGISTERED");
                self.phase = Phase::Established;
            }
            (Phase::Established, Type::Ready) => {
                // READY's payload (ChaincodeAdditionalParams) offers write
                // batching; this shim sends plain PUT_STATE / DEL_STATE.
                tracing::info!(peer = %self.peer, "peer READY");
                self.phase = Phase::Ready;
            }
            (Phase::Ready, Type::Response | Type::Error) => self.route(msg).await,
            (Phase::Ready, Type::Init | Type::Transaction) => {
                self.start_transaction(msg, kind, draining).await
            }
            (_, Type::Error) => {
                tracing::warn!(peer = %self.peer, tx_id = %msg.txid, "the peer sent ERROR before READY");
            }
            (phase, kind) => {
                let text = format!(
                    "cannot handle {} while {}",
                    kind.as_str_name(),
                    phase.describe()
                );
                self.reply_error(&msg, &text).await;
            }
        }
    }

    async fn route(&self, msg: ChaincodeMessage) {
        let is_error = msg.r#type == Type::Error as i32;
        let kind = type_name(msg.r#type);
        let tx_id = msg.txid.clone();
        let failure = if msg.txid.is_empty() {
            Some(format!("{kind} message has no txid"))
        } else {
            match self.link.router.deliver(msg.clone()) {
                Ok(()) => None,
                Err(Unroutable::UnknownTransaction) => Some(format!(
                    "{kind} for transaction {tx_id}, which is not running"
                )),
                Err(Unroutable::NotWaiting) => Some(format!(
                    "{kind} for transaction {tx_id}, which has no request outstanding"
                )),
            }
        };
        if let Some(text) = failure {
            if is_error {
                // Never answer an ERROR with an ERROR.
                tracing::warn!(peer = %self.peer, tx_id = %tx_id, problem = %text, "dropping an unroutable ERROR");
            } else {
                self.reply_error(&msg, &text).await;
            }
        }
    }

    async fn start_transaction(&mut self, msg: ChaincodeMessage, kind: Type, draining: bool) {
        let name = kind.as_str_name();
        if msg.txid.is_empty() {
            return self
                .reply_error(&msg, &format!("{name} message has no txid"))
                .await;
        }
        if draining {
            return self
                .reply_error(&msg, "the chaincode server is shutting down; send the transaction to another instance")
                .await;
        }
        let ctx = match TxContext::from_message(&msg) {
            Ok(ctx) => ctx,
            Err(reason) => {
                return self
                    .reply_error(&msg, &format!("malformed {name}: {reason}"))
                    .await;
            }
        };
        let key = TxKey::of(&msg);
        if !self.link.router.register(key.clone()) {
            let text = format!(
                "transaction {} on channel {:?} is already running",
                key.tx_id, key.channel_id
            );
            return self.reply_error(&msg, &text).await;
        }

        let stub = Arc::new(PeerStub::new(ctx, self.link.clone()));
        let task_stub = Arc::clone(&stub);
        let chaincode = Arc::clone(&self.chaincode);
        let is_init = kind == Type::Init;
        let handle = self.tasks.spawn(async move {
            let outcome = if is_init {
                chaincode.init(&*task_stub).await
            } else {
                chaincode.invoke(&*task_stub).await
            };
            task_stub.close_dropped_queries().await;
            outcome
        });
        tracing::debug!(peer = %self.peer, tx_id = %key.tx_id, channel = %key.channel_id, message_type = name, "transaction started");
        self.running.insert(
            handle.id(),
            Running {
                key,
                is_init,
                stub,
                started: Instant::now(),
            },
        );
    }

    async fn on_finished(
        &mut self,
        finished: Result<(Id, Result<Vec<u8>, InvokeError>), JoinError>,
    ) {
        let (id, outcome, crashed) = match finished {
            Ok((id, outcome)) => (id, outcome, false),
            Err(error) => (error.id(), Err(InvokeError::new(panic_text(error))), true),
        };
        let Some(Running {
            key,
            is_init,
            stub,
            started,
        }) = self.running.remove(&id)
        else {
            return;
        };
        self.link.router.remove(&key);
        let event = stub.take_event();
        if crashed {
            tracing::warn!(peer = %self.peer, tx_id = %key.tx_id, "the chaincode panicked; only this transaction fails");
        } else {
            tracing::debug!(peer = %self.peer, tx_id = %key.tx_id, ok = outcome.is_ok(), "transaction finished");
        }
        let ok = outcome.is_ok();
        let reply = match outcome {
            // As Fabric's shims: a failed Init is an ERROR message.
            Err(error) if is_init => ChaincodeMessage {
                chaincode_event: event,
                ..for_tx(Type::Error, &key, error.message().as_bytes().to_vec())
            },
            outcome => completed(&key, response(outcome), event),
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.send(reply).await;
        // Opt-in per-transaction timing (see `TIMING_TARGET`): the callsite
        // is disabled unless the log filter enables its target.
        tracing::debug!(
            target: TIMING_TARGET,
            peer = %self.peer,
            tx_id = %key.tx_id,
            channel = %key.channel_id,
            micros,
            ok,
            "transaction executed"
        );
    }
}
