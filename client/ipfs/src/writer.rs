//! Building a file's balanced DAG leaf by leaf.

use cid::Cid;

use crate::block::{RAW, block_cid};
use crate::unixfs::{Link, MAX_LINKS, encode_node};
use crate::{BlockStore, IpfsError, MAX_BLOCK_BYTES};

/// A file written: its root CID, its bytes and the blocks stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// The root of the file's DAG (a raw leaf when the file is one block).
    pub root: Cid,
    /// The file's length in bytes.
    pub size: u64,
    /// How many blocks were stored (leaves and nodes).
    pub blocks: u64,
}

/// Writes a file to a [`BlockStore`] as a UnixFS balanced DAG with raw
/// leaves, one leaf at a time: full nodes of [`MAX_LINKS`] children are
/// stored as soon as they fill, so memory holds at most one partial node
/// per level. The root is pinned by [`FileWriter::finish`].
pub struct FileWriter<'s> {
    store: &'s BlockStore,
    /// `levels[0]` holds leaf links, `levels[k]` links to depth-k nodes.
    levels: Vec<Vec<Link>>,
    size: u64,
    blocks: u64,
}

impl<'s> FileWriter<'s> {
    /// A writer storing into `store`.
    pub fn new(store: &'s BlockStore) -> Self {
        Self {
            store,
            levels: vec![Vec::new()],
            size: 0,
            blocks: 0,
        }
    }

    /// Stores the next leaf of the file (at most [`MAX_BLOCK_BYTES`]; Kubo's
    /// own chunker makes 262 144-byte leaves).
    pub async fn push_leaf(&mut self, leaf: Vec<u8>) -> Result<(), IpfsError> {
        if leaf.len() > MAX_BLOCK_BYTES {
            return Err(IpfsError::BlockTooLarge {
                size: leaf.len() as u64,
                limit: MAX_BLOCK_BYTES as u64,
            });
        }
        let cid = block_cid(RAW, &leaf)?;
        let len = leaf.len() as u64;
        self.store.put(&cid, leaf).await?;
        self.blocks += 1;
        self.size += len;
        let mut link = Link {
            cid,
            tsize: len,
            filesize: len,
        };
        let mut level = 0;
        loop {
            self.levels[level].push(link);
            if self.levels[level].len() < MAX_LINKS {
                return Ok(());
            }
            let full = std::mem::take(&mut self.levels[level]);
            link = self.store_node(&full).await?;
            level += 1;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
        }
    }

    /// Stores the nodes still partial, pins the root and says what was written.
    pub async fn finish(mut self) -> Result<FileSummary, IpfsError> {
        let mut carry: Option<Link> = None;
        let mut root = None;
        for level in 0..self.levels.len() {
            let mut links = std::mem::take(&mut self.levels[level]);
            links.extend(carry.take());
            let top = self.levels[level + 1..].iter().all(Vec::is_empty);
            if top && links.len() == 1 {
                root = links.pop();
                break;
            }
            if !links.is_empty() {
                carry = Some(self.store_node(&links).await?);
            }
        }
        let root = root.or(carry).ok_or(IpfsError::Empty)?;
        self.store.pin(&root.cid).await?;
        Ok(FileSummary {
            root: root.cid,
            size: self.size,
            blocks: self.blocks,
        })
    }

    async fn store_node(&mut self, children: &[Link]) -> Result<Link, IpfsError> {
        let (bytes, link) = encode_node(children)?;
        self.store.put(&link.cid, bytes).await?;
        self.blocks += 1;
        Ok(link)
    }
}
