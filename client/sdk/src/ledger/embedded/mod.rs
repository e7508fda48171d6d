//! The embedded ledger: the medchain contract run in-process over a local,
//! persistent, append-only block log.
//!
//! It exists so the whole system works on one machine without a Fabric
//! install (`medchain demo`, development). It runs exactly the contract the
//! chaincode runs ([`MedicalRecords`]), with Fabric's transaction semantics:
//! a transaction is simulated against committed state, its writes are
//! committed only if the contract succeeds, and its single chaincode event is
//! delivered to subscribers in commit order. Several processes may share one
//! ledger directory: appends are serialized with a file lock and every
//! process reads the blocks the others append.
//!
//! It is a development ledger, **not a replacement for Fabric**: there is no
//! endorsement by other organizations, no ordering service, no signature
//! checks (the submitting identity is trusted as given) and no replication.

mod ca;
mod log;
mod replica;
mod simulation;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fabric_shim::ClientIdentity;
use futures::Stream;
use medchain_contract::MedicalRecords;
use medchain_contract::policy::POLICY_KEY;
use medchain_protocol::function;
use medchain_protocol::v1::{ConsortiumPolicy, KdfFloor, Role, RoleIssuer};
use prost_types::Timestamp;
use tokio::sync::{Mutex, watch};

pub use self::ca::{CA_FILE, IssuedIdentity, LocalCa, Validity};
use self::log::{Block, KeyWrite};
use self::replica::Replica;
use self::simulation::SimulationStub;
use crate::connect::EMBEDDED_MSP_ID;
use fabric_gateway::{ChaincodeEvent, SubmitResult, new_nonce, transaction_id};

/// The file holding the block log inside a ledger directory.
pub const LOG_FILE: &str = "ledger.log";
/// The channel name the embedded ledger reports to the contract.
pub const CHANNEL: &str = "embedded";
/// The chaincode name the embedded ledger's events carry.
pub const CHAINCODE: &str = "medchain";
/// How often a subscriber looks for blocks appended by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often a writer retries a lock held by another process.
const LOCK_RETRY: Duration = Duration::from_millis(5);

/// Why an embedded-ledger operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The ledger's files are damaged.
    #[error("the embedded ledger is damaged: {0}")]
    Corrupt(String),
    /// The local CA could not make a key or certificate.
    #[error("the embedded ledger's CA failed: {0}")]
    Ca(String),
    /// The contract rejected the transaction (nothing was written).
    #[error("{0}")]
    Rejected(#[from] medchain_contract::ContractError),
}

impl EmbeddedError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// A handle on an embedded ledger directory. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedLedger {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    ca: LocalCa,
    synced: Mutex<Synced>,
    height: watch::Sender<u64>,
}

/// The log file and the replica built from it up to `offset`.
struct Synced {
    file: Arc<File>,
    offset: u64,
    replica: Replica,
}

impl Synced {
    /// Reads blocks other processes appended since the last read.
    fn catch_up(&mut self, path: &Path) -> Result<(), EmbeddedError> {
        let (blocks, offset, _torn) = log::read_from(&self.file, self.offset, path)?;
        for block in blocks {
            self.replica
                .apply(block)
                .map_err(|e| EmbeddedError::Corrupt(format!("{}: {e}", path.display())))?;
        }
        self.offset = offset;
        Ok(())
    }
}

/// Which message of Fabric's chaincode protocol a simulated call stands for.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// `INIT`: the chaincode's initialization.
    Init,
    /// `TRANSACTION`: every other call.
    Transaction,
}

/// Releases an exclusive file lock on drop.
struct FileLock<'a>(&'a File);

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The lowest KDF floor the contract accepts (m ≥ 8 KiB, t ≥ 1), for
/// embedded ledgers of tests and `--insecure-test-kdf` demonstrations only:
/// cases with such parameters make every participant's password cheap to
/// guess.
pub const INSECURE_TEST_KDF_FLOOR: KdfFloor = KdfFloor { m_kib: 8, t: 1 };

impl EmbeddedLedger {
    /// Opens the ledger in `dir`, creating the directory (mode 0700) and an
    /// empty ledger when they do not exist, and reads every committed block.
    /// A new ledger is initialized with [`Self::policy`] and the protocol's
    /// default KDF floor (m ≥ 19456 KiB, t ≥ 2).
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self, EmbeddedError> {
        Self::open_with_kdf_floor(dir, None).await
    }

