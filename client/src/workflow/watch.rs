//! A user's event loop: reacts to the chaincode events addressed to it and
//! saves a checkpoint after each one, so a restarted watcher resumes
//! without missing or repeating an event.

use futures::StreamExt;
use medchain_protos::medchain::v1::StoreEvent;
use prost::Message;
use zeroize::Zeroizing;

use super::case_view::CaseView;
use super::selection::format_ind;
use super::{WorkflowError, establish, respond};
use crate::crypto::{CaseId, KdfPolicy, RecordType};
use crate::gateway::{ChaincodeEvent, Checkpoint};
use crate::ledger::Ledger;
use crate::wallet::{CaseEntry, CaseStatus, SavedCheckpoint, UserRole, Wallet};

/// Something the watcher did or noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// A case naming this user was opened; the watcher answered it.
    Answered {
        /// κ0.
        case: CaseId,
    },
    /// A case this doctor opened was stored.
    CaseOpened {
        /// κ0.
        case: CaseId,
        /// The number of participants.
        participants: usize,
    },
    /// A participant answered this doctor's case.
    ResponseReceived {
        /// κ0.
        case: CaseId,
        /// The responder's index.
        from: u64,
        /// How many responses are still missing.
        missing: usize,
    },
    /// The last response arrived and the watcher established the case key.
    KeyEstablished {
        /// κ0.
        case: CaseId,
        /// The number of participants.
        participants: usize,
    },
    /// A new record of a case this user can read was stored.
    NewRecord {
        /// κ0.
        case: CaseId,
        /// Its type.
        record_type: RecordType,
        /// Its key κ.
        key: [u8; 32],
    },
}

/// Reacts to one user's events. Holds the user's password (zeroized on
/// drop) for as long as it runs, to answer cases and establish keys.
pub struct Watcher {
    ledger: Ledger,
    wallet: Wallet,
    password: Zeroizing<String>,
    policy: KdfPolicy,
}

impl Watcher {
    /// A watcher for the ledger identity, keeping its state in `wallet`.
    pub fn new(ledger: Ledger, wallet: Wallet, password: &str, policy: KdfPolicy) -> Self {
        Self {
            ledger,
            wallet,
            password: Zeroizing::new(password.to_owned()),
            policy,
        }
    }

    /// Handles events from the wallet's checkpoint on, calling `notify` for
    /// each notification, until `keep_going` returns false after an event
    /// (or forever). A failed event stops the loop with the error and is
    /// handled again on the next run: the checkpoint only moves past events
    /// that were handled.
    pub async fn run(
        &self,
        notify: impl FnMut(&Notification),
        keep_going: impl FnMut(&Notification) -> bool,
    ) -> Result<(), WorkflowError> {
        self.run_until(notify, keep_going, None, std::future::pending())
            .await
    }

    /// Like [`run`](Self::run), and also stops cleanly when `stop`
    /// completes (e.g. on Ctrl-C) or, with `idle`, when no event arrives for
    /// that long. Both are only acted on while waiting for the next event,
    /// never in the middle of handling one, so an event is either handled
    /// and checkpointed or left for the next run.
    pub async fn run_until(
        &self,
        mut notify: impl FnMut(&Notification),
        mut keep_going: impl FnMut(&Notification) -> bool,
        idle: Option<std::time::Duration>,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), WorkflowError> {
        let saved = self.wallet.profile()?.checkpoint;
        let checkpoint = (saved.block > 0 || saved.tx_id.is_some())
            .then(|| Checkpoint::new(saved.block, saved.tx_id));
        let mut events = self.ledger.events(checkpoint)?;
        let mut stop = std::pin::pin!(stop);
        loop {
            let next = async {
                match idle {
                    Some(idle) => tokio::time::timeout(idle, events.next()).await.ok(),
                    None => Some(events.next().await),
                }
            };
            let event = tokio::select! {
                biased;
                () = &mut stop => break,
                next = next => match next {
                    Some(Some(event)) => event?,
                    // Idle for too long, or the stream ended.
                    None | Some(None) => break,
                },
            };
            let notifications = self.handle(&event).await?;
            self.wallet.update(|p| {
                p.checkpoint = SavedCheckpoint {
                    block: event.block_number,
                    tx_id: Some(event.tx_id.clone()),
                };
            })?;
            let mut stop_now = false;
            for n in &notifications {
                notify(n);
                stop_now |= !keep_going(n);
            }
            if stop_now {
                break;
            }
        }
        Ok(())
    }

