//! The Fabric network a benchmark runs on: its client profile and, beside
//! it in the work directory of `network/up.sh`, the pid files and logs.
//!
//! A network may serve the contract under two chaincode definitions side by
//! side (`MEDCHAIN_SIDE_BY_SIDE=1`: `medchain` on the Rust server, process
//! `chaincode`, and `medchain-go` on the Go server, process
//! `chaincode-medchain-go`), one profile each (`profile.json`,
//! `profile-go.json`). The profile's `chaincode_servers` names the processes
//! that execute its chaincode; the first one's log is the chaincode log.

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
        let served = Served::read(&profile)?;
        let chaincode_log = match &args.chaincode_log {
            Some(log) => absolute(log)?,
            None => work_dir.join(format!("logs/{}.log", served.server())),
        };
        if !chaincode_log.is_file() {
            return Err(BenchError::Invalid(format!(
                "the chaincode log {} does not exist; name the log of the server of chaincode {} ({}) with --chaincode-log",
                chaincode_log.display(),
                served.chaincode.as_deref().unwrap_or("medchain"),
                served.server(),
            )));
        }
        Ok(Self {
            profile,
            work_dir,
            chaincode_log,
        })
    }
}

/// What a profile says about its chaincode.
#[derive(Debug, Default, Deserialize)]
struct Served {
    /// The chaincode definition's name (`medchain`, `medchain-go`).
    #[serde(default)]
    chaincode: Option<String>,
    /// The processes executing it (`<work>/run/<name>.pid`,
    /// `<work>/logs/<name>.log`); a profile from before the field: the
    /// one `chaincode`.
    #[serde(default)]
    chaincode_servers: Vec<String>,
}

impl Served {
    fn read(profile: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(profile).map_err(|e| BenchError::io("read", profile, e))?;
        serde_json::from_str(&text).map_err(|e| {
            BenchError::Invalid(format!(
                "the network profile {} is not a profile of network/up.sh: {e}",
                profile.display()
            ))
        })
    }

    /// The process whose log holds the chaincode's timing lines.
    fn server(&self) -> &str {
        self.chaincode_servers
            .first()
            .map_or("chaincode", String::as_str)
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
    fn the_log_is_that_of_the_profiles_chaincode_server() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        std::fs::write(dir.path().join("logs/chaincode.log"), "").unwrap();
        let profile = dir.path().join("profile-go.json");
        std::fs::write(
            &profile,
            r#"{"chaincode": "medchain-go", "side_by_side_chaincode": "medchain",
                "chaincode_servers": ["chaincode-medchain-go"]}"#,
        )
        .unwrap();
        let err = NetworkFiles::locate(&args(&profile, None))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("chaincode-medchain-go.log does not exist; name the log of the server of chaincode medchain-go (chaincode-medchain-go)"),
            "{err}"
        );
        std::fs::write(dir.path().join("logs/chaincode-medchain-go.log"), "").unwrap();
        let files = NetworkFiles::locate(&args(&profile, None)).unwrap();
        assert_eq!(
            files.chaincode_log,
            dir.path().join("logs/chaincode-medchain-go.log")
        );
        // --chaincode-log wins.
        let log = dir.path().join("logs/chaincode.log");
        let files = NetworkFiles::locate(&args(&profile, Some(&log))).unwrap();
        assert_eq!(files.chaincode_log, log);
        std::fs::write(&profile, "not json").unwrap();
        let err = NetworkFiles::locate(&args(&profile, None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a profile of network/up.sh"), "{err}");
    }

    #[test]
    fn a_missing_profile_says_how_to_get_one() {
        let err = NetworkFiles::locate(&args(Path::new("/nonexistent/profile.json"), None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("network/up.sh"), "{err}");
    }
}
