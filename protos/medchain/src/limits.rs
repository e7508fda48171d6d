//! Size and count bounds enforced on every input parameter.

/// Largest accepted `Store` argument (a 1 MiB record plus its envelope).
pub const MAX_INPUT_BYTES: usize = MAX_CIPHERTEXT_BYTES + 8 * 1024;
/// Largest accepted record ciphertext: the largest padding bucket plus
/// nonce and tag.
pub const MAX_CIPHERTEXT_BYTES: usize = MAX_PADDED_BYTES + NONCE_BYTES + GCM_TAG_BYTES;
/// Smallest record ciphertext: the smallest padding bucket plus nonce and
/// tag.
pub const MIN_CIPHERTEXT_BYTES: usize = MIN_PADDED_BYTES + NONCE_BYTES + GCM_TAG_BYTES;
/// The smallest padding bucket: every record plaintext is padded to
/// `256 · 2^i` bytes (a 4-byte length, the plaintext, zeros).
pub const MIN_PADDED_BYTES: usize = 256;
/// The largest padding bucket (1 MiB); a record's plaintext is at most
/// this minus the 4-byte length.
pub const MAX_PADDED_BYTES: usize = 1024 * 1024;
/// The length prefix of a padded plaintext (big-endian u32).
pub const PADDING_LENGTH_BYTES: usize = 4;
/// The largest record plaintext.
pub const MAX_PLAINTEXT_BYTES: usize = MAX_PADDED_BYTES - PADDING_LENGTH_BYTES;

/// Whether an encoded SIFF tag (66-byte coefficients, `α_0` first) is
/// degenerate: every coefficient but `α_0` is zero, the constant
/// polynomial that gives every secret the public key `α_0`. The contract
/// and the clients refuse such a tag (protocol v2).
pub fn is_degenerate_tag(tag: &[u8]) -> bool {
    tag.get(TAG_COEFFICIENT_BYTES..)
        .is_none_or(|rest| rest.iter().all(|&b| b == 0))
}

/// The padding bucket of a `plaintext_len`-byte record: the smallest
/// `256 · 2^i` that holds the 4-byte length and the plaintext; `None` above
/// [`MAX_PLAINTEXT_BYTES`].
pub const fn padded_len(plaintext_len: usize) -> Option<usize> {
    if plaintext_len > MAX_PLAINTEXT_BYTES {
        return None;
    }
    let needed = plaintext_len + PADDING_LENGTH_BYTES;
    let mut bucket = MIN_PADDED_BYTES;
    while bucket < needed {
        bucket *= 2;
    }
    Some(bucket)
}

/// Whether `n` is the length of a padded record's ciphertext: a bucket
/// `256 · 2^i ≤ 1 MiB` plus nonce and tag.
pub const fn is_record_ciphertext_len(n: usize) -> bool {
    if n < MIN_CIPHERTEXT_BYTES || n > MAX_CIPHERTEXT_BYTES {
        return false;
    }
    let padded = n - NONCE_BYTES - GCM_TAG_BYTES;
    padded.is_power_of_two()
}
/// The byte budget of one `GetCase` page: the page stops before the next
/// record would take the encoded `records` of the page past it (a page
/// always holds at least one record; the largest is 1 MiB plus its
/// envelope, so every page stays far below gRPC's 4 MiB default).
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// How many index entries of a case one `GetCase` page reads at most (the
/// page size of its paged ledger query).
pub const CASE_PAGE_ENTRIES: u32 = 100;
/// The most `txd`/`txm`/`txa` records one submitter may store in one case;
/// a case therefore holds at most its opening, one response per
/// participant and this many records per doctor, pharmacist and insurer.
pub const MAX_RECORDS_PER_SUBMITTER: u64 = 10_000;
/// The most records a case can hold: its opening, a response of every
/// participant but the doctor, [`MAX_RECORDS_PER_SUBMITTER`] records of
/// each other participant (at most the doctor, pharmacists and insurers
/// store them), three records per grant and, per key epoch, its opening,
/// an answer of every other member and its tag. A client reading more from
/// one case has been lied to.
pub const MAX_CASE_RECORDS: u64 = 1
    + (MAX_PARTICIPANTS as u64 - 1) * (1 + MAX_RECORDS_PER_SUBMITTER)
    + 3 * MAX_GRANTS_PER_CASE
    + MAX_EPOCHS_PER_CASE as u64 * (MAX_PARTICIPANTS as u64 + 1);
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
/// The consortium's default floor on a case's Argon2id memory (KiB), when
/// its policy sets none: the OWASP-recommended minimum.
pub const DEFAULT_KDF_FLOOR_M_KIB: u32 = 19_456;
/// The consortium's default floor on a case's Argon2id passes.
pub const DEFAULT_KDF_FLOOR_T: u32 = 2;
/// Argon2id bounds: passes.
pub const KDF_MAX_T: u32 = 16;
/// Argon2id bounds: lanes.
pub const KDF_MAX_P: u32 = 16;

/// The most grants (`txgo`) one case takes: the grantees are notified of
/// every record, so their number is bounded like the participants'.
pub const MAX_GRANTS_PER_CASE: u64 = 32;
/// The most key epochs (`txeo`) one case takes after its opening: each
/// costs every reader one more Argon2id evaluation.
pub const MAX_EPOCHS_PER_CASE: u32 = 16;
/// The most attachments one record's body names.
pub const MAX_ATTACHMENTS: usize = 64;
/// The bytes that start a record plaintext holding a `RecordBody` (content
/// and attachments); a plaintext without them is the content as it is.
pub const RECORD_BODY_MARKER: &[u8; 8] = b"\0mcbody1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_from_256_to_one_mib() {
        assert_eq!(padded_len(0), Some(256));
        assert_eq!(padded_len(252), Some(256));
        assert_eq!(padded_len(253), Some(512));
        assert_eq!(padded_len(MAX_PLAINTEXT_BYTES), Some(MAX_PADDED_BYTES));
        assert_eq!(padded_len(MAX_PLAINTEXT_BYTES + 1), None);
        for n in [284, 540, 1024 + 28, MAX_CIPHERTEXT_BYTES] {
            assert!(is_record_ciphertext_len(n), "{n}");
        }
        for n in [
            0,
            28,
            255 + 28,
            283,
            285,
            300 + 28,
            2 * MAX_PADDED_BYTES + 28,
        ] {
            assert!(!is_record_ciphertext_len(n), "{n}");
        }
    }
}
