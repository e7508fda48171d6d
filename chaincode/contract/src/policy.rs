//! The consortium's policy: which organization (MSP id) may make which
//! registered role, and the floor on a case's Argon2id parameters. Fixed by
//! `Init`, read by `GetPolicy`, by every `reg` and by every `txtc`.

use fabric_shim::Stub;
use medchain_protocol::limits::{
    DEFAULT_KDF_FLOOR_M_KIB, DEFAULT_KDF_FLOOR_T, KDF_MAX_M_KIB, KDF_MAX_T,
};
use medchain_protocol::v1::{ConsortiumPolicy, KdfFloor, Role, RoleIssuer};
use prost::Message;

use crate::error::ContractError;
use crate::store::role_name;

/// The state key of the stored policy (a plain key: no record key, which is
/// 64 hex digits, and no composite key, which starts with U+0000, can equal it).
pub const POLICY_KEY: &str = "medchain.policy";

/// The largest policy `Init` accepts.
pub const MAX_POLICY_BYTES: usize = 16 * 1024;

/// The `Init` function: validates the hex-encoded policy, stores its bytes
/// (replacing the policy of an earlier chaincode definition) and returns
/// them.
pub async fn init<S: Stub>(stub: &S, argument: &[u8]) -> Result<Vec<u8>, ContractError> {
    let bytes = decode_hex_argument(argument)?;
    validate(&bytes)?;
    stub.put_state(POLICY_KEY, &bytes).await?;
    tracing::info!(tx_id = stub.tx_id(), "role policy fixed");
    Ok(bytes)
}

/// The `GetPolicy` function: the stored policy's bytes.
pub async fn get_policy<S: Stub>(stub: &S) -> Result<Vec<u8>, ContractError> {
    stub.get_state(POLICY_KEY)
        .await?
        .ok_or_else(not_initialized)
}

/// The stored policy; `unauthorized` for `record` when `Init` never ran.
pub async fn load<S: Stub>(
    stub: &S,
    record: &'static str,
) -> Result<ConsortiumPolicy, ContractError> {
    let bytes = stub.get_state(POLICY_KEY).await?.ok_or_else(|| {
        ContractError::unauthorized(
            record,
            "the consortium has not initialized the chaincode's role policy; an administrator must run Init first",
        )
    })?;
    ConsortiumPolicy::decode(bytes.as_slice())
        .map_err(|_| ContractError::Corrupt("the stored role policy does not decode".to_owned()))
}

/// The argument of `Init` for `policy`: the hex of its canonical bytes.
pub fn init_argument(policy: &ConsortiumPolicy) -> String {
    hex::encode(policy.encode_to_vec())
}

/// Whether `policy` lets `msp_id` issue `role`.
pub fn allows(policy: &ConsortiumPolicy, msp_id: &str, role: Role) -> bool {
    policy
        .issuers
        .iter()
        .any(|issuer| issuer.msp_id == msp_id && issuer.roles.contains(&(role as i32)))
}

/// The policy's floor on a case's Argon2id parameters: its own, or the
/// protocol's default (m ≥ 19456 KiB, t ≥ 2) when it sets none.
pub fn kdf_floor(policy: &ConsortiumPolicy) -> KdfFloor {
    policy.kdf_floor.unwrap_or(KdfFloor {
        m_kib: DEFAULT_KDF_FLOOR_M_KIB,
        t: DEFAULT_KDF_FLOOR_T,
    })
}

fn not_initialized() -> ContractError {
    ContractError::NotFound("the consortium has not initialized the chaincode's role policy".into())
}

fn decode_hex_argument(argument: &[u8]) -> Result<Vec<u8>, ContractError> {
    if argument.len() > 2 * MAX_POLICY_BYTES {
        return Err(ContractError::invalid(
            "policy",
            format!("it is larger than {MAX_POLICY_BYTES} bytes"),
        ));
    }
    hex::decode(argument).map_err(|_| {
        ContractError::invalid(
            "policy",
            "the Init argument must be the hex encoding of a medchain.v1.ConsortiumPolicy",
        )
    })
}

