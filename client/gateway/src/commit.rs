//! Waiting for a submitted transaction's validation result with a signed
//! `gateway.CommitStatusRequest{transaction_id, channel_id, identity}`.

use std::sync::Arc;

use fabric_protos::gateway::{CommitStatusRequest, SignedCommitStatusRequest};
use fabric_protos::protos::TxValidationCode;
use prost::Message;

use super::client::{Session, Timeouts, request_with_timeout, unary_call};
use super::error::{GatewayError, Operation, validation_code_name};

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
        let signature = session.sign(&request)?;
        Ok(Self {
            session,
            timeouts,
            tx_id: tx_id.to_owned(),
            signed_request: SignedCommitStatusRequest { request, signature },
        })
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
            Err(GatewayError::Commit {
                transaction_id: self.tx_id,
                code: self.code,
                block_number: self.block_number,
            })
        }
    }
}
