//! A Hyperledger Fabric CA client: read the CA's chain (`cainfo`), enroll an
//! identity (a P-256 key made here, a CSR, HTTP basic auth with the
//! enrollment id and secret), reenroll it keeping the same key pair, and —
//! as a registrar — register and revoke identities with Fabric CA's token
//! authorization. Talks to the CA's REST API (`/api/v1/…`) over HTTPS with
//! rustls.
//!
//! Generic: it knows nothing of the application that uses the identities.
//! Secrets (enrollment secrets, private keys) are zeroized and never logged
//! or printed by `Debug`.

mod error;
mod http;
mod keys;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::Method;
use hyper::header::HeaderValue;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use serde::{Deserialize, Serialize};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};
use zeroize::Zeroizing;

pub use error::CaError;

/// How long one request may take unless [`CaClient::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of one Fabric CA server (and optionally one of its CAs by name).
#[derive(Clone)]
pub struct CaClient {
    endpoint: http::Endpoint,
    ca_name: Option<String>,
}

impl fmt::Debug for CaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaClient")
            .field("host", &self.endpoint.host)
            .field("port", &self.endpoint.port)
            .field("ca_name", &self.ca_name)
            .finish_non_exhaustive()
    }
}

/// What `cainfo` says about the CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaInfo {
    /// The CA's name.
    pub ca_name: String,
    /// The CA's certificate chain, PEM (the CA's own certificate first).
    pub ca_chain_pem: String,
    /// The server's version, when it says.
    pub version: Option<String>,
}

/// Options of the certificate signing request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsrOptions {
    /// The subject common name; the enrollment id when `None` (Fabric CA
    /// requires them to be equal).
    pub common_name: Option<String>,
    /// Subject alternative names (DNS names or IP addresses).
    pub hosts: Vec<String>,
}

/// An attribute to put into the enrollment certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeRequest {
    /// The attribute's name.
    pub name: String,
    /// When true, enrollment does not fail if the identity lacks it.
    pub optional: bool,
}

/// Options of an enrollment or reenrollment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrollRequest {
    /// The CSR.
    pub csr: CsrOptions,
    /// Attributes requested in the certificate. Empty: the CA adds the
    /// identity's `ecert` attributes (and its defaults).
    pub attributes: Vec<AttributeRequest>,
    /// The CA's signing profile, if not the default.
    pub profile: Option<String>,
}

/// An identity's certificate and private key, as issued by the CA.
pub struct Enrollment {
    certificate_pem: String,
    key: p256::SecretKey,
    ca_chain_pem: String,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("certificate_pem", &self.certificate_pem)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Enrollment {
    /// Pairs a PEM certificate with its PEM private key (PKCS#8 or SEC1),
    /// checking that the key belongs to the certificate.
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<Self, CaError> {
        let key = keys::parse_key(key_pem)?;
        let certificate = keys::parse_certificate(certificate_pem)?;
        if keys::certificate_spki(&certificate)? != keys::key_spki(&key)? {
            return Err(CaError::Credential(
                "the private key does not belong to the certificate".into(),
            ));
        }
        Ok(Self {
            certificate_pem: certificate_pem.to_owned(),
            key,
            ca_chain_pem: String::new(),
        })
    }

    /// Loads an MSP folder as `fabric-ca-client` writes it: the certificate
    /// in `signcerts/*.pem`, its key among `keystore/*_sk`, the chain in
    /// `cacerts/*.pem` (and `intermediatecerts/*.pem`).
    pub fn from_msp_folder(msp_dir: &Path) -> Result<Self, CaError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| CaError::Io {
                path: path.to_owned(),
                source,
            })
        };
        let files = |sub: &str, suffix: &str| -> Result<Vec<std::path::PathBuf>, CaError> {
            let dir = msp_dir.join(sub);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                return Ok(Vec::new());
            };
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_file() && path.to_string_lossy().ends_with(suffix))
                .collect();
            paths.sort();
            Ok(paths)
        };
        let certificates = files("signcerts", ".pem")?;
        let [certificate] = certificates.as_slice() else {
            return Err(CaError::Credential(format!(
                "{} holds {} certificates, not one",
                msp_dir.join("signcerts").display(),
                certificates.len()
            )));
        };
        let certificate_pem = read(certificate)?;
        let mut enrollment = None;
        for key in files("keystore", "_sk")? {
            let key_pem = Zeroizing::new(read(&key)?);
            if let Ok(found) = Self::from_pem(&certificate_pem, &key_pem) {
                enrollment = Some(found);
                break;
            }
        }
        let mut enrollment = enrollment.ok_or_else(|| {
            CaError::Credential(format!(
                "no key in {} belongs to {}",
                msp_dir.join("keystore").display(),
                certificate.display()
            ))
        })?;
        for path in files("cacerts", ".pem")?
            .into_iter()
            .chain(files("intermediatecerts", ".pem")?)
        {
            enrollment.ca_chain_pem.push_str(&read(&path)?);
        }
        Ok(enrollment)
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The CA's chain as the CA sent it with the certificate, PEM.
    pub fn ca_chain_pem(&self) -> &str {
        &self.ca_chain_pem
    }

    /// The private key as PKCS#8 PEM (zeroized when dropped).
    pub fn private_key_pem(&self) -> Result<Zeroizing<String>, CaError> {
        keys::key_pem(&self.key)
    }

    /// The public key, DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>, CaError> {
        keys::key_spki(&self.key)
    }
}

