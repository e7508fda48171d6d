//! `medchain register`: doctors, pharmacists, insurers and lawyers/experts
//! register their certificate on the ledger (`reg`).

use serde_json::json;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::Session;
use medchain_sdk::ledger::Ledger;
use medchain_sdk::wallet::UserRole;
use medchain_sdk::workflow::{self, format_ind};

/// Registers the ledger identity as `role` unless it already is; returns
/// whether a registration was stored now.
pub async fn ensure_registered(ledger: &Ledger, role: UserRole) -> Result<bool, CliError> {
    let Some(wanted) = role.ledger_role() else {
        return Err(does_not_register(role));
    };
    Ok(workflow::ensure_registered(ledger, wanted).await?)
}

/// Runs `medchain register`.
pub async fn run(global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let role = session.profile.role;
    if !role.registers() {
        return Err(does_not_register(role));
    }
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let ledger = &ledger;
    let stored = progress::during(
        out,
        "registering on the ledger",
        ensure_registered(ledger, role),
    )
    .await?;
    let index = format_ind(ledger.ind());
    let human = if stored {
        format!("registered as {role} with index {index}")
    } else {
        format!("already registered as {role} with index {index}; nothing to do")
    };
    out.result(
        &human,
        &json!({"registered": true, "new": stored, "role": role.name(), "index": index}),
    );
    Ok(())
}

fn does_not_register(role: UserRole) -> CliError {
    CliError::usage(format!(
        "a {role} does not register; share your contact instead (`medchain whoami --out contact.json`)"
    ))
}
