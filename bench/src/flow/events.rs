//! Cases driven by events, as the system runs for real: every participant
//! runs its [`Watcher`] (which answers case openings and establishes the key
//! when the last answer arrives) and a reactor that stores its record when
//! the previous one arrives. The bench only opens each case and waits until
//! the patient has decrypted the last record.

use std::time::Duration;

use medchain_sdk::ledger::Ledger;
use medchain_sdk::wallet::Wallet;
use medchain_sdk::workflow::{self, Notification, Watcher};
use medchain_siff::{CaseId, RecordType};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::direct::CaseOutcome;
use super::{FIRST_RETRY_DELAY, Retries, message, open_case};
use crate::cast::{Cast, Kdf, Part};
use crate::error::{BenchError, Result};

/// How often a participant's watcher may fail and be restarted in a run.
const MAX_WATCHER_RESTARTS: usize = 50;

/// What the participants' tasks report.
enum Signal {
    /// A step of a case completed.
    Step {
        case: CaseId,
        name: String,
        at: Instant,
    },
    /// The patient decrypted the case's last record.
    Done { case: CaseId, at: Instant },
    /// A participant's watcher or reactor failed.
    Failed(String),
}

/// One participant's side of the event-driven workflow.
#[derive(Clone)]
struct Reactor {
    part: Part,
    ledger: Ledger,
    wallet: Wallet,
    password: Zeroizing<String>,
    kdf: Kdf,
    text: Vec<u8>,
    /// The record type whose arrival ends a case for the patient.
    last_type: RecordType,
    signals: mpsc::UnboundedSender<Signal>,
    retries: Retries,
}

impl Reactor {
    fn step(&self, case: &CaseId, name: impl Into<String>) {
        let _ = self.signals.send(Signal::Step {
            case: *case,
            name: name.into(),
            at: Instant::now(),
        });
    }

    async fn store(&self, case: &CaseId, record_type: RecordType) -> Result<()> {
        self.retries
            .run(|| async {
                Ok(workflow::add_record(
                    &self.ledger,
                    Some(&self.wallet),
                    &self.password,
                    case,
                    record_type,
                    &self.text,
                    self.kdf.policy,
                )
                .await?)
            })
            .await?;
        self.step(case, record_type.label());
        Ok(())
    }

    /// Decrypts the record `key`; returns its plaintext.
    async fn read(&self, key: &[u8; 32]) -> Result<Vec<u8>> {
        self.retries
            .run(|| async {
                let record =
                    workflow::read_record(&self.ledger, &self.password, key, self.kdf.policy)
                        .await?;
                Ok(record.plaintext.map(|t| t.to_vec()).unwrap_or_default())
            })
            .await
    }

    /// What this participant does on a notification of its watcher.
    async fn react(&self, n: &Notification) -> Result<()> {
        match (self.part, n) {
            (_, Notification::Answered { case }) => {
                self.step(case, format!("txtr {}", self.part.label()));
            }
            (Part::Doctor, Notification::KeyEstablished { case, .. }) => {
                self.step(case, "key");
                self.store(case, RecordType::Diagnosis).await?;
            }
            (
                part @ (Part::Pharmacist | Part::Insurer),
                Notification::NewRecord {
                    case,
                    record_type,
                    key,
                },
            ) => {
                let next = match (part, record_type) {
                    (Part::Pharmacist, RecordType::Diagnosis) => RecordType::Medication,
                    (Part::Insurer, RecordType::Medication) => RecordType::Compensation,
                    _ => return Ok(()),
                };
                self.read(key).await?;
                self.store(case, next).await?;
            }
            (
                Part::Patient,
                Notification::NewRecord {
                    case,
                    record_type,
                    key,
                },
            ) if *record_type == self.last_type => {
                if self.read(key).await? != self.text {
                    return Err(BenchError::Invalid(
                        "the patient decrypted something other than the last record's text".into(),
                    ));
                }
                let _ = self.signals.send(Signal::Done {
                    case: *case,
                    at: Instant::now(),
                });
            }
            _ => {}
        }
        Ok(())
    }
}

/// The participants' watchers and reactors, running.
pub struct EventRig {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    signals: mpsc::UnboundedReceiver<Signal>,
    kdf: Kdf,
    per_case: usize,
    retries: Retries,
}

