//! `tests/vectors/onchain-v2.json`: the exact bytes of the on-chain layer
//! of protocol v2 — the selection file, the `Selection` encoding and the
//! consent message, a `txtc` and its κ0, each submitter's participant
//! list, a `txd` with the doctor's tag signature and its κ, and the
//! `StoreEvent`s — generated deterministically (fixed keys, fixed nonces,
//! RFC 6979 signatures normalised to low S) and checked here: every
//! message is in canonical encoding, the consent and the tag signature
//! verify, the SDK builds the same `txtc` from the selection file, and the
//! generator reproduces the committed file byte for byte.
//!
//! Regenerate after a deliberate change with
//! `MEDCHAIN_WRITE_VECTORS=1 cargo test -p medchain-sdk --test sdk onchain`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use medchain_contract::Case;
use medchain_contract::consent::{selection_message, selection_of, verify_consent};
use medchain_protocol::signature::{tag_signature_message, verify_tag_signature};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecord, InputParameter, StoreEvent};
use medchain_protocol::{identity_key, participant_index};
use medchain_sdk::workflow::{self, Selection, format_ind};
use medchain_siff::KdfParams;
use medchain_siff::point::encode_uncompressed_key;
use p256::ecdsa::SigningKey;
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PATH: &str = "../../tests/vectors/onchain-v2.json";
const NAMES: [&str; 6] = [
    "patient",
    "family",
    "doctor",
    "pharmacist",
    "insurer",
    "lawyer",
];

/// A fixed key per participant: the scalar SHA-256("medchain-onchain-v2 key " ‖ name).
fn key(name: &str) -> SigningKey {
    let scalar = Sha256::digest(format!("medchain-onchain-v2 key {name}"));
    SigningKey::from_slice(&scalar).unwrap()
}

fn public(name: &str) -> Vec<u8> {
    encode_uncompressed_key(&p256::PublicKey::from(key(name).verifying_key())).to_vec()
}

fn ind(name: &str) -> u64 {
    participant_index(&identity_key(&public(name)).unwrap())
}

/// RFC 6979 deterministic ECDSA P-256 / SHA-256, low S, DER.
fn sign(name: &str, message: &[u8]) -> Vec<u8> {
    medchain_protocol::signature::sign_low_s(&key(name), message)
}

fn event(key: &[u8], case: &[u8], record_type: &str, receivers: Vec<u64>) -> Value {
    let payload = StoreEvent {
        key: key.to_vec(),
        case_key: case.to_vec(),
        r#type: record_type.into(),
        receivers: receivers.clone(),
    }
    .encode_to_vec();
    json!({
        "name": record_type,
        "receivers": receivers.iter().map(|&i| format_ind(i)).collect::<Vec<_>>(),
        "payload": hex::encode(payload),
    })
}

