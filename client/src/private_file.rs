//! Private files and directories: secrets and state are written atomically
//! with owner-only permissions.

use std::io;
use std::path::Path;

pub(crate) use crate::gateway::atomic_file::write_private_file;

/// Creates `dir` and its parents; the directory gets mode 0700 (on Unix).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
