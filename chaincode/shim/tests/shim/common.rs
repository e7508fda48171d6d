//! Test harness: a small key-value chaincode exercising every stub
//! function, a server started on a free port, and test certificates.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use fabric_shim::mock_peer::{MockPeer, MockPeerOptions, serialized_identity};
use fabric_shim::server::{ServeError, ServerConfig, TlsConfig, serve_on_listener};
use fabric_shim::{
    Chaincode, ClientIdentity, InvokeError, KeyValue, Page, ResultsIterator, Stub,
    create_composite_key, split_composite_key,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256,
};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The package id the test server registers with.
pub const CHAINCODE_ID: &str = "kv:0123abcd";

/// A generic key-value chaincode; `args[0]` names the function.
pub struct KvChaincode;

fn arg(stub: &impl Stub, i: usize) -> Result<String, InvokeError> {
    let bytes = stub
        .args()
        .get(i)
        .ok_or_else(|| InvokeError::new(format!("argument {i} is missing")))?;
    Ok(String::from_utf8(bytes.clone())?)
}

impl Chaincode for KvChaincode {
    async fn init<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
        let value = arg(stub, 0)?;
        if value == "fail" {
            return Err(InvokeError::new("init refused"));
        }
        stub.put_state("initialized", value.as_bytes()).await?;
        Ok(b"init ok".to_vec())
    }

    async fn invoke<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
        let function = arg(stub, 0)?;
        match function.as_str() {
            "put" => {
                stub.put_state(&arg(stub, 1)?, arg(stub, 2)?.as_bytes())
                    .await?;
                Ok(b"ok".to_vec())
            }
            "get" => Ok(stub
                .get_state(&arg(stub, 1)?)
                .await?
                .ok_or_else(|| InvokeError::new("not found"))?),
            "del" => {
                stub.del_state(&arg(stub, 1)?).await?;
                Ok(b"ok".to_vec())
            }
            "put_many" => {
                let prefix = arg(stub, 1)?;
                let count: usize = arg(stub, 2)?.parse()?;
                for i in 0..count {
                    stub.put_state(&format!("{prefix}{i:05}"), format!("v{i}").as_bytes())
                        .await?;
                }
                Ok(b"ok".to_vec())
            }
            "put_composite" => {
                let attributes: Vec<String> = (2..stub.args().len())
                    .map(|i| arg(stub, i))
                    .collect::<Result<_, _>>()?;
                let refs: Vec<&str> = attributes.iter().map(String::as_str).collect();
                let key = create_composite_key(&arg(stub, 1)?, &refs)?;
                stub.put_state(&key, b"c").await?;
                Ok(b"ok".to_vec())
            }
            "range" => {
                let found = stub
                    .get_state_by_range(&arg(stub, 1)?, &arg(stub, 2)?)
                    .await?
                    .collect_all()
                    .await?;
                let pairs: Vec<_> = found
                    .into_iter()
                    .map(|kv| json!([kv.key, String::from_utf8_lossy(&kv.value)]))
                    .collect();
                Ok(serde_json::to_vec(&pairs)?)
            }
            // Reads the first `n` keys of a range, then closes the query
            // (`close`) or drops it (`drop`) and reads `after` (if given).
            "range_first" => {
                let n: usize = arg(stub, 3)?.parse()?;
                let mut query = stub
                    .get_state_by_range(&arg(stub, 1)?, &arg(stub, 2)?)
                    .await?;
                let mut keys = Vec::new();
                while keys.len() < n {
                    match query.next().await? {
                        Some(kv) => keys.push(kv.key),
                        None => break,
                    }
                }
                if arg(stub, 4)? == "close" {
                    query.close().await?;
                } else {
                    drop(query);
                }
                if let Ok(after) = arg(stub, 5) {
                    stub.get_state(&after).await?;
                }
                Ok(serde_json::to_vec(&keys)?)
            }
            "range_page" => {
                let page = stub
                    .get_state_by_range_with_pagination(
                        &arg(stub, 1)?,
                        &arg(stub, 2)?,
                        arg(stub, 3)?.parse()?,
                        &arg(stub, 4)?,
                    )
                    .await?;
                page_json(&page, |kv| json!(kv.key))
            }
            "partial_page" => {
                let page = stub
                    .get_state_by_partial_composite_key_with_pagination(
                        &arg(stub, 1)?,
                        &[&arg(stub, 2)?],
                        arg(stub, 3)?.parse()?,
                        &arg(stub, 4)?,
                    )
                    .await?;
                page_json(&page, |kv| {
                    json!(
                        split_composite_key(&kv.key)
                            .map(|(_, a)| a)
                            .unwrap_or_default()
                    )
                })
            }
            "partial" => {
                let attributes: Vec<String> = (2..stub.args().len())
                    .map(|i| arg(stub, i))
                    .collect::<Result<_, _>>()?;
                let refs: Vec<&str> = attributes.iter().map(String::as_str).collect();
                let found = stub
                    .get_state_by_partial_composite_key(&arg(stub, 1)?, &refs)
                    .await?
                    .collect_all()
                    .await?;
                let split: Vec<_> = found
                    .iter()
                    .map(|kv| split_composite_key(&kv.key).map(|(t, a)| json!([t, a])))
                    .collect::<Result<_, _>>()?;
                Ok(serde_json::to_vec(&split)?)
            }
            "history" => {
                let mut history = stub
                    .get_history_for_key(&arg(stub, 1)?)
                    .await?
                    .collect_all()
                    .await?;
                // The stub yields the newest modification first, as the peer
                // sends them; report them oldest first.
                history.reverse();
                let entries: Vec<_> = history
                    .into_iter()
                    .map(|m| {
                        json!({
                            "tx_id": m.tx_id,
                            "value": String::from_utf8_lossy(&m.value),
                            "is_delete": m.is_delete,
                            "seconds": m.timestamp.map(|t| t.seconds),
                        })
                    })
                    .collect();
                Ok(serde_json::to_vec(&entries)?)
            }
            "event" => {
                stub.set_event("replaced", b"first".to_vec());
                stub.set_event(&arg(stub, 1)?, arg(stub, 2)?.into_bytes());
                Ok(b"ok".to_vec())
            }
            "context" => {
                let creator = ClientIdentity::from_serialized(stub.creator())?;
                let transient: serde_json::Map<String, serde_json::Value> = stub
                    .transient()
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(String::from_utf8_lossy(v))))
                    .collect();
                Ok(serde_json::to_vec(&json!({
                    "tx_id": stub.tx_id(),
                    "channel_id": stub.channel_id(),
                    "seconds": stub.tx_timestamp().map(|t| t.seconds),
                    "msp_id": creator.msp_id(),
                    "certificate_der_len": creator.certificate_der().len(),
                    "transient": transient,
                    "args": stub.args().len(),
                }))?)
            }
            "fail_after_put" => {
                stub.put_state(&arg(stub, 1)?, b"should not stay").await?;
                stub.set_event("never", Vec::new());
                Err(InvokeError::new(format!("refused: {}", arg(stub, 2)?)))
            }
            "panic" => {
                stub.put_state("panicked", b"yes").await?;
                panic!("boom in {}", stub.tx_id());
            }
            "sleep_then_put" => {
                let key = arg(stub, 1)?;
                let millis: u64 = arg(stub, 3)?.parse()?;
                tokio::time::sleep(Duration::from_millis(millis)).await;
                if stub.get_state(&key).await?.is_some() {
                    return Err(InvokeError::new(format!("{key} already exists")));
                }
                stub.put_state(&key, arg(stub, 2)?.as_bytes()).await?;
                Ok(arg(stub, 2)?.into_bytes())
            }
            "get_sleep_put" => {
                // Reads first, so a test can see the transaction has started.
                let key = arg(stub, 1)?;
                let existing = stub.get_state(&key).await?;
                tokio::time::sleep(Duration::from_millis(arg(stub, 3)?.parse()?)).await;
                if existing.is_some() {
                    return Err(InvokeError::new(format!("{key} already exists")));
                }
                stub.put_state(&key, arg(stub, 2)?.as_bytes()).await?;
                Ok(b"ok".to_vec())
            }
            "concurrent_gets" => {
                let (first, second) = (arg(stub, 1)?, arg(stub, 2)?);
                let (a, b) = tokio::join!(stub.get_state(&first), stub.get_state(&second));
                let mut out = a?.unwrap_or_default();
                out.push(b'|');
                out.extend(b?.unwrap_or_default());
                Ok(out)
            }
            // `fail_with status message`: a failure with a chosen status (a
            // status that is no error status fails with 500 instead).
            "fail_with" => Err(InvokeError::with_status(
                arg(stub, 1)?.parse()?,
                arg(stub, 2)?,
            )?),
            other => Err(InvokeError::new(format!("unknown function {other:?}"))),
        }
    }
}

