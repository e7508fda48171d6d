//! TLS and mutual TLS between the peer and the chaincode server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TestCa, assert_put_works, start};
use fabric_shim::mock_peer::{MockPeer, MockPeerError, MockPeerOptions, PeerTls};
use fabric_shim::server::TlsConfig;
use zeroize::Zeroizing;

fn peer_tls(ca: &TestCa, client: Option<&crate::common::Issued>) -> MockPeerOptions {
    MockPeerOptions {
        tls: Some(PeerTls {
            server_ca_pem: ca.pem.clone().into_bytes(),
            server_name: "localhost".into(),
            client_identity: client.map(|c| {
                (
                    c.cert_pem.clone().into_bytes(),
                    Zeroizing::new(c.key_pem.clone().into_bytes()),
                )
            }),
        }),
        ..MockPeerOptions::default()
    }
}

#[tokio::test]
async fn tls_server_accepts_tls_peers_and_refuses_plain_text() {
    let ca = TestCa::new("server CA");
    let server_cert = ca.server();
    let tls = TlsConfig::new(
        server_cert.cert_pem.into_bytes(),
        server_cert.key_pem.into_bytes(),
        None,
    );
    let server = start(Some(tls)).await;

    let peer = MockPeer::connect_with(server.address, peer_tls(&ca, None))
        .await
        .unwrap();
    assert_put_works(&peer, "k").await;

    let plain = MockPeer::connect(server.address).await;
    assert!(plain.is_err(), "a plain-text peer must not get through");

    let other_ca = TestCa::new("another CA");
    let untrusting = MockPeer::connect_with(server.address, peer_tls(&other_ca, None)).await;
    assert!(
        matches!(untrusting, Err(MockPeerError::Connect(_))),
        "{untrusting:?}"
    );

    drop(peer);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_configured_ca() {
    let server_ca = TestCa::new("server CA");
    let client_ca = TestCa::new("peer client CA");
    let rogue_ca = TestCa::new("rogue CA");
    let server_cert = server_ca.server();
    let tls = TlsConfig::new(
        server_cert.cert_pem.into_bytes(),
        server_cert.key_pem.into_bytes(),
        Some(client_ca.pem.clone().into_bytes()),
    );
    assert!(tls.requires_client_certificates());
    let server = start(Some(tls)).await;

    let good_client = client_ca.client();
    let peer = MockPeer::connect_with(server.address, peer_tls(&server_ca, Some(&good_client)))
        .await
        .unwrap();
    assert_put_works(&peer, "k").await;

    let no_cert = MockPeer::connect_with(server.address, peer_tls(&server_ca, None)).await;
    let refusal = no_cert.expect_err("a peer without a client certificate must be refused");
    assert!(
        refusal.to_string().contains("CertificateRequired"),
        "{refusal}"
    );

    let rogue_client = rogue_ca.client();
    let rogue =
        MockPeer::connect_with(server.address, peer_tls(&server_ca, Some(&rogue_client))).await;
    let refusal = rogue.expect_err("a client certificate from another CA must be refused");
    assert!(refusal.to_string().contains("UnknownCA"), "{refusal}");

    // The refusals did not disturb the accepted peer.
    assert_put_works(&peer, "k").await;
    drop(peer);
    server.shutdown().await.unwrap();
}
