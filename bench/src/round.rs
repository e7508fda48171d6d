//! `commit-round`: one commit round taken apart on the real network — the
//! endorsement, the hand-over to the orderer and the wait for the commit,
//! the wait made two ways (the gateway's `CommitStatus` call, and an
//! already-open filtered block stream from the peer's `Deliver` service),
//! call by call alternately on the same connection, and with the
//! endorsing organisations named in the proposal (so the gateway asks
//! their peers at once instead of its own peer first); and an evaluation on a
//! warm connection against one on a fresh connection (TCP, TLS and HTTP/2
//! set up for it). Ratios are taken within each repetition.

use std::time::Duration;

use fabric_gateway::{BlockStart, Contract, FilteredBlock, Gateway, GatewayError};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::args::CommitRoundArgs;
use crate::clients::compare::{min_median_max, number};
use crate::clients::ours::gateway;
use crate::clients::{Manifest, claim, read_hex_lines};
use crate::error::{BenchError, Result};
use crate::machine::{Load, Machine};
use crate::report::{Table, write_json};
use crate::stats::Summary;
use medchain_sdk::connect::NetworkProfile;

/// How a call waits for its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wait {
    /// `gateway.CommitStatus`, called once `Submit` returned (what every
    /// official client does).
    CommitStatus,
    /// The transaction's id in a `FilteredBlock` of a `DeliverFiltered`
    /// stream opened before the run.
    BlockEvents,
}

/// How a call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Path {
    /// The gateway picks the endorsers (the official clients' default);
    /// `CommitStatus` wait.
    CommitStatus,
    /// The gateway picks the endorsers; block-event wait.
    BlockEvents,
    /// Every organisation of the network named as an endorser;
    /// `CommitStatus` wait.
    NamedEndorsers,
}

impl Path {
    const ALL: [Path; 3] = [Path::CommitStatus, Path::BlockEvents, Path::NamedEndorsers];

    fn wait(self) -> Wait {
        match self {
            Path::BlockEvents => Wait::BlockEvents,
            Path::CommitStatus | Path::NamedEndorsers => Wait::CommitStatus,
        }
    }
}

/// One submitted transaction, in seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RoundCall {
    /// How it was made.
    pub path: Path,
    /// `Endorse` (both organisations' peers, through the gateway).
    pub endorse_s: f64,
    /// `Submit` (to the orderer, through the gateway).
    pub submit_s: f64,
    /// From `Submit`'s answer to knowing the validation code.
    pub wait_s: f64,
    /// The whole round.
    pub total_s: f64,
}

/// What one repetition measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundRep {
    /// The repetition (from 1).
    pub rep: usize,
    /// The load average around it.
    pub load: Load,
    /// Every timed submission, in order.
    pub calls: Vec<RoundCall>,
    /// `Get` on the connection every call shares.
    pub warm_evaluate_s: Vec<f64>,
    /// Connecting afresh (TCP, TLS, HTTP/2) before one `Get`.
    pub cold_connect_s: Vec<f64>,
    /// That `Get`, the first call on its connection.
    pub cold_evaluate_s: Vec<f64>,
}

/// The results of one `commit-round`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundReport {
    /// The machine.
    pub machine: Machine,
    /// The workload directory.
    pub workload: String,
    /// Timed submissions per path and repetition.
    pub calls: usize,
    /// The organisations named as endorsers on the `named-endorsers` path.
    pub endorsers: Vec<String>,
    /// Evaluations per kind of connection and repetition.
    pub evaluations: usize,
    /// Every repetition.
    pub reps: Vec<RoundRep>,
}

/// `Store` arguments a run of `args` submits.
pub fn needed(args: &CommitRoundArgs) -> usize {
    args.warmup + args.reps * Path::ALL.len() * args.calls
}

