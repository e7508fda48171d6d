//! Our Gateway client against the official Go and Node clients (issue 13
//! §3): the same chaincode, the same identity and the same workload.
//!
//! * [`workload`] (`client-workload`) prepares what every driver replays
//!   without medchain knowledge: a [`Manifest`] naming the gateway, the
//!   doctor's identity, the channel, the chaincode and its functions, and
//!   hex argument files.
//! * [`ours`] (`client-run --driver ours`) is our `fabric_gateway` crate's
//!   driver; `bench/clients/go` and `bench/clients/node` are the official
//!   clients' drivers. All three run the same phases ([`ClientPhases`]) and
//!   print one [`DriverResult`] as JSON.
//! * [`compare`] (`client-compare`) runs the three one after the other for
//!   several repetitions, each with a fresh slice of the workload, and
//!   tabulates them.

pub mod compare;
pub mod ours;
pub mod workload;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::args::{ClientDriver, ClientPhases, ClientPrograms, ClientRunArgs};
use crate::error::{BenchError, Result};

/// The format tag of a workload manifest.
pub const MANIFEST_FORMAT: &str = "medchain-client-workload-v1";
/// The manifest's file name in a workload directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The file recording how many `Store` arguments runs have claimed.
const CLAIMED_FILE: &str = "claimed";

/// How to reach a gateway peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayEndpoint {
    /// `host:port`.
    pub endpoint: String,
    /// The organisation's TLS CA certificate (PEM, absolute path).
    pub tls_ca: PathBuf,
    /// The TLS server name (the peer's certificate names it, not the
    /// dialled address).
    pub server_name: String,
}

/// A workload's `manifest.json`: everything a driver needs, with no
/// medchain knowledge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// The network profile the workload was made from.
    pub profile: PathBuf,
    /// The gateway every driver connects to (the identity's organisation's).
    pub gateway: GatewayEndpoint,
    /// The identity's MSP id.
    pub msp_id: String,
    /// The identity's certificate (PEM).
    pub cert: PathBuf,
    /// The identity's private key (PEM).
    pub key: PathBuf,
    /// The channel.
    pub channel: String,
    /// The chaincode.
    pub chaincode: String,
    /// The function submitted with each line of `store_file`.
    pub store_function: String,
    /// The function evaluated with each line of `get_file`.
    pub get_function: String,
    /// Hex arguments of `store_function`, one a line, each valid once.
    pub store_file: String,
    /// Lines of `store_file`.
    pub store_count: usize,
    /// Hex arguments of `get_function` (stored keys), one a line.
    pub get_file: String,
    /// Hex answers expected for the lines of `get_file`, line by line.
    pub get_answer_file: String,
    /// Lines of `get_file` and `get_answer_file`.
    pub get_count: usize,
    /// The identity's participant index (16 hex digits).
    pub participant: String,
}

impl Manifest {
    /// Reads `<dir>/manifest.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| BenchError::io("read", &path, e))?;
        let manifest: Self = serde_json::from_str(&text).map_err(|e| {
            BenchError::Invalid(format!(
                "{} is not a client workload manifest ({e}); make one with `medchain-bench client-workload`",
                path.display()
            ))
        })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(BenchError::Invalid(format!(
                "{} has format {:?}, not {MANIFEST_FORMAT:?}; make the workload again with this medchain-bench",
                path.display(),
                manifest.format
            )));
        }
        Ok(manifest)
    }
}

/// Reads `count` hex lines of `path` from line `offset` (0-based), holding
/// only those.
pub fn read_hex_lines(path: &Path, offset: usize, count: usize) -> Result<Vec<Vec<u8>>> {
    let file = std::fs::File::open(path).map_err(|e| BenchError::io("open", path, e))?;
    let mut out = Vec::with_capacity(count);
    for (number, line) in BufReader::new(file).lines().enumerate().skip(offset) {
        if out.len() == count {
            break;
        }
        let line = line.map_err(|e| BenchError::io("read", path, e))?;
        out.push(hex::decode(line.trim()).map_err(|_| {
            BenchError::Invalid(format!("{} line {} is not hex", path.display(), number + 1))
        })?);
    }
    if out.len() < count {
        return Err(BenchError::Invalid(format!(
            "{} has {} lines from line {}, {count} needed; make a larger workload",
            path.display(),
            out.len(),
            offset + 1
        )));
    }
    Ok(out)
}