    /// Handles one event; returns what happened.
    pub async fn handle(&self, event: &ChaincodeEvent) -> Result<Vec<Notification>, WorkflowError> {
        let Ok(payload) = StoreEvent::decode(event.payload.as_slice()) else {
            tracing::warn!(tx_id = %event.tx_id, "ignoring an event whose payload is not a StoreEvent");
            return Ok(Vec::new());
        };
        let me = self.ledger.ind();
        if !payload.receivers.contains(&me) || payload.r#type == "reg" {
            return Ok(Vec::new());
        }
        let case = CaseId::from_slice(&payload.case_key)?;
        match payload.r#type.as_str() {
            "txtc" => self.on_case_opened(&case).await,
            "txtr" => self.on_response(&case).await,
            other => match RecordType::from_label(other) {
                Some(record_type) => {
                    let key: [u8; 32] = payload.key.as_slice().try_into().map_err(|_| {
                        WorkflowError::Invalid("an event carries a malformed record key".into())
                    })?;
                    self.remember(&case, |entry| {
                        entry.status = CaseStatus::Active;
                        entry.unread.push(hex::encode(key));
                    })
                    .await?;
                    Ok(vec![Notification::NewRecord {
                        case,
                        record_type,
                        key,
                    }])
                }
                None => Ok(Vec::new()),
            },
        }
    }

    async fn on_case_opened(&self, case: &CaseId) -> Result<Vec<Notification>, WorkflowError> {
        let view = CaseView::load(&self.ledger, case).await?;
        if view.case.doctor == self.ledger.ind() {
            self.remember(case, |_| {}).await?;
            return Ok(vec![Notification::CaseOpened {
                case: *case,
                participants: view.case.len(),
            }]);
        }
        if view.has_answered(self.ledger.ind()) {
            return Ok(Vec::new());
        }
        respond(&self.ledger, &self.password, case, self.policy).await?;
        self.remember(case, |entry| entry.status = CaseStatus::Answered)
            .await?;
        Ok(vec![Notification::Answered { case: *case }])
    }

    async fn on_response(&self, case: &CaseId) -> Result<Vec<Notification>, WorkflowError> {
        let view = CaseView::load(&self.ledger, case).await?;
        let missing = view.missing_responses().len();
        let from = view.responses.last().map_or(0, |(r, _)| r.responder);
        let mut notes = vec![Notification::ResponseReceived {
            case: *case,
            from,
            missing,
        }];
        let pending = self
            .wallet
            .profile()?
            .cases
            .get(&hex::encode(case.as_bytes()))
            .is_some_and(|c| c.pending_tag.is_some());
        if missing == 0 && view.tag().is_none() && !pending {
            let participants = establish(
                &self.ledger,
                &self.wallet,
                &self.password,
                case,
                self.policy,
            )
            .await?;
            notes.push(Notification::KeyEstablished {
                case: *case,
                participants,
            });
        }
        tracing::debug!(case = %hex::encode(&case.as_bytes()[..8]), from = %format_ind(from), missing, "response received");
        Ok(notes)
    }

    /// Records the case in the wallet (with the user's part in it) and
    /// applies `change` to its entry.
    async fn remember(
        &self,
        case: &CaseId,
        change: impl FnOnce(&mut CaseEntry),
    ) -> Result<(), WorkflowError> {
        let role = self.wallet.profile()?.role;
        let case_hex = hex::encode(case.as_bytes());
        self.wallet.update(|p| {
            let entry = p.cases.entry(case_hex).or_insert(CaseEntry {
                role,
                status: if role == UserRole::Doctor {
                    CaseStatus::AwaitingResponses
                } else {
                    CaseStatus::Answered
                },
                pending_tag: None,
                unread: Vec::new(),
            });
            change(entry);
        })?;
        Ok(())
    }
}
