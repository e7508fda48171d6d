//! The medchain SDK: what a hospital system embeds to take part in
//! diagnosis-and-treatment cases on Hyperledger Fabric.
//!
//! * [`ledger`] — the contract's functions over a Fabric network (through
//!   the `fabric-gateway` client) or the in-process [`ledger::embedded`]
//!   development ledger running the same contract.
//! * [`connect`] — network client profiles, and connecting a wallet to its
//!   ledger.
//! * [`identity`] — enrolling, renewing (same key) and registering
//!   identities with a Fabric CA or the embedded ledger's local CA.
//! * [`wallet`] — a user's identity, backend, checkpoint, cases and
//!   encrypted secrets on disk.
//! * [`workflow`] — one function per step of a case, and the event-driven
//!   [`workflow::Watcher`].
//! * [`attachments`] — files of any size encrypted in chunks and kept
//!   off-chain in IPFS (or a local block directory), verified block by block.
//! * [`body`] — a record's plaintext: its content and its attachments'
//!   references.
//! * [`cast`] — ready-made participants for demos, benchmarks and tests.
//!
//! The cryptography is the `medchain-siff` crate; the on-chain schema and
//! its bounds are `medchain-protocol`.

#![forbid(unsafe_code)]

pub mod attachments;
pub mod body;
pub mod cast;
pub mod connect;
pub mod identity;
pub mod ledger;
pub mod wallet;
pub mod workflow;
