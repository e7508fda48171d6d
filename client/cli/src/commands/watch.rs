//! `medchain watch`: the user's event loop. Answers case openings,
//! establishes keys (doctor), reports new records; resumes from the
//! wallet's checkpoint; stops cleanly on Ctrl-C or after `--idle-exit`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::args::{GlobalArgs, WatchArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::session::Session;
use medchain_sdk::workflow::{Notification, Watcher, format_ind};

/// A notification as a line of text and as JSON.
pub fn describe(n: &Notification) -> (String, Value) {
    match n {
        Notification::Answered { case } => {
            let case = hex::encode(case.as_bytes());
            (
                format!("case {case}: you were selected and answered (txtr)"),
                json!({"event": "answered", "case": case}),
            )
        }
        Notification::Refused { case, reason } => {
            let case = hex::encode(case.as_bytes());
            (
                format!("case {case}: refused, not answered: {reason}"),
                json!({"event": "refused", "case": case, "reason": reason}),
            )
        }
        Notification::CaseOpened { case, participants } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: opened with {participants} participants; waiting for their answers"
                ),
                json!({"event": "case-opened", "case": case, "participants": participants}),
            )
        }
        Notification::ResponseReceived {
            case,
            from,
            missing,
        } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: answer from {} ({missing} still missing)",
                    format_ind(*from)
                ),
                json!({"event": "response", "case": case, "from": format_ind(*from), "missing": missing}),
            )
        }
        Notification::KeyEstablished { case, participants } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: key established for {participants} participants; store the diagnosis with `medchain record --case {case} --message …`"
                ),
                json!({"event": "key-established", "case": case, "participants": participants}),
            )
        }
        Notification::GrantAnswered { case } => {
            let case = hex::encode(case.as_bytes());
            (
                format!("case {case}: you were granted the case and answered the grant (txgr)"),
                json!({"event": "grant-answered", "case": case}),
            )
        }
        Notification::GrantPublished { case, grantee } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: {} answered your grant; the grant tag is published (txgt): they read the case now",
                    format_ind(*grantee)
                ),
                json!({"event": "grant-published", "case": case, "grantee": format_ind(*grantee)}),
            )
        }
        Notification::Granted { case } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: the grant is complete; read every record with `medchain audit --case {case}`"
                ),
                json!({"event": "granted", "case": case}),
            )
        }
        Notification::EpochAnswered { case, epoch } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: a participant was revoked; you answered key epoch {epoch} (txer)"
                ),
                json!({"event": "epoch-answered", "case": case, "epoch": epoch}),
            )
        }
        Notification::EpochPublished { case, epoch } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: every remaining member answered; the tag of key epoch {epoch} is published (txet): later records are sealed for them only"
                ),
                json!({"event": "epoch-published", "case": case, "epoch": epoch}),
            )
        }
        Notification::Rekeyed { case, epoch } => {
            let case = hex::encode(case.as_bytes());
            (
                format!(
                    "case {case}: key epoch {epoch} is established; later records are sealed under its key, which the revoked do not have"
                ),
                json!({"event": "rekeyed", "case": case, "epoch": epoch}),
            )
        }
        Notification::NewRecord {
            case,
            record_type,
            key,
        } => {
            let case = hex::encode(case.as_bytes());
            let key = hex::encode(key);
            (
                format!(
                    "case {case}: new {} record {key}; read it with `medchain read --record {key}`",
                    record_type.label()
                ),
                json!({"event": "new-record", "case": case, "type": record_type.label(), "record": key}),
            )
        }
    }
}

/// Runs `medchain watch`.
pub async fn run(global: &GlobalArgs, args: &WatchArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let checkpoint = session.profile.checkpoint.block;
    out.note(&format!(
        "watching as {} ({}) from block {checkpoint}; Ctrl-C stops",
        session.profile.name, session.profile.role
    ));
    let watcher = Watcher::new(ledger, session.wallet.clone(), &password, session.policy);
    let idle = args.idle_exit.map(Duration::from_secs);
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    watcher
        .run_until(
            |n| {
                let (human, json) = describe(n);
                out.line(&human, &json);
            },
            |_| true,
            idle,
            ctrl_c,
        )
        .await?;
    out.note("stopped; the next `medchain watch` resumes from here");
    Ok(())
}
