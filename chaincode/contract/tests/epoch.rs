//! Key epochs (`txeo`, `txer`, `txet`) through the real shim: revoking a
//! participant for the future. The order of the steps, who may take each,
//! what each must carry, that later records carry the epoch's tag and reach
//! only its members, and that a revoked participant stores nothing more.
//! Every refusal leaves the world state as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Cast, Net, Person, ephemeral_key, record, reg, wrap};
use medchain_protocol::ErrorCode;
use medchain_protocol::signature::{
    epoch_signature_message, epoch_tag_signature_message, grant_signature_message, sign_low_s,
};
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{
    CaseRecord, EpochOpening, EpochResponse, EpochTag, GrantOpening, InputParameter, Role,
};

/// A case with every answer and the doctor's first `txd`.
async fn established(net: &Net) -> (Cast, [u8; 32]) {
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
    (cast, case)
}

/// The opening of `epoch` by `opener` revoking `revoked`, signed by `signer`.
fn txeo(
    case: &[u8; 32],
    epoch: u32,
    opener: &Person,
    revoked: Vec<u64>,
    signer: &Person,
) -> InputParameter {
    let eph = ephemeral_key();
    let message = epoch_signature_message(case, epoch, opener.ind(), &revoked, &eph);
    InputParameter {
        record: Some(Record::Txeo(EpochOpening {
            case_key: case.to_vec(),
            epoch,
            opener: opener.ind(),
            revoked,
            opener_ephemeral_key: eph,
            signature: sign_low_s(&signer.signing_key, &message),
        })),
    }
}

fn txer(case: &[u8; 32], epoch: u32, who: &Person) -> InputParameter {
    InputParameter {
        record: Some(Record::Txer(EpochResponse {
            case_key: case.to_vec(),
            epoch,
            responder: who.ind(),
            ephemeral_key: ephemeral_key(),
            sealed_secret: vec![7; 60],
        })),
    }
}

/// A valid tag of `k` coefficients (α_1 = 2).
fn epoch_tag_bytes(k: usize) -> Vec<u8> {
    let mut tag = vec![0; k * 66];
    tag[2 * 66 - 1] = 2;
    tag
}

fn epoch_signature(case: &[u8; 32], epoch: u32, tag: &[u8], signer: &Person) -> Vec<u8> {
    sign_low_s(
        &signer.signing_key,
        &epoch_tag_signature_message(case, epoch, tag),
    )
}

fn txet(case: &[u8; 32], epoch: u32, tag: Vec<u8>, signer: &Person) -> InputParameter {
    InputParameter {
        record: Some(Record::Txet(EpochTag {
            case_key: case.to_vec(),
            epoch,
            tag_signature: epoch_signature(case, epoch, &tag, signer),
            tag,
        })),
    }
}

/// A record of epoch `epoch` by `who` listing `participants`, carrying
/// `tag` signed by `signer` for that epoch.
fn epoch_record(
    case: &[u8; 32],
    epoch: u32,
    participants: Vec<u64>,
    tag: Vec<u8>,
    signer: &Person,
) -> CaseRecord {
    CaseRecord {
        epoch,
        participants,
        tag_signature: epoch_signature(case, epoch, &tag, signer),
        tag,
        ..record(case, signer, Vec::new())
    }
}

fn without(list: &[u64], gone: &[u64]) -> Vec<u64> {
    list.iter().copied().filter(|i| !gone.contains(i)).collect()
}

