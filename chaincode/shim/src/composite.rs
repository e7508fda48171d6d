//! Composite keys, encoded exactly as Fabric's shims encode them:
//! `U+0000 objectType U+0000 attr1 U+0000 attr2 U+0000 …`.

use crate::stub::StubError;

/// The separator (and the first character) of a composite key.
pub const COMPOSITE_KEY_NAMESPACE: char = '\u{0000}';
/// The largest Unicode code point; used as the exclusive end of a
/// partial-composite-key range.
pub const MAX_UNICODE_RUNE: char = '\u{10FFFF}';

fn validate_part(part: &str) -> Result<(), StubError> {
    if part.contains(COMPOSITE_KEY_NAMESPACE) || part.contains(MAX_UNICODE_RUNE) {
        return Err(StubError::InvalidKey(format!(
            "composite key part {part:?} contains U+0000 or U+10FFFF, which Fabric reserves"
        )));
    }
    Ok(())
}

/// Builds a composite key from an object type and attributes.
pub fn create_composite_key(object_type: &str, attributes: &[&str]) -> Result<String, StubError> {
    validate_part(object_type)?;
    let mut key = String::with_capacity(
        2 + object_type.len() + attributes.iter().map(|a| a.len() + 1).sum::<usize>(),
    );
    key.push(COMPOSITE_KEY_NAMESPACE);
    key.push_str(object_type);
    key.push(COMPOSITE_KEY_NAMESPACE);
    for attribute in attributes {
        validate_part(attribute)?;
        key.push_str(attribute);
        key.push(COMPOSITE_KEY_NAMESPACE);
    }
    Ok(key)
}

/// Splits a composite key into its object type and attributes.
pub fn split_composite_key(key: &str) -> Result<(String, Vec<String>), StubError> {
    let rest = key
        .strip_prefix(COMPOSITE_KEY_NAMESPACE)
        .ok_or_else(|| StubError::InvalidKey(format!("{key:?} is not a composite key")))?;
    let mut parts: Vec<String> = rest
        .split(COMPOSITE_KEY_NAMESPACE)
        .map(str::to_owned)
        .collect();
    // A well-formed key ends with the separator, leaving one empty last part.
    if parts.pop().as_deref() != Some("") || parts.is_empty() {
        return Err(StubError::InvalidKey(format!(
            "{key:?} is not a composite key"
        )));
    }
    let object_type = parts.remove(0);
    Ok((object_type, parts))
}

/// The `[start, end)` range covering every composite key that begins with
/// `object_type` and `attributes`.
pub fn partial_composite_range(
    object_type: &str,
    attributes: &[&str],
) -> Result<(String, String), StubError> {
    let start = create_composite_key(object_type, attributes)?;
    let mut end = start.clone();
    end.push(MAX_UNICODE_RUNE);
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn round_trip() {
        let key = create_composite_key("case", &["ab", "12"]).unwrap();
        assert_eq!(key, "\u{0}case\u{0}ab\u{0}12\u{0}");
        let (t, a) = split_composite_key(&key).unwrap();
        assert_eq!(t, "case");
        assert_eq!(a, vec!["ab", "12"]);
    }

    #[test]
    fn rejects_reserved_characters() {
        assert!(create_composite_key("a\u{0}b", &[]).is_err());
        assert!(create_composite_key("a", &["x\u{10FFFF}"]).is_err());
    }

    #[test]
    fn rejects_simple_keys() {
        assert!(split_composite_key("plain").is_err());
        assert!(split_composite_key("\u{0}unterminated").is_err());
    }

    #[test]
    fn partial_range_brackets_children() {
        let (start, end) = partial_composite_range("case", &["ab"]).unwrap();
        let child = create_composite_key("case", &["ab", "zz"]).unwrap();
        let other = create_composite_key("case", &["ac"]).unwrap();
        assert!(start <= child && child < end);
        assert!(!(start <= other && other < end));
    }
}
