//! Shared fixtures of the medchain fuzz targets: an in-memory [`Stub`], a
//! creator certificate with a role, fixed keys, and the seed corpus
//! ([`seeds`]) that `make-corpus` writes under `tests/fuzz/corpus/`.
//!
//! Everything here is deterministic (fixed keys, seeded RNGs) so that a
//! reproducer replays the same way; the targets may unwrap on their own
//! fixtures, never on the fuzzed input.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

use fabric_shim::composite::partial_composite_range;
use fabric_shim::identity::fabric_ca_attributes_extension;
use fabric_shim::{
    KeyModification, KeyValue, Page, Stub, StubError, VecResultsIterator,
    stub::validate_simple_range,
};
use prost_types::Timestamp;

/// The MSP every fixture identity belongs to.
pub const MSP_ID: &str = "Org1MSP";

/// A fixed 32-byte scalar (a valid P-256 secret key) derived from `label`.
pub fn secret_key(label: &str) -> p256::SecretKey {
    use sha2::Digest as _;
    let mut seed: [u8; 32] = sha2::Sha256::digest(label.as_bytes()).into();
    loop {
        if let Ok(key) = p256::SecretKey::from_slice(&seed) {
            return key;
        }
        seed = sha2::Sha256::digest(seed).into();
    }
}

/// A self-signed certificate (PEM) of `name` with Fabric CA's attribute
/// extension `medchain.role = role`, and its key.
pub fn certificate(name: &str, role: &str) -> (String, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(vec![name.into()]).unwrap();
    let attrs = BTreeMap::from([("medchain.role".to_owned(), role.to_owned())]);
    params
        .custom_extensions
        .push(rcgen::CustomExtension::from_oid_content(
            &[1, 2, 3, 4, 5, 6, 7, 8, 1],
            fabric_ca_attributes_extension(&attrs),
        ));
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key)
}

/// Serialized `msp.SerializedIdentity` creators, one per role name, made
/// once per process.
pub static CREATORS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    medchain_protocol::ROLE_NAMES
        .iter()
        .map(|role| {
            let (pem, _) = certificate(&format!("fuzz-{role}"), role);
            fabric_shim::ClientIdentity::from_pem(MSP_ID, &pem)
                .unwrap()
                .to_serialized()
        })
        .collect()
});

/// The role policy the contract fixture is initialized with: [`MSP_ID`]
/// issues every role.
pub fn policy_bytes() -> Vec<u8> {
    use medchain_protocol::v1::{ConsortiumPolicy, Role, RoleIssuer};
    use prost::Message as _;
    ConsortiumPolicy {
        issuers: vec![RoleIssuer {
            msp_id: MSP_ID.into(),
            roles: vec![
                Role::Doctor as i32,
                Role::Pharmacist as i32,
                Role::Insurer as i32,
                Role::LawyerExpert as i32,
            ],
        }],
        // The lowest floor, so fuzzed case openings reach every later rule.
        kdf_floor: Some(medchain_protocol::v1::KdfFloor { m_kib: 8, t: 1 }),
    }
    .encode_to_vec()
}

/// An in-memory world state behind the [`Stub`] API: writes apply at once.
pub struct MemStub {
    /// The invocation arguments.
    pub args: Vec<Vec<u8>>,
    /// The creator's serialized identity.
    pub creator: Vec<u8>,
    /// The world state.
    pub state: Mutex<BTreeMap<String, Vec<u8>>>,
    /// The last event set.
    pub event: Mutex<Option<(String, Vec<u8>)>>,
    transient: BTreeMap<String, Vec<u8>>,
}

impl MemStub {
    /// A stub with `state`, for one invocation with `args` by `creator`.
    pub fn new(args: Vec<Vec<u8>>, creator: Vec<u8>, state: BTreeMap<String, Vec<u8>>) -> Self {
        Self {
            args,
            creator,
            state: Mutex::new(state),
            event: Mutex::new(None),
            transient: BTreeMap::new(),
        }
    }

