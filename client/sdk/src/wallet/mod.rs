//! A user's wallet: a directory (mode 0700) holding
//!
//! * `wallet.json` — the public profile ([`WalletProfile`]): name, role,
//!   identity location, ledger backend, event checkpoint, open cases;
//! * `secrets.enc` — the secrets that must survive a restart
//!   ([`WalletSecrets`]), encrypted under a key derived from the user's
//!   password with Argon2id;
//! * `wallet.lock` — serializes updates from concurrent processes (a
//!   `watch` loop and a command run beside it).
//!
//! Every file is written atomically with mode 0600. A damaged or foreign
//! file is reported, never replaced.

mod new;
mod profile;
mod secrets;
pub mod strength;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use rand_core::OsRng;
use zeroize::Zeroizing;

pub use self::new::{NewWallet, embedded_identity};
pub use self::profile::{
    BackendProfile, CaLink, CaseEntry, CaseStatus, IdentityLocation, PROFILE_FORMAT,
    PROFILE_FORMAT_V1, RetiredIdentity, SavedCheckpoint, UserRole, WalletProfile,
};
pub use self::secrets::{SECRETS_MAGIC, SecretsError, WalletSecrets};
use fabric_gateway::private_file::{create_private_dir, create_private_file, write_private_file};
use medchain_siff::KdfParams;

/// The profile file inside a wallet directory.
pub const PROFILE_FILE: &str = "wallet.json";
/// The secrets file inside a wallet directory.
pub const SECRETS_FILE: &str = "secrets.enc";
const LOCK_FILE: &str = "wallet.lock";

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// A file could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// There is no wallet in the directory.
    #[error("there is no wallet in {}; create one with `medchain init`", dir.display())]
    Missing {
        /// The directory.
        dir: PathBuf,
    },
    /// A wallet already exists where a new one was to be created.
    #[error("a wallet already exists in {}; use it, or choose another --wallet directory", dir.display())]
    Exists {
        /// The directory.
        dir: PathBuf,
    },
    /// A wallet file is damaged or belongs to something else.
    #[error("{} is damaged or not a medchain wallet file ({reason}); it was left untouched — restore it from a backup", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A wallet file is in a format this version does not read.
    #[error("{} is in format {format:?}, which this medchain does not read (it reads {PROFILE_FORMAT_V1:?} and {PROFILE_FORMAT:?}); it was left untouched — use the medchain version that wrote it", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// Its format tag.
        format: String,
    },
    /// A new key pair or certificate could not be made.
    #[error("cannot make a key pair: {0}")]
    KeyGeneration(String),
    /// The password does not open the wallet's secrets.
    #[error("wrong password for the wallet in {}", dir.display())]
    WrongPassword {
        /// The wallet directory.
        dir: PathBuf,
    },
    /// A new wallet's password is too easy to guess (the sentence says why
    /// and what to do; it never contains the password).
    #[error("{0}")]
    WeakPassword(String),
}

/// A wallet directory.
#[derive(Debug, Clone)]
pub struct Wallet {
    dir: PathBuf,
    kdf: KdfParams,
}

impl Wallet {
    /// Creates a new wallet in `dir` (which must not hold one, not even a
    /// part of one) with its profile and secrets; the secrets are encrypted
    /// under `password` with Argon2id at `kdf` cost. Concurrent creations
    /// in one directory are safe: exactly one succeeds, and an existing
    /// file is never replaced.
    pub fn create(
        dir: impl Into<PathBuf>,
        profile: &WalletProfile,
        password: &str,
        secrets: &WalletSecrets,
        kdf: KdfParams,
    ) -> Result<Self, WalletError> {
        let dir = dir.into();
        Self::ensure_absent(&dir)?;
        create_private_dir(&dir).map_err(|source| WalletError::Io {
            path: dir.clone(),
            source,
        })?;
        let wallet = Self { dir, kdf };
        let _lock = wallet.lock()?;
        Self::ensure_absent(&wallet.dir)?;
        let sealed = wallet.seal_secrets(password, secrets)?;
        wallet.create_file(SECRETS_FILE, &sealed)?;
        wallet.create_file(PROFILE_FILE, &profile_bytes(profile, &wallet.dir)?)?;
        Ok(wallet)
    }

    /// Fails with [`WalletError::Exists`] when `dir` holds a wallet or a
    /// part of one (its profile or its secrets).
    pub fn ensure_absent(dir: &Path) -> Result<(), WalletError> {
        if [PROFILE_FILE, SECRETS_FILE]
            .iter()
            .any(|file| dir.join(file).exists())
        {
            return Err(WalletError::Exists {
                dir: dir.to_owned(),
            });
        }
        Ok(())
    }

