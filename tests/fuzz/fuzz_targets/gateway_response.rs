//! The gateway client's response parsers: a failed call's gRPC status
//! details (`google.rpc.Status` → `gateway.ErrorDetail`s) and the
//! endorsers' words (`ChaincodeResponse::from_gateway_text`), the
//! contract's refusal form (`ContractFailure::parse`), the event
//! checkpoint file (`FileCheckpointStore`), and the gateway's answers
//! (`EvaluateResponse`, `EndorseResponse`, `CommitStatusResponse`,
//! `ChaincodeEventsResponse`, `ProposalResponse`).
//!
//! Input: byte 0 picks the parser. Properties: no panic; a parsed refusal
//! prints back to exactly the message it was parsed from; a loaded
//! checkpoint saves and reloads to the same checkpoint; the gateway's
//! messages round-trip through prost.
#![no_main]

use std::sync::LazyLock;

use fabric_gateway::{
    ChaincodeResponse, CheckpointStore as _, FileCheckpointStore, Operation, RpcError,
};
use fabric_protos::gateway::{
    ChaincodeEventsResponse, CommitStatusResponse, EndorseResponse, EvaluateResponse,
};
use fabric_protos::protos::ProposalResponse;
use libfuzzer_sys::fuzz_target;
use medchain_protocol::ContractFailure;
use prost::Message;

static DIR: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));

fn round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(decoded) = M::decode(bytes) {
        let again = M::decode(decoded.encode_to_vec().as_slice()).expect("prost re-decodes");
        assert_eq!(again, decoded);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => {
            let status = tonic::Status::with_details(
                tonic::Code::Aborted,
                String::from_utf8_lossy(input),
                input.to_vec().into(),
            );
            let details = fabric_gateway::error_details(&status);
            let error = RpcError::from_status(Operation::Endorse, Some("tx"), &status);
            assert_eq!(error.details().len(), details.len());
            for response in error.chaincode_responses() {
                assert!(!response.message.is_empty() || response.status != 500);
            }
        }
        1 => {
            let text = String::from_utf8_lossy(input);
            if let Some(response) = ChaincodeResponse::from_gateway_text(&text) {
                if let Some(failure) = ContractFailure::parse(response.status, &response.message) {
                    assert_eq!(
                        failure.to_string(),
                        response.message,
                        "a refusal prints back as parsed"
                    );
                    assert_eq!(failure.code.status(), response.status);
                }
            }
        }
        2 => {
            let path = DIR.path().join("checkpoint.json");
            std::fs::write(&path, input).expect("write the checkpoint file");
            let mut store = FileCheckpointStore::new(&path);
            if let Ok(Some(checkpoint)) = store.load() {
                store.save(&checkpoint).expect("save a loaded checkpoint");
                let again = store.load().expect("reload").expect("a saved checkpoint");
                assert_eq!(again, checkpoint, "a checkpoint survives save and load");
            }
        }
        3 => {
            round_trip::<EvaluateResponse>(input);
            round_trip::<EndorseResponse>(input);
            round_trip::<ProposalResponse>(input);
        }
        _ => {
            round_trip::<CommitStatusResponse>(input);
            round_trip::<ChaincodeEventsResponse>(input);
        }
    }
});
