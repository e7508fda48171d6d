//! `medchain revoke`: the patient or a family member revokes participants
//! of a case for the future with a new key epoch (`txeo`), or publishes the
//! epoch's tag once every remaining member has answered (`txet`).

use serde_json::json;

use crate::args::{GlobalArgs, RevokeArgs};
use crate::contact::resolve_index;
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::{Session, parse_case};
use medchain_sdk::workflow::{self, format_ind, parse_ind};

/// Runs `medchain revoke`.
pub async fn run(global: &GlobalArgs, args: &RevokeArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let case = parse_case(&args.case)?;
    let revoked = args
        .participant
        .iter()
        .map(|p| Ok(parse_ind(&resolve_index(p)?)?))
        .collect::<Result<Vec<u64>, CliError>>()?;
    let password = session.unlock()?;
    let ledger = session.connect(&password).await?;
    let case_hex = hex::encode(case.as_bytes());
    if args.publish {
        let epoch = progress::during(
            out,
            "opening the members' answers, establishing the epoch key and storing its tag (txet)",
            workflow::publish_epoch_tag(&ledger, &session.wallet, &password, &case, session.policy),
        )
        .await?;
        out.result(
            &format!(
                "published the tag of key epoch {epoch} of case {case_hex}; later records are sealed for its members only"
            ),
            &json!({"case": case_hex, "epoch": epoch, "published": true}),
        );
        return Ok(());
    }
    let (epoch, kappa) = progress::during(
        out,
        "opening a new key epoch (txeo) and waiting for the commit",
        workflow::open_epoch(&ledger, &session.wallet, &password, &case, &revoked),
    )
    .await?;
    let names: Vec<String> = revoked.iter().map(|&i| format_ind(i)).collect();
    out.result(
        &format!(
            "opened key epoch {epoch} of case {case_hex} without {} (opening {}); the remaining members' watchers answer, then yours publishes the epoch tag (`medchain watch`, or `medchain revoke --case {case_hex} --publish`)",
            names.join(", "),
            hex::encode(kappa)
        ),
        &json!({"case": case_hex, "epoch": epoch, "revoked": names, "opening": hex::encode(kappa)}),
    );
    Ok(())
}
