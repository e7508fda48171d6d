//! [`Gateway`]: a connection to a Fabric Gateway peer with a signing
//! identity, and the per-call timeouts.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fabric_protos::gateway::PreparedTransaction;
use fabric_protos::gateway::gateway_client::GatewayClient;
use tokio::time::Instant;
use tonic::transport::Channel;

use super::error::{GatewayError, Operation, RpcError, is_connection_failure};
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
///
/// `timeout` bounds the whole call, retries included: `call` is given the
/// time left (for the request's `grpc-timeout`), and no attempt starts once
/// that time is up — the last connection failure is reported instead.
pub(crate) async fn unary_call<T, F>(
    operation: Operation,
    transaction_id: &str,
    timeout: Duration,
    mut call: impl FnMut(Duration) -> F,
) -> Result<T, GatewayError>
where
    F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let timed_out = || GatewayError::Timeout {
        operation,
        transaction_id: Some(transaction_id.to_owned()),
        timeout,
    };
    let deadline = Instant::now() + timeout;
    let mut delay = FIRST_RETRY_DELAY;
    let mut attempt = 1;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let status = match tokio::time::timeout_at(deadline, call(left)).await {
            Ok(Ok(response)) => return Ok(response.into_inner()),
            Ok(Err(status)) if is_local_deadline(&status) => return Err(timed_out()),
            Ok(Err(status)) => status,
            Err(_elapsed) => return Err(timed_out()),
        };
        let retry = is_connection_failure(status.code(), status.message())
            && attempt < CONNECTION_ATTEMPTS
            && Instant::now() + delay < deadline;
        if !retry {
            return Err(RpcError::from_status(operation, Some(transaction_id), &status).into());
        }
        tracing::debug!(
            ?operation,
            transaction_id,
            attempt,
            "gateway connection failed; retrying"
        );
        tokio::time::sleep(delay).await;
        delay *= 2;
        attempt += 1;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::sync::Mutex;

    use super::*;

    /// Runs `unary_call` with a fake call that takes `takes` and then fails
    /// as a broken connection; returns when each attempt started (from the
    /// start) with the time it was given, and how long the whole call took.
    async fn broken_connection(
        timeout: Duration,
        takes: Duration,
    ) -> (Vec<(Duration, Duration)>, Duration, GatewayError) {
        let started = Instant::now();
        let attempts = Mutex::new(Vec::new());
        let error = unary_call::<(), _>(Operation::Evaluate, "tx", timeout, |left| {
            attempts.lock().unwrap().push((started.elapsed(), left));
            async move {
                tokio::time::sleep(takes).await;
                Err(tonic::Status::unavailable("connection refused"))
            }
        })
        .await
        .unwrap_err();
        (attempts.into_inner().unwrap(), started.elapsed(), error)
    }

    #[tokio::test]
    async fn retries_never_start_after_the_deadline() {
        let timeout = Duration::from_millis(400);
        let (attempts, took, error) = broken_connection(timeout, Duration::ZERO).await;
        // Attempts at about 0 ms and 250 ms; the next would start at 750 ms.
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        for (at, left) in &attempts {
            assert!(*at < timeout, "an attempt started at {at:?}");
            assert!(
                *at + *left <= timeout + Duration::from_millis(50),
                "{left:?}"
            );
        }
        assert!(took < timeout, "the call took {took:?}");
        assert!(error.is_connection_failure(), "{error}");
    }

    #[tokio::test]
    async fn the_timeout_bounds_slow_attempts_and_their_retries_together() {
        // Each attempt alone stays under the timeout, but not two of them.
        let timeout = Duration::from_millis(500);
        let (attempts, took, error) = broken_connection(timeout, Duration::from_millis(300)).await;
        assert_eq!(attempts.len(), 1, "{attempts:?}");
        assert!(
            took < timeout + Duration::from_millis(100),
            "the call took {took:?}"
        );
        assert!(error.is_connection_failure(), "{error}");
    }

    #[tokio::test]
    async fn a_hanging_attempt_is_cut_at_the_deadline() {
        let timeout = Duration::from_millis(200);
        let (attempts, took, error) = broken_connection(timeout, Duration::from_secs(5)).await;
        assert_eq!(attempts.len(), 1);
        assert!(took < Duration::from_secs(1), "the call took {took:?}");
        assert!(matches!(error, GatewayError::Timeout { .. }), "{error}");
    }
}
