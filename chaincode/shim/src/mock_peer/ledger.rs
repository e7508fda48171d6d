//! The mock peer's ledger: committed world state and key history, and one
//! simulation per running transaction, answering the chaincode's requests
//! as Fabric's peer does (`core/chaincode/handler.go`).
//!
//! As in Fabric, reads see only committed state (a transaction does not
//! read its own writes), writing an empty value deletes the key, and a
//! transaction's writes are committed only if it succeeds.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeMessage, DelState, GetHistoryForKey, GetState, GetStateByRange, PutState,
    QueryMetadata, QueryResponse, QueryResponseMetadata, QueryResultBytes, QueryStateClose,
    QueryStateNext,
};
use fabric_protos::queryresult::{KeyModification, Kv};
use prost::Message;
use prost_types::Timestamp;

use crate::server::messages::{for_tx, type_name};
use crate::server::router::TxKey;

/// What a running transaction has done so far.
struct Simulation {
    timestamp: Option<Timestamp>,
    /// Pending writes; an empty value is a delete.
    writes: BTreeMap<String, Vec<u8>>,
    /// Open query iterators: the results not yet sent.
    iterators: HashMap<String, VecDeque<QueryResultBytes>>,
}

/// World state, history and running simulations.
pub(crate) struct Ledger {
    namespace: String,
    page_size: usize,
    state: BTreeMap<String, Vec<u8>>,
    /// Per key, oldest modification first.
    history: HashMap<String, Vec<KeyModification>>,
    running: HashMap<TxKey, Simulation>,
    next_iterator: u64,
}

fn decode<M: Message + Default>(payload: &[u8]) -> Result<M, String> {
    M::decode(payload).map_err(|e| format!("unmarshal failed: {e}"))
}

fn public_only(collection: &str) -> Result<(), String> {
    if collection.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "private data collection {collection:?} is not supported by the mock peer"
        ))
    }
}

impl Ledger {
    /// An empty ledger for chaincode `namespace`, sending query results in
    /// pages of `page_size` (Fabric's peer: 100).
    pub fn new(namespace: &str, page_size: usize) -> Self {
        Self {
            namespace: namespace.to_owned(),
            page_size: page_size.max(1),
            state: BTreeMap::new(),
            history: HashMap::new(),
            running: HashMap::new(),
            next_iterator: 0,
        }
    }

    /// The committed value of a key.
    pub fn get(&self, key: &str) -> Option<&Vec<u8>> {
        self.state.get(key)
    }

    /// The whole committed world state.
    pub fn state(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.state
    }

    /// The committed history of a key, oldest first.
    pub fn history(&self, key: &str) -> &[KeyModification] {
        self.history.get(key).map_or(&[], Vec::as_slice)
    }

    /// Starts simulating a transaction; `false` if one with that key runs.
    pub fn begin(&mut self, key: TxKey, timestamp: Option<Timestamp>) -> bool {
        if self.running.contains_key(&key) {
            return false;
        }
        let simulation = Simulation {
            timestamp,
            writes: BTreeMap::new(),
            iterators: HashMap::new(),
        };
        self.running.insert(key, simulation);
        true
    }

    /// Ends a simulation, committing its writes if `commit`.
    pub fn finish(&mut self, key: &TxKey, commit: bool) {
        let Some(simulation) = self.running.remove(key) else {
            return;
        };
        if !commit {
            return;
        }
        self.commit(&key.tx_id, simulation.timestamp, simulation.writes);
    }

    /// Commits `writes` (an empty value deletes) as the valid transaction
    /// `tx_id` proposed at `timestamp`.
    pub fn commit(
        &mut self,
        tx_id: &str,
        timestamp: Option<Timestamp>,
        writes: BTreeMap<String, Vec<u8>>,
    ) {
        for (k, value) in writes {
            let is_delete = value.is_empty();
            if is_delete {
                self.state.remove(&k);
            } else {
                self.state.insert(k.clone(), value.clone());
            }
            self.history.entry(k).or_default().push(KeyModification {
                tx_id: tx_id.to_owned(),
                value,
                timestamp,
                is_delete,
            });
        }
    }

