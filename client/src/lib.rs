//! The medchain client SDK and the `medchain` CLI.
//!
//! * [`crypto`] — `medchain-siff-v1`: the participants of a medical case
//!   share one record key through a public SIFF tag, each recovering it from
//!   its own password (`docs/protocol.md`).
//! * [`gateway`] — a Fabric Gateway client (Gateway → Network → Contract),
//!   with signing, commit status, resumable chaincode events and TLS.
//! * [`ledger`] — the contract's functions over a Fabric network or the
//!   in-process [`ledger::embedded`] development ledger.
//! * [`wallet`] — a user's identity, backend, checkpoint, cases and
//!   encrypted secrets on disk.
//! * [`workflow`] — one function per step of a diagnosis-and-treatment case,
//!   and the event-driven [`workflow::Watcher`].
//! * [`cli`] — the `medchain` command line (`docs/usage.md`).

#![forbid(unsafe_code)]

pub mod cli;
pub mod crypto;
pub mod gateway;
pub mod ledger;
mod private_file;
pub mod wallet;
pub mod workflow;
