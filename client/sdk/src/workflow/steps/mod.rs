//! The workflow steps, one function each: register, open a case, answer
//! it, establish its key, store records, read them and audit a case.

mod attach;
mod epoch;
mod establish;
mod grant;
mod open;
mod records;
mod register;
mod respond;

pub use attach::{
    AttachmentProgress, AttachmentTarget, add_record_with_attachments, save_attachments,
};
pub use epoch::{answer_epoch, open_epoch, publish_epoch_tag};
pub use establish::establish;
pub use grant::{Grantee, answer_grant, grant, publish_grant_tag};
pub use open::{case_opening, open_case};
pub use records::{AuditSummary, add_record, audit, audit_pages, read_record, recover_case_key};
pub use register::{ensure_registered, public_key_hex, register};
pub use respond::respond;

use super::WorkflowError;
use super::case_view::kdf_of;
use medchain_contract::Case;
use medchain_siff::{CaseId, KdfPolicy, ParticipantSecret};

/// The participant's secret `s_x` for case `id`, from its password.
pub(super) fn participant_secret(
    case: &Case,
    id: &CaseId,
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<ParticipantSecret, WorkflowError> {
    let kdf = kdf_of(case);
    kdf.check_policy(policy)?;
    Ok(ParticipantSecret::derive(password, id, ind, &kdf)?)
}

/// The participant's secret for key epoch `epoch` of case `id` (epoch 0:
/// [`participant_secret`]).
pub(super) fn epoch_secret(
    case: &Case,
    id: &CaseId,
    ind: u64,
    epoch: u32,
    password: &str,
    policy: KdfPolicy,
) -> Result<ParticipantSecret, WorkflowError> {
    let kdf = kdf_of(case);
    kdf.check_policy(policy)?;
    Ok(ParticipantSecret::derive_for_epoch(
        password, id, ind, epoch, &kdf,
    )?)
}
