//! `Store`: validate an input parameter, store it write-once, index it and
//! set the chaincode event.

use medchain_protos::medchain::v1::input_parameter::Record;
use medchain_protos::medchain::v1::{
    CaseOpening, CaseRecord, CaseResponse, Registration, Role, StoreEvent,
};
use medchain_shim::identity::parse_certificate_pem;
use medchain_shim::{ClientIdentity, Stub, key_index};
use p256::PublicKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::case::{Case, ParticipantRef};
use crate::consent::verify_consent;
use crate::error::ContractError;
use crate::keys::{
    case_index_key, case_log_key, record_state_key, registration_key, response_key, selection_key,
    tag_key,
};
use crate::limits::{
    MAX_CERTIFICATE_PEM_BYTES, MAX_CIPHERTEXT_BYTES, MAX_PARTICIPANTS, MIN_CIPHERTEXT_BYTES,
    SEALED_SECRET_BYTES,
};
use crate::query::{load_case, load_registration};
use crate::validate::{decode_input, ephemeral_key, kdf_params, key32, tag};

/// The `Store` function.
pub async fn store<S: Stub>(stub: &S, bytes: &[u8]) -> Result<Vec<u8>, ContractError> {
    let input = decode_input(bytes)?;
    let record = input.record.ok_or_else(|| {
        ContractError::invalid(
            "input parameter",
            "no record is set; set exactly one of reg, txtc, txtr, txd, txm, txa",
        )
    })?;
    match record {
        Record::Reg(reg) => store_registration(stub, bytes, &reg).await,
        Record::Txtc(opening) => store_opening(stub, bytes, &opening).await,
        Record::Txtr(response) => store_response(stub, bytes, &response).await,
        Record::Txd(record) => store_case_record(stub, bytes, "txd", &record).await,
        Record::Txm(record) => store_case_record(stub, bytes, "txm", &record).await,
        Record::Txa(record) => store_case_record(stub, bytes, "txa", &record).await,
    }
}

/// The role name used in messages.
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Doctor => "doctor",
        Role::Pharmacist => "pharmacist",
        Role::Insurer => "insurer",
        Role::LawyerExpert => "lawyer-expert",
        Role::Unspecified => "unspecified",
    }
}

async fn store_registration<S: Stub>(
    stub: &S,
    bytes: &[u8],
    reg: &Registration,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "reg";
    let role = match Role::try_from(reg.role) {
        Ok(role @ (Role::Doctor | Role::Pharmacist | Role::Insurer | Role::LawyerExpert)) => role,
        _ => {
            return Err(ContractError::invalid(
                RECORD,
                "the role must be doctor, pharmacist, insurer or lawyer-expert (patients and family members do not register)",
            ));
        }
    };
    if reg.certificate_pem.len() > MAX_CERTIFICATE_PEM_BYTES {
        return Err(ContractError::invalid(
            RECORD,
            format!("the certificate is larger than {MAX_CERTIFICATE_PEM_BYTES} bytes"),
        ));
    }
    let (certificate_der, public_key) = parse_certificate_pem(&reg.certificate_pem)
        .map_err(|e| ContractError::invalid(RECORD, e.to_string()))?;
    if certificate_der != stub.creator().certificate_der() {
        return Err(ContractError::unauthorized(
            RECORD,
            "the certificate is not the submitter's own; register with your own Fabric certificate",
        ));
    }
    let ind = key_index(&public_key);
    let key = registration_key(ind)?;
    if stub.get_state(&key).await?.is_some() {
        return Err(ContractError::AlreadyStored(format!(
            "participant {ind:016x} is already registered"
        )));
    }
    stub.put_state(&key, bytes).await?;
    tracing::info!(
        tx_id = stub.tx_id(),
        ind = format_args!("{ind:016x}"),
        role = role_name(role),
        "participant registered"
    );
    let ind_bytes = ind.to_be_bytes().to_vec();
    emit(stub, RECORD, &ind_bytes, &[], vec![ind]);
    Ok(ind_bytes)
}

