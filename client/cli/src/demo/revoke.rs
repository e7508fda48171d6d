//! The demo's second epilogue: the family revokes the insurer for the
//! future with a new key epoch; the next record is sealed for the
//! remaining members only.

use serde_json::json;

use super::actors::script;
use super::checks::Check;
use super::grant::when_seen;
use super::timeline::MARGIN;
use crate::error::CliError;
use crate::output::{Output, short_hex};
use medchain_sdk::cast::{Part, Participant, find};
use medchain_sdk::workflow;
use medchain_siff::{CaseId, KdfPolicy, RecordType};

/// The doctor's record after the revocation.
const REVIEW: &str = "Review at day 10: lungs clear, treatment complete.";

/// Bob (family) revokes the insurer: opens key epoch 1, every remaining
/// member (Grace, the grantee, too) answers, Bob publishes the epoch tag,
/// the doctor stores a review. Returns the checks.
pub async fn insurer_revoked(
    cast: &[Participant],
    case: &CaseId,
    policy: KdfPolicy,
    out: &Output,
) -> Result<Vec<Check>, CliError> {
    let family = find(cast, Part::Family)?;
    let insurer = find(cast, Part::Insurer)?;
    let doctor = find(cast, Part::Doctor)?;
    let (epoch, opening) = workflow::open_epoch(
        family.ledger(),
        &family.wallet,
        &family.password,
        case,
        &[insurer.ledger().ind()],
    )
    .await?;
    out.line(
        &format!(
            "\nrevoke: {} revokes {} for the future: key epoch {epoch} of case {} (txeo {}, signed by Bob)",
            family.title(),
            insurer.title(),
            short_hex(case.as_bytes()),
            short_hex(&opening)
        ),
        &json!({"event": "revoked", "by": family.title(), "revoked": insurer.title(), "epoch": epoch, "opening": hex::encode(opening)}),
    );
    let remaining: Vec<&Participant> = cast
        .iter()
        .filter(|p| !matches!(p.part, Part::Family | Part::Insurer | Part::Stranger))
        .collect();
    for p in &remaining {
        when_seen(|| workflow::answer_epoch(p.ledger(), &p.password, case, policy)).await?;
    }
    out.line(
        &format!(
            "{MARGIN}{} remaining members answered with their epoch secrets (txer): {}",
            remaining.len(),
            remaining
                .iter()
                .map(|p| p.title())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        &json!({"event": "epoch-answered", "members": remaining.len()}),
    );
    when_seen(|| {
        workflow::publish_epoch_tag(
            family.ledger(),
            &family.wallet,
            &family.password,
            case,
            policy,
        )
    })
    .await?;
    out.line(
        &format!(
            "{MARGIN}{}'s client published the epoch tag (txet): {} coefficients, a fresh key the insurer does not have",
            family.title(),
            remaining.len() + 1
        ),
        &json!({"event": "epoch-tag", "by": family.title(), "epoch": epoch}),
    );
    let review = when_seen(|| {
        workflow::add_record(
            doctor.ledger(),
            Some(&doctor.wallet),
            &doctor.password,
            case,
            RecordType::Diagnosis,
            REVIEW.as_bytes(),
            policy,
        )
    })
    .await?;
    out.line(
        &format!(
            "{MARGIN}{} stored a review in epoch {epoch} (txd {})",
            doctor.title(),
            short_hex(&review)
        ),
        &json!({"event": "epoch-record", "by": doctor.title(), "record": hex::encode(review)}),
    );
    let refused = workflow::add_record(
        insurer.ledger(),
        Some(&insurer.wallet),
        &insurer.password,
        case,
        RecordType::Compensation,
        b"a claim after the revocation",
        policy,
    )
    .await
    .is_err();
    let theirs = workflow::audit(insurer.ledger(), &insurer.password, case, policy).await?;
    let kept_old = theirs.iter().filter(|r| r.epoch == 0).all(|r| {
        r.plaintext.as_deref().map(Vec::as_slice) == Some(script(r.record_type).as_bytes())
    });
    let locked_out = theirs
        .iter()
        .any(|r| r.key == review && r.epoch == epoch && r.plaintext.is_none());
    let mut checks = vec![
        Check::new(
            kept_old && locked_out,
            format!(
                "{} still reads the 3 records of epoch 0 but not the review of epoch {epoch}",
                insurer.title()
            ),
        ),
        Check::new(
            refused,
            format!(
                "{} can store no record after the revocation",
                insurer.title()
            ),
        ),
    ];
    for p in remaining
        .iter()
        .filter(|p| matches!(p.part, Part::Lawyer | Part::Expert))
    {
        let records = workflow::audit(p.ledger(), &p.password, case, policy).await?;
        let both = records.len() == 4
            && records
                .last()
                .and_then(|r| r.plaintext.as_deref())
                .map(Vec::as_slice)
                == Some(REVIEW.as_bytes());
        checks.push(Check::new(
            both,
            format!(
                "{} decrypted the records of both epochs with their password alone",
                p.title()
            ),
        ));
    }
    Ok(checks)
}
