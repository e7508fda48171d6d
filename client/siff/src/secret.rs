//! Secret 32-byte values (`s_x`, `K`, the record key): zeroized on drop,
//! never shown by `Debug`, compared in constant time.

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Declares a 32-byte secret newtype with the common secret behaviour.
macro_rules! secret_bytes {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 secret bytes (for example read back from a wallet).
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The secret bytes. Handle with care: never print or log them,
            /// and zeroize any copy.
            pub fn expose_secret(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> Choice {
                self.0.ct_eq(&other.0)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(other).into()
            }
        }

        impl Eq for $name {}
    };
}

secret_bytes!(
    /// A participant's secret `s_x` for one case: the Argon2id output of its
    /// password (see [`ParticipantSecret::derive`](crate::ParticipantSecret::derive)).
    /// Anyone holding it can recover the case's shared key from the tag.
    ParticipantSecret
);

secret_bytes!(
    /// The case's shared symmetric key `K`, established by the doctor and
    /// recovered by every participant from the public tag.
    SharedKey
);

secret_bytes!(
    /// The AES-256-GCM key of a case's records: `HKDF-SHA256(K, κ0,
    /// "medchain-record-v2" || SHA-256(tag))` (see [`RecordKey::derive`](crate::RecordKey::derive)).
    RecordKey
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn debug_does_not_reveal_the_secret() {
        let secret = ParticipantSecret::from_bytes([0xab; 32]);
        let shown = format!(
            "{secret:?} {:?} {:?}",
            SharedKey::from_bytes([0xab; 32]),
            RecordKey::from_bytes([0xab; 32])
        );
        assert_eq!(
            shown,
            "ParticipantSecret(<redacted>) SharedKey(<redacted>) RecordKey(<redacted>)"
        );
        assert!(!shown.to_lowercase().contains("ab, "));
    }

    #[test]
    fn equality_compares_every_byte() {
        let a = SharedKey::from_bytes([7; 32]);
        let mut other = [7; 32];
        assert_eq!(a, SharedKey::from_bytes(other));
        other[31] ^= 1;
        assert_ne!(a, SharedKey::from_bytes(other));
        other[31] ^= 1;
        other[0] ^= 0x80;
        assert_ne!(a, SharedKey::from_bytes(other));
    }

    #[test]
    fn zeroize_clears_the_bytes() {
        let mut key = RecordKey::from_bytes([9; 32]);
        key.zeroize();
        assert_eq!(key.expose_secret(), &[0; 32]);
    }
}
