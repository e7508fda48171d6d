//! TLS to the gateway peer: the organisation's TLS CA, a server-name
//! override when dialling 127.0.0.1, and mutual TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::net::SocketAddr;
use std::time::Duration;

use fabric_gateway::mock::Org;
use fabric_gateway::mock::pki::{Issued, TestCa};
use fabric_gateway::{ConnectError, Gateway, PeerEndpoint, TlsSettings};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use zeroize::Zeroizing;

const PEER: &str = "peer0.org1.example.com";

struct Tls {
    ca: TestCa,
    server: Issued,
}

impl Tls {
    fn new() -> Self {
        let ca = TestCa::new("tlsca.org1.example.com");
        let server = ca.issue_tls_server(&[PEER]);
        Self { ca, server }
    }

    fn server_config(&self, require_client_certificate: bool) -> ServerTlsConfig {
        let config = ServerTlsConfig::new().identity(Identity::from_pem(
            &self.server.certificate_pem,
            &self.server.key_pem,
        ));
        if require_client_certificate {
            config.client_ca_root(Certificate::from_pem(&self.ca.certificate_pem))
        } else {
            config
        }
    }
}

async fn serve(org: &Org, config: ServerTlsConfig) -> SocketAddr {
    org.mock_gateway().serve(Some(config)).await
}

async fn whoami(org: &Org, endpoint: &PeerEndpoint) -> Result<Vec<u8>, String> {
    let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
    let gateway = Gateway::from_credentials(channel, org.credentials());
    let contract = gateway.network("mychannel").contract("basic");
    contract
        .evaluate("whoami", &[])
        .await
        .map_err(|e| e.to_string())
}

fn endpoint(address: SocketAddr, tls: TlsSettings) -> PeerEndpoint {
    PeerEndpoint::new(address.to_string())
        .with_tls(tls)
        .with_connect_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn tls_with_a_server_name_override() {
    let org = Org::new();
    let tls = Tls::new();
    let address = serve(&org, tls.server_config(false)).await;

    let settings = TlsSettings::new(tls.ca.certificate_pem.clone())
        .unwrap()
        .with_server_name(PEER);
    assert_eq!(settings.server_name(), Some(PEER));
    let endpoint = endpoint(address, settings);
    assert_eq!(endpoint.url().unwrap(), format!("https://{address}"));
    assert_eq!(whoami(&org, &endpoint).await.unwrap(), b"Org1MSP");

    // The certificate names peer0.org1.example.com, not 127.0.0.1.
    let without_override = TlsSettings::new(tls.ca.certificate_pem.clone()).unwrap();
    let error = whoami(&org, &self::endpoint(address, without_override))
        .await
        .unwrap_err();
    assert!(error.contains("cannot connect"), "{error}");

    // A CA that did not issue the server certificate is not trusted.
    let other_ca = TestCa::new("tlsca.other.example.com");
    let wrong = TlsSettings::new(other_ca.certificate_pem)
        .unwrap()
        .with_server_name(PEER);
    let error = whoami(&org, &self::endpoint(address, wrong))
        .await
        .unwrap_err();
    assert!(error.contains("cannot connect"), "{error}");
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let org = Org::new();
    let tls = Tls::new();
    let address = serve(&org, tls.server_config(true)).await;
    let client = tls.ca.issue_tls_client("User1@org1.example.com");

    let dir = tempfile::tempdir().unwrap();
    let (ca_file, cert_file, key_file) = (
        dir.path().join("ca.crt"),
        dir.path().join("client.crt"),
        dir.path().join("client.key"),
    );
    fs::write(&ca_file, &tls.ca.certificate_pem).unwrap();
    fs::write(&cert_file, &client.certificate_pem).unwrap();
    fs::write(&key_file, &client.key_pem).unwrap();

    let mutual = TlsSettings::from_ca_file(&ca_file)
        .unwrap()
        .with_client_certificate_files(&cert_file, &key_file)
        .unwrap()
        .with_server_name(PEER);
    assert!(mutual.has_client_certificate());
    assert_eq!(
        whoami(&org, &endpoint(address, mutual)).await.unwrap(),
        b"Org1MSP"
    );

    let in_memory = TlsSettings::new(tls.ca.certificate_pem.clone())
        .unwrap()
        .with_client_certificate(
            client.certificate_pem.clone(),
            Zeroizing::new(client.key_pem.clone().into_bytes()),
        )
        .unwrap()
        .with_server_name(PEER);
    assert_eq!(
        whoami(&org, &endpoint(address, in_memory)).await.unwrap(),
        b"Org1MSP"
    );

    let one_way = TlsSettings::new(tls.ca.certificate_pem.clone())
        .unwrap()
        .with_server_name(PEER);
    assert!(whoami(&org, &endpoint(address, one_way)).await.is_err());
}

#[test]
fn bad_tls_material_is_rejected_with_a_clear_message() {
    let error = TlsSettings::new("not a certificate").unwrap_err();
    assert!(matches!(error, ConnectError::Tls(_)), "{error}");
    assert!(error.to_string().contains("TLS CA certificate"), "{error}");

    let ca = TestCa::new("tlsca");
    let client = ca.issue_tls_client("c");
    let error = TlsSettings::new(ca.certificate_pem.clone())
        .unwrap()
        .with_client_certificate(
            client.certificate_pem.clone(),
            Zeroizing::new(b"nope".to_vec()),
        )
        .unwrap_err();
    assert!(
        error.to_string().contains("not a PEM private key"),
        "{error}"
    );

    let dir = tempfile::tempdir().unwrap();
    let error = TlsSettings::from_ca_file(&dir.path().join("missing.pem")).unwrap_err();
    assert!(matches!(error, ConnectError::Read { .. }), "{error}");
    assert!(error.to_string().contains("missing.pem"), "{error}");

    let settings = TlsSettings::new(ca.certificate_pem.clone())
        .unwrap()
        .with_client_certificate(
            client.certificate_pem.clone(),
            Zeroizing::new(client.key_pem.clone().into_bytes()),
        )
        .unwrap();
    let shown = format!("{settings:?}");
    let key_body: String = client
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!shown.contains(&key_body[..40]), "{shown}");
}

#[test]
fn addresses_and_schemes_must_agree_with_the_tls_settings() {
    let ca = TestCa::new("tlsca");
    let tls = || TlsSettings::new(ca.certificate_pem.clone()).unwrap();
    assert_eq!(
        PeerEndpoint::new("localhost:7051").url().unwrap(),
        "http://localhost:7051"
    );
    assert_eq!(
        PeerEndpoint::new("localhost:7051")
            .with_tls(tls())
            .url()
            .unwrap(),
        "https://localhost:7051"
    );
    assert_eq!(
        PeerEndpoint::new("https://p:1")
            .with_tls(tls())
            .url()
            .unwrap(),
        "https://p:1"
    );
    for (endpoint, reason) in [
        (
            PeerEndpoint::new("http://p:1").with_tls(tls()),
            "use https://",
        ),
        (
            PeerEndpoint::new("https://p:1"),
            "add the TLS CA certificate",
        ),
        (PeerEndpoint::new("grpc://p:1"), "http:// or https://"),
        (PeerEndpoint::new(" "), "empty"),
    ] {
        let error = endpoint.url().unwrap_err();
        assert!(
            matches!(error, ConnectError::InvalidAddress { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(reason), "{error}");
    }
}
