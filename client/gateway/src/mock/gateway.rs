//! An in-process Fabric Gateway (tonic server implementing the generated
//! `gateway_server::Gateway` trait) that follows the real protocol: it
//! verifies every signature against the creator's certificate (low-S
//! required), the transaction id rule and the channel header, builds real
//! prepared transaction envelopes, orders submitted transactions into
//! blocks, answers commit status with validation codes, and streams
//! chaincode events of valid transactions with Fabric's start-block and
//! `after_transaction_id` rules. The same server runs the peer's Deliver
//! service for filtered blocks ([`super::deliver`]). Its "chaincode" is a
//! small key-value store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fabric_protos::common::{Envelope, HeaderType};
use fabric_protos::gateway::gateway_server::{Gateway, GatewayServer};
use fabric_protos::gateway::*;
use fabric_protos::orderer::{SeekInfo, seek_position};
use fabric_protos::protos::deliver_server::DeliverServer;
use fabric_protos::protos::{
    ChaincodeEvent, FilteredBlock, FilteredChaincodeAction, FilteredTransaction,
    FilteredTransactionActions, Response, SignedProposal, TxValidationCode, filtered_transaction,
};
use prost::Message;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Code, Request, Status};

use super::chaincode::{
    Checked, Outcome, planted_key, planted_refusal_key, prepare, run_chaincode, status_with_details,
};
use super::checks::{check_proposal, check_signature};

/// The only channel the mock gateway serves.
pub const CHANNEL: &str = "mychannel";
/// The only chaincode the mock gateway runs.
pub const CHAINCODE: &str = "basic";

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
    seek_requests: Vec<SeekInfo>,
    target_organizations: Vec<Vec<String>>,
}

struct Inner {
    ledger: Mutex<Ledger>,
    height: watch::Sender<u64>,
    accepted_certificates: Vec<String>,
    auto_cut: Mutex<bool>,
    honour_after_transaction_id: Mutex<bool>,
    failing_endorsements: Mutex<(usize, String)>,
    functions: Mutex<Vec<String>>,
    endorse_calls: Mutex<usize>,
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
                failing_endorsements: Mutex::new((0, String::new())),
                functions: Mutex::new(Vec::new()),
                endorse_calls: Mutex::new(0),
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

    /// Plays another organisation's peer that fails to endorse (e.g. one
    /// that has not committed the latest block yet): the next `count`
    /// endorsements fail with an `Aborted` status whose one error detail,
    /// from `peer0.org2.example.com`, says `message`.
    pub fn fail_endorsements(&self, count: usize, message: &str) {
        *self.inner.failing_endorsements.lock().unwrap() = (count, message.to_owned());
    }

    /// The transaction function names the chaincode was invoked with, in
    /// order (as sent: `contract:function` for a named contract).
    pub fn invoked_functions(&self) -> Vec<String> {
        self.inner.functions.lock().unwrap().clone()
    }

    /// How many Endorse calls the gateway received.
    pub fn endorse_calls(&self) -> usize {
        *self.inner.endorse_calls.lock().unwrap()
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

    /// Plays a peer whose state answers `function(argument, …)` (any
    /// function name; `argument` is the first argument) with `answer`,
    /// whatever it is.
    pub fn plant_answer(&self, function: &str, argument: &[u8], answer: Vec<u8>) {
        self.inner
            .ledger
            .lock()
            .unwrap()
            .state
            .insert(planted_key(function, argument), answer);
    }

    /// Plays a peer whose chaincode refuses `function(argument, …)` (any
    /// function name; `argument` is the first argument): evaluating it fails
    /// the way the gateway reports a failed Evaluate, with `message` as the
    /// endorser's answer (e.g. `chaincode response 404, …`).
    pub fn plant_refusal(&self, function: &str, argument: &[u8], message: &str) {
        self.inner
            .ledger
            .lock()
            .unwrap()
            .state
            .insert(planted_refusal_key(function, argument), message.into());
    }

    /// The block height (the genesis block counts).
    pub fn height(&self) -> u64 {
        *self.inner.height.borrow()
    }

    /// Every chaincode events request received.
    pub fn events_requests(&self) -> Vec<ChaincodeEventsRequest> {
        self.inner.ledger.lock().unwrap().events_requests.clone()
    }

    /// Every block request (`SeekInfo`) the Deliver service accepted (the
    /// envelope was well formed, for this channel and signed by an
    /// accepted identity), in order.
    pub fn seek_requests(&self) -> Vec<SeekInfo> {
        self.inner.ledger.lock().unwrap().seek_requests.clone()
    }

    /// The organisations each evaluate or endorse asked for.
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
        let router = builder
            .add_service(GatewayServer::new(self.clone()))
            .add_service(DeliverServer::new(self));
        tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
        address
    }

