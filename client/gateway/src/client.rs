//! [`Gateway`]: a connection to a Fabric Gateway peer with a client
//! identity (and a signer, unless messages are signed offline), and the
//! per-call timeouts.

use std::fmt;
use std::sync::Arc;

use fabric_protos::gateway::PreparedTransaction;
use tonic::transport::Channel;

use super::commit::Commit;
use super::error::GatewayError;
use super::identity::{Credentials, Identity};
use super::network::Network;
use super::proposal::Proposal;
use super::session::{Session, Timeouts};
use super::signer::Signer;
use super::transaction::Transaction;

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
            session: Arc::new(Session::new(channel, identity, Some(signer))),
            timeouts: Timeouts::default(),
        }
    }

    /// A gateway without a signer, for offline signing (the key is held
    /// elsewhere: another process, a remote signing service). Proposals,
    /// transactions and commits it makes are unsigned: sign the `digest()`
    /// of each and pass the signature with its `bytes()` to
    /// [`Gateway::new_signed_proposal`], [`Gateway::new_signed_transaction`]
    /// and [`Gateway::new_signed_commit`]. Chaincode events, which are
    /// signed when the stream is opened, need a signer.
    pub fn without_signer(channel: Channel, identity: Identity) -> Self {
        Self {
            session: Arc::new(Session::new(channel, identity, None)),
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

    /// The proposal of [`Proposal::bytes`] (from this or another process)
    /// with `signature`, made over [`Proposal::digest`] by the key of this
    /// gateway's identity; ready to evaluate or endorse.
    pub fn new_signed_proposal(
        &self,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<Proposal, GatewayError> {
        Proposal::from_bytes(
            self.session.clone(),
            self.timeouts,
            bytes,
            signature.to_vec(),
        )
    }

    /// The transaction of [`Transaction::bytes`] with `signature` over
    /// [`Transaction::digest`]; ready to submit.
    pub fn new_signed_transaction(
        &self,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<Transaction, GatewayError> {
        Transaction::from_bytes(
            self.session.clone(),
            self.timeouts,
            bytes,
            signature.to_vec(),
        )
    }

    /// The commit of [`Commit::bytes`] with `signature` over
    /// [`Commit::digest`]; ready to wait for its status.
    pub fn new_signed_commit(
        &self,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<Commit, GatewayError> {
        Commit::from_bytes(
            self.session.clone(),
            self.timeouts,
            bytes,
            signature.to_vec(),
        )
    }

    /// A transaction from a `gateway.PreparedTransaction` (for example one
    /// endorsed by another process), signed with this gateway's signer (if
    /// it has one) and ready to submit.
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
