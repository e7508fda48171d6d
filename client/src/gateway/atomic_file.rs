//! Writing a file atomically with owner-only permissions: the contents go
//! to a new temporary file (mode 0600) in the same folder, which is synced
//! and then renamed over the target, so a reader sees the old file or the
//! new one, never a torn write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};

/// Replaces `path` with `contents` atomically; the file ends up with mode
/// 0600 (on Unix).
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut suffix = [0u8; 8];
    OsRng.fill_bytes(&mut suffix);
    let temporary = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        hex::encode(suffix)
    ));
    let written = write_new(&temporary, contents).and_then(|()| fs::rename(&temporary, path));
    if let Err(error) = written {
        // Best effort: the temporary file is ours and holds nothing else.
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    // Make the rename itself durable.
    File::open(&dir)?.sync_all()
}

fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
