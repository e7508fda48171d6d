//! Granting an established case to someone new (protocol §7a): the patient
//! or a family member opens the grant (`txgo`, signed, with a fresh
//! ephemeral key), the grantee answers with its secret sealed to that key
//! (`txgr`), the granter publishes a grant tag through its own and the
//! grantee's SIFF points that yields the case key (`txgt`, signed). The
//! grantee then reads every record of the case, past and future, with its
//! password alone.

use fabric_gateway::sign_message;
use medchain_contract::{Case, ParticipantRef};
use medchain_protocol::signature::{
    grant_signature_message, grant_tag_signature_message, verify_low_s,
};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseOpening, GrantOpening, GrantResponse, GrantTag, InputParameter, Role,
};
use medchain_protocol::{identity_key, participant_index};
use medchain_siff::point::{decode_compressed_key, encode_compressed_key};
use medchain_siff::{CaseId, KdfPolicy, SharedKey, Tag, grant_tag, open_response, seal_response};
use p256::SecretKey;
use p256::ecdsa::VerifyingKey;
use prost::Message;
use rand_core::OsRng;
use zeroize::Zeroizing;

use super::participant_secret;
use super::records::published_tag;
use crate::connect;
use crate::ledger::Ledger;
use crate::wallet::Wallet;
use crate::workflow::WorkflowError;
use crate::workflow::case_view::CaseView;
use crate::workflow::selection::format_ind;

/// Who a case is granted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// A registered doctor (second opinion), pharmacist, insurer or
    /// lawyer/expert, by index.
    Registered {
        /// Its index.
        ind: u64,
        /// The role it is registered with.
        role: Role,
    },
    /// A new family member or legal agent, by identity key (65 bytes).
    Family {
        /// Its SEC1 uncompressed P-256 key.
        key: Vec<u8>,
    },
}

impl Grantee {
    /// The grantee's index.
    pub fn ind(&self) -> Result<u64, WorkflowError> {
        match self {
            Self::Registered { ind, .. } => Ok(*ind),
            Self::Family { key } => {
                Ok(participant_index(&identity_key(key).map_err(|e| {
                    WorkflowError::Invalid(format!("the grantee's key: {e}"))
                })?))
            }
        }
    }
}

/// The wallet's name for the ephemeral scalar of a grant: the case, the
/// grantee and the public key the grant carries, so only the scalar of the
/// grant on the ledger is ever used.
fn ephemeral_name(case: &CaseId, grantee: u64, public: &[u8]) -> String {
    format!(
        "grant:{}:{grantee:016x}:{}",
        hex::encode(case.as_bytes()),
        hex::encode(public)
    )
}

/// The identity key of the case's patient or family member `ind`.
pub(super) fn speaker_key(
    opening: &CaseOpening,
    case: &Case,
    ind: u64,
) -> Result<p256::PublicKey, WorkflowError> {
    let bytes = match case.role_of(ind) {
        Some(ParticipantRef::Patient) => Some(&opening.patient_key),
        Some(ParticipantRef::Family(n)) => opening.family_keys.get(n),
        _ => None,
    }
    .ok_or_else(|| {
        WorkflowError::Untrusted(format!(
            "the grant names granter {}, who is neither the patient nor a family member of the case",
            format_ind(ind)
        ))
    })?;
    identity_key(bytes).map_err(|e| WorkflowError::Invalid(format!("a case key: {e}")))
}

/// The ephemeral scalar the wallet keeps under `name` (a grant's or an
/// epoch opening's, `what`); `missing` completes "this wallet does not
/// hold the key of …" when it is absent.
pub(super) fn ephemeral_scalar(
    wallet: &Wallet,
    password: &str,
    name: &str,
    what: &str,
    missing: &str,
) -> Result<SecretKey, WorkflowError> {
    let secrets = wallet.secrets(password)?;
    let damaged = || WorkflowError::Invalid(format!("the wallet's {what} key is damaged"));
    let scalar = Zeroizing::new(
        hex::decode(secrets.ephemeral(name).ok_or_else(|| {
            WorkflowError::Invalid(format!("this wallet does not hold the key of {missing}"))
        })?)
        .map_err(|_| damaged())?,
    );
    SecretKey::from_slice(&scalar).map_err(|_| damaged())
}

/// Signs `message` with the wallet's identity key.
pub(super) fn sign(
    wallet: &Wallet,
    password: &str,
    message: &[u8],
) -> Result<Vec<u8>, WorkflowError> {
    let profile = wallet.profile()?;
    let secrets = wallet.secrets(password)?;
    let signer = connect::identity_signer(&profile, &secrets)
        .map_err(|e| WorkflowError::Invalid(format!("your key cannot sign the grant: {e}")))?;
    sign_message(&signer, message)
        .map_err(|e| WorkflowError::Invalid(format!("your key cannot sign the grant: {e}")))
}

