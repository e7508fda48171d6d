//! The ledger a wallet works on: the embedded development ledger in a
//! directory, or a Fabric network reached through a gateway peer listed in
//! the network's client profile (`network/up.sh` writes it; see
//! `docs/network.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medchain_protos::common::BlockchainInfo;
use medchain_shim::ClientIdentity;
use prost::Message;
use serde::Deserialize;

use super::error::{CliError, ExitStatus};
use crate::gateway::{Credentials, Gateway, Network, PeerEndpoint, PrivateKeySigner, TlsSettings};
use crate::ledger::Ledger;
use crate::ledger::embedded::EmbeddedLedger;
use crate::wallet::{BackendProfile, IdentityLocation, WalletProfile, WalletSecrets};

/// The MSP id of identities made for the embedded ledger.
pub const EMBEDDED_MSP_ID: &str = "EmbeddedMSP";

/// A Fabric network's client profile, as `network/up.sh` writes it.
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

/// Reads a network client profile; relative paths in it are taken from the
/// profile's directory.
pub fn read_network_profile(path: &Path) -> Result<NetworkProfile, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::io("the network profile", path, &e))?;
    let mut profile: NetworkProfile = serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{} is not a medchain network profile ({e}); use the profile.json network/up.sh writes",
            path.display()
        ))
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

