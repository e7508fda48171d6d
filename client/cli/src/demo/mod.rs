//! `medchain demo`: the project's main job. With no setup it creates an
//! embedded ledger (or uses a Fabric network with `--gateway`) and the six
//! roles of the paper plus a stranger, then runs the whole workflow with a
//! watcher per participant running concurrently, so the events really drive
//! the responses, the key establishment and the records. It prints a
//! timeline and ends with checks: every participant recovered the same key,
//! the stranger did not. It fails (exit code 1) if any check fails.

mod actors;
mod checks;
mod grant;
mod revoke;
mod timeline;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use self::actors::{Entry, spawn_observer, spawn_participant};
use self::checks::Check;
use self::timeline::Timeline;
use super::args::DemoArgs;
use super::commands::register::ensure_registered;
use super::error::CliError;
use super::output::{Output, short_hex};
use super::progress;
use crate::qr;
use medchain_sdk::cast::{self, Part, Participant, Stage, find};
use medchain_sdk::ledger::embedded::EmbeddedLedger;
use medchain_sdk::wallet::SavedCheckpoint;
use medchain_sdk::workflow::{self, format_ind};
use medchain_siff::{CaseId, KdfParams, KdfPolicy};

/// The demo runs with the secure default Argon2id parameters.
const KDF: KdfParams = KdfParams::DEFAULT;
const POLICY: KdfPolicy = KdfPolicy::RequireMinimum;

