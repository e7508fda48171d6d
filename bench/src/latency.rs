//! `latency`: the paper's Fig. 2 setup — patient, doctor and pharmacist;
//! patients triggered one after the other; per case the time from `txtc`
//! to the last record decrypted by the patient, and the time spent in the
//! chaincode (from the chaincode server's timing lines, per transaction id,
//! attributed to the case during which it ran).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::args::{Driver, LatencyArgs};
use crate::cast::{Cast, Kdf, Stage};
use crate::chaincode_log::{ChaincodeLog, ChaincodeTime, time_within};
use crate::error::Result;
use crate::flow::direct::{CaseOutcome, DirectOptions, run_case};
use crate::flow::events::EventRig;
use crate::flow::{CaseTiming, Retries, Step};
use crate::machine::{Load, Machine};
use crate::network::NetworkFiles;
use crate::report::{Table, duration, summary, write_json};
use crate::stats::Summary;

/// Participants of a latency case: patient, doctor, pharmacist.
const PARTICIPANTS: usize = 3;

/// The results of one `latency` run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LatencyReport {
    /// A name for the run.
    pub label: String,
    /// The machine.
    pub machine: Machine,
    /// Who drove the cases.
    pub driver: Driver,
    /// Whether the answers were submitted concurrently.
    pub parallel_answers: bool,
    /// Argon2id `m_kib`, `t`, `p`.
    pub kdf: [u32; 3],
    /// One series per number of patients.
    pub series: Vec<LatencySeries>,
    /// The distinct errors of retried steps (see `flow::Retries`).
    #[serde(default)]
    pub retried_errors: Vec<String>,
}

/// The cases of one number of patients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LatencySeries {
    /// Number of patients (cases).
    pub patients: usize,
    /// Load average around the series.
    pub load: Load,
    /// Whole process per case.
    pub total: Summary,
    /// Chaincode time per case on the critical path (per transaction the
    /// slower endorsing peer).
    pub chaincode: Summary,
    /// Chaincode work per case (every execution on every peer).
    pub chaincode_work: Summary,
    /// Mean chaincode transactions (submits and queries) per case.
    pub chaincode_transactions: f64,
    /// Submitted transactions per case.
    pub submitted: usize,
    /// Steps retried in the whole series.
    #[serde(default)]
    pub retries: usize,
    /// Mean time after the start at which each step completed.
    pub steps: Vec<Step>,
    /// Every case: seconds in total and in the chaincode.
    pub cases: Vec<CaseRow>,
}

/// One case of a series.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct CaseRow {
    /// Whole process.
    pub total_s: f64,
    /// Chaincode time of the case.
    pub chaincode: ChaincodeTime,
}

/// Runs `latency`.
pub async fn run(args: &LatencyArgs) -> Result<LatencyReport> {
    let files = NetworkFiles::locate(&args.network)?;
    let kdf = args.kdf.kdf();
    let dir = tempfile::tempdir()
        .map_err(|e| crate::error::BenchError::io("create", &std::env::temp_dir(), e))?;
    let cast = Cast::create(
        &Stage::Fabric(files.profile.clone()),
        dir.path(),
        PARTICIPANTS,
        kdf,
    )
    .await?;
    cast.selection()?.verify(cast.members[0].ledger()).await?;
    cast.checkpoint_now().await?;
    let mut runner = Runner::new(args, &cast, kdf);
    let log = ChaincodeLog::from_now(&files.chaincode_log)?;
    for _ in 0..args.warmup {
        runner.case(&cast).await?;
    }
    log.require_executions()?;

    let mut series = Vec::new();
    for &patients in &args.patients {
        let load = Load::start();
        let mut timings = Vec::with_capacity(patients);
        for _ in 0..patients {
            timings.push(runner.case(&cast).await?.timing);
        }
        let load = load.finish();
        // The last lines may still be on their way to the file.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let executions = log.require_executions()?;
        let s = summarize(patients, load, &timings, |t| {
            time_within(&executions, t.start_us, t.end_us)
        });
        eprintln!(
            "{patients} patients: {} per case (mean / p50 / p95), chaincode {}",
            summary(Some(&s.total)),
            summary(Some(&s.chaincode))
        );
        series.push(s);
    }
    let retried_errors = runner.retries().errors();
    runner.stop().await;
    let report = LatencyReport {
        label: args.label.clone().unwrap_or_else(|| default_label(args)),
        machine: Machine::read(),
        driver: args.driver,
        parallel_answers: !args.sequential_answers,
        kdf: [kdf.params.m_kib, kdf.params.t, kdf.params.p],
        series,
        retried_errors,
    };
    write_json(&args.output, &report)?;
    println!("{}", table(&report));
    Ok(report)
}

fn default_label(args: &LatencyArgs) -> String {
    let driver = match args.driver {
        Driver::Events => "events",
        Driver::Direct if args.sequential_answers => "direct, answers in turn",
        Driver::Direct => "direct",
    };
    format!("{driver}, {:?} Argon2id", args.kdf).to_lowercase()
}

/// Runs cases with the chosen driver.
enum Runner {
    Events(EventRig, Duration),
    Direct(DirectOptions, Retries),
}

impl Runner {
    fn new(args: &LatencyArgs, cast: &Cast, kdf: Kdf) -> Self {
        match args.driver {
            Driver::Events => Self::Events(
                EventRig::start(cast, kdf, args.message_bytes),
                Duration::from_secs(args.case_timeout),
            ),
            Driver::Direct => Self::Direct(
                DirectOptions {
                    kdf,
                    parallel_answers: !args.sequential_answers,
                    message_bytes: args.message_bytes,
                },
                Retries::default(),
            ),
        }
    }

