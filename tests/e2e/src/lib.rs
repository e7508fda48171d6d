//! Harness for the end-to-end tests: users with their own Fabric identities
//! (from the client profile `network/up.sh` writes), wallets, watchers, and
//! control of the network's processes (by their pid files, never anything
//! else).
//!
//! The network must be up: `bash tests/run-all.sh` brings it up before the
//! end-to-end phase. Without it every test fails with a message saying how
//! to start it; no test passes without the network.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use medchain_protocol::v1::Role;
use medchain_sdk::connect::{NetworkProfile, connect, identity_signer};
use medchain_sdk::ledger::Ledger;
use medchain_sdk::wallet::{
    BackendProfile, IdentityLocation, PROFILE_FORMAT, SavedCheckpoint, UserRole, Wallet,
    WalletProfile, WalletSecrets,
};
use medchain_sdk::workflow::{self, Notification, Watcher};
use medchain_siff::{KdfParams, KdfPolicy};
use tokio::sync::{OnceCell, mpsc};

/// Argon2id parameters for the tests (the KDF is not under test here).
pub const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};
/// The explicit policy that allows them.
pub const POLICY: KdfPolicy = KdfPolicy::AllowInsecureTestParameters;
/// How long a test waits for something the network does.
pub const WAIT: Duration = Duration::from_secs(90);

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The network's client profile: `$MEDCHAIN_PROFILE`, else the default work
/// directory's. Panics with instructions when the network is not up.
pub fn profile_path() -> PathBuf {
    let path = std::env::var_os("MEDCHAIN_PROFILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("network/.work/profile.json"));
    assert!(
        path.is_file(),
        "the Fabric network's client profile {} does not exist: run the end-to-end tests with `bash tests/run-all.sh`, \
         or start the network with `network/up.sh` (and set MEDCHAIN_PROFILE if it writes elsewhere)",
        path.display()
    );
    path
}

/// The `medchain` CLI binary: `$MEDCHAIN_BIN`, else the workspace's debug
/// build (`bash tests/run-all.sh` builds it before this phase).
pub fn medchain_binary() -> PathBuf {
    let path = std::env::var_os("MEDCHAIN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo().join("target"));
            target.join("debug/medchain")
        });
    assert!(
        path.is_file(),
        "the medchain binary {} does not exist: build it with `cargo build -p medchain` (tests/run-all.sh does) or set MEDCHAIN_BIN",
        path.display()
    );
    path
}

/// The network's work directory (pid files, logs).
pub fn work_dir() -> PathBuf {
    profile_path().parent().unwrap().to_owned()
}

/// A user of the network: its own Fabric identity, wallet and connection.
#[derive(Clone)]
pub struct User {
    pub name: String,
    pub ledger: Ledger,
    pub wallet: Wallet,
    pub password: String,
    pub role: UserRole,
}

/// The user role of a profile role name.
fn user_role(name: &str) -> UserRole {
    match name {
        "doctor" => UserRole::Doctor,
        "pharmacist" | "hospital-pharmacist" => UserRole::Pharmacist,
        "insurer" => UserRole::Insurer,
        "lawyer" | "expert" => UserRole::LawyerExpert,
        "patient" => UserRole::Patient,
        _ => UserRole::Family,
    }
}

/// Makes a wallet in `root` for the profile's identity `name` and connects
/// it to its organisation's gateway.
pub async fn user(root: &Path, name: &str) -> User {
    let network = NetworkProfile::read(&profile_path()).unwrap();
    let identity = network.role(name).unwrap();
    user_from_msp(
        root,
        name,
        user_role(name),
        &identity.org,
        &identity.msp_id,
        &identity.msp_dir,
    )
    .await
}

