//! The identity that signed a proposal, read the way Fabric's `cid`
//! package reads it: the MSP id, the X.509 certificate (of any key type),
//! the attributes a Fabric CA put in it, and a stable id.
//!
//! The stub hands the creator over as raw bytes
//! ([`Stub::creator`](crate::Stub::creator)); [`ClientIdentity::from_serialized`]
//! parses them.

use std::collections::BTreeMap;

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tag, Tagged};
use fabric_protos::msp::SerializedIdentity;
use p256::PublicKey;
use prost::Message;
use x509_cert::Certificate;
use x509_cert::name::Name;

/// The X.509 extension in which a Fabric CA puts an identity's attributes
/// (its value is the JSON `{"attrs":{"name":"value",…}}`).
pub const FABRIC_CA_ATTRIBUTES_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.3.4.5.6.7.8.1");

/// Why an identity could not be read, or an attribute check failed.
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
    /// The Fabric CA attribute extension is not the expected JSON.
    #[error("the certificate's attribute extension is malformed: {0}")]
    Attributes(String),
    /// The certificate was not issued by the given CA: another issuer
    /// name, or a signature the CA's key does not verify.
    #[error("the certificate was not issued by {issuer}: {reason}")]
    NotIssuedBy {
        /// The CA's subject.
        issuer: String,
        /// What does not match.
        reason: String,
    },
    /// An asserted attribute is not in the certificate.
    #[error("attribute {0:?} was not found")]
    AttributeMissing(String),
    /// An asserted attribute has another value.
    #[error("attribute {name:?} equals {actual:?}, not {expected:?}")]
    AttributeMismatch {
        /// The attribute's name.
        name: String,
        /// The value the caller asserted.
        expected: String,
        /// The value in the certificate.
        actual: String,
    },
}

/// The signer of a transaction proposal: an MSP id and an X.509
/// certificate of any key type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    msp_id: String,
    certificate_pem: String,
    certificate_der: Vec<u8>,
    certificate: Certificate,
    attributes: BTreeMap<String, String>,
}

