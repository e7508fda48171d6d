//! End-to-end tests against a real Fabric network (peer, orderer, our
//! chaincode as a service, the gateway), one identity per role. Run them
//! one at a time: some restart the network's processes.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use medchain_e2e::*;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecord, InputParameter, Registration, Role};
use medchain_sdk::workflow::{self, CaseView, Notification, Watcher};
use medchain_siff::{CaseId, RecordType};
use tokio::sync::mpsc;

/// Waits until the doctor's watcher has established the key.
async fn until_established(rx: &mut mpsc::UnboundedReceiver<Heard>, case: CaseId) -> Vec<String> {
    let mut answered = Vec::new();
    loop {
        match next(rx).await {
            (who, Notification::Answered { case: c }) if c == case => answered.push(who),
            (
                who,
                Notification::KeyEstablished {
                    case: c,
                    participants,
                },
            ) if c == case => {
                assert_eq!((who.as_str(), participants), ("doctor", 6));
                answered.sort();
                return answered;
            }
            _ => {}
        }
    }
}

/// Collects `count` record notifications.
async fn record_notifications(
    rx: &mut mpsc::UnboundedReceiver<Heard>,
    count: usize,
) -> Vec<(String, &'static str)> {
    let mut heard = Vec::new();
    while heard.len() < count {
        if let (who, Notification::NewRecord { record_type, .. }) = next(rx).await {
            heard.push((who, record_type.label()));
        }
    }
    heard.sort();
    heard
}

async fn add(u: &User, case: &CaseId, t: RecordType, text: &str) -> [u8; 32] {
    workflow::add_record(
        &u.ledger,
        Some(&u.wallet),
        &u.password,
        case,
        t,
        text.as_bytes(),
        POLICY,
    )
    .await
    .unwrap_or_else(|e| panic!("{} storing {}: {e}", u.name, t.label()))
}

