//! Revoking participants for the future with a new key epoch (protocol
//! §7b): the patient or a family member opens epoch e without the revoked
//! (`txeo`, signed, with a fresh ephemeral key), every remaining member
//! answers with its epoch secret sealed to that key (`txer`), the opener
//! establishes a fresh key through the members' points and publishes the
//! epoch tag (`txet`, signed). Records are then sealed under the epoch's
//! key; every member still reads every epoch it belonged to with its
//! password alone.

use medchain_contract::Case;
use medchain_contract::epoch::{initial_members, next_members};
use medchain_protocol::signature::{
    epoch_signature_message, epoch_tag_signature_message, verify_low_s,
};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseOpening, EpochOpening, EpochResponse, EpochTag, InputParameter};
use medchain_siff::point::{decode_compressed_key, encode_compressed_key};
use medchain_siff::{
    CaseId, KdfPolicy, ParticipantSecret, RecordKey, Tag, establish_key, open_response,
    seal_response,
};
use p256::SecretKey;
use p256::ecdsa::VerifyingKey;
use prost::Message;
use rand_core::OsRng;
use zeroize::Zeroizing;

use super::epoch_secret;
use super::grant::{ephemeral_scalar, sign, speaker_key};
use super::records::published_tag;
use crate::ledger::Ledger;
use crate::wallet::Wallet;
use crate::workflow::case_view::CaseView;
use crate::workflow::selection::format_ind;
use crate::workflow::{SignedTag, WorkflowError};

/// The key epochs of a case: its epoch openings and tags, and the grantees
/// that are members of epoch 0 (everything needed to say who is a member
/// of which epoch and to check an epoch's tag).
#[derive(Debug, Clone, Default)]
pub(crate) struct Epochs {
    /// Every `txeo`.
    pub(crate) openings: Vec<EpochOpening>,
    /// Every `txet`.
    pub(crate) tags: Vec<EpochTag>,
    /// The grantees with a grant tag, in ledger order.
    pub(crate) grantees: Vec<u64>,
}

impl Epochs {
    /// Reads the epochs of case `id` page by page, keeping only them (memory
    /// does not grow with the case's records).
    pub(crate) async fn scan(ledger: &Ledger, id: &CaseId) -> Result<Self, WorkflowError> {
        let mut epochs = Self::default();
        let mut pages = ledger.case_pages(id.as_bytes());
        while let Some(page) = pages.next_page().await? {
            for stored in page {
                if let Some(record) = InputParameter::decode(stored.value.as_slice())
                    .ok()
                    .and_then(|i| i.record)
                {
                    epochs.observe(record);
                }
            }
        }
        Ok(epochs)
    }

    /// Keeps `record` if it is an epoch opening, an epoch tag or a grant
    /// tag (whose grantee is a member of epoch 0).
    pub(crate) fn observe(&mut self, record: Record) {
        match record {
            Record::Txeo(e) => self.openings.push(e),
            Record::Txet(e) => self.tags.push(e),
            Record::Txgt(g) => self.grantees.push(g.grantee),
            _ => {}
        }
    }

    /// The latest epoch opened (0 if none).
    pub(crate) fn latest(&self) -> u32 {
        self.openings.iter().map(|e| e.epoch).max().unwrap_or(0)
    }

    /// The opening of epoch `epoch`.
    pub(crate) fn opening(&self, epoch: u32) -> Option<&EpochOpening> {
        self.openings.iter().find(|e| e.epoch == epoch)
    }

    /// The tag of epoch `epoch`.
    pub(crate) fn tag(&self, epoch: u32) -> Option<&EpochTag> {
        self.tags.iter().find(|e| e.epoch == epoch)
    }

    /// The latest established epoch below `epoch` (0 at least): the
    /// epoch a new opening starts from (an epoch still collecting answers
    /// when a later one is opened is abandoned).
    pub(crate) fn base(&self, epoch: u32) -> u32 {
        (1..epoch)
            .rev()
            .find(|&e| self.tag(e).is_some())
            .unwrap_or(0)
    }

