//! The medical records contract through the mock peer: every function,
//! every validation rule (with the message and "nothing written"), write
//! once, events and receivers, paging through a large case.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::*;
use fabric_shim::mock_peer::MockPeerError;
use medchain_protocol::ErrorCode;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseRecords, ConsortiumPolicy, InputParameter, KdfParams, Role, RoleIssuer,
};
use prost::Message;

/// A compressed encoding whose x coordinate is not a field element.
fn off_curve() -> Vec<u8> {
    let mut key = vec![0xff; 33];
    key[0] = 2;
    key
}

// ---------------------------------------------------------------- reg

#[tokio::test]
async fn registration_is_stored_under_ind_and_returned_by_get_participant() {
    let net = Net::start().await;
    let doctor = Person::new("doctor");
    let (name, event) = net.event(&doctor, &reg(&doctor, Role::Doctor)).await;
    assert_eq!(name, "reg");
    assert_eq!(event.key, doctor.ind().to_be_bytes());
    assert_eq!(event.receivers, vec![doctor.ind()]);
    let stored = net
        .call(&doctor, "GetParticipant", &doctor.ind().to_be_bytes())
        .await;
    assert_eq!(
        stored.response.payload,
        reg(&doctor, Role::Doctor).encode_to_vec()
    );
    // Hex arguments work too (for the peer CLI).
    let by_hex = net
        .call(
            &doctor,
            "GetParticipant",
            format!("{:016x}", doctor.ind()).as_bytes(),
        )
        .await;
    assert_eq!(by_hex.response.payload, stored.response.payload);
}

#[tokio::test]
async fn registration_rules() {
    let net = Net::start().await;
    let doctor = Person::new("doctor");
    let other = Person::new("other");
    net.rejected(
        &doctor,
        &reg(&doctor, Role::Unspecified),
        ErrorCode::Invalid,
        "the role must be doctor, pharmacist, insurer or lawyer-expert",
    )
    .await;
    let mut unknown = reg(&doctor, Role::Doctor);
    if let Some(Record::Reg(r)) = &mut unknown.record {
        r.role = 42;
    }
    net.rejected(&doctor, &unknown, ErrorCode::Invalid, "the role must be")
        .await;
    net.rejected(
        &doctor,
        &reg(&other, Role::Doctor),
        ErrorCode::Unauthorized,
        "the certificate is not the submitter's own",
    )
    .await;
    let mut garbage = reg(&doctor, Role::Doctor);
    if let Some(Record::Reg(r)) = &mut garbage.record {
        r.certificate_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into();
    }
    net.rejected(&doctor, &garbage, ErrorCode::Invalid, "reg: ")
        .await;
    let mut huge = reg(&doctor, Role::Doctor);
    if let Some(Record::Reg(r)) = &mut huge.record {
        r.certificate_pem = "x".repeat(17 * 1024);
    }
    net.rejected(
        &doctor,
        &huge,
        ErrorCode::Invalid,
        "larger than 16384 bytes",
    )
    .await;
    net.ok(&doctor, &reg(&doctor, Role::Doctor)).await;
    net.rejected(
        &doctor,
        &reg(&doctor, Role::Doctor),
        ErrorCode::AlreadyStored,
        "participant",
    )
    .await;
}

// ---------------------------------------------------------------- role policy

#[tokio::test]
async fn a_role_is_trusted_only_from_the_certificate_and_the_policy() {
    let net = Net::start().await;
    // A channel member without the attribute (e.g. a cryptogen identity).
    let plain = Person::with("plain", HOSPITAL, None);
    net.rejected(
        &plain,
        &reg(&plain, Role::Doctor),
        ErrorCode::Unauthorized,
        "the submitter's certificate has no medchain.role attribute; enroll with your organization's Fabric CA as a registered doctor",
    )
    .await;
    // A patient's certificate claiming to be a doctor.
    let patient = Person::new("patient");
    net.rejected(
        &patient,
        &reg(&patient, Role::Doctor),
        ErrorCode::Unauthorized,
        "the submitter's certificate says medchain.role=patient, not doctor",
    )
    .await;
    // A pharmacist certified as such, registering as an insurer.
    let pharmacist = Person::new("pharmacist");
    net.rejected(
        &pharmacist,
        &reg(&pharmacist, Role::Insurer),
        ErrorCode::Unauthorized,
        "medchain.role=pharmacist, not insurer",
    )
    .await;
    // The pharmacy's CA may make pharmacists but not doctors.
    let fake = Person::with("fake", PHARMACY, Some("doctor"));
    net.rejected(
        &fake,
        &reg(&fake, Role::Doctor),
        ErrorCode::Unauthorized,
        "the consortium's policy does not let Org2MSP issue the doctor role (it may issue pharmacist)",
    )
    .await;
    // An organization the policy does not name at all.
    let outsider = Person::with("outsider", "Org3MSP", Some("pharmacist"));
    net.rejected(
        &outsider,
        &reg(&outsider, Role::Pharmacist),
        ErrorCode::Unauthorized,
        "does not let Org3MSP issue the pharmacist role (it may issue no role)",
    )
    .await;
    // The registration must name the submitter's own organization.
    let mut elsewhere = reg(&pharmacist, Role::Pharmacist);
    if let Some(Record::Reg(r)) = &mut elsewhere.record {
        r.msp_id = PHARMACY.into();
    }
    net.rejected(
        &pharmacist,
        &elsewhere,
        ErrorCode::Unauthorized,
        "the registration names organization \"Org2MSP\" but the submitter belongs to \"Org1MSP\"",
    )
    .await;
    // Allowed: a pharmacist of the pharmacy, a doctor of the hospital.
    let pharmacy_pharmacist = Person::with("pharmacist", PHARMACY, Some("pharmacist"));
    net.ok(
        &pharmacy_pharmacist,
        &reg(&pharmacy_pharmacist, Role::Pharmacist),
    )
    .await;
    let doctor = Person::new("doctor");
    net.ok(&doctor, &reg(&doctor, Role::Doctor)).await;
}

#[tokio::test]
async fn registration_before_init_is_refused_and_get_policy_says_not_found() {
    let net = Net::uninitialized(100).await;
    let doctor = Person::new("doctor");
    net.rejected(
        &doctor,
        &reg(&doctor, Role::Doctor),
        ErrorCode::Unauthorized,
        "the consortium has not initialized the chaincode's role policy; an administrator must run Init first",
    )
    .await;
    let policy = net.get_policy(&doctor).await;
    assert_refused(&policy, ErrorCode::NotFound, "has not initialized");
}

