//! Waiting for a submitted transaction's validation result with a signed
//! `gateway.CommitStatusRequest{transaction_id, channel_id, identity}`.

use std::sync::Arc;

use fabric_protos::gateway::{CommitStatusRequest, SignedCommitStatusRequest};
use fabric_protos::protos::TxValidationCode;
use prost::Message;
use sha2::{Digest, Sha256};

use super::error::{CommitError, GatewayError, Operation, validation_code, validation_code_name};
use super::offline::{normalize_signature, not_made_by, unsigned};
use super::session::{Session, Timeouts, request_with_timeout, unary_call};

/// A submitted transaction whose commit can be awaited.
#[derive(Clone)]
pub struct Commit {
    session: Arc<Session>,
    timeouts: Timeouts,
    tx_id: String,
    signed_request: SignedCommitStatusRequest,
}

impl Commit {
    pub(crate) fn new(
        session: Arc<Session>,
        timeouts: Timeouts,
        channel_name: &str,
        tx_id: &str,
    ) -> Result<Self, GatewayError> {
        let request = CommitStatusRequest {
            transaction_id: tx_id.to_owned(),
            channel_id: channel_name.to_owned(),
            identity: session.identity().creator().to_vec(),
        }
        .encode_to_vec();
        let signature = session.sign_if_possible(&request)?.unwrap_or_default();
        Ok(Self {
            session,
            timeouts,
            tx_id: tx_id.to_owned(),
            signed_request: SignedCommitStatusRequest { request, signature },
        })
    }

    /// A commit from the bytes of [`Commit::bytes`] with `signature` over
    /// [`Commit::digest`].
    pub(crate) fn from_bytes(
        session: Arc<Session>,
        timeouts: Timeouts,
        bytes: &[u8],
        signature: Vec<u8>,
    ) -> Result<Self, GatewayError> {
        let invalid = not_made_by("commit", "Commit::bytes");
        let signed =
            SignedCommitStatusRequest::decode(bytes).map_err(|e| invalid(e.to_string()))?;
        let request = CommitStatusRequest::decode(signed.request.as_slice())
            .map_err(|e| invalid(format!("request: {e}")))?;
        Ok(Self {
            session,
            timeouts,
            tx_id: request.transaction_id,
            signed_request: SignedCommitStatusRequest {
                request: signed.request,
                signature: normalize_signature(signature),
            },
        })
    }

    /// The commit status request serialized as a
    /// `gateway.SignedCommitStatusRequest`, to be signed offline and passed
    /// to [`Gateway::new_signed_commit`](super::Gateway::new_signed_commit),
    /// possibly in another process.
    pub fn bytes(&self) -> Vec<u8> {
        self.signed_request.encode_to_vec()
    }

    /// The SHA-256 digest to sign (of the commit status request).
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.signed_request.request).into()
    }

    /// Whether the request carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.signed_request.signature.is_empty()
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        &self.tx_id
    }

    /// The signed request as it is sent to the gateway.
    pub fn signed_request(&self) -> &SignedCommitStatusRequest {
        &self.signed_request
    }

    /// Waits until the transaction is committed and returns its validation
    /// code and block. An invalid transaction is not an error here: see
    /// [`CommitStatus::ensure_valid`].
    pub async fn status(&self) -> Result<CommitStatus, GatewayError> {
        if !self.is_signed() {
            return Err(unsigned("commit status request", "new_signed_commit"));
        }
        let timeout = self.timeouts.commit_status;
        let client = self.session.client();
        let response = unary_call(Operation::CommitStatus, &self.tx_id, timeout, |left| {
            let mut client = client.clone();
            let request = self.signed_request.clone();
            async move {
                client
                    .commit_status(request_with_timeout(request, left))
                    .await
            }
        })
        .await?;
        Ok(CommitStatus {
            tx_id: self.tx_id.clone(),
            code: response.result,
            block_number: response.block_number,
        })
    }
}

impl std::fmt::Debug for Commit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commit")
            .field("tx_id", &self.tx_id)
            .finish_non_exhaustive()
    }
}

/// The validation result of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    /// The transaction id.
    pub tx_id: String,
    /// The `protos.TxValidationCode` value (0 is `VALID`).
    pub code: i32,
    /// The block the transaction was recorded in.
    pub block_number: u64,
}

impl CommitStatus {
    /// Whether the transaction was validated as `VALID` (its writes are on
    /// the ledger).
    pub fn is_valid(&self) -> bool {
        self.code == TxValidationCode::Valid as i32
    }

    /// The validation code; a value this client does not know is
    /// [`TxValidationCode::InvalidOtherReason`].
    pub fn validation_code(&self) -> TxValidationCode {
        validation_code(self.code)
    }

    /// The validation code's name, e.g. `VALID` or `MVCC_READ_CONFLICT`.
    pub fn code_name(&self) -> String {
        validation_code_name(self.code)
    }

    /// The status if the transaction is valid, otherwise a
    /// [`GatewayError::Commit`] naming the validation code.
    pub fn ensure_valid(self) -> Result<Self, GatewayError> {
        if self.is_valid() {
            Ok(self)
        } else {
            Err(CommitError::new(self.tx_id, self.code, self.block_number).into())
        }
    }
}
