//! Evaluate, submit and commit status end to end over a real gRPC
//! connection to the mock gateway, which checks every signature and the
//! transaction id rule the way Fabric does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fabric_gateway::mock::chaincode::endorsement_failure;
use fabric_gateway::mock::pki::TestCa;
use fabric_gateway::mock::{Org, connected};
use fabric_gateway::{Credentials, Gateway, GatewayError, Operation, PeerEndpoint, Timeouts};
use tonic::Code;

#[tokio::test]
async fn submit_then_evaluate() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let contract = gateway.network("mychannel").contract("basic");

    let first = contract.submit("put", &[b"k1", b"v1"]).await.unwrap();
    assert_eq!(first.payload, b"v1");
    assert_eq!(first.block_number, 1, "block 0 is the genesis block");
    assert_eq!(first.tx_id.len(), 64);
    let second = contract.submit("put", &[b"k2", b"v2"]).await.unwrap();
    assert_eq!(second.block_number, 2);
    assert_ne!(first.tx_id, second.tx_id);

    assert_eq!(contract.evaluate("get", &[b"k1"]).await.unwrap(), b"v1");
    assert_eq!(contract.evaluate("get", &[b"k2"]).await.unwrap(), b"v2");
    assert_eq!(contract.evaluate("whoami", &[]).await.unwrap(), b"Org1MSP");
}

#[tokio::test]
async fn step_by_step_endorse_submit_status() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let contract = gateway.network("mychannel").contract("basic");

    let proposal = contract
        .new_proposal("put")
        .arguments([b"k", b"v"])
        .build()
        .unwrap();
    let tx_id = proposal.transaction_id().to_owned();
    let transaction = proposal.endorse().await.unwrap();
    assert_eq!(transaction.transaction_id(), tx_id);
    assert_eq!(transaction.result(), b"v");
    // Endorsed but not submitted: nothing is on the ledger yet.
    assert_eq!(mock.height(), 1);
    let commit = transaction.submit().await.unwrap();
    assert_eq!(commit.transaction_id(), tx_id);
    let status = commit.status().await.unwrap();
    assert!(status.is_valid());
    assert_eq!(status.code_name(), "VALID");
    assert_eq!(
        (status.tx_id.as_str(), status.block_number),
        (tx_id.as_str(), 1)
    );
    // Asking again gives the same answer.
    assert_eq!(commit.status().await.unwrap(), status);
}

#[tokio::test]
async fn invalid_transactions_name_their_validation_code() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let contract = gateway.network("mychannel").contract("basic");

    for (function, name, code) in [
        ("conflict", "MVCC_READ_CONFLICT", 11),
        ("policy", "ENDORSEMENT_POLICY_FAILURE", 10),
    ] {
        let error = contract.submit(function, &[]).await.unwrap_err();
        let GatewayError::Commit(ref commit) = error else {
            panic!("expected a commit error, got {error}");
        };
        assert_eq!(commit.raw_code(), code);
        assert_eq!(commit.code() as i32, code);
        assert_eq!(commit.transaction_id().len(), 64);
        assert!(error.to_string().contains(name), "{error}");
    }

    // The lower-level status reports the code without failing.
    let status = contract
        .new_proposal("conflict")
        .build()
        .unwrap()
        .endorse()
        .await
        .unwrap()
        .submit()
        .await
        .unwrap()
        .status()
        .await
        .unwrap();
    assert!(!status.is_valid());
    assert_eq!(status.code_name(), "MVCC_READ_CONFLICT");
}

#[tokio::test]
async fn endorsement_failures_carry_the_per_peer_details() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let contract = gateway.network("mychannel").contract("basic");

    let error = contract.submit("fail", &[]).await.unwrap_err();
    let rpc = error.rpc().expect("an rpc error");
    assert_eq!(rpc.operation(), Operation::Endorse);
    assert_eq!(rpc.code(), Code::Aborted);
    assert_eq!(rpc.details(), endorsement_failure().as_slice());
    assert_eq!(rpc.transaction_id().map(str::len), Some(64));

    let error = contract.evaluate("get", &[b"missing"]).await.unwrap_err();
    let rpc = error.rpc().expect("an rpc error");
    assert_eq!(rpc.operation(), Operation::Evaluate);
    assert_eq!(rpc.code(), Code::Unknown);
    assert_eq!(rpc.details().len(), 1);
    assert_eq!(
        rpc.details()[0].message,
        "chaincode response 500, no record missing"
    );
    assert!(
        error
            .to_string()
            .contains("peer0.org1.example.com:7051 (Org1MSP)"),
        "{error}"
    );
}

