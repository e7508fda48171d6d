//! Response encryption (`txtr`): participant x seals its secret `s_x` to the
//! doctor with an ephemeral P-256 ECDH key agreement, HKDF-SHA256 and
//! AES-256-GCM.

use p256::ecdh::{EphemeralSecret, diffie_hellman};
use p256::{PublicKey, SecretKey};
use rand_core::CryptoRngCore;

use crate::kdf::hkdf_sha256;
use crate::point::{decode_compressed_key, encode_compressed_key};
use crate::{CaseId, CryptoError, ParticipantSecret, aead};

/// The prefix of the HKDF info string of the response key:
/// `"medchain-txtr-v1" || pk_x || pk_d`.
pub const RESPONSE_KEY_INFO: &[u8] = b"medchain-txtr-v1";

/// The length of a sealed secret `c_x`: nonce (12) + `s_x` (32) + GCM tag (16).
pub const SEALED_SECRET_LEN: usize = medchain_protocol::limits::SEALED_SECRET_BYTES;

/// A participant's sealed response: the fields `pk_x` and `c_x` of `txtr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedResponse {
    /// `pk_x`: the fresh ephemeral public key, SEC1 compressed (33 bytes).
    pub ephemeral_key: [u8; 33],
    /// `c_x = nonce (12) || AES-256-GCM(sk_xd, nonce, s_x, aad = κ0 || be64(ind_x))`
    /// with the GCM tag last (60 bytes).
    pub sealed_secret: Vec<u8>,
}

/// `sk_xd = HKDF-SHA256(ikm = Z, salt = κ0, info = "medchain-txtr-v1" || pk_x || pk_d)`.
fn response_key(
    shared_x: &[u8],
    case: &CaseId,
    ephemeral_key: &[u8; 33],
    doctor_key: &[u8; 33],
) -> Result<zeroize::Zeroizing<[u8; 32]>, CryptoError> {
    hkdf_sha256(
        shared_x,
        case.as_bytes(),
        &[RESPONSE_KEY_INFO, ephemeral_key, doctor_key],
    )
}

/// The additional data of a response: `κ0 || be64(ind_x)`.
fn response_aad(case: &CaseId, ind: u64) -> [u8; 40] {
    let mut aad = [0u8; 40];
    aad[..32].copy_from_slice(case.as_bytes());
    aad[32..].copy_from_slice(&ind.to_be_bytes());
    aad
}

/// Seals participant `ind`'s secret to the doctor's case key `pk_d`: a fresh
/// ephemeral key pair `(e_x, pk_x)`, `Z` = x-coordinate of `e_x · pk_d`, the
/// response key [`sk_xd`](RESPONSE_KEY_INFO), and AES-256-GCM.
///
/// Randomness is drawn from `rng` in this order: the ephemeral scalar (as
/// [`EphemeralSecret::random`] draws it), then the 12-byte nonce. The
/// ephemeral secret is zeroized when the function returns.
pub fn seal_response(
    secret: &ParticipantSecret,
    ind: u64,
    case: &CaseId,
    doctor_key: &PublicKey,
    rng: &mut impl CryptoRngCore,
) -> Result<SealedResponse, CryptoError> {
    let ephemeral = EphemeralSecret::random(rng);
    let ephemeral_key = encode_compressed_key(&ephemeral.public_key());
    let shared = ephemeral.diffie_hellman(doctor_key);
    drop(ephemeral);
    let key = response_key(
        shared.raw_secret_bytes(),
        case,
        &ephemeral_key,
        &encode_compressed_key(doctor_key),
    )?;
    let sealed_secret = aead::seal(&key, &response_aad(case, ind), secret.expose_secret(), rng)?;
    Ok(SealedResponse {
        ephemeral_key,
        sealed_secret,
    })
}

