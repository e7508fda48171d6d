//! What the client checks in query answers, so that one faulty or
//! compromised peer cannot substitute data: a record must hash to its key
//! κ, a case's records must belong to the case, and a registration must be
//! the one of the participant asked for. The peer is the mock gateway,
//! answering with whatever the test planted.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use fabric_gateway::mock::gateway::{CHAINCODE, CHANNEL, MockGateway};
use fabric_gateway::mock::{Org, connected};
use fabric_shim::ClientIdentity;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseOpening, CaseRecords, CaseResponse, InputParameter, Registration, Role, StoredRecord,
};
use medchain_protocol::{ErrorCode, participant_index};
use medchain_sdk::ledger::{Ledger, LedgerError};
use medchain_sdk::workflow::{CaseView, WorkflowError};
use medchain_siff::CaseId;
use prost::Message;
use sha2::{Digest, Sha256};

/// How the medchain contract fails on a peer that has not committed the
/// latest block yet.
const LAGGING_PEER: &str = "chaincode response 404, not_found: no case is stored under key 00";

const FAULTY_PEER: &str = "the peer may be faulty or compromised — try another peer";

async fn ledger(org: &Org) -> (Ledger, MockGateway) {
    let (gateway, mock) = connected(org).await;
    (Ledger::fabric(&gateway, CHANNEL, CHAINCODE).unwrap(), mock)
}

fn encode(record: Record) -> Vec<u8> {
    InputParameter {
        record: Some(record),
    }
    .encode_to_vec()
}

fn kappa(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn registration(certificate_pem: &str) -> Vec<u8> {
    encode(Record::Reg(Registration {
        role: Role::Doctor as i32,
        certificate_pem: certificate_pem.to_owned(),
        msp_id: "Org1MSP".to_owned(),
    }))
}

fn stored(value: Vec<u8>, key: [u8; 32]) -> StoredRecord {
    StoredRecord {
        key: key.to_vec(),
        r#type: String::new(),
        value,
        tx_id: "tx".into(),
    }
}

#[track_caller]
fn assert_unverified(error: &LedgerError, text: &str) {
    assert!(matches!(error, LedgerError::Unverified(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(text) && message.ends_with(FAULTY_PEER),
        "{message}"
    );
}

#[tokio::test]
async fn get_refuses_content_that_does_not_hash_to_the_key() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let genuine = registration(&org.user.certificate_pem);
    let other = registration(&org.ca.issue_identity("Other").certificate_pem);
    let key = kappa(&genuine);

    mock.plant_answer("Get", &key, other);
    let error = ledger.get(&key).await.unwrap_err();
    assert_unverified(
        &error,
        &format!(
            "the ledger returned record {} whose content does not match its key",
            hex::encode(key)
        ),
    );

    mock.plant_answer("Get", &key, genuine.clone());
    let got = ledger.get(&key).await.unwrap();
    assert_eq!(got.encode_to_vec(), genuine);
}

#[tokio::test]
async fn a_case_is_refused_when_a_record_does_not_hash_to_its_key() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let opening = encode(Record::Txtc(CaseOpening {
        doctor: 7,
        ..CaseOpening::default()
    }));
    let case = CaseId::from_slice(&kappa(&opening)).unwrap();
    let response = encode(Record::Txtr(CaseResponse {
        case_key: case.as_bytes().to_vec(),
        responder: 9,
        ..CaseResponse::default()
    }));
    let substituted = encode(Record::Txtr(CaseResponse {
        case_key: case.as_bytes().to_vec(),
        responder: 10,
        ..CaseResponse::default()
    }));
    let records = CaseRecords {
        records: vec![
            stored(opening.clone(), kappa(&opening)),
            stored(substituted, kappa(&response)),
        ],
        bookmark: String::new(),
    };
    mock.plant_answer("GetCase", case.as_bytes(), records.encode_to_vec());
    let error = CaseView::load(&ledger, &case).await.unwrap_err();
    let WorkflowError::Ledger(error) = &error else {
        panic!("{error:?}");
    };
    assert_unverified(
        error,
        &format!(
            "record {} whose content does not match its key",
            hex::encode(kappa(&response))
        ),
    );
}

#[tokio::test]
async fn a_case_is_refused_when_its_records_belong_to_another_case() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let opening = |doctor| {
        encode(Record::Txtc(CaseOpening {
            doctor,
            ..CaseOpening::default()
        }))
    };
    let (asked, other) = (opening(7), opening(8));
    let asked_id = CaseId::from_slice(&kappa(&asked)).unwrap();
    let other_id = CaseId::from_slice(&kappa(&other)).unwrap();
    let foreign_response = encode(Record::Txtr(CaseResponse {
        case_key: other_id.as_bytes().to_vec(),
        responder: 9,
        ..CaseResponse::default()
    }));
    // Every record hashes to its key, but the opening (or a response) is
    // the one of another case.
    for records in [
        vec![stored(other.clone(), kappa(&other))],
        vec![
            stored(asked.clone(), kappa(&asked)),
            stored(foreign_response.clone(), kappa(&foreign_response)),
        ],
    ] {
        let wrong = records[records.len() - 1].key.clone();
        mock.plant_answer(
            "GetCase",
            asked_id.as_bytes(),
            CaseRecords {
                records,
                bookmark: String::new(),
            }
            .encode_to_vec(),
        );
        let error = CaseView::load(&ledger, &asked_id).await.unwrap_err();
        let WorkflowError::Ledger(error) = &error else {
            panic!("{error:?}");
        };
        assert_unverified(
            error,
            &format!(
                "the ledger returned record {} as part of case {}, to which it does not belong",
                hex::encode(wrong),
                hex::encode(asked_id.as_bytes())
            ),
        );
    }
}

