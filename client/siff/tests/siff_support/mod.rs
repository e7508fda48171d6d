//! The `tests/vectors/siff-v2.json` schema, a replaying random generator,
//! and the deterministic generator of the vectors (shared by the
//! `siff_vectors` example, which writes the file, and the tests, which check
//! that it reproduces the committed file).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use medchain_protocol::signature::{
    epoch_signature_message, epoch_tag_signature_message, grant_tag_signature_message,
    tag_signature_message,
};
use medchain_siff::pad::pad;
use medchain_siff::point::{encode_compressed_key, encode_uncompressed_key};
use medchain_siff::{
    CaseId, KdfParams, ParticipantSecret, RecordKey, RecordType, SharedKey, establish_key,
    grant_tag, participant_index, seal_record, seal_response,
};
use p256::{NonZeroScalar, SecretKey};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// The seed the committed vectors were generated from.
pub const SEED: [u8; 32] = *b"medchain-siff-v2 test vectors #1";

/// The path of the vectors file, relative to the `client` crate.
pub const VECTORS_PATH: &str = "../../tests/vectors/siff-v2.json";

/// The whole vectors file.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Vectors {
    pub version: String,
    pub cases: Vec<SiffCase>,
    pub txtr: Vec<TxtrVector>,
    pub ind: Vec<IndVector>,
    pub grants: Vec<GrantVector>,
    pub epochs: Vec<EpochVector>,
}

/// One key establishment, recovery and record encryption.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SiffCase {
    pub kdf: Kdf,
    pub kappa0: String,
    pub key: String,
    pub participants: Vec<Participant>,
    pub tag: Vec<String>,
    pub wrong_password: String,
    pub wrong_key: String,
    pub tag_signature: TagSignature,
    pub record: Record,
}

/// The doctor's signature over the case's tag (RFC 6979 deterministic
/// ECDSA P-256 / SHA-256, normalised to low S, DER).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TagSignature {
    pub doctor_secret: String,
    pub doctor_key: String,
    pub message: String,
    pub signature: String,
}

/// Argon2id parameters.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

/// One participant of a case.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub ind: String,
    pub password: String,
    pub s: String,
    pub beta: String,
    pub r: String,
}

/// One sealed record.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    #[serde(rename = "type")]
    pub record_type: String,
    pub plaintext: String,
    pub padded: String,
    pub record_key: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// One `txtr` response.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TxtrVector {
    pub kappa0: String,
    pub ind: String,
    pub s: String,
    pub ephemeral_secret: String,
    pub pk_x: String,
    pub doctor_secret: String,
    pub pk_d: String,
    pub shared_x: String,
    pub sk_xd: String,
    pub nonce: String,
    pub c_x: String,
}

/// One grant tag (protocol §7a): the case key `K` of a case, re-shared
/// with a grantee through a two-point tag signed by the granter.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GrantVector {
    pub kdf: Kdf,
    pub kappa0: String,
    pub key: String,
    pub granter: Participant,
    pub grantee: Participant,
    pub tag: Vec<String>,
    pub granter_secret: String,
    pub granter_key: String,
    pub message: String,
    pub signature: String,
}

/// One key epoch (protocol §7b): epoch `epoch` ≥ 1 of a case, opened by
/// `opener` without `revoked`; its remaining members answer with their
/// epoch secrets sealed to the opener's ephemeral key, the opener
/// establishes a fresh key through their points, publishes the signed tag,
/// and a record is sealed under the epoch's key.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EpochVector {
    pub kdf: Kdf,
    pub kappa0: String,
    pub epoch: u32,
    /// The members of epoch `epoch − 1`, in member order (the case's
    /// participants in case order, then its grantees, without those
    /// revoked before).
    pub previous_members: Vec<String>,
    pub opener: String,
    /// Ascending, each once.
    pub revoked: Vec<String>,
    /// The members of epoch `epoch`, in member order: `previous_members`
    /// without `revoked`.
    pub members: Vec<EpochMember>,
    /// The participants revoked by this epoch, in member order of the
    /// epoch before.
    pub revoked_participants: Vec<RevokedParticipant>,
    pub opening: EpochOpening,
    /// One answer per member but the opener, in member order.
    pub responses: Vec<EpochResponse>,
    /// `K_e`, the epoch's fresh key.
    pub key: String,
    pub tag: Vec<String>,
    pub tag_signature: EpochTagSignature,
    pub record: Record,
}

