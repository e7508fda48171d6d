//! Checks `tests/vectors/siff-v2.json`: re-derives every value from its
//! inputs with the library (and the primitives directly where the library
//! keeps an intermediate private), and checks that the generator reproduces
//! the committed file byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::siff_support;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use medchain_siff::field::{FieldElement, evaluate};
use medchain_siff::point::{
    decode_compressed_key, decode_uncompressed_key, encode_uncompressed_key,
};
use medchain_siff::{
    CaseId, CryptoError, KdfParams, ParticipantSecret, RecordKey, RecordType, SharedKey, Tag,
    establish_key, open_record, open_response, participant_index, seal_record, seal_response,
};
use p256::SecretKey;
use sha2::Digest;
use siff_support::{Record, ReplayRng, Vectors, hex, unhex};

fn committed() -> (String, Vectors) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(siff_support::VECTORS_PATH);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let vectors = serde_json::from_str(&text).expect("the vectors follow the schema");
    (text, vectors)
}

#[test]
fn file_covers_what_the_spec_requires() {
    let (_, vectors) = committed();
    assert_eq!(vectors.version, "medchain-siff-v2");
    let counts: Vec<usize> = vectors.cases.iter().map(|c| c.participants.len()).collect();
    for k in (2..=8).chain([16]) {
        assert!(counts.contains(&k), "no case with k = {k}");
    }
    assert!(vectors.cases.len() >= 8);
    assert!(
        vectors
            .cases
            .iter()
            .flat_map(|c| &c.participants)
            .any(|p| !p.password.is_ascii()),
        "no non-ASCII password"
    );
    assert!(vectors.txtr.len() >= 3);
    assert!(vectors.grants.len() >= 2);
    assert!(vectors.ind.len() >= 3);
    assert!(
        vectors
            .epochs
            .iter()
            .any(|e| e.epoch == 1 && e.previous_members.len() == 4 && e.revoked.len() == 1),
        "no epoch 1 of a 4-participant case revoking one"
    );
    assert!(
        vectors
            .epochs
            .iter()
            .any(|e| e.epoch >= 2 && e.revoked.len() >= 2),
        "no later epoch revoking several"
    );
}

#[test]
fn siff_cases_re_derive() {
    let (_, vectors) = committed();
    for (n, case) in vectors.cases.iter().enumerate() {
        let params = KdfParams {
            m_kib: case.kdf.m_kib,
            t: case.kdf.t,
            p: case.kdf.p,
        };
        let case_id = CaseId::from_bytes(unhex(&case.kappa0));
        let key = SharedKey::from_bytes(unhex(&case.key));
        let mut secrets = Vec::new();
        for participant in &case.participants {
            let ind: u64 = participant.ind.parse().unwrap();
            let secret =
                ParticipantSecret::derive(&participant.password, &case_id, ind, &params).unwrap();
            assert_eq!(hex(secret.expose_secret()), participant.s, "case {n}: s");
            assert_eq!(
                hex(*secret.siff_point()),
                participant.beta,
                "case {n}: beta"
            );
            secrets.push(secret);
        }

        // The tag: re-established from the recorded randomness K, r_1 … r_k.
        let key_bytes: [u8; 32] = unhex(&case.key);
        let rs: Vec<[u8; 32]> = case.participants.iter().map(|p| unhex(&p.r)).collect();
        let mut parts: Vec<&[u8]> = vec![&key_bytes];
        parts.extend(rs.iter().map(|r| &r[..]));
        let mut replay = ReplayRng::new(&parts);
        let (established, tag) = establish_key(&secrets, &mut replay).unwrap();
        assert!(replay.is_exhausted());
        assert_eq!(established, key);
        let tag_hex: Vec<String> = tag.to_bytes().chunks(66).map(hex).collect();
        assert_eq!(tag_hex, case.tag, "case {n}: tag");

        // u(β_j) = r_j·2^256 + K for every participant, and f(s_j) = K.
        let parsed = Tag::from_bytes(&hex::decode(case.tag.concat()).unwrap()).unwrap();
        for (j, (secret, r)) in secrets.iter().zip(&rs).enumerate() {
            let mut beta = [0u8; 64];
            beta[32..].copy_from_slice(secret.siff_point().as_ref());
            let value = evaluate(
                parsed.coefficients(),
                &FieldElement::from_be_bytes_64(&beta),
            );
            let mut expected = [0u8; 66];
            expected[2..34].copy_from_slice(r);
            expected[34..].copy_from_slice(&key_bytes);
            assert_eq!(value.to_be_bytes(), expected, "case {n}: u(beta_{j})");
            assert_eq!(parsed.recover_key(secret), key, "case {n}: f(s_{j})");
        }

        // A wrong password (with participant 0's index) gives wrong_key.
        let ind0: u64 = case.participants[0].ind.parse().unwrap();
        let wrong =
            ParticipantSecret::derive(&case.wrong_password, &case_id, ind0, &params).unwrap();
        let wrong_key = parsed.recover_key(&wrong);
        assert_eq!(
            hex(wrong_key.expose_secret()),
            case.wrong_key,
            "case {n}: wrong_key"
        );
        assert_ne!(wrong_key, key);

        // The doctor's tag signature: the message binds κ0 and SHA-256 of
        // the tag, the signature verifies (low S) with the doctor's key and
        // is the deterministic one.
        let tag_bytes = parsed.to_bytes();
        let kappa0: [u8; 32] = unhex(&case.kappa0);
        let sig = &case.tag_signature;
        let message = medchain_protocol::signature::tag_signature_message(&kappa0, &tag_bytes);
        assert_eq!(hex(&message), sig.message, "case {n}: tag message");
        let doctor_secret: [u8; 32] = unhex(&sig.doctor_secret);
        let doctor = SecretKey::from_bytes(&doctor_secret.into())
            .unwrap()
            .public_key();
        assert_eq!(hex(encode_uncompressed_key(&doctor)), sig.doctor_key);
        let signature = hex::decode(&sig.signature).unwrap();
        medchain_protocol::signature::verify_tag_signature(
            &doctor, &kappa0, &tag_bytes, &signature,
        )
        .unwrap();
        assert_eq!(
            hex(siff_support::tag_signature(
                &doctor_secret,
                &kappa0,
                &tag_bytes
            )),
            sig.signature,
            "case {n}: tag signature"
        );

        // The record: key bound to the tag, plaintext padded.
        check_record(
            &format!("case {n}"),
            &case.record,
            &key,
            &wrong_key,
            &case_id,
            &parsed,
        );
    }
}

