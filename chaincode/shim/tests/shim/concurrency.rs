//! Many transactions on one stream: reply routing, panics, duplicate tx ids.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use crate::common::{creator, start_with_peer};
use fabric_protos::protos::Response;
use fabric_protos::protos::chaincode_message::Type;
use prost::Message;

#[tokio::test]
async fn two_hundred_interleaved_transactions_get_their_own_replies() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    let runs = (0..200).map(|i| {
        let peer = &peer;
        let alice = &alice;
        let none = &none;
        async move {
            let key = format!("key{i}");
            let value = format!("value{i}");
            // Staggered sleeps make the transactions finish out of order, and
            // each reads and writes while others are waiting.
            let millis = ((i * 37) % 50).to_string();
            let args: [&[u8]; 4] = [
                b"sleep_then_put",
                key.as_bytes(),
                value.as_bytes(),
                millis.as_bytes(),
            ];
            let result = peer.invoke(alice, &args, none).await.unwrap();
            (i, result)
        }
    });
    let results = futures::future::join_all(runs).await;
    let mut tx_ids = HashSet::new();
    for (i, result) in results {
        assert_eq!(
            result.response.status, 200,
            "tx {i}: {}",
            result.response.message
        );
        assert_eq!(result.response.payload, format!("value{i}").as_bytes());
        assert!(tx_ids.insert(result.tx_id.clone()));
        let history = peer.history(&format!("key{i}"));
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].tx_id, result.tx_id);
    }
    assert_eq!(peer.world_state().len(), 200);
    assert_eq!(peer.received_count(Type::GetState), 200);
    assert_eq!(peer.received_count(Type::PutState), 200);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_panicking_transaction_fails_alone() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    let others = (0..20).map(|i| {
        let (peer, alice, none) = (&peer, &alice, &none);
        async move {
            let key = format!("k{i}");
            let args: [&[u8]; 4] = [b"sleep_then_put", key.as_bytes(), b"v", b"30"];
            peer.invoke(alice, &args, none).await.unwrap()
        }
    });
    let panicking = peer.invoke(&alice, &[b"panic"], &none);
    let (panicked, others) = tokio::join!(panicking, futures::future::join_all(others));

    let panicked = panicked.unwrap();
    assert_eq!(panicked.response.status, 500);
    assert_eq!(
        panicked.response.message,
        format!("chaincode panicked: boom in {}", panicked.tx_id)
    );
    assert!(!panicked.committed);
    assert!(
        peer.state("panicked").is_none(),
        "a panicked transaction must write nothing"
    );
    for other in others {
        assert_eq!(other.response.status, 200, "{}", other.response.message);
    }
    // The stream survives.
    let after = peer
        .invoke(&alice, &[b"put", b"after", b"1"], &none)
        .await
        .unwrap();
    assert_eq!(after.response.status, 200);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_duplicate_running_tx_id_gets_error() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let tx = peer.transaction_message(
        &alice,
        &[b"sleep_then_put", b"k", b"v", b"1000"],
        &BTreeMap::new(),
    );
    peer.send_message(tx.clone()).await.unwrap();
    peer.send_message(tx.clone()).await.unwrap();

    let wait = Duration::from_secs(5);
    let duplicate = peer
        .next_unsolicited(wait)
        .await
        .expect("no reply to the duplicate");
    assert_eq!(duplicate.r#type, Type::Error as i32);
    assert_eq!(
        (duplicate.txid.as_str(), duplicate.channel_id.as_str()),
        (tx.txid.as_str(), "mychannel")
    );
    assert!(String::from_utf8_lossy(&duplicate.payload).contains("is already running"));

    // The original still completes (its ledger requests fail: the mock does
    // not track injected transactions, as a peer without a context would).
    let original = peer
        .next_unsolicited(wait)
        .await
        .expect("the original did not complete");
    assert_eq!(original.r#type, Type::Completed as i32);
    assert_eq!(original.txid, tx.txid);
    let response = Response::decode(original.payload.as_slice()).unwrap();
    assert_eq!(response.status, 500);
    assert!(
        response.message.contains("no ledger context"),
        "{}",
        response.message
    );

    // Once finished, the same tx id may run again (Fabric re-executes a
    // proposal with the same id on retries).
    peer.send_message(tx.clone()).await.unwrap();
    let rerun = peer
        .next_unsolicited(wait)
        .await
        .expect("the rerun did not complete");
    assert_eq!(rerun.r#type, Type::Completed as i32);
    server.shutdown().await.unwrap();
}
