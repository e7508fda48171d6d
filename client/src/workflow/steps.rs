//! The workflow steps, one function each: register, open a case, answer
//! it, establish its key, store records, read them and audit a case.

use medchain_protos::medchain::v1::input_parameter::Record;
use medchain_protos::medchain::v1::{
    CaseOpening, CaseRecord, CaseResponse, InputParameter, KdfParams as KdfParamsMessage,
    Registration, Role,
};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::OsRng;
use zeroize::Zeroizing;

use super::case_view::CaseView;
use super::selection::{Selection, format_ind};
use super::{DecryptedRecord, WorkflowError};
use crate::crypto::point::{decode_compressed_key, encode_compressed_key};
use crate::crypto::{
    CaseId, CryptoError, KdfParams, KdfPolicy, ParticipantSecret, RecordKey, RecordType, SharedKey,
    Tag, establish_key, open_record, open_response, seal_record, seal_response,
};
use crate::ledger::Ledger;
use crate::wallet::{CaseEntry, CaseStatus, UserRole, Wallet};

/// Registers the ledger identity as `role` (`reg`); returns its index.
pub async fn register(ledger: &Ledger, role: Role) -> Result<u64, WorkflowError> {
    if matches!(role, Role::Unspecified) {
        return Err(WorkflowError::Invalid(
            "patients and family members do not register; only doctors, pharmacists, insurers and lawyers/experts do".into(),
        ));
    }
    let input = InputParameter {
        record: Some(Record::Reg(Registration {
            role: role as i32,
            certificate_pem: ledger.identity().certificate_pem().to_owned(),
        })),
    };
    ledger.store(&input).await?;
    Ok(ledger.ind())
}

/// The doctor opens a case from the patient's selection (`txtc`): a fresh
/// ephemeral Diffie-Hellman key pair is made, its secret half kept in the
/// wallet (encrypted) until the case key is established.
pub async fn open_case(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    selection: &Selection,
    kdf: KdfParams,
    policy: KdfPolicy,
) -> Result<CaseId, WorkflowError> {
    kdf.check_policy(policy)?;
    let parsed = selection.parse()?;
    if parsed.doctor != ledger.ind() {
        return Err(WorkflowError::Invalid(format!(
            "the patient chose doctor {} but you are {}; ask the patient for a selection naming you",
            format_ind(parsed.doctor),
            format_ind(ledger.ind())
        )));
    }
    // The chaincode accepts only a selection its patient signed; check it
    // here too so a bad selection fails before anything is stored.
    selection.check_signature()?;
    // Unlock first: a wrong password must fail before anything is stored.
    wallet.secrets(password)?;
    let ephemeral = SecretKey::random(&mut OsRng);
    let input = InputParameter {
        record: Some(Record::Txtc(CaseOpening {
            patient_key: parsed.patient_key,
            family_keys: parsed.family_keys,
            lawyer_experts: parsed.lawyer_experts,
            pharmacists: parsed.pharmacists,
            insurers: parsed.insurers,
            doctor: parsed.doctor,
            doctor_ephemeral_key: encode_compressed_key(&ephemeral.public_key()).to_vec(),
            kdf: Some(KdfParamsMessage {
                m_kib: kdf.m_kib,
                t: kdf.t,
                p: kdf.p,
            }),
            consent: parsed.consent,
        })),
    };
    let kappa0 = CaseId::from_slice(&input_key(&input))?;
    let case_hex = hex::encode(kappa0.as_bytes());
    // Keep the scalar before the case exists, so a crash right after the
    // commit cannot lose it.
    let scalar_bytes = Zeroizing::new(ephemeral.to_bytes());
    let scalar = Zeroizing::new(hex::encode(&scalar_bytes[..]));
    wallet.update_secrets(password, |s| drop(s.set_ephemeral(&case_hex, &scalar)))?;
    ledger.store(&input).await?;
    wallet.update(|p| {
        p.cases.insert(
            case_hex.clone(),
            CaseEntry {
                role: UserRole::Doctor,
                status: CaseStatus::AwaitingResponses,
                pending_tag: None,
                unread: Vec::new(),
            },
        );
    })?;
    Ok(kappa0)
}