/// The patient or a family member grants `case` to `grantee` (`txgo`): the
/// case key must be established (the doctor's first record stored). A fresh
/// ephemeral key is made for the grantee's answer and kept in the wallet
/// until the grant tag is published. Returns the grant's κ.
pub async fn grant(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    grantee: &Grantee,
) -> Result<[u8; 32], WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let me = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    if !matches!(
        view.case.role_of(me),
        Some(ParticipantRef::Patient | ParticipantRef::Family(_))
    ) {
        return Err(WorkflowError::Invalid(format!(
            "only the patient or a family member named in case {case_hex} may grant it"
        )));
    }
    if published_tag(ledger, case).await.is_err() {
        return Err(WorkflowError::OutOfOrder(format!(
            "case {case_hex} has no diagnosis yet, so its key is not established; grant it after the doctor's first record"
        )));
    }
    let ind = grantee.ind()?;
    if view.case.role_of(ind).is_some() {
        return Err(WorkflowError::Invalid(format!(
            "{} is already a participant of case {case_hex}; it reads the case with its password",
            format_ind(ind)
        )));
    }
    if view.grant_to(ind).is_some() {
        return Err(WorkflowError::OutOfOrder(format!(
            "case {case_hex} is already granted to {}; a case is granted once per grantee",
            format_ind(ind)
        )));
    }
    let (role, key) = match grantee {
        Grantee::Registered { role, .. } => (*role, Vec::new()),
        Grantee::Family { key } => (Role::Unspecified, key.clone()),
    };
    let ephemeral = SecretKey::random(&mut OsRng);
    let ephemeral_key = encode_compressed_key(&ephemeral.public_key()).to_vec();
    let message =
        grant_signature_message(case.as_bytes(), me, ind, role as i32, &key, &ephemeral_key);
    let signature = sign(wallet, password, &message)?;
    let scalar = Zeroizing::new(hex::encode(ephemeral.to_bytes()));
    wallet.update_secrets(password, |s| {
        drop(s.set_ephemeral(&ephemeral_name(case, ind, &ephemeral_key), &scalar));
    })?;
    let input = InputParameter {
        record: Some(Record::Txgo(GrantOpening {
            case_key: case.as_bytes().to_vec(),
            granter: me,
            grantee: ind,
            grantee_role: role as i32,
            grantee_key: key,
            granter_ephemeral_key: ephemeral_key,
            signature,
        })),
    };
    let committed = ledger.store(&input).await?;
    committed
        .payload
        .as_slice()
        .try_into()
        .map_err(|_| WorkflowError::Invalid("the ledger returned a malformed record key".into()))
}

/// The grantee answers its grant of `case` (`txgr`): its secret for the
/// case, sealed to the granter's ephemeral key — once the grant's signature
/// verifies with the key of the case's patient or family member it names
/// (a grant nobody speaking for the patient signed is never answered).
pub async fn answer_grant(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<(), WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let me = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    let grant = view
        .grant_to(me)
        .ok_or_else(|| WorkflowError::NotParticipant(case_hex.clone()))?;
    if view.grant_response_of(me).is_some() {
        return Err(WorkflowError::OutOfOrder(format!(
            "you have already answered the grant of case {case_hex}; nothing to do"
        )));
    }
    let granter = speaker_key(&view.opening, &view.case, grant.granter)?;
    let message = grant_signature_message(
        case.as_bytes(),
        grant.granter,
        grant.grantee,
        grant.grantee_role,
        &grant.grantee_key,
        &grant.granter_ephemeral_key,
    );
    verify_low_s(&VerifyingKey::from(&granter), &message, &grant.signature).map_err(|fault| {
        WorkflowError::Untrusted(format!(
            "the grant of case {case_hex} is not signed by the granter it names ({fault}); it was not answered"
        ))
    })?;
    let secret = participant_secret(&view.case, &view.id, me, password, policy)?;
    let granter_key =
        decode_compressed_key(&grant.granter_ephemeral_key, "the granter's ephemeral key")?;
    let sealed = seal_response(&secret, me, case, &granter_key, &mut OsRng)?;
    ledger
        .store(&InputParameter {
            record: Some(Record::Txgr(GrantResponse {
                case_key: case.as_bytes().to_vec(),
                grantee: me,
                ephemeral_key: sealed.ephemeral_key.to_vec(),
                sealed_secret: sealed.sealed_secret.to_vec(),
            })),
        })
        .await?;
    Ok(())
}