/// A member of a key epoch: `s0` its epoch-0 (case) secret, `s` its
/// secret of the epoch, `beta` the SIFF point of `s`, `r` its tag draw.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EpochMember {
    pub ind: String,
    pub password: String,
    pub s0: String,
    pub s: String,
    pub beta: String,
    pub r: String,
}

/// A participant a key epoch revokes: its epoch-0 secret `s0`, the secret
/// `s` its password gives for the epoch, and the (wrong) key `s` recovers
/// from the epoch's tag.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RevokedParticipant {
    pub ind: String,
    pub password: String,
    pub s0: String,
    pub s: String,
    pub recovered_key: String,
}

/// The opener's signed opening of a key epoch (`txeo`): its signing key
/// (whose index is `opener`), the fresh ephemeral key the members seal
/// their answers to (SEC1 compressed), and the signature (RFC 6979, low S,
/// DER) over `message`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EpochOpening {
    pub opener_secret: String,
    pub opener_key: String,
    pub ephemeral_secret: String,
    pub ephemeral_key: String,
    pub message: String,
    pub signature: String,
}

/// A member's answer to a key epoch (`txer`): its epoch secret sealed to
/// the opener's ephemeral key, as a `txtr` response is to the doctor's.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EpochResponse {
    pub responder: String,
    pub ephemeral_secret: String,
    pub ephemeral_key: String,
    pub nonce: String,
    pub sealed_secret: String,
}

/// The opener's signature (RFC 6979, low S, DER) over the epoch's tag
/// (`txet`).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EpochTagSignature {
    pub message: String,
    pub signature: String,
}

/// One participant index.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IndVector {
    pub vk_sec1: String,
    pub ind: String,
}

/// A generator that returns exactly the given bytes, in order, and fails
/// once they are used up: it feeds recorded randomness back to the library.
pub struct ReplayRng {
    bytes: Vec<u8>,
    position: usize,
}

impl ReplayRng {
    /// Replays `parts`, concatenated.
    pub fn new(parts: &[&[u8]]) -> Self {
        Self {
            bytes: parts.concat(),
            position: 0,
        }
    }

    /// Whether every byte was drawn.
    pub fn is_exhausted(&self) -> bool {
        self.position == self.bytes.len()
    }
}

impl RngCore for ReplayRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_be_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_be_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.try_fill_bytes(dest)
            .expect("the replayed randomness is used up")
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        let end = self.position + dest.len();
        let Some(source) = self.bytes.get(self.position..end) else {
            return Err(rand_core::Error::new("the replayed randomness is used up"));
        };
        dest.copy_from_slice(source);
        self.position = end;
        Ok(())
    }
}

impl CryptoRng for ReplayRng {}

/// Lowercase hex.
pub fn hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(bytes)
}

/// Decodes lowercase hex into exactly `N` bytes.
pub fn unhex<const N: usize>(text: &str) -> [u8; N] {
    let bytes = hex::decode(text).expect("valid hex");
    <[u8; N]>::try_from(bytes.as_slice()).expect("the right length")
}

fn draw<const N: usize>(rng: &mut ChaCha20Rng) -> [u8; N] {
    let mut out = [0u8; N];
    rng.fill_bytes(&mut out);
    out
}

/// A P-256 key pair's secret scalar, drawn the way the library draws one.
fn draw_scalar(rng: &mut ChaCha20Rng) -> [u8; 32] {
    NonZeroScalar::random(rng).to_bytes().into()
}

