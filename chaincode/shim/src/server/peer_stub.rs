//! The [`Stub`] of a transaction running under a Fabric peer: every ledger
//! call is a request on the peer's stream, answered by `RESPONSE` or
//! `ERROR` for the same (channel id, tx id).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeEvent, ChaincodeMessage, DelState, GetHistoryForKey, GetState, GetStateByRange,
    PutState, QueryMetadata, QueryResponse, QueryResponseMetadata, QueryResultBytes,
    QueryStateClose, QueryStateNext,
};
use fabric_protos::queryresult;
use prost::Message;
use prost_types::Timestamp;
use tokio::sync::mpsc;

use super::messages::{for_tx, type_name};
use super::proposal::TxContext;
use super::router::{Router, TxKey};
use crate::composite::partial_composite_range;
use crate::stub::{
    KeyModification, KeyValue, Page, ResultsIterator, Stub, StubError, validate_page_size,
    validate_simple_range,
};

/// The connection a transaction talks to its peer over.
#[derive(Clone)]
pub(crate) struct PeerLink {
    /// The stream's single outbound queue.
    pub outbound: mpsc::Sender<ChaincodeMessage>,
    /// Where the stream's reader delivers replies.
    pub router: Arc<Router>,
    /// The chaincode package ID, put in the chaincode event.
    pub chaincode_id: Arc<str>,
}

/// A transaction's stub over the peer stream.
///
/// Requests of one transaction are sent one at a time (the peer refuses
/// overlapping requests for one tx id), so a contract may call stub methods
/// concurrently; transactions never wait for each other.
pub struct PeerStub {
    ctx: TxContext,
    channel: Arc<TxChannel>,
    event: Mutex<Option<ChaincodeEvent>>,
}

/// One transaction's side of the peer stream, shared by its stub and its
/// open queries.
struct TxChannel {
    key: TxKey,
    link: PeerLink,
    turn: tokio::sync::Mutex<()>,
    abandoned: AtomicBool,
    /// Ids of queries dropped before they were exhausted, closed before the
    /// next request.
    dropped_queries: Mutex<Vec<String>>,
}

/// Marks the stub unusable if a request is dropped before its reply came:
/// the late reply would otherwise be taken for the answer to the next one.
struct PendingRequest<'a> {
    abandoned: &'a AtomicBool,
    answered: bool,
}

impl Drop for PendingRequest<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.abandoned.store(true, Ordering::SeqCst);
        }
    }
}

impl PeerStub {
    pub(crate) fn new(ctx: TxContext, link: PeerLink) -> Self {
        let key = TxKey {
            channel_id: ctx.channel_id.clone(),
            tx_id: ctx.tx_id.clone(),
        };
        Self {
            ctx,
            channel: Arc::new(TxChannel {
                key,
                link,
                turn: tokio::sync::Mutex::new(()),
                abandoned: AtomicBool::new(false),
                dropped_queries: Mutex::new(Vec::new()),
            }),
            event: Mutex::new(None),
        }
    }

    /// The decorations the peer added to the chaincode input.
    pub fn decorations(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.ctx.decorations
    }

