//! Endorsed transactions: the prepared `common.Envelope` the gateway
//! returns from `Endorse`, signed by the client over the envelope payload,
//! then submitted to the orderers.

use std::sync::Arc;

use fabric_protos::common::{ChannelHeader, Envelope, Payload};
use fabric_protos::gateway::{PreparedTransaction, SubmitRequest};
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ProposalResponsePayload, Transaction as TxMessage,
};
use prost::Message;
use sha2::{Digest, Sha256};

use super::commit::Commit;
use super::error::{GatewayError, Operation};
use super::offline::{normalize_signature, not_made_by, unsigned};
use super::session::{Session, Timeouts, request_with_timeout, unary_call};

/// An endorsed transaction, ready to submit once signed.
#[derive(Clone)]
pub struct Transaction {
    session: Arc<Session>,
    timeouts: Timeouts,
    channel_name: String,
    tx_id: String,
    envelope: Envelope,
    result: Vec<u8>,
}

impl Transaction {
    /// Checks the prepared envelope against the expected transaction id,
    /// reads the transaction function's result from it, and signs it if
    /// the session has a signer.
    pub(crate) fn new(
        session: Arc<Session>,
        timeouts: Timeouts,
        tx_id: &str,
        mut envelope: Envelope,
    ) -> Result<Self, GatewayError> {
        let parsed = parse_envelope(&envelope)?;
        if parsed.tx_id != tx_id {
            return Err(malformed(format!(
                "it is for transaction {} instead of {tx_id}",
                parsed.tx_id
            )));
        }
        envelope.signature = session
            .sign_if_possible(&envelope.payload)?
            .unwrap_or_default();
        Ok(Self {
            session,
            timeouts,
            channel_name: parsed.channel_name,
            tx_id: tx_id.to_owned(),
            envelope,
            result: parsed.result,
        })
    }

    /// A transaction from the bytes of [`Transaction::bytes`] with
    /// `signature` over [`Transaction::digest`].
    pub(crate) fn from_bytes(
        session: Arc<Session>,
        timeouts: Timeouts,
        bytes: &[u8],
        signature: Vec<u8>,
    ) -> Result<Self, GatewayError> {
        let invalid = not_made_by("transaction", "Transaction::bytes");
        let prepared = PreparedTransaction::decode(bytes).map_err(|e| invalid(e.to_string()))?;
        let envelope = prepared
            .envelope
            .ok_or_else(|| invalid("they hold no envelope".to_owned()))?;
        let parsed = parse_envelope(&envelope).map_err(|error| match error {
            GatewayError::MalformedResponse { reason, .. } => invalid(reason),
            other => other,
        })?;
        if parsed.tx_id != prepared.transaction_id {
            return Err(invalid(format!(
                "the envelope is for transaction {} instead of {}",
                parsed.tx_id, prepared.transaction_id
            )));
        }
        Ok(Self {
            session,
            timeouts,
            channel_name: parsed.channel_name,
            tx_id: prepared.transaction_id,
            envelope: Envelope {
                payload: envelope.payload,
                signature: normalize_signature(signature),
            },
            result: parsed.result,
        })
    }

    /// The transaction serialized as a `gateway.PreparedTransaction`, to be
    /// signed offline and passed to
    /// [`Gateway::new_signed_transaction`](super::Gateway::new_signed_transaction),
    /// possibly in another process.
    pub fn bytes(&self) -> Vec<u8> {
        self.to_prepared().encode_to_vec()
    }

