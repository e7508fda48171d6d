//! The CLI's errors: one sentence saying what is wrong and what to do, and
//! the exit code it maps to (listed in `medchain --help` and
//! `docs/usage.md`).

use medchain_contract::ContractError;
use medchain_protocol::ErrorCode;

use crate::qr::QrError;
use fabric_gateway::{ConnectError, GatewayError, RpcError};
use ipfs_blocks::IpfsError;
use medchain_sdk::attachments::AttachmentError;
use medchain_sdk::ledger::embedded::EmbeddedError;
use medchain_sdk::ledger::{LedgerError, gateway_contract_failure};
use medchain_sdk::wallet::WalletError;
use medchain_sdk::workflow::WorkflowError;
use medchain_siff::CryptoError;

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// 0: success.
    Success = 0,
    /// 1: any other failure (I/O, damaged files, failed demo checks).
    Failure = 1,
    /// 2: invalid command line or input.
    Usage = 2,
    /// 3: wrong password, cannot decrypt, or not a participant.
    Denied = 3,
    /// 4: no wallet, unknown case or record, missing file.
    NotFound = 4,
    /// 5: the ledger rejected the transaction.
    Rejected = 5,
    /// 6: the ledger cannot be reached.
    Unreachable = 6,
    /// 7: a step taken too early or already done.
    OutOfOrder = 7,
    /// 8: the ledger could not answer a read (nothing was written).
    ReadFailed = 8,
}

impl ExitStatus {
    /// The numeric exit code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// A short name for `--json` error objects.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Usage => "usage",
            Self::Denied => "denied",
            Self::NotFound => "not-found",
            Self::Rejected => "rejected",
            Self::Unreachable => "unreachable",
            Self::OutOfOrder => "out-of-order",
            Self::ReadFailed => "read-failed",
        }
    }
}

/// A failed command: an exit status and one sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    status: ExitStatus,
    message: String,
}

impl CliError {
    /// An error with `status` and `message` (folded onto one line).
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        let message: String = message.into();
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        Self { status, message }
    }

    /// Invalid command line or input (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, message)
    }

    /// Any other failure (exit code 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Failure, message)
    }

    /// The exit status.
    pub fn status(&self) -> ExitStatus {
        self.status
    }

    /// The sentence shown to the user.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A file could not be read or written.
    pub fn io(what: &str, path: &std::path::Path, error: &std::io::Error) -> Self {
        let status = if error.kind() == std::io::ErrorKind::NotFound {
            ExitStatus::NotFound
        } else {
            ExitStatus::Failure
        };
        Self::new(
            status,
            format!(
                "cannot access {what} {}: {error}; check the path and its permissions",
                path.display()
            ),
        )
    }
}

impl From<WorkflowError> for CliError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Ledger(e) => e.into(),
            WorkflowError::Crypto(e) => e.into(),
            WorkflowError::Wallet(e) => e.into(),
            WorkflowError::UnknownCase(case) => Self::new(
                ExitStatus::NotFound,
                format!(
                    "there is no case {case} on the ledger; check the case id (`medchain cases` lists yours)"
                ),
            ),
            WorkflowError::NotParticipant(case) => Self::new(
                ExitStatus::Denied,
                format!(
                    "you are not a participant of case {case}; only the participants the patient selected take part in it"
                ),
            ),
            WorkflowError::OutOfOrder(m) => Self::new(ExitStatus::OutOfOrder, m),
            WorkflowError::Invalid(m) => Self::usage(m),
            WorkflowError::UnusableResponse(m) => Self::failure(m),
            WorkflowError::Untrusted(m) => Self::new(ExitStatus::Denied, m),
            WorkflowError::Attachment(e) => e.into(),
            WorkflowError::Body(e) => Self::usage(e.to_string()),
        }
    }
}

impl From<AttachmentError> for CliError {
    fn from(e: AttachmentError) -> Self {
        let status = match &e {
            AttachmentError::Ipfs(i) | AttachmentError::Fetch { source: i, .. }
                if matches!(i, IpfsError::Unreachable { .. } | IpfsError::Timeout { .. }) =>
            {
                ExitStatus::Unreachable
            }
            AttachmentError::Fetch { .. }
            | AttachmentError::Decrypt { .. }
            | AttachmentError::Mismatch { .. } => ExitStatus::ReadFailed,
            AttachmentError::BadName(_) | AttachmentError::Exists(_) => ExitStatus::Usage,
            _ => ExitStatus::Failure,
        };
        Self::new(status, e.to_string())
    }
}

