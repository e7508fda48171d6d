//! The embedded ledger: persistence, Fabric-like transaction semantics,
//! events in commit order, several handles on one directory, damaged logs.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use fabric_shim::ClientIdentity;
use futures::StreamExt;
use medchain_contract::{Creator, CreatorIndex};
use medchain_protocol::v1::{InputParameter, Registration, Role, input_parameter::Record};
use medchain_sdk::ledger::embedded::{EmbeddedError, EmbeddedLedger, LOG_FILE};
use prost::Message;

/// The participant index the contract derives from an identity.
fn ind(who: &ClientIdentity) -> u64 {
    Creator::from_identity(who.clone()).unwrap().ind()
}

fn identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["user".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    ClientIdentity::from_pem("EmbeddedMSP", &cert.pem()).unwrap()
}

fn registration(who: &ClientIdentity, role: Role) -> Vec<Vec<u8>> {
    let input = InputParameter {
        record: Some(Record::Reg(Registration {
            role: role as i32,
            certificate_pem: who.certificate_pem().to_owned(),
        })),
    };
    vec![b"Store".to_vec(), input.encode_to_vec()]
}

#[tokio::test]
async fn commits_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let doctor = identity();
    {
        let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
        let committed = ledger
            .submit(&doctor, registration(&doctor, Role::Doctor))
            .await
            .unwrap();
        assert_eq!(committed.block_number, 0);
        assert_eq!(committed.payload, ind(&doctor).to_be_bytes());
    }
    let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
    assert_eq!(ledger.height().await.unwrap(), 1);
    let stored = ledger
        .evaluate(
            &doctor,
            vec![
                b"GetParticipant".to_vec(),
                ind(&doctor).to_be_bytes().to_vec(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(stored, registration(&doctor, Role::Doctor)[1]);
}

#[tokio::test]
async fn a_rejected_transaction_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
    let doctor = identity();
    ledger
        .submit(&doctor, registration(&doctor, Role::Doctor))
        .await
        .unwrap();
    let before = std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len();
    let err = ledger
        .submit(&doctor, registration(&doctor, Role::Doctor))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
    assert_eq!(ledger.height().await.unwrap(), 1);
    assert_eq!(
        std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len(),
        before
    );
}

#[tokio::test]
async fn events_arrive_in_commit_order_from_any_block() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
    let people: Vec<_> = (0..3).map(|_| identity()).collect();
    let mut events = Box::pin(ledger.events(0));
    for who in &people {
        ledger
            .submit(who, registration(who, Role::Pharmacist))
            .await
            .unwrap();
    }
    for (n, who) in people.iter().enumerate() {
        let event = events.next().await.unwrap().unwrap();
        assert_eq!(event.block_number, n as u64);
        assert_eq!(event.event_name, "reg");
        let payload = medchain_protocol::v1::StoreEvent::decode(event.payload.as_slice()).unwrap();
        assert_eq!(payload.receivers, vec![ind(who)]);
    }
    // A subscriber that resumes from block 2 sees exactly the last event.
    let mut resumed = Box::pin(ledger.events(2));
    assert_eq!(resumed.next().await.unwrap().unwrap().block_number, 2);
}

#[tokio::test]
async fn two_handles_on_one_directory_share_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let first = EmbeddedLedger::open(dir.path()).await.unwrap();
    let second = EmbeddedLedger::open(dir.path()).await.unwrap();
    let mut events = Box::pin(first.events(0));
    let (a, b) = (identity(), identity());
    let (ra, rb) = tokio::join!(
        first.submit(&a, registration(&a, Role::Insurer)),
        second.submit(&b, registration(&b, Role::Insurer))
    );
    let mut blocks = vec![ra.unwrap().block_number, rb.unwrap().block_number];
    blocks.sort_unstable();
    assert_eq!(blocks, vec![0, 1]);
    // The first handle sees the block the second appended.
    for expected in 0..2 {
        assert_eq!(events.next().await.unwrap().unwrap().block_number, expected);
    }
    assert_eq!(first.height().await.unwrap(), 2);
}

#[tokio::test]
async fn a_torn_tail_is_ignored_and_cut_by_the_next_append() {
    let dir = tempfile::tempdir().unwrap();
    let doctor = identity();
    {
        let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
        ledger
            .submit(&doctor, registration(&doctor, Role::Doctor))
            .await
            .unwrap();
    }
    // Simulate a crash in the middle of an append.
    let path = dir.path().join(LOG_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let good = bytes.len();
    bytes.extend_from_slice(&[0, 0, 0, 40, 1, 2, 3]);
    std::fs::write(&path, &bytes).unwrap();

    let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
    assert_eq!(ledger.height().await.unwrap(), 1);
    let other = identity();
    ledger
        .submit(&other, registration(&other, Role::Insurer))
        .await
        .unwrap();
    drop(ledger);
    let reopened = EmbeddedLedger::open(dir.path()).await.unwrap();
    assert_eq!(reopened.height().await.unwrap(), 2);
    assert!(std::fs::metadata(&path).unwrap().len() > good as u64);
}

#[tokio::test]
async fn damage_inside_the_log_is_reported_not_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (identity(), identity());
    {
        let ledger = EmbeddedLedger::open(dir.path()).await.unwrap();
        ledger
            .submit(&a, registration(&a, Role::Doctor))
            .await
            .unwrap();
        ledger
            .submit(&b, registration(&b, Role::Doctor))
            .await
            .unwrap();
    }
    let path = dir.path().join(LOG_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[40] ^= 0xff; // inside the first block's body
    std::fs::write(&path, &bytes).unwrap();
    let err = EmbeddedLedger::open(dir.path())
        .await
        .err()
        .expect("a damaged log must not open");
    assert!(matches!(err, EmbeddedError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("damaged at byte 0"), "{err}");
    // Nothing was rewritten.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[cfg(unix)]
#[tokio::test]
async fn ledger_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ledger_dir = dir.path().join("ledger");
    EmbeddedLedger::open(&ledger_dir).await.unwrap();
    let mode = std::fs::metadata(ledger_dir.join(LOG_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mode = std::fs::metadata(&ledger_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
