//! The gRPC codec of the `protos.Chaincode/Connect` stream.
//!
//! Inbound frames are handed over undecoded ([`RawFrame`]) so that the
//! receiver decodes each `ChaincodeMessage` itself: a frame that is not a
//! valid message then gets an `ERROR` reply and the stream goes on, instead
//! of tonic failing the whole stream. Outbound messages are prost-encoded.

use std::marker::PhantomData;

use fabric_protos::protos::ChaincodeMessage;
use prost::Message;
use prost::bytes::{Buf, BufMut};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// The largest message either side accepts or sends: 100 MiB, the limit
/// Fabric's peer and the Go shim configure on their gRPC connections.
pub const MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;

/// The full path of the Connect method.
pub const CONNECT_PATH: &str = "/protos.Chaincode/Connect";

/// One gRPC message body, exactly as received or as to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame(pub Vec<u8>);

/// A value that travels as one gRPC message body.
pub trait Frame: Sized + Send + 'static {
    /// Writes the value into `dst`.
    fn write(self, dst: &mut EncodeBuf<'_>);
    /// Reads the value from a complete message body.
    fn read(src: &mut DecodeBuf<'_>) -> Result<Self, Status>;
}

impl Frame for RawFrame {
    fn write(self, dst: &mut EncodeBuf<'_>) {
        dst.put_slice(&self.0);
    }

    fn read(src: &mut DecodeBuf<'_>) -> Result<Self, Status> {
        let mut bytes = vec![0; src.remaining()];
        src.copy_to_slice(&mut bytes);
        Ok(RawFrame(bytes))
    }
}

impl Frame for ChaincodeMessage {
    fn write(self, dst: &mut EncodeBuf<'_>) {
        // An EncodeBuf grows as needed, so encoding cannot run out of room.
        let _ = self.encode(dst);
    }

    fn read(src: &mut DecodeBuf<'_>) -> Result<Self, Status> {
        ChaincodeMessage::decode(src)
            .map_err(|e| Status::internal(format!("undecodable ChaincodeMessage: {e}")))
    }
}

/// A codec sending `E` and receiving `D`.
#[derive(Debug)]
pub struct FrameCodec<E, D>(PhantomData<fn(E) -> D>);

impl<E, D> Default for FrameCodec<E, D> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

/// The encoding half of [`FrameCodec`].
#[derive(Debug)]
pub struct FrameEncoder<E>(PhantomData<fn(E)>);

/// The decoding half of [`FrameCodec`].
#[derive(Debug)]
pub struct FrameDecoder<D>(PhantomData<fn() -> D>);

impl<E: Frame> Encoder for FrameEncoder<E> {
    type Item = E;
    type Error = Status;

    fn encode(&mut self, item: E, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.write(dst);
        Ok(())
    }
}

impl<D: Frame> Decoder for FrameDecoder<D> {
    type Item = D;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        D::read(src).map(Some)
    }
}

impl<E: Frame, D: Frame> Codec for FrameCodec<E, D> {
    type Encode = E;
    type Decode = D;
    type Encoder = FrameEncoder<E>;
    type Decoder = FrameDecoder<D>;

    fn encoder(&mut self) -> Self::Encoder {
        FrameEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        FrameDecoder(PhantomData)
    }
}