impl ClientIdentity {
    /// Parses the `creator` bytes of a proposal's signature header (an
    /// `msp.SerializedIdentity` carrying a PEM certificate), as `cid.New`.
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
        let certificate = certificate_from_pem(certificate_pem)?;
        let certificate_der = certificate
            .to_der()
            .map_err(|e| IdentityError::Certificate(e.to_string()))?;
        let attributes = fabric_ca_attributes(&certificate)?;
        Ok(Self {
            msp_id: msp_id.into(),
            certificate_pem: certificate_pem.to_owned(),
            certificate_der,
            certificate,
            attributes,
        })
    }

    /// The MSP id the identity belongs to (`cid.GetMSPID`).
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The parsed certificate (`cid.GetX509Certificate`).
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate, PEM encoded exactly as the client sent it.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The certificate, DER encoded.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The identity's id as `cid.GetID` computes it: base64 of
    /// `x509::<subject DN>::<issuer DN>`, each DN written the way Go's
    /// `pkix.Name` orders and escapes it. It survives certificate renewal.
    pub fn id(&self) -> String {
        let tbs = &self.certificate.tbs_certificate;
        let id = format!(
            "x509::{}::{}",
            distinguished_name(&tbs.subject),
            distinguished_name(&tbs.issuer)
        );
        base64_standard(id.as_bytes())
    }

    /// The value of a Fabric CA attribute (`cid.GetAttributeValue`);
    /// `None` when the certificate has no such attribute.
    pub fn attribute(&self, name: &str) -> Option<String> {
        self.attributes.get(name).cloned()
    }

    /// Every Fabric CA attribute of the certificate, by name.
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attributes
    }

    /// Checks that the attribute `name` is present and equals `value`
    /// (`cid.AssertAttributeValue`).
    pub fn assert_attribute(&self, name: &str, value: &str) -> Result<(), IdentityError> {
        match self.attributes.get(name) {
            None => Err(IdentityError::AttributeMissing(name.to_owned())),
            Some(actual) if actual != value => Err(IdentityError::AttributeMismatch {
                name: name.to_owned(),
                expected: value.to_owned(),
                actual: actual.clone(),
            }),
            Some(_) => Ok(()),
        }
    }

    /// The certificate's public key if it is a P-256 key;
    /// [`IdentityError::NotP256`] for any other key type.
    pub fn p256_public_key(&self) -> Result<PublicKey, IdentityError> {
        p256_key_of(&self.certificate)
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

/// The P-256 key of a certificate. Decoding the whole
/// SubjectPublicKeyInfo checks the algorithm (id-ecPublicKey on
/// prime256v1) as well as the point.
fn p256_key_of(certificate: &Certificate) -> Result<PublicKey, IdentityError> {
    let spki_der = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    p256::pkcs8::DecodePublicKey::from_public_key_der(&spki_der).map_err(|_| IdentityError::NotP256)
}

/// Parses the first `CERTIFICATE` block of a PEM text.
///
/// The PEM is decoded whole (RFC 7468) and the DER parsed from memory: the
/// `der` crate's streaming PEM reader (`DecodePem`) never returns on some
/// short inputs (found by the `shim_identity` fuzz target: a certificate
/// block whose body is one byte), so it is not used on untrusted text.
pub fn certificate_from_pem(pem: &str) -> Result<Certificate, IdentityError> {
    const END: &str = "-----END CERTIFICATE-----";
    let text = pem.trim();
    let first = text.find(END).map_or(text, |at| &text[..at + END.len()]);
    let (label, der) = der::pem::decode_vec(first.as_bytes())
        .map_err(|e| IdentityError::Certificate(format!("not a PEM certificate: {e}")))?;
    if label != "CERTIFICATE" {
        return Err(IdentityError::Certificate(format!(
            "the PEM block is a {label:?}, not a CERTIFICATE"
        )));
    }
    Certificate::from_der(&der).map_err(|e| IdentityError::Certificate(e.to_string()))
}

/// Parses a PEM certificate and returns its DER bytes and P-256 public key.
pub fn parse_certificate_pem(pem: &str) -> Result<(Vec<u8>, PublicKey), IdentityError> {
    let certificate = certificate_from_pem(pem)?;
    let der = certificate
        .to_der()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    Ok((der, p256_key_of(&certificate)?))
}

/// Checks that the DER certificate `der` was issued by the CA whose
/// certificate is `ca_pem`: the certificate's issuer is the CA's subject
/// and its ECDSA P-256 / SHA-256 signature (what Fabric CA signs with)
/// verifies under the CA's key. Validity periods are not checked (a
/// registration stays the participant's after its certificate expires).
pub fn verify_issued_by(der: &[u8], ca_pem: &str) -> Result<(), IdentityError> {
    use p256::ecdsa::signature::Verifier;
    let certificate =
        Certificate::from_der(der).map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let ca = certificate_from_pem(ca_pem).map_err(|e| match e {
        IdentityError::Certificate(e) => {
            IdentityError::Certificate(format!("the CA certificate: {e}"))
        }
        other => other,
    })?;
    let issuer = ca.tbs_certificate.subject.to_string();
    let refused = |reason: &str| IdentityError::NotIssuedBy {
        issuer: issuer.clone(),
        reason: reason.to_owned(),
    };
    if certificate.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err(refused("its issuer name is another"));
    }
    if certificate.signature_algorithm.oid != ECDSA_WITH_SHA256 {
        return Err(refused("it is not signed with ECDSA and SHA-256"));
    }
    let ca_key = p256::ecdsa::VerifyingKey::from(p256_key_of(&ca)?);
    let signature = certificate
        .signature
        .as_bytes()
        .and_then(|bytes| p256::ecdsa::Signature::from_der(bytes).ok())
        .ok_or_else(|| refused("its signature is malformed"))?;
    let tbs = certificate
        .tbs_certificate
        .to_der()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    ca_key
        .verify(&tbs, &signature)
        .map_err(|_| refused("the CA's key does not verify its signature"))
}

/// `ecdsa-with-SHA256` (RFC 5758).
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Parses a DER certificate and returns its P-256 public key.
pub fn public_key_from_der(der: &[u8]) -> Result<PublicKey, IdentityError> {
    let certificate =
        Certificate::from_der(der).map_err(|e| IdentityError::Certificate(e.to_string()))?;
    p256_key_of(&certificate)
}

