//! Chaincode events as an async stream, read with a signed
//! `gateway.ChaincodeEventsRequest{channel_id, chaincode_id, identity,
//! start_position, after_transaction_id}`.
//!
//! The gateway answers with one `ChaincodeEventsResponse{events,
//! block_number}` per block that holds events of the chaincode (from valid
//! transactions only), in ledger order; the stream flattens them into
//! [`ChaincodeEvent`]s.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use fabric_protos::gateway::gateway_client::GatewayClient;
use fabric_protos::gateway::{
    ChaincodeEventsRequest, ChaincodeEventsResponse, SignedChaincodeEventsRequest,
};
use futures::stream::{BoxStream, Stream, StreamExt};
use prost::Message;
use tonic::codec::Streaming;
use tonic::transport::Channel;

use super::checkpoint::{Checkpoint, StartPosition};
use super::error::{GatewayError, Operation, RpcError};
use super::event::ChaincodeEvent;
use super::session::Session;

/// A stream of [`ChaincodeEvent`]s; see
/// [`Network::chaincode_events`](super::Network::chaincode_events).
///
/// It ends with an error item if the call fails or the connection breaks
/// (resume from your last checkpoint), and ends without one if the gateway
/// closes the stream.
pub struct ChaincodeEventStream {
    signed_request: SignedChaincodeEventsRequest,
    events: BoxStream<'static, Result<ChaincodeEvent, GatewayError>>,
}

impl ChaincodeEventStream {
    pub(crate) fn open(
        session: Arc<Session>,
        channel_name: &str,
        chaincode_name: &str,
        start: StartPosition,
    ) -> Result<Self, GatewayError> {
        for (value, what) in [
            (channel_name, "channel name"),
            (chaincode_name, "chaincode name"),
        ] {
            if value.trim().is_empty() {
                return Err(GatewayError::InvalidRequest(format!(
                    "the {what} is empty; give the {what} whose events to read"
                )));
            }
        }
        let (start_position, after_transaction_id) = start.to_request_fields();
        let request = ChaincodeEventsRequest {
            channel_id: channel_name.to_owned(),
            chaincode_id: chaincode_name.to_owned(),
            identity: session.identity().creator().to_vec(),
            start_position: Some(start_position),
            after_transaction_id,
        }
        .encode_to_vec();
        let signature = session.sign(&request)?;
        let signed_request = SignedChaincodeEventsRequest { request, signature };
        let state = State::Connect {
            client: session.client(),
            request: signed_request.clone(),
            already_handled: start.checkpoint().cloned(),
        };
        Ok(Self {
            signed_request,
            events: futures::stream::unfold(state, next).boxed(),
        })
    }

    /// The signed request as it is sent to the gateway.
    pub fn signed_request(&self) -> &SignedChaincodeEventsRequest {
        &self.signed_request
    }
}

impl Stream for ChaincodeEventStream {
    type Item = Result<ChaincodeEvent, GatewayError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for ChaincodeEventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChaincodeEventStream")
            .finish_non_exhaustive()
    }
}

enum State {
    Connect {
        client: GatewayClient<Channel>,
        request: SignedChaincodeEventsRequest,
        already_handled: Option<Checkpoint>,
    },
    Receive {
        responses: Streaming<ChaincodeEventsResponse>,
        pending: VecDeque<ChaincodeEvent>,
        already_handled: Option<Checkpoint>,
    },
    Done,
}

type Step = Option<(Result<ChaincodeEvent, GatewayError>, State)>;

fn failure(status: &tonic::Status) -> Step {
    let error = RpcError::from_status(Operation::ChaincodeEvents, None, status);
    Some((Err(error.into()), State::Done))
}

/// Produces the next event. The gateway already skips what the checkpoint
/// covers; events it covers are dropped here too, so a gateway that resent
/// one would still not deliver it twice.
async fn next(mut state: State) -> Step {
    loop {
        state = match state {
            State::Done => return None,
            State::Connect {
                mut client,
                request,
                already_handled,
            } => match client.chaincode_events(request).await {
                Ok(response) => State::Receive {
                    responses: response.into_inner(),
                    pending: VecDeque::new(),
                    already_handled,
                },
                Err(status) => return failure(&status),
            },
            State::Receive {
                mut responses,
                mut pending,
                already_handled,
            } => {
                if let Some(event) = pending.pop_front() {
                    let state = State::Receive {
                        responses,
                        pending,
                        already_handled,
                    };
                    return Some((Ok(event), state));
                }
                match responses.message().await {
                    Ok(Some(response)) => {
                        let block_number = response.block_number;
                        pending.extend(
                            response
                                .events
                                .into_iter()
                                .map(|event| ChaincodeEvent {
                                    block_number,
                                    tx_id: event.tx_id,
                                    chaincode_name: event.chaincode_id,
                                    event_name: event.event_name,
                                    payload: event.payload,
                                })
                                .filter(|event| {
                                    !already_handled.as_ref().is_some_and(|c| c.covers(event))
                                }),
                        );
                        State::Receive {
                            responses,
                            pending,
                            already_handled,
                        }
                    }
                    Ok(None) => return None,
                    Err(status) => return failure(&status),
                }
            }
        };
    }
}