async fn store_opening<S: Stub>(
    stub: &S,
    bytes: &[u8],
    opening: &CaseOpening,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txtc";
    let creator = stub.creator();
    require_registered(stub, RECORD, creator, creator.ind(), Role::Doctor).await?;
    if opening.doctor != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the case names doctor {:016x} but the submitter is {:016x}; a doctor opens cases only for itself",
                opening.doctor,
                creator.ind()
            ),
        ));
    }
    let k = 2
        + opening.family_keys.len()
        + opening.pharmacists.len()
        + opening.insurers.len()
        + opening.lawyer_experts.len();
    if k > MAX_PARTICIPANTS {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "a case has at most {MAX_PARTICIPANTS} participants (doctor included), got {k}"
            ),
        ));
    }
    ephemeral_key(&opening.doctor_ephemeral_key)
        .map_err(|e| ContractError::invalid(RECORD, format!("doctor ephemeral key: {e}")))?;
    kdf_params(opening.kdf.as_ref())?;
    let case = Case::from_opening(opening).map_err(|e| ContractError::invalid(RECORD, e))?;
    let mut sorted = case.participants();
    sorted.sort_unstable();
    if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "participant {:016x} is listed twice; list each participant once",
                pair[0]
            ),
        ));
    }
    for (list, role) in [
        (&case.pharmacists, Role::Pharmacist),
        (&case.insurers, Role::Insurer),
        (&case.lawyer_experts, Role::LawyerExpert),
    ] {
        for &ind in list {
            match load_registration(stub, ind).await? {
                Some((registered, _)) if registered == role => {}
                Some((registered, _)) => {
                    return Err(ContractError::invalid(
                        RECORD,
                        format!(
                            "participant {ind:016x} is listed as {} but is registered as {}",
                            role_name(role),
                            role_name(registered)
                        ),
                    ));
                }
                None => {
                    return Err(ContractError::invalid(
                        RECORD,
                        format!(
                            "{} {ind:016x} is not registered; ask them to register first",
                            role_name(role)
                        ),
                    ));
                }
            }
        }
    }
    verify_consent(opening).map_err(|e| ContractError::unauthorized(RECORD, e.to_string()))?;
    let nonce = opening
        .consent
        .as_ref()
        .map(|c| c.nonce.as_slice())
        .unwrap_or_default();
    let used = selection_key(&opening.patient_key, nonce)?;
    if stub.get_state(&used).await?.is_some() {
        return Err(ContractError::AlreadyStored(
            "this patient selection already opened a case; ask the patient for a new selection"
                .into(),
        ));
    }
    let kappa0 = put_record(stub, bytes, None).await?;
    stub.put_state(&used, &kappa0).await?;
    tracing::info!(tx_id = stub.tx_id(), case = %hex::encode(&kappa0[..8]), participants = k, "case opened");
    emit(stub, RECORD, &kappa0, &kappa0, case.receivers(RECORD));
    Ok(kappa0.to_vec())
}

