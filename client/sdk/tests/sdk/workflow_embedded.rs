//! The whole diagnosis-and-treatment workflow on the embedded ledger.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::workflow_support::{FAST, POLICY, User, selection_for, signed, user};
use medchain_sdk::wallet::UserRole;
use medchain_sdk::workflow::{self, Selection, WorkflowError, format_ind};
use medchain_siff::{CaseId, CryptoError, KdfPolicy, RecordType};

struct Cast {
    patient: User,
    family: User,
    doctor: User,
    pharmacist: User,
    insurer: User,
    lawyer: User,
    stranger: User,
}

async fn cast(root: &std::path::Path) -> Cast {
    Cast {
        patient: user(root, "patient", UserRole::Patient).await,
        family: user(root, "family", UserRole::Family).await,
        doctor: user(root, "doctor", UserRole::Doctor).await,
        pharmacist: user(root, "pharmacist", UserRole::Pharmacist).await,
        insurer: user(root, "insurer", UserRole::Insurer).await,
        lawyer: user(root, "lawyer", UserRole::LawyerExpert).await,
        stranger: user(root, "stranger", UserRole::Family).await,
    }
}

fn selection(c: &Cast) -> Selection {
    let mut s = selection_for(&c.patient, &c.doctor);
    s.family_keys
        .push(workflow::public_key_hex(&c.family.ledger));
    s.pharmacists.push(format_ind(c.pharmacist.ledger.ind()));
    s.insurers.push(format_ind(c.insurer.ledger.ind()));
    s.lawyer_experts.push(format_ind(c.lawyer.ledger.ind()));
    signed(s, &c.patient)
}

async fn open(c: &Cast) -> CaseId {
    let s = selection(c);
    s.verify(&c.patient.ledger).await.unwrap();
    workflow::open_case(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &s,
        FAST,
        POLICY,
    )
    .await
    .unwrap()
}

async fn respond_all(c: &Cast, case: &CaseId) {
    for u in [&c.patient, &c.family, &c.pharmacist, &c.insurer, &c.lawyer] {
        workflow::respond(&u.ledger, &u.password, case, POLICY)
            .await
            .unwrap();
    }
}

/// Opens a case, has everyone answer and the doctor establish its key.
async fn established(c: &Cast) -> CaseId {
    let case = open(c).await;
    respond_all(c, &case).await;
    workflow::establish(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap();
    case
}

fn text(records: &[workflow::DecryptedRecord]) -> Vec<(RecordType, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.record_type,
                String::from_utf8(r.plaintext.as_ref().unwrap().to_vec()).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_complete_case_for_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = open(&c).await;
    respond_all(&c, &case).await;
    let k = workflow::establish(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap();
    assert_eq!(k, 6);
    // Establishing twice is refused, before and after the first record.
    let err = workflow::establish(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, WorkflowError::OutOfOrder(_))
            && err.to_string().contains("already established"),
        "{err}"
    );
    // The ephemeral scalar is gone once the key is established.
    let secrets = c.doctor.wallet.secrets(&c.doctor.password).unwrap();
    assert!(secrets.ephemeral(&hex::encode(case.as_bytes())).is_none());

    for (u, t, msg) in [
        (
            &c.doctor,
            RecordType::Diagnosis,
            "influenza; rest and fluids",
        ),
        (
            &c.pharmacist,
            RecordType::Medication,
            "oseltamivir 75 mg x10: 42.00 EUR",
        ),
        (&c.insurer, RecordType::Compensation, "covered: 42.00 EUR"),
    ] {
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
        .unwrap();
    }

    let expected = vec![
        (
            RecordType::Diagnosis,
            "influenza; rest and fluids".to_owned(),
        ),
        (
            RecordType::Medication,
            "oseltamivir 75 mg x10: 42.00 EUR".to_owned(),
        ),
        (RecordType::Compensation, "covered: 42.00 EUR".to_owned()),
    ];
    for u in [
        &c.lawyer,
        &c.patient,
        &c.family,
        &c.doctor,
        &c.pharmacist,
        &c.insurer,
    ] {
        let records = workflow::audit(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
        assert_eq!(text(&records), expected);
    }

    // A non-participant and a wrong password learn nothing.
    for (u, password) in [
        (&c.stranger, c.stranger.password.as_str()),
        (&c.lawyer, "not the lawyer's password"),
    ] {
        let err = workflow::audit(&u.ledger, password, &case, POLICY)
            .await
            .unwrap_err();
        assert!(
            matches!(err, WorkflowError::Crypto(CryptoError::CannotDecrypt)),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "cannot decrypt: wrong password or not a participant of this case"
        );
    }
}

#[tokio::test]
async fn steps_out_of_order_are_refused_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = open(&c).await;
    workflow::respond(&c.patient.ledger, &c.patient.password, &case, POLICY)
        .await
        .unwrap();

    let err = workflow::establish(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("not everyone has answered"),
        "{err}"
    );
    let err = workflow::add_record(
        &c.doctor.ledger,
        Some(&c.doctor.wallet),
        &c.doctor.password,
        &case,
        RecordType::Diagnosis,
        b"x",
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not established yet"), "{err}");
    let err = workflow::respond(&c.patient.ledger, &c.patient.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already answered"), "{err}");
    let err = workflow::respond(&c.stranger.ledger, &c.stranger.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::NotParticipant(_)), "{err}");

    let view = workflow::CaseView::load(&c.lawyer.ledger, &case)
        .await
        .unwrap();
    assert_eq!(view.responses.len(), 1);
    assert!(view.records.is_empty());
}

#[tokio::test]
async fn weak_kdf_parameters_need_the_explicit_insecure_policy() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let err = workflow::open_case(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &selection(&c),
        FAST,
        KdfPolicy::RequireMinimum,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, WorkflowError::Crypto(_)), "{err}");
}

