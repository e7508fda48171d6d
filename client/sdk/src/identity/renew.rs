//! Renewing a wallet's certificate before it expires, keeping its key pair:
//! the participant index (the last 64 bits of the public key) never changes,
//! so every case stays the participant's. The certificate it replaces stays
//! in the wallet's history.

use fabric_ca_client::{CaError, Enrollment};

use super::{CaTarget, CertificateInfo, IdentityError, now_rfc3339};
use crate::connect::ConnectError;
use crate::ledger::embedded::{LocalCa, Validity};
use crate::wallet::{BackendProfile, IdentityLocation, Wallet, WalletError};

/// What [`renew`] did.
#[derive(Debug, Clone)]
pub struct Renewal {
    /// The certificate it replaced.
    pub old: CertificateInfo,
    /// The new certificate (same public key).
    pub new: CertificateInfo,
}

/// Re-enrolls the wallet's identity with the CA that issued it (its
/// organisation's Fabric CA, or the embedded ledger's local CA) keeping the
/// same key pair, and makes the new certificate the wallet's current
/// identity; the old one joins the wallet's history.
pub async fn renew(wallet: &Wallet, password: &str) -> Result<Renewal, IdentityError> {
    let profile = wallet.profile()?;
    let secrets = wallet.secrets(password)?;
    let no_key = || {
        IdentityError::Wallet(WalletError::Damaged {
            path: wallet.dir().join(crate::wallet::SECRETS_FILE),
            reason: "it holds no signing key for the wallet's certificate".into(),
        })
    };
    let key = secrets.signing_key_pem.as_deref().ok_or_else(no_key)?;
    let identity = match (&profile.identity, &profile.backend) {
        (
            IdentityLocation::Enrolled {
                msp_id,
                certificate_pem,
                ca,
            },
            _,
        ) => {
            let info = CertificateInfo::from_pem(certificate_pem)?;
            if info.expired_at(std::time::SystemTime::now()) {
                return Err(IdentityError::ExpiredEnrollment {
                    not_after: info.not_after_text(),
                });
            }
            let current = Enrollment::from_pem(certificate_pem, key)
                .map_err(|e| IdentityError::Certificate(e.to_string()))?;
            // The CA client checks that the new certificate carries the key.
            let renewed = CaTarget::from_link(ca)
                .client()?
                .reenroll(&current)
                .await
                .map_err(revoked_or_ca)?;
            IdentityLocation::Enrolled {
                msp_id: msp_id.clone(),
                certificate_pem: renewed.certificate_pem().to_owned(),
                ca: ca.clone(),
            }
        }
        (IdentityLocation::Embedded { msp_id, .. }, BackendProfile::Embedded { dir }) => {
            let issued = LocalCa::open_or_create(dir)?.reissue(
                &profile.name,
                profile.role.name(),
                key,
                Validity::one_year(),
            )?;
            IdentityLocation::Embedded {
                msp_id: msp_id.clone(),
                certificate_pem: issued.certificate_pem,
            }
        }
        _ => return Err(IdentityError::NoCa),
    };
    let old =
        CertificateInfo::from_pem(certificate_of(&profile.identity).ok_or(IdentityError::NoCa)?)?;
    let new = CertificateInfo::from_pem(certificate_of(&identity).ok_or(IdentityError::NoCa)?)?;
    wallet.replace_identity(password, identity, None, &now_rfc3339())?;
    Ok(Renewal { old, new })
}

/// The CA's refusal of a revoked certificate as [`ConnectError::Revoked`],
/// any other failure as it is. Re-enrollment authenticates with the
/// certificate itself (a token it signs), so an authentication failure
/// (Fabric CA's code 20) of a certificate the CA issued and that has not
/// expired (checked before the CA is asked: [`IdentityError::ExpiredEnrollment`])
/// means the CA revoked it (Fabric CA does not say more).
fn revoked_or_ca(e: CaError) -> IdentityError {
    match e.server_code() {
        Some(20) => IdentityError::Connect(ConnectError::Revoked),
        _ => IdentityError::Ca(e),
    }
}

/// The PEM certificate an identity carries in the wallet itself.
pub(crate) fn certificate_of(identity: &IdentityLocation) -> Option<&str> {
    match identity {
        IdentityLocation::Embedded {
            certificate_pem, ..
        }
        | IdentityLocation::Enrolled {
            certificate_pem, ..
        } => Some(certificate_pem),
        IdentityLocation::MspFolder { .. } | IdentityLocation::Files { .. } => None,
    }
}