    /// The members of epoch `epoch`, in member order: those of the epoch
    /// it started from, without its revoked.
    pub(crate) fn members(&self, case: &Case, epoch: u32) -> Vec<u64> {
        let mut members = initial_members(case, &self.grantees);
        let mut chain = Vec::new();
        let mut e = epoch;
        while e > 0 {
            chain.push(e);
            e = self.base(e);
        }
        for e in chain.into_iter().rev() {
            if let Some(opening) = self.opening(e) {
                members.retain(|m| !opening.revoked.contains(m));
            }
        }
        members
    }

    /// Checks epoch `epoch`'s opening: signed by the patient or family
    /// member it names, who was a member of the epoch before.
    fn verified_opening(
        &self,
        opening: &CaseOpening,
        case: &Case,
        id: &CaseId,
        epoch: u32,
    ) -> Result<(&EpochOpening, p256::PublicKey), WorkflowError> {
        let case_hex = hex::encode(id.as_bytes());
        let eo = self.opening(epoch).ok_or_else(|| {
            WorkflowError::OutOfOrder(format!("case {case_hex} has no key epoch {epoch}"))
        })?;
        let untrusted = |why: String| {
            WorkflowError::Untrusted(format!(
                "key epoch {epoch} of case {case_hex} {why}; it is not used — the peer may be faulty or compromised, try another peer"
            ))
        };
        let opener = speaker_key(opening, case, eo.opener)?;
        if !self.members(case, self.base(epoch)).contains(&eo.opener) {
            return Err(untrusted(format!(
                "was opened by {}, who is not a member of the epoch it starts from",
                format_ind(eo.opener)
            )));
        }
        let message = epoch_signature_message(
            id.as_bytes(),
            epoch,
            eo.opener,
            &eo.revoked,
            &eo.opener_ephemeral_key,
        );
        verify_low_s(&VerifyingKey::from(&opener), &message, &eo.signature)
            .map_err(|fault| untrusted(format!("is not signed by its opener ({fault})")))?;
        Ok((eo, opener))
    }

    /// Epoch `epoch`'s tag once checked: its opening signed by its opener
    /// (a patient or family member of the case who was a member of the
    /// epoch before), the tag signed by that opener, one coefficient per
    /// member.
    pub(crate) fn signed_tag(
        &self,
        opening: &CaseOpening,
        case: &Case,
        id: &CaseId,
        epoch: u32,
    ) -> Result<SignedTag, WorkflowError> {
        let case_hex = hex::encode(id.as_bytes());
        let (_, opener) = self.verified_opening(opening, case, id, epoch)?;
        let et = self.tag(epoch).ok_or_else(|| {
            WorkflowError::OutOfOrder(format!(
                "key epoch {epoch} of case {case_hex} has no tag yet; wait for its opener's client to publish it"
            ))
        })?;
        let untrusted = |why: String| {
            WorkflowError::Untrusted(format!(
                "the tag of key epoch {epoch} of case {case_hex} {why}; it is not used — the peer may be faulty or compromised, try another peer"
            ))
        };
        verify_low_s(
            &VerifyingKey::from(&opener),
            &epoch_tag_signature_message(id.as_bytes(), epoch, &et.tag),
            &et.tag_signature,
        )
        .map_err(|fault| untrusted(format!("is not signed by the epoch's opener ({fault})")))?;
        let tag = Tag::from_bytes(&et.tag)?;
        if tag.participant_count() != self.members(case, epoch).len() {
            return Err(untrusted("does not match the epoch's members".into()));
        }
        Ok(SignedTag {
            tag,
            bytes: et.tag.clone(),
            signature: et.tag_signature.clone(),
        })
    }

    /// The record key of epoch `epoch` ≥ 1 as member `me` recovers it from
    /// the checked tag with its password; `None` when `me` is not a member
    /// of that epoch (revoked before it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_key(
        &self,
        opening: &CaseOpening,
        case: &Case,
        id: &CaseId,
        epoch: u32,
        me: u64,
        password: &str,
        policy: KdfPolicy,
    ) -> Result<Option<(SignedTag, RecordKey)>, WorkflowError> {
        if !self.members(case, epoch).contains(&me) {
            return Ok(None);
        }
        let signed = self.signed_tag(opening, case, id, epoch)?;
        let secret = epoch_secret(case, id, me, epoch, password, policy)?;
        let key = RecordKey::derive(&signed.tag.recover_key(&secret), id, &signed.tag)?;
        Ok(Some((signed, key)))
    }
}

