//! `txtr`: a participant answers a case opening.

use fabric_shim::Stub;
use medchain_protocol::v1::CaseResponse;

use super::authorize::authorize_participant;
use super::{emit, put_once};
use crate::CreatorIndex;
use crate::creator::Creator;
use crate::error::ContractError;
use crate::keys::response_key;
use crate::query::load_case;
use crate::validate::{key32, sealed_answer};

pub(super) async fn store_response<S: Stub>(
    stub: &S,
    bytes: &[u8],
    response: &CaseResponse,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txtr";
    let kappa0 = key32(RECORD, "the case key", &response.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = Creator::of(stub, RECORD)?;
    if response.responder != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the response names participant {:016x} but the submitter is {:016x}; answer only for yourself",
                response.responder,
                creator.ind()
            ),
        ));
    }
    authorize_participant(stub, RECORD, &case, &creator, kappa0).await?;
    sealed_answer(RECORD, &response.ephemeral_key, &response.sealed_secret)?;
    let index = response_key(kappa0, creator.ind())?;
    let kappa = put_once(stub, bytes, kappa0, &index, || {
        format!(
            "participant {:016x} has already answered case {}",
            creator.ind(),
            hex::encode(kappa0)
        )
    })
    .await?;
    emit(stub, RECORD, &kappa, kappa0, case.receivers(RECORD));
    Ok(kappa.to_vec())
}
