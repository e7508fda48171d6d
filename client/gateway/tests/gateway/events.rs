//! Chaincode events end to end over gRPC, and exact resumption from a
//! durable checkpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fabric_gateway::mock::{Org, connected};
use fabric_gateway::{
    ChaincodeEvent, ChaincodeEventStream, CheckpointStore, Contract, FileCheckpointStore,
    GatewayError, Network, PeerEndpoint, StartPosition,
};
use fabric_protos::orderer::{SeekPosition, SeekSpecified, seek_position};
use futures::StreamExt;

const WAIT: Duration = Duration::from_secs(10);

async fn next_event(stream: &mut ChaincodeEventStream) -> ChaincodeEvent {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event within the wait")
        .expect("the stream goes on")
        .expect("an event, not an error")
}

/// Asserts that nothing more arrives for a while.
async fn assert_quiet(stream: &mut ChaincodeEventStream) {
    let more = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(more.is_err(), "unexpected item: {:?}", more.ok().flatten());
}

/// Endorses and submits `put key` without waiting for the commit.
async fn put_without_commit(contract: &Contract, key: &str) -> String {
    let transaction = contract
        .new_proposal("put")
        .arguments([key.as_bytes(), b"value"])
        .build()
        .unwrap()
        .endorse()
        .await
        .unwrap();
    transaction.submit().await.unwrap();
    transaction.transaction_id().to_owned()
}

fn keys(events: &[ChaincodeEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| String::from_utf8(e.payload.clone()).unwrap())
        .collect()
}

#[tokio::test]
async fn valid_transactions_events_arrive_in_ledger_order() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let contract = network.contract("basic");
    let a = contract.submit("put", &[b"a", b"1"]).await.unwrap();
    let b = contract.submit("put", &[b"b", b"2"]).await.unwrap();
    // Emits an event but is invalid: its event must not be delivered.
    contract.submit("conflict", &[]).await.unwrap_err();
    let c = contract.submit("put", &[b"c", b"3"]).await.unwrap();

    let mut stream = network
        .chaincode_events("basic", StartPosition::Block(0))
        .unwrap();
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(next_event(&mut stream).await);
    }
    assert_quiet(&mut stream).await;
    assert_eq!(keys(&events), ["a", "b", "c"]);
    for (event, submitted) in events.iter().zip([&a, &b, &c]) {
        assert_eq!(event.tx_id, submitted.tx_id);
        assert_eq!(event.block_number, submitted.block_number);
        assert_eq!(event.chaincode_name, "basic");
        assert_eq!(event.event_name, "put");
    }
    assert_eq!(
        events[2].block_number, 4,
        "block 3 holds the invalid transaction"
    );
}

async fn resume(network: &Network, store: &FileCheckpointStore) -> ChaincodeEventStream {
    let start = StartPosition::resume(store.load().unwrap(), StartPosition::Block(0));
    network.chaincode_events("basic", start).unwrap()
}

#[tokio::test]
async fn a_restarted_listener_resumes_inside_a_block_without_loss_or_repeat() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let contract = network.contract("basic");

    // Three transactions ordered into one block.
    mock.set_auto_cut(false);
    let mut tx_ids = Vec::new();
    for key in ["a", "b", "c"] {
        tx_ids.push(put_without_commit(&contract, key).await);
    }
    let block = mock.cut_block();
    mock.set_auto_cut(true);

    let dir = tempfile::tempdir().unwrap();
    let mut store = FileCheckpointStore::new(dir.path().join("listener.checkpoint"));
    let mut stream = resume(&network, &store).await;
    let mut handled = Vec::new();
    for _ in 0..2 {
        let event = next_event(&mut stream).await;
        store.save_event(&event).unwrap();
        handled.push(event);
    }
    drop(stream); // the listener crashes after handling two of the three

    contract.submit("put", &[b"d", b"4"]).await.unwrap();

    let mut stream = resume(&network, &FileCheckpointStore::new(store.path())).await;
    for _ in 0..2 {
        let event = next_event(&mut stream).await;
        store.save_event(&event).unwrap();
        handled.push(event);
    }
    assert_quiet(&mut stream).await;
    assert_eq!(keys(&handled), ["a", "b", "c", "d"]);
    assert_eq!(
        handled[..3]
            .iter()
            .map(|e| e.tx_id.clone())
            .collect::<Vec<_>>(),
        tx_ids
    );
    assert!(handled[..3].iter().all(|e| e.block_number == block));
    assert_eq!(handled[3].block_number, block + 1);

    let request = mock.events_requests().pop().unwrap();
    let expected = SeekPosition {
        r#type: Some(seek_position::Type::Specified(SeekSpecified {
            number: block,
        })),
    };
    assert_eq!(request.start_position, Some(expected));
    assert_eq!(request.after_transaction_id, tx_ids[1]);
}

#[tokio::test]
async fn the_checkpointed_event_is_not_repeated_even_if_the_gateway_resends_it() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let contract = network.contract("basic");
    for key in ["a", "b", "c"] {
        contract
            .submit("put", &[key.as_bytes(), b"v"])
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileCheckpointStore::new(dir.path().join("cp"));
    let mut stream = resume(&network, &store).await;
    for _ in 0..2 {
        store.save_event(&next_event(&mut stream).await).unwrap();
    }
    drop(stream);

    mock.set_honour_after_transaction_id(false);
    let mut stream = resume(&network, &store).await;
    let event = next_event(&mut stream).await;
    assert_eq!(keys(&[event]), ["c"]);
    assert_quiet(&mut stream).await;
}

#[tokio::test]
async fn next_commit_starts_with_blocks_committed_after_the_request() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let contract = network.contract("basic");
    contract.submit("put", &[b"before", b"v"]).await.unwrap();

    let mut stream = network
        .chaincode_events("basic", StartPosition::NextCommit)
        .unwrap();
    let first = tokio::spawn(async move {
        let event = next_event(&mut stream).await;
        (event, stream)
    });
    // The request is made when the stream is first polled.
    while mock.events_requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = contract.submit("put", &[b"after", b"v"]).await.unwrap();
    let (event, mut stream) = first.await.unwrap();
    assert_eq!(event.tx_id, after.tx_id);
    assert_quiet(&mut stream).await;
}

#[tokio::test]
async fn a_failed_call_is_the_streams_last_item() {
    let org = Org::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let channel = PeerEndpoint::new(address.to_string())
        .connect_lazy()
        .unwrap();
    let gateway = fabric_gateway::Gateway::from_credentials(channel, org.credentials());
    let mut stream = gateway
        .network("mychannel")
        .chaincode_events("basic", StartPosition::NextCommit)
        .unwrap();
    let item = tokio::time::timeout(WAIT, stream.next())
        .await
        .unwrap()
        .unwrap();
    let error = item.unwrap_err();
    assert!(
        matches!(&error, GatewayError::ChaincodeEvents(rpc) if rpc.code() == tonic::Code::Unavailable),
        "{error}"
    );
    assert!(
        tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .is_none()
    );
}
