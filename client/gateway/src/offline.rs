//! What offline signing shares: the errors for unsigned messages and for
//! bytes that are not the message expected, and how a signature made
//! elsewhere is normalised.

use super::error::GatewayError;

/// The error for a message sent without a signature.
pub(crate) fn unsigned(what: &str, constructor: &str) -> GatewayError {
    GatewayError::InvalidRequest(format!(
        "the {what} is not signed (the gateway has no signer); sign its digest and pass it with its bytes to Gateway::{constructor}"
    ))
}

/// The error maker for bytes that do not decode as the `what` that
/// `made_by` serializes.
pub(crate) fn not_made_by(
    what: &'static str,
    made_by: &'static str,
) -> impl Fn(String) -> GatewayError {
    move |reason| {
        GatewayError::InvalidRequest(format!(
            "the {what} bytes are not a {what} made by {made_by} ({reason})"
        ))
    }
}

/// A DER ECDSA P-256 signature with `S` made low (Fabric refuses high
/// `S`); anything else is passed on unchanged for the gateway to judge.
pub(crate) fn normalize_signature(signature: Vec<u8>) -> Vec<u8> {
    match p256::ecdsa::Signature::from_der(&signature) {
        Ok(parsed) => match parsed.normalize_s() {
            Some(low) => low.to_der().as_bytes().to_vec(),
            None => signature,
        },
        Err(_) => signature,
    }
}
