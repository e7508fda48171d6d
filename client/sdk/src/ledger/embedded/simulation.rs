//! Transaction simulation over the embedded ledger's committed state, with
//! Fabric's semantics: reads see committed state only (not the transaction's
//! own writes), writes are collected in a write set that is committed only
//! if the contract succeeds, and one chaincode event is kept.

use std::collections::BTreeMap;
use std::sync::Mutex;

use fabric_shim::composite::partial_composite_range;
use fabric_shim::stub::{validate_page_size, validate_simple_range};
use fabric_shim::{
    ClientIdentity, KeyModification, KeyValue, Page, Stub, StubError, VecResultsIterator,
};
use prost_types::Timestamp;

use super::replica::Replica;

/// The stub the contract sees while the embedded ledger simulates a
/// transaction.
pub struct SimulationStub<'a> {
    replica: &'a Replica,
    args: Vec<Vec<u8>>,
    tx_id: String,
    channel_id: String,
    timestamp: Timestamp,
    /// The creator's serialized identity.
    creator: Vec<u8>,
    transient: BTreeMap<String, Vec<u8>>,
    writes: Mutex<BTreeMap<String, Option<Vec<u8>>>>,
    event: Mutex<Option<(String, Vec<u8>)>>,
}

/// What a successful simulation produced.
pub struct SimulationResult {
    /// The write set, in key order (`None` deletes).
    pub writes: BTreeMap<String, Option<Vec<u8>>>,
    /// The chaincode event, if one was set.
    pub event: Option<(String, Vec<u8>)>,
}

impl<'a> SimulationStub<'a> {
    /// A stub for one transaction.
    pub fn new(
        replica: &'a Replica,
        args: Vec<Vec<u8>>,
        tx_id: String,
        channel_id: String,
        timestamp: Timestamp,
        creator: ClientIdentity,
    ) -> Self {
        Self {
            replica,
            args,
            tx_id,
            channel_id,
            timestamp,
            creator: creator.to_serialized(),
            transient: BTreeMap::new(),
            writes: Mutex::new(BTreeMap::new()),
            event: Mutex::new(None),
        }
    }

    /// Consumes the stub and returns its write set and event.
    pub fn finish(self) -> SimulationResult {
        SimulationResult {
            writes: self.writes.into_inner().unwrap_or_else(|p| p.into_inner()),
            event: self.event.into_inner().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// One page of `[start, end)` from `bookmark`, as a peer cuts it: the
    /// bookmark never reaches before `start`.
    fn page(
        &self,
        start: &str,
        end: &str,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        validate_page_size(page_size)?;
        let from = if bookmark > start { bookmark } else { start };
        let limit = usize::try_from(page_size).unwrap_or(usize::MAX);
        let (results, next) = self.replica.range_page(from, end, limit);
        Ok(Page {
            fetched_records_count: u32::try_from(results.len()).unwrap_or(u32::MAX),
            results,
            bookmark: next.unwrap_or_default(),
        })
    }

    fn record_write(&self, key: &str, value: Option<Vec<u8>>) -> Result<(), StubError> {
        if key.is_empty() {
            return Err(StubError::InvalidKey("the key is empty".into()));
        }
        self.writes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), value);
        Ok(())
    }
}

