//! HTTP/1.1 over TLS to the CA: one connection per request, and Fabric CA's
//! response envelope.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;

use crate::CaError;

/// Where the CA is and how to reach it.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The URL's path without a trailing slash ("" or "/prefix").
    pub(crate) prefix: String,
    pub(crate) tls: Arc<ClientConfig>,
    pub(crate) timeout: Duration,
}

/// Fabric CA's response envelope.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    result: serde_json::Value,
    #[serde(default)]
    errors: Vec<ServerMessage>,
}

#[derive(Deserialize)]
struct ServerMessage {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

impl Endpoint {
    /// The request URI (what Fabric CA's token signs) of an API path such as
    /// `/api/v1/enroll`.
    pub(crate) fn uri(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// Sends `method` to the request URI `uri` with `body` (JSON, empty for
    /// a GET) and an optional `Authorization` header; returns the
    /// envelope's `result`.
    pub(crate) async fn send(
        &self,
        method: hyper::Method,
        uri: &str,
        body: Vec<u8>,
        authorization: Option<HeaderValue>,
    ) -> Result<serde_json::Value, CaError> {
        let seconds = self.timeout.as_secs();
        tokio::time::timeout(
            self.timeout,
            self.exchange(method, uri, body, authorization),
        )
        .await
        .map_err(|_| CaError::Timeout { seconds })?
    }

    async fn exchange(
        &self,
        method: hyper::Method,
        uri: &str,
        body: Vec<u8>,
        authorization: Option<HeaderValue>,
    ) -> Result<serde_json::Value, CaError> {
        let address = format!("{}:{}", self.host, self.port);
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|source| CaError::Connect {
                address: address.clone(),
                source,
            })?;
        let name = ServerName::try_from(self.host.clone()).map_err(|_| CaError::InvalidUrl {
            url: self.host.clone(),
        })?;
        let tls = TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|source| CaError::Tls {
                address: address.clone(),
                source,
            })?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| CaError::Http(e.to_string()))?;
        let driver = tokio::spawn(connection);

        let mut request = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header(HOST, address.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| CaError::Http(e.to_string()))?;
        if let Some(mut value) = authorization {
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| CaError::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| CaError::Http(e.to_string()))?
            .to_bytes();
        drop(sender);
        driver.abort();
        read_envelope(status, &bytes)
    }
}

/// The `result` of a Fabric CA response, or the CA's first error.
pub(crate) fn read_envelope(status: u16, bytes: &[u8]) -> Result<serde_json::Value, CaError> {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes) else {
        let text = String::from_utf8_lossy(bytes);
        return Err(CaError::Status {
            status,
            body: text.chars().take(200).collect(),
        });
    };
    if let Some(first) = envelope.errors.into_iter().next() {
        return Err(CaError::Server {
            code: first.code,
            message: first.message,
            status,
        });
    }
    if !envelope.success || !(200..300).contains(&status) {
        return Err(CaError::Status {
            status,
            body: "a response with success=false and no errors".into(),
        });
    }
    Ok(envelope.result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_of_the_envelope_is_the_servers() {
        let body = br#"{"result":"","errors":[{"code":20,"message":"Authentication failure"}],"messages":[],"success":false}"#;
        match read_envelope(401, body) {
            Err(CaError::Server {
                code,
                message,
                status,
            }) => {
                assert_eq!(
                    (code, message.as_str(), status),
                    (20, "Authentication failure", 401)
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_body_that_is_not_an_envelope_is_a_status_error() {
        assert!(matches!(
            read_envelope(502, b"<html>bad gateway</html>"),
            Err(CaError::Status { status: 502, .. })
        ));
        assert_eq!(
            read_envelope(200, br#"{"success":true,"result":{"a":1},"errors":[]}"#).unwrap()["a"],
            1
        );
    }
}
