//! The demo's epilogue: the family grants the finished case to a medical
//! expert engaged afterwards, who reads every record with her password
//! alone.

use std::time::Duration;

use serde_json::json;

use super::actors::script;
use super::checks::Check;
use super::timeline::MARGIN;
use crate::error::CliError;
use crate::output::{Output, short_hex};
use medchain_protocol::v1::Role;
use medchain_sdk::cast::{Part, Participant, find};
use medchain_sdk::workflow::{self, Grantee, WorkflowError};
use medchain_siff::{CaseId, CryptoError, KdfPolicy};

/// Runs `step` until it stops failing because this peer has not seen the
/// previous step yet (each organisation's peer commits on its own time).
pub(super) async fn when_seen<T, F, Fut>(mut step: F) -> Result<T, WorkflowError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, WorkflowError>>,
{
    let mut tries = 0;
    loop {
        match step().await {
            Err(WorkflowError::NotParticipant(_) | WorkflowError::OutOfOrder(_)) if tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// Bob (family) grants the case to Grace (expert); Grace answers, Bob
/// publishes the grant tag, Grace audits. Returns the checks.
pub async fn expert_granted(
    cast: &[Participant],
    case: &CaseId,
    policy: KdfPolicy,
    out: &Output,
) -> Result<Vec<Check>, CliError> {
    let family = find(cast, Part::Family)?;
    let expert = find(cast, Part::Expert)?;
    let before = workflow::audit(expert.ledger(), &expert.password, case, policy).await;
    let locked_out = matches!(
        before,
        Err(WorkflowError::Crypto(CryptoError::CannotDecrypt))
    );
    let grantee = Grantee::Registered {
        ind: expert.ledger().ind(),
        role: Role::LawyerExpert,
    };
    let grant = workflow::grant(
        family.ledger(),
        &family.wallet,
        &family.password,
        case,
        &grantee,
    )
    .await?;
    out.line(
        &format!(
            "\ngrant: years later {} engages {} and grants her the case {} (txgo {}, signed by Bob)",
            family.title(),
            expert.title(),
            short_hex(case.as_bytes()),
            short_hex(&grant)
        ),
        &json!({"event": "granted", "by": family.title(), "to": expert.title(), "case": hex::encode(case.as_bytes()), "grant": hex::encode(grant)}),
    );
    when_seen(|| workflow::answer_grant(expert.ledger(), &expert.password, case, policy)).await?;
    out.line(
        &format!(
            "{MARGIN}{} checked Bob's signature and answered with her sealed secret (txgr)",
            expert.title()
        ),
        &json!({"event": "grant-answered", "by": expert.title()}),
    );
    when_seen(|| {
        workflow::publish_grant_tag(
            family.ledger(),
            &family.wallet,
            &family.password,
            case,
            expert.ledger().ind(),
            policy,
        )
    })
    .await?;
    out.line(
        &format!(
            "{MARGIN}{}'s client published the grant tag (txgt): 2 coefficients through Bob's and Grace's points, the same case key K",
            family.title()
        ),
        &json!({"event": "grant-tag", "by": family.title()}),
    );
    let records =
        when_seen(|| workflow::audit(expert.ledger(), &expert.password, case, policy)).await?;
    let faithful = records.len() == 3
        && records.iter().all(|r| {
            r.plaintext.as_deref().map(Vec::as_slice) == Some(script(r.record_type).as_bytes())
        });
    out.line(
        &format!(
            "{MARGIN}{} audited the case with her own password and decrypted {} records",
            expert.title(),
            records.len()
        ),
        &json!({"event": "grant-audit", "by": expert.title(), "records": records.len()}),
    );
    Ok(vec![
        Check {
            ok: locked_out,
            text: format!(
                "{} could not decrypt the case before the grant",
                expert.title()
            ),
        },
        Check {
            ok: faithful,
            text: format!(
                "after Bob's grant {} decrypted the 3 records exactly as they were written",
                expert.title()
            ),
        },
    ])
}
