//! Errors of the gateway client.
//!
//! A failed gateway call keeps the gRPC status code and message, and the
//! per-endpoint [`ErrorDetail`]s the Fabric Gateway attaches to its errors
//! (one per endorsing peer or ordering node that failed, carried as a
//! `google.rpc.Status` in the `grpc-status-details-bin` trailer). A
//! transaction that reached the ledger but was marked invalid is a
//! [`GatewayError::Commit`] naming its `protos.TxValidationCode`.

use std::fmt;
use std::time::Duration;

use fabric_protos::gateway::ErrorDetail;
use fabric_protos::protos::TxValidationCode;
use prost::Message;

use super::checkpoint::CheckpointError;
use super::endpoint::ConnectError;
use super::identity::IdentityError;
use super::signer::SignError;

/// The gateway call that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `Gateway/Evaluate`: running a transaction function without committing it.
    Evaluate,
    /// `Gateway/Endorse`: collecting endorsements for a transaction.
    Endorse,
    /// `Gateway/Submit`: sending an endorsed transaction to the orderers.
    Submit,
    /// `Gateway/CommitStatus`: waiting for a transaction's validation code.
    CommitStatus,
    /// `Gateway/ChaincodeEvents`: reading chaincode events.
    ChaincodeEvents,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Evaluate => "evaluate",
            Operation::Endorse => "endorse",
            Operation::Submit => "submit",
            Operation::CommitStatus => "commit status",
            Operation::ChaincodeEvents => "chaincode events",
        })
    }
}

/// A gateway call that the gateway (or the gRPC transport) answered with an
/// error status.
#[derive(Debug, Clone)]
pub struct RpcError {
    operation: Operation,
    transaction_id: Option<String>,
    code: tonic::Code,
    message: String,
    details: Vec<ErrorDetail>,
}

impl RpcError {
    /// Builds the error from a gRPC status, decoding the gateway's
    /// [`ErrorDetail`]s from the status details.
    pub fn from_status(
        operation: Operation,
        transaction_id: Option<&str>,
        status: &tonic::Status,
    ) -> Self {
        Self {
            operation,
            transaction_id: transaction_id.map(str::to_owned),
            code: status.code(),
            message: status.message().to_owned(),
            details: error_details(status),
        }
    }

    /// The call that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The transaction the call was about, if any.
    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction_id.as_deref()
    }

    /// The gRPC status code.
    pub fn code(&self) -> tonic::Code {
        self.code
    }

    /// The gRPC status message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The per-endpoint errors the gateway reported (peer or orderer
    /// address, its MSP id, and what it answered).
    pub fn details(&self) -> &[ErrorDetail] {
        &self.details
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the gateway's {} call", self.operation)?;
        if let Some(tx) = &self.transaction_id {
            write!(f, " for transaction {tx}")?;
        }
        write!(f, " failed with {:?}: {}", self.code, self.message)?;
        for detail in &self.details {
            write!(
                f,
                "; {} ({}): {}",
                detail.address, detail.msp_id, detail.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for RpcError {}

/// Everything that can go wrong in the gateway client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The gateway answered a call with an error status.
    #[error("{0}")]
    Rpc(Box<RpcError>),
    /// A call did not complete within its timeout.
    #[error(
        "the gateway's {operation} call{} did not answer within {timeout:?}; check that the peer is up and reachable, or raise the timeout",
        tx_suffix(.transaction_id)
    )]
    Timeout {
        /// The call that timed out.
        operation: Operation,
        /// The transaction the call was about, if any.
        transaction_id: Option<String>,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The transaction was ordered into a block but validated as invalid, so
    /// it changed nothing on the ledger.
    #[error(
        "transaction {transaction_id} was committed in block {block_number} as invalid with validation code {} ({code}), so the ledger is unchanged; re-run the transaction",
        validation_code_name(*.code)
    )]
    Commit {
        /// The transaction id.
        transaction_id: String,
        /// The `protos.TxValidationCode` value.
        code: i32,
        /// The block the transaction was recorded in.
        block_number: u64,
    },
    /// The gateway answered with a message this client cannot read.
    #[error("the gateway returned a malformed {what}: {reason}")]
    MalformedResponse {
        /// What was being read.
        what: &'static str,
        /// Why it could not be read.
        reason: String,
    },
    /// A request could not be built from the caller's input.
    #[error("{0}")]
    InvalidRequest(String),
    /// Loading the client identity failed.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Connecting to the gateway peer failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Reading or saving an event checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl GatewayError {
    /// The gRPC failure, if this error is one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            GatewayError::Rpc(rpc) => Some(rpc),
            _ => None,
        }
    }

    /// Whether the call failed because the connection to the gateway broke
    /// or could not be made (a restarted or unreachable peer), so that it
    /// is worth repeating once the peer is back.
    pub fn is_connection_failure(&self) -> bool {
        match self {
            GatewayError::Rpc(rpc) => is_connection_failure(rpc.code(), rpc.message()),
            GatewayError::Connect(_) => true,
            _ => false,
        }
    }

    /// The validation code name of an invalid transaction (e.g.
    /// `MVCC_READ_CONFLICT`), if this error is a [`GatewayError::Commit`].
    pub fn validation_code_name(&self) -> Option<String> {
        match self {
            GatewayError::Commit { code, .. } => Some(validation_code_name(*code)),
            _ => None,
        }
    }
}

