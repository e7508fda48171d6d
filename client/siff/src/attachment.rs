//! Attachments: a file of any size encrypted in chunks with the STREAM
//! construction (Hoang, Reyhanitabar, Rogaway, Vizár), so no chunk can be
//! reordered, dropped, duplicated or the file truncated without detection.
//!
//! * Key: `ak = HKDF-SHA256(ikm = rk, salt = attachment id (16 random
//!   bytes), info = "medchain-attachment-v1" || κ0)`, unique per attachment.
//! * Chunk `i`: AES-256-GCM under `ak` with the nonce `0^7 || i (32-bit
//!   big-endian) || last (1 byte: 1 on the final chunk, else 0)` and the
//!   additional data `κ0 || attachment id`.
//! * Every chunk but the last holds [`ATTACHMENT_CHUNK`] plaintext bytes,
//!   so every ciphertext chunk but the last is exactly 256 KiB — one leaf
//!   of an IPFS file cut the way Kubo cuts it. The last holds 0 to
//!   [`ATTACHMENT_CHUNK`] bytes; an empty file is one empty last chunk.

use aead::stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{KeyInit, Payload};
use zeroize::Zeroizing;

use crate::kdf::hkdf_sha256;
use crate::{CaseId, CryptoError, GCM_TAG_LEN, RecordKey};

/// The HKDF info prefix of an attachment key (followed by κ0).
pub const ATTACHMENT_KEY_INFO: &[u8] = b"medchain-attachment-v1";
/// The length of an attachment id.
pub const ATTACHMENT_ID_LEN: usize = 16;
/// The plaintext bytes of every chunk but the last.
pub const ATTACHMENT_CHUNK: usize = 256 * 1024 - GCM_TAG_LEN;
/// The ciphertext bytes of every chunk but the last (256 KiB).
pub const ATTACHMENT_CIPHERTEXT_CHUNK: usize = ATTACHMENT_CHUNK + GCM_TAG_LEN;

/// The STREAM nonce prefix: zero, the key being unique per attachment.
const NONCE_PREFIX: [u8; 7] = [0; 7];

/// The ciphertext length of a `plaintext_len`-byte attachment: one GCM tag
/// per chunk, at least one chunk (saturating at `u64::MAX` for sizes no
/// file has).
pub const fn attachment_ciphertext_len(plaintext_len: u64) -> u64 {
    let chunk = ATTACHMENT_CHUNK as u64;
    let chunks = if plaintext_len == 0 {
        1
    } else {
        plaintext_len.div_ceil(chunk)
    };
    plaintext_len.saturating_add(chunks * GCM_TAG_LEN as u64)
}

/// The key and additional data of one attachment of a case, derived from
/// the case's record key and the attachment's id. Zeroized on drop, never
/// shown by `Debug`.
pub struct AttachmentKey {
    key: Zeroizing<[u8; 32]>,
    aad: Vec<u8>,
}

impl AttachmentKey {
    /// `ak = HKDF-SHA256(rk, salt = id, info = "medchain-attachment-v1" ||
    /// κ0)` and the additional data `κ0 || id`.
    pub fn derive(
        key: &RecordKey,
        case: &CaseId,
        id: &[u8; ATTACHMENT_ID_LEN],
    ) -> Result<Self, CryptoError> {
        let key = hkdf_sha256(
            key.expose_secret(),
            id,
            &[ATTACHMENT_KEY_INFO, case.as_bytes()],
        )?;
        let mut aad = case.as_bytes().to_vec();
        aad.extend_from_slice(id);
        Ok(Self { key, aad })
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.key.as_ref().into())
    }
}

impl std::fmt::Debug for AttachmentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttachmentKey(<redacted>)")
    }
}

/// Encrypts an attachment chunk by chunk, in order.
pub struct AttachmentSealer {
    stream: EncryptorBE32<Aes256Gcm>,
    aad: Vec<u8>,
}

impl AttachmentSealer {
    /// A sealer of the attachment `key` belongs to.
    pub fn new(key: &AttachmentKey) -> Self {
        Self {
            stream: EncryptorBE32::from_aead(key.cipher(), &NONCE_PREFIX.into()),
            aad: key.aad.clone(),
        }
    }

    /// Encrypts the next chunk, which is not the last: exactly
    /// [`ATTACHMENT_CHUNK`] bytes.
    pub fn seal_chunk(&mut self, chunk: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if chunk.len() != ATTACHMENT_CHUNK {
            return Err(CryptoError::InvalidLength {
                what: "an attachment chunk",
                actual: chunk.len(),
                expected: "exactly 262128 bytes (every chunk but the last)",
            });
        }
        self.stream
            .encrypt_next(Payload {
                msg: chunk,
                aad: &self.aad,
            })
            .map_err(|_| CryptoError::PlaintextTooLarge)
    }

    /// Encrypts the last chunk (0 to [`ATTACHMENT_CHUNK`] bytes).
    pub fn seal_last(self, chunk: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if chunk.len() > ATTACHMENT_CHUNK {
            return Err(CryptoError::InvalidLength {
                what: "the last attachment chunk",
                actual: chunk.len(),
                expected: "at most 262128 bytes",
            });
        }
        self.stream
            .encrypt_last(Payload {
                msg: chunk,
                aad: &self.aad,
            })
            .map_err(|_| CryptoError::PlaintextTooLarge)
    }
}

/// Decrypts an attachment chunk by chunk, in order: a chunk out of place,
/// a dropped chunk, a last chunk opened as a middle one (or the other way
/// round) or any changed byte gives [`CryptoError::CannotDecrypt`].
pub struct AttachmentOpener {
    stream: DecryptorBE32<Aes256Gcm>,
    aad: Vec<u8>,
}

