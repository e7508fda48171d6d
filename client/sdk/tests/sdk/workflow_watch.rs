//! Event-driven workflow on the embedded ledger: watchers answer cases and
//! establish keys, events reach exactly their receivers, restarts lose and
//! repeat nothing; cases of 2 to 8 participants; tampered records.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::workflow_support::{FAST, POLICY, User, selection_for, signed, user, user_issued_by};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseRecord, InputParameter};
use medchain_sdk::ledger::Ledger;
use medchain_sdk::ledger::embedded::{EmbeddedLedger, INSECURE_TEST_KDF_FLOOR, LocalCa};
use medchain_sdk::wallet::{UserRole, Wallet};
use medchain_sdk::workflow::{self, Notification, Selection, Watcher, format_ind};
use medchain_siff::{CaseId, RecordType};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);

/// A case with `pharmacists` pharmacists and every other role once.
struct Scenario {
    doctor: User,
    others: Vec<User>,
}

impl Scenario {
    async fn new(root: &Path, pharmacists: usize) -> Self {
        let doctor = user(root, "doctor", UserRole::Doctor).await;
        Self::with_doctor(root, pharmacists, doctor).await
    }

    async fn with_doctor(root: &Path, pharmacists: usize, doctor: User) -> Self {
        let mut others = vec![
            user(root, "patient", UserRole::Patient).await,
            user(root, "family", UserRole::Family).await,
        ];
        for n in 0..pharmacists {
            others.push(user(root, &format!("pharmacist{n}"), UserRole::Pharmacist).await);
        }
        others.push(user(root, "insurer", UserRole::Insurer).await);
        others.push(user(root, "lawyer", UserRole::LawyerExpert).await);
        Self { doctor, others }
    }

    fn get(&self, name: &str) -> &User {
        self.others
            .iter()
            .chain([&self.doctor])
            .find(|u| u.name == name)
            .unwrap()
    }

    fn selection(&self) -> Selection {
        let mut s = selection_for(self.get("patient"), &self.doctor);
        s.family_keys
            .push(workflow::public_key_hex(&self.get("family").ledger));
        for u in &self.others {
            let ind = format_ind(u.ledger.ind());
            if u.name.starts_with("pharmacist") {
                s.pharmacists.push(ind);
            } else if u.name == "insurer" {
                s.insurers.push(ind);
            } else if u.name == "lawyer" {
                s.lawyer_experts.push(ind);
            }
        }
        signed(s, self.get("patient"))
    }

    /// Opens a case and has every other participant answer it.
    async fn answered(&self) -> CaseId {
        let case = self.open().await;
        for u in &self.others {
            workflow::respond(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap();
        }
        case
    }

    /// The doctor establishes the key of an answered case.
    async fn establish(&self, case: &CaseId) {
        workflow::establish(
            &self.doctor.ledger,
            &self.doctor.wallet,
            &self.doctor.password,
            case,
            POLICY,
        )
        .await
        .unwrap();
    }

    /// The doctor stores a diagnosis.
    async fn diagnose(&self, case: &CaseId, text: &[u8]) {
        workflow::add_record(
            &self.doctor.ledger,
            Some(&self.doctor.wallet),
            &self.doctor.password,
            case,
            RecordType::Diagnosis,
            text,
            POLICY,
        )
        .await
        .unwrap();
    }

    async fn open(&self) -> CaseId {
        workflow::open_case(
            &self.doctor.ledger,
            &self.doctor.wallet,
            &self.doctor.password,
            &self.selection(),
            FAST,
            POLICY,
        )
        .await
        .unwrap()
    }
}

/// Runs a watcher for `u` in the background, forwarding its notifications.
fn watch(
    u: &User,
    tx: mpsc::UnboundedSender<(String, Notification)>,
) -> tokio::task::JoinHandle<()> {
    let watcher = Watcher::new(u.ledger.clone(), u.wallet.clone(), &u.password, POLICY);
    let name = u.name.clone();
    tokio::spawn(async move {
        watcher
            .run(|n| drop(tx.send((name.clone(), n.clone()))), |_| true)
            .await
            .unwrap();
    })
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(String, Notification)>) -> (String, Notification) {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a notification in time")
        .unwrap()
}

#[tokio::test]
async fn watchers_drive_the_case_and_events_reach_exactly_their_receivers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let tasks: Vec<_> = s
        .others
        .iter()
        .chain([&s.doctor])
        .map(|u| watch(u, tx.clone()))
        .collect();
    let case = s.open().await;

