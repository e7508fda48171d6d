//! Signatures of the protocol: ECDSA P-256 with SHA-256, DER-encoded, low
//! `S` only (a high-`S` signature is the other valid encoding of the same
//! signature; refusing it gives every signed message one encoding), and the
//! doctor's signature over a case's tag.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The longest DER ECDSA P-256 signature.
pub const MAX_SIGNATURE_BYTES: usize = 72;

/// The domain-separation prefix of the doctor's tag signature.
pub const TAG_SIGNATURE_DOMAIN: &[u8] = b"medchain-tag-v2\0";

/// Why a signature does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureFault {
    /// Not a DER ECDSA P-256 signature (or longer than 72 bytes).
    #[error("it is not a DER ECDSA P-256 signature")]
    Malformed,
    /// A valid signature with high `S`; sign with low `S` (every Fabric SDK does).
    #[error("its S is high; sign with low S (S ≤ n/2)")]
    HighS,
    /// The signature does not verify with the key.
    #[error("it does not verify with the signer's key")]
    Mismatch,
}

/// Verifies a DER, low-`S` ECDSA P-256 / SHA-256 signature of `message`.
pub fn verify_low_s(key: &VerifyingKey, message: &[u8], der: &[u8]) -> Result<(), SignatureFault> {
    if der.len() > MAX_SIGNATURE_BYTES {
        return Err(SignatureFault::Malformed);
    }
    let signature = Signature::from_der(der).map_err(|_| SignatureFault::Malformed)?;
    if signature.normalize_s().is_some() {
        return Err(SignatureFault::HighS);
    }
    key.verify(message, &signature)
        .map_err(|_| SignatureFault::Mismatch)
}

/// Signs `message` as the protocol wants it: deterministic ECDSA P-256 /
/// SHA-256 (RFC 6979), normalised to low `S`, DER-encoded. (Clients that
/// sign through a Fabric signer use `fabric_gateway::sign_message`, which
/// also gives low `S`.)
pub fn sign_low_s(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = key.sign(message);
    signature
        .normalize_s()
        .unwrap_or(signature)
        .to_der()
        .as_bytes()
        .to_vec()
}

/// The bytes the doctor signs to fix a case's tag:
/// `"medchain-tag-v2" || 0x00 || κ0 || SHA-256(tag)` (16 + 32 + 32 bytes).
pub fn tag_signature_message(kappa0: &[u8; 32], tag: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(TAG_SIGNATURE_DOMAIN.len() + 64);
    message.extend_from_slice(TAG_SIGNATURE_DOMAIN);
    message.extend_from_slice(kappa0);
    message.extend_from_slice(&Sha256::digest(tag));
    message
}

/// The domain of a granter's signature over its grant opening.
pub const GRANT_SIGNATURE_DOMAIN: &[u8] = b"medchain-grant-v1\0";
/// The domain of a granter's signature over its grant tag.
pub const GRANT_TAG_SIGNATURE_DOMAIN: &[u8] = b"medchain-grant-tag-v1\0";

/// The domain of an opener's signature over its key-epoch opening.
pub const EPOCH_SIGNATURE_DOMAIN: &[u8] = b"medchain-epoch-v1\0";
/// The domain of an opener's signature over its epoch tag.
pub const EPOCH_TAG_SIGNATURE_DOMAIN: &[u8] = b"medchain-epoch-tag-v1\0";

/// The bytes the opener of key epoch `epoch` signs (protocol §7b):
/// `"medchain-epoch-v1" || 0x00 || κ0 || be32(epoch) || be64(opener) ||
/// be32(#revoked) || be64(revoked_1) … || opener_ephemeral_key`.
pub fn epoch_signature_message(
    kappa0: &[u8; 32],
    epoch: u32,
    opener: u64,
    revoked: &[u64],
    ephemeral_key: &[u8],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(
        EPOCH_SIGNATURE_DOMAIN.len() + 48 + 8 * revoked.len() + ephemeral_key.len(),
    );
    message.extend_from_slice(EPOCH_SIGNATURE_DOMAIN);
    message.extend_from_slice(kappa0);
    message.extend_from_slice(&epoch.to_be_bytes());
    message.extend_from_slice(&opener.to_be_bytes());
    let count = u32::try_from(revoked.len()).unwrap_or(u32::MAX);
    message.extend_from_slice(&count.to_be_bytes());
    for ind in revoked {
        message.extend_from_slice(&ind.to_be_bytes());
    }
    message.extend_from_slice(ephemeral_key);
    message
}