/// The attributes of a Fabric CA certificate (empty without the
/// extension), as Fabric's `attrmgr` reads them.
fn fabric_ca_attributes(
    certificate: &Certificate,
) -> Result<BTreeMap<String, String>, IdentityError> {
    let Some(extension) = certificate
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == FABRIC_CA_ATTRIBUTES_OID)
    else {
        return Ok(BTreeMap::new());
    };
    let malformed = |message: String| IdentityError::Attributes(message);
    let json: serde_json::Value = serde_json::from_slice(extension.extn_value.as_bytes())
        .map_err(|e| malformed(format!("not JSON: {e}")))?;
    let object = json
        .as_object()
        .ok_or_else(|| malformed("not a JSON object".into()))?;
    match object.get("attrs") {
        None | Some(serde_json::Value::Null) => Ok(BTreeMap::new()),
        Some(serde_json::Value::Object(attrs)) => attrs
            .iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(value) => Ok((name.clone(), value.clone())),
                _ => Err(malformed(format!("attribute {name:?} is not a string"))),
            })
            .collect(),
        Some(_) => Err(malformed("\"attrs\" is not a JSON object".into())),
    }
}

/// The value of a [`FABRIC_CA_ATTRIBUTES_OID`] extension carrying `attrs`,
/// as a Fabric CA writes it: the JSON `{"attrs":{"name":"value",…}}`.
/// (For issuing certificates that the chaincode reads like a Fabric CA's.)
pub fn fabric_ca_attributes_extension(attrs: &BTreeMap<String, String>) -> Vec<u8> {
    serde_json::json!({ "attrs": attrs })
        .to_string()
        .into_bytes()
}

/// The attribute types Go's `pkix.Name` keeps, in the order its
/// `ToRDNSequence` writes them, with the names `cid` prints.
const DN_ATTRIBUTES: [(&str, &str); 9] = [
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
];

