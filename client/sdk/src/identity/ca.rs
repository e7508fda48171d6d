//! A Fabric CA of the network: where it is, enrolling a new identity,
//! registering and revoking people as its registrar.

use std::path::Path;

use fabric_ca_client::{
    Attribute, CaClient, EnrollRequest, Enrollment, RegistrationRequest, RevocationRequest,
    RevocationTarget, RevokedCertificate,
};
use medchain_protocol::ROLE_ATTRIBUTE;
use zeroize::Zeroizing;

use super::{CertificateInfo, IdentityError};
use crate::connect::{ConnectError, NetworkProfile};
use crate::wallet::{CaLink, IdentityLocation, UserRole};

/// A Fabric CA to talk to: where it is and which TLS root verifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaTarget {
    /// `https://host:port`.
    pub url: String,
    /// The CA's name on its server, if it has one.
    pub ca_name: Option<String>,
    /// The PEM certificates that verify its TLS certificate.
    pub tls_ca_pem: String,
}

impl CaTarget {
    /// The CA of organisation `org` in the network profile `network` (read
    /// from `path`).
    pub fn from_profile(
        network: &NetworkProfile,
        path: &Path,
        org: &str,
    ) -> Result<Self, IdentityError> {
        let profile = network.org(org)?;
        let ca = profile.ca.as_ref().ok_or_else(|| {
            IdentityError::Target(format!(
                "organisation {org} in the network profile {} lists no Fabric CA; give the CA's URL with --ca and its TLS root with --ca-tls",
                path.display()
            ))
        })?;
        Ok(Self {
            url: ca.url.clone(),
            ca_name: Some(ca.ca_name.clone()).filter(|n| !n.is_empty()),
            tls_ca_pem: read_text(&ca.tls_ca, "the CA's TLS root certificate")?,
        })
    }

    /// The CA at `url`, its TLS certificate verified with the PEM
    /// certificates in `tls_ca`.
    pub fn from_url(
        url: &str,
        ca_name: Option<&str>,
        tls_ca: &Path,
    ) -> Result<Self, IdentityError> {
        Ok(Self {
            url: url.to_owned(),
            ca_name: ca_name.map(str::to_owned),
            tls_ca_pem: read_text(tls_ca, "the CA's TLS root certificate")?,
        })
    }

    /// The CA an enrolled identity came from.
    pub fn from_link(link: &CaLink) -> Self {
        Self {
            url: link.url.clone(),
            ca_name: link.ca_name.clone(),
            tls_ca_pem: link.tls_ca_pem.clone(),
        }
    }

    pub(super) fn client(&self) -> Result<CaClient, IdentityError> {
        let client = CaClient::new(&self.url, &self.tls_ca_pem)?;
        Ok(match &self.ca_name {
            Some(name) => client.with_ca_name(name.clone()),
            None => client,
        })
    }

    pub(super) fn link(&self, enrollment_id: &str) -> CaLink {
        CaLink {
            url: self.url.clone(),
            ca_name: self.ca_name.clone(),
            tls_ca_pem: self.tls_ca_pem.clone(),
            enrollment_id: enrollment_id.to_owned(),
        }
    }
}

fn read_text(path: &Path, what: &'static str) -> Result<String, IdentityError> {
    std::fs::read_to_string(path).map_err(|source| {
        IdentityError::Connect(ConnectError::Io {
            what,
            path: path.to_owned(),
            source,
        })
    })
}

/// A new identity enrolled with a CA, for a new wallet.
pub struct NewEnrollment {
    /// Where the wallet keeps it.
    pub identity: IdentityLocation,
    /// Its private key (PKCS#8 PEM), for the wallet's encrypted secrets.
    pub signing_key_pem: Zeroizing<String>,
    /// What its certificate says.
    pub certificate: CertificateInfo,
}

/// Enrolls `enrollment_id` with its one-time `secret` at `target` (a
/// P-256 key made here) as a member of `msp_id`. The certificate must
/// carry the `medchain.role` attribute `role`: a CA that certifies another
/// role (or none) is refused here, before a wallet is made.
pub async fn enroll(
    target: &CaTarget,
    msp_id: &str,
    enrollment_id: &str,
    secret: &str,
    role: UserRole,
) -> Result<NewEnrollment, IdentityError> {
    let enrollment = target
        .client()?
        .enroll(enrollment_id, secret, &EnrollRequest::default())
        .await?;
    let certificate = CertificateInfo::from_pem(enrollment.certificate_pem())?;
    if certificate.role.as_deref() != Some(role.name()) {
        return Err(IdentityError::Target(format!(
            "the CA certifies {enrollment_id} as {}, not as a {role}; give the --role your organisation registered you with",
            certificate.role.as_deref().map_or_else(
                || "no medchain.role at all".to_owned(),
                |r| format!("a {r}")
            )
        )));
    }
    Ok(NewEnrollment {
        identity: IdentityLocation::Enrolled {
            msp_id: msp_id.to_owned(),
            certificate_pem: enrollment.certificate_pem().to_owned(),
            ca: target.link(enrollment_id),
        },
        signing_key_pem: enrollment.private_key_pem()?,
        certificate,
    })
}

/// A registrar's identity: an MSP folder as `fabric-ca-client` writes it
/// (the profile lists each organisation's).
pub struct Registrar {
    enrollment: Enrollment,
}

impl Registrar {
    /// The registrar whose MSP folder is `dir`.
    pub fn from_msp_folder(dir: &Path) -> Result<Self, IdentityError> {
        Ok(Self {
            enrollment: Enrollment::from_msp_folder(dir)
                .map_err(|e| IdentityError::Certificate(format!("{}: {e}", dir.display())))?,
        })
    }
}

/// Registers `enrollment_id` at `target` as a client whose certificates
/// carry `medchain.role=<role>` (`ecert`), by `registrar`; returns the
/// one-time enrollment secret the CA made up (enrollable once).
pub async fn register(
    target: &CaTarget,
    registrar: &Registrar,
    enrollment_id: &str,
    role: UserRole,
) -> Result<Zeroizing<String>, IdentityError> {
    if enrollment_id.trim().is_empty() || enrollment_id.contains(char::is_whitespace) {
        return Err(IdentityError::Target(format!(
            "{enrollment_id:?} is not an enrollment id; give --id a name without spaces"
        )));
    }
    let request = RegistrationRequest {
        id: enrollment_id.to_owned(),
        identity_type: "client".to_owned(),
        attributes: vec![Attribute {
            name: ROLE_ATTRIBUTE.to_owned(),
            value: role.name().to_owned(),
            ecert: true,
        }],
        max_enrollments: Some(1),
        ..RegistrationRequest::default()
    };
    Ok(target
        .client()?
        .register(&registrar.enrollment, &request)
        .await?)
}

/// Revokes every certificate of `enrollment_id` at `target` by
/// `registrar`; returns the certificates revoked.
pub async fn revoke(
    target: &CaTarget,
    registrar: &Registrar,
    enrollment_id: &str,
) -> Result<Vec<RevokedCertificate>, IdentityError> {
    let request = RevocationRequest {
        target: RevocationTarget::Identity(enrollment_id.to_owned()),
        reason: None,
    };
    Ok(target
        .client()?
        .revoke(&registrar.enrollment, &request)
        .await?)
}
