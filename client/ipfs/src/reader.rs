//! Reading a file's DAG leaf by leaf, every block verified.

use cid::Cid;

use crate::block::{DAG_PB, RAW};
use crate::unixfs::decode_node;
use crate::{BlockStore, IpfsError};

/// The deepest DAG read: a balanced DAG of 174-link nodes this deep holds
/// far more than any file a client stores.
const MAX_DEPTH: usize = 12;

/// Reads a file from a [`BlockStore`] in file order, one leaf at a time:
/// every block is checked against its CID by the store before it is
/// decoded, and the reader stops as soon as the file would exceed the size
/// the caller expects (a DAG made to be endless cannot exhaust it).
pub struct FileReader<'s> {
    store: &'s BlockStore,
    root: Cid,
    /// Blocks still to visit, the next last, with their depth.
    pending: Vec<(Cid, usize)>,
    limit: u64,
    read: u64,
}

impl<'s> FileReader<'s> {
    /// A reader of the file `root` that refuses to read more than `limit` bytes.
    pub fn new(store: &'s BlockStore, root: Cid, limit: u64) -> Self {
        Self {
            store,
            root,
            pending: vec![(root, 0)],
            limit,
            read: 0,
        }
    }

    /// The file's bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The next piece of the file (a leaf, or bytes held inline by a node),
    /// or `None` at its end.
    pub async fn next_leaf(&mut self) -> Result<Option<Vec<u8>>, IpfsError> {
        while let Some((cid, depth)) = self.pending.pop() {
            let block = self.store.get(&cid).await?;
            let bytes = match cid.codec() {
                RAW => block,
                DAG_PB => {
                    if depth >= MAX_DEPTH {
                        return Err(IpfsError::TooDeep {
                            root: self.root.to_string(),
                            limit: MAX_DEPTH,
                        });
                    }
                    let node = decode_node(&cid, &block)?;
                    if depth > 0 && node.children.is_empty() && node.inline.is_empty() {
                        return Err(self.empty_block(&cid));
                    }
                    self.pending
                        .extend(node.children.into_iter().rev().map(|c| (c, depth + 1)));
                    node.inline
                }
                other => {
                    return Err(IpfsError::Unsupported {
                        cid: cid.to_string(),
                        what: format!("codec {other:#x}"),
                    });
                }
            };
            if bytes.is_empty() {
                if depth > 0 && cid.codec() == RAW {
                    return Err(self.empty_block(&cid));
                }
                continue;
            }
            self.read += bytes.len() as u64;
            if self.read > self.limit {
                return Err(self.too_large());
            }
            return Ok(Some(bytes));
        }
        Ok(None)
    }

    /// Below the root every block holds file bytes or children (as Kubo
    /// writes them), so the blocks visited stay bounded by the bytes read
    /// times the depth: a DAG of empty leaves cannot keep a reader busy.
    fn empty_block(&self, cid: &Cid) -> IpfsError {
        IpfsError::Malformed {
            cid: cid.to_string(),
            reason: "an empty block below the root".into(),
        }
    }

    fn too_large(&self) -> IpfsError {
        IpfsError::TooLarge {
            root: self.root.to_string(),
            limit: self.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::block::block_cid;
    use crate::unixfs::{Link, encode_node};
    use crate::{DirStore, IpfsError};

    async fn put(store: &BlockStore, codec: u64, bytes: Vec<u8>) -> Link {
        let cid = block_cid(codec, &bytes).unwrap();
        let len = bytes.len() as u64;
        store.put(&cid, bytes).await.unwrap();
        Link {
            cid,
            tsize: len,
            filesize: len,
        }
    }

    async fn node(store: &BlockStore, children: &[Link]) -> Link {
        let (bytes, link) = encode_node(children).unwrap();
        store.put(&link.cid, bytes).await.unwrap();
        link
    }

    async fn read_all(store: &BlockStore, root: Cid) -> Result<u64, IpfsError> {
        let mut reader = FileReader::new(store, root, u64::MAX);
        while reader.next_leaf().await?.is_some() {}
        Ok(reader.bytes_read())
    }

    #[tokio::test]
    async fn an_empty_leaf_below_the_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlockStore::Dir(DirStore::open(dir.path()).unwrap());
        let full = put(&store, RAW, b"abc".to_vec()).await;
        let empty = put(&store, RAW, Vec::new()).await;
        let root = node(&store, &[full.clone(), empty]).await;
        let err = read_all(&store, root.cid).await.unwrap_err();
        assert!(matches!(err, IpfsError::Malformed { .. }), "{err}");
        // An empty node below the root too.
        let hollow = node(&store, &[]).await;
        let root = node(&store, &[full, hollow]).await;
        let err = read_all(&store, root.cid).await.unwrap_err();
        assert!(matches!(err, IpfsError::Malformed { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_dag_deeper_than_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlockStore::Dir(DirStore::open(dir.path()).unwrap());
        let mut link = put(&store, RAW, b"x".to_vec()).await;
        // A chain of single-child nodes: MAX_DEPTH of them still reads.
        for _ in 0..MAX_DEPTH {
            link = node(&store, std::slice::from_ref(&link)).await;
        }
        assert_eq!(read_all(&store, link.cid).await.unwrap(), 1);
        let deeper = node(&store, std::slice::from_ref(&link)).await;
        let err = read_all(&store, deeper.cid).await.unwrap_err();
        assert!(
            matches!(
                err,
                IpfsError::TooDeep {
                    limit: MAX_DEPTH,
                    ..
                }
            ),
            "{err}"
        );
    }
}