/// Runs `commit-round`.
pub async fn run(args: &CommitRoundArgs) -> Result<Option<RoundReport>> {
    if args.reps == 0 || args.calls == 0 || args.evaluations == 0 {
        return Err(BenchError::Invalid(
            "--reps, --calls and --evaluations must each be at least 1".into(),
        ));
    }
    if args.plan {
        println!("{}", needed(args));
        return Ok(None);
    }
    let dir = &args.workload_dir;
    let manifest = Manifest::read(dir)?;
    let offset = claim(dir, &manifest, needed(args))?;
    let mut arguments =
        read_hex_lines(&dir.join(&manifest.store_file), offset, needed(args))?.into_iter();
    let keys = read_hex_lines(&dir.join(&manifest.get_file), 0, manifest.get_count)?;
    let key = keys.first().cloned().ok_or_else(|| {
        BenchError::Invalid(
            "the workload names no stored key to evaluate; make it again with --gets 1 or more"
                .into(),
        )
    })?;
    let gw = gateway(&manifest).await?;
    let network = gw.network(manifest.channel.clone());
    let contract = network.contract(&manifest.chaincode);
    let store = manifest.store_function.as_str();
    let get = manifest.get_function.as_str();
    let endorsers: Vec<String> = NetworkProfile::read(&manifest.profile)
        .map_err(|e| BenchError::Invalid(format!("the workload's network profile: {e}")))?
        .orgs
        .into_values()
        .map(|org| org.msp_id)
        .collect();
    let submitter = Submitter {
        contract: &contract,
        function: store,
        endorsers: &endorsers,
    };
    let mut blocks = block_receiver(&gw, &manifest.channel)?;
    for argument in arguments.by_ref().take(args.warmup) {
        let done = submitter
            .round(argument, Path::CommitStatus, &mut blocks)
            .await?;
        tracing::debug!(?done, "warm-up round");
    }
    let mut reps = Vec::with_capacity(args.reps);
    for rep in 1..=args.reps {
        let load = Load::start();
        let n = Path::ALL.len();
        let mut calls = Vec::with_capacity(n * args.calls);
        for i in 0..n * args.calls {
            let path = Path::ALL[(i + rep) % n];
            let argument = arguments
                .next()
                .ok_or_else(|| BenchError::Invalid("the claimed Store arguments ran out".into()))?;
            calls.push(submitter.round(argument, path, &mut blocks).await?);
        }
        let (mut warm, mut connect, mut cold) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.evaluations {
            let t = Instant::now();
            contract.evaluate(get, &[&key]).await.map_err(ledger)?;
            warm.push(t.elapsed().as_secs_f64());

            let t = Instant::now();
            let fresh = gateway(&manifest).await?;
            let fresh_contract = fresh
                .network(manifest.channel.clone())
                .contract(&manifest.chaincode);
            connect.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            fresh_contract
                .evaluate(get, &[&key])
                .await
                .map_err(ledger)?;
            cold.push(t.elapsed().as_secs_f64());
        }
        let load = load.finish();
        eprintln!("repetition {rep}/{}: {}", args.reps, load.describe());
        reps.push(RoundRep {
            rep,
            load,
            calls,
            warm_evaluate_s: warm,
            cold_connect_s: connect,
            cold_evaluate_s: cold,
        });
    }
    let report = RoundReport {
        machine: Machine::read(),
        workload: dir.display().to_string(),
        calls: args.calls,
        endorsers: endorsers.clone(),
        evaluations: args.evaluations,
        reps,
    };
    write_json(&args.output, &report)?;
    print!("{}", tables(&report));
    Ok(Some(report))
}

fn ledger(e: GatewayError) -> BenchError {
    BenchError::Ledger(medchain_sdk::ledger::LedgerError::Gateway(e))
}

/// A transaction seen in a filtered block: its id, validation code and
/// when its block arrived.
type Seen = (String, i32, Instant);

/// Opens a filtered block stream from the next block on and reads it in a
/// task of its own, stamping each transaction with its block's arrival.
fn block_receiver(gw: &Gateway, channel: &str) -> Result<mpsc::UnboundedReceiver<Seen>> {
    let mut stream = gw
        .network(channel.to_owned())
        .filtered_block_events(BlockStart::NextCommit)
        .map_err(ledger)?;
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(item) = stream.next().await {
            let at = Instant::now();
            match item {
                Ok(FilteredBlock {
                    filtered_transactions,
                    ..
                }) => {
                    for tx in filtered_transactions {
                        if sender.send((tx.txid, tx.tx_validation_code, at)).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!("the filtered block stream ended: {e}");
                    return;
                }
            }
        }
    });
    Ok(receiver)
}

/// How long a call waits on the block stream before giving up.
const BLOCK_WAIT: Duration = Duration::from_secs(60);

/// What every timed round submits with.
struct Submitter<'a> {
    contract: &'a Contract,
    function: &'a str,
    /// The organisations named on [`Path::NamedEndorsers`].
    endorsers: &'a [String],
}

impl Submitter<'_> {
    /// Endorses, submits and waits for one `Store` argument along `path`.
    async fn round(
        &self,
        argument: Vec<u8>,
        path: Path,
        blocks: &mut mpsc::UnboundedReceiver<Seen>,
    ) -> Result<RoundCall> {
        let endorsers = (path == Path::NamedEndorsers).then_some(self.endorsers);
        round(
            self.contract,
            self.function,
            argument,
            path,
            endorsers,
            blocks,
        )
        .await
    }
}

