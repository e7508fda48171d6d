//! A local content-addressed directory: one file per block, named by its CID.

use std::io::Write;
use std::path::{Path, PathBuf};

use cid::Cid;

use crate::{IpfsError, MAX_BLOCK_BYTES};

/// Blocks as files `DIR/<cid>` (CIDv1 text), each written atomically, so a
/// crash never leaves a partial block under a CID.
#[derive(Debug, Clone)]
pub struct DirStore {
    path: PathBuf,
}

impl DirStore {
    /// A store in `path`, created (with its parents) if it does not exist.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, IpfsError> {
        let path = path.into();
        std::fs::create_dir_all(&path).map_err(|source| IpfsError::Dir {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file holding block `cid`.
    pub fn block_path(&self, cid: &Cid) -> PathBuf {
        self.path.join(cid.to_string())
    }

    pub(super) async fn put(&self, cid: &Cid, block: Vec<u8>) -> Result<(), IpfsError> {
        let target = self.block_path(cid);
        let dir = self.path.clone();
        let io = |source| IpfsError::Dir {
            path: dir.display().to_string(),
            source,
        };
        let written = tokio::task::spawn_blocking({
            let dir = self.path.clone();
            move || -> std::io::Result<()> {
                if target.exists() {
                    return Ok(());
                }
                let mut file = tempfile::NamedTempFile::new_in(&dir)?;
                file.write_all(&block)?;
                file.as_file().sync_data()?;
                file.persist(&target).map_err(|e| e.error)?;
                Ok(())
            }
        })
        .await
        .map_err(|e| io(std::io::Error::other(e)))?;
        written.map_err(io)
    }

    pub(super) async fn get(&self, cid: &Cid) -> Result<Vec<u8>, IpfsError> {
        let path = self.block_path(cid);
        let meta = match tokio::fs::metadata(&path).await {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(IpfsError::NotFound {
                    cid: cid.to_string(),
                });
            }
            Err(source) => {
                return Err(IpfsError::Dir {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        if meta.len() > MAX_BLOCK_BYTES as u64 {
            return Err(IpfsError::BlockTooLarge {
                size: meta.len(),
                limit: MAX_BLOCK_BYTES as u64,
            });
        }
        tokio::fs::read(&path)
            .await
            .map_err(|source| IpfsError::Dir {
                path: path.display().to_string(),
                source,
            })
    }
}