/// An attribute of a registered identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// True: put it into the identity's enrollment certificates by default.
    pub ecert: bool,
}

/// A new identity for [`CaClient::register`].
#[derive(Debug, Clone, Default)]
pub struct RegistrationRequest {
    /// The enrollment id.
    pub id: String,
    /// The identity type (`client`, `peer`, `orderer`, `admin`, `user`…); `client` when empty.
    pub identity_type: String,
    /// The affiliation (e.g. `org1.department1`); the registrar's when empty.
    pub affiliation: String,
    /// The identity's attributes.
    pub attributes: Vec<Attribute>,
    /// How many times the secret may enroll; the CA's default when `None`.
    pub max_enrollments: Option<i32>,
    /// The enrollment secret; the CA makes one up when `None`.
    pub secret: Option<Zeroizing<String>>,
}

/// Which certificates [`CaClient::revoke`] revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationTarget {
    /// The identity and every certificate it has.
    Identity(String),
    /// One certificate by serial number and authority key identifier (hex).
    Certificate {
        /// Serial number, hex.
        serial: String,
        /// Authority key identifier, hex.
        aki: String,
    },
}

/// A revocation for [`CaClient::revoke`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// What to revoke.
    pub target: RevocationTarget,
    /// The reason (e.g. `keycompromise`, `superseded`), if any.
    pub reason: Option<String>,
}

/// One certificate the CA revoked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RevokedCertificate {
    /// Serial number, hex.
    #[serde(rename = "Serial")]
    pub serial: String,
    /// Authority key identifier, hex.
    #[serde(rename = "AKI")]
    pub aki: String,
}

#[derive(Serialize)]
struct EnrollBody<'a> {
    certificate_request: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caname: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attr_reqs: &'a [AttributeRequest],
}

#[derive(Serialize)]
struct RegisterBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    identity_type: &'a str,
    affiliation: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attrs: &'a [Attribute],
    #[serde(skip_serializing_if = "Option::is_none")]
    max_enrollments: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caname: Option<&'a str>,
}

#[derive(Serialize)]
struct RevokeBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aki: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caname: Option<&'a str>,
}