#[tokio::test]
async fn an_epoch_runs_in_order_and_the_revoked_insurer_hears_no_more() {
    let net = Net::start().await;
    let (cast, case) = established(&net).await;
    let members = without(&cast.participants(), &[cast.insurer.ind()]);
    let answering = without(&members, &[cast.family.ind()]);

    let (name, event) = net
        .event(
            &cast.family,
            &txeo(
                &case,
                1,
                &cast.family,
                vec![cast.insurer.ind()],
                &cast.family,
            ),
        )
        .await;
    assert_eq!(
        (name.as_str(), event.receivers.clone()),
        ("txeo", answering.clone())
    );

    let tag = epoch_tag_bytes(members.len());
    let txm = |epoch, signer: &Person| {
        wrap(
            "txm",
            epoch_record(
                &case,
                epoch,
                without(&members, &[cast.pharmacist.ind()]),
                tag.clone(),
                signer,
            ),
        )
    };
    net.rejected(
        &cast.pharmacist,
        &txm(1, &cast.family),
        ErrorCode::OutOfOrder,
        "is changing its key",
    )
    .await;
    net.rejected(
        &cast.family,
        &txet(&case, 1, tag.clone(), &cast.family),
        ErrorCode::OutOfOrder,
        "has not answered epoch 1",
    )
    .await;
    net.rejected(
        &cast.insurer,
        &txer(&case, 1, &cast.insurer),
        ErrorCode::Unauthorized,
        "not a member who answers epoch 1",
    )
    .await;
    net.rejected(
        &cast.family,
        &txer(&case, 1, &cast.family),
        ErrorCode::Unauthorized,
        "not a member who answers epoch 1",
    )
    .await;
    net.rejected(
        &cast.stranger,
        &txer(&case, 1, &cast.patient),
        ErrorCode::Unauthorized,
        "answer only for yourself",
    )
    .await;
    net.rejected(
        &cast.patient,
        &txer(&case, 2, &cast.patient),
        ErrorCode::NotFound,
        "has no key epoch 2 opened",
    )
    .await;
    for who in [&cast.patient, &cast.doctor, &cast.pharmacist, &cast.lawyer] {
        let (name, event) = net.event(who, &txer(&case, 1, who)).await;
        assert_eq!(
            (name.as_str(), event.receivers.as_slice()),
            ("txer", &[cast.family.ind()][..])
        );
    }
    net.rejected(
        &cast.lawyer,
        &txer(&case, 1, &cast.lawyer),
        ErrorCode::AlreadyStored,
        "has already answered epoch 1",
    )
    .await;
    net.rejected(
        &cast.patient,
        &txet(&case, 1, tag.clone(), &cast.patient),
        ErrorCode::Unauthorized,
        "only the opener of this epoch",
    )
    .await;
    net.rejected(
        &cast.family,
        &txet(&case, 1, epoch_tag_bytes(members.len() + 1), &cast.family),
        ErrorCode::Invalid,
        "one 66-byte coefficient per participant (5 × 66",
    )
    .await;
    net.rejected(
        &cast.family,
        &txet(&case, 1, vec![0; members.len() * 66], &cast.family),
        ErrorCode::Invalid,
        "degenerate",
    )
    .await;
    let mut forged = txet(&case, 1, tag.clone(), &cast.stranger);
    net.rejected(
        &cast.family,
        &forged,
        ErrorCode::Invalid,
        "not the opener's",
    )
    .await;
    if let Some(Record::Txet(t)) = &mut forged.record {
        t.tag_signature = epoch_signature(&case, 2, &tag, &cast.family);
    }
    net.rejected(
        &cast.family,
        &forged,
        ErrorCode::Invalid,
        "not the opener's",
    )
    .await;

    let (name, event) = net
        .event(&cast.family, &txet(&case, 1, tag.clone(), &cast.family))
        .await;
    assert_eq!(
        (name.as_str(), event.receivers.clone()),
        ("txet", answering)
    );
    net.rejected(
        &cast.family,
        &txet(&case, 1, tag.clone(), &cast.family),
        ErrorCode::AlreadyStored,
        "already has its tag",
    )
    .await;
    net.rejected(
        &cast.lawyer,
        &txer(&case, 1, &cast.lawyer),
        ErrorCode::AlreadyStored,
        "already has its tag",
    )
    .await;

    // Records now carry epoch 1, its tag and its opener's signature.
    let old = wrap(
        "txm",
        record(
            &case,
            &cast.doctor,
            without(&cast.participants(), &[cast.pharmacist.ind()]),
        ),
    );
    net.rejected(
        &cast.pharmacist,
        &old,
        ErrorCode::Invalid,
        "is in key epoch 1, but the record says epoch 0",
    )
    .await;
    let mut wrong_members = txm(1, &cast.family);
    if let Some(Record::Txm(r)) = &mut wrong_members.record {
        r.participants = without(&cast.participants(), &[cast.pharmacist.ind()]);
    }
    net.rejected(
        &cast.pharmacist,
        &wrong_members,
        ErrorCode::Invalid,
        "the other 4 members of key epoch 1",
    )
    .await;
    let mut doctor_tag = txm(1, &cast.family);
    if let Some(Record::Txm(r)) = &mut doctor_tag.record {
        r.tag = epoch_tag_bytes(members.len());
        r.tag[3 * 66 - 1] = 1;
        r.tag_signature = epoch_signature(&case, 1, &r.tag, &cast.family);
    }
    net.rejected(
        &cast.pharmacist,
        &doctor_tag,
        ErrorCode::Invalid,
        "differs from the tag of key epoch 1",
    )
    .await;
    net.rejected(
        &cast.pharmacist,
        &txm(1, &cast.stranger),
        ErrorCode::Invalid,
        "not the epoch opener's",
    )
    .await;
    let (name, event) = net.event(&cast.pharmacist, &txm(1, &cast.family)).await;
    assert_eq!(
        (name.as_str(), event.receivers.as_slice()),
        ("txm", &[cast.patient.ind(), cast.family.ind()][..]),
        "the revoked insurer is not notified"
    );
    let txa = wrap(
        "txa",
        epoch_record(
            &case,
            1,
            without(&members, &[cast.insurer.ind()]),
            tag.clone(),
            &cast.family,
        ),
    );
    net.rejected(
        &cast.insurer,
        &txa,
        ErrorCode::Unauthorized,
        "was revoked from case",
    )
    .await;

    // A grant yields only the first key: refused once an epoch exists.
    let outsider = Person::new("lawyer");
    net.ok(&outsider, &reg(&outsider, Role::LawyerExpert)).await;
    let eph = ephemeral_key();
    let message = grant_signature_message(
        &case,
        cast.family.ind(),
        outsider.ind(),
        Role::LawyerExpert as i32,
        &[],
        &eph,
    );
    let grant = InputParameter {
        record: Some(Record::Txgo(GrantOpening {
            case_key: case.to_vec(),
            granter: cast.family.ind(),
            grantee: outsider.ind(),
            grantee_role: Role::LawyerExpert as i32,
            grantee_key: Vec::new(),
            granter_ephemeral_key: eph,
            signature: sign_low_s(&cast.family.signing_key, &message),
        })),
    };
    net.rejected(
        &cast.family,
        &grant,
        ErrorCode::OutOfOrder,
        "has entered key epoch 1",
    )
    .await;
}