#[tokio::test]
async fn init_stores_the_policy_and_get_policy_returns_it() {
    let net = Net::uninitialized(100).await;
    let bytes = test_policy().encode_to_vec();
    let result = net.init_call(&hex::encode(&bytes)).await.unwrap();
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    assert_eq!(result.response.payload, bytes);
    let anyone = Person::new("patient");
    let read = net.get_policy(&anyone).await;
    assert_eq!(read.response.status, 200, "{}", read.response.message);
    assert_eq!(read.response.payload, bytes);
    // GetPolicy takes no argument.
    let extra = net.call(&anyone, "GetPolicy", b"x").await;
    assert_refused(
        &extra,
        ErrorCode::BadCall,
        "GetPolicy takes no argument, got 1",
    );
}

#[tokio::test]
async fn init_only_runs_as_the_initialization() {
    let net = Net::start().await;
    let attacker = Person::new("pharmacist");
    let mine = ConsortiumPolicy {
        issuers: vec![RoleIssuer {
            msp_id: HOSPITAL.into(),
            roles: vec![Role::Doctor as i32],
        }],
        kdf_floor: None,
    };
    let before = net.peer.world_state();
    let result = net
        .call(
            &attacker,
            "Init",
            hex::encode(mine.encode_to_vec()).as_bytes(),
        )
        .await;
    assert_refused(
        &result,
        ErrorCode::BadCall,
        "Init runs only as the chaincode's initialization",
    );
    assert_eq!(net.peer.world_state(), before);
}

#[tokio::test]
async fn malformed_policies_are_refused_by_init() {
    let net = Net::uninitialized(100).await;
    let issuer = |msp: &str, roles: &[Role]| RoleIssuer {
        msp_id: msp.into(),
        roles: roles.iter().map(|&r| r as i32).collect(),
    };
    let encode = |issuers: Vec<RoleIssuer>| {
        hex::encode(
            ConsortiumPolicy {
                issuers,
                kdf_floor: None,
            }
            .encode_to_vec(),
        )
    };
    let with_floor = |m_kib: u32, t: u32| {
        let mut policy = test_policy();
        policy.kdf_floor = Some(medchain_protocol::v1::KdfFloor { m_kib, t });
        hex::encode(policy.encode_to_vec())
    };
    let mut non_canonical = test_policy().encode_to_vec();
    non_canonical.extend_from_slice(&[0x78, 0x01]);
    let cases: Vec<(String, &str)> = vec![
        ("zz".into(), "the Init argument must be the hex encoding"),
        (
            hex::encode(b"\xff\xff"),
            "it is not a medchain.v1.ConsortiumPolicy",
        ),
        (
            hex::encode(non_canonical),
            "not in canonical protobuf encoding",
        ),
        (encode(vec![]), "it names no organization"),
        (
            encode(vec![
                issuer("Org2MSP", &[Role::Doctor]),
                issuer("Org1MSP", &[Role::Doctor]),
            ]),
            "sorted by MSP id and listed once",
        ),
        (
            encode(vec![
                issuer("Org1MSP", &[Role::Doctor]),
                issuer("Org1MSP", &[Role::Insurer]),
            ]),
            "sorted by MSP id and listed once",
        ),
        (
            encode(vec![issuer("", &[Role::Doctor])]),
            "an organization has an empty MSP id",
        ),
        (
            encode(vec![issuer("Org1MSP", &[])]),
            "Org1MSP may issue no role",
        ),
        (
            encode(vec![issuer("Org1MSP", &[Role::Unspecified])]),
            "lists role number 0, which is no registered role",
        ),
        (
            encode(vec![issuer("Org1MSP", &[Role::Insurer, Role::Doctor])]),
            "the roles of Org1MSP must be sorted and listed once",
        ),
        (
            encode(vec![issuer("Org1MSP", &[Role::Doctor, Role::Doctor])]),
            "the roles of Org1MSP must be sorted and listed once",
        ),
        ("0".repeat(40 * 1024), "larger than 16384 bytes"),
        (
            with_floor(7, 2),
            "kdf_floor.m_kib must be between 8 and 1048576 KiB, got 7",
        ),
        (
            with_floor(1024 * 1024 + 1, 2),
            "kdf_floor.m_kib must be between 8",
        ),
        (
            with_floor(8, 0),
            "kdf_floor.t must be between 1 and 16, got 0",
        ),
        (
            with_floor(8, 17),
            "kdf_floor.t must be between 1 and 16, got 17",
        ),
    ];
    for (argument, expected) in cases {
        let message = match net.init_call(&argument).await {
            Ok(result) => panic!("{argument}: Init succeeded: {:?}", result.response),
            Err(message) => message,
        };
        assert!(
            message.starts_with("invalid: policy: ") && message.contains(expected),
            "{argument}: {message:?} lacks {expected:?}"
        );
        assert!(
            net.peer.world_state().is_empty(),
            "{argument}: a refused Init wrote something"
        );
    }
    // An init that calls something else.
    let admin = Person::with("admin", HOSPITAL, None);
    let other = net
        .peer
        .init(&admin.creator, &[b"Store", b"x"], &Default::default())
        .await;
    assert!(
        matches!(&other, Err(MockPeerError::TransactionFailed { message, .. })
            if message == "bad_call: the chaincode's initialization must call Init with the role policy, not \"Store\""),
        "{other:?}"
    );
}

// ---------------------------------------------------------------- input