    /// Abandons every running simulation.
    pub fn abandon_all(&mut self) {
        self.running.clear();
    }

    /// Answers one chaincode request with `RESPONSE` or `ERROR`.
    pub fn handle(&mut self, msg: &ChaincodeMessage) -> ChaincodeMessage {
        let key = TxKey::of(msg);
        match self.answer(&key, msg) {
            Ok(payload) => for_tx(Type::Response, &key, payload),
            Err(e) => {
                let text = format!(
                    "{} failed: transaction ID: {}: {e}",
                    type_name(msg.r#type),
                    key.tx_id
                );
                for_tx(Type::Error, &key, text.into_bytes())
            }
        }
    }

    fn answer(&mut self, key: &TxKey, msg: &ChaincodeMessage) -> Result<Vec<u8>, String> {
        let page_size = self.page_size;
        let Self {
            namespace,
            state,
            history,
            running,
            next_iterator,
            ..
        } = self;
        let simulation = running.get_mut(key).ok_or("no ledger context")?;
        let payload = msg.payload.as_slice();
        match Type::try_from(msg.r#type) {
            Ok(Type::GetState) => {
                let request: GetState = decode(payload)?;
                public_only(&request.collection)?;
                Ok(state.get(&request.key).cloned().unwrap_or_default())
            }
            Ok(Type::PutState) => {
                let request: PutState = decode(payload)?;
                public_only(&request.collection)?;
                simulation.writes.insert(request.key, request.value);
                Ok(Vec::new())
            }
            Ok(Type::DelState) => {
                let request: DelState = decode(payload)?;
                public_only(&request.collection)?;
                simulation.writes.insert(request.key, Vec::new());
                Ok(Vec::new())
            }
            Ok(Type::GetStateByRange) => {
                let request: GetStateByRange = decode(payload)?;
                public_only(&request.collection)?;
                let paged = if request.metadata.is_empty() {
                    None
                } else {
                    let metadata: QueryMetadata = decode(&request.metadata)?;
                    let size = usize::try_from(metadata.page_size)
                        .ok()
                        .filter(|&size| size > 0)
                        .ok_or("the page size must be positive")?;
                    Some((size, metadata.bookmark))
                };
                // A paged query starts at its bookmark (the first key of the
                // page), never before the range's start.
                let start = match &paged {
                    Some((_, bookmark)) if *bookmark > request.start_key => bookmark.as_str(),
                    _ => request.start_key.as_str(),
                };
                let mut keys = range(state, start, &request.end_key);
                let limit = paged.as_ref().map_or(usize::MAX, |(size, _)| *size);
                let results: VecDeque<_> = keys
                    .by_ref()
                    .take(limit)
                    .map(|(k, v)| QueryResultBytes {
                        result_bytes: Kv {
                            namespace: namespace.clone(),
                            key: k.clone(),
                            value: v.clone(),
                        }
                        .encode_to_vec(),
                    })
                    .collect();
                let metadata = paged.map(|_| QueryResponseMetadata {
                    fetched_records_count: i32::try_from(results.len()).unwrap_or(i32::MAX),
                    bookmark: keys.next().map(|(k, _)| k.clone()).unwrap_or_default(),
                });
                let first = open_iterator(simulation, next_iterator, results, page_size);
                Ok(match metadata {
                    Some(metadata) => QueryResponse {
                        metadata: metadata.encode_to_vec(),
                        ..first
                    },
                    None => first,
                }
                .encode_to_vec())
            }
            Ok(Type::GetHistoryForKey) => {
                let request: GetHistoryForKey = decode(payload)?;
                // The peer returns the newest modification first.
                let results = history
                    .get(&request.key)
                    .map(|h| h.as_slice())
                    .unwrap_or_default()
                    .iter()
                    .rev()
                    .map(|m| QueryResultBytes {
                        result_bytes: m.encode_to_vec(),
                    })
                    .collect();
                Ok(open_iterator(simulation, next_iterator, results, page_size).encode_to_vec())
            }
            Ok(Type::QueryStateNext) => {
                let request: QueryStateNext = decode(payload)?;
                if !simulation.iterators.contains_key(&request.id) {
                    return Err("query iterator not found".into());
                }
                Ok(next_page(&mut simulation.iterators, request.id, page_size).encode_to_vec())
            }
            Ok(Type::QueryStateClose) => {
                let request: QueryStateClose = decode(payload)?;
                simulation.iterators.remove(&request.id);
                Ok(QueryResponse {
                    has_more: false,
                    id: request.id,
                    ..Default::default()
                }
                .encode_to_vec())
            }
            _ => Err(format!(
                "{} is not supported by the mock peer",
                type_name(msg.r#type)
            )),
        }
    }
}

/// Opens an iterator over `results` and returns its first page.
fn open_iterator(
    simulation: &mut Simulation,
    next_iterator: &mut u64,
    results: VecDeque<QueryResultBytes>,
    page_size: usize,
) -> QueryResponse {
    *next_iterator += 1;
    let id = format!("mock-iterator-{next_iterator}");
    simulation.iterators.insert(id.clone(), results);
    next_page(&mut simulation.iterators, id, page_size)
}

/// The committed keys in `[start, end)`; an empty `end` is unbounded.
fn range<'a>(
    state: &'a BTreeMap<String, Vec<u8>>,
    start: &str,
    end: &str,
) -> Box<dyn Iterator<Item = (&'a String, &'a Vec<u8>)> + 'a> {
    let lower = Bound::Included(start.to_owned());
    if end.is_empty() {
        Box::new(state.range((lower, Bound::Unbounded)))
    } else if start >= end {
        Box::new(std::iter::empty())
    } else {
        Box::new(state.range((lower, Bound::Excluded(end.to_owned()))))
    }
}

