//! The client's Fabric identity: an MSP id and an X.509 certificate with a
//! P-256 key, loaded from an MSP folder (as cryptogen and fabric-ca-client
//! write it) or from explicit certificate and key files.
//!
//! An MSP folder holds the certificate in `signcerts/*.pem` and the PKCS#8
//! private key in `keystore/` (`priv_sk` from cryptogen, `<ski>_sk` from
//! fabric-ca-client, which may leave older keys beside the current one: the
//! key whose public half matches the certificate is chosen).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use der::{DecodePem, Encode};
use fabric_protos::msp::SerializedIdentity;
use prost::Message;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use super::signer::PrivateKeySigner;

/// Why an identity could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The MSP id is empty.
    #[error("the MSP id is empty; pass the organisation's MSP id, e.g. Org1MSP")]
    EmptyMspId,
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The certificate is not a PEM X.509 certificate with a P-256 key.
    #[error(
        "{origin} is not a PEM X.509 certificate with a P-256 public key ({reason}); use the signcerts certificate of a Fabric identity"
    )]
    Certificate {
        /// Where the certificate came from (a path, or "the certificate").
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The private key is not a P-256 key in PKCS#8 or SEC1 PEM form.
    #[error("{origin} is {reason}; use the keystore key of a Fabric identity")]
    PrivateKey {
        /// Where the key came from (a path, or "the private key").
        origin: String,
        /// What is wrong with it (never the key material).
        reason: String,
    },
    /// The MSP folder has no certificate in `signcerts/`.
    #[error("{} contains no certificate (*.pem); an MSP folder written by cryptogen or fabric-ca-client has exactly one", dir.display())]
    NoCertificate {
        /// The `signcerts` folder.
        dir: PathBuf,
    },
    /// The MSP folder has several certificates in `signcerts/`.
    #[error("{} contains {count} certificates, so the identity is ambiguous; keep one or pass the certificate and key paths explicitly", dir.display())]
    SeveralCertificates {
        /// The `signcerts` folder.
        dir: PathBuf,
        /// How many `*.pem` files it holds.
        count: usize,
    },
    /// The MSP folder has no readable P-256 key in `keystore/`.
    #[error("{} contains no P-256 private key (*_sk or *.pem in PKCS#8 PEM form); an MSP folder written by cryptogen or fabric-ca-client has one", dir.display())]
    NoPrivateKey {
        /// The `keystore` folder.
        dir: PathBuf,
    },
    /// No private key belongs to the certificate.
    #[error(
        "the private key in {key} does not belong to the certificate {certificate}; use the key that was enrolled with this certificate"
    )]
    KeyMismatch {
        /// The certificate's origin.
        certificate: String,
        /// The key's origin (a file or the keystore folder).
        key: String,
    },
}

/// A Fabric client identity: the MSP id and the X.509 certificate that
/// go into every request as the `creator` (`msp.SerializedIdentity`).
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    msp_id: String,
    certificate_pem: String,
    public_key: p256::PublicKey,
    creator: Vec<u8>,
}

impl Identity {
    /// Builds an identity from an MSP id and a PEM certificate.
    pub fn new(msp_id: &str, certificate_pem: &str) -> Result<Self, IdentityError> {
        Self::with_origin(msp_id, certificate_pem, "the certificate")
    }

    /// Reads the PEM certificate at `path`.
    pub fn from_certificate_file(msp_id: &str, path: &Path) -> Result<Self, IdentityError> {
        let pem = fs::read_to_string(path).map_err(|source| IdentityError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::with_origin(msp_id, &pem, &path.display().to_string())
    }

    fn with_origin(msp_id: &str, pem: &str, origin: &str) -> Result<Self, IdentityError> {
        if msp_id.trim().is_empty() {
            return Err(IdentityError::EmptyMspId);
        }
        let failed = |reason: String| IdentityError::Certificate {
            origin: origin.to_owned(),
            reason,
        };
        let certificate =
            Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| failed(e.to_string()))?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| failed(e.to_string()))?;
        // Decoding the whole SubjectPublicKeyInfo checks the algorithm
        // (id-ecPublicKey on prime256v1) as well as the point.
        let public_key = p256::pkcs8::DecodePublicKey::from_public_key_der(&spki)
            .map_err(|_| failed("the certificate's public key is not a P-256 key".into()))?;
        let creator = SerializedIdentity {
            mspid: msp_id.to_owned(),
            id_bytes: pem.as_bytes().to_vec(),
        }
        .encode_to_vec();
        Ok(Self {
            msp_id: msp_id.to_owned(),
            certificate_pem: pem.to_owned(),
            public_key,
            creator,
        })
    }

    /// The MSP id.
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The certificate in PEM form, as it is sent to Fabric.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The certificate's P-256 public key.
    pub fn public_key(&self) -> &p256::PublicKey {
        &self.public_key
    }

    /// The serialized identity (`msp.SerializedIdentity{mspid, id_bytes =
    /// PEM certificate}`), the `creator` of every request.
    pub fn creator(&self) -> &[u8] {
        &self.creator
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("msp_id", &self.msp_id())
            .finish_non_exhaustive()
    }
}

