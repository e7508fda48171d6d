//! `medchain register`: doctors, pharmacists, insurers and lawyers/experts
//! register their certificate on the ledger (`reg`).

use medchain_protos::medchain::v1::Role;
use medchain_protos::medchain::v1::input_parameter::Record;
use serde_json::json;

use crate::cli::args::GlobalArgs;
use crate::cli::error::{CliError, ExitStatus};
use crate::cli::output::Output;
use crate::cli::progress;
use crate::cli::session::Session;
use crate::ledger::Ledger;
use crate::wallet::UserRole;
use crate::workflow::{self, format_ind};

/// The ledger role of a user role; `None` for patients and family members,
/// who do not register.
pub fn ledger_role(role: UserRole) -> Option<Role> {
    match role {
        UserRole::Doctor => Some(Role::Doctor),
        UserRole::Pharmacist => Some(Role::Pharmacist),
        UserRole::Insurer => Some(Role::Insurer),
        UserRole::LawyerExpert => Some(Role::LawyerExpert),
        UserRole::Patient | UserRole::Family => None,
    }
}

/// Registers the ledger identity as `role` unless it already is; returns
/// whether a registration was stored now.
pub async fn ensure_registered(ledger: &Ledger, role: UserRole) -> Result<bool, CliError> {
    let Some(wanted) = ledger_role(role) else {
        return Err(does_not_register(role));
    };
    let existing = ledger
        .get_participant(ledger.ind())
        .await?
        .and_then(|input| match input.record {
            Some(Record::Reg(reg)) => Role::try_from(reg.role).ok(),
            _ => None,
        });
    match existing {
        Some(found) if found == wanted => Ok(false),
        Some(found) => Err(CliError::new(
            ExitStatus::OutOfOrder,
            format!(
                "this identity is already registered as {}; one identity has one role, so use another identity for the {role} role",
                medchain_contract::role_name(found)
            ),
        )),
        None => {
            workflow::register(ledger, wanted).await?;
            Ok(true)
        }
    }
}

/// Runs `medchain register`.
pub async fn run(global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let role = session.profile.role;
    if ledger_role(role).is_none() {
        return Err(does_not_register(role));
    }
    session.unlock()?;
    let connection = session.connect().await?;
    let ledger = &connection.ledger;
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
