//! `medchain cases`: the wallet's cases with their status and unread
//! records. Works offline: it reads the wallet only.

use serde_json::json;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::output::Output;
use crate::session::Session;
use medchain_sdk::wallet::CaseStatus;

/// A case status in words.
pub fn status_name(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::AwaitingResponses => "awaiting-responses",
        CaseStatus::Answered => "answered",
        CaseStatus::KeyEstablished => "key-established",
        CaseStatus::Active => "active",
        CaseStatus::Refused => "refused",
    }
}

/// Runs `medchain cases`.
pub fn run(global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let cases = &session.profile.cases;
    let mut human = if cases.is_empty() {
        "no cases yet (`medchain watch` records the cases you are selected for)".to_owned()
    } else {
        format!("{:<64}  {:<13}  {:<18}  unread", "case", "role", "status")
    };
    let mut items = Vec::new();
    for (case, entry) in cases {
        human.push_str(&format!(
            "\n{case}  {:<13}  {:<18}  {}",
            entry.role.name(),
            status_name(entry.status),
            entry.unread.len()
        ));
        for record in &entry.unread {
            human.push_str(&format!("\n    unread record {record}"));
        }
        if let Some(reason) = &entry.refusal {
            human.push_str(&format!("\n    refused: {reason}"));
        }
        items.push(json!({
            "case": case,
            "role": entry.role.name(),
            "status": status_name(entry.status),
            "unread": entry.unread,
            "refusal": entry.refusal,
        }));
    }
    out.result(&human, &json!({ "cases": items }));
    Ok(())
}