impl From<CryptoError> for CliError {
    fn from(e: CryptoError) -> Self {
        let status = match e {
            CryptoError::CannotDecrypt => ExitStatus::Denied,
            CryptoError::InvalidKdfParams { .. }
            | CryptoError::KdfParamsTooWeak { .. }
            | CryptoError::KdfParamsTooCostly { .. } => ExitStatus::Usage,
            _ => ExitStatus::Failure,
        };
        let message = match e {
            CryptoError::CannotDecrypt => {
                format!("{e}; check your password (each participant reads the case with its own)")
            }
            CryptoError::KdfParamsTooWeak { .. } => {
                format!("{e}; pass --insecure-test-kdf only in tests")
            }
            _ => e.to_string(),
        };
        Self::new(status, message)
    }
}

impl From<WalletError> for CliError {
    fn from(e: WalletError) -> Self {
        match &e {
            WalletError::WrongPassword { dir } => Self::new(
                ExitStatus::Denied,
                format!(
                    "wrong password for the wallet in {}; try again with the password chosen at `medchain init`",
                    dir.display()
                ),
            ),
            WalletError::Missing { .. } => Self::new(ExitStatus::NotFound, e.to_string()),
            WalletError::Exists { .. } | WalletError::WeakPassword(_) => Self::usage(e.to_string()),
            WalletError::Io { .. }
            | WalletError::Damaged { .. }
            | WalletError::UnsupportedFormat { .. }
            | WalletError::KeyGeneration(_) => Self::failure(e.to_string()),
        }
    }
}

impl From<LedgerError> for CliError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Embedded(EmbeddedError::Rejected(c)) => contract_error(&c),
            LedgerError::Embedded(e @ EmbeddedError::Io { .. }) => Self::new(
                ExitStatus::Unreachable,
                format!("{e}; check the embedded ledger directory (see `medchain whoami`)"),
            ),
            LedgerError::Embedded(e) => Self::failure(e.to_string()),
            LedgerError::Gateway(e) => e.into(),
            LedgerError::Query { function, source } => {
                let reason = source.to_string();
                let inner = CliError::from(*source);
                match inner.status() {
                    ExitStatus::NotFound | ExitStatus::Unreachable | ExitStatus::Usage => inner,
                    _ => Self::new(
                        ExitStatus::ReadFailed,
                        format!(
                            "the ledger could not answer the query {function} ({reason}), and nothing was written; try again, or ask another peer"
                        ),
                    ),
                }
            }
            LedgerError::Malformed(_) => Self::failure(format!(
                "{e}; check that the wallet's ledger runs the medchain chaincode"
            )),
            LedgerError::Unverified(_) => Self::failure(e.to_string()),
            LedgerError::Identity(_) => Self::usage(format!(
                "{e}; check the identity given to `medchain init` (see `medchain whoami`)"
            )),
        }
    }
}

/// A contract rejection, as the embedded ledger reports it.
fn contract_error(c: &ContractError) -> CliError {
    rejection(refusal_status(c.code()), &c.to_string())
}

/// The exit status of a contract refusal with `code`.
fn refusal_status(code: ErrorCode) -> ExitStatus {
    match code {
        ErrorCode::NotFound => ExitStatus::NotFound,
        ErrorCode::OutOfOrder => ExitStatus::OutOfOrder,
        ErrorCode::Corrupt | ErrorCode::Ledger => ExitStatus::Failure,
        ErrorCode::BadCall
        | ErrorCode::Invalid
        | ErrorCode::Unauthorized
        | ErrorCode::AlreadyStored => ExitStatus::Rejected,
    }
}

/// Whether Fabric itself (not the contract) reports that the peers cannot
/// run the chaincode: the peer could not launch it or reach its server.
/// These are the peer's own messages, with no status or code of their own
/// in the gateway's answer (it reports them as `Aborted`, like any failed
/// endorsement), so their text is the only sign; a contract refusal is
/// recognised by its code before this is asked.
fn chaincode_unreachable(rpc: &RpcError) -> bool {
    let peer_says = |text: &str| {
        text.contains("could not launch chaincode") || text.contains("connection refused")
    };
    peer_says(rpc.message()) || rpc.details().iter().any(|d| peer_says(&d.message))
}

fn rejection(status: ExitStatus, reason: &str) -> CliError {
    match status {
        ExitStatus::NotFound => CliError::new(
            status,
            format!("the ledger has no such entry ({reason}); check the id you gave"),
        ),
        _ => CliError::new(
            status,
            format!(
                "the ledger rejected the transaction ({reason}), so nothing was stored; fix the input and run the command again"
            ),
        ),
    }
}