    // Every participant answers on its own; the doctor's watcher
    // establishes the key when the last response arrives.
    let mut answered = Vec::new();
    loop {
        match next(&mut rx).await {
            (who, Notification::Answered { case: c }) => {
                assert_eq!(c, case);
                answered.push(who);
            }
            (
                who,
                Notification::KeyEstablished {
                    case: c,
                    participants,
                },
            ) => {
                assert_eq!((who.as_str(), c, participants), ("doctor", case, 6));
                break;
            }
            _ => {}
        }
    }
    answered.sort();
    assert_eq!(
        answered,
        ["family", "insurer", "lawyer", "patient", "pharmacist0"]
    );

    let record = |u: &User, t: RecordType, msg: &str| {
        let (u, msg) = (u.clone(), msg.to_owned());
        async move {
            workflow::add_record(
                &u.ledger,
                Some(&u.wallet),
                &u.password,
                &case,
                t,
                msg.as_bytes(),
                POLICY,
            )
            .await
            .unwrap()
        }
    };
    let mut notified: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut collect = async |rx: &mut mpsc::UnboundedReceiver<(String, Notification)>,
                             count: usize| {
        for _ in 0..count {
            loop {
                if let (who, Notification::NewRecord { record_type, .. }) = next(rx).await {
                    notified.entry(record_type.label()).or_default().push(who);
                    break;
                }
            }
        }
    };
    record(&s.doctor, RecordType::Diagnosis, "diagnosis").await;
    collect(&mut rx, 3).await; // patient, family, pharmacist
    record(s.get("pharmacist0"), RecordType::Medication, "medicines").await;
    collect(&mut rx, 3).await; // patient, family, insurer
    record(s.get("insurer"), RecordType::Compensation, "compensation").await;
    collect(&mut rx, 2).await; // patient, family
    for names in notified.values_mut() {
        names.sort();
    }
    assert_eq!(notified["txd"], ["family", "patient", "pharmacist0"]);
    assert_eq!(notified["txm"], ["family", "insurer", "patient"]);
    assert_eq!(notified["txa"], ["family", "patient"]);
    // Nobody else was notified of anything.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok((who, n)) = rx.try_recv() {
        assert!(
            !matches!(n, Notification::NewRecord { .. }),
            "{who} was notified of {n:?}"
        );
    }
    for t in tasks {
        t.abort();
    }
}

