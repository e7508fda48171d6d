//! Key derivation: Argon2id for a participant's secret `s_x` (with the
//! parameter checks a workflow applies), and the HKDF-SHA256 expansion used
//! for the record and response keys.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use medchain_protocol::limits;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{CaseId, CryptoError, ParticipantSecret};

/// The prefix of the Argon2id salt: `"medchain-siff-v1" || κ0 || be64(ind)`.
pub const SECRET_SALT_PREFIX: &[u8] = b"medchain-siff-v1";

/// Argon2id cost parameters of a case (the `kdf` field of `txtc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub m_kib: u32,
    /// Number of passes.
    pub t: u32,
    /// Degree of parallelism (lanes).
    pub p: u32,
}

/// Whether a workflow accepts parameters below [`KdfParams::MINIMUM`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfPolicy {
    /// Refuse parameters below the minimum (every real case).
    RequireMinimum,
    /// Accept weak parameters: for tests and demos only, never for real
    /// patient data.
    AllowInsecureTestParameters,
}

impl KdfParams {
    /// The parameters a new case uses: m = 19456 KiB, t = 2, p = 1.
    pub const DEFAULT: Self = Self {
        m_kib: 19456,
        t: 2,
        p: 1,
    };

    /// The weakest parameters a workflow opens or joins a case with, unless
    /// [`KdfPolicy::AllowInsecureTestParameters`] is given.
    pub const MINIMUM: Self = Self::DEFAULT;

    /// The costliest parameters a workflow accepts (the contract's bounds:
    /// 1 GiB, 16 passes, 16 lanes): a case opening above them is refused
    /// rather than letting it exhaust the participant's memory.
    pub const MAXIMUM: Self = Self {
        m_kib: limits::KDF_MAX_M_KIB,
        t: limits::KDF_MAX_T,
        p: limits::KDF_MAX_P,
    };

    /// Checks the parameters are valid Argon2id parameters (any valid ones,
    /// however weak): 1 ≤ p ≤ 2^24 − 1, m ≥ 8·p, t ≥ 1.
    pub fn validate(&self) -> Result<(), CryptoError> {
        self.argon2_params().map(|_| ())
    }

    /// The workflow check made before opening or joining a case: the
    /// parameters are valid, at most [`KdfParams::MAXIMUM`], and at least
    /// [`KdfParams::MINIMUM`] unless the policy explicitly allows insecure
    /// test parameters.
    pub fn check_policy(&self, policy: KdfPolicy) -> Result<(), CryptoError> {
        self.validate()?;
        let max = Self::MAXIMUM;
        if self.m_kib > max.m_kib || self.t > max.t || self.p > max.p {
            return Err(CryptoError::KdfParamsTooCostly {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
                max_m_kib: max.m_kib,
                max_t: max.t,
                max_p: max.p,
            });
        }
        let min = Self::MINIMUM;
        let weak = self.m_kib < min.m_kib || self.t < min.t;
        if weak && policy == KdfPolicy::RequireMinimum {
            return Err(CryptoError::KdfParamsTooWeak {
                m_kib: self.m_kib,
                t: self.t,
                min_m_kib: min.m_kib,
                min_t: min.t,
            });
        }
        Ok(())
    }

