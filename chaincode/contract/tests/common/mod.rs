//! Test harness: the medical records contract served by the real shim
//! server, driven by the mock peer (a real gRPC client, as a Fabric peer is
//! in chaincode-as-a-service mode), and participants with real P-256
//! certificates.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

use std::collections::BTreeMap;

use fabric_shim::ClientIdentity;
use fabric_shim::identity::fabric_ca_attributes_extension;
use fabric_shim::mock_peer::{
    Invocation, MockPeer, MockPeerError, MockPeerOptions, serialized_identity,
};
use fabric_shim::server::{ServerConfig, serve_on_listener};
use medchain_contract::MedicalRecords;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseOpening, CaseRecord, CaseRecords, CaseResponse, ConsortiumPolicy, InputParameter,
    KdfParams, PatientConsent, Registration, Role, RoleIssuer, StoreEvent,
};
use medchain_protocol::{ContractFailure, ErrorCode, ROLE_ATTRIBUTE, participant_index};
use p256::SecretKey;
use p256::ecdsa::SigningKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;
use prost::Message;
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

/// A participant: a certificate, its serialized identity and index.
#[derive(Clone)]
pub struct Person {
    pub identity: ClientIdentity,
    pub creator: Vec<u8>,
    pub signing_key: SigningKey,
}

/// The MSP the test policy lets issue every registered role.
pub const HOSPITAL: &str = "Org1MSP";
/// The MSP the test policy lets issue pharmacists only.
pub const PHARMACY: &str = "Org2MSP";

/// The role policy [`Net::start`] initializes the chaincode with.
pub fn test_policy() -> ConsortiumPolicy {
    let all = [
        Role::Doctor,
        Role::Pharmacist,
        Role::Insurer,
        Role::LawyerExpert,
    ];
    ConsortiumPolicy {
        issuers: vec![
            RoleIssuer {
                msp_id: HOSPITAL.into(),
                roles: all.iter().map(|&r| r as i32).collect(),
            },
            RoleIssuer {
                msp_id: PHARMACY.into(),
                roles: vec![Role::Pharmacist as i32],
            },
        ],
        // The protocol's default floor (m ≥ 19456 KiB, t ≥ 2); [`KDF`] meets it.
        kdf_floor: None,
    }
}

/// The `medchain.role` a test person's name implies (`lawyer` is a
/// lawyer-expert; anyone else's role is their name).
fn role_attribute_of(name: &str) -> String {
    match name {
        "lawyer" => "lawyer-expert".into(),
        other => other.into(),
    }
}

impl Person {
    /// A person of [`HOSPITAL`] whose certificate's `medchain.role` follows
    /// from its name.
    pub fn new(name: &str) -> Self {
        Self::with(name, HOSPITAL, Some(&role_attribute_of(name)))
    }

    /// A person of `msp_id` whose certificate carries `medchain.role=role`
    /// (no attribute extension at all for `None`).
    pub fn with(name: &str, msp_id: &str, role: Option<&str>) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec![name.into()]).unwrap();
        if let Some(role) = role {
            let attrs = BTreeMap::from([(ROLE_ATTRIBUTE.to_owned(), role.to_owned())]);
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[1, 2, 3, 4, 5, 6, 7, 8, 1],
                    fabric_ca_attributes_extension(&attrs),
                ));
        }
        let cert = params.self_signed(&key).unwrap();
        let identity = ClientIdentity::from_pem(msp_id, &cert.pem()).unwrap();
        let creator = serialized_identity(msp_id, &cert.pem());
        let signing_key =
            SigningKey::from(SecretKey::from_pkcs8_pem(&key.serialize_pem()).unwrap());
        Self {
            identity,
            creator,
            signing_key,
        }
    }

    pub fn ind(&self) -> u64 {
        participant_index(&self.identity.p256_public_key().unwrap())
    }

    /// vk: 65-byte uncompressed key.
    pub fn vk(&self) -> Vec<u8> {
        self.identity
            .p256_public_key()
            .unwrap()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }
}

/// A fresh 33-byte compressed ephemeral key.
pub fn ephemeral_key() -> Vec<u8> {
    SecretKey::random(&mut OsRng)
        .public_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec()
}

