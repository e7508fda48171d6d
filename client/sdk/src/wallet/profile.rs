//! The public part of a wallet, `wallet.json`: who the user is, where its
//! identity and ledger are, its event checkpoint and its open cases. It holds
//! no secret.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use medchain_protocol::v1::Role;
use serde::{Deserialize, Serialize};

/// The format tag of `wallet.json` as this version writes it (v2: the
/// identity may be enrolled with a Fabric CA, and the wallet keeps the
/// identities it had before, [`WalletProfile::previous_identities`]).
pub const PROFILE_FORMAT: &str = "medchain-wallet-v2";
/// The format of wallets written before identity history: still read, and
/// rewritten as [`PROFILE_FORMAT`] at the next change.
pub const PROFILE_FORMAT_V1: &str = "medchain-wallet-v1";

/// The part a user plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserRole {
    /// A patient (not registered; named by public key in a case).
    Patient,
    /// A family member or legal agent (not registered).
    Family,
    /// A doctor.
    Doctor,
    /// A pharmacist.
    Pharmacist,
    /// An insurer.
    Insurer,
    /// A lawyer or medical expert.
    LawyerExpert,
}

impl UserRole {
    /// Every role, in the order the CLI lists them.
    pub const ALL: [Self; 6] = [
        Self::Patient,
        Self::Family,
        Self::Doctor,
        Self::Pharmacist,
        Self::Insurer,
        Self::LawyerExpert,
    ];

    /// The role's name as the CLI spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Family => "family",
            Self::Doctor => "doctor",
            Self::Pharmacist => "pharmacist",
            Self::Insurer => "insurer",
            Self::LawyerExpert => "lawyer-expert",
        }
    }

    /// Whether the role registers on the ledger (`reg`).
    pub const fn registers(self) -> bool {
        !matches!(self, Self::Patient | Self::Family)
    }

    /// The role it registers as on the ledger; `None` for patients and
    /// family members, who do not register.
    pub const fn ledger_role(self) -> Option<Role> {
        match self {
            Self::Doctor => Some(Role::Doctor),
            Self::Pharmacist => Some(Role::Pharmacist),
            Self::Insurer => Some(Role::Insurer),
            Self::LawyerExpert => Some(Role::LawyerExpert),
            Self::Patient | Self::Family => None,
        }
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for UserRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.name() == s || (s == "lawyer" && *r == Self::LawyerExpert) || (s == "expert" && *r == Self::LawyerExpert))
            .ok_or_else(|| {
                format!("unknown role {s:?}; use patient, family, doctor, pharmacist, insurer or lawyer-expert")
            })
    }
}

/// Where the user's Fabric identity lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum IdentityLocation {
    /// An MSP folder written by cryptogen or fabric-ca-client.
    MspFolder {
        /// The MSP id, e.g. `Org1MSP`.
        msp_id: String,
        /// The folder holding `signcerts/` and `keystore/`.
        path: PathBuf,
    },
    /// Explicit certificate and key files.
    Files {
        /// The MSP id.
        msp_id: String,
        /// The PEM certificate.
        certificate: PathBuf,
        /// The PKCS#8 PEM private key.
        private_key: PathBuf,
    },
    /// A self-signed identity made for the embedded ledger; its private key
    /// is kept encrypted in the wallet's secrets.
    Embedded {
        /// The MSP id (`EmbeddedMSP`).
        msp_id: String,
        /// The PEM certificate.
        certificate_pem: String,
    },
    /// An identity enrolled with the organisation's Fabric CA by
    /// `medchain init --ca`: the certificate here, its private key kept
    /// encrypted in the wallet's secrets, the CA to renew it with.
    Enrolled {
        /// The MSP id of the organisation, e.g. `Org1MSP`.
        msp_id: String,
        /// The PEM certificate the CA issued.
        certificate_pem: String,
        /// The CA that issued it.
        ca: CaLink,
    },
}

impl IdentityLocation {
    /// The MSP id.
    pub fn msp_id(&self) -> &str {
        match self {
            Self::MspFolder { msp_id, .. }
            | Self::Files { msp_id, .. }
            | Self::Embedded { msp_id, .. }
            | Self::Enrolled { msp_id, .. } => msp_id,
        }
    }
}

/// How to reach the Fabric CA that issued an enrolled identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaLink {
    /// `https://host:port`.
    pub url: String,
    /// The CA's name on a server hosting several (`--caname`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_name: Option<String>,
    /// The PEM certificates that verify the CA's TLS certificate.
    pub tls_ca_pem: String,
    /// The identity's enrollment id.
    pub enrollment_id: String,
}

/// An identity the wallet used before its current one (a renewed or
/// replaced certificate). Its key, when the wallet holds it, stays in the
/// encrypted secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredIdentity {
    /// The identity as it was.
    pub identity: IdentityLocation,
    /// When it was replaced (RFC 3339, UTC).
    pub retired: String,
}

/// Which ledger the user works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BackendProfile {
    /// The embedded development ledger in a directory.
    Embedded {
        /// The ledger directory.
        dir: PathBuf,
    },
    /// A Fabric network described by a client profile file.
    Gateway {
        /// The client profile written by `network/up.sh`.
        profile: PathBuf,
        /// The organisation whose gateway peer to use, e.g. `org1`.
        org: String,
    },
}

/// Where the user's event listener resumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCheckpoint {
    /// The block to resume reading from.
    pub block: u64,
    /// The last handled transaction in that block, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<String>,
}

/// The user's view of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEntry {
    /// The user's part in the case.
    pub role: UserRole,
    /// Where the case stands, from the user's side.
    pub status: CaseStatus,
    /// The doctor's tag (hex) between key establishment and the first record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_tag: Option<String>,
    /// Records of the case the user was notified of and has not read yet
    /// (keys, hex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// Why the user's watcher refused to act on the case (with
    /// [`CaseStatus::Refused`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// Where a case stands, from one user's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseStatus {
    /// Opened by the doctor; waiting for every participant's response.
    AwaitingResponses,
    /// The user (a participant) has answered.
    Answered,
    /// The shared key is established (the doctor holds the tag).
    KeyEstablished,
    /// Records are being stored.
    Active,
    /// The user's watcher could not act on the case and set it aside (its
    /// doctor is not one the consortium trusts, its Argon2id parameters are
    /// below the client's minimum, …); the reason is in the entry.
    Refused,
}

/// The contents of `wallet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletProfile {
    /// [`PROFILE_FORMAT`] (or [`PROFILE_FORMAT_V1`] as read from an older
    /// wallet).
    pub format: String,
    /// The user's display name.
    pub name: String,
    /// The user's role.
    pub role: UserRole,
    /// The user's Fabric identity.
    pub identity: IdentityLocation,
    /// The ledger the user works on.
    pub backend: BackendProfile,
    /// Where the event listener resumes.
    #[serde(default)]
    pub checkpoint: SavedCheckpoint,
    /// The user's cases, by κ0 (hex).
    #[serde(default)]
    pub cases: BTreeMap<String, CaseEntry>,
    /// Every identity the wallet had before [`identity`](Self::identity),
    /// oldest first; renewal appends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_identities: Vec<RetiredIdentity>,
}
