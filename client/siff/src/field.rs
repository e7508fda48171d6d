//! Arithmetic in the prime field of `p = 2^521 − 1` and polynomial
//! interpolation over it.
//!
//! Elements are held in Montgomery form in a 640-bit fixed-width integer
//! (crypto-bigint), so multiplication, inversion and comparison run in
//! constant time: the points and values interpolated are secret. The
//! encoding is 66 bytes big-endian, always canonical (below `p`).

use crypto_bigint::modular::constant_mod::{Residue, ResidueParams};
use crypto_bigint::subtle::{Choice, ConstantTimeEq, ConstantTimeLess, CtOption};
use crypto_bigint::{Encoding, U640};
use zeroize::{DefaultIsZeroes, Zeroizing};

use crate::CryptoError;

/// The modulus `2^521 − 1` as a crypto-bigint Montgomery parameter set.
mod modulus {
    #![allow(missing_docs)]
    use crypto_bigint::{U640, impl_modulus};

    impl_modulus!(
        Mersenne521,
        U640,
        "000000000000000000000000000001ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    );
}

use modulus::Mersenne521;

type Residue521 = Residue<Mersenne521, { U640::LIMBS }>;

/// The width of U640 in bytes.
const WIDE_LEN: usize = 80;

/// An element of the field of integers modulo `2^521 − 1`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldElement(Residue521);

impl DefaultIsZeroes for FieldElement {}

impl core::fmt::Debug for FieldElement {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Field elements may be secret (points, values): never print them.
        f.write_str("FieldElement(<hidden>)")
    }
}

impl ConstantTimeEq for FieldElement {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl FieldElement {
    /// The length of an encoded element: 66 bytes, big-endian.
    pub const ENCODED_LEN: usize = 66;

    /// Zero.
    pub const ZERO: Self = Self(Residue521::ZERO);

    /// One.
    pub const ONE: Self = Self(Residue521::ONE);

    /// Reads a canonical big-endian integer of at most 66 bytes; `None` if
    /// the slice is longer or the integer is not below `p`.
    pub fn from_be_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > Self::ENCODED_LEN {
            return None;
        }
        let mut wide = Zeroizing::new([0u8; WIDE_LEN]);
        wide[WIDE_LEN - bytes.len()..].copy_from_slice(bytes);
        let integer = Zeroizing::new(U640::from_be_bytes(*wide));
        let canonical = integer.ct_lt(&<Mersenne521 as ResidueParams<{ U640::LIMBS }>>::MODULUS);
        Option::from(CtOption::new(Self(Residue521::new(&integer)), canonical))
    }

    /// The integer whose 64-byte big-endian encoding is `bytes` (every
    /// 512-bit integer is below `p`, so this cannot fail).
    pub fn from_be_bytes_64(bytes: &[u8; 64]) -> Self {
        let mut wide = Zeroizing::new([0u8; WIDE_LEN]);
        wide[WIDE_LEN - 64..].copy_from_slice(bytes);
        let integer = Zeroizing::new(U640::from_be_bytes(*wide));
        Self(Residue521::new(&integer))
    }

    /// The canonical 66-byte big-endian encoding.
    pub fn to_be_bytes(&self) -> [u8; 66] {
        let wide = Zeroizing::new(self.0.retrieve().to_be_bytes());
        let mut out = [0u8; 66];
        out.copy_from_slice(&wide[WIDE_LEN - Self::ENCODED_LEN..]);
        out
    }

    /// The canonical value reduced modulo `2^256`, as 32 bytes big-endian.
    pub fn low_256_bits(&self) -> [u8; 32] {
        let wide = Zeroizing::new(self.0.retrieve().to_be_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&wide[WIDE_LEN - 32..]);
        out
    }

    /// `self + rhs`.
    pub fn add(&self, rhs: &Self) -> Self {
        Self(self.0.add(&rhs.0))
    }

    /// `self − rhs`.
    pub fn sub(&self, rhs: &Self) -> Self {
        Self(self.0.sub(&rhs.0))
    }

