//! A Hyperledger Fabric chaincode shim for Rust.
//!
//! A chaincode is written against the [`Stub`] trait (world-state access,
//! transaction context, events) and implements [`Chaincode`]. The [`server`]
//! module runs it as a chaincode-as-a-service: a gRPC server implementing
//! `protos.Chaincode/Connect` that Fabric peers dial.
//!
//! The crate knows nothing about any particular contract; it is the Rust
//! counterpart of the official `fabric-chaincode-go` shim.

#![forbid(unsafe_code)]

pub mod chaincode;
pub mod composite;
pub mod identity;
#[cfg(feature = "mock-peer")]
pub mod mock_peer;
#[cfg(feature = "server")]
pub mod server;
pub mod stub;

pub use chaincode::{Chaincode, InvalidStatus, InvokeError};
pub use composite::{create_composite_key, split_composite_key};
pub use identity::{ClientIdentity, IdentityError};
pub use stub::{
    KeyModification, KeyValue, Page, ResultsIterator, Stub, StubError, VecResultsIterator,
};
