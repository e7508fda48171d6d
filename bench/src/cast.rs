//! The participants of a benchmark case: each with its own wallet (in a
//! temporary directory), password and ledger connection — on a Fabric
//! network as the profile's ready-made identities, or on an embedded ledger
//! with fresh identities.

use std::path::{Path, PathBuf};

use medchain::cli::CliError;
use medchain::cli::backend::{self, Connection};
use medchain::cli::commands::init::{NewWallet, embedded_identity};
use medchain::cli::commands::register::ensure_registered;
use medchain::crypto::{KdfParams, KdfPolicy};
use medchain::ledger::Ledger;
use medchain::ledger::embedded::EmbeddedLedger;
use medchain::wallet::{BackendProfile, IdentityLocation, SavedCheckpoint, UserRole, Wallet};
use medchain::workflow::{Selection, format_ind, public_key_hex};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::error::{BenchError, Result};

/// A part in a case, in the order participants are added (2 participants
/// are the patient and the doctor, 3 add the pharmacist, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The patient (selected by public key, not registered).
    Patient,
    /// The doctor.
    Doctor,
    /// The pharmacist.
    Pharmacist,
    /// The insurer.
    Insurer,
    /// The lawyer or expert (reads, never writes).
    Lawyer,
}

impl Part {
    /// Every part, in the order participants are added.
    pub const ALL: [Self; 5] = [
        Self::Patient,
        Self::Doctor,
        Self::Pharmacist,
        Self::Insurer,
        Self::Lawyer,
    ];

    /// The role's user name in a network profile.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Doctor => "doctor",
            Self::Pharmacist => "pharmacist",
            Self::Insurer => "insurer",
            Self::Lawyer => "lawyer",
        }
    }

    const fn role(self) -> UserRole {
        match self {
            Self::Patient => UserRole::Patient,
            Self::Doctor => UserRole::Doctor,
            Self::Pharmacist => UserRole::Pharmacist,
            Self::Insurer => UserRole::Insurer,
            Self::Lawyer => UserRole::LawyerExpert,
        }
    }
}

/// Where the cases run.
#[derive(Clone)]
pub enum Stage {
    /// A Fabric network described by its client profile (absolute path).
    Fabric(PathBuf),
    /// An embedded ledger (same contract, in process).
    Embedded(EmbeddedLedger),
}

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

/// One participant.
pub struct Participant {
    /// The part played.
    pub part: Part,
    /// Its wallet.
    pub wallet: Wallet,
    /// Its connection.
    pub connection: Connection,
    /// Its password (random, zeroized on drop).
    pub password: Zeroizing<String>,
}

impl Participant {
    /// The ledger as this participant.
    pub fn ledger(&self) -> &Ledger {
        &self.connection.ledger
    }
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
        if !(2..=Part::ALL.len()).contains(&count) {
            return Err(BenchError::Invalid(format!(
                "a case has 2 to {} participants, not {count}",
                Part::ALL.len()
            )));
        }
        let mut members = Vec::with_capacity(count);
        for part in &Part::ALL[..count] {
            members.push(participant(stage, dir, *part, kdf).await?);
        }
        for p in members.iter().filter(|p| p.part.role().registers()) {
            ensure_registered(p.ledger(), p.part.role()).await?;
        }
        Ok(Self { members })
    }

    /// The participant playing `part`, if present.
    pub fn get(&self, part: Part) -> Option<&Participant> {
        self.members.iter().find(|p| p.part == part)
    }

    /// The participant playing `part`; an error when absent.
    pub fn require(&self, part: Part) -> Result<&Participant> {
        self.get(part).ok_or_else(|| {
            BenchError::Invalid(format!("the case has no {} participant", part.label()))
        })
    }

    /// The patient's selection of everyone else in the cast.
    pub fn selection(&self) -> Result<Selection> {
        let patient = self.require(Part::Patient)?;
        let key = hex::decode(public_key_hex(patient.ledger()))
            .map_err(|_| BenchError::Invalid("the patient's public key does not encode".into()))?;
        let mut selection = Selection::new(&key, self.require(Part::Doctor)?.ledger().ind());
        for p in &self.members {
            let ind = format_ind(p.ledger().ind());
            match p.part {
                Part::Pharmacist => selection.pharmacists.push(ind),
                Part::Insurer => selection.insurers.push(ind),
                Part::Lawyer => selection.lawyer_experts.push(ind),
                Part::Patient | Part::Doctor => {}
            }
        }
        // The patient signs its choice (the chaincode checks the signature).
        let secrets = patient
            .wallet
            .secrets(&patient.password)
            .map_err(CliError::from)?;
        let profile = patient.wallet.profile().map_err(CliError::from)?;
        selection.sign(&backend::identity_signer(&profile, &secrets)?)?;
        Ok(selection)
    }

    /// Points every wallet's event checkpoint at the current height, so
    /// watchers see only what comes next.
    pub async fn checkpoint_now(&self) -> Result<()> {
        let Some(first) = self.members.first() else {
            return Ok(());
        };
        let height = first.connection.height().await?;
        for p in &self.members {
            p.wallet.update(|w| {
                w.checkpoint = SavedCheckpoint {
                    block: height,
                    tx_id: None,
                }
            })?;
        }
        Ok(())
    }
}

fn random_password() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 24]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(hex::encode(bytes.as_ref()))
}

/// Makes `part`'s wallet in `dir/<label>` and connects it.
async fn participant(stage: &Stage, dir: &Path, part: Part, kdf: Kdf) -> Result<Participant> {
    let (identity, backend, signing_key_pem) = match stage {
        Stage::Fabric(profile) => {
            let network = backend::read_network_profile(profile)?;
            let user = network.role(part.label())?;
            let identity = IdentityLocation::MspFolder {
                msp_id: user.msp_id.clone(),
                path: user.msp_dir.clone(),
            };
            let backend = BackendProfile::Gateway {
                profile: profile.clone(),
                org: user.org.clone(),
            };
            (identity, backend, None)
        }
        Stage::Embedded(_) => {
            let (identity, key) = embedded_identity(part.label())?;
            let backend = BackendProfile::Embedded {
                dir: dir.join("ledger"),
            };
            (identity, backend, Some(key))
        }
    };
    let new = NewWallet {
        name: part.label().to_owned(),
        role: part.role(),
        identity,
        backend,
        signing_key_pem,
    };
    let profile = new.profile();
    let password = random_password();
    let wallet = new.create(&dir.join(part.label()), &password, kdf.params)?;
    let connection = match stage {
        Stage::Embedded(ledger) => Connection::on_embedded(ledger, &profile)?,
        Stage::Fabric(_) => backend::connect(&profile).await?,
    };
    Ok(Participant {
        part,
        wallet,
        connection,
        password,
    })
}
