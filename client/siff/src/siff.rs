//! The SIFF key-sharing scheme: the doctor establishes the case's shared key
//! `K` and publishes a tag (the coefficients of a polynomial); every
//! participant recovers `K` from the tag and its own secret
//! (`f(s) = u(β(s)) mod 2^256`).

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::field::{self, FieldElement};
use crate::rng::fill_random;
use crate::{CryptoError, ParticipantSecret, SharedKey};

/// The domain-separation prefix of a SIFF point:
/// `β = SHA-256("medchain-siff-beta-v1" || s)`.
pub const BETA_DOMAIN: &[u8] = b"medchain-siff-beta-v1";

/// The fewest participants a case has (the patient and the doctor). With a
/// single participant the tag would be `r || K` itself. The contract's bound.
pub const MIN_PARTICIPANTS: usize = medchain_protocol::limits::MIN_PARTICIPANTS;

/// The most participants a case may have, doctor included (the contract's
/// bound: a tag is at most 66·32 bytes).
pub const MAX_PARTICIPANTS: usize = medchain_protocol::limits::MAX_PARTICIPANTS;

impl ParticipantSecret {
    /// The participant's SIFF point `β = SHA-256("medchain-siff-beta-v1" || s)`
    /// as 32 bytes (read big-endian as the integer `β`). Secret-equivalent:
    /// whoever knows it recovers the case key from the tag.
    pub fn siff_point(&self) -> Zeroizing<[u8; 32]> {
        let mut hasher = Sha256::new();
        hasher.update(BETA_DOMAIN);
        hasher.update(self.expose_secret());
        Zeroizing::new(hasher.finalize().into())
    }

    fn siff_point_element(&self) -> FieldElement {
        let mut wide = Zeroizing::new([0u8; 64]);
        wide[32..].copy_from_slice(self.siff_point().as_ref());
        FieldElement::from_be_bytes_64(&wide)
    }
}

/// The public SIFF tag of a case: the coefficients `α_0 … α_{k−1}` of the
/// polynomial `u`, one per participant; encoded as 66-byte big-endian
/// integers, `α_0` first.
#[derive(Clone, PartialEq, Eq)]
pub struct Tag(Vec<FieldElement>);

impl core::fmt::Debug for Tag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Tag({} coefficients)", self.0.len())
    }
}

impl Tag {
    /// Reads a tag: `66·k` bytes with `2 ≤ k ≤ 32`, each coefficient below
    /// `2^521 − 1`, not all of `α_1 … α_{k−1}` zero.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        // A constant polynomial `α_0` gives every secret, anyone's, the key
        // `α_0`, which anyone reads off the tag: refused.
        let refuse_degenerate = |tag: Self| {
            if medchain_protocol::limits::is_degenerate_tag(bytes) {
                Err(CryptoError::DegenerateTag)
            } else {
                Ok(tag)
            }
        };
        let k = bytes.len() / FieldElement::ENCODED_LEN;
        if !bytes.len().is_multiple_of(FieldElement::ENCODED_LEN)
            || !(MIN_PARTICIPANTS..=MAX_PARTICIPANTS).contains(&k)
        {
            return Err(CryptoError::InvalidTagLength {
                len: bytes.len(),
                min: MIN_PARTICIPANTS,
                max: MAX_PARTICIPANTS,
            });
        }
        bytes
            .chunks_exact(FieldElement::ENCODED_LEN)
            .enumerate()
            .map(|(index, chunk)| {
                FieldElement::from_be_slice(chunk)
                    .ok_or(CryptoError::CoefficientOutOfRange { index })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
            .and_then(refuse_degenerate)
    }

    /// The encoding: every coefficient as 66 bytes big-endian, `α_0` first.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|c| c.to_be_bytes()).collect()
    }

    /// The number of participants `k` (the number of coefficients).
    pub fn participant_count(&self) -> usize {
        self.0.len()
    }

    /// The coefficients `α_0 … α_{k−1}`.
    pub fn coefficients(&self) -> &[FieldElement] {
        &self.0
    }

