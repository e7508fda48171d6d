//! The gRPC connection to a gateway peer.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use super::error::ConnectError;
use super::tls::TlsSettings;

/// Where and how to reach a gateway peer.
#[derive(Debug, Clone)]
pub struct PeerEndpoint {
    address: String,
    tls: Option<TlsSettings>,
    connect_timeout: Duration,
    keep_alive_interval: Duration,
}

impl PeerEndpoint {
    /// The default time allowed to establish the connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default HTTP/2 keep-alive ping interval, which keeps long-lived
    /// event streams open through idle periods.
    pub const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(60);

    /// A peer at `address` (`host:port`, or a `http://` / `https://` URL),
    /// without TLS.
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            tls: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            keep_alive_interval: Self::DEFAULT_KEEP_ALIVE_INTERVAL,
        }
    }

    /// Connects with TLS.
    pub fn with_tls(mut self, tls: TlsSettings) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets the time allowed to establish the connection.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the HTTP/2 keep-alive ping interval.
    pub fn with_keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval;
        self
    }

    /// The address as given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The URL dialled: the address with `https://` (TLS) or `http://`
    /// added when it has no scheme.
    pub fn url(&self) -> Result<String, ConnectError> {
        let invalid = |reason: &str| ConnectError::InvalidAddress {
            address: self.address.clone(),
            reason: reason.to_owned(),
        };
        let address = self.address.trim();
        if address.is_empty() {
            return Err(invalid("it is empty"));
        }
        match (address.split_once("://"), self.tls.is_some()) {
            (None, true) => Ok(format!("https://{address}")),
            (None, false) => Ok(format!("http://{address}")),
            (Some(("https", _)), true) | (Some(("http", _)), false) => Ok(address.to_owned()),
            (Some(("http", _)), true) => Err(invalid(
                "it says http:// but TLS settings are given; use https:// or drop the scheme",
            )),
            (Some(("https", _)), false) => Err(invalid(
                "it says https:// but no TLS settings are given; add the TLS CA certificate",
            )),
            (Some(_), _) => Err(invalid("the scheme must be http:// or https://")),
        }
    }

    fn endpoint(&self) -> Result<Endpoint, ConnectError> {
        let url = self.url()?;
        let mut endpoint =
            Endpoint::from_shared(url).map_err(|e| ConnectError::InvalidAddress {
                address: self.address.clone(),
                reason: error_chain(&e),
            })?;
        endpoint = endpoint
            .connect_timeout(self.connect_timeout)
            .http2_keep_alive_interval(self.keep_alive_interval)
            .keep_alive_while_idle(true)
            .tcp_nodelay(true);
        if let Some(tls) = &self.tls {
            endpoint = endpoint
                .tls_config(tls.to_tonic())
                .map_err(|e| ConnectError::Tls(error_chain(&e)))?;
        }
        Ok(endpoint)
    }

    /// Connects now, failing if the peer cannot be reached.
    pub async fn connect(&self) -> Result<Channel, ConnectError> {
        self.endpoint()?
            .connect()
            .await
            .map_err(|e| ConnectError::Unreachable {
                address: self.address.clone(),
                reason: error_chain(&e),
            })
    }

    /// Returns a channel that connects on first use (and reconnects after a
    /// failure); connection errors surface on the calls. Must be called
    /// from within a tokio runtime.
    pub fn connect_lazy(&self) -> Result<Channel, ConnectError> {
        Ok(self.endpoint()?.connect_lazy())
    }
}

/// An error and its sources, joined with ": ".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
