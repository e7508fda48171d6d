//! The Fabric network a benchmark runs on: its client profile and, beside
//! it in the work directory of `network/up.sh`, the pid files and logs.

use std::path::{Path, PathBuf};

use crate::args::NetworkArgs;
use crate::error::{BenchError, Result};

/// Where a network's files are.
#[derive(Debug, Clone)]
pub struct NetworkFiles {
    /// The client profile (absolute).
    pub profile: PathBuf,
    /// The work directory (the profile's directory).
    pub work_dir: PathBuf,
    /// The chaincode server's log.
    pub chaincode_log: PathBuf,
}

impl NetworkFiles {
    /// Resolves the files named on the command line.
    pub fn locate(args: &NetworkArgs) -> Result<Self> {
        let profile = absolute(&args.profile)?;
        if !profile.is_file() {
            return Err(BenchError::Invalid(format!(
                "the network profile {} does not exist; start a network with network/up.sh and pass its <work>/profile.json",
                profile.display()
            )));
        }
        let work_dir = profile
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        let chaincode_log = match &args.chaincode_log {
            Some(log) => absolute(log)?,
            None => work_dir.join("logs/chaincode.log"),
        };
        if !chaincode_log.is_file() {
            return Err(BenchError::Invalid(format!(
                "the chaincode log {} does not exist; name the chaincode server's log with --chaincode-log",
                chaincode_log.display()
            )));
        }
        Ok(Self {
            profile,
            work_dir,
            chaincode_log,
        })
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| BenchError::io("resolve", path, e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn args(profile: &Path, log: Option<&Path>) -> NetworkArgs {
        NetworkArgs {
            profile: profile.to_owned(),
            chaincode_log: log.map(Path::to_owned),
        }
    }

    #[test]
    fn finds_the_log_beside_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile.json");
        std::fs::write(&profile, "{}").unwrap();
        let err = NetworkFiles::locate(&args(&profile, None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("chaincode.log does not exist"), "{err}");
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        std::fs::write(dir.path().join("logs/chaincode.log"), "").unwrap();
        let files = NetworkFiles::locate(&args(&profile, None)).unwrap();
        assert_eq!(files.work_dir, dir.path());
    }

    #[test]
    fn a_missing_profile_says_how_to_get_one() {
        let err = NetworkFiles::locate(&args(Path::new("/nonexistent/profile.json"), None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("network/up.sh"), "{err}");
    }
}
