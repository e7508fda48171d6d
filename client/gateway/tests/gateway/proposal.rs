//! Proposal building: every field decoded back and checked, the
//! transaction id rule and the signature verified independently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use fabric_gateway::mock::protocol::{decode_proposal, expected_tx_id, is_low_s, verify};
use fabric_gateway::mock::{Org, offline_gateway};
use fabric_gateway::{GatewayError, NONCE_LENGTH};
use fabric_protos::common::HeaderType;
use p256::ecdsa::VerifyingKey;

#[tokio::test]
async fn every_header_field_is_as_fabric_expects() {
    let org = Org::new();
    let gateway = offline_gateway(&org);
    let contract = gateway.network("mychannel").contract("records");
    let proposal = contract
        .new_proposal("Store")
        .argument(b"first")
        .arguments([b"second".as_slice(), b"".as_slice()])
        .transient("secret", b"private value")
        .build()
        .unwrap();
    let decoded = decode_proposal(proposal.signed_proposal()).unwrap();

    let channel_header = &decoded.channel_header;
    assert_eq!(
        channel_header.r#type,
        HeaderType::EndorserTransaction as i32
    );
    assert_eq!(channel_header.r#type, 3);
    assert_eq!(channel_header.channel_id, "mychannel");
    assert_eq!(channel_header.tx_id, proposal.transaction_id());
    assert_eq!(channel_header.epoch, 0);
    let timestamp = channel_header.timestamp.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (timestamp.seconds - now).abs() <= 60,
        "timestamp {timestamp:?}"
    );
    assert_eq!(
        decoded.extension.chaincode_id.as_ref().unwrap().name,
        "records"
    );

    let signature_header = &decoded.signature_header;
    assert_eq!(signature_header.nonce.len(), NONCE_LENGTH);
    assert_eq!(signature_header.nonce.len(), 24);
    assert_eq!(decoded.creator.mspid, "Org1MSP");
    assert_eq!(
        decoded.creator.id_bytes,
        org.user.certificate_pem.as_bytes()
    );

    let spec = decoded.invocation.chaincode_spec.as_ref().unwrap();
    assert_eq!(spec.chaincode_id.as_ref().unwrap().name, "records");
    assert_eq!(
        decoded.args(),
        vec![
            b"Store".to_vec(),
            b"first".to_vec(),
            b"second".to_vec(),
            Vec::new()
        ]
    );
    assert_eq!(decoded.payload.transient_map.len(), 1);
    assert_eq!(decoded.payload.transient_map["secret"], b"private value");
    assert!(decoded.proposal.extension.is_empty());
}

#[tokio::test]
async fn the_transaction_id_is_the_hash_of_nonce_and_creator() {
    let org = Org::new();
    let contract = offline_gateway(&org)
        .network("mychannel")
        .contract("records");
    let proposal = contract.new_proposal("Get").build().unwrap();
    let decoded = decode_proposal(proposal.signed_proposal()).unwrap();
    let expected = expected_tx_id(
        &decoded.signature_header.nonce,
        &decoded.signature_header.creator,
    );
    assert_eq!(proposal.transaction_id(), expected);
    assert_eq!(expected.len(), 64);
    assert!(
        expected
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[tokio::test]
async fn the_signature_covers_the_proposal_bytes_and_is_low_s() {
    let org = Org::new();
    let key = VerifyingKey::from_sec1_bytes(&org.user.public_key_sec1).unwrap();
    let contract = offline_gateway(&org)
        .network("mychannel")
        .contract("records");
    for _ in 0..20 {
        let proposal = contract.new_proposal("Get").argument(b"k").build().unwrap();
        let signed = proposal.signed_proposal();
        assert!(is_low_s(&signed.signature));
        verify(&key, &signed.proposal_bytes, &signed.signature).unwrap();
        let mut tampered = signed.proposal_bytes.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(verify(&key, &tampered, &signed.signature).is_err());
    }
}

#[tokio::test]
async fn each_proposal_gets_a_fresh_nonce_and_transaction_id() {
    let org = Org::new();
    let contract = offline_gateway(&org)
        .network("mychannel")
        .contract("records");
    let a = contract.new_proposal("Get").build().unwrap();
    let b = contract.new_proposal("Get").build().unwrap();
    assert_ne!(a.transaction_id(), b.transaction_id());
    let nonce_a = decode_proposal(a.signed_proposal())
        .unwrap()
        .signature_header
        .nonce;
    let nonce_b = decode_proposal(b.signed_proposal())
        .unwrap()
        .signature_header
        .nonce;
    assert_ne!(nonce_a, nonce_b);
}

#[tokio::test]
async fn endorsing_organizations_are_kept() {
    let org = Org::new();
    let contract = offline_gateway(&org)
        .network("mychannel")
        .contract("records");
    let proposal = contract
        .new_proposal("Store")
        .endorsing_organizations(["Org1MSP", "Org2MSP"])
        .build()
        .unwrap();
    assert_eq!(proposal.endorsing_organizations(), ["Org1MSP", "Org2MSP"]);
    assert_eq!(proposal.channel_name(), "mychannel");
}

#[tokio::test]
async fn empty_names_are_rejected_with_a_clear_message() {
    let org = Org::new();
    let gateway = offline_gateway(&org);
    let cases = [
        (
            gateway
                .network("mychannel")
                .contract("records")
                .new_proposal(""),
            "transaction function name",
        ),
        (
            gateway
                .network("mychannel")
                .contract(" ")
                .new_proposal("Get"),
            "chaincode name",
        ),
        (
            gateway.network("").contract("records").new_proposal("Get"),
            "channel name",
        ),
    ];
    for (builder, what) in cases {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, GatewayError::InvalidRequest(_)), "{error}");
        assert!(error.to_string().contains(what), "{error}");
    }
}
