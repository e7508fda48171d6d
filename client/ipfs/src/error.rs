//! The errors of block stores, DAG building and reading.

/// What went wrong storing or reading a file's blocks. Each message is one
/// sentence saying what is wrong and, where the caller can act, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpfsError {
    /// The Kubo node's API cannot be reached.
    #[error(
        "the IPFS node at {url} is unreachable ({reason}); start it (network/up.sh starts the test network's node) or fix the profile's ipfs.api address"
    )]
    Unreachable {
        /// The API address.
        url: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// The Kubo node did not answer in time.
    #[error(
        "the IPFS node at {url} did not answer within {seconds} s; check that it runs (network/status.sh) and holds the file"
    )]
    Timeout {
        /// The API address.
        url: String,
        /// The time limit.
        seconds: u64,
    },
    /// The Kubo node answered with an error.
    #[error("the IPFS node refused the request (HTTP {status}): {message}")]
    Node {
        /// The HTTP status.
        status: u16,
        /// Kubo's own error message.
        message: String,
    },
    /// A block is not in the store.
    #[error("block {cid} is not in the block store; the file is incomplete there")]
    NotFound {
        /// The missing block.
        cid: String,
    },
    /// A block's bytes do not hash to its CID.
    #[error(
        "block {cid} failed verification: its bytes do not hash to its CID, so the store returned altered data; nothing of it was used"
    )]
    Mismatch {
        /// The block asked for.
        cid: String,
    },
    /// The store filed a block under another CID than the one computed here.
    #[error(
        "the IPFS node stored a block as {got}, not as {expected}; it hashes blocks differently"
    )]
    WrongCid {
        /// The CID computed locally.
        expected: String,
        /// The CID the node reported.
        got: String,
    },
    /// A CID this crate cannot verify.
    #[error(
        "{cid} uses {what}, which cannot be verified here (only SHA-256 CIDs of raw and dag-pb blocks)"
    )]
    Unsupported {
        /// The CID.
        cid: String,
        /// Its unsupported part.
        what: String,
    },
    /// A dag-pb block that is not a UnixFS file node.
    #[error("block {cid} is not a UnixFS file node ({reason})")]
    Malformed {
        /// The block.
        cid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The DAG is deeper than any file a client writes.
    #[error(
        "the file {root} is nested deeper than {limit} levels, which no file written in Kubo's layout is"
    )]
    TooDeep {
        /// The file's root.
        root: String,
        /// The deepest level read.
        limit: usize,
    },
    /// The DAG holds more bytes than the reader allows.
    #[error("the file {root} holds more than the {limit} bytes expected of it")]
    TooLarge {
        /// The file's root.
        root: String,
        /// The limit.
        limit: u64,
    },
    /// A block larger than the store accepts.
    #[error("a block of {size} bytes is larger than the {limit}-byte block limit")]
    BlockTooLarge {
        /// Its size (or a lower bound).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A file with no bytes at all has no leaf to build a DAG from.
    #[error("a file needs at least one leaf block")]
    Empty,
    /// The local block directory cannot be used.
    #[error(
        "cannot use the block directory {path} ({source}); check that it exists and is writable"
    )]
    Dir {
        /// The directory or file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Text that is not a CID.
    #[error("'{0}' is not a CID")]
    InvalidCid(String),
    /// An API address that is not an `http://host:port` URL.
    #[error("the IPFS API address '{0}' is not an http://host:port URL")]
    InvalidUrl(String),
    /// An answer of the node that cannot be read.
    #[error("the IPFS node's answer could not be read: {0}")]
    BadResponse(String),
}
