//! `comm-cost`: the paper's Fig. 1 — per case, the number of proposals
//! (`Store` transactions) and chaincode events, and the sizes of the input
//! parameters and event payloads, for 2 to 5 participants with 32-byte
//! messages. The sizes are those of the bytes the contract stores and emits,
//! identical on the embedded ledger and on Fabric (same contract).

use std::time::Duration;

use fabric_gateway::Checkpoint;
use futures::StreamExt;
use medchain_protocol::v1::StoreEvent;
use medchain_sdk::ledger::embedded::EmbeddedLedger;
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::args::CommCostArgs;
use crate::cast::{Cast, Kdf, Part, Stage};
use crate::error::{BenchError, Result};
use crate::flow::Retries;
use crate::flow::direct::{DirectOptions, run_case};
use crate::report::{Table, write_json};

/// How long to wait for a case's events.
const EVENT_WAIT: Duration = Duration::from_secs(60);

/// The results of one `comm-cost` run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommCostReport {
    /// `embedded` or `fabric`.
    pub ledger: String,
    /// Plaintext bytes of each record.
    pub message_bytes: usize,
    /// One row per number of participants.
    pub rows: Vec<CommCost>,
}

/// The communication of one case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommCost {
    /// Participants (patient, doctor, then pharmacist, insurer, lawyer).
    pub participants: usize,
    /// Who they are.
    pub parts: Vec<String>,
    /// `Store` proposals (transactions) of the case.
    pub proposals: usize,
    /// Chaincode events (one per transaction).
    pub events: usize,
    /// Notifications: events × their receivers.
    pub notifications: usize,
    /// Bytes of every input parameter.
    pub input_bytes: usize,
    /// Bytes of every event payload.
    pub event_bytes: usize,
    /// Per record type in ledger order: type, transactions, input-parameter
    /// bytes.
    pub by_type: Vec<(String, usize, usize)>,
}

impl CommCost {
    /// Mean input-parameter size.
    pub fn mean_input(&self) -> f64 {
        self.input_bytes as f64 / self.proposals.max(1) as f64
    }

    /// Mean event-payload size.
    pub fn mean_event(&self) -> f64 {
        self.event_bytes as f64 / self.events.max(1) as f64
    }
}

/// Runs `comm-cost`.
pub async fn run(args: &CommCostArgs) -> Result<CommCostReport> {
    let dir =
        tempfile::tempdir().map_err(|e| BenchError::io("create", &std::env::temp_dir(), e))?;
    let (stage, ledger) = match &args.profile {
        Some(profile) => {
            let profile =
                std::path::absolute(profile).map_err(|e| BenchError::io("resolve", profile, e))?;
            (Stage::Fabric(profile), "fabric")
        }
        None => {
            // The benchmark's fast Argon2id parameters need the lowest floor.
            let ledger = EmbeddedLedger::open_with_kdf_floor(
                dir.path().join("ledger"),
                Some(medchain_sdk::ledger::embedded::INSECURE_TEST_KDF_FLOOR),
            )
            .await
            .map_err(medchain_sdk::ledger::LedgerError::from)?;
            (Stage::Embedded(ledger), "embedded")
        }
    };
    let options = DirectOptions {
        kdf: Kdf::FAST,
        parallel_answers: false,
        message_bytes: args.message_bytes,
    };
    let mut rows = Vec::new();
    for &count in &args.participants {
        let cast = Cast::create(
            &stage,
            &dir.path().join(format!("p{count}")),
            count,
            options.kdf,
        )
        .await?;
        rows.push(measure(&cast, options).await?);
    }
    let report = CommCostReport {
        ledger: ledger.to_owned(),
        message_bytes: args.message_bytes,
        rows,
    };
    write_json(&args.output, &report)?;
    println!("{}", table(&report));
    Ok(report)
}

