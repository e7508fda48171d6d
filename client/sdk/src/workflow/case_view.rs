//! A case as read from the ledger with `GetCase`: the opening, the
//! responses and the records, decoded and checked.

use medchain_contract::{Case, ParticipantRef};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseOpening, CaseRecord, CaseResponse, EpochOpening, EpochResponse, EpochTag, GrantOpening,
    GrantResponse, GrantTag, InputParameter, StoredRecord,
};

use prost::Message;

use super::WorkflowError;
use crate::ledger::Ledger;
use medchain_siff::{CaseId, KdfParams, RecordType};

/// One stored record of a case with its decoded body.
#[derive(Debug, Clone)]
pub struct CaseEntryRecord {
    /// The record's key κ.
    pub key: [u8; 32],
    /// `txd`, `txm` or `txa`.
    pub record_type: RecordType,
    /// The Fabric transaction that stored it.
    pub tx_id: String,
    /// The decoded record.
    pub record: CaseRecord,
}

/// Everything stored for a case, in ledger order.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// κ0.
    pub id: CaseId,
    /// The `txtc` record.
    pub opening: CaseOpening,
    /// The participants.
    pub case: Case,
    /// Every `txtr`, with the tx id that stored it.
    pub responses: Vec<(CaseResponse, String)>,
    /// Every `txd`, `txm` and `txa`.
    pub records: Vec<CaseEntryRecord>,
    /// Every grant (`txgo`).
    pub grants: Vec<GrantOpening>,
    /// Every grantee's answer (`txgr`).
    pub grant_responses: Vec<GrantResponse>,
    /// Every grant tag (`txgt`).
    pub grant_tags: Vec<GrantTag>,
    /// Every key-epoch opening (`txeo`).
    pub epoch_openings: Vec<EpochOpening>,
    /// Every answer to one (`txer`).
    pub epoch_responses: Vec<EpochResponse>,
    /// Every epoch tag (`txet`).
    pub epoch_tags: Vec<EpochTag>,
}

impl CaseView {
    /// Reads a whole case from the ledger, page by page
    /// ([`Ledger::case_pages`], which checks that every record is the one
    /// stored under its key and belongs to the case: one faulty or
    /// compromised peer cannot substitute content), and holds all of it:
    /// for short uses; [`crate::workflow::audit_pages`] streams a case.
    pub async fn load(ledger: &Ledger, id: &CaseId) -> Result<Self, WorkflowError> {
        let stored = match ledger.get_case(id.as_bytes()).await {
            Ok(stored) => stored,
            Err(e) if e.is_not_found() => {
                return Err(WorkflowError::UnknownCase(hex::encode(id.as_bytes())));
            }
            Err(e) => return Err(e.into()),
        };
        let mut opening = None;
        let mut responses = Vec::new();
        let mut records = Vec::new();
        let (mut grants, mut grant_responses, mut grant_tags) =
            (Vec::new(), Vec::new(), Vec::new());
        let (mut epoch_openings, mut epoch_responses, mut epoch_tags) =
            (Vec::new(), Vec::new(), Vec::new());
        for StoredRecord {
            key, value, tx_id, ..
        } in stored.records
        {
            let malformed = || {
                WorkflowError::Invalid(format!(
                    "the ledger returned a malformed record {}",
                    hex::encode(&key)
                ))
            };
            let record = InputParameter::decode(value.as_slice())
                .ok()
                .and_then(|i| i.record)
                .ok_or_else(malformed)?;
            let key: [u8; 32] = key.as_slice().try_into().map_err(|_| malformed())?;
            match record {
                Record::Txtc(o) => opening = Some(o),
                Record::Txtr(r) => responses.push((r, tx_id)),
                Record::Txd(r) => records.push(CaseEntryRecord {
                    key,
                    record_type: RecordType::Diagnosis,
                    tx_id,
                    record: r,
                }),
                Record::Txm(r) => records.push(CaseEntryRecord {
                    key,
                    record_type: RecordType::Medication,
                    tx_id,
                    record: r,
                }),
                Record::Txa(r) => records.push(CaseEntryRecord {
                    key,
                    record_type: RecordType::Compensation,
                    tx_id,
                    record: r,
                }),
                Record::Txgo(g) => grants.push(g),
                Record::Txgr(g) => grant_responses.push(g),
                Record::Txgt(g) => grant_tags.push(g),
                Record::Txeo(e) => epoch_openings.push(e),
                Record::Txer(e) => epoch_responses.push(e),
                Record::Txet(e) => epoch_tags.push(e),
                Record::Reg(_) => return Err(malformed()),
            }
        }
        let opening =
            opening.ok_or_else(|| WorkflowError::UnknownCase(hex::encode(id.as_bytes())))?;
        let case = Case::from_opening(&opening).map_err(WorkflowError::Invalid)?;
        Ok(Self {
            id: *id,
            opening,
            case,
            responses,
            records,
            grants,
            grant_responses,
            grant_tags,
            epoch_openings,
            epoch_responses,
            epoch_tags,
        })
    }