    async fn case(&mut self, cast: &Cast) -> Result<CaseOutcome> {
        match self {
            Self::Events(rig, timeout) => rig.run_case(cast, *timeout).await,
            Self::Direct(options, retries) => run_case(cast, *options, retries).await,
        }
    }

    fn retries(&self) -> Retries {
        match self {
            Self::Events(rig, _) => rig.retries(),
            Self::Direct(_, retries) => retries.clone(),
        }
    }

    async fn stop(self) {
        if let Self::Events(rig, _) = self {
            rig.stop().await;
        }
    }
}

/// Summarizes a series; `chaincode_of` gives a case's chaincode time.
fn summarize(
    patients: usize,
    load: Load,
    timings: &[CaseTiming],
    chaincode_of: impl Fn(&CaseTiming) -> ChaincodeTime,
) -> LatencySeries {
    let cases: Vec<CaseRow> = timings
        .iter()
        .map(|t| CaseRow {
            total_s: t.total_s,
            chaincode: chaincode_of(t),
        })
        .collect();
    let of = |f: fn(&CaseRow) -> f64| {
        Summary::of(&cases.iter().map(f).collect::<Vec<_>>()).unwrap_or_default()
    };
    let n = cases.len().max(1) as f64;
    LatencySeries {
        patients,
        load,
        total: of(|c| c.total_s),
        chaincode: of(|c| c.chaincode.critical_s),
        chaincode_work: of(|c| c.chaincode.total_s),
        chaincode_transactions: cases
            .iter()
            .map(|c| c.chaincode.transactions as f64)
            .sum::<f64>()
            / n,
        submitted: timings.first().map_or(0, |t| t.submitted),
        retries: timings.iter().map(|t| t.retries).sum(),
        steps: mean_steps(timings),
        cases,
    }
}

/// The mean completion time of each step, in order of first appearance.
fn mean_steps(timings: &[CaseTiming]) -> Vec<Step> {
    let mut names: Vec<String> = Vec::new();
    for step in timings.iter().flat_map(|t| &t.steps) {
        if !names.contains(&step.name) {
            names.push(step.name.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let at: Vec<f64> = timings
                .iter()
                .flat_map(|t| &t.steps)
                .filter(|s| s.name == name)
                .map(|s| s.at_s)
                .collect();
            Step {
                at_s: at.iter().sum::<f64>() / at.len().max(1) as f64,
                name,
            }
        })
        .collect()
}

/// The Markdown tables of a report: per-case times, then the mean step
/// timeline of the largest series.
pub fn table(report: &LatencyReport) -> String {
    let mut t = Table::new(&[
        "patients",
        "per case: mean / p50 / p95",
        "chaincode per case: mean / p50 / p95",
        "chaincode work per case (mean)",
        "chaincode calls per case",
        "retried steps",
        "load avg (1 min)",
    ]);
    for s in &report.series {
        t.row(vec![
            s.patients.to_string(),
            summary(Some(&s.total)),
            summary(Some(&s.chaincode)),
            duration(s.chaincode_work.mean),
            format!("{:.1}", s.chaincode_transactions),
            s.retries.to_string(),
            s.load.describe(),
        ]);
    }
    let mut out = format!(
        "{} (Argon2id m={} KiB t={} p={})\n\n{}",
        report.label,
        report.kdf[0],
        report.kdf[1],
        report.kdf[2],
        t.render()
    );
    if let Some(largest) = report.series.iter().max_by_key(|s| s.patients) {
        let mut steps = Table::new(&["step", "mean time after start"]);
        for s in &largest.steps {
            steps.row(vec![s.name.clone(), duration(s.at_s)]);
        }
        out += &format!(
            "\nsteps ({} patients)\n\n{}",
            largest.patients,
            steps.render()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn timing(total: f64, steps: &[(&str, f64)]) -> CaseTiming {
        CaseTiming {
            start_us: 0,
            end_us: 1,
            total_s: total,
            steps: steps
                .iter()
                .map(|(n, a)| Step {
                    name: (*n).into(),
                    at_s: *a,
                })
                .collect(),
            submitted: 5,
            retries: 0,
        }
    }

    #[test]
    fn steps_are_averaged_in_order() {
        let t = [
            timing(1.0, &[("txtc", 0.2), ("read", 1.0)]),
            timing(2.0, &[("txtc", 0.4), ("read", 2.0)]),
        ];
        let steps = mean_steps(&t);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].name, "txtc");
        assert!((steps[0].at_s - 0.3).abs() < 1e-12);
        assert!((steps[1].at_s - 1.5).abs() < 1e-12);
    }

    #[test]
    fn a_series_sums_chaincode_time_per_case() {
        let t = [timing(1.0, &[]), timing(3.0, &[])];
        let s = summarize(2, Load::start(), &t, |_| ChaincodeTime {
            transactions: 4,
            executions: 6,
            critical_s: 0.1,
            total_s: 0.15,
        });
        assert_eq!(s.total.mean, 2.0);
        assert_eq!(s.chaincode.mean, 0.1);
        assert_eq!(s.chaincode_work.mean, 0.15);
        assert_eq!(s.chaincode_transactions, 4.0);
        assert_eq!(s.submitted, 5);
        assert!(
            table(&LatencyReport {
                label: "x".into(),
                machine: Machine::read(),
                driver: Driver::Direct,
                parallel_answers: true,
                kdf: [64, 1, 1],
                series: vec![s],
                retried_errors: Vec::new(),
            })
            .contains("| 2 | 2000 ms / 1000 ms / 3000 ms |")
        );
    }
}