#[derive(Deserialize)]
struct ServerInfo {
    #[serde(rename = "CAName", default)]
    ca_name: String,
    #[serde(rename = "CAChain", default)]
    ca_chain: String,
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct EnrollResult {
    #[serde(rename = "Cert")]
    cert: String,
    #[serde(rename = "ServerInfo")]
    server_info: ServerInfo,
}

impl CaClient {
    /// A client of the CA at `url` (`https://host[:port][/path]`, port 443
    /// when absent), trusting the PEM certificates `tls_ca_pem` for the
    /// server's TLS certificate.
    pub fn new(url: &str, tls_ca_pem: &str) -> Result<Self, CaError> {
        let invalid = || CaError::InvalidUrl {
            url: url.to_owned(),
        };
        let rest = url.strip_prefix("https://").ok_or_else(invalid)?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() || authority.contains('@') {
            return Err(invalid());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(invalid)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(port) => port.parse::<u16>().map_err(|_| invalid())?,
            None => 443,
        };
        if host.is_empty() {
            return Err(invalid());
        }

        let mut roots = RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(tls_ca_pem.as_bytes()) {
            let certificate = certificate.map_err(|e| CaError::TlsCa(e.to_string()))?;
            roots
                .add(certificate)
                .map_err(|e| CaError::TlsCa(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(CaError::TlsCa("no PEM certificate was given".into()));
        }
        let tls = ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| CaError::TlsCa(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            endpoint: http::Endpoint {
                host: host.to_owned(),
                port,
                prefix: path.trim_end_matches('/').to_owned(),
                tls: Arc::new(tls),
                timeout: DEFAULT_TIMEOUT,
            },
            ca_name: None,
        })
    }

    /// Addresses the CA of that name on a server that hosts several.
    pub fn with_ca_name(mut self, ca_name: impl Into<String>) -> Self {
        self.ca_name = Some(ca_name.into());
        self
    }

    /// Sets how long one request may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.endpoint.timeout = timeout;
        self
    }

    /// The CA's name and certificate chain (`/api/v1/cainfo`).
    pub async fn ca_info(&self) -> Result<CaInfo, CaError> {
        let body = json(&serde_json::json!({ "caname": self.ca_name.as_deref().unwrap_or("") }))?;
        let uri = self.endpoint.uri("/api/v1/cainfo");
        let result = self.endpoint.send(Method::POST, &uri, body, None).await?;
        ca_info_of(result)
    }

    /// Enrolls `id` with its `secret` (`/api/v1/enroll`): makes a P-256 key
    /// here, sends a CSR signed by it and returns the certificate the CA
    /// issued with the key.
    pub async fn enroll(
        &self,
        id: &str,
        secret: &str,
        request: &EnrollRequest,
    ) -> Result<Enrollment, CaError> {
        let key = keys::generate_key();
        let common_name = request.csr.common_name.as_deref().unwrap_or(id);
        let csr = keys::csr_pem(&key, common_name, &request.csr.hosts)?;
        let body = json(&self.enroll_body(&csr, request))?;
        let credentials = Zeroizing::new(STANDARD.encode(format!("{id}:{secret}")));
        let header = Zeroizing::new(format!("Basic {}", credentials.as_str()));
        let authorization = HeaderValue::from_str(&header).map_err(|_| {
            CaError::Credential("the enrollment id or secret is not header text".into())
        })?;
        let uri = self.endpoint.uri("/api/v1/enroll");
        let result = self
            .endpoint
            .send(Method::POST, &uri, body, Some(authorization))
            .await?;
        issued(result, key)
    }

    /// Reenrolls `identity` (`/api/v1/reenroll`) keeping its key pair: the
    /// CSR is signed by the identity's existing key, so the new certificate
    /// carries the same public key. The subject common name is the current
    /// certificate's.
    pub async fn reenroll(&self, identity: &Enrollment) -> Result<Enrollment, CaError> {
        self.reenroll_with(identity, &EnrollRequest::default())
            .await
    }

    /// [`CaClient::reenroll`] with options (attributes, profile, hosts).
    pub async fn reenroll_with(
        &self,
        identity: &Enrollment,
        request: &EnrollRequest,
    ) -> Result<Enrollment, CaError> {
        let common_name = match &request.csr.common_name {
            Some(name) => name.clone(),
            None => keys::common_name(&keys::parse_certificate(&identity.certificate_pem)?)
                .ok_or_else(|| {
                    CaError::Credential("the certificate has no subject common name".into())
                })?,
        };
        let csr = keys::csr_pem(&identity.key, &common_name, &request.csr.hosts)?;
        let body = json(&self.enroll_body(&csr, request))?;
        let result = self.authorized(identity, "/api/v1/reenroll", body).await?;
        issued(result, identity.key.clone())
    }

