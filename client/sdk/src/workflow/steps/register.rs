//! Registration, and the public key a patient or family member shares.

use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{InputParameter, Registration, Role};
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
            msp_id: ledger.identity().msp_id().to_owned(),
        })),
    };
    ledger.store(&input).await?;
    Ok(ledger.ind())
}

/// The uncompressed public key of the ledger identity (what a patient or
/// family member shares so it can be selected).
pub fn public_key_hex(ledger: &Ledger) -> String {
    hex::encode(ledger.public_key().to_encoded_point(false).as_bytes())
}

/// Registers the ledger identity as `role` unless it already is; returns
/// whether a registration was stored now. An identity registered with
/// another role is [`WorkflowError::OutOfOrder`]: one identity has one role.
pub async fn ensure_registered(ledger: &Ledger, role: Role) -> Result<bool, WorkflowError> {
    let existing = ledger
        .get_participant(ledger.ind())
        .await?
        .and_then(|input| match input.record {
            Some(Record::Reg(reg)) => Role::try_from(reg.role).ok(),
            _ => None,
        });
    match existing {
        Some(found) if found == role => Ok(false),
        Some(found) => Err(WorkflowError::OutOfOrder(format!(
            "this identity is already registered as {}; one identity has one role, so use another identity for the {} role",
            medchain_contract::role_name(found),
            medchain_contract::role_name(role)
        ))),
        None => {
            register(ledger, role).await?;
            Ok(true)
        }
    }
}
