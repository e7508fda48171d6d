//! Running a diagnosis-and-treatment case and timing its steps:
//! [`direct`] calls each step in turn from one task (no events);
//! [`events`] lets each participant's watcher react to the chaincode events
//! as the system runs in production.

pub mod direct;
pub mod events;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use medchain_sdk::workflow;
use medchain_siff::CaseId;

use crate::cast::{Cast, Kdf, Part};
use crate::chaincode_log::now_us;
use crate::error::Result;

/// Attempts of one step before its error ends the case.
pub const ATTEMPTS: usize = 5;
/// The pause before the first retry; it doubles with each one.
pub const FIRST_RETRY_DELAY: Duration = Duration::from_millis(50);

/// Counts the retries of a run and keeps the first error of each kind.
///
/// With one peer per org, a participant's gateway peer may deliver an event
/// (or a commit status) before the other org's peer has committed the same
/// block; an endorsement there then fails (e.g. `not found: no case is
/// stored under key …`). A client retries such a step, as production
/// clients must; the bench counts how often.
#[derive(Clone, Default)]
pub struct Retries {
    count: Arc<AtomicUsize>,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Retries {
    /// Retries so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// The distinct errors that were retried (at most 5, shortened).
    pub fn errors(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Notes one retry after `error`.
    pub fn note(&self, error: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let kind = without_ids(error);
        if let Ok(mut seen) = self.seen.lock() {
            let known = seen.contains(&kind);
            if !known && seen.len() < 5 {
                tracing::warn!(error = %kind, "retrying a step");
                seen.push(kind);
            }
        }
    }

    /// Runs `step` up to [`ATTEMPTS`] times, pausing between attempts.
    pub async fn run<T, F, Fut>(&self, mut step: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut delay = FIRST_RETRY_DELAY;
        let mut attempt = 1;
        loop {
            match step().await {
                Ok(value) => return Ok(value),
                Err(e) if attempt < ATTEMPTS => {
                    self.note(&e.to_string());
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A moment of a case: a step done, seconds after the case started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// `txtc`, `txtr patient`, `key`, `txd`, `txm`, `read`, …
    pub name: String,
    /// Seconds since the case started.
    pub at_s: f64,
}

/// `text` with every run of 16 or more hex digits (transaction ids, keys,
/// indices) replaced by `…`, cut to 300 characters: one entry per kind of
/// error.
fn without_ids(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() >= 16 {
            out.push('…');
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out.chars().take(300).collect()
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
    /// Steps retried during the case (see [`Retries`]).
    #[serde(default)]
    pub retries: usize,
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
    pub fn finish(self, submitted: usize, retries: usize) -> CaseTiming {
        let total_s = self.steps.last().map_or(0.0, |s| s.at_s);
        CaseTiming {
            start_us: self.start_us,
            end_us: now_us(),
            total_s,
            steps: self.steps,
            submitted,
            retries,
        }
    }
}

/// The patient signs a fresh selection (not timed) and the doctor opens a
/// case from it (`txtc`); returns κ0 and the stopwatch, started just before
/// the submission, with the `txtc` step recorded.
pub async fn open_case(cast: &Cast, kdf: Kdf, retries: &Retries) -> Result<(CaseId, Stopwatch)> {
    let doctor = cast.require(Part::Doctor)?;
    let selection = &cast.selection()?;
    let mut watch = Stopwatch::start();
    let case = retries
        .run(|| async {
            Ok(workflow::open_case(
                doctor.ledger(),
                &doctor.wallet,
                &doctor.password,
                selection,
                kdf.params,
                kdf.policy,
            )
            .await?)
        })
        .await?;
    watch.step("txtc");
    Ok((case, watch))
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
        let timing = watch.finish(5, 0);
        assert_eq!(timing.steps.len(), 2);
        assert_eq!(timing.total_s, timing.steps[1].at_s);
        assert!(timing.end_us >= timing.start_us);
        assert_eq!(timing.submitted, 5);
    }

    #[test]
    fn errors_are_grouped_without_their_ids() {
        assert_eq!(
            without_ids(
                "no case 682e3a6e8c8f4c5abda83dce6e3afca16fa3cfac697b522884b6d6cfd7264d63 on the ledger; waiting for ecc0b72ec453c791"
            ),
            "no case … on the ledger; waiting for …"
        );
        assert_eq!(
            without_ids("status 500, face cafe"),
            "status 500, face cafe"
        );
    }

    #[tokio::test]
    async fn a_step_is_retried_until_it_succeeds_or_attempts_run_out() {
        let retries = Retries::default();
        let mut calls = 0;
        let value = retries
            .run(|| {
                calls += 1;
                let failing = calls < 3;
                async move {
                    if failing {
                        Err(crate::error::BenchError::Invalid(
                            "not found: no case is stored under key 00".into(),
                        ))
                    } else {
                        Ok(7)
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!((value, retries.count()), (7, 2));
        assert_eq!(retries.errors().len(), 1, "one kind of error");

        let err = retries
            .run(|| async { Err::<(), _>(crate::error::BenchError::Invalid("always".into())) })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "always");
        assert_eq!(retries.count(), 2 + ATTEMPTS - 1);
        assert_eq!(retries.errors().len(), 2);
    }
}
