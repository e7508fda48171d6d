//! Block CIDs (CIDv1, SHA-256) and the check of a block against its CID.

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::IpfsError;

/// The multicodec of a raw block (a file's leaf).
pub const RAW: u64 = 0x55;
/// The multicodec of a dag-pb block (a UnixFS node).
pub const DAG_PB: u64 = 0x70;
/// The multihash code of SHA-256.
const SHA2_256: u64 = 0x12;

/// The CIDv1 of `bytes` as a block of `codec` ([`RAW`] or [`DAG_PB`]),
/// hashed with SHA-256.
pub fn block_cid(codec: u64, bytes: &[u8]) -> Result<Cid, IpfsError> {
    let digest = Sha256::digest(bytes);
    let hash = Multihash::<64>::wrap(SHA2_256, &digest)
        .map_err(|e| IpfsError::BadResponse(format!("cannot build a multihash: {e}")))?;
    Ok(Cid::new_v1(codec, hash))
}

/// Checks that `bytes` are the block `cid` names: its multihash must be
/// SHA-256 (the only hash this crate verifies) and equal the hash of the
/// bytes. CIDv0 (dag-pb, SHA-256) is accepted like CIDv1.
pub fn verify_block(cid: &Cid, bytes: &[u8]) -> Result<(), IpfsError> {
    let hash = cid.hash();
    if hash.code() != SHA2_256 || hash.size() != 32 {
        return Err(IpfsError::Unsupported {
            cid: cid.to_string(),
            what: format!("multihash code {:#x}", hash.code()),
        });
    }
    if cid.codec() != RAW && cid.codec() != DAG_PB {
        return Err(IpfsError::Unsupported {
            cid: cid.to_string(),
            what: format!("codec {:#x}", cid.codec()),
        });
    }
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    if digest[..] != *hash.digest() {
        return Err(IpfsError::Mismatch {
            cid: cid.to_string(),
        });
    }
    Ok(())
}

/// Parses a CID from its text form (`bafy…`, `bafk…`, `Qm…`).
pub fn parse_cid(text: &str) -> Result<Cid, IpfsError> {
    Cid::try_from(text).map_err(|_| IpfsError::InvalidCid(text.chars().take(80).collect()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn raw_cid_matches_the_known_cid_of_hello() {
        // `printf hello | ipfs add --cid-version=1 --raw-leaves -Q`
        let cid = block_cid(RAW, b"hello").unwrap();
        assert_eq!(
            cid.to_string(),
            "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
        );
        verify_block(&cid, b"hello").unwrap();
    }

    #[test]
    fn a_changed_byte_fails_verification() {
        let cid = block_cid(RAW, b"hello").unwrap();
        assert!(matches!(
            verify_block(&cid, b"hellp"),
            Err(IpfsError::Mismatch { .. })
        ));
        assert!(matches!(
            verify_block(&cid, b""),
            Err(IpfsError::Mismatch { .. })
        ));
    }

    #[test]
    fn other_hashes_and_codecs_are_refused() {
        let digest = [7u8; 32];
        let blake = Multihash::<64>::wrap(0x1e, &digest).unwrap();
        let cid = Cid::new_v1(RAW, blake);
        assert!(matches!(
            verify_block(&cid, b"x"),
            Err(IpfsError::Unsupported { .. })
        ));
        let sha = Multihash::<64>::wrap(SHA2_256, &digest).unwrap();
        let cbor = Cid::new_v1(0x71, sha);
        assert!(matches!(
            verify_block(&cbor, b"x"),
            Err(IpfsError::Unsupported { .. })
        ));
    }

    #[test]
    fn cid_text_round_trips_and_garbage_is_refused() {
        let cid = block_cid(DAG_PB, b"node").unwrap();
        assert_eq!(parse_cid(&cid.to_string()).unwrap(), cid);
        assert!(matches!(
            parse_cid("not a cid"),
            Err(IpfsError::InvalidCid(_))
        ));
    }
}
