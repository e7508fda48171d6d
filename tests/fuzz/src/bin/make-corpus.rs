//! Writes the seed corpus, `tests/fuzz/corpus/<target>/<name>`, from real
//! encodings. Run from the repository root:
//! `cargo run --manifest-path tests/fuzz/Cargo.toml --bin make-corpus`.
//! The files are committed; rerun after a format change.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use base64::Engine as _;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeMessage, ChaincodeMessage as Msg};
use medchain_fuzz::*;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseOpening, CaseRecords, InputParameter, KdfParams, Registration, Role, StoredRecord,
};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::EncodePrivateKey as _;
use prost::Message as _;

fn prefixed(selector: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![selector];
    out.extend_from_slice(bytes);
    out
}

fn framed(messages: &[ChaincodeMessage]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        let bytes = m.encode_to_vec();
        out.extend_from_slice(&u16::try_from(bytes.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

fn simple(kind: Type, tx_id: &str, payload: &[u8]) -> ChaincodeMessage {
    Msg {
        r#type: kind as i32,
        txid: tx_id.into(),
        channel_id: "fuzz".into(),
        payload: payload.to_vec(),
        ..Default::default()
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    let creator = CREATORS[0].clone();
    let identity = fabric_shim::ClientIdentity::from_serialized(&creator).unwrap();
    let patient = secret_key("patient").public_key();
    let vk = patient.to_encoded_point(false).as_bytes().to_vec();
    let doctor_pk = secret_key("doctor")
        .public_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();

    // contract_input
    let reg = InputParameter {
        record: Some(Record::Reg(Registration {
            role: Role::Doctor as i32,
            certificate_pem: identity.certificate_pem().into(),
            msp_id: MSP_ID.into(),
        })),
    };
    let opening = CaseOpening {
        patient_key: vk.clone(),
        family_keys: vec![vk.clone()],
        lawyer_experts: vec![],
        pharmacists: vec![11],
        insurers: vec![12],
        doctor: 13,
        doctor_ephemeral_key: doctor_pk.clone(),
        kdf: Some(KdfParams {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }),
        ..Default::default()
    };
    let txtc = InputParameter {
        record: Some(Record::Txtc(opening.clone())),
    };
    write(
        "contract_input",
        "store-reg",
        &prefixed(0, &reg.encode_to_vec()),
    );
    write(
        "contract_input",
        "store-txtc",
        &prefixed(1, &txtc.encode_to_vec()),
    );
    write(
        "contract_input",
        "get-hex",
        &prefixed(2, hex::encode([1u8; 32]).as_bytes()),
    );
    write("contract_input", "get-case-raw", &prefixed(3, &[2u8; 32]));
    write(
        "contract_input",
        "get-participant",
        &prefixed(4, &13u64.to_be_bytes()),
    );
    write(
        "contract_input",
        "init-policy",
        &prefixed(5, hex::encode(policy_bytes()).as_bytes()),
    );

    // shim_frame and shim_session
    let tx = transaction_message(Type::Transaction, "tx1", &creator, &[b"Store", b"k"]);
    write("shim_frame", "transaction", &tx.encode_to_vec());
    write(
        "shim_frame",
        "registered",
        &simple(Type::Registered, "", &[]).encode_to_vec(),
    );
    write(
        "shim_frame",
        "response",
        &simple(Type::Response, "tx1", b"value").encode_to_vec(),
    );
    let ready = [
        simple(Type::Registered, "", &[]),
        simple(Type::Ready, "", &[]),
    ];
    let mut session = ready.to_vec();
    session.push(tx.clone());
    session.push(simple(Type::Response, "tx1", b"value"));
    session.push(simple(Type::Response, "tx1", b""));
    write("shim_session", "handshake-transaction", &framed(&session));
    let mut twice = ready.to_vec();
    twice.push(tx.clone());
    twice.push(tx.clone());
    twice.push(simple(Type::Keepalive, "", &[]));
    write("shim_session", "duplicate-txid", &framed(&twice));
    write(
        "shim_session",
        "out-of-order",
        &framed(&[
            tx.clone(),
            simple(Type::Ready, "", &[]),
            simple(Type::Registered, "", &[]),
        ]),
    );

    // shim_identity
    write("shim_identity", "serialized", &creator);
    write(
        "shim_identity",
        "pem",
        identity.certificate_pem().as_bytes(),
    );
    write("shim_identity", "der", identity.certificate_der());

    // ca_response
    let key = secret_key("enrollee");
    let pkcs8 = key.to_pkcs8_der().unwrap();
    let keypair = rcgen::KeyPair::try_from(pkcs8.as_bytes()).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["enrollee".into()])
        .unwrap()
        .self_signed(&keypair)
        .unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let info = serde_json::json!({"success": true, "errors": [], "messages": [],
        "result": {"CAName": "ca-org1", "CAChain": b64(&cert.pem()), "Version": "1.5.21"}});
    let enroll = serde_json::json!({"success": true, "errors": [], "messages": [],
        "result": {"Cert": b64(&cert.pem()), "ServerInfo": {"CAName": "ca-org1", "CAChain": b64(&cert.pem())}}});
    let error = serde_json::json!({"success": false, "result": null, "messages": [],
        "errors": [{"code": 20, "message": "Authentication failure"}]});
    write(
        "ca_response",
        "cainfo",
        &prefixed(0, info.to_string().as_bytes()),
    );
    write(
        "ca_response",
        "enroll",
        &prefixed(1, enroll.to_string().as_bytes()),
    );
    write(
        "ca_response",
        "error",
        &prefixed(3, error.to_string().as_bytes()),
    );

    // siff_parsers
    let mut tag = vec![0u8; 66 * 2];
    tag[65] = 1;
    tag[131] = 2;
    write("siff_parsers", "tag", &prefixed(0, &tag));
    write("siff_parsers", "record", &prefixed(1, &genuine_record()));
    write(
        "siff_parsers",
        "response",
        &prefixed(2, &genuine_response()),
    );

    // gateway_response
    use fabric_protos::gateway::{CommitStatusResponse, ErrorDetail, EvaluateResponse};
    let detail = ErrorDetail {
        address: "peer0".into(),
        msp_id: MSP_ID.into(),
        message: "chaincode response 404, not_found: no such participant".into(),
    };
    let rpc = rpc_status_bytes(&detail);
    write("gateway_response", "status-details", &prefixed(0, &rpc));
    write(
        "gateway_response",
        "chaincode-response",
        &prefixed(1, b"evaluate call to endorser returned error: chaincode response 404, not_found: no such participant"),
    );
    write(
        "gateway_response",
        "checkpoint",
        &prefixed(2, br#"{"format":"medchain-event-checkpoint","version":1,"block_number":7,"transaction_id":"tx1"}"#),
    );
    let evaluate = EvaluateResponse {
        result: Some(fabric_protos::protos::Response {
            status: 200,
            message: String::new(),
            payload: b"ok".to_vec(),
        }),
    };
    write(
        "gateway_response",
        "evaluate",
        &prefixed(3, &evaluate.encode_to_vec()),
    );
    let commit = CommitStatusResponse {
        result: 11,
        block_number: 7,
    };
    write(
        "gateway_response",
        "commit-status",
        &prefixed(4, &commit.encode_to_vec()),
    );

    // sdk_records
    let selection = medchain_sdk::workflow::Selection::new(&vk, 13);
    write(
        "sdk_records",
        "selection",
        &prefixed(0, selection.to_json().as_bytes()),
    );
    write(
        "sdk_records",
        "opening",
        &prefixed(1, &opening.encode_to_vec()),
    );
    let records = CaseRecords {
        records: vec![StoredRecord {
            key: vec![3; 32],
            r#type: "txtc".into(),
            value: txtc.encode_to_vec(),
            tx_id: "tx1".into(),
        }],
        bookmark: String::new(),
    };
    write(
        "sdk_records",
        "case-records",
        &prefixed(2, &records.encode_to_vec()),
    );
    write("sdk_records", "identity-key", &prefixed(3, &vk));

    // wallet_files
    write("wallet_files", "profile", &prefixed(0, &wallet_profile()));
    write("wallet_files", "secrets", &prefixed(1, &sealed_secrets()));
}

/// A `google.rpc.Status` carrying one gateway `ErrorDetail`, as the status
/// details of a failed Endorse.
fn rpc_status_bytes(detail: &fabric_protos::gateway::ErrorDetail) -> Vec<u8> {
    #[derive(Clone, PartialEq, prost::Message)]
    struct RpcStatus {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
        #[prost(message, repeated, tag = "3")]
        details: Vec<prost_types::Any>,
    }
    RpcStatus {
        code: 10,
        message: "failed to endorse transaction".into(),
        details: vec![prost_types::Any {
            type_url: fabric_gateway::ERROR_DETAIL_TYPE_URL.into(),
            value: detail.encode_to_vec(),
        }],
    }
    .encode_to_vec()
}
