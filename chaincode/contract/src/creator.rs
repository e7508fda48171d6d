//! The transaction's creator as the contract needs it: an X.509 identity
//! with a P-256 key, from which the participant index `ind` follows.

use fabric_shim::{ClientIdentity, Stub};
use p256::PublicKey;

use crate::CreatorIndex;
use crate::error::ContractError;

/// The submitter of a `Store`: its identity, P-256 key and index.
#[derive(Debug, Clone)]
pub struct Creator {
    identity: ClientIdentity,
    public_key: PublicKey,
    ind: u64,
}

impl Creator {
    /// Reads the stub's creator. The contract only accepts P-256
    /// certificates (the participant index is defined on P-256 keys), so
    /// any other key type is refused, as are unparsable identities.
    pub fn of<S: Stub>(stub: &S, record: &'static str) -> Result<Self, ContractError> {
        let identity = ClientIdentity::from_serialized(stub.creator())
            .map_err(|e| ContractError::unauthorized(record, e.to_string()))?;
        Self::from_identity(identity).map_err(|e| ContractError::unauthorized(record, e))
    }

    /// A creator from a parsed identity; fails unless its key is P-256.
    pub fn from_identity(identity: ClientIdentity) -> Result<Self, String> {
        let public_key = identity.p256_public_key().map_err(|e| e.to_string())?;
        let ind = medchain_protocol::participant_index(&public_key);
        Ok(Self {
            identity,
            public_key,
            ind,
        })
    }

    /// The parsed identity (MSP id, certificate, attributes).
    pub fn identity(&self) -> &ClientIdentity {
        &self.identity
    }

    /// The certificate's P-256 public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
}

impl CreatorIndex for Creator {
    fn ind(&self) -> u64 {
        self.ind
    }
}
