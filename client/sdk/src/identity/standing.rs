//! Whether the CA still stands behind a wallet's certificate: before a
//! CA-enrolled identity connects to a Fabric network, its CA is asked —
//! changing nothing — whether it still authenticates the certificate, so a
//! revoked certificate is refused with one sentence before anything is
//! submitted.

use fabric_ca_client::{CaError, Enrollment};

use super::CaTarget;
use crate::connect::ConnectError;
use crate::wallet::{IdentityLocation, WalletSecrets};

/// Fails with [`ConnectError::Revoked`] when the identity is CA-enrolled
/// and its CA no longer authenticates its certificate. When the CA cannot
/// be reached the check is skipped (with a warning): the peers remain the
/// authority, and a CA outage must not stop reading cases.
pub async fn require_not_revoked(
    identity: &IdentityLocation,
    secrets: &WalletSecrets,
) -> Result<(), ConnectError> {
    let IdentityLocation::Enrolled {
        certificate_pem,
        ca,
        ..
    } = identity
    else {
        return Ok(());
    };
    let key = secrets.signing_key_pem.as_deref().unwrap_or_default();
    let enrollment = Enrollment::from_pem(certificate_pem, key).map_err(|_| {
        ConnectError::Damaged(
            "the wallet's signing key does not match its certificate; restore the wallet from a backup".into(),
        )
    })?;
    let client = CaTarget::from_link(ca)
        .client()
        .map_err(|e| ConnectError::Identity(e.to_string()))?;
    match client.authenticate(&enrollment, &ca.enrollment_id).await {
        Ok(()) => Ok(()),
        Err(CaError::Server { code: 20, .. }) => Err(ConnectError::Revoked),
        Err(e) => {
            tracing::warn!(ca = %ca.url, error = %e, "cannot check the certificate with its CA; going on");
            Ok(())
        }
    }
}
