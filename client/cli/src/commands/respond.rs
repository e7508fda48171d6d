//! `medchain respond`: a participant answers a case opening (`txtr`), a
//! grantee its grant (`txgr`), a remaining member a new key epoch (`txer`).

use serde_json::json;

use crate::args::{CaseArgs, GlobalArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::wallet::{CaseEntry, CaseStatus};
use medchain_sdk::workflow;

/// Runs `medchain respond`.
pub async fn run(global: &GlobalArgs, args: &CaseArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let answered = progress::during(
        out,
        "sending your answer (txtr) and waiting for the commit",
        workflow::respond(&ledger, &password, &case, session.policy),
    )
    .await;
    // What else may wait for this user's answer: a grant (not a
    // participant) or a new key epoch (already answered the case).
    let answered_epoch = || async {
        progress::during(
            out,
            "answering the new key epoch (txer) and waiting for the commit",
            workflow::answer_epoch(&ledger, &password, &case, session.policy),
        )
        .await
    };
    let what = match answered {
        Ok(()) => Answer::Case,
        Err(workflow::WorkflowError::NotParticipant(_)) => {
            let granted = progress::during(
                out,
                "answering the grant (txgr) and waiting for the commit",
                workflow::answer_grant(&ledger, &password, &case, session.policy),
            )
            .await;
            match granted {
                Ok(()) => Answer::Grant,
                Err(first @ workflow::WorkflowError::OutOfOrder(_)) => {
                    epoch_or(answered_epoch().await, first)?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(
            first @ (workflow::WorkflowError::OutOfOrder(_) | workflow::WorkflowError::Invalid(_)),
        ) => epoch_or(answered_epoch().await, first)?,
        Err(e) => return Err(e.into()),
    };
    let granted = matches!(what, Answer::Grant);
    let case_hex = hex::encode(case.as_bytes());
    let role = session.profile.role;
    session.wallet.update(|p| {
        p.cases.entry(case_hex.clone()).or_insert(CaseEntry {
            role,
            status: CaseStatus::Answered,
            pending_tag: None,
            unread: Vec::new(),
            refusal: None,
        });
    })?;
    let next = match what {
        Answer::Grant => {
            "the granter's client publishes the grant tag, then you read the case".to_owned()
        }
        Answer::Case => "the doctor establishes the key once everyone has answered".to_owned(),
        Answer::Epoch(epoch) => format!(
            "key epoch {epoch}: its opener's client publishes the epoch tag once every remaining member has answered"
        ),
    };
    let epoch = match what {
        Answer::Epoch(e) => Some(e),
        _ => None,
    };
    out.result(
        &format!("answered case {case_hex}; {next}"),
        &json!({"case": case_hex, "answered": true, "grant": granted, "epoch": epoch}),
    );
    Ok(())
}

/// What `respond` answered.
enum Answer {
    /// The case opening (`txtr`).
    Case,
    /// A grant (`txgr`).
    Grant,
    /// A new key epoch (`txer`).
    Epoch(u32),
}

/// The epoch answered, or — when no key epoch waits for this user — the
/// error of the step tried first.
fn epoch_or(
    epoch: Result<u32, workflow::WorkflowError>,
    first: workflow::WorkflowError,
) -> Result<Answer, CliError> {
    match epoch {
        Ok(epoch) => Ok(Answer::Epoch(epoch)),
        Err(workflow::WorkflowError::OutOfOrder(_)) => Err(first.into()),
        Err(e) => Err(e.into()),
    }
}
