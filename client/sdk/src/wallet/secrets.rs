//! The secret part of a wallet, `secrets.enc`: encrypted at rest under a key
//! derived from the user's password.
//!
//! Layout: `"MCWSEC1\0"` · salt (16 bytes) · m_kib, t, p (u32 big-endian
//! each) · `nonce (12) || AES-256-GCM(JSON) || tag (16)`, where the GCM
//! additional data is everything before the sealed part and the key is
//! Argon2id(password, salt, m_kib, t, p).

use std::collections::BTreeMap;

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use medchain_siff::{CryptoError, KdfParams};

/// The magic bytes that start `secrets.enc`.
pub const SECRETS_MAGIC: &[u8; 8] = b"MCWSEC1\0";
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = SECRETS_MAGIC.len() + SALT_LEN + 12;

/// The secrets a wallet keeps across restarts. Zeroized on drop; `Debug`
/// shows only which secrets exist.
#[derive(Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletSecrets {
    /// The PKCS#8 PEM signing key of an embedded identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_pem: Option<String>,
    /// The doctor's ephemeral Diffie-Hellman scalar (hex) per open case
    /// (κ0 hex), kept until the case key is established. Change it with
    /// [`set_ephemeral`](Self::set_ephemeral) and
    /// [`take_ephemeral`](Self::take_ephemeral), which zeroize what they
    /// replace or remove.
    #[serde(default)]
    ephemeral_scalars: BTreeMap<String, String>,
}

impl WalletSecrets {
    /// The ephemeral scalar (hex) kept for case `case_hex`.
    pub fn ephemeral(&self, case_hex: &str) -> Option<&str> {
        self.ephemeral_scalars.get(case_hex).map(String::as_str)
    }

    /// Keeps the ephemeral scalar (hex) of case `case_hex`; a scalar it
    /// replaces is handed back, zeroized when dropped.
    pub fn set_ephemeral(&mut self, case_hex: &str, scalar_hex: &str) -> Option<Zeroizing<String>> {
        self.ephemeral_scalars
            .insert(case_hex.to_owned(), scalar_hex.to_owned())
            .map(Zeroizing::new)
    }

    /// Removes the ephemeral scalar of case `case_hex` and hands it back,
    /// zeroized when dropped.
    pub fn take_ephemeral(&mut self, case_hex: &str) -> Option<Zeroizing<String>> {
        self.ephemeral_scalars.remove(case_hex).map(Zeroizing::new)
    }
}

impl Drop for WalletSecrets {
    fn drop(&mut self) {
        self.signing_key_pem.zeroize();
        for value in self.ephemeral_scalars.values_mut() {
            value.zeroize();
        }
    }
}

impl std::fmt::Debug for WalletSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletSecrets")
            .field(
                "signing_key",
                &self.signing_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "ephemeral_scalars_for",
                &self.ephemeral_scalars.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why the secrets could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The file is not a medchain secrets file.
    #[error("it is not a medchain wallet secrets file")]
    NotSecrets,
    /// The password does not open the file (or the file was tampered with).
    #[error("wrong password for this wallet")]
    WrongPassword,
    /// The decrypted contents are not valid.
    #[error("its contents are damaged ({0})")]
    Damaged(String),
    /// A cryptographic failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Encrypts `secrets` under `password`.
pub fn seal(
    secrets: &WalletSecrets,
    password: &str,
    params: KdfParams,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, SecretsError> {
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let mut out = Vec::with_capacity(HEADER_LEN + 256);
    out.extend_from_slice(SECRETS_MAGIC);
    out.extend_from_slice(&salt);
    for v in [params.m_kib, params.t, params.p] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let key = params.derive_key(password, &salt)?;
    let plaintext = Zeroizing::new(
        serde_json::to_vec(secrets).map_err(|e| SecretsError::Damaged(e.to_string()))?,
    );
    let sealed = medchain_siff::aead_seal(&key, &out, &plaintext, rng)?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts a secrets file with `password`.
pub fn open(bytes: &[u8], password: &str) -> Result<WalletSecrets, SecretsError> {
    if bytes.len() < HEADER_LEN || &bytes[..SECRETS_MAGIC.len()] != SECRETS_MAGIC {
        return Err(SecretsError::NotSecrets);
    }
    let (header, sealed) = bytes.split_at(HEADER_LEN);
    let salt = &header[SECRETS_MAGIC.len()..SECRETS_MAGIC.len() + SALT_LEN];
    let mut numbers = header[SECRETS_MAGIC.len() + SALT_LEN..]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    let mut next = || numbers.next().ok_or(SecretsError::NotSecrets);
    let params = KdfParams {
        m_kib: next()?,
        t: next()?,
        p: next()?,
    };
    params
        .check_policy(medchain_siff::KdfPolicy::AllowInsecureTestParameters)
        .map_err(|_| SecretsError::NotSecrets)?;
    let key = params.derive_key(password, salt)?;
    let plaintext =
        medchain_siff::aead_open(&key, header, sealed, "wallet secrets").map_err(|e| match e {
            CryptoError::CannotDecrypt => SecretsError::WrongPassword,
            other => SecretsError::Crypto(other),
        })?;
    serde_json::from_slice(&plaintext).map_err(|e| SecretsError::Damaged(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rand_core::OsRng;

    const FAST: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    #[test]
    fn round_trip_and_wrong_password() {
        let mut secrets = WalletSecrets::default();
        secrets.ephemeral_scalars.insert("ab".into(), "cd".into());
        let bytes = seal(&secrets, "pässword", FAST, &mut OsRng).unwrap();
        let opened = open(&bytes, "pässword").unwrap();
        assert_eq!(
            opened.ephemeral_scalars.get("ab").map(String::as_str),
            Some("cd")
        );
        assert!(matches!(
            open(&bytes, "password"),
            Err(SecretsError::WrongPassword)
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let bytes = seal(&WalletSecrets::default(), "pw", FAST, &mut OsRng).unwrap();
        for at in [8, 30, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(open(&bad, "pw").is_err(), "byte {at}");
        }
        assert!(matches!(
            open(b"{\"not\":\"secrets\"}", "pw"),
            Err(SecretsError::NotSecrets)
        ));
    }

    #[test]
    fn debug_hides_secrets() {
        let mut secrets = WalletSecrets::default();
        secrets.signing_key_pem = Some("KEYMATERIAL".into());
        secrets
            .ephemeral_scalars
            .insert("case".into(), "SCALAR".into());
        let shown = format!("{secrets:?}");
        assert!(
            !shown.contains("KEYMATERIAL") && !shown.contains("SCALAR"),
            "{shown}"
        );
    }
}