impl From<GatewayError> for CliError {
    fn from(e: GatewayError) -> Self {
        match &e {
            GatewayError::Connect(ConnectError::Unreachable { .. })
            | GatewayError::Timeout { .. } => Self::new(ExitStatus::Unreachable, e.to_string()),
            GatewayError::Connect(_) => Self::usage(format!(
                "{e}; check the wallet's identity and the network profile"
            )),
            GatewayError::Commit(_) => Self::new(ExitStatus::Rejected, e.to_string()),
            GatewayError::Evaluate(rpc)
            | GatewayError::Endorse(rpc)
            | GatewayError::Submit(rpc)
            | GatewayError::CommitStatus(rpc)
            | GatewayError::ChaincodeEvents(rpc) => {
                use tonic::Code;
                match rpc.code() {
                    Code::Unavailable | Code::DeadlineExceeded => Self::new(
                        ExitStatus::Unreachable,
                        format!("{e}; check that the Fabric peers are up (network/status.sh)"),
                    ),
                    _ => {
                        if let Some(failure) = gateway_contract_failure(&e) {
                            return rejection(refusal_status(failure.code), &e.to_string());
                        }
                        if chaincode_unreachable(rpc) {
                            return Self::new(
                                ExitStatus::Unreachable,
                                format!(
                                    "the Fabric peers cannot run the medchain chaincode ({}); start the network with network/up.sh and check it with network/status.sh",
                                    abridged(rpc.message())
                                ),
                            );
                        }
                        rejection(ExitStatus::Rejected, &e.to_string())
                    }
                }
            }
            _ => Self::failure(e.to_string()),
        }
    }
}

/// At most the first 200 characters of a peer's message.
fn abridged(message: &str) -> String {
    match message.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_owned(),
    }
}

impl From<medchain_sdk::connect::ConnectError> for CliError {
    fn from(e: medchain_sdk::connect::ConnectError) -> Self {
        use medchain_sdk::connect::ConnectError as E;
        match e {
            E::Io { what, path, source } => Self::io(what, &path, &source),
            E::Ledger(e) => e.into(),
            E::Gateway(e) => e.into(),
            e @ (E::BadProfile { .. }
            | E::NoSuchOrg { .. }
            | E::NoSuchUser { .. }
            | E::Identity(_)
            | E::NoHome(_)) => Self::usage(e.to_string()),
            e @ (E::Expired { .. } | E::Revoked) => Self::new(ExitStatus::Denied, e.to_string()),
            e @ (E::Damaged(_) | E::MalformedChainInfo) => Self::failure(e.to_string()),
        }
    }
}

impl From<medchain_sdk::identity::IdentityError> for CliError {
    fn from(e: medchain_sdk::identity::IdentityError) -> Self {
        use medchain_sdk::identity::IdentityError as E;
        match e {
            E::Ca(e) => e.into(),
            E::Wallet(e) => e.into(),
            E::Connect(e) => e.into(),
            E::Embedded(e) => LedgerError::from(e).into(),
            e @ E::ExpiredEnrollment { .. } => Self::new(ExitStatus::Denied, e.to_string()),
            e @ (E::Certificate(_) | E::NoCa | E::Target(_)) => Self::usage(e.to_string()),
        }
    }
}

impl From<fabric_ca_client::CaError> for CliError {
    fn from(e: fabric_ca_client::CaError) -> Self {
        use fabric_ca_client::CaError as E;
        match &e {
            // Fabric CA's code 20: authentication failure (wrong id or
            // secret, a secret already used, a revoked identity).
            E::Server { code, .. } if *code == 20 => Self::new(
                ExitStatus::Denied,
                format!(
                    "{e}; check the enrollment id and the one-time secret your organisation's administrator gave you (a used secret or a revoked identity needs a new registration)"
                ),
            ),
            E::Server { .. } | E::Status { .. } => Self::new(
                ExitStatus::Denied,
                format!("{e}; check the request with your organisation's administrator"),
            ),
            E::Connect { .. } | E::Tls { .. } | E::Timeout { .. } | E::Http(_) => Self::new(
                ExitStatus::Unreachable,
                format!("{e}; check the CA's URL and TLS certificate, and that the CA is running"),
            ),
            E::InvalidUrl { .. } | E::TlsCa(_) => Self::usage(e.to_string()),
            E::Io { path, source } => Self::io("the file", path, source),
            E::Parse(_) | E::Credential(_) | E::Csr(_) => Self::failure(e.to_string()),
        }
    }
}

impl From<medchain_sdk::cast::CastError> for CliError {
    fn from(e: medchain_sdk::cast::CastError) -> Self {
        use medchain_sdk::cast::CastError as E;
        match e {
            E::Wallet(e) => e.into(),
            E::Connect(e) => e.into(),
            E::Workflow(e) => e.into(),
            e @ E::Missing(_) => Self::failure(e.to_string()),
        }
    }
}

