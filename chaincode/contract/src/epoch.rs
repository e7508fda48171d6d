//! Key epochs (protocol §7b): who is a member of each epoch of a case. Pure
//! rules, shared by the contract and the clients.

use medchain_protocol::limits::MAX_PARTICIPANTS;

use crate::case::Case;

/// The members of epoch 0: the case's participants in case order, then its
/// grantees (with a grant tag) in ascending index order — an order every
/// reader derives alike, whatever order the grants were committed or
/// listed in.
pub fn initial_members(case: &Case, grantees: &[u64]) -> Vec<u64> {
    let mut members = case.participants();
    let mut grantees = grantees.to_vec();
    grantees.sort_unstable();
    for grantee in grantees {
        if !members.contains(&grantee) {
            members.push(grantee);
        }
    }
    members
}

/// The members of the next epoch: `previous` without `revoked`, in the same
/// order. `revoked` must be sorted ascending, each once, at least one, each
/// a member of `previous`, never `opener` nor the case's doctor; the new
/// epoch has at most [`MAX_PARTICIPANTS`] members. The error is one
/// sentence saying what is wrong.
pub fn next_members(
    previous: &[u64],
    revoked: &[u64],
    opener: u64,
    doctor: u64,
) -> Result<Vec<u64>, String> {
    if revoked.is_empty() {
        return Err("revoked must name at least one member to leave out of the new epoch".into());
    }
    if revoked.windows(2).any(|w| w[0] >= w[1]) {
        return Err("revoked must be sorted ascending with each index once".into());
    }
    for &ind in revoked {
        if ind == opener {
            return Err(
                "the opener cannot revoke itself; another member who speaks for the patient can"
                    .into(),
            );
        }
        if ind == doctor {
            return Err(format!(
                "the case's doctor {ind:016x} writes its diagnoses and cannot be revoked; open a new case with another doctor instead"
            ));
        }
        if !previous.contains(&ind) {
            return Err(format!(
                "participant {ind:016x} is not a member of the case's current key epoch"
            ));
        }
    }
    let members: Vec<u64> = previous
        .iter()
        .copied()
        .filter(|ind| revoked.binary_search(ind).is_err())
        .collect();
    if members.len() > MAX_PARTICIPANTS {
        return Err(format!(
            "the new epoch would have {} members, more than a tag holds ({MAX_PARTICIPANTS}); revoke more members",
            members.len()
        ));
    }
    Ok(members)
}

/// Encodes a member list: 8 bytes per index, big-endian.
pub fn encode_members(members: &[u64]) -> Vec<u8> {
    members.iter().flat_map(|m| m.to_be_bytes()).collect()
}

/// Decodes a member list written by [`encode_members`].
pub fn decode_members(bytes: &[u8]) -> Option<Vec<u64>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(8)
            .filter_map(|c| <[u8; 8]>::try_from(c).ok())
            .map(u64::from_be_bytes)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCTOR: u64 = 3;

    #[test]
    fn revoking_keeps_order_and_refuses_bad_lists() {
        let previous = [1, 2, DOCTOR, 4, 5];
        assert_eq!(
            next_members(&previous, &[2, 5], 1, DOCTOR),
            Ok(vec![1, 3, 4])
        );
        assert!(next_members(&previous, &[], 1, DOCTOR).is_err());
        assert!(next_members(&previous, &[5, 2], 1, DOCTOR).is_err());
        assert!(next_members(&previous, &[2, 2], 1, DOCTOR).is_err());
        assert!(next_members(&previous, &[1], 1, DOCTOR).is_err());
        assert!(next_members(&previous, &[DOCTOR], 1, DOCTOR).is_err());
        assert!(next_members(&previous, &[9], 1, DOCTOR).is_err());
    }

    #[test]
    fn members_round_trip_and_odd_lengths_are_refused() {
        let members = vec![7, u64::MAX, 0];
        assert_eq!(decode_members(&encode_members(&members)), Some(members));
        assert_eq!(decode_members(&[0; 9]), None);
    }
}
