//! An in-process mock Fabric Gateway and a test PKI, for the tests of this
//! crate and of code built on it (feature `mock-gateway`; not for
//! production).
//!
//! * [`gateway::MockGateway`] follows the real protocol: it verifies every
//!   signature, the transaction id rule and the channel header, builds real
//!   prepared envelopes, orders transactions into blocks, answers commit
//!   status with validation codes and streams chaincode events; the same
//!   server runs the peer's Deliver service for filtered blocks
//!   ([`deliver`]). Its "chaincode" is a small key-value store
//!   ([`chaincode`]); a test plants the answer to any function with
//!   [`gateway::MockGateway::plant_answer`].
//! * [`pki`] issues P-256 certificates shaped like cryptogen's and writes
//!   MSP folders; [`Org`] is Org1 with its User1.
//! * [`protocol`] reads what a client sends independently of the client.
//!
//! It knows no chaincode beyond its own key-value functions. Failures to
//! set up (key generation, binding a port) panic: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod chaincode;
pub mod checks;
pub mod deliver;
pub mod gateway;
pub mod pki;
pub mod protocol;

use std::path::PathBuf;

use crate::{Credentials, Gateway, PeerEndpoint};
use tempfile::TempDir;

use gateway::MockGateway;
use pki::{Issued, TestCa, write_cryptogen_msp};

/// Org1 with its CA, the identity User1 and User1's MSP folder on disk.
pub struct Org {
    /// The organisation's CA.
    pub ca: TestCa,
    /// User1's certificate and key.
    pub user: Issued,
    /// The folder holding User1's MSP folder (removed on drop).
    pub dir: TempDir,
}

impl Default for Org {
    fn default() -> Self {
        Self::new()
    }
}

impl Org {
    /// Org1 with a fresh CA and User1, whose MSP folder is written to a temporary folder.
    pub fn new() -> Self {
        let ca = TestCa::new("ca.org1.example.com");
        let user = ca.issue_identity("User1@org1.example.com");
        let dir = tempfile::tempdir().unwrap();
        let org = Self { ca, user, dir };
        write_cryptogen_msp(&org.msp_dir(), "User1@org1.example.com", &org.ca, &org.user);
        org
    }

    /// User1's MSP folder, as cryptogen lays it out.
    pub fn msp_dir(&self) -> PathBuf {
        self.dir.path().join("users/User1@org1.example.com/msp")
    }

    /// User1's credentials, loaded from the MSP folder.
    pub fn credentials(&self) -> Credentials {
        Credentials::from_msp_folder(&self.msp_dir(), "Org1MSP").unwrap()
    }

    /// A mock gateway that accepts User1.
    pub fn mock_gateway(&self) -> MockGateway {
        MockGateway::new(vec![self.user.certificate_pem.clone()])
    }
}

/// A plaintext mock gateway and a client gateway connected to it as User1.
pub async fn connected(org: &Org) -> (Gateway, MockGateway) {
    let mock = org.mock_gateway();
    let address = mock.clone().serve(None).await;
    let channel = PeerEndpoint::new(address.to_string())
        .connect()
        .await
        .unwrap();
    (Gateway::from_credentials(channel, org.credentials()), mock)
}

/// A gateway whose channel connects lazily to an address nothing listens on
/// (for tests that only build and sign requests).
pub fn offline_gateway(org: &Org) -> Gateway {
    let channel = PeerEndpoint::new("127.0.0.1:9").connect_lazy().unwrap();
    Gateway::from_credentials(channel, org.credentials())
}
