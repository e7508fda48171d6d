//! An in-process Fabric Gateway (tonic server implementing the generated
//! `gateway_server::Gateway` trait) that follows the real protocol: it
//! verifies every signature against the creator's certificate (low-S
//! required), the transaction id rule and the channel header, builds real
//! prepared transaction envelopes, orders submitted transactions into
//! blocks, answers commit status with validation codes, and streams
//! chaincode events of valid transactions with Fabric's start-block and
//! `after_transaction_id` rules. Its "chaincode" is a small key-value store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use medchain_protos::common::{Envelope, Payload};
use medchain_protos::gateway::gateway_server::{Gateway, GatewayServer};
use medchain_protos::gateway::*;
use medchain_protos::orderer::seek_position;
use medchain_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ChaincodeEndorsedAction, ChaincodeEvent,
    ChaincodeProposalPayload, ProposalResponsePayload, Response, SignedProposal,
    Transaction as TxMessage, TransactionAction, TxValidationCode,
};
use prost::Message;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Code, Request, Status};

use super::protocol::{decode_proposal, expected_tx_id, verify_by_creator};

pub const CHANNEL: &str = "medchain";
pub const CHAINCODE: &str = "medchain";

#[derive(Clone)]
struct Endorsed {
    payload: Vec<u8>,
    creator: Vec<u8>,
    code: TxValidationCode,
    event: Option<ChaincodeEvent>,
    write: Option<(String, Vec<u8>)>,
}

#[derive(Clone)]
struct Committed {
    tx_id: String,
    code: TxValidationCode,
    event: Option<ChaincodeEvent>,
}

/// A write to the key-value state.
type Write = Option<(String, Vec<u8>)>;

#[derive(Default)]
struct Ledger {
    /// Block 0 is the genesis block, without transactions.
    blocks: Vec<Vec<Committed>>,
    batch: Vec<(Committed, Write)>,
    endorsed: HashMap<String, Endorsed>,
    committed: HashMap<String, (TxValidationCode, u64)>,
    state: HashMap<String, Vec<u8>>,
    events_requests: Vec<ChaincodeEventsRequest>,
    target_organizations: Vec<Vec<String>>,
}

struct Inner {
    ledger: Mutex<Ledger>,
    height: watch::Sender<u64>,
    accepted_certificates: Vec<String>,
    auto_cut: Mutex<bool>,
    honour_after_transaction_id: Mutex<bool>,
}

/// The mock gateway; clones share the ledger.
#[derive(Clone)]
pub struct MockGateway {
    inner: Arc<Inner>,
}

impl MockGateway {
    /// A gateway accepting requests signed by these (PEM) certificates.
    pub fn new(accepted_certificates: Vec<String>) -> Self {
        let ledger = Ledger {
            blocks: vec![Vec::new()],
            ..Ledger::default()
        };
        Self {
            inner: Arc::new(Inner {
                ledger: Mutex::new(ledger),
                height: watch::channel(1).0,
                accepted_certificates,
                auto_cut: Mutex::new(true),
                honour_after_transaction_id: Mutex::new(true),
            }),
        }
    }

    /// Whether each submitted transaction gets its own block at once.
    pub fn set_auto_cut(&self, auto_cut: bool) {
        *self.inner.auto_cut.lock().unwrap() = auto_cut;
    }

    /// Misbehave: ignore `after_transaction_id` (to test the client guard).
    pub fn set_honour_after_transaction_id(&self, honour: bool) {
        *self.inner.honour_after_transaction_id.lock().unwrap() = honour;
    }

    /// Orders the pending transactions into a block; returns its number.
    pub fn cut_block(&self) -> u64 {
        let mut ledger = self.inner.ledger.lock().unwrap();
        let number = ledger.blocks.len() as u64;
        let batch = std::mem::take(&mut ledger.batch);
        let mut block = Vec::new();
        for (tx, write) in batch {
            if let (TxValidationCode::Valid, Some((key, value))) = (tx.code, write) {
                ledger.state.insert(key, value);
            }
            ledger.committed.insert(tx.tx_id.clone(), (tx.code, number));
            block.push(tx);
        }
        ledger.blocks.push(block);
        let height = ledger.blocks.len() as u64;
        drop(ledger);
        self.inner.height.send_replace(height);
        number
    }

