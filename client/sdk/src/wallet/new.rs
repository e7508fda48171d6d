//! Making a new wallet: its profile, and for the embedded ledger a new
//! identity.

use std::path::Path;

use medchain_siff::KdfParams;
use zeroize::Zeroizing;

use super::strength;
use super::{
    BackendProfile, IdentityLocation, PROFILE_FORMAT, SavedCheckpoint, UserRole, Wallet,
    WalletError, WalletProfile, WalletSecrets,
};
use crate::connect::EMBEDDED_MSP_ID;
use crate::ledger::embedded::LocalCa;

/// A new P-256 key and a certificate naming `name` with `role` in its
/// `medchain.role` attribute, issued by the embedded ledger's CA: the
/// identity location and the PKCS#8 PEM key.
pub fn embedded_identity(
    ca: &LocalCa,
    name: &str,
    role: UserRole,
) -> Result<(IdentityLocation, Zeroizing<String>), WalletError> {
    let issued = ca
        .issue(name, role.name())
        .map_err(|e| WalletError::KeyGeneration(e.to_string()))?;
    Ok((
        IdentityLocation::Embedded {
            msp_id: EMBEDDED_MSP_ID.to_owned(),
            certificate_pem: issued.certificate_pem,
        },
        issued.key_pem,
    ))
}

/// What a new wallet holds.
pub struct NewWallet {
    /// The user's display name.
    pub name: String,
    /// The user's role.
    pub role: UserRole,
    /// The user's identity.
    pub identity: IdentityLocation,
    /// The ledger the user works on.
    pub backend: BackendProfile,
    /// The signing key of an embedded or CA-enrolled identity (kept
    /// encrypted).
    pub signing_key_pem: Option<Zeroizing<String>>,
}

impl NewWallet {
    /// The wallet's profile.
    pub fn profile(&self) -> WalletProfile {
        WalletProfile {
            format: PROFILE_FORMAT.to_owned(),
            name: self.name.clone(),
            role: self.role,
            identity: self.identity.clone(),
            backend: self.backend.clone(),
            checkpoint: SavedCheckpoint::default(),
            cases: Default::default(),
            previous_identities: Vec::new(),
        }
    }

    /// Creates the wallet in `dir`, its secrets encrypted under `password`
    /// with Argon2id at `kdf` cost. A password too easy to guess
    /// ([`strength::check_new_password`], with the user's name as a word an
    /// attacker tries first) is refused before anything is written.
    pub fn create(self, dir: &Path, password: &str, kdf: KdfParams) -> Result<Wallet, WalletError> {
        strength::check_new_password(password, &[self.name.as_str()])
            .map_err(WalletError::WeakPassword)?;
        let mut secrets = WalletSecrets::default();
        secrets.signing_key_pem = self.signing_key_pem.as_ref().map(|k| k.to_string());
        Ok(Wallet::create(dir, &self.profile(), password, &secrets, kdf)?.with_kdf(kdf))
    }
}
