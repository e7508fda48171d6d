//! Kubo's RPC API (`POST /api/v0/…` over HTTP/1.1): the four calls a file
//! store needs — `version`, `block/put`, `block/get`, `pin/add`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cid::Cid;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;

use crate::block::DAG_PB;
use crate::{IpfsError, MAX_BLOCK_BYTES};

/// The default time limit of one API call.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest JSON answer read.
const MAX_JSON_BYTES: usize = 64 * 1024;

/// A client of one Kubo node's RPC API. Cloning shares its connection pool.
#[derive(Debug, Clone)]
pub struct KuboClient {
    url: String,
    client: Arc<Client<HttpConnector, Full<Bytes>>>,
    timeout: Duration,
}

/// Kubo's error answer.
#[derive(Deserialize)]
struct KuboError {
    #[serde(rename = "Message")]
    message: String,
}

impl KuboClient {
    /// A client of the API at `url` (`http://127.0.0.1:5001`; a trailing
    /// `/` or `/api/v0` is accepted). Nothing is sent until the first call.
    pub fn new(url: &str) -> Result<Self, IpfsError> {
        let base = url
            .trim_end_matches('/')
            .trim_end_matches("/api/v0")
            .to_owned();
        let uri: Uri = base
            .parse()
            .map_err(|_| IpfsError::InvalidUrl(url.to_owned()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() || uri.path().len() > 1 {
            return Err(IpfsError::InvalidUrl(url.to_owned()));
        }
        let client = Arc::new(Client::builder(TokioExecutor::new()).build_http());
        Ok(Self {
            url: base,
            client,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client with another time limit per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The API address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The node's Kubo version (`/api/v0/version`): a cheap check that it
    /// is up.
    pub async fn version(&self) -> Result<String, IpfsError> {
        #[derive(Deserialize)]
        struct Version {
            #[serde(rename = "Version")]
            version: String,
        }
        let body = self
            .call("version", Full::default(), None, MAX_JSON_BYTES)
            .await?;
        let v: Version = json(&body)?;
        Ok(v.version)
    }

    pub(super) async fn block_put(&self, cid: &Cid, block: Vec<u8>) -> Result<(), IpfsError> {
        #[derive(Deserialize)]
        struct Put {
            #[serde(rename = "Key")]
            key: String,
        }
        let codec = if cid.codec() == DAG_PB {
            "dag-pb"
        } else {
            "raw"
        };
        let boundary = format!("medchain-{:016x}", OsRng.next_u64());
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"block\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&block);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let answer = self
            .call(
                &format!("block/put?cid-codec={codec}&mhtype=sha2-256&pin=false"),
                Full::new(Bytes::from(body)),
                Some(&boundary),
                MAX_JSON_BYTES,
            )
            .await?;
        let put: Put = json(&answer)?;
        let expected = cid.to_string();
        if put.key != expected {
            return Err(IpfsError::WrongCid {
                expected,
                got: put.key,
            });
        }
        Ok(())
    }

    pub(super) async fn block_get(&self, cid: &Cid) -> Result<Vec<u8>, IpfsError> {
        // Kubo waits for a missing block (asking its peers) until the call's
        // own timeout; ask it to give up a little before this client does,
        // so the answer is Kubo's own error rather than a cut connection.
        let secs = self.timeout.as_secs().saturating_sub(1).max(1);
        let bytes = self
            .call(
                &format!("block/get?arg={cid}&timeout={secs}s"),
                Full::default(),
                None,
                MAX_BLOCK_BYTES,
            )
            .await?;
        Ok(bytes.to_vec())
    }

    pub(super) async fn pin(&self, root: &Cid) -> Result<(), IpfsError> {
        self.call(
            &format!("pin/add?arg={root}&recursive=true"),
            Full::default(),
            None,
            MAX_JSON_BYTES,
        )
        .await?;
        Ok(())
    }

    /// `POST /api/v0/PATH` with `body` (multipart with `boundary`), reading
    /// at most `limit` bytes of a successful answer.
    async fn call(
        &self,
        path: &str,
        body: Full<Bytes>,
        boundary: Option<&str>,
        limit: usize,
    ) -> Result<Bytes, IpfsError> {
        let uri = format!("{}/api/v0/{path}", self.url);
        let mut request = Request::builder().method(Method::POST).uri(&uri);
        if let Some(boundary) = boundary {
            request = request.header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            );
        }
        let request = request
            .body(body)
            .map_err(|_| IpfsError::InvalidUrl(self.url.clone()))?;
        let exchange = async {
            let response =
                self.client
                    .request(request)
                    .await
                    .map_err(|e| IpfsError::Unreachable {
                        url: self.url.clone(),
                        reason: source_chain(&e),
                    })?;
            let status = response.status();
            let collected = Limited::new(response.into_body(), limit.max(MAX_JSON_BYTES))
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        IpfsError::BlockTooLarge {
                            size: limit as u64 + 1,
                            limit: limit as u64,
                        }
                    } else {
                        IpfsError::BadResponse(e.to_string())
                    }
                })?
                .to_bytes();
            Ok::<_, IpfsError>((status, collected))
        };
        let (status, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| IpfsError::Timeout {
                url: self.url.clone(),
                seconds: self.timeout.as_secs(),
            })??;
        if status != StatusCode::OK {
            let message = serde_json::from_slice::<KuboError>(&body)
                .map(|e| e.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(IpfsError::Node {
                status: status.as_u16(),
                message,
            });
        }
        Ok(body)
    }
}

/// A JSON answer of the node.
fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, IpfsError> {
    serde_json::from_slice(body).map_err(|e| IpfsError::BadResponse(e.to_string()))
}

/// An error and its sources, for the "unreachable" sentence.
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
