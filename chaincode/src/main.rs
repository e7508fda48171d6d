//! `medchain-chaincode`: the medchain chaincode as an external service.
//!
//! Fabric peers dial this server (chaincode-as-a-service). Configuration
//! follows Fabric's CCaaS conventions, from the environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `CHAINCODE_SERVER_ADDRESS` | address to listen on, e.g. `127.0.0.1:9999` (required) |
//! | `CHAINCODE_ID` (or `CORE_CHAINCODE_ID_NAME`) | the chaincode package id (required) |
//! | `CHAINCODE_TLS_CERT`, `CHAINCODE_TLS_KEY` | PEM files: serve TLS (both or neither) |
//! | `CHAINCODE_CLIENT_CA_CERT` | PEM file: require client certificates from this CA (mutual TLS) |
//! | `RUST_LOG` | log filter (default `info`) |
//!
//! The process stops gracefully on SIGTERM or SIGINT. A missing or invalid
//! variable stops it at start with a one-line message naming the variable
//! and exit status 2.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use fabric_shim::server::{ServerConfig, serve};
use medchain_contract::MedicalRecords;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match ServerConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("medchain-chaincode: {e}");
            return ExitCode::from(2);
        }
    };
    match serve(config, MedicalRecords, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("medchain-chaincode: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
        tracing::info!("interrupt received, shutting down");
    }
}
