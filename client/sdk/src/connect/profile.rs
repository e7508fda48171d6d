//! A Fabric network's client profile, as `network/up.sh` writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConnectError;
use crate::ledger::IssuerRoots;

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
    /// The IPFS node that keeps the network's encrypted attachments.
    #[serde(default)]
    pub ipfs: Option<IpfsProfile>,
    /// MSP ids of the organisations every transaction asks to endorse, all
    /// at once (empty, the default: the gateway chooses from the
    /// chaincode's endorsement policy, its own peer first). Each must be an
    /// organisation of `orgs`; the list must satisfy the endorsement
    /// policy, and be changed with it.
    #[serde(default)]
    pub endorsing_orgs: Vec<String>,
}

/// How to reach the network's IPFS node (Kubo).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IpfsProfile {
    /// Its RPC API, e.g. `http://127.0.0.1:17060`.
    pub api: String,
}

/// One organisation of the network.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrgProfile {
    /// Its MSP id, e.g. `Org1MSP`.
    pub msp_id: String,
    /// Its gateway peer.
    pub gateway: PeerProfile,
    /// Its Fabric CA, which issues its people's certificates.
    #[serde(default)]
    pub ca: Option<CaProfile>,
}

/// How to reach an organisation's Fabric CA, and its root.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CaProfile {
    /// The CA server's URL, e.g. `https://127.0.0.1:7057`.
    pub url: String,
    /// The CA's name on that server.
    pub ca_name: String,
    /// The TLS CA certificate of the CA server (PEM).
    pub tls_ca: PathBuf,
    /// The CA's root certificate (PEM): the trust anchor of the
    /// organisation's participants' certificates.
    pub root_cert: PathBuf,
    /// The CA's registrar, when the profile gives it (test networks).
    #[serde(default)]
    pub registrar: Option<RegistrarProfile>,
}

/// A CA's registrar identity, as the profile lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegistrarProfile {
    /// Its enrollment id.
    pub enrollment_id: String,
    /// Its MSP folder, enrolled.
    pub msp_dir: PathBuf,
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
            if let Some(ca) = &mut org.ca {
                ca.tls_ca = base.join(&ca.tls_ca);
                ca.root_cert = base.join(&ca.root_cert);
                if let Some(registrar) = &mut ca.registrar {
                    registrar.msp_dir = base.join(&registrar.msp_dir);
                }
            }
        }
        for role in profile.roles.values_mut() {
            role.msp_dir = base.join(&role.msp_dir);
        }
        if let Some(unknown) = profile
            .endorsing_orgs
            .iter()
            .find(|msp| !profile.orgs.values().any(|org| &&org.msp_id == msp))
        {
            return Err(ConnectError::BadProfile {
                path: path.to_owned(),
                reason: format!(
                    "endorsing_orgs names {unknown:?}, which is the MSP id of none of the profile's organisations; name only MSP ids of `orgs`, or leave endorsing_orgs out to let the gateway choose"
                ),
            });
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

    /// Every organisation's CA root certificates (PEM), by MSP id: whom
    /// the clients trust to certify a participant's role.
    pub fn issuer_roots(&self) -> Result<IssuerRoots, ConnectError> {
        let mut roots = IssuerRoots::new();
        for org in self.orgs.values() {
            let Some(ca) = &org.ca else { continue };
            let pem =
                std::fs::read_to_string(&ca.root_cert).map_err(|source| ConnectError::Io {
                    what: "an organisation's CA root certificate",
                    path: ca.root_cert.clone(),
                    source,
                })?;
            roots.entry(org.msp_id.clone()).or_default().push(pem);
        }
        Ok(roots)
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
                 "admin": {"org": "org1", "msp_id": "Org1MSP", "user": "Admin@org1.example.com", "msp_dir": "/w/a", "cert": "/w/a/c.pem", "key": "/w/a/k"},
                 "ca": {"url": "https://127.0.0.1:7057", "ca_name": "ca-org1", "tls_ca": "ca1.pem", "root_cert": "ca1.pem",
                        "role_attribute": "medchain.role", "registrar": {"enrollment_id": "admin", "msp_dir": "/w/r", "secret_file": "/w/s"}}}
      },
      "roles": {
        "doctor": {"org": "org1", "msp_id": "Org1MSP", "user": "User1@org1.example.com",
                   "msp_dir": "crypto/users/User1/msp", "cert": "x", "key": "y"}
      }
    }"#;

    #[test]
    fn endorsing_orgs_are_optional_and_must_name_the_profiles_organisations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        std::fs::write(&path, PROFILE).unwrap();
        assert!(
            NetworkProfile::read(&path)
                .unwrap()
                .endorsing_orgs
                .is_empty()
        );

        let with = |orgs: &str| {
            PROFILE.replacen(
                "\"roles\"",
                &format!("\"endorsing_orgs\": {orgs}, \"roles\""),
                1,
            )
        };
        std::fs::write(&path, with(r#"["Org1MSP"]"#)).unwrap();
        assert_eq!(
            NetworkProfile::read(&path).unwrap().endorsing_orgs,
            ["Org1MSP"]
        );

        std::fs::write(&path, with(r#"["Org1MSP", "Org9MSP"]"#)).unwrap();
        let error = NetworkProfile::read(&path).unwrap_err().to_string();
        assert!(
            error.contains("endorsing_orgs names \"Org9MSP\", which is the MSP id of none of the profile's organisations"),
            "{error}"
        );
    }

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
        let ca = org.ca.as_ref().unwrap();
        assert_eq!(ca.root_cert, dir.path().join("ca1.pem"));
        assert!(matches!(
            profile.issuer_roots().unwrap_err(),
            ConnectError::Io { .. }
        ));
        std::fs::write(dir.path().join("ca1.pem"), "ROOT").unwrap();
        assert_eq!(
            profile.issuer_roots().unwrap()["Org1MSP"],
            vec!["ROOT".to_owned()]
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
