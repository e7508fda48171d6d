//! The integration tests of `fabric-gateway`, in one binary: identities,
//! signing, proposals and transactions, the mock gateway end to end, errors,
//! events and checkpoints, filtered block events, TLS and parity with
//! Fabric's own SDKs.

mod blocks;
mod checkpoint;
mod end_to_end;
mod errors;
mod events;
mod identity;
mod parity;
mod proposal;
mod signing;
mod tls;
mod transaction;
