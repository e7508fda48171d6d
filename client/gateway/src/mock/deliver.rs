//! The peer's Deliver service (`protos.Deliver`) on the mock gateway's
//! server, following the peer's protocol for `DeliverFiltered`: each
//! envelope the client sends is one block request. A malformed envelope
//! (not a `common.Payload` with a `DELIVER_SEEK_INFO` header and a
//! `SeekInfo`, or an impossible range) is answered with the status
//! `BAD_REQUEST`, another channel with `NOT_FOUND`, a signature that does
//! not verify under the creator's certificate or a creator the mock does
//! not accept with `FORBIDDEN`, and the stream ends. Otherwise one
//! `FilteredBlock` per block from the start to the stop follows, waiting
//! for blocks not cut yet (or `NOT_FOUND` for `FAIL_IF_NOT_READY`), then
//! `SUCCESS`, and the next envelope is read. `Deliver` and
//! `DeliverWithPrivateData` are not served.

use fabric_protos::common::{
    ChannelHeader, Envelope, HeaderType, Payload, SignatureHeader, Status as DeliverStatus,
};
use fabric_protos::orderer::{SeekInfo, SeekPosition, seek_info, seek_position};
use fabric_protos::protos::deliver_server::Deliver;
use fabric_protos::protos::{DeliverResponse, deliver_response};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::gateway::{CHANNEL, MockGateway};

/// The responses of one Deliver call.
type Responses = ReceiverStream<Result<DeliverResponse, Status>>;

/// The blocks one accepted request asks for, both ends included.
struct Range {
    start: u64,
    stop: u64,
}

fn status_response(status: DeliverStatus) -> DeliverResponse {
    DeliverResponse {
        r#type: Some(deliver_response::Type::Status(status as i32)),
    }
}

/// A block number from a seek position, given the height when the request
/// arrived; `next_commit` is only a start.
fn resolve(
    position: Option<&SeekPosition>,
    height: u64,
    is_start: bool,
) -> Result<u64, DeliverStatus> {
    match position.and_then(|p| p.r#type.as_ref()) {
        Some(seek_position::Type::Oldest(_)) => Ok(0),
        Some(seek_position::Type::Newest(_)) => Ok(height.saturating_sub(1)),
        Some(seek_position::Type::Specified(specified)) => Ok(specified.number),
        Some(seek_position::Type::NextCommit(_)) if is_start => Ok(height),
        Some(seek_position::Type::NextCommit(_)) | None => Err(DeliverStatus::BadRequest),
    }
}

impl MockGateway {
    /// The checks the peer makes on a block request, in its order.
    fn check_seek(&self, envelope: &Envelope) -> Result<Range, DeliverStatus> {
        let bad = |_| DeliverStatus::BadRequest;
        let payload = Payload::decode(envelope.payload.as_slice()).map_err(bad)?;
        let header = payload.header.ok_or(DeliverStatus::BadRequest)?;
        let channel_header =
            ChannelHeader::decode(header.channel_header.as_slice()).map_err(bad)?;
        let signature_header =
            SignatureHeader::decode(header.signature_header.as_slice()).map_err(bad)?;
        if channel_header.r#type != HeaderType::DeliverSeekInfo as i32 {
            return Err(DeliverStatus::BadRequest);
        }
        if channel_header.channel_id != CHANNEL {
            return Err(DeliverStatus::NotFound);
        }
        self.check_signature(
            &signature_header.creator,
            &envelope.payload,
            &envelope.signature,
        )
        .map_err(|_| DeliverStatus::Forbidden)?;
        let info = SeekInfo::decode(payload.data.as_slice()).map_err(bad)?;
        let height = self.record_seek(info);
        let start = resolve(info.start.as_ref(), height, true)?;
        let stop = resolve(info.stop.as_ref(), height, false)?;
        if stop < start {
            return Err(DeliverStatus::BadRequest);
        }
        if info.behavior == seek_info::SeekBehavior::FailIfNotReady as i32 && start >= height {
            return Err(DeliverStatus::NotFound);
        }
        Ok(Range { start, stop })
    }

    /// Sends the filtered blocks of `range`, waiting for each to be cut;
    /// `None` if the client went away first.
    async fn send_blocks(
        &self,
        range: Range,
        sender: &mpsc::Sender<Result<DeliverResponse, Status>>,
    ) -> Option<DeliverStatus> {
        // Subscribed before the first look, so no cut block is missed.
        let mut height = self.subscribe_height();
        let mut number = range.start;
        loop {
            let Some(block) = self.filtered_block(number) else {
                tokio::select! {
                    changed = height.changed() => {
                        if changed.is_err() {
                            return Some(DeliverStatus::ServiceUnavailable);
                        }
                    }
                    () = sender.closed() => return None,
                }
                continue;
            };
            let response = DeliverResponse {
                r#type: Some(deliver_response::Type::FilteredBlock(block)),
            };
            sender.send(Ok(response)).await.ok()?;
            if number == range.stop {
                return Some(DeliverStatus::Success);
            }
            number += 1;
        }
    }
}

fn not_served(method: &str) -> Status {
    Status::unimplemented(format!(
        "the mock peer does not serve Deliver/{method}; use DeliverFiltered"
    ))
}

#[tonic::async_trait]
impl Deliver for MockGateway {
    type DeliverStream = Responses;

    async fn deliver(
        &self,
        _request: Request<Streaming<Envelope>>,
    ) -> Result<Response<Self::DeliverStream>, Status> {
        Err(not_served("Deliver"))
    }

    type DeliverFilteredStream = Responses;

    async fn deliver_filtered(
        &self,
        request: Request<Streaming<Envelope>>,
    ) -> Result<Response<Self::DeliverFilteredStream>, Status> {
        let mut envelopes = request.into_inner();
        let (sender, receiver) = mpsc::channel(4);
        let mock = self.clone();
        tokio::spawn(async move {
            // Until the client stops sending or a request is refused.
            while let Ok(Some(envelope)) = envelopes.message().await {
                let status = match mock.check_seek(&envelope) {
                    Ok(range) => match mock.send_blocks(range, &sender).await {
                        Some(status) => status,
                        None => return,
                    },
                    Err(refused) => refused,
                };
                if sender.send(Ok(status_response(status))).await.is_err()
                    || status != DeliverStatus::Success
                {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    type DeliverWithPrivateDataStream = Responses;

    async fn deliver_with_private_data(
        &self,
        _request: Request<Streaming<Envelope>>,
    ) -> Result<Response<Self::DeliverWithPrivateDataStream>, Status> {
        Err(not_served("DeliverWithPrivateData"))
    }
}