    /// Argon2id(password, salt) with these parameters, 32 bytes, version
    /// 0x13: the generic derivation behind [`ParticipantSecret::derive`],
    /// also used for the wallet's encryption key.
    pub fn derive_key(
        &self,
        password: &str,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.argon2_params()?);
        let mut key = Zeroizing::new([0u8; 32]);
        argon2
            .hash_password_into(password.as_bytes(), salt, key.as_mut())
            .map_err(|e| CryptoError::Kdf(e.to_string()))?;
        Ok(key)
    }

    fn argon2_params(&self) -> Result<Params, CryptoError> {
        // argon2 0.5.3 computes `p · 8` before its own bound check, which
        // overflows (a panic with overflow checks) for p ≥ 2^29: check the
        // lane count first (found by the wallet_files fuzz target).
        if self.p == 0 || self.p > Params::MAX_P_COST {
            return Err(CryptoError::InvalidKdfParams {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
                reason: format!(
                    "the lane count must be between 1 and {}",
                    Params::MAX_P_COST
                ),
            });
        }
        Params::new(self.m_kib, self.t, self.p, Some(32)).map_err(|e| {
            CryptoError::InvalidKdfParams {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
                reason: e.to_string(),
            }
        })
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ParticipantSecret {
    /// Derives participant x's secret for a case:
    /// `s_x = Argon2id(pw_x, "medchain-siff-v1" || κ0 || be64(ind_x))`, 32
    /// bytes, version 0x13, with the case's parameters. The password is used
    /// as its exact UTF-8 bytes (no normalization).
    ///
    /// Accepts any valid parameters; apply [`KdfParams::check_policy`] first
    /// in a workflow.
    pub fn derive(
        password: &str,
        case: &CaseId,
        ind: u64,
        params: &KdfParams,
    ) -> Result<Self, CryptoError> {
        let mut salt = Vec::with_capacity(SECRET_SALT_PREFIX.len() + 32 + 8);
        salt.extend_from_slice(SECRET_SALT_PREFIX);
        salt.extend_from_slice(case.as_bytes());
        salt.extend_from_slice(&ind.to_be_bytes());
        let secret = params.derive_key(password, &salt)?;
        Ok(Self::from_bytes(*secret))
    }
}

impl ParticipantSecret {
    /// Derives participant x's secret for key epoch `epoch` of a case
    /// (protocol §7b): epoch 0 is [`ParticipantSecret::derive`]; a later
    /// epoch salts with its number too, `s_x^e = Argon2id(pw_x,
    /// "medchain-siff-v1" || κ0 || be64(ind_x) || be32(e))`, so whoever
    /// learned a member's secret of an earlier epoch (the doctor, a granter,
    /// an earlier opener) learns nothing of the new one.
    pub fn derive_for_epoch(
        password: &str,
        case: &CaseId,
        ind: u64,
        epoch: u32,
        params: &KdfParams,
    ) -> Result<Self, CryptoError> {
        if epoch == 0 {
            return Self::derive(password, case, ind, params);
        }
        let mut salt = Vec::with_capacity(SECRET_SALT_PREFIX.len() + 32 + 12);
        salt.extend_from_slice(SECRET_SALT_PREFIX);
        salt.extend_from_slice(case.as_bytes());
        salt.extend_from_slice(&ind.to_be_bytes());
        salt.extend_from_slice(&epoch.to_be_bytes());
        let secret = params.derive_key(password, &salt)?;
        Ok(Self::from_bytes(*secret))
    }
}

/// `HKDF-SHA256(ikm, salt, info_parts concatenated)` expanded to 32 bytes.
pub(crate) fn hkdf_sha256(
    ikm: &[u8],
    salt: &[u8],
    info_parts: &[&[u8]],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let hkdf = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut okm = Zeroizing::new([0u8; 32]);
    hkdf.expand_multi_info(info_parts, okm.as_mut())
        .map_err(|_| CryptoError::Kdf("HKDF-SHA256 refused a 32-byte output".into()))?;
    Ok(okm)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const TINY: KdfParams = KdfParams {
        m_kib: 8,
        t: 1,
        p: 1,
    };

    #[test]
    fn each_epoch_has_its_own_secret_and_epoch_zero_is_the_case_secret() {
        let case = CaseId::from_bytes([1; 32]);
        let derive = |e| ParticipantSecret::derive_for_epoch("pw", &case, 7, e, &TINY).unwrap();
        assert_eq!(
            derive(0),
            ParticipantSecret::derive("pw", &case, 7, &TINY).unwrap()
        );
        assert_ne!(derive(1), derive(0));
        assert_ne!(derive(1), derive(2));
    }

    #[test]
    fn derive_is_deterministic_and_separates_password_case_and_index() {
        let case = CaseId::from_bytes([1; 32]);
        let s = ParticipantSecret::derive("pw", &case, 7, &TINY).unwrap();
        assert_eq!(s, ParticipantSecret::derive("pw", &case, 7, &TINY).unwrap());
        assert_ne!(
            s,
            ParticipantSecret::derive("pw2", &case, 7, &TINY).unwrap()
        );
        assert_ne!(s, ParticipantSecret::derive("pw", &case, 8, &TINY).unwrap());
        let other_case = CaseId::from_bytes([2; 32]);
        assert_ne!(
            s,
            ParticipantSecret::derive("pw", &other_case, 7, &TINY).unwrap()
        );
        let stronger = KdfParams { t: 2, ..TINY };
        assert_ne!(
            s,
            ParticipantSecret::derive("pw", &case, 7, &stronger).unwrap()
        );
    }

    #[test]
    fn derive_matches_argon2id_with_the_documented_salt() {
        let case = CaseId::from_bytes([0x11; 32]);
        let ind = 0x0102_0304_0506_0708_u64;
        let mut salt = b"medchain-siff-v1".to_vec();
        salt.extend_from_slice(&[0x11; 32]);
        salt.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut expected = [0u8; 32];
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(16, 2, 2, Some(32)).unwrap(),
        )
        .hash_password_into("pässwörd".as_bytes(), &salt, &mut expected)
        .unwrap();
        let params = KdfParams {
            m_kib: 16,
            t: 2,
            p: 2,
        };
        let s = ParticipantSecret::derive("pässwörd", &case, ind, &params).unwrap();
        assert_eq!(s.expose_secret(), &expected);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let case = CaseId::from_bytes([0; 32]);
        for params in [
            KdfParams {
                m_kib: 7,
                t: 1,
                p: 1,
            },
            KdfParams {
                m_kib: 15,
                t: 1,
                p: 2,
            },
            KdfParams {
                m_kib: 64,
                t: 0,
                p: 1,
            },
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 0,
            },
        ] {
            let err = params.validate().unwrap_err();
            assert!(
                matches!(err, CryptoError::InvalidKdfParams { .. }),
                "{params:?}"
            );
            assert!(err.to_string().starts_with("invalid Argon2id parameters"));
            assert_eq!(
                ParticipantSecret::derive("pw", &case, 1, &params).unwrap_err(),
                err
            );
            assert_eq!(
                params
                    .check_policy(KdfPolicy::AllowInsecureTestParameters)
                    .unwrap_err(),
                err
            );
        }
    }

    #[test]
    fn policy_refuses_weak_parameters_unless_explicitly_insecure() {
        for weak in [
            KdfParams {
                m_kib: 19455,
                t: 2,
                p: 1,
            },
            KdfParams {
                m_kib: 19456,
                t: 1,
                p: 1,
            },
            TINY,
        ] {
            let err = weak.check_policy(KdfPolicy::RequireMinimum).unwrap_err();
            assert!(
                matches!(err, CryptoError::KdfParamsTooWeak { .. }),
                "{weak:?}"
            );
            assert!(
                err.to_string()
                    .contains("below the minimum (m = 19456 KiB, t = 2)")
            );
            weak.check_policy(KdfPolicy::AllowInsecureTestParameters)
                .unwrap();
        }
        KdfParams::DEFAULT
            .check_policy(KdfPolicy::RequireMinimum)
            .unwrap();
        KdfParams {
            m_kib: 65536,
            t: 3,
            p: 4,
        }
        .check_policy(KdfPolicy::RequireMinimum)
        .unwrap();
        assert_eq!(KdfParams::default(), KdfParams::DEFAULT);
    }

    #[test]
    fn policy_refuses_unreasonably_costly_parameters() {
        for costly in [
            KdfParams {
                m_kib: 4 * 1024 * 1024 + 1,
                t: 2,
                p: 1,
            },
            KdfParams {
                m_kib: 19456,
                t: 65,
                p: 1,
            },
            KdfParams {
                m_kib: 19456,
                t: 2,
                p: 65,
            },
        ] {
            for policy in [
                KdfPolicy::RequireMinimum,
                KdfPolicy::AllowInsecureTestParameters,
            ] {
                let err = costly.check_policy(policy).unwrap_err();
                assert!(
                    matches!(err, CryptoError::KdfParamsTooCostly { .. }),
                    "{costly:?}"
                );
            }
        }
        KdfParams::MAXIMUM
            .check_policy(KdfPolicy::RequireMinimum)
            .unwrap();
    }

    #[test]
    fn hkdf_matches_rfc5869_case_1_prefix() {
        // RFC 5869 test case 1 (first 32 bytes of the 42-byte OKM).
        let ikm = [0x0b; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let okm = hkdf_sha256(&ikm, &salt, &[&info[..4], &info[4..]]).unwrap();
        let expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf";
        let hex: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    /// Regression (fuzz target `wallet_files`): a lane count of 2^29 or
    /// more overflowed inside argon2's parameter check and panicked; it is
    /// refused now, as is 0.
    #[test]
    fn lane_counts_that_overflow_argon2_are_refused() {
        for p in [0, 0x0100_0000, 0x2000_0000, 0x5300_0000, u32::MAX] {
            let params = KdfParams { m_kib: 64, t: 2, p };
            assert!(
                matches!(params.validate(), Err(CryptoError::InvalidKdfParams { .. })),
                "p = {p}"
            );
            assert!(params.derive_key("pw", &[0u8; 16]).is_err());
        }
    }
}