#[tokio::test]
async fn a_family_member_audits_after_the_patient_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = established(&c).await;
    workflow::add_record(
        &c.doctor.ledger,
        Some(&c.doctor.wallet),
        &c.doctor.password,
        &case,
        RecordType::Diagnosis,
        b"fracture",
        POLICY,
    )
    .await
    .unwrap();
    let Cast {
        patient, family, ..
    } = c;
    drop(patient); // the patient's wallet and key are no longer available
    std::fs::remove_dir_all(dir.path().join("patient")).unwrap();
    let records = workflow::audit(&family.ledger, &family.password, &case, POLICY)
        .await
        .unwrap();
    assert_eq!(
        text(&records),
        vec![(RecordType::Diagnosis, "fracture".to_owned())]
    );
}

#[tokio::test]
async fn a_case_needs_the_patients_signature_over_exactly_its_participants() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let open = |s: Selection| {
        let c = &c;
        async move {
            workflow::open_case(
                &c.doctor.ledger,
                &c.doctor.wallet,
                &c.doctor.password,
                &s,
                FAST,
                POLICY,
            )
            .await
            .unwrap_err()
            .to_string()
        }
    };
    // Unsigned.
    let mut unsigned = selection(&c);
    unsigned.nonce.clear();
    unsigned.signature.clear();
    assert!(open(unsigned).await.contains("not signed by the patient"));
    // Signed by someone else.
    let mut forged = selection(&c);
    forged.sign(&c.stranger.signer()).unwrap_err();
    let mut by_family = selection_for(&c.patient, &c.doctor);
    by_family.nonce = "00".repeat(16);
    by_family.signature = selection(&c).signature;
    assert!(
        open(by_family)
            .await
            .contains("does not match this selection")
    );
    // Changed after signing (a stranger added).
    let mut changed = selection(&c);
    changed
        .family_keys
        .push(workflow::public_key_hex(&c.stranger.ledger));
    assert!(
        open(changed)
            .await
            .contains("does not match this selection")
    );
    // Nothing was stored.
    assert!(c.doctor.wallet.profile().unwrap().cases.is_empty());
}

