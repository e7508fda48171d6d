//! The medchain protocol: what the contract, its clients and any other
//! implementation of either must agree on, byte for byte.
//!
//! * [`v1`] (feature `messages`) — the on-chain schema of `medchain.proto`:
//!   the input parameter of `Store`, the query results and the chaincode
//!   event payload.
//! * [`limits`] — the size and count bounds the contract enforces.
//! * [`encoding`] — how keys are encoded on the ledger, and the participant
//!   index `ind`.
//! * [`signature`] — low-S ECDSA verification and the doctor's tag
//!   signature.
//! * [`function`] — the contract's function names.
//! * [`error`] — the contract's error codes, their response statuses and
//!   the wire form `<code>: <sentence>` of a refusal's message.
//!
//! Without the `messages` feature the crate depends on no protobuf or gRPC
//! code, so the pure crypto crate can use the bounds and encodings.
//! `docs/protocol.md` is the specification.

#![forbid(unsafe_code)]

pub mod encoding;
pub mod error;
pub mod limits;
pub mod signature;

pub use encoding::{KeyEncodingError, ephemeral_key, identity_key, participant_index};
pub use error::{ContractFailure, ErrorCode, UnknownErrorCode};

/// The names of the contract's functions (argument 0 of every call).
pub mod function {
    /// Validates and stores an input parameter.
    pub const STORE: &str = "Store";
    /// Returns a stored record by key.
    pub const GET: &str = "Get";
    /// Returns every record of a case.
    pub const GET_CASE: &str = "GetCase";
    /// Returns a participant's registration.
    pub const GET_PARTICIPANT: &str = "GetParticipant";
    /// Fixes the consortium's role policy; runs only as the chaincode's
    /// initialization (the `INIT` message of a definition with
    /// `--init-required`).
    pub const INIT: &str = "Init";
    /// Returns the consortium's role policy.
    pub const GET_POLICY: &str = "GetPolicy";
}

/// The Fabric CA attribute (in the certificate, `ecert`) that carries a
/// participant's role, spelled as [`role names`](ROLE_NAMES) give it.
pub const ROLE_ATTRIBUTE: &str = "medchain.role";

/// The `medchain.role` attribute value of each registered role, in the
/// order of the `Role` enum's numbers 1 to 4 (doctor, pharmacist, insurer,
/// lawyer or medical expert).
pub const ROLE_NAMES: [&str; 4] = ["doctor", "pharmacist", "insurer", "lawyer-expert"];

/// The on-chain schema, version 1, generated from `medchain.proto`.
#[cfg(feature = "messages")]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/medchain.v1.rs"));
}