/// An identity together with the private key that signs for it.
#[derive(Debug, Clone)]
pub struct Credentials {
    identity: Identity,
    signer: PrivateKeySigner,
}

impl Credentials {
    /// Pairs an identity with its key, checking that the key belongs to the
    /// certificate.
    pub fn new(identity: Identity, signer: PrivateKeySigner) -> Result<Self, IdentityError> {
        Self::paired(identity, signer, "the certificate", "the private key")
    }

    fn paired(
        identity: Identity,
        signer: PrivateKeySigner,
        certificate: &str,
        key: &str,
    ) -> Result<Self, IdentityError> {
        if signer.public_key() != *identity.public_key() {
            return Err(IdentityError::KeyMismatch {
                certificate: certificate.to_owned(),
                key: key.to_owned(),
            });
        }
        Ok(Self { identity, signer })
    }

    /// Loads the identity from explicit certificate and private key files.
    pub fn from_files(
        msp_id: &str,
        certificate_path: &Path,
        key_path: &Path,
    ) -> Result<Self, IdentityError> {
        let identity = Identity::from_certificate_file(msp_id, certificate_path)?;
        let signer = read_private_key(key_path)?;
        Self::paired(
            identity,
            signer,
            &certificate_path.display().to_string(),
            &key_path.display().to_string(),
        )
    }

    /// Loads the identity from an MSP folder (`signcerts/*.pem` and
    /// `keystore/*_sk`) with the given MSP id.
    pub fn from_msp_folder(msp_dir: &Path, msp_id: &str) -> Result<Self, IdentityError> {
        if msp_id.trim().is_empty() {
            return Err(IdentityError::EmptyMspId);
        }
        let signcerts = msp_dir.join("signcerts");
        let certificates = files_in(&signcerts, |name| name.ends_with(".pem"))?;
        let certificate_path = match certificates.as_slice() {
            [] => return Err(IdentityError::NoCertificate { dir: signcerts }),
            [one] => one,
            several => {
                return Err(IdentityError::SeveralCertificates {
                    count: several.len(),
                    dir: signcerts,
                });
            }
        };
        let identity = Identity::from_certificate_file(msp_id, certificate_path)?;

        let keystore = msp_dir.join("keystore");
        let candidates = files_in(&keystore, |name| {
            name.ends_with("_sk") || name.ends_with(".pem")
        })?;
        let keys: Vec<PrivateKeySigner> = candidates
            .iter()
            .filter_map(|path| read_private_key(path).ok())
            .collect();
        if keys.is_empty() {
            return Err(IdentityError::NoPrivateKey { dir: keystore });
        }
        let key_store = keystore.display().to_string();
        let certificate = certificate_path.display().to_string();
        keys.into_iter()
            .find(|key| key.public_key() == *identity.public_key())
            .map(|signer| Self {
                identity: identity.clone(),
                signer,
            })
            .ok_or(IdentityError::KeyMismatch {
                certificate,
                key: key_store,
            })
    }

    /// The identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The signer holding the private key.
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }

    /// Splits into the identity and the signer, e.g. to build a
    /// [`Gateway`](super::Gateway).
    pub fn into_parts(self) -> (Identity, PrivateKeySigner) {
        (self.identity, self.signer)
    }
}

/// Reads a PEM private key file; its content is zeroized after parsing.
pub fn read_private_key(path: &Path) -> Result<PrivateKeySigner, IdentityError> {
    let bytes = Zeroizing::new(fs::read(path).map_err(|source| IdentityError::Read {
        path: path.to_owned(),
        source,
    })?);
    let origin = || path.display().to_string();
    let text = std::str::from_utf8(&bytes).map_err(|_| IdentityError::PrivateKey {
        origin: origin(),
        reason: "not PEM text".to_owned(),
    })?;
    PrivateKeySigner::from_pem(text).map_err(|e| IdentityError::PrivateKey {
        origin: origin(),
        reason: e.to_string(),
    })
}

/// The regular files in `dir` whose names pass `keep`, sorted by name.
fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, IdentityError> {
    let read_error = |source| IdentityError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let name_kept = entry.file_name().to_str().is_some_and(&keep);
        if name_kept && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