/// The granter publishes the grant tag for `grantee` (`txgt`) once it has
/// answered: opens its secret, recovers the case key with its own password
/// and interpolates the two-point tag for that key; the ephemeral scalar is
/// then deleted from the wallet.
pub async fn publish_grant_tag(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    grantee: u64,
    policy: KdfPolicy,
) -> Result<(), WorkflowError> {
    let (view, doctor_tag) = published_tag(ledger, case).await?;
    let me = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    let grant = view
        .grant_to(grantee)
        .filter(|g| g.granter == me)
        .ok_or_else(|| {
            WorkflowError::Invalid(format!(
                "you have not granted case {case_hex} to {}",
                format_ind(grantee)
            ))
        })?;
    if view.grant_tag_of(grantee).is_some() {
        return Err(WorkflowError::OutOfOrder(format!(
            "the grant of case {case_hex} to {} already has its tag",
            format_ind(grantee)
        )));
    }
    let response = view.grant_response_of(grantee).ok_or_else(|| {
        WorkflowError::OutOfOrder(format!(
            "{} has not answered the grant of case {case_hex} yet",
            format_ind(grantee)
        ))
    })?;
    let name = ephemeral_name(case, grantee, &grant.granter_ephemeral_key);
    let ephemeral = ephemeral_scalar(
        wallet,
        password,
        &name,
        "grant",
        &format!("the grant of case {case_hex}; publish the tag from the wallet that granted it"),
    )?;
    let theirs = open_response(
        &ephemeral,
        grantee,
        case,
        &response.ephemeral_key,
        &response.sealed_secret,
    )
    .map_err(|_| {
        WorkflowError::UnusableResponse(format!(
            "{} answered the grant of case {case_hex} with a secret that does not open with the grant's key; this grant cannot be completed",
            format_ind(grantee)
        ))
    })?;
    let mine = participant_secret(&view.case, &view.id, me, password, policy)?;
    let key = doctor_tag.tag.recover_key(&mine);
    let tag = grant_tag(&key, &[mine, theirs], &mut OsRng)?;
    let bytes = tag.to_bytes();
    let signature = sign(
        wallet,
        password,
        &grant_tag_signature_message(case.as_bytes(), grant.grantee, &bytes),
    )?;
    ledger
        .store(&InputParameter {
            record: Some(Record::Txgt(GrantTag {
                case_key: case.as_bytes().to_vec(),
                grantee,
                tag: bytes,
                tag_signature: signature,
            })),
        })
        .await?;
    wallet.update_secrets(password, |s| drop(s.take_ephemeral(&name)))?;
    Ok(())
}

/// The case key as grantee `me` recovers it: its grant and grant tag are
/// found page by page (memory does not grow with the case), the tag's
/// signature checked against the granter the grant names, and the key
/// recovered with the grantee's password. `None` when the case is not
/// granted to this user (who then, like any outsider, recovers an
/// unrelated value from the case's own tag).
pub(super) async fn grantee_shared_key(
    ledger: &Ledger,
    opening: &CaseOpening,
    case: &Case,
    id: &CaseId,
    password: &str,
    policy: KdfPolicy,
) -> Result<Option<SharedKey>, WorkflowError> {
    let me = ledger.ind();
    let case_hex = hex::encode(id.as_bytes());
    let (mut grant, mut grant_tag) = (None, None);
    let mut pages = ledger.case_pages(id.as_bytes());
    while let Some(page) = pages.next_page().await? {
        for stored in page {
            match InputParameter::decode(stored.value.as_slice())
                .ok()
                .and_then(|i| i.record)
            {
                Some(Record::Txgo(g)) if g.grantee == me => grant = Some(g),
                Some(Record::Txgt(t)) if t.grantee == me => grant_tag = Some(t),
                _ => {}
            }
        }
    }
    let Some(grant) = grant else {
        return Ok(None);
    };
    let grant_tag = grant_tag.ok_or_else(|| {
        WorkflowError::OutOfOrder(format!(
            "the grant of case {case_hex} has no tag yet; wait for the granter's client to publish it"
        ))
    })?;
    let granter = speaker_key(opening, case, grant.granter)?;
    verify_low_s(
        &VerifyingKey::from(&granter),
        &grant_tag_signature_message(id.as_bytes(), me, &grant_tag.tag),
        &grant_tag.tag_signature,
    )
    .map_err(|fault| {
        WorkflowError::Untrusted(format!(
            "the grant tag of case {case_hex} is not signed by its granter ({fault}); it was not used"
        ))
    })?;
    let tag = Tag::from_bytes(&grant_tag.tag)?;
    let secret = participant_secret(case, id, me, password, policy)?;
    Ok(Some(tag.recover_key(&secret)))
}
