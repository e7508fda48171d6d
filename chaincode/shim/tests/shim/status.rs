//! The response status a chaincode chooses for a failure reaches the peer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::common::{creator, start_with_peer};

#[tokio::test]
async fn a_chosen_error_status_reaches_the_peer() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    for status in ["400", "404", "409", "599"] {
        let failed = peer
            .invoke(
                &alice,
                &[b"fail_with", status.as_bytes(), b"no such thing"],
                &none,
            )
            .await
            .unwrap();
        assert_eq!(failed.response.status.to_string(), status);
        assert_eq!(failed.response.message, "no such thing");
        assert!(failed.response.payload.is_empty());
        assert!(
            !failed.committed,
            "a status of 400 or more fails the transaction"
        );
        assert!(failed.event.is_none());
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_status_that_is_no_error_status_fails_with_500() {
    let (server, peer) = start_with_peer(100).await;
    let (alice, _) = creator("alice");
    let none = BTreeMap::new();
    for status in ["200", "399", "600"] {
        let failed = peer
            .invoke(&alice, &[b"fail_with", status.as_bytes(), b"fine"], &none)
            .await
            .unwrap();
        assert_eq!(failed.response.status, 500);
        assert_eq!(
            failed.response.message,
            format!("status {status} is not an error status (400 to 599)")
        );
        assert!(!failed.committed);
    }
    server.shutdown().await.unwrap();
}
