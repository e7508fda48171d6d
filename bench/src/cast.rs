//! The participants of a benchmark case: the SDK's cast
//! ([`medchain_sdk::cast`]), each with its own wallet (in a temporary
//! directory), password and ledger connection — on a Fabric network as the
//! profile's ready-made identities, or on an embedded ledger with fresh
//! identities.

use std::path::Path;

use medchain_sdk::cast;
pub use medchain_sdk::cast::{Part, Participant, Stage};
use medchain_sdk::workflow::Selection;
use medchain_siff::{KdfParams, KdfPolicy};

use crate::error::{BenchError, Result};

/// The parts of a benchmark case, in the order participants are added (2
/// participants are the patient and the doctor, 3 add the pharmacist, …).
pub const PARTS: [Part; 5] = [
    Part::Patient,
    Part::Doctor,
    Part::Pharmacist,
    Part::Insurer,
    Part::Lawyer,
];

/// Argon2id parameters of the cases and wallets, with the policy allowing
/// them.
#[derive(Debug, Clone, Copy)]
pub struct Kdf {
    /// The parameters.
    pub params: KdfParams,
    /// The policy (fast parameters need the explicit insecure policy).
    pub policy: KdfPolicy,
}

impl Kdf {
    /// Fast, insecure parameters (64 KiB, t = 1), as the paper's fast hash.
    pub const FAST: Self = Self {
        params: KdfParams {
            m_kib: 64,
            t: 1,
            p: 1,
        },
        policy: KdfPolicy::AllowInsecureTestParameters,
    };
    /// The secure defaults.
    pub const DEFAULT: Self = Self {
        params: KdfParams::DEFAULT,
        policy: KdfPolicy::RequireMinimum,
    };
}

/// The participants of one case.
pub struct Cast {
    /// Patient first, then doctor, pharmacist, insurer, lawyer as present.
    pub members: Vec<Participant>,
}

impl Cast {
    /// Creates wallets under `dir` for the first `count` parts (2..=5) and
    /// connects them; registers the doctor, pharmacist, insurer and lawyer
    /// where they are not yet registered.
    pub async fn create(stage: &Stage, dir: &Path, count: usize, kdf: Kdf) -> Result<Self> {
        if !(2..=PARTS.len()).contains(&count) {
            return Err(BenchError::Invalid(format!(
                "a case has 2 to {} participants, not {count}",
                PARTS.len()
            )));
        }
        let members = cast::create(stage, dir, &PARTS[..count], kdf.params).await?;
        cast::register_all(&members).await?;
        Ok(Self { members })
    }

    /// The participant playing `part`, if present.
    pub fn get(&self, part: Part) -> Option<&Participant> {
        self.members.iter().find(|p| p.part == part)
    }

    /// The participant playing `part`; an error when absent.
    pub fn require(&self, part: Part) -> Result<&Participant> {
        Ok(cast::find(&self.members, part)?)
    }

    /// The patient's signed selection of everyone else in the cast.
    pub fn selection(&self) -> Result<Selection> {
        Ok(cast::selection(&self.members)?)
    }

    /// Points every wallet's event checkpoint at the current height, so
    /// watchers see only what comes next.
    pub async fn checkpoint_now(&self) -> Result<()> {
        Ok(cast::checkpoint_now(&self.members).await?)
    }
}
