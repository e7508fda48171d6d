//! An opened wallet for one command: its profile, the password when the
//! command needs it, the ledger connection and the Argon2id policy.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::args::GlobalArgs;
use super::error::CliError;
use super::password;
use medchain_sdk::connect;
use medchain_sdk::ledger::Ledger;
use medchain_sdk::wallet::{IdentityLocation, Wallet, WalletProfile};
use medchain_siff::{CaseId, KdfParams, KdfPolicy};

/// The weak Argon2id parameters `--insecure-test-kdf` uses for wallets and
/// new cases. Never for real patient data.
pub const TEST_KDF: KdfParams = KdfParams {
    m_kib: 256,
    t: 1,
    p: 1,
};

/// The wallet directory: `--wallet`, `MEDCHAIN_WALLET`, or
/// `~/.medchain/wallet`.
pub fn wallet_dir(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    let dir = match &global.wallet {
        Some(dir) => dir.clone(),
        None => connect::default_dir("wallet")?,
    };
    std::path::absolute(&dir).map_err(|e| CliError::io("the wallet directory", &dir, &e))
}

/// The Argon2id parameters for new wallets and cases.
pub fn kdf(global: &GlobalArgs) -> KdfParams {
    if global.insecure_test_kdf {
        TEST_KDF
    } else {
        KdfParams::DEFAULT
    }
}

/// The KDF floor a new embedded ledger is initialized with: the lowest the
/// contract accepts with `--insecure-test-kdf`, else the default.
pub fn kdf_floor(global: &GlobalArgs) -> Option<medchain_protocol::v1::KdfFloor> {
    global
        .insecure_test_kdf
        .then_some(medchain_sdk::ledger::embedded::INSECURE_TEST_KDF_FLOOR)
}

/// Whether weak Argon2id parameters are accepted.
pub fn policy(global: &GlobalArgs) -> KdfPolicy {
    if global.insecure_test_kdf {
        KdfPolicy::AllowInsecureTestParameters
    } else {
        KdfPolicy::RequireMinimum
    }
}

/// An opened wallet.
pub struct Session {
    /// The wallet.
    pub wallet: Wallet,
    /// Its profile as read when the command started.
    pub profile: WalletProfile,
    /// Whether weak Argon2id parameters are accepted.
    pub policy: KdfPolicy,
    password_file: Option<PathBuf>,
}

impl Session {
    /// Opens the wallet the global options name.
    pub fn open(global: &GlobalArgs) -> Result<Self, CliError> {
        let mut wallet = Wallet::open(wallet_dir(global)?)?;
        if global.insecure_test_kdf {
            wallet = wallet.with_kdf(TEST_KDF);
        }
        let profile = wallet.profile()?;
        Ok(Self {
            wallet,
            profile,
            policy: policy(global),
            password_file: global.password_file.clone(),
        })
    }

    /// Reads the password and checks it opens the wallet, so a wrong
    /// password fails before anything is done.
    pub fn unlock(&self) -> Result<Zeroizing<String>, CliError> {
        let password = password::existing(self.password_file.as_deref(), self.wallet.dir())?;
        let secrets = self.wallet.secrets(&password)?;
        if matches!(
            self.profile.identity,
            IdentityLocation::Embedded { .. } | IdentityLocation::Enrolled { .. }
        ) {
            connect::identity_signer(&self.profile, &secrets)?;
        }
        Ok(password)
    }

    /// The signing key of the wallet's identity (to sign a patient's
    /// selection), unlocked with `password`.
    pub fn signer(&self, password: &str) -> Result<fabric_gateway::PrivateKeySigner, CliError> {
        let secrets = self.wallet.secrets(password)?;
        Ok(connect::identity_signer(&self.profile, &secrets)?)
    }

    /// Connects to the wallet's ledger, the identity's key (when the wallet
    /// keeps it) unlocked with `password`. An expired certificate is
    /// refused here, before anything is submitted.
    pub async fn connect(&self, password: &str) -> Result<Ledger, CliError> {
        let secrets = self.wallet.secrets(password)?;
        Ok(connect::connect_with_secrets(&self.profile, &secrets).await?)
    }
}

/// Parses a case id κ0 (64 hex digits).
pub fn parse_case(text: &str) -> Result<CaseId, CliError> {
    let bytes = parse_key(text, "case id")?;
    Ok(CaseId::from_bytes(bytes))
}

/// Parses a record key κ or case id (64 hex digits).
pub fn parse_key(text: &str, what: &str) -> Result<[u8; 32], CliError> {
    let bad = || {
        CliError::usage(format!(
            "{text:?} is not a {what}; give the 64 hex digits medchain printed (`medchain cases` lists your cases)"
        ))
    };
    let bytes = hex::decode(text.trim()).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn case_ids_are_64_hex_digits() {
        assert!(parse_case(&"ab".repeat(32)).is_ok());
        for bad in ["", "ab", &"zz".repeat(32), &"ab".repeat(33)] {
            let e = parse_case(bad).unwrap_err();
            assert_eq!(e.status().code(), 2);
            assert!(e.message().contains("is not a case id"), "{e}");
        }
    }
}
