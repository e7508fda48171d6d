//! The mock gateway's "chaincode" (a small key-value store with a few
//! functions that fail or commit as invalid on purpose), and the prepared
//! transaction envelope built the way the gateway's prepareTransaction
//! builds it.

use std::collections::HashMap;

use fabric_protos::common::{Header, Payload};
use fabric_protos::gateway::ErrorDetail;
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ChaincodeEndorsedAction, ChaincodeEvent,
    ChaincodeProposalPayload, ProposalResponsePayload, Response, Transaction as TxMessage,
    TransactionAction, TxValidationCode,
};
use prost::Message;
use tonic::{Code, Status};

use super::gateway::CHAINCODE;

/// A proposal that passed the peer's checks, decoded.
pub struct Checked {
    /// The transaction function name (as sent, `contract:function` included).
    pub function: String,
    /// The arguments after the function name.
    pub args: Vec<Vec<u8>>,
    /// The transient map.
    pub transient: HashMap<String, Vec<u8>>,
    /// The proposal's serialized `common.Header`.
    pub header: Vec<u8>,
    /// The serialized `common.SignatureHeader`.
    pub signature_header: Vec<u8>,
    /// The serialized creator (`msp.SerializedIdentity`).
    pub creator: Vec<u8>,
    /// The creator's MSP id.
    pub msp_id: String,
    /// The transaction id.
    pub tx_id: String,
}

/// What the key-value chaincode did with a call.
pub struct Outcome {
    /// What the function returned.
    pub payload: Vec<u8>,
    /// The validation code the transaction will commit with.
    pub code: TxValidationCode,
    /// The chaincode event it emits (name, payload), if any.
    pub event: Option<(String, Vec<u8>)>,
    /// The state write it makes (key, value), if any.
    pub write: Option<(String, Vec<u8>)>,
}

/// The per-peer details of the `fail` function's endorsement failure.
pub fn endorsement_failure() -> Vec<ErrorDetail> {
    vec![
        ErrorDetail {
            address: "peer0.org1.example.com:7051".into(),
            msp_id: "Org1MSP".into(),
            message: "chaincode response 500, record is locked".into(),
        },
        ErrorDetail {
            address: "peer0.org2.example.com:9051".into(),
            msp_id: "Org2MSP".into(),
            message: "connection refused".into(),
        },
    ]
}

/// `google.rpc.Status` as the gateway encodes it into the status details.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    /// The gRPC code.
    pub code: i32,
    #[prost(string, tag = "2")]
    /// The message.
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    /// The details (`gateway.ErrorDetail`s among them).
    pub details: Vec<prost_types::Any>,
}

/// A status carrying `details` the way the gateway attaches them.
pub fn status_with_details(code: Code, message: &str, details: &[ErrorDetail]) -> Status {
    let rpc = RpcStatus {
        code: code as i32,
        message: message.into(),
        details: details
            .iter()
            .map(|d| prost_types::Any {
                type_url: "type.googleapis.com/gateway.ErrorDetail".into(),
                value: d.encode_to_vec(),
            })
            .collect(),
    };
    Status::with_details(code, message, rpc.encode_to_vec().into())
}

/// The state key under which a test plants the answer to
/// `function(argument, …)` (see `MockGateway::plant_answer`).
pub fn planted_key(function: &str, argument: &[u8]) -> String {
    format!("{function}/{}", hex::encode(argument))
}

/// The state key under which a test plants the refusal of
/// `function(argument, …)` (see `MockGateway::plant_refusal`).
pub fn planted_refusal_key(function: &str, argument: &[u8]) -> String {
    format!("refuse/{}", planted_key(function, argument))
}

/// The key-value "chaincode".
pub fn run_chaincode(state: &HashMap<String, Vec<u8>>, call: &Checked) -> Result<Outcome, Status> {
    let arg = |i: usize| call.args.get(i).cloned().unwrap_or_default();
    let key = String::from_utf8_lossy(&arg(0)).into_owned();
    let valid = |payload| Outcome {
        payload,
        code: TxValidationCode::Valid,
        event: None,
        write: None,
    };
    // A planted refusal or answer wins: a peer answers from its own state.
    if let Some(refusal) = state.get(&planted_refusal_key(&call.function, &arg(0))) {
        return Err(Status::unknown(format!(
            "evaluate call to endorser returned error: {}",
            String::from_utf8_lossy(refusal)
        )));
    }
    if let Some(answer) = state.get(&planted_key(&call.function, &arg(0))) {
        return Ok(valid(answer.clone()));
    }
    match call.function.as_str() {
        "put" => Ok(Outcome {
            event: Some(("put".into(), key.clone().into_bytes())),
            write: Some((key, arg(1))),
            ..valid(arg(1))
        }),
        "get" => state.get(&key).cloned().map(valid).ok_or_else(|| {
            let detail = ErrorDetail {
                address: "peer0.org1.example.com:7051".into(),
                msp_id: "Org1MSP".into(),
                message: format!("chaincode response 500, no record {key}"),
            };
            status_with_details(
                Code::Unknown,
                "evaluate call to endorser returned error",
                &[detail],
            )
        }),
        "conflict" => Ok(Outcome {
            code: TxValidationCode::MvccReadConflict,
            event: Some(("conflict".into(), Vec::new())),
            ..valid(Vec::new())
        }),
        "policy" => Ok(Outcome {
            code: TxValidationCode::EndorsementPolicyFailure,
            ..valid(Vec::new())
        }),
        "fail" => Err(status_with_details(
            Code::Aborted,
            "failed to collect enough transaction endorsements, see attached details for more info",
            &endorsement_failure(),
        )),
        "transient" => Ok(valid(call.transient.get(&key).cloned().unwrap_or_default())),
        "whoami" => Ok(valid(call.msp_id.clone().into_bytes())),
        "slow" => Ok(valid(Vec::new())),
        other => Err(Status::unknown(format!(
            "chaincode response 500, not found: unknown function {other} (nothing planted for it)"
        ))),
    }
}

/// The prepared envelope, built as the gateway's prepareTransaction does.
pub fn prepare(call: &Checked, outcome: &Outcome) -> Vec<u8> {
    let event = outcome
        .event
        .as_ref()
        .map(|(name, payload)| ChaincodeEvent {
            chaincode_id: CHAINCODE.into(),
            tx_id: call.tx_id.clone(),
            event_name: name.clone(),
            payload: payload.clone(),
        });
    let action = ChaincodeAction {
        response: Some(Response {
            status: 200,
            message: String::new(),
            payload: outcome.payload.clone(),
        }),
        events: event.map(|e| e.encode_to_vec()).unwrap_or_default(),
        ..ChaincodeAction::default()
    };
    let response_payload = ProposalResponsePayload {
        proposal_hash: call.header.clone(),
        extension: action.encode_to_vec(),
    };
    let action_payload = ChaincodeActionPayload {
        chaincode_proposal_payload: ChaincodeProposalPayload::default().encode_to_vec(),
        action: Some(ChaincodeEndorsedAction {
            proposal_response_payload: response_payload.encode_to_vec(),
            endorsements: Vec::new(),
        }),
    };
    let transaction = TxMessage {
        actions: vec![TransactionAction {
            header: call.signature_header.clone(),
            payload: action_payload.encode_to_vec(),
        }],
    };
    Payload {
        header: Some(Header::decode(call.header.as_slice()).unwrap()),
        data: transaction.encode_to_vec(),
    }
    .encode_to_vec()
}
