//! The chaincode-as-a-service server: a gRPC server implementing
//! `protos.Chaincode/Connect` that Fabric peers dial.
//!
//! For every stream a peer opens, the shim sends `REGISTER` (carrying the
//! chaincode package ID), waits for `REGISTERED` and `READY`, then runs each
//! `INIT` / `TRANSACTION` in its own task with a [`PeerStub`], answering
//! `COMPLETED` (or `ERROR`). See the crate README for the message flow.
//!
//! ```no_run
//! # use fabric_shim::{Chaincode, InvokeError, Stub};
//! # struct MyContract;
//! # impl Chaincode for MyContract {
//! #     async fn invoke<S: Stub>(&self, _stub: &S) -> Result<Vec<u8>, InvokeError> { Ok(vec![]) }
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use fabric_shim::server::{ServerConfig, serve};
//! let config = ServerConfig::from_env()?;
//! serve(config, MyContract, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! # Ok(()) }
//! ```

pub(crate) mod codec;
mod config;
pub(crate) mod messages;
mod peer_stub;
mod proposal;
pub(crate) mod router;
mod run;
mod service;
mod session;
pub(crate) mod tls;

pub use config::{
    ConfigError, ENV_CHAINCODE_ID, ENV_CLIENT_CA_CERT, ENV_CORE_CHAINCODE_ID_NAME,
    ENV_SERVER_ADDRESS, ENV_TLS_CERT, ENV_TLS_KEY, ServerConfig,
};
pub use peer_stub::{PeerQuery, PeerStub};
pub use run::{ServeError, serve, serve_on_listener};
pub use tls::TlsConfig;

/// Serves one `Connect` session with `chaincode` over in-memory frames
/// instead of a gRPC stream: each item of `inbound` is one raw message body
/// as a peer would send it (decoded by the same code as on the network),
/// and the returned stream yields every message the shim sends, starting
/// with `REGISTER`. The session ends when `inbound` ends. Must be called
/// inside a Tokio runtime. For fuzzing and tests of the session state
/// machine; a real server uses [`serve`].
#[doc(hidden)]
pub fn serve_frames<C, I>(chaincode: C, chaincode_id: &str, inbound: I) -> session::OutboundStream
where
    C: crate::Chaincode,
    I: futures::Stream<Item = Vec<u8>> + Send + Unpin + 'static,
{
    use futures::StreamExt as _;
    let (_shutdown, watch) = tokio::sync::watch::channel(false);
    session::start(
        std::sync::Arc::new(chaincode),
        chaincode_id.into(),
        inbound.map(|frame| Ok(codec::RawFrame(frame))),
        watch,
        None,
    )
}

/// The `tracing` target of the server's per-transaction timing event.
///
/// After answering each `INIT` / `TRANSACTION`, the server emits one DEBUG
/// event `transaction executed` on this target with the fields `peer`,
/// `tx_id`, `channel`, `micros` (from the message's arrival until the reply
/// is queued, state round trips to the peer included) and `ok`. It is off
/// unless the log filter enables the target, e.g.
/// `RUST_LOG=info,fabric_shim::timing=debug`; disabled, it costs one
/// `Instant::now()` per transaction.
pub const TIMING_TARGET: &str = "fabric_shim::timing";
