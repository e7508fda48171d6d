//! Private files and directories: secrets and state are written atomically
//! with owner-only permissions. The contents go to a new temporary file
//! (mode 0600) in the same folder, which is synced and then renamed over
//! the target (or linked to it, when the target must not exist yet), so a
//! reader sees the old file or the new one, never a torn write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};

/// Creates `dir` and its parents; the directory gets mode 0700 (on Unix).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Replaces `path` with `contents` atomically; the file ends up with mode
/// 0600 (on Unix).
pub fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temporary(path, contents, |temporary| fs::rename(temporary, path))
}

/// Creates `path` with `contents` atomically, failing with
/// [`io::ErrorKind::AlreadyExists`] (and leaving it untouched) when `path`
/// exists: the complete temporary file is hard-linked to `path`, which the
/// file system refuses atomically when the name is taken.
pub fn create_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temporary(path, contents, |temporary| {
        fs::hard_link(temporary, path)?;
        fs::remove_file(temporary)
    })
}

/// Writes `contents` to a new temporary file next to `path`, lets `publish`
/// put it in place, and makes that durable.
fn write_via_temporary(
    path: &Path,
    contents: &[u8],
    publish: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
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
    let written = write_new(&temporary, contents).and_then(|()| publish(&temporary));
    if let Err(error) = written {
        // Best effort: the temporary file is ours and holds nothing else.
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    // Make the rename or link itself durable.
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_file_replaces_the_old_one_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        write_private_file(&path, b"old").unwrap();
        write_private_file(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn creating_never_replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets");
        create_private_file(&path, b"first").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let error = create_private_file(&path, b"second").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