/// An audit reads a case page by page and hands each record over as its
/// page arrives: 3 records padded to 1 MiB (the byte budget holds one of
/// them a page) and 100 small ones (a page reads 100 index entries) take
/// four `GetCase` pages, and every record decrypts in index order.
#[tokio::test]
async fn an_audit_streams_a_long_case_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = established(&c).await;
    let big = vec![b'x'; medchain_protocol::limits::MAX_PLAINTEXT_BYTES];
    let mut written = Vec::new();
    for n in 0..103usize {
        let plaintext = if n < 3 {
            big.clone()
        } else {
            format!("dose {n}").into_bytes()
        };
        workflow::add_record(
            &c.doctor.ledger,
            Some(&c.doctor.wallet),
            &c.doctor.password,
            &case,
            RecordType::Diagnosis,
            &plaintext,
            POLICY,
        )
        .await
        .unwrap();
        written.push(plaintext);
    }
    let mut seen = 0usize;
    let summary = workflow::audit_pages(
        &c.lawyer.ledger,
        &c.lawyer.password,
        &case,
        POLICY,
        |record| {
            assert_eq!(
                record.plaintext.as_deref().map(Vec::as_slice),
                Some(written[seen].as_slice())
            );
            seen += 1;
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!(seen, 103);
    assert_eq!(summary.records, 103);
    assert_eq!(summary.decrypted, 103);
    assert_eq!(summary.answers, 5);
    assert_eq!(summary.participants, 6);
    assert_eq!(summary.pages, 4);
    // A non-participant still learns nothing.
    let err = workflow::audit_pages(
        &c.stranger.ledger,
        &c.stranger.password,
        &case,
        POLICY,
        |_| Ok(()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, WorkflowError::Crypto(CryptoError::CannotDecrypt)),
        "{err:?}"
    );
}

/// The doctor's diagnosis carries a scan; the insurer (every participant)
/// fetches it with its password alone; the stranger gets nothing out of
/// the same references and the same blocks.
#[tokio::test]
async fn attachments_open_for_every_participant_and_for_no_one_else() {
    use ipfs_blocks::{BlockStore, DirStore};
    use medchain_sdk::attachments::AttachmentError;

    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = established(&c).await;
    let scan: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    let path = dir.path().join("scan.dcm");
    std::fs::write(&path, &scan).unwrap();
    let store = BlockStore::Dir(DirStore::open(dir.path().join("blocks")).unwrap());
    let mut seen = 0;
    let key = workflow::add_record_with_attachments(
        &c.doctor.ledger,
        Some(&c.doctor.wallet),
        &c.doctor.password,
        &case,
        RecordType::Diagnosis,
        b"CT chest",
        &[path],
        &store,
        |p| seen = p.done,
        POLICY,
    )
    .await
    .unwrap();
    assert_eq!(seen, scan.len() as u64);

    let record = workflow::read_record(&c.insurer.ledger, &c.insurer.password, &key, POLICY)
        .await
        .unwrap();
    assert_eq!(record.plaintext.as_deref().unwrap().as_slice(), b"CT chest");
    assert_eq!(record.attachments.len(), 1);
    assert!(record.body_error.is_none());
    let out = dir.path().join("insurer-files");
    std::fs::create_dir(&out).unwrap();
    let items = vec![workflow::AttachmentTarget {
        dir: out.clone(),
        attachment: record.attachments[0].clone(),
        epoch: record.epoch,
    }];
    let saved = workflow::save_attachments(
        &c.insurer.ledger,
        &c.insurer.password,
        &case,
        &items,
        &store,
        |_| {},
        POLICY,
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&saved[0]).unwrap(), scan);

    // The stranger, handed the references and the blocks, recovers another
    // key: the first chunk does not open and no file is written.
    let theirs = dir.path().join("stranger-files");
    std::fs::create_dir(&theirs).unwrap();
    let items = vec![workflow::AttachmentTarget {
        dir: theirs.clone(),
        attachment: record.attachments[0].clone(),
        epoch: 0,
    }];
    let err = workflow::save_attachments(
        &c.stranger.ledger,
        &c.stranger.password,
        &case,
        &items,
        &store,
        |_| {},
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            WorkflowError::Attachment(AttachmentError::Decrypt { .. })
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
}

/// The lawyer engaged after the patient's death: the family grants it the
/// case and it audits every record, past and future, with its password
/// alone; nobody else can grant, and nothing a refused grant tried is
/// written.
#[tokio::test]
async fn the_family_grants_the_case_to_a_lawyer_engaged_later() {
    use medchain_protocol::v1::Role;
    use workflow::Grantee;

    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    // The case without the lawyer.
    let mut s = selection_for(&c.patient, &c.doctor);
    s.family_keys
        .push(workflow::public_key_hex(&c.family.ledger));
    s.pharmacists.push(format_ind(c.pharmacist.ledger.ind()));
    s.insurers.push(format_ind(c.insurer.ledger.ind()));
    let s = signed(s, &c.patient);
    let case = workflow::open_case(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &s,
        FAST,
        POLICY,
    )
    .await
    .unwrap();
    for u in [&c.patient, &c.family, &c.pharmacist, &c.insurer] {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    let lawyer = Grantee::Registered {
        ind: c.lawyer.ledger.ind(),
        role: Role::LawyerExpert,
    };
    // Before the key is established there is nothing to grant.
    let early = workflow::grant(
        &c.family.ledger,
        &c.family.wallet,
        &c.family.password,
        &case,
        &lawyer,
    )
    .await;
    assert!(
        matches!(early, Err(WorkflowError::OutOfOrder(_))),
        "{early:?}"
    );
    workflow::establish(
        &c.doctor.ledger,
        &c.doctor.wallet,
        &c.doctor.password,
        &case,
        POLICY,
    )
    .await
    .unwrap();
    workflow::add_record(
        &c.doctor.ledger,
        Some(&c.doctor.wallet),
        &c.doctor.password,
        &case,
        RecordType::Diagnosis,
        b"fracture",
        POLICY,
    )
    .await
    .unwrap();
    // The lawyer is no participant: it cannot read the case yet.
    let denied = workflow::audit(&c.lawyer.ledger, &c.lawyer.password, &case, POLICY).await;
    assert!(
        matches!(
            denied,
            Err(WorkflowError::Crypto(CryptoError::CannotDecrypt))
        ),
        "{denied:?}"
    );

    // A pharmacist of the case holds the key but does not speak for the
    // patient; the stranger holds nothing: both are refused by the contract.
    let height = c.family.ledger.height().await.unwrap();
    for (who, ledger, wallet, password) in [
        (
            "pharmacist",
            &c.pharmacist.ledger,
            &c.pharmacist.wallet,
            &c.pharmacist.password,
        ),
        (
            "stranger",
            &c.stranger.ledger,
            &c.stranger.wallet,
            &c.stranger.password,
        ),
    ] {
        let err = workflow::grant(ledger, wallet, password, &case, &lawyer)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("only the patient or a family member named in case"),
            "{who}: {err}"
        );
    }
    assert_eq!(
        c.family.ledger.height().await.unwrap(),
        height,
        "a refused grant was written"
    );

    // The patient is gone; the family grants the lawyer.
    let Cast {
        patient,
        family,
        lawyer: lawyer_user,
        insurer,
        pharmacist,
        doctor,
        stranger,
        ..
    } = c;
    drop(patient);
    workflow::grant(
        &family.ledger,
        &family.wallet,
        &family.password,
        &case,
        &lawyer,
    )
    .await
    .unwrap();
    let again = workflow::grant(
        &family.ledger,
        &family.wallet,
        &family.password,
        &case,
        &lawyer,
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("already granted"));
    // A grant to someone already in the case is refused.
    let insurer_grant = Grantee::Registered {
        ind: insurer.ledger.ind(),
        role: Role::Insurer,
    };
    let err = workflow::grant(
        &family.ledger,
        &family.wallet,
        &family.password,
        &case,
        &insurer_grant,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("already a participant"), "{err}");
    // The tag waits for the lawyer's answer.
    let early = workflow::publish_grant_tag(
        &family.ledger,
        &family.wallet,
        &family.password,
        &case,
        lawyer_user.ledger.ind(),
        POLICY,
    )
    .await;
    assert!(
        matches!(early, Err(WorkflowError::OutOfOrder(_))),
        "{early:?}"
    );
    // The stranger cannot answer the lawyer's grant.
    let err = workflow::answer_grant(&stranger.ledger, &stranger.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::NotParticipant(_)), "{err:?}");
    workflow::answer_grant(&lawyer_user.ledger, &lawyer_user.password, &case, POLICY)
        .await
        .unwrap();
    workflow::publish_grant_tag(
        &family.ledger,
        &family.wallet,
        &family.password,
        &case,
        lawyer_user.ledger.ind(),
        POLICY,
    )
    .await
    .unwrap();

    // Records after the grant reach the lawyer too.
    workflow::add_record(
        &pharmacist.ledger,
        Some(&pharmacist.wallet),
        &pharmacist.password,
        &case,
        RecordType::Medication,
        b"plaster cast",
        POLICY,
    )
    .await
    .unwrap();
    let records = workflow::audit(&lawyer_user.ledger, &lawyer_user.password, &case, POLICY)
        .await
        .unwrap();
    assert_eq!(
        text(&records),
        vec![
            (RecordType::Diagnosis, "fracture".to_owned()),
            (RecordType::Medication, "plaster cast".to_owned()),
        ]
    );
    let key = workflow::recover_case_key(&lawyer_user.ledger, &lawyer_user.password, &case, POLICY)
        .await
        .unwrap();
    let reference = workflow::recover_case_key(&doctor.ledger, &doctor.password, &case, POLICY)
        .await
        .unwrap();
    assert!(key == reference);
    // A wrong password recovers another key and decrypts nothing.
    let wrong = workflow::audit(
        &lawyer_user.ledger,
        "not the lawyer's password",
        &case,
        POLICY,
    )
    .await;
    assert!(
        matches!(
            wrong,
            Err(WorkflowError::Crypto(CryptoError::CannotDecrypt))
        ),
        "{wrong:?}"
    );
}

