//! The embedded ledger: persistence, Fabric-like transaction semantics,
//! events in commit order, several handles on one directory, damaged logs.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use fabric_shim::ClientIdentity;
use futures::StreamExt;
use medchain_contract::{Creator, CreatorIndex};
use medchain_protocol::v1::{InputParameter, Registration, Role, input_parameter::Record};
use medchain_sdk::ledger::embedded::INSECURE_TEST_KDF_FLOOR;
use medchain_sdk::ledger::embedded::{EmbeddedError, EmbeddedLedger, LOG_FILE, LocalCa};
use prost::Message;
use std::path::Path;

/// The participant index the contract derives from an identity.
fn ind(who: &ClientIdentity) -> u64 {
    Creator::from_identity(who.clone()).unwrap().ind()
}

/// An identity issued by the CA of the ledger in `dir`, certified as `role`.
fn identity(dir: &Path, role: Role) -> ClientIdentity {
    let issued = LocalCa::open_or_create(dir)
        .unwrap()
        .issue("user", medchain_contract::role_name(role))
        .unwrap();
    ClientIdentity::from_pem("EmbeddedMSP", &issued.certificate_pem).unwrap()
}

fn registration(who: &ClientIdentity, role: Role) -> Vec<Vec<u8>> {
    let input = InputParameter {
        record: Some(Record::Reg(Registration {
            role: role as i32,
            certificate_pem: who.certificate_pem().to_owned(),
            msp_id: who.msp_id().to_owned(),
        })),
    };
    vec![b"Store".to_vec(), input.encode_to_vec()]
}

#[tokio::test]
async fn commits_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let doctor = identity(dir.path(), Role::Doctor);
    {
        let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
            .await
            .unwrap();
        let committed = ledger
            .submit(&doctor, registration(&doctor, Role::Doctor))
            .await
            .unwrap();
        // Block 0 is the chaincode's initialization (the role policy).
        assert_eq!(committed.block_number, 1);
        assert_eq!(committed.payload, ind(&doctor).to_be_bytes());
    }
    let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    assert_eq!(ledger.height().await.unwrap(), 2);
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
async fn a_new_ledger_is_initialized_with_its_role_policy() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    assert_eq!(ledger.height().await.unwrap(), 1);
    let anyone = identity(dir.path(), Role::Doctor);
    let policy = ledger
        .evaluate(&anyone, vec![b"GetPolicy".to_vec()])
        .await
        .unwrap();
    assert_eq!(
        policy,
        EmbeddedLedger::policy(Some(INSECURE_TEST_KDF_FLOOR)).encode_to_vec()
    );
    // Reopening does not initialize again.
    drop(ledger);
    let reopened = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    assert_eq!(reopened.height().await.unwrap(), 1);
    // Init is no transaction anyone can send.
    let err = reopened
        .submit(&anyone, vec![b"Init".to_vec(), b"00".to_vec()])
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Init runs only as the chaincode's initialization"),
        "{err}"
    );
}

#[tokio::test]
async fn a_certificate_without_the_role_attribute_cannot_register() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["self-made".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let self_made = ClientIdentity::from_pem("EmbeddedMSP", &cert.pem()).unwrap();
    let err = ledger
        .submit(&self_made, registration(&self_made, Role::Doctor))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the submitter's certificate has no medchain.role attribute"),
        "{err}"
    );
    assert_eq!(ledger.height().await.unwrap(), 1);
}

#[tokio::test]
async fn a_rejected_transaction_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    let doctor = identity(dir.path(), Role::Doctor);
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
    assert_eq!(ledger.height().await.unwrap(), 2);
    assert_eq!(
        std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len(),
        before
    );
}

#[tokio::test]
async fn events_arrive_in_commit_order_from_any_block() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    let people: Vec<_> = (0..3)
        .map(|_| identity(dir.path(), Role::Pharmacist))
        .collect();
    let mut events = Box::pin(ledger.events(0));
    for who in &people {
        ledger
            .submit(who, registration(who, Role::Pharmacist))
            .await
            .unwrap();
    }
    for (n, who) in people.iter().enumerate() {
        let event = events.next().await.unwrap().unwrap();
        assert_eq!(event.block_number, n as u64 + 1);
        assert_eq!(event.event_name, "reg");
        let payload = medchain_protocol::v1::StoreEvent::decode(event.payload.as_slice()).unwrap();
        assert_eq!(payload.receivers, vec![ind(who)]);
    }
    // A subscriber that resumes from block 3 sees exactly the last event.
    let mut resumed = Box::pin(ledger.events(3));
    assert_eq!(resumed.next().await.unwrap().unwrap().block_number, 3);
}

#[tokio::test]
async fn two_handles_on_one_directory_share_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let first = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    let second = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    let mut events = Box::pin(first.events(0));
    let (a, b) = (
        identity(dir.path(), Role::Insurer),
        identity(dir.path(), Role::Insurer),
    );
    let (ra, rb) = tokio::join!(
        first.submit(&a, registration(&a, Role::Insurer)),
        second.submit(&b, registration(&b, Role::Insurer))
    );
    let mut blocks = vec![ra.unwrap().block_number, rb.unwrap().block_number];
    blocks.sort_unstable();
    assert_eq!(blocks, vec![1, 2]);
    // The first handle sees the block the second appended.
    for expected in 1..3 {
        assert_eq!(events.next().await.unwrap().unwrap().block_number, expected);
    }
    // Two handles opened one new ledger: it was initialized once.
    assert_eq!(first.height().await.unwrap(), 3);
}

#[tokio::test]
async fn a_torn_tail_is_ignored_and_cut_by_the_next_append() {
    let dir = tempfile::tempdir().unwrap();
    let doctor = identity(dir.path(), Role::Doctor);
    {
        let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
            .await
            .unwrap();
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

    let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    assert_eq!(ledger.height().await.unwrap(), 2);
    let other = identity(dir.path(), Role::Insurer);
    ledger
        .submit(&other, registration(&other, Role::Insurer))
        .await
        .unwrap();
    drop(ledger);
    let reopened = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    assert_eq!(reopened.height().await.unwrap(), 3);
    assert!(std::fs::metadata(&path).unwrap().len() > good as u64);
}

#[tokio::test]
async fn damage_inside_the_log_is_reported_not_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        identity(dir.path(), Role::Doctor),
        identity(dir.path(), Role::Doctor),
    );
    {
        let ledger = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
            .await
            .unwrap();
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
    let err = EmbeddedLedger::open_with_kdf_floor(dir.path(), Some(INSECURE_TEST_KDF_FLOOR))
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
    EmbeddedLedger::open_with_kdf_floor(&ledger_dir, Some(INSECURE_TEST_KDF_FLOOR))
        .await
        .unwrap();
    let mode = std::fs::metadata(ledger_dir.join(LOG_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mode = std::fs::metadata(&ledger_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
