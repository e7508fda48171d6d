//! A case run step by step from one task, without events: open, every
//! answer (in parallel or one after the other), key establishment, each
//! writer's record after reading the previous one, and the patient reading
//! the last record. What is left is the chain of commits itself.

use futures::future::try_join_all;
use medchain_sdk::workflow;
use medchain_siff::{CaseId, RecordType};

use super::{CaseTiming, Retries, message, open_case};
use crate::cast::{Cast, Kdf, Part, Participant};
use crate::error::{BenchError, Result};

/// How a direct case runs.
#[derive(Debug, Clone, Copy)]
pub struct DirectOptions {
    /// Argon2id parameters of the case.
    pub kdf: Kdf,
    /// Submit the answers (`txtr`) concurrently rather than in turn.
    pub parallel_answers: bool,
    /// Plaintext size of each record.
    pub message_bytes: usize,
}

/// What a finished case left behind.
pub struct CaseOutcome {
    /// κ0.
    pub case: CaseId,
    /// Its timing.
    pub timing: CaseTiming,
}

/// The writers after the doctor, in order, with the record each stores.
const LATER_WRITERS: [(Part, RecordType); 2] = [
    (Part::Pharmacist, RecordType::Medication),
    (Part::Insurer, RecordType::Compensation),
];

/// `p` answers the case opening (`txtr`), retrying as [`Retries`] says.
async fn answer(p: &Participant, case: &CaseId, kdf: Kdf, retries: &Retries) -> Result<()> {
    retries
        .run(|| async move { Ok(workflow::respond(p.ledger(), &p.password, case, kdf.policy).await?) })
        .await
}

/// `p` stores a record of `record_type` with `text`; returns its key.
async fn store(
    p: &Participant,
    case: &CaseId,
    record_type: RecordType,
    text: &[u8],
    kdf: Kdf,
    retries: &Retries,
) -> Result<[u8; 32]> {
    retries
        .run(|| async move {
            Ok(workflow::add_record(
                p.ledger(),
                Some(&p.wallet),
                &p.password,
                case,
                record_type,
                text,
                kdf.policy,
            )
            .await?)
        })
        .await
}

/// `p` decrypts the record `key`; returns its plaintext.
async fn read(p: &Participant, key: &[u8; 32], kdf: Kdf, retries: &Retries) -> Result<Vec<u8>> {
    retries
        .run(|| async move {
            let record = workflow::read_record(p.ledger(), &p.password, key, kdf.policy).await?;
            Ok(record.plaintext.map(|t| t.to_vec()).unwrap_or_default())
        })
        .await
}

/// Runs one case with `cast`: the patient signs a fresh selection (not
/// timed: it happens before the doctor opens the case), then the case runs.
pub async fn run_case(
    cast: &Cast,
    options: DirectOptions,
    retries: &Retries,
) -> Result<CaseOutcome> {
    let kdf = options.kdf;
    let retried_before = retries.count();
    let doctor = cast.require(Part::Doctor)?;
    let (case, mut watch) = open_case(cast, kdf, retries).await?;
    let mut submitted = 1;

    let responders: Vec<_> = cast
        .members
        .iter()
        .filter(|p| p.part != Part::Doctor)
        .collect();
    if options.parallel_answers {
        try_join_all(responders.iter().map(|p| answer(p, &case, kdf, retries))).await?;
        submitted += responders.len();
        watch.step("txtr");
    } else {
        for p in &responders {
            answer(p, &case, kdf, retries).await?;
            submitted += 1;
            watch.step(format!("txtr {}", p.part.label()));
        }
    }

    retries
        .run(|| async {
            Ok(workflow::establish(
                doctor.ledger(),
                &doctor.wallet,
                &doctor.password,
                &case,
                kdf.policy,
            )
            .await?)
        })
        .await?;
    watch.step("key");
    let text = message(options.message_bytes);
    let mut last = store(doctor, &case, RecordType::Diagnosis, &text, kdf, retries).await?;
    submitted += 1;
    watch.step("txd");

    for (part, record_type) in LATER_WRITERS {
        let Some(writer) = cast.get(part) else {
            continue;
        };
        read(writer, &last, kdf, retries).await?;
        last = store(writer, &case, record_type, &text, kdf, retries).await?;
        submitted += 1;
        watch.step(record_type.label());
    }

    let patient = cast.require(Part::Patient)?;
    if read(patient, &last, kdf, retries).await? != text {
        return Err(BenchError::Invalid(
            "the patient decrypted something other than the last record's text".into(),
        ));
    }
    watch.step("read");
    Ok(CaseOutcome {
        case,
        timing: watch.finish(submitted, retries.count() - retried_before),
    })
}
