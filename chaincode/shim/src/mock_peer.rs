//! An in-process Fabric peer for tests (feature `mock-peer`).
//!
//! [`MockPeer`] is a real gRPC client of the chaincode server, as a Fabric
//! peer is in chaincode-as-a-service mode: it dials the server (plain or
//! TLS), opens `protos.Chaincode/Connect`, expects `REGISTER`, answers
//! `REGISTERED` and `READY`, and then sends transactions carrying real
//! signed proposals. It keeps an in-memory ledger and answers the
//! chaincode's requests as the peer does:
//!
//! * reads see committed state only (no read-your-own-writes);
//! * a transaction's writes are committed when it completes with a status
//!   below 400 and discarded otherwise (the endorser's rule); writing an
//!   empty value deletes the key;
//! * range and history queries are paged (`page_size`, default 100 like the
//!   peer), `has_more` is set only when results remain, iterators are
//!   closed when exhausted or on `QUERY_STATE_CLOSE`;
//! * history is returned newest first and records the proposal timestamp;
//! * the chaincode event is returned only for a successful transaction,
//!   with `chaincode_id` set to the chaincode name and `tx_id` to the tx.
//!
//! Unlike a real network there is no ordering or MVCC validation: a
//! successful transaction is committed as soon as it completes.
//!
//! ```no_run
//! # async fn run(address: std::net::SocketAddr, creator: Vec<u8>) -> Result<(), fabric_shim::mock_peer::MockPeerError> {
//! use fabric_shim::mock_peer::MockPeer;
//! let peer = MockPeer::connect(address).await?;
//! let result = peer.invoke(&creator, &[b"put", b"k", b"v"], &Default::default()).await?;
//! assert_eq!(result.response.status, 200);
//! assert_eq!(peer.state("k").as_deref(), Some(&b"v"[..]));
//! # Ok(()) }
//! ```

mod connection;
mod ledger;
mod options;
mod proposal;
mod reader;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fabric_protos::msp::SerializedIdentity;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeEvent, ChaincodeMessage, Response};
use fabric_protos::queryresult::KeyModification;
use prost::Message;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::server::codec::RawFrame;
use crate::server::router::TxKey;
use ledger::Ledger;
pub use options::{Invocation, MockPeerError, MockPeerOptions, PeerTls};
use proposal::{ProposalParts, propose};
use reader::{Shared, State, lock, read, succeeded};

/// Serializes an identity as Fabric puts it in a proposal's creator field:
/// an `msp.SerializedIdentity` with the PEM certificate.
pub fn serialized_identity(msp_id: &str, certificate_pem: &str) -> Vec<u8> {
    SerializedIdentity {
        mspid: msp_id.to_owned(),
        id_bytes: certificate_pem.as_bytes().to_vec(),
    }
    .encode_to_vec()
}

/// A connected mock peer. Dropping it closes the stream.
pub struct MockPeer {
    options: MockPeerOptions,
    chaincode_id: String,
    outbound: mpsc::Sender<RawFrame>,
    shared: Shared,
    unsolicited: tokio::sync::Mutex<mpsc::UnboundedReceiver<ChaincodeMessage>>,
    reader: JoinHandle<()>,
}

