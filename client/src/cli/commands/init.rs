//! `medchain init`: creates a wallet — name, role, identity, ledger.

use std::path::{Path, PathBuf};

use serde_json::json;
use zeroize::Zeroizing;

use super::whoami;
use crate::cli::args::{GlobalArgs, InitArgs};
use crate::cli::backend::{self, EMBEDDED_MSP_ID};
use crate::cli::error::CliError;
use crate::cli::output::Output;
use crate::cli::{password, session};
use crate::crypto::KdfParams;
use crate::wallet::{
    BackendProfile, IdentityLocation, PROFILE_FORMAT, SavedCheckpoint, UserRole, Wallet,
    WalletProfile, WalletSecrets,
};

/// A new P-256 key and a self-signed certificate naming `name`, for the
/// embedded ledger: the identity location and the PKCS#8 PEM key.
pub fn embedded_identity(name: &str) -> Result<(IdentityLocation, Zeroizing<String>), CliError> {
    let failed = |e: rcgen::Error| CliError::failure(format!("cannot make a key pair: {e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let certificate = params.self_signed(&key).map_err(failed)?;
    let key_pem = Zeroizing::new(key.serialize_pem());
    Ok((
        IdentityLocation::Embedded {
            msp_id: EMBEDDED_MSP_ID.to_owned(),
            certificate_pem: certificate.pem(),
        },
        key_pem,
    ))
}

/// What a new wallet holds.
pub struct NewWallet {
    /// The user's display name.
    pub name: String,
    /// The user's role.
    pub role: UserRole,
    /// The user's identity.
    pub identity: IdentityLocation,
    /// The ledger the user works on.
    pub backend: BackendProfile,
    /// The signing key of an embedded identity (kept encrypted).
    pub signing_key_pem: Option<Zeroizing<String>>,
}

impl NewWallet {
    /// The wallet's profile.
    pub fn profile(&self) -> WalletProfile {
        WalletProfile {
            format: PROFILE_FORMAT.to_owned(),
            name: self.name.clone(),
            role: self.role,
            identity: self.identity.clone(),
            backend: self.backend.clone(),
            checkpoint: SavedCheckpoint::default(),
            cases: Default::default(),
        }
    }

    /// Creates the wallet in `dir`, its secrets encrypted under `password`
    /// with Argon2id at `kdf` cost.
    pub fn create(self, dir: &Path, password: &str, kdf: KdfParams) -> Result<Wallet, CliError> {
        let mut secrets = WalletSecrets::default();
        secrets.signing_key_pem = self.signing_key_pem.as_ref().map(|k| k.to_string());
        Ok(Wallet::create(dir, &self.profile(), password, &secrets, kdf)?.with_kdf(kdf))
    }
}

fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(path).map_err(|e| CliError::io("the path", path, &e))
}

/// The identity and backend the options ask for.
fn choose(
    args: &InitArgs,
) -> Result<(IdentityLocation, BackendProfile, Option<Zeroizing<String>>), CliError> {
    let Some(profile_path) = &args.gateway else {
        let dir = match &args.ledger {
            Some(dir) => dir.clone(),
            None => backend::default_dir("ledger")?,
        };
        let (identity, key) = embedded_identity(&args.name)?;
        let backend = BackendProfile::Embedded {
            dir: absolute(&dir)?,
        };
        return Ok((identity, backend, Some(key)));
    };
    let profile_path = absolute(profile_path)?;
    let network = backend::read_network_profile(&profile_path)?;
    let (identity, default_org) = match (&args.user, &args.msp_dir, &args.cert) {
        (Some(user), _, _) => {
            let role = network.role(user)?;
            (
                IdentityLocation::MspFolder {
                    msp_id: role.msp_id.clone(),
                    path: absolute(&role.msp_dir)?,
                },
                Some(role.org.clone()),
            )
        }
        (None, Some(dir), _) => (
            IdentityLocation::MspFolder {
                msp_id: args.msp_id.clone().unwrap_or_default(),
                path: absolute(dir)?,
            },
            None,
        ),
        (None, None, Some(cert)) => (
            IdentityLocation::Files {
                msp_id: args.msp_id.clone().unwrap_or_default(),
                certificate: absolute(cert)?,
                private_key: absolute(args.key.as_deref().unwrap_or(Path::new("")))?,
            },
            None,
        ),
        (None, None, None) => {
            return Err(CliError::usage(
                "with --gateway, give the identity: --user NAME (a user of the profile), --msp-dir DIR --msp-id ID, or --cert FILE --key FILE --msp-id ID",
            ));
        }
    };
    let org = args.org.clone().or(default_org).ok_or_else(|| {
        CliError::usage(format!(
            "give --org, the organisation whose gateway peer to use (one of: {})",
            network.orgs.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })?;
    network.org(&org)?;
    Ok((
        identity,
        BackendProfile::Gateway {
            profile: profile_path,
            org,
        },
        None,
    ))
}

/// Runs `medchain init`.
pub async fn run(global: &GlobalArgs, args: &InitArgs, out: &Output) -> Result<(), CliError> {
    let dir = session::wallet_dir(global)?;
    Wallet::ensure_absent(&dir)?;
    if args.name.trim().is_empty() {
        return Err(CliError::usage(
            "the name is empty; give --name with your name",
        ));
    }
    let (identity, backend, signing_key_pem) = choose(args)?;
    let role = UserRole::from(args.role);
    let new = NewWallet {
        name: args.name.clone(),
        role,
        identity,
        backend,
        signing_key_pem,
    };
    // Check a Fabric identity loads before anything is written.
    backend::client_identity(&new.profile())?;
    let password = password::new(global.password_file.as_deref())?;
    let wallet = new.create(&dir, &password, session::kdf(global))?;
    let profile = wallet.profile()?;
    let (human, mut json) = whoami::describe(&wallet, &profile)?;
    let next = if role.registers() {
        "next: `medchain register` to register on the ledger"
    } else {
        "next: share your contact (`medchain whoami --out contact.json`) or, as a patient, `medchain select`"
    };
    json["created"] = json!(true);
    out.result(&format!("created the wallet\n{human}\n{next}"), &json);
    Ok(())
}