    pub fn height(&self) -> u64 {
        *self.inner.height.borrow()
    }

    pub fn events_requests(&self) -> Vec<ChaincodeEventsRequest> {
        self.inner.ledger.lock().unwrap().events_requests.clone()
    }

    pub fn target_organizations(&self) -> Vec<Vec<String>> {
        self.inner
            .ledger
            .lock()
            .unwrap()
            .target_organizations
            .clone()
    }

    /// Serves on 127.0.0.1 (TLS if given) and returns the address.
    pub async fn serve(self, tls: Option<tonic::transport::ServerTlsConfig>) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).unwrap();
        }
        let router = builder.add_service(GatewayServer::new(self));
        tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
        address
    }

    /// The Fabric checks on a signed proposal; returns the decoded
    /// function, arguments, transient map, header and creator.
    fn check_proposal(
        &self,
        signed: Option<&SignedProposal>,
        channel_id: &str,
        transaction_id: &str,
    ) -> Result<Checked, Status> {
        let signed = signed.ok_or_else(|| Status::invalid_argument("no proposal"))?;
        let decoded = decode_proposal(signed).map_err(Status::invalid_argument)?;
        let ch = &decoded.channel_header;
        let denied = |m: &str| Err(Status::permission_denied(m.to_string()));
        if ch.r#type != 3 {
            return denied("channel header type is not ENDORSER_TRANSACTION");
        }
        if ch.channel_id != CHANNEL || channel_id != CHANNEL {
            return Err(Status::not_found(format!(
                "channel {} not found",
                ch.channel_id
            )));
        }
        if ch.timestamp.is_none() {
            return denied("no timestamp");
        }
        let nonce = &decoded.signature_header.nonce;
        if nonce.len() != 24 {
            return denied("nonce is not 24 bytes");
        }
        let tx_id = expected_tx_id(nonce, &decoded.signature_header.creator);
        if ch.tx_id != tx_id || transaction_id != tx_id {
            return denied("transaction id does not follow hex(SHA-256(nonce || creator))");
        }
        let header_chaincode = decoded
            .extension
            .chaincode_id
            .clone()
            .unwrap_or_default()
            .name;
        if header_chaincode != decoded.chaincode_name() || header_chaincode != CHAINCODE {
            return denied("chaincode name mismatch");
        }
        self.check_signature(
            &decoded.signature_header.creator,
            &signed.proposal_bytes,
            &signed.signature,
        )?;
        let args = decoded.args();
        let (function, args) = args
            .split_first()
            .ok_or_else(|| Status::invalid_argument("no function"))?;
        Ok(Checked {
            function: String::from_utf8_lossy(function).into_owned(),
            args: args.to_vec(),
            transient: decoded.payload.transient_map.clone(),
            header: decoded.proposal.header.clone(),
            signature_header: decoded.header.signature_header.clone(),
            creator: decoded.signature_header.creator.clone(),
            msp_id: decoded.creator.mspid.clone(),
            tx_id,
        })
    }

    fn check_signature(
        &self,
        creator: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Status> {
        let identity = verify_by_creator(creator, message, signature)
            .map_err(|e| Status::permission_denied(format!("access denied: {e}")))?;
        let pem = String::from_utf8_lossy(&identity.id_bytes);
        if identity.mspid != "Org1MSP"
            || !self
                .inner
                .accepted_certificates
                .iter()
                .any(|c| c.trim() == pem.trim())
        {
            return Err(Status::permission_denied("access denied: unknown identity"));
        }
        Ok(())
    }
}

struct Checked {
    function: String,
    args: Vec<Vec<u8>>,
    transient: HashMap<String, Vec<u8>>,
    header: Vec<u8>,
    signature_header: Vec<u8>,
    creator: Vec<u8>,
    msp_id: String,
    tx_id: String,
}

