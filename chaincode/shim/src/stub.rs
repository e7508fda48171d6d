//! The API a chaincode uses during one transaction: its arguments and
//! context, world-state reads and writes, and the chaincode event.

use std::collections::BTreeMap;
use std::future::Future;

use prost_types::Timestamp;

use crate::composite::{COMPOSITE_KEY_NAMESPACE, partial_composite_range};

/// One key and its value, as returned by a range query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value stored under the key.
    pub value: Vec<u8>,
}

/// One committed modification of a key, as returned by a history query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyModification {
    /// The transaction that wrote or deleted the key.
    pub tx_id: String,
    /// The value written (empty for a delete).
    pub value: Vec<u8>,
    /// The timestamp of that transaction's proposal.
    pub timestamp: Option<Timestamp>,
    /// Whether the modification deleted the key.
    pub is_delete: bool,
}

/// Why a stub call failed.
#[derive(Debug, thiserror::Error)]
pub enum StubError {
    /// The peer (or the local ledger) refused the request.
    #[error("the ledger refused {request}: {message}")]
    Ledger {
        /// The request that failed, e.g. `GET_STATE`.
        request: &'static str,
        /// The message the ledger gave.
        message: String,
    },
    /// The connection to the peer closed while the request was in flight.
    #[error("the connection to the peer closed during {0}")]
    Disconnected(&'static str),
    /// The ledger's answer could not be decoded.
    #[error("malformed answer to {request}: {message}")]
    Malformed {
        /// The request whose answer was malformed.
        request: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// A key is not acceptable (e.g. reserved characters in a composite key).
    #[error("invalid key: {0}")]
    InvalidKey(String),
}

/// What Fabric's shims query instead of an empty range start, so that an
/// open range does not reach into the composite-key namespace (U+0000…).
pub const EMPTY_RANGE_START: &str = "\u{1}";

/// The bounds of a simple-key range query as Fabric's shims check them
/// before asking the ledger: an empty `start` becomes [`EMPTY_RANGE_START`],
/// and a bound that starts with U+0000 (a composite key) is refused — those
/// are read with [`Stub::get_state_by_partial_composite_key`]. Returns the
/// start to query with.
pub fn validate_simple_range<'a>(start: &'a str, end: &str) -> Result<&'a str, StubError> {
    let start = if start.is_empty() {
        EMPTY_RANGE_START
    } else {
        start
    };
    for key in [start, end] {
        if key.starts_with(COMPOSITE_KEY_NAMESPACE) {
            return Err(StubError::InvalidKey(format!(
                "range key {key:?} starts with U+0000, which is reserved for composite keys; \
                 use get_state_by_partial_composite_key"
            )));
        }
    }
    Ok(start)
}

/// Access to the ledger and context of one transaction.
///
/// Implemented by the shim's peer connection and by any in-process ledger
/// that runs a chaincode locally. All futures are `Send` so a chaincode can
/// run on a multi-threaded runtime.
pub trait Stub: Send + Sync {
    /// The invocation arguments; by convention `args()[0]` is the function
    /// name.
    fn args(&self) -> &[Vec<u8>];
    /// The transaction id.
    fn tx_id(&self) -> &str;
    /// The channel the transaction runs on.
    fn channel_id(&self) -> &str;
    /// The timestamp the client put in the proposal's channel header — the
    /// only time a deterministic chaincode may use.
    fn tx_timestamp(&self) -> Option<Timestamp>;
    /// The identity that signed the proposal: the serialized
    /// `msp.SerializedIdentity` bytes of the signature header, as Fabric's
    /// `GetCreator`. Parse it with
    /// [`ClientIdentity::from_serialized`](crate::ClientIdentity::from_serialized).
    fn creator(&self) -> &[u8];
    /// The proposal's transient data (not written to the ledger).
    fn transient(&self) -> &BTreeMap<String, Vec<u8>>;
    /// Sets the transaction's chaincode event. Fabric keeps one event per
    /// transaction: a later call replaces an earlier one.
    fn set_event(&self, name: &str, payload: Vec<u8>);

    /// Reads a key; `None` when it does not exist.
    fn get_state(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StubError>> + Send;
    /// Writes a key.
    fn put_state(
        &self,
        key: &str,
        value: &[u8],
    ) -> impl Future<Output = Result<(), StubError>> + Send;
    /// Deletes a key.
    fn del_state(&self, key: &str) -> impl Future<Output = Result<(), StubError>> + Send;
    /// Every key in `[start, end)` in key order, fetched page by page. The
    /// bounds are simple keys, checked with [`validate_simple_range`] (an
    /// empty `start` is the first simple key; an empty `end` is open).
    fn get_state_by_range(
        &self,
        start: &str,
        end: &str,
    ) -> impl Future<Output = Result<Vec<KeyValue>, StubError>> + Send;
    /// The committed history of a key, oldest first.
    fn get_history_for_key(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Vec<KeyModification>, StubError>> + Send;

    /// Every composite key starting with `object_type` and `attributes`, in
    /// key order. The default queries
    /// [`get_state_by_range`](Stub::get_state_by_range) with the composite
    /// bounds, so a stub whose range query applies
    /// [`validate_simple_range`] overrides it.
    fn get_state_by_partial_composite_key(
        &self,
        object_type: &str,
        attributes: &[&str],
    ) -> impl Future<Output = Result<Vec<KeyValue>, StubError>> + Send {
        let range = partial_composite_range(object_type, attributes);
        async move {
            let (start, end) = range?;
            self.get_state_by_range(&start, &end).await
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_range_start_is_the_first_simple_key() {
        assert_eq!(validate_simple_range("", "").unwrap(), "\u{1}");
        assert_eq!(validate_simple_range("a", "b").unwrap(), "a");
    }

    #[test]
    fn composite_bounds_are_refused() {
        let composite = crate::create_composite_key("t", &["a"]).unwrap();
        for (start, end) in [(composite.as_str(), "z"), ("a", composite.as_str())] {
            let e = validate_simple_range(start, end).unwrap_err();
            assert!(
                e.to_string()
                    .contains("use get_state_by_partial_composite_key"),
                "{e}"
            );
        }
    }
}
