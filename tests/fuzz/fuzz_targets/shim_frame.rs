//! The shim's frame decoder: every gRPC message body a peer sends on the
//! `Connect` stream is decoded as a `ChaincodeMessage`, and an `INIT` /
//! `TRANSACTION`'s payload and signed proposal are decoded down to the
//! creator (`ChaincodeInput`, `Proposal`, `Header`, `ChannelHeader`,
//! `SignatureHeader`, `SerializedIdentity`), as the session does.
//!
//! Properties: no panic; decode → encode → decode is the identity; the
//! decoded message never holds more than a bounded multiple of the frame's
//! bytes (the decoder allocates in proportion to its input; run with
//! libFuzzer's `-malloc_limit_mb`).
#![no_main]

use fabric_protos::common::{ChannelHeader, Header, SignatureHeader};
use fabric_protos::msp::SerializedIdentity;
use fabric_protos::protos::{ChaincodeInput, ChaincodeMessage, Proposal};
use libfuzzer_sys::fuzz_target;
use prost::Message;

/// Decodes `bytes` as `M`, checks the round trip and the size bound.
fn round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> Option<M> {
    let decoded = M::decode(bytes).ok()?;
    let encoded = decoded.encode_to_vec();
    // Explicit defaults are dropped and a one-element packed field costs at
    // most one byte more than its unpacked form.
    assert!(
        encoded.len() <= 2 * bytes.len() + 16,
        "{} bytes decoded to a message of {} bytes",
        bytes.len(),
        encoded.len()
    );
    let again = M::decode(encoded.as_slice()).expect("prost re-decodes its own encoding");
    assert_eq!(
        again, decoded,
        "decode → encode → decode changed the message"
    );
    Some(decoded)
}

fuzz_target!(|data: &[u8]| {
    let Some(msg) = round_trip::<ChaincodeMessage>(data) else {
        return;
    };
    let _ = round_trip::<ChaincodeInput>(&msg.payload);
    let Some(signed) = msg.proposal.as_ref() else {
        return;
    };
    let Some(proposal) = round_trip::<Proposal>(&signed.proposal_bytes) else {
        return;
    };
    let Some(header) = round_trip::<Header>(&proposal.header) else {
        return;
    };
    let _ = round_trip::<ChannelHeader>(&header.channel_header);
    if let Some(signature) = round_trip::<SignatureHeader>(&header.signature_header) {
        let _ = round_trip::<SerializedIdentity>(&signature.creator);
    }
});
