//! The embedded ledger's local certificate authority: the stand-in for an
//! organization's Fabric CA, so the embedded ledger has the same shape as a
//! Fabric network. It issues each participant's certificate with its role in
//! the Fabric CA attribute extension (`medchain.role`), as a Fabric CA does
//! for `ecert` attributes, and its root is the trust anchor the watchers
//! check an opening doctor's certificate against.
//!
//! The CA's certificate and key live in one file (`ca.pem`, mode 0600) in the
//! ledger directory, made once, atomically (the first process to link it
//! wins; the others read it).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use fabric_shim::identity::{FABRIC_CA_ATTRIBUTES_OID, fabric_ca_attributes_extension};
use medchain_protocol::ROLE_ATTRIBUTE;
use zeroize::Zeroizing;

use super::EmbeddedError;

/// The file holding the local CA inside a ledger directory.
pub const CA_FILE: &str = "ca.pem";
/// The common name of the local CA's certificate.
const CA_NAME: &str = "medchain embedded ledger CA";

/// The ledger directory's CA: it signs participants' certificates.
pub struct LocalCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    certificate_pem: String,
}

impl fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCa")
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A certificate the local CA issued, with its new key.
pub struct IssuedIdentity {
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The certificate's P-256 key, PKCS#8 PEM.
    pub key_pem: Zeroizing<String>,
}

impl LocalCa {
    /// The CA of the ledger in `dir`, made (with the directory, mode 0700)
    /// when there is none.
    pub fn open_or_create(dir: &Path) -> Result<Self, EmbeddedError> {
        fabric_gateway::private_file::create_private_dir(dir)
            .map_err(|e| EmbeddedError::io(dir, e))?;
        let path = dir.join(CA_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => return Self::parse(&Zeroizing::new(text), &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(EmbeddedError::io(&path, e)),
        }
        let failed = |e: rcgen::Error| EmbeddedError::Ca(e.to_string());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
        let certificate_pem = ca_params().self_signed(&key).map_err(failed)?.pem();
        let contents = Zeroizing::new(format!("{certificate_pem}{}", key.serialize_pem()));
        match fabric_gateway::private_file::create_private_file(&path, contents.as_bytes()) {
            Ok(()) => Ok(Self::from_parts(certificate_pem, key)),
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text =
                    std::fs::read_to_string(&path).map_err(|e| EmbeddedError::io(&path, e))?;
                Self::parse(&Zeroizing::new(text), &path)
            }
            Err(e) => Err(EmbeddedError::io(&path, e)),
        }
    }

    /// The issuer's name and key identifier follow from [`ca_params`] and
    /// the key, so they match the stored certificate.
    fn from_parts(certificate_pem: String, key: rcgen::KeyPair) -> Self {
        Self {
            issuer: rcgen::Issuer::new(ca_params(), key),
            certificate_pem,
        }
    }

    fn parse(text: &str, path: &Path) -> Result<Self, EmbeddedError> {
        let damaged = |what: &str| {
            EmbeddedError::Corrupt(format!(
                "{}: {what}; delete the ledger directory to start over",
                path.display()
            ))
        };
        let end = "-----END CERTIFICATE-----";
        let split = text
            .find(end)
            .map(|at| at + end.len())
            .ok_or_else(|| damaged("the local CA file holds no certificate"))?;
        let (certificate, key) = text.split_at(split);
        let key = rcgen::KeyPair::from_pem(key.trim())
            .map_err(|_| damaged("the local CA file holds no valid key"))?;
        Ok(Self::from_parts(format!("{}\n", certificate.trim()), key))
    }

    /// The CA's certificate, PEM: the trust anchor of the ledger's identities.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// Issues a certificate for a new P-256 key naming `name`, with
    /// `medchain.role=role` in the Fabric CA attribute extension, valid for
    /// a year from today.
    pub fn issue(&self, name: &str, role: &str) -> Result<IssuedIdentity, EmbeddedError> {
        let failed = |e: rcgen::Error| EmbeddedError::Ca(e.to_string());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
        self.sign(name, role, key, Validity::one_year())
    }

    /// Issues a new certificate (a new serial) for the existing key
    /// `key_pem` (PKCS#8 PEM) — a renewal: the public key, and so the
    /// participant index, stay the same.
    pub fn reissue(
        &self,
        name: &str,
        role: &str,
        key_pem: &str,
        validity: Validity,
    ) -> Result<IssuedIdentity, EmbeddedError> {
        let key = rcgen::KeyPair::from_pem(key_pem.trim())
            .map_err(|_| EmbeddedError::Ca("the key to renew is not a PKCS#8 P-256 key".into()))?;
        self.sign(name, role, key, validity)
    }

    fn sign(
        &self,
        name: &str,
        role: &str,
        key: rcgen::KeyPair,
        validity: Validity,
    ) -> Result<IssuedIdentity, EmbeddedError> {
        let failed = |e: rcgen::Error| EmbeddedError::Ca(e.to_string());
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationalUnitName, "client");
        let mut serial = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut serial);
        serial[0] &= 0x7f;
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        let (year, month, day) = validity.from;
        params.not_before = rcgen::date_time_ymd(year, month, day);
        let (year, month, day) = validity.until;
        params.not_after = rcgen::date_time_ymd(year, month, day);
        let attrs = BTreeMap::from([(ROLE_ATTRIBUTE.to_owned(), role.to_owned())]);
        let oid: Vec<u64> = FABRIC_CA_ATTRIBUTES_OID.arcs().map(u64::from).collect();
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &oid,
                fabric_ca_attributes_extension(&attrs),
            ));
        let certificate = params.signed_by(&key, &self.issuer).map_err(failed)?;
        Ok(IssuedIdentity {
            certificate_pem: certificate.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }
}

/// When a certificate the local CA issues is valid: from the start of one
/// day (UTC) to the start of another, each `(year, month, day)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// The first day.
    pub from: (i32, u8, u8),
    /// The day it expires.
    pub until: (i32, u8, u8),
}

impl Validity {
    /// From today to the same day next year (the 28th for a 29 February).
    pub fn one_year() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let today = der::DateTime::from_unix_duration(now)
            .map(|t| (i32::from(t.year()), t.month(), t.day()))
            .unwrap_or((1970, 1, 1));
        Self {
            from: today,
            until: (today.0 + 1, today.1, today.2.min(28)),
        }
    }
}

fn ca_params() -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CA_NAME);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params
}