#[tokio::test]
async fn malformed_input_parameters() {
    let net = Net::start().await;
    let doctor = Person::new("doctor");
    net.rejected_bytes(
        &doctor,
        b"\xff\xff\xff",
        ErrorCode::Invalid,
        // The whole sentence: the Go contract sends the same one.
        "input parameter: it is not a medchain.v1.InputParameter (it does not decode as protobuf)",
    )
    .await;
    net.rejected_bytes(&doctor, &[], ErrorCode::Invalid, "no record is set")
        .await;
    // Unknown fields / non-canonical encodings are refused, naming the
    // fault (the Go contract's TestOnlyTheCanonicalEncodingIsStored sends
    // the same bytes and expects the same sentences): one record, one key.
    let canonical = reg(&doctor, Role::Doctor).encode_to_vec();
    let not_canonical = |fault: &str| {
        format!(
            "input parameter: it is not in canonical protobuf encoding: {fault}; encode it with a standard protobuf encoder"
        )
    };
    let left_out = "is not part of the canonical encoding: it is unknown, or holds its default value (0, false or empty), which is left out";
    let registration = match reg(&doctor, Role::Doctor).record {
        Some(Record::Reg(r)) => r.encode_to_vec(),
        _ => unreachable!(),
    };
    let (role_field, rest) = registration.split_at(2);
    let wrap = |inner: &[u8]| {
        let mut out = vec![0x0a];
        prost::encoding::encode_varint(inner.len() as u64, &mut out);
        out.extend_from_slice(inner);
        out
    };
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            [&canonical[..], &[0x78, 0x01]].concat(),
            not_canonical(&format!("field 15 {left_out}")),
        ),
        (
            wrap(&[0x08, 0x01, 0x28, 0x05]),
            not_canonical(&format!("field 1.5 {left_out}")),
        ),
        (
            [&canonical[..], &canonical[..]].concat(),
            not_canonical("field 1 appears 2 times; a field that is not repeated appears once"),
        ),
        (
            vec![0x0a, 0x02, 0x08, 0x00],
            not_canonical(&format!("field 1.1 {left_out}")),
        ),
        (
            wrap(&[rest, role_field].concat()),
            not_canonical("field 1.1 comes after field 1.3; write fields in field-number order"),
        ),
        (
            wrap(&[&[0x08, 0x81, 0x00][..], rest].concat()),
            not_canonical("field 1.1 is not a minimal varint"),
        ),
    ];
    for (bytes, expected) in cases {
        net.rejected_bytes(&doctor, &bytes, ErrorCode::Invalid, &expected)
            .await;
    }
    let oversized = vec![0u8; medchain_protocol::limits::MAX_INPUT_BYTES + 1];
    net.rejected_bytes(
        &doctor,
        &oversized,
        ErrorCode::Invalid,
        "more than the limit",
    )
    .await;
}

#[tokio::test]
async fn bad_calls() {
    let net = Net::start().await;
    let doctor = Person::new("doctor");
    let r = net
        .peer
        .invoke(&doctor.creator, &[b"Nope", b"x"], &Default::default())
        .await
        .unwrap();
    assert_refused(&r, ErrorCode::BadCall, "unknown function \"Nope\"");
    let r = net
        .peer
        .invoke(&doctor.creator, &[b"Get"], &Default::default())
        .await
        .unwrap();
    assert_refused(&r, ErrorCode::BadCall, "takes exactly one argument");
    let r = net.call(&doctor, "Get", b"short").await;
    assert_refused(&r, ErrorCode::Invalid, "must be 32 bytes or 64 hex digits");
    let r = net.call(&doctor, "Get", &[0u8; 32]).await;
    assert_refused(&r, ErrorCode::NotFound, "no record is stored under key");
    let r = net.call(&doctor, "GetCase", &[0u8; 32]).await;
    assert_refused(&r, ErrorCode::NotFound, "no case");
    let r = net
        .call(&doctor, "GetParticipant", &7u64.to_be_bytes())
        .await;
    assert_refused(
        &r,
        ErrorCode::NotFound,
        "participant 0000000000000007 is not registered",
    );
}

// ---------------------------------------------------------------- txtc

#[tokio::test]
async fn case_opening_is_stored_and_announced_to_every_participant() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let input = txtc(c.opening());
    let (name, event) = net.event(&c.doctor, &input).await;
    assert_eq!(name, "txtc");
    assert_eq!(event.key, kappa(&input.encode_to_vec()));
    assert_eq!(event.case_key, event.key);
    assert_eq!(event.r#type, "txtc");
    assert_eq!(event.receivers, c.participants());
    let stored = net.call(&c.lawyer, "Get", &event.key).await;
    assert_eq!(stored.response.payload, input.encode_to_vec());
    // Hex κ works as well.
    let stored = net
        .call(&c.lawyer, "Get", hex::encode(&event.key).as_bytes())
        .await;
    assert_eq!(stored.response.payload, input.encode_to_vec());
}