    fn range(&self, start: &str, end: &str) -> Vec<KeyValue> {
        let state = self.state.lock().unwrap();
        state
            .iter()
            .filter(|(k, _)| k.as_str() >= start && (end.is_empty() || k.as_str() < end))
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: v.clone(),
            })
            .collect()
    }

    fn page(&self, start: &str, end: &str, size: u32, bookmark: &str) -> Page<KeyValue> {
        let from = if bookmark.is_empty() { start } else { bookmark };
        let mut all = self.range(from, end);
        let size = size as usize;
        let bookmark = if all.len() > size {
            all.truncate(size + 1);
            all.pop().map(|kv| kv.key).unwrap_or_default()
        } else {
            String::new()
        };
        Page {
            fetched_records_count: u32::try_from(all.len()).unwrap(),
            results: all,
            bookmark,
        }
    }
}

impl Stub for MemStub {
    type StateIterator = VecResultsIterator<KeyValue>;
    type HistoryIterator = VecResultsIterator<KeyModification>;

    fn args(&self) -> &[Vec<u8>] {
        &self.args
    }
    fn tx_id(&self) -> &str {
        "fuzz-tx"
    }
    fn channel_id(&self) -> &str {
        "fuzz"
    }
    fn tx_timestamp(&self) -> Option<Timestamp> {
        Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        })
    }
    fn creator(&self) -> &[u8] {
        &self.creator
    }
    fn transient(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.transient
    }
    fn set_event(&self, name: &str, payload: Vec<u8>) {
        *self.event.lock().unwrap() = Some((name.to_owned(), payload));
    }
    async fn get_state(&self, key: &str) -> Result<Option<Vec<u8>>, StubError> {
        Ok(self.state.lock().unwrap().get(key).cloned())
    }
    async fn put_state(&self, key: &str, value: &[u8]) -> Result<(), StubError> {
        self.state
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    async fn del_state(&self, key: &str) -> Result<(), StubError> {
        self.state.lock().unwrap().remove(key);
        Ok(())
    }
    async fn get_state_by_range(
        &self,
        start: &str,
        end: &str,
    ) -> Result<Self::StateIterator, StubError> {
        let start = validate_simple_range(start, end)?;
        Ok(VecResultsIterator::new(self.range(start, end)))
    }
    async fn get_state_by_range_with_pagination(
        &self,
        start: &str,
        end: &str,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        let start = validate_simple_range(start, end)?;
        fabric_shim::stub::validate_page_size(page_size)?;
        Ok(self.page(start, end, page_size, bookmark))
    }
    async fn get_history_for_key(&self, _key: &str) -> Result<Self::HistoryIterator, StubError> {
        Ok(VecResultsIterator::new([]))
    }
    async fn get_state_by_partial_composite_key(
        &self,
        object_type: &str,
        attributes: &[&str],
    ) -> Result<Self::StateIterator, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        Ok(VecResultsIterator::new(self.range(&start, &end)))
    }
    async fn get_state_by_partial_composite_key_with_pagination(
        &self,
        object_type: &str,
        attributes: &[&str],
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<KeyValue>, StubError> {
        let (start, end) = partial_composite_range(object_type, attributes)?;
        fabric_shim::stub::validate_page_size(page_size)?;
        Ok(self.page(&start, &end, page_size, bookmark))
    }
}

/// The fixed case id κ0 of the SIFF fixtures.
pub fn case_id() -> medchain_siff::CaseId {
    medchain_siff::CaseId::from_slice(&[7u8; 32]).unwrap()
}

/// The fixed record key of the SIFF fixtures.
pub fn record_key() -> medchain_siff::RecordKey {
    medchain_siff::RecordKey::from_bytes([9u8; 32])
}

/// The participant index of the response fixtures.
pub const RESPONDER: u64 = 0x0102_0304_0506_0708;

/// A deterministic RNG for the fixtures.
pub fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    use rand_core::SeedableRng as _;
    rand_chacha::ChaCha20Rng::seed_from_u64(seed)
}

/// The genuine sealed record of the SIFF fixtures: `type || ciphertext`
/// as the `siff_parsers` target reads it (see the target).
pub fn genuine_record() -> Vec<u8> {
    medchain_siff::seal_record(
        &record_key(),
        medchain_siff::RecordType::Diagnosis,
        &case_id(),
        b"diagnosis: fuzzing",
        &mut rng(1),
    )
    .unwrap()
}

