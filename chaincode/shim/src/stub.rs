//! The API a chaincode uses during one transaction: its arguments and
//! context, world-state reads and writes, and the chaincode event.

use std::collections::BTreeMap;
use std::future::Future;

use prost_types::Timestamp;

use crate::composite::COMPOSITE_KEY_NAMESPACE;

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
    /// Another argument is not acceptable (e.g. a page size of zero).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
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

/// The largest page a paged query may ask for; Fabric's peers cap a query
/// page the same way (`totalQueryLimit`, 100 000 by default).
pub const MAX_PAGE_SIZE: u32 = 100_000;

/// Checks a page size for the `..._with_pagination` queries: at least one
/// record and at most [`MAX_PAGE_SIZE`].
pub fn validate_page_size(page_size: u32) -> Result<(), StubError> {
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(StubError::InvalidArgument(format!(
            "the page size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}"
        )));
    }
    Ok(())
}

/// One page of a paged query, as Fabric's `GetStateByRangeWithPagination`
/// returns it: the records and the peer's `QueryResponseMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page<T> {
    /// The records of the page, in key order (at most the page size).
    pub results: Vec<T>,
    /// How many records the ledger fetched for this page.
    pub fetched_records_count: u32,
    /// Where the next page starts: pass it as the `bookmark` of the next
    /// call. Empty when the range is exhausted.
    pub bookmark: String,
}

/// An open range or history query, read one result at a time (Fabric's
/// `StateQueryIteratorInterface` / `HistoryQueryIteratorInterface`).
///
/// Results are fetched from the ledger as they are consumed. The query is
/// closed when [`next`](ResultsIterator::next) has returned `Ok(None)`, by
/// [`close`](ResultsIterator::close), or — at the latest before the stub's
/// next request or the end of the transaction — when it is dropped.
pub trait ResultsIterator<T: Send>: Send {
    /// The next result; `Ok(None)` once the query is exhausted.
    fn next(&mut self) -> impl Future<Output = Result<Option<T>, StubError>> + Send;

    /// Closes the query now, without reading the remaining results.
    fn close(self) -> impl Future<Output = Result<(), StubError>> + Send
    where
        Self: Sized;

    /// Reads every remaining result. Meant for queries known to be small;
    /// prefer [`next`](ResultsIterator::next) or a paged query otherwise.
    fn collect_all(mut self) -> impl Future<Output = Result<Vec<T>, StubError>> + Send
    where
        Self: Sized,
    {
        async move {
            let mut all = Vec::new();
            while let Some(item) = self.next().await? {
                all.push(item);
            }
            Ok(all)
        }
    }
}

/// A [`ResultsIterator`] over results already in memory (for in-process
/// ledgers, whose queries need no round trips).
#[derive(Debug, Clone)]
pub struct VecResultsIterator<T> {
    items: std::collections::VecDeque<T>,
}

impl<T> VecResultsIterator<T> {
    /// An iterator yielding `items` in order.
    pub fn new(items: impl IntoIterator<Item = T>) -> Self {
        Self {
            items: items.into_iter().collect(),
        }
    }
}

impl<T: Send> ResultsIterator<T> for VecResultsIterator<T> {
    async fn next(&mut self) -> Result<Option<T>, StubError> {
        Ok(self.items.pop_front())
    }

    async fn close(self) -> Result<(), StubError> {
        Ok(())
    }
}

