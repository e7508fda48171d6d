//! Revocation for the future on the real network (both organisations
//! endorse every step, each with its own chaincode implementation on the
//! mixed network): the family revokes the insurer with a new key epoch,
//! the watchers run the collection round, a record stored afterwards does
//! not reach the insurer and does not open with its key, the insurer's own
//! attempts to store more are refused by the peers and write nothing, and
//! every remaining member reads both epochs with its password alone.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use fabric_gateway::Checkpoint;
use futures::StreamExt;
use medchain_e2e::{Cast, POLICY, User, next, watch};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{InputParameter, StoreEvent};
use medchain_sdk::workflow::{self, Notification};
use medchain_siff::{CaseId, RecordType};
use prost::Message;
use tokio::sync::mpsc;

async fn add(u: &User, case: &CaseId, t: RecordType, text: &str) -> Result<[u8; 32], String> {
    workflow::add_record(
        &u.ledger,
        Some(&u.wallet),
        &u.password,
        case,
        t,
        text.as_bytes(),
        POLICY,
    )
    .await
    .map_err(|e| e.to_string())
}

async fn records_of(u: &User, case: &CaseId) -> usize {
    u.ledger
        .get_case(case.as_bytes())
        .await
        .unwrap()
        .records
        .len()
}

/// The `StoreEvent` of the transaction that stored record κ, read from the
/// peer's chaincode events from block `from` on.
async fn event_of(u: &User, from: u64, kappa: &[u8; 32]) -> StoreEvent {
    let mut events = u.ledger.events(Some(Checkpoint::new(from, None))).unwrap();
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(60), events.next())
            .await
            .expect("the record's event in time")
            .expect("an open event stream")
            .unwrap();
        let payload = StoreEvent::decode(event.payload.as_slice()).unwrap();
        if payload.key == kappa {
            return payload;
        }
    }
}

#[tokio::test]
async fn a_revoked_insurer_reads_and_hears_nothing_later_and_the_others_read_both_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let case = c.established().await;
    add(
        &c.doctor,
        &case,
        RecordType::Diagnosis,
        "Diagnosis: torn ligament",
    )
    .await
    .unwrap();
    add(
        &c.insurer,
        &case,
        RecordType::Compensation,
        "Claim: surgery covered",
    )
    .await
    .unwrap();
    let insurer = c.insurer.ledger.ind();

    // Only the patient or a family member may revoke: the pharmacist's
    // client is refused before anything is sent.
    let err = workflow::open_epoch(
        &c.pharmacist.ledger,
        &c.pharmacist.wallet,
        &c.pharmacist.password,
        &case,
        &[insurer],
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("only the patient or a family member"),
        "{err}"
    );

    // The family revokes the insurer; the remaining members' watchers
    // answer, the family's publishes the epoch tag, everyone hears it.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watchers = [
        watch(&c.family, tx.clone()),
        watch(&c.patient, tx.clone()),
        watch(&c.doctor, tx.clone()),
        watch(&c.pharmacist, tx.clone()),
        watch(&c.lawyer, tx.clone()),
    ];
    let (epoch, _) = workflow::open_epoch(
        &c.family.ledger,
        &c.family.wallet,
        &c.family.password,
        &case,
        &[insurer],
    )
    .await
    .unwrap();
    assert_eq!(epoch, 1);
    let mut seen: Vec<(String, Notification)> = Vec::new();
    let complete = |seen: &[(String, Notification)]| {
        let heard = |who: &str, what: fn(&Notification) -> bool| {
            seen.iter().any(|(w, n)| w == who && what(n))
        };
        ["patient", "doctor", "pharmacist", "lawyer"]
            .iter()
            .all(|who| {
                heard(who, |n| {
                    matches!(n, Notification::EpochAnswered { epoch: 1, .. })
                }) && heard(who, |n| matches!(n, Notification::Rekeyed { epoch: 1, .. }))
            })
            && heard("family", |n| {
                matches!(n, Notification::EpochPublished { epoch: 1, .. })
            })
    };
    while !complete(&seen) {
        seen.push(next(&mut rx).await);
    }
    for w in watchers {
        w.abort();
    }

    // A record of epoch 1: its event names the patient and the family,
    // not the revoked insurer.
    let from = c.pharmacist.ledger.height().await.unwrap();
    let later = add(
        &c.pharmacist,
        &case,
        RecordType::Medication,
        "Dispensed: physiotherapy, 10 sessions",
    )
    .await
    .unwrap();
    let event = event_of(&c.family, from.saturating_sub(1), &later).await;
    assert_eq!(event.r#type, "txm");
    assert_eq!(
        event.receivers,
        [c.patient.ledger.ind(), c.family.ledger.ind()],
        "the revoked insurer is not notified"
    );

    // The insurer's client refuses to store; a modified client that sends
    // the epoch's own tag anyway is refused by the peers, nothing written.
    let err = add(&c.insurer, &case, RecordType::Compensation, "Claim: more")
        .await
        .unwrap_err();
    assert!(err.contains("you were revoked"), "{err}");
    let Some(Record::Txm(mut stolen)) = c.insurer.ledger.get(&later).await.unwrap().record else {
        panic!("the later record is a txm");
    };
    stolen.participants.retain(|&m| m != insurer);
    stolen.participants.push(c.pharmacist.ledger.ind());
    let before = records_of(&c.family, &case).await;
    let refused = c
        .insurer
        .ledger
        .store(&InputParameter {
            record: Some(Record::Txa(stolen)),
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("was revoked from case"), "{refused}");
    assert_eq!(records_of(&c.family, &case).await, before);

    // The insurer reads what it read before, and not the later record.
    let records = workflow::audit(&c.insurer.ledger, &c.insurer.password, &case, POLICY)
        .await
        .unwrap();
    let opened: Vec<(u32, bool)> = records
        .iter()
        .map(|r| (r.epoch, r.plaintext.is_some()))
        .collect();
    assert_eq!(opened, [(0, true), (0, true), (1, false)]);
    let err = workflow::read_record(&c.insurer.ledger, &c.insurer.password, &later, POLICY)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sealed in key epoch 1"), "{err}");

    // Everyone else reads both epochs with its password alone.
    for u in [&c.patient, &c.family, &c.doctor, &c.pharmacist, &c.lawyer] {
        let texts: Vec<String> = workflow::audit(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap()
            .iter()
            .map(|r| String::from_utf8(r.plaintext.as_ref().unwrap().to_vec()).unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "Diagnosis: torn ligament",
                "Claim: surgery covered",
                "Dispensed: physiotherapy, 10 sessions"
            ],
            "{}",
            u.name
        );
    }
}
