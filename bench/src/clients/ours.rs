//! Our driver: the workload replayed through our `fabric_gateway` crate
//! directly (Gateway → Network → Contract, as `medchain_sdk::connect`
//! connects), not through the medchain SDK's workflow — the same calls
//! the official clients' drivers make, with the same timeouts.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fabric_gateway::{
    Contract, Credentials, Gateway, GatewayError, PeerEndpoint, Timeouts, TlsSettings,
};
use medchain_sdk::ledger::LedgerError;
use tokio::time::Instant;

use super::{DriverResult, LevelResult, Manifest, Sequential, read_hex_lines};
use crate::args::{ClientDriver, ClientPhases};
use crate::error::{BenchError, Result};
use crate::procs::{cpu_seconds, peak_rss_kib};

/// The client library of this driver.
const CLIENT: &str = concat!(
    "medchain fabric-gateway (client/gateway) ",
    env!("CARGO_PKG_VERSION")
);

/// The timeouts every driver sets (the official drivers set the same).
pub const TIMEOUTS: Timeouts = Timeouts {
    evaluate: Duration::from_secs(30),
    endorse: Duration::from_secs(30),
    submit: Duration::from_secs(30),
    commit_status: Duration::from_secs(60),
};

/// Connects to the manifest's gateway as its identity.
pub async fn gateway(manifest: &Manifest) -> Result<Gateway> {
    let credentials = Credentials::from_files(&manifest.msp_id, &manifest.cert, &manifest.key)
        .map_err(|e| {
            BenchError::Invalid(format!(
                "the workload's identity ({}, {}) cannot be loaded: {e}",
                manifest.cert.display(),
                manifest.key.display()
            ))
        })?;
    let tls = TlsSettings::from_ca_file(&manifest.gateway.tls_ca)
        .map_err(gateway_error)?
        .with_server_name(manifest.gateway.server_name.clone());
    let channel = PeerEndpoint::new(manifest.gateway.endpoint.clone())
        .with_tls(tls)
        .connect()
        .await
        .map_err(gateway_error)?;
    Ok(Gateway::from_credentials(channel, credentials).with_timeouts(TIMEOUTS))
}

fn gateway_error(e: impl Into<GatewayError>) -> BenchError {
    BenchError::Ledger(LedgerError::Gateway(e.into()))
}

/// The unit of `/proc/<pid>/stat` CPU times: USER_HZ is 100 on every
/// Linux ABI, whatever the kernel's internal tick.
const PROC_TICK_S: f64 = 0.01;

/// This process's CPU seconds (user + system, `/proc/self/stat`).
fn cpu_now() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// Runs the phases on the workload in `dir`, `Store` arguments from line
/// `offset`.
pub async fn run(
    dir: &Path,
    manifest: &Manifest,
    offset: usize,
    phases: &ClientPhases,
) -> Result<DriverResult> {
    let used = phases.store_per_run();
    let arguments = read_hex_lines(&dir.join(&manifest.store_file), offset, used)?;
    let keys = read_hex_lines(&dir.join(&manifest.get_file), 0, manifest.get_count)?;
    let answers = read_hex_lines(&dir.join(&manifest.get_answer_file), 0, manifest.get_count)?;
    if keys.is_empty() {
        return Err(BenchError::Invalid(
            "the workload names no stored key to evaluate; make it again with --gets 1 or more"
                .into(),
        ));
    }
    let gateway = gateway(manifest).await?;
    let contract = gateway
        .network(manifest.channel.clone())
        .contract(&manifest.chaincode);
    let get = manifest.get_function.as_str();
    let store = manifest.store_function.as_str();

    let evaluate = sequential(phases.get_warmup, phases.get_calls, |i| {
        let (key, want) = (&keys[i % keys.len()], &answers[i % keys.len()]);
        let contract = &contract;
        async move {
            let answer = contract.evaluate(get, &[key]).await?;
            if answer == *want {
                Ok(())
            } else {
                Err(CallError(format!(
                    "the answer for key {} is not the expected one",
                    hex::encode(key)
                )))
            }
        }
    })
    .await?;
    let submit = sequential(phases.store_warmup, phases.store_calls, |i| {
        let contract = &contract;
        let argument = &arguments[i];
        async move {
            contract.submit(store, &[argument]).await?;
            Ok(())
        }
    })
    .await?;
    let mut rest = arguments
        .into_iter()
        .skip(phases.store_warmup + phases.store_calls);
    let limit = (phases.level_seconds > 0.0).then(|| Duration::from_secs_f64(phases.level_seconds));
    let mut levels = Vec::with_capacity(phases.concurrency.len());
    for &concurrency in &phases.concurrency {
        let slice: Vec<Vec<u8>> = rest.by_ref().take(phases.level_tx).collect();
        levels.push(level(&contract, store, slice, concurrency, limit).await?);
    }
    Ok(DriverResult {
        driver: ClientDriver::Ours,
        client: CLIENT.to_owned(),
        runtime: format!(
            "rust (tokio, {} worker threads)",
            std::thread::available_parallelism().map_or(1, usize::from)
        ),
        store_offset: offset,
        store_used: used,
        evaluate,
        submit,
        levels,
        cpu_s: cpu_now(),
        cpu_resolution_s: PROC_TICK_S,
        peak_rss_kib: peak_rss_kib(std::process::id()).unwrap_or(0),
    })
}

