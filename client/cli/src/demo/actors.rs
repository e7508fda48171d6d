//! The demo's concurrent tasks: a watcher and a reactor per participant
//! (the watcher answers case openings and establishes the key; the reactor
//! reads new records and stores the next one), and an observer that reports
//! every committed block. All of them report to the timeline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use medchain_contract::Case;
use medchain_protocol::v1::StoreEvent;
use medchain_protocol::v1::input_parameter::Record;
use prost::Message;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::CliError;
use fabric_gateway::Checkpoint;
use medchain_sdk::cast::{Part, Participant};
use medchain_sdk::connect;
use medchain_sdk::ledger::Ledger;
use medchain_sdk::workflow::{self, Notification, Watcher};
use medchain_siff::{KdfPolicy, RecordType, Tag};

/// What each participant writes, by record type.
pub fn script(record_type: RecordType) -> &'static str {
    match record_type {
        RecordType::Diagnosis => {
            "Diagnosis: community-acquired pneumonia. Treatment: amoxicillin 500 mg three times a day for 7 days; review in 10 days."
        }
        RecordType::Medication => "Dispensed: amoxicillin 500 mg, 21 capsules. Charge: 18.40 EUR.",
        RecordType::Compensation => "Claim approved: 80% of 18.40 EUR reimbursed (14.72 EUR).",
    }
}

/// The name of the file the doctor attaches to the diagnosis.
pub const ATTACHMENT_NAME: &str = "chest-xray.dcm";
/// Its size: 3 MiB, twelve encrypted chunks.
pub const ATTACHMENT_BYTES: usize = 3 * 1024 * 1024;

