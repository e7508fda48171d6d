//! The [`Stub`] of a transaction running under a Fabric peer: every ledger
//! call is a request on the peer's stream, answered by `RESPONSE` or
//! `ERROR` for the same (channel id, tx id).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeEvent, ChaincodeMessage, DelState, GetHistoryForKey, GetState, GetStateByRange,
    PutState, QueryResponse, QueryResultBytes, QueryStateClose, QueryStateNext,
};
use fabric_protos::queryresult;
use prost::Message;
use prost_types::Timestamp;
use tokio::sync::mpsc;

use super::messages::{for_tx, type_name};
use super::proposal::TxContext;
use super::router::{Router, TxKey};
use crate::composite::partial_composite_range;
use crate::stub::{KeyModification, KeyValue, Stub, StubError, validate_simple_range};

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
    key: TxKey,
    link: PeerLink,
    turn: tokio::sync::Mutex<()>,
    abandoned: AtomicBool,
    event: Mutex<Option<ChaincodeEvent>>,
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
            key,
            link,
            turn: tokio::sync::Mutex::new(()),
            abandoned: AtomicBool::new(false),
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

    /// Sends one request and returns the payload of its `RESPONSE`.
    async fn request(&self, kind: Type, payload: Vec<u8>) -> Result<Vec<u8>, StubError> {
        let name = kind.as_str_name();
        let _turn = self.turn.lock().await;
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

    /// Runs a paged query: the first page, `QUERY_STATE_NEXT` while the peer
    /// says it has more, then `QUERY_STATE_CLOSE`.
    async fn query(
        &self,
        kind: Type,
        payload: Vec<u8>,
    ) -> Result<Vec<QueryResultBytes>, StubError> {
        let name = kind.as_str_name();
        let decode = |bytes: Vec<u8>| {
            QueryResponse::decode(bytes.as_slice()).map_err(|e| StubError::Malformed {
                request: name,
                message: format!("undecodable QueryResponse: {e}"),
            })
        };
        let mut page = decode(self.request(kind, payload).await?)?;
        let id = page.id.clone();
        let mut results = Vec::new();
        let outcome = loop {
            if page.has_more && page.results.is_empty() {
                break Err(StubError::Malformed {
                    request: name,
                    message: "the peer announced more results but sent an empty page".into(),
                });
            }
            results.append(&mut page.results);
            if !page.has_more {
                break Ok(());
            }
            let next = QueryStateNext { id: id.clone() }.encode_to_vec();
            match self
                .request(Type::QueryStateNext, next)
                .await
                .and_then(decode)
            {
                Ok(next_page) => page = next_page,
                Err(e) => break Err(e),
            }
        };
        let close = QueryStateClose { id }.encode_to_vec();
        if self.request(Type::QueryStateClose, close).await.is_err() {
            // The results are complete; the peer drops the iterator with the
            // transaction anyway.
            tracing::debug!(tx_id = %self.key.tx_id, "closing a query iterator failed");
        }
        outcome.map(|()| results)
    }

    /// A range query without the simple-key checks (composite ranges start
    /// with U+0000 on purpose).
    async fn range(&self, start: &str, end: &str) -> Result<Vec<KeyValue>, StubError> {
        let payload = GetStateByRange {
            start_key: start.to_owned(),
            end_key: end.to_owned(),
            ..Default::default()
        }
        .encode_to_vec();
        self.query(Type::GetStateByRange, payload)
            .await?
            .into_iter()
            .map(|result| {
                let kv = queryresult::Kv::decode(result.result_bytes.as_slice()).map_err(|e| {
                    StubError::Malformed {
                        request: Type::GetStateByRange.as_str_name(),
                        message: format!("undecodable KV: {e}"),
                    }
                })?;
                Ok(KeyValue {
                    key: kv.key,
                    value: kv.value,
                })
            })
            .collect()
    }
}

impl Stub for PeerStub {
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
            chaincode_id: self.link.chaincode_id.to_string(),
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

    async fn get_state_by_range(&self, start: &str, end: &str) -> Result<Vec<KeyValue>, StubError> {
        let start = validate_simple_range(start, end)?;
        self.range(start, end).await
    }

    async fn get_history_for_key(&self, key: &str) -> Result<Vec<KeyModification>, StubError> {
        let payload = GetHistoryForKey {
            key: key.to_owned(),
        }
        .encode_to_vec();
        let mut history = self
            .query(Type::GetHistoryForKey, payload)
            .await?
            .into_iter()
            .map(|result| {
                let m = queryresult::KeyModification::decode(result.result_bytes.as_slice())
                    .map_err(|e| StubError::Malformed {
                        request: Type::GetHistoryForKey.as_str_name(),
                        message: format!("undecodable KeyModification: {e}"),
                    })?;
                Ok(KeyModification {
                    tx_id: m.tx_id,
                    value: m.value,
                    timestamp: m.timestamp,
                    is_delete: m.is_delete,
                })
            })
            .collect::<Result<Vec<_>, StubError>>()?;
        // The peer returns the newest modification first; the Stub API
        // promises the oldest first.
        history.reverse();
        Ok(history)
    }

    async fn get_state_by_partial_composite_key(
        &self,
        object_type: &str,
        attributes: &[&str],
    ) -> Result<Vec<KeyValue>, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        self.range(&start, &end).await
    }
}
