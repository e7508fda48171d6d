//! Granting a case on the real network (both organisations endorse every
//! step, each with its own chaincode implementation on the mixed network):
//! the lawyer engaged after the patient's death is granted the case by the
//! family and audits every record, past and future, with only its
//! password; the watchers run every step; a stranger's grant and a grant by
//! a participant who does not speak for the patient are refused by the
//! peers and write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use medchain_e2e::{Cast, POLICY, User, establish, next, watch};
use medchain_protocol::signature::grant_signature_message;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{GrantOpening, InputParameter, Role};
use medchain_sdk::connect::identity_signer;
use medchain_sdk::workflow::{self, Grantee, Notification};
use medchain_siff::point::encode_compressed_key;
use medchain_siff::{CaseId, RecordType};
use tokio::sync::mpsc;

/// A grant of `case` to the lawyer signed and submitted by `who` itself,
/// bypassing the SDK's own checks: what a modified client would send.
async fn raw_grant(who: &User, case: &CaseId, lawyer: u64) -> Result<(), String> {
    let eph = encode_compressed_key(&p256::SecretKey::random(&mut rand_core::OsRng).public_key())
        .to_vec();
    let role = Role::LawyerExpert as i32;
    let message =
        grant_signature_message(case.as_bytes(), who.ledger.ind(), lawyer, role, &[], &eph);
    let secrets = who.wallet.secrets(&who.password).unwrap();
    let signer = identity_signer(&who.wallet.profile().unwrap(), &secrets).unwrap();
    let signature = fabric_gateway::sign_message(&signer, &message).unwrap();
    let input = InputParameter {
        record: Some(Record::Txgo(GrantOpening {
            case_key: case.as_bytes().to_vec(),
            granter: who.ledger.ind(),
            grantee: lawyer,
            grantee_role: role,
            grantee_key: Vec::new(),
            granter_ephemeral_key: eph,
            signature,
        })),
    };
    who.ledger
        .store(&input)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn records_of(u: &User, case: &CaseId) -> usize {
    u.ledger
        .get_case(case.as_bytes())
        .await
        .unwrap()
        .records
        .len()
}

#[tokio::test]
async fn the_family_grants_the_case_to_a_lawyer_after_the_patients_death() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let selection = c.selection_with_lawyer(false);
    let case = c.open_selection(&selection).await;
    for u in [&c.patient, &c.family, &c.pharmacist, &c.insurer] {
        workflow::respond(&u.ledger, &u.password, &case, POLICY)
            .await
            .unwrap();
    }
    establish(&c, &case).await;
    let add = |u: &User, t: RecordType, text: &'static str| {
        let (ledger, wallet, password) = (u.ledger.clone(), u.wallet.clone(), u.password.clone());
        async move {
            workflow::add_record(
                &ledger,
                Some(&wallet),
                &password,
                &case,
                t,
                text.as_bytes(),
                POLICY,
            )
            .await
            .unwrap()
        }
    };
    add(
        &c.doctor,
        RecordType::Diagnosis,
        "Diagnosis: perforated appendix missed at first visit",
    )
    .await;
    add(
        &c.pharmacist,
        RecordType::Medication,
        "Dispensed: ceftriaxone 2 g",
    )
    .await;
    let lawyer = c.lawyer.ledger.ind();

    // Refused by the peers, nothing written: the stranger holds nothing, the
    // pharmacist holds the key but does not speak for the patient.
    let before = records_of(&c.family, &case).await;
    for who in [&c.stranger, &c.pharmacist] {
        let err = raw_grant(who, &case, lawyer).await.unwrap_err();
        assert!(
            err.contains("only the patient or a family member named in case"),
            "{}: {err}",
            who.name
        );
    }
    assert_eq!(
        records_of(&c.family, &case).await,
        before,
        "a refused grant was written"
    );

    // The patient has died: its wallet is gone.
    let Cast {
        patient,
        family,
        lawyer: lawyer_user,
        insurer,
        ..
    } = c;
    std::fs::remove_dir_all(patient.wallet.dir()).unwrap();
    drop(patient);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let watchers = [watch(&family, tx.clone()), watch(&lawyer_user, tx.clone())];
    workflow::grant(
        &family.ledger,
        &family.wallet,
        &family.password,
        &case,
        &Grantee::Registered {
            ind: lawyer,
            role: Role::LawyerExpert,
        },
    )
    .await
    .unwrap();
    // The lawyer's watcher answers, the family's publishes the grant tag,
    // the lawyer's hears that it is granted.
    let mut seen: Vec<(String, Notification)> = Vec::new();
    let complete = |seen: &[(String, Notification)]| {
        let heard = |who: &str, what: fn(&Notification) -> bool| {
            seen.iter().any(|(w, n)| w == who && what(n))
        };
        heard("lawyer", |n| {
            matches!(n, Notification::GrantAnswered { .. })
        }) && heard("family", |n| {
            matches!(n, Notification::GrantPublished { .. })
        }) && heard("lawyer", |n| matches!(n, Notification::Granted { .. }))
    };
    while !complete(&seen) {
        seen.push(next(&mut rx).await);
    }
    assert!(
        seen.iter().any(|(w, n)| w == "family"
            && matches!(n, Notification::GrantPublished { grantee, .. } if *grantee == lawyer)),
        "{seen:?}"
    );

    // A record after the grant reaches the lawyer.
    let claim = add(&insurer, RecordType::Compensation, "Claim: 12 400 EUR").await;
    loop {
        let (who, n) = next(&mut rx).await;
        if who == "lawyer" && matches!(n, Notification::NewRecord { key, .. } if key == claim) {
            break;
        }
    }
    for w in watchers {
        w.abort();
    }
    // The lawyer audits every record with its password alone.
    let records = workflow::audit(&lawyer_user.ledger, &lawyer_user.password, &case, POLICY)
        .await
        .unwrap();
    let texts: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.plaintext.as_ref().unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Diagnosis: perforated appendix missed at first visit",
            "Dispensed: ceftriaxone 2 g",
            "Claim: 12 400 EUR"
        ]
    );
    // A second grant to the same lawyer is refused by the peers.
    let err = raw_grant(&family, &case, lawyer).await.unwrap_err();
    assert!(err.contains("is already granted to participant"), "{err}");
}
