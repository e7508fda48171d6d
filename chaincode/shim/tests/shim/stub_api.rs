//! Every Stub function over the real peer protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::common::{creator, json, start_with_peer};
use fabric_protos::protos::chaincode_message::Type;
use fabric_shim::mock_peer::MockPeerError;
use serde_json::json;

fn none() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::new()
}

#[tokio::test]
async fn put_get_del() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");

    let put = peer
        .invoke(&alice, &[b"put", b"k", b"v1"], &none())
        .await
        .unwrap();
    assert!(put.committed);
    assert_eq!(put.response.payload, b"ok");
    assert_eq!(
        peer.invoke(&alice, &[b"get", b"k"], &none())
            .await
            .unwrap()
            .response
            .payload,
        b"v1"
    );

    let missing = peer
        .invoke(&alice, &[b"get", b"nope"], &none())
        .await
        .unwrap();
    assert_eq!(
        (missing.response.status, missing.response.message.as_str()),
        (500, "not found")
    );

    peer.invoke(&alice, &[b"del", b"k"], &none()).await.unwrap();
    assert!(peer.state("k").is_none());
    let gone = peer.invoke(&alice, &[b"get", b"k"], &none()).await.unwrap();
    assert_eq!(gone.response.status, 500);

    // An empty key is refused by the shim, as by Fabric's shims.
    let empty = peer
        .invoke(&alice, &[b"put", b"", b"v"], &none())
        .await
        .unwrap();
    assert_eq!(empty.response.status, 500);
    assert!(
        empty
            .response
            .message
            .contains("key must not be an empty string"),
        "{}",
        empty.response.message
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing_and_sends_no_event() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let failed = peer
        .invoke(&alice, &[b"fail_after_put", b"k", b"bad input"], &none())
        .await
        .unwrap();
    assert_eq!(failed.response.status, 500);
    assert_eq!(failed.response.message, "refused: bad input");
    assert!(!failed.committed);
    assert!(failed.event.is_none());
    assert!(peer.world_state().is_empty());
    assert_eq!(
        peer.received_count(Type::PutState),
        1,
        "the write reached the peer and was discarded"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn context_tx_id_channel_timestamp_creator_transient() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, identity) = creator("alice");
    let mut transient = BTreeMap::new();
    transient.insert("secret".to_owned(), b"s3cret".to_vec());
    transient.insert("other".to_owned(), b"x".to_vec());

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let result = peer
        .invoke(&alice, &[b"context", b"extra"], &transient)
        .await
        .unwrap();
    let context = json(&result.response.payload);
    assert_eq!(context["tx_id"], json!(result.tx_id));
    assert_eq!(result.tx_id.len(), 64, "Fabric tx ids are hex SHA-256");
    assert_eq!(context["channel_id"], json!("mychannel"));
    let seconds = context["seconds"].as_i64().unwrap();
    assert!((before..=before + 5).contains(&seconds));
    assert_eq!(context["msp_id"], json!("Org1MSP"));
    assert_eq!(
        context["certificate_der_len"],
        json!(identity.certificate_der().len())
    );
    assert_eq!(
        context["transient"],
        json!({"secret": "s3cret", "other": "x"})
    );
    assert_eq!(context["args"], json!(2));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn range_excludes_composite_keys_and_respects_bounds() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    for (k, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
        peer.invoke(&alice, &[b"put", k.as_bytes(), v.as_bytes()], &none())
            .await
            .unwrap();
    }
    peer.invoke(&alice, &[b"put_composite", b"case", b"x"], &none())
        .await
        .unwrap();

    let bounded = peer
        .invoke(&alice, &[b"range", b"a", b"c"], &none())
        .await
        .unwrap();
    assert_eq!(
        json(&bounded.response.payload),
        json!([["a", "1"], ["b", "2"]])
    );
    // An open range ("" to "") covers simple keys only, as in Fabric.
    let open = peer
        .invoke(&alice, &[b"range", b"", b""], &none())
        .await
        .unwrap();
    assert_eq!(
        json(&open.response.payload),
        json!([["a", "1"], ["b", "2"], ["c", "3"]])
    );
    assert_eq!(peer.world_state().len(), 4);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn partial_composite_key_query() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    for attrs in [["k1", "r1"], ["k1", "r2"], ["k2", "r1"]] {
        peer.invoke(
            &alice,
            &[
                b"put_composite",
                b"case",
                attrs[0].as_bytes(),
                attrs[1].as_bytes(),
            ],
            &none(),
        )
        .await
        .unwrap();
    }
    peer.invoke(&alice, &[b"put_composite", b"other", b"k1"], &none())
        .await
        .unwrap();
    let found = peer
        .invoke(&alice, &[b"partial", b"case", b"k1"], &none())
        .await
        .unwrap();
    assert_eq!(
        json(&found.response.payload),
        json!([["case", ["k1", "r1"]], ["case", ["k1", "r2"]]])
    );
    let all = peer
        .invoke(&alice, &[b"partial", b"case"], &none())
        .await
        .unwrap();
    assert_eq!(json(&all.response.payload).as_array().unwrap().len(), 3);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn history_is_oldest_first_with_deletes_and_timestamps() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let first = peer
        .invoke(&alice, &[b"put", b"k", b"one"], &none())
        .await
        .unwrap();
    let second = peer
        .invoke(&alice, &[b"put", b"k", b"two"], &none())
        .await
        .unwrap();
    let third = peer.invoke(&alice, &[b"del", b"k"], &none()).await.unwrap();
    let history = peer
        .invoke(&alice, &[b"history", b"k"], &none())
        .await
        .unwrap();
    let entries = json(&history.response.payload);
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let expected = [
        (&first.tx_id, "one", false),
        (&second.tx_id, "two", false),
        (&third.tx_id, "", true),
    ];
    for (entry, (tx_id, value, is_delete)) in entries.iter().zip(expected) {
        assert_eq!(entry["tx_id"], json!(tx_id));
        assert_eq!(entry["value"], json!(value));
        assert_eq!(entry["is_delete"], json!(is_delete));
        assert!(entry["seconds"].as_i64().unwrap() > 0);
    }
    let none_yet = peer
        .invoke(&alice, &[b"history", b"never"], &none())
        .await
        .unwrap();
    assert_eq!(json(&none_yet.response.payload), json!([]));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_last_event_wins_and_carries_ids() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let result = peer
        .invoke(&alice, &[b"event", b"stored", b"payload"], &none())
        .await
        .unwrap();
    let event = result.event.expect("no chaincode event");
    assert_eq!(event.event_name, "stored");
    assert_eq!(event.payload, b"payload");
    assert_eq!(event.tx_id, result.tx_id);
    assert_eq!(event.chaincode_id, "medchain");
    let plain = peer
        .invoke(&alice, &[b"put", b"k", b"v"], &none())
        .await
        .unwrap();
    assert!(plain.event.is_none());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn init_runs_the_init_function_and_a_failed_init_is_an_error() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let ok = peer.init(&alice, &[b"v1"], &none()).await.unwrap();
    assert_eq!(
        (ok.response.status, ok.response.payload.as_slice()),
        (200, &b"init ok"[..])
    );
    assert_eq!(peer.state("initialized").unwrap(), b"v1");

    let failed = peer.init(&alice, &[b"fail"], &none()).await.unwrap_err();
    match failed {
        MockPeerError::TransactionFailed { message, .. } => assert_eq!(message, "init refused"),
        other => panic!("unexpected {other:?}"),
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn reads_do_not_see_the_transactions_own_writes() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    // sleep_then_put checks the key is absent, writes it, and succeeds: a
    // second run sees the committed value and fails.
    let args: [&[u8]; 4] = [b"sleep_then_put", b"once", b"v", b"0"];
    assert_eq!(
        peer.invoke(&alice, &args, &none())
            .await
            .unwrap()
            .response
            .status,
        200
    );
    let again = peer.invoke(&alice, &args, &none()).await.unwrap();
    assert_eq!(
        (again.response.status, again.response.message.as_str()),
        (500, "once already exists")
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn concurrent_stub_calls_in_one_transaction_are_serialized() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    peer.invoke(&alice, &[b"put", b"a", b"A"], &none())
        .await
        .unwrap();
    peer.invoke(&alice, &[b"put", b"b", b"B"], &none())
        .await
        .unwrap();
    let both = peer
        .invoke(&alice, &[b"concurrent_gets", b"a", b"b"], &none())
        .await
        .unwrap();
    assert_eq!(both.response.payload, b"A|B");
    server.shutdown().await.unwrap();
}