    /// Creates a file of a new wallet; a file already there (another
    /// process creating the same wallet) is left as it is.
    fn create_file(&self, name: &str, contents: &[u8]) -> Result<(), WalletError> {
        let path = self.dir.join(name);
        create_private_file(&path, contents).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                WalletError::Exists {
                    dir: self.dir.clone(),
                }
            } else {
                WalletError::Io { path, source }
            }
        })
    }

    /// Opens the wallet in `dir`, checking its profile is readable.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, WalletError> {
        let dir = dir.into();
        if !dir.join(PROFILE_FILE).exists() {
            return Err(WalletError::Missing { dir });
        }
        let wallet = Self {
            dir,
            kdf: KdfParams::DEFAULT,
        };
        wallet.profile()?;
        Ok(wallet)
    }

    /// Uses `kdf` instead of the default Argon2id cost when the secrets are
    /// next written (tests use small parameters).
    pub fn with_kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the profile.
    pub fn profile(&self) -> Result<WalletProfile, WalletError> {
        let path = self.dir.join(PROFILE_FILE);
        let bytes = std::fs::read(&path).map_err(|source| WalletError::Io {
            path: path.clone(),
            source,
        })?;
        // The format tag first, so a newer format is named as such rather
        // than reported as damage.
        #[derive(serde::Deserialize)]
        struct Tag {
            format: String,
        }
        let damaged = |e: serde_json::Error| WalletError::Damaged {
            path: path.clone(),
            reason: e.to_string(),
        };
        let tag: Tag = serde_json::from_slice(&bytes).map_err(damaged)?;
        if tag.format != PROFILE_FORMAT && tag.format != PROFILE_FORMAT_V1 {
            return Err(WalletError::UnsupportedFormat {
                path,
                format: tag.format,
            });
        }
        let mut profile: WalletProfile = serde_json::from_slice(&bytes).map_err(damaged)?;
        // A v1 wallet is a v2 wallet without history: it is rewritten as v2.
        profile.format = PROFILE_FORMAT.to_owned();
        Ok(profile)
    }

    /// Reads, changes and rewrites the profile under the wallet lock, so
    /// concurrent processes do not lose each other's changes.
    pub fn update<R>(
        &self,
        change: impl FnOnce(&mut WalletProfile) -> R,
    ) -> Result<R, WalletError> {
        let _lock = self.lock()?;
        let mut profile = self.profile()?;
        let result = change(&mut profile);
        self.write_profile(&profile)?;
        Ok(result)
    }

    /// Decrypts the secrets with `password`.
    pub fn secrets(&self, password: &str) -> Result<WalletSecrets, WalletError> {
        let path = self.dir.join(SECRETS_FILE);
        let bytes = std::fs::read(&path).map_err(|source| WalletError::Io {
            path: path.clone(),
            source,
        })?;
        secrets::open(&bytes, password).map_err(|e| match e {
            SecretsError::WrongPassword => WalletError::WrongPassword {
                dir: self.dir.clone(),
            },
            other => WalletError::Damaged {
                path,
                reason: other.to_string(),
            },
        })
    }

    /// Decrypts, changes and re-encrypts the secrets under the wallet lock.
    pub fn update_secrets<R>(
        &self,
        password: &str,
        change: impl FnOnce(&mut WalletSecrets) -> R,
    ) -> Result<R, WalletError> {
        let _lock = self.lock()?;
        let mut secrets = self.secrets(password)?;
        let result = change(&mut secrets);
        self.write_secrets(password, &secrets)?;
        Ok(result)
    }

    /// Replaces the wallet's identity by `identity` (a renewed or new
    /// certificate) whose signing key, if the wallet holds it, is
    /// `key_pem`; the identity it replaces is appended to
    /// [`WalletProfile::previous_identities`] (retired at `retired`,
    /// RFC 3339) and its key kept among the secrets' previous keys. The
    /// secrets are written first: a crash between the two writes leaves
    /// the old certificate current with both keys kept, which still works.
    pub fn replace_identity(
        &self,
        password: &str,
        identity: IdentityLocation,
        key_pem: Option<Zeroizing<String>>,
        retired: &str,
    ) -> Result<(), WalletError> {
        let _lock = self.lock()?;
        let mut profile = self.profile()?;
        if let Some(key_pem) = key_pem {
            let mut secrets = self.secrets(password)?;
            secrets
                .retire_signing_key(key_pem)
                .map_err(|e| WalletError::Damaged {
                    path: self.dir.join(SECRETS_FILE),
                    reason: e.to_string(),
                })?;
            self.write_secrets(password, &secrets)?;
        }
        let old = std::mem::replace(&mut profile.identity, identity);
        profile.previous_identities.push(RetiredIdentity {
            identity: old,
            retired: retired.to_owned(),
        });
        self.write_profile(&profile)
    }

    fn write_profile(&self, profile: &WalletProfile) -> Result<(), WalletError> {
        let path = self.dir.join(PROFILE_FILE);
        let bytes = profile_bytes(profile, &self.dir)?;
        write_private_file(&path, &bytes).map_err(|source| WalletError::Io { path, source })
    }

    fn write_secrets(&self, password: &str, secrets: &WalletSecrets) -> Result<(), WalletError> {
        let path = self.dir.join(SECRETS_FILE);
        let bytes = self.seal_secrets(password, secrets)?;
        write_private_file(&path, &bytes).map_err(|source| WalletError::Io { path, source })
    }

    fn seal_secrets(
        &self,
        password: &str,
        secrets: &WalletSecrets,
    ) -> Result<Vec<u8>, WalletError> {
        secrets::seal(secrets, password, self.kdf, &mut OsRng).map_err(|e| WalletError::Damaged {
            path: self.dir.join(SECRETS_FILE),
            reason: e.to_string(),
        })
    }

    fn lock(&self) -> Result<WalletLock, WalletError> {
        let path = self.dir.join(LOCK_FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(|source| WalletError::Io {
            path: path.clone(),
            source,
        })?;
        file.lock()
            .map_err(|source| WalletError::Io { path, source })?;
        Ok(WalletLock(file))
    }
}

/// The bytes of `wallet.json`.
fn profile_bytes(profile: &WalletProfile, dir: &Path) -> Result<Vec<u8>, WalletError> {
    let mut bytes = serde_json::to_vec_pretty(profile).map_err(|e| WalletError::Damaged {
        path: dir.join(PROFILE_FILE),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Holds the wallet's exclusive lock until dropped.
struct WalletLock(File);

impl Drop for WalletLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

#[cfg(test)]
mod tests;