/// Checks a policy's bytes: canonical encoding, issuers sorted by MSP id
/// and each once, each with a sorted, duplicate-free, non-empty list of
/// registered roles.
pub fn validate(bytes: &[u8]) -> Result<ConsortiumPolicy, ContractError> {
    let invalid = |message: String| ContractError::invalid("policy", message);
    let policy = ConsortiumPolicy::decode(bytes).map_err(|_| {
        invalid(
            "it is not a medchain.v1.ConsortiumPolicy (it does not decode as protobuf)".to_owned(),
        )
    })?;
    if policy.encode_to_vec() != bytes {
        return Err(invalid(
            "it is not in canonical protobuf encoding; encode it with a standard protobuf encoder"
                .into(),
        ));
    }
    if policy.issuers.is_empty() {
        return Err(invalid(
            "it names no organization; list at least one MSP id and the roles it may issue".into(),
        ));
    }
    for pair in policy.issuers.windows(2) {
        if pair[0].msp_id >= pair[1].msp_id {
            return Err(invalid(format!(
                "the organizations must be sorted by MSP id and listed once ({:?} comes before {:?})",
                pair[0].msp_id, pair[1].msp_id
            )));
        }
    }
    for issuer in &policy.issuers {
        if issuer.msp_id.is_empty() {
            return Err(invalid("an organization has an empty MSP id".into()));
        }
        if issuer.roles.is_empty() {
            return Err(invalid(format!(
                "{} may issue no role; give it at least one or leave it out",
                issuer.msp_id
            )));
        }
        for &number in &issuer.roles {
            match Role::try_from(number) {
                Ok(Role::Unspecified) | Err(_) => {
                    return Err(invalid(format!(
                        "{} lists role number {number}, which is no registered role (1 to 4)",
                        issuer.msp_id
                    )));
                }
                Ok(_) => {}
            }
        }
        if issuer.roles.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid(format!(
                "the roles of {} must be sorted and listed once",
                issuer.msp_id
            )));
        }
    }
    if let Some(floor) = &policy.kdf_floor {
        if !(8..=KDF_MAX_M_KIB).contains(&floor.m_kib) {
            return Err(invalid(format!(
                "kdf_floor.m_kib must be between 8 and {KDF_MAX_M_KIB} KiB, got {}",
                floor.m_kib
            )));
        }
        if !(1..=KDF_MAX_T).contains(&floor.t) {
            return Err(invalid(format!(
                "kdf_floor.t must be between 1 and {KDF_MAX_T}, got {}",
                floor.t
            )));
        }
    }
    Ok(policy)
}

/// The roles `policy` lets `msp_id` issue, by name, for messages.
pub fn roles_of(policy: &ConsortiumPolicy, msp_id: &str) -> Vec<&'static str> {
    policy
        .issuers
        .iter()
        .filter(|issuer| issuer.msp_id == msp_id)
        .flat_map(|issuer| issuer.roles.iter())
        .filter_map(|&number| Role::try_from(number).ok().map(role_name))
        .collect()
}

/// The text item that sets the KDF floor: `kdf-floor=M_KIB,T`.
pub const KDF_FLOOR_ITEM: &str = "kdf-floor";

/// Reads the policy's text form, one `MSPID=role,role…` per item (roles
/// spelled as `medchain.role` spells them) and at most one
/// `kdf-floor=M_KIB,T`, into the canonical policy `Init` takes:
/// organizations sorted by MSP id, roles sorted and each once.
pub fn from_text<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<ConsortiumPolicy, String> {
    let mut issuers: Vec<RoleIssuer> = Vec::new();
    let mut kdf_floor = None;
    for item in items {
        if let Some(value) = item
            .strip_prefix(KDF_FLOOR_ITEM)
            .and_then(|rest| rest.strip_prefix('='))
        {
            if kdf_floor.is_some() {
                return Err(format!("{KDF_FLOOR_ITEM} is given twice; give it once"));
            }
            kdf_floor = Some(floor_from_text(value)?);
            continue;
        }
        let (msp_id, roles) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not MSPID=role,role…; e.g. Org1MSP=doctor"))?;
        if msp_id.is_empty() {
            return Err(format!("{item:?} names no MSP id before '='"));
        }
        if issuers.iter().any(|i| i.msp_id == msp_id) {
            return Err(format!(
                "{msp_id} is listed twice; list each organization once"
            ));
        }
        let mut numbers = Vec::new();
        for name in roles.split(',') {
            let role = [Role::Doctor, Role::Pharmacist, Role::Insurer, Role::LawyerExpert]
                .into_iter()
                .find(|&r| role_name(r) == name)
                .ok_or_else(|| {
                    format!(
                        "unknown role {name:?} for {msp_id}; use doctor, pharmacist, insurer or lawyer-expert"
                    )
                })?;
            numbers.push(role as i32);
        }
        numbers.sort_unstable();
        numbers.dedup();
        issuers.push(RoleIssuer {
            msp_id: msp_id.to_owned(),
            roles: numbers,
        });
    }
    issuers.sort_by(|a, b| a.msp_id.cmp(&b.msp_id));
    let policy = ConsortiumPolicy { issuers, kdf_floor };
    validate(&policy.encode_to_vec()).map_err(|e| e.to_string())
}

