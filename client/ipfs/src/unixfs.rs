//! dag-pb nodes of UnixFS files: the protobuf messages of the dag-pb and
//! UnixFS specifications, encoded in dag-pb's canonical order (links before
//! data) and decoded leniently.

use bytes::BufMut;
use cid::Cid;
use prost::Message;

use crate::IpfsError;
use crate::block::{DAG_PB, block_cid};

/// The most links a file node has: Kubo's `DefaultLinksPerBlock`
/// (8 KiB / 47 bytes per link).
pub const MAX_LINKS: usize = 174;

/// UnixFS `Data.DataType.File`.
const FILE: i32 = 2;
/// UnixFS `Data.DataType.Raw`.
const RAW_TYPE: i32 = 0;

/// dag-pb `PBLink`.
#[derive(Clone, PartialEq, Message)]
struct PbLink {
    #[prost(bytes = "vec", optional, tag = "1")]
    hash: Option<Vec<u8>>,
    #[prost(string, optional, tag = "2")]
    name: Option<String>,
    #[prost(uint64, optional, tag = "3")]
    tsize: Option<u64>,
}

/// dag-pb `PBNode` (decoding only: its canonical encoding puts field 2
/// before field 1, see [`encode_node`]).
#[derive(Clone, PartialEq, Message)]
struct PbNode {
    #[prost(bytes = "vec", optional, tag = "1")]
    data: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "2")]
    links: Vec<PbLink>,
}

/// UnixFS `Data` (the fields a file node uses).
#[derive(Clone, PartialEq, Message)]
struct UnixFsData {
    #[prost(int32, required, tag = "1")]
    data_type: i32,
    #[prost(bytes = "vec", optional, tag = "2")]
    data: Option<Vec<u8>>,
    #[prost(uint64, optional, tag = "3")]
    filesize: Option<u64>,
    #[prost(uint64, repeated, packed = "false", tag = "4")]
    blocksizes: Vec<u64>,
}

/// A link from a file node to a child: its CID, the bytes of the whole
/// subtree (`Tsize`) and the file bytes under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub cid: Cid,
    pub tsize: u64,
    pub filesize: u64,
}

/// A file node over `children`: its block bytes and the link to it.
pub(crate) fn encode_node(children: &[Link]) -> Result<(Vec<u8>, Link), IpfsError> {
    let data = UnixFsData {
        data_type: FILE,
        data: None,
        filesize: Some(children.iter().map(|c| c.filesize).sum()),
        blocksizes: children.iter().map(|c| c.filesize).collect(),
    };
    let mut bytes = Vec::new();
    for child in children {
        let link = PbLink {
            hash: Some(child.cid.to_bytes()),
            name: Some(String::new()),
            tsize: Some(child.tsize),
        };
        prost::encoding::message::encode(2, &link, &mut bytes);
    }
    let data = data.encode_to_vec();
    prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut bytes);
    prost::encoding::encode_varint(data.len() as u64, &mut bytes);
    bytes.put_slice(&data);
    let cid = block_cid(DAG_PB, &bytes)?;
    let link = Link {
        cid,
        tsize: bytes.len() as u64 + children.iter().map(|c| c.tsize).sum::<u64>(),
        filesize: children.iter().map(|c| c.filesize).sum(),
    };
    Ok((bytes, link))
}

/// What a file node holds: bytes inline (files written without raw leaves)
/// and its children's CIDs, in file order.
pub(crate) struct Node {
    pub inline: Vec<u8>,
    pub children: Vec<Cid>,
}

/// Decodes the dag-pb block `cid` as a UnixFS file (or raw) node.
pub(crate) fn decode_node(cid: &Cid, bytes: &[u8]) -> Result<Node, IpfsError> {
    let malformed = |reason: String| IpfsError::Malformed {
        cid: cid.to_string(),
        reason,
    };
    let node = PbNode::decode(bytes).map_err(|e| malformed(format!("not dag-pb: {e}")))?;
    let data = node
        .data
        .ok_or_else(|| malformed("it has no UnixFS data".into()))?;
    let data = UnixFsData::decode(data.as_slice())
        .map_err(|e| malformed(format!("bad UnixFS data: {e}")))?;
    if data.data_type != FILE && data.data_type != RAW_TYPE {
        return Err(malformed(format!(
            "UnixFS type {} is not a file",
            data.data_type
        )));
    }
    let children = node
        .links
        .iter()
        .map(|l| {
            let hash = l.hash.as_deref().unwrap_or_default();
            Cid::try_from(hash).map_err(|_| malformed("a link holds no valid CID".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Node {
        inline: data.data.unwrap_or_default(),
        children,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::block::RAW;

    fn leaf(bytes: &[u8]) -> Link {
        Link {
            cid: block_cid(RAW, bytes).unwrap(),
            tsize: bytes.len() as u64,
            filesize: bytes.len() as u64,
        }
    }

    #[test]
    fn links_come_before_data_and_decode_back() {
        let children = [leaf(b"a"), leaf(b"bc")];
        let (bytes, link) = encode_node(&children).unwrap();
        // Field 2 (links, 0x12) first, field 1 (data, 0x0a) last.
        assert_eq!(bytes[0], 0x12);
        let node = decode_node(&link.cid, &bytes).unwrap();
        assert_eq!(node.children, vec![children[0].cid, children[1].cid]);
        assert!(node.inline.is_empty());
        assert_eq!(link.filesize, 3);
        assert_eq!(link.tsize, bytes.len() as u64 + 3);
    }

    #[test]
    fn non_file_nodes_and_garbage_are_refused() {
        let cid = block_cid(DAG_PB, b"x").unwrap();
        assert!(matches!(
            decode_node(&cid, &[0xff, 0xff]),
            Err(IpfsError::Malformed { .. })
        ));
        // A UnixFS directory (type 1).
        let dir = UnixFsData {
            data_type: 1,
            data: None,
            filesize: None,
            blocksizes: vec![],
        };
        let node = PbNode {
            data: Some(dir.encode_to_vec()),
            links: vec![],
        };
        assert!(matches!(
            decode_node(&cid, &node.encode_to_vec()),
            Err(IpfsError::Malformed { .. })
        ));
        // No UnixFS data at all.
        assert!(matches!(
            decode_node(&cid, &[]),
            Err(IpfsError::Malformed { .. })
        ));
    }
}