struct Outcome {
    payload: Vec<u8>,
    code: TxValidationCode,
    event: Option<(String, Vec<u8>)>,
    write: Option<(String, Vec<u8>)>,
}

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
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<prost_types::Any>,
}

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

/// The key-value "chaincode".
fn run_chaincode(ledger: &Ledger, call: &Checked) -> Result<Outcome, Status> {
    let arg = |i: usize| call.args.get(i).cloned().unwrap_or_default();
    let key = String::from_utf8_lossy(&arg(0)).into_owned();
    let valid = |payload| Outcome {
        payload,
        code: TxValidationCode::Valid,
        event: None,
        write: None,
    };
    match call.function.as_str() {
        "put" => Ok(Outcome {
            event: Some(("put".into(), key.clone().into_bytes())),
            write: Some((key, arg(1))),
            ..valid(arg(1))
        }),
        "get" => ledger.state.get(&key).cloned().map(valid).ok_or_else(|| {
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
            "chaincode response 500, unknown function {other}"
        ))),
    }
}

/// The prepared envelope, built as the gateway's prepareTransaction does.
fn prepare(call: &Checked, outcome: &Outcome) -> Vec<u8> {
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
        header: Some(medchain_protos::common::Header::decode(call.header.as_slice()).unwrap()),
        data: transaction.encode_to_vec(),
    }
    .encode_to_vec()
}