#[test]
fn txtr_vectors_re_derive() {
    let (_, vectors) = committed();
    for (n, v) in vectors.txtr.iter().enumerate() {
        let case_id = CaseId::from_bytes(unhex(&v.kappa0));
        let ind: u64 = v.ind.parse().unwrap();
        let ephemeral = SecretKey::from_slice(&hex::decode(&v.ephemeral_secret).unwrap()).unwrap();
        let doctor = SecretKey::from_slice(&hex::decode(&v.doctor_secret).unwrap()).unwrap();
        let pk_x = hex::decode(&v.pk_x).unwrap();
        let pk_d = hex::decode(&v.pk_d).unwrap();
        assert_eq!(
            decode_compressed_key(&pk_x, "pk_x").unwrap(),
            ephemeral.public_key()
        );
        assert_eq!(
            decode_compressed_key(&pk_d, "pk_d").unwrap(),
            doctor.public_key()
        );

        // Z from both sides.
        let z_participant = p256::ecdh::diffie_hellman(
            ephemeral.to_nonzero_scalar(),
            doctor.public_key().as_affine(),
        );
        let z_doctor = p256::ecdh::diffie_hellman(
            doctor.to_nonzero_scalar(),
            ephemeral.public_key().as_affine(),
        );
        assert_eq!(
            hex(z_participant.raw_secret_bytes()),
            v.shared_x,
            "txtr {n}: Z"
        );
        assert_eq!(hex(z_doctor.raw_secret_bytes()), v.shared_x);

        // sk_xd and c_x with the primitives directly.
        let mut sk_xd = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(&unhex::<32>(&v.kappa0)), &unhex::<32>(&v.shared_x))
            .expand_multi_info(&[b"medchain-txtr-v1", &pk_x, &pk_d], &mut sk_xd)
            .unwrap();
        assert_eq!(hex(sk_xd), v.sk_xd, "txtr {n}: sk_xd");
        let c_x = hex::decode(&v.c_x).unwrap();
        assert_eq!(hex(&c_x[..12]), v.nonce);
        let mut aad = unhex::<32>(&v.kappa0).to_vec();
        aad.extend_from_slice(&ind.to_be_bytes());
        let s = aes_gcm::Aes256Gcm::new(&sk_xd.into())
            .decrypt(
                &aes_gcm::Nonce::from(unhex::<12>(&v.nonce)),
                Payload {
                    msg: &c_x[12..],
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(hex(&s), v.s, "txtr {n}: s");

        // The library: the doctor opens it, and sealing with the recorded
        // randomness reproduces it.
        let opened = open_response(&doctor, ind, &case_id, &pk_x, &c_x).unwrap();
        assert_eq!(hex(opened.expose_secret()), v.s);
        let ephemeral_bytes: [u8; 32] = unhex(&v.ephemeral_secret);
        let nonce: [u8; 12] = unhex(&v.nonce);
        let mut replay = ReplayRng::new(&[&ephemeral_bytes, &nonce]);
        let sealed =
            seal_response(&opened, ind, &case_id, &doctor.public_key(), &mut replay).unwrap();
        assert!(replay.is_exhausted());
        assert_eq!(hex(sealed.ephemeral_key), v.pk_x);
        assert_eq!(hex(&sealed.sealed_secret), v.c_x, "txtr {n}: c_x");
    }
}

#[test]
fn ind_vectors_re_derive() {
    let (_, vectors) = committed();
    for v in &vectors.ind {
        let vk = hex::decode(&v.vk_sec1).unwrap();
        let key = decode_uncompressed_key(&vk, "vk").unwrap();
        assert_eq!(participant_index(&key).to_string(), v.ind);
        assert_eq!(
            u64::from_be_bytes(vk[57..].try_into().unwrap()).to_string(),
            v.ind
        );
    }
}

#[test]
fn generator_reproduces_the_committed_file() {
    let (text, _) = committed();
    let generated = siff_support::to_json(&siff_support::generate(siff_support::SEED));
    assert!(
        generated == text,
        "tests/vectors/siff-v2.json differs from the generator's output; \
         regenerate it with `cargo run -p medchain-siff --release --example siff_vectors`"
    );
}

#[test]
fn grant_tags_re_derive() {
    let (_, vectors) = committed();
    for (n, grant) in vectors.grants.iter().enumerate() {
        let params = KdfParams {
            m_kib: grant.kdf.m_kib,
            t: grant.kdf.t,
            p: grant.kdf.p,
        };
        let case_id = CaseId::from_bytes(unhex(&grant.kappa0));
        let key = SharedKey::from_bytes(unhex(&grant.key));
        let mut secrets = Vec::new();
        for who in [&grant.granter, &grant.grantee] {
            let ind: u64 = who.ind.parse().unwrap();
            let secret = ParticipantSecret::derive(&who.password, &case_id, ind, &params).unwrap();
            assert_eq!(hex(secret.expose_secret()), who.s, "grant {n}: s");
            assert_eq!(hex(*secret.siff_point()), who.beta, "grant {n}: beta");
            secrets.push(secret);
        }
        let rs: [[u8; 32]; 2] = [unhex(&grant.granter.r), unhex(&grant.grantee.r)];
        let mut replay = ReplayRng::new(&[&rs[0], &rs[1]]);
        let tag = medchain_siff::grant_tag(&key, &secrets, &mut replay).unwrap();
        assert!(replay.is_exhausted());
        let coefficients: Vec<String> = tag.to_bytes().chunks(66).map(hex).collect();
        assert_eq!(coefficients, grant.tag, "grant {n}: tag");
        // Both recover K from the published tag; the granter's signature
        // over it verifies with the granter's key.
        let published = Tag::from_bytes(
            &grant
                .tag
                .iter()
                .flat_map(|c| hex::decode(c).unwrap())
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        for secret in &secrets {
            assert!(published.recover_key(secret) == key, "grant {n}: key");
        }
        let grantee: u64 = grant.grantee.ind.parse().unwrap();
        let message = medchain_protocol::signature::grant_tag_signature_message(
            &unhex(&grant.kappa0),
            grantee,
            &published.to_bytes(),
        );
        assert_eq!(hex(&message), grant.message, "grant {n}: message");
        let granter =
            decode_uncompressed_key(&hex::decode(&grant.granter_key).unwrap(), "granter").unwrap();
        medchain_protocol::signature::verify_low_s(
            &p256::ecdsa::VerifyingKey::from(&granter),
            &message,
            &hex::decode(&grant.signature).unwrap(),
        )
        .unwrap();
    }
}

/// Checks `record`: its key is the HKDF of `key` bound to `tag`, its
/// plaintext padded, its ciphertext opens and reseals identically with the
/// recorded nonce, and a record key from `wrong_key` does not open it.
fn check_record(
    what: &str,
    record: &Record,
    key: &SharedKey,
    wrong_key: &SharedKey,
    case_id: &CaseId,
    tag: &Tag,
) {
    let kappa0 = case_id.as_bytes();
    let record_type = RecordType::from_label(&record.record_type).unwrap();
    let record_key = RecordKey::derive(key, case_id, tag).unwrap();
    assert_eq!(
        hex(record_key.expose_secret()),
        record.record_key,
        "{what}: record key"
    );
    let tag_hash = sha2::Sha256::digest(tag.to_bytes());
    let mut expected_key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(kappa0), key.expose_secret())
        .expand_multi_info(&[b"medchain-record-v2", &tag_hash], &mut expected_key)
        .unwrap();
    assert_eq!(hex(expected_key), record.record_key, "{what}: HKDF");
    let padded = hex::decode(&record.padded).unwrap();
    let plain_len = record.plaintext.len() / 2;
    assert_eq!(
        Some(padded.len()),
        medchain_protocol::limits::padded_len(plain_len)
    );
    assert_eq!(
        &padded[..4],
        &u32::try_from(plain_len).unwrap().to_be_bytes()
    );
    assert_eq!(hex(&padded[4..4 + plain_len]), record.plaintext);
    assert!(padded[4 + plain_len..].iter().all(|&b| b == 0));
    let ciphertext = hex::decode(&record.ciphertext).unwrap();
    assert_eq!(hex(&ciphertext[..12]), record.nonce);
    let plaintext = open_record(&record_key, record_type, case_id, &ciphertext).unwrap();
    assert_eq!(
        hex(plaintext.as_slice()),
        record.plaintext,
        "{what}: plaintext"
    );
    let nonce: [u8; 12] = unhex(&record.nonce);
    let mut replay = ReplayRng::new(&[&nonce]);
    let resealed = seal_record(&record_key, record_type, case_id, &plaintext, &mut replay).unwrap();
    assert!(replay.is_exhausted());
    assert_eq!(hex(resealed), record.ciphertext, "{what}: ciphertext");
    let wrong_record_key = RecordKey::derive(wrong_key, case_id, tag).unwrap();
    assert_eq!(
        open_record(&wrong_record_key, record_type, case_id, &ciphertext).unwrap_err(),
        CryptoError::CannotDecrypt
    );
}

#[test]
fn epoch_vectors_re_derive() {
    let (_, vectors) = committed();
    assert!(!vectors.epochs.is_empty());
    for (n, v) in vectors.epochs.iter().enumerate() {
        let what = format!("epoch vector {n}");
        let params = KdfParams {
            m_kib: v.kdf.m_kib,
            t: v.kdf.t,
            p: v.kdf.p,
        };
        let kappa0: [u8; 32] = unhex(&v.kappa0);
        let case_id = CaseId::from_bytes(kappa0);
        let epoch = v.epoch;
        assert!(epoch >= 1, "{what}: epoch 0 is the case's own key");
        let parse = |ind: &String| -> u64 { ind.parse().unwrap() };
        let previous: Vec<u64> = v.previous_members.iter().map(parse).collect();
        let opener = parse(&v.opener);
        let revoked: Vec<u64> = v.revoked.iter().map(parse).collect();

        // Who: revoked ascending, each once, members of the epoch before,
        // never the opener; the members are the others, in order.
        assert!(!revoked.is_empty());
        assert!(revoked.windows(2).all(|w| w[0] < w[1]), "{what}: revoked");
        assert!(revoked.iter().all(|r| previous.contains(r)));
        assert!(previous.contains(&opener) && !revoked.contains(&opener));
        let members: Vec<u64> = v.members.iter().map(|m| parse(&m.ind)).collect();
        let expected: Vec<u64> = previous
            .iter()
            .copied()
            .filter(|ind| !revoked.contains(ind))
            .collect();
        assert_eq!(members, expected, "{what}: members");
        let revoked_in_order: Vec<u64> = previous
            .iter()
            .copied()
            .filter(|ind| revoked.contains(ind))
            .collect();
        let listed: Vec<u64> = v
            .revoked_participants
            .iter()
            .map(|p| parse(&p.ind))
            .collect();
        assert_eq!(listed, revoked_in_order, "{what}: revoked participants");

        // Every member's secrets: the epoch's, salted with the epoch, is
        // not the case's (epoch 0), which is `derive`.
        let mut secrets = Vec::new();
        for (m, ind) in v.members.iter().zip(&members) {
            let secret =
                ParticipantSecret::derive_for_epoch(&m.password, &case_id, *ind, epoch, &params)
                    .unwrap();
            assert_eq!(hex(secret.expose_secret()), m.s, "{what}: s");
            assert_eq!(hex(*secret.siff_point()), m.beta, "{what}: beta");
            let s0 = ParticipantSecret::derive(&m.password, &case_id, *ind, &params).unwrap();
            assert_eq!(hex(s0.expose_secret()), m.s0, "{what}: s0");
            assert!(
                ParticipantSecret::derive_for_epoch(&m.password, &case_id, *ind, 0, &params)
                    .unwrap()
                    == s0
            );
            assert_ne!(m.s, m.s0, "{what}: the epoch secret is the case secret");
            secrets.push(secret);
        }

        // The tag: re-established from the recorded randomness K_e, r_1 …
        // r_k through the members' epoch points, in member order.
        let key_bytes: [u8; 32] = unhex(&v.key);
        let key = SharedKey::from_bytes(key_bytes);
        let rs: Vec<[u8; 32]> = v.members.iter().map(|m| unhex(&m.r)).collect();
        let mut parts: Vec<&[u8]> = vec![&key_bytes];
        parts.extend(rs.iter().map(|r| &r[..]));
        let mut replay = ReplayRng::new(&parts);
        let (established, tag) = establish_key(&secrets, &mut replay).unwrap();
        assert!(replay.is_exhausted());
        assert!(established == key);
        let tag_hex: Vec<String> = tag.to_bytes().chunks(66).map(hex).collect();
        assert_eq!(tag_hex, v.tag, "{what}: tag");
        let parsed = Tag::from_bytes(&hex::decode(v.tag.concat()).unwrap()).unwrap();
        assert_eq!(parsed.participant_count(), members.len());

        // u(β_j) = r_j·2^256 + K_e for every member, f(s_j) = K_e, and no
        // member's case secret gives K_e.
        for (j, (secret, r)) in secrets.iter().zip(&rs).enumerate() {
            let mut beta = [0u8; 64];
            beta[32..].copy_from_slice(secret.siff_point().as_ref());
            let value = evaluate(
                parsed.coefficients(),
                &FieldElement::from_be_bytes_64(&beta),
            );
            let mut expected = [0u8; 66];
            expected[2..34].copy_from_slice(r);
            expected[34..].copy_from_slice(&key_bytes);
            assert_eq!(value.to_be_bytes(), expected, "{what}: u(beta_{j})");
            assert!(parsed.recover_key(secret) == key, "{what}: f(s_{j})");
            let s0 = ParticipantSecret::from_bytes(unhex(&v.members[j].s0));
            assert!(parsed.recover_key(&s0) != key, "{what}: s0_{j} gives K_e");
        }

        // A revoked participant's password gives it neither point: its
        // epoch secret (and its case secret) recover a wrong key.
        let mut wrong_key = None;
        for (p, ind) in v.revoked_participants.iter().zip(&revoked_in_order) {
            let secret =
                ParticipantSecret::derive_for_epoch(&p.password, &case_id, *ind, epoch, &params)
                    .unwrap();
            assert_eq!(hex(secret.expose_secret()), p.s, "{what}: revoked s");
            let s0 = ParticipantSecret::derive(&p.password, &case_id, *ind, &params).unwrap();
            assert_eq!(hex(s0.expose_secret()), p.s0, "{what}: revoked s0");
            assert_ne!(p.s, p.s0);
            let recovered = parsed.recover_key(&secret);
            assert_eq!(
                hex(recovered.expose_secret()),
                p.recovered_key,
                "{what}: revoked recovered key"
            );
            assert!(
                recovered != key,
                "{what}: a revoked participant recovers K_e"
            );
            assert!(parsed.recover_key(&s0) != key);
            wrong_key.get_or_insert(recovered);
        }

        // txeo: the opener's key is the opener's, its ephemeral key the
        // ephemeral secret's; the message is re-built, the signature
        // verifies (low S) and is the deterministic one.
        let o = &v.opening;
        let opener_secret: [u8; 32] = unhex(&o.opener_secret);
        let opener_key = SecretKey::from_bytes(&opener_secret.into())
            .unwrap()
            .public_key();
        assert_eq!(hex(encode_uncompressed_key(&opener_key)), o.opener_key);
        assert_eq!(participant_index(&opener_key), opener, "{what}: opener");
        let ephemeral = SecretKey::from_slice(&hex::decode(&o.ephemeral_secret).unwrap()).unwrap();
        let ephemeral_key = hex::decode(&o.ephemeral_key).unwrap();
        assert_eq!(
            decode_compressed_key(&ephemeral_key, "ephemeral").unwrap(),
            ephemeral.public_key()
        );
        let message = medchain_protocol::signature::epoch_signature_message(
            &kappa0,
            epoch,
            opener,
            &revoked,
            &ephemeral_key,
        );
        assert_eq!(hex(&message), o.message, "{what}: opening message");
        let mut expected = b"medchain-epoch-v1\0".to_vec();
        expected.extend_from_slice(&kappa0);
        expected.extend_from_slice(&epoch.to_be_bytes());
        expected.extend_from_slice(&opener.to_be_bytes());
        expected.extend_from_slice(&u32::try_from(revoked.len()).unwrap().to_be_bytes());
        for r in &revoked {
            expected.extend_from_slice(&r.to_be_bytes());
        }
        expected.extend_from_slice(&ephemeral_key);
        assert_eq!(hex(&expected), o.message, "{what}: opening layout");
        let verifying = p256::ecdsa::VerifyingKey::from(&opener_key);
        medchain_protocol::signature::verify_low_s(
            &verifying,
            &message,
            &hex::decode(&o.signature).unwrap(),
        )
        .unwrap();
        assert_eq!(
            hex(siff_support::sign(&opener_secret, &message)),
            o.signature,
            "{what}: opening signature"
        );

        // txer: one answer per member but the opener, in member order; the
        // opener opens each to the member's epoch secret, and sealing with
        // the recorded randomness reproduces it.
        let responders: Vec<u64> = v.responses.iter().map(|r| parse(&r.responder)).collect();
        let answering: Vec<u64> = members.iter().copied().filter(|&m| m != opener).collect();
        assert_eq!(responders, answering, "{what}: responders");
        for (r, ind) in v.responses.iter().zip(&responders) {
            let member = members.iter().position(|m| m == ind).unwrap();
            let sealed = hex::decode(&r.sealed_secret).unwrap();
            assert_eq!(hex(&sealed[..12]), r.nonce);
            let opened = open_response(
                &ephemeral,
                *ind,
                &case_id,
                &hex::decode(&r.ephemeral_key).unwrap(),
                &sealed,
            )
            .unwrap();
            assert!(opened == secrets[member], "{what}: response of {ind}");
            let responder_secret: [u8; 32] = unhex(&r.ephemeral_secret);
            let nonce: [u8; 12] = unhex(&r.nonce);
            let mut replay = ReplayRng::new(&[&responder_secret, &nonce]);
            let resealed = seal_response(
                &secrets[member],
                *ind,
                &case_id,
                &ephemeral.public_key(),
                &mut replay,
            )
            .unwrap();
            assert!(replay.is_exhausted());
            assert_eq!(hex(resealed.ephemeral_key), r.ephemeral_key);
            assert_eq!(hex(&resealed.sealed_secret), r.sealed_secret, "{what}: c_x");
        }

        // txet: the opener's signature over the epoch's tag.
        let tag_bytes = parsed.to_bytes();
        let message =
            medchain_protocol::signature::epoch_tag_signature_message(&kappa0, epoch, &tag_bytes);
        assert_eq!(
            hex(&message),
            v.tag_signature.message,
            "{what}: tag message"
        );
        let mut expected = b"medchain-epoch-tag-v1\0".to_vec();
        expected.extend_from_slice(&kappa0);
        expected.extend_from_slice(&epoch.to_be_bytes());
        expected.extend_from_slice(&sha2::Sha256::digest(&tag_bytes));
        assert_eq!(hex(&expected), v.tag_signature.message);
        medchain_protocol::signature::verify_low_s(
            &verifying,
            &message,
            &hex::decode(&v.tag_signature.signature).unwrap(),
        )
        .unwrap();
        assert_eq!(
            hex(siff_support::sign(&opener_secret, &message)),
            v.tag_signature.signature,
            "{what}: tag signature"
        );

        // The record of the epoch: sealed under K_e bound to the epoch's
        // tag; a revoked participant's key does not open it.
        check_record(
            &what,
            &v.record,
            &key,
            &wrong_key.expect("a revoked participant"),
            &case_id,
            &parsed,
        );
    }
}
