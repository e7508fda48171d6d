//! The shim's session state machine: a sequence of raw frames from a
//! (malicious) peer — handshake messages in or out of order, transactions,
//! duplicate tx ids, responses for unknown or waiting transactions,
//! undecodable frames — served through `fabric_shim::server::serve_frames`,
//! the same session code as on the network, with a chaincode that reads and
//! writes state through the peer.
//!
//! Input: frames, each a 2-byte little-endian length then that many bytes.
//! Properties: no panic and no hang; the shim's first message is
//! `REGISTER` with the chaincode id; the shim sends at most a bounded
//! number of messages per frame; the session ends when the peer's stream
//! ends.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use fabric_protos::protos::ChaincodeId;
use fabric_protos::protos::chaincode_message::Type;
use fabric_shim::{Chaincode, InvokeError, Stub};
use futures::StreamExt as _;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;

const CHAINCODE_ID: &str = "fuzz:1";

/// Reads the key named by argument 1 and writes it back doubled.
struct Echo;

impl Chaincode for Echo {
    async fn invoke<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
        let key = stub
            .args()
            .get(1)
            .and_then(|k| std::str::from_utf8(k).ok())
            .unwrap_or("k")
            .to_owned();
        let value = stub
            .get_state(&key)
            .await
            .map_err(|e| InvokeError::new(e.to_string()))?
            .unwrap_or_default();
        let mut doubled = value.clone();
        doubled.extend_from_slice(&value);
        stub.put_state(&key, &doubled)
            .await
            .map_err(|e| InvokeError::new(e.to_string()))?;
        Ok(doubled)
    }
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a Tokio runtime")
});

fn frames(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([data[0], data[1]]));
        let rest = &data[2..];
        let take = len.min(rest.len());
        out.push(rest[..take].to_vec());
        data = &rest[take..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let frames = frames(data);
    let count = frames.len();
    let sent = RUNTIME.block_on(async {
        let outbound =
            fabric_shim::server::serve_frames(Echo, CHAINCODE_ID, futures::stream::iter(frames));
        tokio::time::timeout(Duration::from_secs(10), outbound.collect::<Vec<_>>())
            .await
            .expect("the session ends when the peer's stream ends")
    });
    let first = sent[0]
        .as_ref()
        .expect("the shim sends messages, not errors");
    assert_eq!(
        first.r#type,
        Type::Register as i32,
        "the first message is REGISTER"
    );
    let id = ChaincodeId::decode(first.payload.as_slice()).expect("REGISTER carries a ChaincodeId");
    assert_eq!(id.name, CHAINCODE_ID);
    // Per frame: one reply (KEEPALIVE echo / ERROR), or a transaction's
    // GET_STATE, PUT_STATE and COMPLETED.
    assert!(
        sent.len() <= 1 + 3 * count,
        "{} messages for {count} frames",
        sent.len()
    );
    for message in &sent {
        let message = message
            .as_ref()
            .expect("the shim sends messages, not errors");
        assert!(
            Type::try_from(message.r#type).is_ok(),
            "the shim sends known types"
        );
    }
});
