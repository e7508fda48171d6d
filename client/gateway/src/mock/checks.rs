//! The checks a Fabric peer makes on what a client signs: the proposal's
//! channel header, nonce, transaction id rule and chaincode name, and the
//! creator's signature (low-S) by a known member.

use fabric_protos::protos::SignedProposal;
use tonic::Status;

use super::chaincode::Checked;
use super::gateway::{CHAINCODE, CHANNEL};
use super::protocol::{decode_proposal, expected_tx_id, verify_by_creator};

/// The Fabric checks on a signed proposal; returns the decoded
/// function, arguments, transient map, header and creator.
pub fn check_proposal(
    accepted_certificates: &[String],
    signed: Option<&SignedProposal>,
    channel_id: &str,
    transaction_id: &str,
) -> Result<Checked, Status> {
    let signed = signed.ok_or_else(|| Status::invalid_argument("no proposal"))?;
    let decoded = decode_proposal(signed).map_err(Status::invalid_argument)?;
    let ch = &decoded.channel_header;
    let denied = |m: &str| Err(Status::permission_denied(m.to_string()));
    if ch.r#type != 3 {
        return denied("channel header type is not ENDORSER_TRANSACTION");
    }
    if ch.channel_id != CHANNEL || channel_id != CHANNEL {
        return Err(Status::not_found(format!(
            "channel {} not found",
            ch.channel_id
        )));
    }
    if ch.timestamp.is_none() {
        return denied("no timestamp");
    }
    let nonce = &decoded.signature_header.nonce;
    if nonce.len() != 24 {
        return denied("nonce is not 24 bytes");
    }
    let tx_id = expected_tx_id(nonce, &decoded.signature_header.creator);
    if ch.tx_id != tx_id || transaction_id != tx_id {
        return denied("transaction id does not follow hex(SHA-256(nonce || creator))");
    }
    let header_chaincode = decoded
        .extension
        .chaincode_id
        .clone()
        .unwrap_or_default()
        .name;
    if header_chaincode != decoded.chaincode_name() || header_chaincode != CHAINCODE {
        return denied("chaincode name mismatch");
    }
    check_signature(
        accepted_certificates,
        &decoded.signature_header.creator,
        &signed.proposal_bytes,
        &signed.signature,
    )?;
    let args = decoded.args();
    let (function, args) = args
        .split_first()
        .ok_or_else(|| Status::invalid_argument("no function"))?;
    Ok(Checked {
        function: String::from_utf8_lossy(function).into_owned(),
        args: args.to_vec(),
        transient: decoded.payload.transient_map.clone(),
        header: decoded.proposal.header.clone(),
        signature_header: decoded.header.signature_header.clone(),
        creator: decoded.signature_header.creator.clone(),
        msp_id: decoded.creator.mspid.clone(),
        tx_id,
    })
}

/// Verifies a signature by `creator` and that the creator is an accepted
/// Org1MSP member (what the peer's MSP and ACL checks amount to here).
pub fn check_signature(
    accepted_certificates: &[String],
    creator: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Status> {
    let identity = verify_by_creator(creator, message, signature)
        .map_err(|e| Status::permission_denied(format!("access denied: {e}")))?;
    let pem = String::from_utf8_lossy(&identity.id_bytes);
    if identity.mspid != "Org1MSP" || !accepted_certificates.iter().any(|c| c.trim() == pem.trim())
    {
        return Err(Status::permission_denied("access denied: unknown identity"));
    }
    Ok(())
}
