//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::cast::Kdf;

/// Benchmarks of medchain: the paper's measurements on a real Fabric
/// network (docs/benchmarks.md).
#[derive(Debug, Parser)]
#[command(name = "medchain-bench", version)]
pub struct Cli {
    /// The measurement.
    #[command(subcommand)]
    pub command: Command,
}

/// One subcommand per measurement.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Per-case latency with 3 participants, patients triggered one after
    /// the other (the paper's Fig. 2).
    Latency(LatencyArgs),
    /// Completed cases/s and committed transactions/s with many cases at
    /// once, and the CPU and memory of every process.
    Throughput(ThroughputArgs),
    /// Proposals, events and their sizes per case for 2 to 5 participants
    /// (the paper's Fig. 1).
    CommCost(CommCostArgs),
    /// Draws per-case time against the number of patients from `latency`
    /// results (SVG).
    Plot(PlotArgs),
    /// Attachment throughput (encrypt + store, fetch + verify + decrypt)
    /// for files of several sizes on the network's IPFS node, and the
    /// client's peak memory.
    Attachments(AttachmentsArgs),
}

/// `attachments`.
#[derive(Debug, Args)]
pub struct AttachmentsArgs {
    /// The network's client profile: its `ipfs.api` node is used.
    #[arg(long, conflicts_with = "blocks_dir")]
    pub profile: Option<PathBuf>,
    /// A local block directory instead of an IPFS node (the embedded
    /// ledger's store).
    #[arg(long)]
    pub blocks_dir: Option<PathBuf>,
    /// File sizes in MiB, one series each.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1024")]
    pub sizes_mib: Vec<u64>,
    /// Stores and fetches per size.
    #[arg(long, default_value_t = 5)]
    pub repetitions: usize,
    /// Where the test files and downloads go [default: a temporary directory].
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results/attachments.json")]
    pub output: PathBuf,
}

/// The network a benchmark runs on.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// The network's client profile (`<work>/profile.json` of network/up.sh).
    #[arg(long)]
    pub profile: PathBuf,
    /// The chaincode server's log [default: `<work>/logs/chaincode.log`].
    #[arg(long)]
    pub chaincode_log: Option<PathBuf>,
}

/// Who drives a case forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Driver {
    /// Every participant's watcher reacts to the chaincode events (as in
    /// production).
    Events,
    /// The bench calls each step in turn (no events).
    Direct,
}

/// Argon2id parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KdfChoice {
    /// m = 64 KiB, t = 1 with the explicit insecure policy (a fast hash,
    /// as in the paper).
    Fast,
    /// The secure defaults (m = 19 456 KiB, t = 2).
    Default,
}

impl KdfChoice {
    /// The parameters and policy.
    pub fn kdf(self) -> Kdf {
        match self {
            Self::Fast => Kdf::FAST,
            Self::Default => Kdf::DEFAULT,
        }
    }
}

/// `latency`.
#[derive(Debug, Args)]
pub struct LatencyArgs {
    /// The network.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Numbers of patients, one series each.
    #[arg(long, value_delimiter = ',', default_value = "20,50,100,200")]
    pub patients: Vec<usize>,
    /// Who drives each case.
    #[arg(long, value_enum, default_value_t = Driver::Events)]
    pub driver: Driver,
    /// With `--driver direct`: submit the two answers one after the other
    /// instead of concurrently.
    #[arg(long)]
    pub sequential_answers: bool,
    /// Argon2id parameters of cases and wallets.
    #[arg(long, value_enum, default_value_t = KdfChoice::Fast)]
    pub kdf: KdfChoice,
    /// Plaintext bytes of each record.
    #[arg(long, default_value_t = 32)]
    pub message_bytes: usize,
    /// Cases run first and not counted (connections, caches).
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Longest time one case may take, in seconds.
    #[arg(long, default_value_t = 120)]
    pub case_timeout: u64,
    /// A name for this run in tables and plots.
    #[arg(long)]
    pub label: Option<String>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results/latency.json")]
    pub output: PathBuf,
}

/// `throughput`.
#[derive(Debug, Args)]
pub struct ThroughputArgs {
    /// The network.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Numbers of cases in flight at once, one measurement each.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub concurrency: Vec<usize>,
    /// Seconds each level runs (cases still running then are finished and
    /// counted).
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Argon2id parameters of cases and wallets.
    #[arg(long, value_enum, default_value_t = KdfChoice::Fast)]
    pub kdf: KdfChoice,
    /// Plaintext bytes of each record.
    #[arg(long, default_value_t = 32)]
    pub message_bytes: usize,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results/throughput.json")]
    pub output: PathBuf,
}

/// `comm-cost`.
#[derive(Debug, Args)]
pub struct CommCostArgs {
    /// Numbers of participants (2 = patient and doctor; then pharmacist,
    /// insurer, lawyer).
    #[arg(long, value_delimiter = ',', default_value = "2,3,4,5")]
    pub participants: Vec<usize>,
    /// Plaintext bytes of each record.
    #[arg(long, default_value_t = 32)]
    pub message_bytes: usize,
    /// Run on this Fabric network instead of an embedded ledger.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results/comm-cost.json")]
    pub output: PathBuf,
}

/// `plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// `latency` results; give several to draw several runs.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// The SVG to write.
    #[arg(long, default_value = "docs/bench-latency.svg")]
    pub output: PathBuf,
}
