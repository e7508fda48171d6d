//! `reg`: a doctor, pharmacist, insurer or lawyer/expert registers.

use fabric_shim::identity::parse_certificate_pem;
use fabric_shim::{ClientIdentity, Stub};
use medchain_protocol::participant_index;
use medchain_protocol::v1::{Registration, Role};

use super::{emit, role_name};
use crate::error::ContractError;
use crate::keys::registration_key;
use medchain_protocol::limits::MAX_CERTIFICATE_PEM_BYTES;

pub(super) async fn store_registration<S: Stub>(
    stub: &S,
    bytes: &[u8],
    reg: &Registration,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "reg";
    let role = match Role::try_from(reg.role) {
        Ok(role @ (Role::Doctor | Role::Pharmacist | Role::Insurer | Role::LawyerExpert)) => role,
        _ => {
            return Err(ContractError::invalid(
                RECORD,
                "the role must be doctor, pharmacist, insurer or lawyer-expert (patients and family members do not register)",
            ));
        }
    };
    if reg.certificate_pem.len() > MAX_CERTIFICATE_PEM_BYTES {
        return Err(ContractError::invalid(
            RECORD,
            format!("the certificate is larger than {MAX_CERTIFICATE_PEM_BYTES} bytes"),
        ));
    }
    let (certificate_der, public_key) = parse_certificate_pem(&reg.certificate_pem)
        .map_err(|e| ContractError::invalid(RECORD, e.to_string()))?;
    let creator = ClientIdentity::from_serialized(stub.creator())
        .map_err(|e| ContractError::unauthorized(RECORD, e.to_string()))?;
    if certificate_der != creator.certificate_der() {
        return Err(ContractError::unauthorized(
            RECORD,
            "the certificate is not the submitter's own; register with your own Fabric certificate",
        ));
    }
    let ind = participant_index(&public_key);
    let key = registration_key(ind)?;
    if stub.get_state(&key).await?.is_some() {
        return Err(ContractError::AlreadyStored(format!(
            "participant {ind:016x} is already registered"
        )));
    }
    stub.put_state(&key, bytes).await?;
    tracing::info!(
        tx_id = stub.tx_id(),
        ind = format_args!("{ind:016x}"),
        role = role_name(role),
        "participant registered"
    );
    let ind_bytes = ind.to_be_bytes().to_vec();
    emit(stub, RECORD, &ind_bytes, &[], vec![ind]);
    Ok(ind_bytes)
}
