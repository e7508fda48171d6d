//! The demo's cast: the six roles of the paper plus a stranger, each with
//! its own wallet, password and ledger connection.

use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::cli::backend::{self, Connection};
use crate::cli::commands::init::{NewWallet, embedded_identity};
use crate::cli::error::CliError;
use crate::crypto::KdfParams;
use crate::ledger::Ledger;
use crate::ledger::embedded::EmbeddedLedger;
use crate::wallet::{BackendProfile, IdentityLocation, UserRole, Wallet};

/// A part in the demo.
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
}

impl Part {
    /// Every part, in the order the demo introduces them.
    pub const ALL: [Self; 7] = [
        Self::Patient,
        Self::Family,
        Self::Doctor,
        Self::Pharmacist,
        Self::Insurer,
        Self::Lawyer,
        Self::Stranger,
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
            Self::Lawyer => UserRole::LawyerExpert,
        }
    }
}

/// One participant of the demo.
pub struct Participant {
    /// The part played.
    pub part: Part,
    /// The wallet.
    pub wallet: Wallet,
    /// The ledger connection.
    pub connection: Connection,
    /// The password (random; zeroized on drop, never shown).
    pub password: Zeroizing<String>,
}

impl Participant {
    /// The ledger, as this participant.
    pub fn ledger(&self) -> &Ledger {
        &self.connection.ledger
    }

    /// "Carol (doctor)".
    pub fn title(&self) -> String {
        format!("{} ({})", self.part.name(), self.part.label())
    }
}

/// The participant playing `part`.
pub fn find(cast: &[Participant], part: Part) -> Result<&Participant, CliError> {
    cast.iter()
        .find(|p| p.part == part)
        .ok_or_else(|| CliError::failure(format!("the demo has no {}", part.label())))
}

/// Where the demo's ledger is.
pub enum Stage {
    /// An embedded ledger in the demo directory.
    Embedded(EmbeddedLedger),
    /// A Fabric network described by a client profile.
    Fabric(PathBuf),
}

fn random_password() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 24]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(hex::encode(bytes.as_ref()))
}

/// Creates every participant's wallet under `dir` and connects it.
pub async fn create(
    stage: &Stage,
    dir: &Path,
    kdf: KdfParams,
) -> Result<Vec<Participant>, CliError> {
    let network = match stage {
        Stage::Fabric(path) => Some(backend::read_network_profile(path)?),
        Stage::Embedded(_) => None,
    };
    let mut cast = Vec::with_capacity(Part::ALL.len());
    for part in Part::ALL {
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
            _ => {
                let (identity, key) = embedded_identity(part.name())?;
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
        let connection = match stage {
            Stage::Embedded(ledger) => Connection::on_embedded(ledger, &profile)?,
            Stage::Fabric(_) => backend::connect(&profile).await?,
        };
        cast.push(Participant {
            part,
            wallet,
            connection,
            password,
        });
    }
    Ok(cast)
}