    /// Registers a new identity by `registrar` (`/api/v1/register`) and
    /// returns its enrollment secret (the one given, or the CA's).
    pub async fn register(
        &self,
        registrar: &Enrollment,
        request: &RegistrationRequest,
    ) -> Result<Zeroizing<String>, CaError> {
        let body = Zeroizing::new(json(&RegisterBody {
            id: &request.id,
            identity_type: if request.identity_type.is_empty() {
                "client"
            } else {
                &request.identity_type
            },
            affiliation: &request.affiliation,
            attrs: &request.attributes,
            max_enrollments: request.max_enrollments,
            secret: request.secret.as_deref().map(String::as_str),
            caname: self.ca_name.as_deref(),
        })?);
        let result = self
            .authorized(registrar, "/api/v1/register", body.to_vec())
            .await?;
        #[derive(Deserialize)]
        struct Registered {
            secret: String,
        }
        let registered: Registered = parse(result)?;
        Ok(Zeroizing::new(registered.secret))
    }

    /// Revokes an identity or one certificate by `registrar`
    /// (`/api/v1/revoke`) and returns the certificates the CA revoked.
    pub async fn revoke(
        &self,
        registrar: &Enrollment,
        request: &RevocationRequest,
    ) -> Result<Vec<RevokedCertificate>, CaError> {
        let (id, serial, aki) = match &request.target {
            RevocationTarget::Identity(id) => (Some(id.as_str()), None, None),
            RevocationTarget::Certificate { serial, aki } => {
                (None, Some(serial.as_str()), Some(aki.as_str()))
            }
        };
        let body = json(&RevokeBody {
            id,
            serial,
            aki,
            reason: request.reason.as_deref(),
            caname: self.ca_name.as_deref(),
        })?;
        let result = self.authorized(registrar, "/api/v1/revoke", body).await?;
        #[derive(Deserialize)]
        struct Revoked {
            #[serde(rename = "RevokedCerts", default)]
            revoked: Option<Vec<RevokedCertificate>>,
        }
        let revoked: Revoked = parse(result)?;
        Ok(revoked.revoked.unwrap_or_default())
    }

