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
    /// The PKCS#8 PEM signing key of the current identity when the wallet
    /// holds it (an embedded or a CA-enrolled identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_pem: Option<String>,
    /// The signing keys of earlier identities (PKCS#8 PEM), by their public
    /// key (SEC1 uncompressed, hex). Kept so a case answered under an
    /// earlier identity stays readable; see [`retire_signing_key`](Self::retire_signing_key).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    previous_signing_keys: BTreeMap<String, String>,
    /// The doctor's ephemeral Diffie-Hellman scalar (hex) per open case
    /// (κ0 hex), kept until the case key is established. Change it with
    /// [`set_ephemeral`](Self::set_ephemeral) and
    /// [`take_ephemeral`](Self::take_ephemeral), which zeroize what they
    /// replace or remove.
    #[serde(default)]
    ephemeral_scalars: BTreeMap<String, String>,
}

impl WalletSecrets {
    /// Makes `key_pem` the current signing key; the one it replaces is kept
    /// among the previous keys (by its public key), never dropped.
    pub fn retire_signing_key(&mut self, key_pem: Zeroizing<String>) -> Result<(), SecretsError> {
        if let Some(old) = self.signing_key_pem.as_deref() {
            let public = public_key_hex(old)?;
            if let Some(mut replaced) = self.previous_signing_keys.insert(public, old.to_owned()) {
                replaced.zeroize();
            }
        }
        if let Some(mut old) = self.signing_key_pem.replace(key_pem.to_string()) {
            old.zeroize();
        }
        Ok(())
    }

    /// The signing key (PKCS#8 PEM) whose public key is `public_key`: the
    /// current one or a previous one.
    pub fn signing_key_for(&self, public_key: &p256::PublicKey) -> Option<&str> {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        let wanted = hex::encode(public_key.to_encoded_point(false).as_bytes());
        if let Some(current) = self.signing_key_pem.as_deref()
            && public_key_hex(current).ok().as_deref() == Some(wanted.as_str())
        {
            return Some(current);
        }
        self.previous_signing_keys.get(&wanted).map(String::as_str)
    }

    /// How many previous signing keys the wallet keeps.
    pub fn previous_key_count(&self) -> usize {
        self.previous_signing_keys.len()
    }

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
        for value in self.previous_signing_keys.values_mut() {
            value.zeroize();
        }
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
            .field("previous_signing_keys", &self.previous_signing_keys.len())
            .field(
                "ephemeral_scalars_for",
                &self.ephemeral_scalars.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The public key (SEC1 uncompressed, hex) of a PKCS#8 PEM P-256 key.
fn public_key_hex(key_pem: &str) -> Result<String, SecretsError> {
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    use p256::pkcs8::DecodePrivateKey as _;
    let key = p256::SecretKey::from_pkcs8_pem(key_pem.trim())
        .map_err(|_| SecretsError::Damaged("a signing key is not a P-256 PKCS#8 key".into()))?;
    Ok(hex::encode(
        key.public_key().to_encoded_point(false).as_bytes(),
    ))
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

    fn key_pem() -> (p256::PublicKey, Zeroizing<String>) {
        use p256::pkcs8::EncodePrivateKey as _;
        let key = p256::SecretKey::random(&mut OsRng);
        let pem = key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
        (key.public_key(), pem)
    }

    #[test]
    fn a_replaced_signing_key_is_kept_and_found_by_its_public_key() {
        let (first_public, first) = key_pem();
        let (second_public, second) = key_pem();
        let mut secrets = WalletSecrets::default();
        secrets.retire_signing_key(first.clone()).unwrap();
        assert_eq!(secrets.previous_key_count(), 0);
        secrets.retire_signing_key(second.clone()).unwrap();
        assert_eq!(secrets.previous_key_count(), 1);
        // Renewal with the same key keeps it once among the previous keys.
        secrets.retire_signing_key(second.clone()).unwrap();
        secrets.retire_signing_key(second.clone()).unwrap();
        assert_eq!(secrets.previous_key_count(), 2);
        let bytes = seal(&secrets, "pw", FAST, &mut OsRng).unwrap();
        let opened = open(&bytes, "pw").unwrap();
        assert_eq!(opened.signing_key_for(&first_public), Some(first.as_str()));
        assert_eq!(
            opened.signing_key_for(&second_public),
            Some(second.as_str())
        );
        let (stranger, _) = key_pem();
        assert_eq!(opened.signing_key_for(&stranger), None);
    }

    #[test]
    fn secrets_written_before_key_history_still_open() {
        // A v1 secrets file's JSON: no previous keys.
        let (public, key) = key_pem();
        let mut old = WalletSecrets::default();
        old.signing_key_pem = Some(key.to_string());
        let bytes = seal(&old, "pw", FAST, &mut OsRng).unwrap();
        let opened = open(&bytes, "pw").unwrap();
        assert_eq!(opened.signing_key_for(&public), Some(key.as_str()));
        assert_eq!(opened.previous_key_count(), 0);
    }

    #[test]
    fn a_damaged_current_key_is_not_silently_dropped() {
        let mut secrets = WalletSecrets::default();
        secrets.signing_key_pem = Some("not a key".into());
        let (_, key) = key_pem();
        assert!(matches!(
            secrets.retire_signing_key(key),
            Err(SecretsError::Damaged(_))
        ));
        assert_eq!(secrets.signing_key_pem.as_deref(), Some("not a key"));
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