#[tokio::test]
async fn the_complete_case_for_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watchers: Vec<_> = c
        .responders()
        .into_iter()
        .chain([&c.doctor, &c.stranger])
        .map(|u| watch(u, tx.clone()))
        .collect();

    let case = c.open().await;
    let answered = until_established(&mut rx, case).await;
    assert_eq!(
        answered,
        ["family", "insurer", "lawyer", "patient", "pharmacist"]
    );

    add(
        &c.doctor,
        &case,
        RecordType::Diagnosis,
        "pneumonia; amoxicillin 3x500 mg for 7 days",
    )
    .await;
    assert_eq!(
        record_notifications(&mut rx, 3).await,
        [
            ("family".into(), "txd"),
            ("patient".into(), "txd"),
            ("pharmacist".into(), "txd")
        ]
    );
    add(
        &c.pharmacist,
        &case,
        RecordType::Medication,
        "amoxicillin 500 mg x21: 12.40 EUR",
    )
    .await;
    assert_eq!(
        record_notifications(&mut rx, 3).await,
        [
            ("family".into(), "txm"),
            ("insurer".into(), "txm"),
            ("patient".into(), "txm")
        ]
    );
    add(
        &c.insurer,
        &case,
        RecordType::Compensation,
        "reimbursed 12.40 EUR",
    )
    .await;
    assert_eq!(
        record_notifications(&mut rx, 2).await,
        [("family".into(), "txa"), ("patient".into(), "txa")]
    );

    // The lawyer audits the whole case with its password alone.
    let audit = workflow::audit(&c.lawyer.ledger, &c.lawyer.password, &case, POLICY)
        .await
        .unwrap();
    let texts: Vec<_> = audit
        .iter()
        .map(|r| {
            (
                r.record_type.label(),
                String::from_utf8(r.plaintext.as_ref().unwrap().to_vec()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        texts,
        [
            (
                "txd",
                "pneumonia; amoxicillin 3x500 mg for 7 days".to_owned()
            ),
            ("txm", "amoxicillin 500 mg x21: 12.40 EUR".to_owned()),
            ("txa", "reimbursed 12.40 EUR".to_owned()),
        ]
    );
    // Every participant holds the same key; the stranger does not.
    let key = workflow::recover_case_key(&c.doctor.ledger, &c.doctor.password, &case, POLICY)
        .await
        .unwrap();
    for u in c.responders() {
        assert!(
            workflow::recover_case_key(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap()
                == key,
            "{}",
            u.name
        );
    }
    let err = workflow::audit(&c.stranger.ledger, &c.stranger.password, &case, POLICY)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot decrypt: wrong password or not a participant of this case"
    );

    // Nobody else heard of the records (the stranger heard nothing at all).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    while let Ok((who, n)) = rx.try_recv() {
        assert!(
            !matches!(n, Notification::NewRecord { .. }) && who != "stranger",
            "{who}: {n:?}"
        );
    }
    for w in watchers {
        w.abort();
    }
}

/// Protocol v2, attack 2 on the real peers: the contract enforces the
/// consortium's KDF floor (the suite's network lowers it to 64 KiB, t = 1),
/// and a case a participant's watcher cannot answer — its parameters meet
/// the floor but not the participant's own minimum — is set aside with its
/// reason instead of stopping the watcher: the genuine case after it is
/// answered.
#[tokio::test]
async fn the_kdf_floor_holds_and_no_case_wedges_a_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let c = &c;
    let open = |kdf: medchain_siff::KdfParams| async move {
        workflow::open_case(
            &c.doctor.ledger,
            &c.doctor.wallet,
            &c.doctor.password,
            &c.selection(),
            kdf,
            POLICY,
        )
        .await
    };
    let height = c.doctor.ledger.height().await.unwrap();
    let err = open(medchain_siff::KdfParams {
        m_kib: 63,
        t: 1,
        p: 1,
    })
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("txtc: kdf.m_kib = 63 KiB is below the consortium's floor of 64 KiB"),
        "{text}"
    );
    let medchain_sdk::workflow::WorkflowError::Ledger(err) = err else {
        panic!("not a ledger refusal: {text}");
    };
    assert_eq!(
        err.contract_failure().map(|f| f.code),
        Some(medchain_protocol::ErrorCode::Invalid)
    );
    assert_eq!(c.doctor.ledger.height().await.unwrap(), height);

    let weak = open(FAST).await.unwrap();
    let strong = open(medchain_siff::KdfParams::DEFAULT).await.unwrap();
    let patient = &c.patient;
    let watcher = Watcher::new(
        patient.ledger.clone(),
        patient.wallet.clone(),
        &patient.password,
        medchain_siff::KdfPolicy::RequireMinimum,
    );
    let mut seen = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        watcher.run(
            |n| seen.push(n.clone()),
            |n| !matches!(n, Notification::Answered { .. }),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        matches!(&seen[0], Notification::Refused { case, reason }
            if *case == weak && reason.contains("are below the minimum")),
        "{seen:?}"
    );
    assert_eq!(seen[1], Notification::Answered { case: strong });
    let entry = patient.wallet.profile().unwrap().cases[&hex::encode(weak.as_bytes())].clone();
    assert_eq!(entry.status, medchain_sdk::wallet::CaseStatus::Refused);
}

/// `u`'s signature over case `case`'s `tag` with its Fabric identity key.
fn sign_tag(u: &User, case: &CaseId, tag: &[u8]) -> Vec<u8> {
    let signer = medchain_sdk::connect::identity_signer(
        &u.wallet.profile().unwrap(),
        &u.wallet.secrets(&u.password).unwrap(),
    )
    .unwrap();
    fabric_gateway::sign_message(
        &signer,
        &medchain_protocol::signature::tag_signature_message(case.as_bytes(), tag),
    )
    .unwrap()
}

