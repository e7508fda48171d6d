//! A cast of participants for demos, benchmarks and tests: the six roles
//! of the paper plus a stranger, each with its own wallet (in a directory
//! of the caller's), random password and ledger connection — on a Fabric
//! network as the client profile's ready-made identities, or on an embedded
//! ledger with fresh identities.

use std::path::{Path, PathBuf};

use medchain_siff::KdfParams;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::connect::{self, ConnectError, NetworkProfile};
use crate::ledger::Ledger;
use crate::ledger::embedded::EmbeddedLedger;
use crate::wallet::{
    BackendProfile, IdentityLocation, NewWallet, SavedCheckpoint, UserRole, Wallet, WalletError,
    WalletSecrets,
};
use crate::workflow::{self, Selection, WorkflowError, format_ind};

/// Why a cast could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum CastError {
    /// A wallet could not be made or read.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The ledger could not be reached, or the profile lacks a user.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A workflow step (registration, signing the selection) failed.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The cast has no participant playing this part.
    #[error("the cast has no {0}")]
    Missing(&'static str),
}

/// A part in a case: the six roles of the paper plus a stranger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The patient.
    Patient,
    /// A family member.
    Family,
    /// The doctor.
    Doctor,
    /// The pharmacist.
    Pharmacist,
    /// The insurer.
    Insurer,
    /// The lawyer.
    Lawyer,
    /// Someone the patient did not select.
    Stranger,
    /// A medical expert the patient did not select, engaged after the case
    /// (the family grants it the case).
    Expert,
}

impl Part {
    /// Every part, in the order the demo introduces them.
    pub const ALL: [Self; 8] = [
        Self::Patient,
        Self::Family,
        Self::Doctor,
        Self::Pharmacist,
        Self::Insurer,
        Self::Lawyer,
        Self::Stranger,
        Self::Expert,
    ];

    /// The part's label; also the user name in a network profile's `roles`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Family => "family",
            Self::Doctor => "doctor",
            Self::Pharmacist => "pharmacist",
            Self::Insurer => "insurer",
            Self::Lawyer => "lawyer",
            Self::Stranger => "stranger",
            Self::Expert => "expert",
        }
    }

    /// The character's name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Patient => "Alice",
            Self::Family => "Bob",
            Self::Doctor => "Carol",
            Self::Pharmacist => "Dave",
            Self::Insurer => "Erin",
            Self::Lawyer => "Frank",
            Self::Stranger => "Mallory",
            Self::Expert => "Grace",
        }
    }

    /// The wallet role.
    pub const fn role(self) -> UserRole {
        match self {
            Self::Patient => UserRole::Patient,
            Self::Family | Self::Stranger => UserRole::Family,
            Self::Doctor => UserRole::Doctor,
            Self::Pharmacist => UserRole::Pharmacist,
            Self::Insurer => UserRole::Insurer,
            Self::Lawyer | Self::Expert => UserRole::LawyerExpert,
        }
    }
}

/// Where the cast works.
#[derive(Clone)]
pub enum Stage {
    /// An embedded ledger (same contract, in process).
    Embedded(EmbeddedLedger),
    /// A Fabric network described by its client profile.
    Fabric(PathBuf),
}

/// One participant.
pub struct Participant {
    /// The part played.
    pub part: Part,
    /// Its wallet.
    pub wallet: Wallet,
    /// Its ledger connection, as its identity.
    pub ledger: Ledger,
    /// Its password (random; zeroized on drop, never shown).
    pub password: Zeroizing<String>,
}

impl Participant {
    /// The ledger, as this participant.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// "Carol (doctor)".
    pub fn title(&self) -> String {
        format!("{} ({})", self.part.name(), self.part.label())
    }

    /// The wallet's decrypted secrets.
    pub fn secrets(&self) -> Result<WalletSecrets, CastError> {
        Ok(self.wallet.secrets(&self.password)?)
    }
}

/// The participant playing `part`.
pub fn find(cast: &[Participant], part: Part) -> Result<&Participant, CastError> {
    cast.iter()
        .find(|p| p.part == part)
        .ok_or(CastError::Missing(part.label()))
}

