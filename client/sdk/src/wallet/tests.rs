#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Barrier};

use super::*;

const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

fn profile(name: &str) -> WalletProfile {
    WalletProfile {
        format: PROFILE_FORMAT.into(),
        name: name.into(),
        role: UserRole::Patient,
        identity: IdentityLocation::Embedded {
            msp_id: "EmbeddedMSP".into(),
            certificate_pem: String::new(),
        },
        backend: BackendProfile::Embedded {
            dir: PathBuf::from("ledger"),
        },
        checkpoint: SavedCheckpoint::default(),
        cases: Default::default(),
        previous_identities: Vec::new(),
    }
}

fn create(dir: &Path, name: &str) -> Result<Wallet, WalletError> {
    Wallet::create(dir, &profile(name), name, &WalletSecrets::default(), FAST)
}

#[test]
fn a_wallet_is_not_created_over_a_part_of_one() {
    for present in [SECRETS_FILE, PROFILE_FILE] {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("wallet");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(present), b"precious").unwrap();
        let error = create(&dir, "alice").unwrap_err();
        assert!(matches!(error, WalletError::Exists { .. }), "{error}");
        assert!(error.to_string().contains("a wallet already exists"));
        // Nothing was written or replaced.
        assert_eq!(std::fs::read(dir.join(present)).unwrap(), b"precious");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files, [present], "{present}");
    }
}

#[test]
fn concurrent_creations_make_exactly_one_wallet() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("wallet");
    let names: Vec<String> = (0..6).map(|n| format!("user{n}")).collect();
    let start = Arc::new(Barrier::new(names.len()));
    let outcomes: Vec<(String, Result<Wallet, WalletError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| {
                let (start, dir) = (start.clone(), dir.clone());
                scope.spawn(move || {
                    start.wait();
                    (name.clone(), create(&dir, name))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&String> = outcomes
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(name, _)| name)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    for (_, outcome) in &outcomes {
        if let Err(e) = outcome {
            assert!(matches!(e, WalletError::Exists { .. }), "{e}");
        }
    }
    // The profile and the secrets are the winner's, together.
    let wallet = Wallet::open(&dir).unwrap();
    assert_eq!(&wallet.profile().unwrap().name, winners[0]);
    wallet.secrets(winners[0]).unwrap();
}

#[test]
fn replaced_and_removed_ephemeral_scalars_are_handed_back_zeroizing() {
    let mut secrets = WalletSecrets::default();
    assert!(secrets.set_ephemeral("case", "first").is_none());
    let replaced = secrets.set_ephemeral("case", "second").unwrap();
    assert_eq!(replaced.as_str(), "first");
    assert_eq!(secrets.ephemeral("case"), Some("second"));
    let taken: zeroize::Zeroizing<String> = secrets.take_ephemeral("case").unwrap();
    assert_eq!(taken.as_str(), "second");
    assert_eq!(secrets.ephemeral("case"), None);
    assert!(secrets.take_ephemeral("case").is_none());
}

#[test]
fn a_v1_wallet_is_read_and_a_newer_format_is_named_not_called_damage() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("wallet");
    let wallet = create(&dir, "alice").unwrap();
    let path = dir.join(PROFILE_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace(PROFILE_FORMAT, PROFILE_FORMAT_V1)).unwrap();
    assert_eq!(wallet.profile().unwrap().format, PROFILE_FORMAT);
    std::fs::write(&path, text.replace(PROFILE_FORMAT, "medchain-wallet-v9")).unwrap();
    let e = wallet.profile().unwrap_err();
    assert!(matches!(e, WalletError::UnsupportedFormat { .. }), "{e}");
    assert!(e.to_string().contains("\"medchain-wallet-v9\""), "{e}");
}

#[test]
fn a_replaced_identity_joins_the_history_and_the_files_stay_private() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("wallet");
    let wallet = create(&dir, "alice").unwrap();
    let first = wallet.profile().unwrap().identity;
    let second = IdentityLocation::Embedded {
        msp_id: "EmbeddedMSP".into(),
        certificate_pem: "second".into(),
    };
    wallet
        .replace_identity("alice", second.clone(), None, "2026-01-01T00:00:00Z")
        .unwrap();
    let profile = wallet.profile().unwrap();
    assert_eq!(profile.identity, second);
    assert_eq!(profile.previous_identities.len(), 1);
    assert_eq!(profile.previous_identities[0].identity, first);
    assert_eq!(
        profile.previous_identities[0].retired,
        "2026-01-01T00:00:00Z"
    );
    #[cfg(unix)]
    for file in [PROFILE_FILE, SECRETS_FILE] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    // A wrong password changes nothing when a key is to be replaced.
    let e = wallet
        .replace_identity(
            "wrong",
            first.clone(),
            Some(zeroize::Zeroizing::new("key".into())),
            "later",
        )
        .unwrap_err();
    assert!(matches!(e, WalletError::WrongPassword { .. }), "{e}");
    assert_eq!(wallet.profile().unwrap(), profile);
}