/// The SIFF cases: participant count, Argon2id parameters, record type and
/// plaintext.
const CASES: [(usize, Kdf, RecordType, &str); 9] = [
    (
        2,
        Kdf {
            m_kib: 64,
            t: 1,
            p: 1,
        },
        RecordType::Diagnosis,
        "diagnosis: influenza A; treatment: oseltamivir 75 mg twice daily for 5 days",
    ),
    (
        3,
        Kdf {
            m_kib: 32,
            t: 2,
            p: 1,
        },
        RecordType::Medication,
        "oseltamivir 75 mg x10: 38.20 EUR",
    ),
    (
        4,
        Kdf {
            m_kib: 64,
            t: 1,
            p: 2,
        },
        RecordType::Compensation,
        "compensation: 80% of 38.20 EUR",
    ),
    (
        5,
        Kdf {
            m_kib: 16,
            t: 3,
            p: 1,
        },
        RecordType::Diagnosis,
        "Befund: Pneumonie rechts basal; Therapie: Amoxicillin 1 g 3×täglich",
    ),
    (
        6,
        Kdf {
            m_kib: 48,
            t: 1,
            p: 3,
        },
        RecordType::Medication,
        "",
    ),
    (
        7,
        Kdf {
            m_kib: 8,
            t: 1,
            p: 1,
        },
        RecordType::Compensation,
        "全额赔付",
    ),
    (
        8,
        Kdf {
            m_kib: 64,
            t: 2,
            p: 2,
        },
        RecordType::Diagnosis,
        "diagnosis: fractured left radius; cast for 6 weeks; follow-up x-ray",
    ),
    (
        16,
        Kdf {
            m_kib: 16,
            t: 1,
            p: 1,
        },
        RecordType::Diagnosis,
        "multi-disciplinary case review with 16 participants",
    ),
    (
        2,
        Kdf {
            m_kib: 19456,
            t: 2,
            p: 1,
        },
        RecordType::Medication,
        "default-parameter case",
    ),
];

/// Passwords, ASCII and not; a case's participants take them in turn.
const PASSWORDS: [&str; 12] = [
    "correct horse battery staple",
    "pässwörd-für-Ärzte",
    "密码是安全的",
    "пароль врача",
    "κωδικός πρόσβασης",
    "🩺🔐 stethoscope",
    "Tr0ub4dor&3",
    "contraseña segura",
    "パスワード",
    "mot de passe élevé",
    "  spaces around  ",
    "x",
];

/// Generates the vectors deterministically from `seed`.
pub fn generate(seed: [u8; 32]) -> Vectors {
    let mut rng = ChaCha20Rng::from_seed(seed);
    let mut password_turn = 0;
    let cases = CASES
        .iter()
        .map(|(k, kdf, record_type, plaintext)| {
            let mut passwords = Vec::new();
            for j in 0..*k {
                // In the 16-participant case two participants share a
                // password: their indices still give them distinct points.
                let password = if *k == 16 && j == 15 {
                    passwords[0]
                } else {
                    password_turn += 1;
                    PASSWORDS[(password_turn - 1) % PASSWORDS.len()]
                };
                passwords.push(password);
            }
            siff_case(
                &mut rng,
                kdf,
                &passwords,
                *record_type,
                plaintext.as_bytes(),
            )
        })
        .collect();
    let txtr = (0..3).map(|_| txtr_vector(&mut rng)).collect();
    let ind = (0..3)
        .map(|_| {
            let key = SecretKey::from_bytes(&draw_scalar(&mut rng).into()).expect("non-zero");
            let public = key.public_key();
            IndVector {
                vk_sec1: hex(encode_uncompressed_key(&public)),
                ind: participant_index(&public).to_string(),
            }
        })
        .collect();
    let grants = [
        ("Family member Bob", "lawyer engaged later"),
        ("κωδικός", "second-opinion doctor"),
    ]
    .iter()
    .map(|(granter, grantee)| grant_vector(&mut rng, granter, grantee))
    .collect();
    let epochs = EPOCHS
        .iter()
        .map(|spec| epoch_vector(&mut rng, spec))
        .collect();
    Vectors {
        version: "medchain-siff-v2".into(),
        cases,
        txtr,
        ind,
        grants,
        epochs,
    }
}

/// A key-epoch vector: Argon2id parameters, the epoch opened, the
/// passwords of the members of the epoch before (in member order), the
/// positions among them of the opener and of those revoked, the record
/// type and plaintext.
struct EpochSpec {
    kdf: Kdf,
    epoch: u32,
    passwords: &'static [&'static str],
    opener: usize,
    revoked: &'static [usize],
    record_type: RecordType,
    plaintext: &'static str,
}

