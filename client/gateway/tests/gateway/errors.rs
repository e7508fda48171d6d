//! Error mapping: the gateway's ErrorDetails decoded from a real tonic
//! status, validation code names, and the one-sentence messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fabric_gateway::mock::chaincode::{RpcStatus, endorsement_failure};
use fabric_gateway::{
    CommitStatus, ErrorDetail, GatewayError, Operation, RpcError, error_details,
    validation_code_name,
};
use fabric_protos::protos::TxValidationCode;
use prost::Message;
use tonic::{Code, Status};

/// A status with `google.rpc.Status` details holding the given Any values,
/// sent through tonic's own header encoding and decoding.
fn status_through_headers(details: Vec<prost_types::Any>) -> Status {
    let rpc = RpcStatus {
        code: Code::Aborted as i32,
        message: "failed to endorse".into(),
        details,
    };
    let status = Status::with_details(
        Code::Aborted,
        "failed to endorse",
        rpc.encode_to_vec().into(),
    );
    let mut headers = tonic::codegen::http::HeaderMap::new();
    status.add_header(&mut headers).unwrap();
    assert!(headers.contains_key("grpc-status-details-bin"));
    Status::from_header_map(&headers).unwrap()
}

fn any(type_url: &str, value: Vec<u8>) -> prost_types::Any {
    prost_types::Any {
        type_url: type_url.into(),
        value,
    }
}

#[test]
fn error_details_are_decoded_from_the_status() {
    let expected = endorsement_failure();
    let details = expected
        .iter()
        .map(|d| any("type.googleapis.com/gateway.ErrorDetail", d.encode_to_vec()))
        .collect();
    let status = status_through_headers(details);
    assert_eq!(error_details(&status), expected);

    let error = RpcError::from_status(Operation::Endorse, Some("tx1"), &status);
    assert_eq!(error.code(), Code::Aborted);
    assert_eq!(error.message(), "failed to endorse");
    assert_eq!(error.details(), expected.as_slice());
    assert_eq!(error.transaction_id(), Some("tx1"));
    assert_eq!(error.operation(), Operation::Endorse);
    let text = GatewayError::from(error).to_string();
    for part in [
        "endorse call for transaction tx1",
        "Aborted",
        "failed to endorse",
        "peer0.org1.example.com:7051 (Org1MSP): chaincode response 500, record is locked",
        "peer0.org2.example.com:9051 (Org2MSP): connection refused",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
}

#[test]
fn other_detail_types_and_garbage_are_left_out() {
    let detail = ErrorDetail {
        address: "a:1".into(),
        msp_id: "M".into(),
        message: "m".into(),
    };
    let status = status_through_headers(vec![
        any("type.googleapis.com/google.rpc.DebugInfo", vec![1, 2, 3]),
        any("type.googleapis.com/gateway.ErrorDetail", vec![0xff, 0xff]),
        any("custom.example/gateway.ErrorDetail", detail.encode_to_vec()),
    ]);
    assert_eq!(error_details(&status), vec![detail]);

    let garbage = Status::with_details(Code::Internal, "x", vec![0xff, 0x01].into());
    assert!(error_details(&garbage).is_empty());
    assert!(error_details(&Status::unavailable("down")).is_empty());
}

#[test]
fn validation_codes_are_named_as_fabric_names_them() {
    assert_eq!(validation_code_name(0), "VALID");
    assert_eq!(validation_code_name(10), "ENDORSEMENT_POLICY_FAILURE");
    assert_eq!(validation_code_name(11), "MVCC_READ_CONFLICT");
    assert_eq!(validation_code_name(12), "PHANTOM_READ_CONFLICT");
    assert_eq!(validation_code_name(4), "BAD_CREATOR_SIGNATURE");
    assert_eq!(validation_code_name(9999), "UNKNOWN_VALIDATION_CODE_9999");
}

#[test]
fn an_invalid_commit_status_becomes_an_error_naming_the_code() {
    let valid = CommitStatus {
        tx_id: "t".into(),
        code: 0,
        block_number: 3,
    };
    assert!(valid.is_valid());
    assert_eq!(valid.clone().ensure_valid().unwrap(), valid);

    let invalid = CommitStatus {
        tx_id: "t9".into(),
        code: 11,
        block_number: 7,
    };
    assert!(!invalid.is_valid());
    assert_eq!(invalid.code_name(), "MVCC_READ_CONFLICT");
    let error = invalid.ensure_valid().unwrap_err();
    assert!(matches!(
        &error,
        GatewayError::Commit(commit)
            if commit.raw_code() == 11
                && commit.code() == TxValidationCode::MvccReadConflict
                && commit.block_number() == 7
    ));
    assert_eq!(
        error.validation_code_name().as_deref(),
        Some("MVCC_READ_CONFLICT")
    );
    let text = error.to_string();
    assert!(
        text.contains("t9") && text.contains("block 7") && text.contains("MVCC_READ_CONFLICT (11)"),
        "{text}"
    );
}

#[test]
fn a_timeout_says_which_call_and_what_to_do() {
    let error = GatewayError::Timeout {
        operation: Operation::CommitStatus,
        transaction_id: Some("tx5".into()),
        timeout: Duration::from_secs(60),
    };
    let text = error.to_string();
    assert!(
        text.contains("commit status call for transaction tx5"),
        "{text}"
    );
    assert!(
        text.contains("60s") && text.contains("raise the timeout"),
        "{text}"
    );
    assert!(error.rpc().is_none());
}
