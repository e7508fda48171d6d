//! `medchain open-case`: the doctor opens a case from the patient's
//! selection (`txtc`).

use serde_json::json;

use super::select::participant_count;
use crate::args::{GlobalArgs, OpenCaseArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{self, Session};
use medchain_sdk::wallet::UserRole;
use medchain_sdk::workflow::{self, Selection, WorkflowError};
use medchain_siff::KdfParams;

/// The case's Argon2id parameters: the defaults (or the test ones with
/// `--insecure-test-kdf`) with the options' overrides.
fn kdf(global: &GlobalArgs, args: &OpenCaseArgs) -> KdfParams {
    let base = session::kdf(global);
    KdfParams {
        m_kib: args.kdf_m.unwrap_or(base.m_kib),
        t: args.kdf_t.unwrap_or(base.t),
        p: args.kdf_p.unwrap_or(base.p),
    }
}

/// Reads the patient's selection; anything wrong with it is bad input.
pub fn read_selection(path: &std::path::Path) -> Result<Selection, CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::usage(format!("cannot read the selection {}: {e}", path.display()))
    })?;
    let text = crate::qr::text_or_png(bytes)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
        .ok_or_else(|| {
            CliError::usage(format!(
                "{} is neither a selection file nor a PNG QR code; ask the patient to export it again",
                path.display()
            ))
        })?;
    Selection::from_json(&text).map_err(|e| match e {
        WorkflowError::Invalid(message) => CliError::usage(message),
        other => CliError::usage(format!(
            "the selection {} is unusable ({other}); ask the patient to export it again with `medchain select`",
            path.display()
        )),
    })
}

/// Runs `medchain open-case`.
pub async fn run(global: &GlobalArgs, args: &OpenCaseArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    if session.profile.role != UserRole::Doctor {
        return Err(CliError::usage(format!(
            "only a doctor opens cases, and this wallet is a {}'s; give the selection to the patient's doctor",
            session.profile.role
        )));
    }
    let selection = read_selection(&args.selection)?;
    let kdf = kdf(global, args);
    kdf.check_policy(session.policy)?;
    let count = participant_count(&selection.parse()?);
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let case = progress::during(
        out,
        "storing the case opening (txtc) and waiting for the commit",
        workflow::open_case(
            &ledger,
            &session.wallet,
            &password,
            &selection,
            kdf,
            session.policy,
        ),
    )
    .await?;
    let case_hex = hex::encode(case.as_bytes());
    out.result(
        &format!(
            "opened case {case_hex}\n{count} participants; Argon2id m = {} KiB, t = {}, p = {}\nnext: every participant answers (`medchain watch`, or `medchain respond --case {case_hex}`); then `medchain establish --case {case_hex}`",
            kdf.m_kib, kdf.t, kdf.p
        ),
        &json!({
            "case": case_hex,
            "participants": count,
            "kdf": {"m_kib": kdf.m_kib, "t": kdf.t, "p": kdf.p},
        }),
    );
    Ok(())
}