#[tokio::test]
async fn a_doctor_killed_before_key_establishment_finishes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let case = s.open().await;
    let doctor_dir = s.doctor.wallet.dir().to_owned();
    let doctor_identity = s.doctor.ledger.identity().clone();
    let password = s.doctor.password.clone();
    let Scenario { doctor, others } = s;
    drop(doctor); // the doctor's process dies: nothing but its wallet and the ledger remain
    for u in &others {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }

    // Restart: reopen the wallet and the ledger from disk; the watcher
    // replays the events from the start and establishes the key once.
    let ledger = Ledger::embedded(
        EmbeddedLedger::open_with_kdf_floor(
            dir.path().join("ledger"),
            Some(INSECURE_TEST_KDF_FLOOR),
        )
        .await
        .unwrap(),
        doctor_identity,
    )
    .unwrap();
    let wallet = Wallet::open(&doctor_dir).unwrap().with_kdf(FAST);
    let watcher = Watcher::new(ledger.clone(), wallet.clone(), &password, POLICY);
    let mut established = 0;
    tokio::time::timeout(
        WAIT,
        watcher.run(
            |n| established += usize::from(matches!(n, Notification::KeyEstablished { .. })),
            |n| !matches!(n, Notification::KeyEstablished { .. }),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(established, 1);
    workflow::add_record(
        &ledger,
        Some(&wallet),
        &password,
        &case,
        RecordType::Diagnosis,
        b"after restart",
        POLICY,
    )
    .await
    .unwrap();
    let lawyer = others.iter().find(|u| u.name == "lawyer").unwrap();
    let records = workflow::audit(&lawyer.ledger, &lawyer.password, &case, POLICY)
        .await
        .unwrap();
    assert_eq!(
        records[0].plaintext.as_deref().map(Vec::as_slice),
        Some(&b"after restart"[..])
    );
}

#[tokio::test]
async fn a_restarted_watcher_misses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let patient = s.get("patient").clone();
    let mut seen = Vec::new();
    let case = s.open().await;
    for u in s.others.iter().filter(|u| u.name != "patient") {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }

    // First run: the patient's watcher answers, then stops.
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
    workflow::establish(
        &s.doctor.ledger,
        &s.doctor.wallet,
        &s.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap();
    for (u, t) in [
        (&s.doctor, RecordType::Diagnosis),
        (s.get("pharmacist0"), RecordType::Medication),
    ] {
        workflow::add_record(
            &u.ledger,
            Some(&u.wallet),
            &u.password,
            &case,
            t,
            b"x",
            POLICY,
        )
        .await
        .unwrap();
    }
    // Second run, resuming from the checkpoint: exactly the two records.
    let second = Watcher::new(
        patient.ledger.clone(),
        Wallet::open(patient.wallet.dir()).unwrap(),
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
                records < 2
            },
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let kinds: Vec<_> = seen
        .iter()
        .map(|n| match n {
            Notification::Answered { .. } => "answered".to_owned(),
            Notification::NewRecord { record_type, .. } => record_type.label().to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["answered", "txd", "txm"]);
    let unread = &patient.wallet.profile().unwrap().cases[&hex::encode(case.as_bytes())].unread;
    assert_eq!(unread.len(), 2);
}

#[tokio::test]
async fn cases_of_two_to_eight_participants() {
    for k in 2..=8usize {
        let dir = tempfile::tempdir().unwrap();
        let doctor = user(dir.path(), "doctor", UserRole::Doctor).await;
        let patient = user(dir.path(), "patient", UserRole::Patient).await;
        let mut pharmacists = Vec::new();
        for n in 0..k - 2 {
            pharmacists
                .push(user(dir.path(), &format!("pharmacist{n}"), UserRole::Pharmacist).await);
        }
        let mut s = selection_for(&patient, &doctor);
        s.pharmacists = pharmacists
            .iter()
            .map(|p| format_ind(p.ledger.ind()))
            .collect();
        let s = signed(s, &patient);
        let case = workflow::open_case(
            &doctor.ledger,
            &doctor.wallet,
            &doctor.password,
            &s,
            FAST,
            POLICY,
        )
        .await
        .unwrap();
        for u in std::iter::once(&patient).chain(&pharmacists) {
            workflow::respond(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap();
        }
        let count = workflow::establish(
            &doctor.ledger,
            &doctor.wallet,
            &doctor.password,
            &case,
            POLICY,
        )
        .await
        .unwrap();
        assert_eq!(count, k);
        workflow::add_record(
            &doctor.ledger,
            Some(&doctor.wallet),
            &doctor.password,
            &case,
            RecordType::Diagnosis,
            b"k",
            POLICY,
        )
        .await
        .unwrap();
        let doctor_key =
            workflow::recover_case_key(&doctor.ledger, &doctor.password, &case, POLICY)
                .await
                .unwrap();
        for u in std::iter::once(&patient).chain(&pharmacists) {
            let key = workflow::recover_case_key(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap();
            assert!(
                key == doctor_key,
                "participant {} of k = {k} recovered another key",
                u.name
            );
            let records = workflow::audit(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap();
            assert_eq!(
                records[0].plaintext.as_deref().map(Vec::as_slice),
                Some(&b"k"[..])
            );
        }
    }
}

#[tokio::test]
async fn tampered_records_and_tags_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let case = s.answered().await;
    s.establish(&case).await;
    s.diagnose(&case, b"genuine").await;
    let view = workflow::CaseView::load(&s.doctor.ledger, &case)
        .await
        .unwrap();
    let genuine = view.records[0].record.clone();
    let pharmacist = s.get("pharmacist0");
    let forged = |tag: Vec<u8>, ciphertext: Vec<u8>| InputParameter {
        record: Some(Record::Txm(CaseRecord {
            case_key: case.as_bytes().to_vec(),
            participants: view.case.others(pharmacist.ledger.ind()),
            tag,
            ciphertext,
            tag_signature: genuine.tag_signature.clone(),
            epoch: 0,
        })),
    };

    // A record with a tampered tag is refused by the contract.
    let mut tag = genuine.tag.clone();
    tag[70] ^= 1;
    let err = pharmacist
        .ledger
        .store(&forged(tag, genuine.ciphertext.clone()))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the tag differs from the one the doctor fixed"),
        "{err}"
    );

    // A record whose ciphertext was tampered with is stored (the ledger
    // cannot tell) but never decrypts; the genuine record still does.
    let mut ciphertext = genuine.ciphertext.clone();
    ciphertext[20] ^= 1;
    let stored = pharmacist
        .ledger
        .store(&forged(genuine.tag.clone(), ciphertext))
        .await
        .unwrap();
    let lawyer = s.get("lawyer");
    let records = workflow::audit(&lawyer.ledger, &lawyer.password, &case, POLICY)
        .await
        .unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].plaintext.as_deref().map(Vec::as_slice),
        Some(&b"genuine"[..])
    );
    assert!(records[1].plaintext.is_none());
    let kappa: [u8; 32] = stored.payload.as_slice().try_into().unwrap();
    let err = workflow::read_record(&lawyer.ledger, &lawyer.password, &kappa, POLICY)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not decrypt"), "{err}");
}

/// A tag of `k` coefficients (not degenerate), distinct per `seed`.
fn some_tag(k: usize, seed: u8) -> Vec<u8> {
    let mut tag = vec![0u8; 66 * k];
    tag[65] = seed;
    tag[131] = 1;
    tag
}

/// `user`'s signature over case `case`'s `tag`, as the protocol signs it.
fn sign_tag(user: &User, case: &CaseId, tag: &[u8]) -> Vec<u8> {
    fabric_gateway::sign_message(
        &user.signer(),
        &medchain_protocol::signature::tag_signature_message(case.as_bytes(), tag),
    )
    .unwrap()
}

/// Protocol v2, attack 1 through the client: a tag served by the ledger
/// (or a lying gateway peer) is used only if the case's doctor signed it
/// for this case — a pharmacist's constant polynomial, a doctor's
/// signature of another case, or a tag that differs between records are
/// refused before any key is derived from them.
#[tokio::test]
async fn a_tag_the_doctor_did_not_sign_is_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let case = s.answered().await;
    s.establish(&case).await;
    s.diagnose(&case, b"genuine").await;
    let lawyer = s.get("lawyer");
    let pharmacist = s.get("pharmacist0");
    let view = workflow::CaseView::load(&lawyer.ledger, &case)
        .await
        .unwrap();
    assert!(
        workflow::verified_tag(&lawyer.ledger, &view)
            .await
            .unwrap()
            .is_some()
    );
    let k = view.case.len();

    let served = |tag: Vec<u8>, signature: Vec<u8>| {
        let mut lying = view.clone();
        lying.records[0].record.tag = tag;
        lying.records[0].record.tag_signature = signature;
        lying
    };
    let mut constant = vec![0u8; 66 * k];
    constant[65] = 42;
    let other_case = CaseId::from_bytes([9; 32]);
    let cases = [
        // The paper's attack, signed by the pharmacist who made it up.
        (
            served(constant.clone(), sign_tag(pharmacist, &case, &constant)),
            "carries a signature that is not the doctor's (it does not verify with the signer's key)",
        ),
        // A real polynomial the doctor signed for another case.
        (
            served(
                some_tag(k, 7),
                sign_tag(&s.doctor, &other_case, &some_tag(k, 7)),
            ),
            "carries a signature that is not the doctor's",
        ),
        // No signature at all (a v1 record).
        (
            served(some_tag(k, 7), Vec::new()),
            "carries a signature that is not the doctor's (it is not a DER ECDSA P-256 signature)",
        ),
    ];
    for (lying, expected) in cases {
        let err = workflow::verified_tag(&lawyer.ledger, &lying)
            .await
            .unwrap_err();
        assert!(
            matches!(err, workflow::WorkflowError::Untrusted(_)),
            "{err}"
        );
        assert!(err.to_string().contains(expected), "{err}");
        assert!(
            err.to_string()
                .contains("the peer may be faulty or compromised"),
            "{err}"
        );
    }
    // Two records with different tags, each signed by the doctor.
    let mut two = view.clone();
    let mut second = two.records[0].clone();
    second.record.tag = some_tag(k, 8);
    second.record.tag_signature = sign_tag(&s.doctor, &case, &second.record.tag);
    two.records.push(second);
    let err = workflow::verified_tag(&lawyer.ledger, &two)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("differs between its records"),
        "{err}"
    );
    // A degenerate tag even with the doctor's signature (a malicious
    // doctor; the contract refuses it too) gives no key.
    let doctor_constant = served(constant.clone(), sign_tag(&s.doctor, &case, &constant));
    let err = workflow::verified_tag(&lawyer.ledger, &doctor_constant)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the tag is degenerate"), "{err}");
}

