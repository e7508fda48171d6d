//! Attachments on the network's real IPFS node (Kubo, private swarm, from
//! the profile's `ipfs` entry): a 200 MB file round-trips byte for byte in
//! memory that does not grow with it, a block altered in the node's own
//! repository is caught with nothing written, and a node that is down is
//! one sentence.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ipfs_blocks::{BlockStore, FileReader, IpfsError, KuboClient, parse_cid};
use medchain_e2e::profile_path;
use medchain_sdk::attachments::{AttachmentError, fetch_attachment, store_attachment};
use medchain_siff::{CaseId, RecordKey};
use sha2::{Digest, Sha256};

/// The profile's IPFS API address and repository.
fn node() -> (String, PathBuf) {
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(profile_path()).unwrap()).unwrap();
    let ipfs = &profile["ipfs"];
    let api = ipfs["api"]
        .as_str()
        .expect("the profile names no ipfs.api: bring the network up with network/up.sh");
    (
        api.to_owned(),
        PathBuf::from(ipfs["repo"].as_str().unwrap()),
    )
}

fn store() -> BlockStore {
    BlockStore::Kubo(KuboClient::new(&node().0).unwrap())
}

/// Writes `len` pseudo-random bytes to `path` in 1 MiB pieces; returns their SHA-256.
fn write_content(path: &Path, len: usize) -> [u8; 32] {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hash = Sha256::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut piece = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for b in piece.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        let n = left.min(piece.len());
        file.write_all(&piece[..n]).unwrap();
        hash.update(&piece[..n]);
        left -= n;
    }
    file.flush().unwrap();
    hash.finalize().into()
}

fn file_sha256(path: &Path) -> [u8; 32] {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break hash.finalize().into();
        }
        hash.update(&buf[..n]);
    }
}

fn key() -> (RecordKey, CaseId) {
    (
        RecordKey::from_bytes([0x5a; 32]),
        CaseId::from_bytes([0x33; 32]),
    )
}

#[tokio::test]
async fn a_200_mb_imaging_study_round_trips_through_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("ct-study.dcm");
    let expected = write_content(&source, 200 * 1024 * 1024);
    let (key, case) = key();
    let store = store();
    let att = store_attachment(&store, &key, &case, &source, |_| {})
        .await
        .unwrap();
    assert_eq!(att.size, 200 * 1024 * 1024);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let saved = fetch_attachment(&store, &key, &case, &att, &dir.path().join("out"), |_| {})
        .await
        .unwrap();
    assert_eq!(file_sha256(&saved), expected);
}

#[tokio::test]
async fn a_block_altered_on_the_node_is_caught_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("scan.pdf");
    write_content(&source, 700 * 1024);
    let (key, case) = key();
    let store = store();
    let att = store_attachment(&store, &key, &case, &source, |_| {})
        .await
        .unwrap();
    // The first ciphertext leaf, then its file in the node's flatfs.
    let mut reader = FileReader::new(&store, parse_cid(&att.cid).unwrap(), att.ciphertext_size);
    let leaf = reader.next_leaf().await.unwrap().unwrap();
    let path =
        find(&node().1.join("blocks"), &leaf).expect("the leaf's file in the node's repository");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let err = fetch_attachment(&store, &key, &case, &att, &out, |_| {})
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
    assert!(err.to_string().contains("failed verification"), "{err}");
    assert!(
        std::fs::read_dir(&out).unwrap().next().is_none(),
        "a file was written"
    );
    // Put the node's copy back as it was.
    bytes[100] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
}

#[tokio::test]
async fn a_node_that_is_down_is_one_sentence() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = BlockStore::Kubo(KuboClient::new(&format!("http://127.0.0.1:{port}")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("note.txt");
    std::fs::write(&source, b"discharge letter").unwrap();
    let (key, case) = key();
    let err = store_attachment(&down, &key, &case, &source, |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is unreachable"), "{err}");
}

/// The file under `dir` whose bytes are `content`.
fn find(dir: &Path, content: &[u8]) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find(&path, content) {
                return Some(found);
            }
        } else if std::fs::metadata(&path).is_ok_and(|m| m.len() == content.len() as u64)
            && std::fs::read(&path).is_ok_and(|b| b == content)
        {
            return Some(path);
        }
    }
    None
}
