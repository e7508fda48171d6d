//! Routing of the peer's `RESPONSE` / `ERROR` replies to the transaction
//! waiting for them, keyed by (channel id, tx id) as in Fabric.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Mutex, MutexGuard, PoisonError};

use fabric_protos::protos::ChaincodeMessage;
use tokio::sync::oneshot;

/// Identifies a transaction on one stream: Fabric allows the same tx id on
/// different channels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxKey {
    /// The channel.
    pub channel_id: String,
    /// The transaction id.
    pub tx_id: String,
}

impl TxKey {
    /// The key of the transaction a message belongs to.
    pub fn of(msg: &ChaincodeMessage) -> Self {
        Self {
            channel_id: msg.channel_id.clone(),
            tx_id: msg.txid.clone(),
        }
    }
}

/// Why a reply could not be delivered.
#[derive(Debug, PartialEq, Eq)]
pub enum Unroutable {
    /// No transaction with that key is running on this stream.
    UnknownTransaction,
    /// The transaction runs but has no request outstanding.
    NotWaiting,
}

#[derive(Default)]
struct Slot {
    waiting: Option<oneshot::Sender<ChaincodeMessage>>,
}

/// The transactions running on one stream and their outstanding requests.
#[derive(Default)]
pub struct Router {
    slots: Mutex<Option<HashMap<TxKey, Slot>>>,
}

impl Router {
    /// An open router with no transactions.
    pub fn new() -> Self {
        Self {
            slots: Mutex::new(Some(HashMap::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<HashMap<TxKey, Slot>>> {
        // The map stays consistent even if a holder panicked mid-update.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new transaction; `false` if one with the same key is
    /// already running (or the stream closed).
    pub fn register(&self, key: TxKey) -> bool {
        match self.lock().as_mut().map(|slots| slots.entry(key)) {
            Some(Entry::Vacant(entry)) => {
                entry.insert(Slot::default());
                true
            }
            _ => false,
        }
    }

    /// Forgets a finished transaction.
    pub fn remove(&self, key: &TxKey) {
        if let Some(slots) = self.lock().as_mut() {
            slots.remove(key);
        }
    }

    /// Arms the transaction for one reply; `None` if the transaction is
    /// unknown or the stream closed.
    pub fn expect_reply(&self, key: &TxKey) -> Option<oneshot::Receiver<ChaincodeMessage>> {
        let mut guard = self.lock();
        let slot = guard.as_mut()?.get_mut(key)?;
        let (sender, receiver) = oneshot::channel();
        slot.waiting = Some(sender);
        Some(receiver)
    }

    /// Hands a reply to the transaction waiting for it.
    pub fn deliver(&self, msg: ChaincodeMessage) -> Result<(), Unroutable> {
        let key = TxKey::of(&msg);
        let sender = {
            let mut guard = self.lock();
            let slot = guard
                .as_mut()
                .and_then(|slots| slots.get_mut(&key))
                .ok_or(Unroutable::UnknownTransaction)?;
            slot.waiting.take().ok_or(Unroutable::NotWaiting)?
        };
        // The waiter may have been cancelled meanwhile; the reply is then moot.
        let _ = sender.send(msg);
        Ok(())
    }

    /// Closes the router: every waiting request sees the stream closed and
    /// no transaction can register any more.
    pub fn close(&self) {
        self.lock().take();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn msg(channel: &str, tx: &str) -> ChaincodeMessage {
        ChaincodeMessage {
            channel_id: channel.into(),
            txid: tx.into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn routes_by_channel_and_tx() {
        let router = Router::new();
        let a = TxKey::of(&msg("ch1", "t"));
        let b = TxKey::of(&msg("ch2", "t"));
        assert!(router.register(a.clone()));
        assert!(router.register(b.clone()));
        assert!(!router.register(a.clone()), "duplicate key must be refused");
        let ra = router.expect_reply(&a).unwrap();
        assert_eq!(router.deliver(msg("ch2", "t")), Err(Unroutable::NotWaiting));
        assert_eq!(
            router.deliver(msg("ch3", "t")),
            Err(Unroutable::UnknownTransaction)
        );
        router.deliver(msg("ch1", "t")).unwrap();
        assert_eq!(ra.await.unwrap().channel_id, "ch1");
    }

    #[tokio::test]
    async fn close_wakes_waiters() {
        let router = Router::new();
        let a = TxKey::of(&msg("ch", "t"));
        router.register(a.clone());
        let waiting = router.expect_reply(&a).unwrap();
        router.close();
        assert!(waiting.await.is_err());
        assert!(!router.register(a.clone()));
        assert!(router.expect_reply(&a).is_none());
    }
}
