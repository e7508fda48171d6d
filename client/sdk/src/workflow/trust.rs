//! Whom a participant answers: before it hands its password-derived secret
//! to a case's doctor, it checks that the doctor is one — registered on the
//! ledger with the doctor role by an organisation the consortium lets make
//! doctors, with a certificate that says `medchain.role=doctor` and that
//! chains to that organisation's CA root (from the network profile, or the
//! embedded ledger's CA), whoever served the registration. Before it uses
//! a case's tag, it checks that the doctor it trusts signed that tag for
//! that case (protocol v2), whoever served the records.

use fabric_shim::ClientIdentity;
use fabric_shim::identity::{parse_certificate_pem, verify_issued_by};
use medchain_contract::Case;
use medchain_protocol::ROLE_ATTRIBUTE;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecord, Role};

use super::WorkflowError;
use super::case_view::CaseView;
use super::selection::format_ind;
use crate::ledger::Ledger;
use medchain_protocol::signature::verify_tag_signature;
use medchain_siff::{CaseId, Tag};
use p256::PublicKey;

/// Checks that participant `ind` is a doctor the consortium trusts and
/// returns the public key of its registered certificate; the error is
/// [`WorkflowError::Untrusted`] with the reason.
pub async fn verify_doctor(ledger: &Ledger, ind: u64) -> Result<PublicKey, WorkflowError> {
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
    let (der, key) =
        parse_certificate_pem(&reg.certificate_pem).map_err(|e| untrusted(e.to_string()))?;
    if roots
        .iter()
        .any(|root| verify_issued_by(&der, root).is_ok())
    {
        Ok(key)
    } else {
        Err(untrusted(format!(
            "its certificate was not issued by the CA of {}",
            reg.msp_id
        )))
    }
}

/// A case's tag as its doctor signed it, checked.
#[derive(Debug, Clone)]
pub struct SignedTag {
    /// The tag.
    pub tag: Tag,
    /// Its encoding, as stored.
    pub bytes: Vec<u8>,
    /// The doctor's signature over κ0 and the tag.
    pub signature: Vec<u8>,
}

/// Checks the tags of a case's records one at a time, as a reader meets
/// them (a whole [`CaseView`], or the pages of a case as they arrive): the
/// first record's tag must carry a signature by the case's doctor (a doctor
/// the consortium trusts, [`verify_doctor`]) over this case and that tag,
/// must not be degenerate and must have one coefficient per participant;
/// every later record must carry the same tag, each with such a signature.
/// A record that fails is [`WorkflowError::Untrusted`]: the ledger (or the
/// peer that answered) served a tag the doctor did not fix.
#[derive(Debug)]
pub struct TagCheck {
    doctor: PublicKey,
    id: CaseId,
    participants: usize,
    first: Option<SignedTag>,
}

impl TagCheck {
    /// Starts checking the records of case `id` (participants `case`):
    /// verifies its doctor once.
    pub async fn new(ledger: &Ledger, case: &Case, id: &CaseId) -> Result<Self, WorkflowError> {
        Ok(Self {
            doctor: verify_doctor(ledger, case.doctor).await?,
            id: *id,
            participants: case.len(),
            first: None,
        })
    }

    /// Checks the next record's tag; returns the case's tag (the first
    /// record's, now checked).
    pub fn check(&mut self, record: &CaseRecord) -> Result<&SignedTag, WorkflowError> {
        let case_hex = hex::encode(self.id.as_bytes());
        let forged = |why: &str| {
            WorkflowError::Untrusted(format!(
                "the tag of case {case_hex} {why}; it was not fixed by the case's doctor, so it is not used — the peer may be faulty or compromised, try another peer"
            ))
        };
        if let Some(first) = &self.first
            && record.tag != first.bytes
        {
            return Err(forged("differs between its records"));
        }
        verify_tag_signature(
            &self.doctor,
            self.id.as_bytes(),
            &record.tag,
            &record.tag_signature,
        )
        .map_err(|fault| {
            forged(&format!(
                "carries a signature that is not the doctor's ({fault})"
            ))
        })?;
        let signed = match self.first.take() {
            Some(first) => first,
            None => {
                let tag = Tag::from_bytes(&record.tag)?;
                if tag.participant_count() != self.participants {
                    return Err(forged("does not match the case's participants"));
                }
                SignedTag {
                    tag,
                    bytes: record.tag.clone(),
                    signature: record.tag_signature.clone(),
                }
            }
        };
        Ok(self.first.insert(signed))
    }

    /// The case's tag, once a record has been checked.
    pub fn into_tag(self) -> Option<SignedTag> {
        self.first
    }
}

/// The case's tag (the doctor's, of key epoch 0), if a record carries one,
/// after checking every epoch-0 record's tag with a [`TagCheck`]; the tags
/// of later epochs are checked by their opener's signature instead.
pub async fn verified_tag(
    ledger: &Ledger,
    view: &CaseView,
) -> Result<Option<SignedTag>, WorkflowError> {
    if !view.records.iter().any(|r| r.record.epoch == 0) {
        return Ok(None);
    }
    let mut check = TagCheck::new(ledger, &view.case, &view.id).await?;
    for record in view.records.iter().filter(|r| r.record.epoch == 0) {
        check.check(&record.record)?;
    }
    Ok(check.into_tag())
}