/// Access to the ledger and context of one transaction.
///
/// Implemented by the shim's peer connection and by any in-process ledger
/// that runs a chaincode locally. All futures are `Send` so a chaincode can
/// run on a multi-threaded runtime.
///
/// # Example
///
/// A chaincode written against `Stub` (it counts the calls of
/// `increment <name>` in the world state and emits an event), served by the
/// shim's server and driven by the in-process mock peer of the `mock-peer`
/// feature, which keeps the world state in memory:
///
/// ```
/// use std::collections::BTreeMap;
///
/// use fabric_shim::mock_peer::{MockPeer, serialized_identity};
/// use fabric_shim::server::{ServerConfig, serve_on_listener};
/// use fabric_shim::{Chaincode, InvokeError, Stub};
///
/// struct Counter;
///
/// impl Chaincode for Counter {
///     async fn invoke<S: Stub>(&self, stub: &S) -> Result<Vec<u8>, InvokeError> {
///         let [function, name] = stub.args() else {
///             return Err(InvokeError::new("usage: increment <name>"));
///         };
///         if function.as_slice() != b"increment" {
///             return Err(InvokeError::new("the only function is increment"));
///         }
///         let key = String::from_utf8(name.clone())?;
///         let count = match stub.get_state(&key).await? {
///             Some(value) => String::from_utf8(value)?.parse::<u64>()? + 1,
///             None => 1,
///         };
///         stub.put_state(&key, count.to_string().as_bytes()).await?;
///         stub.set_event("incremented", key.into_bytes());
///         Ok(count.to_string().into_bytes())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Serve the chaincode on a free port until `stop` is sent.
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let address = listener.local_addr()?;
/// let config = ServerConfig::new(address, "counter:1");
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(serve_on_listener(listener, config, Counter, async {
///     let _ = stopped.await;
/// }));
///
/// let peer = MockPeer::connect(address).await?;
/// let creator = serialized_identity("Org1MSP", "");
/// for expected in ["1", "2"] {
///     let done = peer.invoke(&creator, &[b"increment", b"visits"], &BTreeMap::new()).await?;
///     assert_eq!(done.response.status, 200, "{}", done.response.message);
///     assert_eq!(done.response.payload, expected.as_bytes());
///     assert_eq!(done.event.map(|e| e.event_name).as_deref(), Some("incremented"));
/// }
/// assert_eq!(peer.state("visits").as_deref(), Some(&b"2"[..]));
///
/// // A failed transaction: status 500, nothing written.
/// let refused = peer.invoke(&creator, &[b"decrement", b"visits"], &BTreeMap::new()).await?;
/// assert_eq!(refused.response.status, 500);
/// assert_eq!(refused.response.message, "the only function is increment");
/// assert!(!refused.committed);
///
/// drop(peer);
/// let _ = stop.send(());
/// server.await??;
/// # Ok(())
/// # }
/// ```
pub trait Stub: Send + Sync {
    /// The iterator of a range or partial-composite-key query. It owns
    /// what it needs, so it may outlive the borrow of the stub that made it.
    type StateIterator: ResultsIterator<KeyValue>;
    /// The iterator of a history query.
    type HistoryIterator: ResultsIterator<KeyModification>;

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

    /// The keys in `[start, end)` in key order, as an iterator that fetches
    /// them as it is read. The bounds are simple keys, checked with
    /// [`validate_simple_range`] (an empty `start` is the first simple key;
    /// an empty `end` is open).
    fn get_state_by_range(
        &self,
        start: &str,
        end: &str,
    ) -> impl Future<Output = Result<Self::StateIterator, StubError>> + Send;
    /// One page of at most `page_size` keys of `[start, end)`, starting at
    /// `bookmark` (empty for the first page; then the previous page's
    /// [`Page::bookmark`]). Bounds as in
    /// [`get_state_by_range`](Stub::get_state_by_range); the page size is
    /// checked with [`validate_page_size`].
    fn get_state_by_range_with_pagination(
        &self,
        start: &str,
        end: &str,
        page_size: u32,
        bookmark: &str,
    ) -> impl Future<Output = Result<Page<KeyValue>, StubError>> + Send;
    /// The committed history of a key, newest first (the order Fabric's
    /// peers return it in), as an iterator.
    fn get_history_for_key(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Self::HistoryIterator, StubError>> + Send;
    /// The composite keys starting with `object_type` and `attributes`, in
    /// key order, as an iterator.
    fn get_state_by_partial_composite_key(
        &self,
        object_type: &str,
        attributes: &[&str],
    ) -> impl Future<Output = Result<Self::StateIterator, StubError>> + Send;
    /// One page of at most `page_size` composite keys starting with
    /// `object_type` and `attributes`, from `bookmark` (empty for the first
    /// page).
    fn get_state_by_partial_composite_key_with_pagination(
        &self,
        object_type: &str,
        attributes: &[&str],
        page_size: u32,
        bookmark: &str,
    ) -> impl Future<Output = Result<Page<KeyValue>, StubError>> + Send;
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
    fn page_sizes_are_bounded() {
        assert!(validate_page_size(1).is_ok());
        assert!(validate_page_size(MAX_PAGE_SIZE).is_ok());
        for bad in [0, MAX_PAGE_SIZE + 1] {
            let e = validate_page_size(bad).unwrap_err();
            assert!(matches!(e, StubError::InvalidArgument(_)), "{e}");
        }
    }

    #[test]
    fn a_vec_iterator_yields_in_order_then_none() {
        let mut iter = VecResultsIterator::new([1, 2, 3]);
        assert_eq!(futures::executor::block_on(iter.next()).unwrap(), Some(1));
        let rest = futures::executor::block_on(iter.collect_all()).unwrap();
        assert_eq!(rest, [2, 3]);
        let mut empty = VecResultsIterator::<u8>::new([]);
        assert_eq!(futures::executor::block_on(empty.next()).unwrap(), None);
        futures::executor::block_on(empty.close()).unwrap();
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
