//! [`Gateway`]: a connection to a Fabric Gateway peer with a signing
//! identity, and the per-call timeouts.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use medchain_protos::gateway::PreparedTransaction;
use medchain_protos::gateway::gateway_client::GatewayClient;
use tonic::transport::Channel;

use super::error::{GatewayError, Operation, RpcError};
use super::identity::{Credentials, Identity};
use super::network::Network;
use super::signer::{SignError, Signer, sign_message};
use super::transaction::Transaction;

/// How long each kind of gateway call may take before the client gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `Evaluate`: running a query on one peer.
    pub evaluate: Duration,
    /// `Endorse`: collecting enough endorsements.
    pub endorse: Duration,
    /// `Submit`: handing the transaction to the orderers.
    pub submit: Duration,
    /// `CommitStatus`: waiting for the transaction to be committed.
    pub commit_status: Duration,
}

impl Default for Timeouts {
    /// 5 s to evaluate, 15 s to endorse, 5 s to submit and one minute to
    /// wait for the commit (the values of the Fabric Gateway samples).
    fn default() -> Self {
        Self {
            evaluate: Duration::from_secs(5),
            endorse: Duration::from_secs(15),
            submit: Duration::from_secs(5),
            commit_status: Duration::from_secs(60),
        }
    }
}

/// What every object obtained from a [`Gateway`] shares: the gRPC client and
/// the signing identity.
pub(crate) struct Session {
    client: GatewayClient<Channel>,
    identity: Identity,
    signer: Arc<dyn Signer>,
}

impl Session {
    pub(crate) fn client(&self) -> GatewayClient<Channel> {
        self.client.clone()
    }

    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Signs `message` (SHA-256, ECDSA P-256, DER, low-S).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        sign_message(self.signer.as_ref(), message)
    }
}

/// A connection to a Fabric Gateway peer, acting as one client identity.
///
/// Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Gateway {
    session: Arc<Session>,
    timeouts: Timeouts,
}

impl Gateway {
    /// A gateway over a connected (or lazily connecting) channel — see
    /// [`PeerEndpoint`](super::PeerEndpoint) — signing as `identity` with
    /// `signer`, with the [default timeouts](Timeouts::default).
    pub fn new(channel: Channel, identity: Identity, signer: impl Signer + 'static) -> Self {
        Self::with_shared_signer(channel, identity, Arc::new(signer))
    }

    /// Like [`Gateway::new`], with a signer shared with other code.
    pub fn with_shared_signer(
        channel: Channel,
        identity: Identity,
        signer: Arc<dyn Signer>,
    ) -> Self {
        Self {
            session: Arc::new(Session {
                client: GatewayClient::new(channel),
                identity,
                signer,
            }),
            timeouts: Timeouts::default(),
        }
    }

    /// A gateway signing with loaded [`Credentials`].
    pub fn from_credentials(channel: Channel, credentials: Credentials) -> Self {
        let (identity, signer) = credentials.into_parts();
        Self::new(channel, identity, signer)
    }

    /// Uses other timeouts for the calls made through this gateway (and
    /// the networks and contracts obtained from it afterwards).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The client identity.
    pub fn identity(&self) -> &Identity {
        self.session.identity()
    }

    /// The Fabric channel `name`.
    pub fn network(&self, name: impl Into<String>) -> Network {
        Network::new(self.session.clone(), self.timeouts, name.into())
    }

    /// A transaction from a `gateway.PreparedTransaction` (for example one
    /// endorsed by another process), signed with this gateway's identity
    /// and ready to submit.
    pub fn new_transaction(
        &self,
        prepared: PreparedTransaction,
    ) -> Result<Transaction, GatewayError> {
        let envelope = prepared.envelope.ok_or_else(|| {
            GatewayError::InvalidRequest(
                "the prepared transaction has no envelope; pass the transaction returned by endorse"
                    .to_owned(),
            )
        })?;
        Transaction::new(
            self.session.clone(),
            self.timeouts,
            &prepared.transaction_id,
            envelope,
        )
        .map_err(|error| match error {
            GatewayError::MalformedResponse { reason, .. } => GatewayError::InvalidRequest(
                format!("the prepared transaction is malformed: {reason}"),
            ),
            other => other,
        })
    }
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("identity", self.identity())
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

/// A request carrying its deadline (sent as `grpc-timeout`, so the gateway
/// stops working on it too).
pub(crate) fn request_with_timeout<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    request
}

/// How often a call that could not reach the gateway is tried in all.
const CONNECTION_ATTEMPTS: u32 = 4;
/// The pause before the first retry; it doubles after each attempt.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(250);

/// Runs a unary gateway call under `timeout`, mapping failures to
/// [`GatewayError`]. A call that failed because the connection to the
/// gateway broke (a restarted peer) is made again, up to
/// [`CONNECTION_ATTEMPTS`] times: every gateway call is safe to repeat (a
/// proposal is only simulated, and a transaction id commits at most once).
pub(crate) async fn unary_call<T, F>(
    operation: Operation,
    transaction_id: &str,
    timeout: Duration,
    mut call: impl FnMut() -> F,
) -> Result<T, GatewayError>
where
    F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let timed_out = || GatewayError::Timeout {
        operation,
        transaction_id: Some(transaction_id.to_owned()),
        timeout,
    };
    let mut delay = FIRST_RETRY_DELAY;
    for attempt in 1.. {
        match tokio::time::timeout(timeout, call()).await {
            Ok(Ok(response)) => return Ok(response.into_inner()),
            Ok(Err(status)) if is_local_deadline(&status) => return Err(timed_out()),
            Ok(Err(status)) if is_connection_failure(&status) && attempt < CONNECTION_ATTEMPTS => {
                tracing::debug!(
                    ?operation,
                    transaction_id,
                    attempt,
                    "gateway connection failed; retrying"
                );
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Ok(Err(status)) => {
                return Err(RpcError::from_status(operation, Some(transaction_id), &status).into());
            }
            Err(_elapsed) => return Err(timed_out()),
        }
    }
    Err(timed_out())
}

/// Whether a call failed before reaching the gateway because the
/// connection broke or could not be made (tonic reports these as
/// `Unavailable`, or `Unknown` with "transport error").
fn is_connection_failure(status: &tonic::Status) -> bool {
    match status.code() {
        tonic::Code::Unavailable => true,
        tonic::Code::Unknown => status.message().contains("transport error"),
        _ => false,
    }
}

/// Whether tonic's transport ended the call because the request's own
/// `grpc-timeout` passed (it reports that as `Cancelled` with the text of
/// [`tonic::TimeoutExpired`]); the gateway itself answers an expired
/// deadline with `DeadlineExceeded`, which stays an RPC error.
fn is_local_deadline(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Cancelled
        && status.message() == tonic::TimeoutExpired(()).to_string()
}
