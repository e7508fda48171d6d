//! The chaincode server's per-transaction timing lines (the shim's
//! `fabric_shim::timing` target, see `docs/chaincode.md`), read from its
//! log and summed per transaction id and per case.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{BenchError, Result};

/// The log filter that turns the timing lines on.
pub const LOG_FILTER: &str = "info,fabric_shim::timing=debug";

/// One execution of a transaction by the chaincode (one per endorsing peer
/// for a submitted transaction, one for an evaluated query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// When it finished, microseconds since the Unix epoch (the log line's
    /// timestamp).
    pub end_us: i64,
    /// The transaction id.
    pub tx_id: String,
    /// The peer connection that sent it.
    pub peer: String,
    /// How long it ran, in microseconds.
    pub micros: u64,
    /// Whether the chaincode succeeded.
    pub ok: bool,
}

/// The part of a chaincode log written after a point in time.
pub struct ChaincodeLog {
    path: PathBuf,
    offset: u64,
}

impl ChaincodeLog {
    /// Starts reading `path` from its current end: only lines written from
    /// now on count.
    pub fn from_now(path: &Path) -> Result<Self> {
        let offset = std::fs::metadata(path)
            .map_err(|e| BenchError::io("read", path, e))?
            .len();
        Ok(Self {
            path: path.to_owned(),
            offset,
        })
    }

    /// The executions logged since [`from_now`](Self::from_now).
    pub fn executions(&self) -> Result<Vec<Execution>> {
        let mut file =
            std::fs::File::open(&self.path).map_err(|e| BenchError::io("read", &self.path, e))?;
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(self.offset))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| BenchError::io("read", &self.path, e))?;
        Ok(String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(parse_line)
            .collect())
    }

    /// Like [`executions`](Self::executions), failing with instructions
    /// when there are none although transactions ran.
    pub fn require_executions(&self) -> Result<Vec<Execution>> {
        let found = self.executions()?;
        if found.is_empty() {
            return Err(BenchError::Invalid(format!(
                "the chaincode log {} has no timing lines; restart the chaincode server with RUST_LOG={LOG_FILTER} \
                 (network/down.sh, then MEDCHAIN_CHAINCODE_LOG={LOG_FILTER} network/up.sh) or name its log with --chaincode-log",
                self.path.display()
            )));
        }
        Ok(found)
    }
}

/// Removes ANSI colour sequences (`ESC [ … letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a `tracing` fmt line of the timing target, e.g.
/// `2026-01-01T10:00:00.123456Z DEBUG fabric_shim::timing: transaction executed peer=… tx_id=… channel=… micros=1834 ok=true`.
pub fn parse_line(line: &str) -> Option<Execution> {
    if !line.contains("transaction executed") {
        return None;
    }
    let line = strip_ansi(line);
    if !line.contains("fabric_shim::timing") {
        return None;
    }
    let mut words = line.split_whitespace();
    let end_us = parse_rfc3339_micros(words.next()?)?;
    let fields: BTreeMap<&str, &str> = words.filter_map(|w| w.split_once('=')).collect();
    Some(Execution {
        end_us,
        tx_id: (*fields.get("tx_id")?).to_owned(),
        peer: fields
            .get("peer")
            .map_or_else(String::new, |p| (*p).to_owned()),
        micros: fields.get("micros")?.parse().ok()?,
        ok: fields.get("ok") == Some(&"true"),
    })
}

/// Microseconds since the Unix epoch of a UTC timestamp
/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
fn parse_rfc3339_micros(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|v| v.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':').map(|v| v.parse::<i64>().ok());
    let (h, m, s) = (t.next()??, t.next()??, t.next()??);
    let digits: String = fraction.chars().take(6).collect();
    let micros = if digits.is_empty() {
        0
    } else {
        digits.parse::<i64>().ok()? * 10_i64.pow(6 - digits.len() as u32)
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + h) * 60 + m) * 60_000_000 + s * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// The chaincode time of a set of executions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ChaincodeTime {
    /// Distinct transaction ids (submitted transactions and queries).
    pub transactions: usize,
    /// Executions (a submitted transaction runs on each endorsing peer).
    pub executions: usize,
    /// Seconds on the critical path: per transaction the longest of its
    /// executions (the endorsing peers run it in parallel), summed.
    pub critical_s: f64,
    /// Seconds of chaincode work: every execution, summed.
    pub total_s: f64,
}