/// Revocation for the future: the family revokes the insurer with a new
/// key epoch; the insurer keeps reading what it read before and nothing
/// after, stores nothing more, and every remaining member reads both
/// epochs with its password alone.
#[tokio::test]
async fn the_family_revokes_the_insurer_for_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = established(&c).await;
    let add = async |u: &User, record_type, text: &'static str| {
        workflow::add_record(
            &u.ledger,
            Some(&u.wallet),
            &u.password,
            &case,
            record_type,
            text.as_bytes(),
            POLICY,
        )
        .await
    };
    add(&c.doctor, RecordType::Diagnosis, "sprain")
        .await
        .unwrap();
    add(&c.insurer, RecordType::Compensation, "claim accepted")
        .await
        .unwrap();
    let insurer = c.insurer.ledger.ind();

    let err = workflow::open_epoch(
        &c.pharmacist.ledger,
        &c.pharmacist.wallet,
        &c.pharmacist.password,
        &case,
        &[insurer],
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("only the patient or a family member"),
        "{err}"
    );
    let err = workflow::open_epoch(
        &c.family.ledger,
        &c.family.wallet,
        &c.family.password,
        &case,
        &[c.doctor.ledger.ind()],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot be revoked"), "{err}");
    let (epoch, _) = workflow::open_epoch(
        &c.family.ledger,
        &c.family.wallet,
        &c.family.password,
        &case,
        &[insurer],
    )
    .await
    .unwrap();
    assert_eq!(epoch, 1);

    let err = add(&c.pharmacist, RecordType::Medication, "too early")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is changing its key"), "{err}");
    let err = workflow::publish_epoch_tag(
        &c.family.ledger,
        &c.family.wallet,
        &c.family.password,
        &case,
        POLICY,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("has not answered key epoch 1"),
        "{err}"
    );
    let err = workflow::answer_epoch(&c.insurer.ledger, &c.insurer.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not a member who answers"),
        "{err}"
    );
    for u in [&c.patient, &c.doctor, &c.pharmacist, &c.lawyer] {
        assert_eq!(
            workflow::answer_epoch(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap(),
            1
        );
    }
    let err = workflow::answer_epoch(&c.lawyer.ledger, &c.lawyer.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already answered"), "{err}");
    workflow::publish_epoch_tag(
        &c.family.ledger,
        &c.family.wallet,
        &c.family.password,
        &case,
        POLICY,
    )
    .await
    .unwrap();

    add(&c.pharmacist, RecordType::Medication, "ankle brace")
        .await
        .unwrap();
    let later = add(&c.doctor, RecordType::Diagnosis, "healed")
        .await
        .unwrap();
    let err = add(&c.insurer, RecordType::Compensation, "second claim")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("you were revoked"), "{err}");

    let all = vec![
        (RecordType::Diagnosis, "sprain".to_owned()),
        (RecordType::Compensation, "claim accepted".to_owned()),
        (RecordType::Medication, "ankle brace".to_owned()),
        (RecordType::Diagnosis, "healed".to_owned()),
    ];
    for u in [&c.patient, &c.family, &c.doctor, &c.pharmacist, &c.lawyer] {
        let records = workflow::audit(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
        assert_eq!(text(&records), all);
        let epochs: Vec<u32> = records.iter().map(|r| r.epoch).collect();
        assert_eq!(epochs, [0, 0, 1, 1]);
    }
    // The insurer still reads what it could read, and nothing later.
    let records = workflow::audit(&c.insurer.ledger, &c.insurer.password, &case, POLICY)
        .await
        .unwrap();
    let opened: Vec<bool> = records.iter().map(|r| r.plaintext.is_some()).collect();
    assert_eq!(opened, [true, true, false, false]);
    let err = workflow::read_record(&c.insurer.ledger, &c.insurer.password, &later, POLICY)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sealed in key epoch 1"), "{err}");
    // A stranger reads nothing.
    let err = workflow::audit(&c.stranger.ledger, &c.stranger.password, &case, POLICY)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WorkflowError::Crypto(CryptoError::CannotDecrypt)),
        "{err:?}"
    );
}

