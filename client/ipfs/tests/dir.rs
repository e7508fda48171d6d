//! Files through a local block directory: DAG shapes, verification on
//! every read, limits.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ipfs_blocks::{
    BlockStore, DAG_PB, DirStore, FileReader, FileWriter, IpfsError, MAX_LINKS, RAW,
};

fn store(dir: &tempfile::TempDir) -> BlockStore {
    BlockStore::Dir(DirStore::open(dir.path().join("blocks")).unwrap())
}

/// Writes `leaves` leaves of `leaf` bytes each (the last one byte-distinct).
async fn write(
    store: &BlockStore,
    leaves: usize,
    leaf: usize,
) -> (ipfs_blocks::FileSummary, Vec<u8>) {
    let mut writer = FileWriter::new(store);
    let mut all = Vec::new();
    for i in 0..leaves {
        let bytes: Vec<u8> = (0..leaf).map(|j| (i * 31 + j) as u8).collect();
        all.extend_from_slice(&bytes);
        writer.push_leaf(bytes).await.unwrap();
    }
    (writer.finish().await.unwrap(), all)
}

async fn read_all(
    store: &BlockStore,
    root: ipfs_blocks::Cid,
    limit: u64,
) -> Result<Vec<u8>, IpfsError> {
    let mut reader = FileReader::new(store, root, limit);
    let mut out = Vec::new();
    while let Some(leaf) = reader.next_leaf().await? {
        out.extend_from_slice(&leaf);
    }
    Ok(out)
}

#[tokio::test]
async fn files_of_every_depth_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    for leaves in [
        1,
        2,
        MAX_LINKS,
        MAX_LINKS + 1,
        2 * MAX_LINKS + 1,
        MAX_LINKS * MAX_LINKS + 3,
    ] {
        let (summary, bytes) = write(&store, leaves, 3).await;
        assert_eq!(summary.size, bytes.len() as u64);
        let expected_codec = if leaves == 1 { RAW } else { DAG_PB };
        assert_eq!(summary.root.codec(), expected_codec, "{leaves} leaves");
        assert_eq!(
            read_all(&store, summary.root, summary.size).await.unwrap(),
            bytes
        );
    }
}

#[tokio::test]
async fn block_counts_follow_the_balanced_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    // 175 leaves: a root over a full node (174 leaves) and a node of one.
    let (summary, _) = write(&store, MAX_LINKS + 1, 2).await;
    assert_eq!(summary.blocks, (MAX_LINKS + 1) as u64 + 3);
    let (summary, _) = write(&store, MAX_LINKS, 5).await;
    assert_eq!(summary.blocks, MAX_LINKS as u64 + 1);
}

#[tokio::test]
async fn a_tampered_block_is_detected_and_nothing_of_it_returned() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let (summary, _) = write(&store, 3, 100).await;
    // Change one leaf on disk, keep its name.
    let mut reader = FileReader::new(&store, summary.root, summary.size);
    let first = reader.next_leaf().await.unwrap().unwrap();
    let leaf_cid = ipfs_blocks::block_cid(RAW, &first).unwrap();
    let path = dir.path().join("blocks").join(leaf_cid.to_string());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = read_all(&store, summary.root, summary.size)
        .await
        .unwrap_err();
    assert!(matches!(err, IpfsError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains(&leaf_cid.to_string()));
}

#[tokio::test]
async fn a_missing_block_is_reported_by_its_cid() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let (summary, _) = write(&store, 2, 10).await;
    std::fs::remove_file(dir.path().join("blocks").join(summary.root.to_string())).unwrap();
    let err = read_all(&store, summary.root, summary.size)
        .await
        .unwrap_err();
    assert!(
        matches!(err, IpfsError::NotFound { ref cid } if *cid == summary.root.to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn a_file_larger_than_expected_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let (summary, _) = write(&store, 4, 10).await;
    let err = read_all(&store, summary.root, 39).await.unwrap_err();
    assert!(
        matches!(err, IpfsError::TooLarge { limit: 39, .. }),
        "{err}"
    );
    assert_eq!(read_all(&store, summary.root, 40).await.unwrap().len(), 40);
}

#[tokio::test]
async fn oversized_leaves_and_empty_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut writer = FileWriter::new(&store);
    let err = writer
        .push_leaf(vec![0; ipfs_blocks::MAX_BLOCK_BYTES + 1])
        .await
        .unwrap_err();
    assert!(matches!(err, IpfsError::BlockTooLarge { .. }), "{err}");
    let err = FileWriter::new(&store).finish().await.unwrap_err();
    assert!(matches!(err, IpfsError::Empty), "{err}");
}

#[tokio::test]
async fn an_unusable_directory_is_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = DirStore::open(file.join("blocks")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot use the block directory"),
        "{err}"
    );
}
