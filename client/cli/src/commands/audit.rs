//! `medchain audit`: a lawyer or medical expert (or a family member, after
//! the patient's death) fetches the whole case and decrypts every record.
//! `medchain read --case` shows the same and marks the records read.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::args::{AuditArgs, GlobalArgs};
use crate::error::CliError;
use crate::output::{Output, content_json, content_text};
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::attachments::AttachmentRef;
use medchain_sdk::connect;
use medchain_sdk::ledger::Ledger;
use medchain_sdk::workflow::{self, AttachmentTarget, DecryptedRecord};
use medchain_siff::{CaseId, RecordType};

/// What a record type holds, in words.
pub fn kind(record_type: RecordType) -> &'static str {
    match record_type {
        RecordType::Diagnosis => "diagnosis",
        RecordType::Medication => "medication",
        RecordType::Compensation => "compensation",
    }
}

/// One decrypted record as text and JSON.
pub fn describe_record(record: &DecryptedRecord) -> (String, Value) {
    let key = hex::encode(record.key);
    let content = match (&record.plaintext, record.epoch) {
        (None, epoch @ 1..) => format!(
            "<sealed in key epoch {epoch}, which your key does not open: you were revoked before it, or it is damaged>"
        ),
        (plaintext, _) => content_text(plaintext.as_deref().map(Vec::as_slice)),
    };
    let mut human = format!(
        "{} ({})  record {key}\n    tx {}{}\n    {}",
        record.record_type.label(),
        kind(record.record_type),
        record.tx_id,
        match record.epoch {
            0 => String::new(),
            e => format!("\n    key epoch {e}"),
        },
        content.replace('\n', "\n    ")
    );
    for att in &record.attachments {
        human.push_str(&format!(
            "\n    attachment {} ({} bytes) on IPFS {}",
            att.name, att.size, att.cid
        ));
    }
    if let Some(e) = &record.body_error {
        human.push_str(&format!("\n    <its attachment list is unusable: {e}>"));
    }
    let mut json = json!({
        "record": key,
        "type": record.record_type.label(),
        "kind": kind(record.record_type),
        "tx_id": record.tx_id,
        "epoch": record.epoch,
    });
    if let (Some(map), Value::Object(content)) = (
        json.as_object_mut(),
        content_json(record.plaintext.as_deref().map(Vec::as_slice)),
    ) {
        map.extend(content);
        if !record.attachments.is_empty() {
            map.insert(
                "attachments".into(),
                record.attachments.iter().map(attachment_json).collect(),
            );
        }
        if let Some(e) = &record.body_error {
            map.insert("body_error".into(), e.to_string().into());
        }
    }
    (human, json)
}

/// One attachment reference as JSON.
fn attachment_json(att: &AttachmentRef) -> Value {
    json!({
        "name": att.name,
        "size": att.size,
        "cid": att.cid,
        "ciphertext_size": att.ciphertext_size,
        "ciphertext_sha256": hex::encode(att.ciphertext_sha256),
    })
}

/// Checks that `dir` is an existing directory to save attachments into.
pub fn require_dir(dir: &Path) -> Result<(), CliError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "{} is not an existing directory; create it first or give another --save-attachments directory",
            dir.display()
        )))
    }
}

/// Fetches, verifies, decrypts and saves `items` (attachments of records
/// of `case`) with progress bars; prints one line per saved
/// file and returns the saved paths.
pub async fn save(
    session: &Session,
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    items: &[AttachmentTarget],
    out: &Output,
) -> Result<Vec<PathBuf>, CliError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let store = connect::attachment_store(&session.profile)?;
    let labels = items
        .iter()
        .map(|t| {
            (
                format!("fetching and decrypting {}", t.attachment.name),
                t.attachment.ciphertext_size,
            )
        })
        .collect();
    let mut bars = progress::TransferBars::new(out, labels);
    let saved = workflow::save_attachments(
        ledger,
        password,
        case,
        items,
        &store,
        |p| bars.update(p.index, p.done),
        session.policy,
    )
    .await;
    drop(bars);
    Ok(saved?)
}

/// Decrypts and prints every record of `case` as its `GetCase` page
/// arrives (no more than a page of plaintexts is held at once); with
/// `mark_read`, clears the case's unread records in the wallet.
///
/// Records are printed from the first one that decrypts on (those before
/// it, which carry no plaintext, are held until then), so a user who
/// cannot decrypt the case sees only the error. With `--json`, each record
/// is one JSON line and a last line `{"case": …, "participants": …,
/// "answers": …, "records": N, "decrypted": …, "tag_bytes": …, "pages": …}`
/// sums the case up.
pub async fn show_case(
    session: &Session,
    case: &CaseId,
    mark_read: bool,
    save_to: Option<&Path>,
    out: &Output,
) -> Result<(), CliError> {
    if let Some(dir) = save_to {
        require_dir(dir)?;
    }
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let case_hex = hex::encode(case.as_bytes());
    let spinner = progress::Spinner::start(out, "fetching and decrypting the case page by page");
    let mut held: Vec<DecryptedRecord> = Vec::new();
    let mut streaming = false;
    let mut to_save: Vec<AttachmentTarget> = Vec::new();
    let print = |record: &DecryptedRecord| {
        let (text, json) = describe_record(record);
        out.line(&format!("\n{text}"), &json);
    };
    let summary = workflow::audit_pages(&ledger, &password, case, session.policy, |record| {
        if let Some(dir) = save_to {
            let sub = dir.join(&hex::encode(record.key)[..16]);
            to_save.extend(record.attachments.iter().map(|a| AttachmentTarget {
                dir: sub.clone(),
                attachment: a.clone(),
                epoch: record.epoch,
            }));
        }
        if !streaming && record.plaintext.is_none() {
            held.push(record);
            return Ok(());
        }
        if !streaming {
            streaming = true;
            spinner.clear();
            out.text(&format!("case {case_hex}"));
            for earlier in held.drain(..) {
                print(&earlier);
            }
        }
        print(&record);
        Ok(())
    })
    .await;
    drop(spinner);
    let summary = summary?;
    if !streaming {
        out.text(&format!("case {case_hex}"));
        for earlier in held.drain(..) {
            print(&earlier);
        }
    }
    for dir in to_save
        .iter()
        .map(|t| &t.dir)
        .collect::<std::collections::BTreeSet<_>>()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::io("the attachment directory", dir, &e))?;
    }
    for path in save(session, &ledger, &password, case, &to_save, out).await? {
        out.line(
            &format!("saved attachment {}", path.display()),
            &json!({"saved": path}),
        );
    }
    if mark_read {
        session.wallet.update(|p| {
            if let Some(entry) = p.cases.get_mut(&case_hex) {
                entry.unread.clear();
            }
        })?;
    }
    let mut human = format!(
        "\n{} participants, {} answers, {} records, tag {} bytes ({} pages read)",
        summary.participants, summary.answers, summary.records, summary.tag_bytes, summary.pages
    );
    if summary.records == 0 {
        human.push_str("\nno records yet");
    }
    out.line(
        &human,
        &json!({
            "case": case_hex,
            "participants": summary.participants,
            "answers": summary.answers,
            "records": summary.records,
            "decrypted": summary.decrypted,
            "tag_bytes": summary.tag_bytes,
            "pages": summary.pages,
        }),
    );
    Ok(())
}

/// Runs `medchain audit`.
pub async fn run(global: &GlobalArgs, args: &AuditArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    show_case(
        &session,
        &case,
        false,
        args.save_attachments.as_deref(),
        out,
    )
    .await
}
