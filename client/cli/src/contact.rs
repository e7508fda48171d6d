//! The contact card a user shares so a patient can select it: name, role,
//! index and public key, as a JSON file or a QR code (`medchain whoami
//! --out / --png / --qr`). `medchain select` accepts a contact file
//! wherever it takes an index or a public key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::CliError;
use medchain_sdk::workflow::{format_ind, parse_ind, parse_public_key};

/// The format tag of a contact card.
pub const CONTACT_FORMAT: &str = "medchain-contact-v1";

/// A user's public contact card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Always [`CONTACT_FORMAT`].
    pub format: String,
    /// The user's display name.
    pub name: String,
    /// The user's role (`patient`, `doctor`, …).
    pub role: String,
    /// The participant index, 16 hex digits.
    pub index: String,
    /// The SEC1 uncompressed public key, 130 hex digits.
    pub public_key: String,
}

impl Contact {
    /// A contact card for `name` with role `role`, index `ind` and public key
    /// `public_key_hex`.
    pub fn new(name: &str, role: &str, ind: u64, public_key_hex: &str) -> Self {
        Self {
            format: CONTACT_FORMAT.to_owned(),
            name: name.to_owned(),
            role: role.to_owned(),
            index: format_ind(ind),
            public_key: public_key_hex.to_owned(),
        }
    }

    /// The compact JSON carried by the file and the QR code.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a contact card: the JSON file or a PNG of its QR code.
    pub fn read_file(path: &Path) -> Result<Self, CliError> {
        let bytes = std::fs::read(path).map_err(|e| CliError::io("the contact file", path, &e))?;
        let text = crate::qr::text_or_png(bytes)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
            .ok_or_else(|| not_a_contact(path, "it is not text"))?;
        let contact: Self =
            serde_json::from_str(text.trim()).map_err(|e| not_a_contact(path, &e.to_string()))?;
        if contact.format != CONTACT_FORMAT {
            return Err(not_a_contact(
                path,
                &format!("its format is {:?}", contact.format),
            ));
        }
        parse_ind(&contact.index).map_err(|e| not_a_contact(path, &e.to_string()))?;
        parse_public_key(&contact.public_key).map_err(|e| not_a_contact(path, &e.to_string()))?;
        Ok(contact)
    }
}

fn not_a_contact(path: &Path, reason: &str) -> CliError {
    CliError::usage(format!(
        "{} is not a medchain contact card ({reason}); ask its owner for the file `medchain whoami --out` writes",
        path.display()
    ))
}

/// Resolves a `--doctor`/`--pharmacist`/… value: 16 hex digits, or a
/// contact file (whose index is taken).
pub fn resolve_index(value: &str) -> Result<String, CliError> {
    let trimmed = value.trim();
    if trimmed.len() == 16 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(format_ind(parse_ind(trimmed)?));
    }
    let path = Path::new(value);
    if path.is_file() {
        return Ok(Contact::read_file(path)?.index);
    }
    Err(CliError::usage(format!(
        "{value:?} is neither a participant index (16 hex digits) nor a contact file; use the index `medchain whoami` prints"
    )))
}

/// Resolves a `--family` value: 130 hex digits, or a contact file (whose
/// public key is taken).
pub fn resolve_public_key(value: &str) -> Result<String, CliError> {
    let trimmed = value.trim();
    if trimmed.len() == 130 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        let key = parse_public_key(trimmed).map_err(|e| {
            CliError::usage(format!(
                "{value:?} is not a valid public key ({e}); use the key `medchain whoami` prints"
            ))
        })?;
        return Ok(hex::encode(key));
    }
    let path = Path::new(value);
    if path.is_file() {
        return Ok(Contact::read_file(path)?.public_key);
    }
    Err(CliError::usage(format!(
        "{value:?} is neither a public key (130 hex digits) nor a contact file; use the key `medchain whoami` prints"
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    fn key_hex() -> String {
        let key = p256::SecretKey::random(&mut rand_core::OsRng);
        hex::encode(key.public_key().to_encoded_point(false).as_bytes())
    }

    #[test]
    fn contact_files_and_pngs_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let key = key_hex();
        let contact = Contact::new("Bob", "family", 0x0123_4567_89ab_cdef, &key);
        let json_path = dir.path().join("bob.json");
        std::fs::write(&json_path, contact.to_json()).unwrap();
        let png_path = dir.path().join("bob.png");
        std::fs::write(
            &png_path,
            crate::qr::encode_png(&contact.to_json()).unwrap(),
        )
        .unwrap();
        for path in [&json_path, &png_path] {
            let value = path.to_str().unwrap();
            assert_eq!(resolve_index(value).unwrap(), "0123456789abcdef");
            assert_eq!(resolve_public_key(value).unwrap(), key);
        }
        assert_eq!(resolve_public_key(&key).unwrap(), key);
        assert_eq!(
            resolve_index("0123456789ABCDEF").unwrap(),
            "0123456789abcdef"
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.json");
        std::fs::write(&junk, "{\"format\":\"other\"}").unwrap();
        for value in ["xyz", "0123", junk.to_str().unwrap()] {
            assert_eq!(resolve_index(value).unwrap_err().status().code(), 2);
            assert_eq!(resolve_public_key(value).unwrap_err().status().code(), 2);
        }
        // A 130-hex string that is not a curve point.
        assert_eq!(
            resolve_public_key(&"04".repeat(65))
                .unwrap_err()
                .status()
                .code(),
            2
        );
    }
}