impl CaseView {
    /// The case's key epochs.
    pub(crate) fn epochs(&self) -> Epochs {
        Epochs {
            openings: self.epoch_openings.clone(),
            tags: self.epoch_tags.clone(),
            grantees: self.grant_tags.iter().map(|g| g.grantee).collect(),
        }
    }
}

/// The wallet's name for the ephemeral scalar of an epoch opening.
fn ephemeral_name(case: &CaseId, epoch: u32, public: &[u8]) -> String {
    format!(
        "epoch:{}:{epoch}:{}",
        hex::encode(case.as_bytes()),
        hex::encode(public)
    )
}

/// The patient or a family member revokes `revoked` (indices of members of
/// the case's current epoch) for the future: opens the next key epoch
/// (`txeo`) among the remaining members with a fresh ephemeral key, kept in
/// the wallet until the epoch's tag is published. Returns the new epoch and
/// the opening's κ.
pub async fn open_epoch(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    revoked: &[u64],
) -> Result<(u32, [u8; 32]), WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    view.require_participant(ledger)?;
    let me = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    if speaker_key(&view.opening, &view.case, me).is_err() {
        return Err(WorkflowError::Invalid(format!(
            "only the patient or a family member named in case {case_hex} may revoke its participants"
        )));
    }
    if published_tag(ledger, case).await.is_err() {
        return Err(WorkflowError::OutOfOrder(format!(
            "case {case_hex} has no diagnosis yet, so its key is not established; revoke after the doctor's first record"
        )));
    }
    let epochs = view.epochs();
    let latest = epochs.latest();
    // An epoch still collecting answers (a member who never answers, a
    // lost wallet) is abandoned: the new one starts from the latest
    // established epoch.
    let previous = epochs.members(&view.case, epochs.base(latest + 1));
    if !previous.contains(&me) {
        return Err(WorkflowError::Invalid(format!(
            "you were revoked from case {case_hex} and cannot open its epochs"
        )));
    }
    let mut revoked = revoked.to_vec();
    revoked.sort_unstable();
    revoked.dedup();
    next_members(&previous, &revoked, me, view.case.doctor).map_err(WorkflowError::Invalid)?;
    let epoch = latest + 1;
    let ephemeral = SecretKey::random(&mut OsRng);
    let ephemeral_key = encode_compressed_key(&ephemeral.public_key()).to_vec();
    let message = epoch_signature_message(case.as_bytes(), epoch, me, &revoked, &ephemeral_key);
    let signature = sign(wallet, password, &message)?;
    let scalar = Zeroizing::new(hex::encode(ephemeral.to_bytes()));
    wallet.update_secrets(password, |s| {
        drop(s.set_ephemeral(&ephemeral_name(case, epoch, &ephemeral_key), &scalar));
    })?;
    let committed = ledger
        .store(&InputParameter {
            record: Some(Record::Txeo(EpochOpening {
                case_key: case.as_bytes().to_vec(),
                epoch,
                opener: me,
                revoked,
                opener_ephemeral_key: ephemeral_key,
                signature,
            })),
        })
        .await?;
    let kappa =
        committed.payload.as_slice().try_into().map_err(|_| {
            WorkflowError::Invalid("the ledger returned a malformed record key".into())
        })?;
    Ok((epoch, kappa))
}

/// A remaining member answers the case's latest epoch opening (`txer`): its
/// epoch secret, sealed to the opener's ephemeral key — once the opening's
/// signature verifies with the key of the patient or family member it names.
/// Returns the epoch answered.
pub async fn answer_epoch(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<u32, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let me = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    let epochs = view.epochs();
    let epoch = epochs.latest();
    if epoch == 0 || epochs.tag(epoch).is_some() {
        return Err(WorkflowError::OutOfOrder(format!(
            "case {case_hex} has no key epoch waiting for answers; nothing to do"
        )));
    }
    let (eo, _) = epochs.verified_opening(&view.opening, &view.case, case, epoch)?;
    if eo.opener == me || !epochs.members(&view.case, epoch).contains(&me) {
        return Err(WorkflowError::Invalid(format!(
            "you are not a member who answers key epoch {epoch} of case {case_hex}"
        )));
    }
    if view.epoch_response_of(epoch, me).is_some() {
        return Err(WorkflowError::OutOfOrder(format!(
            "you have already answered key epoch {epoch} of case {case_hex}; nothing to do"
        )));
    }
    let secret = epoch_secret(&view.case, &view.id, me, epoch, password, policy)?;
    let opener_key =
        decode_compressed_key(&eo.opener_ephemeral_key, "the epoch opener's ephemeral key")?;
    let sealed = seal_response(&secret, me, case, &opener_key, &mut OsRng)?;
    ledger
        .store(&InputParameter {
            record: Some(Record::Txer(EpochResponse {
                case_key: case.as_bytes().to_vec(),
                epoch,
                responder: me,
                ephemeral_key: sealed.ephemeral_key.to_vec(),
                sealed_secret: sealed.sealed_secret.to_vec(),
            })),
        })
        .await?;
    Ok(epoch)
}

