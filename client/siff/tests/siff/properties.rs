//! Property tests of the `medchain-siff-v1` crypto core: every participant
//! recovers the key, an outsider does not, tampering is detected, and
//! interpolation round-trips. Tiny Argon2id parameters keep them fast.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use medchain_siff::field::{FieldElement, evaluate, interpolate};
use medchain_siff::{
    CaseId, CryptoError, KdfParams, ParticipantSecret, RecordKey, RecordType, Tag, establish_key,
    open_record, open_response, seal_record, seal_response,
};
use p256::SecretKey;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The bytes of a coefficient's encoding that hold its low 128 bits.
const LOW_BYTES: usize = 16;

const TINY: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

fn field_element(rng: &mut ChaCha20Rng) -> FieldElement {
    let mut bytes = [0u8; 64];
    rng.fill_bytes(&mut bytes);
    FieldElement::from_be_bytes_64(&bytes)
}

/// A case of `k` participants whose secrets come from random passwords.
struct Case {
    id: CaseId,
    secrets: Vec<ParticipantSecret>,
    rng: ChaCha20Rng,
}

fn case(k: usize, seed: u64) -> Case {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut kappa0 = [0u8; 32];
    rng.fill_bytes(&mut kappa0);
    let id = CaseId::from_bytes(kappa0);
    let secrets = (0..k)
        .map(|_| {
            let password = format!("pw-{}-ä", rng.next_u32());
            ParticipantSecret::derive(&password, &id, rng.next_u64(), &TINY).unwrap()
        })
        .collect();
    Case { id, secrets, rng }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn every_participant_recovers_the_key(k in 2usize..=32, seed: u64) {
        let mut case = case(k, seed);
        let (key, tag) = establish_key(&case.secrets, &mut case.rng).unwrap();
        let tag = Tag::from_bytes(&tag.to_bytes()).unwrap();
        prop_assert_eq!(tag.participant_count(), k);
        let record_key = RecordKey::derive(&key, &case.id, &tag).unwrap();
        let sealed = seal_record(&record_key, RecordType::Diagnosis, &case.id, b"record", &mut case.rng).unwrap();
        for secret in &case.secrets {
            let recovered = tag.recover_key(secret);
            prop_assert!(recovered == key);
            let opened = open_record(&RecordKey::derive(&recovered, &case.id, &tag).unwrap(), RecordType::Diagnosis, &case.id, &sealed).unwrap();
            prop_assert_eq!(opened.as_slice(), b"record");
        }
    }

    #[test]
    fn a_non_participant_does_not_recover_the_key(k in 2usize..=32, seed: u64, wrong_password: String) {
        let mut case = case(k, seed);
        let (key, tag) = establish_key(&case.secrets, &mut case.rng).unwrap();
        let record_key = RecordKey::derive(&key, &case.id, &tag).unwrap();
        let sealed = seal_record(&record_key, RecordType::Medication, &case.id, b"charges", &mut case.rng).unwrap();
        // An outsider with a password of its own, and one with a random secret.
        let outsiders = [
            ParticipantSecret::derive(&wrong_password, &case.id, case.rng.next_u64(), &TINY).unwrap(),
            ParticipantSecret::from_bytes({ let mut b = [0u8; 32]; case.rng.fill_bytes(&mut b); b }),
        ];
        for outsider in &outsiders {
            let guessed = tag.recover_key(outsider);
            prop_assert!(guessed != key);
            let err = open_record(&RecordKey::derive(&guessed, &case.id, &tag).unwrap(), RecordType::Medication, &case.id, &sealed).unwrap_err();
            prop_assert_eq!(err, CryptoError::CannotDecrypt);
        }
    }

    /// A flip in the low 128 bits of any coefficient changes every
    /// participant's key (the upper bits of `α_0` and `α_1` are malleable, see
    /// `tag_malleability_of_the_upper_half_of_alpha_0` and docs/protocol.md
    /// §7), so the records no longer decrypt.
    #[test]
    fn a_tampered_tag_does_not_give_the_key(k in 2usize..=16, seed: u64, coefficient: usize, byte in 0usize..LOW_BYTES, bit in 0u8..8) {
        let mut case = case(k, seed);
        let (key, tag) = establish_key(&case.secrets, &mut case.rng).unwrap();
        let record_key = RecordKey::derive(&key, &case.id, &tag).unwrap();
        let sealed = seal_record(&record_key, RecordType::Compensation, &case.id, b"80%", &mut case.rng).unwrap();
        let mut bytes = tag.to_bytes();
        let position = (coefficient % k) * 66 + 66 - LOW_BYTES + byte;
        bytes[position] ^= 1 << bit;
        match Tag::from_bytes(&bytes) {
            Err(err) => prop_assert!(false, "a low-bit flip made the tag invalid: {err}"),
            Ok(tampered) => {
                for secret in &case.secrets {
                    let recovered = tampered.recover_key(secret);
                    prop_assert!(recovered != key);
                    let err = open_record(&RecordKey::derive(&recovered, &case.id, &tampered).unwrap(), RecordType::Compensation, &case.id, &sealed).unwrap_err();
                    prop_assert_eq!(err, CryptoError::CannotDecrypt);
                }
            }
        }
    }

    #[test]
    fn a_tampered_record_does_not_decrypt(plaintext: Vec<u8>, seed: u64, position: usize, bit in 0u8..8, cut in 1usize..40) {
        let mut case = case(2, seed);
        let (key, tag) = establish_key(&case.secrets, &mut case.rng).unwrap();
        let record_key = RecordKey::derive(&key, &case.id, &tag).unwrap();
        let sealed = seal_record(&record_key, RecordType::Diagnosis, &case.id, &plaintext, &mut case.rng).unwrap();
        let padded = medchain_protocol::limits::padded_len(plaintext.len()).unwrap();
        prop_assert_eq!(sealed.len(), 12 + padded + 16);
        let mut flipped = sealed.clone();
        let position = position % flipped.len();
        flipped[position] ^= 1 << bit;
        prop_assert_eq!(open_record(&record_key, RecordType::Diagnosis, &case.id, &flipped).unwrap_err(), CryptoError::CannotDecrypt);
        let truncated = &sealed[..sealed.len().saturating_sub(cut)];
        let err = open_record(&record_key, RecordType::Diagnosis, &case.id, truncated).unwrap_err();
        if truncated.len() < 28 {
            let is_length_error = matches!(err, CryptoError::InvalidLength { .. });
            prop_assert!(is_length_error);
        } else {
            prop_assert_eq!(err, CryptoError::CannotDecrypt);
        }
    }

    #[test]
    fn interpolation_round_trips(k in 1usize..=32, seed: u64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        // Points to coefficients and back.
        let points: Vec<_> = (0..k).map(|_| (field_element(&mut rng), field_element(&mut rng))).collect();
        let coefficients = interpolate(&points).unwrap();
        prop_assert_eq!(coefficients.len(), k);
        for (x, y) in &points {
            prop_assert_eq!(evaluate(&coefficients, x), *y);
        }
        // Coefficients to points and back.
        let polynomial: Vec<_> = (0..k).map(|_| field_element(&mut rng)).collect();
        let samples: Vec<_> = (0..k).map(|_| { let x = field_element(&mut rng); (x, evaluate(&polynomial, &x)) }).collect();
        let recovered = interpolate(&samples).unwrap();
        prop_assert_eq!(recovered.as_slice(), polynomial.as_slice());
        // Encoding round-trips.
        for c in polynomial {
            prop_assert_eq!(FieldElement::from_be_slice(&c.to_be_bytes()), Some(c));
        }
    }

    #[test]
    fn a_response_opens_only_for_its_doctor_case_and_participant(seed: u64, ind: u64, secret: [u8; 32]) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let case = CaseId::from_bytes(secret.map(|b| b ^ 0x5a));
        let doctor = SecretKey::random(&mut rng);
        let secret = ParticipantSecret::from_bytes(secret);
        let sealed = seal_response(&secret, ind, &case, &doctor.public_key(), &mut rng).unwrap();
        let opened = open_response(&doctor, ind, &case, &sealed.ephemeral_key, &sealed.sealed_secret).unwrap();
        prop_assert!(opened == secret);
        let other_doctor = SecretKey::random(&mut rng);
        let err = open_response(&other_doctor, ind, &case, &sealed.ephemeral_key, &sealed.sealed_secret).unwrap_err();
        prop_assert_eq!(err, CryptoError::CannotDecrypt);
        let err = open_response(&doctor, ind ^ 1, &case, &sealed.ephemeral_key, &sealed.sealed_secret).unwrap_err();
        prop_assert_eq!(err, CryptoError::CannotDecrypt);
    }
}