async fn store_response<S: Stub>(
    stub: &S,
    bytes: &[u8],
    response: &CaseResponse,
) -> Result<Vec<u8>, ContractError> {
    const RECORD: &str = "txtr";
    let kappa0 = key32(RECORD, "the case key", &response.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = stub.creator();
    if response.responder != creator.ind() {
        return Err(ContractError::unauthorized(
            RECORD,
            format!(
                "the response names participant {:016x} but the submitter is {:016x}; answer only for yourself",
                response.responder,
                creator.ind()
            ),
        ));
    }
    authorize_participant(stub, RECORD, &case, creator, kappa0).await?;
    ephemeral_key(&response.ephemeral_key)
        .map_err(|e| ContractError::invalid(RECORD, format!("ephemeral key: {e}")))?;
    if response.sealed_secret.len() != SEALED_SECRET_BYTES {
        return Err(ContractError::invalid(
            RECORD,
            format!(
                "the sealed secret must be {SEALED_SECRET_BYTES} bytes (nonce, 32-byte secret, GCM tag), got {}",
                response.sealed_secret.len()
            ),
        ));
    }
    let index = response_key(kappa0, creator.ind())?;
    if stub.get_state(&index).await?.is_some() {
        return Err(ContractError::AlreadyStored(format!(
            "participant {:016x} has already answered case {}",
            creator.ind(),
            hex::encode(kappa0)
        )));
    }
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    stub.put_state(&index, &kappa).await?;
    emit(stub, RECORD, &kappa, kappa0, case.receivers(RECORD));
    Ok(kappa.to_vec())
}

async fn store_case_record<S: Stub>(
    stub: &S,
    bytes: &[u8],
    record_type: &'static str,
    record: &CaseRecord,
) -> Result<Vec<u8>, ContractError> {
    let kappa0 = key32(record_type, "the case key", &record.case_key)?;
    let case = load_case(stub, kappa0).await?;
    let creator = stub.creator();
    let (allowed, role) = match record_type {
        "txd" => (creator.ind() == case.doctor, Role::Doctor),
        "txm" => (case.pharmacists.contains(&creator.ind()), Role::Pharmacist),
        _ => (case.insurers.contains(&creator.ind()), Role::Insurer),
    };
    if !allowed {
        return Err(ContractError::unauthorized(
            record_type,
            format!(
                "only the case's {} may store a {record_type} record",
                describe_writers(role)
            ),
        ));
    }
    require_registered(stub, record_type, creator, creator.ind(), role).await?;
    for ind in case.responders() {
        if stub.get_state(&response_key(kappa0, ind)?).await?.is_none() {
            return Err(ContractError::OutOfOrder(format!(
                "the case key is not established yet: participant {ind:016x} has not answered case {}; wait for every response",
                hex::encode(kappa0)
            )));
        }
    }
    let expected = case.others(creator.ind());
    if record.participants != expected {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "participants must list the case's other {} participants in canonical order (patient, family, doctor, pharmacists, insurers, lawyers/experts)",
                expected.len()
            ),
        ));
    }
    let n = record.ciphertext.len();
    if !(MIN_CIPHERTEXT_BYTES..=MAX_CIPHERTEXT_BYTES).contains(&n) {
        return Err(ContractError::invalid(
            record_type,
            format!(
                "the ciphertext must be between {MIN_CIPHERTEXT_BYTES} and {MAX_CIPHERTEXT_BYTES} bytes, got {n}"
            ),
        ));
    }
    tag(record_type, &record.tag, case.len())?;
    let fingerprint: [u8; 32] = Sha256::digest(&record.tag).into();
    let mut fix_tag = false;
    let tag_state = tag_key(kappa0)?;
    match stub.get_state(&tag_state).await? {
        Some(fixed) if fixed.as_slice() != fingerprint => {
            return Err(ContractError::invalid(
                record_type,
                "the tag differs from the tag fixed by the case's first record; every record of a case carries the same tag",
            ));
        }
        Some(_) => {}
        None => fix_tag = true,
    }
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    if fix_tag {
        stub.put_state(&tag_state, &fingerprint).await?;
    }
    emit(
        stub,
        record_type,
        &kappa,
        kappa0,
        case.receivers(record_type),
    );
    Ok(kappa.to_vec())
}

fn describe_writers(role: Role) -> &'static str {
    match role {
        Role::Doctor => "doctor",
        Role::Pharmacist => "listed pharmacists",
        _ => "listed insurers",
    }
}

/// Checks that the creator is registered as `role` under `ind` with the
/// same public key it signed with.
async fn require_registered<S: Stub>(
    stub: &S,
    record: &'static str,
    creator: &ClientIdentity,
    ind: u64,
    role: Role,
) -> Result<(), ContractError> {
    match load_registration(stub, ind).await? {
        Some((registered, key)) if registered == role && &key == creator.public_key() => Ok(()),
        Some((registered, _)) if registered != role => Err(ContractError::unauthorized(
            record,
            format!(
                "the submitter is registered as {}, not as {}",
                role_name(registered),
                role_name(role)
            ),
        )),
        Some(_) => Err(ContractError::unauthorized(
            record,
            "the submitter's key differs from its registered certificate",
        )),
        None => Err(ContractError::unauthorized(
            record,
            format!(
                "the submitter is not registered as a {}; register first",
                role_name(role)
            ),
        )),
    }
}

