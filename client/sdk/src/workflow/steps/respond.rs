//! A participant answers a case opening (`txtr`).

use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseResponse, InputParameter};
use rand_core::OsRng;

use super::participant_secret;
use crate::ledger::Ledger;
use crate::workflow::WorkflowError;
use crate::workflow::case_view::CaseView;
use crate::workflow::verify_doctor;
use medchain_siff::point::decode_compressed_key;
use medchain_siff::{CaseId, KdfPolicy, seal_response};

/// A participant answers a case opening (`txtr`): its secret `s_x`, sealed
/// to the doctor's ephemeral key — once [`verify_doctor`] says the case's
/// doctor is one the consortium trusts ([`WorkflowError::Untrusted`] and
/// nothing stored otherwise).
pub async fn respond(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<(), WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    view.require_participant(ledger)?;
    let ind = ledger.ind();
    if ind == view.case.doctor {
        return Err(WorkflowError::Invalid(
            "the doctor does not answer its own case; run `medchain establish` once everyone has answered".into(),
        ));
    }
    if view.has_answered(ind) {
        return Err(WorkflowError::OutOfOrder(format!(
            "you have already answered case {}; nothing to do",
            hex::encode(case.as_bytes())
        )));
    }
    // The secret goes to the doctor only: check it is one first.
    verify_doctor(ledger, view.case.doctor).await?;
    let secret = participant_secret(&view.case, &view.id, ind, password, policy)?;
    let doctor_key =
        decode_compressed_key(&view.opening.doctor_ephemeral_key, "the doctor's key pk_d")?;
    let sealed = seal_response(&secret, ind, case, &doctor_key, &mut OsRng)?;
    let input = InputParameter {
        record: Some(Record::Txtr(CaseResponse {
            case_key: case.as_bytes().to_vec(),
            responder: ind,
            ephemeral_key: sealed.ephemeral_key.to_vec(),
            sealed_secret: sealed.sealed_secret.to_vec(),
        })),
    };
    ledger.store(&input).await?;
    Ok(())
}