    /// `self · rhs`.
    pub fn mul(&self, rhs: &Self) -> Self {
        Self(self.0.mul(&rhs.0))
    }

    /// The multiplicative inverse; `None` for zero.
    pub fn invert(&self) -> Option<Self> {
        let (inverse, invertible) = self.0.invert();
        Option::from(CtOption::new(Self(inverse), Choice::from(invertible)))
    }
}

/// Evaluates the polynomial `Σ coefficients[i] · x^i` at `x` (Horner).
pub fn evaluate(coefficients: &[FieldElement], x: &FieldElement) -> FieldElement {
    coefficients
        .iter()
        .rev()
        .fold(FieldElement::ZERO, |acc, c| acc.mul(x).add(c))
}

/// The coefficients `α_0 … α_{k−1}` of the unique polynomial of degree
/// below `k` through the `k` points `(x_j, y_j)` (Lagrange's formula in
/// coefficient form, O(k²) multiplications and one inversion).
///
/// Fails with [`CryptoError::DuplicatePoint`] if two `x_j` are equal.
pub fn interpolate(
    points: &[(FieldElement, FieldElement)],
) -> Result<Zeroizing<Vec<FieldElement>>, CryptoError> {
    let k = points.len();
    for (i, (xi, _)) in points.iter().enumerate() {
        for (j, (xj, _)) in points.iter().enumerate().skip(i + 1) {
            if bool::from(xi.ct_eq(xj)) {
                return Err(CryptoError::DuplicatePoint {
                    first: i,
                    second: j,
                });
            }
        }
    }
    // Denominators d_j = Π_{i≠j} (x_j − x_i), all inverted at once.
    let mut inverses = Zeroizing::new(Vec::with_capacity(k));
    for (j, (xj, _)) in points.iter().enumerate() {
        let d = points
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != j)
            .fold(FieldElement::ONE, |acc, (_, (xi, _))| acc.mul(&xj.sub(xi)));
        inverses.push(d);
    }
    batch_invert(&mut inverses)?;
    // The master polynomial M(x) = Π_j (x − x_j), degree k, monic.
    let mut master = Zeroizing::new(vec![FieldElement::ZERO; k + 1]);
    master[0] = FieldElement::ONE;
    for (degree, (xj, _)) in points.iter().enumerate() {
        for i in (0..=degree + 1).rev() {
            let shifted = if i > 0 {
                master[i - 1]
            } else {
                FieldElement::ZERO
            };
            master[i] = shifted.sub(&xj.mul(&master[i]));
        }
    }
    // α = Σ_j y_j / d_j · M(x) / (x − x_j), the quotient by synthetic division.
    let mut coefficients = Zeroizing::new(vec![FieldElement::ZERO; k]);
    let mut quotient = Zeroizing::new(vec![FieldElement::ZERO; k]);
    for ((xj, yj), inverse) in points.iter().zip(inverses.iter()) {
        let weight = yj.mul(inverse);
        for i in (0..k).rev() {
            let carry = if i + 1 < k {
                xj.mul(&quotient[i + 1])
            } else {
                FieldElement::ZERO
            };
            quotient[i] = master[i + 1].add(&carry);
            coefficients[i] = coefficients[i].add(&weight.mul(&quotient[i]));
        }
    }
    Ok(coefficients)
}