/// A DN as `cid`'s `getDN` writes it: Go's `pkix.Name` keeps the string
/// values of the nine attribute types above (one value for CN and
/// SERIALNUMBER — the last — and every value of the others, which form one
/// multi-valued RDN), and `getDN` prints the RDNs in reverse order,
/// `,`-separated, with multiple values `+`-joined.
fn distinguished_name(name: &Name) -> String {
    let mut values: Vec<Vec<String>> = vec![Vec::new(); DN_ATTRIBUTES.len()];
    for atv in name.0.iter().flat_map(|rdn| rdn.0.iter()) {
        let oid = atv.oid.to_string();
        let (Some(slot), Some(value)) = (
            DN_ATTRIBUTES.iter().position(|(o, _)| *o == oid),
            directory_string(&atv.value),
        ) else {
            continue;
        };
        let (_, short) = DN_ATTRIBUTES[slot];
        if matches!(short, "CN" | "SERIALNUMBER") {
            // One value, the last; Go leaves an empty one out.
            values[slot] = if value.is_empty() {
                Vec::new()
            } else {
                vec![value]
            };
        } else {
            values[slot].push(value);
        }
    }
    let rdns: Vec<String> = DN_ATTRIBUTES
        .iter()
        .zip(&values)
        .rev()
        .filter(|(_, values)| !values.is_empty())
        .map(|((_, short), values)| {
            values
                .iter()
                .map(|v| format!("{short}={}", escape_dn_value(v)))
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.join(",")
}

/// The text of a DirectoryString-like attribute value; `None` for the
/// types Go's parser does not read as a string.
fn directory_string(value: &der::asn1::Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::TeletexString => String::from_utf8(bytes.to_vec()).ok(),
        Tag::BmpString if bytes.len().is_multiple_of(2) => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// Escapes a DN value as `getDN` does: `,+"\<>;` anywhere, a leading space
/// or `#`, and a trailing space get a backslash.
fn escape_dn_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    let last = value.len().saturating_sub(1);
    for (index, c) in value.char_indices() {
        let edge = (index == 0 && (c == ' ' || c == '#')) || (index == last && c == ' ');
        if edge || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Standard base64 with padding (RFC 4648 §4), as Go's
/// `base64.StdEncoding`.
fn base64_standard(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::str::FromStr;

    use rcgen::{
        CertificateParams, CustomExtension, DnType, KeyPair, PKCS_ECDSA_P256_SHA256,
        PKCS_ECDSA_P384_SHA384, PKCS_ED25519, SignatureAlgorithm,
    };

    use super::*;

    /// A self-signed certificate, PEM, with the given key type, subject
    /// CN and (optionally) attribute-extension content.
    fn certificate(alg: &'static SignatureAlgorithm, cn: &str, attrs: Option<&[u8]>) -> String {
        let key = KeyPair::generate_for(alg).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        if let Some(content) = attrs {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 2, 3, 4, 5, 6, 7, 8, 1],
                    content.to_vec(),
                ));
        }
        params.self_signed(&key).unwrap().pem()
    }

    fn serialized(msp_id: &str, pem: &str) -> Vec<u8> {
        SerializedIdentity {
            mspid: msp_id.into(),
            id_bytes: pem.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }

    #[test]
    fn fabric_ca_attributes_are_read_and_asserted() {
        let pem = certificate(
            &PKCS_ECDSA_P256_SHA256,
            "alice",
            Some(br#"{"attrs":{"hf.EnrollmentID":"alice","role":"doctor"}}"#),
        );
        let identity = ClientIdentity::from_serialized(&serialized("Org1MSP", &pem)).unwrap();
        assert_eq!(identity.msp_id(), "Org1MSP");
        assert_eq!(identity.attribute("role").as_deref(), Some("doctor"));
        assert_eq!(
            identity.attribute("hf.EnrollmentID").as_deref(),
            Some("alice")
        );
        assert_eq!(identity.attribute("absent"), None);
        assert_eq!(identity.attributes().len(), 2);
        identity.assert_attribute("role", "doctor").unwrap();
        assert_eq!(
            identity.assert_attribute("role", "nurse").unwrap_err(),
            IdentityError::AttributeMismatch {
                name: "role".into(),
                expected: "nurse".into(),
                actual: "doctor".into(),
            }
        );
        let missing = identity.assert_attribute("absent", "x").unwrap_err();
        assert_eq!(missing, IdentityError::AttributeMissing("absent".into()));
        assert_eq!(missing.to_string(), "attribute \"absent\" was not found");
        identity.p256_public_key().unwrap();
        assert_eq!(
            ClientIdentity::from_serialized(&identity.to_serialized()).unwrap(),
            identity
        );
    }

    #[test]
    fn a_certificate_without_the_extension_has_no_attributes() {
        let pem = certificate(&PKCS_ECDSA_P256_SHA256, "bob", None);
        let identity = ClientIdentity::from_pem("Org1MSP", &pem).unwrap();
        assert!(identity.attributes().is_empty());
        assert_eq!(identity.attribute("role"), None);
        // `{"attrs": null}` and a missing "attrs" are no attributes either.
        for content in [&br#"{"attrs":null}"#[..], br#"{"other":1}"#] {
            let pem = certificate(&PKCS_ECDSA_P256_SHA256, "bob", Some(content));
            let identity = ClientIdentity::from_pem("Org1MSP", &pem).unwrap();
            assert!(identity.attributes().is_empty());
        }
    }

    #[test]
    fn a_malformed_attribute_extension_is_refused() {
        for (content, expected) in [
            (&b"{not json"[..], "not JSON"),
            (br#"["attrs"]"#, "not a JSON object"),
            (br#"{"attrs":["a"]}"#, "\"attrs\" is not a JSON object"),
            (br#"{"attrs":{"n":1}}"#, "attribute \"n\" is not a string"),
        ] {
            let pem = certificate(&PKCS_ECDSA_P256_SHA256, "mallory", Some(content));
            let e = ClientIdentity::from_serialized(&serialized("Org1MSP", &pem)).unwrap_err();
            assert!(matches!(e, IdentityError::Attributes(_)), "{e}");
            assert!(e.to_string().contains(expected), "{e}");
        }
    }

    #[test]
    fn certificates_of_other_key_types_parse_but_have_no_p256_key() {
        for alg in [&PKCS_ECDSA_P384_SHA384, &PKCS_ED25519] {
            let pem = certificate(alg, "carol", Some(br#"{"attrs":{"role":"auditor"}}"#));
            let identity = ClientIdentity::from_serialized(&serialized("Org2MSP", &pem)).unwrap();
            assert_eq!(identity.msp_id(), "Org2MSP");
            assert_eq!(identity.attribute("role").as_deref(), Some("auditor"));
            assert!(!identity.id().is_empty());
            assert_eq!(identity.p256_public_key(), Err(IdentityError::NotP256));
            assert_eq!(parse_certificate_pem(&pem), Err(IdentityError::NotP256));
        }
    }

    #[test]
    fn garbage_is_not_an_identity() {
        let e = ClientIdentity::from_serialized(b"not an identity").unwrap_err();
        assert!(matches!(e, IdentityError::Serialized(_)), "{e}");
        let e = ClientIdentity::from_serialized(&serialized("Org1MSP", "garbage")).unwrap_err();
        assert!(matches!(e, IdentityError::Certificate(_)), "{e}");
        let invalid_utf8 = SerializedIdentity {
            mspid: "Org1MSP".into(),
            id_bytes: vec![0xff, 0xfe],
        }
        .encode_to_vec();
        let e = ClientIdentity::from_serialized(&invalid_utf8).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn the_id_is_cids_base64_of_subject_and_issuer() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        // Pushed in an order Go's pkix.Name does not keep.
        params
            .distinguished_name
            .push(DnType::CommonName, "Doe, John");
        params.distinguished_name.push(DnType::CountryName, "US");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Org1");
        let pem = params.self_signed(&key).unwrap().pem();
        let identity = ClientIdentity::from_pem("Org1MSP", &pem).unwrap();
        // base64("x509::CN=Doe\, John,O=Org1,C=US::CN=Doe\, John,O=Org1,C=US")
        assert_eq!(
            identity.id(),
            "eDUwOTo6Q049RG9lXCwgSm9obixPPU9yZzEsQz1VUzo6Q049RG9lXCwgSm9obixPPU9yZzEsQz1VUw=="
        );
    }

    #[test]
    fn a_dn_is_written_as_cid_writes_it() {
        // RFC 4514 text lists the last RDN first.
        let name = Name::from_str(
            "CN=user1,OU=department1,OU=org1,OU=client,O=Hyperledger,ST=North Carolina,C=US",
        )
        .unwrap();
        assert_eq!(
            distinguished_name(&name),
            "CN=user1,OU=client+OU=org1+OU=department1,O=Hyperledger,ST=North Carolina,C=US"
        );
        // Types pkix.Name drops (here UID) are not part of the id.
        let name = Name::from_str("UID=42,CN=x").unwrap();
        assert_eq!(distinguished_name(&name), "CN=x");
        assert_eq!(escape_dn_value(" #a+b;c "), "\\ #a\\+b\\;c\\ ");
        assert_eq!(escape_dn_value("#x"), "\\#x");
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_standard(input.as_bytes()), expected);
        }
    }

    /// A CA named `name` (a new key each call) and the issuer to sign with.
    fn ca(name: &str) -> (String, rcgen::Issuer<'static, KeyPair>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        (pem, rcgen::Issuer::new(params, key))
    }

    fn leaf_der(issuer: &rcgen::Issuer<'static, KeyPair>) -> Vec<u8> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, "doctor");
        params.signed_by(&key, issuer).unwrap().der().to_vec()
    }

    #[test]
    fn a_certificate_verifies_only_under_its_issuer() {
        let (root, issuer) = ca("ca.org1");
        let leaf = leaf_der(&issuer);
        verify_issued_by(&leaf, &root).unwrap();
        // A CA with the same name but another key (a forged CA).
        let (forged_root, forged) = ca("ca.org1");
        let error = verify_issued_by(&leaf_der(&forged), &root).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the CA's key does not verify its signature"),
            "{error}"
        );
        assert!(verify_issued_by(&leaf, &forged_root).is_err());
        // Another CA's name.
        let (other_root, _) = ca("ca.org2");
        let error = verify_issued_by(&leaf, &other_root).unwrap_err();
        assert!(
            error.to_string().contains("its issuer name is another"),
            "{error}"
        );
        // A self-signed certificate is no CA's.
        let self_signed = certificate(&PKCS_ECDSA_P256_SHA256, "doctor", None);
        let (der, _) = parse_certificate_pem(&self_signed).unwrap();
        assert!(verify_issued_by(&der, &root).is_err());
        // A tampered certificate fails.
        let mut tampered = leaf.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 1;
        assert!(verify_issued_by(&tampered, &root).is_err());
        // A garbage CA certificate is an error, not a pass.
        assert!(matches!(
            verify_issued_by(&leaf, "not a certificate"),
            Err(IdentityError::Certificate(_))
        ));
    }

    /// Regression (fuzz target `shim_identity`): a certificate block whose
    /// body is one byte made the `der` PEM reader loop forever, so a 59-byte
    /// `reg` record or creator could hang the chaincode. It is refused now.
    #[test]
    fn a_pem_certificate_with_a_one_byte_body_is_refused_at_once() {
        let pem = "-----BEGIN CERTIFICATE-----\nYQ==\n-----END CERTIFICATE-----\n";
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let outcome = (
                parse_certificate_pem(pem).is_err(),
                ClientIdentity::from_pem("Org1MSP", pem).is_err(),
                certificate_from_pem(pem).is_err(),
            );
            let _ = done.send(outcome);
        });
        let outcome = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("parsing a malformed PEM certificate returns");
        assert_eq!(outcome, (true, true, true));
    }
}
