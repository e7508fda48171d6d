//! Checkpoint semantics and the checkpoint stores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;

use fabric_gateway::{
    ChaincodeEvent, Checkpoint, CheckpointError, CheckpointStore, FileCheckpointStore,
    InMemoryCheckpointStore, StartPosition,
};

fn event(block_number: u64, tx_id: &str) -> ChaincodeEvent {
    ChaincodeEvent {
        block_number,
        tx_id: tx_id.into(),
        chaincode_name: "basic".into(),
        event_name: "stored".into(),
        payload: vec![1],
    }
}

#[test]
fn a_checkpoint_covers_exactly_what_was_handled() {
    let checkpoint = Checkpoint::after_event(&event(5, "b"));
    assert_eq!(checkpoint.block_number(), 5);
    assert_eq!(checkpoint.transaction_id(), Some("b"));
    assert!(checkpoint.covers(&event(4, "z")));
    assert!(checkpoint.covers(&event(5, "b")));
    assert!(!checkpoint.covers(&event(5, "c")));
    assert!(!checkpoint.covers(&event(6, "b")));

    let block = Checkpoint::after_block(5);
    assert_eq!((block.block_number(), block.transaction_id()), (6, None));
    assert!(block.covers(&event(5, "x")));
    assert!(!block.covers(&event(6, "x")));

    assert_eq!(
        Checkpoint::new(3, Some(String::new())),
        Checkpoint::new(3, None)
    );
    assert_eq!(Checkpoint::after_block(u64::MAX).block_number(), u64::MAX);
}

#[test]
fn resuming_prefers_the_saved_checkpoint() {
    let saved = Checkpoint::new(9, Some("t".into()));
    assert_eq!(
        StartPosition::resume(Some(saved.clone()), StartPosition::Block(0)),
        StartPosition::Checkpoint(saved.clone())
    );
    assert_eq!(
        StartPosition::resume(None, StartPosition::NextCommit),
        StartPosition::NextCommit
    );
    assert_eq!(
        StartPosition::from(saved.clone()).checkpoint(),
        Some(&saved)
    );
    assert_eq!(StartPosition::Block(2).checkpoint(), None);
}

#[test]
fn the_in_memory_store_keeps_the_last_checkpoint() {
    let mut store = InMemoryCheckpointStore::new();
    assert_eq!(store.load().unwrap(), None);
    store.save_event(&event(1, "a")).unwrap();
    store.save_event(&event(2, "b")).unwrap();
    assert_eq!(
        store.load().unwrap(),
        Some(Checkpoint::new(2, Some("b".into())))
    );
}

#[test]
fn the_file_store_survives_a_restart_with_mode_0600_and_no_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.checkpoint");
    let mut store = FileCheckpointStore::new(&path);
    assert_eq!(
        store.load().unwrap(),
        None,
        "a missing file means nothing saved"
    );

    store.save_event(&event(7, "tx7")).unwrap();
    store.save(&Checkpoint::after_block(7)).unwrap();
    store.save_event(&event(8, "tx8")).unwrap();

    let reopened = FileCheckpointStore::new(&path);
    assert_eq!(
        reopened.load().unwrap(),
        Some(Checkpoint::new(8, Some("tx8".into())))
    );
    assert_eq!(reopened.path(), path);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("events.checkpoint")]);

    store.save(&Checkpoint::after_block(8)).unwrap();
    assert_eq!(reopened.load().unwrap(), Some(Checkpoint::new(9, None)));
}

#[test]
fn a_corrupt_or_foreign_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp.json");
    let store = FileCheckpointStore::new(&path);
    let cases = [
        "not json",
        r#"{"format":"something-else","version":1,"block_number":1,"transaction_id":null}"#,
        r#"{"format":"medchain-event-checkpoint","version":2,"block_number":1,"transaction_id":null}"#,
        r#"{"format":"medchain-event-checkpoint","version":1,"block_number":1,"transaction_id":""}"#,
        r#"{"format":"medchain-event-checkpoint","version":1,"block_number":-1,"transaction_id":null}"#,
        r#"{"format":"medchain-event-checkpoint","version":1,"block_number":1,"transaction_id":null,"extra":1}"#,
    ];
    for content in cases {
        fs::write(&path, content).unwrap();
        let error = store.load().unwrap_err();
        assert!(
            matches!(error, CheckpointError::Corrupt { .. }),
            "{content}: {error}"
        );
        let text = error.to_string();
        assert!(
            text.contains("cp.json") && text.contains("left as it is"),
            "{text}"
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            content,
            "the file must not change"
        );
    }
}

#[test]
fn saving_into_a_missing_folder_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileCheckpointStore::new(dir.path().join("missing/cp.json"));
    let error = store.save(&Checkpoint::after_block(1)).unwrap_err();
    assert!(
        matches!(error, CheckpointError::Io { action: "save", .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("cannot save the event checkpoint"),
        "{error}"
    );
}
