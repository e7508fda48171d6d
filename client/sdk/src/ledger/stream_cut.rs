//! Test seam (feature `test-support`): event streams that end or break on
//! purpose, to test that event loops survive peers that close streams or
//! lose connections.

use fabric_gateway::{ChaincodeEvent, Operation, RpcError};
use futures::stream::{BoxStream, StreamExt};

use super::{Ledger, LedgerError};

/// How [`Ledger::cut_event_streams`] ends an event stream early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamCut {
    /// The stream ends, as when a peer closes it.
    End,
    /// The stream fails as when the connection to the peer breaks.
    ConnectionLost,
}

impl StreamCut {
    /// `stream`, stopped after `events` events the way `self` says.
    pub(super) fn cut(
        self,
        stream: BoxStream<'static, Result<ChaincodeEvent, LedgerError>>,
        events: usize,
    ) -> BoxStream<'static, Result<ChaincodeEvent, LedgerError>> {
        let end = match self {
            Self::End => None,
            Self::ConnectionLost => {
                let status = tonic::Status::unavailable("connection reset by peer");
                let error = RpcError::from_status(Operation::ChaincodeEvents, None, &status);
                Some(Err(LedgerError::Gateway(error.into())))
            }
        };
        stream
            .take(events)
            .chain(futures::stream::iter(end))
            .boxed()
    }
}

impl Ledger {
    /// Every event stream this connection opens stops after `events`
    /// events, the way `how` says.
    pub fn cut_event_streams(mut self, events: usize, how: StreamCut) -> Self {
        self.event_cut = Some((events, how));
        self
    }
}