    /// [`Self::open`], initializing a new ledger with `kdf_floor` as the
    /// consortium's floor on a case's Argon2id parameters (`None`: the
    /// default). An existing ledger keeps the floor it was created with.
    /// Lower it only for tests and demonstrations.
    pub async fn open_with_kdf_floor(
        dir: impl AsRef<Path>,
        kdf_floor: Option<KdfFloor>,
    ) -> Result<Self, EmbeddedError> {
        let dir = dir.as_ref();
        fabric_gateway::private_file::create_private_dir(dir)
            .map_err(|e| EmbeddedError::io(dir, e))?;
        let path = dir.join(LOG_FILE);
        let file = log::open(&path)?;
        let mut synced = Synced {
            file: Arc::new(file),
            offset: 0,
            replica: Replica::default(),
        };
        synced.catch_up(&path)?;
        let ca = LocalCa::open_or_create(dir)?;
        let (height, _) = watch::channel(synced.replica.height());
        let ledger = Self {
            inner: Arc::new(Inner {
                path,
                ca,
                synced: Mutex::new(synced),
                height,
            }),
        };
        ledger.ensure_initialized(kdf_floor).await?;
        Ok(ledger)
    }

    /// The ledger's CA, which issues its participants' certificates.
    pub fn ca(&self) -> &LocalCa {
        &self.inner.ca
    }

    /// The policy of an embedded ledger: its one organization
    /// ([`EMBEDDED_MSP_ID`]) issues every registered role; `kdf_floor` as
    /// given (`None`: the protocol's default floor).
    pub fn policy(kdf_floor: Option<KdfFloor>) -> ConsortiumPolicy {
        let roles = [
            Role::Doctor,
            Role::Pharmacist,
            Role::Insurer,
            Role::LawyerExpert,
        ];
        ConsortiumPolicy {
            issuers: vec![RoleIssuer {
                msp_id: EMBEDDED_MSP_ID.to_owned(),
                roles: roles.iter().map(|&r| r as i32).collect(),
            }],
            kdf_floor,
        }
    }

    /// Runs the chaincode's initialization (`Init` with [`Self::policy`]) as
    /// the ledger's first block, unless a process already did.
    async fn ensure_initialized(&self, kdf_floor: Option<KdfFloor>) -> Result<(), EmbeddedError> {
        let mut synced = self.inner.synced.lock().await;
        if synced.replica.get(POLICY_KEY).is_some() {
            return Ok(());
        }
        let file = synced.file.clone();
        let _lock = lock_exclusive(&file, &self.inner.path).await?;
        synced.catch_up(&self.inner.path)?;
        if synced.replica.get(POLICY_KEY).is_some() {
            return Ok(());
        }
        let admin = ClientIdentity::from_pem(EMBEDDED_MSP_ID, self.inner.ca.certificate_pem())
            .map_err(|e| EmbeddedError::Ca(e.to_string()))?;
        let policy = medchain_contract::policy::init_argument(&Self::policy(kdf_floor));
        let args = vec![function::INIT.as_bytes().to_vec(), policy.into_bytes()];
        self.commit(&mut synced, &admin, args, Call::Init).await?;
        Ok(())
    }

    /// The number of committed blocks.
    pub async fn height(&self) -> Result<u64, EmbeddedError> {
        let mut synced = self.inner.synced.lock().await;
        synced.catch_up(&self.inner.path)?;
        Ok(synced.replica.height())
    }

    /// Simulates a transaction signed by `creator` and, if the contract
    /// accepts it, commits it as the next block.
    pub async fn submit(
        &self,
        creator: &ClientIdentity,
        args: Vec<Vec<u8>>,
    ) -> Result<SubmitResult, EmbeddedError> {
        let mut synced = self.inner.synced.lock().await;
        let file = synced.file.clone();
        let _lock = lock_exclusive(&file, &self.inner.path).await?;
        synced.catch_up(&self.inner.path)?;
        self.commit(&mut synced, creator, args, Call::Transaction)
            .await
    }