/// Endorses, submits and waits for one `Store` argument; a transaction
/// that is not valid fails the run (the workload's arguments are each
/// valid once).
async fn round(
    contract: &Contract,
    function: &str,
    argument: Vec<u8>,
    path: Path,
    endorsers: Option<&[String]>,
    blocks: &mut mpsc::UnboundedReceiver<Seen>,
) -> Result<RoundCall> {
    let start = Instant::now();
    let mut proposal = contract.new_proposal(function).argument(argument);
    if let Some(endorsers) = endorsers {
        proposal = proposal.endorsing_organizations(endorsers.iter().cloned());
    }
    let transaction = proposal
        .build()
        .map_err(ledger)?
        .endorse()
        .await
        .map_err(ledger)?;
    let endorsed = Instant::now();
    let commit = transaction.submit().await.map_err(ledger)?;
    let submitted = Instant::now();
    let tx_id = commit.transaction_id().to_owned();
    let (code, known) = match path.wait() {
        Wait::CommitStatus => {
            let status = commit.status().await.map_err(ledger)?;
            (status.code, Instant::now())
        }
        Wait::BlockEvents => {
            let found = tokio::time::timeout(BLOCK_WAIT, async {
                while let Some((id, code, at)) = blocks.recv().await {
                    if id == tx_id {
                        return Some((code, at));
                    }
                }
                None
            })
            .await;
            match found {
                Ok(Some(found)) => found,
                Ok(None) => {
                    return Err(BenchError::Invalid(
                        "the filtered block stream ended before the transaction's block (see the warning above)".into(),
                    ));
                }
                Err(_) => {
                    return Err(BenchError::Invalid(format!(
                        "transaction {tx_id} did not appear in a filtered block within {} s",
                        BLOCK_WAIT.as_secs()
                    )));
                }
            }
        }
    };
    if code != 0 {
        return Err(BenchError::Invalid(format!(
            "transaction {tx_id} was committed with validation code {code}, not VALID; make a new workload"
        )));
    }
    Ok(RoundCall {
        path,
        endorse_s: (endorsed - start).as_secs_f64(),
        submit_s: (submitted - endorsed).as_secs_f64(),
        wait_s: known.saturating_duration_since(submitted).as_secs_f64(),
        total_s: known.saturating_duration_since(start).as_secs_f64(),
    })
}

/// A metric read off one repetition, in milliseconds.
struct Metric {
    name: &'static str,
    value: fn(&RoundRep) -> Option<f64>,
}

fn median_ms(samples: impl Iterator<Item = f64>) -> Option<f64> {
    let samples: Vec<f64> = samples.collect();
    Summary::of(&samples).map(|s| 1000.0 * s.p50)
}

fn calls_of(rep: &RoundRep, path: Path) -> impl Iterator<Item = &RoundCall> {
    rep.calls.iter().filter(move |c| c.path == path)
}

const METRICS: &[Metric] = &[
    Metric {
        name: "round, CommitStatus wait (median)",
        value: |r| median_ms(calls_of(r, Path::CommitStatus).map(|c| c.total_s)),
    },
    Metric {
        name: "round, block-event wait (median)",
        value: |r| median_ms(calls_of(r, Path::BlockEvents).map(|c| c.total_s)),
    },
    Metric {
        name: "round, endorsers named (median)",
        value: |r| median_ms(calls_of(r, Path::NamedEndorsers).map(|c| c.total_s)),
    },
    Metric {
        name: "endorse, the gateway choosing (median)",
        value: |r| {
            median_ms(
                r.calls
                    .iter()
                    .filter(|c| c.path != Path::NamedEndorsers)
                    .map(|c| c.endorse_s),
            )
        },
    },
    Metric {
        name: "endorse, endorsers named (median)",
        value: |r| median_ms(calls_of(r, Path::NamedEndorsers).map(|c| c.endorse_s)),
    },
    Metric {
        name: "submit to the orderer (median)",
        value: |r| median_ms(r.calls.iter().map(|c| c.submit_s)),
    },
    Metric {
        name: "wait, CommitStatus (median)",
        value: |r| median_ms(calls_of(r, Path::CommitStatus).map(|c| c.wait_s)),
    },
    Metric {
        name: "wait, block events (median)",
        value: |r| median_ms(calls_of(r, Path::BlockEvents).map(|c| c.wait_s)),
    },
    Metric {
        name: "Get, warm connection (median)",
        value: |r| median_ms(r.warm_evaluate_s.iter().copied()),
    },
    Metric {
        name: "connect afresh (median)",
        value: |r| median_ms(r.cold_connect_s.iter().copied()),
    },
    Metric {
        name: "Get, first on a fresh connection (median)",
        value: |r| median_ms(r.cold_evaluate_s.iter().copied()),
    },
];

/// The first `Get` on a fresh connection, connecting included.
fn fresh_get_ms(r: &RoundRep) -> Option<f64> {
    median_ms(
        r.cold_connect_s
            .iter()
            .zip(&r.cold_evaluate_s)
            .map(|(connect, get)| connect + get),
    )
}