/// Generates the vectors.
fn generate() -> Value {
    let nonce: [u8; 16] = Sha256::digest(b"medchain-onchain-v2 selection nonce")[..16]
        .try_into()
        .unwrap();
    let mut selection = Selection::new(&public("patient"), ind("doctor"));
    selection.family_keys.push(hex::encode(public("family")));
    selection.pharmacists.push(format_ind(ind("pharmacist")));
    selection.insurers.push(format_ind(ind("insurer")));
    selection.lawyer_experts.push(format_ind(ind("lawyer")));
    let parsed = selection.parse().unwrap();
    let signed = Selection::signed_form(&parsed, &nonce);
    let consent_message = selection_message(&signed);
    selection.nonce = hex::encode(nonce);
    selection.signature = hex::encode(sign("patient", &consent_message));
    let file = selection.to_json();

    let ephemeral =
        p256::SecretKey::from_slice(&Sha256::digest(b"medchain-onchain-v2 ephemeral")).unwrap();
    let txtc = workflow::case_opening(
        Selection::from_json(&file).unwrap().parse().unwrap(),
        &ephemeral.public_key(),
        KdfParams::DEFAULT,
    );
    let txtc_bytes = txtc.encode_to_vec();
    let kappa0: [u8; 32] = Sha256::digest(&txtc_bytes).into();
    let Some(Record::Txtc(opening)) = &txtc.record else {
        unreachable!()
    };
    let case = Case::from_opening(opening).unwrap();

    let mut tag = vec![0u8; 66 * case.len()];
    for (n, chunk) in tag.chunks_mut(66).enumerate() {
        chunk[65] = u8::try_from(n + 1).unwrap();
    }
    let txd = InputParameter {
        record: Some(Record::Txd(CaseRecord {
            case_key: kappa0.to_vec(),
            participants: case.others(ind("doctor")),
            tag: tag.clone(),
            ciphertext: vec![0x5a; 256 + 28],
            tag_signature: sign("doctor", &tag_signature_message(&kappa0, &tag)),
            epoch: 0,
        })),
    };
    let txd_bytes = txd.encode_to_vec();
    let kappa: [u8; 32] = Sha256::digest(&txd_bytes).into();

    json!({
        "version": "medchain-onchain-v2",
        "participants": NAMES.iter().map(|name| json!({
            "name": name,
            "secret": hex::encode(key(name).to_bytes()),
            "public_key": hex::encode(public(name)),
            "ind": format_ind(ind(name)),
        })).collect::<Vec<_>>(),
        "selection": {
            "file": file,
            "signed_message": hex::encode(&consent_message),
            "encoded": hex::encode(signed.encode_to_vec()),
        },
        "txtc": {
            "doctor_ephemeral_secret": hex::encode(ephemeral.to_bytes()),
            "input_parameter": hex::encode(&txtc_bytes),
            "kappa0": hex::encode(kappa0),
            "event": event(&kappa0, &kappa0, "txtc", case.receivers("txtc")),
        },
        "record_participants": NAMES.iter().map(|name| json!({
            "submitter": name,
            "participants": case.others(ind(name)).iter().map(|&i| format_ind(i)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "txd": {
            "tag_signature_message": hex::encode(tag_signature_message(&kappa0, &tag)),
            "input_parameter": hex::encode(&txd_bytes),
            "kappa": hex::encode(kappa),
            "event": event(&kappa, &kappa0, "txd", case.receivers("txd")),
        },
    })
}

fn text(vectors: &Value) -> String {
    let mut text = serde_json::to_string_pretty(vectors).unwrap();
    text.push('\n');
    text
}

fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH)
}

#[test]
fn the_committed_onchain_vectors_are_reproduced() {
    let generated = text(&generate());
    if std::env::var_os("MEDCHAIN_WRITE_VECTORS").is_some() {
        std::fs::write(path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path()).unwrap();
    assert!(
        committed == generated,
        "tests/vectors/onchain-v2.json differs from the generator; regenerate it with \
         `MEDCHAIN_WRITE_VECTORS=1 cargo test -p medchain-sdk --test sdk onchain`"
    );
}

#[test]
fn the_onchain_vectors_hold() {
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path()).unwrap()).unwrap();
    let bytes = |v: &Value| hex::decode(v.as_str().unwrap()).unwrap();
    // Every message is in canonical encoding: decoding and encoding again
    // gives the same bytes.
    for field in ["txtc", "txd"] {
        let raw = bytes(&vectors[field]["input_parameter"]);
        assert_eq!(
            InputParameter::decode(raw.as_slice())
                .unwrap()
                .encode_to_vec(),
            raw
        );
        let event = bytes(&vectors[field]["event"]["payload"]);
        assert_eq!(
            StoreEvent::decode(event.as_slice())
                .unwrap()
                .encode_to_vec(),
            event
        );
    }
    let encoded = bytes(&vectors["selection"]["encoded"]);
    let selection = medchain_protocol::v1::Selection::decode(encoded.as_slice()).unwrap();
    assert_eq!(selection.encode_to_vec(), encoded);
    assert_eq!(
        selection_message(&selection),
        bytes(&vectors["selection"]["signed_message"])
    );
    // The selection file is what `medchain select` writes and checks.
    let file = Selection::from_json(vectors["selection"]["file"].as_str().unwrap()).unwrap();
    file.check_signature().unwrap();
    // The txtc carries the patient's consent to exactly this selection,
    // and κ0 is SHA-256 of its bytes.
    let txtc = bytes(&vectors["txtc"]["input_parameter"]);
    let kappa0: [u8; 32] = Sha256::digest(&txtc).into();
    assert_eq!(hex::encode(kappa0), vectors["txtc"]["kappa0"]);
    let Some(Record::Txtc(opening)) = InputParameter::decode(txtc.as_slice()).unwrap().record
    else {
        panic!("not a txtc")
    };
    verify_consent(&opening).unwrap();
    let consent = opening.consent.clone().unwrap();
    assert_eq!(selection_of(&opening, &consent.nonce), selection);
    // The txd's tag signature verifies with the doctor's key.
    let txd = bytes(&vectors["txd"]["input_parameter"]);
    assert_eq!(hex::encode(Sha256::digest(&txd)), vectors["txd"]["kappa"]);
    let Some(Record::Txd(record)) = InputParameter::decode(txd.as_slice()).unwrap().record else {
        panic!("not a txd")
    };
    let doctor = identity_key(&public("doctor")).unwrap();
    verify_tag_signature(&doctor, &kappa0, &record.tag, &record.tag_signature).unwrap();
    assert_eq!(
        tag_signature_message(&kappa0, &record.tag),
        bytes(&vectors["txd"]["tag_signature_message"])
    );
    // The participant list of the doctor's record is in canonical order.
    let case = Case::from_opening(&opening).unwrap();
    assert_eq!(record.participants, case.others(ind("doctor")));
}
