//! Filtered block events from the peer's Deliver service
//! (`protos.Deliver/DeliverFiltered`), like the official SDKs'
//! `Network.FilteredBlockEvents`.
//!
//! The request is one signed `common.Envelope{payload, signature}`: its
//! payload has a `DELIVER_SEEK_INFO` channel header (with a transaction id
//! made like a proposal's) and, as data, an `orderer.SeekInfo` from the
//! chosen [`BlockStart`] to block `u64::MAX`, waiting for blocks not yet
//! committed (`BLOCK_UNTIL_READY`). The peer answers with one
//! `DeliverResponse{filtered_block}` per block, in order, and with a
//! `DeliverResponse{status}` when it stops.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use fabric_protos::common::{
    ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader, Status,
};
use fabric_protos::orderer::{
    SeekInfo, SeekNewest, SeekNextCommit, SeekOldest, SeekPosition, SeekSpecified, seek_info,
    seek_position,
};
use fabric_protos::protos::deliver_client::DeliverClient;
use fabric_protos::protos::{DeliverResponse, FilteredBlock, deliver_response};
use futures::stream::{BoxStream, Stream, StreamExt};
use prost::Message;
use tonic::codec::Streaming;
use tonic::transport::Channel;

use super::error::{GatewayError, Operation, RpcError};
use super::proposal::{new_nonce, transaction_id};
use super::session::Session;

/// The block a [`FilteredBlockStream`] starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockStart {
    /// The next block committed after the peer receives the request (the
    /// default, as in the official SDKs).
    #[default]
    NextCommit,
    /// The newest block the peer has committed.
    Newest,
    /// The channel's genesis block, block 0.
    Oldest,
    /// The block with this number; the stream waits for it if the peer has
    /// not committed it yet.
    Block(u64),
}

impl BlockStart {
    /// The `orderer.SeekPosition` of this start.
    fn seek_position(self) -> SeekPosition {
        let position = match self {
            BlockStart::NextCommit => seek_position::Type::NextCommit(SeekNextCommit {}),
            BlockStart::Newest => seek_position::Type::Newest(SeekNewest {}),
            BlockStart::Oldest => seek_position::Type::Oldest(SeekOldest {}),
            BlockStart::Block(number) => seek_position::Type::Specified(SeekSpecified { number }),
        };
        SeekPosition {
            r#type: Some(position),
        }
    }
}

