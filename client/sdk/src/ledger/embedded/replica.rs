//! The in-memory copy of the embedded ledger: every block read from the log,
//! the world state they produce and each key's history.

use std::collections::BTreeMap;

use fabric_shim::{KeyModification, KeyValue};
use prost_types::Timestamp;

use super::log::Block;

/// Blocks, world state and history, rebuilt from the log.
#[derive(Default)]
pub struct Replica {
    blocks: Vec<Block>,
    state: BTreeMap<String, Vec<u8>>,
    /// For each key, the (block, write) positions that modified it.
    history: BTreeMap<String, Vec<(usize, usize)>>,
}

impl Replica {
    /// The number of committed blocks (the next block's number).
    pub fn height(&self) -> u64 {
        self.blocks.len() as u64
    }

    /// Applies a committed block; its number must be the current height.
    pub fn apply(&mut self, block: Block) -> Result<(), String> {
        if block.number != self.height() {
            return Err(format!(
                "expected block {} but found block {}",
                self.height(),
                block.number
            ));
        }
        let position = self.blocks.len();
        for (w, write) in block.writes.iter().enumerate() {
            if write.is_delete {
                self.state.remove(&write.key);
            } else {
                self.state.insert(write.key.clone(), write.value.clone());
            }
            self.history
                .entry(write.key.clone())
                .or_default()
                .push((position, w));
        }
        self.blocks.push(block);
        Ok(())
    }

    /// The committed value of a key.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.state.get(key).map(Vec::as_slice)
    }

    /// Every committed key in `[start, end)` (an empty `end` means no upper
    /// bound, as in Fabric).
    pub fn range(&self, start: &str, end: &str) -> Vec<KeyValue> {
        self.entries(start, end).collect()
    }

    /// At most `limit` committed keys of `[start, end)`, and the key that
    /// follows them (the bookmark of the next page), if any.
    pub fn range_page(
        &self,
        start: &str,
        end: &str,
        limit: usize,
    ) -> (Vec<KeyValue>, Option<String>) {
        let mut entries = self.entries(start, end);
        let page = entries.by_ref().take(limit).collect();
        (page, entries.next().map(|kv| kv.key))
    }

    /// The committed keys of `[start, end)` in key order.
    fn entries<'a>(&'a self, start: &str, end: &str) -> Box<dyn Iterator<Item = KeyValue> + 'a> {
        let collect = |(k, v): (&String, &Vec<u8>)| KeyValue {
            key: k.clone(),
            value: v.clone(),
        };
        if end.is_empty() {
            Box::new(self.state.range(start.to_owned()..).map(collect))
        } else if start >= end {
            Box::new(std::iter::empty())
        } else {
            Box::new(
                self.state
                    .range(start.to_owned()..end.to_owned())
                    .map(collect),
            )
        }
    }

    /// The committed history of a key, oldest first.
    pub fn history(&self, key: &str) -> Vec<KeyModification> {
        self.history
            .get(key)
            .map(|positions| {
                positions
                    .iter()
                    .map(|&(b, w)| {
                        let block = &self.blocks[b];
                        let write = &block.writes[w];
                        KeyModification {
                            tx_id: block.tx_id.clone(),
                            value: write.value.clone(),
                            timestamp: Some(Timestamp {
                                seconds: block.seconds,
                                nanos: block.nanos,
                            }),
                            is_delete: write.is_delete,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The committed block with this number.
    pub fn block(&self, number: u64) -> Option<&Block> {
        usize::try_from(number)
            .ok()
            .and_then(|n| self.blocks.get(n))
    }
}