impl NetworkProfile {
    /// The organisation `name`.
    pub fn org(&self, name: &str) -> Result<&OrgProfile, CliError> {
        self.orgs.get(name).ok_or_else(|| {
            CliError::usage(format!(
                "the network profile has no organisation {name:?}; use one of: {}",
                self.orgs.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// The ready-made identity of `role`.
    pub fn role(&self, role: &str) -> Result<&RoleIdentity, CliError> {
        self.roles.get(role).ok_or_else(|| {
            CliError::usage(format!(
                "the network profile lists no user {role:?}; use one of: {}",
                self.roles.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

/// The user's ledger identity (certificate and MSP id; no private key).
pub fn client_identity(profile: &WalletProfile) -> Result<ClientIdentity, CliError> {
    match &profile.identity {
        IdentityLocation::Embedded {
            msp_id,
            certificate_pem,
        } => ClientIdentity::from_pem(msp_id.clone(), certificate_pem).map_err(|e| {
            CliError::failure(format!(
                "the wallet's certificate is damaged ({e}); restore the wallet from a backup"
            ))
        }),
        _ => {
            let (identity, _) = fabric_credentials(&profile.identity)?.into_parts();
            ClientIdentity::from_pem(identity.msp_id().to_owned(), identity.certificate_pem())
                .map_err(|e| {
                    CliError::usage(format!("the identity's certificate is unusable: {e}"))
                })
        }
    }
}

/// Loads a Fabric identity with its signing key.
fn fabric_credentials(location: &IdentityLocation) -> Result<Credentials, CliError> {
    let credentials = match location {
        IdentityLocation::MspFolder { msp_id, path } => Credentials::from_msp_folder(path, msp_id),
        IdentityLocation::Files {
            msp_id,
            certificate,
            private_key,
        } => Credentials::from_files(msp_id, certificate, private_key),
        IdentityLocation::Embedded { .. } => {
            return Err(CliError::usage(
                "this wallet's identity was made for the embedded ledger and cannot sign for a Fabric network; create a wallet with `medchain init --gateway … --user …`",
            ));
        }
    };
    credentials.map_err(|e| {
        CliError::usage(format!(
            "{e}; check the identity given to `medchain init` (see `medchain whoami`)"
        ))
    })
}

/// The signing key of the wallet's identity: the embedded identity's key
/// from the (decrypted) secrets, or the Fabric identity's keystore key.
pub fn identity_signer(
    profile: &WalletProfile,
    secrets: &WalletSecrets,
) -> Result<PrivateKeySigner, CliError> {
    match &profile.identity {
        IdentityLocation::Embedded { .. } => {
            check_embedded_key(secrets, &client_identity(profile)?)?;
            let pem = secrets.signing_key_pem.as_deref().unwrap_or_default();
            PrivateKeySigner::from_pem(pem).map_err(|_| {
                CliError::failure(
                    "the wallet's signing key is damaged; restore the wallet from a backup",
                )
            })
        }
        location => Ok(fabric_credentials(location)?.into_parts().1),
    }
}

/// Checks that the wallet's embedded signing key belongs to its certificate.
pub fn check_embedded_key(
    secrets: &WalletSecrets,
    identity: &ClientIdentity,
) -> Result<(), CliError> {
    let Some(pem) = secrets.signing_key_pem.as_deref() else {
        return Err(CliError::failure(
            "the wallet holds no signing key for its embedded identity; restore the wallet from a backup",
        ));
    };
    let signer = PrivateKeySigner::from_pem(pem).map_err(|_| {
        CliError::failure("the wallet's signing key is damaged; restore the wallet from a backup")
    })?;
    if signer.public_key() != *identity.public_key() {
        return Err(CliError::failure(
            "the wallet's signing key does not match its certificate; restore the wallet from a backup",
        ));
    }
    Ok(())
}

/// A ledger connection and what else the CLI needs from its backend.
pub struct Connection {
    /// The ledger, as the wallet's identity.
    pub ledger: Ledger,
    handle: Handle,
}

enum Handle {
    Embedded(EmbeddedLedger),
    Fabric(Network),
}

impl Connection {
    /// Works on an already opened embedded ledger (the demo shares one
    /// between its participants).
    pub fn on_embedded(ledger: &EmbeddedLedger, profile: &WalletProfile) -> Result<Self, CliError> {
        Ok(Self {
            ledger: Ledger::embedded(ledger.clone(), client_identity(profile)?),
            handle: Handle::Embedded(ledger.clone()),
        })
    }

    /// The number of committed blocks: a watcher checkpointed at this height
    /// sees only what comes next.
    pub async fn height(&self) -> Result<u64, CliError> {
        match &self.handle {
            Handle::Embedded(ledger) => Ok(ledger
                .height()
                .await
                .map_err(crate::ledger::LedgerError::from)?),
            Handle::Fabric(network) => {
                let info = network
                    .contract("qscc")
                    .evaluate("GetChainInfo", &[network.name().as_bytes()])
                    .await?;
                BlockchainInfo::decode(info.as_slice())
                    .map(|i| i.height)
                    .map_err(|_| CliError::failure("the peer returned malformed chain information"))
            }
        }
    }
}

/// Connects to the wallet's ledger as the wallet's identity.
pub async fn connect(profile: &WalletProfile) -> Result<Connection, CliError> {
    match &profile.backend {
        BackendProfile::Embedded { dir } => {
            let ledger = EmbeddedLedger::open(dir)
                .await
                .map_err(crate::ledger::LedgerError::from)?;
            Connection::on_embedded(&ledger, profile)
        }
        BackendProfile::Gateway { profile: path, org } => {
            let network_profile = read_network_profile(path)?;
            let org = network_profile.org(org)?;
            let credentials = fabric_credentials(&profile.identity)?;
            let identity = client_identity(profile)?;
            let mut tls = TlsSettings::from_ca_file(&org.gateway.tls_ca).map_err(|e| {
                CliError::new(
                    ExitStatus::Usage,
                    format!("{e}; check the network profile {}", path.display()),
                )
            })?;
            if let Some(name) = &org.gateway.server_name {
                tls = tls.with_server_name(name.clone());
            }
            let channel = PeerEndpoint::new(org.gateway.endpoint.clone())
                .with_tls(tls)
                .connect()
                .await
                .map_err(crate::gateway::GatewayError::from)?;
            let network =
                Gateway::from_credentials(channel, credentials).network(&network_profile.channel);
            Ok(Connection {
                ledger: Ledger::fabric(network.clone(), &network_profile.chaincode, identity),
                handle: Handle::Fabric(network),
            })
        }
    }
}

/// A short description of the backend, for `whoami` and the demo.
pub fn describe(backend: &BackendProfile) -> String {
    match backend {
        BackendProfile::Embedded { dir } => {
            format!("embedded development ledger in {}", dir.display())
        }
        BackendProfile::Gateway { profile, org } => {
            format!("Fabric network {} (gateway of {org})", profile.display())
        }
    }
}

/// `~/.medchain/<name>`, the default place of wallets and the embedded
/// ledger.
pub fn default_dir(name: &str) -> Result<PathBuf, CliError> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
        CliError::usage(format!(
            "HOME is not set, so there is no default ~/.medchain/{name}; give the directory explicitly"
        ))
    })?;
    Ok(PathBuf::from(home).join(".medchain").join(name))
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
        let profile = read_network_profile(&path).unwrap();
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
        assert_eq!(profile.org("org9").unwrap_err().status().code(), 2);
        assert!(
            profile
                .role("nurse")
                .unwrap_err()
                .message()
                .contains("doctor")
        );
    }

    #[test]
    fn a_malformed_profile_is_one_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        std::fs::write(&path, "{\"channel\": 3}").unwrap();
        let e = read_network_profile(&path).unwrap_err();
        assert_eq!(e.status().code(), 2);
        assert!(
            e.message().contains("is not a medchain network profile"),
            "{e}"
        );
    }
}
