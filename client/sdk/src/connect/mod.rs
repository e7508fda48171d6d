//! Connecting a wallet to its ledger: the embedded development ledger in a
//! directory, or a Fabric network reached through a gateway peer listed in
//! the network's client profile (`network/up.sh` writes it; see
//! `docs/network.md`).

mod error;
mod profile;

use std::path::{Path, PathBuf};

use fabric_gateway::{Credentials, Gateway, Identity, PeerEndpoint, PrivateKeySigner, TlsSettings};
use fabric_shim::ClientIdentity;
use ipfs_blocks::{BlockStore, DirStore, KuboClient};
use p256::PublicKey;

pub use self::error::ConnectError;
pub use self::profile::{
    CaProfile, IpfsProfile, NetworkProfile, OrgProfile, PeerProfile, RegistrarProfile, RoleIdentity,
};
use crate::ledger::Ledger;
use crate::ledger::embedded::EmbeddedLedger;
use crate::wallet::{BackendProfile, IdentityLocation, WalletProfile, WalletSecrets};

/// The MSP id of identities made for the embedded ledger.
pub const EMBEDDED_MSP_ID: &str = "EmbeddedMSP";

/// The user's ledger identity (certificate and MSP id; no private key).
pub fn client_identity(profile: &WalletProfile) -> Result<ClientIdentity, ConnectError> {
    match &profile.identity {
        IdentityLocation::Embedded {
            msp_id,
            certificate_pem,
        }
        | IdentityLocation::Enrolled {
            msp_id,
            certificate_pem,
            ..
        } => ClientIdentity::from_pem(msp_id.clone(), certificate_pem).map_err(|e| {
            ConnectError::Damaged(format!(
                "the wallet's certificate is damaged ({e}); restore the wallet from a backup"
            ))
        }),
        _ => {
            let (identity, _) = fabric_credentials(&profile.identity, None)?.into_parts();
            ClientIdentity::from_pem(identity.msp_id().to_owned(), identity.certificate_pem())
                .map_err(|e| {
                    ConnectError::Identity(format!("the identity's certificate is unusable: {e}"))
                })
        }
    }
}

/// The P-256 key of the user's ledger identity (the contract accepts no
/// other key type).
pub fn client_public_key(profile: &WalletProfile) -> Result<PublicKey, ConnectError> {
    client_identity(profile)?
        .p256_public_key()
        .map_err(|e| ConnectError::Identity(format!("the identity's certificate is unusable: {e}")))
}

/// Loads a Fabric identity with its signing key: from its files, or for a
/// CA-enrolled identity from the wallet's decrypted `secrets`.
fn fabric_credentials(
    location: &IdentityLocation,
    secrets: Option<&WalletSecrets>,
) -> Result<Credentials, ConnectError> {
    let credentials = match location {
        IdentityLocation::Enrolled {
            msp_id,
            certificate_pem,
            ..
        } => {
            let Some(secrets) = secrets else {
                return Err(ConnectError::Identity(
                    "this wallet's Fabric identity key is kept encrypted in the wallet; connect with its secrets (unlocked with the wallet's password)".into(),
                ));
            };
            let identity = Identity::new(msp_id, certificate_pem).map_err(|e| {
                ConnectError::Damaged(format!(
                    "the wallet's certificate is damaged ({e}); restore the wallet from a backup"
                ))
            })?;
            let pem = secrets
                .signing_key_for(identity.public_key())
                .ok_or_else(|| {
                    ConnectError::Damaged(
                        "the wallet holds no signing key for its certificate; restore the wallet from a backup".into(),
                    )
                })?;
            let signer = PrivateKeySigner::from_pem(pem).map_err(|_| damaged_key())?;
            return Credentials::new(identity, signer).map_err(|_| damaged_key());
        }
        IdentityLocation::MspFolder { msp_id, path } => Credentials::from_msp_folder(path, msp_id),
        IdentityLocation::Files {
            msp_id,
            certificate,
            private_key,
        } => Credentials::from_files(msp_id, certificate, private_key),
        IdentityLocation::Embedded { .. } => {
            return Err(ConnectError::Identity(
                "this wallet's identity was made for the embedded ledger and cannot sign for a Fabric network; create a wallet with `medchain init --gateway … --user …`".into(),
            ));
        }
    };
    credentials.map_err(|e| {
        ConnectError::Identity(format!(
            "{e}; check the identity given to `medchain init` (see `medchain whoami`)"
        ))
    })
}

/// The signing key of the wallet's identity: the embedded identity's key
/// from the (decrypted) secrets, or the Fabric identity's keystore key.
pub fn identity_signer(
    profile: &WalletProfile,
    secrets: &WalletSecrets,
) -> Result<PrivateKeySigner, ConnectError> {
    match &profile.identity {
        IdentityLocation::Embedded { .. } => {
            check_embedded_key(secrets, &client_identity(profile)?)?;
            let pem = secrets.signing_key_pem.as_deref().unwrap_or_default();
            PrivateKeySigner::from_pem(pem).map_err(|_| damaged_key())
        }
        location => Ok(fabric_credentials(location, Some(secrets))?.into_parts().1),
    }
}

fn damaged_key() -> ConnectError {
    ConnectError::Damaged(
        "the wallet's signing key is damaged; restore the wallet from a backup".into(),
    )
}

