//! The medchain client SDK: the `medchain-siff-v1` cryptography that lets
//! the participants of a medical case share one record key through a public
//! tag on the ledger (see `docs/protocol.md`).

#![forbid(unsafe_code)]

pub mod cli;
pub mod crypto;
pub mod gateway;
pub mod ledger;
mod private_file;
pub mod wallet;
pub mod workflow;
