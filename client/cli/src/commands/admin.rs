//! `medchain admin`: an organisation's registrar registers people with its
//! Fabric CA (their role in their certificates) or revokes them.

use serde_json::json;

use crate::args::{AdminCommand, AdminTargetArgs};
use crate::ca;
use crate::error::CliError;
use crate::output::Output;
use medchain_sdk::connect::NetworkProfile;
use medchain_sdk::identity::{self, CaTarget, Registrar};
use medchain_sdk::wallet::UserRole;

/// The CA and the registrar the options name.
fn open(args: &AdminTargetArgs) -> Result<(CaTarget, Registrar), CliError> {
    let path = std::path::absolute(&args.gateway)
        .map_err(|e| CliError::io("the network profile", &args.gateway, &e))?;
    let network = NetworkProfile::read(&path)?;
    let target = ca::target(&network, &path, &args.ca, &args.ca_endpoint)?;
    let msp = match &args.registrar_msp {
        Some(dir) => dir.clone(),
        None => network
            .orgs
            .get(&args.ca)
            .and_then(|org| org.ca.as_ref())
            .and_then(|ca| ca.registrar.as_ref())
            .map(|r| r.msp_dir.clone())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "the network profile names no registrar for {}; give the registrar's MSP folder with --registrar-msp DIR",
                    args.ca
                ))
            })?,
    };
    Ok((target, Registrar::from_msp_folder(&msp)?))
}

/// Runs `medchain admin …`.
pub async fn run(command: &AdminCommand, out: &Output) -> Result<(), CliError> {
    match command {
        AdminCommand::Register(args) => {
            let (target, registrar) = open(&args.target)?;
            let role = UserRole::from(args.role);
            let id = &args.target.id;
            let secret = identity::register(&target, &registrar, id, role).await?;
            // The one-time secret is printed here, once, for the person to
            // enroll with (`medchain init --ca`); it is stored nowhere.
            out.result(
                &format!(
                    "registered {id} as {role} with {}\none-time enrollment secret: {}\nhand it to {id} privately; they enroll with `medchain init --ca {} --enrollment-id {id} --role {role} …`",
                    target.url,
                    secret.as_str(),
                    args.target.ca
                ),
                &json!({"registered": id, "role": role.name(), "ca": target.url, "secret": secret.as_str()}),
            );
            Ok(())
        }
        AdminCommand::Revoke(args) => {
            let (target, registrar) = open(args)?;
            let revoked = identity::revoke(&target, &registrar, &args.id).await?;
            let serials: Vec<&str> = revoked.iter().map(|c| c.serial.as_str()).collect();
            out.result(
                &format!(
                    "revoked {} at {}: {} certificate(s) ({})",
                    args.id,
                    target.url,
                    serials.len(),
                    serials.join(", ")
                ),
                &json!({"revoked": args.id, "ca": target.url, "serials": serials}),
            );
            out.note(
                "next: publish the CA's revocation list into the channel so the peers refuse the certificate too (the test network: network/publish-crl.sh ORG; a consortium: a channel configuration update, docs/deploy.md)",
            );
            Ok(())
        }
    }
}
