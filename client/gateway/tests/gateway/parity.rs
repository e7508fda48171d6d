//! What the official SDKs have and this client matches: `submit_async`,
//! offline signing of proposals, transactions and commits, the contract
//! name qualifier, and errors that say which step failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fabric_gateway::mock::chaincode::endorsement_failure;
use fabric_gateway::mock::gateway::MockGateway;
use fabric_gateway::mock::{Org, connected};
use fabric_gateway::{
    Gateway, GatewayError, Operation, PeerEndpoint, PrivateKeySigner, Signer, Transaction,
};
use fabric_protos::protos::TxValidationCode;

/// A gateway without a signer, connected to the mock as User1's identity.
async fn unsigned_gateway(org: &Org) -> (Gateway, MockGateway) {
    let mock = org.mock_gateway();
    let address = mock.clone().serve(None).await;
    let channel = PeerEndpoint::new(address.to_string())
        .connect()
        .await
        .unwrap();
    let (identity, _) = org.credentials().into_parts();
    (Gateway::without_signer(channel, identity), mock)
}

/// The signer that plays the external signing process (same key).
fn external_signer(org: &Org) -> PrivateKeySigner {
    PrivateKeySigner::from_pem(&org.user.key_pem).unwrap()
}

#[tokio::test]
async fn submit_async_returns_the_result_before_the_commit() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    mock.set_auto_cut(false);
    let contract = gateway.network("mychannel").contract("basic");

    let (result, commit) = contract.submit_async("put", &[b"k", b"v"]).await.unwrap();
    assert_eq!(result, b"v");
    assert_eq!(commit.transaction_id().len(), 64);
    let block = mock.cut_block();
    let status = commit.status().await.unwrap();
    assert!(status.is_valid());
    assert_eq!(status.validation_code(), TxValidationCode::Valid);
    assert_eq!(status.block_number, block);
}

#[tokio::test]
async fn offline_signing_of_proposal_transaction_and_commit() {
    let org = Org::new();
    let (gateway, _mock) = unsigned_gateway(&org).await;
    let signer = external_signer(&org);
    let contract = gateway.network("mychannel").contract("basic");

    let unsigned = contract
        .new_proposal("put")
        .arguments([b"k".as_slice(), b"offline"])
        .build()
        .unwrap();
    assert!(!unsigned.is_signed());
    let error = unsigned.endorse().await.unwrap_err();
    assert!(error.to_string().contains("new_signed_proposal"), "{error}");

    // The bytes cross to the signing process and back.
    let signature = signer.sign_digest(&unsigned.digest()).unwrap();
    let proposal = gateway
        .new_signed_proposal(&unsigned.bytes(), &signature)
        .unwrap();
    assert_eq!(proposal.transaction_id(), unsigned.transaction_id());
    assert_eq!(proposal.channel_name(), "mychannel");

    let unsigned_tx = proposal.endorse().await.unwrap();
    assert!(!unsigned_tx.is_signed());
    assert_eq!(unsigned_tx.result(), b"offline");
    let signature = signer.sign_digest(&unsigned_tx.digest()).unwrap();
    let transaction = gateway
        .new_signed_transaction(&unsigned_tx.bytes(), &signature)
        .unwrap();
    assert_eq!(transaction.result(), b"offline");

    let unsigned_commit = transaction.submit().await.unwrap();
    assert!(unsigned_commit.status().await.is_err());
    let signature = signer.sign_digest(&unsigned_commit.digest()).unwrap();
    let commit = gateway
        .new_signed_commit(&unsigned_commit.bytes(), &signature)
        .unwrap();
    assert_eq!(commit.transaction_id(), proposal.transaction_id());
    let status = commit.status().await.unwrap().ensure_valid().unwrap();
    assert_eq!(status.block_number, 1);

    let evaluated = contract.new_proposal("get").argument(b"k").build().unwrap();
    let signature = signer.sign_digest(&evaluated.digest()).unwrap();
    let evaluated = gateway
        .new_signed_proposal(&evaluated.bytes(), &signature)
        .unwrap();
    assert_eq!(evaluated.evaluate().await.unwrap(), b"offline");
}

