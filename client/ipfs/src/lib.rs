//! Files on IPFS whose every block is checked against its CID.
//!
//! A file is a UnixFS balanced DAG with raw leaves — the layout `ipfs add
//! --cid-version=1 --raw-leaves` makes (at most 174 links per node, every
//! leaf at the same depth) — so a file written here has the CID Kubo gives
//! the same bytes cut into the same leaves, and `ipfs cat` reads it.
//! [`FileWriter`] builds the DAG leaf by leaf and [`FileReader`] walks it
//! leaf by leaf, both in memory that does not grow with the file.
//!
//! Blocks live in a [`BlockStore`]: a Kubo node through its RPC API
//! ([`KuboClient`]) or a local content-addressed directory ([`DirStore`]).
//! Every block read from either is hashed and compared with its CID before
//! a byte of it is used ([`verify_block`]): the store is never trusted.
//!
//! Generic: this crate knows nothing of the application storing files.

mod block;
mod error;
mod reader;
mod store;
mod unixfs;
mod writer;

pub use block::{DAG_PB, RAW, block_cid, parse_cid, verify_block};
pub use cid::Cid;
pub use error::IpfsError;
pub use reader::FileReader;
pub use store::{BlockStore, DirStore, KuboClient, MAX_BLOCK_BYTES};
pub use unixfs::MAX_LINKS;
pub use writer::{FileSummary, FileWriter};