fn random_password() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 24]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(hex::encode(bytes.as_ref()))
}

/// Creates a wallet for each of `parts` in `dir/<label>` (wallet secrets
/// under Argon2id at `kdf`) and connects it.
pub async fn create(
    stage: &Stage,
    dir: &Path,
    parts: &[Part],
    kdf: KdfParams,
) -> Result<Vec<Participant>, CastError> {
    let network = match stage {
        Stage::Fabric(path) => Some(NetworkProfile::read(path)?),
        Stage::Embedded(_) => None,
    };
    let mut cast = Vec::with_capacity(parts.len());
    for &part in parts {
        let (identity, backend, signing_key_pem) = match (stage, &network) {
            (Stage::Fabric(path), Some(network)) => {
                let user = network.role(part.label())?;
                let identity = IdentityLocation::MspFolder {
                    msp_id: user.msp_id.clone(),
                    path: user.msp_dir.clone(),
                };
                let backend = BackendProfile::Gateway {
                    profile: path.clone(),
                    org: user.org.clone(),
                };
                (identity, backend, None)
            }
            // (A Fabric stage always has its profile, read above.)
            (Stage::Fabric(_), None) => return Err(CastError::Missing("the network profile")),
            (Stage::Embedded(ledger), _) => {
                let (identity, key) =
                    crate::wallet::embedded_identity(ledger.ca(), part.name(), part.role())?;
                let backend = BackendProfile::Embedded {
                    dir: dir.join("ledger"),
                };
                (identity, backend, Some(key))
            }
        };
        let password = random_password();
        let new = NewWallet {
            name: part.name().to_owned(),
            role: part.role(),
            identity,
            backend,
            signing_key_pem,
        };
        let profile = new.profile();
        let wallet = new.create(&dir.join(part.label()), &password, kdf)?;
        let ledger = match stage {
            Stage::Embedded(ledger) => connect::on_embedded(ledger, &profile)?,
            Stage::Fabric(_) => connect::connect(&profile).await?,
        };
        cast.push(Participant {
            part,
            wallet,
            ledger,
            password,
        });
    }
    Ok(cast)
}

/// Registers every participant whose role registers, unless it already is.
pub async fn register_all(cast: &[Participant]) -> Result<(), CastError> {
    for p in cast {
        if let Some(role) = p.part.role().ledger_role() {
            workflow::ensure_registered(p.ledger(), role).await?;
        }
    }
    Ok(())
}

/// The patient's signed selection of everyone in the cast but the
/// stranger: family members by public key, the doctor, pharmacists,
/// insurers and lawyers by index.
pub fn selection(cast: &[Participant]) -> Result<Selection, CastError> {
    let patient = find(cast, Part::Patient)?;
    let patient_key = patient.ledger().public_key().to_encoded_point(false);
    let doctor = find(cast, Part::Doctor)?.ledger().ind();
    let mut selection = Selection::new(patient_key.as_bytes(), doctor);
    for p in cast {
        let ind = format_ind(p.ledger().ind());
        match p.part {
            Part::Family => selection
                .family_keys
                .push(workflow::public_key_hex(p.ledger())),
            Part::Pharmacist => selection.pharmacists.push(ind),
            Part::Insurer => selection.insurers.push(ind),
            Part::Lawyer => selection.lawyer_experts.push(ind),
            Part::Patient | Part::Doctor | Part::Stranger | Part::Expert => {}
        }
    }
    let profile = patient.wallet.profile()?;
    selection
        .sign(&connect::identity_signer(&profile, &patient.secrets()?)?)
        .map_err(CastError::from)?;
    Ok(selection)
}

/// Points every wallet's event checkpoint at the ledger's current height,
/// so watchers see only what comes next.
pub async fn checkpoint_now(cast: &[Participant]) -> Result<(), CastError> {
    let Some(first) = cast.first() else {
        return Ok(());
    };
    let height = first
        .ledger()
        .height()
        .await
        .map_err(|e| CastError::Workflow(e.into()))?;
    for p in cast {
        p.wallet.update(|w| {
            w.checkpoint = SavedCheckpoint {
                block: height,
                tx_id: None,
            }
        })?;
    }
    Ok(())
}
