//! The diagnosis-and-treatment workflow, one function per step, usable from
//! the CLI and from tests (the paper's "Diagnosis and treatment
//! initialization / process"):
//!
//! 1. doctors, pharmacists, insurers and lawyers/experts [`register`];
//! 2. the patient makes a [`Selection`] and hands it to the doctor (file or
//!    QR code);
//! 3. the doctor opens the case ([`open_case`], `txtc`);
//! 4. every other participant answers ([`respond`], `txtr`);
//! 5. the doctor establishes the key ([`establish`]) and stores the
//!    diagnosis; pharmacists and insurers add their records
//!    ([`add_record`], `txd` / `txm` / `txa`);
//! 6. anyone in the case — years later too — reads them with its password
//!    alone ([`audit`], [`read_record`]).
//!
//! A [`Watcher`] reacts to a user's events (answers case openings,
//! establishes the key when the last response arrives, reports new
//! records) and resumes from its checkpoint after a restart.

mod case_view;
mod error;
mod selection;
mod steps;
mod trust;
mod watch;

use zeroize::Zeroizing;

pub use case_view::{CaseEntryRecord, CaseView};
pub use error::WorkflowError;
pub use selection::{
    ParsedSelection, SELECTION_FORMAT, Selection, format_ind, parse_ind, parse_public_key,
};
pub use steps::{
    AttachmentProgress, AttachmentTarget, AuditSummary, Grantee, add_record,
    add_record_with_attachments, answer_epoch, answer_grant, audit, audit_pages, case_opening,
    ensure_registered, establish, grant, open_case, open_epoch, public_key_hex, publish_epoch_tag,
    publish_grant_tag, read_record, recover_case_key, register, respond, save_attachments,
};
pub use trust::{SignedTag, TagCheck, verified_tag, verify_doctor};
pub use watch::{Notification, Watcher};

use medchain_siff::RecordType;

/// A decrypted record of a case.
pub struct DecryptedRecord {
    /// The record's key κ.
    pub key: [u8; 32],
    /// Its case κ0.
    pub case: [u8; 32],
    /// The key epoch it is sealed in (0: the case's own key; protocol
    /// §7b). A record of an epoch the reader is not a member of (revoked
    /// before it) carries no plaintext.
    pub epoch: u32,
    /// Diagnosis, medication or compensation.
    pub record_type: RecordType,
    /// The transaction that stored it.
    pub tx_id: String,
    /// The plaintext (zeroized on drop); `None` when this record does not
    /// open with the case key although others do (written with another key
    /// or damaged).
    pub plaintext: Option<Zeroizing<Vec<u8>>>,
    /// The attachments the record names (fetch them with
    /// [`save_attachments`]).
    pub attachments: Vec<crate::attachments::AttachmentRef>,
    /// Why the record's body is not valid, when it opened but its
    /// attachment references are not ones a writer could have made (its
    /// raw plaintext is then in `plaintext` and `attachments` is empty).
    pub body_error: Option<crate::body::BodyError>,
}

impl std::fmt::Debug for DecryptedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptedRecord")
            .field("key", &hex::encode(self.key))
            .field("record_type", &self.record_type)
            .field("epoch", &self.epoch)
            .field("tx_id", &self.tx_id)
            .field("attachments", &self.attachments.len())
            .field(
                "plaintext",
                &self
                    .plaintext
                    .as_ref()
                    .map(|p| format!("<{} bytes>", p.len())),
            )
            .finish()
    }
}
