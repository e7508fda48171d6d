//! `medchain init`: creates a wallet — name, role, identity, ledger.

use std::path::{Path, PathBuf};

use serde_json::json;
use zeroize::Zeroizing;

use super::whoami;
use crate::args::{GlobalArgs, InitArgs};
use crate::error::CliError;
use crate::output::Output;
use crate::{ca, password, session};
use medchain_sdk::ledger::embedded::EmbeddedLedger;
use medchain_sdk::wallet::{
    BackendProfile, IdentityLocation, NewWallet, UserRole, Wallet, embedded_identity,
};
use medchain_sdk::{connect, identity};

fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(path).map_err(|e| CliError::io("the path", path, &e))
}

/// The identity and backend the options ask for.
async fn choose(
    args: &InitArgs,
    kdf_floor: Option<medchain_protocol::v1::KdfFloor>,
) -> Result<(IdentityLocation, BackendProfile, Option<Zeroizing<String>>), CliError> {
    let Some(profile_path) = &args.gateway else {
        let dir = match &args.ledger {
            Some(dir) => dir.clone(),
            None => connect::default_dir("ledger")?,
        };
        let dir = absolute(&dir)?;
        // The ledger's local CA issues the certificate, with the role in it.
        // A new ledger gets the consortium's default KDF floor, or the
        // lowest one with --insecure-test-kdf.
        let ledger = EmbeddedLedger::open_with_kdf_floor(&dir, kdf_floor)
            .await
            .map_err(medchain_sdk::ledger::LedgerError::from)?;
        let (identity, key) =
            embedded_identity(ledger.ca(), &args.name, UserRole::from(args.role))?;
        let backend = BackendProfile::Embedded { dir };
        return Ok((identity, backend, Some(key)));
    };
    let profile_path = absolute(profile_path)?;
    let network = connect::NetworkProfile::read(&profile_path)?;
    if let Some(ca_arg) = &args.ca {
        let (identity, key, default_org) = enroll(args, &network, &profile_path, ca_arg).await?;
        let org = gateway_org(args, &network, default_org)?;
        return Ok((
            identity,
            BackendProfile::Gateway {
                profile: profile_path,
                org,
            },
            Some(key),
        ));
    }
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
    let org = gateway_org(args, &network, default_org)?;
    Ok((
        identity,
        BackendProfile::Gateway {
            profile: profile_path,
            org,
        },
        None,
    ))
}

/// The organisation whose gateway peer the wallet uses: `--org`, or the
/// one the identity belongs to.
fn gateway_org(
    args: &InitArgs,
    network: &connect::NetworkProfile,
    default_org: Option<String>,
) -> Result<String, CliError> {
    let org = args.org.clone().or(default_org).ok_or_else(|| {
        CliError::usage(format!(
            "give --org, the organisation whose gateway peer to use (one of: {})",
            network.orgs.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })?;
    network.org(&org)?;
    Ok(org)
}

/// Enrolls with the CA `--ca` names, the secret asked without echo (or
/// from `--secret-file` / `MEDCHAIN_CA_SECRET`): the identity, its key and
/// the CA's organisation when `--ca` named one.
async fn enroll(
    args: &InitArgs,
    network: &connect::NetworkProfile,
    profile_path: &Path,
    ca_arg: &str,
) -> Result<(IdentityLocation, Zeroizing<String>, Option<String>), CliError> {
    let target = ca::target(network, profile_path, ca_arg, &args.ca_endpoint)?;
    let (msp_id, org) = if ca::is_url(ca_arg) {
        let msp_id = args.msp_id.clone().ok_or_else(|| {
            CliError::usage("with a --ca URL, give --msp-id, the MSP id of the CA's organisation (e.g. Org2MSP)")
        })?;
        (msp_id, None)
    } else {
        (network.org(ca_arg)?.msp_id.clone(), Some(ca_arg.to_owned()))
    };
    let enrollment_id = args.enrollment_id.as_deref().unwrap_or_default();
    let secret = password::enrollment_secret(args.secret_file.as_deref())?;
    let enrolled = identity::enroll(
        &target,
        &msp_id,
        enrollment_id,
        &secret,
        UserRole::from(args.role),
    )
    .await?;
    Ok((enrolled.identity, enrolled.signing_key_pem, org))
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
    // A one-time CA secret is spent by enrolling: choose the password
    // first, so a mistyped one does not waste it.
    let early_password = match args.ca {
        Some(_) => Some(password::new(global.password_file.as_deref())?),
        None => None,
    };
    let (identity, backend, signing_key_pem) = choose(args, session::kdf_floor(global)).await?;
    let role = UserRole::from(args.role);
    let new = NewWallet {
        name: args.name.clone(),
        role,
        identity,
        backend,
        signing_key_pem,
    };
    // Check a Fabric identity loads before anything is written.
    connect::client_identity(&new.profile())?;
    let password = match early_password {
        Some(password) => password,
        None => password::new(global.password_file.as_deref())?,
    };
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
