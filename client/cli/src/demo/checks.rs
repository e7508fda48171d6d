//! The demo's ending: the lawyer's audit and the final checks — every
//! participant recovered the same case key, the stranger did not.

use serde_json::json;

use super::actors::script;
use super::timeline::{MARGIN, Timeline};
use crate::commands::audit::kind;
use crate::error::CliError;
use crate::output::{Output, content_text, short_hex};
use medchain_sdk::cast::{Part, Participant, find};
use medchain_sdk::workflow::{self, WorkflowError};
use medchain_siff::{CaseId, CryptoError, KdfPolicy, RecordType};

/// The outcome of one check.
pub struct Check {
    /// Whether it passed.
    pub ok: bool,
    /// What was checked, in words.
    pub text: String,
}

impl Check {
    fn new(ok: bool, text: impl Into<String>) -> Self {
        Self {
            ok,
            text: text.into(),
        }
    }
}

/// The lawyer fetches the whole case and decrypts every record; prints
/// them and checks they are what was stored.
pub async fn lawyer_audit(
    cast: &[Participant],
    case: &CaseId,
    policy: KdfPolicy,
    out: &Output,
) -> Result<Check, CliError> {
    let lawyer = find(cast, Part::Lawyer)?;
    let records = workflow::audit(lawyer.ledger(), &lawyer.password, case, policy).await?;
    out.line(
        &format!(
            "\naudit: {} fetched case {} with its own password and decrypted {} records",
            lawyer.title(),
            short_hex(case.as_bytes()),
            records.len()
        ),
        &json!({"event": "audit", "by": lawyer.title(), "case": hex::encode(case.as_bytes()), "records": records.len()}),
    );
    let mut faithful = records.len() == RecordType::ALL.len();
    for record in &records {
        let plaintext = record.plaintext.as_deref().map(Vec::as_slice);
        faithful &= plaintext == Some(script(record.record_type).as_bytes());
        out.line(
            &format!(
                "{MARGIN}{} {:<12} {}  tx {}…\n{MARGIN}    \"{}\"",
                record.record_type.label(),
                kind(record.record_type),
                short_hex(&record.key),
                record.tx_id.get(..16).unwrap_or(&record.tx_id),
                content_text(plaintext)
            ),
            &json!({
                "event": "audited", "type": record.record_type.label(), "record": hex::encode(record.key),
                "tx_id": record.tx_id, "text": content_text(plaintext),
            }),
        );
    }
    Ok(Check::new(
        faithful,
        format!(
            "the lawyer's audit shows the {} records exactly as they were written",
            RecordType::ALL.len()
        ),
    ))
}

/// Every participant recovers the case key from the tag with its own
/// password (compared in constant time with the doctor's; keys are never
/// shown); the stranger recovers something else and cannot decrypt.
pub async fn key_checks(
    cast: &[Participant],
    case: &CaseId,
    policy: KdfPolicy,
    timeline: &Timeline<'_>,
) -> Result<Vec<Check>, CliError> {
    let doctor = find(cast, Part::Doctor)?;
    let reference =
        workflow::recover_case_key(doctor.ledger(), &doctor.password, case, policy).await?;
    let mut checks = Vec::new();
    for p in cast.iter().filter(|p| p.part != Part::Stranger) {
        let key = workflow::recover_case_key(p.ledger(), &p.password, case, policy).await?;
        checks.push(Check::new(
            key == reference,
            format!("{} recovered the same case key K", p.title()),
        ));
    }
    for (index, p) in cast
        .iter()
        .enumerate()
        .filter(|(_, p)| p.part == Part::Stranger)
    {
        let key = workflow::recover_case_key(p.ledger(), &p.password, case, policy).await?;
        checks.push(Check::new(
            key != reference,
            format!("{} did not recover K", p.title()),
        ));
        let refused = matches!(
            workflow::audit(p.ledger(), &p.password, case, policy).await,
            Err(WorkflowError::Crypto(CryptoError::CannotDecrypt))
        );
        checks.push(Check::new(
            refused,
            format!("{}'s audit was refused: cannot decrypt", p.title()),
        ));
        let notified = timeline.notifications.get(index).copied().unwrap_or(0);
        checks.push(Check::new(
            notified == 0,
            format!("{} was notified of nothing", p.title()),
        ));
    }
    checks.push(Check::new(
        timeline.wrong_reads.is_empty(),
        format!(
            "every notified participant decrypted each record as written{}",
            if timeline.wrong_reads.is_empty() {
                String::new()
            } else {
                format!(" (not: {})", timeline.wrong_reads.join("; "))
            }
        ),
    ));
    Ok(checks)
}
