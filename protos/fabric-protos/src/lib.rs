//! Hyperledger Fabric's protocol buffers for Rust.
//!
//! The messages of the Fabric packages `common`, `msp`, `protos` (Fabric's
//! name for the peer package), `gateway`, `queryresult`, `rwset` and
//! `orderer`, generated from the unmodified upstream fabric-protos v0.3.7
//! vendored in `fabric/` (see `README.md`). The `client` feature adds the
//! tonic client stubs (`gateway_client`, …), the `server` feature the server
//! stubs (`chaincode_server`, `gateway_server`, …); with neither, the crate
//! depends on prost alone.
//!
//! The code is generated at build time by `build.rs` with `protox` (a
//! pure-Rust protobuf compiler) and `tonic-prost-build`; no system `protoc`
//! is involved.

#![forbid(unsafe_code)]
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

pub use prost;
pub use prost_types;