#[tokio::test]
async fn case_opening_rules() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let with = |change: &dyn Fn(&mut medchain_protocol::v1::CaseOpening)| {
        let mut o = c.unsigned_opening();
        change(&mut o);
        txtc(sign(&c.patient, o))
    };
    // Only a registered doctor, for itself.
    net.rejected(
        &c.pharmacist,
        &with(&|o| o.doctor = c.pharmacist.ind()),
        ErrorCode::Unauthorized,
        "registered as pharmacist, not as doctor",
    )
    .await;
    net.rejected(
        &c.stranger,
        &with(&|o| o.doctor = c.stranger.ind()),
        ErrorCode::Unauthorized,
        "not registered as a doctor",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.doctor = c.lawyer.ind()),
        ErrorCode::Unauthorized,
        "a doctor opens cases only for itself",
    )
    .await;
    // Keys.
    net.rejected(
        &c.doctor,
        &with(&|o| o.patient_key = vec![4; 65]),
        ErrorCode::Invalid,
        "patient key: the key is not a point on the P-256 curve",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.patient_key.truncate(33)),
        ErrorCode::Invalid,
        "patient key: expected a 65-byte",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.family_keys.push(vec![1, 2, 3])),
        ErrorCode::Invalid,
        "family key 1",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.doctor_ephemeral_key = c.patient.vk()),
        ErrorCode::Invalid,
        "doctor ephemeral key: expected a 33-byte",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.doctor_ephemeral_key = off_curve()),
        ErrorCode::Invalid,
        "doctor ephemeral key: the key is not a point",
    )
    .await;
    // Roles of the listed participants.
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.insurers.clear();
            o.pharmacists.push(c.insurer.ind());
        }),
        ErrorCode::Invalid,
        "is listed as pharmacist but is registered as insurer",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.insurers.push(c.stranger.ind())),
        ErrorCode::Invalid,
        "insurer",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.lawyer_experts.push(c.stranger.ind())),
        ErrorCode::Invalid,
        "is not registered",
    )
    .await;
    // Nobody twice (the doctor included).
    net.rejected(
        &c.doctor,
        &with(&|o| o.pharmacists.push(c.pharmacist.ind())),
        ErrorCode::Invalid,
        "is listed twice",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.family_keys.push(c.patient.vk())),
        ErrorCode::Invalid,
        "is listed twice",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| o.patient_key = c.doctor.vk()),
        ErrorCode::Invalid,
        "is listed twice",
    )
    .await;
    // At most 32 participants.
    let many: Vec<Vec<u8>> = (0..28)
        .map(|n| Person::new(&format!("f{n}")).vk())
        .collect();
    net.rejected(
        &c.doctor,
        &with(&|o| o.family_keys = many.clone()),
        ErrorCode::Invalid,
        "at most 32 participants",
    )
    .await;
    // KDF parameters.
    net.rejected(
        &c.doctor,
        &with(&|o| o.kdf = None),
        ErrorCode::Invalid,
        "the Argon2id parameters (kdf) are missing",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.kdf = Some(KdfParams {
                m_kib: 19456,
                t: 0,
                p: 1,
            })
        }),
        ErrorCode::Invalid,
        "kdf.t must be between 1",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.kdf = Some(KdfParams {
                m_kib: 19456,
                t: 2,
                p: 0,
            })
        }),
        ErrorCode::Invalid,
        "kdf.p must be between 1",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.kdf = Some(KdfParams {
                m_kib: 7,
                t: 2,
                p: 1,
            })
        }),
        ErrorCode::Invalid,
        "kdf.m_kib must be between 8",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.kdf = Some(KdfParams {
                m_kib: 19456,
                t: 17,
                p: 1,
            })
        }),
        ErrorCode::Invalid,
        "kdf.t must be between 1 and 16",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.kdf = Some(KdfParams {
                m_kib: 1024 * 1024 + 1,
                t: 2,
                p: 1,
            })
        }),
        ErrorCode::Invalid,
        "kdf.m_kib must be between 8 (8 per lane) and 1048576",
    )
    .await;
    net.rejected(
        &c.doctor,
        &with(&|o| {
            o.kdf = Some(KdfParams {
                m_kib: u32::MAX,
                t: 2,
                p: 1,
            })
        }),
        ErrorCode::Invalid,
        "kdf.m_kib must be between",
    )
    .await;
    // A valid minimal case (patient and doctor only) is accepted.
    net.ok(
        &c.doctor,
        &with(&|o| {
            o.family_keys.clear();
            o.pharmacists.clear();
            o.insurers.clear();
            o.lawyer_experts.clear();
        }),
    )
    .await;
}

/// Protocol v2, attack 2: the contract enforces the consortium's floor on a
/// case's Argon2id parameters (default m ≥ 19456 KiB, t ≥ 2), so no case
/// can make participants' watchers spend (and publish) a weak derivation
/// of their passwords. A test network lowers the floor explicitly.
#[tokio::test]
async fn the_consortiums_kdf_floor_holds_for_every_case() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let opening = |m_kib: u32, t: u32| {
        let mut o = c.unsigned_opening();
        o.kdf = Some(KdfParams { m_kib, t, p: 1 });
        txtc(sign(&c.patient, o))
    };
    let before = net.peer.world_state();
    net.rejected(
        &c.doctor,
        &opening(19455, 2),
        ErrorCode::Invalid,
        "txtc: kdf.m_kib = 19455 KiB is below the consortium's floor of 19456 KiB",
    )
    .await;
    net.rejected(
        &c.doctor,
        &opening(65536, 1),
        ErrorCode::Invalid,
        "txtc: kdf.t = 1 is below the consortium's floor of 2 passes",
    )
    .await;
    assert_eq!(net.peer.world_state(), before);
    net.ok(&c.doctor, &opening(19456, 2)).await;

    // A test network's floor, set at initialization, lets weak cases in
    // (and only down to that floor); GetPolicy shows it.
    let lowered = Net::uninitialized(100).await;
    let mut policy = test_policy();
    policy.kdf_floor = Some(medchain_protocol::v1::KdfFloor { m_kib: 64, t: 1 });
    lowered.initialize(&policy).await;
    let c = Cast::registered(&lowered).await;
    let result = lowered.get_policy(&c.lawyer).await;
    assert_eq!(
        ConsortiumPolicy::decode(result.response.payload.as_slice()).unwrap(),
        policy
    );
    let opening = |m_kib: u32| {
        let mut o = c.unsigned_opening();
        o.kdf = Some(KdfParams { m_kib, t: 1, p: 1 });
        txtc(sign(&c.patient, o))
    };
    lowered
        .rejected(
            &c.doctor,
            &opening(63),
            ErrorCode::Invalid,
            "kdf.m_kib = 63 KiB is below the consortium's floor of 64 KiB",
        )
        .await;
    lowered.ok(&c.doctor, &opening(64)).await;
}

#[tokio::test]
async fn case_opening_needs_the_patients_consent_to_exactly_this_selection() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    // No consent at all.
    net.rejected(
        &c.doctor,
        &txtc(c.unsigned_opening()),
        ErrorCode::Unauthorized,
        "carries no patient consent",
    )
    .await;
    // Signed by someone else (the family member) instead of the patient.
    net.rejected(
        &c.doctor,
        &txtc(sign(&c.family, c.unsigned_opening())),
        ErrorCode::Unauthorized,
        "the patient's signature does not match this selection",
    )
    .await;
    // Signed by the patient, then changed by the doctor.
    let mut changed = c.opening();
    changed.lawyer_experts.clear();
    net.rejected(
        &c.doctor,
        &txtc(changed),
        ErrorCode::Unauthorized,
        "the patient's signature does not match",
    )
    .await;
    // Malformed consents.
    let mut short_nonce = c.opening();
    short_nonce.consent.as_mut().unwrap().nonce.truncate(8);
    net.rejected(
        &c.doctor,
        &txtc(short_nonce),
        ErrorCode::Unauthorized,
        "the consent nonce must be 16 bytes",
    )
    .await;
    let mut garbage = c.opening();
    garbage.consent.as_mut().unwrap().signature = vec![0x30, 1, 2];
    net.rejected(
        &c.doctor,
        &txtc(garbage),
        ErrorCode::Unauthorized,
        "not a DER ECDSA P-256 signature",
    )
    .await;
    // The same signature with high S (its other valid encoding): refused,
    // so one selection has exactly one consent encoding.
    let mut high_s = c.opening();
    let consent = high_s.consent.as_mut().unwrap();
    let low = p256::ecdsa::Signature::from_der(&consent.signature).unwrap();
    consent.signature = p256::ecdsa::Signature::from_scalars(low.r(), -*low.s())
        .unwrap()
        .to_der()
        .as_bytes()
        .to_vec();
    net.rejected(
        &c.doctor,
        &txtc(high_s),
        ErrorCode::Unauthorized,
        "the consent signature has a high S",
    )
    .await;
    // One selection opens one case: the same consent with a new doctor key
    // (hence a new κ0) is refused.
    let first = c.opening();
    net.ok(&c.doctor, &txtc(first.clone())).await;
    let mut again = first;
    again.doctor_ephemeral_key = ephemeral_key();
    net.rejected(
        &c.doctor,
        &txtc(again),
        ErrorCode::AlreadyStored,
        "this patient selection already opened a case",
    )
    .await;
}

