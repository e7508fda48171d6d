//! The errors of the crypto core: one clear sentence per failure saying what
//! is wrong and, where it helps, what to do.

/// Why a `medchain-siff-v1` operation failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// AES-GCM authentication failed: the key is wrong (wrong password, not a
    /// participant, wrong doctor key) or the data was tampered with.
    #[error("cannot decrypt: wrong password or not a participant of this case")]
    CannotDecrypt,
    /// A record plaintext is longer than the largest padding bucket allows.
    #[error(
        "the record is {len} bytes; a record holds at most {max} bytes — split it into several records"
    )]
    PlaintextTooLong {
        /// The plaintext's length.
        len: usize,
        /// The largest plaintext.
        max: usize,
    },
    /// A decrypted record is not padded as the protocol specifies (its
    /// writer did not follow the protocol).
    #[error(
        "the record decrypts but is not padded as the protocol specifies; its writer did not follow medchain-siff-v2"
    )]
    BadPadding,
    /// A tag whose non-constant coefficients are all zero: it gives every
    /// secret (anyone's) the same key, `α_0`, which anyone reads off it.
    #[error(
        "the tag is degenerate (every coefficient but α_0 is zero), so its key is public; refuse the case's records"
    )]
    DegenerateTag,
    /// The Argon2id parameters are not valid Argon2id parameters at all.
    #[error(
        "invalid Argon2id parameters (m = {m_kib} KiB, t = {t}, p = {p}): {reason}; \
         use m ≥ 8·p KiB, t ≥ 1 and 1 ≤ p ≤ 16777215"
    )]
    InvalidKdfParams {
        /// Memory cost in KiB.
        m_kib: u32,
        /// Number of passes.
        t: u32,
        /// Degree of parallelism.
        p: u32,
        /// What the Argon2 implementation rejected.
        reason: String,
    },
    /// The parameters are below the workflow minimum and the insecure test
    /// flag was not given.
    #[error(
        "the case's Argon2id parameters (m = {m_kib} KiB, t = {t}) are below the minimum \
         (m = {min_m_kib} KiB, t = {min_t}); refusing to use them for a real case \
         (only tests may allow weaker parameters explicitly)"
    )]
    KdfParamsTooWeak {
        /// Memory cost in KiB.
        m_kib: u32,
        /// Number of passes.
        t: u32,
        /// The minimum memory cost in KiB.
        min_m_kib: u32,
        /// The minimum number of passes.
        min_t: u32,
    },
    /// The parameters exceed what a client agrees to spend on one derivation.
    #[error(
        "the case's Argon2id parameters (m = {m_kib} KiB, t = {t}, p = {p}) exceed the \
         accepted maximum (m ≤ {max_m_kib} KiB, t ≤ {max_t}, p ≤ {max_p}); \
         the case opening is unreasonable and is refused"
    )]
    KdfParamsTooCostly {
        /// Memory cost in KiB.
        m_kib: u32,
        /// Number of passes.
        t: u32,
        /// Degree of parallelism.
        p: u32,
        /// The maximum memory cost in KiB.
        max_m_kib: u32,
        /// The maximum number of passes.
        max_t: u32,
        /// The maximum degree of parallelism.
        max_p: u32,
    },
    /// Argon2id failed while deriving (it does not after validation).
    #[error("Argon2id failed: {0}")]
    Kdf(String),
    /// A byte string has the wrong length.
    #[error("{what} is {actual} bytes; it must be {expected}")]
    InvalidLength {
        /// What the value is.
        what: &'static str,
        /// Its length in bytes.
        actual: usize,
        /// The accepted length, in words.
        expected: &'static str,
    },
    /// A tag's length is not 66 bytes per participant.
    #[error(
        "the tag is {len} bytes; it must be 66 bytes per participant \
         (66·k bytes with {min} ≤ k ≤ {max}); the record is corrupt"
    )]
    InvalidTagLength {
        /// The tag's length in bytes.
        len: usize,
        /// The minimum number of participants.
        min: usize,
        /// The maximum number of participants.
        max: usize,
    },
    /// A tag coefficient is not a canonical field element.
    #[error(
        "tag coefficient {index} is not below 2^521 − 1; the tag is corrupt \
         (coefficients are 66-byte big-endian integers below the field prime)"
    )]
    CoefficientOutOfRange {
        /// The coefficient's position, α_0 first.
        index: usize,
    },
    /// Fewer or more participants than a case supports.
    #[error(
        "a case needs between {min} and {max} participants (doctor included), \
         got {count}"
    )]
    ParticipantCount {
        /// The number given.
        count: usize,
        /// The minimum.
        min: usize,
        /// The maximum.
        max: usize,
    },
    /// Two interpolation points share the same x coordinate.
    #[error(
        "participants {first} and {second} have the same SIFF point, so no key can be \
         established; the same participant is probably listed twice: remove the duplicate"
    )]
    DuplicatePoint {
        /// The position of the first participant.
        first: usize,
        /// The position of the second participant.
        second: usize,
    },
    /// A public key is not a valid P-256 point in the required encoding.
    #[error("{what} is not a valid P-256 public key in SEC1 {encoding} form ({expected} bytes)")]
    InvalidPublicKey {
        /// Which key.
        what: &'static str,
        /// "compressed" or "uncompressed".
        encoding: &'static str,
        /// The required length in bytes.
        expected: usize,
    },
    /// The random number generator failed.
    #[error("the random number generator failed: {0}")]
    Randomness(String),
    /// AES-GCM refused to encrypt (the plaintext exceeds its limit).
    #[error("the record is too large to encrypt with AES-256-GCM")]
    PlaintextTooLarge,
}