/// The genuine sealed response (`pk_x || c_x`) of the SIFF fixtures, sealed
/// to [`secret_key`]`("doctor")`.
pub fn genuine_response() -> Vec<u8> {
    let secret = medchain_siff::ParticipantSecret::from_bytes([3u8; 32]);
    let doctor = secret_key("doctor").public_key();
    let sealed =
        medchain_siff::seal_response(&secret, RESPONDER, &case_id(), &doctor, &mut rng(2)).unwrap();
    let mut out = sealed.ephemeral_key.to_vec();
    out.extend_from_slice(&sealed.sealed_secret);
    out
}

/// The password of the wallet fixtures.
pub const WALLET_PASSWORD: &str = "fuzzing wallet password";

/// The signing key text the wallet fixture's secrets hold.
pub const WALLET_SIGNING_KEY: &str = "not a real key";

/// The wallet fixture's profile.
pub fn wallet_profile_value() -> medchain_sdk::wallet::WalletProfile {
    use medchain_sdk::wallet::{
        BackendProfile, IdentityLocation, PROFILE_FORMAT, UserRole, WalletProfile,
    };
    WalletProfile {
        format: PROFILE_FORMAT.into(),
        name: "fuzz".into(),
        role: UserRole::Doctor,
        identity: IdentityLocation::Embedded {
            msp_id: "EmbeddedMSP".into(),
            certificate_pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into(),
        },
        backend: BackendProfile::Embedded {
            dir: "/nonexistent".into(),
        },
        checkpoint: Default::default(),
        cases: Default::default(),
        previous_identities: Vec::new(),
    }
}

/// The wallet fixture's `wallet.json`.
pub fn wallet_profile() -> Vec<u8> {
    serde_json::to_vec_pretty(&wallet_profile_value()).unwrap()
}

/// A `secrets.enc` sealed under [`WALLET_PASSWORD`] at a cheap Argon2id
/// cost (64 KiB, 2 passes), holding [`WALLET_SIGNING_KEY`].
pub fn sealed_secrets() -> Vec<u8> {
    use medchain_sdk::wallet::{SECRETS_FILE, Wallet, WalletSecrets};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    let mut secrets = WalletSecrets::default();
    secrets.signing_key_pem = Some(WALLET_SIGNING_KEY.into());
    let kdf = medchain_siff::KdfParams {
        m_kib: 64,
        t: 2,
        p: 1,
    };
    Wallet::create(
        &path,
        &wallet_profile_value(),
        WALLET_PASSWORD,
        &secrets,
        kdf,
    )
    .unwrap();
    std::fs::read(path.join(SECRETS_FILE)).unwrap()
}

/// A `TRANSACTION` (or `INIT`) message as a peer sends it: the
/// `ChaincodeInput` payload and a signed proposal whose header carries an
/// endorser-transaction channel header and `creator`.
pub fn transaction_message(
    kind: fabric_protos::protos::chaincode_message::Type,
    tx_id: &str,
    creator: &[u8],
    args: &[&[u8]],
) -> fabric_protos::protos::ChaincodeMessage {
    use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
    use fabric_protos::protos::{
        ChaincodeInput, ChaincodeMessage, ChaincodeProposalPayload, Proposal, SignedProposal,
    };
    use prost::Message as _;
    let input = ChaincodeInput {
        args: args.iter().map(|a| a.to_vec()).collect(),
        ..Default::default()
    };
    let channel_header = ChannelHeader {
        r#type: HeaderType::EndorserTransaction as i32,
        channel_id: "fuzz".into(),
        tx_id: tx_id.into(),
        timestamp: Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        }),
        ..Default::default()
    };
    let header = Header {
        channel_header: channel_header.encode_to_vec(),
        signature_header: SignatureHeader {
            creator: creator.to_vec(),
            nonce: vec![1; 24],
        }
        .encode_to_vec(),
    };
    let proposal = Proposal {
        header: header.encode_to_vec(),
        payload: ChaincodeProposalPayload {
            input: input.encode_to_vec(),
            transient_map: Default::default(),
        }
        .encode_to_vec(),
        extension: Vec::new(),
    };
    ChaincodeMessage {
        r#type: kind as i32,
        txid: tx_id.into(),
        channel_id: "fuzz".into(),
        payload: input.encode_to_vec(),
        proposal: Some(SignedProposal {
            proposal_bytes: proposal.encode_to_vec(),
            signature: vec![0; 8],
        }),
        ..Default::default()
    }
}
