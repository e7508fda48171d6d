//! `medchain record`: stores an encrypted record of a case — diagnosis
//! (`txd`), medicines and charges (`txm`), compensation (`txa`).

use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{GlobalArgs, RecordArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::wallet::UserRole;
use medchain_sdk::workflow;
use medchain_siff::RecordType;

/// The record type a role stores by default.
pub fn default_type(role: UserRole) -> Option<RecordType> {
    match role {
        UserRole::Doctor => Some(RecordType::Diagnosis),
        UserRole::Pharmacist => Some(RecordType::Medication),
        UserRole::Insurer => Some(RecordType::Compensation),
        _ => None,
    }
}

/// Runs `medchain record`.
pub async fn run(global: &GlobalArgs, args: &RecordArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    let role = session.profile.role;
    let record_type = match args.record_type {
        Some(t) => RecordType::from(t),
        None => default_type(role).ok_or_else(|| {
            CliError::usage(format!(
                "a {role} stores no records; doctors store diagnoses (txd), pharmacists medicines (txm) and insurers compensation (txa)"
            ))
        })?,
    };
    let content = match (&args.message, &args.file) {
        (Some(message), _) => Zeroizing::new(message.as_bytes().to_vec()),
        (None, Some(path)) => Zeroizing::new(
            std::fs::read(path).map_err(|e| CliError::io("the record file", path, &e))?,
        ),
        (None, None) => return Err(CliError::usage("give --message TEXT or --file PATH")),
    };
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let key = progress::during(
        out,
        &format!(
            "storing the encrypted {} record and waiting for the commit",
            record_type.label()
        ),
        workflow::add_record(
            &ledger,
            Some(&session.wallet),
            &password,
            &case,
            record_type,
            &content,
            session.policy,
        ),
    )
    .await?;
    let key = hex::encode(key);
    let case_hex = hex::encode(case.as_bytes());
    out.result(
        &format!(
            "stored {} record {key} ({} bytes, encrypted) in case {case_hex}",
            record_type.label(),
            content.len()
        ),
        &json!({"case": case_hex, "record": key, "type": record_type.label(), "bytes": content.len()}),
    );
    Ok(())
}