/// κ of an input parameter: SHA-256 of its encoding.
fn input_key(input: &InputParameter) -> [u8; 32] {
    use prost::Message;
    use sha2::{Digest, Sha256};
    Sha256::digest(input.encode_to_vec()).into()
}

/// The participant's secret `s_x` for a case, from its password.
fn participant_secret(
    view: &CaseView,
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<ParticipantSecret, WorkflowError> {
    let kdf = view.kdf();
    kdf.check_policy(policy)?;
    Ok(ParticipantSecret::derive(password, &view.id, ind, &kdf)?)
}

/// A participant answers a case opening (`txtr`): its secret `s_x`, sealed
/// to the doctor's ephemeral key.
pub async fn respond(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<(), WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    view.require_participant(ledger)?;
    let ind = ledger.ind();
    if ind == view.case.doctor {
        return Err(WorkflowError::Invalid(
            "the doctor does not answer its own case; run `medchain establish` once everyone has answered".into(),
        ));
    }
    if view.has_answered(ind) {
        return Err(WorkflowError::OutOfOrder(format!(
            "you have already answered case {}; nothing to do",
            hex::encode(case.as_bytes())
        )));
    }
    let secret = participant_secret(&view, ind, password, policy)?;
    let doctor_key =
        decode_compressed_key(&view.opening.doctor_ephemeral_key, "the doctor's key pk_d")?;
    let sealed = seal_response(&secret, ind, case, &doctor_key, &mut OsRng)?;
    let input = InputParameter {
        record: Some(Record::Txtr(CaseResponse {
            case_key: case.as_bytes().to_vec(),
            responder: ind,
            ephemeral_key: sealed.ephemeral_key.to_vec(),
            sealed_secret: sealed.sealed_secret.to_vec(),
        })),
    };
    ledger.store(&input).await?;
    Ok(())
}

/// The doctor establishes the case key once every participant has
/// answered: opens every `s_x`, derives its own `s_d`, builds `K` and the
/// tag. The tag is kept in the wallet until the first record carries it;
/// the ephemeral scalar is then deleted. Returns the number of
/// participants.
pub async fn establish(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<usize, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let case_hex = hex::encode(case.as_bytes());
    if view.case.doctor != ledger.ind() {
        return Err(WorkflowError::Invalid(format!(
            "only the doctor of case {case_hex} establishes its key"
        )));
    }
    let pending = wallet
        .profile()?
        .cases
        .get(&case_hex)
        .is_some_and(|c| c.pending_tag.is_some());
    if view.tag().is_some() || pending {
        return Err(WorkflowError::OutOfOrder(format!(
            "the key of case {case_hex} is already established"
        )));
    }
    let missing = view.missing_responses();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|&i| format_ind(i)).collect();
        return Err(WorkflowError::OutOfOrder(format!(
            "not everyone has answered case {case_hex} yet (waiting for {}); try again after their responses",
            names.join(", ")
        )));
    }
    let secrets = wallet.secrets(password)?;
    let scalar_hex = secrets.ephemeral(&case_hex).ok_or_else(|| {
        WorkflowError::Invalid(format!(
            "this wallet does not hold the ephemeral key of case {case_hex}; establish it from the wallet that opened the case"
        ))
    })?;
    let scalar = Zeroizing::new(
        hex::decode(scalar_hex)
            .map_err(|_| WorkflowError::Invalid("the wallet's ephemeral key is damaged".into()))?,
    );
    let doctor_secret = SecretKey::from_slice(&scalar)
        .map_err(|_| WorkflowError::Invalid("the wallet's ephemeral key is damaged".into()))?;
    let mut all = Vec::with_capacity(view.case.len());
    for ind in view.case.participants() {
        if ind == view.case.doctor {
            all.push(participant_secret(&view, ind, password, policy)?);
            continue;
        }
        let (response, _) = view
            .responses
            .iter()
            .find(|(r, _)| r.responder == ind)
            .ok_or_else(|| {
                WorkflowError::OutOfOrder(format!(
                    "participant {} has not answered",
                    format_ind(ind)
                ))
            })?;
        let secret = open_response(
            &doctor_secret,
            ind,
            case,
            &response.ephemeral_key,
            &response.sealed_secret,
        )
        .map_err(|_| {
            WorkflowError::UnusableResponse(format!(
                "participant {} answered case {case_hex} with a secret that does not open with this case's key; \
                 the case cannot be completed — open a new case without them, or open a new one and ask them to answer it",
                format_ind(ind)
            ))
        })?;
        all.push(secret);
    }
    let (_key, tag) = establish_key(&all, &mut OsRng)?;
    let count = all.len();
    wallet.update(|p| {
        let entry = p.cases.entry(case_hex.clone()).or_insert(CaseEntry {
            role: UserRole::Doctor,
            status: CaseStatus::KeyEstablished,
            pending_tag: None,
            unread: Vec::new(),
        });
        entry.status = CaseStatus::KeyEstablished;
        entry.pending_tag = Some(hex::encode(tag.to_bytes()));
    })?;
    wallet.update_secrets(password, |s| {
        drop(s.take_ephemeral(&case_hex));
    })?;
    drop(secrets);
    Ok(count)
}