    /// The SIFF function: `f(s) = u(β(s)) mod 2^256`. For a participant of
    /// the case this is the shared key `K`; for anyone else it is an
    /// unrelated value, which shows as [`CryptoError::CannotDecrypt`] when
    /// the records are opened.
    pub fn recover_key(&self, secret: &ParticipantSecret) -> SharedKey {
        let beta = Zeroizing::new(secret.siff_point_element());
        let value = Zeroizing::new(field::evaluate(&self.0, &beta));
        SharedKey::from_bytes(value.low_256_bits())
    }
}

/// Establishes a case's shared key from every participant's secret (the
/// doctor's included), in case order: draws `K` and one 32-byte `r_j` per
/// participant, and interpolates the polynomial through the points
/// `(β_j, r_j·2^256 + K)`. Returns `K` and the tag.
///
/// Randomness is drawn from `rng` in this order: `K` (32 bytes), then
/// `r_1 … r_k` (32 bytes each). Fails if there are fewer than 2 or more than
/// 32 participants, or if two participants have the same point.
pub fn establish_key(
    secrets: &[ParticipantSecret],
    rng: &mut impl CryptoRngCore,
) -> Result<(SharedKey, Tag), CryptoError> {
    if !(MIN_PARTICIPANTS..=MAX_PARTICIPANTS).contains(&secrets.len()) {
        return Err(CryptoError::ParticipantCount {
            count: secrets.len(),
            min: MIN_PARTICIPANTS,
            max: MAX_PARTICIPANTS,
        });
    }
    let mut key = Zeroizing::new([0u8; 32]);
    fill_random(rng, key.as_mut())?;
    let key = SharedKey::from_bytes(*key);
    let tag = tag_for_key(&key, secrets, rng)?;
    Ok((key, tag))
}

/// A grant tag (protocol §7a): the SIFF polynomial through the points
/// `(β_j, r_j·2^256 + K)` of `secrets` — the granter's and the grantee's —
/// for the case's existing key `K`, so every one of them recovers the same
/// `K`. Randomness: `r_1 … r_k` (32 bytes each) from `rng`. The same bounds
/// as [`establish_key`].
pub fn grant_tag(
    key: &SharedKey,
    secrets: &[ParticipantSecret],
    rng: &mut impl CryptoRngCore,
) -> Result<Tag, CryptoError> {
    if !(MIN_PARTICIPANTS..=MAX_PARTICIPANTS).contains(&secrets.len()) {
        return Err(CryptoError::ParticipantCount {
            count: secrets.len(),
            min: MIN_PARTICIPANTS,
            max: MAX_PARTICIPANTS,
        });
    }
    tag_for_key(key, secrets, rng)
}

