//! [`Contract`]: a chaincode on a channel, with the one-call `evaluate` and
//! `submit` of the official SDKs.

use std::sync::Arc;

use super::commit::Commit;
use super::error::GatewayError;
use super::proposal::ProposalBuilder;
use super::session::{Session, Timeouts};

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
    contract_name: Option<String>,
    /// The organisations asked to endorse what `submit` and `submit_async`
    /// submit (empty: the gateway chooses).
    endorsing_organizations: Vec<String>,
}

impl Contract {
    pub(crate) fn new(
        session: Arc<Session>,
        timeouts: Timeouts,
        channel_name: String,
        chaincode_name: String,
        contract_name: Option<String>,
    ) -> Self {
        Self {
            session,
            timeouts,
            channel_name,
            chaincode_name,
            contract_name: contract_name.filter(|name| !name.is_empty()),
            endorsing_organizations: Vec::new(),
        }
    }

    /// The channel the chaincode is deployed on.
    pub fn channel_name(&self) -> &str {
        &self.channel_name
    }

    /// The chaincode name.
    pub fn chaincode_name(&self) -> &str {
        &self.chaincode_name
    }

    /// The contract (within the chaincode) whose transactions are invoked,
    /// if one was named; see
    /// [`Network::contract_with_name`](super::Network::contract_with_name).
    pub fn contract_name(&self) -> Option<&str> {
        self.contract_name.as_deref()
    }

    /// The transaction name sent to the chaincode: `contract:function` when
    /// the contract is named, otherwise `function`.
    pub fn qualified_name(&self, function: &str) -> String {
        match &self.contract_name {
            Some(contract) => format!("{contract}:{function}"),
            None => function.to_owned(),
        }
    }

    /// This contract with other timeouts for the calls made through it.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// This contract asking exactly these organisations (MSP ids) to
    /// endorse every transaction [`submit`](Self::submit) and
    /// [`submit_async`](Self::submit_async) make, instead of letting the
    /// gateway choose. Left to choose, the gateway endorses on its own peer
    /// first and then on the other organisations' peers; named, it asks
    /// them all at once (a shorter endorsement), but the client, not the
    /// gateway's view of the endorsement policy, then decides who endorses.
    /// An empty list restores the gateway's choice. [`evaluate`](Self::evaluate)
    /// and [`new_proposal`](Self::new_proposal) are not affected.
    pub fn with_endorsing_organizations<S: Into<String>>(
        mut self,
        msp_ids: impl IntoIterator<Item = S>,
    ) -> Self {
        self.endorsing_organizations = msp_ids.into_iter().map(Into::into).collect();
        self
    }

    /// The organisations named by
    /// [`with_endorsing_organizations`](Self::with_endorsing_organizations)
    /// (empty: the gateway chooses).
    pub fn endorsing_organizations(&self) -> &[String] {
        &self.endorsing_organizations
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Starts building a proposal to invoke `function`, for arguments,
    /// transient data or endorsing organisations, and the step-by-step
    /// endorse → submit → commit status flow.
    pub fn new_proposal(&self, function: impl Into<String>) -> ProposalBuilder {
        ProposalBuilder::new(
            self.session.clone(),
            self.timeouts,
            self.channel_name.clone(),
            self.chaincode_name.clone(),
            self.qualified_name(&function.into()),
        )
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

    /// Endorses and submits `function(args)` without waiting for the
    /// commit: returns what the function returned and the [`Commit`] whose
    /// [`status`](Commit::status) waits for the validation result (the
    /// official SDKs' `SubmitAsync`).
    pub async fn submit_async(
        &self,
        function: &str,
        args: &[&[u8]],
    ) -> Result<(Vec<u8>, Commit), GatewayError> {
        let mut proposal = self.new_proposal(function).arguments(args);
        if !self.endorsing_organizations.is_empty() {
            proposal = proposal.endorsing_organizations(self.endorsing_organizations.clone());
        }
        let transaction = proposal.build()?.endorse().await?;
        let commit = transaction.submit().await?;
        Ok((transaction.result().to_vec(), commit))
    }

    /// Endorses, submits and waits for the commit of `function(args)`.
    /// A transaction validated as invalid is a [`GatewayError::Commit`]
    /// naming its validation code.
    pub async fn submit(
        &self,
        function: &str,
        args: &[&[u8]],
    ) -> Result<SubmitResult, GatewayError> {
        let (payload, commit) = self.submit_async(function, args).await?;
        let status = commit.status().await?.ensure_valid()?;
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
            .field("contract_name", &self.contract_name)
            .finish_non_exhaustive()
    }
}