#[tokio::test]
async fn a_registration_must_be_the_one_of_the_participant_asked_for() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let me = ledger.ind();
    let other = org.ca.issue_identity("Other");
    let other_ind = participant_index(
        &ClientIdentity::from_pem("Org1MSP", &other.certificate_pem)
            .unwrap()
            .p256_public_key()
            .unwrap(),
    );

    mock.plant_answer(
        "GetParticipant",
        &me.to_be_bytes(),
        registration(&other.certificate_pem),
    );
    let error = ledger.get_participant(me).await.unwrap_err();
    assert_unverified(
        &error,
        &format!(
            "the ledger returned the registration of participant {other_ind:016x} when asked for participant {me:016x}"
        ),
    );

    let genuine = registration(&org.user.certificate_pem);
    mock.plant_answer("GetParticipant", &me.to_be_bytes(), genuine.clone());
    let got = ledger.get_participant(me).await.unwrap().unwrap();
    assert_eq!(got.encode_to_vec(), genuine);
    // Not registered at all (the contract's `not_found`) is still `None`.
    mock.plant_refusal(
        "GetParticipant",
        &other_ind.to_be_bytes(),
        "chaincode response 404, not_found: participant is not registered",
    );
    assert!(ledger.get_participant(other_ind).await.unwrap().is_none());
}

#[tokio::test]
async fn a_submission_is_retried_while_another_orgs_peer_lags_one_block_behind() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    // Two endorsements fail as on a peer that has not committed the case yet.
    mock.fail_endorsements(2, LAGGING_PEER);
    let committed = ledger.submit("put", b"k").await.unwrap();
    assert!(!committed.tx_id.is_empty());
    assert_eq!(mock.endorse_calls(), 3);

    // A peer that never catches up: the error is reported after the last try.
    mock.fail_endorsements(100, LAGGING_PEER);
    let before = mock.endorse_calls();
    let err = ledger.submit("put", b"k").await.unwrap_err();
    assert!(err.to_string().contains("not_found: no case"), "{err}");
    assert_eq!(
        err.contract_failure().map(|f| f.code),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(mock.endorse_calls() - before, 5);

    // `out_of_order` (a response the peer has not seen yet) is retried too.
    mock.fail_endorsements(
        2,
        "chaincode response 409, out_of_order: the case key is not established yet",
    );
    let before = mock.endorse_calls();
    ledger.submit("put", b"k").await.unwrap();
    assert_eq!(mock.endorse_calls() - before, 3);
}

