//! Errors of the gateway client.
//!
//! A failed gateway call keeps the gRPC status code and message, and the
//! per-endpoint [`ErrorDetail`]s the Fabric Gateway attaches to its errors
//! (one per endorsing peer or ordering node that failed, carried as a
//! `google.rpc.Status` in the `grpc-status-details-bin` trailer). A
//! transaction that reached the ledger but was marked invalid is a
//! [`GatewayError::Commit`] carrying its [`TxValidationCode`].
//!
//! Each step of a transaction fails with its own variant, as the official
//! SDKs' `EndorseError`, `SubmitError`, `CommitStatusError` and
//! `CommitError` do: [`GatewayError::Evaluate`], [`GatewayError::Endorse`],
//! [`GatewayError::Submit`], [`GatewayError::CommitStatus`] (the call
//! failed; an [`RpcError`] with the transaction id and the per-endpoint
//! [`ErrorDetail`]s) and [`GatewayError::Commit`] (the transaction was
//! committed as invalid; a [`CommitError`]).
//!
//! This module imports nothing from the rest of the crate but [`SignError`],
//! so every other module can depend on it without a cycle.

use std::path::PathBuf;

use std::fmt;
use std::time::Duration;

use fabric_protos::gateway::ErrorDetail;
use fabric_protos::protos::TxValidationCode;
use prost::Message;

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
    /// `protos.Deliver/DeliverFiltered`: reading filtered block events
    /// from the peer's Deliver service.
    BlockEvents,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Evaluate => "evaluate",
            Operation::Endorse => "endorse",
            Operation::Submit => "submit",
            Operation::CommitStatus => "commit status",
            Operation::ChaincodeEvents => "chaincode events",
            Operation::BlockEvents => "block events",
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

    /// The chaincode responses the endorsers answered with, as the gateway
    /// words them: first from each error detail, then from the status
    /// message (how an Evaluate failure arrives). See [`ChaincodeResponse`].
    pub fn chaincode_responses(&self) -> impl Iterator<Item = ChaincodeResponse> + '_ {
        self.details
            .iter()
            .map(|detail| detail.message.as_str())
            .chain(std::iter::once(self.message.as_str()))
            .filter_map(ChaincodeResponse::from_gateway_text)
    }
}

/// A chaincode's failed response (status and message) as an endorsing peer
/// reported it through the gateway.
///
/// Fabric's gateway words a response with a status other than 500 as
/// `chaincode response <status>, <message>` (prefixed by `evaluate call to
/// endorser returned error: ` in a failed Evaluate's status message); the
/// peer returns a status-500 error response as its bare message, so bare
/// text is read as status 500. Nothing else is inferred from the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaincodeResponse {
    /// The response status the chaincode chose (500 when bare).
    pub status: i32,
    /// The chaincode's message.
    pub message: String,
}

impl ChaincodeResponse {
    /// Reads one endorser's answer as the gateway words it; `None` for an
    /// empty text or a malformed `chaincode response` prefix.
    pub fn from_gateway_text(text: &str) -> Option<Self> {
        const EVALUATE: &str = "evaluate call to endorser returned error: ";
        const CHAINCODE_RESPONSE: &str = "chaincode response ";
        let text = text.strip_prefix(EVALUATE).unwrap_or(text);
        let (status, message) = match text.strip_prefix(CHAINCODE_RESPONSE) {
            Some(response) => {
                let (status, message) = response.split_once(", ")?;
                (status.parse().ok()?, message)
            }
            None => (500, text),
        };
        (!message.is_empty()).then(|| Self {
            status,
            message: message.to_owned(),
        })
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

/// A transaction that was ordered into a block but validated as invalid,
/// so it changed nothing on the ledger (the official SDKs' `CommitError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitError {
    transaction_id: String,
    code: TxValidationCode,
    raw_code: i32,
    block_number: u64,
}

impl CommitError {
    /// The error for transaction `transaction_id`, recorded in block
    /// `block_number` with the `protos.TxValidationCode` value `raw_code`.
    pub fn new(transaction_id: impl Into<String>, raw_code: i32, block_number: u64) -> Self {
        Self {
            transaction_id: transaction_id.into(),
            code: validation_code(raw_code),
            raw_code,
            block_number,
        }
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// The validation code; a value this client does not know is
    /// [`TxValidationCode::InvalidOtherReason`] (see [`Self::raw_code`]).
    pub fn code(&self) -> TxValidationCode {
        self.code
    }

    /// The validation code as the gateway sent it.
    pub fn raw_code(&self) -> i32 {
        self.raw_code
    }

    /// The validation code's name, e.g. `MVCC_READ_CONFLICT`.
    pub fn code_name(&self) -> String {
        validation_code_name(self.raw_code)
    }

    /// The block the transaction was recorded in.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "transaction {} was committed in block {} as invalid with validation code {} ({}), so the ledger is unchanged; re-run the transaction",
            self.transaction_id,
            self.block_number,
            self.code_name(),
            self.raw_code
        )
    }
}

