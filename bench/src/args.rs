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
    /// Prepares the workload of `client-compare`: `Store` arguments each
    /// valid once, stored keys for `Get`, and a manifest naming the
    /// gateway and the doctor's identity.
    ClientWorkload(ClientWorkloadArgs),
    /// Runs one client driver (Go, Node or ours) on a workload and prints
    /// its result as JSON.
    ClientRun(ClientRunArgs),
    /// Our Gateway client against the official Go and Node clients on the
    /// same workload, for several repetitions: latency, throughput, CPU
    /// per transaction and peak memory.
    ClientCompare(ClientCompareArgs),
    /// One commit round taken apart on a `client-workload`: endorse,
    /// submit, and the wait for the commit by the gateway's `CommitStatus`
    /// against an open filtered block stream, alternately; and `Get` on a
    /// warm against a fresh connection.
    CommitRound(CommitRoundArgs),
}

/// `commit-round`.
#[derive(Debug, Args)]
pub struct CommitRoundArgs {
    /// The workload directory (`client-workload --output`).
    #[arg(long, default_value = "target/client-workload")]
    pub workload_dir: PathBuf,
    /// Repetitions.
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Timed submissions per wait and repetition (the two waits
    /// alternate call by call).
    #[arg(long, default_value_t = 100)]
    pub calls: usize,
    /// Untimed submissions first.
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,
    /// `Get` calls per kind of connection and repetition.
    #[arg(long, default_value_t = 50)]
    pub evaluations: usize,
    /// Only print how many `Store` arguments the run needs (for
    /// `client-workload --count`).
    #[arg(long)]
    pub plan: bool,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results/commit-round.json")]
    pub output: PathBuf,
}

/// `client-workload`.
#[derive(Debug, Args)]
pub struct ClientWorkloadArgs {
    /// The network's client profile; its `doctor` identity submits
    /// everything (and is registered first).
    #[arg(long)]
    pub profile: PathBuf,
    /// `Store` arguments to prepare; `client-compare --plan` prints how
    /// many a comparison needs.
    #[arg(long)]
    pub count: usize,
    /// Case openings stored now whose keys `Get` evaluates.
    #[arg(long, default_value_t = 16)]
    pub gets: usize,
    /// Argon2id parameters named in the case openings (the consortium's
    /// KDF floor must allow them).
    #[arg(long, value_enum, default_value_t = KdfChoice::Fast)]
    pub kdf: KdfChoice,
    /// The workload directory to write.
    #[arg(long, default_value = "target/client-workload")]
    pub output: PathBuf,
}

/// A client driver of `client-run` and `client-compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientDriver {
    /// The official Go client (`github.com/hyperledger/fabric-gateway`).
    Go,
    /// The official Node client (`@hyperledger/fabric-gateway`).
    Node,
    /// Our `fabric_gateway` crate.
    Ours,
}

/// The phases every client driver runs, with the same flags.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub struct ClientPhases {
    /// Untimed `Get` evaluations first.
    #[arg(long, default_value_t = 50)]
    pub get_warmup: usize,
    /// Timed `Get` evaluations, one after the other.
    #[arg(long, default_value_t = 2000)]
    pub get_calls: usize,
    /// Untimed `Store` submissions first.
    #[arg(long, default_value_t = 20)]
    pub store_warmup: usize,
    /// Timed `Store` submit+commit calls, one after the other.
    #[arg(long, default_value_t = 300)]
    pub store_calls: usize,
    /// Submissions in flight at once, one throughput level each.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    pub concurrency: Vec<usize>,
    /// Submissions per throughput level.
    #[arg(long, default_value_t = 500)]
    pub level_tx: usize,
    /// No new submission of a level after this many seconds (0: none, every
    /// level makes all its submissions).
    #[arg(long, default_value_t = 0.0)]
    pub level_seconds: f64,
}

/// Where the official clients' drivers are.
#[derive(Debug, Clone, Args)]
pub struct ClientPrograms {
    /// The Go driver, built from bench/clients/go.
    #[arg(long, default_value = "target/client-bench/go-driver")]
    pub go_bin: PathBuf,
    /// The Node.js executable.
    #[arg(long, default_value = "node")]
    pub node: PathBuf,
    /// The Node driver (after `npm ci` in its directory).
    #[arg(long, default_value = "bench/clients/node/bench.mjs")]
    pub node_script: PathBuf,
}

/// `client-run`.
#[derive(Debug, Args)]
pub struct ClientRunArgs {
    /// The driver.
    #[arg(long, value_enum)]
    pub driver: ClientDriver,
    /// The workload directory (`client-workload --output`).
    #[arg(long)]
    pub workload: PathBuf,
    /// The first `Store` argument to use (line of store.hex, from 0)
    /// [default: the workload's next unclaimed ones, claimed now].
    #[arg(long)]
    pub store_offset: Option<usize>,
    /// The phases.
    #[command(flatten)]
    pub phases: ClientPhases,
    /// The official clients' drivers.
    #[command(flatten)]
    pub programs: ClientPrograms,
}

/// `client-compare`.
#[derive(Debug, Args)]
pub struct ClientCompareArgs {
    /// The workload directory (`client-workload --output`).
    #[arg(long, default_value = "target/client-workload")]
    pub workload_dir: PathBuf,
    /// Repetitions; each runs every driver once, in rotating order.
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// The drivers to run.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "go,node,ours"
    )]
    pub drivers: Vec<ClientDriver>,
    /// Seconds of pause between two driver runs.
    #[arg(long, default_value_t = 2.0)]
    pub pause_seconds: f64,
    /// Only print how many `Store` arguments the comparison needs (for
    /// `client-workload --count`).
    #[arg(long)]
    pub plan: bool,
    /// The phases.
    #[command(flatten)]
    pub phases: ClientPhases,
    /// The official clients' drivers.
    #[command(flatten)]
    pub programs: ClientPrograms,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results/clients.json")]
    pub output: PathBuf,
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
    /// The network's client profile (`<work>/profile.json` of network/up.sh;
    /// `<work>/profile-go.json` for the Go contract's definition
    /// `medchain-go` of a side-by-side network).
    #[arg(long)]
    pub profile: PathBuf,
    /// The chaincode server's log [default: that of the first of the
    /// profile's `chaincode_servers`, `<work>/logs/<server>.log`, e.g.
    /// `chaincode.log`].
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