/// Runs one case with `cast` and measures what it stored and emitted.
async fn measure(cast: &Cast, options: DirectOptions) -> Result<CommCost> {
    let observer = cast.require(Part::Patient)?;
    let from = observer.ledger().height().await?;
    let outcome = run_case(cast, options, &Retries::default()).await?;
    let case = outcome.case.as_bytes().to_vec();
    let stored = observer.ledger().get_case(&case).await?;
    let mut by_type: Vec<(String, usize, usize)> = Vec::new();
    for r in &stored.records {
        match by_type.iter_mut().find(|(kind, _, _)| *kind == r.r#type) {
            Some((_, n, bytes)) => {
                *n += 1;
                *bytes += r.value.len();
            }
            None => by_type.push((r.r#type.clone(), 1, r.value.len())),
        }
    }
    let proposals = stored.records.len();
    let mut events = observer
        .ledger()
        .events(Some(Checkpoint::new(from, None)))?;
    let (mut count, mut notifications, mut event_bytes) = (0, 0, 0);
    while count < proposals {
        let event = tokio::time::timeout(EVENT_WAIT, events.next())
            .await
            .map_err(|_| {
                BenchError::Invalid(format!(
                    "only {count} of the case's {proposals} events arrived within {} s",
                    EVENT_WAIT.as_secs()
                ))
            })?
            .ok_or_else(|| BenchError::Invalid("the event stream ended".into()))??;
        let Ok(payload) = StoreEvent::decode(event.payload.as_slice()) else {
            continue;
        };
        if payload.case_key == case {
            count += 1;
            notifications += payload.receivers.len();
            event_bytes += event.payload.len();
        }
    }
    Ok(CommCost {
        participants: cast.members.len(),
        parts: cast
            .members
            .iter()
            .map(|p| p.part.label().to_owned())
            .collect(),
        proposals,
        events: count,
        notifications,
        input_bytes: by_type.iter().map(|(_, _, bytes)| bytes).sum(),
        event_bytes,
        by_type,
    })
}

/// The Markdown table of a report.
pub fn table(report: &CommCostReport) -> String {
    let mut t = Table::new(&[
        "participants",
        "proposals",
        "events (notified receivers)",
        "input parameter: mean / total",
        "event payload: mean / total",
        "transactions (input bytes each)",
    ]);
    for r in &report.rows {
        let kinds: Vec<String> = r
            .by_type
            .iter()
            .map(|(kind, n, bytes)| format!("{n}× {kind} ({} B)", bytes / n.max(&1)))
            .collect();
        t.row(vec![
            format!("{} ({})", r.participants, r.parts.join(", ")),
            r.proposals.to_string(),
            format!("{} ({})", r.events, r.notifications),
            format!("{:.0} B / {} B", r.mean_input(), r.input_bytes),
            format!("{:.0} B / {} B", r.mean_event(), r.event_bytes),
            kinds.join(", "),
        ]);
    }
    format!(
        "communication cost per case ({} ledger, {}-byte messages)\n\n{}",
        report.ledger,
        report.message_bytes,
        t.render()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[tokio::test]
    async fn counts_every_transaction_and_event_of_a_case_on_the_embedded_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("comm-cost.json");
        let report = run(&CommCostArgs {
            participants: vec![2, 5],
            message_bytes: 32,
            profile: None,
            output: output.clone(),
        })
        .await
        .unwrap();
        assert_eq!(report.ledger, "embedded");
        let [two, five] = &report.rows[..] else {
            panic!("two rows expected");
        };
        // txtc, the patient's txtr, txd.
        assert_eq!((two.proposals, two.events), (3, 3));
        // txtc, 4 × txtr, txd, txm, txa: the lawyer only reads.
        assert_eq!((five.proposals, five.events), (8, 8));
        let kinds: Vec<&str> = five.by_type.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(kinds, ["txtc", "txtr", "txd", "txm", "txa"]);
        assert!(five.notifications > five.events);
        assert!(five.input_bytes > two.input_bytes);
        // Records carry the other participants, so they grow with the case.
        assert!(five.by_type[2].2 > two.by_type[2].2);
        assert!(
            std::fs::read_to_string(output)
                .unwrap()
                .contains("\"proposals\": 8")
        );
        assert!(
            table(&report).contains("| 5 (patient, doctor, pharmacist, insurer, lawyer) | 8 |")
        );
    }

    #[tokio::test]
    async fn refuses_impossible_participant_counts() {
        let dir = tempfile::tempdir().unwrap();
        let err = run(&CommCostArgs {
            participants: vec![6],
            message_bytes: 32,
            profile: None,
            output: dir.path().join("x.json"),
        })
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("2 to 5 participants, not 6"), "{err}");
    }
}