/// The doctor's client aborts when the ledger's tag is not the one it
/// established (e.g. another device of the doctor's fixed another one):
/// it never encrypts a diagnosis under a key it did not make.
#[tokio::test]
async fn the_doctor_stops_when_the_ledgers_tag_is_not_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let case = s.answered().await;
    s.establish(&case).await;
    let view = workflow::CaseView::load(&s.doctor.ledger, &case)
        .await
        .unwrap();
    let tag = some_tag(view.case.len(), 3);
    s.doctor
        .ledger
        .store(&InputParameter {
            record: Some(Record::Txd(CaseRecord {
                case_key: case.as_bytes().to_vec(),
                participants: view.case.others(s.doctor.ledger.ind()),
                tag_signature: sign_tag(&s.doctor, &case, &tag),
                epoch: 0,
                tag,
                ciphertext: vec![5; 256 + 28],
            })),
        })
        .await
        .unwrap();
    let before = workflow::CaseView::load(&s.doctor.ledger, &case)
        .await
        .unwrap();
    let err = workflow::add_record(
        &s.doctor.ledger,
        Some(&s.doctor.wallet),
        &s.doctor.password,
        &case,
        RecordType::Diagnosis,
        b"diagnosis",
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("is not the one this doctor established; nothing was stored"),
        "{err}"
    );
    let after = workflow::CaseView::load(&s.doctor.ledger, &case)
        .await
        .unwrap();
    assert_eq!(after.records.len(), before.records.len());
}

