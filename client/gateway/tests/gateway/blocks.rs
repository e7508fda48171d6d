//! Filtered block events from the peer's Deliver service: the signed seek
//! envelope decoded back and checked independently, blocks with their
//! transactions' validation codes, replay from a block number, and the
//! peer's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fabric_gateway::mock::gateway::MockGateway;
use fabric_gateway::mock::pki::{TestCa, write_cryptogen_msp};
use fabric_gateway::mock::protocol::{expected_tx_id, is_low_s, verify};
use fabric_gateway::mock::{Org, connected, offline_gateway};
use fabric_gateway::{
    BlockStart, Credentials, FilteredBlock, FilteredBlockStream, Gateway, GatewayError, Network,
    Operation, PeerEndpoint, PrivateKeySigner, TxValidationCode, sign_message,
};
use fabric_protos::common::{
    ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader, Status,
};
use fabric_protos::msp::SerializedIdentity;
use fabric_protos::orderer::{SeekInfo, SeekSpecified, seek_info, seek_position};
use fabric_protos::protos::deliver_client::DeliverClient;
use fabric_protos::protos::{deliver_response, filtered_transaction};
use futures::StreamExt;
use p256::ecdsa::VerifyingKey;
use prost::Message;

const WAIT: Duration = Duration::from_secs(10);

/// Every layer of a seek envelope.
struct Decoded {
    channel_header: ChannelHeader,
    signature_header: SignatureHeader,
    seek_info: SeekInfo,
}

fn decode(envelope: &Envelope) -> Decoded {
    let payload = Payload::decode(envelope.payload.as_slice()).unwrap();
    let header: Header = payload.header.unwrap();
    Decoded {
        channel_header: ChannelHeader::decode(header.channel_header.as_slice()).unwrap(),
        signature_header: SignatureHeader::decode(header.signature_header.as_slice()).unwrap(),
        seek_info: SeekInfo::decode(payload.data.as_slice()).unwrap(),
    }
}