impl From<QrError> for CliError {
    fn from(e: QrError) -> Self {
        Self::usage(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn each_failure_has_its_exit_code() {
        let cases: Vec<(CliError, u8)> = vec![
            (CryptoError::CannotDecrypt.into(), 3),
            (
                WalletError::WrongPassword {
                    dir: PathBuf::from("/w"),
                }
                .into(),
                3,
            ),
            (
                WalletError::Missing {
                    dir: PathBuf::from("/w"),
                }
                .into(),
                4,
            ),
            (WorkflowError::UnknownCase("ab".into()).into(), 4),
            (WorkflowError::NotParticipant("ab".into()).into(), 3),
            (WorkflowError::OutOfOrder("too early".into()).into(), 7),
            (WorkflowError::Invalid("bad".into()).into(), 2),
            (
                LedgerError::Embedded(EmbeddedError::Rejected(ContractError::AlreadyStored(
                    "x".into(),
                )))
                .into(),
                5,
            ),
            (
                LedgerError::Embedded(EmbeddedError::Rejected(ContractError::NotFound("x".into())))
                    .into(),
                4,
            ),
            (
                GatewayError::Connect(ConnectError::Unreachable {
                    address: "localhost:7051".into(),
                    reason: "connection refused".into(),
                })
                .into(),
                6,
            ),
            (
                GatewayError::from(fabric_gateway::CommitError::new("tx", 11, 3)).into(),
                5,
            ),
            (
                query_failure(LedgerError::Embedded(EmbeddedError::Rejected(
                    ContractError::NotFound("x".into()),
                ))),
                4,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.status().code(), code, "{error}");
            assert!(!error.message().contains('\n'), "{error}");
        }
    }

    /// A failed `Evaluate` as Fabric's gateway reports a chaincode response.
    fn evaluate_failure(message: &str) -> CliError {
        let status = tonic::Status::unknown(format!(
            "evaluate call to endorser returned error: {message}"
        ));
        GatewayError::from(RpcError::from_status(
            fabric_gateway::Operation::Evaluate,
            None,
            &status,
        ))
        .into()
    }

    #[test]
    fn a_refusal_through_the_gateway_exits_by_its_code() {
        let cases = [
            ("chaincode response 404, not_found: no case is stored", 4),
            (
                "chaincode response 409, out_of_order: wait for every response",
                7,
            ),
            ("chaincode response 409, already_stored: participant 07", 5),
            (
                "chaincode response 403, unauthorized: txd: not the doctor",
                5,
            ),
            ("corrupt: a stored record does not decode", 1),
            // The sentence of another refusal may mention any words.
            ("chaincode response 400, invalid: argument: not found: 7", 5),
            ("chaincode response 400, bad_call: out of order: x", 5),
            // Not the wire form: a rejection, whatever words it contains.
            ("chaincode response 500, not found: no case", 5),
            ("chaincode response 404, not found: no case", 5),
            ("chaincode response 500, not_found: no case", 5),
        ];
        for (message, code) in cases {
            assert_eq!(evaluate_failure(message).status().code(), code, "{message}");
        }
    }

    /// `source` as the failure of a `GetCase` query.
    fn query_failure(source: LedgerError) -> CliError {
        LedgerError::Query {
            function: "GetCase".into(),
            source: Box::new(source),
        }
        .into()
    }

    /// A failed read is never reported as a refused write: a query the
    /// gateway could not answer (the 4 MiB receive limit, a bad bookmark)
    /// exits 8 with its own sentence; not found and unreachable keep theirs.
    #[test]
    fn a_failed_query_is_a_read_failure_not_a_refused_write() {
        let too_big = GatewayError::from(RpcError::from_status(
            fabric_gateway::Operation::Evaluate,
            None,
            &tonic::Status::resource_exhausted("message length too large: found 5242880 bytes"),
        ));
        let bad_bookmark = LedgerError::Embedded(EmbeddedError::Rejected(
            medchain_contract::ContractError::BadCall("x".into()),
        ));
        for source in [LedgerError::Gateway(too_big), bad_bookmark] {
            let e = query_failure(source);
            assert_eq!(e.status(), ExitStatus::ReadFailed, "{e}");
            assert_eq!(e.status().code(), 8);
            assert!(
                e.message()
                    .starts_with("the ledger could not answer the query GetCase ("),
                "{e}"
            );
            assert!(e.message().contains("nothing was written"), "{e}");
            assert!(!e.message().contains("nothing was stored"), "{e}");
        }
        let unreachable = query_failure(LedgerError::Gateway(GatewayError::Connect(
            ConnectError::Unreachable {
                address: "localhost:7051".into(),
                reason: "connection refused".into(),
            },
        )));
        assert_eq!(unreachable.status(), ExitStatus::Unreachable);
    }

    #[test]
    fn a_peer_that_cannot_run_the_chaincode_is_unreachable() {
        let e = evaluate_failure("could not launch chaincode medchain_1.0: connection refused");
        assert_eq!(e.status(), ExitStatus::Unreachable, "{e}");
    }

    #[test]
    fn messages_are_folded_onto_one_line() {
        let e = CliError::usage("first line\n  second line");
        assert_eq!(e.message(), "first line second line");
    }
}