/// Checks that the creator is a participant of the case who answers it
/// (everyone but the doctor), comparing full public keys.
async fn authorize_participant<S: Stub>(
    stub: &S,
    record: &'static str,
    case: &Case,
    creator: &ClientIdentity,
    kappa0: &[u8],
) -> Result<(), ContractError> {
    let own_key = creator.public_key().to_encoded_point(false);
    let not_participant = || {
        ContractError::unauthorized(
            record,
            format!(
                "the submitter is not a participant of case {}",
                hex::encode(kappa0)
            ),
        )
    };
    match case.role_of(creator.ind()) {
        None => Err(not_participant()),
        Some(ParticipantRef::Doctor) => Err(ContractError::unauthorized(
            record,
            "the doctor does not answer its own case; it derives its secret locally",
        )),
        Some(ParticipantRef::Patient) if own_key.as_bytes() == case.patient_key.as_slice() => {
            Ok(())
        }
        Some(ParticipantRef::Family(n))
            if case
                .family_keys
                .get(n)
                .is_some_and(|k| own_key.as_bytes() == k.as_slice()) =>
        {
            Ok(())
        }
        Some(ParticipantRef::Patient | ParticipantRef::Family(_)) => Err(not_participant()),
        Some(ParticipantRef::Pharmacist) => {
            require_registered(stub, record, creator, creator.ind(), Role::Pharmacist).await
        }
        Some(ParticipantRef::Insurer) => {
            require_registered(stub, record, creator, creator.ind(), Role::Insurer).await
        }
        Some(ParticipantRef::LawyerExpert) => {
            require_registered(stub, record, creator, creator.ind(), Role::LawyerExpert).await
        }
    }
}

/// Stores `bytes` write-once under κ = SHA-256(bytes) and adds it to its
/// case's index (`kappa0`, or κ itself for a case opening).
async fn put_record<S: Stub>(
    stub: &S,
    bytes: &[u8],
    kappa0: Option<&[u8]>,
) -> Result<[u8; 32], ContractError> {
    let kappa: [u8; 32] = Sha256::digest(bytes).into();
    let key = record_state_key(&kappa);
    if stub.get_state(&key).await?.is_some() {
        return Err(ContractError::AlreadyStored(format!(
            "a record with key {} exists; records are write-once",
            hex::encode(kappa)
        )));
    }
    let timestamp = stub
        .tx_timestamp()
        .ok_or_else(|| ContractError::BadCall("the proposal carries no timestamp".into()))?;
    let case = kappa0.unwrap_or(&kappa);
    let index = case_index_key(case, &timestamp, stub.tx_id())?;
    stub.put_state(&key, bytes).await?;
    stub.put_state(&index, &kappa).await?;
    // Written, never read: concurrent records of a case do not conflict, and
    // the key's history is the case's commit order.
    stub.put_state(&case_log_key(case)?, &kappa).await?;
    Ok(kappa)
}

/// Sets the transaction's single chaincode event.
fn emit<S: Stub>(stub: &S, record_type: &str, key: &[u8], kappa0: &[u8], receivers: Vec<u64>) {
    let event = StoreEvent {
        key: key.to_vec(),
        case_key: kappa0.to_vec(),
        r#type: record_type.to_owned(),
        receivers,
    };
    stub.set_event(record_type, event.encode_to_vec());
}

/// The public key of a stored registration's certificate.
pub(crate) fn registration_key_of(reg: &Registration) -> Result<PublicKey, String> {
    parse_certificate_pem(&reg.certificate_pem)
        .map(|(_, key)| key)
        .map_err(|e| e.to_string())
}
