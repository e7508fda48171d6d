//! Why bytes that decode are not the canonical protobuf encoding of their
//! message: the first fault, named by its field path (`2.6` is field 6 of
//! the message in field 2), so a refusal says what to fix. The rules are
//! protocol.md §11 "Canonical protobuf encoding"; the Go reference
//! contract names the same faults with the same words.

/// One field as it is on the wire.
struct WireField<'a> {
    number: u64,
    wire_type: u8,
    /// The value: the varint or fixed bytes, or a length-delimited
    /// field's contents.
    payload: &'a [u8],
    /// The whole field, tag included.
    raw: &'a [u8],
}

/// A varint at the start of `bytes` and its length.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The fields of a message, or `None` if the bytes are not a sequence of
/// fields of wire types 0, 1, 2 and 5.
fn fields(bytes: &[u8]) -> Option<Vec<WireField<'_>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let (tag, n) = varint(&bytes[at..])?;
        at += n;
        let wire_type = u8::try_from(tag & 7).ok()?;
        let (payload_start, payload_end) = match wire_type {
            0 => {
                let (_, n) = varint(&bytes[at..])?;
                (at, at + n)
            }
            1 => (at, at.checked_add(8)?),
            5 => (at, at.checked_add(4)?),
            2 => {
                let (len, n) = varint(&bytes[at..])?;
                let begin = at + n;
                (begin, begin.checked_add(usize::try_from(len).ok()?)?)
            }
            _ => return None,
        };
        let payload = bytes.get(payload_start..payload_end)?;
        at = payload_end;
        out.push(WireField {
            number: tag >> 3,
            wire_type,
            payload,
            raw: &bytes[start..at],
        });
    }
    Some(out)
}

fn name(path: &[u64], number: u64) -> String {
    path.iter()
        .chain(std::iter::once(&number))
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// The first way `original` (which decodes) differs from `canonical` (the
/// encoding of what it decodes to), as a clause: "field 2.5 comes after
/// field 2.6; write fields in field-number order".
pub fn first_fault(original: &[u8], canonical: &[u8]) -> String {
    fault(original, canonical, &mut Vec::new())
        .unwrap_or_else(|| "its bytes differ from the canonical encoding".to_owned())
}

fn fault(original: &[u8], canonical: &[u8], path: &mut Vec<u64>) -> Option<String> {
    let ours = fields(original)?;
    let theirs = fields(canonical)?;
    for pair in ours.windows(2) {
        if pair[1].number < pair[0].number {
            return Some(format!(
                "field {} comes after field {}; write fields in field-number order",
                name(path, pair[1].number),
                name(path, pair[0].number)
            ));
        }
    }
    for field in &ours {
        let Some(first) = theirs.iter().find(|f| f.number == field.number) else {
            return Some(format!(
                "field {} is not part of the canonical encoding: it is unknown, or holds its default value (0, false or empty), which is left out",
                name(path, field.number)
            ));
        };
        if first.wire_type != field.wire_type {
            return Some(format!(
                "field {} is a repeated scalar that is not packed; pack repeated scalars",
                name(path, field.number)
            ));
        }
        let count =
            |list: &[WireField<'_>]| list.iter().filter(|f| f.number == field.number).count();
        let (mine, canon) = (count(&ours), count(&theirs));
        if mine > canon {
            return Some(format!(
                "field {} appears {mine} times; a field that is not repeated appears once",
                name(path, field.number)
            ));
        }
    }
    for (mine, canon) in ours.iter().zip(&theirs) {
        if mine.raw == canon.raw {
            continue;
        }
        if mine.payload == canon.payload {
            return Some(format!(
                "the tag or length of field {} is not a minimal varint",
                name(path, mine.number)
            ));
        }
        if mine.wire_type == 0 {
            return Some(format!(
                "field {} is not a minimal varint",
                name(path, mine.number)
            ));
        }
        if mine.wire_type == 2 {
            path.push(mine.number);
            let inner = fault(mine.payload, canon.payload, path);
            path.pop();
            if inner.is_some() {
                return inner;
            }
        }
        return Some(format!(
            "field {} is not canonically encoded",
            name(path, mine.number)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_is_named_by_its_field_path() {
        // A message {1: varint 1, 2: {3: varint 5, 4: varint 6}}.
        let canonical = [0x08, 0x01, 0x12, 0x04, 0x18, 0x05, 0x20, 0x06];
        for (bytes, expected) in [
            (
                vec![0x12, 0x04, 0x18, 0x05, 0x20, 0x06, 0x08, 0x01],
                "field 1 comes after field 2; write fields in field-number order",
            ),
            (
                vec![0x08, 0x01, 0x12, 0x04, 0x20, 0x06, 0x18, 0x05],
                "field 2.3 comes after field 2.4",
            ),
            (
                vec![0x08, 0x01, 0x12, 0x04, 0x18, 0x05, 0x20, 0x06, 0x38, 0x00],
                "field 7 is not part of the canonical encoding",
            ),
            (
                vec![0x08, 0x01, 0x08, 0x01, 0x12, 0x04, 0x18, 0x05, 0x20, 0x06],
                "field 1 appears 2 times",
            ),
            (
                vec![0x08, 0x81, 0x00, 0x12, 0x04, 0x18, 0x05, 0x20, 0x06],
                "field 1 is not a minimal varint",
            ),
            (
                vec![0x08, 0x01, 0x12, 0x84, 0x00, 0x18, 0x05, 0x20, 0x06],
                "the tag or length of field 2 is not a minimal varint",
            ),
        ] {
            let fault = first_fault(&bytes, &canonical);
            assert!(fault.starts_with(expected), "{bytes:02x?}: {fault}");
        }
    }

    #[test]
    fn an_unpacked_repeated_scalar_is_named() {
        // {4: packed fixed64 [1]} against the unpacked {4: fixed64 1}.
        let canonical = [0x22, 0x08, 1, 0, 0, 0, 0, 0, 0, 0];
        let unpacked = [0x21, 1, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            first_fault(&unpacked, &canonical),
            "field 4 is a repeated scalar that is not packed; pack repeated scalars"
        );
    }
}
