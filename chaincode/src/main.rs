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
//!
//! `medchain-chaincode policy MSPID=role,role… …` prints the hex-encoded
//! canonical role policy that the chaincode's `Init` takes (e.g.
//! `policy Org1MSP=doctor Org2MSP=pharmacist,insurer,lawyer-expert`), for
//! the administrator who initializes the chaincode (`peer chaincode invoke
//! --isInit -c '{"Args":["Init","<hex>"]}'`).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use fabric_shim::server::{ServerConfig, serve};
use medchain_contract::MedicalRecords;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some((command, items)) = args.split_first() {
        if command != "policy" {
            eprintln!(
                "medchain-chaincode: unknown command {command:?}; run it without arguments to serve, or `policy MSPID=role,role…` to encode a role policy"
            );
            return ExitCode::from(2);
        }
        return match medchain_contract::policy::from_text(items.iter().map(String::as_str)) {
            Ok(policy) => {
                println!("{}", medchain_contract::policy::init_argument(&policy));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("medchain-chaincode: the role policy is wrong: {e}");
                ExitCode::from(2)
            }
        };
    }
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
