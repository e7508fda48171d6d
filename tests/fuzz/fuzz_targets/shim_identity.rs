//! The creator / certificate / attribute parser: a transaction's
//! `msp.SerializedIdentity` as the chaincode reads it
//! (`ClientIdentity::from_serialized`: the PEM, the X.509 certificate, its
//! P-256 key, the Fabric CA attribute extension's JSON, the DN), and the
//! helpers that parse a PEM certificate or a DER SubjectPublicKeyInfo.
//!
//! Properties: no panic; an accepted identity re-serializes to bytes that
//! parse to the same identity (MSP id, certificate, attributes, id, key).
#![no_main]

use fabric_shim::ClientIdentity;
use fabric_shim::identity::{parse_certificate_pem, public_key_from_der, verify_issued_by};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// A CA certificate made for this process (its key never leaves it).
static CA: LazyLock<(String, rcgen::KeyPair)> =
    LazyLock::new(|| medchain_fuzz::certificate("fuzz-ca", "doctor"));

fuzz_target!(|data: &[u8]| {
    let _ = public_key_from_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((der, key)) = parse_certificate_pem(text) {
            assert_eq!(
                public_key_from_der(&der).ok(),
                Some(key),
                "the DER of a parsed PEM certificate has the same key"
            );
            assert!(
                verify_issued_by(&der, &CA.0).is_err(),
                "no fuzzed certificate is signed by the fixture CA's fresh key"
            );
        }
    }
    let Ok(identity) = ClientIdentity::from_serialized(data) else {
        return;
    };
    let again = ClientIdentity::from_serialized(&identity.to_serialized())
        .expect("a parsed identity re-parses from its own serialization");
    assert_eq!(again.msp_id(), identity.msp_id());
    assert_eq!(again.certificate_der(), identity.certificate_der());
    assert_eq!(again.attributes(), identity.attributes());
    assert_eq!(again.id(), identity.id());
    assert_eq!(
        again.p256_public_key().ok(),
        identity.p256_public_key().ok()
    );
    for (name, value) in identity.attributes() {
        assert_eq!(identity.attribute(name).as_deref(), Some(value.as_str()));
        assert!(identity.assert_attribute(name, value).is_ok());
    }
});
