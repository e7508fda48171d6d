//! The doctor establishes the case key.

use p256::SecretKey;
use rand_core::OsRng;
use zeroize::Zeroizing;

use super::participant_secret;
use crate::ledger::Ledger;
use crate::wallet::{CaseEntry, CaseStatus, UserRole, Wallet};
use crate::workflow::WorkflowError;
use crate::workflow::case_view::CaseView;
use crate::workflow::selection::format_ind;
use medchain_siff::{CaseId, KdfPolicy, establish_key, open_response};

/// The doctor establishes the case key once every participant has
/// answered: opens every `s_x`, derives its own `s_d`, builds `K` and the
/// tag. The tag is kept in the wallet until the first record carries it;
/// the ephemeral scalar is then deleted. Returns the number of
/// participants.
pub async fn establish(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<usize, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let case_hex = hex::encode(case.as_bytes());
    if view.case.doctor != ledger.ind() {
        return Err(WorkflowError::Invalid(format!(
            "only the doctor of case {case_hex} establishes its key"
        )));
    }
    let pending = wallet
        .profile()?
        .cases
        .get(&case_hex)
        .is_some_and(|c| c.pending_tag.is_some());
    if view.tag().is_some() || pending {
        return Err(WorkflowError::OutOfOrder(format!(
            "the key of case {case_hex} is already established"
        )));
    }
    let missing = view.missing_responses();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|&i| format_ind(i)).collect();
        return Err(WorkflowError::OutOfOrder(format!(
            "not everyone has answered case {case_hex} yet (waiting for {}); try again after their responses",
            names.join(", ")
        )));
    }
    let secrets = wallet.secrets(password)?;
    let scalar_hex = secrets.ephemeral(&case_hex).ok_or_else(|| {
        WorkflowError::Invalid(format!(
            "this wallet does not hold the ephemeral key of case {case_hex}; establish it from the wallet that opened the case"
        ))
    })?;
    let scalar = Zeroizing::new(
        hex::decode(scalar_hex)
            .map_err(|_| WorkflowError::Invalid("the wallet's ephemeral key is damaged".into()))?,
    );
    let doctor_secret = SecretKey::from_slice(&scalar)
        .map_err(|_| WorkflowError::Invalid("the wallet's ephemeral key is damaged".into()))?;
    let mut all = Vec::with_capacity(view.case.len());
    for ind in view.case.participants() {
        if ind == view.case.doctor {
            all.push(participant_secret(
                &view.case, &view.id, ind, password, policy,
            )?);
            continue;
        }
        let (response, _) = view
            .responses
            .iter()
            .find(|(r, _)| r.responder == ind)
            .ok_or_else(|| {
                WorkflowError::OutOfOrder(format!(
                    "participant {} has not answered",
                    format_ind(ind)
                ))
            })?;
        let secret = open_response(
            &doctor_secret,
            ind,
            case,
            &response.ephemeral_key,
            &response.sealed_secret,
        )
        .map_err(|_| {
            WorkflowError::UnusableResponse(format!(
                "participant {} answered case {case_hex} with a secret that does not open with this case's key; \
                 the case cannot be completed — open a new case without them, or open a new one and ask them to answer it",
                format_ind(ind)
            ))
        })?;
        all.push(secret);
    }
    let (_key, tag) = establish_key(&all, &mut OsRng)?;
    let count = all.len();
    wallet.update(|p| {
        let entry = p.cases.entry(case_hex.clone()).or_insert(CaseEntry {
            role: UserRole::Doctor,
            status: CaseStatus::KeyEstablished,
            pending_tag: None,
            unread: Vec::new(),
            refusal: None,
        });
        entry.status = CaseStatus::KeyEstablished;
        entry.pending_tag = Some(hex::encode(tag.to_bytes()));
    })?;
    wallet.update_secrets(password, |s| {
        drop(s.take_ephemeral(&case_hex));
    })?;
    drop(secrets);
    Ok(count)
}
