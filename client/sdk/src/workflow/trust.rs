//! Whom a participant answers: before it hands its password-derived secret
//! to a case's doctor, it checks that the doctor is one — registered on the
//! ledger with the doctor role by an organisation the consortium lets make
//! doctors, with a certificate that says `medchain.role=doctor` and that
//! chains to that organisation's CA root (from the network profile, or the
//! embedded ledger's CA), whoever served the registration.

use fabric_shim::ClientIdentity;
use fabric_shim::identity::{parse_certificate_pem, verify_issued_by};
use medchain_protocol::ROLE_ATTRIBUTE;
use medchain_protocol::v1::Role;
use medchain_protocol::v1::input_parameter::Record;

use super::WorkflowError;
use super::selection::format_ind;
use crate::ledger::Ledger;

/// Checks that participant `ind` is a doctor the consortium trusts; the
/// error is [`WorkflowError::Untrusted`] with the reason.
pub async fn verify_doctor(ledger: &Ledger, ind: u64) -> Result<(), WorkflowError> {
    let who = format_ind(ind);
    let untrusted = |reason: String| {
        WorkflowError::Untrusted(format!(
            "the case's doctor {who} is not a doctor the consortium trusts: {reason}; the case was not answered"
        ))
    };
    let Some(input) = ledger.get_participant(ind).await? else {
        return Err(untrusted("it is not registered".into()));
    };
    let Some(Record::Reg(reg)) = input.record else {
        return Err(untrusted("its registration is no registration".into()));
    };
    if reg.role != Role::Doctor as i32 {
        return Err(untrusted("it is not registered as a doctor".into()));
    }
    let policy = ledger.get_policy().await?;
    let allowed = policy
        .issuers
        .iter()
        .any(|issuer| issuer.msp_id == reg.msp_id && issuer.roles.contains(&(Role::Doctor as i32)));
    if !allowed {
        return Err(untrusted(format!(
            "the consortium's policy does not let {:?} make doctors",
            reg.msp_id
        )));
    }
    let identity = ClientIdentity::from_pem(&reg.msp_id, &reg.certificate_pem)
        .map_err(|e| untrusted(e.to_string()))?;
    match identity.attribute(ROLE_ATTRIBUTE) {
        Some(role) if role == "doctor" => {}
        Some(role) => {
            return Err(untrusted(format!(
                "its certificate says {ROLE_ATTRIBUTE}={role}"
            )));
        }
        None => {
            return Err(untrusted(format!(
                "its certificate has no {ROLE_ATTRIBUTE} attribute"
            )));
        }
    }
    let roots = ledger
        .issuer_roots()
        .get(&reg.msp_id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if roots.is_empty() {
        return Err(untrusted(format!(
            "no CA root of {} is known here (add the organisation's CA to the network profile)",
            reg.msp_id
        )));
    }
    let (der, _) =
        parse_certificate_pem(&reg.certificate_pem).map_err(|e| untrusted(e.to_string()))?;
    if roots
        .iter()
        .any(|root| verify_issued_by(&der, root).is_ok())
    {
        Ok(())
    } else {
        Err(untrusted(format!(
            "its certificate was not issued by the CA of {}",
            reg.msp_id
        )))
    }
}
