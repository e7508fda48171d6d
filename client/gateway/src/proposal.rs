//! Transaction proposals, built as Fabric expects them:
//!
//! * `common.ChannelHeader{type: ENDORSER_TRANSACTION, channel_id, tx_id,
//!   timestamp, extension: ChaincodeHeaderExtension{chaincode_id{name}}}`;
//! * `common.SignatureHeader{creator: msp.SerializedIdentity, nonce: 24
//!   random bytes}`, with `tx_id = hex(SHA-256(nonce || creator))`;
//! * `protos.ChaincodeProposalPayload{input: ChaincodeInvocationSpec{
//!   chaincode_spec{chaincode_id{name}, input{args: [function, args...]}}},
//!   transient_map}`;
//! * `protos.SignedProposal{proposal_bytes, signature}`, the signature over
//!   the proposal bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
use fabric_protos::gateway::{EndorseRequest, EvaluateRequest, ProposedTransaction};
use fabric_protos::protos::{
    ChaincodeHeaderExtension, ChaincodeId, ChaincodeInput, ChaincodeInvocationSpec,
    ChaincodeProposalPayload, ChaincodeSpec, Proposal as ProposalMessage, SignedProposal,
    chaincode_spec,
};
use prost::Message;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::error::{GatewayError, Operation};
use super::offline::{normalize_signature, not_made_by, unsigned};
use super::session::{Session, Timeouts, request_with_timeout, unary_call};
use super::transaction::Transaction;

/// The length of the random nonce in a signature header.
pub const NONCE_LENGTH: usize = 24;

/// Collects what a proposal needs; obtained from
/// [`Contract::new_proposal`](super::Contract::new_proposal).
#[must_use = "a proposal builder does nothing until `build` is called"]
pub struct ProposalBuilder {
    session: Arc<Session>,
    timeouts: Timeouts,
    channel_name: String,
    chaincode_name: String,
    function: String,
    args: Vec<Vec<u8>>,
    transient: HashMap<String, Vec<u8>>,
    endorsing_organizations: Vec<String>,
}

impl ProposalBuilder {
    /// A builder for `function` (already qualified with the contract name,
    /// if any) of `chaincode_name` on `channel_name`.
    pub(crate) fn new(
        session: Arc<Session>,
        timeouts: Timeouts,
        channel_name: String,
        chaincode_name: String,
        function: String,
    ) -> Self {
        Self {
            session,
            timeouts,
            channel_name,
            chaincode_name,
            function,
            args: Vec::new(),
            transient: HashMap::new(),
            endorsing_organizations: Vec::new(),
        }
    }

