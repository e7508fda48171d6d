//! Attachments through a local block directory: round trips at chunk
//! boundaries, and every failure leaves nothing on disk.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

use ipfs_blocks::{BlockStore, DirStore, IpfsError};
use medchain_sdk::attachments::{
    AttachmentError, AttachmentRef, fetch_attachment, store_attachment, validate_name,
};
use medchain_siff::{ATTACHMENT_CHUNK, CaseId, RecordKey};

struct Setup {
    dir: tempfile::TempDir,
    store: BlockStore,
    key: RecordKey,
    case: CaseId,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockStore::Dir(DirStore::open(dir.path().join("blocks")).unwrap());
    std::fs::create_dir(dir.path().join("out")).unwrap();
    Setup {
        dir,
        store,
        key: RecordKey::from_bytes([7; 32]),
        case: CaseId::from_bytes([1; 32]),
    }
}

fn content(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 253) as u8 ^ (i >> 12) as u8)
        .collect()
}

async fn store(s: &Setup, name: &str, bytes: &[u8]) -> AttachmentRef {
    let path = s.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    store_attachment(&s.store, &s.key, &s.case, &path, |_| {})
        .await
        .unwrap()
}

fn out_is_empty(s: &Setup) -> bool {
    std::fs::read_dir(s.dir.path().join("out"))
        .unwrap()
        .next()
        .is_none()
}

#[tokio::test]
async fn sizes_at_chunk_boundaries_round_trip() {
    let s = setup();
    for (i, len) in [
        0,
        1,
        ATTACHMENT_CHUNK,
        ATTACHMENT_CHUNK + 1,
        3 * ATTACHMENT_CHUNK + 5,
    ]
    .into_iter()
    .enumerate()
    {
        let bytes = content(len);
        let att = store(&s, &format!("scan-{i}.dcm"), &bytes).await;
        assert_eq!(att.size, len as u64);
        let out = s.dir.path().join("out");
        let mut seen = 0;
        let saved = fetch_attachment(&s.store, &s.key, &s.case, &att, &out, |n| seen = n)
            .await
            .unwrap();
        assert_eq!(saved, out.join(&att.name));
        assert_eq!(std::fs::read(&saved).unwrap(), bytes, "{len} bytes");
        assert_eq!(seen, att.ciphertext_size);
    }
}

#[tokio::test]
async fn a_tampered_block_is_caught_and_nothing_is_written() {
    let s = setup();
    let att = store(&s, "mri.dcm", &content(2 * ATTACHMENT_CHUNK + 9)).await;
    // Flip a byte in every stored block but keep its name (its CID).
    for entry in std::fs::read_dir(s.dir.path().join("blocks")).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
    }
    let err = fetch_attachment(
        &s.store,
        &s.key,
        &s.case,
        &att,
        &s.dir.path().join("out"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            AttachmentError::Fetch {
                source: IpfsError::Mismatch { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(out_is_empty(&s));
}

#[tokio::test]
async fn another_key_or_a_reference_that_lies_writes_nothing() {
    let s = setup();
    let att = store(&s, "report.pdf", &content(ATTACHMENT_CHUNK + 100)).await;
    let out = s.dir.path().join("out");
    let wrong = RecordKey::from_bytes([8; 32]);
    let err = fetch_attachment(&s.store, &wrong, &s.case, &att, &out, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AttachmentError::Decrypt { .. }), "{err}");
    let mut lying = att.clone();
    lying.ciphertext_sha256[0] ^= 1;
    let err = fetch_attachment(&s.store, &s.key, &s.case, &lying, &out, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AttachmentError::Mismatch { .. }), "{err}");
    let mut shorter = att.clone();
    shorter.size -= 1;
    shorter.ciphertext_size -= 1;
    let err = fetch_attachment(&s.store, &s.key, &s.case, &shorter, &out, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AttachmentError::Fetch {
                source: IpfsError::TooLarge { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(out_is_empty(&s));
}

#[tokio::test]
async fn an_existing_file_is_never_overwritten() {
    let s = setup();
    let att = store(&s, "xray.png", b"image").await;
    let out = s.dir.path().join("out");
    std::fs::write(out.join("xray.png"), b"mine").unwrap();
    let err = fetch_attachment(&s.store, &s.key, &s.case, &att, &out, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AttachmentError::Exists(_)), "{err}");
    assert_eq!(std::fs::read(out.join("xray.png")).unwrap(), b"mine");
}

#[tokio::test]
async fn names_that_escape_the_directory_are_refused() {
    for bad in [
        "",
        "../../.bashrc",
        "a/b",
        "a\\b",
        ".hidden",
        "tab\there",
        &"x".repeat(256),
    ] {
        let err = validate_name(bad).unwrap_err();
        assert!(
            err.to_string().contains("cannot be an attachment name"),
            "{bad}: {err}"
        );
    }
    validate_name("CT scan 2026-12-01.dcm").unwrap();
    // A record naming a hostile path is refused before anything is read.
    let s = setup();
    let mut att = store(&s, "ok.txt", b"x").await;
    att.name = "../escape".into();
    let err = fetch_attachment(
        &s.store,
        &s.key,
        &s.case,
        &att,
        &s.dir.path().join("out"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AttachmentError::BadName(_)), "{err}");
    assert!(!Path::new(&s.dir.path().join("escape")).exists());
}

#[tokio::test]
async fn a_missing_file_is_one_sentence() {
    let s = setup();
    let err = store_attachment(
        &s.store,
        &s.key,
        &s.case,
        &s.dir.path().join("absent.pdf"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("cannot use"), "{err}");
}
