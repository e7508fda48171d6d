//! The demo's timeline: prints each entry as it arrives (text, or one JSON
//! object per line) and keeps track of what is still expected.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::actors::{Entry, script};
use crate::commands::audit::kind;
use crate::output::{Output, short_hex};
use medchain_sdk::cast::Participant;
use medchain_siff::RecordType;

/// The left margin of lines that are not blocks (under the type column).
pub const MARGIN: &str = "             ";

/// What the timeline has seen. Entries come from concurrent tasks; each is
/// printed once what it depends on is printed (a decryption after the
/// block that stored the record, the key after the last answer), so the
/// timeline reads in causal order.
pub struct Timeline<'a> {
    out: &'a Output,
    names: HashMap<u64, String>,
    inds: Vec<u64>,
    /// The blocks seen, by record type.
    pub stored: HashMap<String, usize>,
    /// (reader, κ) pairs the chaincode notified of a record.
    expected_reads: HashSet<(u64, [u8; 32])>,
    /// (reader, κ) pairs that were decrypted.
    reads: HashSet<(u64, [u8; 32])>,
    /// Records whose decryption differed from what was stored.
    pub wrong_reads: Vec<String>,
    /// Notifications received, per participant (index into the cast).
    pub notifications: Vec<usize>,
    /// Entries waiting for what they depend on to be printed.
    pending: Vec<Entry>,
    /// The keys of the blocks printed so far.
    printed: HashSet<Vec<u8>>,
    /// The answers (`txtr`) printed so far.
    printed_answers: usize,
}

impl<'a> Timeline<'a> {
    /// A timeline for `cast`.
    pub fn new(out: &'a Output, cast: &[Participant]) -> Self {
        let inds: Vec<u64> = cast.iter().map(|p| p.ledger().ind()).collect();
        let names = cast
            .iter()
            .zip(&inds)
            .map(|(p, &ind)| (ind, p.title()))
            .collect();
        Self {
            out,
            names,
            inds,
            stored: HashMap::new(),
            expected_reads: HashSet::new(),
            reads: HashSet::new(),
            wrong_reads: Vec::new(),
            notifications: vec![0; cast.len()],
            pending: Vec::new(),
            printed: HashSet::new(),
            printed_answers: 0,
        }
    }

    fn name(&self, ind: u64) -> String {
        self.names
            .get(&ind)
            .cloned()
            .unwrap_or_else(|| medchain_sdk::workflow::format_ind(ind))
    }

    fn who(&self, who: usize) -> String {
        self.inds
            .get(who)
            .map_or_else(|| "?".to_owned(), |&ind| self.name(ind))
    }

    /// Whether every record of the workflow is stored and every notified
    /// participant has decrypted it.
    pub fn complete(&self) -> bool {
        self.stored.contains_key(RecordType::Compensation.label())
            && self.expected_reads.is_subset(&self.reads)
    }

    /// Prints a line that is not an entry.
    pub fn say(&self, human: &str, json: Value) {
        self.out.line(&format!("{MARGIN}{human}"), &json);
    }

    /// Records one entry and prints it (and whatever it unblocks) as soon
    /// as what it depends on has been printed.
    pub fn record(&mut self, entry: Entry) {
        self.account(&entry);
        self.pending.push(entry);
        while let Some(at) = self.pending.iter().position(|e| self.ready(e)) {
            let entry = self.pending.remove(at);
            self.print(&entry);
        }
    }

    /// Updates what has been seen.
    fn account(&mut self, entry: &Entry) {
        match entry {
            Entry::Stored {
                kind: record,
                key,
                receivers,
                ..
            } => {
                *self.stored.entry(record.clone()).or_default() += 1;
                if let Ok(key) = <[u8; 32]>::try_from(key.as_slice())
                    && RecordType::from_label(record).is_some()
                {
                    self.expected_reads
                        .extend(receivers.iter().map(|&r| (r, key)));
                }
            }
            Entry::Notified { who, .. } => {
                if let Some(count) = self.notifications.get_mut(*who) {
                    *count += 1;
                }
            }
            Entry::Decrypted {
                who,
                record_type,
                key,
                text,
            } => {
                if let Some(&ind) = self.inds.get(*who) {
                    self.reads.insert((ind, *key));
                }
                if text != script(*record_type) {
                    self.wrong_reads.push(format!(
                        "{} read {} {} as something else",
                        self.who(*who),
                        record_type.label(),
                        short_hex(key)
                    ));
                }
            }
            Entry::KeyEstablished { .. } | Entry::Failed { .. } => {}
        }
    }

    /// Whether what `entry` depends on has been printed.
    fn ready(&self, entry: &Entry) -> bool {
        match entry {
            Entry::Decrypted { key, .. } => self.printed.contains(key.as_slice()),
            Entry::KeyEstablished { participants, .. } => self.printed_answers + 1 >= *participants,
            _ => true,
        }
    }

    /// Prints one entry.
    fn print(&mut self, entry: &Entry) {
        match entry {
            Entry::Stored {
                block,
                kind: record,
                key,
                author,
                receivers,
            } => {
                self.printed.insert(key.clone());
                if record == "txtr" {
                    self.printed_answers += 1;
                }
                let by = author.map(|a| self.name(a)).unwrap_or_else(|| "?".into());
                let notified: Vec<String> = receivers.iter().map(|&r| self.name(r)).collect();
                let (key_label, what) = match record.as_str() {
                    "reg" => ("ind", format!("{by} registered")),
                    "txtc" => ("κ0 ", format!("{by} opened the case")),
                    "txtr" => ("κ  ", format!("{by} answered with its sealed secret")),
                    other => (
                        "κ  ",
                        format!(
                            "{by} stored the encrypted {}",
                            RecordType::from_label(other).map_or("record", kind)
                        ),
                    ),
                };
                let mut human = format!(
                    "  block {block:>3}  {record:<4}  {key_label} {}  {what}",
                    short_hex(key)
                );
                if record != "reg" {
                    human.push_str(&format!("; notified: {}", notified.join(", ")));
                }
                self.out.line(
                    &human,
                    &json!({
                        "event": "stored", "block": block, "type": record, "key": hex::encode(key),
                        "by": by, "notified": notified,
                    }),
                );
            }
            Entry::Notified { .. } => {}
            Entry::KeyEstablished {
                who,
                participants,
                tag_bytes,
                coefficients,
            } => self.say(
                &format!(
                    "{}'s client has every answer and established the case key K for {participants} participants: tag {tag_bytes} bytes (k = {coefficients} coefficients α0…α{})",
                    self.who(*who),
                    coefficients.saturating_sub(1)
                ),
                json!({
                    "event": "key-established", "by": self.who(*who), "participants": participants,
                    "tag_bytes": tag_bytes, "coefficients": coefficients,
                }),
            ),
            Entry::Decrypted {
                who,
                record_type,
                key,
                text,
            } => self.say(
                &format!(
                    "{} was notified and decrypted {} {}: \"{text}\"",
                    self.who(*who),
                    record_type.label(),
                    short_hex(key)
                ),
                json!({
                    "event": "decrypted", "by": self.who(*who), "type": record_type.label(),
                    "record": hex::encode(key), "text": text,
                }),
            ),
            Entry::Failed { who, error } => {
                let by = who.map_or_else(|| "the block observer".to_owned(), |w| self.who(w));
                self.say(
                    &format!("{by} failed: {}", error.message()),
                    json!({"event": "failed", "by": by, "error": error.message()}),
                );
            }
        }
    }
}
