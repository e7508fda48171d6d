//! The case identifier `κ0`: the SHA-256 of a case's `txtc` input parameter.

use crate::CryptoError;

/// A case's identifier `κ0` (32 bytes): the SHA-256 of the exact bytes of
/// its `txtc` input parameter. Public; it is the `case_key` field on chain
/// and salts every derivation of the case.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseId([u8; 32]);

impl CaseId {
    /// Wraps the 32 bytes of `κ0`.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads `κ0` from a byte string (for example a `case_key` field),
    /// which must be exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        <[u8; 32]>::try_from(bytes)
            .map(Self)
            .map_err(|_| CryptoError::InvalidLength {
                what: "the case key κ0",
                actual: bytes.len(),
                expected: "32 bytes (a SHA-256 digest)",
            })
    }

    /// The 32 bytes of `κ0`.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for CaseId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CaseId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn from_slice_accepts_32_bytes() {
        let id = CaseId::from_slice(&[0x5a; 32]).unwrap();
        assert_eq!(id.as_bytes(), &[0x5a; 32]);
        assert_eq!(format!("{id:?}"), format!("CaseId({})", "5a".repeat(32)));
    }

    #[test]
    fn from_slice_rejects_other_lengths() {
        for len in [0, 31, 33, 64] {
            let err = CaseId::from_slice(&vec![0; len]).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("the case key κ0 is {len} bytes; it must be 32 bytes (a SHA-256 digest)")
            );
        }
    }
}
