//! Granting an established case (`txgo`, `txgr`, `txgt`) through the real
//! shim: the order of the steps, who may take each, what each must carry,
//! and that the grantee hears of every later record. Every refusal leaves
//! the world state as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Cast, Net, Person, ephemeral_key, record, reg, wrap};
use medchain_protocol::ErrorCode;
use medchain_protocol::signature::{
    grant_signature_message, grant_tag_signature_message, sign_low_s,
};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{GrantOpening, GrantResponse, GrantTag, InputParameter, Role};

/// A case with every answer and the doctor's first `txd`, and a lawyer who
/// is not in it.
async fn established(net: &Net) -> (Cast, [u8; 32], Person) {
    let cast = Cast::registered(net).await;
    let case = cast.answered(net).await;
    net.ok(
        &cast.doctor,
        &wrap(
            "txd",
            record(&case, &cast.doctor, cast.others(&cast.doctor)),
        ),
    )
    .await;
    let outsider = Person::new("lawyer");
    net.ok(&outsider, &reg(&outsider, Role::LawyerExpert)).await;
    (cast, case, outsider)
}

/// A grant of `case` by `granter` to `grantee`, signed by `signer`.
fn grant_by(
    case: &[u8; 32],
    granter: &Person,
    grantee: u64,
    role: Role,
    key: Vec<u8>,
    signer: &Person,
) -> GrantOpening {
    let eph = ephemeral_key();
    let message = grant_signature_message(case, granter.ind(), grantee, role as i32, &key, &eph);
    GrantOpening {
        case_key: case.to_vec(),
        granter: granter.ind(),
        grantee,
        grantee_role: role as i32,
        grantee_key: key,
        granter_ephemeral_key: eph,
        signature: sign_low_s(&signer.signing_key, &message),
    }
}

fn txgo(grant: GrantOpening) -> InputParameter {
    InputParameter {
        record: Some(Record::Txgo(grant)),
    }
}

fn txgr(case: &[u8; 32], grantee: &Person) -> InputParameter {
    InputParameter {
        record: Some(Record::Txgr(GrantResponse {
            case_key: case.to_vec(),
            grantee: grantee.ind(),
            ephemeral_key: ephemeral_key(),
            sealed_secret: vec![7; 60],
        })),
    }
}

/// A valid two-coefficient grant tag (α_1 = 1).
fn grant_tag_bytes() -> Vec<u8> {
    let mut tag = vec![0; 2 * 66];
    tag[2 * 66 - 1] = 1;
    tag
}

fn txgt(case: &[u8; 32], grantee: u64, tag: Vec<u8>, signer: &Person) -> InputParameter {
    let message = grant_tag_signature_message(case, grantee, &tag);
    InputParameter {
        record: Some(Record::Txgt(GrantTag {
            case_key: case.to_vec(),
            grantee,
            tag_signature: sign_low_s(&signer.signing_key, &message),
            tag,
        })),
    }
}

#[tokio::test]
async fn a_grant_runs_in_order_and_the_grantee_hears_of_later_records() {
    let net = Net::start().await;
    let cast = Cast::registered(&net).await;
    let case = cast.answered(&net).await;
    let outsider = Person::new("lawyer");
    net.ok(&outsider, &reg(&outsider, Role::LawyerExpert)).await;
    let grant = || {
        txgo(grant_by(
            &case,
            &cast.family,
            outsider.ind(),
            Role::LawyerExpert,
            Vec::new(),
            &cast.family,
        ))
    };
    net.rejected(
        &cast.family,
        &grant(),
        ErrorCode::OutOfOrder,
        "has no diagnosis yet",
    )
    .await;
    net.ok(
        &cast.doctor,
        &wrap(
            "txd",
            record(&case, &cast.doctor, cast.others(&cast.doctor)),
        ),
    )
    .await;

    let (name, event) = net.event(&cast.family, &grant()).await;
    assert_eq!(
        (name.as_str(), event.receivers.as_slice()),
        ("txgo", &[outsider.ind()][..])
    );
    net.rejected(
        &cast.family,
        &grant(),
        ErrorCode::AlreadyStored,
        "is already granted to participant",
    )
    .await;
    let tag = || txgt(&case, outsider.ind(), grant_tag_bytes(), &cast.family);
    net.rejected(
        &cast.family,
        &tag(),
        ErrorCode::OutOfOrder,
        "has not answered its grant",
    )
    .await;

    let (name, event) = net.event(&outsider, &txgr(&case, &outsider)).await;
    assert_eq!(
        (name.as_str(), event.receivers.as_slice()),
        ("txgr", &[cast.family.ind()][..])
    );
    net.rejected(
        &outsider,
        &txgr(&case, &outsider),
        ErrorCode::AlreadyStored,
        "has already answered its grant",
    )
    .await;

    let (name, event) = net.event(&cast.family, &tag()).await;
    assert_eq!(
        (name.as_str(), event.receivers.as_slice()),
        ("txgt", &[outsider.ind()][..])
    );
    net.rejected(
        &cast.family,
        &tag(),
        ErrorCode::AlreadyStored,
        "already has its tag",
    )
    .await;

    // The grantee is told of every later record, after the case's own receivers.
    let (_, event) = net
        .event(
            &cast.pharmacist,
            &wrap(
                "txm",
                record(&case, &cast.doctor, cast.others(&cast.pharmacist)),
            ),
        )
        .await;
    assert_eq!(event.receivers.last(), Some(&outsider.ind()));
    assert_eq!(event.receivers.len(), 4, "{:?}", event.receivers);
}

