//! Writing results: JSON files and Markdown tables on stdout.

use std::path::Path;

use serde::Serialize;

use crate::error::{BenchError, Result};
use crate::stats::Summary;

/// Writes `value` as pretty JSON to `path`, creating its directory.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io("create", dir, e))?;
    }
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| BenchError::Invalid(format!("cannot encode the results: {e}")))?;
    std::fs::write(path, text + "\n").map_err(|e| BenchError::io("write", path, e))
}

/// A Markdown table.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown.
    pub fn render(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut out = line(&self.header);
        out += &line(&vec!["---".to_owned(); self.header.len()]);
        for row in &self.rows {
            out += &line(row);
        }
        out
    }
}

/// Seconds as milliseconds with no decimals below 10 s ("412 ms"),
/// otherwise seconds ("12.3 s").
pub fn duration(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.1} s")
    }
}

/// "mean / p50 / p95" of a summary, or "–" when there is none.
pub fn summary(s: Option<&Summary>) -> String {
    s.map_or_else(
        || "–".to_owned(),
        |s| {
            format!(
                "{} / {} / {}",
                duration(s.mean),
                duration(s.p50),
                duration(s.p95)
            )
        },
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn renders_markdown() {
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["1".into(), "2".into()]);
        assert_eq!(t.render(), "| a | b |\n| --- | --- |\n| 1 | 2 |\n");
    }

    #[test]
    fn formats_durations() {
        assert_eq!(duration(0.4123), "412 ms");
        assert_eq!(duration(12.34), "12.3 s");
        let s = Summary::of(&[0.1, 0.2, 0.3]).unwrap();
        assert_eq!(summary(Some(&s)), "200 ms / 200 ms / 300 ms");
        assert_eq!(summary(None), "–");
    }

    #[test]
    fn writes_json_in_a_new_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/results.json");
        write_json(&path, &serde_json::json!({"x": 1})).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["x"], 1);
    }
}
