//! A case run step by step from one task, without events: open, every
//! answer (in parallel or one after the other), key establishment, each
//! writer's record after reading the previous one, and the patient reading
//! the last record. What is left is the chain of commits itself.

use futures::future::try_join_all;
use medchain::crypto::{CaseId, RecordType};
use medchain::workflow::{self, Selection};

use super::{CaseTiming, Stopwatch, message};
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

/// `p` answers the case opening (`txtr`).
async fn answer(p: &Participant, case: &CaseId, kdf: Kdf) -> Result<()> {
    Ok(workflow::respond(p.ledger(), &p.password, case, kdf.policy).await?)
}

/// Runs one case with `cast`, from the patient's `selection`.
pub async fn run_case(
    cast: &Cast,
    selection: &Selection,
    options: DirectOptions,
) -> Result<CaseOutcome> {
    let kdf = options.kdf;
    let doctor = cast.require(Part::Doctor)?;
    let mut watch = Stopwatch::start();
    let case = workflow::open_case(
        doctor.ledger(),
        &doctor.wallet,
        &doctor.password,
        selection,
        kdf.params,
        kdf.policy,
    )
    .await?;
    let mut submitted = 1;
    watch.step("txtc");

    let responders: Vec<_> = cast
        .members
        .iter()
        .filter(|p| p.part != Part::Doctor)
        .collect();
    if options.parallel_answers {
        try_join_all(responders.iter().map(|p| answer(p, &case, kdf))).await?;
        submitted += responders.len();
        watch.step("txtr");
    } else {
        for p in &responders {
            answer(p, &case, kdf).await?;
            submitted += 1;
            watch.step(format!("txtr {}", p.part.label()));
        }
    }

    workflow::establish(
        doctor.ledger(),
        &doctor.wallet,
        &doctor.password,
        &case,
        kdf.policy,
    )
    .await?;
    watch.step("key");
    let text = message(options.message_bytes);
    let mut last = workflow::add_record(
        doctor.ledger(),
        Some(&doctor.wallet),
        &doctor.password,
        &case,
        RecordType::Diagnosis,
        &text,
        kdf.policy,
    )
    .await?;
    submitted += 1;
    watch.step("txd");

    for (part, record_type) in LATER_WRITERS {
        let Some(writer) = cast.get(part) else {
            continue;
        };
        workflow::read_record(writer.ledger(), &writer.password, &last, kdf.policy).await?;
        last = workflow::add_record(
            writer.ledger(),
            Some(&writer.wallet),
            &writer.password,
            &case,
            record_type,
            &text,
            kdf.policy,
        )
        .await?;
        submitted += 1;
        watch.step(record_type.label());
    }

    let patient = cast.require(Part::Patient)?;
    let read =
        workflow::read_record(patient.ledger(), &patient.password, &last, kdf.policy).await?;
    if read.plaintext.as_deref().map(Vec::as_slice) != Some(text.as_slice()) {
        return Err(BenchError::Invalid(
            "the patient decrypted something other than the last record's text".into(),
        ));
    }
    watch.step("read");
    Ok(CaseOutcome {
        case,
        timing: watch.finish(submitted),
    })
}