/// The next page of an iterator, as Fabric's `QueryResponseGenerator`
/// cuts it: `has_more` only when results remain; an exhausted iterator is
/// closed.
fn next_page(
    iterators: &mut HashMap<String, VecDeque<QueryResultBytes>>,
    id: String,
    page_size: usize,
) -> QueryResponse {
    let Some(pending) = iterators.get_mut(&id) else {
        return QueryResponse {
            id,
            ..Default::default()
        };
    };
    let take = pending.len().min(page_size);
    let results: Vec<_> = pending.drain(..take).collect();
    let has_more = !pending.is_empty();
    if !has_more {
        iterators.remove(&id);
    }
    QueryResponse {
        results,
        has_more,
        id,
        metadata: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn key() -> TxKey {
        TxKey {
            channel_id: "ch".into(),
            tx_id: "t1".into(),
        }
    }

    fn request<M: Message>(kind: Type, body: M) -> ChaincodeMessage {
        for_tx(kind, &key(), body.encode_to_vec())
    }

    #[test]
    fn writes_are_invisible_until_committed_and_dropped_on_failure() {
        let mut ledger = Ledger::new("cc", 10);
        assert!(ledger.begin(key(), None));
        let put = request(
            Type::PutState,
            PutState {
                key: "k".into(),
                value: b"v".to_vec(),
                ..Default::default()
            },
        );
        assert_eq!(ledger.handle(&put).r#type, Type::Response as i32);
        let get = request(
            Type::GetState,
            GetState {
                key: "k".into(),
                ..Default::default()
            },
        );
        assert!(
            ledger.handle(&get).payload.is_empty(),
            "no read-your-writes"
        );
        ledger.finish(&key(), false);
        assert!(ledger.get("k").is_none());

        assert!(ledger.begin(key(), None));
        ledger.handle(&put);
        ledger.finish(&key(), true);
        assert_eq!(ledger.get("k").unwrap(), b"v");
        assert_eq!(ledger.history("k").len(), 1);
    }

    /// A ledger paging at `page_size` with `keys` committed.
    fn committed(keys: &[&str], page_size: usize) -> Ledger {
        let mut ledger = Ledger::new("cc", page_size);
        assert!(ledger.begin(key(), None));
        for k in keys {
            ledger.handle(&request(
                Type::PutState,
                PutState {
                    key: (*k).into(),
                    value: b"1".to_vec(),
                    ..Default::default()
                },
            ));
        }
        ledger.finish(&key(), true);
        ledger
    }

    #[test]
    fn pages_like_the_peer() {
        let mut ledger = committed(&["a", "b", "c", "d"], 2);
        assert!(ledger.begin(key(), None));
        let first = ledger.handle(&request(
            Type::GetStateByRange,
            GetStateByRange {
                start_key: "a".into(),
                end_key: "d".into(),
                ..Default::default()
            },
        ));
        let first = QueryResponse::decode(first.payload.as_slice()).unwrap();
        assert_eq!((first.results.len(), first.has_more), (2, true));
        let next = ledger.handle(&request(
            Type::QueryStateNext,
            QueryStateNext {
                id: first.id.clone(),
            },
        ));
        let next = QueryResponse::decode(next.payload.as_slice()).unwrap();
        assert_eq!((next.results.len(), next.has_more), (1, false));
        let gone = ledger.handle(&request(
            Type::QueryStateNext,
            QueryStateNext { id: first.id },
        ));
        assert_eq!(gone.r#type, Type::Error as i32);
        assert!(String::from_utf8_lossy(&gone.payload).contains("query iterator not found"));
    }

    #[test]
    fn a_paged_range_starts_at_its_bookmark_and_names_the_next() {
        let mut ledger = committed(&["a", "b", "c", "d", "e"], 100);
        assert!(ledger.begin(key(), None));
        let mut page = |bookmark: &str| {
            let reply = ledger.handle(&request(
                Type::GetStateByRange,
                GetStateByRange {
                    start_key: "b".into(),
                    end_key: String::new(),
                    metadata: QueryMetadata {
                        page_size: 2,
                        bookmark: bookmark.into(),
                    }
                    .encode_to_vec(),
                    ..Default::default()
                },
            ));
            let response = QueryResponse::decode(reply.payload.as_slice()).unwrap();
            let metadata = QueryResponseMetadata::decode(response.metadata.as_slice()).unwrap();
            let keys: Vec<String> = response
                .results
                .iter()
                .map(|r| Kv::decode(r.result_bytes.as_slice()).unwrap().key)
                .collect();
            (keys, metadata.fetched_records_count, metadata.bookmark)
        };
        assert_eq!(page(""), (vec!["b".into(), "c".into()], 2, "d".into()));
        assert_eq!(page("d"), (vec!["d".into(), "e".into()], 2, String::new()));
        // A bookmark before the start does not widen the range.
        assert_eq!(page("a"), (vec!["b".into(), "c".into()], 2, "d".into()));
    }

    #[test]
    fn unknown_transactions_have_no_ledger_context() {
        let mut ledger = Ledger::new("cc", 2);
        let reply = ledger.handle(&request(Type::GetState, GetState::default()));
        assert_eq!(reply.r#type, Type::Error as i32);
        assert!(String::from_utf8_lossy(&reply.payload).ends_with("no ledger context"));
    }

    #[test]
    fn reversed_and_empty_ranges_are_empty() {
        let mut state = BTreeMap::new();
        state.insert("b".to_owned(), b"1".to_vec());
        assert_eq!(range(&state, "c", "a").count(), 0);
        assert_eq!(range(&state, "b", "b").count(), 0);
        assert_eq!(range(&state, "", "").count(), 1);
    }
}