const EPOCHS: [EpochSpec; 2] = [
    // A case of patient, family member, doctor and insurer; the patient
    // opens epoch 1 without the family member.
    EpochSpec {
        kdf: Kdf {
            m_kib: 64,
            t: 1,
            p: 1,
        },
        epoch: 1,
        passwords: &[
            "Alice, patient",
            "Bob, family member",
            "Dr. Chen's passphrase",
            "Δ-Versicherung",
        ],
        opener: 0,
        revoked: &[1],
        record_type: RecordType::Diagnosis,
        plaintext: "diagnosis (key epoch 1): influenza resolved; no further treatment",
    },
    // A case of patient, family member, doctor, pharmacist and insurer and a
    // lawyer granted later; epoch 1 revoked the pharmacist, and the family
    // member opens epoch 2 without the insurer and the lawyer.
    EpochSpec {
        kdf: Kdf {
            m_kib: 32,
            t: 2,
            p: 1,
        },
        epoch: 2,
        passwords: &[
            "пароль пациента",
            "家族の合言葉",
            "Dr. Okafor 🩺",
            "assureur — mot de passe",
            "lawyer engaged later",
        ],
        opener: 1,
        revoked: &[3, 4],
        record_type: RecordType::Medication,
        plaintext: "amoxicillin 1 g x21 (key epoch 2): 12.40 EUR",
    },
];

fn public_key(secret: &[u8; 32]) -> p256::PublicKey {
    SecretKey::from_bytes(&(*secret).into())
        .expect("non-zero")
        .public_key()
}

/// The deterministic (RFC 6979), low-S DER signature of `message` with the
/// P-256 key `secret`.
pub fn sign(secret: &[u8; 32], message: &[u8]) -> Vec<u8> {
    let key = p256::ecdsa::SigningKey::from_slice(secret).expect("non-zero");
    medchain_protocol::signature::sign_low_s(&key, message)
}

