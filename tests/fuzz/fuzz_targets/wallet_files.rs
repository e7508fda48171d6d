//! The wallet files as `Wallet` reads them from disk: `wallet.json` (the
//! profile: serde, format tag) and `secrets.enc` (magic, salt, Argon2id
//! parameters, AES-GCM, then the secrets' JSON).
//!
//! Input: byte 0 picks the file, the rest is its contents. A secrets file
//! whose header asks for more than 64 KiB / 2 passes of Argon2id is cut to
//! the header check (the KDF's cost is bounded by its policy, not a
//! parser's question). Properties: no panic; an accepted profile is
//! rewritten and re-read to the same profile; a secrets file opens only
//! to the contents sealed under the fixture password.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use medchain_sdk::wallet::{PROFILE_FILE, SECRETS_FILE, SECRETS_MAGIC, Wallet, WalletProfile};

/// A wallet directory with a valid profile, made once per process.
static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join(PROFILE_FILE),
        medchain_fuzz::wallet_profile(),
    )
    .expect("write the profile");
    dir
});

const SALT_LEN: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let dir = DIR.path();
    if selector % 2 == 0 {
        let path = dir.join("profile-probe");
        let _ = std::fs::create_dir(&path);
        std::fs::write(path.join(PROFILE_FILE), input).expect("write wallet.json");
        if let Ok(wallet) = Wallet::open(&path) {
            let profile = wallet.profile().expect("an opened wallet's profile reads");
            let text = serde_json::to_vec(&profile).expect("a profile serializes");
            let again: WalletProfile = serde_json::from_slice(&text).expect("a profile re-reads");
            assert_eq!(again, profile, "a profile survives a rewrite");
        }
    } else {
        let header = SECRETS_MAGIC.len() + SALT_LEN;
        if input.len() >= header + 12 {
            let number = |i: usize| {
                let at = header + 4 * i;
                u32::from_be_bytes([input[at], input[at + 1], input[at + 2], input[at + 3]])
            };
            if number(0) > 64 || number(1) > 2 {
                return;
            }
        }
        std::fs::write(dir.join(SECRETS_FILE), input).expect("write secrets.enc");
        let wallet = Wallet::open(dir).expect("the fixture wallet opens");
        if let Ok(secrets) = wallet.secrets(medchain_fuzz::WALLET_PASSWORD) {
            // Only a file sealed under the password opens (GCM), and every
            // such file in the corpus holds the fixture's secrets.
            assert_eq!(
                secrets.signing_key_pem.as_deref(),
                Some(medchain_fuzz::WALLET_SIGNING_KEY),
                "opened secrets are the sealed ones"
            );
        }
    }
});