// ---------------------------------------------------------------- txtr

#[tokio::test]
async fn responses_go_to_the_doctor() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.open(&net).await;
    for p in c.responders() {
        let (name, event) = net.event(p, &txtr(&case, p)).await;
        assert_eq!(name, "txtr");
        assert_eq!(event.case_key, case);
        assert_eq!(event.receivers, vec![c.doctor.ind()]);
    }
}

#[tokio::test]
async fn response_rules() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.open(&net).await;
    let with = |who: &Person, change: &dyn Fn(&mut medchain_protocol::v1::CaseResponse)| {
        let mut r = response(&case, who);
        change(&mut r);
        InputParameter {
            record: Some(Record::Txtr(r)),
        }
    };
    net.rejected(
        &c.patient,
        &with(&c.patient, &|r| r.case_key = vec![1; 31]),
        ErrorCode::Invalid,
        "the case key must be 32 bytes",
    )
    .await;
    net.rejected(
        &c.patient,
        &with(&c.patient, &|r| r.case_key = vec![1; 32]),
        ErrorCode::NotFound,
        "no case is stored",
    )
    .await;
    net.rejected(
        &c.stranger,
        &txtr(&case, &c.stranger),
        ErrorCode::Unauthorized,
        "the submitter is not a participant of case",
    )
    .await;
    net.rejected(
        &c.stranger,
        &with(&c.stranger, &|r| r.responder = c.patient.ind()),
        ErrorCode::Unauthorized,
        "answer only for yourself",
    )
    .await;
    net.rejected(
        &c.doctor,
        &txtr(&case, &c.doctor),
        ErrorCode::Unauthorized,
        "the doctor does not answer its own case",
    )
    .await;
    net.rejected(
        &c.patient,
        &with(&c.patient, &|r| r.ephemeral_key = off_curve()),
        ErrorCode::Invalid,
        "ephemeral key: the key is not a point",
    )
    .await;
    net.rejected(
        &c.patient,
        &with(&c.patient, &|r| r.ephemeral_key = c.patient.vk()),
        ErrorCode::Invalid,
        "expected a 33-byte",
    )
    .await;
    net.rejected(
        &c.patient,
        &with(&c.patient, &|r| r.sealed_secret = vec![0; 59]),
        ErrorCode::Invalid,
        "the sealed secret must be 60 bytes",
    )
    .await;
    // A txtr naming a record that is not a case opening.
    let reg_key = net.ok(&c.patient, &txtr(&case, &c.patient)).await;
    net.rejected(
        &c.family,
        &with(&c.family, &|r| r.case_key = reg_key.clone()),
        ErrorCode::NotFound,
        "holds a txtr record, not a case opening",
    )
    .await;
    // One response per participant.
    net.rejected(
        &c.patient,
        &txtr(&case, &c.patient),
        ErrorCode::AlreadyStored,
        "participant",
    )
    .await;
}

#[tokio::test]
async fn an_impostor_with_a_colliding_index_cannot_answer_for_a_registered_participant() {
    // The contract compares full keys, not just the 64-bit index: a
    // stranger claiming a listed pharmacist's index is refused.
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.open(&net).await;
    let mut r = response(&case, &c.stranger);
    r.responder = c.pharmacist.ind();
    net.rejected(
        &c.stranger,
        &InputParameter {
            record: Some(Record::Txtr(r)),
        },
        ErrorCode::Unauthorized,
        "answer only for yourself",
    )
    .await;
}

// ---------------------------------------------------------------- records

#[tokio::test]
async fn records_reach_the_paper_receivers_plus_family() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    let (p, f) = (c.patient.ind(), c.family.ind());
    let cases = [
        ("txd", &c.doctor, vec![p, f, c.pharmacist.ind()]),
        ("txm", &c.pharmacist, vec![p, f, c.insurer.ind()]),
        ("txa", &c.insurer, vec![p, f]),
    ];
    for (record_type, who, receivers) in cases {
        let input = wrap(record_type, record(&case, &c.doctor, c.others(who)));
        let (name, event) = net.event(who, &input).await;
        assert_eq!(name, record_type);
        assert_eq!(event.r#type, record_type);
        assert_eq!(event.key, kappa(&input.encode_to_vec()));
        assert_eq!(event.case_key, case);
        assert_eq!(event.receivers, receivers, "{record_type}");
    }
    // Many records of each type form a treatment log.
    let mut second = record(&case, &c.doctor, c.others(&c.doctor));
    second.ciphertext = vec![9; 512 + 28];
    net.ok(&c.doctor, &wrap("txd", second)).await;
}

