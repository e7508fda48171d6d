//! ECDSA P-256 / SHA-256 / DER signatures with low S, checked with p256's
//! verifier and a key taken straight from the key pair (not from the
//! client's certificate parsing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fabric_gateway::mock::pki::TestCa;
use fabric_gateway::mock::protocol::{is_low_s, verify};
use fabric_gateway::{PrivateKeySigner, SignError, Signer, sign_message};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};

fn user() -> (PrivateKeySigner, VerifyingKey, String) {
    let ca = TestCa::new("ca.org1.example.com");
    let user = ca.issue_identity("User1");
    let signer = PrivateKeySigner::from_pem(&user.key_pem).unwrap();
    let key = VerifyingKey::from_sec1_bytes(&user.public_key_sec1).unwrap();
    (signer, key, user.key_pem)
}

#[test]
fn signatures_verify_and_are_always_low_s() {
    let (signer, key, _) = user();
    for i in 0..300u32 {
        let message = format!("message {i}");
        let signature = sign_message(&signer, message.as_bytes()).unwrap();
        assert_eq!(signature[0], 0x30, "DER SEQUENCE");
        assert!(is_low_s(&signature), "message {i}: high S");
        verify(&key, message.as_bytes(), &signature).unwrap();
    }
}

#[test]
fn the_signer_signs_the_sha256_digest() {
    let (signer, key, _) = user();
    let digest: [u8; 32] = Sha256::digest(b"payload").into();
    let signature = signer.sign_digest(&digest).unwrap();
    assert!(is_low_s(&signature));
    verify(&key, b"payload", &signature).unwrap();
    assert!(verify(&key, b"other payload", &signature).is_err());
}

/// A signer (think HSM) that returns high-S signatures whenever it can.
struct HighSSigner(SigningKey);

impl Signer for HighSSigner {
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        let signature: Signature = self.0.sign_prehash(digest).unwrap();
        let low = signature.normalize_s().unwrap_or(signature);
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        Ok(high.to_der().as_bytes().to_vec())
    }
}

#[test]
fn high_s_from_a_pluggable_signer_is_normalised() {
    let (_, key, pem) = user();
    let signer = HighSSigner(SigningKey::from_pkcs8_pem(&pem).unwrap());
    let digest: [u8; 32] = Sha256::digest(b"tx").into();
    let raw = signer.sign_digest(&digest).unwrap();
    assert!(!is_low_s(&raw), "the test signer must produce high S");
    assert!(
        verify(&key, b"tx", &raw).is_err(),
        "Fabric-style check rejects high S"
    );

    let signature = sign_message(&signer, b"tx").unwrap();
    assert!(is_low_s(&signature));
    verify(&key, b"tx", &signature).unwrap();
}

struct BrokenSigner;

impl Signer for BrokenSigner {
    fn sign_digest(&self, _: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        Ok(vec![1, 2, 3])
    }
}

#[test]
fn a_signer_returning_garbage_is_an_error() {
    let error = sign_message(&BrokenSigner, b"tx").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not a DER ECDSA P-256 signature"),
        "{error}"
    );
}

#[test]
fn malformed_key_pem_is_rejected_without_echoing_it() {
    let error = PrivateKeySigner::from_pem(
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----",
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("not a P-256 private key"), "{text}");
    assert!(!text.contains("c2VjcmV0"), "{text}");
}
