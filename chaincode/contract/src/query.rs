//! `Get`, `GetCase`, `GetParticipant` and the ledger reads `Store` shares.

use fabric_shim::{Stub, split_composite_key};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecords, InputParameter, Role, StoredRecord};
use p256::PublicKey;
use prost::Message;

use crate::case::Case;
use crate::error::ContractError;
use crate::keys::{
    CASE_INDEX, case_index_range_attributes, is_case_index_key, record_state_key, registration_key,
};
use crate::store::registration_key_of;
use medchain_protocol::limits::{CASE_PAGE_ENTRIES, KEY_BYTES, MAX_PAGE_BYTES};

/// The `Get` function: the bytes stored under κ.
pub async fn get<S: Stub>(stub: &S, argument: &[u8]) -> Result<Vec<u8>, ContractError> {
    let kappa = fixed_argument::<KEY_BYTES>(argument, "the record key κ")?;
    stub.get_state(&record_state_key(&kappa))
        .await?
        .ok_or_else(|| {
            ContractError::NotFound(format!(
                "no record is stored under key {}",
                hex::encode(kappa)
            ))
        })
}

/// The `GetParticipant` function: the `reg` record stored under `ind`.
pub async fn get_participant<S: Stub>(stub: &S, argument: &[u8]) -> Result<Vec<u8>, ContractError> {
    let ind = u64::from_be_bytes(fixed_argument::<8>(argument, "the participant index")?);
    stub.get_state(&registration_key(ind)?)
        .await?
        .ok_or_else(|| ContractError::NotFound(format!("participant {ind:016x} is not registered")))
}

/// The `GetCase` function: one page of the records of case κ0, in index
/// order (proposal time, then tx id), from `bookmark` (`None` for the first
/// page; then the previous page's bookmark).
///
/// A page reads at most [`CASE_PAGE_ENTRIES`] index entries with one paged
/// ledger query and holds whole records: it stops before the record that
/// would take its encoded records past [`MAX_PAGE_BYTES`] (a page holds at
/// least one record), and its bookmark is then that record's index key;
/// otherwise it is the ledger's bookmark (empty once the case is
/// exhausted).
pub async fn get_case<S: Stub>(
    stub: &S,
    argument: &[u8],
    bookmark: Option<&[u8]>,
) -> Result<Vec<u8>, ContractError> {
    let kappa0 = fixed_argument::<KEY_BYTES>(argument, "the case key κ0")?;
    let bookmark = match bookmark {
        None => "",
        Some(raw) => std::str::from_utf8(raw)
            .ok()
            .filter(|b| is_case_index_key(&kappa0, b))
            .ok_or_else(|| {
                ContractError::invalid(
                    "argument",
                    format!(
                        "the bookmark is not a key of the index of case {}; pass the bookmark of this case's previous page, or none for its first page",
                        hex::encode(kappa0)
                    ),
                )
            })?,
    };
    load_case(stub, &kappa0).await?;
    let [case_hex] = case_index_range_attributes(&kappa0);
    let page = stub
        .get_state_by_partial_composite_key_with_pagination(
            CASE_INDEX,
            &[&case_hex],
            CASE_PAGE_ENTRIES,
            bookmark,
        )
        .await?;
    let mut records = Vec::new();
    let mut size = 0;
    for entry in page.results {
        let (_, attributes) = split_composite_key(&entry.key)?;
        let tx_id = attributes.get(2).cloned().unwrap_or_default();
        let value = stub
            .get_state(&record_state_key(&entry.value))
            .await?
            .ok_or_else(|| {
                ContractError::Corrupt(format!(
                    "the case index points at missing record {}",
                    hex::encode(&entry.value)
                ))
            })?;
        let record_type = decode_stored(&value)?.1;
        let record = StoredRecord {
            key: entry.value,
            r#type: record_type.to_owned(),
            value,
            tx_id,
        };
        let len = prost::encoding::message::encoded_len(1, &record);
        if !records.is_empty() && size + len > MAX_PAGE_BYTES {
            return Ok(CaseRecords {
                records,
                bookmark: entry.key,
            }
            .encode_to_vec());
        }
        size += len;
        records.push(record);
    }
    Ok(CaseRecords {
        records,
        bookmark: page.bookmark,
    }
    .encode_to_vec())
}

/// Loads the case opened under κ0.
pub(crate) async fn load_case<S: Stub>(stub: &S, kappa0: &[u8]) -> Result<Case, ContractError> {
    let bytes = stub
        .get_state(&record_state_key(kappa0))
        .await?
        .ok_or_else(|| {
            ContractError::NotFound(format!(
                "no case is stored under key {}",
                hex::encode(kappa0)
            ))
        })?;
    match decode_stored(&bytes)? {
        (Record::Txtc(opening), _) => Case::from_opening(&opening).map_err(ContractError::Corrupt),
        (_, other) => Err(ContractError::NotFound(format!(
            "key {} holds a {other} record, not a case opening",
            hex::encode(kappa0)
        ))),
    }
}

/// Loads a participant's registered role and certificate key.
pub(crate) async fn load_registration<S: Stub>(
    stub: &S,
    ind: u64,
) -> Result<Option<(Role, PublicKey)>, ContractError> {
    let Some(bytes) = stub.get_state(&registration_key(ind)?).await? else {
        return Ok(None);
    };
    match decode_stored(&bytes)? {
        (Record::Reg(reg), _) => {
            let role = Role::try_from(reg.role).map_err(|_| {
                ContractError::Corrupt(format!("registration {ind:016x} has an unknown role"))
            })?;
            let key = registration_key_of(&reg).map_err(ContractError::Corrupt)?;
            Ok(Some((role, key)))
        }
        (_, other) => Err(ContractError::Corrupt(format!(
            "registration {ind:016x} holds a {other} record"
        ))),
    }
}

/// Decodes a stored input parameter and names its type.
pub(crate) fn decode_stored(bytes: &[u8]) -> Result<(Record, &'static str), ContractError> {
    let record = InputParameter::decode(bytes)
        .ok()
        .and_then(|input| input.record)
        .ok_or_else(|| ContractError::Corrupt("a stored record does not decode".into()))?;
    let name = record_type(&record);
    Ok((record, name))
}

/// The type tag of a record.
pub fn record_type(record: &Record) -> &'static str {
    match record {
        Record::Reg(_) => "reg",
        Record::Txtc(_) => "txtc",
        Record::Txtr(_) => "txtr",
        Record::Txd(_) => "txd",
        Record::Txm(_) => "txm",
        Record::Txa(_) => "txa",
        Record::Txgo(_) => "txgo",
        Record::Txgr(_) => "txgr",
        Record::Txgt(_) => "txgt",
        Record::Txeo(_) => "txeo",
        Record::Txer(_) => "txer",
        Record::Txet(_) => "txet",
    }
}

/// Reads an N-byte argument given raw or as 2N hex digits.
fn fixed_argument<const N: usize>(argument: &[u8], what: &str) -> Result<[u8; N], ContractError> {
    let mut out = [0u8; N];
    if argument.len() == N {
        out.copy_from_slice(argument);
        return Ok(out);
    }
    if argument.len() == 2 * N && hex::decode_to_slice(argument, &mut out).is_ok() {
        return Ok(out);
    }
    Err(ContractError::invalid(
        "argument",
        format!(
            "{what} must be {N} bytes or {} hex digits, got {} bytes",
            2 * N,
            argument.len()
        ),
    ))
}
