//! A client for the Hyperledger Fabric Gateway service (Fabric ≥ 2.4),
//! shaped like the official `fabric-gateway` SDKs:
//! [`Gateway`] → [`Network`] (a channel) → [`Contract`] (a chaincode).
//!
//! * **Identity** — [`Credentials::from_msp_folder`] reads an MSP folder as
//!   cryptogen or fabric-ca-client write it (`signcerts/*.pem`,
//!   `keystore/*_sk`); [`Credentials::from_files`] takes explicit paths.
//!   Requests are signed with ECDSA P-256 over SHA-256, DER, low-S
//!   ([`Signer`] lets an HSM plug in; [`PrivateKeySigner`] zeroizes its key).
//! * **Transactions** — [`Contract::evaluate`] queries;
//!   [`Contract::submit`] endorses, submits and waits for the commit;
//!   [`Contract::submit_async`] returns the result and a [`Commit`] whose
//!   [`Commit::status`] is awaited later. The steps are also available one
//!   by one: [`Contract::new_proposal`] → [`Proposal::endorse`] →
//!   [`Transaction::submit`] → [`Commit::status`], with transient data and
//!   endorsing organisations on the [`ProposalBuilder`]. A chaincode with
//!   several contracts: [`Network::contract_with_name`] sends transaction
//!   names as `contract:function`. Every call has a timeout ([`Timeouts`])
//!   that also bounds its retries after a broken connection.
//! * **Offline signing** — a [`Gateway::without_signer`] makes unsigned
//!   proposals, transactions and commits; each has `bytes()` (a serialized
//!   Fabric message that can cross processes) and `digest()` (what to
//!   sign), and [`Gateway::new_signed_proposal`],
//!   [`Gateway::new_signed_transaction`] and [`Gateway::new_signed_commit`]
//!   take the bytes back with the signature.
//! * **Errors** — each step fails with its own [`GatewayError`] variant
//!   (`Evaluate`, `Endorse`, `Submit`, `CommitStatus`, `ChaincodeEvents`,
//!   `BlockEvents`),
//!   carrying the transaction id, the gRPC code and message and the
//!   per-peer [`ErrorDetail`]s ([`RpcError`]); a transaction committed as
//!   invalid is a [`GatewayError::Commit`] with its [`TxValidationCode`]
//!   ([`CommitError`]). Loading an identity ([`IdentityError`]) and storing
//!   checkpoints ([`CheckpointError`]) have their own error types.
//! * **Events** — [`Network::chaincode_events`] is an async stream of
//!   [`ChaincodeEvent`]s. Save a [`Checkpoint`] after handling each event
//!   (to a [`FileCheckpointStore`], written atomically with mode 0600) and
//!   restart from it to miss and repeat nothing.
//!   [`Network::filtered_block_events`] is an async stream of the
//!   channel's [`FilteredBlock`]s (each transaction's id and validation
//!   code) from the peer's Deliver service, from a [`BlockStart`].
//! * **TLS** — [`PeerEndpoint`] with [`TlsSettings`]: the organisation's TLS
//!   CA, an optional client certificate (mutual TLS), and a server-name
//!   override for peers dialled as `localhost`.
//! * **Testing** — the `mock-gateway` feature adds `fabric_gateway::mock`: an in-process
//!   Fabric Gateway that checks signatures the way Fabric does, and a test
//!   PKI.
//!
//! # Example
//!
//! ```no_run
//! use std::path::Path;
//! use futures::StreamExt;
//! use fabric_gateway::{
//!     CheckpointStore, Credentials, FileCheckpointStore, Gateway, PeerEndpoint, Signer,
//!     StartPosition, TlsSettings,
//! };
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let org = Path::new("network/organizations/peerOrganizations/org1.example.com");
//! let credentials = Credentials::from_msp_folder(
//!     &org.join("users/User1@org1.example.com/msp"),
//!     "Org1MSP",
//! )?;
//! let tls = TlsSettings::from_ca_file(&org.join("tlsca/tlsca.org1.example.com-cert.pem"))?
//!     .with_server_name("peer0.org1.example.com");
//! let channel = PeerEndpoint::new("localhost:7051").with_tls(tls).connect().await?;
//!
//! let credentials_identity = credentials.identity().clone();
//! let external_signer = credentials.signer().clone();
//! let gateway = Gateway::from_credentials(channel.clone(), credentials);
//! let network = gateway.network("medchain");
//! let contract = network.contract("medchain");
//!
//! // Query, then update the ledger and wait for the commit.
//! let record = contract.evaluate("Get", &[b"record-1"]).await?;
//! let committed = contract.submit("Store", &[b"record-2", &record]).await?;
//! println!("{} committed in block {}", committed.tx_id, committed.block_number);
//!
//! // Step by step, with transient (private) data.
//! let status = contract
//!     .new_proposal("Store")
//!     .argument(b"record-3")
//!     .transient("secret", b"never on the ledger")
//!     .build()?
//!     .endorse()
//!     .await?
//!     .submit()
//!     .await?
//!     .status()
//!     .await?
//!     .ensure_valid()?;
//! println!("block {}", status.block_number);
//!
//! // Submit now, wait for the commit later.
//! let (result, commit) = contract.submit_async("Store", &[b"record-4", b"..."]).await?;
//! let status = commit.status().await?.ensure_valid()?;
//! println!("{} bytes returned, block {}", result.len(), status.block_number);
//!
//! // A named contract within the chaincode: invokes "Admin:Rotate".
//! network.contract_with_name("medchain", "Admin").submit("Rotate", &[]).await?;
//!
//! // Offline signing: the key lives in another process.
//! let offline = Gateway::without_signer(channel.clone(), credentials_identity);
//! let unsigned = offline.network("medchain").contract("medchain")
//!     .new_proposal("Store").argument(b"record-5").build()?;
//! let (bytes, digest) = (unsigned.bytes(), unsigned.digest());
//! let signature = external_signer.sign_digest(&digest)?; // elsewhere
//! let transaction = offline.new_signed_proposal(&bytes, &signature)?.endorse().await?;
//! let signature = external_signer.sign_digest(&transaction.digest())?;
//! let commit = offline
//!     .new_signed_transaction(&transaction.bytes(), &signature)?
//!     .submit()
//!     .await?;
//! let signature = external_signer.sign_digest(&commit.digest())?;
//! offline.new_signed_commit(&commit.bytes(), &signature)?.status().await?.ensure_valid()?;
//!
//! // Events, resumable after a restart.
//! let mut checkpoints = FileCheckpointStore::new("events.checkpoint");
//! let start = StartPosition::resume(checkpoints.load()?, StartPosition::Block(0));
//! let mut events = network.chaincode_events("medchain", start)?;
//! while let Some(event) = events.next().await {
//!     let event = event?;
//!     println!("{} from {} in block {}", event.event_name, event.tx_id, event.block_number);
//!     checkpoints.save_event(&event)?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The same calls against the in-process mock Gateway (feature
//! `mock-gateway`; it checks every signature as a peer does), so they run:
//!
//! ```
//! use fabric_gateway::mock::gateway::{CHAINCODE, CHANNEL};
//! use fabric_gateway::mock::{Org, connected};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let org = Org::new();
//! let (gateway, _mock) = connected(&org).await;
//! let contract = gateway.network(CHANNEL).contract(CHAINCODE);
//!
//! let committed = contract.submit("put", &[b"record-1", b"hello"]).await?;
//! assert_eq!(committed.payload, b"hello");
//! assert_eq!(contract.evaluate("get", &[b"record-1"]).await?, b"hello");
//! # Ok(())
//! # }
//! ```