/// The opener publishes the tag of the case's latest epoch (`txet`) once
/// every remaining member has answered: opens their secrets, derives its
/// own, establishes a fresh key through all of them in member order and
/// signs the tag; the ephemeral scalar is then deleted from the wallet.
/// Returns the epoch.
pub async fn publish_epoch_tag(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<u32, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let me = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    let epochs = view.epochs();
    let epoch = epochs.latest();
    let opening = epochs
        .opening(epoch)
        .filter(|e| e.opener == me && epochs.tag(epoch).is_none())
        .ok_or_else(|| {
            WorkflowError::Invalid(format!(
                "you have no key epoch of case {case_hex} waiting for its tag"
            ))
        })?;
    let members = epochs.members(&view.case, epoch);
    if let Some(&missing) = members
        .iter()
        .find(|&&m| m != me && view.epoch_response_of(epoch, m).is_none())
    {
        return Err(WorkflowError::OutOfOrder(format!(
            "{} has not answered key epoch {epoch} of case {case_hex} yet",
            format_ind(missing)
        )));
    }
    let name = ephemeral_name(case, epoch, &opening.opener_ephemeral_key);
    let ephemeral = ephemeral_scalar(
        wallet,
        password,
        &name,
        "epoch",
        &format!(
            "epoch {epoch} of case {case_hex}; publish the tag from the wallet that opened it"
        ),
    )?;
    let mut points: Vec<ParticipantSecret> = Vec::with_capacity(members.len());
    for &member in &members {
        if member == me {
            points.push(epoch_secret(
                &view.case, &view.id, me, epoch, password, policy,
            )?);
            continue;
        }
        let response = view.epoch_response_of(epoch, member).ok_or_else(|| {
            WorkflowError::OutOfOrder(format!("{} has not answered", format_ind(member)))
        })?;
        points.push(
            open_response(
                &ephemeral,
                member,
                case,
                &response.ephemeral_key,
                &response.sealed_secret,
            )
            .map_err(|_| {
                WorkflowError::UnusableResponse(format!(
                    "{} answered key epoch {epoch} of case {case_hex} with a secret that does not open with the epoch's key; this epoch cannot be completed",
                    format_ind(member)
                ))
            })?,
        );
    }
    let (_, tag) = establish_key(&points, &mut OsRng)?;
    let bytes = tag.to_bytes();
    let signature = sign(
        wallet,
        password,
        &epoch_tag_signature_message(case.as_bytes(), epoch, &bytes),
    )?;
    ledger
        .store(&InputParameter {
            record: Some(Record::Txet(EpochTag {
                case_key: case.as_bytes().to_vec(),
                epoch,
                tag: bytes,
                tag_signature: signature,
            })),
        })
        .await?;
    wallet.update_secrets(password, |s| drop(s.take_ephemeral(&name)))?;
    Ok(epoch)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    //! What a reader checks before it uses an epoch's tag, whoever served
    //! it: a lying peer's substituted opening or tag is refused.

    use super::*;
    use medchain_protocol::signature::sign_low_s;
    use medchain_protocol::v1::KdfParams;
    use p256::ecdsa::SigningKey;

    struct Fixture {
        opening: CaseOpening,
        case: Case,
        id: CaseId,
        patient: SigningKey,
        family: SigningKey,
    }

    fn vk(key: &SigningKey) -> Vec<u8> {
        key.verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    fn fixture() -> Fixture {
        let patient = SigningKey::random(&mut OsRng);
        let family = SigningKey::random(&mut OsRng);
        let opening = CaseOpening {
            patient_key: vk(&patient),
            family_keys: vec![vk(&family)],
            doctor: 7,
            insurers: vec![9],
            kdf: Some(KdfParams {
                m_kib: 8,
                t: 1,
                p: 1,
            }),
            ..CaseOpening::default()
        };
        let case = Case::from_opening(&opening).unwrap();
        Fixture {
            opening,
            case,
            id: CaseId::from_bytes([5; 32]),
            patient,
            family,
        }
    }

    /// Epoch 1 opened by `opener` (signed by `signer`) revoking the insurer,
    /// with a 3-coefficient tag signed by `tag_signer`.
    fn epochs(f: &Fixture, opener: u64, signer: &SigningKey, tag_signer: &SigningKey) -> Epochs {
        let eph = vec![2; 33];
        let message = epoch_signature_message(f.id.as_bytes(), 1, opener, &[9], &eph);
        let mut tag = vec![0; 3 * 66];
        tag[2 * 66 - 1] = 1;
        let tag_signature = sign_low_s(
            tag_signer,
            &epoch_tag_signature_message(f.id.as_bytes(), 1, &tag),
        );
        Epochs {
            openings: vec![EpochOpening {
                case_key: f.id.as_bytes().to_vec(),
                epoch: 1,
                opener,
                revoked: vec![9],
                opener_ephemeral_key: eph,
                signature: sign_low_s(signer, &message),
            }],
            tags: vec![EpochTag {
                case_key: f.id.as_bytes().to_vec(),
                epoch: 1,
                tag,
                tag_signature,
            }],
            grantees: Vec::new(),
        }
    }

    fn refusal(e: Epochs, f: &Fixture) -> String {
        match e.signed_tag(&f.opening, &f.case, &f.id, 1) {
            Err(WorkflowError::Untrusted(m)) => m,
            other => panic!("not refused as untrusted: {other:?}"),
        }
    }

    #[test]
    fn a_genuine_epoch_tag_is_accepted() {
        let f = fixture();
        let e = epochs(&f, f.case.family[0], &f.family, &f.family);
        assert_eq!(e.members(&f.case, 1), [f.case.patient, f.case.family[0], 7]);
        assert!(e.signed_tag(&f.opening, &f.case, &f.id, 1).is_ok());
    }

    #[test]
    fn a_substituted_opening_or_tag_is_refused() {
        let f = fixture();
        let family = f.case.family[0];
        // The opening signed by someone else than the opener it names.
        let m = refusal(epochs(&f, family, &f.patient, &f.family), &f);
        assert!(m.contains("is not signed by its opener"), "{m}");
        // A tag signed by someone else than the opener.
        let m = refusal(epochs(&f, family, &f.family, &f.patient), &f);
        assert!(m.contains("is not signed by the epoch's opener"), "{m}");
        // A tag with a coefficient too many for the epoch's members.
        let mut e = epochs(&f, family, &f.family, &f.family);
        let tag = &mut e.tags[0];
        tag.tag.extend_from_slice(&[0; 66]);
        tag.tag_signature = sign_low_s(
            &f.family,
            &epoch_tag_signature_message(f.id.as_bytes(), 1, &tag.tag),
        );
        let m = refusal(e, &f);
        assert!(m.contains("does not match the epoch's members"), "{m}");
    }

    #[test]
    fn an_opener_revoked_earlier_is_refused_and_an_abandoned_epoch_revokes_nobody() {
        let f = fixture();
        let family = f.case.family[0];
        // Epoch 1 (established) revoked the family member; an epoch 2
        // opened by it is refused.
        let mut e = epochs(&f, f.case.patient, &f.patient, &f.patient);
        e.openings[0].revoked = vec![family];
        e.openings.push(EpochOpening {
            epoch: 2,
            opener: family,
            ..e.openings[0].clone()
        });
        assert!(matches!(
            e.verified_opening(&f.opening, &f.case, &f.id, 2),
            Err(WorkflowError::Untrusted(m)) if m.contains("not a member of the epoch it starts from")
        ));
        // Without epoch 1's tag, epoch 1 was abandoned: epoch 2 starts from
        // epoch 0 and the family member is a member again.
        e.tags.clear();
        e.openings[1].revoked = vec![9];
        assert_eq!(e.base(2), 0);
        assert_eq!(e.members(&f.case, 2), [f.case.patient, family, 7]);
    }
}
