//! `medchain establish`: the doctor establishes the case key once every
//! participant has answered.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::args::{EstablishArgs, GlobalArgs};
use crate::error::{CliError, ExitStatus};
use crate::output::Output;
use crate::progress::{self, Spinner};
use crate::session::{Session, parse_case};
use medchain_sdk::ledger::Ledger;
use medchain_sdk::workflow::{self, CaseView, format_ind};
use medchain_siff::CaseId;

/// How often `--wait` looks for new responses.
const POLL: Duration = Duration::from_secs(1);

/// Waits until every participant has answered (or the key is already
/// established), for at most `limit`.
async fn wait_for_responses(
    ledger: &Ledger,
    case: &CaseId,
    limit: Duration,
    out: &Output,
) -> Result<(), CliError> {
    let spinner = Spinner::start(out, "waiting for the participants' answers");
    let deadline = Instant::now() + limit;
    loop {
        let view = CaseView::load(ledger, case).await?;
        let missing = view.missing_responses();
        if missing.is_empty() || view.tag().is_some() {
            return Ok(());
        }
        let total = view.case.responders().len();
        spinner.set_message(&format!("waiting for {} of {total} answers", missing.len()));
        if Instant::now() >= deadline {
            let names: Vec<String> = missing.iter().map(|&i| format_ind(i)).collect();
            return Err(CliError::new(
                ExitStatus::OutOfOrder,
                format!(
                    "after {} s, case {} still waits for {}; ask them to run `medchain watch` and try again",
                    limit.as_secs(),
                    hex::encode(case.as_bytes()),
                    names.join(", ")
                ),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Runs `medchain establish`.
pub async fn run(global: &GlobalArgs, args: &EstablishArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    let case_hex = hex::encode(case.as_bytes());
    let pending = session
        .profile
        .cases
        .get(&case_hex)
        .is_some_and(|c| c.pending_tag.is_some());
    if pending {
        return Err(CliError::new(
            ExitStatus::OutOfOrder,
            format!(
                "the key of case {case_hex} is already established; store the first record with `medchain record --case {case_hex} --message …`"
            ),
        ));
    }
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let ledger = &ledger;
    if let Some(secs) = args.wait {
        wait_for_responses(ledger, &case, Duration::from_secs(secs), out).await?;
    }
    let participants = progress::during(
        out,
        "establishing the case key",
        workflow::establish(ledger, &session.wallet, &password, &case, session.policy),
    )
    .await?;
    out.result(
        &format!(
            "key established for case {case_hex} with {participants} participants; the tag is published with the first record: `medchain record --case {case_hex} --message …`"
        ),
        &json!({"case": case_hex, "established": true, "participants": participants}),
    );
    Ok(())
}