#[tokio::test]
async fn record_rules() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.open(&net).await;
    let txd = |change: &dyn Fn(&mut medchain_protocol::v1::CaseRecord)| {
        let mut r = record(&case, &c.doctor, c.others(&c.doctor));
        change(&mut r);
        wrap("txd", r)
    };
    // Before every participant answered, no record may be stored.
    net.rejected(
        &c.doctor,
        &txd(&|_| {}),
        ErrorCode::OutOfOrder,
        "the case key is not established yet",
    )
    .await;
    for p in c.responders() {
        net.ok(p, &txtr(&case, p)).await;
    }
    // Who may store what.
    net.rejected(
        &c.pharmacist,
        &wrap("txd", record(&case, &c.doctor, c.others(&c.pharmacist))),
        ErrorCode::Unauthorized,
        "only the case's doctor may store a txd",
    )
    .await;
    net.rejected(
        &c.doctor,
        &wrap("txm", record(&case, &c.doctor, c.others(&c.doctor))),
        ErrorCode::Unauthorized,
        "only the case's listed pharmacists may store a txm",
    )
    .await;
    net.rejected(
        &c.lawyer,
        &wrap("txa", record(&case, &c.doctor, c.others(&c.lawyer))),
        ErrorCode::Unauthorized,
        "only the case's listed insurers may store a txa",
    )
    .await;
    net.rejected(
        &c.stranger,
        &wrap("txa", record(&case, &c.doctor, c.others(&c.stranger))),
        ErrorCode::Unauthorized,
        "only the case's listed insurers",
    )
    .await;
    // Field checks.
    net.rejected(
        &c.doctor,
        &txd(&|r| r.case_key = vec![3; 32]),
        ErrorCode::NotFound,
        "no case",
    )
    .await;
    net.rejected(
        &c.doctor,
        &txd(&|r| r.participants.reverse()),
        ErrorCode::Invalid,
        "participants must list the case's other 5 participants",
    )
    .await;
    net.rejected(
        &c.doctor,
        &txd(&|r| r.participants.pop().map(drop).unwrap_or(())),
        ErrorCode::Invalid,
        "participants must list",
    )
    .await;
    net.rejected(
        &c.doctor,
        &txd(&|r| r.tag.truncate(66 * 5)),
        ErrorCode::Invalid,
        "one 66-byte coefficient per participant",
    )
    .await;
    net.rejected(
        &c.doctor,
        &txd(&|r| r.tag[0] = 2),
        ErrorCode::Invalid,
        "tag coefficient 0 is not below 2^521",
    )
    .await;
    // Only padded lengths (a 256·2^i bucket plus nonce and GCM tag).
    for n in [27, 28, 40, 283, 285, 512 + 27, 1024 * 1024 + 29] {
        net.rejected(
            &c.doctor,
            &txd(&|r| r.ciphertext = vec![0; n]),
            ErrorCode::Invalid,
            "the ciphertext must be a padded record",
        )
        .await;
    }
    // The first record fixes the tag.
    net.ok(&c.doctor, &txd(&|_| {})).await;
    let mut other_tag = record(&case, &c.doctor, c.others(&c.pharmacist));
    other_tag.tag[100] = 1;
    other_tag.tag_signature = sign_tag(&c.doctor, &case, &other_tag.tag);
    net.rejected(
        &c.pharmacist,
        &wrap("txm", other_tag),
        ErrorCode::Invalid,
        "the tag differs from the one the doctor fixed for this case",
    )
    .await;
    // Write once: the very same record again.
    net.rejected(
        &c.doctor,
        &txd(&|_| {}),
        ErrorCode::AlreadyStored,
        "a record with key",
    )
    .await;
}

/// Protocol v2, attack 1 (tag substitution): only the doctor fixes a
/// case's tag, the tag carries the doctor's signature over κ0 and the tag,
/// and a constant ("degenerate") polynomial is refused. Each refusal
/// leaves no record and no fixed tag behind: the doctor's honest tag is
/// accepted afterwards.
#[tokio::test]
async fn only_the_doctor_fixes_a_signed_non_degenerate_tag() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    // A listed pharmacist stores the first record, with a tag it made and
    // signed itself: refused, the doctor has not fixed the tag.
    let mut own = record(&case, &c.pharmacist, c.others(&c.pharmacist));
    own.tag[3 * 66 - 1] = 5;
    own.tag_signature = sign_tag(&c.pharmacist, &case, &own.tag);
    net.rejected(
        &c.pharmacist,
        &wrap("txm", own),
        ErrorCode::OutOfOrder,
        "the doctor has not fixed the tag of case",
    )
    .await;
    // The paper's attack: a constant polynomial α_0 = K′ gives every
    // participant the public key K′. Refused whoever signs it.
    let mut constant = record(&case, &c.doctor, c.others(&c.doctor));
    constant.tag = vec![0; 66 * K];
    constant.tag[65] = 42;
    constant.tag_signature = sign_tag(&c.doctor, &case, &constant.tag);
    net.rejected(
        &c.doctor,
        &wrap("txd", constant),
        ErrorCode::Invalid,
        "the tag is degenerate: every coefficient but α_0 is zero",
    )
    .await;
    // The doctor's record must carry the doctor's own signature over this
    // case's tag: none, someone else's, another case's, a high-S one.
    let doctor_record = |change: &dyn Fn(&mut medchain_protocol::v1::CaseRecord)| {
        let mut r = record(&case, &c.doctor, c.others(&c.doctor));
        change(&mut r);
        wrap("txd", r)
    };
    net.rejected(
        &c.doctor,
        &doctor_record(&|r| r.tag_signature.clear()),
        ErrorCode::Invalid,
        "the record carries no tag signature (a protocol v1 record)",
    )
    .await;
    let by_pharmacist = sign_tag(&c.pharmacist, &case, &test_tag());
    let other_case = sign_tag(&c.doctor, &[9; 32], &test_tag());
    for signature in [by_pharmacist, other_case] {
        net.rejected(
            &c.doctor,
            &doctor_record(&|r| r.tag_signature = signature.clone()),
            ErrorCode::Invalid,
            "the tag signature is not the case's doctor's (it does not verify with the signer's key)",
        )
        .await;
    }
    let high_s = {
        let low =
            p256::ecdsa::Signature::from_der(&sign_tag(&c.doctor, &case, &test_tag())).unwrap();
        p256::ecdsa::Signature::from_scalars(low.r(), -*low.s())
            .unwrap()
            .to_der()
            .as_bytes()
            .to_vec()
    };
    net.rejected(
        &c.doctor,
        &doctor_record(&|r| r.tag_signature = high_s.clone()),
        ErrorCode::Invalid,
        "its S is high",
    )
    .await;
    net.rejected(
        &c.doctor,
        &doctor_record(&|r| r.tag_signature = vec![0x30, 1, 2]),
        ErrorCode::Invalid,
        "it is not a DER ECDSA P-256 signature",
    )
    .await;
    // Nothing above was written: the doctor's honest record fixes the tag,
    // and the pharmacist then stores a record carrying the same tag and
    // the doctor's signature.
    let result = net.call(&c.lawyer, "GetCase", &case).await;
    let records = CaseRecords::decode(result.response.payload.as_slice())
        .unwrap()
        .records;
    assert!(
        records
            .iter()
            .all(|r| r.r#type == "txtc" || r.r#type == "txtr")
    );
    net.ok(&c.doctor, &doctor_record(&|_| {})).await;
    net.ok(
        &c.pharmacist,
        &wrap("txm", record(&case, &c.doctor, c.others(&c.pharmacist))),
    )
    .await;
    // A later record re-signed by someone else is refused even with the
    // fixed tag.
    let mut resigned = record(&case, &c.doctor, c.others(&c.insurer));
    resigned.tag_signature = sign_tag(&c.insurer, &case, &resigned.tag);
    net.rejected(
        &c.insurer,
        &wrap("txa", resigned),
        ErrorCode::Invalid,
        "the tag signature is not the case's doctor's",
    )
    .await;
}