/// What the request asks the peer for: every block from `start` on,
/// waiting for the ones not committed yet.
fn seek_info(start: BlockStart) -> SeekInfo {
    let stop = seek_position::Type::Specified(SeekSpecified { number: u64::MAX });
    SeekInfo {
        start: Some(start.seek_position()),
        stop: Some(SeekPosition { r#type: Some(stop) }),
        behavior: seek_info::SeekBehavior::BlockUntilReady as i32,
        ..SeekInfo::default()
    }
}

/// A stream of the [`FilteredBlock`]s of a channel (each block's number
/// and, per transaction, its id, type, validation code and chaincode
/// events without their payloads); see
/// [`Network::filtered_block_events`](super::Network::filtered_block_events).
///
/// It never ends while the peer keeps sending blocks. It ends with one
/// error item if the call fails, the connection breaks, or the peer
/// refuses the request ([`GatewayError::BlockEventsRefused`]), and ends
/// without one if the peer closes the stream.
pub struct FilteredBlockStream {
    envelope: Envelope,
    blocks: BoxStream<'static, Result<FilteredBlock, GatewayError>>,
}

impl FilteredBlockStream {
    pub(crate) fn open(
        session: Arc<Session>,
        channel_name: &str,
        start: BlockStart,
    ) -> Result<Self, GatewayError> {
        if channel_name.trim().is_empty() {
            return Err(GatewayError::InvalidRequest(
                "the channel name is empty; give the channel whose blocks to read".to_owned(),
            ));
        }
        let identity = session.identity();
        let nonce = new_nonce();
        let tx_id = transaction_id(&nonce, identity.creator());
        let channel_header = ChannelHeader {
            r#type: HeaderType::DeliverSeekInfo as i32,
            version: 0,
            timestamp: Some(prost_types::Timestamp::from(SystemTime::now())),
            channel_id: channel_name.to_owned(),
            tx_id: tx_id.clone(),
            epoch: 0,
            tls_cert_hash: Vec::new(),
            ..ChannelHeader::default()
        };
        let signature_header = SignatureHeader {
            creator: identity.creator().to_vec(),
            nonce: nonce.to_vec(),
        };
        let payload = Payload {
            header: Some(Header {
                channel_header: channel_header.encode_to_vec(),
                signature_header: signature_header.encode_to_vec(),
            }),
            data: seek_info(start).encode_to_vec(),
        }
        .encode_to_vec();
        let signature = session.sign(&payload)?;
        let envelope = Envelope { payload, signature };
        tracing::debug!(
            channel = channel_name,
            ?start,
            tx_id,
            "block events requested"
        );
        let state = State::Connect {
            client: session.deliver_client(),
            envelope: envelope.clone(),
            channel_name: channel_name.to_owned(),
        };
        Ok(Self {
            envelope,
            blocks: futures::stream::unfold(state, next).boxed(),
        })
    }

    /// The signed envelope as it is sent to the peer.
    pub fn signed_envelope(&self) -> &Envelope {
        &self.envelope
    }
}

impl Stream for FilteredBlockStream {
    type Item = Result<FilteredBlock, GatewayError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.blocks.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for FilteredBlockStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilteredBlockStream")
            .finish_non_exhaustive()
    }
}

enum State {
    Connect {
        client: DeliverClient<Channel>,
        envelope: Envelope,
        channel_name: String,
    },
    Receive {
        responses: Streaming<DeliverResponse>,
        channel_name: String,
    },
    Done,
}

type Step = Option<(Result<FilteredBlock, GatewayError>, State)>;

fn failure(status: &tonic::Status) -> Step {
    let error = RpcError::from_status(Operation::BlockEvents, None, status);
    Some((Err(error.into()), State::Done))
}

/// Makes the call on the first poll, then yields one block per response.
async fn next(state: State) -> Step {
    let (mut responses, channel_name) = match state {
        State::Done => return None,
        State::Connect {
            mut client,
            envelope,
            channel_name,
        } => {
            // The request stream stays open after the envelope: the peer
            // reads its end as the client leaving.
            let requests =
                futures::stream::once(async move { envelope }).chain(futures::stream::pending());
            match client.deliver_filtered(requests).await {
                Ok(response) => (response.into_inner(), channel_name),
                Err(status) => return failure(&status),
            }
        }
        State::Receive {
            responses,
            channel_name,
        } => (responses, channel_name),
    };
    let response = match responses.message().await {
        Ok(Some(response)) => response,
        Ok(None) => {
            tracing::debug!(channel = channel_name, "the peer closed the block events");
            return None;
        }
        Err(status) => return failure(&status),
    };
    match read_response(response, &channel_name)? {
        Ok(block) => Some((
            Ok(block),
            State::Receive {
                responses,
                channel_name,
            },
        )),
        Err(error) => {
            tracing::debug!(channel = channel_name, %error, "block events ended");
            Some((Err(error), State::Done))
        }
    }
}

/// One Deliver response: a block, the end of the stream (`None`, after
/// `SUCCESS`), or the error that ends it.
fn read_response(
    response: DeliverResponse,
    channel_name: &str,
) -> Option<Result<FilteredBlock, GatewayError>> {
    match response.r#type {
        Some(deliver_response::Type::FilteredBlock(block)) => Some(Ok(block)),
        Some(deliver_response::Type::Status(status)) if status == Status::Success as i32 => None,
        Some(deliver_response::Type::Status(status)) => {
            Some(Err(GatewayError::BlockEventsRefused {
                channel_name: channel_name.to_owned(),
                status,
            }))
        }
        Some(_) | None => Some(Err(GatewayError::MalformedResponse {
            what: "deliver response",
            reason: "it holds neither a filtered block nor a status".to_owned(),
        })),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use fabric_protos::common::Block;

    use super::*;

    fn start_of(start: BlockStart) -> Option<seek_position::Type> {
        seek_info(start).start.and_then(|p| p.r#type)
    }

    #[test]
    fn every_start_reads_to_the_last_block_and_waits() {
        assert_eq!(BlockStart::default(), BlockStart::NextCommit);
        for start in [
            BlockStart::NextCommit,
            BlockStart::Newest,
            BlockStart::Oldest,
            BlockStart::Block(7),
        ] {
            let info = seek_info(start);
            assert_eq!(
                info.stop.and_then(|p| p.r#type),
                Some(seek_position::Type::Specified(SeekSpecified {
                    number: u64::MAX
                })),
                "{start:?}"
            );
            assert_eq!(
                info.behavior,
                seek_info::SeekBehavior::BlockUntilReady as i32
            );
        }
        assert!(matches!(
            start_of(BlockStart::NextCommit),
            Some(seek_position::Type::NextCommit(_))
        ));
        assert!(matches!(
            start_of(BlockStart::Newest),
            Some(seek_position::Type::Newest(_))
        ));
        assert!(matches!(
            start_of(BlockStart::Oldest),
            Some(seek_position::Type::Oldest(_))
        ));
        assert_eq!(
            start_of(BlockStart::Block(7)),
            Some(seek_position::Type::Specified(SeekSpecified { number: 7 }))
        );
    }

    fn status(status: Status) -> DeliverResponse {
        DeliverResponse {
            r#type: Some(deliver_response::Type::Status(status as i32)),
        }
    }

    #[test]
    fn blocks_pass_success_ends_and_other_statuses_are_errors() {
        let block = FilteredBlock {
            channel_id: "ch".into(),
            number: 3,
            filtered_transactions: Vec::new(),
        };
        let response = DeliverResponse {
            r#type: Some(deliver_response::Type::FilteredBlock(block.clone())),
        };
        assert_eq!(read_response(response, "ch").unwrap().unwrap(), block);
        assert!(read_response(status(Status::Success), "ch").is_none());

        let error = read_response(status(Status::Forbidden), "ch")
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(error, GatewayError::BlockEventsRefused { status: 403, .. }),
            "{error}"
        );
        // The sentence itself is checked by the gateway tests against the mock.
        assert_eq!(error.operation(), Some(Operation::BlockEvents));
        let error = read_response(status(Status::NotFound), "ch")
            .unwrap()
            .unwrap_err();
        assert!(error.to_string().contains("NOT_FOUND (404)"), "{error}");
        let unknown = DeliverResponse {
            r#type: Some(deliver_response::Type::Status(299)),
        };
        let error = read_response(unknown, "ch").unwrap().unwrap_err();
        assert!(
            error.to_string().contains("UNKNOWN_STATUS (299)"),
            "{error}"
        );
    }

    #[test]
    fn responses_that_are_not_filtered_blocks_are_malformed() {
        let full_block = DeliverResponse {
            r#type: Some(deliver_response::Type::Block(Block::default())),
        };
        for response in [full_block, DeliverResponse { r#type: None }] {
            let error = read_response(response, "ch").unwrap().unwrap_err();
            assert!(
                matches!(error, GatewayError::MalformedResponse { .. }),
                "{error}"
            );
        }
    }
}