/// A running test server.
pub struct TestServer {
    pub address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<Result<(), ServeError>>,
}

impl TestServer {
    /// Triggers graceful shutdown and waits for `serve` to return.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), &mut self.handle)
            .await
            .expect("serve did not return after shutdown")
            .expect("serve task panicked")
    }

    /// Triggers graceful shutdown without waiting.
    pub fn request_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for `serve` to return.
    pub async fn stopped(self) -> Result<(), ServeError> {
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .expect("serve did not return")
            .expect("serve task panicked")
    }
}

/// Starts the key-value chaincode on a free local port.
pub async fn start(tls: Option<TlsConfig>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut config = ServerConfig::new(address, CHAINCODE_ID);
    config.tls = tls;
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(serve_on_listener(listener, config, KvChaincode, async {
        let _ = stopped.await;
    }));
    TestServer {
        address,
        stop: Some(stop),
        handle,
    }
}

/// A plain server and a connected mock peer with the given page size.
pub async fn start_with_peer(page_size: usize) -> (TestServer, MockPeer) {
    let server = start(None).await;
    let options = MockPeerOptions {
        page_size,
        ..MockPeerOptions::default()
    };
    let peer = MockPeer::connect_with(server.address, options)
        .await
        .unwrap();
    (server, peer)
}