    /// Checks a proposal, records the organisations asked for, and runs
    /// the chaincode.
    async fn simulate(
        &self,
        signed: Option<&SignedProposal>,
        channel_id: &str,
        transaction_id: &str,
        organizations: Vec<String>,
    ) -> Result<(Checked, Outcome), Status> {
        let call = check_proposal(
            &self.inner.accepted_certificates,
            signed,
            channel_id,
            transaction_id,
        )?;
        if call.function == "slow" {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        self.inner
            .functions
            .lock()
            .unwrap()
            .push(call.function.clone());
        let mut ledger = self.inner.ledger.lock().unwrap();
        ledger.target_organizations.push(organizations);
        let outcome = run_chaincode(&ledger.state, &call)?;
        Ok((call, outcome))
    }

    /// Records an accepted block request and returns the block height
    /// at that moment (taken together, so no block is cut in between).
    pub(super) fn record_seek(&self, info: SeekInfo) -> u64 {
        let mut ledger = self.inner.ledger.lock().unwrap();
        ledger.seek_requests.push(info);
        ledger.blocks.len() as u64
    }

    /// Block `number` as the peer's Deliver service filters it (each
    /// transaction's id, type, validation code and chaincode event without
    /// its payload), if it has been cut.
    pub(super) fn filtered_block(&self, number: u64) -> Option<FilteredBlock> {
        let ledger = self.inner.ledger.lock().unwrap();
        let block = ledger.blocks.get(usize::try_from(number).ok()?)?;
        let filtered_transactions = block
            .iter()
            .map(|tx| {
                let chaincode_actions = tx
                    .event
                    .iter()
                    .map(|event| FilteredChaincodeAction {
                        chaincode_event: Some(ChaincodeEvent {
                            payload: Vec::new(),
                            ..event.clone()
                        }),
                    })
                    .collect();
                FilteredTransaction {
                    txid: tx.tx_id.clone(),
                    r#type: HeaderType::EndorserTransaction as i32,
                    tx_validation_code: tx.code as i32,
                    data: Some(filtered_transaction::Data::TransactionActions(
                        FilteredTransactionActions { chaincode_actions },
                    )),
                }
            })
            .collect();
        Some(FilteredBlock {
            channel_id: CHANNEL.into(),
            number,
            filtered_transactions,
        })
    }

    /// A receiver told of every new block height.
    pub(super) fn subscribe_height(&self) -> watch::Receiver<u64> {
        self.inner.height.subscribe()
    }

    /// Checks a signature by `creator` over `message`, and that the
    /// creator is an accepted Org1MSP member.
    pub(super) fn check_signature(
        &self,
        creator: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Status> {
        check_signature(
            &self.inner.accepted_certificates,
            creator,
            message,
            signature,
        )
    }
}

#[tonic::async_trait]
impl Gateway for MockGateway {
    async fn evaluate(
        &self,
        request: Request<EvaluateRequest>,
    ) -> Result<tonic::Response<EvaluateResponse>, Status> {
        let request = request.into_inner();
        let (_, outcome) = self
            .simulate(
                request.proposed_transaction.as_ref(),
                &request.channel_id,
                &request.transaction_id,
                request.target_organizations,
            )
            .await?;
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
        *self.inner.endorse_calls.lock().unwrap() += 1;
        {
            let mut failing = self.inner.failing_endorsements.lock().unwrap();
            if failing.0 > 0 {
                failing.0 -= 1;
                let detail = ErrorDetail {
                    address: "peer0.org2.example.com:7061".into(),
                    msp_id: "Org2MSP".into(),
                    message: failing.1.clone(),
                };
                return Err(status_with_details(
                    Code::Aborted,
                    "failed to collect enough transaction endorsements, see attached details for more info",
                    &[detail],
                ));
            }
        }
        let (call, outcome) = self
            .simulate(
                request.proposed_transaction.as_ref(),
                &request.channel_id,
                &request.transaction_id,
                request.endorsing_organizations,
            )
            .await?;
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
        let mut ledger = self.inner.ledger.lock().unwrap();
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
