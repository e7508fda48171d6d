//! Running a diagnosis-and-treatment case and timing its steps:
//! [`direct`] calls each step in turn from one task (no events);
//! [`events`] lets each participant's watcher react to the chaincode events
//! as the system runs in production.

pub mod direct;
pub mod events;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::chaincode_log::now_us;

/// A moment of a case: a step done, seconds after the case started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// `txtc`, `txtr patient`, `key`, `txd`, `txm`, `read`, …
    pub name: String,
    /// Seconds since the case started.
    pub at_s: f64,
}

/// The timing of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseTiming {
    /// Wall clock at the start, µs since the Unix epoch (to match chaincode
    /// log lines).
    pub start_us: i64,
    /// Wall clock at the end.
    pub end_us: i64,
    /// Seconds from `txtc` submitted to the last record decrypted by the
    /// patient.
    pub total_s: f64,
    /// The steps, in the order they completed.
    pub steps: Vec<Step>,
    /// Transactions the case submitted (`Store` calls).
    pub submitted: usize,
}

/// Measures a case as it runs.
pub struct Stopwatch {
    start: Instant,
    start_us: i64,
    steps: Vec<Step>,
}

impl Stopwatch {
    /// Starts timing now.
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
            start_us: now_us(),
            steps: Vec::new(),
        }
    }

    /// Records that `name` completed at `at`.
    pub fn step_at(&mut self, name: impl Into<String>, at: Instant) {
        self.steps.push(Step {
            name: name.into(),
            at_s: at.saturating_duration_since(self.start).as_secs_f64(),
        });
    }

    /// Records that `name` completed now.
    pub fn step(&mut self, name: impl Into<String>) {
        self.step_at(name, Instant::now());
    }

    /// The timing, ending at the last step.
    pub fn finish(self, submitted: usize) -> CaseTiming {
        let total_s = self.steps.last().map_or(0.0, |s| s.at_s);
        CaseTiming {
            start_us: self.start_us,
            end_us: now_us(),
            total_s,
            steps: self.steps,
            submitted,
        }
    }
}

/// A record's plaintext of exactly `bytes` bytes.
pub fn message(bytes: usize) -> Vec<u8> {
    b"medchain benchmark record text. "
        .iter()
        .copied()
        .cycle()
        .take(bytes)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn messages_have_the_asked_size() {
        assert_eq!(message(32).len(), 32);
        assert_eq!(message(0).len(), 0);
        assert_eq!(message(100).len(), 100);
    }

    #[test]
    fn a_case_ends_at_its_last_step() {
        let mut watch = Stopwatch::start();
        watch.step("txtc");
        watch.step("read");
        let timing = watch.finish(5);
        assert_eq!(timing.steps.len(), 2);
        assert_eq!(timing.total_s, timing.steps[1].at_s);
        assert!(timing.end_us >= timing.start_us);
        assert_eq!(timing.submitted, 5);
    }
}
