//! The byte encodings of keys on the ledger, and the participant index.

use p256::PublicKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::limits::{EPHEMERAL_KEY_BYTES, IDENTITY_KEY_BYTES};

/// Why a key's bytes are not a valid encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyEncodingError {
    /// The length or SEC1 tag byte is wrong for the expected form.
    #[error("expected a {expected}-byte SEC1 {form} P-256 key, got {got} bytes")]
    Form {
        /// `"uncompressed"` or `"compressed"`.
        form: &'static str,
        /// The length the form has.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The bytes are well formed but no point of the curve.
    #[error("the key is not a point on the P-256 curve")]
    NotOnCurve,
}

/// Parses an identity key `vk`: a 65-byte SEC1 uncompressed P-256 point.
pub fn identity_key(bytes: &[u8]) -> Result<PublicKey, KeyEncodingError> {
    if bytes.len() != IDENTITY_KEY_BYTES || bytes[0] != 0x04 {
        return Err(KeyEncodingError::Form {
            form: "uncompressed",
            expected: IDENTITY_KEY_BYTES,
            got: bytes.len(),
        });
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| KeyEncodingError::NotOnCurve)
}

/// Parses an ephemeral Diffie-Hellman key `pk`: a 33-byte SEC1 compressed
/// P-256 point.
pub fn ephemeral_key(bytes: &[u8]) -> Result<PublicKey, KeyEncodingError> {
    if bytes.len() != EPHEMERAL_KEY_BYTES || !matches!(bytes[0], 0x02 | 0x03) {
        return Err(KeyEncodingError::Form {
            form: "compressed",
            expected: EPHEMERAL_KEY_BYTES,
            got: bytes.len(),
        });
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| KeyEncodingError::NotOnCurve)
}

/// A participant's 64-bit index `ind`: the last 8 bytes, read big-endian,
/// of the 65-byte SEC1 uncompressed encoding of its P-256 identity key (the
/// paper's `vk mod 2^64`).
pub fn participant_index(public_key: &PublicKey) -> u64 {
    let point = public_key.to_encoded_point(false);
    let bytes = point.as_bytes();
    let mut last = [0u8; 8];
    last.copy_from_slice(&bytes[bytes.len() - 8..]);
    u64::from_be_bytes(last)
}
