//! A Fabric network's client profile, as `network/up.sh` writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConnectError;

/// A Fabric network's client profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetworkProfile {
    /// The channel the chaincode runs on.
    pub channel: String,
    /// The chaincode name.
    pub chaincode: String,
    /// The peer organisations, by name (`org1`, …).
    pub orgs: BTreeMap<String, OrgProfile>,
    /// Ready-made user identities, by role name (`doctor`, `patient`, …).
    #[serde(default)]
    pub roles: BTreeMap<String, RoleIdentity>,
}

/// One organisation of the network.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrgProfile {
    /// Its MSP id, e.g. `Org1MSP`.
    pub msp_id: String,
    /// Its gateway peer.
    pub gateway: PeerProfile,
}

/// How to reach a gateway peer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PeerProfile {
    /// `host:port`.
    pub endpoint: String,
    /// The organisation's TLS CA certificate (PEM).
    pub tls_ca: PathBuf,
    /// The TLS server name when it differs from the dialled host.
    #[serde(default)]
    pub server_name: Option<String>,
}

/// A user identity listed in the profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleIdentity {
    /// The user's organisation (a key of `orgs`).
    pub org: String,
    /// The MSP id.
    pub msp_id: String,
    /// The user's MSP folder.
    pub msp_dir: PathBuf,
}

impl NetworkProfile {
    /// Reads a network client profile; relative paths in it are taken from
    /// the profile's directory.
    pub fn read(path: &Path) -> Result<Self, ConnectError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConnectError::Io {
            what: "the network profile",
            path: path.to_owned(),
            source,
        })?;
        let mut profile: Self =
            serde_json::from_str(&text).map_err(|e| ConnectError::BadProfile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for org in profile.orgs.values_mut() {
            org.gateway.tls_ca = base.join(&org.gateway.tls_ca);
        }
        for role in profile.roles.values_mut() {
            role.msp_dir = base.join(&role.msp_dir);
        }
        Ok(profile)
    }

    /// The organisation `name`.
    pub fn org(&self, name: &str) -> Result<&OrgProfile, ConnectError> {
        self.orgs.get(name).ok_or_else(|| ConnectError::NoSuchOrg {
            name: name.to_owned(),
            known: self.orgs.keys().cloned().collect(),
        })
    }

    /// The ready-made identity of `role`.
    pub fn role(&self, role: &str) -> Result<&RoleIdentity, ConnectError> {
        self.roles
            .get(role)
            .ok_or_else(|| ConnectError::NoSuchUser {
                name: role.to_owned(),
                known: self.roles.keys().cloned().collect(),
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A profile shaped like the one `network/lib/profile.sh` writes.
    const PROFILE: &str = r#"{
      "version": 1, "channel": "medchain", "chaincode": "medchain", "work_dir": "/w",
      "orderer": {"endpoint": "127.0.0.1:7050", "tls_ca": "/w/o.pem", "server_name": "orderer.example.com"},
      "orgs": {
        "org1": {"msp_id": "Org1MSP",
                 "gateway": {"endpoint": "127.0.0.1:7051", "tls_ca": "/w/tlsca1.pem", "server_name": "peer0.org1.example.com"},
                 "admin": {"org": "org1", "msp_id": "Org1MSP", "user": "Admin@org1.example.com", "msp_dir": "/w/a", "cert": "/w/a/c.pem", "key": "/w/a/k"}}
      },
      "roles": {
        "doctor": {"org": "org1", "msp_id": "Org1MSP", "user": "User1@org1.example.com",
                   "msp_dir": "crypto/users/User1/msp", "cert": "x", "key": "y"}
      }
    }"#;

    #[test]
    fn reads_the_profile_network_up_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        std::fs::write(&path, PROFILE).unwrap();
        let profile = NetworkProfile::read(&path).unwrap();
        assert_eq!(profile.channel, "medchain");
        let org = profile.org("org1").unwrap();
        assert_eq!(org.msp_id, "Org1MSP");
        assert_eq!(org.gateway.endpoint, "127.0.0.1:7051");
        assert_eq!(org.gateway.tls_ca, PathBuf::from("/w/tlsca1.pem"));
        assert_eq!(
            org.gateway.server_name.as_deref(),
            Some("peer0.org1.example.com")
        );
        let doctor = profile.role("doctor").unwrap();
        assert_eq!(doctor.msp_dir, dir.path().join("crypto/users/User1/msp"));
        assert!(matches!(
            profile.org("org9").unwrap_err(),
            ConnectError::NoSuchOrg { .. }
        ));
        assert!(
            profile
                .role("nurse")
                .unwrap_err()
                .to_string()
                .contains("doctor")
        );
    }

    #[test]
    fn a_malformed_profile_is_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        std::fs::write(&path, "{\"channel\": 3}").unwrap();
        let e = NetworkProfile::read(&path).unwrap_err();
        assert!(matches!(e, ConnectError::BadProfile { .. }));
        assert!(
            e.to_string().contains("is not a medchain network profile"),
            "{e}"
        );
    }
}