#[tokio::test]
async fn transient_data_and_endorsing_organizations_reach_the_gateway() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let contract = gateway.network("mychannel").contract("basic");

    let proposal = contract
        .new_proposal("transient")
        .argument(b"secret")
        .transient("secret", b"kept off the ledger")
        .endorsing_organizations(["Org1MSP"])
        .build()
        .unwrap();
    assert_eq!(proposal.evaluate().await.unwrap(), b"kept off the ledger");
    let transaction = proposal.endorse().await.unwrap();
    assert_eq!(transaction.result(), b"kept off the ledger");
    assert_eq!(
        mock.target_organizations(),
        vec![vec!["Org1MSP".to_string()]; 2]
    );
}

#[tokio::test]
async fn a_slow_call_times_out() {
    let org = Org::new();
    let (gateway, _mock) = connected(&org).await;
    let timeouts = Timeouts {
        evaluate: Duration::from_millis(200),
        ..Timeouts::default()
    };
    let contract = gateway
        .with_timeouts(timeouts)
        .network("mychannel")
        .contract("basic");
    assert_eq!(contract.timeouts().evaluate, Duration::from_millis(200));

    let started = std::time::Instant::now();
    let error = contract.evaluate("slow", &[]).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(
            error,
            GatewayError::Timeout {
                operation: Operation::Evaluate,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_identity_is_refused() {
    let org = Org::new();
    let (_, mock) = connected(&org).await;
    let address = mock.serve(None).await;
    // Same MSP id, but a certificate from another CA the gateway does not know.
    let stranger_ca = TestCa::new("ca.evil.example.com");
    let stranger = stranger_ca.issue_identity("Mallory");
    let dir = tempfile::tempdir().unwrap();
    fabric_gateway::mock::pki::write_cryptogen_msp(dir.path(), "Mallory", &stranger_ca, &stranger);
    let credentials = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap();
    let channel = PeerEndpoint::new(address.to_string())
        .connect()
        .await
        .unwrap();
    let gateway = Gateway::from_credentials(channel, credentials);

    let error = gateway
        .network("mychannel")
        .contract("basic")
        .evaluate("whoami", &[])
        .await
        .unwrap_err();
    assert_eq!(
        error.rpc().unwrap().code(),
        Code::PermissionDenied,
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_peer_is_reported() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let error = PeerEndpoint::new(address.to_string())
        .with_connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&address.to_string()) && text.contains("check that the peer is running"),
        "{text}"
    );
}

#[tokio::test]
async fn a_contract_can_name_the_endorsers_of_everything_it_submits() {
    let org = Org::new();
    let (gateway, mock) = connected(&org).await;
    let contract = gateway
        .network("mychannel")
        .contract("basic")
        .with_endorsing_organizations(["Org1MSP", "Org2MSP"]);
    assert_eq!(contract.endorsing_organizations(), ["Org1MSP", "Org2MSP"]);

    contract.submit("put", &[b"k", b"v"]).await.unwrap();
    // Queries still run where the gateway chooses.
    assert_eq!(contract.evaluate("get", &[b"k"]).await.unwrap(), b"v");
    let named = vec!["Org1MSP".to_string(), "Org2MSP".to_string()];
    assert_eq!(mock.target_organizations(), vec![named, Vec::new()]);

    let chosen = contract.with_endorsing_organizations(Vec::<String>::new());
    chosen.submit("put", &[b"k2", b"v2"]).await.unwrap();
    assert_eq!(mock.target_organizations().last(), Some(&Vec::new()));
}
