//! Signing of the prepared transaction envelope, and of the commit-status
//! and chaincode-events requests, verified independently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fabric_gateway::mock::protocol::{is_low_s, verify};
use fabric_gateway::mock::{Org, offline_gateway};
use fabric_gateway::{Checkpoint, GatewayError, StartPosition};
use fabric_protos::common::{ChannelHeader, Envelope, Header, Payload};
use fabric_protos::gateway::{ChaincodeEventsRequest, PreparedTransaction};
use fabric_protos::orderer::{SeekNextCommit, SeekPosition, SeekSpecified, seek_position};
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ChaincodeEndorsedAction, ProposalResponsePayload,
    Response, Transaction, TransactionAction,
};
use p256::ecdsa::VerifyingKey;
use prost::Message;

/// A prepared transaction as the gateway returns it from Endorse.
fn prepared(tx_id: &str, result: &[u8]) -> PreparedTransaction {
    let chaincode_action = ChaincodeAction {
        response: Some(Response {
            status: 200,
            message: String::new(),
            payload: result.to_vec(),
        }),
        ..ChaincodeAction::default()
    };
    let response_payload = ProposalResponsePayload {
        proposal_hash: vec![7; 32],
        extension: chaincode_action.encode_to_vec(),
    };
    let action_payload = ChaincodeActionPayload {
        chaincode_proposal_payload: Vec::new(),
        action: Some(ChaincodeEndorsedAction {
            proposal_response_payload: response_payload.encode_to_vec(),
            endorsements: Vec::new(),
        }),
    };
    let transaction = Transaction {
        actions: vec![TransactionAction {
            header: Vec::new(),
            payload: action_payload.encode_to_vec(),
        }],
    };
    let channel_header = ChannelHeader {
        r#type: 3,
        channel_id: "mychannel".into(),
        tx_id: tx_id.into(),
        ..ChannelHeader::default()
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: channel_header.encode_to_vec(),
            signature_header: Vec::new(),
        }),
        data: transaction.encode_to_vec(),
    };
    PreparedTransaction {
        transaction_id: tx_id.into(),
        envelope: Some(Envelope {
            payload: payload.encode_to_vec(),
            signature: Vec::new(),
        }),
    }
}

#[tokio::test]
async fn the_envelope_payload_is_signed_and_the_result_read() {
    let org = Org::new();
    let key = VerifyingKey::from_sec1_bytes(&org.user.public_key_sec1).unwrap();
    let gateway = offline_gateway(&org);
    let input = prepared("abc123", b"the result");
    let original_payload = input.envelope.clone().unwrap().payload;

    let transaction = gateway.new_transaction(input).unwrap();
    assert_eq!(transaction.result(), b"the result");
    assert_eq!(transaction.transaction_id(), "abc123");
    assert_eq!(transaction.channel_name(), "mychannel");
    let envelope = transaction.envelope();
    assert_eq!(
        envelope.payload, original_payload,
        "the payload is signed as is"
    );
    assert!(is_low_s(&envelope.signature));
    verify(&key, &envelope.payload, &envelope.signature).unwrap();
    let prepared = transaction.to_prepared();
    assert_eq!(prepared.transaction_id, "abc123");
    assert_eq!(prepared.envelope.as_ref(), Some(envelope));
}

#[tokio::test]
async fn malformed_prepared_transactions_are_rejected() {
    let org = Org::new();
    let gateway = offline_gateway(&org);

    let mut other = prepared("abc123", b"x");
    other.transaction_id = "def456".into();
    let error = gateway.new_transaction(other).unwrap_err();
    assert!(matches!(error, GatewayError::InvalidRequest(_)), "{error}");
    assert!(error.to_string().contains("instead of def456"), "{error}");

    let mut garbage = prepared("abc123", b"x");
    garbage.envelope.as_mut().unwrap().payload = vec![0xff, 0xff, 0xff];
    let error = gateway.new_transaction(garbage).unwrap_err();
    assert!(error.to_string().contains("malformed"), "{error}");

    let mut empty = prepared("abc123", b"x");
    let payload = Payload::decode(empty.envelope.as_ref().unwrap().payload.as_slice()).unwrap();
    let no_actions = Payload {
        data: Transaction::default().encode_to_vec(),
        ..payload
    };
    empty.envelope.as_mut().unwrap().payload = no_actions.encode_to_vec();
    let error = gateway.new_transaction(empty).unwrap_err();
    assert!(error.to_string().contains("no chaincode action"), "{error}");

    let missing = PreparedTransaction {
        transaction_id: "abc123".into(),
        envelope: None,
    };
    let error = gateway.new_transaction(missing).unwrap_err();
    assert!(error.to_string().contains("no envelope"), "{error}");
}

fn events_request(position: StartPosition) -> (ChaincodeEventsRequest, Vec<u8>, Vec<u8>) {
    let org = Org::new();
    let network = offline_gateway(&org).network("mychannel");
    let stream = network.chaincode_events("records", position).unwrap();
    let signed = stream.signed_request();
    let request = ChaincodeEventsRequest::decode(signed.request.as_slice()).unwrap();
    let key = VerifyingKey::from_sec1_bytes(&org.user.public_key_sec1).unwrap();
    verify(&key, &signed.request, &signed.signature).unwrap();
    assert!(is_low_s(&signed.signature));
    (
        request,
        org.user.certificate_pem.into_bytes(),
        signed.request.clone(),
    )
}

fn specified(number: u64) -> Option<SeekPosition> {
    Some(SeekPosition {
        r#type: Some(seek_position::Type::Specified(SeekSpecified { number })),
    })
}

#[tokio::test]
async fn chaincode_events_requests_are_signed_with_the_right_start() {
    let (request, certificate, _) = events_request(StartPosition::NextCommit);
    assert_eq!(request.channel_id, "mychannel");
    assert_eq!(request.chaincode_id, "records");
    let identity =
        fabric_protos::msp::SerializedIdentity::decode(request.identity.as_slice()).unwrap();
    assert_eq!(identity.mspid, "Org1MSP");
    assert_eq!(identity.id_bytes, certificate);
    assert_eq!(
        request.start_position,
        Some(SeekPosition {
            r#type: Some(seek_position::Type::NextCommit(SeekNextCommit {}))
        })
    );
    assert_eq!(request.after_transaction_id, "");

    let (request, _, _) = events_request(StartPosition::Block(0));
    assert_eq!(request.start_position, specified(0));
    assert_eq!(request.after_transaction_id, "");

    let checkpoint = Checkpoint::new(42, Some("tx-9".into()));
    let (request, _, _) = events_request(checkpoint.into());
    assert_eq!(request.start_position, specified(42));
    assert_eq!(request.after_transaction_id, "tx-9");

    let (request, _, _) = events_request(Checkpoint::after_block(42).into());
    assert_eq!(request.start_position, specified(43));
    assert_eq!(request.after_transaction_id, "");
}

#[tokio::test]
async fn an_events_request_needs_a_chaincode_name() {
    let org = Org::new();
    let network = offline_gateway(&org).network("mychannel");
    let error = network
        .chaincode_events("", StartPosition::NextCommit)
        .unwrap_err();
    assert!(
        error.to_string().contains("chaincode name is empty"),
        "{error}"
    );
}
