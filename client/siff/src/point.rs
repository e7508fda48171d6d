//! P-256 public keys in the encodings used on chain: identity keys `vk`
//! SEC1 uncompressed (65 bytes), ephemeral keys `pk` SEC1 compressed (33
//! bytes). Decoding checks the encoding's length and prefix and that the
//! point is on the curve (the identity point has no such encoding).

use p256::PublicKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::CryptoError;

pub use medchain_protocol::participant_index;

/// The length of a SEC1 compressed P-256 point.
pub const COMPRESSED_LEN: usize = medchain_protocol::limits::EPHEMERAL_KEY_BYTES;

/// The length of a SEC1 uncompressed P-256 point.
pub const UNCOMPRESSED_LEN: usize = medchain_protocol::limits::IDENTITY_KEY_BYTES;

/// Decodes a 33-byte SEC1 compressed point (prefix `02` or `03`); `what`
/// names the key in the error.
pub fn decode_compressed_key(bytes: &[u8], what: &'static str) -> Result<PublicKey, CryptoError> {
    // The protocol crate's parser is the one implementation of the encoding.
    medchain_protocol::ephemeral_key(bytes).map_err(|_| invalid(what, "compressed", COMPRESSED_LEN))
}

/// Decodes a 65-byte SEC1 uncompressed point (prefix `04`); `what` names
/// the key in the error.
pub fn decode_uncompressed_key(bytes: &[u8], what: &'static str) -> Result<PublicKey, CryptoError> {
    medchain_protocol::identity_key(bytes)
        .map_err(|_| invalid(what, "uncompressed", UNCOMPRESSED_LEN))
}

/// The 33-byte SEC1 compressed encoding.
pub fn encode_compressed_key(key: &PublicKey) -> [u8; COMPRESSED_LEN] {
    let mut out = [0u8; COMPRESSED_LEN];
    out.copy_from_slice(key.to_encoded_point(true).as_bytes());
    out
}

/// The 65-byte SEC1 uncompressed encoding.
pub fn encode_uncompressed_key(key: &PublicKey) -> [u8; UNCOMPRESSED_LEN] {
    let mut out = [0u8; UNCOMPRESSED_LEN];
    out.copy_from_slice(key.to_encoded_point(false).as_bytes());
    out
}

/// The error for a key that is not a valid point in `encoding`.
fn invalid(what: &'static str, encoding: &'static str, expected: usize) -> CryptoError {
    CryptoError::InvalidPublicKey {
        what,
        encoding,
        expected,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use p256::SecretKey;

    fn key() -> PublicKey {
        SecretKey::from_bytes(&[7u8; 32].into())
            .unwrap()
            .public_key()
    }

    #[test]
    fn encodings_round_trip() {
        let pk = key();
        let compressed = encode_compressed_key(&pk);
        let uncompressed = encode_uncompressed_key(&pk);
        assert_eq!(decode_compressed_key(&compressed, "pk_x").unwrap(), pk);
        assert_eq!(decode_uncompressed_key(&uncompressed, "vk_p").unwrap(), pk);
        let ind = participant_index(&pk);
        assert_eq!(ind.to_be_bytes(), uncompressed[57..]);
    }

    #[test]
    fn wrong_form_length_prefix_or_point_is_rejected() {
        let pk = key();
        let compressed = encode_compressed_key(&pk);
        let uncompressed = encode_uncompressed_key(&pk);
        let mut compact = compressed;
        compact[0] = 0x05;
        let mut off_curve = uncompressed;
        off_curve[64] ^= 1;
        let mut bad_x = compressed;
        bad_x[1..].copy_from_slice(&[0xff; 32]);
        for bad in [
            &uncompressed[..],
            &compact[..],
            &bad_x[..],
            &compressed[..32],
            &[][..],
            &[0u8][..],
        ] {
            let err = decode_compressed_key(bad, "pk_x").unwrap_err();
            assert_eq!(
                err.to_string(),
                "pk_x is not a valid P-256 public key in SEC1 compressed form (33 bytes)"
            );
        }
        for bad in [
            &compressed[..],
            &off_curve[..],
            &uncompressed[..64],
            &[0u8; 65][..],
        ] {
            let err = decode_uncompressed_key(bad, "vk_p").unwrap_err();
            assert_eq!(
                err.to_string(),
                "vk_p is not a valid P-256 public key in SEC1 uncompressed form (65 bytes)"
            );
        }
    }
}
