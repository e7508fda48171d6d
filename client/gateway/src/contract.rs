//! [`Contract`]: a chaincode on a channel, with the one-call `evaluate` and
//! `submit` of the official SDKs.

use std::sync::Arc;

use super::client::{Session, Timeouts};
use super::error::GatewayError;
use super::proposal::ProposalBuilder;

/// The outcome of a transaction that was endorsed, ordered and committed as
/// valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitResult {
    /// What the transaction function returned.
    pub payload: Vec<u8>,
    /// The transaction id.
    pub tx_id: String,
    /// The block the transaction was committed in.
    pub block_number: u64,
}

/// A chaincode deployed on a channel.
#[derive(Clone)]
pub struct Contract {
    session: Arc<Session>,
    timeouts: Timeouts,
    channel_name: String,
    chaincode_name: String,
}

impl Contract {
    pub(crate) fn new(
        session: Arc<Session>,
        timeouts: Timeouts,
        channel_name: String,
        chaincode_name: String,
    ) -> Self {
        Self {
            session,
            timeouts,
            channel_name,
            chaincode_name,
        }
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The channel the chaincode is deployed on.
    pub fn channel_name(&self) -> &str {
        &self.channel_name
    }

    /// The chaincode name.
    pub fn chaincode_name(&self) -> &str {
        &self.chaincode_name
    }

    /// This contract with other timeouts for the calls made through it.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Starts building a proposal to invoke `function`, for arguments,
    /// transient data or endorsing organisations, and the step-by-step
    /// endorse → submit → commit status flow.
    pub fn new_proposal(&self, function: impl Into<String>) -> ProposalBuilder {
        ProposalBuilder::new(self.clone(), function.into())
    }

    /// Runs `function(args)` on a peer without committing anything and
    /// returns its result.
    pub async fn evaluate(&self, function: &str, args: &[&[u8]]) -> Result<Vec<u8>, GatewayError> {
        self.new_proposal(function)
            .arguments(args)
            .build()?
            .evaluate()
            .await
    }

    /// Endorses, submits and waits for the commit of `function(args)`.
    /// A transaction validated as invalid is a [`GatewayError::Commit`]
    /// naming its validation code.
    pub async fn submit(
        &self,
        function: &str,
        args: &[&[u8]],
    ) -> Result<SubmitResult, GatewayError> {
        let transaction = self
            .new_proposal(function)
            .arguments(args)
            .build()?
            .endorse()
            .await?;
        let payload = transaction.result().to_vec();
        let status = transaction.submit().await?.status().await?.ensure_valid()?;
        Ok(SubmitResult {
            payload,
            tx_id: status.tx_id,
            block_number: status.block_number,
        })
    }
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("channel_name", &self.channel_name)
            .field("chaincode_name", &self.chaincode_name)
            .finish_non_exhaustive()
    }
}
