//! [`ChaincodeEvent`]: what a committed transaction emitted.

/// An event emitted by a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaincodeEvent {
    /// The block holding the transaction.
    pub block_number: u64,
    /// The transaction that emitted the event.
    pub tx_id: String,
    /// The chaincode that emitted it.
    pub chaincode_name: String,
    /// The event name the chaincode chose.
    pub event_name: String,
    /// The event payload.
    pub payload: Vec<u8>,
}
