//! CPU time and peak memory of the network's processes (by the pid files
//! `network/up.sh` writes in `<work>/run/`) and of the bench itself, from
//! `/proc/<pid>/stat` and `/proc/<pid>/status`.

use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{BenchError, Result};

/// A process to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// `orderer`, `peer0.org1.example.com`, `chaincode`, `bench client`, …
    pub name: String,
    /// Its pid.
    pub pid: u32,
}

/// The network's processes, from `<work>/run/*.pid` (`<pid> <executable>`),
/// sorted by name, then this process as `bench client`. Every chaincode
/// server is one of them under its own name — `chaincode` (medchain's Rust
/// server), `chaincode-go` (medchain's Go server on a mixed network),
/// `chaincode-medchain-go` (the Go server of the side-by-side definition
/// `medchain-go`) — so a run on either definition of a side-by-side network
/// reports both servers, the one serving it busy and the other idle.
pub fn watched_processes(work_dir: &Path) -> Result<Vec<Process>> {
    let run = work_dir.join("run");
    let entries = std::fs::read_dir(&run).map_err(|e| BenchError::io("list", &run, e))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".pid"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| BenchError::io("read", &path, e))?;
        let pid = text
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| {
                BenchError::Invalid(format!(
                    "{} does not start with a pid; is the network up (network/status.sh)?",
                    path.display()
                ))
            })?;
        found.push(Process {
            name: name.to_owned(),
            pid,
        });
    }
    if found.is_empty() {
        return Err(BenchError::Invalid(format!(
            "{} holds no pid files; start the network with network/up.sh",
            run.display()
        )));
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found.push(Process {
        name: "bench client".into(),
        pid: std::process::id(),
    });
    Ok(found)
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`,
/// 100 when unavailable, as on every common Linux).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// User + system CPU seconds a process has used, or `None` when it is gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_ticks(&stat).map(|t| t as f64 / ticks_per_second())
}

/// utime + stime from the text of `/proc/<pid>/stat` (fields 14 and 15;
/// the command name in parentheses may contain spaces).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The peak resident set size in KiB (`VmHWM`), or `None` when the process
/// is gone.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_kib(&status, "VmHWM")
}

fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.split_whitespace().next()?.parse().ok()
    })
}

/// Resets a process's peak RSS to its current RSS (writes `5` to
/// `/proc/<pid>/clear_refs`); false when the kernel refused.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), b"5").is_ok()
}

/// What one process used during a measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// The process name.
    pub name: String,
    /// CPU seconds (user + system) used during the measurement.
    pub cpu_seconds: f64,
    /// Peak resident memory in MiB: during the measurement when
    /// `peak_reset`, otherwise since the process started.
    pub peak_rss_mib: f64,
    /// Whether the peak was reset when the measurement started.
    pub peak_reset: bool,
}

/// CPU counters of the watched processes at the start of a measurement.
pub struct Meter {
    start: Vec<(Process, Option<f64>, bool)>,
}

impl Meter {
    /// Resets the peaks and reads the CPU counters of `processes`.
    pub fn start(processes: &[Process]) -> Self {
        Self {
            start: processes
                .iter()
                .map(|p| (p.clone(), cpu_seconds(p.pid), reset_peak_rss(p.pid)))
                .collect(),
        }
    }

    /// Each process's CPU time since [`start`](Self::start) and its peak
    /// memory; a process that disappeared meanwhile is an error.
    pub fn finish(&self) -> Result<Vec<Usage>> {
        self.start
            .iter()
            .map(|(p, before, peak_reset)| {
                let gone = || {
                    BenchError::Invalid(format!(
                        "{} (pid {}) stopped during the measurement; see its log and restart it with network/up.sh",
                        p.name, p.pid
                    ))
                };
                let now = cpu_seconds(p.pid).ok_or_else(gone)?;
                let peak = peak_rss_kib(p.pid).ok_or_else(gone)?;
                Ok(Usage {
                    name: p.name.clone(),
                    cpu_seconds: now - before.unwrap_or(0.0),
                    peak_rss_mib: peak as f64 / 1024.0,
                    peak_reset: *peak_reset,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn cpu_ticks_skip_a_command_name_with_spaces() {
        let stat =
            "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 99 1000 50";
        assert_eq!(cpu_ticks(stat), Some(22));
        assert_eq!(cpu_ticks("42 (x) S 1"), None);
    }

    #[test]
    fn reads_kib_fields_of_status() {
        let status = "Name:\tpeer\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(123_456));
        assert_eq!(status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_uses_cpu_and_memory() {
        let me = std::process::id();
        assert!(cpu_seconds(me).is_some());
        assert!(peak_rss_kib(me).unwrap() > 0);
    }

    #[test]
    fn both_chaincode_servers_of_a_side_by_side_network_are_watched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        for (name, pid) in [
            ("orderer", 11),
            ("chaincode-medchain-go", 13),
            ("chaincode", 12),
        ] {
            std::fs::write(
                dir.path().join(format!("run/{name}.pid")),
                format!("{pid} /bin/{name}\n"),
            )
            .unwrap();
        }
        let names: Vec<(String, u32)> = watched_processes(dir.path())
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.pid))
            .collect();
        assert_eq!(
            names,
            [
                ("chaincode".to_owned(), 12),
                ("chaincode-medchain-go".to_owned(), 13),
                ("orderer".to_owned(), 11),
                ("bench client".to_owned(), std::process::id()),
            ]
        );
    }

    #[test]
    fn a_work_dir_without_pid_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = watched_processes(dir.path()).unwrap_err().to_string();
        assert!(err.contains("cannot list"), "{err}");
        std::fs::create_dir(dir.path().join("run")).unwrap();
        let err = watched_processes(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no pid files"), "{err}");
        std::fs::write(dir.path().join("run/orderer.pid"), "x /bin/orderer").unwrap();
        let err = watched_processes(dir.path()).unwrap_err().to_string();
        assert!(err.contains("does not start with a pid"), "{err}");
    }
}