/// Claims the next `count` unused `Store` arguments of the workload in
/// `dir` (recorded in `<dir>/claimed`, so no two runs submit the same
/// argument); returns the first one's line (0-based).
pub fn claim(dir: &Path, manifest: &Manifest, count: usize) -> Result<usize> {
    let path = dir.join(CLAIMED_FILE);
    let claimed = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().parse::<usize>().map_err(|_| {
            BenchError::Invalid(format!(
                "{} does not hold a number of claimed arguments; make a new workload",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(BenchError::io("read", &path, e)),
    };
    let left = manifest.store_count.saturating_sub(claimed);
    if count > left {
        return Err(BenchError::Invalid(format!(
            "the workload in {} has {left} unused Store arguments of {}, this run needs {count}; make a new one with `medchain-bench client-workload --count {count}` (or more)",
            dir.display(),
            manifest.store_count
        )));
    }
    std::fs::write(&path, format!("{}\n", claimed + count))
        .map_err(|e| BenchError::io("write", &path, e))?;
    Ok(claimed)
}

impl ClientPhases {
    /// `Store` arguments one driver run uses: warm-up, timed calls and
    /// every concurrency level's.
    pub fn store_per_run(&self) -> usize {
        self.store_warmup + self.store_calls + self.concurrency.len() * self.level_tx
    }

    /// The phases as command-line flags, the same for every driver.
    pub fn to_flags(&self) -> Vec<String> {
        let list: Vec<String> = self.concurrency.iter().map(usize::to_string).collect();
        [
            ("--get-warmup", self.get_warmup.to_string()),
            ("--get-calls", self.get_calls.to_string()),
            ("--store-warmup", self.store_warmup.to_string()),
            ("--store-calls", self.store_calls.to_string()),
            ("--concurrency", list.join(",")),
            ("--level-tx", self.level_tx.to_string()),
            ("--level-seconds", self.level_seconds.to_string()),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect()
    }

    /// Refuses phases no driver can run.
    pub fn check(&self) -> Result<()> {
        if self.concurrency.is_empty() || self.concurrency.contains(&0) {
            return Err(BenchError::Invalid(
                "--concurrency needs positive levels, e.g. 1,4,16,64".into(),
            ));
        }
        if !(self.level_seconds >= 0.0 && self.level_seconds.is_finite()) {
            return Err(BenchError::Invalid(
                "--level-seconds must be 0 (no limit) or a positive number of seconds".into(),
            ));
        }
        Ok(())
    }
}

/// One sequential phase of a driver run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sequential {
    /// Untimed calls first.
    pub warmup: usize,
    /// Timed calls that succeeded.
    pub ok: usize,
    /// Timed calls that failed.
    pub failed: usize,
    /// The first failure ("" when none).
    #[serde(default)]
    pub first_error: String,
    /// Seconds of each successful timed call.
    pub latencies_s: Vec<f64>,
    /// CPU seconds (user + system) of the process during the timed calls.
    pub cpu_s: f64,
    /// Wall-clock seconds of the timed calls.
    pub elapsed_s: f64,
}

/// One concurrency level of a driver run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelResult {
    /// Submissions in flight at once.
    pub concurrency: usize,
    /// Submissions made.
    pub submitted: usize,
    /// Submissions committed as valid.
    pub committed: usize,
    /// Submissions that failed.
    pub failed: usize,
    /// The first failure ("" when none).
    #[serde(default)]
    pub first_error: String,
    /// Wall-clock seconds from the first submission to the last commit.
    pub elapsed_s: f64,
    /// CPU seconds of the process meanwhile.
    pub cpu_s: f64,
}

impl LevelResult {
    /// Committed transactions per second.
    pub fn tx_per_s(&self) -> f64 {
        self.committed as f64 / self.elapsed_s.max(f64::MIN_POSITIVE)
    }
}

/// What a driver prints: the same JSON from Go, Node and ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverResult {
    /// `go`, `node` or `ours`.
    pub driver: ClientDriver,
    /// The client library and its version.
    pub client: String,
    /// The language runtime.
    pub runtime: String,
    /// The first `Store` argument used (line of the store file, 0-based).
    pub store_offset: usize,
    /// `Store` arguments used.
    pub store_used: usize,
    /// `Get`, evaluated one after the other.
    pub evaluate: Sequential,
    /// `Store`, submitted and committed one after the other.
    pub submit: Sequential,
    /// `Store` with several in flight, one entry per level.
    pub levels: Vec<LevelResult>,
    /// CPU seconds of the whole process (start-up included).
    pub cpu_s: f64,
    /// The resolution of the CPU times (seconds).
    #[serde(default)]
    pub cpu_resolution_s: f64,
    /// Peak resident set of the process, KiB.
    pub peak_rss_kib: u64,
}

/// The command that runs `driver` on the workload in `dir` from `offset`.
pub fn driver_command(
    driver: ClientDriver,
    programs: &ClientPrograms,
    dir: &Path,
    offset: usize,
    phases: &ClientPhases,
) -> Result<Command> {
    let mut command = match driver {
        ClientDriver::Go => {
            if !programs.go_bin.is_file() {
                return Err(BenchError::Invalid(format!(
                    "the Go driver {} is not built; build it with `(cd bench/clients/go && go build -mod=readonly -o ../../../target/client-bench/go-driver .)` or name it with --go-bin",
                    programs.go_bin.display()
                )));
            }
            Command::new(&programs.go_bin)
        }
        ClientDriver::Node => {
            let modules = programs
                .node_script
                .parent()
                .map(|d| d.join("node_modules"))
                .unwrap_or_default();
            if !programs.node_script.is_file() || !modules.is_dir() {
                return Err(BenchError::Invalid(format!(
                    "the Node driver {} or its node_modules is missing; run `npm ci` in bench/clients/node or name the script with --node-script",
                    programs.node_script.display()
                )));
            }
            let mut command = Command::new(&programs.node);
            command.arg(&programs.node_script);
            command
        }
        ClientDriver::Ours => {
            let me = std::env::current_exe().map_err(|e| {
                BenchError::Invalid(format!("cannot find this program's executable: {e}"))
            })?;
            let mut command = Command::new(me);
            command.args(["client-run", "--driver", "ours"]);
            command
        }
    };
    command
        .arg("--workload")
        .arg(dir)
        .arg("--store-offset")
        .arg(offset.to_string())
        .args(phases.to_flags())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    Ok(command)
}

/// Runs a driver as a child process and reads its result.
pub fn run_child(mut command: Command, driver: ClientDriver) -> Result<DriverResult> {
    let output = command
        .output()
        .map_err(|e| BenchError::Invalid(format!("cannot start the {driver:?} driver: {e}")))?;
    if !output.status.success() {
        return Err(BenchError::Invalid(format!(
            "the {driver:?} driver failed ({}); its messages are above",
            output.status
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let result: DriverResult = serde_json::from_str(text.trim()).map_err(|e| {
        BenchError::Invalid(format!(
            "the {driver:?} driver printed no result ({e}): {}",
            text.chars().take(200).collect::<String>()
        ))
    })?;
    if result.driver != driver {
        return Err(BenchError::Invalid(format!(
            "the {driver:?} driver reported itself as {:?}",
            result.driver
        )));
    }
    Ok(result)
}

/// `client-run`: one driver, its result printed as JSON on stdout.
pub async fn run(args: &ClientRunArgs) -> Result<DriverResult> {
    args.phases.check()?;
    let manifest = Manifest::read(&args.workload)?;
    let offset = match args.store_offset {
        Some(offset) => offset,
        None => claim(&args.workload, &manifest, args.phases.store_per_run())?,
    };
    let result = match args.driver {
        ClientDriver::Ours => ours::run(&args.workload, &manifest, offset, &args.phases).await?,
        driver => run_child(
            driver_command(driver, &args.programs, &args.workload, offset, &args.phases)?,
            driver,
        )?,
    };
    let text = serde_json::to_string(&result)
        .map_err(|e| BenchError::Invalid(format!("cannot encode the result: {e}")))?;
    println!("{text}");
    Ok(result)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn phases() -> ClientPhases {
        ClientPhases {
            get_warmup: 2,
            get_calls: 3,
            store_warmup: 1,
            store_calls: 4,
            concurrency: vec![1, 4],
            level_tx: 10,
            level_seconds: 0.0,
        }
    }

    fn manifest(count: usize) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            profile: "p.json".into(),
            gateway: GatewayEndpoint {
                endpoint: "127.0.0.1:1".into(),
                tls_ca: "ca.pem".into(),
                server_name: "peer".into(),
            },
            msp_id: "Org1MSP".into(),
            cert: "c".into(),
            key: "k".into(),
            channel: "ch".into(),
            chaincode: "cc".into(),
            store_function: "Store".into(),
            get_function: "Get".into(),
            store_file: "store.hex".into(),
            store_count: count,
            get_file: "get.hex".into(),
            get_answer_file: "get-answers.hex".into(),
            get_count: 1,
            participant: "0000000000000001".into(),
        }
    }

    #[test]
    fn a_run_needs_warmup_calls_and_every_level() {
        let p = phases();
        assert_eq!(p.store_per_run(), 1 + 4 + 2 * 10);
        let flags = p.to_flags().join(" ");
        assert_eq!(
            flags,
            "--get-warmup 2 --get-calls 3 --store-warmup 1 --store-calls 4 --concurrency 1,4 --level-tx 10 --level-seconds 0"
        );
        assert!(p.check().is_ok());
        let mut bad = phases();
        bad.concurrency = vec![0];
        assert!(bad.check().is_err());
    }

    #[test]
    fn claims_never_overlap_and_say_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(10);
        assert_eq!(claim(dir.path(), &m, 4).unwrap(), 0);
        assert_eq!(claim(dir.path(), &m, 4).unwrap(), 4);
        let err = claim(dir.path(), &m, 4).unwrap_err().to_string();
        assert!(err.contains("has 2 unused Store arguments of 10"), "{err}");
        assert!(err.contains("--count 4"), "{err}");
    }

    #[test]
    fn reads_a_slice_of_hex_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.hex");
        std::fs::write(&path, "00\n01\n0203\n04\n").unwrap();
        assert_eq!(
            read_hex_lines(&path, 1, 2).unwrap(),
            vec![vec![1], vec![2, 3]]
        );
        let err = read_hex_lines(&path, 3, 2).unwrap_err().to_string();
        assert!(err.contains("has 1 lines from line 4, 2 needed"), "{err}");
        std::fs::write(&path, "zz\n").unwrap();
        assert!(read_hex_lines(&path, 0, 1).is_err());
    }

    #[test]
    fn a_manifest_round_trips_and_its_format_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(3);
        crate::report::write_json(&dir.path().join(MANIFEST_FILE), &m).unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), m);
        let mut other = m;
        other.format = "v0".into();
        crate::report::write_json(&dir.path().join(MANIFEST_FILE), &other).unwrap();
        assert!(Manifest::read(dir.path()).is_err());
    }

    #[test]
    fn the_go_and_node_result_shape_parses() {
        let text = r#"{"driver":"go","client":"x","runtime":"go1","store_offset":5,"store_used":25,
          "evaluate":{"warmup":2,"ok":3,"failed":0,"first_error":"","latencies_s":[0.001,0.002,0.003],"cpu_s":0.01,"elapsed_s":0.006},
          "submit":{"warmup":1,"ok":4,"failed":0,"first_error":"","latencies_s":[0.05,0.05,0.05,0.05],"cpu_s":0.02,"elapsed_s":0.2},
          "levels":[{"concurrency":1,"submitted":10,"committed":10,"failed":0,"first_error":"","elapsed_s":0.5,"cpu_s":0.03}],
          "cpu_s":0.5,"peak_rss_kib":20480}"#;
        let r: DriverResult = serde_json::from_str(text).unwrap();
        assert_eq!(r.driver, ClientDriver::Go);
        assert_eq!(r.levels[0].tx_per_s(), 20.0);
    }
}