impl fmt::Debug for MockPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockPeer")
            .field("chaincode_id", &self.chaincode_id)
            .field("options", &self.options)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Drop for MockPeer {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl MockPeer {
    /// Connects in plain text with default options and completes the
    /// handshake.
    pub async fn connect(address: SocketAddr) -> Result<Self, MockPeerError> {
        Self::connect_with(address, MockPeerOptions::default()).await
    }

    /// Connects with `options` and completes the handshake.
    pub async fn connect_with(
        address: SocketAddr,
        options: MockPeerOptions,
    ) -> Result<Self, MockPeerError> {
        let opened = connection::open(address, options.tls.as_ref()).await?;
        let shared = Arc::new(Mutex::new(State {
            ledger: Ledger::new(&options.chaincode_name, options.page_size),
            waiting: HashMap::new(),
            received: HashMap::new(),
            closed: false,
        }));
        let (unsolicited_tx, unsolicited_rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read(
            opened.inbound,
            opened.outbound.clone(),
            Arc::clone(&shared),
            unsolicited_tx,
        ));
        Ok(Self {
            options,
            chaincode_id: opened.chaincode_id,
            outbound: opened.outbound,
            shared,
            unsolicited: tokio::sync::Mutex::new(unsolicited_rx),
            reader,
        })
    }

    /// The chaincode id the chaincode sent in `REGISTER`.
    pub fn chaincode_id(&self) -> &str {
        &self.chaincode_id
    }

    /// Sends a `TRANSACTION` signed by `creator` (serialized identity bytes,
    /// see [`serialized_identity`]) and waits for its outcome.
    pub async fn invoke(
        &self,
        creator: &[u8],
        args: &[&[u8]],
        transient: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Invocation, MockPeerError> {
        self.execute(creator, args, transient, false).await
    }

    /// Like [`MockPeer::invoke`] with an `INIT` message (`is_init` set).
    pub async fn init(
        &self,
        creator: &[u8],
        args: &[&[u8]],
        transient: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Invocation, MockPeerError> {
        self.execute(creator, args, transient, true).await
    }

    /// The `TRANSACTION` message [`MockPeer::invoke`] would send, for
    /// sending (perhaps altered) with [`MockPeer::send_message`]. The mock
    /// does not track it: its requests get `ERROR` "no ledger context" and
    /// its `COMPLETED` arrives through [`MockPeer::next_unsolicited`].
    pub fn transaction_message(
        &self,
        creator: &[u8],
        args: &[&[u8]],
        transient: &BTreeMap<String, Vec<u8>>,
    ) -> ChaincodeMessage {
        propose(self.parts(creator, args, transient, false)).message
    }

    /// Sends any message on the stream.
    pub async fn send_message(&self, msg: ChaincodeMessage) -> Result<(), MockPeerError> {
        self.send_raw_frame(msg.encode_to_vec()).await
    }

    /// Sends `bytes` as one gRPC message, unchecked (for malformed input).
    pub async fn send_raw_frame(&self, bytes: Vec<u8>) -> Result<(), MockPeerError> {
        self.outbound
            .send(RawFrame(bytes))
            .await
            .map_err(|_| MockPeerError::Disconnected)
    }

    /// The next message from the chaincode that belongs to no transaction
    /// of this mock (e.g. a `KEEPALIVE` echo or an `ERROR` reply to an
    /// injected message), waiting at most `wait`.
    pub async fn next_unsolicited(&self, wait: Duration) -> Option<ChaincodeMessage> {
        let mut queue = self.unsolicited.lock().await;
        tokio::time::timeout(wait, queue.recv())
            .await
            .ok()
            .flatten()
    }

    /// The committed value of `key`.
    pub fn state(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.shared).ledger.get(key).cloned()
    }

    /// The whole committed world state.
    pub fn world_state(&self) -> BTreeMap<String, Vec<u8>> {
        lock(&self.shared).ledger.state().clone()
    }

    /// Commits `writes` (an empty value deletes) as if the valid
    /// transaction `tx_id` had written them, without running the chaincode:
    /// seeds a test's world state with what many transactions would have
    /// left, in one step.
    pub fn commit_writes(&self, tx_id: &str, writes: BTreeMap<String, Vec<u8>>) {
        lock(&self.shared).ledger.commit(tx_id, None, writes);
    }

    /// The committed modifications of `key`, oldest first.
    pub fn history(&self, key: &str) -> Vec<KeyModification> {
        lock(&self.shared).ledger.history(key).to_vec()
    }

    /// How many messages of type `kind` the chaincode has sent since the
    /// handshake.
    pub fn received_count(&self, kind: Type) -> usize {
        lock(&self.shared)
            .received
            .get(&(kind as i32))
            .copied()
            .unwrap_or(0)
    }

    /// Whether the chaincode closed the stream.
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).closed
    }

    fn parts<'a>(
        &'a self,
        creator: &'a [u8],
        args: &[&[u8]],
        transient: &'a BTreeMap<String, Vec<u8>>,
        is_init: bool,
    ) -> ProposalParts<'a> {
        ProposalParts {
            channel_id: &self.options.channel_id,
            chaincode_name: &self.options.chaincode_name,
            creator,
            args: args.iter().map(|a| a.to_vec()).collect(),
            transient,
            is_init,
        }
    }

    async fn execute(
        &self,
        creator: &[u8],
        args: &[&[u8]],
        transient: &BTreeMap<String, Vec<u8>>,
        is_init: bool,
    ) -> Result<Invocation, MockPeerError> {
        let proposed = propose(self.parts(creator, args, transient, is_init));
        let key = TxKey::of(&proposed.message);
        let (done, outcome) = oneshot::channel();
        {
            let mut state = lock(&self.shared);
            if state.closed {
                return Err(MockPeerError::Disconnected);
            }
            if !state.ledger.begin(key.clone(), Some(proposed.timestamp)) {
                return Err(MockPeerError::Protocol(format!(
                    "transaction {} is already running",
                    key.tx_id
                )));
            }
            state.waiting.insert(key.clone(), done);
        }
        let abandon = || {
            let mut state = lock(&self.shared);
            state.waiting.remove(&key);
            state.ledger.finish(&key, false);
        };
        if self.send_message(proposed.message).await.is_err() {
            abandon();
            return Err(MockPeerError::Disconnected);
        }
        let reply = match tokio::time::timeout(self.options.execute_timeout, outcome).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => return Err(MockPeerError::Disconnected),
            Err(_) => {
                abandon();
                return Err(MockPeerError::Timeout { tx_id: key.tx_id });
            }
        };
        self.outcome(key.tx_id, reply)
    }

    fn outcome(&self, tx_id: String, reply: ChaincodeMessage) -> Result<Invocation, MockPeerError> {
        match Type::try_from(reply.r#type) {
            Ok(Type::Completed) => {
                let response = Response::decode(reply.payload.as_slice()).map_err(|e| {
                    MockPeerError::Protocol(format!("COMPLETED carries no Response: {e}"))
                })?;
                let committed = succeeded(&response);
                // As the peer: the event is kept only for a successful
                // transaction, stamped with the chaincode name and tx id.
                let event =
                    reply
                        .chaincode_event
                        .filter(|_| committed)
                        .map(|event| ChaincodeEvent {
                            chaincode_id: self.options.chaincode_name.clone(),
                            tx_id: tx_id.clone(),
                            ..event
                        });
                Ok(Invocation {
                    tx_id,
                    response,
                    event,
                    committed,
                })
            }
            _ => Err(MockPeerError::TransactionFailed {
                tx_id,
                message: String::from_utf8_lossy(&reply.payload).into_owned(),
            }),
        }
    }
}
