//! The patient's consent: a signature by the patient's identity key over
//! the selection of participants, checked by the chaincode before a case is
//! opened. Without it any registered doctor could open a case naming a
//! patient and collect the patient's password-derived secret.
//!
//! Signed message: `"medchain-selection-v1" || 0x00 || encode(Selection)`,
//! ECDSA P-256 with SHA-256, DER, low `S`.

use medchain_protocol::signature::{SignatureFault, verify_low_s};
use medchain_protocol::v1::{CaseOpening, Selection};
use p256::ecdsa::VerifyingKey;
use prost::Message;

/// The domain-separation prefix of the signed selection.
pub const SELECTION_DOMAIN: &[u8] = b"medchain-selection-v1\0";
/// The length of a selection nonce.
pub const SELECTION_NONCE_BYTES: usize = 16;

/// The bytes a patient signs for `selection`.
pub fn selection_message(selection: &Selection) -> Vec<u8> {
    let mut message = SELECTION_DOMAIN.to_vec();
    message.extend(selection.encode_to_vec());
    message
}

/// The selection a case opening claims the patient made, with `nonce`.
pub fn selection_of(opening: &CaseOpening, nonce: &[u8]) -> Selection {
    Selection {
        patient_key: opening.patient_key.clone(),
        family_keys: opening.family_keys.clone(),
        lawyer_experts: opening.lawyer_experts.clone(),
        pharmacists: opening.pharmacists.clone(),
        insurers: opening.insurers.clone(),
        doctor: opening.doctor,
        nonce: nonce.to_vec(),
    }
}

/// Why a consent does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// No consent was given.
    #[error("the case carries no patient consent; open it from a selection the patient signed")]
    Missing,
    /// The nonce has the wrong length.
    #[error("the consent nonce must be {SELECTION_NONCE_BYTES} bytes, got {0}")]
    Nonce(usize),
    /// The signature is not a DER ECDSA P-256 signature.
    #[error("the consent signature is not a DER ECDSA P-256 signature")]
    Malformed,
    /// The signature has high `S` (the other encoding of a valid signature).
    #[error(
        "the consent signature has a high S; the patient's client must sign with low S (S ≤ n/2), as every Fabric SDK does"
    )]
    HighS,
    /// The signature does not verify.
    #[error(
        "the patient's signature does not match this selection: it was not signed by the patient's key or was changed; ask the patient for a new selection"
    )]
    Invalid,
}

/// Checks that the patient (`opening.patient_key`) signed exactly the
/// participants the opening lists.
pub fn verify_consent(opening: &CaseOpening) -> Result<(), ConsentError> {
    let consent = opening.consent.as_ref().ok_or(ConsentError::Missing)?;
    verify_selection(&selection_of(opening, &consent.nonce), &consent.signature)
}

/// Checks `signature` over `selection` with the selection's patient key.
pub fn verify_selection(selection: &Selection, signature: &[u8]) -> Result<(), ConsentError> {
    if selection.nonce.len() != SELECTION_NONCE_BYTES {
        return Err(ConsentError::Nonce(selection.nonce.len()));
    }
    let key =
        VerifyingKey::from_sec1_bytes(&selection.patient_key).map_err(|_| ConsentError::Invalid)?;
    verify_low_s(&key, &selection_message(selection), signature).map_err(|fault| match fault {
        SignatureFault::Malformed => ConsentError::Malformed,
        SignatureFault::HighS => ConsentError::HighS,
        SignatureFault::Mismatch => ConsentError::Invalid,
    })
}