/// Checks that the wallet's embedded signing key belongs to its certificate.
pub fn check_embedded_key(
    secrets: &WalletSecrets,
    identity: &ClientIdentity,
) -> Result<(), ConnectError> {
    let Some(pem) = secrets.signing_key_pem.as_deref() else {
        return Err(ConnectError::Damaged(
            "the wallet holds no signing key for its embedded identity; restore the wallet from a backup".into(),
        ));
    };
    let signer = PrivateKeySigner::from_pem(pem).map_err(|_| damaged_key())?;
    let key = identity.p256_public_key().map_err(|_| {
        ConnectError::Damaged(
            "the wallet's certificate holds no P-256 key; restore the wallet from a backup".into(),
        )
    })?;
    if signer.public_key() != key {
        return Err(ConnectError::Damaged(
            "the wallet's signing key does not match its certificate; restore the wallet from a backup".into(),
        ));
    }
    Ok(())
}

/// Works on an already opened embedded ledger as the wallet's identity (the
/// demo shares one ledger between its participants).
pub fn on_embedded(
    ledger: &EmbeddedLedger,
    profile: &WalletProfile,
) -> Result<Ledger, ConnectError> {
    Ok(Ledger::embedded(ledger.clone(), client_identity(profile)?)?)
}

/// Connects to the wallet's ledger as the wallet's identity. A CA-enrolled
/// identity's key is in the wallet's secrets: use [`connect_with_secrets`].
pub async fn connect(profile: &WalletProfile) -> Result<Ledger, ConnectError> {
    connect_as(profile, None).await
}

/// Connects to the wallet's ledger as the wallet's identity, its key taken
/// from the wallet's decrypted `secrets` when it is kept there.
pub async fn connect_with_secrets(
    profile: &WalletProfile,
    secrets: &WalletSecrets,
) -> Result<Ledger, ConnectError> {
    connect_as(profile, Some(secrets)).await
}

async fn connect_as(
    profile: &WalletProfile,
    secrets: Option<&WalletSecrets>,
) -> Result<Ledger, ConnectError> {
    match &profile.backend {
        BackendProfile::Embedded { dir } => {
            let ledger = EmbeddedLedger::open(dir)
                .await
                .map_err(crate::ledger::LedgerError::from)?;
            require_valid_now(client_identity(profile)?.certificate_pem())?;
            on_embedded(&ledger, profile)
        }
        BackendProfile::Gateway { profile: path, org } => {
            let network_profile = NetworkProfile::read(path)?;
            let org = network_profile.org(org)?;
            let credentials = fabric_credentials(&profile.identity, secrets)?;
            require_valid_now(credentials.identity().certificate_pem())?;
            if let Some(secrets) = secrets {
                crate::identity::require_not_revoked(&profile.identity, secrets).await?;
            }
            let channel = gateway_channel(path, org).await?;
            let gateway = Gateway::from_credentials(channel, credentials);
            let roots = network_profile.issuer_roots()?;
            Ok(Ledger::fabric(
                &gateway,
                &network_profile.channel,
                &network_profile.chaincode,
            )?
            .with_issuer_roots(roots)
            .with_endorsing_organizations(&network_profile.endorsing_orgs))
        }
    }
}

/// A TLS connection to the gateway peer of `org`, an organisation of the
/// network profile at `path`.
pub async fn gateway_channel(
    path: &Path,
    org: &OrgProfile,
) -> Result<tonic::transport::Channel, ConnectError> {
    let mut tls =
        TlsSettings::from_ca_file(&org.gateway.tls_ca).map_err(|e| ConnectError::BadProfile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if let Some(name) = &org.gateway.server_name {
        tls = tls.with_server_name(name.clone());
    }
    Ok(PeerEndpoint::new(org.gateway.endpoint.clone())
        .with_tls(tls)
        .connect()
        .await
        .map_err(fabric_gateway::GatewayError::from)?)
}

/// The block store holding the attachments of the wallet's ledger: the
/// network profile's IPFS node (`ipfs.api`) on Fabric, the directory
/// `blocks/` beside an embedded ledger (same CIDs, no IPFS needed).
pub fn attachment_store(profile: &WalletProfile) -> Result<BlockStore, ConnectError> {
    match &profile.backend {
        BackendProfile::Embedded { dir } => Ok(BlockStore::Dir(
            DirStore::open(dir.join("blocks")).map_err(|e| ConnectError::BadProfile {
                path: dir.clone(),
                reason: e.to_string(),
            })?,
        )),
        BackendProfile::Gateway { profile: path, .. } => {
            let network = NetworkProfile::read(path)?;
            let bad = |reason: String| ConnectError::BadProfile {
                path: path.clone(),
                reason,
            };
            let ipfs = network.ipfs.ok_or_else(|| {
                bad("it names no IPFS node (`ipfs.api`) to keep attachments; add the node's RPC API URL, as network/up.sh writes it".into())
            })?;
            Ok(BlockStore::Kubo(
                KuboClient::new(&ipfs.api).map_err(|e| bad(e.to_string()))?,
            ))
        }
    }
}

/// Fails with [`ConnectError::Expired`] when the certificate `pem` has
/// expired: every peer would refuse it, so say so here, with what to do,
/// rather than as the peer's access denial.
pub fn require_valid_now(pem: &str) -> Result<(), ConnectError> {
    crate::identity::CertificateInfo::from_pem(pem)
        .map_err(|e| ConnectError::Identity(e.to_string()))?
        .require_valid_now()
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
pub fn default_dir(name: &str) -> Result<PathBuf, ConnectError> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ConnectError::NoHome(name.to_owned()))?;
    Ok(PathBuf::from(home).join(".medchain").join(name))
}
