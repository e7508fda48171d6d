//! `reg`: a doctor, pharmacist, insurer or lawyer/expert registers.

use fabric_shim::identity::parse_certificate_pem;
use fabric_shim::{ClientIdentity, Stub};
use medchain_protocol::v1::{Registration, Role};
use medchain_protocol::{ROLE_ATTRIBUTE, participant_index};

use super::{emit, role_name};
use crate::error::ContractError;
use crate::keys::registration_key;
use crate::policy;
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
    authorize_role(stub, &creator, reg, role).await?;
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

/// The role policy's checks: the registration names the submitter's own
/// organization, the submitter's certificate carries the role in its
/// `medchain.role` attribute (issued by the organization's Fabric CA), and
/// the consortium lets that organization issue that role.
async fn authorize_role<S: Stub>(
    stub: &S,
    creator: &ClientIdentity,
    reg: &Registration,
    role: Role,
) -> Result<(), ContractError> {
    const RECORD: &str = "reg";
    let policy = policy::load(stub, RECORD).await?;
    if reg.msp_id != creator.msp_id() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the registration names organization {:?} but the submitter belongs to {:?}; register under your own MSP id",
                reg.msp_id,
                creator.msp_id()
            ),
        ));
    }
    let wanted = role_name(role);
    match creator.attribute(ROLE_ATTRIBUTE) {
        None => {
            return Err(ContractError::unauthorized(
                RECORD,
                format!(
                    "the submitter's certificate has no {ROLE_ATTRIBUTE} attribute; enroll with your organization's Fabric CA as a registered {wanted}"
                ),
            ));
        }
        Some(certified) if certified != wanted => {
            return Err(ContractError::unauthorized(
                RECORD,
                format!(
                    "the submitter's certificate says {ROLE_ATTRIBUTE}={certified}, not {wanted}; register with the role your CA certified"
                ),
            ));
        }
        Some(_) => {}
    }
    if !policy::allows(&policy, creator.msp_id(), role) {
        let allowed = policy::roles_of(&policy, creator.msp_id());
        let allowed = if allowed.is_empty() {
            "no role".to_owned()
        } else {
            allowed.join(", ")
        };
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the consortium's policy does not let {} issue the {wanted} role (it may issue {allowed}); register with an organization allowed to make {wanted}s",
                creator.msp_id()
            ),
        ));
    }
    Ok(())
}
