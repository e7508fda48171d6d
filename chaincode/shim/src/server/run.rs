//! Running the chaincode server until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use super::config::ServerConfig;
use super::service::ChaincodeService;
use super::tls::error_chain;
use crate::chaincode::Chaincode;

/// HTTP/2 keepalive settings of the Go shim's server (ping after a minute of
/// silence, give up 20 s later).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error(
        "cannot listen on {address}: {source}; check CHAINCODE_SERVER_ADDRESS and that the port is free"
    )]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The chaincode id is empty.
    #[error("the chaincode id is empty; set CHAINCODE_ID to the chaincode package ID (label:hash)")]
    EmptyChaincodeId,
    /// The TLS material was rejected.
    #[error(
        "the TLS configuration is unusable: {0}; check CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY and CHAINCODE_CLIENT_CA_CERT"
    )]
    Tls(String),
    /// The gRPC server failed.
    #[error("the chaincode server failed: {0}")]
    Transport(String),
}

/// Binds `config.address` and serves `chaincode` to every peer that
/// connects, until `shutdown` completes. Then no new connection or
/// transaction is accepted, running transactions finish (for at most 30 s),
/// each stream closes and the function returns.
pub async fn serve<C: Chaincode>(
    config: ServerConfig,
    chaincode: C,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(config.address)
        .await
        .map_err(|source| ServeError::Bind {
            address: config.address,
            source,
        })?;
    serve_on_listener(listener, config, chaincode, shutdown).await
}

/// Like [`serve`] on an already bound listener (`config.address` is not
/// used), e.g. one bound to port 0 in a test.
pub async fn serve_on_listener<C: Chaincode>(
    listener: TcpListener,
    config: ServerConfig,
    chaincode: C,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    if config.chaincode_id.is_empty() {
        return Err(ServeError::EmptyChaincodeId);
    }
    let mut builder = Server::builder()
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
    if let Some(tls) = &config.tls {
        builder = builder
            .tls_config(tls.server_tls_config())
            .map_err(|e| ServeError::Tls(error_chain(&e)))?;
    }

    let (stop, stopped) = watch::channel(false);
    let service = ChaincodeService::new(chaincode, &config.chaincode_id, stopped);
    let address = listener.local_addr().ok();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tracing::info!(
        address = ?address,
        chaincode_id = %config.chaincode_id,
        tls = config.tls.is_some(),
        mutual_tls = config.tls.as_ref().is_some_and(|t| t.requires_client_certificates()),
        "chaincode server listening"
    );
    let signal = async move {
        shutdown.await;
        tracing::info!("shutdown requested: finishing running transactions");
        // Receivers live as long as the service, so this cannot fail while serving.
        let _ = stop.send(true);
    };
    builder
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, signal)
        .await
        .map_err(|e| ServeError::Transport(error_chain(&e)))?;
    tracing::info!("chaincode server stopped");
    Ok(())
}