    /// The event to send in `COMPLETED`, if the chaincode set one.
    pub(crate) fn take_event(&self) -> Option<ChaincodeEvent> {
        self.event
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Sends `QUERY_STATE_CLOSE` for every query dropped before it was
    /// exhausted. The server calls it when the chaincode returns, so the
    /// peer sees the close before `COMPLETED`.
    pub(crate) async fn close_dropped_queries(&self) {
        self.channel.close_dropped_queries().await;
    }

    /// Sends one request and returns the payload of its `RESPONSE`.
    async fn request(&self, kind: Type, payload: Vec<u8>) -> Result<Vec<u8>, StubError> {
        self.channel.request(kind, payload).await
    }

    /// Opens a query (`GET_STATE_BY_RANGE` or `GET_HISTORY_FOR_KEY`) and
    /// returns an iterator holding its first page.
    async fn open_query<T: Send>(
        &self,
        kind: Type,
        payload: Vec<u8>,
        decode: fn(&[u8]) -> Result<T, StubError>,
    ) -> Result<PeerQuery<T>, StubError> {
        let request = kind.as_str_name();
        let first = decode_page(request, &self.request(kind, payload).await?)?;
        let mut query = PeerQuery {
            channel: Arc::clone(&self.channel),
            request,
            id: first.id.clone(),
            buffer: VecDeque::new(),
            has_more: false,
            open: true,
            metadata: Vec::new(),
            decode,
        };
        query.take_page(first)?;
        Ok(query)
    }

    /// A range query without the simple-key checks (composite ranges start
    /// with U+0000 on purpose); `metadata` is a `QueryMetadata` for a paged
    /// query, empty otherwise.
    async fn range(
        &self,
        start: &str,
        end: &str,
        metadata: Vec<u8>,
    ) -> Result<PeerQuery<KeyValue>, StubError> {
        let payload = GetStateByRange {
            start_key: start.to_owned(),
            end_key: end.to_owned(),
            collection: String::new(),
            metadata,
        }
        .encode_to_vec();
        self.open_query(Type::GetStateByRange, payload, decode_kv)
            .await
    }

    /// One page of a range query: every result of the peer's paginated
    /// iterator and its `QueryResponseMetadata`.
    async fn range_page(
        &self,
        start: &str,
        end: &str,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        validate_page_size(page_size)?;
        let metadata = QueryMetadata {
            page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
            bookmark: bookmark.to_owned(),
        }
        .encode_to_vec();
        let mut query = self.range(start, end, metadata).await?;
        let mut results = Vec::new();
        while let Some(kv) = query.next().await? {
            results.push(kv);
        }
        let metadata = QueryResponseMetadata::decode(query.metadata.as_slice()).map_err(|e| {
            StubError::Malformed {
                request: query.request,
                message: format!("undecodable QueryResponseMetadata: {e}"),
            }
        })?;
        Ok(Page {
            results,
            fetched_records_count: u32::try_from(metadata.fetched_records_count).unwrap_or(0),
            bookmark: metadata.bookmark,
        })
    }
}

impl TxChannel {
    /// Sends one request and returns the payload of its `RESPONSE`, after
    /// closing the queries dropped since the last request.
    async fn request(&self, kind: Type, payload: Vec<u8>) -> Result<Vec<u8>, StubError> {
        let _turn = self.turn.lock().await;
        self.close_dropped_queries_locked().await;
        self.send_locked(kind, payload).await
    }

    /// Closes the queries dropped since the last request.
    async fn close_dropped_queries(&self) {
        let _turn = self.turn.lock().await;
        self.close_dropped_queries_locked().await;
    }

