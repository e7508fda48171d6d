//! `medchain whoami`: who this wallet is — its certificate's issuer, role
//! attribute (`medchain.role`), MSP id, serial and expiry — and its contact
//! card.

use std::time::SystemTime;

use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::{Value, json};

use crate::args::{GlobalArgs, WhoamiArgs};
use crate::contact::Contact;
use crate::error::CliError;
use crate::output::Output;
use crate::qr;
use crate::session::Session;
use medchain_protocol::participant_index;
use medchain_sdk::connect;
use medchain_sdk::identity::CertificateInfo;
use medchain_sdk::wallet::{IdentityLocation, Wallet, WalletProfile};
use medchain_sdk::workflow::format_ind;

/// The wallet's contact card.
pub fn contact(profile: &WalletProfile) -> Result<Contact, CliError> {
    let public_key = connect::client_public_key(profile)?;
    let key = hex::encode(public_key.to_encoded_point(false).as_bytes());
    Ok(Contact::new(
        &profile.name,
        profile.role.name(),
        participant_index(&public_key),
        &key,
    ))
}

fn describe_identity(identity: &IdentityLocation) -> String {
    match identity {
        IdentityLocation::Embedded { msp_id, .. } => {
            format!("self-signed certificate for the embedded ledger ({msp_id})")
        }
        IdentityLocation::MspFolder { msp_id, path } => {
            format!("MSP folder {} ({msp_id})", path.display())
        }
        IdentityLocation::Files {
            msp_id,
            certificate,
            ..
        } => format!("certificate {} ({msp_id})", certificate.display()),
        IdentityLocation::Enrolled { msp_id, ca, .. } => format!(
            "enrolled as {} with the Fabric CA {} ({msp_id})",
            ca.enrollment_id, ca.url
        ),
    }
}

/// What the wallet's certificate says: text lines and JSON.
fn describe_certificate(profile: &WalletProfile) -> Result<(String, Value), CliError> {
    let identity = connect::client_identity(profile)?;
    let info = CertificateInfo::from_pem(identity.certificate_pem())?;
    let status = if info.expired_at(SystemTime::now()) {
        "expired: run `medchain renew`"
    } else {
        "valid"
    };
    let role = info.role.clone().unwrap_or_else(|| "(none)".to_owned());
    let human = format!(
        "msp id      {}\nissuer      {}\nrole attr   {role}\nserial      {}\nexpires     {} ({status})\nhistory     {} earlier certificate(s)",
        identity.msp_id(),
        info.issuer,
        info.serial,
        info.not_after_text(),
        profile.previous_identities.len()
    );
    let json = json!({
        "msp_id": identity.msp_id(),
        "issuer": info.issuer,
        "role_attribute": info.role,
        "serial": info.serial,
        "not_after": info.not_after_text(),
        "expired": info.expired_at(SystemTime::now()),
        "previous_certificates": profile.previous_identities.len(),
    });
    Ok((human, json))
}

/// The wallet's description: text and JSON.
pub fn describe(wallet: &Wallet, profile: &WalletProfile) -> Result<(String, Value), CliError> {
    let card = contact(profile)?;
    let backend = connect::describe(&profile.backend);
    let identity = describe_identity(&profile.identity);
    let (certificate, certificate_json) = describe_certificate(profile)?;
    let human = format!(
        "name        {}\nrole        {}\nindex       {}\npublic key  {}\nidentity    {identity}\n{certificate}\nbackend     {backend}\nwallet      {}",
        card.name,
        card.role,
        card.index,
        card.public_key,
        wallet.dir().display()
    );
    let json = json!({
        "certificate": certificate_json,
        "name": card.name,
        "role": card.role,
        "index": card.index,
        "public_key": card.public_key,
        "identity": identity,
        "backend": backend,
        "wallet": wallet.dir(),
        "cases": profile.cases.len(),
    });
    Ok((human, json))
}

/// Runs `medchain whoami`.
pub fn run(global: &GlobalArgs, args: &WhoamiArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let (human, mut json) = describe(&session.wallet, &session.profile)?;
    let card = contact(&session.profile)?;
    if let Some(path) = &args.out {
        std::fs::write(path, card.to_json() + "\n")
            .map_err(|e| CliError::io("the contact file", path, &e))?;
        json["contact_file"] = json!(path);
    }
    if let Some(path) = &args.png {
        std::fs::write(path, qr::encode_png(&card.to_json())?)
            .map_err(|e| CliError::io("the contact QR code", path, &e))?;
        json["contact_png"] = json!(path);
    }
    out.result(&human, &json);
    if args.qr {
        out.text(&qr::render_terminal(&card.to_json())?);
        out.text(&format!(
            "(contact card of {} — index {})",
            card.name,
            format_ind(participant_index(&connect::client_public_key(
                &session.profile
            )?))
        ));
    }
    Ok(())
}
