//! A record's plaintext: its content and, when it has any, the references
//! of its attachments (`RecordBody` behind [`RECORD_BODY_MARKER`]).
//!
//! A record without attachments keeps the plain form — its plaintext is its
//! content — so records written before attachments existed read unchanged.
//! A body is decoded strictly: every reference must be one a writer could
//! have made (a 16-byte id, a valid file name, a parseable CID, sizes that
//! agree, a 32-byte hash), so a malicious participant cannot make a
//! reader write outside its directory or fetch an unbounded file.

use medchain_protocol::limits::{MAX_ATTACHMENTS, RECORD_BODY_MARKER};
use medchain_protocol::v1;
use medchain_siff::{ATTACHMENT_ID_LEN, attachment_ciphertext_len};
use prost::Message;
use zeroize::Zeroizing;

use crate::attachments::{AttachmentRef, validate_name};

/// Why a record's plaintext is not a valid body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The bytes after the marker are not a `RecordBody` message.
    #[error("the record's body is not a valid RecordBody message")]
    Malformed,
    /// More attachments than [`MAX_ATTACHMENTS`].
    #[error("a record holds at most {MAX_ATTACHMENTS} attachments, this one names {0}")]
    TooMany(usize),
    /// Two attachments of the record have the same name.
    #[error("the record names attachment '{0}' twice; give each attachment its own file name")]
    DuplicateName(String),
    /// An attachment reference that no writer could have made.
    #[error("attachment {index} of the record is invalid: {reason}")]
    BadReference {
        /// Its position in the record.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// A record's content and its attachments.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordBody {
    /// The record's own content (zeroized on drop).
    pub content: Zeroizing<Vec<u8>>,
    /// Its attachments, in the order they were added.
    pub attachments: Vec<AttachmentRef>,
}

impl RecordBody {
    /// A body of `content` and `attachments` (checked as [`Self::decode`]
    /// checks them).
    pub fn new(content: &[u8], attachments: Vec<AttachmentRef>) -> Result<Self, BodyError> {
        check_all(&attachments)?;
        Ok(Self {
            content: Zeroizing::new(content.to_vec()),
            attachments,
        })
    }

