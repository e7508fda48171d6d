//! The identity that signed a proposal: its MSP id and X.509 certificate,
//! and the P-256 public key inside it.

use der::{Decode, DecodePem, Encode};
use fabric_protos::msp::SerializedIdentity;
use p256::PublicKey;
use prost::Message;
use x509_cert::Certificate;

/// Why an identity could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    /// The serialized identity is not a valid `msp.SerializedIdentity`.
    #[error("the creator is not a valid serialized identity: {0}")]
    Serialized(String),
    /// The certificate is not valid PEM/DER X.509.
    #[error("the certificate is not a valid X.509 certificate: {0}")]
    Certificate(String),
    /// The certificate's key is not a P-256 public key.
    #[error("the certificate's public key is not a P-256 key")]
    NotP256,
}

/// The signer of a transaction proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    msp_id: String,
    certificate_pem: String,
    certificate_der: Vec<u8>,
    public_key: PublicKey,
}

impl ClientIdentity {
    /// Parses the `creator` bytes of a proposal's signature header (an
    /// `msp.SerializedIdentity` carrying a PEM certificate).
    pub fn from_serialized(bytes: &[u8]) -> Result<Self, IdentityError> {
        let identity = SerializedIdentity::decode(bytes)
            .map_err(|e| IdentityError::Serialized(e.to_string()))?;
        let pem = String::from_utf8(identity.id_bytes)
            .map_err(|_| IdentityError::Certificate("the certificate PEM is not UTF-8".into()))?;
        Self::from_pem(identity.mspid, &pem)
    }

    /// Builds an identity from an MSP id and a PEM certificate.
    pub fn from_pem(
        msp_id: impl Into<String>,
        certificate_pem: &str,
    ) -> Result<Self, IdentityError> {
        let (certificate_der, public_key) = parse_certificate_pem(certificate_pem)?;
        Ok(Self {
            msp_id: msp_id.into(),
            certificate_pem: certificate_pem.to_owned(),
            certificate_der,
            public_key,
        })
    }

    /// The MSP id the identity belongs to.
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The certificate, PEM encoded exactly as the client sent it.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The certificate, DER encoded.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The certificate's P-256 public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Serializes the identity as an `msp.SerializedIdentity`.
    pub fn to_serialized(&self) -> Vec<u8> {
        SerializedIdentity {
            mspid: self.msp_id.clone(),
            id_bytes: self.certificate_pem.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }
}

/// Parses a PEM certificate and returns its DER bytes and P-256 public key.
pub fn parse_certificate_pem(pem: &str) -> Result<(Vec<u8>, PublicKey), IdentityError> {
    let certificate = Certificate::from_pem(pem.trim().as_bytes())
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let der = certificate
        .to_der()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let spki_der = spki
        .to_der()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    // Decoding the whole SubjectPublicKeyInfo checks the algorithm (id-ecPublicKey
    // on prime256v1) as well as the point.
    let public_key = p256::pkcs8::DecodePublicKey::from_public_key_der(&spki_der)
        .map_err(|_| IdentityError::NotP256)?;
    Ok((der, public_key))
}

/// Parses a DER certificate and returns its P-256 public key.
pub fn public_key_from_der(der: &[u8]) -> Result<PublicKey, IdentityError> {
    let certificate =
        Certificate::from_der(der).map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let spki_der = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    p256::pkcs8::DecodePublicKey::from_public_key_der(&spki_der).map_err(|_| IdentityError::NotP256)
}
