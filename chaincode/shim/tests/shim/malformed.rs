//! Malformed and truncated messages from the peer get ERROR; the stream and
//! the server survive.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{assert_put_works, creator, start_with_peer};
use fabric_protos::common::{ChannelHeader, Header, HeaderType};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeMessage, Proposal, SignedProposal};
use fabric_shim::mock_peer::MockPeer;
use prost::Message;

const WAIT: Duration = Duration::from_secs(5);

/// Sends `msg`, expects one ERROR whose text contains `needle`, then checks
/// the stream still serves a transaction.
async fn expect_error(peer: &MockPeer, msg: ChaincodeMessage, needle: &str) -> ChaincodeMessage {
    peer.send_message(msg).await.unwrap();
    let reply = peer.next_unsolicited(WAIT).await.expect("no reply");
    assert_eq!(reply.r#type, Type::Error as i32, "{reply:?}");
    let text = String::from_utf8_lossy(&reply.payload).into_owned();
    assert!(
        text.contains(needle),
        "{text:?} does not contain {needle:?}"
    );
    assert_stream_alive(peer).await;
    reply
}

async fn assert_stream_alive(peer: &MockPeer) {
    assert_put_works(peer, "alive").await;
}

fn transaction(peer: &MockPeer) -> ChaincodeMessage {
    let (alice, _) = creator("alice");
    peer.transaction_message(&alice, &[b"put", b"k", b"v"], &BTreeMap::new())
}

#[tokio::test]
async fn undecodable_and_truncated_frames() {
    let (server, peer) = start_with_peer(100).await;
    peer.send_raw_frame(vec![0xff, 0xff, 0xff, 0xff])
        .await
        .unwrap();
    let reply = peer
        .next_unsolicited(WAIT)
        .await
        .expect("no reply to garbage");
    assert_eq!(reply.r#type, Type::Error as i32);
    assert!(String::from_utf8_lossy(&reply.payload).contains("undecodable ChaincodeMessage"));
    assert_stream_alive(&peer).await;

    let whole = transaction(&peer).encode_to_vec();
    peer.send_raw_frame(whole[..whole.len() / 2].to_vec())
        .await
        .unwrap();
    let reply = peer
        .next_unsolicited(WAIT)
        .await
        .expect("no reply to a truncated frame");
    assert_eq!(reply.r#type, Type::Error as i32);
    assert_stream_alive(&peer).await;
    assert!(peer.state("k").is_none());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn truncated_or_garbled_transaction_payloads() {
    let (server, peer) = start_with_peer(100).await;

    let mut truncated_input = transaction(&peer);
    truncated_input
        .payload
        .truncate(truncated_input.payload.len() - 1);
    let reply = expect_error(
        &peer,
        truncated_input.clone(),
        "failed to unmarshal the ChaincodeInput payload",
    )
    .await;
    assert_eq!(
        (reply.txid.as_str(), reply.channel_id.as_str()),
        (truncated_input.txid.as_str(), "mychannel")
    );

    let mut truncated_proposal = transaction(&peer);
    let signed = truncated_proposal.proposal.as_mut().unwrap();
    signed
        .proposal_bytes
        .truncate(signed.proposal_bytes.len() / 2);
    expect_error(&peer, truncated_proposal, "malformed TRANSACTION").await;

    let mut no_proposal = transaction(&peer);
    no_proposal.proposal = None;
    expect_error(&peer, no_proposal, "carries no signed proposal").await;

    let mut bad_creator = transaction(&peer);
    let signed = bad_creator.proposal.as_mut().unwrap();
    let mut proposal = Proposal::decode(signed.proposal_bytes.as_slice()).unwrap();
    let mut header = Header::decode(proposal.header.as_slice()).unwrap();
    header.signature_header = fabric_protos::common::SignatureHeader {
        creator: b"not an identity".to_vec(),
        nonce: vec![1],
    }
    .encode_to_vec();
    proposal.header = header.encode_to_vec();
    signed.proposal_bytes = proposal.encode_to_vec();
    expect_error(&peer, bad_creator, "the proposal creator is unusable").await;

    let mut wrong_type = transaction(&peer);
    let signed = wrong_type.proposal.as_mut().unwrap();
    let mut proposal = Proposal::decode(signed.proposal_bytes.as_slice()).unwrap();
    let mut header = Header::decode(proposal.header.as_slice()).unwrap();
    let mut channel_header = ChannelHeader::decode(header.channel_header.as_slice()).unwrap();
    channel_header.r#type = HeaderType::DeliverSeekInfo as i32;
    header.channel_header = channel_header.encode_to_vec();
    proposal.header = header.encode_to_vec();
    *signed = SignedProposal {
        proposal_bytes: proposal.encode_to_vec(),
        signature: Vec::new(),
    };
    expect_error(&peer, wrong_type, "invalid channel header type").await;

    assert!(
        peer.state("k").is_none(),
        "no malformed transaction may run"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_types_missing_tx_ids_and_stray_replies() {
    let (server, peer) = start_with_peer(100).await;

    let unknown = ChaincodeMessage {
        r#type: 99,
        txid: "t-unknown".into(),
        ..Default::default()
    };
    let reply = expect_error(&peer, unknown, "unknown message type 99").await;
    assert_eq!(reply.txid, "t-unknown");

    let mut no_txid = transaction(&peer);
    no_txid.txid.clear();
    expect_error(&peer, no_txid, "TRANSACTION message has no txid").await;

    let stray = ChaincodeMessage {
        r#type: Type::Response as i32,
        txid: "not-running".into(),
        channel_id: "mychannel".into(),
        ..Default::default()
    };
    expect_error(&peer, stray, "which is not running").await;

    let no_txid_response = ChaincodeMessage {
        r#type: Type::Response as i32,
        ..Default::default()
    };
    expect_error(&peer, no_txid_response, "RESPONSE message has no txid").await;

    let unexpected = ChaincodeMessage {
        r#type: Type::GetState as i32,
        txid: "t".into(),
        ..Default::default()
    };
    expect_error(&peer, unexpected, "cannot handle GET_STATE while ready").await;

    // An unroutable ERROR is logged, never answered (no ERROR ping-pong).
    let stray_error = ChaincodeMessage {
        r#type: Type::Error as i32,
        txid: "not-running".into(),
        ..Default::default()
    };
    peer.send_message(stray_error).await.unwrap();
    assert!(
        peer.next_unsolicited(Duration::from_millis(300))
            .await
            .is_none()
    );
    assert_stream_alive(&peer).await;
    server.shutdown().await.unwrap();
}
