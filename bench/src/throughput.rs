//! `throughput`: many cases at once (each in flight with its own wallets,
//! driven step by step), for a fixed time per concurrency level; completed
//! cases/s, committed transactions/s, and the CPU time and peak memory of
//! the orderer, the peers, the chaincode server and the bench client.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::args::ThroughputArgs;
use crate::cast::{Cast, Stage};
use crate::chaincode_log::ChaincodeLog;
use crate::error::{BenchError, Result};
use crate::flow::Retries;
use crate::flow::direct::{DirectOptions, run_case};
use crate::machine::{Load, Machine};
use crate::network::NetworkFiles;
use crate::procs::{Meter, Usage, watched_processes};
use crate::report::{Table, summary, write_json};
use crate::stats::Summary;

/// A worker gives up after this many failed cases in a row.
const MAX_FAILURES_IN_A_ROW: usize = 5;

/// The results of one `throughput` run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThroughputReport {
    /// The machine.
    pub machine: Machine,
    /// Argon2id `m_kib`, `t`, `p`.
    pub kdf: [u32; 3],
    /// Seconds each level ran.
    pub duration_s: u64,
    /// One entry per concurrency level.
    pub levels: Vec<Level>,
}

/// One concurrency level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Level {
    /// Cases in flight at once.
    pub concurrency: usize,
    /// Wall-clock seconds from the first case to the last one finished.
    pub elapsed_s: f64,
    /// Completed cases.
    pub cases: usize,
    /// Cases that failed.
    pub failures: usize,
    /// The first failure, if any.
    pub first_failure: Option<String>,
    /// Steps retried (see `flow::Retries`).
    #[serde(default)]
    pub retries: usize,
    /// The distinct errors of retried steps.
    #[serde(default)]
    pub retried_errors: Vec<String>,
    /// Committed transactions (`Store` calls of completed cases).
    pub committed: usize,
    /// Blocks cut meanwhile.
    pub blocks: u64,
    /// Chaincode executions (endorsements and queries) meanwhile.
    pub chaincode_executions: usize,
    /// Seconds of chaincode work meanwhile.
    pub chaincode_s: f64,
    /// Per-case latency.
    pub latency: Summary,
    /// CPU and memory of each process.
    pub usage: Vec<Usage>,
    /// Load average around the level.
    pub load: Load,
}

impl Level {
    /// Completed cases per second.
    pub fn cases_per_s(&self) -> f64 {
        self.cases as f64 / self.elapsed_s
    }

    /// Committed transactions per second.
    pub fn tx_per_s(&self) -> f64 {
        self.committed as f64 / self.elapsed_s
    }
}

/// What one worker did.
#[derive(Default)]
struct WorkerResult {
    latencies: Vec<f64>,
    committed: usize,
    failures: usize,
    first_failure: Option<String>,
}

/// Runs `throughput`.
pub async fn run(args: &ThroughputArgs) -> Result<ThroughputReport> {
    let files = NetworkFiles::locate(&args.network)?;
    let processes = watched_processes(&files.work_dir)?;
    let kdf = args.kdf.kdf();
    let options = DirectOptions {
        kdf,
        parallel_answers: true,
        message_bytes: args.message_bytes,
    };
    let stage = Stage::Fabric(files.profile.clone());
    let dir =
        tempfile::tempdir().map_err(|e| BenchError::io("create", &std::env::temp_dir(), e))?;
    let mut levels = Vec::new();
    for &concurrency in &args.concurrency {
        let mut casts = Vec::with_capacity(concurrency);
        for i in 0..concurrency {
            let cast_dir = dir.path().join(format!("c{concurrency}-{i}"));
            casts.push(Arc::new(Cast::create(&stage, &cast_dir, 3, kdf).await?));
        }
        let height = casts[0].members[0].ledger().height().await?;
        let log = ChaincodeLog::from_now(&files.chaincode_log)?;
        let load = Load::start();
        let meter = Meter::start(&processes);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(args.duration);
        let retries = Retries::default();
        let workers: Vec<_> = casts
            .iter()
            .map(|cast| tokio::spawn(worker(cast.clone(), options, deadline, retries.clone())))
            .collect();
        let mut results = Vec::with_capacity(workers.len());
        for w in workers {
            results.push(
                w.await
                    .map_err(|e| BenchError::Invalid(format!("a worker stopped: {e}")))??,
            );
        }
        let elapsed_s = start.elapsed().as_secs_f64();
        let usage = meter.finish()?;
        let load = load.finish();
        let blocks = casts[0].members[0].ledger().height().await? - height;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let executions = log.executions()?;
        let latencies: Vec<f64> = results
            .iter()
            .flat_map(|r| r.latencies.iter().copied())
            .collect();
        let level = Level {
            concurrency,
            elapsed_s,
            cases: latencies.len(),
            failures: results.iter().map(|r| r.failures).sum(),
            first_failure: results.iter().find_map(|r| r.first_failure.clone()),
            retries: retries.count(),
            retried_errors: retries.errors(),
            committed: results.iter().map(|r| r.committed).sum(),
            blocks,
            chaincode_executions: executions.len(),
            chaincode_s: executions.iter().map(|e| e.micros as f64 / 1e6).sum(),
            latency: Summary::of(&latencies).unwrap_or_default(),
            usage,
            load,
        };
        eprintln!(
            "concurrency {concurrency}: {} cases, {:.2} cases/s, {:.1} tx/s, {} failures",
            level.cases,
            level.cases_per_s(),
            level.tx_per_s(),
            level.failures
        );
        levels.push(level);
    }
    let report = ThroughputReport {
        machine: Machine::read(),
        kdf: [kdf.params.m_kib, kdf.params.t, kdf.params.p],
        duration_s: args.duration,
        levels,
    };
    write_json(&args.output, &report)?;
    println!("{}", tables(&report));
    Ok(report)
}

