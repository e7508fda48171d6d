//! A user's event loop: reacts to the chaincode events addressed to it and
//! saves a checkpoint after each one, so a restarted watcher resumes
//! without missing or repeating an event.

use std::time::Duration;

use futures::StreamExt;
use medchain_protocol::ErrorCode;
use medchain_protocol::v1::StoreEvent;
use medchain_protocol::v1::input_parameter::Record;
use prost::Message;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::case_view::CaseView;
use super::selection::format_ind;
use super::{
    WorkflowError, answer_epoch, answer_grant, establish, publish_epoch_tag, publish_grant_tag,
    respond,
};
use crate::ledger::Ledger;
use crate::wallet::{CaseEntry, CaseStatus, SavedCheckpoint, UserRole, Wallet};
use fabric_gateway::{ChaincodeEvent, Checkpoint};
use medchain_siff::{CaseId, KdfPolicy, RecordType};

/// Whether a failure to handle an event is about the event itself (the
/// case, its participants, its parameters, what the contract accepts), so
/// handling it again would fail again: such an event is set aside. A broken
/// connection, a ledger that did not answer and a wallet that cannot be
/// written are not: the watcher stops or reconnects and tries the event
/// again.
fn is_about_the_event(error: &WorkflowError) -> bool {
    match error {
        // A refusal is about the event, except `not_found` / `out_of_order`
        // (an endorsing peer a few blocks behind says so about what is
        // committed) and `ledger` (the peer's own failure): those are tried
        // again on the next run.
        WorkflowError::Ledger(ledger) => match ledger.contract_failure() {
            Some(failure) => !matches!(
                failure.code,
                ErrorCode::NotFound | ErrorCode::OutOfOrder | ErrorCode::Ledger
            ),
            None => matches!(
                ledger,
                crate::ledger::LedgerError::Malformed(_)
                    | crate::ledger::LedgerError::Unverified(_)
            ),
        },
        WorkflowError::Wallet(_) | WorkflowError::Attachment(_) => false,
        WorkflowError::Crypto(_)
        | WorkflowError::UnknownCase(_)
        | WorkflowError::NotParticipant(_)
        | WorkflowError::OutOfOrder(_)
        | WorkflowError::Invalid(_)
        | WorkflowError::Untrusted(_)
        | WorkflowError::UnusableResponse(_)
        | WorkflowError::Body(_) => true,
    }
}

/// The pause before reopening an event stream that ended or broke; it
/// doubles while reopening keeps failing.
const FIRST_RECONNECT_PAUSE: Duration = Duration::from_millis(250);
/// The longest pause between two attempts to reopen the event stream.
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(5);

