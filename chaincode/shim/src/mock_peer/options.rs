//! The mock peer's options, TLS settings, errors and results.

use std::fmt;
use std::time::Duration;

use fabric_protos::protos::{ChaincodeEvent, Response};
use zeroize::Zeroizing;

/// TLS settings of the mock peer's connection.
#[derive(Clone)]
pub struct PeerTls {
    /// PEM certificate of the CA that issued the server's certificate.
    pub server_ca_pem: Vec<u8>,
    /// The name the server's certificate must carry (e.g. `localhost`).
    pub server_name: String,
    /// The peer's client certificate and key (PEM), for mutual TLS.
    pub client_identity: Option<(Vec<u8>, Zeroizing<Vec<u8>>)>,
}

impl fmt::Debug for PeerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerTls")
            .field("server_name", &self.server_name)
            .field("client_certificate", &self.client_identity.is_some())
            .finish()
    }
}

/// How the mock peer behaves.
#[derive(Debug, Clone)]
pub struct MockPeerOptions {
    /// The channel transactions run on (default `mychannel`).
    pub channel_id: String,
    /// The chaincode name put in proposals and events (default `medchain`).
    pub chaincode_name: String,
    /// Results per query page (default 100, the peer's `MaxResultLimit`).
    pub page_size: usize,
    /// How long to wait for `COMPLETED` (default 30 s, the peer's
    /// `executetimeout`).
    pub execute_timeout: Duration,
    /// TLS; `None` connects in plain text.
    pub tls: Option<PeerTls>,
}

impl Default for MockPeerOptions {
    fn default() -> Self {
        Self {
            channel_id: "mychannel".into(),
            chaincode_name: "medchain".into(),
            page_size: 100,
            execute_timeout: Duration::from_secs(30),
            tls: None,
        }
    }
}

/// What the mock peer could not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MockPeerError {
    /// Dialling the server or opening the stream failed (including a TLS
    /// handshake the server refused).
    #[error("cannot connect to the chaincode server: {0}")]
    Connect(String),
    /// The chaincode did not register as Fabric expects.
    #[error("chaincode handshake failed: {0}")]
    Handshake(String),
    /// The stream closed.
    #[error("the chaincode stream is closed")]
    Disconnected,
    /// No `COMPLETED` / `ERROR` within the execute timeout.
    #[error("transaction {tx_id} timed out")]
    Timeout {
        /// The transaction.
        tx_id: String,
    },
    /// The chaincode answered `ERROR` (the peer reports this as
    /// "transaction returned with failure").
    #[error("transaction {tx_id} returned with failure: {message}")]
    TransactionFailed {
        /// The transaction.
        tx_id: String,
        /// The `ERROR` payload.
        message: String,
    },
    /// The chaincode's answer broke the protocol.
    #[error("protocol violation: {0}")]
    Protocol(String),
}

/// The outcome of one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The transaction id (hex SHA-256 of nonce and creator).
    pub tx_id: String,
    /// The chaincode's response.
    pub response: Response,
    /// The chaincode event, if the transaction succeeded and set one.
    pub event: Option<ChaincodeEvent>,
    /// Whether the writes were committed.
    pub committed: bool,
}