/// Makes a wallet in `root` named `name` for the MSP folder `msp_dir` of
/// `org` (MSP id `msp_id`), playing `role`, connected to the org's gateway.
pub async fn user_from_msp(
    root: &Path,
    name: &str,
    role: UserRole,
    org: &str,
    msp_id: &str,
    msp_dir: &Path,
) -> User {
    let path = profile_path();
    let profile = WalletProfile {
        format: PROFILE_FORMAT.into(),
        name: name.into(),
        role,
        identity: IdentityLocation::MspFolder {
            msp_id: msp_id.to_owned(),
            path: msp_dir.to_owned(),
        },
        backend: BackendProfile::Gateway {
            profile: path.clone(),
            org: org.to_owned(),
        },
        checkpoint: SavedCheckpoint::default(),
        cases: Default::default(),
        previous_identities: Vec::new(),
    };
    let password = format!("{name} e2e pässword");
    let wallet = Wallet::create(
        root.join(name),
        &profile,
        &password,
        &WalletSecrets::default(),
        FAST,
    )
    .unwrap()
    .with_kdf(FAST);
    let ledger = connect(&profile)
        .await
        .unwrap_or_else(|e| panic!("cannot connect {name} to the network: {e}"));
    // Watchers start at the current height: earlier tests' events are not theirs.
    let height = ledger.height().await.unwrap();
    wallet
        .update(|p| {
            p.checkpoint = SavedCheckpoint {
                block: height,
                tx_id: None,
            }
        })
        .unwrap();
    User {
        name: name.into(),
        ledger,
        wallet,
        password,
        role,
    }
}

static REGISTERED: OnceCell<()> = OnceCell::const_new();

/// Registers the doctor, pharmacist, insurer and lawyer once per test run
/// (registrations are write-once, so a re-run finds them registered).
pub async fn ensure_registered() {
    REGISTERED
        .get_or_init(|| async {
            let dir = tempfile::tempdir().unwrap();
            for (name, role) in [
                ("doctor", Role::Doctor),
                ("pharmacist", Role::Pharmacist),
                ("insurer", Role::Insurer),
                ("lawyer", Role::LawyerExpert),
            ] {
                let u = user(dir.path(), name).await;
                if u.ledger
                    .get_participant(u.ledger.ind())
                    .await
                    .unwrap()
                    .is_none()
                {
                    workflow::register(&u.ledger, role)
                        .await
                        .unwrap_or_else(|e| panic!("registering {name}: {e}"));
                }
            }
        })
        .await;
}

/// The seven users of a case, in fresh wallets under `root`.
pub struct Cast {
    pub patient: User,
    pub family: User,
    pub doctor: User,
    pub pharmacist: User,
    pub insurer: User,
    pub lawyer: User,
    pub stranger: User,
}

impl Cast {
    pub async fn new(root: &Path) -> Self {
        ensure_registered().await;
        Self {
            patient: user(root, "patient").await,
            family: user(root, "family").await,
            doctor: user(root, "doctor").await,
            pharmacist: user(root, "pharmacist").await,
            insurer: user(root, "insurer").await,
            lawyer: user(root, "lawyer").await,
            stranger: user(root, "stranger").await,
        }
    }

    /// The participants who answer a case (all but the doctor).
    pub fn responders(&self) -> [&User; 5] {
        [
            &self.patient,
            &self.family,
            &self.pharmacist,
            &self.insurer,
            &self.lawyer,
        ]
    }

    /// The patient's selection of everyone but the stranger.
    pub fn selection(&self) -> workflow::Selection {
        self.selection_with_lawyer(true)
    }

    /// The patient's selection of everyone but the stranger, and with the
    /// lawyer only when `lawyer`.
    pub fn selection_with_lawyer(&self, lawyer: bool) -> workflow::Selection {
        let mut s = workflow::Selection::new(
            &hex::decode(workflow::public_key_hex(&self.patient.ledger)).unwrap(),
            self.doctor.ledger.ind(),
        );
        s.family_keys
            .push(workflow::public_key_hex(&self.family.ledger));
        s.pharmacists
            .push(workflow::format_ind(self.pharmacist.ledger.ind()));
        s.insurers
            .push(workflow::format_ind(self.insurer.ledger.ind()));
        if lawyer {
            s.lawyer_experts
                .push(workflow::format_ind(self.lawyer.ledger.ind()));
        }
        // The patient signs its choice with its Fabric identity's key.
        let secrets = self.patient.wallet.secrets(&self.patient.password).unwrap();
        let profile = self.patient.wallet.profile().unwrap();
        s.sign(&identity_signer(&profile, &secrets).unwrap())
            .unwrap();
        s
    }

