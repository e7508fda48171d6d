//! [`Network`]: one Fabric channel seen through the gateway.

use std::sync::Arc;

use super::blocks::{BlockStart, FilteredBlockStream};
use super::checkpoint::StartPosition;
use super::contract::Contract;
use super::error::GatewayError;
use super::events::ChaincodeEventStream;
use super::session::{Session, Timeouts};

/// A Fabric channel, from which contracts and event streams (chaincode
/// events, filtered blocks) are obtained.
#[derive(Clone)]
pub struct Network {
    session: Arc<Session>,
    timeouts: Timeouts,
    name: String,
}

impl Network {
    pub(crate) fn new(session: Arc<Session>, timeouts: Timeouts, name: String) -> Self {
        Self {
            session,
            timeouts,
            name,
        }
    }

    /// The channel name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The chaincode `chaincode_name` deployed on this channel.
    pub fn contract(&self, chaincode_name: impl Into<String>) -> Contract {
        Contract::new(
            self.session.clone(),
            self.timeouts,
            self.name.clone(),
            chaincode_name.into(),
            None,
        )
    }

    /// The contract `contract_name` within the chaincode `chaincode_name`
    /// (a chaincode may hold several contracts): transaction names are sent
    /// as `contract_name:function`, as the official SDKs'
    /// `GetContractWithName` does.
    pub fn contract_with_name(
        &self,
        chaincode_name: impl Into<String>,
        contract_name: impl Into<String>,
    ) -> Contract {
        Contract::new(
            self.session.clone(),
            self.timeouts,
            self.name.clone(),
            chaincode_name.into(),
            Some(contract_name.into()),
        )
    }

    /// The events emitted by committed (valid) transactions of
    /// `chaincode_name`, in ledger order, from `start` on.
    ///
    /// The request is signed now; the call is made when the stream is first
    /// polled, and a failure to connect is the stream's first item. To
    /// resume after a restart without missing or repeating an event, save a
    /// [`Checkpoint`](super::Checkpoint) after handling each event and start
    /// from it.
    pub fn chaincode_events(
        &self,
        chaincode_name: &str,
        start: impl Into<StartPosition>,
    ) -> Result<ChaincodeEventStream, GatewayError> {
        ChaincodeEventStream::open(
            self.session.clone(),
            &self.name,
            chaincode_name,
            start.into(),
        )
    }

    /// The filtered blocks of this channel, in order, from `start` on (by
    /// default the next block committed), read from the peer's Deliver
    /// service (`DeliverFiltered`): each block's number and, per
    /// transaction, its id, type and validation code, and its chaincode
    /// events without their payloads.
    ///
    /// The request envelope is signed now (a gateway without a signer
    /// cannot read blocks); the call is made when the stream is first
    /// polled, and a failure to connect is the stream's first item. A peer
    /// that refuses the request (e.g. an identity not allowed to read the
    /// channel) ends the stream with a [`GatewayError::BlockEventsRefused`].
    pub fn filtered_block_events(
        &self,
        start: BlockStart,
    ) -> Result<FilteredBlockStream, GatewayError> {
        FilteredBlockStream::open(self.session.clone(), &self.name, start)
    }
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