impl EventRig {
    /// Starts a watcher and a reactor for every member of `cast` (whose
    /// checkpoints should point at the current height).
    pub fn start(cast: &Cast, kdf: Kdf, message_bytes: usize) -> Self {
        let writers: Vec<(Part, RecordType)> = [
            (Part::Doctor, RecordType::Diagnosis),
            (Part::Pharmacist, RecordType::Medication),
            (Part::Insurer, RecordType::Compensation),
        ]
        .into_iter()
        .filter(|(part, _)| cast.get(*part).is_some())
        .collect();
        let last_type = writers.last().map_or(RecordType::Diagnosis, |w| w.1);
        let (stop, stopping) = watch::channel(false);
        let (report, signals) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        let retries = Retries::default();
        for p in &cast.members {
            let reactor = Reactor {
                part: p.part,
                ledger: p.ledger().clone(),
                wallet: p.wallet.clone(),
                password: p.password.clone(),
                kdf,
                text: message(message_bytes),
                last_type,
                signals: report.clone(),
                retries: retries.clone(),
            };
            tasks.extend(spawn(reactor, stopping.clone()));
        }
        Self {
            stop,
            tasks,
            signals,
            kdf,
            // txtc, one txtr per member but the doctor, one record per writer.
            per_case: cast.members.len() + writers.len(),
            retries,
        }
    }

    /// The patient signs a fresh selection (not timed), the doctor opens a
    /// case from it, and the run waits until the patient has read its last
    /// record, at most `timeout`.
    pub async fn run_case(&mut self, cast: &Cast, timeout: Duration) -> Result<CaseOutcome> {
        let retried_before = self.retries.count();
        let deadline = Instant::now() + timeout;
        let (case, mut watch) = open_case(cast, self.kdf, &self.retries).await?;
        loop {
            let signal = tokio::time::timeout_at(deadline, self.signals.recv())
                .await
                .map_err(|_| {
                    BenchError::Invalid(format!(
                        "case {} did not complete within {} s; check the network (network/status.sh) or give a longer --case-timeout",
                        hex::encode(&case.as_bytes()[..8]),
                        timeout.as_secs()
                    ))
                })?
                .ok_or_else(|| BenchError::Invalid("every participant's task stopped".into()))?;
            match signal {
                Signal::Step { case: c, name, at } if c == case => watch.step_at(name, at),
                Signal::Done { case: c, at } if c == case => {
                    watch.step_at("read", at);
                    break;
                }
                Signal::Failed(problem) => return Err(BenchError::Invalid(problem)),
                _ => {}
            }
        }
        Ok(CaseOutcome {
            case,
            timing: watch.finish(self.per_case, self.retries.count() - retried_before),
        })
    }

    /// The run's retry counter.
    pub fn retries(&self) -> Retries {
        self.retries.clone()
    }

    /// Stops every watcher and reactor.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
    }
}

/// Starts a participant's watcher and its reactor.
fn spawn(reactor: Reactor, stop: watch::Receiver<bool>) -> [JoinHandle<()>; 2] {
    let (notify, mut notifications) = mpsc::unbounded_channel::<Notification>();
    let watcher = Watcher::new(
        reactor.ledger.clone(),
        reactor.wallet.clone(),
        &reactor.password,
        reactor.kdf.policy,
    );
    let failed = reactor.signals.clone();
    let retries = reactor.retries.clone();
    let name = reactor.part.label();
    let watching = tokio::spawn(async move {
        // A failed event is handled again when the watcher runs again (its
        // checkpoint only moves past handled events): restart it, as a user
        // would rerun `medchain watch`, a bounded number of times.
        let mut restarts = 0;
        let mut delay = FIRST_RETRY_DELAY;
        loop {
            let mut stopping = stop.clone();
            let stopped = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            let notify = notify.clone();
            let run = watcher.run_until(
                move |n| {
                    let _ = notify.send(n.clone());
                },
                |_| true,
                None,
                stopped,
            );
            match run.await {
                Ok(()) => break,
                Err(_) if *stop.borrow() => break,
                Err(e) if restarts < MAX_WATCHER_RESTARTS => {
                    restarts += 1;
                    retries.note(&format!("the {name}'s watcher: {e}"));
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
                Err(e) => {
                    let _ = failed.send(Signal::Failed(format!(
                        "the {name}'s watcher failed {restarts} times; last: {e}"
                    )));
                    break;
                }
            }
        }
    });
    let reacting = tokio::spawn(async move {
        while let Some(n) = notifications.recv().await {
            if let Err(e) = reactor.react(&n).await {
                let _ = reactor.signals.send(Signal::Failed(format!(
                    "the {}'s client failed: {e}",
                    reactor.part.label()
                )));
            }
        }
    });
    [watching, reacting]
}