    /// The record plaintext: the content as it is when there are no
    /// attachments, else the marker and the `RecordBody` message.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        if self.attachments.is_empty() && !self.content.starts_with(RECORD_BODY_MARKER) {
            return self.content.clone();
        }
        let message = Zeroizing::new(
            v1::RecordBody {
                content: self.content.to_vec(),
                attachments: self
                    .attachments
                    .iter()
                    .map(v1::AttachmentRef::from)
                    .collect(),
            }
            .encode_to_vec(),
        );
        let mut out = Zeroizing::new(Vec::with_capacity(RECORD_BODY_MARKER.len() + message.len()));
        out.extend_from_slice(RECORD_BODY_MARKER);
        out.extend_from_slice(&message);
        out
    }

    /// Reads a record plaintext: a marked body is parsed and every
    /// reference checked; anything else is content without attachments.
    pub fn decode(plaintext: &[u8]) -> Result<Self, BodyError> {
        let Some(message) = plaintext.strip_prefix(RECORD_BODY_MARKER.as_slice()) else {
            return Ok(Self {
                content: Zeroizing::new(plaintext.to_vec()),
                attachments: Vec::new(),
            });
        };
        let mut body = v1::RecordBody::decode(message).map_err(|_| BodyError::Malformed)?;
        let content = Zeroizing::new(std::mem::take(&mut body.content));
        if body.attachments.len() > MAX_ATTACHMENTS {
            return Err(BodyError::TooMany(body.attachments.len()));
        }
        let attachments = body
            .attachments
            .into_iter()
            .enumerate()
            .map(|(index, r)| {
                AttachmentRef::try_from(r)
                    .map_err(|reason| BodyError::BadReference { index, reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        check_all(&attachments)?;
        Ok(Self {
            content,
            attachments,
        })
    }
}

/// The checks on a body's whole list of references.
fn check_all(attachments: &[AttachmentRef]) -> Result<(), BodyError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(BodyError::TooMany(attachments.len()));
    }
    for (index, att) in attachments.iter().enumerate() {
        att.check()
            .map_err(|reason| BodyError::BadReference { index, reason })?;
        if attachments[..index].iter().any(|a| a.name == att.name) {
            return Err(BodyError::DuplicateName(att.name.clone()));
        }
    }
    Ok(())
}

impl From<&AttachmentRef> for v1::AttachmentRef {
    fn from(att: &AttachmentRef) -> Self {
        Self {
            id: att.id.to_vec(),
            name: att.name.clone(),
            size: att.size,
            cid: att.cid.clone(),
            ciphertext_size: att.ciphertext_size,
            ciphertext_sha256: att.ciphertext_sha256.to_vec(),
        }
    }
}

impl TryFrom<v1::AttachmentRef> for AttachmentRef {
    type Error = String;

    fn try_from(r: v1::AttachmentRef) -> Result<Self, String> {
        let att =
            Self {
                id: r.id.as_slice().try_into().map_err(|_| {
                    format!("its id has {} bytes, not {ATTACHMENT_ID_LEN}", r.id.len())
                })?,
                name: r.name,
                size: r.size,
                cid: r.cid,
                ciphertext_size: r.ciphertext_size,
                ciphertext_sha256: r.ciphertext_sha256.as_slice().try_into().map_err(|_| {
                    format!(
                        "its ciphertext hash has {} bytes, not 32",
                        r.ciphertext_sha256.len()
                    )
                })?,
            };
        att.check()?;
        Ok(att)
    }
}

impl AttachmentRef {
    /// Whether this reference is one a writer could have made: a valid
    /// name, a parseable CID and a ciphertext size matching the plaintext
    /// size. Returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        validate_name(&self.name).map_err(|e| e.to_string())?;
        ipfs_blocks::parse_cid(&self.cid).map_err(|e| e.to_string())?;
        if self.ciphertext_size != attachment_ciphertext_len(self.size) {
            return Err(format!(
                "a {}-byte file has a {}-byte ciphertext, not {}",
                self.size,
                attachment_ciphertext_len(self.size),
                self.ciphertext_size
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn reference(name: &str) -> AttachmentRef {
        AttachmentRef {
            id: [7; ATTACHMENT_ID_LEN],
            name: name.into(),
            size: 300_000,
            cid: "bafybeicm2krnnxm5kyomuuklrudpjwbedaosykekf2agskqu667r7zwd6i".into(),
            ciphertext_size: attachment_ciphertext_len(300_000),
            ciphertext_sha256: [9; 32],
        }
    }

    fn marked(body: &v1::RecordBody) -> Vec<u8> {
        let mut out = RECORD_BODY_MARKER.to_vec();
        out.extend_from_slice(&body.encode_to_vec());
        out
    }

    #[test]
    fn a_record_without_attachments_keeps_its_plain_form() {
        let body = RecordBody::new(b"Influenza; rest", Vec::new()).unwrap();
        assert_eq!(body.encode().as_slice(), b"Influenza; rest");
        let read = RecordBody::decode(b"Influenza; rest").unwrap();
        assert_eq!(read.content.as_slice(), b"Influenza; rest");
        assert!(read.attachments.is_empty());
    }

    #[test]
    fn content_that_starts_like_a_body_is_wrapped_and_reads_back() {
        let mut content = RECORD_BODY_MARKER.to_vec();
        content.extend_from_slice(b"not a message");
        let body = RecordBody::new(&content, Vec::new()).unwrap();
        assert_ne!(body.encode().as_slice(), content.as_slice());
        assert_eq!(RecordBody::decode(&body.encode()).unwrap(), body);
    }

    #[test]
    fn a_body_with_attachments_round_trips() {
        let body =
            RecordBody::new(b"CT", vec![reference("ct.dcm"), reference("report.pdf")]).unwrap();
        let encoded = body.encode();
        assert!(encoded.starts_with(RECORD_BODY_MARKER));
        assert_eq!(RecordBody::decode(&encoded).unwrap(), body);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let mut bytes = RECORD_BODY_MARKER.to_vec();
        bytes.extend_from_slice(&[0x0a, 0xff]);
        assert_eq!(RecordBody::decode(&bytes), Err(BodyError::Malformed));
    }

    #[test]
    fn too_many_or_repeated_attachments_are_refused() {
        let many: Vec<_> = (0..=MAX_ATTACHMENTS)
            .map(|i| reference(&format!("f{i}")))
            .collect();
        assert_eq!(
            RecordBody::new(b"", many.clone()),
            Err(BodyError::TooMany(MAX_ATTACHMENTS + 1))
        );
        let wire = v1::RecordBody {
            content: Vec::new(),
            attachments: many.iter().map(v1::AttachmentRef::from).collect(),
        };
        assert_eq!(
            RecordBody::decode(&marked(&wire)),
            Err(BodyError::TooMany(MAX_ATTACHMENTS + 1))
        );
        assert_eq!(
            RecordBody::new(b"", vec![reference("a"), reference("a")]),
            Err(BodyError::DuplicateName("a".into()))
        );
    }

    /// A hostile participant's references: each is refused with its reason.
    #[test]
    fn references_no_writer_makes_are_refused() {
        let base = v1::AttachmentRef::from(&reference("scan.dcm"));
        let cases: Vec<(&str, v1::AttachmentRef)> = vec![
            (
                "id",
                v1::AttachmentRef {
                    id: vec![1; 15],
                    ..base.clone()
                },
            ),
            (
                "hash",
                v1::AttachmentRef {
                    ciphertext_sha256: vec![1; 31],
                    ..base.clone()
                },
            ),
            (
                "name",
                v1::AttachmentRef {
                    name: "../../.ssh/authorized_keys".into(),
                    ..base.clone()
                },
            ),
            (
                "name",
                v1::AttachmentRef {
                    name: "/etc/passwd".into(),
                    ..base.clone()
                },
            ),
            (
                "name",
                v1::AttachmentRef {
                    name: String::new(),
                    ..base.clone()
                },
            ),
            (
                "name",
                v1::AttachmentRef {
                    name: "a\nb".into(),
                    ..base.clone()
                },
            ),
            (
                "cid",
                v1::AttachmentRef {
                    cid: "not-a-cid".into(),
                    ..base.clone()
                },
            ),
            (
                "size",
                v1::AttachmentRef {
                    ciphertext_size: base.ciphertext_size + 1,
                    ..base.clone()
                },
            ),
            (
                "size",
                v1::AttachmentRef {
                    size: u64::MAX,
                    ..base.clone()
                },
            ),
        ];
        for (what, bad) in cases {
            let wire = v1::RecordBody {
                content: b"x".to_vec(),
                attachments: vec![base.clone(), bad.clone()],
            };
            match RecordBody::decode(&marked(&wire)) {
                Err(BodyError::BadReference { index: 1, .. }) => {}
                other => panic!("{what}: {bad:?} gave {other:?}"),
            }
        }
    }
}