/// An epoch that stalls (a member never answers, or its opener's wallet is
/// lost) is abandoned by opening the next one, which starts again from the
/// latest established epoch.
#[tokio::test]
async fn a_stalled_epoch_is_abandoned_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let c = cast(dir.path()).await;
    let case = established(&c).await;
    workflow::add_record(
        &c.doctor.ledger,
        Some(&c.doctor.wallet),
        &c.doctor.password,
        &case,
        RecordType::Diagnosis,
        b"sprain",
        POLICY,
    )
    .await
    .unwrap();
    let insurer = c.insurer.ledger.ind();
    let open = async |u: &User| {
        workflow::open_epoch(&u.ledger, &u.wallet, &u.password, &case, &[insurer]).await
    };
    assert_eq!(open(&c.family).await.unwrap().0, 1);
    workflow::answer_epoch(&c.patient.ledger, &c.patient.password, &case, POLICY)
        .await
        .unwrap();
    // The family's wallet is lost; the patient opens epoch 2 instead.
    assert_eq!(open(&c.patient).await.unwrap().0, 2);
    for u in [&c.family, &c.doctor, &c.pharmacist, &c.lawyer] {
        assert_eq!(
            workflow::answer_epoch(&u.ledger, &u.password, &case, POLICY)
                .await
                .unwrap(),
            2
        );
    }
    workflow::publish_epoch_tag(
        &c.patient.ledger,
        &c.patient.wallet,
        &c.patient.password,
        &case,
        POLICY,
    )
    .await
    .unwrap();
    workflow::add_record(
        &c.pharmacist.ledger,
        Some(&c.pharmacist.wallet),
        &c.pharmacist.password,
        &case,
        RecordType::Medication,
        b"brace",
        POLICY,
    )
    .await
    .unwrap();
    let records = workflow::audit(&c.family.ledger, &c.family.password, &case, POLICY)
        .await
        .unwrap();
    assert_eq!(
        text(&records),
        vec![
            (RecordType::Diagnosis, "sprain".to_owned()),
            (RecordType::Medication, "brace".to_owned()),
        ]
    );
    assert_eq!(records[1].epoch, 2);
    let theirs = workflow::audit(&c.insurer.ledger, &c.insurer.password, &case, POLICY)
        .await
        .unwrap();
    assert!(theirs[1].plaintext.is_none());
}