#[tokio::test]
async fn wrong_offline_signatures_are_refused_by_the_gateway() {
    let org = Org::new();
    let (gateway, _mock) = unsigned_gateway(&org).await;
    let stranger = Org::new();
    let wrong_key = external_signer(&stranger);
    let signer = external_signer(&org);
    let contract = gateway.network("mychannel").contract("basic");

    let unsigned = contract.new_proposal("put").argument(b"k").build().unwrap();
    // Another key, and the right key over other bytes.
    let by_stranger = wrong_key.sign_digest(&unsigned.digest()).unwrap();
    let over_other = signer.sign_digest(&[7u8; 32]).unwrap();
    for signature in [by_stranger, over_other] {
        let proposal = gateway
            .new_signed_proposal(&unsigned.bytes(), &signature)
            .unwrap();
        let error = proposal.endorse().await.unwrap_err();
        let GatewayError::Endorse(rpc) = &error else {
            panic!("expected an endorse error, got {error}");
        };
        assert_eq!(rpc.code(), tonic::Code::PermissionDenied, "{error}");
        assert_eq!(
            error.transaction_id(),
            Some(unsigned.transaction_id()),
            "{error}"
        );
    }

    let signature = signer.sign_digest(&unsigned.digest()).unwrap();
    let transaction: Transaction = gateway
        .new_signed_proposal(&unsigned.bytes(), &signature)
        .unwrap()
        .endorse()
        .await
        .unwrap();
    let wrong = wrong_key.sign_digest(&transaction.digest()).unwrap();
    let error = gateway
        .new_signed_transaction(&transaction.bytes(), &wrong)
        .unwrap()
        .submit()
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::Submit(_)), "{error}");
    assert_eq!(error.operation(), Some(Operation::Submit));

    let signature = signer.sign_digest(&transaction.digest()).unwrap();
    let commit = gateway
        .new_signed_transaction(&transaction.bytes(), &signature)
        .unwrap()
        .submit()
        .await
        .unwrap();
    let wrong = wrong_key.sign_digest(&commit.digest()).unwrap();
    let error = gateway
        .new_signed_commit(&commit.bytes(), &wrong)
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::CommitStatus(_)), "{error}");
}

#[tokio::test]
async fn bytes_that_are_not_a_message_are_refused_before_any_call() {
    let org = Org::new();
    let (gateway, _mock) = unsigned_gateway(&org).await;
    for error in [
        gateway
            .new_signed_proposal(b"\xff\xff", b"sig")
            .unwrap_err(),
        gateway
            .new_signed_transaction(b"\xff\xff", b"sig")
            .unwrap_err(),
        gateway.new_signed_commit(b"\xff\xff", b"sig").unwrap_err(),
    ] {
        assert!(matches!(error, GatewayError::InvalidRequest(_)), "{error}");
    }
}

#[tokio::test]
async fn a_named_contract_qualifies_transaction_names() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let network = gateway.network("mychannel");
    let named = network.contract_with_name("basic", "Ledger");
    assert_eq!(named.contract_name(), Some("Ledger"));
    assert_eq!(named.qualified_name("put"), "Ledger:put");

    mock.plant_answer("Ledger:lookup", b"k", b"planted".to_vec());
    assert_eq!(named.evaluate("lookup", &[b"k"]).await.unwrap(), b"planted");
    let plain = network.contract("basic");
    assert_eq!(plain.contract_name(), None);
    plain.evaluate("whoami", &[]).await.unwrap();
    assert_eq!(mock.invoked_functions(), ["Ledger:lookup", "whoami"]);
}

#[tokio::test]
async fn each_step_fails_with_its_own_error_and_details() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let contract = gateway.network("mychannel").contract("basic");

    let error = contract.submit("fail", &[]).await.unwrap_err();
    assert!(matches!(error, GatewayError::Endorse(_)), "{error}");
    assert_eq!(error.operation(), Some(Operation::Endorse));
    assert_eq!(error.details(), endorsement_failure().as_slice());
    assert_eq!(error.transaction_id().map(str::len), Some(64));

    let error = contract.evaluate("get", &[b"missing"]).await.unwrap_err();
    assert!(matches!(error, GatewayError::Evaluate(_)), "{error}");
    assert_eq!(error.details().len(), 1);

    let error = contract.submit("conflict", &[]).await.unwrap_err();
    let commit = error.commit().expect("a commit error");
    assert_eq!(commit.code(), TxValidationCode::MvccReadConflict);
    assert_eq!(error.transaction_id(), Some(commit.transaction_id()));
}