/// The doctor opens participant `ind`'s response with the case's secret key
/// `d` (whose public key is `pk_d` in `txtc`). Validates `pk_x` (33-byte
/// compressed point on the curve) and `c_x` (60 bytes); a response not made
/// for this doctor, case or participant, or tampered with, gives
/// [`CryptoError::CannotDecrypt`].
pub fn open_response(
    doctor_secret: &SecretKey,
    ind: u64,
    case: &CaseId,
    ephemeral_key: &[u8],
    sealed_secret: &[u8],
) -> Result<ParticipantSecret, CryptoError> {
    let participant_key = decode_compressed_key(ephemeral_key, "the responder's key pk_x")?;
    if sealed_secret.len() != SEALED_SECRET_LEN {
        return Err(CryptoError::InvalidLength {
            what: "the sealed secret c_x",
            actual: sealed_secret.len(),
            expected: "60 (a 12-byte nonce, the 32-byte secret and a 16-byte GCM tag)",
        });
    }
    let shared = diffie_hellman(
        doctor_secret.to_nonzero_scalar(),
        participant_key.as_affine(),
    );
    let key = response_key(
        shared.raw_secret_bytes(),
        case,
        &encode_compressed_key(&participant_key),
        &encode_compressed_key(&doctor_secret.public_key()),
    )?;
    let plaintext = aead::open(&key, &response_aad(case, ind), sealed_secret, "c_x")?;
    let bytes =
        <[u8; 32]>::try_from(plaintext.as_slice()).map_err(|_| CryptoError::InvalidLength {
            what: "the decrypted secret s_x",
            actual: plaintext.len(),
            expected: "32",
        })?;
    Ok(ParticipantSecret::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand_core::OsRng;

    fn setup() -> (ParticipantSecret, CaseId, SecretKey, SealedResponse) {
        let secret = ParticipantSecret::from_bytes([0x42; 32]);
        let case = CaseId::from_bytes([8; 32]);
        let doctor = SecretKey::random(&mut OsRng);
        let sealed = seal_response(&secret, 77, &case, &doctor.public_key(), &mut OsRng).unwrap();
        (secret, case, doctor, sealed)
    }

    #[test]
    fn doctor_opens_the_response() {
        let (secret, case, doctor, sealed) = setup();
        assert_eq!(sealed.sealed_secret.len(), SEALED_SECRET_LEN);
        assert!(matches!(sealed.ephemeral_key[0], 2 | 3));
        let opened = open_response(
            &doctor,
            77,
            &case,
            &sealed.ephemeral_key,
            &sealed.sealed_secret,
        )
        .unwrap();
        assert_eq!(opened, secret);
    }

    #[test]
    fn another_doctor_index_or_case_cannot_open_it() {
        let (_, case, doctor, sealed) = setup();
        let other_doctor = SecretKey::random(&mut OsRng);
        let other_case = CaseId::from_bytes([9; 32]);
        for result in [
            open_response(
                &other_doctor,
                77,
                &case,
                &sealed.ephemeral_key,
                &sealed.sealed_secret,
            ),
            open_response(
                &doctor,
                78,
                &case,
                &sealed.ephemeral_key,
                &sealed.sealed_secret,
            ),
            open_response(
                &doctor,
                77,
                &other_case,
                &sealed.ephemeral_key,
                &sealed.sealed_secret,
            ),
        ] {
            assert_eq!(result.unwrap_err(), CryptoError::CannotDecrypt);
        }
        let mut tampered = sealed.sealed_secret.clone();
        tampered[20] ^= 1;
        assert_eq!(
            open_response(&doctor, 77, &case, &sealed.ephemeral_key, &tampered).unwrap_err(),
            CryptoError::CannotDecrypt
        );
        // Another valid point as pk_x derives another key.
        let other_pk = encode_compressed_key(&SecretKey::random(&mut OsRng).public_key());
        assert_eq!(
            open_response(&doctor, 77, &case, &other_pk, &sealed.sealed_secret).unwrap_err(),
            CryptoError::CannotDecrypt
        );
    }

    #[test]
    fn malformed_response_fields_are_rejected() {
        let (_, case, doctor, sealed) = setup();
        let err = open_response(
            &doctor,
            77,
            &case,
            &sealed.ephemeral_key[..32],
            &sealed.sealed_secret,
        )
        .unwrap_err();
        assert!(matches!(err, CryptoError::InvalidPublicKey { .. }), "{err}");
        for len in [0, 28, 59, 61] {
            let err = open_response(&doctor, 77, &case, &sealed.ephemeral_key, &vec![0; len])
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the sealed secret c_x is {len} bytes; it must be 60 \
                     (a 12-byte nonce, the 32-byte secret and a 16-byte GCM tag)"
                )
            );
        }
    }
}