/// The case key `K`, recovered from the tag with the user's password.
fn shared_key(
    view: &CaseView,
    tag: &[u8],
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<SharedKey, WorkflowError> {
    let tag = Tag::from_bytes(tag)?;
    if tag.participant_count() != view.case.len() {
        return Err(WorkflowError::Invalid(
            "the case's tag does not match its participants".into(),
        ));
    }
    let secret = participant_secret(view, ind, password, policy)?;
    Ok(tag.recover_key(&secret))
}

/// The case's record key, recovered from the tag with the user's password.
fn record_key(
    view: &CaseView,
    tag: &[u8],
    ind: u64,
    password: &str,
    policy: KdfPolicy,
) -> Result<RecordKey, WorkflowError> {
    Ok(RecordKey::derive(
        &shared_key(view, tag, ind, password, policy)?,
        &view.id,
    )?)
}

/// The case key `K` as this user recovers it from the published tag with
/// its password alone. A non-participant or a wrong password gets an
/// unrelated value (compare keys in constant time: [`SharedKey`] does).
pub async fn recover_case_key(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<SharedKey, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let tag = view.tag().ok_or_else(|| {
        WorkflowError::OutOfOrder(format!(
            "case {} has no record yet, so its key is not published",
            hex::encode(case.as_bytes())
        ))
    })?;
    shared_key(&view, tag, ledger.ind(), password, policy)
}

/// Stores an encrypted record of the case (`txd` by the doctor, `txm` by a
/// pharmacist, `txa` by an insurer); returns its key κ.
pub async fn add_record(
    ledger: &Ledger,
    wallet: Option<&Wallet>,
    password: &str,
    case: &CaseId,
    record_type: RecordType,
    plaintext: &[u8],
    policy: KdfPolicy,
) -> Result<[u8; 32], WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    view.require_participant(ledger)?;
    let ind = ledger.ind();
    let case_hex = hex::encode(case.as_bytes());
    let tag = match view.tag() {
        Some(tag) => tag.to_vec(),
        None => {
            let pending = wallet
                .map(|w| w.profile())
                .transpose()?
                .and_then(|p| p.cases.get(&case_hex).and_then(|c| c.pending_tag.clone()));
            match pending {
                Some(tag) => hex::decode(tag)
                    .map_err(|_| WorkflowError::Invalid("the wallet's tag is damaged".into()))?,
                None if ind == view.case.doctor => {
                    return Err(WorkflowError::OutOfOrder(format!(
                        "the key of case {case_hex} is not established yet; run `medchain establish` once everyone has answered"
                    )));
                }
                None => {
                    return Err(WorkflowError::OutOfOrder(format!(
                        "case {case_hex} has no diagnosis yet, so its key is not published; wait for the doctor's first record"
                    )));
                }
            }
        }
    };
    let key = record_key(&view, &tag, ind, password, policy)?;
    let ciphertext = seal_record(&key, record_type, case, plaintext, &mut OsRng)?;
    let record = CaseRecord {
        case_key: case.as_bytes().to_vec(),
        participants: view.case.others(ind),
        tag,
        ciphertext,
    };
    let record = match record_type {
        RecordType::Diagnosis => Record::Txd(record),
        RecordType::Medication => Record::Txm(record),
        RecordType::Compensation => Record::Txa(record),
    };
    let committed = ledger
        .store(&InputParameter {
            record: Some(record),
        })
        .await?;
    if let Some(wallet) = wallet {
        wallet.update(|p| {
            if let Some(entry) = p.cases.get_mut(&case_hex) {
                entry.status = CaseStatus::Active;
                entry.pending_tag = None;
            }
        })?;
    }
    committed
        .payload
        .as_slice()
        .try_into()
        .map_err(|_| WorkflowError::Invalid("the ledger returned a malformed record key".into()))
}