/// Why one call failed, in one sentence.
struct CallError(String);

impl From<GatewayError> for CallError {
    fn from(e: GatewayError) -> Self {
        Self(e.to_string())
    }
}

/// `warmup` untimed calls, then `calls` timed ones, one after the other;
/// `call(i)` makes the i-th. A failed warm-up call stops the run.
async fn sequential<F, Fut>(warmup: usize, calls: usize, call: F) -> Result<Sequential>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), CallError>>,
{
    for i in 0..warmup {
        call(i).await.map_err(|CallError(e)| {
            BenchError::Invalid(format!("warm-up call {} failed: {e}", i + 1))
        })?;
    }
    let mut out = Sequential {
        warmup,
        ok: 0,
        failed: 0,
        first_error: String::new(),
        latencies_s: Vec::with_capacity(calls),
        cpu_s: 0.0,
        elapsed_s: 0.0,
    };
    let cpu = cpu_now();
    let start = Instant::now();
    for i in warmup..warmup + calls {
        let t = Instant::now();
        match call(i).await {
            Ok(()) => {
                out.latencies_s.push(t.elapsed().as_secs_f64());
                out.ok += 1;
            }
            Err(CallError(e)) => {
                out.failed += 1;
                if out.first_error.is_empty() {
                    out.first_error = e;
                }
            }
        }
    }
    out.elapsed_s = start.elapsed().as_secs_f64();
    out.cpu_s = cpu_now() - cpu;
    Ok(out)
}

/// What one worker of a level did.
#[derive(Default)]
struct Tally {
    committed: usize,
    failed: usize,
    first_error: Option<String>,
}

/// Submits `arguments` with `concurrency` in flight (one task each); no new
/// one starts after `limit`.
async fn level(
    contract: &Contract,
    function: &str,
    arguments: Vec<Vec<u8>>,
    concurrency: usize,
    limit: Option<Duration>,
) -> Result<LevelResult> {
    let arguments = Arc::new(arguments);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_now();
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (contract, function) = (contract.clone(), function.to_owned());
            let (arguments, next) = (arguments.clone(), next.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while limit.is_none_or(|l| start.elapsed() < l) {
                    let Some(argument) = arguments.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    match contract.submit(&function, &[argument]).await {
                        Ok(_) => tally.committed += 1,
                        Err(e) => {
                            tally.failed += 1;
                            tally.first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut out = LevelResult {
        concurrency,
        submitted: 0,
        committed: 0,
        failed: 0,
        first_error: String::new(),
        elapsed_s: 0.0,
        cpu_s: 0.0,
    };
    for worker in workers {
        let tally = worker
            .await
            .map_err(|e| BenchError::Invalid(format!("a submitting task stopped: {e}")))?;
        out.committed += tally.committed;
        out.failed += tally.failed;
        if out.first_error.is_empty() {
            out.first_error = tally.first_error.unwrap_or_default();
        }
    }
    out.elapsed_s = start.elapsed().as_secs_f64();
    out.cpu_s = cpu_now() - cpu;
    out.submitted = out.committed + out.failed;
    Ok(out)
}
