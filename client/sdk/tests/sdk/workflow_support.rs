//! Shared test support for the workflow tests on the embedded ledger:
//! users with P-256 identities from the ledger's CA, wallets, registration, and the
//! patient's signed selection.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

use std::path::Path;

use fabric_gateway::PrivateKeySigner;
use fabric_shim::ClientIdentity;
use medchain_protocol::v1::Role;
use medchain_sdk::ledger::Ledger;
use medchain_sdk::ledger::embedded::INSECURE_TEST_KDF_FLOOR;
use medchain_sdk::ledger::embedded::{EmbeddedLedger, LocalCa};
use medchain_sdk::wallet::{
    BackendProfile, IdentityLocation, PROFILE_FORMAT, SavedCheckpoint, UserRole, Wallet,
    WalletProfile, WalletSecrets,
};
use medchain_sdk::workflow::{self, Selection};
use medchain_siff::{KdfParams, KdfPolicy};

/// Argon2id parameters for tests (with the explicit insecure policy).
pub const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};
/// The policy that allows [`FAST`].
pub const POLICY: KdfPolicy = KdfPolicy::AllowInsecureTestParameters;

/// A user: identity, ledger connection, wallet, password.
#[derive(Clone)]
pub struct User {
    pub name: String,
    pub ledger: Ledger,
    pub wallet: Wallet,
    pub password: String,
    key_pem: String,
}

impl User {
    /// The user's identity signing key.
    pub fn signer(&self) -> PrivateKeySigner {
        PrivateKeySigner::from_pem(&self.key_pem).unwrap()
    }

    /// The user's public key (65 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        hex::decode(workflow::public_key_hex(&self.ledger)).unwrap()
    }
}

/// A P-256 identity issued by `ca` with `role` in its certificate, and its
/// PKCS#8 key.
pub fn identity(ca: &LocalCa, name: &str, role: UserRole) -> (ClientIdentity, String) {
    let issued = ca.issue(name, role.name()).unwrap();
    (
        ClientIdentity::from_pem("EmbeddedMSP", &issued.certificate_pem).unwrap(),
        issued.key_pem.to_string(),
    )
}

/// Makes `name`'s wallet under `root`, connects it to the embedded ledger
/// in `root/ledger`, and registers it when its role registers.
pub async fn user(root: &Path, name: &str, role: UserRole) -> User {
    user_issued_by(root, name, role, None).await
}

/// [`user`] with a certificate issued by `ca` instead of the ledger's CA.
pub async fn user_issued_by(root: &Path, name: &str, role: UserRole, ca: Option<&LocalCa>) -> User {
    let ledger =
        EmbeddedLedger::open_with_kdf_floor(root.join("ledger"), Some(INSECURE_TEST_KDF_FLOOR))
            .await
            .unwrap();
    let (id, key_pem) = identity(ca.unwrap_or(ledger.ca()), name, role);
    let password = format!("{name} pässwörd");
    let profile = WalletProfile {
        format: PROFILE_FORMAT.into(),
        name: name.into(),
        role,
        identity: IdentityLocation::Embedded {
            msp_id: "EmbeddedMSP".into(),
            certificate_pem: id.certificate_pem().into(),
        },
        backend: BackendProfile::Embedded {
            dir: root.join("ledger"),
        },
        checkpoint: SavedCheckpoint::default(),
        cases: Default::default(),
        previous_identities: Vec::new(),
    };
    let mut secrets = WalletSecrets::default();
    secrets.signing_key_pem = Some(key_pem.clone());
    let wallet = Wallet::create(root.join(name), &profile, &password, &secrets, FAST)
        .unwrap()
        .with_kdf(FAST);
    let ledger = Ledger::embedded(ledger, id).unwrap();
    let registered = match role {
        UserRole::Doctor => Some(Role::Doctor),
        UserRole::Pharmacist => Some(Role::Pharmacist),
        UserRole::Insurer => Some(Role::Insurer),
        UserRole::LawyerExpert => Some(Role::LawyerExpert),
        UserRole::Patient | UserRole::Family => None,
    };
    if let Some(role) = registered {
        workflow::register(&ledger, role).await.unwrap();
    }
    User {
        name: name.into(),
        ledger,
        wallet,
        password,
        key_pem,
    }
}

/// A selection by `patient` naming `doctor`, to be completed and signed.
pub fn selection_for(patient: &User, doctor: &User) -> Selection {
    Selection::new(&patient.public_key(), doctor.ledger.ind())
}

/// The patient signs its selection.
pub fn signed(mut selection: Selection, patient: &User) -> Selection {
    selection.sign(&patient.signer()).unwrap();
    selection
}
