//! Field-level validation shared by the record types.

use medchain_protocol::v1::{InputParameter, KdfParams};
use prost::Message;

use crate::error::ContractError;
use medchain_protocol::limits::{
    KDF_MAX_M_KIB, KDF_MAX_P, KDF_MAX_T, KEY_BYTES, MAX_INPUT_BYTES, TAG_COEFFICIENT_BYTES,
};

/// Decodes a `Store` argument and insists on canonical encoding: the bytes
/// must be exactly what re-encoding the decoded message gives, so a record
/// has one key and carries no hidden unknown fields.
pub fn decode_input(bytes: &[u8]) -> Result<InputParameter, ContractError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ContractError::invalid(
            "input parameter",
            format!(
                "it is {} bytes, more than the limit of {MAX_INPUT_BYTES}",
                bytes.len()
            ),
        ));
    }
    // The sentence names no decoder detail: the Go reference contract
    // (chaincode/go) refuses the same bytes with the same message, and
    // prost's error text is prost's own.
    let input = InputParameter::decode(bytes).map_err(|e| {
        tracing::debug!(error = %e, "the Store argument does not decode");
        ContractError::invalid(
            "input parameter",
            "it is not a medchain.v1.InputParameter (it does not decode as protobuf)",
        )
    })?;
    let canonical = input.encode_to_vec();
    if canonical != bytes {
        return Err(ContractError::invalid(
            "input parameter",
            format!(
                "it is not in canonical protobuf encoding: {}; encode it with a standard protobuf encoder",
                crate::canonical::first_fault(bytes, &canonical)
            ),
        ));
    }
    Ok(input)
}

/// Checks a 32-byte key (κ or κ0).
pub fn key32<'a>(
    record: &'static str,
    what: &str,
    bytes: &'a [u8],
) -> Result<&'a [u8], ContractError> {
    if bytes.len() != KEY_BYTES {
        return Err(ContractError::invalid(
            record,
            format!("{what} must be {KEY_BYTES} bytes, got {}", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// Checks Argon2id parameters against sane bounds.
pub fn kdf_params(params: Option<&KdfParams>) -> Result<(), ContractError> {
    let Some(p) = params else {
        return Err(ContractError::invalid(
            "txtc",
            "the Argon2id parameters (kdf) are missing",
        ));
    };
    if p.p == 0 || p.p > KDF_MAX_P {
        return Err(ContractError::invalid(
            "txtc",
            format!("kdf.p must be between 1 and {KDF_MAX_P}, got {}", p.p),
        ));
    }
    if p.t == 0 || p.t > KDF_MAX_T {
        return Err(ContractError::invalid(
            "txtc",
            format!("kdf.t must be between 1 and {KDF_MAX_T}, got {}", p.t),
        ));
    }
    let min_m = 8 * p.p;
    if p.m_kib < min_m || p.m_kib > KDF_MAX_M_KIB {
        return Err(ContractError::invalid(
            "txtc",
            format!(
                "kdf.m_kib must be between {min_m} (8 per lane) and {KDF_MAX_M_KIB}, got {}",
                p.m_kib
            ),
        ));
    }
    Ok(())
}

/// Checks a SIFF tag: exactly one 66-byte coefficient per participant, each
/// an element of GF(2^521 − 1), i.e. below p = 2^521 − 1.
pub fn tag(record: &'static str, tag: &[u8], participants: usize) -> Result<(), ContractError> {
    let expected = participants * TAG_COEFFICIENT_BYTES;
    if tag.len() != expected {
        return Err(ContractError::invalid(
            record,
            format!(
                "the tag must hold one {TAG_COEFFICIENT_BYTES}-byte coefficient per participant ({participants} × {TAG_COEFFICIENT_BYTES} = {expected} bytes), got {} bytes",
                tag.len()
            ),
        ));
    }
    for (i, coefficient) in tag.chunks_exact(TAG_COEFFICIENT_BYTES).enumerate() {
        if !below_field_prime(coefficient) {
            return Err(ContractError::invalid(
                record,
                format!("tag coefficient {i} is not below 2^521 − 1"),
            ));
        }
    }
    if medchain_protocol::limits::is_degenerate_tag(tag) {
        return Err(ContractError::invalid(
            record,
            "the tag is degenerate: every coefficient but α_0 is zero, so it would give everyone the same public key",
        ));
    }
    Ok(())
}

/// Whether a 66-byte big-endian integer is below 2^521 − 1.
fn below_field_prime(coefficient: &[u8]) -> bool {
    // 66 bytes = 528 bits; p = 2^521 − 1 is 0x01 followed by 65 bytes of 0xff.
    match coefficient[0] {
        0 => true,
        1 => coefficient[1..].iter().any(|&b| b != 0xff),
        _ => false,
    }
}

/// Checks a sealed answer (`txtr`, `txgr`): a valid compressed ephemeral
/// key and a sealed secret of exactly [`SEALED_SECRET_BYTES`].
pub fn sealed_answer(
    record: &'static str,
    ephemeral: &[u8],
    sealed_secret: &[u8],
) -> Result<(), ContractError> {
    medchain_protocol::ephemeral_key(ephemeral)
        .map_err(|e| ContractError::invalid(record, format!("ephemeral key: {e}")))?;
    if sealed_secret.len() != medchain_protocol::limits::SEALED_SECRET_BYTES {
        return Err(ContractError::invalid(
            record,
            format!(
                "the sealed secret must be {} bytes (nonce, 32-byte secret, GCM tag), got {}",
                medchain_protocol::limits::SEALED_SECRET_BYTES,
                sealed_secret.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_bound() {
        let mut c = [0xffu8; 66];
        c[0] = 1;
        assert!(!below_field_prime(&c));
        c[65] = 0xfe;
        assert!(below_field_prime(&c));
        c[0] = 2;
        assert!(!below_field_prime(&c));
        assert!(below_field_prime(&[0u8; 66]));
    }
}
