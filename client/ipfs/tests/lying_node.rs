//! A node that lies, played by a minimal HTTP/1.1 server speaking Kubo's RPC
//! answers (`{"Key": …}` for block/put, raw bytes for block/get, Kubo's
//! `{"Message", "Code", "Type"}` error body): nothing it says is believed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ipfs_blocks::{BlockStore, IpfsError, KuboClient, RAW, block_cid};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one connection: every request gets `status` with `body`.
async fn node(status: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        // Read the head and whatever body came with it (the client sends
        // Content-Length; the answer does not depend on the body).
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            if n == 0 || request.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&body).await.unwrap();
        socket.shutdown().await.unwrap();
    });
    url
}

#[tokio::test]
async fn a_block_filed_under_another_cid_is_an_error() {
    let other = block_cid(RAW, b"something else").unwrap();
    let url = node(
        "200 OK",
        format!("{{\"Key\":\"{other}\",\"Size\":14}}").into_bytes(),
    )
    .await;
    let store = BlockStore::Kubo(KuboClient::new(&url).unwrap());
    let cid = block_cid(RAW, b"the real block").unwrap();
    let err = store
        .put(&cid, b"the real block".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, IpfsError::WrongCid { .. }), "{err}");
}

#[tokio::test]
async fn altered_bytes_from_the_node_are_never_returned() {
    let url = node("200 OK", b"hellp".to_vec()).await;
    let store = BlockStore::Kubo(KuboClient::new(&url).unwrap());
    let err = store
        .get(&block_cid(RAW, b"hello").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, IpfsError::Mismatch { .. }), "{err}");
}

#[tokio::test]
async fn the_nodes_own_error_message_is_passed_on() {
    let body = br#"{"Message":"block was not found locally (offline): ipld: could not find bafk","Code":0,"Type":"error"}"#;
    let url = node("500 Internal Server Error", body.to_vec()).await;
    let store = BlockStore::Kubo(KuboClient::new(&url).unwrap());
    let err = store.get(&block_cid(RAW, b"x").unwrap()).await.unwrap_err();
    assert!(matches!(err, IpfsError::Node { status: 500, .. }), "{err}");
    assert!(err.to_string().contains("could not find"), "{err}");
}

#[tokio::test]
async fn an_oversized_answer_is_cut_off() {
    let url = node("200 OK", vec![0u8; ipfs_blocks::MAX_BLOCK_BYTES + 1]).await;
    let store = BlockStore::Kubo(KuboClient::new(&url).unwrap());
    let err = store.get(&block_cid(RAW, b"x").unwrap()).await.unwrap_err();
    assert!(matches!(err, IpfsError::BlockTooLarge { .. }), "{err}");
}

#[test]
fn api_addresses_that_are_not_http_urls_are_refused() {
    for bad in [
        "ftp://127.0.0.1:5001",
        "127.0.0.1:5001",
        "http://",
        "http://h:1/some/path",
    ] {
        assert!(
            matches!(KuboClient::new(bad), Err(IpfsError::InvalidUrl(_))),
            "{bad}"
        );
    }
    assert_eq!(
        KuboClient::new("http://127.0.0.1:5001/api/v0/")
            .unwrap()
            .url(),
        "http://127.0.0.1:5001"
    );
}
