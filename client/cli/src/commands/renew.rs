//! `medchain renew`: re-enrolls the wallet's certificate with the CA that
//! issued it, keeping the key pair (so the participant index never changes);
//! the old certificate stays in the wallet's history.

use serde_json::json;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::output::Output;
use crate::progress;
use crate::session::Session;
use medchain_sdk::connect;
use medchain_sdk::identity;
use medchain_sdk::workflow::format_ind;

/// Runs `medchain renew`.
pub async fn run(global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let session = Session::open(global)?;
    let password = session.unlock()?;
    let index =
        medchain_protocol::participant_index(&connect::client_public_key(&session.profile)?);
    let renewal = progress::during(
        out,
        "renewing the certificate",
        identity::renew(&session.wallet, &password),
    )
    .await?;
    let profile = session.wallet.profile()?;
    let after = medchain_protocol::participant_index(&connect::client_public_key(&profile)?);
    if after != index {
        return Err(CliError::failure(
            "the renewed certificate carries another key than the wallet's; keep the wallet as it is and report this to your organisation's administrator",
        ));
    }
    let human = format!(
        "renewed the certificate: serial {} (expires {}) replaces {} (expires {}); the index stays {}; {} earlier certificate(s) kept",
        renewal.new.serial,
        renewal.new.not_after_text(),
        renewal.old.serial,
        renewal.old.not_after_text(),
        format_ind(after),
        profile.previous_identities.len()
    );
    out.result(
        &human,
        &json!({
            "renewed": true,
            "index": format_ind(after),
            "serial": renewal.new.serial,
            "not_after": renewal.new.not_after_text(),
            "previous_serial": renewal.old.serial,
            "previous_certificates": profile.previous_identities.len(),
        }),
    );
    Ok(())
}