mod blocks;
mod checkpoint;
mod client;
mod commit;
mod contract;
mod endpoint;
mod error;
mod event;
mod events;
mod identity;
#[cfg(feature = "mock-gateway")]
pub mod mock;
mod network;
mod offline;
pub mod private_file;
mod proposal;
mod session;
mod signer;
mod tls;
mod transaction;

pub use blocks::{BlockStart, FilteredBlockStream};
pub use checkpoint::{
    Checkpoint, CheckpointError, CheckpointStore, FileCheckpointStore, InMemoryCheckpointStore,
    StartPosition,
};
pub use client::Gateway;
pub use commit::{Commit, CommitStatus};
pub use contract::{Contract, SubmitResult};
pub use endpoint::PeerEndpoint;
pub use error::{
    ChaincodeResponse, CommitError, ConnectError, ERROR_DETAIL_TYPE_URL, GatewayError, Operation,
    RpcError, error_details, validation_code, validation_code_name,
};
pub use event::ChaincodeEvent;
pub use events::ChaincodeEventStream;
pub use fabric_protos::gateway::ErrorDetail;
pub use fabric_protos::protos::{FilteredBlock, FilteredTransaction, TxValidationCode};
pub use identity::{Credentials, Identity, IdentityError, read_private_key};
pub use network::Network;
pub use proposal::{NONCE_LENGTH, Proposal, ProposalBuilder};
pub use proposal::{new_nonce, transaction_id};
pub use session::Timeouts;
pub use signer::{InvalidKey, PrivateKeySigner, SignError, Signer, sign_message};
pub use tls::TlsSettings;
pub use transaction::Transaction;