/// The demo directory: `--dir` (new or empty), or a temporary one removed
/// at the end.
fn demo_dir(args: &DemoArgs) -> Result<(PathBuf, Option<tempfile::TempDir>), CliError> {
    match &args.dir {
        Some(dir) => {
            let not_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
            if not_empty {
                return Err(CliError::usage(format!(
                    "{} is not empty; give `medchain demo --dir` a new or empty directory",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(|e| CliError::io("the directory", dir, &e))?;
            let dir =
                std::path::absolute(dir).map_err(|e| CliError::io("the directory", dir, &e))?;
            Ok((dir, None))
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("medchain-demo-")
                .tempdir()
                .map_err(|e| CliError::io("a temporary directory in", &std::env::temp_dir(), &e))?;
            Ok((temp.path().to_owned(), Some(temp)))
        }
    }
}

/// Prints timeline entries until `until` holds.
async fn pump(
    timeline: &mut Timeline<'_>,
    entries: &mut mpsc::UnboundedReceiver<Entry>,
    deadline: Instant,
    until: impl Fn(&Timeline<'_>) -> bool,
) -> Result<(), CliError> {
    while !until(timeline) {
        let entry = tokio::time::timeout_at(deadline, entries.recv())
            .await
            .map_err(|_| {
                CliError::failure(
                    "the demo did not finish in time; run it again with a larger --timeout",
                )
            })?
            .ok_or_else(|| CliError::failure("every participant's client stopped early"))?;
        let failed = match &entry {
            Entry::Failed { error, .. } => Some(CliError::new(
                error.status(),
                format!(
                    "the demo stopped because a client failed: {}",
                    error.message()
                ),
            )),
            _ => None,
        };
        timeline.record(entry);
        if let Some(error) = failed {
            return Err(error);
        }
    }
    Ok(())
}

/// The workflow, from registration to the last decryption.
async fn run_workflow(
    cast: &[Participant],
    dir: &Path,
    timeline: &mut Timeline<'_>,
    entries: &mut mpsc::UnboundedReceiver<Entry>,
    deadline: Instant,
) -> Result<CaseId, CliError> {
    let mut registered = 0;
    for p in cast.iter().filter(|p| p.part.role().registers()) {
        if ensure_registered(p.ledger(), p.part.role()).await? {
            registered += 1;
        } else {
            timeline.say(
                &format!("{} is already registered", p.title()),
                json!({"event": "already-registered", "by": p.title()}),
            );
        }
    }
    pump(timeline, entries, deadline, |t| {
        t.stored.get("reg").copied().unwrap_or(0) >= registered
    })
    .await?;

    let patient = find(cast, Part::Patient)?;
    let doctor = find(cast, Part::Doctor)?;
    let chosen = cast::selection(cast)?;
    chosen.verify(patient.ledger()).await?;
    let png_path = dir.join("selection.png");
    let png = qr::encode_png(&chosen.to_json())?;
    std::fs::write(dir.join("selection.json"), chosen.to_json() + "\n")
        .and_then(|()| std::fs::write(&png_path, &png))
        .map_err(|e| CliError::io("the selection in", dir, &e))?;
    timeline.say(
        &format!(
            "{} selected Bob (family), Carol (doctor), Dave (pharmacist), Erin (insurer) and Frank (lawyer) — not Mallory; the selection QR code ({} bytes PNG) goes to the doctor",
            patient.title(),
            png.len()
        ),
        json!({"event": "selected", "by": patient.title(), "png_bytes": png.len(), "png": png_path}),
    );
    let scanned = crate::commands::open_case::read_selection(&png_path)?;
    let case = workflow::open_case(
        doctor.ledger(),
        &doctor.wallet,
        &doctor.password,
        &scanned,
        KDF,
        POLICY,
    )
    .await?;
    timeline.say(
        &format!(
            "{} scanned the QR code and opened case {}",
            doctor.title(),
            short_hex(case.as_bytes())
        ),
        json!({"event": "opened", "by": doctor.title(), "case": hex::encode(case.as_bytes())}),
    );
    pump(timeline, entries, deadline, |t| t.complete()).await?;
    Ok(case)
}

/// Prints the participants.
fn introduce(cast: &[Participant], out: &Output) {
    out.line("\nparticipants", &json!({"event": "participants"}));
    for p in cast {
        let note = match p.part {
            Part::Patient | Part::Family => "  (named by public key, not registered)",
            Part::Stranger => "  (not selected by the patient)",
            Part::Expert => "  (not selected; engaged after the case)",
            _ => "",
        };
        out.line(
            &format!(
                "  {:<11} {:<8} index {}{note}",
                p.part.label(),
                p.part.name(),
                format_ind(p.ledger().ind())
            ),
            &json!({
                "event": "participant", "part": p.part.label(), "name": p.part.name(),
                "index": format_ind(p.ledger().ind()),
            }),
        );
    }
}

/// Runs `medchain demo`.
pub async fn run(args: &DemoArgs, out: &Output) -> Result<(), CliError> {
    let (dir, temp) = demo_dir(args)?;
    let (stage, ledger_text) = match &args.gateway {
        Some(profile) => {
            let profile = std::path::absolute(profile)
                .map_err(|e| CliError::io("the network profile", profile, &e))?;
            let text = format!("Fabric network of {}", profile.display());
            (Stage::Fabric(profile), text)
        }
        None => {
            let ledger = EmbeddedLedger::open(dir.join("ledger"))
                .await
                .map_err(medchain_sdk::ledger::LedgerError::from)?;
            let text = format!(
                "embedded development ledger in {} (not a replacement for Fabric)",
                dir.join("ledger").display()
            );
            (Stage::Embedded(ledger), text)
        }
    };
    out.line(
        &format!(
            "medchain demo: a diagnosis-and-treatment case with every role\nledger:   {ledger_text}\nArgon2id: m = {} KiB, t = {}, p = {} for every password (the secure default)",
            KDF.m_kib, KDF.t, KDF.p
        ),
        &json!({"event": "start", "ledger": ledger_text, "dir": dir, "kdf": {"m_kib": KDF.m_kib, "t": KDF.t, "p": KDF.p}}),
    );
    let cast = Arc::new(
        progress::during(
            out,
            "creating the wallets",
            cast::create(&stage, &dir, &Part::ALL, KDF),
        )
        .await?,
    );
    introduce(&cast, out);

    // Every watcher starts at the current height: only this run's events.
    let from = cast[0].ledger().height().await?;
    for p in cast.iter() {
        p.wallet.update(|w| {
            w.checkpoint = SavedCheckpoint {
                block: from,
                tx_id: None,
            }
        })?;
    }
    let attachment = Arc::new(dir.join(actors::ATTACHMENT_NAME));
    std::fs::write(attachment.as_path(), actors::attachment_bytes())
        .map_err(|e| CliError::io("the demo's attachment", &attachment, &e))?;
    let (report, mut entries) = mpsc::unbounded_channel();
    let (stop, stopping) = watch::channel(false);
    let mut tasks = vec![spawn_observer(
        cast[0].ledger().clone(),
        from,
        report.clone(),
        stopping.clone(),
    )];
    for who in 0..cast.len() {
        tasks.extend(spawn_participant(
            &cast,
            who,
            &attachment,
            POLICY,
            &report,
            &stopping,
        ));
    }
    drop(report);

    out.line("\ntimeline", &json!({"event": "timeline"}));
    let mut timeline = Timeline::new(out, &cast);
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let outcome = run_workflow(&cast, &dir, &mut timeline, &mut entries, deadline).await;
    let _ = stop.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
    }
    let case = outcome?;

    let mut results: Vec<Check> = checks::lawyer_audit(&cast, &case, &dir, POLICY, out).await?;
    results.extend(grant::expert_granted(&cast, &case, POLICY, out).await?);
    results.extend(revoke::insurer_revoked(&cast, &case, POLICY, out).await?);
    results.extend(checks::key_checks(&cast, &case, POLICY, &timeline).await?);
    out.line("\nchecks", &json!({"event": "checks"}));
    for check in &results {
        out.line(
            &format!("  {} {}", if check.ok { "✓" } else { "✗" }, check.text),
            &json!({"event": "check", "ok": check.ok, "check": check.text}),
        );
    }
    let failed = results.iter().filter(|c| !c.ok).count();
    let kept = match temp {
        Some(temp) => {
            drop(temp);
            "the temporary ledger and wallets were removed".to_owned()
        }
        None => format!("the ledger and wallets are kept in {}", dir.display()),
    };
    if failed > 0 {
        return Err(CliError::failure(format!(
            "{failed} of the demo's {} final checks failed (marked ✗ above)",
            results.len()
        )));
    }
    let participants = cast.iter().filter(|p| p.part != Part::Stranger).count();
    out.line(
        &format!(
            "\nall {} checks passed: the {participants} participants share one case key, the stranger learned nothing\n{kept}",
            results.len()
        ),
        &json!({"event": "done", "ok": true, "checks": results.len(), "dir": dir}),
    );
    Ok(())
}
