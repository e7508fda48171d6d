//! `medchain audit`: a lawyer or medical expert (or a family member, after
//! the patient's death) fetches the whole case and decrypts every record.
//! `medchain read --case` shows the same and marks the records read.

use serde_json::{Value, json};

use crate::args::{CaseArgs, GlobalArgs};
use crate::error::CliError;
use crate::output::{Output, content_json, content_text};
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::workflow::{self, DecryptedRecord};
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
    let human = format!(
        "{} ({})  record {key}\n    tx {}\n    {}",
        record.record_type.label(),
        kind(record.record_type),
        record.tx_id,
        content_text(record.plaintext.as_deref().map(Vec::as_slice)).replace('\n', "\n    ")
    );
    let mut json = json!({
        "record": key,
        "type": record.record_type.label(),
        "kind": kind(record.record_type),
        "tx_id": record.tx_id,
    });
    if let (Some(map), Value::Object(content)) = (
        json.as_object_mut(),
        content_json(record.plaintext.as_deref().map(Vec::as_slice)),
    ) {
        map.extend(content);
    }
    (human, json)
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
    out: &Output,
) -> Result<(), CliError> {
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let case_hex = hex::encode(case.as_bytes());
    let spinner = progress::Spinner::start(out, "fetching and decrypting the case page by page");
    let mut held: Vec<DecryptedRecord> = Vec::new();
    let mut streaming = false;
    let print = |record: &DecryptedRecord| {
        let (text, json) = describe_record(record);
        out.line(&format!("\n{text}"), &json);
    };
    let summary = workflow::audit_pages(&ledger, &password, case, session.policy, |record| {
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
pub async fn run(global: &GlobalArgs, args: &CaseArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    show_case(&session, &case, false, out).await
}
