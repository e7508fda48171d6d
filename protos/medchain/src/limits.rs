//! Size and count bounds enforced on every input parameter.

/// Largest accepted `Store` argument (a 1 MiB record plus its envelope).
pub const MAX_INPUT_BYTES: usize = MAX_CIPHERTEXT_BYTES + 8 * 1024;
/// Largest accepted record ciphertext: 1 MiB of plaintext plus nonce and tag.
pub const MAX_CIPHERTEXT_BYTES: usize = 1024 * 1024 + NONCE_BYTES + GCM_TAG_BYTES;
/// Smallest record ciphertext: an empty plaintext's nonce and tag.
pub const MIN_CIPHERTEXT_BYTES: usize = NONCE_BYTES + GCM_TAG_BYTES;
/// Largest accepted certificate PEM.
pub const MAX_CERTIFICATE_PEM_BYTES: usize = 16 * 1024;
/// AES-GCM nonce length.
pub const NONCE_BYTES: usize = 12;
/// AES-GCM tag length.
pub const GCM_TAG_BYTES: usize = 16;
/// A sealed participant secret: nonce, 32-byte ciphertext, tag.
pub const SEALED_SECRET_BYTES: usize = NONCE_BYTES + 32 + GCM_TAG_BYTES;
/// A case key κ0 / record key κ.
pub const KEY_BYTES: usize = 32;
/// An identity key: SEC1 uncompressed P-256 point.
pub const IDENTITY_KEY_BYTES: usize = 65;
/// An ephemeral Diffie-Hellman key: SEC1 compressed P-256 point.
pub const EPHEMERAL_KEY_BYTES: usize = 33;
/// One SIFF tag coefficient (an element of GF(2^521 − 1), big-endian).
pub const TAG_COEFFICIENT_BYTES: usize = 66;
/// Fewest participants in a case (patient and doctor).
pub const MIN_PARTICIPANTS: usize = 2;
/// Most participants in a case, doctor included.
pub const MAX_PARTICIPANTS: usize = 32;
/// Argon2id bounds: memory in KiB (at least 8 per lane, at most 1 GiB).
/// Every participant's client spends this much memory, automatically, when
/// its watcher answers a case; the bound keeps a case from exhausting it
/// (about 64× the default cost) while leaving room to raise the cost.
pub const KDF_MAX_M_KIB: u32 = 1024 * 1024;
/// Argon2id bounds: passes.
pub const KDF_MAX_T: u32 = 16;
/// Argon2id bounds: lanes.
pub const KDF_MAX_P: u32 = 16;
