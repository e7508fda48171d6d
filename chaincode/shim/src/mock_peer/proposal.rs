//! Building a transaction proposal and the `INIT` / `TRANSACTION` message
//! carrying it, as a Fabric client and peer do (`protoutil`
//! `CreateChaincodeProposalWithTxIDNonceAndTransient`, `ComputeTxID`, and
//! the peer's `ChaincodeSupport.execute`).

use std::collections::BTreeMap;
use std::time::SystemTime;

use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeHeaderExtension, ChaincodeId, ChaincodeInput, ChaincodeInvocationSpec,
    ChaincodeMessage, ChaincodeProposalPayload, ChaincodeSpec, Proposal, SignedProposal,
};
use prost::Message;
use prost_types::Timestamp;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// A proposal's timestamp and the message that carries it.
pub(crate) struct ProposedTx {
    pub timestamp: Timestamp,
    pub message: ChaincodeMessage,
}

/// What a transaction proposal is made of.
pub(crate) struct ProposalParts<'a> {
    pub channel_id: &'a str,
    pub chaincode_name: &'a str,
    pub creator: &'a [u8],
    pub args: Vec<Vec<u8>>,
    pub transient: &'a BTreeMap<String, Vec<u8>>,
    pub is_init: bool,
}

/// Fabric's transaction id: hex(SHA-256(nonce ‖ creator)).
fn compute_tx_id(nonce: &[u8], creator: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(nonce);
    hasher.update(creator);
    hex::encode(hasher.finalize())
}

/// Builds the signed proposal and the `INIT` / `TRANSACTION` message. The
/// proposal's signature is left empty: the peer verifies it before the
/// chaincode runs, and the chaincode never reads it.
pub(crate) fn propose(parts: ProposalParts<'_>) -> ProposedTx {
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let tx_id = compute_tx_id(&nonce, parts.creator);
    let timestamp = Timestamp::from(SystemTime::now());
    let chaincode_id = ChaincodeId {
        name: parts.chaincode_name.to_owned(),
        ..Default::default()
    };
    let input = ChaincodeInput {
        args: parts.args,
        decorations: Default::default(),
        is_init: parts.is_init,
    };
    let invocation = ChaincodeInvocationSpec {
        chaincode_spec: Some(ChaincodeSpec {
            chaincode_id: Some(chaincode_id.clone()),
            input: Some(input.clone()),
            ..Default::default()
        }),
    };
    let channel_header = ChannelHeader {
        r#type: HeaderType::EndorserTransaction as i32,
        timestamp: Some(timestamp),
        channel_id: parts.channel_id.to_owned(),
        tx_id: tx_id.clone(),
        epoch: 0,
        extension: ChaincodeHeaderExtension {
            chaincode_id: Some(chaincode_id),
        }
        .encode_to_vec(),
        ..Default::default()
    };
    let signature_header = SignatureHeader {
        creator: parts.creator.to_vec(),
        nonce: nonce.to_vec(),
    };
    let proposal = Proposal {
        header: Header {
            channel_header: channel_header.encode_to_vec(),
            signature_header: signature_header.encode_to_vec(),
        }
        .encode_to_vec(),
        payload: ChaincodeProposalPayload {
            input: invocation.encode_to_vec(),
            transient_map: parts.transient.clone().into_iter().collect(),
        }
        .encode_to_vec(),
        extension: Vec::new(),
    };
    let kind = if parts.is_init {
        Type::Init
    } else {
        Type::Transaction
    };
    let message = ChaincodeMessage {
        r#type: kind as i32,
        payload: input.encode_to_vec(),
        txid: tx_id,
        channel_id: parts.channel_id.to_owned(),
        proposal: Some(SignedProposal {
            proposal_bytes: proposal.encode_to_vec(),
            signature: Vec::new(),
        }),
        ..Default::default()
    };
    ProposedTx { timestamp, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_id_is_the_hash_of_nonce_and_creator() {
        // sha256("") with an empty nonce and creator.
        assert_eq!(
            compute_tx_id(b"", b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(compute_tx_id(b"n", b"c"), compute_tx_id(b"n", b"d"));
    }
}