/// Runs cases back to back until `deadline`.
async fn worker(
    cast: Arc<Cast>,
    options: DirectOptions,
    deadline: Instant,
    retries: Retries,
) -> Result<WorkerResult> {
    let mut result = WorkerResult::default();
    let mut in_a_row = 0;
    while Instant::now() < deadline && in_a_row < MAX_FAILURES_IN_A_ROW {
        match run_case(&cast, options, &retries).await {
            Ok(outcome) => {
                in_a_row = 0;
                result.latencies.push(outcome.timing.total_s);
                result.committed += outcome.timing.submitted;
            }
            Err(e) => {
                in_a_row += 1;
                result.failures += 1;
                result.first_failure.get_or_insert_with(|| e.to_string());
            }
        }
    }
    Ok(result)
}

/// The Markdown tables of a report.
pub fn tables(report: &ThroughputReport) -> String {
    let mut t = Table::new(&[
        "concurrency",
        "cases",
        "cases/s",
        "committed tx/s",
        "tx per block",
        "case latency mean / p50 / p95",
        "failures (retried steps)",
        "load avg (1 min)",
    ]);
    for l in &report.levels {
        t.row(vec![
            l.concurrency.to_string(),
            l.cases.to_string(),
            format!("{:.2}", l.cases_per_s()),
            format!("{:.1}", l.tx_per_s()),
            format!("{:.1}", l.committed as f64 / l.blocks.max(1) as f64),
            summary(Some(&l.latency)),
            format!("{} ({})", l.failures, l.retries),
            l.load.describe(),
        ]);
    }
    let names: Vec<String> = report
        .levels
        .first()
        .map(|l| l.usage.iter().map(|u| u.name.clone()).collect())
        .unwrap_or_default();
    let mut header = vec!["concurrency".to_owned()];
    header.extend(names.iter().cloned());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut u = Table::new(&header);
    for l in &report.levels {
        let mut row = vec![l.concurrency.to_string()];
        row.extend(l.usage.iter().map(|usage| {
            format!(
                "{:.0}% · {:.1} ms CPU/tx · {:.0} MiB",
                100.0 * usage.cpu_seconds / l.elapsed_s,
                1000.0 * usage.cpu_seconds / l.committed.max(1) as f64,
                usage.peak_rss_mib
            )
        }));
        u.row(row);
    }
    format!(
        "throughput (each level {} s, Argon2id m={} KiB)\n\n{}\nCPU (% of one core) · CPU per committed transaction · peak RSS\n\n{}",
        report.duration_s,
        report.kdf[0],
        t.render(),
        u.render()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn rates_and_tables() {
        let level = Level {
            concurrency: 4,
            elapsed_s: 10.0,
            cases: 20,
            failures: 0,
            first_failure: None,
            retries: 3,
            retried_errors: Vec::new(),
            committed: 100,
            blocks: 25,
            chaincode_executions: 300,
            chaincode_s: 0.5,
            latency: Summary::of(&[0.5, 0.7]).unwrap(),
            usage: vec![Usage {
                name: "orderer".into(),
                cpu_seconds: 2.0,
                peak_rss_mib: 60.0,
                peak_reset: true,
            }],
            load: Load::start(),
        };
        assert_eq!(level.cases_per_s(), 2.0);
        assert_eq!(level.tx_per_s(), 10.0);
        let text = tables(&ThroughputReport {
            machine: Machine::read(),
            kdf: [64, 1, 1],
            duration_s: 10,
            levels: vec![level],
        });
        assert!(text.contains("| 4 | 20 | 2.00 | 10.0 | 4.0 |"), "{text}");
        assert!(text.contains("| 0 (3) |"), "{text}");
        assert!(
            text.contains("| 4 | 20% · 20.0 ms CPU/tx · 60 MiB |"),
            "{text}"
        );
    }
}
