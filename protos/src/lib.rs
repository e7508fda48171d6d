//! Protocol buffers for medchain.
//!
//! * The Hyperledger Fabric definitions (`common`, `msp`, `protos` — Fabric's
//!   name for the peer package —, `gateway`, `queryresult`, `rwset`,
//!   `orderer`), generated from the unmodified upstream fabric-protos v0.3.7
//!   vendored in `fabric/` (see `README.md`).
//! * [`medchain::v1`], our own on-chain schema from `medchain.proto`: the
//!   input parameter of the chaincode's `Store` function, the query results
//!   and the chaincode event payload.
//!
//! The code is generated at build time by `build.rs` with `protox` (a
//! pure-Rust protobuf compiler) and `tonic-prost-build`; no system `protoc`
//! is involved.

#![forbid(unsafe_code)]
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

pub use prost;
pub use prost_types;
