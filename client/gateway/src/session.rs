//! What every object obtained from a [`Gateway`](super::Gateway) shares —
//! the connection to the peer (its Gateway and Deliver services), the
//! identity and the (optional) signer — and the one way gateway calls are
//! made: under a deadline that covers retries.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fabric_protos::gateway::gateway_client::GatewayClient;
use fabric_protos::protos::deliver_client::DeliverClient;
use tokio::time::Instant;
use tonic::transport::Channel;

use super::error::{GatewayError, Operation, RpcError, is_connection_failure};
use super::identity::Identity;
use super::signer::{SignError, Signer, sign_message};

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

/// What every object obtained from a [`Gateway`](super::Gateway) shares:
/// the connection to the peer, the identity and, unless messages are signed
/// offline, the signer.
pub(crate) struct Session {
    /// The connection to the peer, shared by the clients of its services.
    channel: Channel,
    client: GatewayClient<Channel>,
    identity: Identity,
    signer: Option<Arc<dyn Signer>>,
}

impl Session {
    pub(crate) fn new(
        channel: Channel,
        identity: Identity,
        signer: Option<Arc<dyn Signer>>,
    ) -> Self {
        Self {
            client: GatewayClient::new(channel.clone()),
            channel,
            identity,
            signer,
        }
    }

    pub(crate) fn client(&self) -> GatewayClient<Channel> {
        self.client.clone()
    }

    /// A client of the peer's Deliver service (block events), over the
    /// same connection as the gateway client.
    pub(crate) fn deliver_client(&self) -> DeliverClient<Channel> {
        DeliverClient::new(self.channel.clone())
    }

    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Signs `message` (SHA-256, ECDSA P-256, DER, low-S); without a
    /// signer this is an error.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match self.sign_if_possible(message)? {
            Some(signature) => Ok(signature),
            None => Err(SignError::new(
                "this gateway has no signer (it was built for offline signing); use a gateway with a signer",
            )),
        }
    }

    /// Signs `message` if there is a signer; `None` leaves the message to
    /// be signed offline.
    pub(crate) fn sign_if_possible(&self, message: &[u8]) -> Result<Option<Vec<u8>>, SignError> {
        self.signer
            .as_deref()
            .map(|signer| sign_message(signer, message))
            .transpose()
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