/// The doctor's watcher, on a ledger whose event streams stop after every
/// event (ending, or failing as a broken connection), still handles every
/// response — reopening the stream from its checkpoint — and names the
/// responder of each one.
#[tokio::test]
async fn a_watcher_reopens_event_streams_that_end_or_break() {
    for how in [
        medchain_sdk::ledger::StreamCut::End,
        medchain_sdk::ledger::StreamCut::ConnectionLost,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let s = Scenario::new(dir.path(), 1).await;
        let case = s.open().await;
        let mut answered = Vec::new();
        for u in s.others.iter().rev() {
            workflow::respond(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap();
            answered.push(u.ledger.ind());
        }
        let ledger = s.doctor.ledger.clone().cut_event_streams(1, how);
        let watcher = Watcher::new(ledger, s.doctor.wallet.clone(), &s.doctor.password, POLICY);
        let (mut responders, mut established, mut responses) = (Vec::new(), 0, 0);
        tokio::time::timeout(
            WAIT,
            watcher.run(
                |n| match n {
                    Notification::ResponseReceived { from, .. } => responders.push(*from),
                    Notification::KeyEstablished { .. } => established += 1,
                    _ => {}
                },
                // Every response event, the last one included.
                |n| {
                    responses += usize::from(matches!(n, Notification::ResponseReceived { .. }));
                    responses < answered.len()
                },
            ),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(responders, answered, "{how:?}");
        assert_eq!(established, 1, "{how:?}");
    }
}

/// An error that is not about the event — here the doctor's watcher was
/// given a password that does not open its wallet, so it cannot establish
/// the key — stops the watcher with the error, and the event stays
/// unhandled for the next run (which, with the right password, establishes
/// the key). Errors about the event itself are set aside instead
/// (`a_case_a_watcher_cannot_answer_does_not_wedge_it`).
#[tokio::test]
async fn a_watcher_stops_on_an_error_that_is_not_about_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let case = s.open().await;
    for u in &s.others {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    let height = s.doctor.ledger.height().await.unwrap();
    let wrong = Watcher::new(
        s.doctor.ledger.clone(),
        s.doctor.wallet.clone(),
        "not the doctor's password",
        POLICY,
    );
    let error = tokio::time::timeout(WAIT, wrong.run(|_| {}, |_| true))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(error, workflow::WorkflowError::Wallet(_)),
        "{error}"
    );
    assert!(!error.is_connection_failure(), "{error}");
    let saved = s.doctor.wallet.profile().unwrap().checkpoint;
    assert!(saved.block + 1 < height, "{saved:?} at height {height}");
    let right = Watcher::new(
        s.doctor.ledger.clone(),
        s.doctor.wallet.clone(),
        &s.doctor.password,
        POLICY,
    );
    let mut established = false;
    tokio::time::timeout(
        WAIT,
        right.run(
            |n| established |= matches!(n, Notification::KeyEstablished { .. }),
            |n| !matches!(n, Notification::KeyEstablished { .. }),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(established);
}

/// A participant whose sealed secret does not open with the case's key is
/// named, and establishing changes nothing.
#[tokio::test]
async fn establish_names_a_participant_whose_secret_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let case = s.open().await;
    let liar = s.get("pharmacist0");
    for u in s.others.iter().filter(|u| u.name != liar.name) {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    // A well-formed answer sealed under a key the doctor cannot derive.
    let view = workflow::CaseView::load(&liar.ledger, &case).await.unwrap();
    liar.ledger
        .store(&InputParameter {
            record: Some(Record::Txtr(medchain_protocol::v1::CaseResponse {
                case_key: case.as_bytes().to_vec(),
                responder: liar.ledger.ind(),
                ephemeral_key: view.opening.doctor_ephemeral_key.clone(),
                sealed_secret: vec![0; 60],
            })),
        })
        .await
        .unwrap();
    let case_hex = hex::encode(case.as_bytes());
    let wallet_before = s.doctor.wallet.profile().unwrap();
    let error = workflow::establish(
        &s.doctor.ledger,
        &s.doctor.wallet,
        &s.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, workflow::WorkflowError::UnusableResponse(_)),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "participant {} answered case {case_hex} with a secret that does not open with this case's key; the case cannot be completed — open a new case without them",
            format_ind(liar.ledger.ind())
        )),
        "{error}"
    );
    // The ephemeral key is kept and no tag is pending.
    let secrets = s.doctor.wallet.secrets(&s.doctor.password).unwrap();
    assert!(secrets.ephemeral(&case_hex).is_some());
    assert_eq!(
        format!("{:?}", s.doctor.wallet.profile().unwrap().cases),
        format!("{:?}", wallet_before.cases)
    );
}