/// Draws in the order the protocol runs: κ0, every participant's key pair
/// (its index), the opener's ephemeral key, each answering member's
/// response randomness, `K_e` and `r_1 … r_k`, the record nonce.
fn epoch_vector(rng: &mut ChaCha20Rng, spec: &EpochSpec) -> EpochVector {
    let kdf = &spec.kdf;
    let params = KdfParams {
        m_kib: kdf.m_kib,
        t: kdf.t,
        p: kdf.p,
    };
    let epoch = spec.epoch;
    let kappa0 = draw::<32>(rng);
    let case = CaseId::from_bytes(kappa0);
    let keys: Vec<[u8; 32]> = spec.passwords.iter().map(|_| draw_scalar(rng)).collect();
    let inds: Vec<u64> = keys
        .iter()
        .map(|k| participant_index(&public_key(k)))
        .collect();
    let opener = inds[spec.opener];
    let mut revoked: Vec<u64> = spec.revoked.iter().map(|&j| inds[j]).collect();
    revoked.sort_unstable();
    let members: Vec<usize> = (0..inds.len())
        .filter(|j| !spec.revoked.contains(j))
        .collect();
    let derive = |j: usize, e: u32| {
        ParticipantSecret::derive_for_epoch(spec.passwords[j], &case, inds[j], e, &params)
            .expect("derive")
    };
    let secrets: Vec<ParticipantSecret> = members.iter().map(|&j| derive(j, epoch)).collect();

    // txeo: the opener's fresh ephemeral key and signature.
    let opener_secret = keys[spec.opener];
    let ephemeral_secret = draw_scalar(rng);
    let ephemeral_public = public_key(&ephemeral_secret);
    let ephemeral_key = encode_compressed_key(&ephemeral_public);
    let opening_message = epoch_signature_message(&kappa0, epoch, opener, &revoked, &ephemeral_key);

    // txer: every other member's epoch secret, sealed to that key.
    let responses = members
        .iter()
        .zip(&secrets)
        .filter(|(j, _)| **j != spec.opener)
        .map(|(&j, secret)| {
            let responder_secret = draw_scalar(rng);
            let nonce = draw::<12>(rng);
            let mut replay = ReplayRng::new(&[&responder_secret, &nonce]);
            let sealed = seal_response(secret, inds[j], &case, &ephemeral_public, &mut replay)
                .expect("seal");
            assert!(replay.is_exhausted());
            EpochResponse {
                responder: inds[j].to_string(),
                ephemeral_secret: hex(responder_secret),
                ephemeral_key: hex(sealed.ephemeral_key),
                nonce: hex(nonce),
                sealed_secret: hex(&sealed.sealed_secret),
            }
        })
        .collect();

    // txet: a fresh key through the members' points, the signed tag.
    let key_bytes = draw::<32>(rng);
    let rs: Vec<[u8; 32]> = members.iter().map(|_| draw::<32>(rng)).collect();
    let mut replay_parts: Vec<&[u8]> = vec![&key_bytes];
    replay_parts.extend(rs.iter().map(|r| &r[..]));
    let mut replay = ReplayRng::new(&replay_parts);
    let (key, tag) = establish_key(&secrets, &mut replay).expect("establish");
    assert!(replay.is_exhausted());
    assert_eq!(key.expose_secret(), &key_bytes);
    let tag_message = epoch_tag_signature_message(&kappa0, epoch, &tag.to_bytes());

    // A record of the epoch.
    let nonce = draw::<12>(rng);
    let record_key = RecordKey::derive(&key, &case, &tag).expect("record key");
    let plaintext = spec.plaintext.as_bytes();
    let mut replay = ReplayRng::new(&[&nonce]);
    let ciphertext =
        seal_record(&record_key, spec.record_type, &case, plaintext, &mut replay).expect("seal");
    assert!(replay.is_exhausted());

    EpochVector {
        kdf: Kdf {
            m_kib: kdf.m_kib,
            t: kdf.t,
            p: kdf.p,
        },
        kappa0: hex(kappa0),
        epoch,
        previous_members: inds.iter().map(u64::to_string).collect(),
        opener: opener.to_string(),
        revoked: revoked.iter().map(u64::to_string).collect(),
        members: members
            .iter()
            .zip(secrets.iter().zip(&rs))
            .map(|(&j, (secret, r))| EpochMember {
                ind: inds[j].to_string(),
                password: spec.passwords[j].to_owned(),
                s0: hex(derive(j, 0).expose_secret()),
                s: hex(secret.expose_secret()),
                beta: hex(*secret.siff_point()),
                r: hex(r),
            })
            .collect(),
        revoked_participants: spec
            .revoked
            .iter()
            .map(|&j| {
                let secret = derive(j, epoch);
                RevokedParticipant {
                    ind: inds[j].to_string(),
                    password: spec.passwords[j].to_owned(),
                    s0: hex(derive(j, 0).expose_secret()),
                    s: hex(secret.expose_secret()),
                    recovered_key: hex(tag.recover_key(&secret).expose_secret()),
                }
            })
            .collect(),
        opening: EpochOpening {
            opener_secret: hex(opener_secret),
            opener_key: hex(encode_uncompressed_key(&public_key(&opener_secret))),
            ephemeral_secret: hex(ephemeral_secret),
            ephemeral_key: hex(ephemeral_key),
            signature: hex(sign(&opener_secret, &opening_message)),
            message: hex(opening_message),
        },
        responses,
        key: hex(key.expose_secret()),
        tag: tag.to_bytes().chunks(66).map(hex).collect(),
        tag_signature: EpochTagSignature {
            signature: hex(sign(&opener_secret, &tag_message)),
            message: hex(tag_message),
        },
        record: Record {
            record_type: spec.record_type.label().to_owned(),
            plaintext: hex(plaintext),
            padded: hex(pad(plaintext).expect("fits").as_slice()),
            record_key: hex(record_key.expose_secret()),
            nonce: hex(nonce),
            ciphertext: hex(ciphertext),
        },
    }
}

