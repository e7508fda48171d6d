//! The errors of every CA operation.

use std::path::PathBuf;

/// Why a Fabric CA operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The CA URL is not `https://host[:port][/path]`.
    #[error("the CA URL {url:?} is not https://host[:port][/path]")]
    InvalidUrl {
        /// The URL as given.
        url: String,
    },
    /// The TLS trust anchors given for the CA cannot be used.
    #[error("the CA's TLS certificates are unusable: {0}")]
    TlsCa(String),
    /// No TCP connection to the CA could be made.
    #[error("cannot connect to the CA at {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TLS handshake failed (e.g. the server certificate is not trusted).
    #[error("the TLS handshake with the CA at {address} failed: {source}")]
    Tls {
        /// `host:port`.
        address: String,
        /// The rustls error, as an I/O error.
        source: std::io::Error,
    },
    /// The HTTP exchange failed after the connection was made.
    #[error("the HTTP exchange with the CA failed: {0}")]
    Http(String),
    /// The CA did not answer in time.
    #[error("the CA did not answer within {seconds}s")]
    Timeout {
        /// The time limit.
        seconds: u64,
    },
    /// The CA refused the request; `code` and `message` are the CA's own
    /// (the first entry of the response's `errors`).
    #[error("the CA refused the request (code {code}): {message}")]
    Server {
        /// Fabric CA's error code (e.g. 20 for an authentication failure).
        code: i64,
        /// Fabric CA's error message.
        message: String,
        /// The HTTP status of the response.
        status: u16,
    },
    /// The CA answered with an HTTP status and no Fabric CA response body.
    #[error("the CA answered HTTP {status} without a Fabric CA response: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The CA's response could not be understood.
    #[error("the CA's response is not understood: {0}")]
    Parse(String),
    /// A certificate or private key is unusable.
    #[error("the key or certificate is unusable: {0}")]
    Credential(String),
    /// The certificate signing request could not be built.
    #[error("cannot build the certificate signing request: {0}")]
    Csr(String),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl CaError {
    /// The CA's error code when the CA refused the request.
    pub fn server_code(&self) -> Option<i64> {
        match self {
            Self::Server { code, .. } => Some(*code),
            _ => None,
        }
    }
}
