//! Record padding: a plaintext is padded to a bucket of `256 · 2^i` bytes
//! before encryption, so a record's length says only which bucket its
//! content falls in. Padded form: `len (4 bytes, big-endian) || plaintext
//! || zeros`.

use medchain_protocol::limits::{MAX_PLAINTEXT_BYTES, PADDING_LENGTH_BYTES, padded_len};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Pads `plaintext` to its bucket.
pub fn pad(plaintext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let bucket = padded_len(plaintext.len()).ok_or(CryptoError::PlaintextTooLong {
        len: plaintext.len(),
        max: MAX_PLAINTEXT_BYTES,
    })?;
    let len = u32::try_from(plaintext.len()).map_err(|_| CryptoError::PlaintextTooLong {
        len: plaintext.len(),
        max: MAX_PLAINTEXT_BYTES,
    })?;
    let mut padded = Zeroizing::new(Vec::with_capacity(bucket));
    padded.extend_from_slice(&len.to_be_bytes());
    padded.extend_from_slice(plaintext);
    padded.resize(bucket, 0);
    Ok(padded)
}

/// Removes the padding of a decrypted record. A length that does not fit
/// its bucket, a bucket of the wrong size, or non-zero padding is
/// [`CryptoError::BadPadding`] (the ciphertext authenticated, so only a
/// writer that did not follow the protocol makes such a record).
pub fn unpad(padded: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (prefix, rest) = padded
        .split_at_checked(PADDING_LENGTH_BYTES)
        .ok_or(CryptoError::BadPadding)?;
    let mut len_bytes = [0u8; PADDING_LENGTH_BYTES];
    len_bytes.copy_from_slice(prefix);
    let len =
        usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| CryptoError::BadPadding)?;
    if padded_len(len) != Some(padded.len()) {
        return Err(CryptoError::BadPadding);
    }
    let (plaintext, zeros) = rest.split_at_checked(len).ok_or(CryptoError::BadPadding)?;
    if zeros.iter().any(|&b| b != 0) {
        return Err(CryptoError::BadPadding);
    }
    Ok(Zeroizing::new(plaintext.to_vec()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_at_every_bucket_edge() {
        for n in [0, 1, 252, 253, 508, 509, 4096, MAX_PLAINTEXT_BYTES] {
            let plaintext = vec![0xa5; n];
            let padded = pad(&plaintext).unwrap();
            assert_eq!(Some(padded.len()), padded_len(n));
            assert_eq!(unpad(&padded).unwrap().as_slice(), plaintext.as_slice());
        }
    }

    #[test]
    fn refuses_what_is_not_padded_as_specified() {
        assert_eq!(
            pad(&vec![0; MAX_PLAINTEXT_BYTES + 1]).unwrap_err(),
            CryptoError::PlaintextTooLong {
                len: MAX_PLAINTEXT_BYTES + 1,
                max: MAX_PLAINTEXT_BYTES
            }
        );
        let good = pad(b"flu").unwrap();
        let mut nonzero = good.clone();
        nonzero[200] = 1;
        let mut long = good.clone();
        long[3] = 253; // claims 253 bytes: needs the 512-byte bucket
        let mut wrong_bucket = good.to_vec();
        wrong_bucket.truncate(255);
        for bad in [
            &nonzero[..],
            &long[..],
            &wrong_bucket[..],
            &good[..3],
            &[][..],
        ] {
            assert_eq!(unpad(bad).unwrap_err(), CryptoError::BadPadding);
        }
    }
}