/// Protocol v2, attack 1 on the real peers: once everyone has answered, a
/// listed pharmacist cannot fix the case's tag (not even a real polynomial
/// it signed), nobody can store a constant polynomial (the paper's public
/// key K′ = α_0), and a record must carry the doctor's signature over this
/// case's tag. Nothing is written; the doctor's genuine record follows and
/// every participant decrypts it.
#[tokio::test]
async fn only_the_doctor_fixes_the_tag_of_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let case = c.established().await;
    let view = CaseView::load(&c.lawyer.ledger, &case).await.unwrap();
    let k = view.case.len();
    let refused = |err: medchain_sdk::ledger::LedgerError, code, expected: &str| {
        let text = err.to_string();
        assert!(text.contains(expected), "{text:?} lacks {expected:?}");
        assert_eq!(err.contract_failure().map(|f| f.code), Some(code), "{text}");
    };
    let record = |u: &User, tag: Vec<u8>, signature: Vec<u8>| CaseRecord {
        case_key: case.as_bytes().to_vec(),
        participants: view.case.others(u.ledger.ind()),
        tag,
        ciphertext: vec![1; 256 + 28],
        tag_signature: signature,
        epoch: 0,
    };
    let mut constant = vec![0u8; 66 * k];
    constant[65] = 42;
    let mut own = vec![0u8; 66 * k];
    own[65] = 7;
    own[131] = 1;
    // The pharmacist's constant polynomial (the paper's attack), and a
    // real polynomial of its own.
    for (tag, code, expected) in [
        (
            constant.clone(),
            medchain_protocol::ErrorCode::Invalid,
            "txm: the tag is degenerate: every coefficient but α_0 is zero",
        ),
        (
            own,
            medchain_protocol::ErrorCode::OutOfOrder,
            "the doctor has not fixed the tag of case",
        ),
    ] {
        let input = InputParameter {
            record: Some(Record::Txm(record(
                &c.pharmacist,
                tag.clone(),
                sign_tag(&c.pharmacist, &case, &tag),
            ))),
        };
        refused(
            c.pharmacist.ledger.store(&input).await.unwrap_err(),
            code,
            expected,
        );
    }
    // The constant polynomial even from the doctor.
    let input = InputParameter {
        record: Some(Record::Txd(record(
            &c.doctor,
            constant.clone(),
            sign_tag(&c.doctor, &case, &constant),
        ))),
    };
    refused(
        c.doctor.ledger.store(&input).await.unwrap_err(),
        medchain_protocol::ErrorCode::Invalid,
        "the tag is degenerate",
    );
    assert!(
        CaseView::load(&c.lawyer.ledger, &case)
            .await
            .unwrap()
            .records
            .is_empty()
    );

    // The doctor's genuine record; then a pharmacist's record that carries
    // the doctor's tag re-signed by the pharmacist is refused.
    add(&c.doctor, &case, RecordType::Diagnosis, "genuine").await;
    let fixed = CaseView::load(&c.lawyer.ledger, &case)
        .await
        .unwrap()
        .records[0]
        .record
        .clone();
    let input = InputParameter {
        record: Some(Record::Txm(record(
            &c.pharmacist,
            fixed.tag.clone(),
            sign_tag(&c.pharmacist, &case, &fixed.tag),
        ))),
    };
    refused(
        c.pharmacist.ledger.store(&input).await.unwrap_err(),
        medchain_protocol::ErrorCode::Invalid,
        "the tag signature is not the case's doctor's",
    );
    for u in c.responders().into_iter().chain([&c.doctor]) {
        let records = workflow::audit(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
        assert_eq!(records.len(), 1, "{}", u.name);
        assert_eq!(
            records[0].plaintext.as_deref().map(Vec::as_slice),
            Some(&b"genuine"[..]),
            "{}",
            u.name
        );
    }
}