/// A self-signed P-256 certificate (PEM) for an identity.
pub fn identity_certificate(common_name: &str) -> String {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.self_signed(&key).unwrap().pem()
}

/// A page as JSON: `{"results": [...], "fetched": n, "bookmark": "..."}`.
fn page_json(
    page: &Page<KeyValue>,
    result: impl Fn(&KeyValue) -> serde_json::Value,
) -> Result<Vec<u8>, InvokeError> {
    let results: Vec<_> = page.results.iter().map(result).collect();
    Ok(serde_json::to_vec(&json!({
        "results": results,
        "fetched": page.fetched_records_count,
        "bookmark": page.bookmark,
    }))?)
}

/// A creator (serialized identity bytes) and the identity it parses to.
pub fn creator(common_name: &str) -> (Vec<u8>, ClientIdentity) {
    let pem = identity_certificate(common_name);
    let identity = ClientIdentity::from_pem("Org1MSP", &pem).unwrap();
    (serialized_identity("Org1MSP", &pem), identity)
}

/// A certificate authority for TLS tests.
pub struct TestCa {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its private key, PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    fn issue(&self, names: Vec<String>, purpose: ExtendedKeyUsagePurpose) -> Issued {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "test");
        params.extended_key_usages = vec![purpose];
        Issued {
            cert_pem: params.signed_by(&key, &self.issuer).unwrap().pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A server certificate for `localhost`.
    pub fn server(&self) -> Issued {
        self.issue(
            vec!["localhost".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate.
    pub fn client(&self) -> Issued {
        self.issue(Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// Parses a JSON chaincode response.
pub fn json(payload: &[u8]) -> serde_json::Value {
    serde_json::from_slice(payload).unwrap()
}

/// Asserts the stream still serves a transaction writing `key`.
pub async fn assert_put_works(peer: &MockPeer, key: &str) {
    let (alice, _) = creator("alice");
    let done = peer
        .invoke(
            &alice,
            &[b"put", key.as_bytes(), b"v"],
            &std::collections::BTreeMap::new(),
        )
        .await
        .unwrap();
    assert_eq!(done.response.status, 200, "{}", done.response.message);
    assert_eq!(peer.state(key).unwrap(), b"v");
}

/// Waits until the chaincode has sent `count` messages of type `kind`.
pub async fn wait_for_requests(
    peer: &MockPeer,
    kind: fabric_protos::protos::chaincode_message::Type,
    count: usize,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while peer.received_count(kind) < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the chaincode never sent {count} {kind:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