#[tonic::async_trait]
impl Gateway for MockGateway {
    async fn evaluate(
        &self,
        request: Request<EvaluateRequest>,
    ) -> Result<tonic::Response<EvaluateResponse>, Status> {
        let request = request.into_inner();
        let call = self.check_proposal(
            request.proposed_transaction.as_ref(),
            &request.channel_id,
            &request.transaction_id,
        )?;
        if call.function == "slow" {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let mut ledger = self.inner.ledger.lock().unwrap();
        ledger
            .target_organizations
            .push(request.target_organizations.clone());
        let outcome = run_chaincode(&ledger, &call)?;
        let result = Response {
            status: 200,
            message: String::new(),
            payload: outcome.payload,
        };
        Ok(tonic::Response::new(EvaluateResponse {
            result: Some(result),
        }))
    }

    async fn endorse(
        &self,
        request: Request<EndorseRequest>,
    ) -> Result<tonic::Response<EndorseResponse>, Status> {
        let request = request.into_inner();
        let call = self.check_proposal(
            request.proposed_transaction.as_ref(),
            &request.channel_id,
            &request.transaction_id,
        )?;
        let mut ledger = self.inner.ledger.lock().unwrap();
        ledger
            .target_organizations
            .push(request.endorsing_organizations.clone());
        let outcome = run_chaincode(&ledger, &call)?;
        let payload = prepare(&call, &outcome);
        let event = outcome.event.map(|(event_name, payload)| ChaincodeEvent {
            chaincode_id: CHAINCODE.into(),
            tx_id: call.tx_id.clone(),
            event_name,
            payload,
        });
        let endorsed = Endorsed {
            payload: payload.clone(),
            creator: call.creator,
            code: outcome.code,
            event,
            write: outcome.write,
        };
        ledger.endorsed.insert(call.tx_id, endorsed);
        let envelope = Envelope {
            payload,
            signature: Vec::new(),
        };
        Ok(tonic::Response::new(EndorseResponse {
            prepared_transaction: Some(envelope),
        }))
    }

    async fn submit(
        &self,
        request: Request<SubmitRequest>,
    ) -> Result<tonic::Response<SubmitResponse>, Status> {
        let request = request.into_inner();
        let envelope = request
            .prepared_transaction
            .ok_or_else(|| Status::invalid_argument("a prepared transaction is required"))?;
        if envelope.signature.is_empty() {
            return Err(Status::invalid_argument(
                "prepared transaction must be signed",
            ));
        }
        let endorsed = self
            .inner
            .ledger
            .lock()
            .unwrap()
            .endorsed
            .get(&request.transaction_id)
            .cloned()
            .ok_or_else(|| Status::not_found("no such endorsed transaction"))?;
        if envelope.payload != endorsed.payload || request.channel_id != CHANNEL {
            return Err(Status::invalid_argument(
                "the envelope is not the one that was endorsed",
            ));
        }
        self.check_signature(&endorsed.creator, &envelope.payload, &envelope.signature)?;
        let committed = Committed {
            tx_id: request.transaction_id,
            code: endorsed.code,
            event: endorsed.event,
        };
        self.inner
            .ledger
            .lock()
            .unwrap()
            .batch
            .push((committed, endorsed.write));
        if *self.inner.auto_cut.lock().unwrap() {
            self.cut_block();
        }
        Ok(tonic::Response::new(SubmitResponse {}))
    }

    async fn commit_status(
        &self,
        request: Request<SignedCommitStatusRequest>,
    ) -> Result<tonic::Response<CommitStatusResponse>, Status> {
        let signed = request.into_inner();
        let request = CommitStatusRequest::decode(signed.request.as_slice())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.check_signature(&request.identity, &signed.request, &signed.signature)?;
        if request.channel_id != CHANNEL {
            return Err(Status::failed_precondition("unknown channel"));
        }
        let mut height = self.inner.height.subscribe();
        loop {
            if let Some((code, block)) = self
                .inner
                .ledger
                .lock()
                .unwrap()
                .committed
                .get(&request.transaction_id)
            {
                return Ok(tonic::Response::new(CommitStatusResponse {
                    result: *code as i32,
                    block_number: *block,
                }));
            }
            height
                .changed()
                .await
                .map_err(|_| Status::unavailable("shutting down"))?;
        }
    }

    type ChaincodeEventsStream = ReceiverStream<Result<ChaincodeEventsResponse, Status>>;

    async fn chaincode_events(
        &self,
        request: Request<SignedChaincodeEventsRequest>,
    ) -> Result<tonic::Response<Self::ChaincodeEventsStream>, Status> {
        let signed = request.into_inner();
        let request = ChaincodeEventsRequest::decode(signed.request.as_slice())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.check_signature(&request.identity, &signed.request, &signed.signature)?;
        if request.channel_id != CHANNEL {
            return Err(Status::not_found("unknown channel"));
        }
        let honour = *self.inner.honour_after_transaction_id.lock().unwrap();
        let after = if honour {
            request.after_transaction_id.clone()
        } else {
            String::new()
        };
        let mut next_block = {
            let mut ledger = self.inner.ledger.lock().unwrap();
            ledger.events_requests.push(request.clone());
            match (
                ledger.committed.get(&after),
                request.start_position.and_then(|p| p.r#type),
            ) {
                (Some((_, block)), _) => *block,
                (None, Some(seek_position::Type::Specified(s))) => s.number,
                (None, Some(seek_position::Type::NextCommit(_)) | None) => {
                    ledger.blocks.len() as u64
                }
                (None, Some(_)) => {
                    return Err(Status::invalid_argument("invalid start position type"));
                }
            }
        };
        let (sender, receiver) = mpsc::channel(4);
        let inner = self.inner.clone();
        let chaincode = request.chaincode_id;
        tokio::spawn(async move {
            let mut passed = after.is_empty();
            let mut height = inner.height.subscribe();
            loop {
                while *height.borrow_and_update() <= next_block {
                    if height.changed().await.is_err() {
                        return;
                    }
                }
                let block = inner.ledger.lock().unwrap().blocks[next_block as usize].clone();
                let mut events = Vec::new();
                for tx in block
                    .into_iter()
                    .filter(|tx| tx.code == TxValidationCode::Valid)
                {
                    let Some(event) = tx.event else { continue };
                    if !passed {
                        passed = event.tx_id == after;
                        continue;
                    }
                    if event.chaincode_id == chaincode {
                        events.push(event);
                    }
                }
                if !events.is_empty() {
                    let response = ChaincodeEventsResponse {
                        events,
                        block_number: next_block,
                    };
                    if sender.send(Ok(response)).await.is_err() {
                        return;
                    }
                }
                next_block += 1;
            }
        });
        Ok(tonic::Response::new(ReceiverStream::new(receiver)))
    }
}