fn floor_from_text(value: &str) -> Result<KdfFloor, String> {
    let wrong = || {
        format!(
            "{KDF_FLOOR_ITEM}={value} is not {KDF_FLOOR_ITEM}=M_KIB,T; e.g. {KDF_FLOOR_ITEM}=19456,2"
        )
    };
    let (m, t) = value.split_once(',').ok_or_else(wrong)?;
    Ok(KdfFloor {
        m_kib: m.parse().map_err(|_| wrong())?,
        t: t.parse().map_err(|_| wrong())?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_text_form_gives_the_canonical_policy() {
        let policy =
            from_text(["Org2MSP=lawyer-expert,pharmacist,insurer", "Org1MSP=doctor"]).unwrap();
        assert_eq!(policy.issuers[0].msp_id, "Org1MSP");
        assert_eq!(policy.issuers[0].roles, vec![Role::Doctor as i32]);
        assert_eq!(
            policy.issuers[1].roles,
            vec![
                Role::Pharmacist as i32,
                Role::Insurer as i32,
                Role::LawyerExpert as i32
            ]
        );
        assert!(allows(&policy, "Org2MSP", Role::Insurer));
        assert!(!allows(&policy, "Org2MSP", Role::Doctor));
        assert!(!allows(&policy, "Org3MSP", Role::Doctor));
        assert_eq!(
            roles_of(&policy, "Org2MSP"),
            ["pharmacist", "insurer", "lawyer-expert"]
        );
        // Duplicated roles collapse.
        assert_eq!(
            from_text(["A=doctor,doctor"]).unwrap().issuers[0]
                .roles
                .len(),
            1
        );
        // No floor: the protocol's default; kdf-floor sets one.
        assert_eq!(policy.kdf_floor, None);
        assert_eq!(kdf_floor(&policy), KdfFloor { m_kib: 19456, t: 2 });
        let lowered = from_text(["A=doctor", "kdf-floor=64,1"]).unwrap();
        assert_eq!(kdf_floor(&lowered), KdfFloor { m_kib: 64, t: 1 });
    }

    #[test]
    fn bad_text_forms_are_refused_with_a_sentence() {
        for (items, expected) in [
            (vec!["Org1MSP"], "is not MSPID=role,role"),
            (vec!["=doctor"], "names no MSP id"),
            (vec!["A=doctor", "A=insurer"], "A is listed twice"),
            (vec!["A=surgeon"], "unknown role \"surgeon\" for A"),
            (vec!["A="], "unknown role \"\" for A"),
            (vec![], "it names no organization"),
            (
                vec!["A=doctor", "kdf-floor=64"],
                "kdf-floor=64 is not kdf-floor=M_KIB,T",
            ),
            (
                vec!["A=doctor", "kdf-floor=x,1"],
                "is not kdf-floor=M_KIB,T",
            ),
            (
                vec!["A=doctor", "kdf-floor=4,1"],
                "kdf_floor.m_kib must be between 8",
            ),
            (
                vec!["A=doctor", "kdf-floor=64,1", "kdf-floor=64,2"],
                "kdf-floor is given twice",
            ),
        ] {
            let error = from_text(items.clone()).unwrap_err();
            assert!(error.contains(expected), "{items:?}: {error}");
        }
    }
}