/// Replaces every element by its inverse with one field inversion
/// (Montgomery's trick). Fails if an element is zero.
fn batch_invert(values: &mut [FieldElement]) -> Result<(), CryptoError> {
    let mut prefix = Zeroizing::new(Vec::with_capacity(values.len()));
    let mut running = FieldElement::ONE;
    for value in values.iter() {
        prefix.push(running);
        running = running.mul(value);
    }
    // Only a repeated x makes a denominator zero, and repeats are rejected
    // before; report it as the corruption it would be.
    let mut inverse = running.invert().ok_or(CryptoError::DuplicatePoint {
        first: 0,
        second: 0,
    })?;
    for (value, before) in values.iter_mut().zip(prefix.iter()).rev() {
        let next = inverse.mul(value);
        *value = inverse.mul(before);
        inverse = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn p_minus(n: u8) -> [u8; 66] {
        let mut bytes = [0xff; 66];
        bytes[0] = 0x01;
        bytes[65] = 0xff - n;
        bytes
    }

    fn small(n: u64) -> FieldElement {
        FieldElement::from_be_slice(&n.to_be_bytes()).unwrap()
    }

    #[test]
    fn canonical_encoding_round_trips_and_rejects_p_and_above() {
        let max = FieldElement::from_be_slice(&p_minus(1)).unwrap();
        assert_eq!(max.to_be_bytes(), p_minus(1));
        assert_eq!(max.add(&FieldElement::ONE), FieldElement::ZERO);
        assert!(
            FieldElement::from_be_slice(&p_minus(0)).is_none(),
            "p itself"
        );
        assert!(
            FieldElement::from_be_slice(&[0xff; 66]).is_none(),
            "2^528 − 1"
        );
        let mut just_above = [0u8; 66];
        just_above[0] = 0x02;
        assert!(FieldElement::from_be_slice(&just_above).is_none(), "2^521");
        assert!(FieldElement::from_be_slice(&[0; 67]).is_none(), "67 bytes");
        assert_eq!(
            FieldElement::from_be_slice(&[]).unwrap(),
            FieldElement::ZERO
        );
    }

    #[test]
    fn low_bits_and_64_byte_construction_agree() {
        let mut bytes = [0u8; 64];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        let x = FieldElement::from_be_bytes_64(&bytes);
        assert_eq!(x.low_256_bits(), bytes[32..]);
        let encoded = x.to_be_bytes();
        assert_eq!(encoded[..2], [0, 0]);
        assert_eq!(encoded[2..], bytes);
    }

    #[test]
    fn arithmetic_matches_small_integers_and_wraps_at_p() {
        assert_eq!(small(6).mul(&small(7)), small(42));
        assert_eq!(small(6).sub(&small(7)).add(&small(1)), FieldElement::ZERO);
        let minus_one = FieldElement::from_be_slice(&p_minus(1)).unwrap();
        assert_eq!(FieldElement::ZERO.sub(&FieldElement::ONE), minus_one);
        // 2^521 ≡ 1 (mod p).
        let two_pow_260 = {
            let mut b = [0u8; 66];
            b[66 - 33] = 0x10;
            FieldElement::from_be_slice(&b).unwrap()
        };
        let two_pow_520 = two_pow_260.mul(&two_pow_260);
        assert_eq!(two_pow_520.add(&two_pow_520), FieldElement::ONE);
    }

    #[test]
    fn invert_gives_the_inverse_and_refuses_zero() {
        let x = small(123_456_789);
        assert_eq!(x.mul(&x.invert().unwrap()), FieldElement::ONE);
        assert!(FieldElement::ZERO.invert().is_none());
    }

    #[test]
    fn interpolate_rejects_repeated_x_and_names_the_pair() {
        let points = [
            (small(1), small(10)),
            (small(2), small(20)),
            (small(3), small(30)),
            (small(2), small(40)),
        ];
        assert_eq!(
            interpolate(&points).unwrap_err(),
            CryptoError::DuplicatePoint {
                first: 1,
                second: 3
            }
        );
    }

    #[test]
    fn interpolate_finds_a_known_polynomial() {
        // u(x) = 5 + 3x + 2x^2 through x = 1, 2, 3.
        let u = [small(5), small(3), small(2)];
        let points: Vec<_> = [1, 2, 3]
            .iter()
            .map(|&x| (small(x), evaluate(&u, &small(x))))
            .collect();
        assert_eq!(points[1].1, small(19));
        assert_eq!(interpolate(&points).unwrap().as_slice(), &u);
        assert!(interpolate(&[]).unwrap().is_empty());
        assert_eq!(
            interpolate(&[(small(9), small(4))]).unwrap().as_slice(),
            &[small(4)]
        );
    }

    #[test]
    fn debug_hides_the_value() {
        assert_eq!(format!("{:?}", small(5)), "FieldElement(<hidden>)");
    }
}