#[tokio::test]
async fn only_the_lagging_peer_codes_are_retried_whatever_the_sentence_says() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    for (answer, code) in [
        // Another refusal whose sentence mentions the old texts.
        (
            "chaincode response 400, invalid: argument: not found: no case; out of order: x",
            Some(ErrorCode::Invalid),
        ),
        (
            "chaincode response 409, already_stored: not found: no case",
            Some(ErrorCode::AlreadyStored),
        ),
        // Not the wire form (the old text, or a status that disagrees).
        ("chaincode response 500, not found: no case is stored", None),
        ("chaincode response 500, not_found: no case is stored", None),
        ("not found: no case is stored", None),
    ] {
        mock.fail_endorsements(100, answer);
        let before = mock.endorse_calls();
        let err = ledger.submit("put", b"k").await.unwrap_err();
        assert_eq!(mock.endorse_calls() - before, 1, "{answer} was retried");
        assert_eq!(err.contract_failure().map(|f| f.code), code, "{answer}");
        assert!(!err.is_not_found(), "{answer}");
    }
}

#[tokio::test]
async fn a_refusal_mentioning_not_found_is_not_taken_for_not_registered() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let ind = ledger.ind();
    mock.plant_refusal(
        "GetParticipant",
        &ind.to_be_bytes(),
        "chaincode response 400, invalid: argument: the index is not found: 7 is out of range",
    );
    let err = ledger.get_participant(ind).await.unwrap_err();
    assert!(!err.is_not_found(), "{err}");
    assert_eq!(
        err.contract_failure().map(|f| (f.code, f.message)),
        Some((
            ErrorCode::Invalid,
            "argument: the index is not found: 7 is out of range".into()
        ))
    );

    // The genuine `not_found` is "not registered".
    mock.plant_refusal(
        "GetParticipant",
        &ind.to_be_bytes(),
        "chaincode response 404, not_found: participant 07 is not registered",
    );
    assert!(ledger.get_participant(ind).await.unwrap().is_none());
}

#[tokio::test]
async fn other_endorsement_failures_are_not_retried() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let err = ledger.submit("fail", b"").await.unwrap_err();
    assert!(
        err.to_string().contains("failed to collect enough"),
        "{err}"
    );
    assert_eq!(mock.endorse_calls(), 1);
}

/// A peer cannot keep a reader paging forever: a page that names a next
/// page must hold records, and its bookmark must lie further into the
/// case's index than the page it answered (the mock answers every page of
/// a case alike, as a lying peer could).
#[tokio::test]
async fn a_peer_cannot_loop_a_reader_through_pages() {
    let org = Org::new();
    let (ledger, mock) = ledger(&org).await;
    let opening = encode(Record::Txtc(CaseOpening {
        doctor: 7,
        ..CaseOpening::default()
    }));
    let case = kappa(&opening);
    let index_key = |time: &str| {
        fabric_shim::create_composite_key("medchain.case", &[&hex::encode(case), time, "tx"])
            .unwrap()
    };
    let cases = [
        // The same page again and again, naming itself as the next.
        (
            vec![stored(opening.clone(), case)],
            index_key("1"),
            "names a next page that is not further into the case's index",
        ),
        // An empty page that names a next page.
        (Vec::new(), index_key("2"), "is empty but names a next page"),
        // A bookmark outside the case's index.
        (
            vec![stored(opening.clone(), case)],
            "\u{0}medchain.tag\u{0}x\u{0}".to_owned(),
            "names a next page that is not further into the case's index",
        ),
    ];
    for (records, bookmark, expected) in cases {
        mock.plant_answer(
            "GetCase",
            &case,
            CaseRecords { records, bookmark }.encode_to_vec(),
        );
        let error = ledger.get_case(&case).await.unwrap_err();
        assert_unverified(&error, expected);
    }
}
