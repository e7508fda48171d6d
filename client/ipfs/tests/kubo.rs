//! Against a real Kubo node (v0.43.1, `MEDCHAIN_KUBO_BIN`), made private by
//! `network/kubo-init.sh` and started on 127.0.0.1: our DAGs have the CIDs
//! `ipfs add` gives the same bytes, `ipfs cat` reads what we wrote, and a
//! block altered in the node's own repository is caught.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use ipfs_blocks::{BlockStore, FileReader, FileWriter, IpfsError, KuboClient, RAW, block_cid};
use tokio::process::{Child, Command};

/// The directory holding Kubo's `ipfs`, from tests/run-all.sh.
fn kubo_bin() -> PathBuf {
    let dir = std::env::var_os("MEDCHAIN_KUBO_BIN").expect(
        "MEDCHAIN_KUBO_BIN is not set: run network/install-kubo.sh and point it at the bin/ it prints (tests/run-all.sh does both)",
    );
    let ipfs = Path::new(&dir).join("ipfs");
    assert!(ipfs.is_file(), "{} is not a Kubo binary", ipfs.display());
    ipfs
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private Kubo node running until dropped.
struct Node {
    repo: tempfile::TempDir,
    api: String,
    _daemon: Child,
}

impl Node {
    async fn start() -> Self {
        let ipfs = kubo_bin();
        let repo = tempfile::tempdir().unwrap();
        let init = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../network/kubo-init.sh");
        let (api, gateway, swarm) = (free_port(), free_port(), free_port());
        let status = Command::new("bash")
            .arg(&init)
            .arg(repo.path())
            .args([api.to_string(), gateway.to_string(), swarm.to_string()])
            .env(
                "MEDCHAIN_KUBO_HOME",
                ipfs.parent().unwrap().parent().unwrap(),
            )
            .status()
            .await
            .unwrap();
        assert!(status.success(), "kubo-init.sh failed");
        let log = std::fs::File::create(repo.path().join("daemon.log")).unwrap();
        let daemon = Command::new(&ipfs)
            .arg("daemon")
            .env("IPFS_PATH", repo.path())
            .env("LIBP2P_FORCE_PNET", "1")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let api = format!("http://127.0.0.1:{api}");
        let client = KuboClient::new(&api).unwrap();
        for _ in 0..200 {
            if let Ok(version) = client.version().await {
                assert_eq!(version, "0.43.1");
                return Self {
                    repo,
                    api,
                    _daemon: daemon,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the Kubo daemon did not answer in 20 s: {}",
            std::fs::read_to_string(repo.path().join("daemon.log")).unwrap_or_default()
        );
    }

    fn store(&self) -> BlockStore {
        BlockStore::Kubo(
            KuboClient::new(&self.api)
                .unwrap()
                .with_timeout(Duration::from_secs(5)),
        )
    }

    /// Runs the `ipfs` CLI against this node's repository.
    async fn ipfs(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new(kubo_bin())
            .args(args)
            .env("IPFS_PATH", self.repo.path())
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "ipfs {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// `len` bytes, all different-looking.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn write(store: &BlockStore, bytes: &[u8], leaf: usize) -> ipfs_blocks::FileSummary {
    let mut writer = FileWriter::new(store);
    for chunk in bytes.chunks(leaf) {
        writer.push_leaf(chunk.to_vec()).await.unwrap();
    }
    writer.finish().await.unwrap()
}

#[tokio::test]
async fn our_cids_are_the_cids_ipfs_add_gives() {
    let node = Node::start().await;
    let store = node.store();
    let file = node.repo.path().join("content");
    // 64-byte leaves: 1 leaf, one full node, one more, and a three-level DAG.
    for leaves in [1, 2, 174, 175, 174 * 174 + 5] {
        let bytes = content(leaves * 64 - 3);
        std::fs::write(&file, &bytes).unwrap();
        let summary = write(&store, &bytes, 64).await;
        let theirs = node
            .ipfs(&[
                "add",
                "-Q",
                "--only-hash",
                "--cid-version=1",
                "--raw-leaves",
                "--chunker=size-64",
                file.to_str().unwrap(),
            ])
            .await;
        assert_eq!(
            String::from_utf8(theirs).unwrap().trim(),
            summary.root.to_string(),
            "{leaves} leaves"
        );
    }
}

#[tokio::test]
async fn ipfs_cat_reads_what_we_wrote_and_we_read_it_back() {
    let node = Node::start().await;
    let store = node.store();
    let bytes = content(3 * 262_144 + 1000);
    let summary = write(&store, &bytes, 262_144).await;
    assert_eq!(node.ipfs(&["cat", &summary.root.to_string()]).await, bytes);
    // Pinned recursively.
    let pins = node.ipfs(&["pin", "ls", "--type=recursive", "-q"]).await;
    assert!(
        String::from_utf8(pins)
            .unwrap()
            .contains(&summary.root.to_string())
    );
    let mut reader = FileReader::new(&store, summary.root, summary.size);
    let mut back = Vec::new();
    while let Some(leaf) = reader.next_leaf().await.unwrap() {
        back.extend_from_slice(&leaf);
    }
    assert_eq!(back, bytes);
}

#[tokio::test]
async fn a_block_altered_in_the_nodes_repository_is_caught() {
    let node = Node::start().await;
    let store = node.store();
    let bytes = content(2 * 1000);
    let summary = write(&store, &bytes, 1000).await;
    // Kubo's flatfs keeps each block as a file under blocks/.
    let leaf = block_cid(RAW, &bytes[..1000]).unwrap();
    let path =
        find(&node.repo.path().join("blocks"), &bytes[..1000]).expect("the leaf's file in flatfs");
    let mut stored = std::fs::read(&path).unwrap();
    stored[10] ^= 0x40;
    std::fs::write(&path, &stored).unwrap();
    let mut reader = FileReader::new(&store, summary.root, summary.size);
    let err = loop {
        match reader.next_leaf().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the altered block was not caught"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(err, IpfsError::Mismatch { ref cid } if *cid == leaf.to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_block_and_an_unreachable_node_are_one_sentence_each() {
    let node = Node::start().await;
    let store = node.store();
    let absent = block_cid(RAW, b"never stored").unwrap();
    let err = store.get(&absent).await.unwrap_err();
    assert!(
        matches!(err, IpfsError::Node { .. } | IpfsError::Timeout { .. }),
        "{err}"
    );
    let down =
        BlockStore::Kubo(KuboClient::new(&format!("http://127.0.0.1:{}", free_port())).unwrap());
    let err = down.get(&absent).await.unwrap_err();
    assert!(matches!(err, IpfsError::Unreachable { .. }), "{err}");
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
        } else if std::fs::read(&path).is_ok_and(|b| b == content) {
            return Some(path);
        }
    }
    None
}