    /// Appends one argument.
    pub fn argument(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    /// Appends arguments.
    pub fn arguments<A: AsRef<[u8]>>(mut self, args: impl IntoIterator<Item = A>) -> Self {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_vec()));
        self
    }

    /// Adds transient data: passed to the chaincode by the endorsing peers
    /// but never written to the ledger (for private data).
    pub fn transient(mut self, key: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.transient.insert(key.into(), value.as_ref().to_vec());
        self
    }

    /// Asks for endorsements from exactly these organisations (MSP ids)
    /// instead of letting the gateway choose; for evaluate, these are the
    /// organisations whose peers may run the query.
    pub fn endorsing_organizations<S: Into<String>>(
        mut self,
        msp_ids: impl IntoIterator<Item = S>,
    ) -> Self {
        self.endorsing_organizations = msp_ids.into_iter().map(Into::into).collect();
        self
    }

    /// Builds the proposal and signs it, unless the gateway has no signer:
    /// then sign [`Proposal::digest`] offline and pass the signature with
    /// [`Proposal::bytes`] to
    /// [`Gateway::new_signed_proposal`](super::Gateway::new_signed_proposal).
    pub fn build(self) -> Result<Proposal, GatewayError> {
        let channel_name = self.channel_name;
        let chaincode_name = self.chaincode_name;
        for (value, what) in [
            (&channel_name, "channel name"),
            (&chaincode_name, "chaincode name"),
            (&self.function, "transaction function name"),
        ] {
            if value.trim().is_empty() {
                return Err(GatewayError::InvalidRequest(format!(
                    "the {what} is empty; give the {what} to invoke"
                )));
            }
        }
        let session = self.session;
        let identity = session.identity();
        let nonce = new_nonce();
        let tx_id = transaction_id(&nonce, identity.creator());
        let chaincode_id = ChaincodeId {
            name: chaincode_name,
            ..ChaincodeId::default()
        };

        let channel_header = ChannelHeader {
            r#type: HeaderType::EndorserTransaction as i32,
            channel_id: channel_name.clone(),
            tx_id: tx_id.clone(),
            timestamp: Some(prost_types::Timestamp::from(SystemTime::now())),
            epoch: 0,
            extension: ChaincodeHeaderExtension {
                chaincode_id: Some(chaincode_id.clone()),
            }
            .encode_to_vec(),
            ..ChannelHeader::default()
        };
        let signature_header = SignatureHeader {
            creator: identity.creator().to_vec(),
            nonce: nonce.to_vec(),
        };
        let header = Header {
            channel_header: channel_header.encode_to_vec(),
            signature_header: signature_header.encode_to_vec(),
        };

        let mut args = Vec::with_capacity(self.args.len() + 1);
        args.push(self.function.into_bytes());
        args.extend(self.args);
        let invocation = ChaincodeInvocationSpec {
            chaincode_spec: Some(ChaincodeSpec {
                r#type: chaincode_spec::Type::Undefined as i32,
                chaincode_id: Some(chaincode_id),
                input: Some(ChaincodeInput {
                    args,
                    ..ChaincodeInput::default()
                }),
                ..ChaincodeSpec::default()
            }),
        };
        let payload = ChaincodeProposalPayload {
            input: invocation.encode_to_vec(),
            transient_map: self.transient,
        };

        let proposal_bytes = ProposalMessage {
            header: header.encode_to_vec(),
            payload: payload.encode_to_vec(),
            extension: Vec::new(),
        }
        .encode_to_vec();
        let signature = session
            .sign_if_possible(&proposal_bytes)?
            .unwrap_or_default();

        Ok(Proposal {
            session,
            timeouts: self.timeouts,
            channel_name,
            tx_id,
            signed_proposal: SignedProposal {
                proposal_bytes,
                signature,
            },
            endorsing_organizations: self.endorsing_organizations,
        })
    }
}

/// A transaction proposal, ready to be evaluated or endorsed once signed.
#[derive(Clone)]
pub struct Proposal {
    session: Arc<Session>,
    timeouts: Timeouts,
    channel_name: String,
    tx_id: String,
    signed_proposal: SignedProposal,
    endorsing_organizations: Vec<String>,
}

impl Proposal {
    /// A proposal from the bytes of [`Proposal::bytes`] (made by this or
    /// another process) with `signature` over [`Proposal::digest`].
    pub(crate) fn from_bytes(
        session: Arc<Session>,
        timeouts: Timeouts,
        bytes: &[u8],
        signature: Vec<u8>,
    ) -> Result<Self, GatewayError> {
        let invalid = not_made_by("proposal", "Proposal::bytes");
        let proposed = ProposedTransaction::decode(bytes).map_err(|e| invalid(e.to_string()))?;
        let signed = proposed
            .proposal
            .ok_or_else(|| invalid("they hold no signed proposal".to_owned()))?;
        let proposal = ProposalMessage::decode(signed.proposal_bytes.as_slice())
            .map_err(|e| invalid(format!("proposal: {e}")))?;
        let header = Header::decode(proposal.header.as_slice())
            .map_err(|e| invalid(format!("header: {e}")))?;
        let channel_header = ChannelHeader::decode(header.channel_header.as_slice())
            .map_err(|e| invalid(format!("channel header: {e}")))?;
        if channel_header.tx_id != proposed.transaction_id {
            return Err(invalid(format!(
                "the proposal is for transaction {} instead of {}",
                channel_header.tx_id, proposed.transaction_id
            )));
        }
        Ok(Self {
            session,
            timeouts,
            channel_name: channel_header.channel_id,
            tx_id: proposed.transaction_id,
            signed_proposal: SignedProposal {
                proposal_bytes: signed.proposal_bytes,
                signature: normalize_signature(signature),
            },
            endorsing_organizations: proposed.endorsing_organizations,
        })
    }

