//! `medchain audit`: a lawyer or medical expert (or a family member, after
//! the patient's death) fetches the whole case and decrypts every record.
//! `medchain read --case` shows the same and marks the records read.

use serde_json::{Value, json};

use crate::args::{CaseArgs, GlobalArgs};
use crate::error::CliError;
use crate::output::{Output, content_json, content_text};
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::workflow::{self, CaseView, DecryptedRecord};
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

/// Decrypts and prints every record of `case`; with `mark_read`, clears
/// the case's unread records in the wallet.
pub async fn show_case(
    session: &Session,
    case: &CaseId,
    mark_read: bool,
    out: &Output,
) -> Result<(), CliError> {
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let ledger = &ledger;
    let (view, records) = progress::during(out, "fetching and decrypting the case", async {
        let view = CaseView::load(ledger, case).await?;
        let records = workflow::audit(ledger, &password, case, session.policy).await?;
        Ok::<_, CliError>((view, records))
    })
    .await?;
    let case_hex = hex::encode(case.as_bytes());
    if mark_read {
        session.wallet.update(|p| {
            if let Some(entry) = p.cases.get_mut(&case_hex) {
                entry.unread.clear();
            }
        })?;
    }
    let tag_bytes = view.tag().map_or(0, <[u8]>::len);
    let mut human = format!(
        "case {case_hex}\n{} participants, {} answers, {} records, tag {tag_bytes} bytes",
        view.case.len(),
        view.responses.len(),
        records.len()
    );
    let mut items = Vec::new();
    for record in &records {
        let (text, json) = describe_record(record);
        human.push_str("\n\n");
        human.push_str(&text);
        items.push(json);
    }
    if records.is_empty() {
        human.push_str("\nno records yet");
    }
    out.result(
        &human,
        &json!({
            "case": case_hex,
            "participants": view.case.len(),
            "answers": view.responses.len(),
            "tag_bytes": tag_bytes,
            "records": items,
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
