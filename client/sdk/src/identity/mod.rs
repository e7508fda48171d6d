//! A wallet's identity from its organisation's certificate authority: a
//! Fabric CA on a Fabric network, the ledger's [`LocalCa`] on the embedded
//! ledger. Enrolling into a new wallet ([`enroll`]), renewing — with the
//! **same key pair**, so the participant index never changes ([`renew`]),
//! registering people as a registrar with their `medchain.role`
//! ([`register`]), revoking them ([`revoke`]), checking that the CA still
//! stands behind a certificate ([`require_not_revoked`]), and reading a
//! certificate ([`CertificateInfo`]). The CA protocol itself is the generic
//! `fabric-ca-client` crate.
//!
//! [`LocalCa`]: crate::ledger::embedded::LocalCa

mod ca;
mod certificate;
mod renew;
mod standing;
#[cfg(test)]
mod tests;

pub use self::ca::{CaTarget, NewEnrollment, Registrar, enroll, register, revoke};
pub use self::certificate::{CertificateInfo, date_text, now_rfc3339};
pub use self::renew::{Renewal, renew};
pub use self::standing::require_not_revoked;

use fabric_ca_client::CaError;

use crate::connect::ConnectError;
use crate::ledger::embedded::EmbeddedError;
use crate::wallet::WalletError;

/// Why an identity operation failed. Each variant is one sentence saying
/// what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A certificate could not be read.
    #[error("the certificate is unusable ({0}); check the identity given to `medchain init`")]
    Certificate(String),
    /// The CA refused the request or could not be reached; the CA's own
    /// error code is in [`CaError::Server`].
    #[error("{0}")]
    Ca(#[from] CaError),
    /// The wallet's identity has no CA to renew it with.
    #[error(
        "this wallet's identity was not enrolled with a CA (`medchain init --ca`), so there is nothing to renew it with; ask your organisation's administrator for a new certificate"
    )]
    NoCa,
    /// A CA-enrolled certificate that has already expired: Fabric CA
    /// re-enrolls only with a valid certificate (the request is signed by
    /// it), so renewal is refused before the CA is asked.
    #[error(
        "your certificate expired on {not_after}, and a Fabric CA renews only a certificate that is still valid; ask your organisation's administrator to register you again (`medchain admin register`) and enroll with the new secret (`medchain init --ca`), keeping this wallet to read the cases of your old identity"
    )]
    ExpiredEnrollment {
        /// When it expired (`YYYY-MM-DD HH:MM:SS UTC`).
        not_after: String,
    },
    /// The CA is not described well enough to be reached.
    #[error("{0}")]
    Target(String),
    /// The embedded ledger's local CA failed.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// The wallet failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The network profile failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
}