    /// Checks, changing nothing, that the CA still authenticates the
    /// certificate of `identity`, registered as `enrollment_id` (not
    /// revoked, not expired, still registered): it reads that identity's
    /// registration (`GET /api/v1/identities/<id>`), which the CA answers —
    /// after authenticating the certificate — with the registration or, for
    /// a caller who may not read registrations, an authorization failure
    /// (code 71); both are `Ok`. A certificate the CA no longer accepts is
    /// [`CaError::Server`] with code 20 (Fabric CA says no more).
    pub async fn authenticate(
        &self,
        identity: &Enrollment,
        enrollment_id: &str,
    ) -> Result<(), CaError> {
        let url_safe = |c: char| c.is_ascii_alphanumeric() || "-._@".contains(c);
        if enrollment_id.is_empty() || !enrollment_id.chars().all(url_safe) {
            return Err(CaError::Credential(format!(
                "the enrollment id {enrollment_id:?} has characters other than letters, digits and -._@"
            )));
        }
        let mut path = format!("/api/v1/identities/{enrollment_id}");
        if let Some(name) = &self.ca_name {
            path.push_str("?ca=");
            path.push_str(name);
        }
        let uri = self.endpoint.uri(&path);
        let token = keys::token(&identity.certificate_pem, &identity.key, "GET", &uri, b"");
        let authorization = HeaderValue::from_str(&token)
            .map_err(|_| CaError::Credential("the token is not header text".into()))?;
        match self
            .endpoint
            .send(Method::GET, &uri, Vec::new(), Some(authorization))
            .await
        {
            Ok(_) => Ok(()),
            Err(CaError::Server { code: 71, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn enroll_body<'a>(&'a self, csr: &'a str, request: &'a EnrollRequest) -> EnrollBody<'a> {
        EnrollBody {
            certificate_request: csr,
            profile: request.profile.as_deref(),
            caname: self.ca_name.as_deref(),
            attr_reqs: &request.attributes,
        }
    }

    /// POSTs `body` to `path` with the token of `identity`.
    async fn authorized(
        &self,
        identity: &Enrollment,
        path: &str,
        body: Vec<u8>,
    ) -> Result<serde_json::Value, CaError> {
        let uri = self.endpoint.uri(path);
        let token = keys::token(
            &identity.certificate_pem,
            &identity.key,
            "POST",
            &uri,
            &body,
        );
        let authorization = HeaderValue::from_str(&token)
            .map_err(|_| CaError::Credential("the token is not header text".into()))?;
        self.endpoint
            .send(Method::POST, &uri, body, Some(authorization))
            .await
    }
}

/// Parses a `/api/v1/cainfo` response exactly as [`CaClient::ca_info`]
/// does: the HTTP `status` and `body` as the CA sent them. For tests and
/// fuzzing of the parser without a server; never panics.
pub fn parse_ca_info_response(status: u16, body: &[u8]) -> Result<CaInfo, CaError> {
    ca_info_of(http::read_envelope(status, body)?)
}

/// Parses an enroll or re-enroll response exactly as [`CaClient::enroll`]
/// does, for the request made with `key`: the certificate must be for
/// `key`'s public key. For tests and fuzzing of the parser without a
/// server; never panics.
pub fn parse_enroll_response(
    status: u16,
    body: &[u8],
    key: p256::SecretKey,
) -> Result<Enrollment, CaError> {
    issued(http::read_envelope(status, body)?, key)
}

/// The CA information in a cainfo `result`.
fn ca_info_of(result: serde_json::Value) -> Result<CaInfo, CaError> {
    let info: ServerInfo = parse(result)?;
    Ok(CaInfo {
        ca_name: info.ca_name,
        ca_chain_pem: decode_pem(&info.ca_chain, "CAChain")?,
        version: info.version.filter(|v| !v.is_empty()),
    })
}

/// The enrollment of the certificate in an enroll/reenroll `result`.
fn issued(result: serde_json::Value, key: p256::SecretKey) -> Result<Enrollment, CaError> {
    let result: EnrollResult = parse(result)?;
    let certificate_pem = decode_pem(&result.cert, "Cert")?;
    let certificate = keys::parse_certificate(&certificate_pem)?;
    if keys::certificate_spki(&certificate)? != keys::key_spki(&key)? {
        return Err(CaError::Parse(
            "the CA issued a certificate for another public key".into(),
        ));
    }
    Ok(Enrollment {
        certificate_pem,
        key,
        ca_chain_pem: decode_pem(&result.server_info.ca_chain, "CAChain")?,
    })
}

fn json(value: &impl Serialize) -> Result<Vec<u8>, CaError> {
    serde_json::to_vec(value).map_err(|e| CaError::Parse(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(value: serde_json::Value) -> Result<T, CaError> {
    serde_json::from_value(value).map_err(|e| CaError::Parse(e.to_string()))
}

/// Decodes a base64 field holding PEM text.
fn decode_pem(base64: &str, field: &str) -> Result<String, CaError> {
    let bytes = STANDARD
        .decode(base64.trim())
        .map_err(|e| CaError::Parse(format!("{field} is not base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| CaError::Parse(format!("{field} is not PEM text")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const PEM: &str =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUAQ==\n-----END CERTIFICATE-----\n";

    #[test]
    fn urls_other_than_https_host_port_path_are_refused() {
        for url in [
            "http://ca:7054",
            "https://",
            "https://:7054",
            "https://ca:port",
            "https://a:b@ca:7054",
        ] {
            assert!(
                matches!(CaClient::new(url, PEM), Err(CaError::InvalidUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn a_cainfo_response_parses_without_a_server() {
        let body = serde_json::json!({"success": true, "errors": [], "messages": [],
            "result": {"CAName": "ca-org1", "CAChain": STANDARD.encode(PEM), "Version": "1.5.21"}});
        let info = parse_ca_info_response(200, body.to_string().as_bytes()).unwrap();
        assert_eq!(info.ca_name, "ca-org1");
        assert_eq!(info.ca_chain_pem, PEM);
        assert!(matches!(
            parse_ca_info_response(500, body.to_string().as_bytes()),
            Err(CaError::Status { status: 500, .. })
        ));
    }

    #[test]
    fn an_enroll_response_for_another_key_is_refused() {
        let key = p256::SecretKey::random(&mut rand_core::OsRng);
        let body = serde_json::json!({"success": true, "errors": [], "messages": [],
            "result": {"Cert": STANDARD.encode(PEM), "ServerInfo": {"CAName": "", "CAChain": ""}}});
        assert!(parse_enroll_response(200, body.to_string().as_bytes(), key).is_err());
    }

    #[test]
    fn no_trust_anchor_is_refused() {
        assert!(matches!(
            CaClient::new("https://ca:7054", ""),
            Err(CaError::TlsCa(_))
        ));
    }
}