pub fn kappa(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The contract behind a mock peer.
pub struct Net {
    pub peer: MockPeer,
}

impl Net {
    /// The contract, initialized with [`test_policy`].
    pub async fn start() -> Self {
        let net = Self::uninitialized(100).await;
        net.initialize(&test_policy()).await;
        net
    }

    /// [`Net::start`] with the mock peer paging queries at `page_size`.
    pub async fn start_with_page_size(page_size: usize) -> Self {
        let net = Self::uninitialized(page_size).await;
        net.initialize(&test_policy()).await;
        net
    }

    /// Runs `Init` with `policy` as the chaincode's initialization and
    /// expects success.
    pub async fn initialize(&self, policy: &ConsortiumPolicy) {
        let result = self
            .init_call(&hex::encode(policy.encode_to_vec()))
            .await
            .unwrap_or_else(|e| panic!("Init failed: {e}"));
        assert_eq!(result.response.status, 200, "{}", result.response.message);
    }

    /// `Init(argument)` sent as the chaincode's initialization (`INIT`); a
    /// failed initialization is an `ERROR` message, so its text is the error.
    pub async fn init_call(&self, argument: &str) -> Result<Invocation, String> {
        let admin = Person::with("admin", HOSPITAL, None);
        self.peer
            .init(
                &admin.creator,
                &[b"Init", argument.as_bytes()],
                &BTreeMap::new(),
            )
            .await
            .map_err(|e| match e {
                MockPeerError::TransactionFailed { message, .. } => message,
                other => panic!("the mock peer failed: {other}"),
            })
    }

    /// `GetPolicy()` (no argument) by `who`.
    pub async fn get_policy(&self, who: &Person) -> Invocation {
        self.peer
            .invoke(&who.creator, &[b"GetPolicy"], &BTreeMap::new())
            .await
            .unwrap()
    }

    /// The contract before `Init`.
    pub async fn uninitialized(page_size: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let config = ServerConfig::new(address, "medchain:test");
        tokio::spawn(async move {
            serve_on_listener(listener, config, MedicalRecords, std::future::pending())
                .await
                .unwrap();
        });
        let options = MockPeerOptions {
            page_size,
            ..MockPeerOptions::default()
        };
        let peer = MockPeer::connect_with(address, options).await.unwrap();
        Self { peer }
    }

    pub async fn call(&self, who: &Person, function: &str, argument: &[u8]) -> Invocation {
        self.peer
            .invoke(
                &who.creator,
                &[function.as_bytes(), argument],
                &BTreeMap::new(),
            )
            .await
            .unwrap()
    }

    /// `Store(input)`: Ok(κ) or Err(message).
    pub async fn store(&self, who: &Person, input: &InputParameter) -> Result<Vec<u8>, String> {
        let result = self.call(who, "Store", &input.encode_to_vec()).await;
        if result.response.status == 200 {
            Ok(result.response.payload)
        } else {
            Err(result.response.message)
        }
    }

    /// Stores and expects success.
    pub async fn ok(&self, who: &Person, input: &InputParameter) -> Vec<u8> {
        self.store(who, input)
            .await
            .unwrap_or_else(|e| panic!("store failed: {e}"))
    }

    /// Stores, expects the refusal `code` with a sentence containing
    /// `expected`, and checks that the world state did not change.
    pub async fn rejected(
        &self,
        who: &Person,
        input: &InputParameter,
        code: ErrorCode,
        expected: &str,
    ) {
        self.rejected_bytes(who, &input.encode_to_vec(), code, expected)
            .await;
    }

    /// [`Net::rejected`] for an argument given as bytes.
    pub async fn rejected_bytes(
        &self,
        who: &Person,
        bytes: &[u8],
        code: ErrorCode,
        expected: &str,
    ) {
        let before = self.peer.world_state();
        let result = self.call(who, "Store", bytes).await;
        assert_refused(&result, code, expected);
        assert_eq!(
            self.peer.world_state(),
            before,
            "a rejected Store wrote something"
        );
    }

    pub async fn event(&self, who: &Person, input: &InputParameter) -> (String, StoreEvent) {
        let result = self.call(who, "Store", &input.encode_to_vec()).await;
        assert_eq!(result.response.status, 200, "{}", result.response.message);
        let event = result.event.expect("a successful Store sets an event");
        (
            event.event_name,
            StoreEvent::decode(event.payload.as_slice()).unwrap(),
        )
    }
}

/// Asserts that a call was refused with `code`: the code's status, the
/// message in the wire form `<code>: <sentence>` with a sentence containing
/// `expected`, and nothing committed or emitted.
#[track_caller]
pub fn assert_refused(result: &Invocation, code: ErrorCode, expected: &str) {
    let response = &result.response;
    assert_eq!(
        response.status,
        code.status(),
        "expected a {code} refusal containing {expected:?}, got {:?}",
        response.message
    );
    let failure = ContractFailure::parse(response.status, &response.message)
        .unwrap_or_else(|| panic!("{:?} is not a refusal in the wire form", response.message));
    assert_eq!(failure.code, code, "{}", response.message);
    assert!(
        failure.message.contains(expected),
        "message {:?} does not contain {expected:?}",
        response.message
    );
    assert!(!result.committed);
    assert!(result.event.is_none());
}

pub fn reg(who: &Person, role: Role) -> InputParameter {
    InputParameter {
        record: Some(Record::Reg(Registration {
            role: role as i32,
            certificate_pem: who.identity.certificate_pem().into(),
            msp_id: who.identity.msp_id().into(),
        })),
    }
}

pub const KDF: KdfParams = KdfParams {
    m_kib: 19456,
    t: 2,
    p: 1,
};

/// A cast with every role registered.
pub struct Cast {
    pub patient: Person,
    pub family: Person,
    pub doctor: Person,
    pub pharmacist: Person,
    pub insurer: Person,
    pub lawyer: Person,
    pub stranger: Person,
}

impl Cast {
    pub async fn registered(net: &Net) -> Self {
        let cast = Self {
            patient: Person::new("patient"),
            family: Person::new("family"),
            doctor: Person::new("doctor"),
            pharmacist: Person::new("pharmacist"),
            insurer: Person::new("insurer"),
            lawyer: Person::new("lawyer"),
            stranger: Person::new("stranger"),
        };
        for (p, role) in [
            (&cast.doctor, Role::Doctor),
            (&cast.pharmacist, Role::Pharmacist),
            (&cast.insurer, Role::Insurer),
            (&cast.lawyer, Role::LawyerExpert),
        ] {
            net.ok(p, &reg(p, role)).await;
        }
        cast
    }

    pub fn opening(&self) -> CaseOpening {
        sign(&self.patient, self.unsigned_opening())
    }

    pub fn unsigned_opening(&self) -> CaseOpening {
        CaseOpening {
            patient_key: self.patient.vk(),
            family_keys: vec![self.family.vk()],
            lawyer_experts: vec![self.lawyer.ind()],
            pharmacists: vec![self.pharmacist.ind()],
            insurers: vec![self.insurer.ind()],
            doctor: self.doctor.ind(),
            doctor_ephemeral_key: ephemeral_key(),
            kdf: Some(KDF),
            consent: None,
        }
    }

    /// Every participant in canonical order.
    pub fn participants(&self) -> Vec<u64> {
        [
            &self.patient,
            &self.family,
            &self.doctor,
            &self.pharmacist,
            &self.insurer,
            &self.lawyer,
        ]
        .iter()
        .map(|p| p.ind())
        .collect()
    }

    pub fn responders(&self) -> [&Person; 5] {
        [
            &self.patient,
            &self.family,
            &self.pharmacist,
            &self.insurer,
            &self.lawyer,
        ]
    }

    pub fn others(&self, who: &Person) -> Vec<u64> {
        self.participants()
            .into_iter()
            .filter(|&i| i != who.ind())
            .collect()
    }

    /// Opens a case; returns κ0.
    pub async fn open(&self, net: &Net) -> [u8; 32] {
        let input = txtc(self.opening());
        let key = net.ok(&self.doctor, &input).await;
        assert_eq!(key, kappa(&input.encode_to_vec()));
        key.try_into().unwrap()
    }

    /// Opens a case and has every participant answer it.
    pub async fn answered(&self, net: &Net) -> [u8; 32] {
        let case = self.open(net).await;
        for p in self.responders() {
            net.ok(p, &txtr(&case, p)).await;
        }
        case
    }
}

/// The patient's consent over the opening's participants, with a fresh
/// nonce, signed by `patient`.
pub fn sign(patient: &Person, mut opening: CaseOpening) -> CaseOpening {
    let nonce: [u8; 16] = rand_core::RngCore::next_u64(&mut OsRng)
        .to_be_bytes()
        .repeat(2)
        .try_into()
        .unwrap();
    let message = medchain_contract::consent::selection_message(
        &medchain_contract::consent::selection_of(&opening, &nonce),
    );
    opening.consent = Some(PatientConsent {
        nonce: nonce.to_vec(),
        signature: medchain_protocol::signature::sign_low_s(&patient.signing_key, &message),
    });
    opening
}

pub fn txtc(opening: CaseOpening) -> InputParameter {
    InputParameter {
        record: Some(Record::Txtc(opening)),
    }
}

pub fn response(case: &[u8], who: &Person) -> CaseResponse {
    CaseResponse {
        case_key: case.to_vec(),
        responder: who.ind(),
        ephemeral_key: ephemeral_key(),
        sealed_secret: vec![7; 60],
    }
}

pub fn txtr(case: &[u8], who: &Person) -> InputParameter {
    InputParameter {
        record: Some(Record::Txtr(response(case, who))),
    }
}

pub const K: usize = 6;

/// A valid, non-degenerate tag of K coefficients (α_1 = 1, the rest 0).
pub fn test_tag() -> Vec<u8> {
    let mut tag = vec![0; 66 * K];
    tag[2 * 66 - 1] = 1;
    tag
}

/// `signer`'s low-S DER signature over case `case`'s `tag` (v2).
pub fn sign_tag(signer: &Person, case: &[u8], tag: &[u8]) -> Vec<u8> {
    let case: [u8; 32] = case.try_into().unwrap();
    let message = medchain_protocol::signature::tag_signature_message(&case, tag);
    medchain_protocol::signature::sign_low_s(&signer.signing_key, &message)
}

/// The smallest padded ciphertext length (a 256-byte bucket, nonce, tag).
pub const CIPHERTEXT_BYTES: usize = 256 + 28;

/// A record of case `case` carrying the test tag signed by `doctor`.
pub fn record(case: &[u8], doctor: &Person, participants: Vec<u64>) -> CaseRecord {
    let tag = test_tag();
    CaseRecord {
        case_key: case.to_vec(),
        participants,
        tag_signature: sign_tag(doctor, case, &tag),
        tag,
        ciphertext: vec![1; CIPHERTEXT_BYTES],
        epoch: 0,
    }
}

pub fn wrap(record_type: &str, record: CaseRecord) -> InputParameter {
    let record = match record_type {
        "txd" => Record::Txd(record),
        "txm" => Record::Txm(record),
        _ => Record::Txa(record),
    };
    InputParameter {
        record: Some(record),
    }
}

pub fn uncompressed_ind(vk: &[u8]) -> u64 {
    participant_index(&p256::PublicKey::from_sec1_bytes(vk).unwrap())
}

/// The counter key of `ind`'s records in `case` (`medchain.count`).
pub fn record_count_key(case: &[u8], ind: u64) -> String {
    fabric_shim::create_composite_key(
        "medchain.count",
        &[&hex::encode(case), &format!("{ind:016x}")],
    )
    .unwrap()
}

/// `GetCase(case[, bookmark])` by `who`.
pub async fn get_case_page(
    net: &Net,
    who: &Person,
    case: &[u8],
    bookmark: Option<&[u8]>,
) -> Invocation {
    let mut args: Vec<&[u8]> = vec![b"GetCase", case];
    args.extend(bookmark);
    net.peer
        .invoke(&who.creator, &args, &BTreeMap::new())
        .await
        .unwrap()
}

/// Reads a whole case page by page, checking that every page succeeds,
/// stays within [`MAX_PAGE_BYTES`](medchain_protocol::limits::MAX_PAGE_BYTES)
/// unless it holds a single record, is non-empty unless it is the last,
/// and that bookmarks progress.
pub async fn read_case(
    net: &Net,
    who: &Person,
    case: &[u8],
) -> (Vec<medchain_protocol::v1::StoredRecord>, Vec<CaseRecords>) {
    use medchain_protocol::limits::MAX_PAGE_BYTES;
    let mut records = Vec::new();
    let mut pages: Vec<CaseRecords> = Vec::new();
    let mut bookmark: Option<String> = None;
    loop {
        let r = get_case_page(net, who, case, bookmark.as_deref().map(str::as_bytes)).await;
        assert_eq!(r.response.status, 200, "{}", r.response.message);
        assert!(r.response.payload.len() < 4 * 1024 * 1024);
        let page = CaseRecords::decode(r.response.payload.as_slice()).unwrap();
        let bytes: usize = page
            .records
            .iter()
            .map(|r| prost::encoding::message::encoded_len(1, r))
            .sum();
        assert!(
            bytes <= MAX_PAGE_BYTES || page.records.len() == 1,
            "page {} holds {bytes} bytes of records",
            pages.len()
        );
        records.extend(page.records.iter().cloned());
        if page.bookmark.is_empty() {
            pages.push(page);
            return (records, pages);
        }
        assert!(!page.records.is_empty(), "an empty page names a next page");
        assert!(bookmark.as_deref() < Some(page.bookmark.as_str()));
        bookmark = Some(page.bookmark.clone());
        pages.push(page);
    }
}
