//! The patient's selection: who may see the case. The patient's client
//! exports it (a JSON file, a QR code as PNG or on the terminal); the
//! doctor's client imports it to open the case (paper: "the patient's
//! selection result forms a QR code with the patient's public key, which is
//! provided to the doctor").

use medchain_contract::consent::{SELECTION_NONCE_BYTES, selection_message, verify_selection};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{PatientConsent, Role};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use super::WorkflowError;
use crate::ledger::Ledger;
use fabric_gateway::{Signer, sign_message};
use medchain_siff::point::{decode_uncompressed_key, encode_uncompressed_key};

/// The format tag of a selection file.
pub const SELECTION_FORMAT: &str = "medchain-selection-v1";

/// The participants a patient chose for a case. Keys are hex SEC1
/// uncompressed P-256 points; indices are 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Always [`SELECTION_FORMAT`].
    pub format: String,
    /// vk_p.
    pub patient_key: String,
    /// [vk_r]: family members or legal agents.
    #[serde(default)]
    pub family_keys: Vec<String>,
    /// ind_d.
    pub doctor: String,
    /// [ind_m].
    #[serde(default)]
    pub pharmacists: Vec<String>,
    /// [ind_a].
    #[serde(default)]
    pub insurers: Vec<String>,
    /// [ind_i].
    #[serde(default)]
    pub lawyer_experts: Vec<String>,
    /// The 16-byte nonce of the patient's signature (hex); empty until
    /// [`Selection::sign`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    /// The patient's DER ECDSA P-256 signature (hex) over the selection,
    /// which the chaincode checks; empty until [`Selection::sign`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
}

/// A selection decoded into keys and indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSelection {
    /// vk_p, 65 bytes.
    pub patient_key: Vec<u8>,
    /// [vk_r], 65 bytes each.
    pub family_keys: Vec<Vec<u8>>,
    /// ind_d.
    pub doctor: u64,
    /// [ind_m].
    pub pharmacists: Vec<u64>,
    /// [ind_a].
    pub insurers: Vec<u64>,
    /// [ind_i].
    pub lawyer_experts: Vec<u64>,
    /// The patient's consent (nonce, signature), when the selection is
    /// signed.
    pub consent: Option<PatientConsent>,
}

/// Formats an index as 16 hex digits, the form the CLI shows.
pub fn format_ind(ind: u64) -> String {
    format!("{ind:016x}")
}

/// Parses an index given as 16 hex digits.
pub fn parse_ind(text: &str) -> Result<u64, WorkflowError> {
    let text = text.trim();
    if text.len() != 16 {
        return Err(WorkflowError::Invalid(format!(
            "{text:?} is not a participant index; an index is 16 hex digits, as `medchain whoami` prints it"
        )));
    }
    u64::from_str_radix(text, 16).map_err(|_| {
        WorkflowError::Invalid(format!(
            "{text:?} is not a participant index; an index is 16 hex digits, as `medchain whoami` prints it"
        ))
    })
}

/// Parses a public key given as 130 hex digits (SEC1 uncompressed).
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, WorkflowError> {
    let bytes = hex::decode(text.trim()).map_err(|_| {
        WorkflowError::Invalid(format!(
            "{text:?} is not a public key; give the 130 hex digits `medchain whoami` prints"
        ))
    })?;
    let key = decode_uncompressed_key(&bytes, "the public key")?;
    Ok(encode_uncompressed_key(&key).to_vec())
}

impl Selection {
    /// A selection for `patient_key` (65 bytes).
    pub fn new(patient_key: &[u8], doctor: u64) -> Self {
        Self {
            format: SELECTION_FORMAT.to_owned(),
            patient_key: hex::encode(patient_key),
            family_keys: Vec::new(),
            doctor: format_ind(doctor),
            pharmacists: Vec::new(),
            insurers: Vec::new(),
            lawyer_experts: Vec::new(),
            nonce: String::new(),
            signature: String::new(),
        }
    }