    /// The SHA-256 digest to sign (of the envelope payload).
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.envelope.payload).into()
    }

    /// Whether the envelope carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.envelope.signature.is_empty()
    }

    /// What the transaction function returned when it was endorsed.
    pub fn result(&self) -> &[u8] {
        &self.result
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        &self.tx_id
    }

    /// The channel the transaction is for.
    pub fn channel_name(&self) -> &str {
        &self.channel_name
    }

    /// The signed envelope as it is submitted.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The signed transaction as a `gateway.PreparedTransaction`.
    pub fn to_prepared(&self) -> PreparedTransaction {
        PreparedTransaction {
            transaction_id: self.tx_id.clone(),
            envelope: Some(self.envelope.clone()),
        }
    }

    /// Sends the transaction to the orderers. The returned [`Commit`] waits
    /// for its validation result (without a signer on the gateway, sign
    /// the commit offline first: [`Commit::bytes`]).
    pub async fn submit(&self) -> Result<Commit, GatewayError> {
        if !self.is_signed() {
            return Err(unsigned("transaction", "new_signed_transaction"));
        }
        let commit = Commit::new(
            self.session.clone(),
            self.timeouts,
            &self.channel_name,
            &self.tx_id,
        )?;
        let request = SubmitRequest {
            transaction_id: self.tx_id.clone(),
            channel_id: self.channel_name.clone(),
            prepared_transaction: Some(self.envelope.clone()),
        };
        let timeout = self.timeouts.submit;
        let client = self.session.client();
        unary_call(Operation::Submit, &self.tx_id, timeout, |left| {
            let mut client = client.clone();
            let request = request.clone();
            async move { client.submit(request_with_timeout(request, left)).await }
        })
        .await?;
        Ok(commit)
    }
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("tx_id", &self.tx_id)
            .field("channel_name", &self.channel_name)
            .finish_non_exhaustive()
    }
}

struct ParsedEnvelope {
    channel_name: String,
    tx_id: String,
    result: Vec<u8>,
}

fn malformed(reason: String) -> GatewayError {
    GatewayError::MalformedResponse {
        what: "prepared transaction",
        reason,
    }
}

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, GatewayError> {
    M::decode(bytes).map_err(|e| malformed(format!("its {what} cannot be decoded: {e}")))
}

/// Reads the channel, the transaction id and the chaincode result from a
/// prepared envelope: `Payload{header.channel_header, data: Transaction{
/// actions: [ChaincodeActionPayload{action.proposal_response_payload:
/// ProposalResponsePayload{extension: ChaincodeAction{response.payload}}}]}}`.
fn parse_envelope(envelope: &Envelope) -> Result<ParsedEnvelope, GatewayError> {
    let payload: Payload = decode(&envelope.payload, "payload")?;
    let header = payload
        .header
        .ok_or_else(|| malformed("its payload has no header".to_owned()))?;
    let channel_header: ChannelHeader = decode(&header.channel_header, "channel header")?;
    let transaction: TxMessage = decode(&payload.data, "transaction")?;
    let mut problems = Vec::new();
    for action in &transaction.actions {
        match chaincode_result(&action.payload) {
            Ok(result) => {
                return Ok(ParsedEnvelope {
                    channel_name: channel_header.channel_id,
                    tx_id: channel_header.tx_id,
                    result,
                });
            }
            Err(problem) => problems.push(problem),
        }
    }
    Err(malformed(format!(
        "it holds no chaincode action with a result ({})",
        if problems.is_empty() {
            "it has no actions".to_owned()
        } else {
            problems.join("; ")
        }
    )))
}

fn chaincode_result(action_payload: &[u8]) -> Result<Vec<u8>, String> {
    let action_payload = ChaincodeActionPayload::decode(action_payload)
        .map_err(|e| format!("chaincode action payload: {e}"))?;
    let endorsed = action_payload
        .action
        .ok_or("the chaincode action payload has no endorsed action")?;
    let response_payload =
        ProposalResponsePayload::decode(endorsed.proposal_response_payload.as_slice())
            .map_err(|e| format!("proposal response payload: {e}"))?;
    let chaincode_action = ChaincodeAction::decode(response_payload.extension.as_slice())
        .map_err(|e| format!("chaincode action: {e}"))?;
    Ok(chaincode_action
        .response
        .map(|response| response.payload)
        .unwrap_or_default())
}