/// The bytes the opener of key epoch `epoch` signs to publish its tag:
/// `"medchain-epoch-tag-v1" || 0x00 || κ0 || be32(epoch) || SHA-256(tag)`.
pub fn epoch_tag_signature_message(kappa0: &[u8; 32], epoch: u32, tag: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(EPOCH_TAG_SIGNATURE_DOMAIN.len() + 68);
    message.extend_from_slice(EPOCH_TAG_SIGNATURE_DOMAIN);
    message.extend_from_slice(kappa0);
    message.extend_from_slice(&epoch.to_be_bytes());
    message.extend_from_slice(&Sha256::digest(tag));
    message
}

/// The bytes a granter signs to open a grant: `"medchain-grant-v1" || 0x00
/// || κ0 || be64(granter) || be64(grantee) || be32(grantee_role) ||
/// grantee_key || granter_ephemeral_key`.
pub fn grant_signature_message(
    kappa0: &[u8; 32],
    granter: u64,
    grantee: u64,
    grantee_role: i32,
    grantee_key: &[u8],
    ephemeral_key: &[u8],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(
        GRANT_SIGNATURE_DOMAIN.len() + 52 + grantee_key.len() + ephemeral_key.len(),
    );
    message.extend_from_slice(GRANT_SIGNATURE_DOMAIN);
    message.extend_from_slice(kappa0);
    message.extend_from_slice(&granter.to_be_bytes());
    message.extend_from_slice(&grantee.to_be_bytes());
    message.extend_from_slice(&grantee_role.to_be_bytes());
    message.extend_from_slice(grantee_key);
    message.extend_from_slice(ephemeral_key);
    message
}

/// The bytes a granter signs to publish a grant tag: `"medchain-grant-tag-v1"
/// || 0x00 || κ0 || be64(grantee) || SHA-256(tag)`.
pub fn grant_tag_signature_message(kappa0: &[u8; 32], grantee: u64, tag: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(GRANT_TAG_SIGNATURE_DOMAIN.len() + 72);
    message.extend_from_slice(GRANT_TAG_SIGNATURE_DOMAIN);
    message.extend_from_slice(kappa0);
    message.extend_from_slice(&grantee.to_be_bytes());
    message.extend_from_slice(&Sha256::digest(tag));
    message
}

/// Verifies the doctor's signature over case `kappa0`'s `tag`.
pub fn verify_tag_signature(
    doctor: &p256::PublicKey,
    kappa0: &[u8; 32],
    tag: &[u8],
    der: &[u8],
) -> Result<(), SignatureFault> {
    verify_low_s(
        &VerifyingKey::from(doctor),
        &tag_signature_message(kappa0, tag),
        der,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    fn low_s(message: &[u8]) -> Signature {
        Signature::from_der(&sign_low_s(&key(), message)).unwrap()
    }

    #[test]
    fn the_message_binds_case_and_tag() {
        let m = tag_signature_message(&[1; 32], b"tag");
        assert_eq!(m.len(), 80);
        assert_eq!(&m[..16], b"medchain-tag-v2\0");
        assert_ne!(m, tag_signature_message(&[2; 32], b"tag"));
        assert_ne!(m, tag_signature_message(&[1; 32], b"tah"));
    }

    #[test]
    fn only_a_low_s_signature_of_the_same_case_and_tag_by_the_doctor_holds() {
        let doctor = *key().verifying_key();
        let message = tag_signature_message(&[1; 32], b"tag");
        let good = low_s(&message);
        let public = p256::PublicKey::from(&doctor);
        verify_tag_signature(&public, &[1; 32], b"tag", good.to_der().as_bytes()).unwrap();
        let high = Signature::from_scalars(good.r(), -*good.s()).unwrap();
        assert_eq!(
            verify_tag_signature(&public, &[1; 32], b"tag", high.to_der().as_bytes()),
            Err(SignatureFault::HighS)
        );
        for (kappa0, tag) in [([2; 32], &b"tag"[..]), ([1; 32], &b"tah"[..])] {
            assert_eq!(
                verify_tag_signature(&public, &kappa0, tag, good.to_der().as_bytes()),
                Err(SignatureFault::Mismatch)
            );
        }
        let other =
            p256::PublicKey::from(SigningKey::from_slice(&[8u8; 32]).unwrap().verifying_key());
        assert_eq!(
            verify_tag_signature(&other, &[1; 32], b"tag", good.to_der().as_bytes()),
            Err(SignatureFault::Mismatch)
        );
        for bad in [&[][..], &[0x30, 0x02, 0x01][..], &[0u8; 73][..]] {
            assert_eq!(
                verify_tag_signature(&public, &[1; 32], b"tag", bad),
                Err(SignatureFault::Malformed)
            );
        }
    }
}