/// The bytes of the demo's "X-ray" (a deterministic pattern, so the demo
/// can check the copy the lawyer saves byte for byte).
pub fn attachment_bytes() -> Vec<u8> {
    let mut state: u32 = 0x2545_f491;
    (0..ATTACHMENT_BYTES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Something that happened, for the timeline.
#[derive(Debug)]
pub enum Entry {
    /// A transaction was committed.
    Stored {
        /// Its block.
        block: u64,
        /// `reg`, `txtc`, `txtr`, `txd`, `txm` or `txa`.
        kind: String,
        /// κ.
        key: Vec<u8>,
        /// Who stored it (index), when known.
        author: Option<u64>,
        /// Who the chaincode notified (indices).
        receivers: Vec<u64>,
    },
    /// A participant's watcher reported something.
    Notified {
        /// The participant (index into the cast).
        who: usize,
    },
    /// The doctor's watcher established the key.
    KeyEstablished {
        /// The doctor (index into the cast).
        who: usize,
        /// The number of participants.
        participants: usize,
        /// The tag's size in bytes.
        tag_bytes: usize,
        /// The tag's coefficients α_0 … α_{k−1}.
        coefficients: usize,
    },
    /// A participant decrypted a record.
    Decrypted {
        /// The participant (index into the cast).
        who: usize,
        /// The record's type.
        record_type: RecordType,
        /// κ.
        key: [u8; 32],
        /// The plaintext, as text.
        text: String,
    },
    /// A task failed.
    Failed {
        /// The participant (index into the cast), or `None` for the observer.
        who: Option<usize>,
        /// The error.
        error: CliError,
    },
}

/// The timeline's sender.
pub type Reporter = mpsc::UnboundedSender<Entry>;

/// A future that completes when the demo says stop.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Starts the watcher and the reactor of participant `who`.
pub fn spawn_participant(
    cast: &Arc<Vec<Participant>>,
    who: usize,
    attachment: &Arc<PathBuf>,
    policy: KdfPolicy,
    report: &Reporter,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let (notify, mut notifications) = mpsc::unbounded_channel::<Notification>();
    let watcher = {
        let p = &cast[who];
        Watcher::new(p.ledger().clone(), p.wallet.clone(), &p.password, policy)
    };
    let watch_report = report.clone();
    let stop = stop.clone();
    let watching = tokio::spawn(async move {
        let result = watcher
            .run_until(
                |n| {
                    let _ = notify.send(n.clone());
                },
                |_| true,
                None,
                stopped(stop),
            )
            .await;
        if let Err(e) = result {
            let _ = watch_report.send(Entry::Failed {
                who: Some(who),
                error: e.into(),
            });
        }
    });
    let cast = cast.clone();
    let report = report.clone();
    let attachment = attachment.clone();
    let reacting = tokio::spawn(async move {
        while let Some(n) = notifications.recv().await {
            if let Err(error) = react(&cast, who, &n, &attachment, policy, &report).await {
                let _ = report.send(Entry::Failed {
                    who: Some(who),
                    error,
                });
            }
            let _ = report.send(Entry::Notified { who });
        }
    });
    vec![watching, reacting]
}

/// What a participant's client does on a notification.
async fn react(
    cast: &[Participant],
    who: usize,
    n: &Notification,
    attachment: &Path,
    policy: KdfPolicy,
    report: &Reporter,
) -> Result<(), CliError> {
    let me = &cast[who];
    let next = match (me.part, n) {
        (
            Part::Doctor,
            Notification::KeyEstablished {
                case, participants, ..
            },
        ) => {
            let tag = me
                .wallet
                .profile()?
                .cases
                .get(&hex::encode(case.as_bytes()))
                .and_then(|c| c.pending_tag.clone())
                .and_then(|t| hex::decode(t).ok())
                .unwrap_or_default();
            let coefficients = Tag::from_bytes(&tag)?.coefficients().len();
            let _ = report.send(Entry::KeyEstablished {
                who,
                participants: *participants,
                tag_bytes: tag.len(),
                coefficients,
            });
            Some((*case, RecordType::Diagnosis))
        }
        (
            part,
            Notification::NewRecord {
                case,
                record_type,
                key,
            },
        ) => {
            let record = workflow::read_record(me.ledger(), &me.password, key, policy).await?;
            let text = record
                .plaintext
                .as_deref()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default();
            let _ = report.send(Entry::Decrypted {
                who,
                record_type: *record_type,
                key: *key,
                text,
            });
            match (part, record_type) {
                (Part::Pharmacist, RecordType::Diagnosis) => Some((*case, RecordType::Medication)),
                (Part::Insurer, RecordType::Medication) => Some((*case, RecordType::Compensation)),
                _ => None,
            }
        }
        _ => None,
    };
    match next {
        Some((case, RecordType::Diagnosis)) => {
            let store = connect::attachment_store(&me.wallet.profile()?)?;
            workflow::add_record_with_attachments(
                me.ledger(),
                Some(&me.wallet),
                &me.password,
                &case,
                RecordType::Diagnosis,
                script(RecordType::Diagnosis).as_bytes(),
                &[attachment.to_path_buf()],
                &store,
                |_| {},
                policy,
            )
            .await?;
        }
        Some((case, record_type)) => {
            workflow::add_record(
                me.ledger(),
                Some(&me.wallet),
                &me.password,
                &case,
                record_type,
                script(record_type).as_bytes(),
                policy,
            )
            .await?;
        }
        None => {}
    }
    Ok(())
}

/// Starts the observer: every committed block from `from` on, with who
/// stored it and who was notified.
pub fn spawn_observer(
    ledger: Ledger,
    from: u64,
    report: Reporter,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = match ledger.events(Some(Checkpoint::new(from, None))) {
            Ok(events) => events,
            Err(e) => {
                let _ = report.send(Entry::Failed {
                    who: None,
                    error: e.into(),
                });
                return;
            }
        };
        let mut cases: HashMap<Vec<u8>, Case> = HashMap::new();
        let mut stop = std::pin::pin!(stopped(stop));
        loop {
            let event = tokio::select! {
                () = &mut stop => return,
                event = events.next() => event,
            };
            let entry = match event {
                None => return,
                Some(Err(e)) => Entry::Failed {
                    who: None,
                    error: e.into(),
                },
                Some(Ok(event)) => match StoreEvent::decode(event.payload.as_slice()) {
                    Ok(stored) => Entry::Stored {
                        block: event.block_number,
                        author: author(&ledger, &stored, &mut cases).await,
                        kind: stored.r#type,
                        key: stored.key,
                        receivers: stored.receivers,
                    },
                    Err(_) => continue,
                },
            };
            let failed = matches!(entry, Entry::Failed { .. });
            let _ = report.send(entry);
            if failed {
                return;
            }
        }
    })
}

/// Who stored the record of `event`, read back from the ledger.
async fn author(
    ledger: &Ledger,
    event: &StoreEvent,
    cases: &mut HashMap<Vec<u8>, Case>,
) -> Option<u64> {
    if event.r#type == "reg" {
        return event.receivers.first().copied();
    }
    let record = ledger.get(&event.key).await.ok()?.record?;
    match record {
        Record::Txtc(opening) => {
            let case = Case::from_opening(&opening).ok()?;
            let doctor = case.doctor;
            cases.insert(event.key.clone(), case);
            Some(doctor)
        }
        Record::Txtr(response) => Some(response.responder),
        Record::Txd(r) | Record::Txm(r) | Record::Txa(r) => {
            let case = cases.get(&event.case_key)?;
            // The writer is the one of the type's writers the record does
            // not list (a later epoch leaves revoked members out too).
            let writers = match event.r#type.as_str() {
                "txd" => vec![case.doctor],
                "txm" => case.pharmacists.clone(),
                _ => case.insurers.clone(),
            };
            writers
                .into_iter()
                .find(|ind| !r.participants.contains(ind))
        }
        Record::Txgo(g) => Some(g.granter),
        Record::Txgr(g) => Some(g.grantee),
        Record::Txeo(e) => Some(e.opener),
        Record::Txer(e) => Some(e.responder),
        Record::Txgt(_) | Record::Txet(_) => None,
        Record::Reg(_) => None,
    }
}