#[tokio::test]
async fn who_may_open_an_epoch_and_what_it_must_carry() {
    let net = Net::start().await;
    let cast = Cast::registered(&net).await;
    let case = cast.answered(&net).await;
    let insurer = vec![cast.insurer.ind()];
    net.rejected(
        &cast.family,
        &txeo(&case, 1, &cast.family, insurer.clone(), &cast.family),
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
    let refusals: [(&Person, InputParameter, ErrorCode, &str); 10] = [
        (
            &cast.pharmacist,
            txeo(
                &case,
                1,
                &cast.pharmacist,
                insurer.clone(),
                &cast.pharmacist,
            ),
            ErrorCode::Unauthorized,
            "only the patient or a family member named in case",
        ),
        (
            &cast.doctor,
            txeo(&case, 1, &cast.doctor, insurer.clone(), &cast.doctor),
            ErrorCode::Unauthorized,
            "may revoke its participants",
        ),
        (
            &cast.stranger,
            txeo(&case, 1, &cast.family, insurer.clone(), &cast.family),
            ErrorCode::Unauthorized,
            "open an epoch only as yourself",
        ),
        (
            &cast.family,
            txeo(&case, 2, &cast.family, insurer.clone(), &cast.family),
            ErrorCode::Invalid,
            "the next epoch is 1, not 2",
        ),
        (
            &cast.family,
            txeo(&case, 1, &cast.family, Vec::new(), &cast.family),
            ErrorCode::Invalid,
            "at least one member",
        ),
        (
            &cast.family,
            txeo(
                &case,
                1,
                &cast.family,
                vec![cast.doctor.ind()],
                &cast.family,
            ),
            ErrorCode::Invalid,
            "cannot be revoked",
        ),
        (
            &cast.family,
            txeo(
                &case,
                1,
                &cast.family,
                vec![cast.family.ind()],
                &cast.family,
            ),
            ErrorCode::Invalid,
            "cannot revoke itself",
        ),
        (
            &cast.family,
            txeo(
                &case,
                1,
                &cast.family,
                vec![cast.stranger.ind()],
                &cast.family,
            ),
            ErrorCode::Invalid,
            "is not a member of the case's current key epoch",
        ),
        (
            &cast.family,
            {
                let mut two = vec![cast.insurer.ind(), cast.lawyer.ind()];
                two.sort_unstable();
                two.reverse();
                txeo(&case, 1, &cast.family, two, &cast.family)
            },
            ErrorCode::Invalid,
            "sorted ascending",
        ),
        (
            &cast.family,
            txeo(&case, 1, &cast.family, insurer.clone(), &cast.stranger),
            ErrorCode::Invalid,
            "not the opener's",
        ),
    ];
    for (who, input, code, expected) in refusals {
        net.rejected(who, &input, code, expected).await;
    }

    // Epoch 1 (without the insurer) stalls: the lawyer never answers. The
    // patient abandons it for epoch 2, which starts again from epoch 0 and
    // leaves the family member out instead.
    net.ok(
        &cast.patient,
        &txeo(&case, 1, &cast.patient, insurer.clone(), &cast.patient),
    )
    .await;
    net.ok(&cast.doctor, &txer(&case, 1, &cast.doctor)).await;
    let (_, event) = net
        .event(
            &cast.patient,
            &txeo(
                &case,
                2,
                &cast.patient,
                vec![cast.family.ind()],
                &cast.patient,
            ),
        )
        .await;
    let members = without(&cast.participants(), &[cast.family.ind()]);
    assert_eq!(
        event.receivers,
        without(&members, &[cast.patient.ind()]),
        "the insurer is a member again, the family member is not"
    );
    net.rejected(
        &cast.pharmacist,
        &txer(&case, 1, &cast.pharmacist),
        ErrorCode::OutOfOrder,
        "was abandoned for epoch 2 before its tag was published; answer epoch 2",
    )
    .await;
    net.rejected(
        &cast.patient,
        &txet(&case, 1, epoch_tag_bytes(5), &cast.patient),
        ErrorCode::OutOfOrder,
        "was abandoned for epoch 2",
    )
    .await;
    for who in [&cast.doctor, &cast.pharmacist, &cast.insurer, &cast.lawyer] {
        net.ok(who, &txer(&case, 2, who)).await;
    }
    net.ok(
        &cast.patient,
        &txet(&case, 2, epoch_tag_bytes(members.len()), &cast.patient),
    )
    .await;
    net.rejected(
        &cast.family,
        &txeo(&case, 3, &cast.family, insurer.clone(), &cast.family),
        ErrorCode::Unauthorized,
        "was revoked from case",
    )
    .await;
    net.ok(
        &cast.patient,
        &txeo(&case, 3, &cast.patient, insurer, &cast.patient),
    )
    .await;
}
