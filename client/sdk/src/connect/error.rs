//! Why a connection to a wallet's ledger could not be made.

use std::path::PathBuf;

use fabric_gateway::GatewayError;

use crate::ledger::LedgerError;

/// Why [`connect`](super::connect) or a profile look-up failed. Each
/// variant is one sentence saying what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A file could not be read.
    #[error("cannot access {what} {}: {source}; check the path and its permissions", path.display())]
    Io {
        /// What the file is (`the network profile`, …).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The network profile is not one `network/up.sh` writes.
    #[error("{} is not a medchain network profile ({reason}); use the profile.json network/up.sh writes", path.display())]
    BadProfile {
        /// The profile file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The profile has no such organisation.
    #[error("the network profile has no organisation {name:?}; use one of: {}", known.join(", "))]
    NoSuchOrg {
        /// The name asked for.
        name: String,
        /// The names the profile has.
        known: Vec<String>,
    },
    /// The profile lists no such user.
    #[error("the network profile lists no user {name:?}; use one of: {}", known.join(", "))]
    NoSuchUser {
        /// The name asked for.
        name: String,
        /// The names the profile has.
        known: Vec<String>,
    },
    /// The wallet's identity cannot be used as configured (bad input: a
    /// different identity must be given).
    #[error("{0}")]
    Identity(String),
    /// The wallet's own files are damaged (restore from a backup).
    #[error("{0}")]
    Damaged(String),
    /// The wallet's certificate has expired: no peer accepts it.
    #[error(
        "your certificate expired on {not_after}, so the network would refuse it; run `medchain renew` before trying again"
    )]
    Expired {
        /// When it expired (`YYYY-MM-DD HH:MM:SS UTC`).
        not_after: String,
    },
    /// The wallet's certificate was revoked by its CA.
    #[error(
        "your certificate was revoked by your organisation's CA, so it can no longer submit; ask your organisation's administrator to register you again and enroll a new wallet with `medchain init --ca`"
    )]
    Revoked,
    /// No home directory to put the default wallet directory in.
    #[error(
        "HOME is not set, so there is no default ~/.medchain/{0}; give the directory explicitly"
    )]
    NoHome(String),
    /// The peer answered a chain-information query with malformed bytes.
    #[error("the peer returned malformed chain information")]
    MalformedChainInfo,
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The gateway failed (connecting, or a query).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}