#[tokio::test]
async fn only_the_patient_or_a_family_member_may_grant_and_only_as_itself() {
    let net = Net::start().await;
    let (cast, case, outsider) = established(&net).await;
    let to = outsider.ind();
    for who in [&cast.pharmacist, &cast.doctor, &cast.stranger] {
        let input = txgo(grant_by(
            &case,
            who,
            to,
            Role::LawyerExpert,
            Vec::new(),
            who,
        ));
        net.rejected(
            who,
            &input,
            ErrorCode::Unauthorized,
            "only the patient or a family member named in case",
        )
        .await;
    }
    let as_patient = txgo(grant_by(
        &case,
        &cast.patient,
        to,
        Role::LawyerExpert,
        Vec::new(),
        &cast.family,
    ));
    net.rejected(
        &cast.family,
        &as_patient,
        ErrorCode::Unauthorized,
        "the grant names granter",
    )
    .await;
    let forged = txgo(grant_by(
        &case,
        &cast.family,
        to,
        Role::LawyerExpert,
        Vec::new(),
        &cast.stranger,
    ));
    net.rejected(
        &cast.family,
        &forged,
        ErrorCode::Invalid,
        "the grant's signature is not the granter's",
    )
    .await;
}

#[tokio::test]
async fn a_grantee_must_be_new_and_what_the_grant_says_it_is() {
    let net = Net::start().await;
    let (cast, case, outsider) = established(&net).await;
    let family = &cast.family;
    let cases: Vec<(GrantOpening, ErrorCode, &str)> = vec![
        (
            grant_by(
                &case,
                family,
                cast.insurer.ind(),
                Role::Insurer,
                Vec::new(),
                family,
            ),
            ErrorCode::Invalid,
            "is already a participant of case",
        ),
        (
            grant_by(
                &case,
                family,
                outsider.ind(),
                Role::Doctor,
                Vec::new(),
                family,
            ),
            ErrorCode::Invalid,
            "is not registered with the role doctor",
        ),
        (
            grant_by(
                &case,
                family,
                outsider.ind(),
                Role::Unspecified,
                Vec::new(),
                family,
            ),
            ErrorCode::Invalid,
            "a registered grantee needs grantee_role",
        ),
        (
            grant_by(
                &case,
                family,
                cast.stranger.ind(),
                Role::Insurer,
                cast.stranger.vk(),
                family,
            ),
            ErrorCode::Invalid,
            "leave grantee_role unspecified",
        ),
        (
            grant_by(
                &case,
                family,
                outsider.ind(),
                Role::Unspecified,
                cast.stranger.vk(),
                family,
            ),
            ErrorCode::Invalid,
            "grantee must be the index of grantee_key",
        ),
        (
            grant_by(
                &case,
                family,
                cast.stranger.ind(),
                Role::Unspecified,
                vec![4; 65],
                family,
            ),
            ErrorCode::Invalid,
            "grantee key",
        ),
    ];
    for (grant, code, expected) in cases {
        net.rejected(family, &txgo(grant), code, expected).await;
    }
    let mut bad_key = grant_by(
        &case,
        family,
        outsider.ind(),
        Role::LawyerExpert,
        Vec::new(),
        family,
    );
    bad_key.granter_ephemeral_key = vec![2; 5];
    net.rejected(family, &txgo(bad_key), ErrorCode::Invalid, "ephemeral key")
        .await;
    // A new family member named by key is granted, then answers by its key.
    net.ok(
        family,
        &txgo(grant_by(
            &case,
            family,
            cast.stranger.ind(),
            Role::Unspecified,
            cast.stranger.vk(),
            family,
        )),
    )
    .await;
    net.rejected(
        &outsider,
        &txgr(&case, &outsider),
        ErrorCode::Unauthorized,
        "is not granted to the submitter",
    )
    .await;
    let mut wrong_name = txgr(&case, &cast.stranger);
    if let Some(Record::Txgr(r)) = &mut wrong_name.record {
        r.grantee = outsider.ind();
    }
    net.rejected(
        &cast.stranger,
        &wrong_name,
        ErrorCode::Unauthorized,
        "answer only for yourself",
    )
    .await;
    let mut short = txgr(&case, &cast.stranger);
    if let Some(Record::Txgr(r)) = &mut short.record {
        r.sealed_secret = vec![1; 59];
    }
    net.rejected(
        &cast.stranger,
        &short,
        ErrorCode::Invalid,
        "the sealed secret must be 60 bytes",
    )
    .await;
    net.ok(&cast.stranger, &txgr(&case, &cast.stranger)).await;
}