    /// [`close_dropped_queries`](Self::close_dropped_queries) with the
    /// request turn already held.
    async fn close_dropped_queries_locked(&self) {
        let ids = std::mem::take(
            &mut *self
                .dropped_queries
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for id in ids {
            let close = QueryStateClose { id }.encode_to_vec();
            if let Err(e) = self.send_locked(Type::QueryStateClose, close).await {
                // The peer drops its iterators with the transaction anyway.
                tracing::debug!(tx_id = %self.key.tx_id, error = %e, "closing a dropped query failed");
            }
        }
    }

    /// Sends one request while holding the request turn.
    async fn send_locked(&self, kind: Type, payload: Vec<u8>) -> Result<Vec<u8>, StubError> {
        let name = kind.as_str_name();
        if self.abandoned.load(Ordering::SeqCst) {
            return Err(StubError::Ledger {
                request: name,
                message:
                    "an earlier request of this transaction was abandoned before its reply arrived"
                        .into(),
            });
        }
        let reply = self
            .link
            .router
            .expect_reply(&self.key)
            .ok_or(StubError::Disconnected(name))?;
        let mut pending = PendingRequest {
            abandoned: &self.abandoned,
            answered: false,
        };
        tracing::trace!(tx_id = %self.key.tx_id, request = name, "request to peer");
        self.link
            .outbound
            .send(for_tx(kind, &self.key, payload))
            .await
            .map_err(|_| StubError::Disconnected(name))?;
        let answer = reply.await.map_err(|_| StubError::Disconnected(name))?;
        pending.answered = true;
        match Type::try_from(answer.r#type) {
            Ok(Type::Response) => Ok(answer.payload),
            Ok(Type::Error) => Err(StubError::Ledger {
                request: name,
                message: String::from_utf8_lossy(&answer.payload).into_owned(),
            }),
            _ => Err(StubError::Malformed {
                request: name,
                message: format!(
                    "expected RESPONSE or ERROR, got {}",
                    type_name(answer.r#type)
                ),
            }),
        }
    }
}

/// Decodes a `QueryResponse` (the answer to a query or `QUERY_STATE_NEXT`).
fn decode_page(request: &'static str, bytes: &[u8]) -> Result<QueryResponse, StubError> {
    QueryResponse::decode(bytes).map_err(|e| StubError::Malformed {
        request,
        message: format!("undecodable QueryResponse: {e}"),
    })
}

/// Decodes one result of a range query.
fn decode_kv(bytes: &[u8]) -> Result<KeyValue, StubError> {
    let kv = queryresult::Kv::decode(bytes).map_err(|e| StubError::Malformed {
        request: Type::GetStateByRange.as_str_name(),
        message: format!("undecodable KV: {e}"),
    })?;
    Ok(KeyValue {
        key: kv.key,
        value: kv.value,
    })
}

/// Decodes one result of a history query.
fn decode_modification(bytes: &[u8]) -> Result<KeyModification, StubError> {
    let m = queryresult::KeyModification::decode(bytes).map_err(|e| StubError::Malformed {
        request: Type::GetHistoryForKey.as_str_name(),
        message: format!("undecodable KeyModification: {e}"),
    })?;
    Ok(KeyModification {
        tx_id: m.tx_id,
        value: m.value,
        timestamp: m.timestamp,
        is_delete: m.is_delete,
    })
}

/// An open query on the peer: results are buffered a page at a time, the
/// next page is asked for with `QUERY_STATE_NEXT` when the buffer runs
/// out, and `QUERY_STATE_CLOSE` is sent once the query is exhausted, on
/// [`close`](ResultsIterator::close), or — if it is dropped first — before
/// the transaction's next request or its end.
pub struct PeerQuery<T> {
    channel: Arc<TxChannel>,
    request: &'static str,
    id: String,
    buffer: VecDeque<QueryResultBytes>,
    has_more: bool,
    open: bool,
    metadata: Vec<u8>,
    decode: fn(&[u8]) -> Result<T, StubError>,
}

impl<T> std::fmt::Debug for PeerQuery<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerQuery")
            .field("request", &self.request)
            .field("id", &self.id)
            .field("buffered", &self.buffer.len())
            .field("has_more", &self.has_more)
            .field("open", &self.open)
            .finish()
    }
}

impl<T> PeerQuery<T> {
    /// Buffers one page of results.
    fn take_page(&mut self, mut page: QueryResponse) -> Result<(), StubError> {
        if page.has_more && page.results.is_empty() {
            return Err(StubError::Malformed {
                request: self.request,
                message: "the peer announced more results but sent an empty page".into(),
            });
        }
        self.buffer.extend(page.results.drain(..));
        self.has_more = page.has_more;
        if !page.metadata.is_empty() {
            self.metadata = page.metadata;
        }
        Ok(())
    }

    /// Sends `QUERY_STATE_CLOSE` (once).
    async fn send_close(&mut self) -> Result<(), StubError> {
        self.open = false;
        let close = QueryStateClose {
            id: self.id.clone(),
        }
        .encode_to_vec();
        self.channel
            .request(Type::QueryStateClose, close)
            .await
            .map(drop)
    }
}

impl<T: Send> ResultsIterator<T> for PeerQuery<T> {
    async fn next(&mut self) -> Result<Option<T>, StubError> {
        loop {
            if let Some(result) = self.buffer.pop_front() {
                return (self.decode)(&result.result_bytes).map(Some);
            }
            if !self.open {
                return Ok(None);
            }
            if !self.has_more {
                if self.send_close().await.is_err() {
                    // The results are complete; the peer drops the iterator
                    // with the transaction anyway.
                    tracing::debug!(tx_id = %self.channel.key.tx_id, "closing a query iterator failed");
                }
                return Ok(None);
            }
            let next = QueryStateNext {
                id: self.id.clone(),
            }
            .encode_to_vec();
            let page = decode_page(
                self.request,
                &self.channel.request(Type::QueryStateNext, next).await?,
            )?;
            self.take_page(page)?;
        }
    }

