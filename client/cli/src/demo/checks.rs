//! The demo's ending: the lawyer's audit and the final checks — every
//! participant recovered the same case key, the stranger did not.

use serde_json::json;

use std::path::Path;

use super::actors::{ATTACHMENT_NAME, attachment_bytes, script};
use super::timeline::{MARGIN, Timeline};
use crate::commands::audit::kind;
use crate::error::CliError;
use crate::output::{Output, content_text, short_hex};
use medchain_sdk::attachments::AttachmentRef;
use medchain_sdk::cast::{Part, Participant, find};
use medchain_sdk::connect;
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
    pub(super) fn new(ok: bool, text: impl Into<String>) -> Self {
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
    dir: &Path,
    policy: KdfPolicy,
    out: &Output,
) -> Result<Vec<Check>, CliError> {
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
    let mut attachments = Vec::new();
    for record in &records {
        let plaintext = record.plaintext.as_deref().map(Vec::as_slice);
        faithful &= plaintext == Some(script(record.record_type).as_bytes());
        faithful &=
            record.attachments.len() == usize::from(record.record_type == RecordType::Diagnosis);
        attachments.extend(record.attachments.iter().cloned());
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
        for att in &record.attachments {
            out.line(
                &format!(
                    "{MARGIN}    attachment {} ({} bytes, encrypted in {} bytes) at {}",
                    att.name, att.size, att.ciphertext_size, att.cid
                ),
                &json!({
                    "event": "attachment", "record": hex::encode(record.key), "name": att.name,
                    "size": att.size, "cid": att.cid,
                }),
            );
        }
    }
    let mut checks = vec![Check::new(
        faithful,
        format!(
            "the lawyer's audit shows the {} records exactly as they were written, the diagnosis with its attachment",
            RecordType::ALL.len()
        ),
    )];
    checks.push(save_attachment(lawyer, case, &attachments, dir, policy, out).await?);
    Ok(checks)
}

/// The lawyer fetches the diagnosis's attachment (every block verified
/// against its CID), decrypts it and compares it with the original.
async fn save_attachment(
    lawyer: &Participant,
    case: &CaseId,
    attachments: &[AttachmentRef],
    dir: &Path,
    policy: KdfPolicy,
    out: &Output,
) -> Result<Check, CliError> {
    let downloads = dir.join("lawyer-downloads");
    std::fs::create_dir_all(&downloads)
        .map_err(|e| CliError::io("the lawyer's download directory", &downloads, &e))?;
    let store = connect::attachment_store(&lawyer.wallet.profile()?)?;
    let items: Vec<_> = attachments
        .iter()
        .map(|a| workflow::AttachmentTarget {
            dir: downloads.clone(),
            attachment: a.clone(),
            epoch: 0,
        })
        .collect();
    let saved = workflow::save_attachments(
        lawyer.ledger(),
        &lawyer.password,
        case,
        &items,
        &store,
        |_| {},
        policy,
    )
    .await?;
    let same = match saved.as_slice() {
        [path] => std::fs::read(path)
            .map(|bytes| bytes == attachment_bytes())
            .unwrap_or(false),
        _ => false,
    };
    if let [path] = saved.as_slice() {
        out.line(
            &format!(
                "{MARGIN}{} fetched {ATTACHMENT_NAME} from {}, verified every block and saved it to {}",
                lawyer.title(),
                store.location(),
                path.display()
            ),
            &json!({"event": "attachment-saved", "by": lawyer.title(), "path": path, "store": store.location()}),
        );
    }
    Ok(Check::new(
        same,
        format!("the lawyer's copy of {ATTACHMENT_NAME} matches the doctor's byte for byte"),
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