#[tokio::test]
async fn only_the_granter_publishes_a_sound_signed_grant_tag() {
    let net = Net::start().await;
    let (cast, case, outsider) = established(&net).await;
    let to = outsider.ind();
    net.ok(
        &cast.family,
        &txgo(grant_by(
            &case,
            &cast.family,
            to,
            Role::LawyerExpert,
            Vec::new(),
            &cast.family,
        )),
    )
    .await;
    net.ok(&outsider, &txgr(&case, &outsider)).await;
    net.rejected(
        &cast.patient,
        &txgt(&case, to, grant_tag_bytes(), &cast.patient),
        ErrorCode::Unauthorized,
        "only the granter of this grant",
    )
    .await;
    net.rejected(
        &cast.family,
        &txgt(&case, cast.stranger.ind(), grant_tag_bytes(), &cast.family),
        ErrorCode::NotFound,
        "is not granted to participant",
    )
    .await;
    let mut degenerate = vec![0; 2 * 66];
    degenerate[65] = 9;
    net.rejected(
        &cast.family,
        &txgt(&case, to, degenerate, &cast.family),
        ErrorCode::Invalid,
        "the tag is degenerate",
    )
    .await;
    net.rejected(
        &cast.family,
        &txgt(&case, to, vec![0; 3 * 66], &cast.family),
        ErrorCode::Invalid,
        "(2 × 66 = 132 bytes)",
    )
    .await;
    let mut forged = txgt(&case, to, grant_tag_bytes(), &cast.stranger);
    net.rejected(
        &cast.family,
        &forged,
        ErrorCode::Invalid,
        "the grant tag's signature is not the granter's",
    )
    .await;
    if let Some(Record::Txgt(t)) = &mut forged.record {
        t.tag_signature = Vec::new();
    }
    net.rejected(
        &cast.family,
        &forged,
        ErrorCode::Invalid,
        "the grant tag's signature",
    )
    .await;
    net.ok(
        &cast.family,
        &txgt(&case, to, grant_tag_bytes(), &cast.family),
    )
    .await;
}

#[tokio::test]
async fn a_case_is_granted_to_at_most_32_participants() {
    let net = Net::start().await;
    let (cast, case, _) = established(&net).await;
    let family = &cast.family;
    let grant_to = |who: &Person| {
        txgo(grant_by(
            &case,
            family,
            who.ind(),
            Role::Unspecified,
            who.vk(),
            family,
        ))
    };
    for i in 0..medchain_protocol::limits::MAX_GRANTS_PER_CASE {
        net.ok(family, &grant_to(&Person::new(&format!("relative{i}"))))
            .await;
    }
    net.rejected(
        family,
        &grant_to(&Person::new("one-too-many")),
        ErrorCode::Invalid,
        "is already granted to 32 participants, the most one case can be granted to (32)",
    )
    .await;
}