/// Interpolates the tag through `(β_j, r_j ‖ K)`, drawing each `r_j`.
fn tag_for_key(
    key: &SharedKey,
    secrets: &[ParticipantSecret],
    rng: &mut impl CryptoRngCore,
) -> Result<Tag, CryptoError> {
    let mut points = Zeroizing::new(Vec::with_capacity(secrets.len()));
    let mut value = Zeroizing::new([0u8; 64]);
    for secret in secrets {
        fill_random(rng, &mut value[..32])?;
        value[32..].copy_from_slice(key.expose_secret());
        points.push((
            secret.siff_point_element(),
            FieldElement::from_be_bytes_64(&value),
        ));
    }
    let coefficients = field::interpolate(&points)?;
    Ok(Tag(coefficients.to_vec()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand_core::OsRng;

    fn secrets(k: usize) -> Vec<ParticipantSecret> {
        (0..k)
            .map(|i| {
                let mut bytes = [0u8; 32];
                bytes[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
                ParticipantSecret::from_bytes(bytes)
            })
            .collect()
    }

    #[test]
    fn every_participant_recovers_the_key_and_an_outsider_does_not() {
        let participants = secrets(5);
        let (key, tag) = establish_key(&participants, &mut OsRng).unwrap();
        assert_eq!(tag.participant_count(), 5);
        for secret in &participants {
            assert_eq!(tag.recover_key(secret), key);
        }
        assert_ne!(
            tag.recover_key(&ParticipantSecret::from_bytes([99; 32])),
            key
        );
        let reparsed = Tag::from_bytes(&tag.to_bytes()).unwrap();
        assert_eq!(reparsed, tag);
        assert_eq!(tag.to_bytes().len(), 5 * 66);
        assert_eq!(format!("{tag:?}"), "Tag(5 coefficients)");
    }

    #[test]
    fn a_grant_tag_gives_the_granter_and_the_grantee_the_case_key() {
        let case = secrets(4);
        let (key, _) = establish_key(&case, &mut OsRng).unwrap();
        let grantee = ParticipantSecret::from_bytes([42; 32]);
        let tag = grant_tag(&key, &[case[0].clone(), grantee.clone()], &mut OsRng).unwrap();
        assert_eq!(tag.participant_count(), 2);
        assert_eq!(tag.recover_key(&grantee), key);
        assert_eq!(tag.recover_key(&case[0]), key);
        assert_ne!(tag.recover_key(&case[1]), key);
        assert!(grant_tag(&key, &[grantee], &mut OsRng).is_err());
    }

    #[test]
    fn siff_point_is_the_documented_hash() {
        let secret = ParticipantSecret::from_bytes([0x10; 32]);
        let mut hasher = Sha256::new();
        hasher.update(b"medchain-siff-beta-v1");
        hasher.update([0x10; 32]);
        let expected: [u8; 32] = hasher.finalize().into();
        assert_eq!(*secret.siff_point(), expected);
    }

    #[test]
    fn the_participant_count_is_bounded() {
        for k in [0, 1, MAX_PARTICIPANTS + 1] {
            let err = establish_key(&secrets(k), &mut OsRng).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("a case needs between 2 and 32 participants (doctor included), got {k}")
            );
        }
    }

    #[test]
    fn a_participant_listed_twice_is_refused() {
        let mut participants = secrets(4);
        participants.push(participants[1].clone());
        assert_eq!(
            establish_key(&participants, &mut OsRng).unwrap_err(),
            CryptoError::DuplicatePoint {
                first: 1,
                second: 4
            }
        );
    }

    #[test]
    fn tags_of_the_wrong_length_are_rejected() {
        for len in [0, 66, 65, 67, 131, 133, 66 * 33] {
            let err = Tag::from_bytes(&vec![0; len]).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the tag is {len} bytes; it must be 66 bytes per participant \
                     (66·k bytes with 2 ≤ k ≤ 32); the record is corrupt"
                )
            );
        }
        let with_alpha_1 = |k: usize| {
            let mut bytes = vec![0; 66 * k];
            bytes[131] = 1;
            bytes
        };
        assert_eq!(
            Tag::from_bytes(&with_alpha_1(2))
                .unwrap()
                .participant_count(),
            2
        );
        assert_eq!(
            Tag::from_bytes(&with_alpha_1(32))
                .unwrap()
                .participant_count(),
            32
        );
    }

    /// Protocol v2: a constant polynomial `α_0` gives every secret the
    /// public key `α_0`; such a tag is refused, for any `α_0`.
    #[test]
    fn degenerate_tags_are_refused() {
        for k in [2, 5, 32] {
            let mut bytes = vec![0u8; 66 * k];
            bytes[65] = 42;
            assert_eq!(
                Tag::from_bytes(&bytes).unwrap_err(),
                CryptoError::DegenerateTag
            );
            assert_eq!(
                Tag::from_bytes(&vec![0; 66 * k]).unwrap_err(),
                CryptoError::DegenerateTag
            );
            // Any non-zero higher coefficient makes it a real polynomial.
            bytes[66 * k - 1] = 1;
            assert!(Tag::from_bytes(&bytes).is_ok());
        }
    }

    #[test]
    fn non_canonical_coefficients_are_rejected() {
        let mut bytes = vec![0u8; 3 * 66];
        // α_2 = p = 2^521 − 1.
        bytes[132] = 0x01;
        bytes[133..].fill(0xff);
        assert_eq!(
            Tag::from_bytes(&bytes).unwrap_err(),
            CryptoError::CoefficientOutOfRange { index: 2 }
        );
        bytes[197] = 0xfe;
        assert!(Tag::from_bytes(&bytes).is_ok());
    }
}
