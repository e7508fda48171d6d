//! `medchain-bench`: the paper's measurements for medchain, one subcommand
//! each (docs/benchmarks.md):
//!
//! * `latency` — per-case time and chaincode time, patients one after the
//!   other, on a real Fabric network;
//! * `throughput` — cases/s and transactions/s with many cases at once,
//!   with CPU and memory per process;
//! * `comm-cost` — proposals, events and their sizes for 2 to 5
//!   participants;
//! * `plot` — the per-case time chart from `latency` results;
//! * `attachments` — attachment throughput and client memory on the
//!   network's IPFS node;
//! * `client-workload`, `client-run`, `client-compare` — our Gateway client
//!   against the official Go and Node clients;
//! * `commit-round` — one commit round taken apart: endorse, submit, and
//!   the commit wait by `CommitStatus` against block events; a warm
//!   against a fresh connection.

#![forbid(unsafe_code)]

mod args;
mod attachments;
mod cast;
mod chaincode_log;
mod clients;
mod comm_cost;
mod error;
mod flow;
mod latency;
mod machine;
mod network;
mod plot;
mod procs;
mod report;
mod round;
mod stats;
mod throughput;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::args::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match &cli.command {
        Command::Latency(args) => {
            latency::run(args).await?;
            eprintln!("results written to {}", args.output.display());
        }
        Command::Throughput(args) => {
            throughput::run(args).await?;
            eprintln!("results written to {}", args.output.display());
        }
        Command::CommCost(args) => {
            comm_cost::run(args).await?;
            eprintln!("results written to {}", args.output.display());
        }
        Command::Attachments(args) => {
            attachments::run(args).await?;
            eprintln!("results written to {}", args.output.display());
        }
        Command::ClientWorkload(args) => {
            let manifest = clients::workload::run(args).await?;
            eprintln!(
                "workload of {} Store arguments and {} stored keys written to {}",
                manifest.store_count,
                manifest.get_count,
                args.output.display()
            );
        }
        Command::ClientRun(args) => {
            clients::run(args).await?;
        }
        Command::ClientCompare(args) => {
            if clients::compare::run(args)?.is_some() {
                eprintln!("results written to {}", args.output.display());
            }
        }
        Command::CommitRound(args) => {
            if round::run(args).await?.is_some() {
                eprintln!("results written to {}", args.output.display());
            }
        }
        Command::Plot(args) => {
            let output = plot::run(args)?;
            eprintln!("chart written to {}", output.display());
        }
    }
    Ok(())
}
