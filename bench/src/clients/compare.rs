//! `client-compare`: the Go, Node and our drivers, one after the other, for
//! several repetitions, each run with a fresh slice of the workload; per
//! metric the min / median / max of each driver over the repetitions, and
//! the ratios ours/Go and ours/Node computed within each repetition (so
//! each ratio compares runs made minutes apart on the same ledger).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{DriverResult, LevelResult, Manifest, claim, driver_command, run_child};
use crate::args::{ClientCompareArgs, ClientDriver, ClientPhases};
use crate::error::{BenchError, Result};
use crate::machine::{Load, Machine};
use crate::report::{Table, write_json};
use crate::stats::Summary;

/// The results of one `client-compare`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareReport {
    /// The machine.
    pub machine: Machine,
    /// The workload directory.
    pub workload: String,
    /// The phases every driver ran.
    pub phases: ClientPhases,
    /// Repetitions.
    pub reps: usize,
    /// The drivers, in the first repetition's order.
    pub drivers: Vec<ClientDriver>,
    /// Every driver run.
    pub runs: Vec<Run>,
    /// Per metric, each driver's summary over the repetitions and the
    /// ratios.
    pub metrics: Vec<MetricRow>,
}

/// One driver run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    /// The repetition (from 1).
    pub rep: usize,
    /// Its place in the repetition's order (from 1).
    pub position: usize,
    /// The load average around the run.
    pub load: Load,
    /// What the driver printed.
    pub result: DriverResult,
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Less is better (latency, CPU, memory): a ratio ≤ 1 favours ours.
    Lower,
    /// More is better (throughput): a ratio ≥ 1 favours ours.
    Higher,
}

/// One metric over the repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricRow {
    /// What is measured.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Which way is better.
    pub better: Better,
    /// Each driver's values over the repetitions (`None`: not run).
    pub drivers: Vec<(ClientDriver, Option<Summary>)>,
    /// ours / Go and ours / Node, each computed within a repetition.
    pub ratios: Vec<(ClientDriver, Option<Summary>)>,
}

/// How a metric is read off a run (`None`: the run has no such value).
type Reading = Box<dyn Fn(&DriverResult) -> Option<f64>>;

/// A metric: its name, unit, direction and how to read it off a run.
struct Metric {
    name: String,
    unit: &'static str,
    better: Better,
    value: Reading,
}

/// Milliseconds of CPU per operation.
fn cpu_ms_per(cpu_s: f64, operations: usize) -> Option<f64> {
    (operations > 0).then(|| 1000.0 * cpu_s / operations as f64)
}

fn level_at(r: &DriverResult, i: usize) -> Option<&LevelResult> {
    r.levels.get(i)
}