impl Stub for SimulationStub<'_> {
    type StateIterator = VecResultsIterator<KeyValue>;
    type HistoryIterator = VecResultsIterator<KeyModification>;

    fn args(&self) -> &[Vec<u8>] {
        &self.args
    }

    fn tx_id(&self) -> &str {
        &self.tx_id
    }

    fn channel_id(&self) -> &str {
        &self.channel_id
    }

    fn tx_timestamp(&self) -> Option<Timestamp> {
        Some(self.timestamp)
    }

    fn creator(&self) -> &[u8] {
        &self.creator
    }

    fn transient(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.transient
    }

    fn set_event(&self, name: &str, payload: Vec<u8>) {
        *self.event.lock().unwrap_or_else(|p| p.into_inner()) = Some((name.to_owned(), payload));
    }

    async fn get_state(&self, key: &str) -> Result<Option<Vec<u8>>, StubError> {
        Ok(self.replica.get(key).map(<[u8]>::to_vec))
    }

    async fn put_state(&self, key: &str, value: &[u8]) -> Result<(), StubError> {
        self.record_write(key, Some(value.to_vec()))
    }

    async fn del_state(&self, key: &str) -> Result<(), StubError> {
        self.record_write(key, None)
    }

    async fn get_state_by_range(
        &self,
        start: &str,
        end: &str,
    ) -> Result<VecResultsIterator<KeyValue>, StubError> {
        let start = validate_simple_range(start, end)?;
        Ok(VecResultsIterator::new(self.replica.range(start, end)))
    }

    async fn get_state_by_range_with_pagination(
        &self,
        start: &str,
        end: &str,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        let start = validate_simple_range(start, end)?;
        self.page(start, end, page_size, bookmark)
    }

    async fn get_state_by_partial_composite_key(
        &self,
        object_type: &str,
        attributes: &[&str],
    ) -> Result<VecResultsIterator<KeyValue>, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        Ok(VecResultsIterator::new(self.replica.range(&start, &end)))
    }

    async fn get_state_by_partial_composite_key_with_pagination(
        &self,
        object_type: &str,
        attributes: &[&str],
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        self.page(&start, &end, page_size, bookmark)
    }

    async fn get_history_for_key(
        &self,
        key: &str,
    ) -> Result<VecResultsIterator<KeyModification>, StubError> {
        // Newest first, as a peer returns history.
        Ok(VecResultsIterator::new(
            self.replica.history(key).into_iter().rev(),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ledger::embedded::log::{Block, KeyWrite};
    use fabric_shim::ResultsIterator;
    use futures::executor::block_on;

    /// A replica holding the simple keys `a` and `b` and one composite key.
    fn replica() -> (Replica, String) {
        let composite = fabric_shim::create_composite_key("t", &["x"]).unwrap();
        let mut replica = Replica::default();
        let writes = ["a", "b", composite.as_str()]
            .into_iter()
            .map(|key| KeyWrite {
                key: key.to_owned(),
                value: key.as_bytes().to_vec(),
                is_delete: false,
            })
            .collect();
        replica
            .apply(Block {
                number: 0,
                tx_id: "tx".into(),
                writes,
                ..Block::default()
            })
            .unwrap();
        (replica, composite)
    }

    fn stub(replica: &Replica) -> SimulationStub<'_> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["user".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        SimulationStub::new(
            replica,
            Vec::new(),
            "tx".into(),
            "channel".into(),
            Timestamp::default(),
            ClientIdentity::from_pem("EmbeddedMSP", &cert.pem()).unwrap(),
        )
    }

    fn keys(found: Vec<KeyValue>) -> Vec<String> {
        found.into_iter().map(|kv| kv.key).collect()
    }

    #[test]
    fn an_open_range_holds_simple_keys_only() {
        let (replica, _) = replica();
        let stub = stub(&replica);
        let found = block_on(stub.get_state_by_range("", "")).unwrap();
        assert_eq!(keys(block_on(found.collect_all()).unwrap()), ["a", "b"]);
    }

    #[test]
    fn composite_keys_are_read_by_partial_key_not_by_range() {
        let (replica, composite) = replica();
        let stub = stub(&replica);
        for (start, end) in [(composite.as_str(), ""), ("", composite.as_str())] {
            let e = block_on(stub.get_state_by_range(start, end))
                .map(drop)
                .unwrap_err();
            assert!(matches!(e, StubError::InvalidKey(_)), "{e}");
        }
        let found = block_on(stub.get_state_by_partial_composite_key("t", &[])).unwrap();
        assert_eq!(keys(block_on(found.collect_all()).unwrap()), [composite]);
    }

    #[test]
    fn ranges_are_paged_with_bookmarks() {
        let (replica, composite) = replica();
        let stub = stub(&replica);
        let first = block_on(stub.get_state_by_range_with_pagination("", "", 1, "")).unwrap();
        assert_eq!(
            (
                keys(first.results),
                first.fetched_records_count,
                first.bookmark.as_str()
            ),
            (vec!["a".to_owned()], 1, "b")
        );
        let second = block_on(stub.get_state_by_range_with_pagination("", "", 1, "b")).unwrap();
        assert_eq!(keys(second.results), ["b"]);
        assert_eq!(second.bookmark, "");
        let e = block_on(stub.get_state_by_range_with_pagination("", "", 0, "")).unwrap_err();
        assert!(matches!(e, StubError::InvalidArgument(_)), "{e}");
        let page =
            block_on(stub.get_state_by_partial_composite_key_with_pagination("t", &[], 10, ""))
                .unwrap();
        assert_eq!(
            (keys(page.results), page.bookmark),
            (vec![composite], String::new())
        );
    }

    #[test]
    fn history_is_newest_first_and_the_creator_is_raw_bytes() {
        let (mut replica, _) = replica();
        replica
            .apply(Block {
                number: 1,
                tx_id: "tx2".into(),
                writes: vec![KeyWrite {
                    key: "a".into(),
                    value: b"second".to_vec(),
                    is_delete: false,
                }],
                ..Block::default()
            })
            .unwrap();
        let stub = stub(&replica);
        let history = block_on(stub.get_history_for_key("a")).unwrap();
        let values: Vec<Vec<u8>> = block_on(history.collect_all())
            .unwrap()
            .into_iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(values, [b"second".to_vec(), b"a".to_vec()]);
        let creator = ClientIdentity::from_serialized(stub.creator()).unwrap();
        assert_eq!(creator.msp_id(), "EmbeddedMSP");
    }
}
