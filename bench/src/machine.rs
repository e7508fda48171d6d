//! Facts about the machine a benchmark ran on: cores, CPU model, kernel and
//! load average. The development machine is shared, so every figure is
//! reported with the load average around it.

use serde::{Deserialize, Serialize};

/// The machine, as read from `/proc`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub cpus: usize,
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// Total memory in MiB (`MemTotal`).
    pub memory_mib: u64,
}

impl Machine {
    /// Reads the machine's facts; unknown values are empty or zero.
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model: field(&cpuinfo, "model name").unwrap_or_default(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            memory_mib: field(&meminfo, "MemTotal")
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map_or(0, |kib| kib / 1024),
        }
    }
}

/// The value of the first `name: value` line.
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), zeros when
/// unavailable.
pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut values = text.split_whitespace().map(|v| v.parse().unwrap_or(0.0));
    [
        values.next().unwrap_or(0.0),
        values.next().unwrap_or(0.0),
        values.next().unwrap_or(0.0),
    ]
}

/// The load average before and after a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Load {
    /// `[1, 5, 15]`-minute load averages when the measurement started.
    pub before: [f64; 3],
    /// … and when it ended.
    pub after: [f64; 3],
}

impl Load {
    /// Starts a measurement: records the load average now.
    pub fn start() -> Self {
        let now = load_average();
        Self {
            before: now,
            after: now,
        }
    }

    /// Ends it: records the load average now.
    pub fn finish(mut self) -> Self {
        self.after = load_average();
        self
    }

    /// "2.1→2.4": the one-minute averages, for tables.
    pub fn describe(&self) -> String {
        format!("{:.1}→{:.1}", self.before[0], self.after[0])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn reads_fields_of_proc_files() {
        let text = "processor\t: 0\nmodel name\t: Some CPU @ 2.80GHz\nflags\t: a b\n";
        assert_eq!(field(text, "model name").unwrap(), "Some CPU @ 2.80GHz");
        assert!(field(text, "missing").is_none());
    }

    #[test]
    fn this_machine_has_cpus_and_a_load_average() {
        let m = Machine::read();
        assert!(m.cpus >= 1);
        assert!(load_average().iter().all(|v| *v >= 0.0));
    }
}
