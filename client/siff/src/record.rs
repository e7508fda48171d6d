//! Record encryption: the record key `rk = HKDF-SHA256(K, κ0,
//! "medchain-record-v2" || SHA-256(tag))` (bound to the tag the key was
//! recovered from) and AES-256-GCM of the padded plaintext with additional
//! data `type || κ0`.

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use sha2::{Digest, Sha256};

use crate::kdf::hkdf_sha256;
use crate::pad::{pad, unpad};
use crate::{CaseId, CryptoError, RecordKey, SharedKey, Tag, aead};

/// The HKDF info prefix of the record key (followed by SHA-256 of the tag).
pub const RECORD_KEY_INFO: &[u8] = b"medchain-record-v2";

/// The type of an encrypted case record; its ASCII label is bound to the
/// ciphertext as additional data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// `txd`: the doctor's diagnosis and treatment.
    Diagnosis,
    /// `txm`: a pharmacist's medicines and charges.
    Medication,
    /// `txa`: an insurer's compensation.
    Compensation,
}

impl RecordType {
    /// Every encrypted record type.
    pub const ALL: [Self; 3] = [Self::Diagnosis, Self::Medication, Self::Compensation];

    /// The ASCII label: `txd`, `txm` or `txa`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Diagnosis => "txd",
            Self::Medication => "txm",
            Self::Compensation => "txa",
        }
    }

    /// The record type with this label, if it is one of `txd`, `txm`, `txa`.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.label() == label)
    }
}

impl RecordKey {
    /// Derives a case's record key: `HKDF-SHA256(ikm = K, salt = κ0,
    /// info = "medchain-record-v2" || SHA-256(tag))`, 32 bytes. Binding the
    /// tag means a key recovered from a substituted tag opens nothing the
    /// doctor's tag sealed, and the other way round.
    pub fn derive(key: &SharedKey, case: &CaseId, tag: &Tag) -> Result<Self, CryptoError> {
        let tag_hash: [u8; 32] = Sha256::digest(tag.to_bytes()).into();
        let okm = hkdf_sha256(
            key.expose_secret(),
            case.as_bytes(),
            &[RECORD_KEY_INFO, &tag_hash],
        )?;
        Ok(Self::from_bytes(*okm))
    }
}

/// The additional data of a record: `type || κ0`.
fn record_aad(record_type: RecordType, case: &CaseId) -> Vec<u8> {
    let mut aad = record_type.label().as_bytes().to_vec();
    aad.extend_from_slice(case.as_bytes());
    aad
}

/// Encrypts a record: `nonce (12 random bytes) || AES-256-GCM(rk, nonce,
/// pad(plaintext), aad = type || κ0)` (the GCM tag last; padding in
/// [`crate::pad`]). The nonce is drawn from `rng`.
pub fn seal_record(
    key: &RecordKey,
    record_type: RecordType,
    case: &CaseId,
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    aead::seal(
        key.expose_secret(),
        &record_aad(record_type, case),
        &pad(plaintext)?,
        rng,
    )
}

/// Decrypts a record sealed by [`seal_record`]. A wrong key (wrong
/// password, not a participant), a different type or case, or any tampering
/// gives [`CryptoError::CannotDecrypt`].
pub fn open_record(
    key: &RecordKey,
    record_type: RecordType,
    case: &CaseId,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let padded = aead::open(
        key.expose_secret(),
        &record_aad(record_type, case),
        ciphertext,
        "the record ciphertext",
    )?;
    unpad(&padded)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand_core::OsRng;

    fn tag(seed: u8) -> Tag {
        let mut bytes = vec![0u8; 2 * 66];
        bytes[65] = seed;
        bytes[131] = 1;
        Tag::from_bytes(&bytes).unwrap()
    }

    fn setup() -> (RecordKey, CaseId) {
        let case = CaseId::from_bytes([3; 32]);
        let key = RecordKey::derive(&SharedKey::from_bytes([4; 32]), &case, &tag(1)).unwrap();
        (key, case)
    }

    #[test]
    fn labels_round_trip() {
        for t in RecordType::ALL {
            assert_eq!(RecordType::from_label(t.label()), Some(t));
        }
        assert_eq!(RecordType::from_label("txtc"), None);
        assert_eq!(RecordType::from_label("TXD"), None);
    }

    #[test]
    fn record_key_depends_on_key_and_case() {
        let (key, case) = setup();
        let other_case = CaseId::from_bytes([5; 32]);
        let k = SharedKey::from_bytes([4; 32]);
        assert_ne!(key, RecordKey::derive(&k, &other_case, &tag(1)).unwrap());
        assert_ne!(
            key,
            RecordKey::derive(&SharedKey::from_bytes([6; 32]), &case, &tag(1)).unwrap()
        );
        // The same K under another tag is another record key.
        assert_ne!(key, RecordKey::derive(&k, &case, &tag(2)).unwrap());
    }

    #[test]
    fn sealed_record_opens_only_with_the_same_key_type_and_case() {
        let (key, case) = setup();
        let sealed = seal_record(&key, RecordType::Diagnosis, &case, b"flu", &mut OsRng).unwrap();
        // Padded to the 256-byte bucket.
        assert_eq!(sealed.len(), 12 + 256 + 16);
        let opened = open_record(&key, RecordType::Diagnosis, &case, &sealed).unwrap();
        assert_eq!(opened.as_slice(), b"flu");
        let wrong_key = RecordKey::from_bytes([0; 32]);
        let other_case = CaseId::from_bytes([9; 32]);
        for err in [
            open_record(&wrong_key, RecordType::Diagnosis, &case, &sealed),
            open_record(&key, RecordType::Medication, &case, &sealed),
            open_record(&key, RecordType::Diagnosis, &other_case, &sealed),
        ] {
            assert_eq!(err.unwrap_err(), CryptoError::CannotDecrypt);
        }
        assert_eq!(
            CryptoError::CannotDecrypt.to_string(),
            "cannot decrypt: wrong password or not a participant of this case"
        );
    }

    #[test]
    fn too_short_ciphertext_is_rejected_with_its_length() {
        let (key, case) = setup();
        let err = open_record(&key, RecordType::Diagnosis, &case, &[0; 27]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the record ciphertext is 27 bytes; it must be at least 28 \
             (a 12-byte nonce and a 16-byte GCM tag)"
        );
        // An empty plaintext seals to the smallest bucket and opens.
        let sealed = seal_record(&key, RecordType::Compensation, &case, b"", &mut OsRng).unwrap();
        assert_eq!(sealed.len(), 28 + 256);
        assert!(
            open_record(&key, RecordType::Compensation, &case, &sealed)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_authentic_but_unpadded_record_is_refused() {
        let (key, case) = setup();
        let unpadded = aead::seal(
            key.expose_secret(),
            &record_aad(RecordType::Diagnosis, &case),
            b"flu",
            &mut OsRng,
        )
        .unwrap();
        assert_eq!(
            open_record(&key, RecordType::Diagnosis, &case, &unpadded).unwrap_err(),
            CryptoError::BadPadding
        );
    }
}
