//! The mock peer's gRPC connection: it dials the chaincode server, opens
//! `protos.Chaincode/Connect` and runs the peer's side of the handshake
//! (expects `REGISTER`, sends `REGISTERED` then `READY`, as Fabric's
//! `extcc.ExternalChaincodeRuntime.Stream` and `Handler.HandleRegister`).

use std::net::SocketAddr;
use std::time::Duration;

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeAdditionalParams, ChaincodeId, ChaincodeMessage};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use super::{MockPeerError, PeerTls};
use crate::server::codec::{CONNECT_PATH, FrameCodec, MAX_MESSAGE_SIZE, RawFrame};
use crate::server::messages::type_name;
use crate::server::tls::error_chain;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An open, registered stream.
pub(crate) struct Opened {
    /// Frames to the chaincode.
    pub outbound: mpsc::Sender<RawFrame>,
    /// Messages from the chaincode, after `REGISTER`.
    pub inbound: Streaming<ChaincodeMessage>,
    /// The name the chaincode registered with.
    pub chaincode_id: String,
}

fn connect_error(e: &dyn std::error::Error) -> MockPeerError {
    MockPeerError::Connect(error_chain(e))
}

/// Dials `address`, opens the stream and completes the handshake.
pub(crate) async fn open(
    address: SocketAddr,
    tls: Option<&PeerTls>,
) -> Result<Opened, MockPeerError> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{address}"))
        .map_err(|e| connect_error(&e))?
        .tcp_nodelay(true)
        .connect_timeout(HANDSHAKE_TIMEOUT);
    if let Some(tls) = tls {
        let mut config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&tls.server_ca_pem))
            .domain_name(tls.server_name.clone());
        if let Some((cert, key)) = &tls.client_identity {
            config = config.identity(Identity::from_pem(cert, key.as_slice()));
        }
        endpoint = endpoint.tls_config(config).map_err(|e| connect_error(&e))?;
    }
    let channel = endpoint.connect().await.map_err(|e| connect_error(&e))?;

    let mut grpc = tonic::client::Grpc::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    grpc.ready().await.map_err(|e| connect_error(&e))?;
    let (outbound, queue) = mpsc::channel(256);
    let response = grpc
        .streaming(
            tonic::Request::new(ReceiverStream::new(queue)),
            PathAndQuery::from_static(CONNECT_PATH),
            FrameCodec::<RawFrame, ChaincodeMessage>::default(),
        )
        .await
        .map_err(|status| MockPeerError::Connect(format!("Connect was refused: {status}")))?;
    let mut inbound = response.into_inner();

    let first = tokio::time::timeout(HANDSHAKE_TIMEOUT, inbound.message())
        .await
        .map_err(|_| MockPeerError::Handshake("the chaincode sent nothing within 10 s".into()))?
        .map_err(|status| MockPeerError::Handshake(format!("the stream failed: {status}")))?
        .ok_or_else(|| {
            MockPeerError::Handshake("the chaincode closed the stream before REGISTER".into())
        })?;
    if first.r#type != Type::Register as i32 {
        return Err(MockPeerError::Handshake(format!(
            "the first message was {}, not REGISTER",
            type_name(first.r#type)
        )));
    }
    let chaincode_id = ChaincodeId::decode(first.payload.as_slice())
        .map_err(|e| MockPeerError::Handshake(format!("REGISTER carries no ChaincodeID: {e}")))?
        .name;
    if chaincode_id.is_empty() {
        return Err(MockPeerError::Handshake(
            "REGISTER names no chaincode".into(),
        ));
    }

    let registered = ChaincodeMessage {
        r#type: Type::Registered as i32,
        ..Default::default()
    };
    // Fabric 2.5+ peers announce their optional capabilities in READY.
    let ready = ChaincodeMessage {
        r#type: Type::Ready as i32,
        payload: ChaincodeAdditionalParams::default().encode_to_vec(),
        ..Default::default()
    };
    for msg in [registered, ready] {
        outbound
            .send(RawFrame(msg.encode_to_vec()))
            .await
            .map_err(|_| MockPeerError::Disconnected)?;
    }
    Ok(Opened {
        outbound,
        inbound,
        chaincode_id,
    })
}
