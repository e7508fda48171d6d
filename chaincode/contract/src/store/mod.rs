//! `Store`: validate an input parameter, store it write-once, index it and
//! set the chaincode event.

mod authorize;
mod epoch;
mod grant;
mod opening;
mod record;
mod registration;
mod response;

use fabric_shim::Stub;
use fabric_shim::identity::parse_certificate_pem;
use medchain_protocol::ROLE_NAMES;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{Registration, Role, StoreEvent};
use p256::PublicKey;
use prost::Message;
use sha2::{Digest, Sha256};

use self::epoch::{store_epoch_opening, store_epoch_response, store_epoch_tag};
use self::grant::{store_grant, store_grant_response, store_grant_tag};
use self::opening::store_opening;
use self::record::store_case_record;
use self::registration::store_registration;
use self::response::store_response;
use crate::error::ContractError;
use crate::keys::{case_index_key, record_state_key};
use crate::validate::decode_input;

/// The `Store` function.
pub async fn store<S: Stub>(stub: &S, bytes: &[u8]) -> Result<Vec<u8>, ContractError> {
    let input = decode_input(bytes)?;
    let record = input.record.ok_or_else(|| {
        ContractError::invalid(
            "input parameter",
            "no record is set; set exactly one of reg, txtc, txtr, txd, txm, txa, txgo, txgr, txgt, txeo, txer, txet",
        )
    })?;
    match record {
        Record::Reg(reg) => store_registration(stub, bytes, &reg).await,
        Record::Txtc(opening) => store_opening(stub, bytes, &opening).await,
        Record::Txtr(response) => store_response(stub, bytes, &response).await,
        Record::Txd(record) => store_case_record(stub, bytes, "txd", &record).await,
        Record::Txm(record) => store_case_record(stub, bytes, "txm", &record).await,
        Record::Txa(record) => store_case_record(stub, bytes, "txa", &record).await,
        Record::Txgo(grant) => store_grant(stub, bytes, &grant).await,
        Record::Txgr(response) => store_grant_response(stub, bytes, &response).await,
        Record::Txgt(tag) => store_grant_tag(stub, bytes, &tag).await,
        Record::Txeo(opening) => store_epoch_opening(stub, bytes, &opening).await,
        Record::Txer(response) => store_epoch_response(stub, bytes, &response).await,
        Record::Txet(tag) => store_epoch_tag(stub, bytes, &tag).await,
    }
}

/// The role's name as messages, the CLI and the `medchain.role`
/// certificate attribute spell it ([`medchain_protocol::ROLE_NAMES`]).
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Doctor => ROLE_NAMES[0],
        Role::Pharmacist => ROLE_NAMES[1],
        Role::Insurer => ROLE_NAMES[2],
        Role::LawyerExpert => ROLE_NAMES[3],
        Role::Unspecified => "unspecified",
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
    Ok(kappa)
}

/// Stores a record that exists at most once under the index key `index`
/// (an answer, a tag): refused with `already()` when `index` is set,
/// otherwise stored ([`put_record`]) with `index` pointing at its κ.
async fn put_once<S: Stub>(
    stub: &S,
    bytes: &[u8],
    kappa0: &[u8],
    index: &str,
    already: impl FnOnce() -> String,
) -> Result<[u8; 32], ContractError> {
    if stub.get_state(index).await?.is_some() {
        return Err(ContractError::AlreadyStored(already()));
    }
    let kappa = put_record(stub, bytes, Some(kappa0)).await?;
    stub.put_state(index, &kappa).await?;
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