/// Sums the executions that finished within `[start_us, end_us]`.
pub fn time_within(executions: &[Execution], start_us: i64, end_us: i64) -> ChaincodeTime {
    let mut per_tx: BTreeMap<&str, u64> = BTreeMap::new();
    let mut time = ChaincodeTime::default();
    for e in executions
        .iter()
        .filter(|e| (start_us..=end_us).contains(&e.end_us))
    {
        let longest = per_tx.entry(&e.tx_id).or_default();
        *longest = (*longest).max(e.micros);
        time.executions += 1;
        time.total_s += e.micros as f64 / 1e6;
    }
    time.transactions = per_tx.len();
    time.critical_s = per_tx.values().map(|&m| m as f64 / 1e6).sum();
    time
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const LINE: &str = "2026-01-01T10:00:00.123456Z DEBUG fabric_shim::timing: transaction executed peer=127.0.0.1:50412 tx_id=ab12 channel=medchain micros=1834 ok=true";

    #[test]
    fn parses_a_plain_timing_line() {
        let e = parse_line(LINE).unwrap();
        assert_eq!(e.tx_id, "ab12");
        assert_eq!(e.peer, "127.0.0.1:50412");
        assert_eq!(e.micros, 1834);
        assert!(e.ok);
        // 2026-01-01 is day 20454 since the epoch.
        assert_eq!(e.end_us, (20_454 * 86_400 + 36_000) * 1_000_000 + 123_456);
    }

    #[test]
    fn parses_a_coloured_timing_line() {
        let coloured = "\u{1b}[2m2026-01-01T10:00:00.123456Z\u{1b}[0m \u{1b}[34mDEBUG\u{1b}[0m \u{1b}[2mfabric_shim::timing\u{1b}[0m\u{1b}[2m:\u{1b}[0m transaction executed \u{1b}[3mpeer\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:1 \u{1b}[3mtx_id\u{1b}[0m\u{1b}[2m=\u{1b}[0mcd34 \u{1b}[3mmicros\u{1b}[0m\u{1b}[2m=\u{1b}[0m7 \u{1b}[3mok\u{1b}[0m\u{1b}[2m=\u{1b}[0mfalse";
        let e = parse_line(coloured).unwrap();
        assert_eq!((e.tx_id.as_str(), e.micros, e.ok), ("cd34", 7, false));
    }

    #[test]
    fn ignores_other_lines() {
        assert!(parse_line("2026-01-01T10:00:00Z INFO fabric_shim: peer READY").is_none());
        assert!(parse_line("transaction executed but no timestamp").is_none());
        let no_micros = LINE.replace("micros=1834", "micros=x");
        assert!(parse_line(&no_micros).is_none());
    }

    #[test]
    fn timestamps_without_fraction_and_leap_days() {
        assert_eq!(parse_rfc3339_micros("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_micros("2024-02-29T00:00:01.5Z"),
            Some((19_782 * 86_400 + 1) * 1_000_000 + 500_000)
        );
        assert_eq!(parse_rfc3339_micros("2024-02-29 00:00:01Z"), None);
    }

    fn exec(tx: &str, end_us: i64, micros: u64) -> Execution {
        Execution {
            end_us,
            tx_id: tx.into(),
            peer: String::new(),
            micros,
            ok: true,
        }
    }

    #[test]
    fn sums_per_transaction_within_a_window() {
        let all = [
            exec("a", 10, 1_000),
            exec("a", 11, 3_000),
            exec("b", 20, 500),
            exec("c", 99, 7_000),
        ];
        let t = time_within(&all, 0, 50);
        assert_eq!((t.transactions, t.executions), (2, 3));
        assert!((t.critical_s - 0.0035).abs() < 1e-12);
        assert!((t.total_s - 0.0045).abs() < 1e-12);
    }

    #[test]
    fn reads_only_what_was_written_after_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chaincode.log");
        std::fs::write(&path, format!("{LINE}\n")).unwrap();
        let log = ChaincodeLog::from_now(&path).unwrap();
        assert!(log.require_executions().is_err());
        let later = LINE.replace("ab12", "ef56");
        std::fs::write(&path, format!("{LINE}\n{later}\n")).unwrap();
        let found = log.require_executions().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tx_id, "ef56");
    }
}