impl std::error::Error for CommitError {}

/// Why a connection to a peer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The address is not a `host:port` or `http(s)://host:port` URL.
    #[error("{address:?} is not a peer address ({reason}); use host:port, e.g. localhost:7051")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS settings are unusable.
    #[error("invalid TLS settings: {0}")]
    Tls(String),
    /// A TLS file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The peer could not be reached or the TLS handshake failed.
    #[error(
        "cannot connect to the gateway peer at {address}: {reason}; check that the peer is running and the address and TLS settings are right"
    )]
    Unreachable {
        /// The address dialled.
        address: String,
        /// The transport's error, with its causes.
        reason: String,
    },
}

/// Everything that can go wrong in a gateway call. Each step of a
/// transaction fails with its own variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// `Evaluate` failed: the query could not be run.
    #[error("{0}")]
    Evaluate(Box<RpcError>),
    /// `Endorse` failed: not enough endorsements (e.g. the chaincode
    /// returned an error); nothing was sent to the orderers.
    #[error("{0}")]
    Endorse(Box<RpcError>),
    /// `Submit` failed: the orderers did not accept the endorsed
    /// transaction.
    #[error("{0}")]
    Submit(Box<RpcError>),
    /// `CommitStatus` failed: the transaction was submitted but its
    /// validation result could not be read (it may still commit).
    #[error("{0}")]
    CommitStatus(Box<RpcError>),
    /// `ChaincodeEvents` failed or its stream broke.
    #[error("{0}")]
    ChaincodeEvents(Box<RpcError>),
    /// The `DeliverFiltered` call of block events failed or its stream
    /// broke.
    #[error("{0}")]
    BlockEvents(Box<RpcError>),
    /// The peer's Deliver service answered a block event request with a
    /// `common.Status` other than `SUCCESS` (a Deliver status, not a gRPC
    /// code) and closed the stream.
    #[error(
        "the peer refused the block event request with status {} ({status}): {}",
        deliver_status_name(*.status),
        deliver_refusal_reason(*.status, .channel_name)
    )]
    BlockEventsRefused {
        /// The channel whose blocks were asked for.
        channel_name: String,
        /// The `common.Status` value the peer sent (e.g. 403 for
        /// `FORBIDDEN`).
        status: i32,
    },
    /// The transaction was committed as invalid, so it changed nothing on
    /// the ledger.
    #[error("{0}")]
    Commit(Box<CommitError>),
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
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Connecting to the gateway peer failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl GatewayError {
    /// The chaincode responses of the endorsers, for a call the gateway
    /// reported as failed (see [`RpcError::chaincode_responses`]).
    pub fn chaincode_responses(&self) -> Vec<ChaincodeResponse> {
        self.rpc()
            .map(|rpc| rpc.chaincode_responses().collect())
            .unwrap_or_default()
    }

    /// The failed gRPC call, if this error is one (any of the step
    /// variants but [`GatewayError::Commit`]).
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            GatewayError::Evaluate(rpc)
            | GatewayError::Endorse(rpc)
            | GatewayError::Submit(rpc)
            | GatewayError::CommitStatus(rpc)
            | GatewayError::ChaincodeEvents(rpc)
            | GatewayError::BlockEvents(rpc) => Some(rpc),
            _ => None,
        }
    }

    /// The invalid transaction, if this error is a [`GatewayError::Commit`].
    pub fn commit(&self) -> Option<&CommitError> {
        match self {
            GatewayError::Commit(commit) => Some(commit),
            _ => None,
        }
    }

    /// The step that failed, if the error comes from a gateway call (an
    /// invalid commit counts as [`Operation::CommitStatus`], the call that
    /// reported it).
    pub fn operation(&self) -> Option<Operation> {
        match self {
            GatewayError::Commit(_) => Some(Operation::CommitStatus),
            GatewayError::Timeout { operation, .. } => Some(*operation),
            GatewayError::BlockEventsRefused { .. } => Some(Operation::BlockEvents),
            other => other.rpc().map(RpcError::operation),
        }
    }

    /// The transaction the failed call was about, where known.
    pub fn transaction_id(&self) -> Option<&str> {
        match self {
            GatewayError::Commit(commit) => Some(commit.transaction_id()),
            GatewayError::Timeout { transaction_id, .. } => transaction_id.as_deref(),
            other => other.rpc().and_then(RpcError::transaction_id),
        }
    }

    /// The per-endpoint errors the gateway attached (empty when there are
    /// none or the error is not a gateway call's).
    pub fn details(&self) -> &[ErrorDetail] {
        self.rpc().map(RpcError::details).unwrap_or_default()
    }

    /// Whether the call failed because the connection to the gateway broke
    /// or could not be made (a restarted or unreachable peer), so that it
    /// is worth repeating once the peer is back.
    pub fn is_connection_failure(&self) -> bool {
        match self {
            GatewayError::Connect(_) => true,
            other => other
                .rpc()
                .is_some_and(|rpc| is_connection_failure(rpc.code(), rpc.message())),
        }
    }

    /// The validation code name of an invalid transaction (e.g.
    /// `MVCC_READ_CONFLICT`), if this error is a [`GatewayError::Commit`].
    pub fn validation_code_name(&self) -> Option<String> {
        self.commit().map(CommitError::code_name)
    }
}

