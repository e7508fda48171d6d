//! `medchain grant`: the patient or a family member grants an established
//! case to a new participant (`txgo`).

use serde_json::json;

use crate::args::{GlobalArgs, GrantArgs};
use crate::contact::{resolve_index, resolve_public_key};
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_protocol::v1::Role;
use medchain_sdk::workflow::{self, Grantee, format_ind, parse_ind, parse_public_key};

/// The grantee the options name.
fn grantee(args: &GrantArgs) -> Result<Grantee, CliError> {
    let registered = [
        (&args.lawyer, Role::LawyerExpert),
        (&args.doctor, Role::Doctor),
        (&args.pharmacist, Role::Pharmacist),
        (&args.insurer, Role::Insurer),
    ];
    for (value, role) in registered {
        if let Some(value) = value {
            let ind = parse_ind(&resolve_index(value)?)?;
            return Ok(Grantee::Registered { ind, role });
        }
    }
    match &args.family {
        Some(value) => Ok(Grantee::Family {
            key: parse_public_key(&resolve_public_key(value)?)?,
        }),
        None => Err(CliError::usage(
            "name the grantee with --lawyer, --doctor, --pharmacist, --insurer or --family",
        )),
    }
}

/// Runs `medchain grant`.
pub async fn run(global: &GlobalArgs, args: &GrantArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    let grantee = grantee(args)?;
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let kappa = progress::during(
        out,
        "storing the grant (txgo) and waiting for the commit",
        workflow::grant(&ledger, &session.wallet, &password, &case, &grantee),
    )
    .await?;
    let case_hex = hex::encode(case.as_bytes());
    let ind = format_ind(grantee.ind()?);
    out.result(
        &format!(
            "granted case {case_hex} to {ind} (grant {}); their watcher answers, then yours publishes the grant tag (`medchain watch`)",
            hex::encode(kappa)
        ),
        &json!({"case": case_hex, "grantee": ind, "grant": hex::encode(kappa)}),
    );
    Ok(())
}