#[tokio::test]
async fn the_envelope_is_a_deliver_seek_signed_by_the_creator() {
    let org = Org::new();
    let key = VerifyingKey::from_sec1_bytes(&org.user.public_key_sec1).unwrap();
    let network = offline_gateway(&org).network("mychannel");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut tx_ids = Vec::new();
    for (start, expected) in [
        (
            BlockStart::NextCommit,
            seek_position::Type::NextCommit(Default::default()),
        ),
        (
            BlockStart::Newest,
            seek_position::Type::Newest(Default::default()),
        ),
        (
            BlockStart::Oldest,
            seek_position::Type::Oldest(Default::default()),
        ),
        (
            BlockStart::Block(42),
            seek_position::Type::Specified(SeekSpecified { number: 42 }),
        ),
    ] {
        let stream = network.filtered_block_events(start).unwrap();
        let envelope = stream.signed_envelope();
        let decoded = decode(envelope);

        let channel_header = &decoded.channel_header;
        assert_eq!(channel_header.r#type, HeaderType::DeliverSeekInfo as i32);
        assert_eq!(channel_header.r#type, 5);
        assert_eq!(channel_header.version, 0);
        assert_eq!(channel_header.channel_id, "mychannel");
        assert_eq!(channel_header.epoch, 0);
        assert!(channel_header.tls_cert_hash.is_empty());
        let timestamp = channel_header.timestamp.unwrap();
        assert!((timestamp.seconds - now).abs() <= 60, "{timestamp:?}");

        let signature_header = &decoded.signature_header;
        assert_eq!(signature_header.nonce.len(), 24);
        let creator = SerializedIdentity::decode(signature_header.creator.as_slice()).unwrap();
        assert_eq!(creator.mspid, "Org1MSP");
        assert_eq!(creator.id_bytes, org.user.certificate_pem.as_bytes());
        assert_eq!(
            channel_header.tx_id,
            expected_tx_id(&signature_header.nonce, &signature_header.creator)
        );
        tx_ids.push(channel_header.tx_id.clone());

        let info = decoded.seek_info;
        assert_eq!(
            info.start.and_then(|p| p.r#type),
            Some(expected),
            "{start:?}"
        );
        assert_eq!(
            info.stop.and_then(|p| p.r#type),
            Some(seek_position::Type::Specified(SeekSpecified {
                number: u64::MAX
            }))
        );
        assert_eq!(
            info.behavior,
            seek_info::SeekBehavior::BlockUntilReady as i32
        );

        assert!(is_low_s(&envelope.signature));
        verify(&key, &envelope.payload, &envelope.signature).unwrap();
    }
    let distinct: std::collections::HashSet<_> = tx_ids.iter().collect();
    assert_eq!(distinct.len(), 4, "every request has a fresh nonce");
}

async fn next_block(stream: &mut FilteredBlockStream) -> FilteredBlock {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a block within the wait")
        .expect("the stream goes on")
        .expect("a block, not an error")
}

async fn next_error(stream: &mut FilteredBlockStream) -> GatewayError {
    let error = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an item within the wait")
        .expect("an error item")
        .expect_err("an error, not a block");
    let end = tokio::time::timeout(WAIT, stream.next()).await.unwrap();
    assert!(end.is_none(), "the stream ends after its error: {end:?}");
    error
}

/// Waits until the mock has accepted `count` block requests.
async fn until_seek_requests(mock: &MockGateway, count: usize) {
    tokio::time::timeout(WAIT, async {
        while mock.seek_requests().len() < count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the block request reaches the mock");
}

/// The ids and validation codes of a block's transactions.
fn transactions(block: &FilteredBlock) -> Vec<(String, TxValidationCode)> {
    block
        .filtered_transactions
        .iter()
        .map(|tx| {
            let code = TxValidationCode::try_from(tx.tx_validation_code).unwrap();
            (tx.txid.clone(), code)
        })
        .collect()
}

#[tokio::test]
async fn a_submitted_transaction_is_in_the_next_block_as_valid() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let contract = network.contract("basic");
    contract.submit("put", &[b"before", b"0"]).await.unwrap();

    let mut stream = network
        .filtered_block_events(BlockStart::default())
        .unwrap();
    let first = tokio::spawn(async move {
        let block = next_block(&mut stream).await;
        (block, stream)
    });
    until_seek_requests(&mock, 1).await;
    let committed = contract.submit("put", &[b"k", b"v"]).await.unwrap();
    let (block, mut stream) = first.await.unwrap();

    assert_eq!(block.number, committed.block_number);
    assert_eq!(
        block.number, 2,
        "the stream starts at the next commit, not at the block before the request"
    );
    assert_eq!(block.channel_id, "mychannel");
    assert_eq!(
        transactions(&block),
        [(committed.tx_id.clone(), TxValidationCode::Valid)]
    );
    let tx = &block.filtered_transactions[0];
    assert_eq!(tx.r#type, HeaderType::EndorserTransaction as i32);
    let Some(filtered_transaction::Data::TransactionActions(actions)) = &tx.data else {
        panic!("no transaction actions: {tx:?}");
    };
    let event = actions.chaincode_actions[0]
        .chaincode_event
        .clone()
        .unwrap();
    assert_eq!(
        (event.chaincode_id.as_str(), event.event_name.as_str()),
        ("basic", "put")
    );
    assert_eq!(event.tx_id, committed.tx_id);
    assert!(event.payload.is_empty(), "filtered events carry no payload");

    // An invalid transaction is in its block too, with its code.
    let error = contract.submit("conflict", &[]).await.unwrap_err();
    let invalid = error.commit().unwrap();
    let block = next_block(&mut stream).await;
    assert_eq!(block.number, invalid.block_number());
    assert_eq!(
        transactions(&block),
        [(
            invalid.transaction_id().to_owned(),
            TxValidationCode::MvccReadConflict
        )]
    );
}

async fn first_numbers(network: &Network, start: BlockStart, count: usize) -> Vec<u64> {
    let mut stream = network.filtered_block_events(start).unwrap();
    let mut numbers = Vec::new();
    for _ in 0..count {
        numbers.push(next_block(&mut stream).await.number);
    }
    numbers
}

#[tokio::test]
async fn a_start_block_replays_earlier_blocks_in_order_then_follows_new_ones() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let contract = network.contract("basic");
    let mut submitted = Vec::new();
    for key in ["a", "b", "c"] {
        submitted.push(
            contract
                .submit("put", &[key.as_bytes(), b"1"])
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        submitted.iter().map(|s| s.block_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );

    let mut stream = network.filtered_block_events(BlockStart::Block(2)).unwrap();
    for expected in &submitted[1..] {
        let block = next_block(&mut stream).await;
        assert_eq!(block.number, expected.block_number);
        assert_eq!(
            transactions(&block),
            [(expected.tx_id.clone(), TxValidationCode::Valid)]
        );
    }
    let later = contract.submit("put", &[b"d", b"1"]).await.unwrap();
    let block = next_block(&mut stream).await;
    assert_eq!(block.number, 4);
    assert_eq!(
        transactions(&block),
        [(later.tx_id.clone(), TxValidationCode::Valid)]
    );
    assert_eq!(
        mock.seek_requests()[0].start.and_then(|p| p.r#type),
        Some(seek_position::Type::Specified(SeekSpecified { number: 2 }))
    );

    // Several transactions in one block keep their order.
    mock.set_auto_cut(false);
    let mut tx_ids = Vec::new();
    for key in ["e", "f"] {
        let (_, commit) = contract
            .submit_async("put", &[key.as_bytes(), b"1"])
            .await
            .unwrap();
        tx_ids.push(commit.transaction_id().to_owned());
    }
    assert_eq!(mock.cut_block(), 5);
    let block = next_block(&mut stream).await;
    assert_eq!(
        transactions(&block),
        tx_ids
            .into_iter()
            .map(|id| (id, TxValidationCode::Valid))
            .collect::<Vec<_>>()
    );

    assert_eq!(
        first_numbers(&network, BlockStart::Oldest, 3).await,
        [0, 1, 2]
    );
    assert_eq!(first_numbers(&network, BlockStart::Newest, 1).await, [5]);
    let genesis = network
        .filtered_block_events(BlockStart::Block(0))
        .unwrap()
        .next()
        .await
        .unwrap()
        .unwrap();
    assert!(genesis.filtered_transactions.is_empty());
}

/// A gateway to `address` as Mallory: Org1MSP by name, but with a
/// certificate from a CA the mock does not know.
async fn stranger_gateway(address: SocketAddr) -> Gateway {
    let stranger_ca = TestCa::new("ca.evil.example.com");
    let stranger = stranger_ca.issue_identity("Mallory");
    let dir = tempfile::tempdir().unwrap();
    write_cryptogen_msp(dir.path(), "Mallory", &stranger_ca, &stranger);
    let credentials = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap();
    let channel = PeerEndpoint::new(address.to_string())
        .connect()
        .await
        .unwrap();
    Gateway::from_credentials(channel, credentials)
}

#[tokio::test]
async fn an_identity_the_peer_does_not_accept_is_forbidden() {
    let org = Org::new();
    let mock = org.mock_gateway();
    let address = mock.clone().serve(None).await;
    let gateway = stranger_gateway(address).await;
    // There are blocks to send, so only the check stands in the way.
    let mut stream = gateway
        .network("mychannel")
        .filtered_block_events(BlockStart::Oldest)
        .unwrap();

    let error = next_error(&mut stream).await;
    assert!(
        matches!(error, GatewayError::BlockEventsRefused { status: 403, .. }),
        "{error}"
    );
    assert_eq!(error.operation(), Some(Operation::BlockEvents));
    let text = error.to_string();
    assert!(
        text.starts_with(
            "the peer refused the block event request with status FORBIDDEN (403): the identity may not read channel mychannel;"
        ),
        "{text}"
    );
    assert!(mock.seek_requests().is_empty());
}

#[tokio::test]
async fn a_channel_the_peer_has_not_joined_is_not_found() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let mut stream = gateway
        .network("otherchannel")
        .filtered_block_events(BlockStart::Oldest)
        .unwrap();
    let error = next_error(&mut stream).await;
    assert!(
        matches!(error, GatewayError::BlockEventsRefused { status: 404, .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("status NOT_FOUND (404): the peer has not joined channel otherchannel"),
        "{error}"
    );
}

/// The first status the mock's Deliver service answers `envelope` with,
/// sent without the client library.
async fn raw_status(address: SocketAddr, envelope: Envelope) -> i32 {
    let channel = PeerEndpoint::new(address.to_string())
        .connect()
        .await
        .unwrap();
    let mut client = DeliverClient::new(channel);
    let mut responses = client
        .deliver_filtered(futures::stream::iter([envelope]))
        .await
        .unwrap()
        .into_inner();
    match responses.message().await.unwrap().unwrap().r#type {
        Some(deliver_response::Type::Status(status)) => status,
        other => panic!("not a status: {other:?}"),
    }
}

#[tokio::test]
async fn the_mock_checks_envelopes_as_a_peer_does() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let address = mock.clone().serve(None).await;
    let stream = gateway
        .network("mychannel")
        .filtered_block_events(BlockStart::Oldest)
        .unwrap();
    let good = stream.signed_envelope().clone();
    let signer = PrivateKeySigner::from_pem(&org.user.key_pem).unwrap();

    // The payload changed after signing: the signature no longer verifies.
    let mut payload = Payload::decode(good.payload.as_slice()).unwrap();
    payload.data = SeekInfo {
        behavior: seek_info::SeekBehavior::FailIfNotReady as i32,
        ..decode(&good).seek_info
    }
    .encode_to_vec();
    let tampered = Envelope {
        payload: payload.encode_to_vec(),
        signature: good.signature.clone(),
    };
    assert_eq!(
        raw_status(address, tampered).await,
        Status::Forbidden as i32
    );

    // Properly signed, but not a seek request.
    let mut header = payload.header.clone().unwrap();
    let mut channel_header = ChannelHeader::decode(header.channel_header.as_slice()).unwrap();
    channel_header.r#type = HeaderType::EndorserTransaction as i32;
    header.channel_header = channel_header.encode_to_vec();
    let wrong_type = Payload {
        header: Some(header),
        data: payload.data.clone(),
    }
    .encode_to_vec();
    let signature = sign_message(&signer, &wrong_type).unwrap();
    let envelope = Envelope {
        payload: wrong_type,
        signature,
    };
    assert_eq!(
        raw_status(address, envelope).await,
        Status::BadRequest as i32
    );

    // Not a payload at all.
    let garbage = Envelope {
        payload: vec![0xff; 8],
        signature: good.signature.clone(),
    };
    assert_eq!(
        raw_status(address, garbage).await,
        Status::BadRequest as i32
    );
    assert!(mock.seek_requests().is_empty(), "nothing was accepted");

    // The untouched envelope is served: block 0 first.
    let channel = PeerEndpoint::new(address.to_string())
        .connect()
        .await
        .unwrap();
    let mut client = DeliverClient::new(channel.clone());
    let requests = futures::stream::once(async { good }).chain(futures::stream::pending());
    let mut responses = client
        .deliver_filtered(requests)
        .await
        .unwrap()
        .into_inner();
    let first = responses.message().await.unwrap().unwrap();
    assert!(
        matches!(
            first.r#type,
            Some(deliver_response::Type::FilteredBlock(FilteredBlock {
                number: 0,
                ..
            }))
        ),
        "{first:?}"
    );

    // The methods a peer has but the mock does not serve.
    let unsigned = || futures::stream::iter([Envelope::default()]);
    let error = client.deliver(unsigned()).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::Unimplemented);
    let error = client
        .deliver_with_private_data(unsigned())
        .await
        .unwrap_err();
    assert_eq!(error.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn a_gateway_without_a_signer_cannot_read_blocks() {
    let org = Org::new();
    let channel = PeerEndpoint::new("127.0.0.1:9").connect_lazy().unwrap();
    let (identity, _) = org.credentials().into_parts();
    let gateway = Gateway::without_signer(channel, identity);
    let error = gateway
        .network("mychannel")
        .filtered_block_events(BlockStart::default())
        .unwrap_err();
    assert!(matches!(error, GatewayError::Sign(_)), "{error}");
    assert!(error.to_string().contains("has no signer"), "{error}");

    let error = offline_gateway(&org)
        .network(" ")
        .filtered_block_events(BlockStart::default())
        .unwrap_err();
    assert!(matches!(error, GatewayError::InvalidRequest(_)), "{error}");
}

#[tokio::test]
async fn an_unreachable_peer_is_the_first_item() {
    let org = Org::new();
    let mut stream = offline_gateway(&org)
        .network("mychannel")
        .filtered_block_events(BlockStart::default())
        .unwrap();
    let error = next_error(&mut stream).await;
    assert!(error.is_connection_failure(), "{error}");
    assert!(matches!(error, GatewayError::BlockEvents(_)), "{error}");
    assert_eq!(error.operation(), Some(Operation::BlockEvents));
}