/// Decrypts every record of a case (an audit, or a participant reading its
/// case). A wrong password or a non-participant fails with "cannot
/// decrypt: wrong password or not a participant of this case". A record
/// that does not open while others do (written with another key or
/// damaged) is returned without plaintext rather than hiding the rest.
pub async fn audit(
    ledger: &Ledger,
    password: &str,
    case: &CaseId,
    policy: KdfPolicy,
) -> Result<Vec<DecryptedRecord>, WorkflowError> {
    let view = CaseView::load(ledger, case).await?;
    let Some(tag) = view.tag() else {
        return Ok(Vec::new());
    };
    let key = record_key(&view, tag, ledger.ind(), password, policy)?;
    let records: Vec<DecryptedRecord> = view
        .records
        .iter()
        .map(|r| DecryptedRecord {
            key: r.key,
            record_type: r.record_type,
            tx_id: r.tx_id.clone(),
            plaintext: open_record(&key, r.record_type, case, &r.record.ciphertext).ok(),
        })
        .collect();
    if records.iter().all(|r| r.plaintext.is_none()) {
        return Err(CryptoError::CannotDecrypt.into());
    }
    Ok(records)
}

/// Decrypts one record, given its key κ.
pub async fn read_record(
    ledger: &Ledger,
    password: &str,
    kappa: &[u8; 32],
    policy: KdfPolicy,
) -> Result<DecryptedRecord, WorkflowError> {
    let input = ledger.get(kappa).await?;
    let record = match input.record {
        Some(Record::Txd(r) | Record::Txm(r) | Record::Txa(r)) => r,
        _ => {
            return Err(WorkflowError::Invalid(format!(
                "{} is not an encrypted record (txd, txm or txa)",
                hex::encode(kappa)
            )));
        }
    };
    let case = CaseId::from_slice(&record.case_key)?;
    let records = audit(ledger, password, &case, policy).await?;
    let record = records
        .into_iter()
        .find(|r| &r.key == kappa)
        .ok_or_else(|| {
            WorkflowError::Invalid(format!(
                "record {} is not part of its case",
                hex::encode(kappa)
            ))
        })?;
    if record.plaintext.is_none() {
        return Err(WorkflowError::Invalid(format!(
            "record {} does not decrypt with its case's key: it was written with another key or damaged",
            hex::encode(kappa)
        )));
    }
    Ok(record)
}

/// The uncompressed public key of the ledger identity (what a patient or
/// family member shares so it can be selected).
pub fn public_key_hex(ledger: &Ledger) -> String {
    hex::encode(
        ledger
            .identity()
            .public_key()
            .to_encoded_point(false)
            .as_bytes(),
    )
}
