//! Independent readers of what the client sends, written from the Fabric
//! protocol (not from the client's code): decoding a signed proposal down
//! to its fields, Fabric's transaction id rule, and signature checks the
//! way a peer makes them (creator certificate → P-256 key, SHA-256, DER,
//! low-S required).

use fabric_protos::common::{ChannelHeader, Header, SignatureHeader};
use fabric_protos::msp::SerializedIdentity;
use fabric_protos::protos::{
    ChaincodeHeaderExtension, ChaincodeInvocationSpec, ChaincodeProposalPayload, Proposal,
    SignedProposal,
};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use prost::Message;
use sha2::{Digest, Sha256};
use x509_cert::der::{DecodePem, Encode};

/// Every layer of a signed proposal, decoded.
#[derive(Debug)]
pub struct DecodedProposal {
    /// `protos.Proposal`.
    pub proposal: Proposal,
    /// Its `common.Header`.
    pub header: Header,
    /// The channel header.
    pub channel_header: ChannelHeader,
    /// The chaincode header extension.
    pub extension: ChaincodeHeaderExtension,
    /// The signature header.
    pub signature_header: SignatureHeader,
    /// The creator.
    pub creator: SerializedIdentity,
    /// The chaincode proposal payload.
    pub payload: ChaincodeProposalPayload,
    /// The invocation spec.
    pub invocation: ChaincodeInvocationSpec,
}

impl DecodedProposal {
    /// `input.args`: the function name, then the arguments.
    pub fn args(&self) -> Vec<Vec<u8>> {
        self.invocation
            .chaincode_spec
            .as_ref()
            .and_then(|spec| spec.input.as_ref())
            .map(|input| input.args.clone())
            .unwrap_or_default()
    }

    /// The chaincode name in the invocation spec.
    pub fn chaincode_name(&self) -> String {
        self.invocation
            .chaincode_spec
            .as_ref()
            .and_then(|spec| spec.chaincode_id.as_ref())
            .map(|id| id.name.clone())
            .unwrap_or_default()
    }
}

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, String> {
    M::decode(bytes).map_err(|e| format!("{what}: {e}"))
}

/// Decodes every layer of a signed proposal; the error says which layer failed.
pub fn decode_proposal(signed: &SignedProposal) -> Result<DecodedProposal, String> {
    let proposal: Proposal = decode(&signed.proposal_bytes, "proposal")?;
    let header: Header = decode(&proposal.header, "header")?;
    let channel_header: ChannelHeader = decode(&header.channel_header, "channel header")?;
    let extension: ChaincodeHeaderExtension =
        decode(&channel_header.extension, "chaincode header extension")?;
    let signature_header: SignatureHeader = decode(&header.signature_header, "signature header")?;
    let creator: SerializedIdentity = decode(&signature_header.creator, "creator")?;
    let payload: ChaincodeProposalPayload = decode(&proposal.payload, "proposal payload")?;
    let invocation: ChaincodeInvocationSpec = decode(&payload.input, "invocation spec")?;
    Ok(DecodedProposal {
        proposal,
        header,
        channel_header,
        extension,
        signature_header,
        creator,
        payload,
        invocation,
    })
}

/// Fabric's rule: the transaction id is hex(SHA-256(nonce || creator)).
pub fn expected_tx_id(nonce: &[u8], creator: &[u8]) -> String {
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(creator);
    hex::encode(Sha256::digest(&bytes))
}

/// The P-256 key in a PEM certificate.
pub fn certificate_key(certificate_pem: &[u8]) -> Result<VerifyingKey, String> {
    let certificate = x509_cert::Certificate::from_pem(certificate_pem)
        .map_err(|e| format!("certificate: {e}"))?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("public key: {e}"))?;
    VerifyingKey::from_public_key_der(&spki).map_err(|e| format!("public key: {e}"))
}

/// Checks a DER ECDSA signature over `message` the way Fabric does:
/// SHA-256, P-256, and S in the lower half of the order.
pub fn verify(key: &VerifyingKey, message: &[u8], signature_der: &[u8]) -> Result<(), String> {
    let signature =
        Signature::from_der(signature_der).map_err(|e| format!("signature is not DER: {e}"))?;
    if signature.normalize_s().is_some() {
        return Err("signature has a high S value".into());
    }
    key.verify(message, &signature)
        .map_err(|_| "signature does not verify".to_string())
}

/// Verifies a signature made by the identity serialized in `creator`.
pub fn verify_by_creator(
    creator: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<SerializedIdentity, String> {
    let identity: SerializedIdentity = decode(creator, "creator")?;
    let key = certificate_key(&identity.id_bytes)?;
    verify(&key, message, signature)?;
    Ok(identity)
}

/// Whether the S of a DER signature is at most n/2.
pub fn is_low_s(signature_der: &[u8]) -> bool {
    Signature::from_der(signature_der).is_ok_and(|s| s.normalize_s().is_none())
}
