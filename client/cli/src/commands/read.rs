//! `medchain read`: decrypts one record, or every record of a case, and
//! marks them read in the wallet.

use serde_json::json;

use super::audit::{describe_record, require_dir, save, show_case};
use crate::args::{GlobalArgs, ReadArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{Session, parse_case, parse_key};
use fabric_gateway::private_file::write_private_file;
use medchain_sdk::workflow::{self, AttachmentTarget};

/// Runs `medchain read`.
pub async fn run(global: &GlobalArgs, args: &ReadArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let record = match (&args.record, &args.case) {
        (Some(record), _) => parse_key(record, "record key")?,
        (None, Some(case)) => {
            let case = parse_case(case)?;
            return show_case(&session, &case, true, args.save_attachments.as_deref(), out).await;
        }
        (None, None) => return Err(CliError::usage("give --record KAPPA or --case K0")),
    };
    if let Some(dir) = &args.save_attachments {
        require_dir(dir)?;
    }
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let decrypted = progress::during(
        out,
        "fetching and decrypting the record",
        workflow::read_record(&ledger, &password, &record, session.policy),
    )
    .await?;
    let key_hex = hex::encode(record);
    session.wallet.update(|p| {
        for entry in p.cases.values_mut() {
            entry.unread.retain(|k| k != &key_hex);
        }
    })?;
    let saved = match &args.save_attachments {
        Some(dir) => {
            let case = medchain_siff::CaseId::from_bytes(decrypted.case);
            let items: Vec<_> = decrypted
                .attachments
                .iter()
                .map(|a| AttachmentTarget {
                    dir: dir.clone(),
                    attachment: a.clone(),
                    epoch: decrypted.epoch,
                })
                .collect();
            save(&session, &ledger, &password, &case, &items, out).await?
        }
        None => Vec::new(),
    };
    for path in &saved {
        out.note(&format!("saved attachment {}", path.display()));
    }
    let plaintext = decrypted
        .plaintext
        .as_deref()
        .map_or(&[][..], Vec::as_slice);
    if let Some(path) = &args.out {
        write_private_file(path, plaintext)
            .map_err(|e| CliError::io("the output file", path, &e))?;
        out.result(
            &format!(
                "wrote the {} bytes of {} record {key_hex} to {}",
                plaintext.len(),
                decrypted.record_type.label(),
                path.display()
            ),
            &json!({"record": key_hex, "type": decrypted.record_type.label(), "out": path, "bytes": plaintext.len()}),
        );
        return Ok(());
    }
    let (human, mut json) = describe_record(&decrypted);
    if let Some(map) = json.as_object_mut().filter(|_| !saved.is_empty()) {
        map.insert("saved".into(), json!(saved));
    }
    out.result(&human, &json);
    Ok(())
}