fn grant_vector(
    rng: &mut ChaCha20Rng,
    granter_password: &str,
    grantee_password: &str,
) -> GrantVector {
    let kdf = Kdf {
        m_kib: 64,
        t: 1,
        p: 1,
    };
    let params = KdfParams {
        m_kib: kdf.m_kib,
        t: kdf.t,
        p: kdf.p,
    };
    let kappa0 = draw::<32>(rng);
    let case = CaseId::from_bytes(kappa0);
    let key = SharedKey::from_bytes(draw::<32>(rng));
    let granter_secret = draw_scalar(rng);
    let granter_public = SecretKey::from_bytes(&granter_secret.into())
        .expect("non-zero")
        .public_key();
    let granter_ind = participant_index(&granter_public);
    let grantee_ind = participant_index(
        &SecretKey::from_bytes(&draw_scalar(rng).into())
            .expect("non-zero")
            .public_key(),
    );
    let secrets = [
        ParticipantSecret::derive(granter_password, &case, granter_ind, &params).expect("derive"),
        ParticipantSecret::derive(grantee_password, &case, grantee_ind, &params).expect("derive"),
    ];
    let rs = [draw::<32>(rng), draw::<32>(rng)];
    let mut replay = ReplayRng::new(&[&rs[0], &rs[1]]);
    let tag = grant_tag(&key, &secrets, &mut replay).expect("grant tag");
    assert!(replay.is_exhausted());
    let message = grant_tag_signature_message(&kappa0, grantee_ind, &tag.to_bytes());
    let signing = p256::ecdsa::SigningKey::from_slice(&granter_secret).expect("non-zero");
    let signature = medchain_protocol::signature::sign_low_s(&signing, &message);
    let participant =
        |password: &str, ind: u64, secret: &ParticipantSecret, r: &[u8; 32]| Participant {
            ind: ind.to_string(),
            password: password.to_owned(),
            s: hex(secret.expose_secret()),
            beta: hex(*secret.siff_point()),
            r: hex(r),
        };
    GrantVector {
        kdf,
        kappa0: hex(kappa0),
        key: hex(key.expose_secret()),
        granter: participant(granter_password, granter_ind, &secrets[0], &rs[0]),
        grantee: participant(grantee_password, grantee_ind, &secrets[1], &rs[1]),
        tag: tag.to_bytes().chunks(66).map(hex).collect(),
        granter_secret: hex(granter_secret),
        granter_key: hex(encode_uncompressed_key(&granter_public)),
        message: hex(message),
        signature: hex(signature),
    }
}

fn siff_case(
    rng: &mut ChaCha20Rng,
    kdf: &Kdf,
    passwords: &[&str],
    record_type: RecordType,
    plaintext: &[u8],
) -> SiffCase {
    let params = KdfParams {
        m_kib: kdf.m_kib,
        t: kdf.t,
        p: kdf.p,
    };
    let kappa0 = draw::<32>(rng);
    let case = CaseId::from_bytes(kappa0);
    let inds: Vec<u64> = passwords
        .iter()
        .map(|_| {
            let key = SecretKey::from_bytes(&draw_scalar(rng).into()).expect("non-zero");
            participant_index(&key.public_key())
        })
        .collect();
    let secrets: Vec<ParticipantSecret> = passwords
        .iter()
        .zip(&inds)
        .map(|(pw, ind)| ParticipantSecret::derive(pw, &case, *ind, &params).expect("derive"))
        .collect();
    let key_bytes = draw::<32>(rng);
    let rs: Vec<[u8; 32]> = passwords.iter().map(|_| draw::<32>(rng)).collect();
    let mut replay_parts: Vec<&[u8]> = vec![&key_bytes];
    replay_parts.extend(rs.iter().map(|r| &r[..]));
    let mut replay = ReplayRng::new(&replay_parts);
    let (key, tag) = establish_key(&secrets, &mut replay).expect("establish");
    assert!(replay.is_exhausted());
    assert_eq!(key.expose_secret(), &key_bytes);
    let wrong_password = format!("{} (wrong)", passwords[0]);
    let wrong =
        ParticipantSecret::derive(&wrong_password, &case, inds[0], &params).expect("derive");
    let doctor_secret = draw_scalar(rng);
    let tag_signature = tag_signature(&doctor_secret, &kappa0, &tag.to_bytes());
    let nonce = draw::<12>(rng);
    let record_key = RecordKey::derive(&key, &case, &tag).expect("record key");
    let mut replay = ReplayRng::new(&[&nonce]);
    let ciphertext =
        seal_record(&record_key, record_type, &case, plaintext, &mut replay).expect("seal");
    assert!(replay.is_exhausted());
    SiffCase {
        kdf: Kdf {
            m_kib: kdf.m_kib,
            t: kdf.t,
            p: kdf.p,
        },
        kappa0: hex(kappa0),
        key: hex(key.expose_secret()),
        participants: passwords
            .iter()
            .zip(&inds)
            .zip(secrets.iter().zip(&rs))
            .map(|((password, ind), (secret, r))| Participant {
                ind: ind.to_string(),
                password: (*password).to_owned(),
                s: hex(secret.expose_secret()),
                beta: hex(*secret.siff_point()),
                r: hex(r),
            })
            .collect(),
        tag: tag.to_bytes().chunks(66).map(hex).collect(),
        wrong_key: hex(tag.recover_key(&wrong).expose_secret()),
        wrong_password,
        tag_signature: TagSignature {
            doctor_secret: hex(doctor_secret),
            doctor_key: hex(encode_uncompressed_key(
                &SecretKey::from_bytes(&doctor_secret.into())
                    .expect("non-zero")
                    .public_key(),
            )),
            message: hex(tag_signature_message(&kappa0, &tag.to_bytes())),
            signature: hex(tag_signature),
        },
        record: Record {
            record_type: record_type.label().to_owned(),
            plaintext: hex(plaintext),
            padded: hex(pad(plaintext).expect("fits").as_slice()),
            record_key: hex(record_key.expose_secret()),
            nonce: hex(nonce),
            ciphertext: hex(ciphertext),
        },
    }
}

