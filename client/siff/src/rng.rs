//! Drawing randomness from an injected generator.

use rand_core::CryptoRngCore;

use crate::CryptoError;

/// Fills `out` from the generator, reporting its failure as an error.
pub(crate) fn fill_random(rng: &mut impl CryptoRngCore, out: &mut [u8]) -> Result<(), CryptoError> {
    rng.try_fill_bytes(out)
        .map_err(|e| CryptoError::Randomness(e.to_string()))
}