impl From<RpcError> for GatewayError {
    fn from(error: RpcError) -> Self {
        GatewayError::Rpc(Box::new(error))
    }
}

/// Whether a call with this status failed before reaching the gateway
/// because the connection broke or could not be made (tonic reports these
/// as `Unavailable`, or `Unknown` with "transport error").
pub(crate) fn is_connection_failure(code: tonic::Code, message: &str) -> bool {
    match code {
        tonic::Code::Unavailable => true,
        tonic::Code::Unknown => message.contains("transport error"),
        _ => false,
    }
}

fn tx_suffix(transaction_id: &Option<String>) -> String {
    transaction_id
        .as_ref()
        .map(|tx| format!(" for transaction {tx}"))
        .unwrap_or_default()
}

/// The name of a `protos.TxValidationCode` value as Fabric spells it (e.g.
/// `MVCC_READ_CONFLICT`, `ENDORSEMENT_POLICY_FAILURE`), or
/// `UNKNOWN_VALIDATION_CODE_<n>` for a value this client does not know.
pub fn validation_code_name(code: i32) -> String {
    match TxValidationCode::try_from(code) {
        Ok(known) => known.as_str_name().to_owned(),
        Err(_) => format!("UNKNOWN_VALIDATION_CODE_{code}"),
    }
}

/// `google.rpc.Status`, the message carried (encoded) in the
/// `grpc-status-details-bin` trailer of a failed call.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

/// The protobuf type URL of `gateway.ErrorDetail` inside a
/// `google.protobuf.Any`.
pub const ERROR_DETAIL_TYPE_URL: &str = "type.googleapis.com/gateway.ErrorDetail";

/// Decodes the gateway's [`ErrorDetail`]s from a status' details; details of
/// other types, and undecodable ones, are skipped.
pub fn error_details(status: &tonic::Status) -> Vec<ErrorDetail> {
    if status.details().is_empty() {
        return Vec::new();
    }
    let Ok(rpc_status) = RpcStatus::decode(status.details()) else {
        tracing::debug!("the gateway's status details are not a google.rpc.Status");
        return Vec::new();
    };
    rpc_status
        .details
        .iter()
        .filter(|any| is_error_detail_type(&any.type_url))
        .filter_map(|any| ErrorDetail::decode(any.value.as_slice()).ok())
        .collect()
}

/// Any type URL whose last path segment is `gateway.ErrorDetail` (the
/// prefix is conventionally `type.googleapis.com/` but not required to be).
fn is_error_detail_type(type_url: &str) -> bool {
    type_url.rsplit('/').next() == Some("gateway.ErrorDetail")
}