/// The doctor's deterministic (RFC 6979), low-S DER signature over case
/// `kappa0`'s `tag`.
pub fn tag_signature(doctor_secret: &[u8; 32], kappa0: &[u8; 32], tag: &[u8]) -> Vec<u8> {
    let key = p256::ecdsa::SigningKey::from_slice(doctor_secret).expect("non-zero");
    medchain_protocol::signature::sign_low_s(&key, &tag_signature_message(kappa0, tag))
}

fn txtr_vector(rng: &mut ChaCha20Rng) -> TxtrVector {
    let kappa0 = draw::<32>(rng);
    let case = CaseId::from_bytes(kappa0);
    let ind = u64::from_be_bytes(draw::<8>(rng));
    let s = draw::<32>(rng);
    let doctor_secret = draw_scalar(rng);
    let doctor = SecretKey::from_bytes(&doctor_secret.into()).expect("non-zero");
    let ephemeral_secret = draw_scalar(rng);
    let ephemeral = SecretKey::from_bytes(&ephemeral_secret.into()).expect("non-zero");
    let nonce = draw::<12>(rng);
    let mut replay = ReplayRng::new(&[&ephemeral_secret, &nonce]);
    let sealed = seal_response(
        &ParticipantSecret::from_bytes(s),
        ind,
        &case,
        &doctor.public_key(),
        &mut replay,
    )
    .expect("seal");
    assert!(replay.is_exhausted());
    let pk_x = encode_compressed_key(&ephemeral.public_key());
    assert_eq!(sealed.ephemeral_key, pk_x);
    let pk_d = encode_compressed_key(&doctor.public_key());
    let shared = p256::ecdh::diffie_hellman(
        ephemeral.to_nonzero_scalar(),
        doctor.public_key().as_affine(),
    );
    let shared_x: [u8; 32] = (*shared.raw_secret_bytes()).into();
    let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(&kappa0), &shared_x);
    let mut sk_xd = [0u8; 32];
    hkdf.expand_multi_info(&[b"medchain-txtr-v1", &pk_x, &pk_d], &mut sk_xd)
        .expect("32 bytes");
    TxtrVector {
        kappa0: hex(kappa0),
        ind: ind.to_string(),
        s: hex(s),
        ephemeral_secret: hex(ephemeral_secret),
        pk_x: hex(pk_x),
        doctor_secret: hex(doctor_secret),
        pk_d: hex(pk_d),
        shared_x: hex(shared_x),
        sk_xd: hex(sk_xd),
        nonce: hex(nonce),
        c_x: hex(&sealed.sealed_secret),
    }
}

/// The vectors as the committed file holds them: pretty JSON, newline
/// terminated.
pub fn to_json(vectors: &Vectors) -> String {
    let mut text = serde_json::to_string_pretty(vectors).expect("serializable");
    text.push('\n');
    text
}
