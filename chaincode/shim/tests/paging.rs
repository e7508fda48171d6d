//! Range and history queries paged with QUERY_STATE_NEXT / QUERY_STATE_CLOSE.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{creator, json, start_with_peer};
use fabric_protos::protos::chaincode_message::Type;

#[tokio::test]
async fn a_range_of_500_keys_is_fetched_in_pages_of_100() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    let put = peer
        .invoke(&alice, &[b"put_many", b"key", b"500"], &none)
        .await
        .unwrap();
    assert_eq!(put.response.status, 200, "{}", put.response.message);
    assert_eq!(peer.world_state().len(), 500);

    let before_next = peer.received_count(Type::QueryStateNext);
    let result = peer
        .invoke(&alice, &[b"range", b"key", b"key~"], &none)
        .await
        .unwrap();
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    let pairs = json(&result.response.payload);
    let pairs = pairs.as_array().unwrap();
    assert_eq!(pairs.len(), 500);
    for (i, pair) in pairs.iter().enumerate() {
        assert_eq!(pair[0], format!("key{i:05}"));
        assert_eq!(pair[1], format!("v{i}"));
    }
    // One GET_STATE_BY_RANGE page, four QUERY_STATE_NEXT pages, one close.
    assert_eq!(peer.received_count(Type::GetStateByRange), 1);
    assert_eq!(peer.received_count(Type::QueryStateNext) - before_next, 4);
    assert_eq!(peer.received_count(Type::QueryStateClose), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_range_that_fits_one_page_needs_no_next() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    peer.invoke(&alice, &[b"put_many", b"key", b"100"], &none)
        .await
        .unwrap();
    let result = peer
        .invoke(&alice, &[b"range", b"", b""], &none)
        .await
        .unwrap();
    assert_eq!(
        json(&result.response.payload).as_array().unwrap().len(),
        100
    );
    assert_eq!(peer.received_count(Type::QueryStateNext), 0);
    assert_eq!(peer.received_count(Type::QueryStateClose), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn history_is_paged_too() {
    let (server, peer) = start_with_peer(10).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    for i in 0..25 {
        peer.invoke(&alice, &[b"put", b"k", format!("{i}").as_bytes()], &none)
            .await
            .unwrap();
    }
    let result = peer
        .invoke(&alice, &[b"history", b"k"], &none)
        .await
        .unwrap();
    let entries = json(&result.response.payload);
    let values: Vec<String> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(values, (0..25).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(peer.received_count(Type::QueryStateNext), 2);
    server.shutdown().await.unwrap();
}