/// Protocol v2, attack 2 on the client side: a case whose Argon2id
/// parameters are below a participant's own minimum (here allowed by the
/// ledger's lowered floor) does not wedge that participant's watcher: it is
/// set aside with its reason, shown in the wallet, never tried again, and
/// the genuine case opened after it is answered.
#[tokio::test]
async fn a_case_a_watcher_cannot_answer_does_not_wedge_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Scenario::new(dir.path(), 1).await;
    let weak = s.open().await;
    let strong = workflow::open_case(
        &s.doctor.ledger,
        &s.doctor.wallet,
        &s.doctor.password,
        &s.selection(),
        medchain_siff::KdfParams::DEFAULT,
        POLICY,
    )
    .await
    .unwrap();
    let patient = s.get("patient");
    let run = || async {
        let watcher = Watcher::new(
            patient.ledger.clone(),
            patient.wallet.clone(),
            &patient.password,
            medchain_siff::KdfPolicy::RequireMinimum,
        );
        let mut seen = Vec::new();
        watcher
            .run_until(
                |n| seen.push(n.clone()),
                |_| true,
                Some(Duration::from_millis(500)),
                std::future::pending(),
            )
            .await
            .unwrap();
        seen
    };
    let seen = run().await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    match &seen[0] {
        Notification::Refused { case, reason } => {
            assert_eq!(*case, weak);
            assert!(
                reason.contains(
                    "the case's Argon2id parameters (m = 64 KiB, t = 1) are below the minimum"
                ),
                "{reason}"
            );
        }
        other => panic!("{other:?} instead of the weak case's refusal"),
    }
    assert_eq!(seen[1], Notification::Answered { case: strong });
    let cases = patient.wallet.profile().unwrap().cases;
    let entry = &cases[&hex::encode(weak.as_bytes())];
    assert_eq!(entry.status, medchain_sdk::wallet::CaseStatus::Refused);
    assert!(
        entry
            .refusal
            .as_deref()
            .unwrap()
            .contains("below the minimum")
    );
    // Restarted, the watcher neither answers nor fails on either event again.
    assert!(run().await.is_empty());
    let view = workflow::CaseView::load(&patient.ledger, &weak)
        .await
        .unwrap();
    assert!(!view.has_answered(patient.ledger.ind()));
}