// ---------------------------------------------------------------- queries

#[tokio::test]
async fn get_case_returns_every_record_in_order() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    net.ok(
        &c.doctor,
        &wrap("txd", record(&case, &c.doctor, c.others(&c.doctor))),
    )
    .await;
    net.ok(
        &c.pharmacist,
        &wrap("txm", record(&case, &c.doctor, c.others(&c.pharmacist))),
    )
    .await;
    net.ok(
        &c.insurer,
        &wrap("txa", record(&case, &c.doctor, c.others(&c.insurer))),
    )
    .await;
    let result = net.call(&c.lawyer, "GetCase", &case).await;
    assert_eq!(result.response.status, 200, "{}", result.response.message);
    let records = CaseRecords::decode(result.response.payload.as_slice())
        .unwrap()
        .records;
    let types: Vec<_> = records.iter().map(|r| r.r#type.as_str()).collect();
    assert_eq!(
        types,
        [
            "txtc", "txtr", "txtr", "txtr", "txtr", "txtr", "txd", "txm", "txa"
        ]
    );
    for r in &records {
        assert_eq!(r.key, kappa(&r.value));
        assert!(!r.tx_id.is_empty());
    }
}

#[tokio::test]
async fn a_case_of_500_stored_records_is_read_through_pages_in_index_order() {
    let net = Net::start_with_page_size(100).await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    for n in 0..494u32 {
        let mut r = record(&case, &c.doctor, c.others(&c.doctor));
        r.ciphertext = [n.to_be_bytes().to_vec(), vec![0; CIPHERTEXT_BYTES - 4]].concat();
        net.ok(&c.doctor, &wrap("txd", r)).await;
    }
    let (records, pages) = read_case(&net, &c.lawyer, &case).await;
    assert_eq!(records.len(), 500);
    // One page per 100 index entries (CASE_PAGE_ENTRIES).
    assert_eq!(pages.len(), 5);
    let seen: Vec<u32> = records
        .iter()
        .filter(|r| r.r#type == "txd")
        .map(
            |r| match InputParameter::decode(r.value.as_slice()).unwrap().record {
                Some(Record::Txd(d)) => u32::from_be_bytes(d.ciphertext[..4].try_into().unwrap()),
                _ => unreachable!(),
            },
        )
        .collect();
    // Stored one after the other, so index order is storing order.
    let expected: Vec<u32> = (0..494).collect();
    assert_eq!(seen, expected);
}

/// Seeds the world state with `count` records of the doctor in `case`, as
/// `count` stores would have left them (record, index entry, the doctor's
/// counter), without running 10 000 transactions.
fn seed_doctor_records(net: &Net, c: &Cast, case: &[u8; 32], count: u32) {
    let base = record(case, &c.doctor, c.others(&c.doctor));
    let mut writes = std::collections::BTreeMap::new();
    for n in 0..count {
        let mut r = base.clone();
        r.ciphertext[..4].copy_from_slice(&n.to_be_bytes());
        let bytes = wrap("txd", r).encode_to_vec();
        let key = kappa(&bytes);
        let index = fabric_shim::create_composite_key(
            "medchain.case",
            &[
                &hex::encode(case),
                &format!("{:019}.{:09}", 1_000_000_000u64, n),
                &format!("seeded{n:05}"),
            ],
        )
        .unwrap();
        writes.insert(hex::encode(key), bytes);
        writes.insert(index, key.to_vec());
    }
    writes.insert(
        record_count_key(case, c.doctor.ind()),
        u64::from(count).to_be_bytes().to_vec(),
    );
    net.peer.commit_writes("seeded", writes);
}

#[tokio::test]
async fn a_case_of_10000_records_is_read_through_pages_within_the_budget() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    seed_doctor_records(&net, &c, &case, 9_999);
    // The 10 000th record through the contract, which counts it.
    net.ok(
        &c.doctor,
        &wrap("txd", record(&case, &c.doctor, c.others(&c.doctor))),
    )
    .await;
    let (records, pages) = read_case(&net, &c.lawyer, &case).await;
    assert_eq!(records.len(), 1 + 5 + 10_000);
    let pages_wanted = records
        .len()
        .div_ceil(medchain_protocol::limits::CASE_PAGE_ENTRIES as usize);
    assert_eq!(pages.len(), pages_wanted);
    let mut keys: Vec<&[u8]> = records.iter().map(|r| r.key.as_slice()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), records.len(), "a record was returned twice");
    for r in &records {
        assert_eq!(r.key, kappa(&r.value));
    }
}

