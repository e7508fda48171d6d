//! Filtered block events from the real peers' Deliver service
//! (`Network::filtered_block_events`): the blocks a peer streams carry the
//! same transactions, in the same blocks, as the chaincode events its
//! gateway streams, each with its validation code; and the peer refuses the
//! stream to an identity of no organisation of the channel.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use fabric_gateway::{
    BlockStart, Credentials, Gateway, GatewayError, StartPosition, TxValidationCode,
};
use futures::StreamExt;
use medchain_e2e::{Cast, profile_path};
use medchain_sdk::connect::{NetworkProfile, gateway_channel};

const WAIT: Duration = Duration::from_secs(60);

/// A gateway to the peer of the organisation `org` of the network profile,
/// as `credentials`.
async fn gateway_as(profile: &NetworkProfile, org: &str, credentials: Credentials) -> Gateway {
    let org = profile.org(org).unwrap();
    let channel = gateway_channel(&profile_path(), org).await.unwrap();
    Gateway::from_credentials(channel, credentials)
}

#[tokio::test]
async fn the_peers_blocks_carry_each_chaincode_event_with_its_validation_code() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cast::new(dir.path()).await;
    let start = c.doctor.ledger.height().await.unwrap();
    c.open().await;

    let profile = NetworkProfile::read(&profile_path()).unwrap();
    let doctor = profile.role("doctor").unwrap();
    let credentials = Credentials::from_msp_folder(&doctor.msp_dir, &doctor.msp_id).unwrap();
    let gateway = gateway_as(&profile, &doctor.org, credentials).await;
    let network = gateway.network(profile.channel.clone());

    // The case opening is the first transaction of the chaincode from `start` on.
    let mut events = network
        .chaincode_events(&profile.chaincode, StartPosition::Block(start))
        .unwrap();
    let event = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("no chaincode event within a minute")
        .unwrap()
        .unwrap();

    let mut blocks = network
        .filtered_block_events(BlockStart::Block(start))
        .unwrap();
    let mut expected = start;
    loop {
        let block = tokio::time::timeout(WAIT, blocks.next())
            .await
            .expect("no filtered block within a minute")
            .unwrap()
            .unwrap();
        assert_eq!(
            block.number, expected,
            "blocks come in order from the start"
        );
        assert_eq!(block.channel_id, profile.channel);
        expected += 1;
        if block.number < event.block_number {
            continue;
        }
        assert_eq!(block.number, event.block_number);
        let tx = block
            .filtered_transactions
            .iter()
            .find(|t| t.txid == event.tx_id)
            .unwrap_or_else(|| panic!("{} is not in block {}", event.tx_id, block.number));
        assert_eq!(tx.tx_validation_code, TxValidationCode::Valid as i32);
        let Some(fabric_protos::protos::filtered_transaction::Data::TransactionActions(actions)) =
            &tx.data
        else {
            panic!("the transaction carries no actions: {tx:?}");
        };
        let filtered = actions
            .chaincode_actions
            .iter()
            .filter_map(|a| a.chaincode_event.as_ref())
            .find(|e| e.event_name == event.event_name)
            .expect("the chaincode event is in the filtered block");
        assert_eq!(filtered.chaincode_id, profile.chaincode);
        assert!(
            filtered.payload.is_empty(),
            "a filtered block leaves the payload out"
        );
        break;
    }
}

#[tokio::test]
async fn the_peer_refuses_block_events_to_an_identity_of_no_channel_organisation() {
    let profile = NetworkProfile::read(&profile_path()).unwrap();
    let doctor = profile.role("doctor").unwrap();
    // Org1MSP by name, issued by a CA of its own that the channel does not know.
    let outsider = fabric_gateway::mock::Org::new();
    let gateway = gateway_as(&profile, &doctor.org, outsider.credentials()).await;
    let mut blocks = gateway
        .network(profile.channel.clone())
        .filtered_block_events(BlockStart::NextCommit)
        .unwrap();
    let first = tokio::time::timeout(WAIT, blocks.next())
        .await
        .expect("no answer within a minute")
        .expect("the stream ends with its refusal");
    match first {
        Err(GatewayError::BlockEventsRefused {
            channel_name,
            status,
        }) => {
            assert_eq!(channel_name, profile.channel);
            assert_eq!(status, fabric_protos::common::Status::Forbidden as i32);
        }
        other => panic!("expected FORBIDDEN, got {other:?}"),
    }
    assert!(blocks.next().await.is_none(), "nothing after the refusal");
}
