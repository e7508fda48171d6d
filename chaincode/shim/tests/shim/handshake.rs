//! The Connect handshake, KEEPALIVE, several peers, graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{CHAINCODE_ID, assert_put_works, creator, start, wait_for_requests};
use fabric_protos::protos::chaincode_client::ChaincodeClient;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeId, ChaincodeMessage, Response};
use fabric_shim::mock_peer::MockPeer;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Endpoint;

const WAIT: Duration = Duration::from_secs(5);

fn message(kind: Type) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: kind as i32,
        ..Default::default()
    }
}

/// Drives the handshake by hand with the tonic client generated from
/// Fabric's protos, as a Fabric peer's generated Go client would.
#[tokio::test]
async fn generated_client_sees_register_and_the_handshake_order_is_enforced() {
    let server = start(None).await;
    let channel = Endpoint::from_shared(format!("http://{}", server.address))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let (to_chaincode, queue) = mpsc::channel(16);
    let mut from_chaincode = ChaincodeClient::new(channel)
        .connect(ReceiverStream::new(queue))
        .await
        .unwrap()
        .into_inner();
    let mut next = async || {
        tokio::time::timeout(WAIT, from_chaincode.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
    };

    let register = next().await;
    assert_eq!(register.r#type, Type::Register as i32);
    assert_eq!(
        ChaincodeId::decode(register.payload.as_slice())
            .unwrap()
            .name,
        CHAINCODE_ID
    );

    // KEEPALIVE is echoed in every state.
    to_chaincode.send(message(Type::Keepalive)).await.unwrap();
    assert_eq!(next().await.r#type, Type::Keepalive as i32);

    // Before REGISTERED / READY, anything else gets ERROR and the stream goes on.
    let (creator_bytes, _) = creator("alice");
    let mut early = message(Type::Transaction);
    early.txid = "early".into();
    to_chaincode.send(early).await.unwrap();
    let error = next().await;
    assert_eq!(error.r#type, Type::Error as i32);
    assert_eq!(error.txid, "early");
    assert!(
        String::from_utf8_lossy(&error.payload)
            .contains("cannot handle TRANSACTION while waiting for REGISTERED")
    );

    to_chaincode.send(message(Type::Registered)).await.unwrap();
    to_chaincode.send(message(Type::Registered)).await.unwrap();
    let error = next().await;
    assert!(
        String::from_utf8_lossy(&error.payload)
            .contains("cannot handle REGISTERED while waiting for READY")
    );
    to_chaincode.send(message(Type::Ready)).await.unwrap();

    // Ready: a real transaction completes.
    let peer_side = MockPeer::connect(server.address).await.unwrap();
    let tx = peer_side.transaction_message(&creator_bytes, &[b"context"], &BTreeMap::new());
    to_chaincode.send(tx.clone()).await.unwrap();
    let completed = next().await;
    assert_eq!(completed.r#type, Type::Completed as i32);
    assert_eq!(
        (completed.txid.as_str(), completed.channel_id.as_str()),
        (tx.txid.as_str(), "mychannel")
    );
    assert_eq!(
        Response::decode(completed.payload.as_slice())
            .unwrap()
            .status,
        200
    );
    drop(peer_side);
    drop(to_chaincode);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn mock_peer_handshake_and_keepalive() {
    let server = start(None).await;
    let peer = MockPeer::connect(server.address).await.unwrap();
    assert_eq!(peer.chaincode_id(), CHAINCODE_ID);

    peer.send_message(message(Type::Keepalive)).await.unwrap();
    let echo = peer
        .next_unsolicited(WAIT)
        .await
        .expect("no KEEPALIVE echo");
    assert_eq!(echo.r#type, Type::Keepalive as i32);

    // The stream is fully usable afterwards.
    assert_put_works(&peer, "k").await;
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn several_peers_are_served_at_once() {
    let server = start(None).await;
    let (alice, _) = creator("alice");
    let peers: Vec<MockPeer> =
        futures::future::try_join_all((0..3).map(|_| MockPeer::connect(server.address)))
            .await
            .unwrap();
    let runs = peers.iter().enumerate().map(|(i, peer)| {
        let alice = alice.clone();
        async move {
            let key = format!("peer{i}");
            let args: [&[u8]; 4] = [b"sleep_then_put", key.as_bytes(), key.as_bytes(), b"50"];
            peer.invoke(&alice, &args, &BTreeMap::new()).await
        }
    });
    let results = futures::future::try_join_all(runs).await.unwrap();
    for (i, (peer, result)) in peers.iter().zip(results).enumerate() {
        assert_eq!(result.response.status, 200, "{}", result.response.message);
        // Each peer has its own ledger, as separate peers do.
        assert_eq!(peer.world_state().len(), 1);
        assert_eq!(
            peer.state(&format!("peer{i}")).unwrap(),
            format!("peer{i}").as_bytes()
        );
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_finishes_running_transactions_refuses_new_ones_and_closes_streams() {
    let mut server = start(None).await;
    let peer = MockPeer::connect(server.address).await.unwrap();
    let (alice, _) = creator("alice");

    let none = BTreeMap::new();
    let running = peer.invoke(&alice, &[b"get_sleep_put", b"slow", b"done", b"500"], &none);
    let shutdown_then_more = async {
        // Shut down once the transaction is running on the server.
        wait_for_requests(&peer, Type::GetState, 1).await;
        server.request_shutdown();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let late = peer.transaction_message(&alice, &[b"put", b"late", b"x"], &BTreeMap::new());
        peer.send_message(late.clone()).await.unwrap();
        (
            late,
            peer.next_unsolicited(WAIT)
                .await
                .expect("no reply to the late transaction"),
        )
    };
    let (finished, (late, refusal)) = tokio::join!(running, shutdown_then_more);

    let finished = finished.unwrap();
    assert_eq!(
        finished.response.status, 200,
        "{}",
        finished.response.message
    );
    assert_eq!(peer.state("slow").unwrap(), b"done");
    assert_eq!(refusal.r#type, Type::Error as i32);
    assert_eq!(refusal.txid, late.txid);
    assert!(String::from_utf8_lossy(&refusal.payload).contains("shutting down"));

    server.stopped().await.unwrap();
    assert!(peer.is_closed(), "the stream must be closed after shutdown");
    assert!(peer.state("late").is_none());
}

#[tokio::test]
async fn peer_disconnect_aborts_its_transactions_but_not_the_server() {
    let server = start(None).await;
    let (alice, _) = creator("alice");
    let first = MockPeer::connect(server.address).await.unwrap();
    let slow = first.transaction_message(
        &alice,
        &[b"sleep_then_put", b"k", b"v", b"10000"],
        &BTreeMap::new(),
    );
    first.send_message(slow).await.unwrap();
    drop(first);

    let second = MockPeer::connect(server.address).await.unwrap();
    let done = second
        .invoke(&alice, &[b"put", b"a", b"b"], &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(done.response.status, 200);
    // Shutdown does not wait for the abandoned 10 s transaction.
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown waited for an abandoned transaction")
        .unwrap();
}
