//! `medchain record`: stores an encrypted record of a case — diagnosis
//! (`txd`), medicines and charges (`txm`), compensation (`txa`).

use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{GlobalArgs, RecordArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::connect;
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
    let message = format!(
        "storing the encrypted {} record and waiting for the commit",
        record_type.label()
    );
    let key = if args.attach.is_empty() {
        progress::during(
            out,
            &message,
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
        .await?
    } else {
        let store = connect::attachment_store(&session.profile)?;
        let mut bars = progress::TransferBars::new(out, transfer_labels(&args.attach));
        let stored = workflow::add_record_with_attachments(
            &ledger,
            Some(&session.wallet),
            &password,
            &case,
            record_type,
            &content,
            &args.attach,
            &store,
            |p| bars.update(p.index, p.done),
            session.policy,
        );
        let key = stored.await;
        drop(bars);
        let key = key?;
        out.note(&format!(
            "stored {} attachment(s) on {}",
            args.attach.len(),
            store.location()
        ));
        key
    };
    let key = hex::encode(key);
    let case_hex = hex::encode(case.as_bytes());
    let names: Vec<String> = args
        .attach
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let mut human = format!(
        "stored {} record {key} ({} bytes, encrypted) in case {case_hex}",
        record_type.label(),
        content.len()
    );
    if !names.is_empty() {
        human.push_str(&format!(" with attachments {}", names.join(", ")));
    }
    out.result(
        &human,
        &json!({"case": case_hex, "record": key, "type": record_type.label(), "bytes": content.len(), "attachments": names}),
    );
    Ok(())
}

/// The label and size of each file to attach, for the progress bars.
fn transfer_labels(files: &[std::path::PathBuf]) -> Vec<(String, u64)> {
    files
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            (format!("encrypting and storing {name}"), size)
        })
        .collect()
}
