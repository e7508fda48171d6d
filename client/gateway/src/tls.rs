//! TLS settings for the connection to a gateway peer (rustls, through
//! tonic): the organisation's TLS CA, an optional client certificate for
//! mutual TLS, and an optional server-name override for deployments where
//! the peer is dialled by IP or `localhost` but its certificate names it
//! `peer0.org1.example.com`.

use std::fmt;
use std::fs;
use std::path::Path;

use zeroize::Zeroizing;

use super::error::ConnectError;

/// How to secure the connection to a peer.
#[derive(Clone)]
pub struct TlsSettings {
    ca_certificate_pem: Vec<u8>,
    client_certificate_pem: Option<Vec<u8>>,
    client_key_pem: Option<Zeroizing<Vec<u8>>>,
    server_name: Option<String>,
}

impl TlsSettings {
    /// Trusts the given PEM CA certificate(s) (the organisation's TLS CA,
    /// `tlsca/*.pem` or `ca.crt` in cryptogen's output).
    pub fn new(ca_certificate_pem: impl Into<Vec<u8>>) -> Result<Self, ConnectError> {
        Self::trusting(ca_certificate_pem.into(), "the TLS CA certificate")
    }

    /// Reads the trusted PEM CA certificate(s) from a file.
    pub fn from_ca_file(path: &Path) -> Result<Self, ConnectError> {
        Self::trusting(read(path)?, &path.display().to_string())
    }

    fn trusting(ca_certificate_pem: Vec<u8>, origin: &str) -> Result<Self, ConnectError> {
        check_certificates(&ca_certificate_pem, origin)?;
        Ok(Self {
            ca_certificate_pem,
            client_certificate_pem: None,
            client_key_pem: None,
            server_name: None,
        })
    }

    /// Presents a client certificate (mutual TLS), from PEM certificate and
    /// PEM private key text.
    pub fn with_client_certificate(
        self,
        certificate_pem: impl Into<Vec<u8>>,
        key_pem: Zeroizing<Vec<u8>>,
    ) -> Result<Self, ConnectError> {
        self.presenting(
            certificate_pem.into(),
            key_pem,
            "the TLS client certificate",
            "the TLS client key",
        )
    }

    /// Presents a client certificate (mutual TLS) read from files.
    pub fn with_client_certificate_files(
        self,
        certificate_path: &Path,
        key_path: &Path,
    ) -> Result<Self, ConnectError> {
        let certificate = read(certificate_path)?;
        let key = Zeroizing::new(read(key_path)?);
        self.presenting(
            certificate,
            key,
            &certificate_path.display().to_string(),
            &key_path.display().to_string(),
        )
    }

    fn presenting(
        mut self,
        certificate_pem: Vec<u8>,
        key_pem: Zeroizing<Vec<u8>>,
        certificate_origin: &str,
        key_origin: &str,
    ) -> Result<Self, ConnectError> {
        check_certificates(&certificate_pem, certificate_origin)?;
        if !contains_pem_label(&key_pem, "PRIVATE KEY") {
            return Err(ConnectError::Tls(format!(
                "{key_origin} is not a PEM private key; use the client.key of a TLS enrolment"
            )));
        }
        self.client_certificate_pem = Some(certificate_pem);
        self.client_key_pem = Some(key_pem);
        Ok(self)
    }

    /// Verifies the peer's certificate against this name (and sends it as
    /// SNI) instead of the host in the address.
    pub fn with_server_name(mut self, server_name: impl Into<String>) -> Self {
        self.server_name = Some(server_name.into());
        self
    }

    /// The server-name override, if any.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Whether a client certificate is presented.
    pub fn has_client_certificate(&self) -> bool {
        self.client_certificate_pem.is_some()
    }

    pub(crate) fn to_tonic(&self) -> tonic::transport::ClientTlsConfig {
        let mut config = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(
                &self.ca_certificate_pem,
            ))
            .assume_http2(true);
        if let (Some(certificate), Some(key)) = (&self.client_certificate_pem, &self.client_key_pem)
        {
            config = config.identity(tonic::transport::Identity::from_pem(
                certificate,
                key.as_slice(),
            ));
        }
        if let Some(name) = &self.server_name {
            config = config.domain_name(name.clone());
        }
        config
    }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("server_name", &self.server_name)
            .field("client_certificate", &self.has_client_certificate())
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ConnectError> {
    fs::read(path).map_err(|source| ConnectError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Checks that `pem` holds at least one X.509 certificate, all valid.
fn check_certificates(pem: &[u8], origin: &str) -> Result<(), ConnectError> {
    match x509_cert::Certificate::load_pem_chain(pem) {
        Ok(chain) if !chain.is_empty() => Ok(()),
        Ok(_) => Err(ConnectError::Tls(format!(
            "{origin} contains no PEM certificate"
        ))),
        Err(e) => Err(ConnectError::Tls(format!(
            "{origin} is not a PEM X.509 certificate ({e})"
        ))),
    }
}

fn contains_pem_label(pem: &[u8], label_suffix: &str) -> bool {
    std::str::from_utf8(pem).is_ok_and(|text| {
        text.lines().any(|line| {
            line.starts_with("-----BEGIN ")
                && line.trim_end().ends_with(&format!("{label_suffix}-----"))
        })
    })
}