/// A known property of `medchain-siff-v1` (docs/protocol.md §7): adding a
/// multiple of 2^256 to `α_0` shifts every `u(β_j)` by it, which changes
/// only the upper halves `r_j`; every participant still recovers the same
/// `K`. Harmless (the key is right, records stay authenticated by GCM), but
/// it means the tag itself is malleable.
#[test]
fn tag_malleability_of_the_upper_half_of_alpha_0() {
    let mut case = case(4, 7);
    let (key, tag) = establish_key(&case.secrets, &mut case.rng).unwrap();
    let mut bytes = tag.to_bytes();
    // Bit 300 of α_0 lives in byte 65 − 300/8 = 28, bit 300 % 8 = 4.
    bytes[65 - 300 / 8] ^= 1 << (300 % 8);
    let tampered = Tag::from_bytes(&bytes).unwrap();
    assert_ne!(tampered, tag);
    for secret in &case.secrets {
        assert!(tampered.recover_key(secret) == key);
    }
    // A flip in the lower half of α_0 changes the key.
    let mut bytes = tag.to_bytes();
    bytes[65] ^= 1;
    let tampered = Tag::from_bytes(&bytes).unwrap();
    for secret in &case.secrets {
        assert!(tampered.recover_key(secret) != key);
    }
}