/// A ratio taken within each repetition: its name, numerator and
/// denominator.
type Ratio = (
    &'static str,
    fn(&RoundRep) -> Option<f64>,
    fn(&RoundRep) -> Option<f64>,
);

const RATIOS: &[Ratio] = &[
    (
        "round: block events / CommitStatus",
        METRICS[1].value,
        METRICS[0].value,
    ),
    (
        "wait: block events / CommitStatus",
        METRICS[7].value,
        METRICS[6].value,
    ),
    (
        "round: endorsers named / the gateway choosing",
        METRICS[2].value,
        METRICS[0].value,
    ),
    (
        "endorse: endorsers named / the gateway choosing",
        METRICS[4].value,
        METRICS[3].value,
    ),
    (
        "Get: fresh connection (connect + Get) / warm",
        fresh_get_ms,
        METRICS[8].value,
    ),
];

/// The Markdown tables: each metric's min / median / max over the
/// repetitions, then the ratios.
pub fn tables(report: &RoundReport) -> String {
    let values = |m: &Metric| -> Vec<f64> { report.reps.iter().filter_map(m.value).collect() };
    let mut table = Table::new(&["metric (ms)", "min / median / max over repetitions"]);
    for m in METRICS {
        table.row(vec![
            m.name.to_owned(),
            min_median_max(Summary::of(&values(m)).as_ref(), number),
        ]);
    }
    let mut ratios = Table::new(&["ratio (within each repetition)", "min / median / max"]);
    for &(name, top, bottom) in RATIOS {
        let per_rep: Vec<f64> = report
            .reps
            .iter()
            .filter_map(|r| {
                let a = top(r)?;
                let b = bottom(r)?;
                (b > 0.0).then(|| a / b)
            })
            .collect();
        ratios.row(vec![
            name.to_owned(),
            min_median_max(Summary::of(&per_rep).as_ref(), number),
        ]);
    }
    format!(
        "{} repetitions, {} submissions per path (endorsers named: {}) and {} evaluations per connection kind each\n\n{}\n{}",
        report.reps.len(),
        report.calls,
        report.endorsers.join(", "),
        report.evaluations,
        table.render(),
        ratios.render()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn call(path: Path, wait_s: f64) -> RoundCall {
        RoundCall {
            path,
            endorse_s: 0.004,
            submit_s: 0.002,
            wait_s,
            total_s: 0.006 + wait_s,
        }
    }

    /// A repetition whose block-event waits take `factor` times the
    /// CommitStatus waits, and whose fresh connections cost 9 ms.
    fn rep(rep: usize, status_wait: f64, factor: f64) -> RoundRep {
        let calls = (0..10)
            .flat_map(|_| {
                [
                    call(Path::CommitStatus, status_wait),
                    call(Path::BlockEvents, status_wait * factor),
                    call(Path::NamedEndorsers, status_wait),
                ]
            })
            .collect();
        RoundRep {
            rep,
            load: Load::start().finish(),
            calls,
            warm_evaluate_s: vec![0.003; 5],
            cold_connect_s: vec![0.006; 5],
            cold_evaluate_s: vec![0.003; 5],
        }
    }

    fn report() -> RoundReport {
        RoundReport {
            machine: Machine::read(),
            workload: "w".into(),
            calls: 10,
            endorsers: vec!["Org1MSP".into(), "Org2MSP".into()],
            evaluations: 5,
            // The machine slows down between repetitions; each repetition's
            // ratio stays 0.5 (waits) and 3 (fresh / warm Get).
            reps: vec![rep(1, 0.020, 0.5), rep(2, 0.040, 0.5)],
        }
    }

    #[test]
    fn ratios_are_taken_within_each_repetition() {
        let text = tables(&report());
        assert!(
            text.contains("| wait: block events / CommitStatus | 0.500 / 0.500 / 0.500 |"),
            "{text}"
        );
        assert!(
            text.contains("| Get: fresh connection (connect + Get) / warm | 3.00 / 3.00 / 3.00 |"),
            "{text}"
        );
        // Over the repetitions the CommitStatus wait itself ranges 20–40 ms.
        assert!(
            text.contains("| wait, CommitStatus (median) | 20.0 / 20.0 / 40.0 |"),
            "{text}"
        );
    }

    #[test]
    fn the_plan_counts_the_warm_up_and_every_path() {
        let args = CommitRoundArgs {
            workload_dir: "w".into(),
            reps: 5,
            calls: 100,
            warmup: 10,
            evaluations: 50,
            plan: true,
            output: "o".into(),
        };
        assert_eq!(needed(&args), 1510);
    }
}
