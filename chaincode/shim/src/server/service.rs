//! The `protos.Chaincode` gRPC service (Fabric's chaincode-as-a-service
//! endpoint), written by hand instead of generated so that inbound frames
//! reach the session undecoded (see [`super::codec`]).

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use fabric_protos::protos::ChaincodeMessage;
use tokio::sync::watch;
use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
use tonic::server::{Grpc, NamedService};
use tonic::{Request, Response, Status, Streaming};

use super::codec::{CONNECT_PATH, FrameCodec, MAX_MESSAGE_SIZE, RawFrame};
use super::session::{self, OutboundStream};
use crate::chaincode::Chaincode;

struct Shared<C> {
    chaincode: Arc<C>,
    chaincode_id: Arc<str>,
    shutdown: watch::Receiver<bool>,
}

/// The `protos.Chaincode` service running one chaincode.
pub struct ChaincodeService<C> {
    shared: Arc<Shared<C>>,
}

impl<C> Clone for ChaincodeService<C> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<C: Chaincode> ChaincodeService<C> {
    /// Serves `chaincode`, registering as `chaincode_id`; streams finish
    /// their transactions and close once `shutdown` turns true.
    pub fn new(chaincode: C, chaincode_id: &str, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            shared: Arc::new(Shared {
                chaincode: Arc::new(chaincode),
                chaincode_id: Arc::from(chaincode_id),
                shutdown,
            }),
        }
    }
}

impl<C> NamedService for ChaincodeService<C> {
    const NAME: &'static str = "protos.Chaincode";
}

/// The `Connect` method.
struct Connect<C>(Arc<Shared<C>>);

impl<C: Chaincode> Service<Request<Streaming<RawFrame>>> for Connect<C> {
    type Response = Response<OutboundStream>;
    type Error = Status;
    type Future = Ready<Result<Self::Response, Status>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Streaming<RawFrame>>) -> Self::Future {
        let peer = request.remote_addr();
        let shared = &self.0;
        let outbound = session::start(
            Arc::clone(&shared.chaincode),
            Arc::clone(&shared.chaincode_id),
            request.into_inner(),
            shared.shutdown.clone(),
            peer,
        );
        ready(Ok(Response::new(outbound)))
    }
}

impl<C, B> Service<http::Request<B>> for ChaincodeService<C>
where
    C: Chaincode,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != CONNECT_PATH {
            return Box::pin(async {
                Ok(Status::unimplemented("only protos.Chaincode/Connect is served").into_http())
            });
        }
        let method = Connect(Arc::clone(&self.shared));
        Box::pin(async move {
            let codec = FrameCodec::<ChaincodeMessage, RawFrame>::default();
            let mut grpc = Grpc::new(codec)
                .apply_max_message_size_config(Some(MAX_MESSAGE_SIZE), Some(MAX_MESSAGE_SIZE));
            Ok(grpc.streaming(method, request).await)
        })
    }
}