impl AttachmentOpener {
    /// An opener of the attachment `key` belongs to.
    pub fn new(key: &AttachmentKey) -> Self {
        Self {
            stream: DecryptorBE32::from_aead(key.cipher(), &NONCE_PREFIX.into()),
            aad: key.aad.clone(),
        }
    }

    /// Decrypts the next chunk, which is not the last.
    pub fn open_chunk(&mut self, chunk: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if chunk.len() != ATTACHMENT_CIPHERTEXT_CHUNK {
            return Err(CryptoError::CannotDecrypt);
        }
        self.stream
            .decrypt_next(Payload {
                msg: chunk,
                aad: &self.aad,
            })
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::CannotDecrypt)
    }

    /// Decrypts the last chunk.
    pub fn open_last(self, chunk: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if chunk.len() < GCM_TAG_LEN || chunk.len() > ATTACHMENT_CIPHERTEXT_CHUNK {
            return Err(CryptoError::CannotDecrypt);
        }
        self.stream
            .decrypt_last(Payload {
                msg: chunk,
                aad: &self.aad,
            })
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::CannotDecrypt)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::SharedKey;

    const ID: [u8; 16] = [9; 16];

    fn key() -> (RecordKey, CaseId) {
        let case = CaseId::from_bytes([3; 32]);
        let mut tag = vec![0u8; 2 * 66];
        tag[65] = 1;
        tag[131] = 1;
        let tag = crate::Tag::from_bytes(&tag).unwrap();
        let key = RecordKey::derive(&SharedKey::from_bytes([4; 32]), &case, &tag).unwrap();
        (key, case)
    }

    /// Seals `len` bytes; returns the plaintext and the ciphertext chunks.
    fn seal(len: usize, id: &[u8; 16]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let (key, case) = key();
        let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut sealer = AttachmentSealer::new(&AttachmentKey::derive(&key, &case, id).unwrap());
        let mut chunks = Vec::new();
        let mut rest = plain.as_slice();
        while rest.len() > ATTACHMENT_CHUNK {
            let (head, tail) = rest.split_at(ATTACHMENT_CHUNK);
            chunks.push(sealer.seal_chunk(head).unwrap());
            rest = tail;
        }
        chunks.push(sealer.seal_last(rest).unwrap());
        (plain, chunks)
    }

    fn open(chunks: &[Vec<u8>], id: &[u8; 16]) -> Result<Vec<u8>, CryptoError> {
        let (key, case) = key();
        let mut opener = AttachmentOpener::new(&AttachmentKey::derive(&key, &case, id)?);
        let mut out = Vec::new();
        let (last, middle) = chunks.split_last().ok_or(CryptoError::CannotDecrypt)?;
        for chunk in middle {
            out.extend_from_slice(&opener.open_chunk(chunk)?);
        }
        out.extend_from_slice(&opener.open_last(last)?);
        Ok(out)
    }

    #[test]
    fn sizes_round_trip_and_match_the_length_formula() {
        for len in [
            0,
            1,
            ATTACHMENT_CHUNK - 1,
            ATTACHMENT_CHUNK,
            ATTACHMENT_CHUNK + 1,
            3 * ATTACHMENT_CHUNK + 7,
        ] {
            let (plain, chunks) = seal(len, &ID);
            let total: usize = chunks.iter().map(Vec::len).sum();
            assert_eq!(total as u64, attachment_ciphertext_len(len as u64), "{len}");
            for chunk in &chunks[..chunks.len() - 1] {
                assert_eq!(chunk.len(), ATTACHMENT_CIPHERTEXT_CHUNK);
            }
            assert_eq!(open(&chunks, &ID).unwrap(), plain, "{len}");
        }
    }

    #[test]
    fn reordered_dropped_truncated_or_changed_chunks_fail() {
        let (_, chunks) = seal(3 * ATTACHMENT_CHUNK + 7, &ID);
        let mut swapped = chunks.clone();
        swapped.swap(0, 1);
        assert!(open(&swapped, &ID).is_err());
        let mut dropped = chunks.clone();
        dropped.remove(1);
        assert!(open(&dropped, &ID).is_err());
        // Cut after a middle chunk: that chunk was not sealed as the last.
        assert!(open(&chunks[..2], &ID).is_err());
        let mut changed = chunks.clone();
        changed[3][0] ^= 1;
        assert!(open(&changed, &ID).is_err());
        let mut extended = chunks.clone();
        extended.push(chunks[3].clone());
        assert!(open(&extended, &ID).is_err());
    }

    #[test]
    fn another_attachment_id_or_case_does_not_open() {
        let (_, chunks) = seal(100, &ID);
        assert!(open(&chunks, &[8; 16]).is_err());
        let (key, _) = key();
        let other = CaseId::from_bytes([5; 32]);
        let opener = AttachmentOpener::new(&AttachmentKey::derive(&key, &other, &ID).unwrap());
        assert!(opener.open_last(&chunks[0]).is_err());
    }

    #[test]
    fn wrong_chunk_lengths_are_refused() {
        let (key, case) = key();
        let ak = AttachmentKey::derive(&key, &case, &ID).unwrap();
        assert_eq!(format!("{ak:?}"), "AttachmentKey(<redacted>)");
        let mut sealer = AttachmentSealer::new(&ak);
        assert!(sealer.seal_chunk(&[0; 10]).is_err());
        assert!(sealer.seal_last(&vec![0; ATTACHMENT_CHUNK + 1]).is_err());
        let opener = AttachmentOpener::new(&ak);
        assert!(opener.open_last(&[0; 15]).is_err());
    }
}
