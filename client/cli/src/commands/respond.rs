//! `medchain respond`: a participant answers a case opening (`txtr`).

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
    let granted = match answered {
        Ok(()) => false,
        // Not a participant: the case may be granted to this user.
        Err(workflow::WorkflowError::NotParticipant(_)) => {
            progress::during(
                out,
                "answering the grant (txgr) and waiting for the commit",
                workflow::answer_grant(&ledger, &password, &case, session.policy),
            )
            .await?;
            true
        }
        Err(e) => return Err(e.into()),
    };
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
    let next = if granted {
        "the granter's client publishes the grant tag, then you read the case"
    } else {
        "the doctor establishes the key once everyone has answered"
    };
    out.result(
        &format!("answered case {case_hex}; {next}"),
        &json!({"case": case_hex, "answered": true, "grant": granted}),
    );
    Ok(())
}
