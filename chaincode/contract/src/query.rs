//! `Get`, `GetCase`, `GetParticipant` and the ledger reads `Store` shares.

use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecords, InputParameter, Role, StoredRecord};
use std::collections::BTreeMap;

use fabric_shim::{ResultsIterator, Stub, split_composite_key};
use p256::PublicKey;
use prost::Message;

use crate::case::Case;
use crate::error::ContractError;
use crate::keys::{
    CASE_INDEX, case_index_range_attributes, case_log_key, record_state_key, registration_key,
};
use crate::store::registration_key_of;
use medchain_protocol::limits::KEY_BYTES;

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

/// The `GetCase` function: every record of the case κ0 in index order.
pub async fn get_case<S: Stub>(stub: &S, argument: &[u8]) -> Result<Vec<u8>, ContractError> {
    let kappa0 = fixed_argument::<KEY_BYTES>(argument, "the case key κ0")?;
    load_case(stub, &kappa0).await?;
    let [case_hex] = case_index_range_attributes(&kappa0);
    let mut entries = stub
        .get_state_by_partial_composite_key(CASE_INDEX, &[&case_hex])
        .await?;
    let mut records = Vec::new();
    while let Some(entry) = entries.next().await? {
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
        records.push(StoredRecord {
            key: entry.value,
            r#type: record_type.to_owned(),
            value,
            tx_id,
        });
    }
    sort_by_commit_order(stub, &kappa0, &mut records).await?;
    Ok(CaseRecords { records }.encode_to_vec())
}

/// Orders a case's records as the ledger committed them: by their position
/// in the history of the case's commit log key (which every `Store` of the
/// case writes). A peer whose history database is disabled cannot answer
/// history queries; the records then keep the index's proposal-time order.
async fn sort_by_commit_order<S: Stub>(
    stub: &S,
    kappa0: &[u8],
    records: &mut [StoredRecord],
) -> Result<(), ContractError> {
    let history = match stub.get_history_for_key(&case_log_key(kappa0)?).await {
        Ok(history) => history.collect_all().await,
        Err(e) => Err(e),
    };
    let mut history = match history {
        Ok(history) => history,
        Err(e) => {
            tracing::warn!(error = %e, "no history for the case's commit log; GetCase falls back to proposal-time order");
            return Ok(());
        }
    };
    // The ledger yields the newest modification first; positions count
    // from the oldest.
    history.reverse();
    let position: BTreeMap<&[u8], usize> = history
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_delete)
        .map(|(n, m)| (m.value.as_slice(), n))
        .collect();
    records.sort_by_key(|r| {
        position
            .get(r.key.as_slice())
            .copied()
            .unwrap_or(usize::MAX)
    });
    Ok(())
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
