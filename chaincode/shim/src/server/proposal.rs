//! Reading the transaction context out of an `INIT` / `TRANSACTION`
//! message, as Fabric's shims do: the `ChaincodeInput` payload, and from
//! the signed proposal the channel header (timestamp), the signature
//! header (creator) and the proposal payload (transient map).

use std::collections::{BTreeMap, HashMap};

use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
use fabric_protos::msp::SerializedIdentity;
use fabric_protos::protos::{ChaincodeInput, ChaincodeMessage, ChaincodeProposalPayload, Proposal};
use prost::Message;
use prost_types::Timestamp;

/// Everything a transaction's stub needs to know about it.
#[derive(Debug, Clone)]
pub struct TxContext {
    /// The transaction id.
    pub tx_id: String,
    /// The channel.
    pub channel_id: String,
    /// The invocation arguments.
    pub args: Vec<Vec<u8>>,
    /// Decorations the peer added to the input.
    pub decorations: BTreeMap<String, Vec<u8>>,
    /// The signer of the proposal: `msp.SerializedIdentity` bytes.
    pub creator: Vec<u8>,
    /// The proposal's channel-header timestamp.
    pub timestamp: Option<Timestamp>,
    /// The proposal's transient map.
    pub transient: BTreeMap<String, Vec<u8>>,
}

fn sorted(map: HashMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    map.into_iter().collect()
}

impl TxContext {
    /// Decodes the context of an `INIT` or `TRANSACTION` message. The error
    /// says what is malformed.
    pub fn from_message(msg: &ChaincodeMessage) -> Result<Self, String> {
        let input = ChaincodeInput::decode(msg.payload.as_slice())
            .map_err(|e| format!("failed to unmarshal the ChaincodeInput payload: {e}"))?;
        let signed = msg
            .proposal
            .as_ref()
            .ok_or("the message carries no signed proposal")?;
        let proposal = Proposal::decode(signed.proposal_bytes.as_slice())
            .map_err(|e| format!("failed to extract the Proposal from the SignedProposal: {e}"))?;
        if proposal.header.is_empty() {
            return Err("the proposal header is empty".into());
        }
        let header = Header::decode(proposal.header.as_slice())
            .map_err(|e| format!("failed to extract the proposal header: {e}"))?;
        let channel_header = ChannelHeader::decode(header.channel_header.as_slice())
            .map_err(|e| format!("failed to extract the channel header: {e}"))?;
        let header_type = channel_header.r#type;
        if header_type != HeaderType::EndorserTransaction as i32
            && header_type != HeaderType::Config as i32
        {
            return Err(format!(
                "invalid channel header type {header_type}: expected ENDORSER_TRANSACTION or CONFIG"
            ));
        }
        let signature_header = SignatureHeader::decode(header.signature_header.as_slice())
            .map_err(|e| format!("failed to extract the signature header: {e}"))?;
        // The peer has validated the creator; the shim only checks that it
        // is a serialized identity and leaves parsing it to the chaincode
        // (`ClientIdentity`), as Fabric's shims do.
        SerializedIdentity::decode(signature_header.creator.as_slice()).map_err(|e| {
            format!("the proposal creator is unusable: it is not a serialized identity: {e}")
        })?;
        let creator = signature_header.creator;
        let payload = ChaincodeProposalPayload::decode(proposal.payload.as_slice())
            .map_err(|e| format!("failed to extract the proposal payload: {e}"))?;

        Ok(Self {
            tx_id: msg.txid.clone(),
            channel_id: msg.channel_id.clone(),
            args: input.args,
            decorations: sorted(input.decorations),
            creator,
            timestamp: channel_header.timestamp,
            transient: sorted(payload.transient_map),
        })
    }
}
