//! Signing: ECDSA over NIST P-256 with SHA-256, DER encoded, with `S`
//! normalised to the lower half of the curve order (Fabric rejects
//! high-S signatures as malleable).
//!
//! The [`Signer`] trait signs a SHA-256 digest, so a signer that keeps its
//! key elsewhere (an HSM, a remote KMS) can be plugged in;
//! [`PrivateKeySigner`] keeps a P-256 key in memory and zeroizes it on drop.
//! It signs with AWS-LC (`aws-lc-rs`, assembly field arithmetic, ≈ 5× faster
//! than RustCrypto's `p256`; AWS-LC cleanses a key's memory when it frees
//! it) and keeps the RustCrypto key for the public half.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use zeroize::Zeroizing;

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};

/// Signing failed.
#[derive(Debug, thiserror::Error)]
#[error("signing failed: {reason}")]
pub struct SignError {
    reason: String,
}

impl SignError {
    /// A signing failure with a reason (for [`Signer`] implementations).
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Something that signs SHA-256 digests with the client identity's P-256
/// private key.
pub trait Signer: Send + Sync {
    /// Signs `digest` (a SHA-256 hash) and returns the ASN.1 DER ECDSA
    /// signature. The client normalises `S` to low-S afterwards, so an
    /// implementation may return either form.
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError>;
}

/// Hashes `message` with SHA-256, has `signer` sign the digest, and returns
/// the DER signature with low `S`. This is how every gateway message is
/// signed.
pub fn sign_message(signer: &dyn Signer, message: &[u8]) -> Result<Vec<u8>, SignError> {
    let digest: [u8; 32] = Sha256::digest(message).into();
    low_s_der(
        &signer.sign_digest(&digest)?,
        "the signer returned something that is not a DER ECDSA P-256 signature",
    )
}

fn low_s(signature: Signature) -> Signature {
    signature.normalize_s().unwrap_or(signature)
}

/// Re-encodes the DER signature `der` with low `S`; `not_der` is the error
/// when `der` is not a DER ECDSA P-256 signature.
fn low_s_der(der: &[u8], not_der: &str) -> Result<Vec<u8>, SignError> {
    let signature = Signature::from_der(der).map_err(|_| SignError::new(not_der))?;
    Ok(low_s(signature).to_der().as_bytes().to_vec())
}

/// Signs `digest` with the AWS-LC copy of the key; DER with low `S`.
fn sign_with_aws_lc(key: &EcdsaKeyPair, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
    let digest = aws_lc_rs::digest::Digest::import_less_safe(digest, &aws_lc_rs::digest::SHA256)
        .map_err(|_| SignError::new("AWS-LC refused a 32-byte SHA-256 digest"))?;
    let signature = key
        .sign_digest(&digest)
        .map_err(|_| SignError::new("AWS-LC failed to sign the digest"))?;
    low_s_der(
        signature.as_ref(),
        "AWS-LC returned something that is not a DER ECDSA signature",
    )
}

/// A P-256 private key held in memory. The key is zeroized when the signer
/// is dropped and is never shown by `Debug`.
#[derive(Clone)]
pub struct PrivateKeySigner {
    key: SigningKey,
    /// The same key in AWS-LC, which signs; `None` only if AWS-LC refused
    /// a key that RustCrypto accepted, and then RustCrypto signs.
    fast: Option<Arc<EcdsaKeyPair>>,
}

impl PrivateKeySigner {
    /// Wraps a P-256 signing key.
    pub fn new(key: SigningKey) -> Self {
        let scalar = Zeroizing::new(key.to_bytes());
        let point = key.verifying_key().to_encoded_point(false);
        let fast = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &scalar[..],
            point.as_bytes(),
        )
        .ok()
        .map(Arc::new);
        Self { key, fast }
    }

    /// Parses a P-256 private key from PEM: PKCS#8 (`PRIVATE KEY`, as
    /// cryptogen and fabric-ca-client write it) or SEC1 (`EC PRIVATE KEY`).
    /// The error never includes the key material.
    pub fn from_pem(pem: &str) -> Result<Self, InvalidKey> {
        let pem = pem.trim();
        if let Ok(key) = SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::new(key));
        }
        if let Ok(secret) = p256::SecretKey::from_sec1_pem(pem) {
            return Ok(Self::new(SigningKey::from(secret)));
        }
        Err(InvalidKey)
    }

    /// The public half of the key.
    pub fn public_key(&self) -> p256::PublicKey {
        p256::PublicKey::from(self.key.verifying_key())
    }

    /// The ECDSA verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }
}

impl Signer for PrivateKeySigner {
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        if let Some(fast) = &self.fast {
            return sign_with_aws_lc(fast, digest);
        }
        let signature: Signature = self
            .key
            .sign_prehash(digest)
            .map_err(|e| SignError::new(e.to_string()))?;
        Ok(low_s(signature).to_der().as_bytes().to_vec())
    }
}

impl fmt::Debug for PrivateKeySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeySigner").finish_non_exhaustive()
    }
}

/// The PEM text is not a P-256 private key in PKCS#8 or SEC1 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a P-256 private key in PKCS#8 (PRIVATE KEY) or SEC1 (EC PRIVATE KEY) PEM form")]
pub struct InvalidKey;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use p256::ecdsa::signature::hazmat::PrehashVerifier;

    use super::*;

    #[test]
    fn aws_lc_signs_with_the_same_key_low_s_for_random_keys() {
        for _ in 0..32 {
            let key = SigningKey::random(&mut rand_core::OsRng);
            let signer = PrivateKeySigner::new(key.clone());
            assert!(signer.fast.is_some(), "AWS-LC refused a valid P-256 key");
            let digest: [u8; 32] = Sha256::digest(b"proposal").into();
            let der = signer.sign_digest(&digest).unwrap();
            let signature = Signature::from_der(&der).unwrap();
            assert!(signature.normalize_s().is_none(), "high S");
            key.verifying_key()
                .verify_prehash(&digest, &signature)
                .unwrap();
            let other: [u8; 32] = Sha256::digest(b"another proposal").into();
            assert!(
                key.verifying_key()
                    .verify_prehash(&other, &signature)
                    .is_err()
            );
        }
    }

    #[test]
    fn without_aws_lc_rustcrypto_signs_the_same_way() {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let signer = PrivateKeySigner {
            key: key.clone(),
            fast: None,
        };
        let digest: [u8; 32] = Sha256::digest(b"proposal").into();
        let signature = Signature::from_der(&signer.sign_digest(&digest).unwrap()).unwrap();
        assert!(signature.normalize_s().is_none());
        key.verifying_key()
            .verify_prehash(&digest, &signature)
            .unwrap();
    }
}