    /// The proposal serialized as a `gateway.ProposedTransaction` (the
    /// transaction id, the proposal and the endorsing organisations), to
    /// be signed offline and passed to
    /// [`Gateway::new_signed_proposal`](super::Gateway::new_signed_proposal),
    /// possibly in another process.
    pub fn bytes(&self) -> Vec<u8> {
        ProposedTransaction {
            transaction_id: self.tx_id.clone(),
            proposal: Some(self.signed_proposal.clone()),
            endorsing_organizations: self.endorsing_organizations.clone(),
        }
        .encode_to_vec()
    }

    /// The SHA-256 digest to sign: [`Signer::sign_digest`](super::Signer::sign_digest)
    /// of it is the proposal's signature.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.signed_proposal.proposal_bytes).into()
    }

    /// Whether the proposal carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.signed_proposal.signature.is_empty()
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        &self.tx_id
    }

    /// The channel the proposal is for.
    pub fn channel_name(&self) -> &str {
        &self.channel_name
    }

    /// The signed proposal as it is sent to the gateway.
    pub fn signed_proposal(&self) -> &SignedProposal {
        &self.signed_proposal
    }

    /// The organisations asked to endorse (empty: the gateway chooses).
    pub fn endorsing_organizations(&self) -> &[String] {
        &self.endorsing_organizations
    }

    /// Runs the transaction function on a peer without committing it and
    /// returns its result.
    pub async fn evaluate(&self) -> Result<Vec<u8>, GatewayError> {
        self.ensure_signed()?;
        let request = EvaluateRequest {
            transaction_id: self.tx_id.clone(),
            channel_id: self.channel_name.clone(),
            proposed_transaction: Some(self.signed_proposal.clone()),
            target_organizations: self.endorsing_organizations.clone(),
        };
        let timeout = self.timeouts.evaluate;
        let client = self.session.client();
        let response = unary_call(Operation::Evaluate, &self.tx_id, timeout, |left| {
            let mut client = client.clone();
            let request = request.clone();
            async move { client.evaluate(request_with_timeout(request, left)).await }
        })
        .await?;
        Ok(response.result.map(|r| r.payload).unwrap_or_default())
    }

    /// Collects endorsements; the result is the prepared transaction, signed
    /// and ready to submit.
    pub async fn endorse(&self) -> Result<Transaction, GatewayError> {
        self.ensure_signed()?;
        let request = EndorseRequest {
            transaction_id: self.tx_id.clone(),
            channel_id: self.channel_name.clone(),
            proposed_transaction: Some(self.signed_proposal.clone()),
            endorsing_organizations: self.endorsing_organizations.clone(),
        };
        let timeout = self.timeouts.endorse;
        let client = self.session.client();
        let response = unary_call(Operation::Endorse, &self.tx_id, timeout, |left| {
            let mut client = client.clone();
            let request = request.clone();
            async move { client.endorse(request_with_timeout(request, left)).await }
        })
        .await?;
        let envelope =
            response
                .prepared_transaction
                .ok_or_else(|| GatewayError::MalformedResponse {
                    what: "endorse response",
                    reason: "it carries no prepared transaction".to_owned(),
                })?;
        Transaction::new(self.session.clone(), self.timeouts, &self.tx_id, envelope)
    }
}

impl Proposal {
    fn ensure_signed(&self) -> Result<(), GatewayError> {
        if self.is_signed() {
            Ok(())
        } else {
            Err(unsigned("proposal", "new_signed_proposal"))
        }
    }
}

impl std::fmt::Debug for Proposal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposal")
            .field("tx_id", &self.tx_id)
            .field("channel_name", &self.channel_name)
            .finish_non_exhaustive()
    }
}

/// A fresh random signature-header nonce.
pub fn new_nonce() -> [u8; NONCE_LENGTH] {
    let mut nonce = [0u8; NONCE_LENGTH];
    OsRng.fill_bytes(&mut nonce);
    nonce
}

/// Fabric's transaction id rule: `hex(SHA-256(nonce || creator))`.
pub fn transaction_id(nonce: &[u8], creator: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(nonce);
    hasher.update(creator);
    hex::encode(hasher.finalize())
}
