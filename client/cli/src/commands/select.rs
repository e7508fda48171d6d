//! `medchain select`: the patient chooses who may see the case and hands
//! the selection to the doctor (file, PNG QR code, terminal QR code).

use serde_json::json;

use super::whoami;
use crate::args::{GlobalArgs, SelectArgs};
use crate::contact::{resolve_index, resolve_public_key};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::qr;
use crate::session::Session;
use medchain_sdk::wallet::UserRole;
use medchain_sdk::workflow::{ParsedSelection, Selection, parse_ind};

/// Builds the selection the options describe for the patient whose public
/// key is `patient_key_hex`.
pub fn build(patient_key_hex: &str, args: &SelectArgs) -> Result<Selection, CliError> {
    let patient_key = hex::decode(patient_key_hex)
        .map_err(|_| CliError::failure("the wallet's public key is damaged"))?;
    let doctor = parse_ind(&resolve_index(&args.doctor)?)?;
    let mut selection = Selection::new(&patient_key, doctor);
    selection.family_keys = args
        .family
        .iter()
        .map(|v| resolve_public_key(v))
        .collect::<Result<_, _>>()?;
    let indices = |values: &[String]| {
        values
            .iter()
            .map(|v| resolve_index(v))
            .collect::<Result<Vec<_>, _>>()
    };
    selection.pharmacists = indices(&args.pharmacist)?;
    selection.insurers = indices(&args.insurer)?;
    selection.lawyer_experts = indices(&args.lawyer)?;
    selection.parse()?;
    Ok(selection)
}

/// The number of participants a selection names, the doctor and the
/// patient included.
pub fn participant_count(selection: &ParsedSelection) -> usize {
    2 + selection.family_keys.len()
        + selection.pharmacists.len()
        + selection.insurers.len()
        + selection.lawyer_experts.len()
}

/// Runs `medchain select`.
pub async fn run(global: &GlobalArgs, args: &SelectArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    if session.profile.role != UserRole::Patient {
        return Err(CliError::usage(format!(
            "only a patient selects the participants of a case, and this wallet is a {}'s",
            session.profile.role
        )));
    }
    let me = whoami::contact(&session.profile)?;
    let mut selection = build(&me.public_key, args)?;
    // The patient's consent: a signature the chaincode checks before it
    // opens a case for this selection.
    let password = session.unlock()?;
    selection.sign(&session.signer(&password)?)?;
    let ledger = session.connect(&password).await?;
    progress::during(
        out,
        "checking the chosen participants on the ledger",
        selection.verify(&ledger),
    )
    .await?;
    let text = selection.to_json();
    let mut json = json!({ "selection": serde_json::to_value(&selection).unwrap_or_default() });
    let mut written = Vec::new();
    if let Some(path) = &args.out {
        std::fs::write(path, format!("{text}\n"))
            .map_err(|e| CliError::io("the selection file", path, &e))?;
        json["out"] = json!(path);
        written.push(path.display().to_string());
    }
    if let Some(path) = &args.png {
        std::fs::write(path, qr::encode_png(&text)?)
            .map_err(|e| CliError::io("the selection QR code", path, &e))?;
        json["png"] = json!(path);
        written.push(path.display().to_string());
    }
    let count = participant_count(&selection.parse()?);
    let mut human = format!(
        "selection checked on the ledger: you, doctor {}, {} family member(s), {} pharmacist(s), {} insurer(s), {} lawyer(s)/expert(s) — {count} participants",
        selection.doctor,
        selection.family_keys.len(),
        selection.pharmacists.len(),
        selection.insurers.len(),
        selection.lawyer_experts.len(),
    );
    if written.is_empty() {
        human.push_str("\nno --out or --png given: show the QR code below to the doctor");
    } else {
        human.push_str(&format!(
            "\nwritten to {}; the doctor opens the case with `medchain open-case --selection {}`",
            written.join(" and "),
            written.last().map(String::as_str).unwrap_or_default()
        ));
    }
    out.result(&human, &json);
    if !args.no_qr {
        out.text(&qr::render_terminal(&text)?);
    }
    Ok(())
}
