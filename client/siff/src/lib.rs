//! The `medchain-siff-v2` crypto core (specified in `docs/protocol.md`).
//!
//! * [`ParticipantSecret::derive`]: a participant's secret `s_x` for a case
//!   (Argon2id of its password, salted with the case and its index).
//! * [`establish_key`] / [`Tag::recover_key`]: the doctor establishes the
//!   case's shared key `K` and a public tag; every participant recovers `K`.
//! * [`RecordKey::derive`], [`seal_record`], [`open_record`]: the records of
//!   a case under AES-256-GCM.
//! * [`AttachmentSealer`], [`AttachmentOpener`]: files of any size in
//!   256 KiB chunks (STREAM over AES-256-GCM) under a key derived from the
//!   record key and the attachment's id.
//! * [`seal_response`], [`open_response`]: a participant sends `s_x` to the
//!   doctor (`txtr`).
//!
//! Secrets are zeroized on drop, never shown by `Debug` and compared in
//! constant time. Every random draw comes from an injected
//! [`rand_core::CryptoRngCore`].
//!
//! # Example
//!
//! Three participants establish one key; each recovers it from the public
//! tag with its own password, and an outsider cannot:
//!
//! ```
//! use medchain_siff::{CaseId, KdfParams, ParticipantSecret, establish_key};
//! use rand_core::OsRng;
//!
//! # fn main() -> Result<(), medchain_siff::CryptoError> {
//! let case = CaseId::from_bytes([7; 32]);
//! // Fast, insecure Argon2id parameters: for the example only.
//! let kdf = KdfParams { m_kib: 64, t: 1, p: 1 };
//! let secret = |password: &str, ind: u64| ParticipantSecret::derive(password, &case, ind, &kdf);
//! let secrets = [secret("patient pw", 1)?, secret("doctor pw", 2)?, secret("lawyer pw", 3)?];
//!
//! let (key, tag) = establish_key(&secrets, &mut OsRng)?;
//! // Years later, the lawyer has only its password and the public tag.
//! let lawyer = secret("lawyer pw", 3)?;
//! assert!(tag.recover_key(&lawyer) == key);
//! assert!(tag.recover_key(&secret("a guess", 3)?) != key);
//! # Ok(())
//! # }
//! ```

mod aead;
mod attachment;
mod case_id;
mod error;
pub mod field;
mod kdf;
pub mod pad;
pub mod point;
mod record;
mod response;
mod rng;
mod secret;
mod siff;

pub use aead::{GCM_TAG_LEN, NONCE_LEN};
pub use attachment::{
    ATTACHMENT_CHUNK, ATTACHMENT_CIPHERTEXT_CHUNK, ATTACHMENT_ID_LEN, ATTACHMENT_KEY_INFO,
    AttachmentKey, AttachmentOpener, AttachmentSealer, attachment_ciphertext_len,
};
pub use case_id::CaseId;
pub use error::CryptoError;
pub use kdf::{KdfParams, KdfPolicy, SECRET_SALT_PREFIX};
pub use point::participant_index;
pub use record::{RECORD_KEY_INFO, RecordType, open_record, seal_record};
pub use response::{
    RESPONSE_KEY_INFO, SEALED_SECRET_LEN, SealedResponse, open_response, seal_response,
};
pub use secret::{ParticipantSecret, RecordKey, SharedKey};
pub use siff::{BETA_DOMAIN, MAX_PARTICIPANTS, MIN_PARTICIPANTS, Tag, establish_key, grant_tag};

pub use aead::{open as aead_open, seal as aead_seal};