    /// Opens a case, has every participant answer it and the doctor
    /// establish its key.
    pub async fn established(&self) -> medchain_siff::CaseId {
        let case = self.open().await;
        for u in self.responders() {
            workflow::respond(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap();
        }
        establish(self, &case).await;
        case
    }

    /// The doctor opens a case from the patient's selection.
    pub async fn open(&self) -> medchain_siff::CaseId {
        self.open_selection(&self.selection()).await
    }

    /// The doctor opens a case from `selection`.
    pub async fn open_selection(&self, selection: &workflow::Selection) -> medchain_siff::CaseId {
        selection.verify(&self.patient.ledger).await.unwrap();
        workflow::open_case(
            &self.doctor.ledger,
            &self.doctor.wallet,
            &self.doctor.password,
            selection,
            FAST,
            POLICY,
        )
        .await
        .unwrap()
    }
}

/// The doctor establishes the key of `case` once its own gateway peer has
/// committed every response: each participant's `respond` returned when
/// its own organisation's peer committed, and the doctor's peer may be a
/// block behind for a moment.
pub async fn establish(c: &Cast, case: &medchain_siff::CaseId) -> usize {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let view = workflow::CaseView::load(&c.doctor.ledger, case)
            .await
            .unwrap();
        if view.missing_responses().is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the doctor's peer never saw every response of the case"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    workflow::establish(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        case,
        POLICY,
    )
    .await
    .unwrap()
}

/// A notification and who received it.
pub type Heard = (String, Notification);

/// Runs `u`'s watcher in the background, forwarding its notifications.
pub fn watch(u: &User, tx: mpsc::UnboundedSender<Heard>) -> tokio::task::JoinHandle<()> {
    let watcher = Watcher::new(u.ledger.clone(), u.wallet.clone(), &u.password, POLICY);
    let name = u.name.clone();
    tokio::spawn(async move {
        if let Err(e) = watcher
            .run(|n| drop(tx.send((name.clone(), n.clone()))), |_| true)
            .await
        {
            panic!("{name}'s watcher failed: {e}");
        }
    })
}

/// The next notification, within [`WAIT`].
pub async fn next(rx: &mut mpsc::UnboundedReceiver<Heard>) -> Heard {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a notification in time")
        .expect("watchers running")
}

/// Runs a network script (`up.sh`, `status.sh`, …) and asserts it succeeded.
pub fn network_script(script: &str) {
    let status = Command::new("bash")
        .arg(repo().join("network").join(script))
        .env("MEDCHAIN_NETWORK_DIR", work_dir())
        .status()
        .unwrap();
    assert!(status.success(), "network/{script} failed");
}

/// The chaincode server processes the network runs, as `network/up.sh`
/// names them: `chaincode` (the Rust server) and/or `chaincode-go` (the Go
/// reference contract), from the implementations its orgs were created with
/// (`ORG1_CHAINCODE` / `ORG2_CHAINCODE` in the work directory's `ports.env`;
/// a network without them runs Rust on both).
pub fn chaincode_servers() -> Vec<&'static str> {
    let ports = work_dir().join("ports.env");
    let text =
        std::fs::read_to_string(&ports).unwrap_or_else(|e| panic!("{}: {e}", ports.display()));
    let mut servers = Vec::new();
    for org in ["ORG1", "ORG2"] {
        let prefix = format!("{org}_CHAINCODE=");
        let implementation = text
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or("rust");
        let server = match implementation {
            "rust" => "chaincode",
            "go" => "chaincode-go",
            other => panic!(
                "{}: {org} runs an unknown chaincode {other:?}",
                ports.display()
            ),
        };
        if !servers.contains(&server) {
            servers.push(server);
        }
    }
    servers
}

/// Kills one of the network's processes (as named in its pid file) with
/// SIGKILL, as a crash would, and waits until it is gone.
pub fn crash(process: &str) {
    let pid_file = work_dir().join("run").join(format!("{process}.pid"));
    let text = std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
    let pid = text.split_whitespace().next().unwrap().to_owned();
    let status = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(status.success(), "kill {pid} ({process}) failed");
    for _ in 0..100 {
        let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if state.is_empty() || state.contains("State:\tZ") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{process} (pid {pid}) did not die");
}