    /// Decodes and checks every key and index.
    pub fn parse(&self) -> Result<ParsedSelection, WorkflowError> {
        if self.format != SELECTION_FORMAT {
            return Err(WorkflowError::Invalid(format!(
                "the selection has format {:?}, expected {SELECTION_FORMAT:?}; ask the patient to export it again",
                self.format
            )));
        }
        let inds = |list: &[String]| {
            list.iter()
                .map(|s| parse_ind(s))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(ParsedSelection {
            patient_key: parse_public_key(&self.patient_key)?,
            family_keys: self
                .family_keys
                .iter()
                .map(|k| parse_public_key(k))
                .collect::<Result<_, _>>()?,
            doctor: parse_ind(&self.doctor)?,
            pharmacists: inds(&self.pharmacists)?,
            insurers: inds(&self.insurers)?,
            lawyer_experts: inds(&self.lawyer_experts)?,
            consent: self.consent()?,
        })
    }

    fn consent(&self) -> Result<Option<PatientConsent>, WorkflowError> {
        if self.nonce.is_empty() && self.signature.is_empty() {
            return Ok(None);
        }
        let malformed = || {
            WorkflowError::Invalid(
                "the selection's signature is malformed; ask the patient to export it again with `medchain select`".into(),
            )
        };
        Ok(Some(PatientConsent {
            nonce: hex::decode(&self.nonce).map_err(|_| malformed())?,
            signature: hex::decode(&self.signature).map_err(|_| malformed())?,
        }))
    }

    /// The selection as the patient signs it (`medchain.v1.Selection`)
    /// under `nonce`: the message whose encoding the consent signs.
    pub fn signed_form(parsed: &ParsedSelection, nonce: &[u8]) -> medchain_protocol::v1::Selection {
        medchain_protocol::v1::Selection {
            patient_key: parsed.patient_key.clone(),
            family_keys: parsed.family_keys.clone(),
            lawyer_experts: parsed.lawyer_experts.clone(),
            pharmacists: parsed.pharmacists.clone(),
            insurers: parsed.insurers.clone(),
            doctor: parsed.doctor,
            nonce: nonce.to_vec(),
        }
    }

    /// The patient signs the selection with its identity key (the key of
    /// `patient_key`), under a fresh nonce: the chaincode opens a case only
    /// for a selection its patient signed, and only once.
    pub fn sign(&mut self, patient: &dyn Signer) -> Result<(), WorkflowError> {
        let parsed = self.parse()?;
        let mut nonce = [0u8; SELECTION_NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let message = selection_message(&Self::signed_form(&parsed, &nonce));
        let signature = sign_message(patient, &message)
            .map_err(|e| WorkflowError::Invalid(format!("cannot sign the selection: {e}")))?;
        self.nonce = hex::encode(nonce);
        self.signature = hex::encode(signature);
        self.check_signature()
    }

    /// Checks the patient's signature (what the chaincode will check).
    pub fn check_signature(&self) -> Result<(), WorkflowError> {
        let parsed = self.parse()?;
        let consent = parsed.consent.as_ref().ok_or_else(|| {
            WorkflowError::Invalid(
                "the selection is not signed by the patient; ask the patient to export it again with `medchain select`".into(),
            )
        })?;
        verify_selection(
            &Self::signed_form(&parsed, &consent.nonce),
            &consent.signature,
        )
        .map_err(|e| WorkflowError::Invalid(format!("{e}")))
    }

    /// The compact JSON text carried by the file and the QR code.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a selection from its JSON text.
    pub fn from_json(text: &str) -> Result<Self, WorkflowError> {
        let selection: Self = serde_json::from_str(text.trim()).map_err(|e| {
            WorkflowError::Invalid(format!(
                "the selection is not a medchain selection ({e}); ask the patient to export it again with `medchain select`"
            ))
        })?;
        selection.parse()?;
        Ok(selection)
    }

    /// Checks against the ledger that every chosen pharmacist, insurer and
    /// lawyer/expert, and the doctor, is registered with that role.
    pub async fn verify(&self, ledger: &Ledger) -> Result<(), WorkflowError> {
        let parsed = self.parse()?;
        let wanted = std::iter::once((parsed.doctor, Role::Doctor))
            .chain(parsed.pharmacists.iter().map(|&i| (i, Role::Pharmacist)))
            .chain(parsed.insurers.iter().map(|&i| (i, Role::Insurer)))
            .chain(
                parsed
                    .lawyer_experts
                    .iter()
                    .map(|&i| (i, Role::LawyerExpert)),
            );
        for (ind, role) in wanted {
            let registered =
                ledger
                    .get_participant(ind)
                    .await?
                    .and_then(|input| match input.record {
                        Some(Record::Reg(reg)) => Role::try_from(reg.role).ok(),
                        _ => None,
                    });
            let role_name = medchain_contract::role_name(role);
            match registered {
                Some(r) if r == role => {}
                Some(_) => {
                    return Err(WorkflowError::Invalid(format!(
                        "participant {} is registered, but not as a {role_name}; check the index",
                        format_ind(ind)
                    )));
                }
                None => {
                    return Err(WorkflowError::Invalid(format!(
                        "no {role_name} is registered under {}; check the index or ask them to register",
                        format_ind(ind)
                    )));
                }
            }
        }
        Ok(())
    }
}