impl From<RpcError> for GatewayError {
    /// The step variant of the call that failed.
    fn from(error: RpcError) -> Self {
        let error = Box::new(error);
        match error.operation() {
            Operation::Evaluate => GatewayError::Evaluate(error),
            Operation::Endorse => GatewayError::Endorse(error),
            Operation::Submit => GatewayError::Submit(error),
            Operation::CommitStatus => GatewayError::CommitStatus(error),
            Operation::ChaincodeEvents => GatewayError::ChaincodeEvents(error),
            Operation::BlockEvents => GatewayError::BlockEvents(error),
        }
    }
}

impl From<CommitError> for GatewayError {
    fn from(error: CommitError) -> Self {
        GatewayError::Commit(Box::new(error))
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

/// The name of a `common.Status` value as Fabric spells it (e.g.
/// `FORBIDDEN`), or `UNKNOWN_STATUS` for a value this client does not know.
fn deliver_status_name(status: i32) -> &'static str {
    fabric_protos::common::Status::try_from(status)
        .map(|known| known.as_str_name())
        .unwrap_or("UNKNOWN_STATUS")
}

/// What a Deliver status other than `SUCCESS` means for the caller.
fn deliver_refusal_reason(status: i32, channel_name: &str) -> String {
    use fabric_protos::common::Status;
    match Status::try_from(status) {
        Ok(Status::BadRequest) => format!(
            "the peer could not read the request for the blocks of channel {channel_name}; check that client and peer speak the same Fabric version"
        ),
        Ok(Status::Forbidden) => format!(
            "the identity may not read channel {channel_name}; check that it belongs to an organisation of the channel and that the channel's Readers policy admits it"
        ),
        Ok(Status::NotFound) => {
            format!("the peer has not joined channel {channel_name}; check the channel name")
        }
        Ok(Status::ServiceUnavailable) => format!(
            "the peer cannot serve the blocks of channel {channel_name} right now; retry later"
        ),
        _ => format!(
            "the peer stopped sending the blocks of channel {channel_name}; open the stream again"
        ),
    }
}

fn tx_suffix(transaction_id: &Option<String>) -> String {
    transaction_id
        .as_ref()
        .map(|tx| format!(" for transaction {tx}"))
        .unwrap_or_default()
}

/// The [`TxValidationCode`] of a raw value; a value this client does not
/// know is [`TxValidationCode::InvalidOtherReason`].
pub fn validation_code(code: i32) -> TxValidationCode {
    TxValidationCode::try_from(code).unwrap_or(TxValidationCode::InvalidOtherReason)
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

#[cfg(test)]
mod tests {
    use super::ChaincodeResponse;

    fn read(text: &str) -> Option<(i32, String)> {
        ChaincodeResponse::from_gateway_text(text).map(|r| (r.status, r.message))
    }

    #[test]
    fn chaincode_responses_are_read_as_the_gateway_words_them() {
        assert_eq!(
            read("chaincode response 404, not_found: no case, really"),
            Some((404, "not_found: no case, really".into()))
        );
        assert_eq!(
            read("evaluate call to endorser returned error: chaincode response 409, x: y"),
            Some((409, "x: y".into()))
        );
        // A bare message is a status-500 response (or the peer's own error).
        assert_eq!(read("bad: thing"), Some((500, "bad: thing".into())));
        assert_eq!(
            read("evaluate call to endorser returned error: corrupt: z"),
            Some((500, "corrupt: z".into()))
        );
    }

    #[test]
    fn malformed_responses_are_none() {
        assert_eq!(read(""), None);
        assert_eq!(read("chaincode response 404"), None);
        assert_eq!(read("chaincode response four, x"), None);
        assert_eq!(read("chaincode response 404, "), None);
    }
}
