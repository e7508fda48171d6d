//! Where blocks live: a Kubo node or a local directory. Every block read
//! is verified against its CID here, whichever store it came from.

mod dir;
mod kubo;

use cid::Cid;

pub use dir::DirStore;
pub use kubo::KuboClient;

use crate::{IpfsError, verify_block};

/// The largest block stored or read: 1 MiB, the largest block Kubo's
/// bitswap exchanges between nodes.
pub const MAX_BLOCK_BYTES: usize = 1 << 20;

/// A block store: a Kubo node or a local content-addressed directory.
#[derive(Debug, Clone)]
pub enum BlockStore {
    /// A Kubo node through its RPC API.
    Kubo(KuboClient),
    /// A directory of files named by their CID.
    Dir(DirStore),
}

impl BlockStore {
    /// Stores `block` under `cid` (computed by the caller with
    /// [`crate::block_cid`]); a Kubo node that files it under another CID
    /// is an error.
    pub async fn put(&self, cid: &Cid, block: Vec<u8>) -> Result<(), IpfsError> {
        match self {
            Self::Kubo(kubo) => kubo.block_put(cid, block).await,
            Self::Dir(dir) => dir.put(cid, block).await,
        }
    }

    /// The block `cid`, checked against it ([`verify_block`]) before it is
    /// returned.
    pub async fn get(&self, cid: &Cid) -> Result<Vec<u8>, IpfsError> {
        let block = match self {
            Self::Kubo(kubo) => kubo.block_get(cid).await?,
            Self::Dir(dir) => dir.get(cid).await?,
        };
        verify_block(cid, &block)?;
        Ok(block)
    }

    /// Keeps the DAG under `root` from garbage collection (a no-op for a
    /// directory, which never collects).
    pub async fn pin(&self, root: &Cid) -> Result<(), IpfsError> {
        match self {
            Self::Kubo(kubo) => kubo.pin(root).await,
            Self::Dir(_) => Ok(()),
        }
    }

    /// Where the blocks go, for messages: the API URL or the directory.
    pub fn location(&self) -> String {
        match self {
            Self::Kubo(kubo) => kubo.url().to_owned(),
            Self::Dir(dir) => dir.path().display().to_string(),
        }
    }
}