/// Something the watcher did or noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// A case naming this user was opened; the watcher answered it.
    Answered {
        /// κ0.
        case: CaseId,
    },
    /// The watcher could not act on an event of this case and set it
    /// aside (e.g. the case was opened by someone who is not a doctor the
    /// consortium trusts, or with Argon2id parameters below this client's
    /// minimum: it was not answered). It is never tried again.
    Refused {
        /// κ0.
        case: CaseId,
        /// Why (one sentence).
        reason: String,
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
    /// This user was granted a case; the watcher answered the grant.
    GrantAnswered {
        /// κ0.
        case: CaseId,
    },
    /// The grantee answered this user's grant; the watcher published the
    /// grant tag.
    GrantPublished {
        /// κ0.
        case: CaseId,
        /// The grantee's index.
        grantee: u64,
    },
    /// This user's grant of a case is complete: it reads the case now.
    Granted {
        /// κ0.
        case: CaseId,
    },
    /// The patient or a family member opened a new key epoch of a case
    /// (revoking someone); the watcher answered with this user's epoch
    /// secret.
    EpochAnswered {
        /// κ0.
        case: CaseId,
        /// The epoch.
        epoch: u32,
    },
    /// Every remaining member answered this user's epoch opening; the
    /// watcher published the epoch's tag: records are sealed in it now.
    EpochPublished {
        /// κ0.
        case: CaseId,
        /// The epoch.
        epoch: u32,
    },
    /// A new key epoch of a case this user remains in is established; its
    /// later records are sealed under the epoch's key.
    Rekeyed {
        /// κ0.
        case: CaseId,
        /// The epoch.
        epoch: u32,
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
///
/// # Example
///
/// A doctor's watcher on an embedded ledger, stopping after 200 ms without
/// an event:
///
/// ```
/// use std::time::Duration;
///
/// use medchain_sdk::cast::{self, Part, Stage};
/// use medchain_sdk::ledger::embedded::EmbeddedLedger;
/// use medchain_sdk::workflow::Watcher;
/// use medchain_siff::{KdfParams, KdfPolicy};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let ledger = EmbeddedLedger::open(dir.path().join("ledger")).await?;
/// // Fast, insecure Argon2id parameters: for the example only.
/// let fast = KdfParams { m_kib: 64, t: 1, p: 1 };
/// let parts = [Part::Patient, Part::Doctor];
/// let cast = cast::create(&Stage::Embedded(ledger), dir.path(), &parts, fast).await?;
/// cast::register_all(&cast).await?;
///
/// let doctor = cast::find(&cast, Part::Doctor)?;
/// let watcher = Watcher::new(
///     doctor.ledger.clone(),
///     doctor.wallet.clone(),
///     &doctor.password,
///     KdfPolicy::AllowInsecureTestParameters,
/// );
/// let mut seen = Vec::new();
/// watcher
///     .run_until(
///         |n| seen.push(n.clone()),
///         |_| true,
///         Some(Duration::from_millis(200)),
///         std::future::pending(),
///     )
///     .await?;
/// // The doctor's own registration addresses nobody: nothing to do.
/// assert!(seen.is_empty());
/// # Ok(())
/// # }
/// ```
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
    /// (or forever). An event the watcher cannot act on because of the
    /// event itself (see [`Notification::Refused`]) is recorded and passed;
    /// any other failure (the wallet, the ledger not answering) stops the
    /// loop with the error, and the event is handled again on the next run. When the event stream ends or the connection to
    /// the ledger breaks, the stream is opened again from the last saved
    /// checkpoint after a pause (0.25 s, doubling up to 5 s while it keeps
    /// failing).
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
    /// that long (reconnections included). Both are only acted on while
    /// waiting for the next event or for a reconnection, never in the
    /// middle of handling one, so an event is either handled and
    /// checkpointed or left for the next run.
    pub async fn run_until(
        &self,
        mut notify: impl FnMut(&Notification),
        mut keep_going: impl FnMut(&Notification) -> bool,
        idle: Option<Duration>,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), WorkflowError> {
        let mut stop = std::pin::pin!(stop);
        let mut idle_until = idle.map(|idle| Instant::now() + idle);
        let mut pause = FIRST_RECONNECT_PAUSE;
        loop {
            let saved = self.wallet.profile()?.checkpoint;
            let checkpoint = (saved.block > 0 || saved.tx_id.is_some())
                .then(|| Checkpoint::new(saved.block, saved.tx_id));
            let interrupted = match self.ledger.events(checkpoint) {
                Ok(mut events) => loop {
                    let next = async {
                        match idle_until {
                            Some(at) => tokio::time::timeout_at(at, events.next()).await.ok(),
                            None => Some(events.next().await),
                        }
                    };
                    let event = tokio::select! {
                        biased;
                        () = &mut stop => return Ok(()),
                        next = next => match next {
                            None => return Ok(()), // idle for too long
                            Some(None) => break None,
                            Some(Some(Err(e))) => break Some(WorkflowError::from(e)),
                            Some(Some(Ok(event))) => event,
                        },
                    };
                    let notifications = match self.handle(&event).await {
                        Ok(notifications) => notifications,
                        Err(e) if is_about_the_event(&e) => self.set_aside(&event, e).await?,
                        Err(e) => break Some(e),
                    };
                    self.wallet.update(|p| {
                        p.checkpoint = SavedCheckpoint {
                            block: event.block_number,
                            tx_id: Some(event.tx_id.clone()),
                        };
                    })?;
                    pause = FIRST_RECONNECT_PAUSE;
                    idle_until = idle.map(|idle| Instant::now() + idle);
                    let mut stop_now = false;
                    for n in &notifications {
                        notify(n);
                        stop_now |= !keep_going(n);
                    }
                    if stop_now {
                        return Ok(());
                    }
                },
                Err(e) => Some(e.into()),
            };
            match interrupted {
                Some(e) if !e.is_connection_failure() => return Err(e),
                Some(e) => tracing::warn!(
                    error = %e,
                    "the connection to the ledger broke; reconnecting in {pause:?}"
                ),
                None => tracing::debug!("the event stream ended; reopening it in {pause:?}"),
            }
            let wake = Instant::now() + pause;
            let idle_first = idle_until.is_some_and(|at| at <= wake);
            tokio::select! {
                biased;
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep_until(idle_until.unwrap_or(wake)), if idle_first => return Ok(()),
                () = tokio::time::sleep_until(wake) => {}
            }
            pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
        }
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
            "txtr" => self.on_response(&case, &payload.key).await,
            "txgo" => {
                // Answered already (by hand, or before a restart): nothing to do.
                let view = CaseView::load(&self.ledger, &case).await?;
                if view.grant_response_of(me).is_some() {
                    return Ok(Vec::new());
                }
                answer_grant(&self.ledger, &self.password, &case, self.policy).await?;
                self.remember(&case, |entry| entry.status = CaseStatus::Answered)
                    .await?;
                Ok(vec![Notification::GrantAnswered { case }])
            }
            "txgr" => {
                let grantee = match self.ledger.get(&payload.key).await?.record {
                    Some(Record::Txgr(r)) if r.case_key == case.as_bytes() => r.grantee,
                    _ => {
                        return Err(WorkflowError::Invalid(format!(
                            "the event of grant answer {} does not name an answer to case {}",
                            hex::encode(&payload.key),
                            hex::encode(case.as_bytes())
                        )));
                    }
                };
                let view = CaseView::load(&self.ledger, &case).await?;
                if view.grant_tag_of(grantee).is_some() {
                    return Ok(Vec::new());
                }
                publish_grant_tag(
                    &self.ledger,
                    &self.wallet,
                    &self.password,
                    &case,
                    grantee,
                    self.policy,
                )
                .await?;
                Ok(vec![Notification::GrantPublished { case, grantee }])
            }
            "txgt" => {
                self.remember(&case, |entry| entry.status = CaseStatus::Active)
                    .await?;
                Ok(vec![Notification::Granted { case }])
            }
            "txeo" => {
                let view = CaseView::load(&self.ledger, &case).await?;
                let epoch = view.epochs().latest();
                if view.epoch_response_of(epoch, me).is_some() {
                    return Ok(Vec::new());
                }
                let epoch = answer_epoch(&self.ledger, &self.password, &case, self.policy).await?;
                Ok(vec![Notification::EpochAnswered { case, epoch }])
            }
            "txer" => {
                let view = CaseView::load(&self.ledger, &case).await?;
                let epochs = view.epochs();
                let epoch = epochs.latest();
                let waiting = epochs
                    .opening(epoch)
                    .is_some_and(|o| o.opener == me && epochs.tag(epoch).is_none());
                let complete = epochs
                    .members(&view.case, epoch)
                    .iter()
                    .all(|&m| m == me || view.epoch_response_of(epoch, m).is_some());
                if !waiting || !complete {
                    return Ok(Vec::new());
                }
                let epoch = publish_epoch_tag(
                    &self.ledger,
                    &self.wallet,
                    &self.password,
                    &case,
                    self.policy,
                )
                .await?;
                Ok(vec![Notification::EpochPublished { case, epoch }])
            }
            "txet" => {
                let epoch = match self.ledger.get(&payload.key).await?.record {
                    Some(Record::Txet(t)) if t.case_key == case.as_bytes() => t.epoch,
                    _ => {
                        return Err(WorkflowError::Invalid(format!(
                            "the event of epoch tag {} does not name a tag of case {}",
                            hex::encode(&payload.key),
                            hex::encode(case.as_bytes())
                        )));
                    }
                };
                Ok(vec![Notification::Rekeyed { case, epoch }])
            }
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

    /// A response (stored under `key`) to this doctor's case.
    async fn on_response(
        &self,
        case: &CaseId,
        key: &[u8],
    ) -> Result<Vec<Notification>, WorkflowError> {
        let from = match self.ledger.get(key).await?.record {
            Some(Record::Txtr(response)) if response.case_key == case.as_bytes() => {
                response.responder
            }
            _ => {
                return Err(WorkflowError::Invalid(format!(
                    "the event of response {} does not name a response to case {}",
                    hex::encode(key),
                    hex::encode(case.as_bytes())
                )));
            }
        };
        let view = CaseView::load(&self.ledger, case).await?;
        let missing = view.missing_responses().len();
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

    /// Records that the watcher could not act on `event` (the case's
    /// doctor is not trusted, its parameters are below this client's
    /// minimum, an answer cannot be used, the contract refused what the
    /// watcher submitted…): the case is marked refused with the reason, so
    /// `medchain cases` shows it, and the checkpoint moves past the event —
    /// it is never tried again, and later events are handled.
    async fn set_aside(
        &self,
        event: &ChaincodeEvent,
        error: WorkflowError,
    ) -> Result<Vec<Notification>, WorkflowError> {
        let reason = error.to_string();
        let case = StoreEvent::decode(event.payload.as_slice())
            .ok()
            .and_then(|payload| CaseId::from_slice(&payload.case_key).ok());
        let Some(case) = case else {
            tracing::warn!(tx_id = %event.tx_id, %reason, "an event the watcher cannot act on was skipped");
            return Ok(Vec::new());
        };
        tracing::warn!(case = %hex::encode(&case.as_bytes()[..8]), tx_id = %event.tx_id, %reason, "case refused");
        self.remember(&case, |entry| {
            entry.status = CaseStatus::Refused;
            entry.refusal = Some(reason.clone());
        })
        .await?;
        Ok(vec![Notification::Refused { case, reason }])
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
                refusal: None,
            });
            change(entry);
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerError;
    use crate::ledger::embedded::EmbeddedError;
    use medchain_contract::ContractError;

    fn refused(error: ContractError) -> WorkflowError {
        WorkflowError::Ledger(LedgerError::Embedded(EmbeddedError::Rejected(error)))
    }

    #[test]
    fn only_failures_about_the_event_are_set_aside() {
        let about = [
            WorkflowError::Untrusted("a rogue doctor".into()),
            WorkflowError::Invalid("bad".into()),
            WorkflowError::UnusableResponse("unusable".into()),
            WorkflowError::Crypto(medchain_siff::CryptoError::CannotDecrypt),
            refused(ContractError::Invalid {
                record: "txtr",
                message: "bad".into(),
            }),
            refused(ContractError::AlreadyStored("twice".into())),
            WorkflowError::Ledger(LedgerError::Unverified("a lie".into())),
        ];
        for error in &about {
            assert!(is_about_the_event(error), "{error}");
        }
        let retried = [
            refused(ContractError::NotFound("a lagging peer".into())),
            refused(ContractError::OutOfOrder("a lagging peer".into())),
            WorkflowError::Wallet(crate::wallet::WalletError::WrongPassword {
                dir: "wallet".into(),
            }),
        ];
        for error in &retried {
            assert!(!is_about_the_event(error), "{error}");
        }
    }
}
