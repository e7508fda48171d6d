//! What a certificate says about its holder: issuer, serial, validity and
//! the `medchain.role` attribute its CA put in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::DateTime;
use fabric_shim::ClientIdentity;
use medchain_protocol::ROLE_ATTRIBUTE;

use super::IdentityError;
use crate::connect::ConnectError;

/// What a certificate says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject's distinguished name (RFC 4514).
    pub subject: String,
    /// The issuer's distinguished name (RFC 4514).
    pub issuer: String,
    /// The serial number, hex.
    pub serial: String,
    /// Valid from.
    pub not_before: DateTime,
    /// Valid until.
    pub not_after: DateTime,
    /// The `medchain.role` attribute, if the CA put one in.
    pub role: Option<String>,
}

impl CertificateInfo {
    /// Reads a PEM certificate.
    pub fn from_pem(pem: &str) -> Result<Self, IdentityError> {
        // The MSP id does not matter for reading the certificate.
        let identity = ClientIdentity::from_pem(String::new(), pem)
            .map_err(|e| IdentityError::Certificate(e.to_string()))?;
        let tbs = &identity.certificate().tbs_certificate;
        Ok(Self {
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            serial: hex::encode(tbs.serial_number.as_bytes()),
            not_before: tbs.validity.not_before.to_date_time(),
            not_after: tbs.validity.not_after.to_date_time(),
            role: identity.attribute(ROLE_ATTRIBUTE),
        })
    }

    /// Whether the certificate has expired at `now`.
    pub fn expired_at(&self, now: SystemTime) -> bool {
        since_epoch(now) >= self.not_after.unix_duration()
    }

    /// The expiry as the CLI shows it (`YYYY-MM-DD HH:MM:SS UTC`).
    pub fn not_after_text(&self) -> String {
        date_text(&self.not_after)
    }

    /// Fails with [`ConnectError::Expired`] when the certificate has
    /// expired: no peer accepts it.
    pub fn require_valid_now(&self) -> Result<(), ConnectError> {
        if self.expired_at(SystemTime::now()) {
            return Err(ConnectError::Expired {
                not_after: self.not_after_text(),
            });
        }
        Ok(())
    }
}

fn since_epoch(time: SystemTime) -> Duration {
    time.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn date_text(time: &DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minutes(),
        time.seconds()
    )
}

/// Now, RFC 3339 (UTC), for the wallet's identity history.
pub fn now_rfc3339() -> String {
    DateTime::from_unix_duration(since_epoch(SystemTime::now()))
        .map(|t| t.to_string())
        .unwrap_or_default()
}
