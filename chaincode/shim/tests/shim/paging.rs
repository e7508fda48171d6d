//! Range and history queries paged with QUERY_STATE_NEXT / QUERY_STATE_CLOSE.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::common::{creator, json, start_with_peer};
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

#[tokio::test]
async fn a_query_dropped_early_is_closed_before_the_next_request() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    peer.invoke(&alice, &[b"put_many", b"key", b"500"], &none)
        .await
        .unwrap();
    let result = peer
        .invoke(
            &alice,
            &[b"range_first", b"key", b"key~", b"5", b"drop", b"key00001"],
            &none,
        )
        .await
        .unwrap();
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    let keys = json(&result.response.payload);
    assert_eq!(keys.as_array().unwrap().len(), 5);
    assert_eq!(keys[4], "key00004");
    // Only the first page was fetched, and the peer's iterator was closed.
    assert_eq!(peer.received_count(Type::QueryStateNext), 0);
    assert_eq!(peer.received_count(Type::QueryStateClose), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_query_dropped_as_the_chaincode_returns_is_closed_before_completed() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    peer.invoke(&alice, &[b"put_many", b"key", b"150"], &none)
        .await
        .unwrap();
    let result = peer
        .invoke(
            &alice,
            &[b"range_first", b"key", b"", b"120", b"drop"],
            &none,
        )
        .await
        .unwrap();
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    assert_eq!(
        json(&result.response.payload).as_array().unwrap().len(),
        120
    );
    // 120 keys need the second page; dropping the iterator closes it.
    assert_eq!(peer.received_count(Type::QueryStateNext), 1);
    assert_eq!(peer.received_count(Type::QueryStateClose), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_explicitly_closed_query_is_closed_once() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    peer.invoke(&alice, &[b"put_many", b"key", b"300"], &none)
        .await
        .unwrap();
    let result = peer
        .invoke(
            &alice,
            &[b"range_first", b"key", b"", b"1", b"close", b"key00001"],
            &none,
        )
        .await
        .unwrap();
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    assert_eq!(
        json(&result.response.payload),
        serde_json::json!(["key00000"])
    );
    assert_eq!(peer.received_count(Type::QueryStateNext), 0);
    assert_eq!(peer.received_count(Type::QueryStateClose), 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_range_is_read_page_by_page_with_bookmarks() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    peer.invoke(&alice, &[b"put_many", b"key", b"250"], &none)
        .await
        .unwrap();
    let mut bookmark = String::new();
    let mut keys = Vec::new();
    let mut pages = 0;
    loop {
        let result = peer
            .invoke(
                &alice,
                &[b"range_page", b"key", b"key~", b"120", bookmark.as_bytes()],
                &none,
            )
            .await
            .unwrap();
        assert_eq!(result.response.status, 200, "{}", result.response.message);
        let page = json(&result.response.payload);
        let results = page["results"].as_array().unwrap();
        assert_eq!(page["fetched"], results.len());
        keys.extend(results.iter().map(|k| k.as_str().unwrap().to_owned()));
        pages += 1;
        bookmark = page["bookmark"].as_str().unwrap().to_owned();
        if bookmark.is_empty() {
            break;
        }
        assert_eq!(bookmark, format!("key{:05}", keys.len()));
    }
    assert_eq!(pages, 3);
    assert_eq!(
        keys,
        (0..250).map(|i| format!("key{i:05}")).collect::<Vec<_>>()
    );
    // Each page is one paginated GET_STATE_BY_RANGE, each closed.
    assert_eq!(peer.received_count(Type::GetStateByRange), 3);
    assert_eq!(peer.received_count(Type::QueryStateClose), 3);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn partial_composite_keys_are_paged_too() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    for owner in ["a", "b", "c"] {
        peer.invoke(
            &alice,
            &[b"put_composite", b"car", b"red", owner.as_bytes()],
            &none,
        )
        .await
        .unwrap();
    }
    peer.invoke(&alice, &[b"put_composite", b"car", b"blue", b"z"], &none)
        .await
        .unwrap();
    let page = |bookmark: String| {
        let peer = &peer;
        let alice = &alice;
        let none = &none;
        async move {
            let result = peer
                .invoke(
                    alice,
                    &[b"partial_page", b"car", b"red", b"2", bookmark.as_bytes()],
                    none,
                )
                .await
                .unwrap();
            assert_eq!(result.response.status, 200, "{}", result.response.message);
            json(&result.response.payload)
        }
    };
    let first = page(String::new()).await;
    assert_eq!(
        first["results"],
        serde_json::json!([["red", "a"], ["red", "b"]])
    );
    let second = page(first["bookmark"].as_str().unwrap().to_owned()).await;
    assert_eq!(second["results"], serde_json::json!([["red", "c"]]));
    assert_eq!(second["bookmark"], "");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_page_size_of_zero_is_refused() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let result = peer
        .invoke(
            &alice,
            &[b"range_page", b"", b"", b"0", b""],
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    assert_eq!(result.response.status, 500);
    assert!(
        result
            .response
            .message
            .contains("the page size must be between 1 and"),
        "{}",
        result.response.message
    );
    assert_eq!(peer.received_count(Type::GetStateByRange), 0);
    server.shutdown().await.unwrap();
}