#[tokio::test]
async fn the_peer_running_our_chaincode_enforces_authorization() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let case = c.open().await;
    let lawyer = c.lawyer.ledger.clone();
    let records = |case: CaseId| {
        let lawyer = lawyer.clone();
        async move { CaseView::load(&lawyer, &case).await.unwrap() }
    };

    // A stranger answering someone else's case.
    let err = c
        .stranger
        .ledger
        .store(&InputParameter {
            record: Some(Record::Txtr(medchain_protocol::v1::CaseResponse {
                case_key: case.as_bytes().to_vec(),
                responder: c.stranger.ledger.ind(),
                ephemeral_key: hex::decode(workflow::public_key_hex(&c.stranger.ledger)).unwrap()
                    [..33]
                    .to_vec(),
                sealed_secret: vec![0; 60],
            })),
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not a participant of case"),
        "{err}"
    );

    for u in c.responders() {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    // A second response from the same participant (the workflow refuses it
    // locally, so send it raw).
    let view = records(case).await;
    let again = InputParameter {
        record: Some(Record::Txtr(view.responses[0].0.clone())),
    };
    let responder = c
        .responders()
        .into_iter()
        .find(|u| u.ledger.ind() == view.responses[0].0.responder)
        .unwrap();
    let err = responder.ledger.store(&again).await.unwrap_err();
    assert!(err.to_string().contains("already_stored: "), "{err}");
    assert_eq!(
        err.contract_failure().map(|f| f.code),
        Some(medchain_protocol::ErrorCode::AlreadyStored)
    );

    establish(&c, &case).await;
    add(&c.doctor, &case, RecordType::Diagnosis, "genuine").await;
    let before = records(case).await;

    // A pharmacist submitting a diagnosis.
    let genuine = before.records[0].record.clone();
    let forged = InputParameter {
        record: Some(Record::Txd(CaseRecord {
            case_key: case.as_bytes().to_vec(),
            participants: before.case.others(c.pharmacist.ledger.ind()),
            tag: genuine.tag,
            ciphertext: vec![1; 256 + 28],
            tag_signature: genuine.tag_signature,
            epoch: 0,
        })),
    };
    let err = c.pharmacist.ledger.store(&forged).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("only the case's doctor may store a txd"),
        "{err}"
    );
    assert_eq!(
        err.contract_failure().map(|f| f.code),
        Some(medchain_protocol::ErrorCode::Unauthorized)
    );

    // Re-registering a taken index.
    let err = c
        .doctor
        .ledger
        .store(&InputParameter {
            record: Some(Record::Reg(Registration {
                role: Role::Doctor as i32,
                certificate_pem: c.doctor.ledger.identity().certificate_pem().into(),
                msp_id: "Org1MSP".into(),
            })),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is already registered"), "{err}");
    assert_eq!(
        err.contract_failure().map(|f| f.code),
        Some(medchain_protocol::ErrorCode::AlreadyStored)
    );

    // Nothing was committed by any of the rejected transactions.
    let after = records(case).await;
    assert_eq!(after.responses.len(), before.responses.len());
    assert_eq!(after.records.len(), before.records.len());
}

#[tokio::test]
async fn a_restarted_participant_receives_every_event_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let case = c.open().await;
    let patient = &c.patient;

    // The patient's client answers the case, then stops.
    let mut seen = Vec::new();
    let first = Watcher::new(
        patient.ledger.clone(),
        patient.wallet.clone(),
        &patient.password,
        POLICY,
    );
    tokio::time::timeout(
        WAIT,
        first.run(
            |n| seen.push(n.clone()),
            |n| !matches!(n, Notification::Answered { .. }),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    for u in c.responders().into_iter().filter(|u| u.name != "patient") {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    establish(&c, &case).await;
    add(&c.doctor, &case, RecordType::Diagnosis, "one").await;
    add(&c.pharmacist, &case, RecordType::Medication, "two").await;
    add(&c.insurer, &case, RecordType::Compensation, "three").await;

    // Restarted from its checkpoint: exactly the three records, once each.
    let second = Watcher::new(
        patient.ledger.clone(),
        medchain_sdk::wallet::Wallet::open(patient.wallet.dir()).unwrap(),
        &patient.password,
        POLICY,
    );
    let mut records = 0;
    tokio::time::timeout(
        WAIT,
        second.run(
            |n| seen.push(n.clone()),
            |n| {
                records += usize::from(matches!(n, Notification::NewRecord { .. }));
                records < 3
            },
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let kinds: Vec<String> = seen
        .iter()
        .map(|n| match n {
            Notification::Answered { .. } => "answered".into(),
            Notification::NewRecord { record_type, .. } => record_type.label().into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["answered", "txd", "txm", "txa"]);
    // And nothing more arrives.
    let third = Watcher::new(
        patient.ledger.clone(),
        patient.wallet.clone(),
        &patient.password,
        POLICY,
    );
    let extra = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        third.run(|_| {}, |_| false),
    )
    .await;
    assert!(extra.is_err(), "a restarted watcher handled an event twice");
}

/// Drives a case to its end around a restart of `process`.
async fn case_survives_a_restart_of(processes: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let case = c.open().await;
    for u in &c.responders()[..2] {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }

    for process in processes {
        crash(process);
    }
    network_script("up.sh"); // restarts exactly the missing processes

    for u in &c.responders()[2..] {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    establish(&c, &case).await;
    add(&c.doctor, &case, RecordType::Diagnosis, "d").await;
    add(&c.pharmacist, &case, RecordType::Medication, "m").await;
    add(&c.insurer, &case, RecordType::Compensation, "a").await;
    let view = CaseView::load(&c.lawyer.ledger, &case).await.unwrap();
    assert_eq!(view.responses.len(), 5, "a response was lost or duplicated");
    assert_eq!(view.records.len(), 3, "a record was lost or duplicated");
    let audit = workflow::audit(&c.lawyer.ledger, &c.lawyer.password, &case, POLICY)
        .await
        .unwrap();
    let texts: Vec<_> = audit
        .iter()
        .map(|r| r.plaintext.as_ref().unwrap().to_vec())
        .collect();
    assert_eq!(texts, [b"d".to_vec(), b"m".to_vec(), b"a".to_vec()]);
}

/// Protocol v2, attack 3 (unbounded reads): a case of five records of
/// about 1 MiB — an unpaged `GetCase` would answer more than gRPC's 4 MiB
/// default receive limit — is audited by a participant through
/// `GetCase` pages of at most 2 MiB, and every record decrypts.
#[tokio::test]
async fn a_case_of_five_one_mib_records_is_audited_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let case = c.established().await;
    let size = medchain_protocol::limits::MAX_PLAINTEXT_BYTES;
    let written: Vec<Vec<u8>> = (0..5u8).map(|n| vec![b'a' + n; size]).collect();
    for plaintext in &written {
        workflow::add_record(
            &c.doctor.ledger,
            Some(&c.doctor.wallet),
            &c.doctor.password,
            &case,
            RecordType::Diagnosis,
            plaintext,
            POLICY,
        )
        .await
        .unwrap();
    }
    let started = std::time::Instant::now();
    let mut seen = 0;
    let summary = workflow::audit_pages(
        &c.lawyer.ledger,
        &c.lawyer.password,
        &case,
        POLICY,
        |record| {
            assert_eq!(
                record.plaintext.as_deref().map(Vec::as_slice),
                Some(written[seen].as_slice()),
                "record {seen}"
            );
            seen += 1;
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!((seen, summary.decrypted), (5, 5));
    // One 1 MiB record a page: two would pass the 2 MiB budget.
    assert_eq!(summary.pages, 5);
    eprintln!(
        "audited 5 records of {size} bytes in {} pages in {:?}",
        summary.pages,
        started.elapsed()
    );
}

#[tokio::test]
async fn the_case_completes_when_the_chaincode_servers_restart_mid_case() {
    // Every server the orgs run: the Rust one, and on the mixed-language
    // network the Go one too.
    case_survives_a_restart_of(&chaincode_servers()).await;
}

#[tokio::test]
async fn the_case_completes_when_a_peer_restarts_mid_case() {
    case_survives_a_restart_of(&["peer0.org2.example.com"]).await;
}

#[tokio::test]
async fn the_demo_runs_against_the_network() {
    let dir = tempfile::tempdir().unwrap();
    ensure_registered().await;
    let output = Command::new(medchain_binary())
        .args(["demo", "--gateway"])
        .arg(profile_path())
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "medchain demo --gateway failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    // The revocation epilogue ran on the peers too.
    assert!(
        stdout.contains(
            "✓ Erin (insurer) still reads the 3 records of epoch 0 but not the review of epoch 1"
        ),
        "{stdout}"
    );
    // The diagnosis's attachment went through the network's Kubo node.
    assert!(
        stdout.contains("fetched chest-xray.dcm from http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✓ the lawyer's copy of chest-xray.dcm matches the doctor's byte for byte"),
        "{stdout}"
    );
}

/// Runs `program args…`; its success and standard output.
fn run(program: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    )
}

/// The value of the jq `filter` in the network's client profile.
fn jq(filter: &str) -> String {
    let profile = profile_path();
    let profile = profile.to_str().unwrap();
    let (ok, out) = run("jq", &["-er", filter, profile]);
    assert!(ok, "jq {filter} {profile} failed");
    out
}

/// The role policy the network initialized the chaincode with (network/lib/
/// config.sh) decides who registers as what, from the certificate's
/// `medchain.role` that the org's Fabric CA wrote, never from what the
/// submitter claims; a self-made "doctor" cannot open a case, so no
/// participant's watcher ever answers it.
#[tokio::test]
async fn the_chaincode_trusts_a_role_only_from_the_org_ca_and_the_policy() {
    ensure_registered().await;
    let dir = tempfile::tempdir().unwrap();
    let stranger = user(dir.path(), "stranger").await;
    // tests/run-all.sh initializes the network with this policy
    // (MEDCHAIN_ROLE_POLICY), the KDF floor lowered to the suite's
    // parameters.
    let expected = medchain_contract::policy::from_text([
        "Org1MSP=doctor",
        "Org2MSP=pharmacist,insurer,lawyer-expert",
        "kdf-floor=64,1",
    ])
    .unwrap();
    assert_eq!(stranger.ledger.get_policy().await.unwrap(), expected);

    let refused = |err: medchain_sdk::workflow::WorkflowError, expected: &str| {
        let text = err.to_string();
        assert!(text.contains(expected), "{text:?} lacks {expected:?}");
        let medchain_sdk::workflow::WorkflowError::Ledger(err) = err else {
            panic!("not a ledger refusal: {text}");
        };
        assert_eq!(
            err.contract_failure().map(|f| f.code),
            Some(medchain_protocol::ErrorCode::Unauthorized),
            "{text}"
        );
    };
    // A family member's certificate (medchain.role=family) as a doctor.
    refused(
        workflow::register(&stranger.ledger, Role::Doctor)
            .await
            .unwrap_err(),
        "the submitter's certificate says medchain.role=family, not doctor",
    );
    // A channel member whose certificate has no attribute (cryptogen's admin).
    let network = medchain_sdk::connect::NetworkProfile::read(&profile_path()).unwrap();
    let admin_msp = std::path::PathBuf::from(jq(".orgs.org1.admin.msp_dir"));
    let admin = user_from_msp(
        dir.path(),
        "org1-admin",
        medchain_sdk::wallet::UserRole::Doctor,
        "org1",
        &network.org("org1").unwrap().msp_id,
        &admin_msp,
    )
    .await;
    refused(
        workflow::register(&admin.ledger, Role::Doctor)
            .await
            .unwrap_err(),
        "the submitter's certificate has no medchain.role attribute",
    );
    // A pharmacist the hospital's CA certified, where only the pharmacy's may.
    let hospital_pharmacist = user(dir.path(), "hospital-pharmacist").await;
    refused(
        workflow::register(&hospital_pharmacist.ledger, Role::Pharmacist)
            .await
            .unwrap_err(),
        "the consortium's policy does not let Org1MSP issue the pharmacist role (it may issue doctor)",
    );
    for u in [&stranger, &admin, &hospital_pharmacist] {
        assert!(
            u.ledger
                .get_participant(u.ledger.ind())
                .await
                .unwrap()
                .is_none(),
            "{} was registered",
            u.name
        );
    }

    // The stranger, unable to register, opens a case naming the real
    // participants anyway: the peers refuse it, and the participants'
    // watchers (running throughout) receive nothing and submit nothing.
    let cast_dir = tempfile::tempdir().unwrap();
    let c = Cast::new(cast_dir.path()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watchers: Vec<_> = c
        .responders()
        .into_iter()
        .map(|u| watch(u, tx.clone()))
        .collect();
    let mut selection = c.selection();
    selection.doctor = workflow::format_ind(stranger.ledger.ind());
    let secrets = c.patient.wallet.secrets(&c.patient.password).unwrap();
    let profile = c.patient.wallet.profile().unwrap();
    selection
        .sign(&medchain_sdk::connect::identity_signer(&profile, &secrets).unwrap())
        .unwrap();
    let err = workflow::open_case(
        &stranger.ledger,
        &stranger.wallet,
        &stranger.password,
        &selection,
        FAST,
        POLICY,
    )
    .await
    .unwrap_err();
    refused(
        err,
        "the submitter is not registered as a doctor; register first",
    );
    let quiet = tokio::time::timeout(std::time::Duration::from_secs(3), rx.recv()).await;
    assert!(quiet.is_err(), "a watcher acted: {quiet:?}");
    for w in watchers {
        w.abort();
    }
    for u in c.responders() {
        assert!(u.wallet.profile().unwrap().cases.is_empty(), "{}", u.name);
    }
}

/// Every identity a test user has comes from its organization's Fabric CA
/// (network/lib/ca.sh), not from cryptogen: the certificate chains to the
/// CA root the profile names and not to cryptogen's, it is a client
/// (OU=client) and carries the role attribute its registrar gave it.
#[test]
fn every_role_is_enrolled_from_its_orgs_ca() {
    for (name, attribute) in [
        ("doctor", "doctor"),
        ("patient", "patient"),
        ("family", "family"),
        ("stranger", "family"),
        ("pharmacist", "pharmacist"),
        ("insurer", "insurer"),
        ("lawyer", "lawyer-expert"),
        ("hospital-pharmacist", "pharmacist"),
    ] {
        let role = |field: &str| jq(&format!(".roles[\"{name}\"].{field}"));
        let (cert, org) = (role("cert"), role("org"));
        assert_eq!(role("role_attribute"), attribute, "{name}");
        assert!(cert.ends_with("/msp/signcerts/cert.pem"), "{name}: {cert}");
        let ca_root = jq(&format!(".orgs[\"{org}\"].ca.root_cert"));
        let (ok, _) = run("openssl", &["verify", "-CAfile", &ca_root, &cert]);
        assert!(
            ok,
            "{name}'s certificate {cert} is not issued by {org}'s CA ({ca_root})"
        );
        let admin_msp = jq(&format!(".orgs[\"{org}\"].admin.msp_dir"));
        let (_, cryptogen_root) = run("sh", &["-c", &format!("ls {admin_msp}/cacerts/*.pem")]);
        let (ok, _) = run("openssl", &["verify", "-CAfile", &cryptogen_root, &cert]);
        assert!(
            !ok,
            "{name}'s certificate chains to cryptogen's root {cryptogen_root}"
        );
        let (_, text) = run(
            "openssl",
            &["x509", "-in", &cert, "-noout", "-subject", "-text"],
        );
        assert!(
            text.contains("OU = client"),
            "{name} is not a client: {text}"
        );
        assert!(
            text.contains(&format!("\"medchain.role\":\"{attribute}\"")),
            "{name}'s certificate lacks medchain.role={attribute}: {text}"
        );
    }
}

/// `peer chaincode query` of qscc's GetChainInfo on peer0.org1, signed by
/// the MSP folder `msp` as Org1MSP (network/cli-env.sh's environment).
fn chain_info_as(msp: &std::path::Path) -> (bool, String) {
    let script = format!(
        "eval \"$(bash {}/network/cli-env.sh org1)\" && CORE_PEER_MSPCONFIGPATH={} \
         peer chaincode query -C medchain -n qscc -c '{{\"Args\":[\"GetChainInfo\",\"medchain\"]}}' 2>&1",
        repo().display(),
        msp.display()
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .env("MEDCHAIN_NETWORK_DIR", work_dir())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The org's CA can make clients only: an identity its registrar registers
/// with type admin (OU=admin in the certificate) matches none of the org's
/// node OUs under the CA's root (network/lib/ca.sh binds admin, peer and
/// orderer to cryptogen's), so the peer refuses it, while a participant
/// enrolled from the same CA reads the channel.
#[test]
fn a_ca_issued_admin_is_no_member_of_the_org() {
    let (url, name, root, registrar) = (
        jq(".orgs.org1.ca.url"),
        jq(".orgs.org1.ca.ca_name"),
        jq(".orgs.org1.ca.tls_ca"),
        jq(".orgs.org1.ca.registrar.msp_dir"),
    );
    let bin = std::env::var("MEDCHAIN_FABRIC_CA_BIN").unwrap_or_else(|_| {
        let script = format!(
            "source {}/network/lib/fabric-ca.sh && echo \"$FABRIC_CA_BIN\"",
            repo().display()
        );
        run("bash", &["-c", &script]).1
    });
    let client = format!("{bin}/fabric-ca-client");
    let home = std::path::Path::new(&registrar)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let id = format!(
        "rogue-admin-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let common: [&str; 4] = ["--caname", &name, "--tls.certfiles", &root];
    let mut register: Vec<&str> = vec!["register", "-u", &url, "-H", &home, "--mspdir", &registrar];
    register.extend(common);
    register.extend(["--id.name", &id, "--id.type", "admin"]);
    let (ok, out) = run(&client, &register);
    assert!(ok, "fabric-ca-client register {id} failed: {out}");
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .unwrap_or_else(|| panic!("no secret in {out:?}"));
    let dir = tempfile::tempdir().unwrap();
    let msp = dir.path().join("msp");
    let output = Command::new(&client)
        .args([
            "enroll",
            "-H",
            dir.path().to_str().unwrap(),
            "--mspdir",
            msp.to_str().unwrap(),
        ])
        .args(common)
        .env(
            "FABRIC_CA_CLIENT_URL",
            url.replacen("https://", &format!("https://{id}:{secret}@"), 1),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "enroll {id}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Its own MSP folder classifies it under its CA, so the peer CLI loads it.
    let doctor = std::path::PathBuf::from(jq(".roles.doctor.msp_dir"));
    let cacert = std::fs::read_dir(msp.join("cacerts"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let config = std::fs::read_to_string(doctor.join("config.yaml")).unwrap();
    let doctor_cacert = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("Certificate: "))
        .unwrap();
    std::fs::write(
        msp.join("config.yaml"),
        config.replace(
            doctor_cacert,
            &format!("cacerts/{}", cacert.to_str().unwrap()),
        ),
    )
    .unwrap();
    let (_, subject) = run(
        "openssl",
        &[
            "x509",
            "-in",
            msp.join("signcerts/cert.pem").to_str().unwrap(),
            "-noout",
            "-subject",
        ],
    );
    assert!(subject.contains("OU = admin"), "{subject}");

    let (ok, out) = chain_info_as(&msp);
    assert!(!ok, "the peer answered a CA-issued admin: {out}");
    assert!(out.contains("access denied"), "{out}");
    let (ok, out) = chain_info_as(&doctor);
    assert!(ok, "the CA-enrolled doctor cannot read the channel: {out}");
}