/// Every metric of the comparison.
fn metrics(phases: &ClientPhases) -> Vec<Metric> {
    let ms = |samples: &[f64], pick: fn(&Summary) -> f64| {
        Summary::of(samples).map(|s| 1000.0 * pick(&s))
    };
    let mut out = vec![
        Metric {
            name: "Get evaluate, median".into(),
            unit: "ms",
            better: Better::Lower,
            value: Box::new(move |r| ms(&r.evaluate.latencies_s, |s| s.p50)),
        },
        Metric {
            name: "Get evaluate, p95".into(),
            unit: "ms",
            better: Better::Lower,
            value: Box::new(move |r| ms(&r.evaluate.latencies_s, |s| s.p95)),
        },
        Metric {
            name: "Store submit+commit, median".into(),
            unit: "ms",
            better: Better::Lower,
            value: Box::new(move |r| ms(&r.submit.latencies_s, |s| s.p50)),
        },
        Metric {
            name: "Store submit+commit, p95".into(),
            unit: "ms",
            better: Better::Lower,
            value: Box::new(move |r| ms(&r.submit.latencies_s, |s| s.p95)),
        },
    ];
    for (i, c) in phases.concurrency.iter().enumerate() {
        out.push(Metric {
            name: format!("committed tx/s, {c} in flight"),
            unit: "tx/s",
            better: Better::Higher,
            value: Box::new(move |r| level_at(r, i).map(LevelResult::tx_per_s)),
        });
    }
    out.push(Metric {
        name: "CPU per Get (sequential)".into(),
        unit: "ms",
        better: Better::Lower,
        value: Box::new(|r| cpu_ms_per(r.evaluate.cpu_s, r.evaluate.ok)),
    });
    out.push(Metric {
        name: "CPU per Store (sequential)".into(),
        unit: "ms",
        better: Better::Lower,
        value: Box::new(|r| cpu_ms_per(r.submit.cpu_s, r.submit.ok)),
    });
    for (i, c) in phases.concurrency.iter().enumerate() {
        out.push(Metric {
            name: format!("CPU per committed tx, {c} in flight"),
            unit: "ms",
            better: Better::Lower,
            value: Box::new(move |r| level_at(r, i).and_then(|l| cpu_ms_per(l.cpu_s, l.committed))),
        });
    }
    out.push(Metric {
        name: "CPU per committed tx, all levels".into(),
        unit: "ms",
        better: Better::Lower,
        value: Box::new(|r| {
            cpu_ms_per(
                r.levels.iter().map(|l| l.cpu_s).sum(),
                r.levels.iter().map(|l| l.committed).sum(),
            )
        }),
    });
    out.push(Metric {
        name: "CPU, whole process".into(),
        unit: "s",
        better: Better::Lower,
        value: Box::new(|r| Some(r.cpu_s)),
    });
    out.push(Metric {
        name: "peak RSS".into(),
        unit: "MiB",
        better: Better::Lower,
        value: Box::new(|r| Some(r.peak_rss_kib as f64 / 1024.0)),
    });
    out
}

/// The drivers of repetition `rep` (from 0), in order: each repetition
/// starts one further along, so no driver always runs first.
fn order(drivers: &[ClientDriver], rep: usize) -> Vec<ClientDriver> {
    let n = drivers.len();
    (0..n).map(|k| drivers[(rep + k) % n]).collect()
}

/// Runs `client-compare`.
pub fn run(args: &ClientCompareArgs) -> Result<Option<CompareReport>> {
    args.phases.check()?;
    let mut drivers: Vec<ClientDriver> = Vec::new();
    for d in &args.drivers {
        if !drivers.contains(d) {
            drivers.push(*d);
        }
    }
    let per_run = args.phases.store_per_run();
    let needed = args.reps * drivers.len() * per_run;
    if args.plan {
        println!("{needed}");
        return Ok(None);
    }
    if args.reps == 0 || drivers.is_empty() {
        return Err(BenchError::Invalid(
            "give at least one repetition and one driver".into(),
        ));
    }
    if !(args.pause_seconds >= 0.0 && args.pause_seconds.is_finite()) {
        return Err(BenchError::Invalid(
            "--pause-seconds must be 0 or a positive number of seconds".into(),
        ));
    }
    let dir = &args.workload_dir;
    let manifest = Manifest::read(dir)?;
    // Check every driver is there before claiming anything.
    for &d in &drivers {
        driver_command(d, &args.programs, dir, 0, &args.phases)?;
    }
    let base = claim(dir, &manifest, needed)?;
    eprintln!(
        "{} repetitions × {} drivers × {per_run} Store arguments from line {} of {}",
        args.reps,
        drivers.len(),
        base + 1,
        dir.join(&manifest.store_file).display()
    );
    let mut runs = Vec::with_capacity(needed / per_run.max(1));
    for rep in 0..args.reps {
        for (k, &driver) in order(&drivers, rep).iter().enumerate() {
            if !runs.is_empty() {
                std::thread::sleep(Duration::from_secs_f64(args.pause_seconds));
            }
            let offset = base + (rep * drivers.len() + k) * per_run;
            let load = Load::start();
            let command = driver_command(driver, &args.programs, dir, offset, &args.phases)?;
            let result = run_child(command, driver)?;
            let load = load.finish();
            eprintln!("rep {}/{}: {}", rep + 1, args.reps, describe(&result));
            runs.push(Run {
                rep: rep + 1,
                position: k + 1,
                load,
                result,
            });
        }
    }
    let report = CompareReport {
        machine: Machine::read(),
        workload: dir.display().to_string(),
        phases: args.phases.clone(),
        reps: args.reps,
        drivers: drivers.clone(),
        metrics: summarize(&metrics(&args.phases), &drivers, &runs),
        runs,
    };
    write_json(&args.output, &report)?;
    println!("{}", tables(&report));
    Ok(Some(report))
}

