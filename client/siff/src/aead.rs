//! AES-256-GCM with a random 12-byte nonce carried in front of the
//! ciphertext: `nonce (12) || ciphertext || GCM tag (16)`.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::rng::fill_random;

/// The length of an AES-GCM nonce in bytes.
pub const NONCE_LEN: usize = medchain_protocol::limits::NONCE_BYTES;

/// The length of an AES-GCM authentication tag in bytes.
pub const GCM_TAG_LEN: usize = medchain_protocol::limits::GCM_TAG_BYTES;

/// Encrypts `plaintext` under `key` with a fresh random nonce drawn from
/// `rng`; returns `nonce || ciphertext || tag`.
pub fn seal(
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(rng, &mut nonce)?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + GCM_TAG_LEN);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(plaintext);
    let tag = Aes256Gcm::new(key.into())
        .encrypt_in_place_detached(&Nonce::from(nonce), aad, &mut sealed[NONCE_LEN..])
        .map_err(|_| CryptoError::PlaintextTooLarge)?;
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// Decrypts `nonce || ciphertext || tag`. A wrong key or any tampering
/// gives [`CryptoError::CannotDecrypt`]; no unauthenticated byte is
/// returned. `what` names the value in the length error.
pub fn open(
    key: &[u8; 32],
    aad: &[u8],
    sealed: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let parts = sealed
        .split_first_chunk::<NONCE_LEN>()
        .and_then(|(nonce, rest)| Some((nonce, rest.split_last_chunk::<GCM_TAG_LEN>()?)));
    let Some((nonce, (ciphertext, tag))) = parts else {
        return Err(CryptoError::InvalidLength {
            what,
            actual: sealed.len(),
            expected: "at least 28 (a 12-byte nonce and a 16-byte GCM tag)",
        });
    };
    let nonce = Nonce::from(*nonce);
    let tag = aes_gcm::Tag::from(*tag);
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    Aes256Gcm::new(key.into())
        .decrypt_in_place_detached(&nonce, aad, plaintext.as_mut_slice(), &tag)
        .map_err(|_| CryptoError::CannotDecrypt)?;
    Ok(plaintext)
}
