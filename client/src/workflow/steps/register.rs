//! Registration, and the public key a patient or family member shares.

use medchain_protos::medchain::v1::input_parameter::Record;
use medchain_protos::medchain::v1::{InputParameter, Registration, Role};
use p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::ledger::Ledger;
use crate::workflow::WorkflowError;

/// Registers the ledger identity as `role` (`reg`); returns its index.
pub async fn register(ledger: &Ledger, role: Role) -> Result<u64, WorkflowError> {
    if matches!(role, Role::Unspecified) {
        return Err(WorkflowError::Invalid(
            "patients and family members do not register; only doctors, pharmacists, insurers and lawyers/experts do".into(),
        ));
    }
    let input = InputParameter {
        record: Some(Record::Reg(Registration {
            role: role as i32,
            certificate_pem: ledger.identity().certificate_pem().to_owned(),
        })),
    };
    ledger.store(&input).await?;
    Ok(ledger.ind())
}

/// The uncompressed public key of the ledger identity (what a patient or
/// family member shares so it can be selected).
pub fn public_key_hex(ledger: &Ledger) -> String {
    hex::encode(
        ledger
            .identity()
            .public_key()
            .to_encoded_point(false)
            .as_bytes(),
    )
}