/// One line about a run, for the progress messages.
fn describe(r: &DriverResult) -> String {
    let levels: Vec<String> = r
        .levels
        .iter()
        .map(|l| format!("{:.1} tx/s at {}", l.tx_per_s(), l.concurrency))
        .collect();
    let failed =
        r.evaluate.failed + r.submit.failed + r.levels.iter().map(|l| l.failed).sum::<usize>();
    format!(
        "{:?}: Get {} ms, Store {} ms (medians), {}; {failed} failed",
        r.driver,
        Summary::of(&r.evaluate.latencies_s).map_or("–".into(), |s| number(1000.0 * s.p50)),
        Summary::of(&r.submit.latencies_s).map_or("–".into(), |s| number(1000.0 * s.p50)),
        levels.join(", ")
    )
}

/// Each metric's summaries over the runs.
fn summarize(metrics: &[Metric], drivers: &[ClientDriver], runs: &[Run]) -> Vec<MetricRow> {
    let reps = runs.iter().map(|r| r.rep).max().unwrap_or(0);
    let value_of = |m: &Metric, driver: ClientDriver, rep: usize| {
        runs.iter()
            .find(|r| r.rep == rep && r.result.driver == driver)
            .and_then(|r| (m.value)(&r.result))
    };
    metrics
        .iter()
        .map(|m| {
            let per_driver = drivers
                .iter()
                .map(|&d| {
                    let values: Vec<f64> =
                        (1..=reps).filter_map(|rep| value_of(m, d, rep)).collect();
                    (d, Summary::of(&values))
                })
                .collect();
            let ratios = if drivers.contains(&ClientDriver::Ours) {
                drivers
                    .iter()
                    .filter(|&&d| d != ClientDriver::Ours)
                    .map(|&other| {
                        let values: Vec<f64> = (1..=reps)
                            .filter_map(|rep| {
                                let ours = value_of(m, ClientDriver::Ours, rep)?;
                                let theirs = value_of(m, other, rep)?;
                                (theirs > 0.0).then(|| ours / theirs)
                            })
                            .collect();
                        (other, Summary::of(&values))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            MetricRow {
                name: m.name.clone(),
                unit: m.unit.to_owned(),
                better: m.better,
                drivers: per_driver,
                ratios,
            }
        })
        .collect()
}

/// A figure with three significant digits or so.
pub(crate) fn number(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// "min / median / max", or "–".
pub(crate) fn min_median_max(s: Option<&Summary>, format: fn(f64) -> String) -> String {
    s.map_or_else(
        || "–".to_owned(),
        |s| format!("{} / {} / {}", format(s.min), format(s.p50), format(s.max)),
    )
}

fn driver_name(d: ClientDriver) -> &'static str {
    match d {
        ClientDriver::Go => "Go",
        ClientDriver::Node => "Node",
        ClientDriver::Ours => "ours",
    }
}

/// The Markdown tables: the metrics, then what each run did.
pub fn tables(report: &CompareReport) -> String {
    let mut header = vec!["metric".to_owned(), "better".to_owned()];
    header.extend(
        report
            .drivers
            .iter()
            .map(|&d| format!("{}: min / median / max", driver_name(d))),
    );
    let ratio_drivers: Vec<ClientDriver> = report
        .metrics
        .first()
        .map(|m| m.ratios.iter().map(|(d, _)| *d).collect())
        .unwrap_or_default();
    header.extend(
        ratio_drivers
            .iter()
            .map(|&d| format!("ours/{}: min / median / max", driver_name(d))),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&header);
    for m in &report.metrics {
        let mut row = vec![
            format!("{} ({})", m.name, m.unit),
            match m.better {
                Better::Lower => "lower".to_owned(),
                Better::Higher => "higher".to_owned(),
            },
        ];
        row.extend(
            m.drivers
                .iter()
                .map(|(_, s)| min_median_max(s.as_ref(), number)),
        );
        row.extend(
            m.ratios
                .iter()
                .map(|(_, s)| min_median_max(s.as_ref(), |x| format!("{x:.2}"))),
        );
        t.row(row);
    }

    let mut header = vec![
        "rep".to_owned(),
        "driver".to_owned(),
        "Get ok (failed)".to_owned(),
        "Store ok (failed)".to_owned(),
    ];
    header.extend(
        report
            .phases
            .concurrency
            .iter()
            .map(|c| format!("{c} in flight: committed (failed)")),
    );
    header.push("load avg (1 min)".to_owned());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut counts = Table::new(&header);
    for run in &report.runs {
        let r = &run.result;
        let mut row = vec![
            format!("{}.{}", run.rep, run.position),
            driver_name(r.driver).to_owned(),
            format!("{} ({})", r.evaluate.ok, r.evaluate.failed),
            format!("{} ({})", r.submit.ok, r.submit.failed),
        ];
        row.extend(
            r.levels
                .iter()
                .map(|l| format!("{} ({})", l.committed, l.failed)),
        );
        row.push(run.load.describe());
        counts.row(row);
    }
    let clients: Vec<String> = report
        .drivers
        .iter()
        .filter_map(|&d| {
            let r = &report.runs.iter().find(|r| r.result.driver == d)?.result;
            Some(format!("{}: {} on {}", driver_name(d), r.client, r.runtime))
        })
        .collect();
    let p = &report.phases;
    format!(
        "clients vs ours ({} repetitions; per run: {} Get after {} warm-up, {} Store after {} warm-up, {} Store per level{})\n{}\n\n{}\n{}\n\nruns (rep.position; each repetition's order rotates)\n\n{}",
        report.reps,
        p.get_calls,
        p.get_warmup,
        p.store_calls,
        p.store_warmup,
        p.level_tx,
        if p.level_seconds > 0.0 {
            format!(", none started after {} s", p.level_seconds)
        } else {
            String::new()
        },
        clients.join("\n"),
        t.render(),
        agreement(report) + &coarse_cpu(report).map_or(String::new(), |n| format!("\n\n{n}")),
        counts.render()
    )
}

/// CPU times count only when they span many units of the driver's CPU
/// clock (25: within 4 %).
const MIN_CPU_UNITS: f64 = 25.0;

/// The phases whose CPU time is under [`MIN_CPU_UNITS`] units of their
/// driver's CPU clock, by driver, if any.
fn coarse_cpu(report: &CompareReport) -> Option<String> {
    let mut by_driver: Vec<(ClientDriver, Vec<String>, f64, f64)> = Vec::new();
    for run in &report.runs {
        let r = &run.result;
        let phases = [("Get", r.evaluate.cpu_s), ("Store", r.submit.cpu_s)]
            .into_iter()
            .map(|(name, cpu)| (name.to_owned(), cpu))
            .chain(
                r.levels
                    .iter()
                    .map(|l| (format!("{} in flight", l.concurrency), l.cpu_s)),
            );
        for (name, cpu) in phases.filter(|(_, cpu)| *cpu < MIN_CPU_UNITS * r.cpu_resolution_s) {
            let entry = match by_driver.iter_mut().position(|(d, ..)| *d == r.driver) {
                Some(i) => &mut by_driver[i],
                None => {
                    by_driver.push((r.driver, Vec::new(), f64::INFINITY, 0.0));
                    by_driver.last_mut()?
                }
            };
            if !entry.1.contains(&name) {
                entry.1.push(name);
            }
            entry.2 = entry.2.min(cpu);
            entry.3 = entry.3.max(cpu);
        }
    }
    let lines: Vec<String> = by_driver
        .iter()
        .map(|(d, phases, low, high)| {
            format!(
                "{}: {} ({low:.2}–{high:.2} s of CPU, clock unit {} s)",
                driver_name(*d),
                phases.join(", "),
                report
                    .runs
                    .iter()
                    .find(|r| r.result.driver == *d)
                    .map_or(0.0, |r| r.result.cpu_resolution_s)
            )
        })
        .collect();
    (!lines.is_empty()).then(|| {
        format!(
            "CPU resolution: in these phases a driver used less than {MIN_CPU_UNITS} units of its CPU clock (ours reads /proc/self/stat in 10 ms ticks), so their CPU per call is uncertain by more than 4 %; lengthen them with --get-calls, --store-calls, --level-tx:\n- {}",
            lines.join("\n- ")
        )
    })
}

/// Whether every run did all its calls without failure, and so every
/// driver did the same work.
fn agreement(report: &CompareReport) -> String {
    let p = &report.phases;
    let problems: Vec<String> = report
        .runs
        .iter()
        .filter_map(|run| {
            let r = &run.result;
            let mut wrong = Vec::new();
            if r.evaluate.ok != p.get_calls {
                wrong.push(format!("{} of {} Get", r.evaluate.ok, p.get_calls));
            }
            if r.submit.ok != p.store_calls {
                wrong.push(format!("{} of {} Store", r.submit.ok, p.store_calls));
            }
            for l in &r.levels {
                let short = if p.level_seconds > 0.0 {
                    l.failed > 0
                } else {
                    l.committed != p.level_tx
                };
                if short {
                    wrong.push(format!(
                        "{} of {} committed at {} in flight",
                        l.committed, p.level_tx, l.concurrency
                    ));
                }
            }
            let first = [&r.evaluate.first_error, &r.submit.first_error]
                .into_iter()
                .chain(r.levels.iter().map(|l| &l.first_error))
                .find(|e| !e.is_empty());
            (!wrong.is_empty()).then(|| {
                format!(
                    "run {}.{} ({}): {}{}",
                    run.rep,
                    run.position,
                    driver_name(r.driver),
                    wrong.join(", "),
                    first.map_or(String::new(), |e| format!(" — first error: {e}"))
                )
            })
        })
        .collect();
    if problems.is_empty() {
        "counts: every run completed every call of every phase (the drivers did the same work)"
            .to_owned()
    } else {
        format!("counts differ:\n- {}", problems.join("\n- "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::clients::Sequential;

    fn phases() -> ClientPhases {
        ClientPhases {
            get_warmup: 0,
            get_calls: 2,
            store_warmup: 0,
            store_calls: 2,
            concurrency: vec![1, 4],
            level_tx: 10,
            level_seconds: 0.0,
        }
    }

    fn sequential(latency: f64, cpu: f64) -> Sequential {
        Sequential {
            warmup: 0,
            ok: 2,
            failed: 0,
            first_error: String::new(),
            latencies_s: vec![latency, latency],
            cpu_s: cpu,
            elapsed_s: 2.0 * latency,
        }
    }

    fn result(driver: ClientDriver, scale: f64) -> DriverResult {
        DriverResult {
            driver,
            client: "c".into(),
            runtime: "r".into(),
            store_offset: 0,
            store_used: 22,
            evaluate: sequential(0.002 * scale, 0.004 * scale),
            submit: sequential(0.05 * scale, 0.01 * scale),
            levels: [1, 4]
                .into_iter()
                .map(|c| LevelResult {
                    concurrency: c,
                    submitted: 10,
                    committed: 10,
                    failed: 0,
                    first_error: String::new(),
                    elapsed_s: scale,
                    cpu_s: 0.1 * scale,
                })
                .collect(),
            cpu_s: scale,
            cpu_resolution_s: 1e-6,
            peak_rss_kib: (10240.0 * scale) as u64,
        }
    }

    fn runs() -> Vec<Run> {
        let mut runs = Vec::new();
        for (rep, ours) in [(1, 0.5), (2, 1.0), (3, 0.8)] {
            for (position, (driver, scale)) in [
                (ClientDriver::Go, 1.0),
                (ClientDriver::Node, 2.0),
                (ClientDriver::Ours, ours),
            ]
            .into_iter()
            .enumerate()
            {
                runs.push(Run {
                    rep,
                    position: position + 1,
                    load: Load::start(),
                    result: result(driver, scale),
                });
            }
        }
        runs
    }

    #[test]
    fn orders_rotate() {
        let d = [ClientDriver::Go, ClientDriver::Node, ClientDriver::Ours];
        assert_eq!(order(&d, 0), d);
        assert_eq!(
            order(&d, 1),
            [ClientDriver::Node, ClientDriver::Ours, ClientDriver::Go]
        );
        assert_eq!(order(&d, 3), d);
    }

    #[test]
    fn ratios_are_taken_within_each_repetition() {
        let drivers = [ClientDriver::Go, ClientDriver::Node, ClientDriver::Ours];
        let rows = summarize(&metrics(&phases()), &drivers, &runs());
        let get = &rows[0];
        assert_eq!(get.name, "Get evaluate, median");
        let go = get.drivers[0].1.unwrap();
        assert!((go.p50 - 2.0).abs() < 1e-9);
        let (against, ratio) = &get.ratios[0];
        assert_eq!(*against, ClientDriver::Go);
        let ratio = ratio.unwrap();
        assert!((ratio.min - 0.5).abs() < 1e-9 && (ratio.max - 1.0).abs() < 1e-9);
        assert!((ratio.p50 - 0.8).abs() < 1e-9);
        // Throughput: ours at scale 0.5 commits the same in half the time.
        let tps = rows
            .iter()
            .find(|m| m.name == "committed tx/s, 4 in flight")
            .unwrap();
        assert_eq!(tps.better, Better::Higher);
        assert!((tps.ratios[0].1.unwrap().max - 2.0).abs() < 1e-9);
        let cpu = rows
            .iter()
            .find(|m| m.name == "CPU per committed tx, 1 in flight")
            .unwrap();
        assert!((cpu.drivers[0].1.unwrap().p50 - 10.0).abs() < 1e-9);
    }

    #[test]
    fn tables_show_every_driver_and_the_counts() {
        let drivers = vec![ClientDriver::Go, ClientDriver::Node, ClientDriver::Ours];
        let runs = runs();
        let report = CompareReport {
            machine: Machine::read(),
            workload: "w".into(),
            phases: phases(),
            reps: 3,
            metrics: summarize(&metrics(&phases()), &drivers, &runs),
            drivers,
            runs,
        };
        let text = tables(&report);
        assert!(
            text.contains("| Get evaluate, median (ms) | lower | 2.00 / 2.00 / 2.00 | 4.00 / 4.00 / 4.00 | 1.00 / 1.60 / 2.00 | 0.50 / 0.80 / 1.00 | 0.25 / 0.40 / 0.50 |"),
            "{text}"
        );
        assert!(text.contains("every run completed every call"), "{text}");
        assert!(!text.contains("CPU resolution"), "{text}");
        let mut coarse = report.clone();
        coarse.runs[2].result.cpu_resolution_s = 0.01;
        let text = tables(&coarse);
        assert!(
            text.contains("a driver used less than 25 units")
                && text.contains(
                    "- ours: Get, Store, 1 in flight, 4 in flight (0.00–0.05 s of CPU, clock unit 0.01 s)"
                ),
            "{text}"
        );
        let mut short = report.clone();
        short.runs[1].result.levels[1].committed = 9;
        short.runs[1].result.levels[1].failed = 1;
        short.runs[1].result.levels[1].first_error = "boom".into();
        let text = tables(&short);
        assert!(
            text.contains("run 1.2 (Node): 9 of 10 committed at 4 in flight — first error: boom"),
            "{text}"
        );
    }
}