#[tokio::test]
async fn a_case_at_the_byte_cap_pages_by_the_byte_budget() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    for n in 0..5u8 {
        let mut r = record(&case, &c.doctor, c.others(&c.doctor));
        r.ciphertext = vec![n; medchain_protocol::limits::MAX_CIPHERTEXT_BYTES];
        net.ok(&c.doctor, &wrap("txd", r)).await;
    }
    let (records, pages) = read_case(&net, &c.lawyer, &case).await;
    assert_eq!(records.len(), 1 + 5 + 5);
    // Two records of 1 MiB exceed the 2 MiB budget: one a page.
    assert_eq!(pages.len(), 5);
    for page in &pages {
        assert_eq!(page.records.iter().filter(|r| r.r#type == "txd").count(), 1);
    }
}

#[tokio::test]
async fn a_bookmark_that_is_not_a_key_of_the_cases_index_is_refused() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    let hex_case = hex::encode(case);
    let other_case =
        fabric_shim::create_composite_key("medchain.case", &[&hex::encode([9u8; 32]), "1", "tx"])
            .unwrap();
    let tag_key = fabric_shim::create_composite_key("medchain.tag", &[&hex_case]).unwrap();
    let short = fabric_shim::create_composite_key("medchain.case", &[&hex_case, "1"]).unwrap();
    let expected = format!(
        "the bookmark is not a key of the index of case {hex_case}; pass the bookmark of this case's previous page, or none for its first page"
    );
    for bookmark in [
        &b""[..],
        b"x",
        other_case.as_bytes(),
        tag_key.as_bytes(),
        short.as_bytes(),
        &[0, 0xff, 0],
    ] {
        let r = get_case_page(&net, &c.lawyer, &case, Some(bookmark)).await;
        assert_refused(&r, ErrorCode::Invalid, &expected);
        assert!(r.response.message.starts_with("invalid: argument: "));
    }
    // A key of the case's index past every entry: an empty, last page.
    let past = fabric_shim::create_composite_key(
        "medchain.case",
        &[&hex_case, "9999999999999999999.999999999", "tx"],
    )
    .unwrap();
    let r = get_case_page(&net, &c.lawyer, &case, Some(past.as_bytes())).await;
    let page = CaseRecords::decode(r.response.payload.as_slice()).unwrap();
    assert!(page.records.is_empty() && page.bookmark.is_empty());
    for args in [
        &[b"GetCase".as_slice()][..],
        &[b"GetCase", &case, b"a", b"b"],
    ] {
        let r = net
            .peer
            .invoke(&c.lawyer.creator, args, &Default::default())
            .await
            .unwrap();
        assert_refused(
            &r,
            ErrorCode::BadCall,
            &format!(
                "GetCase takes the case key κ0 and an optional bookmark, got {} arguments",
                args.len() - 1
            ),
        );
    }
}

#[tokio::test]
async fn the_record_cap_per_submitter_holds() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let case = c.answered(&net).await;
    // Each record counts: two stores, counter 2.
    for n in 0..2u8 {
        let mut r = record(&case, &c.doctor, c.others(&c.doctor));
        r.ciphertext[0] = n;
        net.ok(&c.doctor, &wrap("txd", r)).await;
    }
    let counter = record_count_key(&case, c.doctor.ind());
    assert_eq!(net.peer.state(&counter), Some(2u64.to_be_bytes().to_vec()));
    // At the cap (as 10 000 stores leave it), the next record is refused
    // and nothing is written.
    let cap = medchain_protocol::limits::MAX_RECORDS_PER_SUBMITTER;
    net.peer.commit_writes(
        "seeded",
        [(counter.clone(), cap.to_be_bytes().to_vec())].into(),
    );
    net.rejected(
        &c.doctor,
        &wrap("txd", record(&case, &c.doctor, c.others(&c.doctor))),
        ErrorCode::Invalid,
        &format!(
            "txd: participant {:016x} has stored 10000 records in case {}, the most one submitter may store in a case (10000); open a new case to record more",
            c.doctor.ind(),
            hex::encode(case)
        ),
    )
    .await;
    // Another submitter's counter is its own.
    net.ok(
        &c.pharmacist,
        &wrap("txm", record(&case, &c.doctor, c.others(&c.pharmacist))),
    )
    .await;
    assert_eq!(
        net.peer.state(&record_count_key(&case, c.pharmacist.ind())),
        Some(1u64.to_be_bytes().to_vec())
    );
    // A damaged counter is reported, not trusted.
    net.peer
        .commit_writes("seeded", [(counter, vec![1, 2, 3])].into());
    net.rejected(
        &c.doctor,
        &wrap("txd", record(&case, &c.doctor, c.others(&c.doctor))),
        ErrorCode::Corrupt,
        "a record counter of case",
    )
    .await;
}

#[tokio::test]
async fn calls_without_a_usable_function_name_are_bad_calls() {
    let net = Net::start().await;
    let doctor = Person::new("doctor");
    for (args, expected) in [
        (vec![], "no function name was given"),
        (
            vec![&b"\xff\xfe"[..], b"x"],
            "the function name is not UTF-8",
        ),
        (vec![&b"Nope"[..], b"x"], "unknown function"),
        (vec![&b"Get"[..]], "takes exactly one argument"),
    ] {
        let before = net.peer.world_state();
        let r = net
            .peer
            .invoke(&doctor.creator, &args, &Default::default())
            .await
            .unwrap();
        assert_refused(&r, ErrorCode::BadCall, expected);
        assert_eq!(net.peer.world_state(), before);
    }
}

/// A self-signed certificate of a P-384 key.
fn p384_certificate() -> rcgen::Certificate {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    rcgen::CertificateParams::new(vec!["p384".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
}

#[tokio::test]
async fn a_registration_certificate_without_a_p256_key_is_refused() {
    let net = Net::start().await;
    let doctor = Person::new("doctor");
    let p384 = p384_certificate();
    let mut input = reg(&doctor, Role::Doctor);
    if let Some(Record::Reg(r)) = &mut input.record {
        r.certificate_pem = p384.pem();
    }
    net.rejected(
        &doctor,
        &input,
        ErrorCode::Invalid,
        "the certificate's public key is not a P-256 key",
    )
    .await;
}

#[tokio::test]
async fn a_creator_without_a_p256_key_is_refused() {
    let net = Net::start().await;
    let c = Cast::registered(&net).await;
    let p384 = p384_certificate();
    // The shim parses any X.509 identity; the contract insists on P-256.
    let identity = fabric_shim::ClientIdentity::from_pem("Org1MSP", &p384.pem()).unwrap();
    let stranger = Person {
        identity,
        creator: fabric_shim::mock_peer::serialized_identity("Org1MSP", &p384.pem()),
        signing_key: c.doctor.signing_key.clone(),
    };
    net.rejected(
        &stranger,
        &txtc(c.opening()),
        ErrorCode::Unauthorized,
        "txtc: the certificate's public key is not a P-256 key",
    )
    .await;
    let mut input = reg(&c.doctor, Role::Doctor);
    if let Some(Record::Reg(r)) = &mut input.record {
        r.certificate_pem = p384.pem();
    }
    net.rejected(
        &stranger,
        &input,
        ErrorCode::Invalid,
        "reg: the certificate's public key is not a P-256 key",
    )
    .await;
}