#[tokio::test]
async fn a_case_opened_by_a_doctor_no_trusted_ca_made_is_refused_never_answered() {
    let dir = tempfile::tempdir().unwrap();
    // A self-made CA certifies a "doctor" of the ledger's organisation. The
    // embedded ledger, like a misconfigured channel, lets it register (it
    // checks no certificate chains); the participants' watchers must not
    // hand it their secrets.
    let rogue = LocalCa::open_or_create(&dir.path().join("rogue-ca")).unwrap();
    let doctor = user_issued_by(dir.path(), "doctor", UserRole::Doctor, Some(&rogue)).await;
    let s = Scenario::with_doctor(dir.path(), 1, doctor).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let tasks: Vec<_> = s.others.iter().map(|u| watch(u, tx.clone())).collect();
    let case = s.open().await;
    let mut refused = Vec::new();
    while refused.len() < s.others.len() {
        match next(&mut rx).await {
            (who, Notification::Refused { case: c, reason }) => {
                assert_eq!(c, case);
                assert!(
                    reason.contains("is not a doctor the consortium trusts: its certificate was not issued by the CA of EmbeddedMSP; the case was not answered"),
                    "{reason}"
                );
                refused.push(who);
            }
            (who, other) => panic!("{who}: {other:?} instead of a refusal"),
        }
    }
    for task in tasks {
        task.abort();
    }
    // Nothing of theirs is on the ledger: the case holds its opening only.
    let records = s.doctor.ledger.get_case(case.as_bytes()).await.unwrap();
    assert_eq!(records.records.len(), 1);
    // Each wallet shows the refusal, and the checkpoint moved past it: a
    // restarted watcher neither answers nor fails on the same event.
    for u in &s.others {
        let entry = u.wallet.profile().unwrap().cases[&hex::encode(case.as_bytes())].clone();
        assert_eq!(entry.status, medchain_sdk::wallet::CaseStatus::Refused);
        assert!(entry.refusal.unwrap().contains("not issued by the CA"));
        let watcher = Watcher::new(u.ledger.clone(), u.wallet.clone(), &u.password, POLICY);
        let mut seen = Vec::new();
        watcher
            .run_until(
                |n| seen.push(n.clone()),
                |_| true,
                Some(Duration::from_millis(300)),
                std::future::pending(),
            )
            .await
            .unwrap();
        assert!(seen.is_empty(), "{}: {seen:?}", u.name);
    }
    // Answering by hand is refused with the same sentence.
    let patient = s.get("patient");
    let error = workflow::respond(&patient.ledger, &patient.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(
        matches!(error, workflow::WorkflowError::Untrusted(_)),
        "{error}"
    );
}
