//! Key pairs, certificate signing requests and Fabric CA's token.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode as _, Encode as _};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use rcgen::{CertificateParams, DistinguishedName, DnType};
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::CaError;

/// A fresh P-256 key, made from the operating system's randomness.
pub(crate) fn generate_key() -> p256::SecretKey {
    p256::SecretKey::random(&mut rand_core::OsRng)
}

/// Parses a PEM private key: PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
pub(crate) fn parse_key(pem: &str) -> Result<p256::SecretKey, CaError> {
    p256::SecretKey::from_pkcs8_pem(pem.trim())
        .or_else(|_| p256::SecretKey::from_sec1_pem(pem.trim()))
        .map_err(|_| {
            CaError::Credential("the private key is not a P-256 key in PKCS#8 or SEC1 PEM".into())
        })
}

/// The key as PKCS#8 PEM.
pub(crate) fn key_pem(key: &p256::SecretKey) -> Result<Zeroizing<String>, CaError> {
    key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| CaError::Credential(format!("cannot encode the private key: {e}")))
}

/// Parses the first certificate of a PEM text.
///
/// The PEM is decoded whole (RFC 7468) and the DER parsed from memory: the
/// `der` crate's streaming PEM reader never returns on some short inputs
/// (found by the `ca_response` / `shim_identity` fuzz targets).
pub(crate) fn parse_certificate(pem: &str) -> Result<Certificate, CaError> {
    const END: &str = "-----END CERTIFICATE-----";
    let text = pem.trim();
    let first = text.find(END).map_or(text, |at| &text[..at + END.len()]);
    let refused = |e: &dyn std::fmt::Display| {
        CaError::Credential(format!("the certificate is not PEM X.509: {e}"))
    };
    let (label, der) = der::pem::decode_vec(first.as_bytes()).map_err(|e| refused(&e))?;
    if label != "CERTIFICATE" {
        return Err(refused(&format!("its PEM label is {label:?}")));
    }
    Certificate::from_der(&der).map_err(|e| refused(&e))
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub(crate) fn certificate_spki(certificate: &Certificate) -> Result<Vec<u8>, CaError> {
    certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| CaError::Credential(e.to_string()))
}

/// The DER SubjectPublicKeyInfo of a key's public half.
pub(crate) fn key_spki(key: &p256::SecretKey) -> Result<Vec<u8>, CaError> {
    key.public_key()
        .to_public_key_der()
        .map(|doc| doc.as_bytes().to_vec())
        .map_err(|e| CaError::Credential(e.to_string()))
}

/// The subject common name of a certificate, if it has one.
pub(crate) fn common_name(certificate: &Certificate) -> Option<String> {
    const CN: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    certificate
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == CN)
        .and_then(|atv| {
            der::asn1::Utf8StringRef::from_der(&atv.value.to_der().ok()?)
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    der::asn1::PrintableStringRef::try_from(&atv.value).map(|s| s.to_string())
                })
                .ok()
        })
}

/// A PEM certificate signing request for `common_name` (and the subject
/// alternative names `hosts`), signed by `key`.
pub(crate) fn csr_pem(
    key: &p256::SecretKey,
    common_name: &str,
    hosts: &[String],
) -> Result<String, CaError> {
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| CaError::Csr(format!("cannot encode the key: {e}")))?;
    let key_pair = rcgen::KeyPair::try_from(pkcs8.as_bytes())
        .map_err(|e| CaError::Csr(format!("cannot use the key: {e}")))?;
    let mut params =
        CertificateParams::new(hosts.to_vec()).map_err(|e| CaError::Csr(e.to_string()))?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, common_name);
    params.distinguished_name = subject;
    params
        .serialize_request(&key_pair)
        .and_then(|csr| csr.pem())
        .map_err(|e| CaError::Csr(e.to_string()))
}

/// Fabric CA's authorization token for a request made by the holder of
/// `certificate_pem` and `key`: `base64(cert) "." base64(signature)`, the
/// signature being ECDSA P-256 (DER, low S) over the SHA-256 of
/// `method "." base64(uri) "." base64(body) "." base64(cert)`.
pub(crate) fn token(
    certificate_pem: &str,
    key: &p256::SecretKey,
    method: &str,
    uri: &str,
    body: &[u8],
) -> String {
    let cert = STANDARD.encode(certificate_pem.as_bytes());
    let payload = format!(
        "{method}.{}.{}.{cert}",
        STANDARD.encode(uri.as_bytes()),
        STANDARD.encode(body)
    );
    let signature: Signature = SigningKey::from(key).sign(payload.as_bytes());
    let signature = signature.normalize_s().unwrap_or(signature);
    format!("{cert}.{}", STANDARD.encode(signature.to_der().as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;

    #[test]
    fn the_token_signs_method_uri_body_and_certificate() {
        let key = generate_key();
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let token = token(cert, &key, "POST", "/api/v1/register", b"{}");
        let (b64cert, b64sig) = token.split_once('.').unwrap();
        assert_eq!(STANDARD.decode(b64cert).unwrap(), cert.as_bytes());
        let signature = Signature::from_der(&STANDARD.decode(b64sig).unwrap()).unwrap();
        assert!(signature.normalize_s().is_none(), "low S");
        let payload = format!(
            "POST.{}.{}.{b64cert}",
            STANDARD.encode("/api/v1/register"),
            STANDARD.encode("{}")
        );
        VerifyingKey::from(key.public_key())
            .verify(payload.as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn a_csr_carries_the_common_name() {
        let pem = csr_pem(&generate_key(), "alice", &[]).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    }

    #[test]
    fn keys_round_trip_through_pem() {
        let key = generate_key();
        let pem = key_pem(&key).unwrap();
        assert_eq!(parse_key(&pem).unwrap(), key);
        assert!(parse_key("not a key").is_err());
    }

    /// Regression (the der PEM reader hang found by the fuzz targets): a
    /// certificate block whose body is one byte is refused at once.
    #[test]
    fn a_pem_certificate_with_a_one_byte_body_is_refused_at_once() {
        let pem = "-----BEGIN CERTIFICATE-----\nYQ==\n-----END CERTIFICATE-----\n";
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(parse_certificate(pem).is_err());
        });
        let refused = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("parsing a malformed PEM certificate returns");
        assert!(refused);
    }
}