    /// Simulates `args` as `kind` over the caught-up replica and, if the
    /// contract accepts it, appends it as the next block. The caller holds
    /// the log's file lock.
    async fn commit(
        &self,
        synced: &mut Synced,
        creator: &ClientIdentity,
        args: Vec<Vec<u8>>,
        kind: Call,
    ) -> Result<SubmitResult, EmbeddedError> {
        let (tx_id, timestamp) = new_transaction(creator);
        let stub = SimulationStub::new(
            &synced.replica,
            args,
            tx_id.clone(),
            CHANNEL.into(),
            timestamp,
            creator.clone(),
        );
        let payload = match kind {
            Call::Init => MedicalRecords.initialize(&stub).await?,
            Call::Transaction => MedicalRecords.call(&stub).await?,
        };
        let result = stub.finish();
        let (event_name, event_payload) = result.event.unwrap_or_default();
        let block = Block {
            number: synced.replica.height(),
            tx_id: tx_id.clone(),
            seconds: timestamp.seconds,
            nanos: timestamp.nanos,
            writes: result
                .writes
                .into_iter()
                .map(|(key, value)| KeyWrite {
                    key,
                    is_delete: value.is_none(),
                    value: value.unwrap_or_default(),
                })
                .collect(),
            event_name,
            event_payload,
        };
        let block_number = block.number;
        let offset = log::append(&synced.file, synced.offset, &block, &self.inner.path)?;
        synced.offset = offset;
        synced
            .replica
            .apply(block)
            .map_err(EmbeddedError::Corrupt)?;
        self.inner.height.send_replace(synced.replica.height());
        tracing::debug!(
            tx_id,
            block = block_number,
            "embedded ledger committed a block"
        );
        Ok(SubmitResult {
            payload,
            tx_id,
            block_number,
        })
    }

    /// Runs a query (nothing is written).
    pub async fn evaluate(
        &self,
        creator: &ClientIdentity,
        args: Vec<Vec<u8>>,
    ) -> Result<Vec<u8>, EmbeddedError> {
        let mut synced = self.inner.synced.lock().await;
        synced.catch_up(&self.inner.path)?;
        let (tx_id, timestamp) = new_transaction(creator);
        let stub = SimulationStub::new(
            &synced.replica,
            args,
            tx_id,
            CHANNEL.into(),
            timestamp,
            creator.clone(),
        );
        Ok(MedicalRecords.call(&stub).await?)
    }

    /// The chaincode events of every block from `from_block` on, in commit
    /// order, including blocks committed later by this or another process.
    /// The stream never ends on its own.
    pub fn events(
        &self,
        from_block: u64,
    ) -> impl Stream<Item = Result<ChaincodeEvent, EmbeddedError>> + Send + 'static {
        let state = (
            self.inner.clone(),
            from_block,
            self.inner.height.subscribe(),
        );
        futures::stream::unfold(state, |(inner, mut next, mut height)| async move {
            loop {
                let found = {
                    let mut synced = inner.synced.lock().await;
                    if let Err(e) = synced.catch_up(&inner.path) {
                        return Some((Err(e), (inner.clone(), next, height)));
                    }
                    synced.replica.block(next).map(|b| ChaincodeEvent {
                        block_number: b.number,
                        tx_id: b.tx_id.clone(),
                        chaincode_name: CHAINCODE.to_owned(),
                        event_name: b.event_name.clone(),
                        payload: b.event_payload.clone(),
                    })
                };
                match found {
                    Some(event) => {
                        next += 1;
                        if !event.event_name.is_empty() {
                            return Some((Ok(event), (inner, next, height)));
                        }
                    }
                    None => {
                        let _ = tokio::time::timeout(POLL_INTERVAL, height.changed()).await;
                    }
                }
            }
        })
    }
}

/// A fresh transaction id (hex SHA-256 of a random nonce and the creator, as
/// Fabric computes it) and the current time.
fn new_transaction(creator: &ClientIdentity) -> (String, Timestamp) {
    let tx_id = transaction_id(&new_nonce(), &creator.to_serialized());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let timestamp = Timestamp {
        seconds: i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(now.subsec_nanos()).unwrap_or(0),
    };
    (tx_id, timestamp)
}

async fn lock_exclusive<'a>(file: &'a File, path: &Path) -> Result<FileLock<'a>, EmbeddedError> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(FileLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => tokio::time::sleep(LOCK_RETRY).await,
            Err(std::fs::TryLockError::Error(e)) => return Err(EmbeddedError::io(path, e)),
        }
    }
}