    /// Member `ind`'s answer to key epoch `epoch`, if any.
    pub fn epoch_response_of(&self, epoch: u32, ind: u64) -> Option<&EpochResponse> {
        self.epoch_responses
            .iter()
            .find(|e| e.epoch == epoch && e.responder == ind)
    }

    /// The grant of this case to `ind`, if any.
    pub fn grant_to(&self, ind: u64) -> Option<&GrantOpening> {
        self.grants.iter().find(|g| g.grantee == ind)
    }

    /// The answer of grantee `ind` to its grant, if any.
    pub fn grant_response_of(&self, ind: u64) -> Option<&GrantResponse> {
        self.grant_responses.iter().find(|g| g.grantee == ind)
    }

    /// The grant tag for grantee `ind`, if any.
    pub fn grant_tag_of(&self, ind: u64) -> Option<&GrantTag> {
        self.grant_tags.iter().find(|g| g.grantee == ind)
    }

    /// The case's Argon2id parameters.
    pub fn kdf(&self) -> KdfParams {
        kdf_of(&self.case)
    }

    /// The tag the case's first record carries, if any record exists,
    /// unchecked: for display and for "is the key published yet"; before
    /// using a tag, check it with [`crate::workflow::verified_tag`].
    pub fn tag(&self) -> Option<&[u8]> {
        self.records
            .iter()
            .find(|r| r.record.epoch == 0)
            .map(|r| r.record.tag.as_slice())
    }

    /// Whether `ind` has answered the case opening.
    pub fn has_answered(&self, ind: u64) -> bool {
        self.responses.iter().any(|(r, _)| r.responder == ind)
    }

    /// The participants who have not answered yet.
    pub fn missing_responses(&self) -> Vec<u64> {
        self.case
            .responders()
            .into_iter()
            .filter(|&ind| !self.has_answered(ind))
            .collect()
    }

    /// Checks that the ledger identity is a participant of the case
    /// (patients and family members by full public key).
    pub fn require_participant(&self, ledger: &Ledger) -> Result<(), WorkflowError> {
        let is_member = match self.case.role_of(ledger.ind()) {
            None => false,
            Some(who @ (ParticipantRef::Patient | ParticipantRef::Family(_))) => {
                self.case.named_by_key(who, ledger.public_key())
            }
            Some(_) => true,
        };
        if is_member {
            Ok(())
        } else {
            Err(WorkflowError::NotParticipant(hex::encode(
                self.id.as_bytes(),
            )))
        }
    }
}

/// The Argon2id parameters of a case.
pub(crate) fn kdf_of(case: &Case) -> KdfParams {
    let k = case.kdf;
    KdfParams {
        m_kib: k.m_kib,
        t: k.t,
        p: k.p,
    }
}