    async fn close(mut self) -> Result<(), StubError> {
        if !self.open {
            return Ok(());
        }
        self.buffer.clear();
        self.send_close().await
    }
}

impl<T> Drop for PeerQuery<T> {
    fn drop(&mut self) {
        if self.open {
            self.channel
                .dropped_queries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(std::mem::take(&mut self.id));
        }
    }
}

impl Stub for PeerStub {
    type StateIterator = PeerQuery<KeyValue>;
    type HistoryIterator = PeerQuery<KeyModification>;

    fn args(&self) -> &[Vec<u8>] {
        &self.ctx.args
    }

    fn tx_id(&self) -> &str {
        &self.ctx.tx_id
    }

    fn channel_id(&self) -> &str {
        &self.ctx.channel_id
    }

    fn tx_timestamp(&self) -> Option<Timestamp> {
        self.ctx.timestamp
    }

    fn creator(&self) -> &[u8] {
        &self.ctx.creator
    }

    fn transient(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.ctx.transient
    }

    fn set_event(&self, name: &str, payload: Vec<u8>) {
        let event = ChaincodeEvent {
            chaincode_id: self.channel.link.chaincode_id.to_string(),
            tx_id: self.ctx.tx_id.clone(),
            event_name: name.to_owned(),
            payload,
        };
        *self.event.lock().unwrap_or_else(PoisonError::into_inner) = Some(event);
    }

    async fn get_state(&self, key: &str) -> Result<Option<Vec<u8>>, StubError> {
        let payload = GetState {
            key: key.to_owned(),
            collection: String::new(),
        }
        .encode_to_vec();
        // The peer answers an absent key with an empty payload.
        let value = self.request(Type::GetState, payload).await?;
        Ok((!value.is_empty()).then_some(value))
    }

    async fn put_state(&self, key: &str, value: &[u8]) -> Result<(), StubError> {
        if key.is_empty() {
            return Err(StubError::InvalidKey(
                "key must not be an empty string".into(),
            ));
        }
        let payload = PutState {
            key: key.to_owned(),
            value: value.to_vec(),
            collection: String::new(),
        }
        .encode_to_vec();
        self.request(Type::PutState, payload).await.map(drop)
    }

    async fn del_state(&self, key: &str) -> Result<(), StubError> {
        let payload = DelState {
            key: key.to_owned(),
            collection: String::new(),
        }
        .encode_to_vec();
        self.request(Type::DelState, payload).await.map(drop)
    }

    async fn get_state_by_range(
        &self,
        start: &str,
        end: &str,
    ) -> Result<PeerQuery<KeyValue>, StubError> {
        let start = validate_simple_range(start, end)?;
        self.range(start, end, Vec::new()).await
    }

    async fn get_state_by_range_with_pagination(
        &self,
        start: &str,
        end: &str,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        let start = validate_simple_range(start, end)?;
        self.range_page(start, end, page_size, bookmark).await
    }

    async fn get_history_for_key(
        &self,
        key: &str,
    ) -> Result<PeerQuery<KeyModification>, StubError> {
        let payload = GetHistoryForKey {
            key: key.to_owned(),
        }
        .encode_to_vec();
        self.open_query(Type::GetHistoryForKey, payload, decode_modification)
            .await
    }

    async fn get_state_by_partial_composite_key(
        &self,
        object_type: &str,
        attributes: &[&str],
    ) -> Result<PeerQuery<KeyValue>, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        self.range(&start, &end, Vec::new()).await
    }

    async fn get_state_by_partial_composite_key_with_pagination(
        &self,
        object_type: &str,
        attributes: &[&str],
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        self.range_page(&start, &end, page_size, bookmark).await
    }
}
