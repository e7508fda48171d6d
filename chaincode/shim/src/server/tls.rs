//! TLS material of the chaincode server: its certificate and key, and the
//! CA whose certificates peers must present when mutual TLS is on.

use std::fmt;

use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use zeroize::Zeroizing;

/// The server's TLS certificate and key (PEM), and optionally the CA that
/// signs the peers' client certificates (which turns on mutual TLS).
#[derive(Clone)]
pub struct TlsConfig {
    certificate_pem: Vec<u8>,
    key_pem: Zeroizing<Vec<u8>>,
    client_ca_pem: Option<Vec<u8>>,
}

impl TlsConfig {
    /// TLS with the given PEM certificate (chain) and private key. With
    /// `client_ca_pem`, every peer must present a certificate issued by that
    /// CA (mutual TLS); without it, peers connect without a certificate.
    pub fn new(certificate_pem: Vec<u8>, key_pem: Vec<u8>, client_ca_pem: Option<Vec<u8>>) -> Self {
        Self {
            certificate_pem,
            key_pem: Zeroizing::new(key_pem),
            client_ca_pem,
        }
    }

    /// Whether peers must present a client certificate.
    pub fn requires_client_certificates(&self) -> bool {
        self.client_ca_pem.is_some()
    }

    /// The tonic server TLS settings.
    pub(crate) fn server_tls_config(&self) -> ServerTlsConfig {
        let identity = Identity::from_pem(&self.certificate_pem, self.key_pem.as_slice());
        let config = ServerTlsConfig::new().identity(identity);
        match &self.client_ca_pem {
            Some(ca) => config.client_ca_root(Certificate::from_pem(ca)),
            None => config,
        }
    }

    /// Checks that the material forms a working TLS server configuration
    /// (parsable certificate, key matching it, usable client CA), returning
    /// the reason when it does not.
    pub(crate) fn check(&self) -> Result<(), String> {
        Server::builder()
            .tls_config(self.server_tls_config())
            .map(|_| ())
            .map_err(|e| error_chain(&e))
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("certificate_pem_len", &self.certificate_pem.len())
            .field("key_pem", &"<redacted>")
            .field("mutual_tls", &self.client_ca_pem.is_some())
            .finish()
    }
}

/// Whether `pem` holds at least one PEM block whose label ends with `label`
/// (e.g. `CERTIFICATE`, `PRIVATE KEY`).
pub(crate) fn has_pem_block(pem: &[u8], label: &str) -> bool {
    let Ok(text) = std::str::from_utf8(pem) else {
        return false;
    };
    text.lines().any(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
            .is_some_and(|found| found.ends_with(label))
    })
}

/// An error and its sources on one line.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_labels() {
        let cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let key = b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(has_pem_block(cert, "CERTIFICATE"));
        assert!(!has_pem_block(cert, "PRIVATE KEY"));
        assert!(has_pem_block(key, "PRIVATE KEY"));
        assert!(!has_pem_block(b"not pem", "CERTIFICATE"));
        assert!(!has_pem_block(&[0xff, 0xfe], "CERTIFICATE"));
    }

    #[test]
    fn debug_hides_the_key() {
        let tls = TlsConfig::new(b"cert".to_vec(), b"very secret key".to_vec(), None);
        let shown = format!("{tls:?}");
        assert!(!shown.contains("very secret key"));
        assert!(shown.contains("redacted"));
    }
}
