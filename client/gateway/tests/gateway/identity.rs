//! Loading the client identity from MSP folders and explicit files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use fabric_gateway::mock::pki::{TestCa, stray_key_pem, write_cryptogen_msp};
use fabric_gateway::mock::protocol::verify;
use fabric_gateway::{Credentials, Identity, IdentityError, PrivateKeySigner, sign_message};
use fabric_protos::msp::SerializedIdentity;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::{DecodePrivateKey, LineEnding};
use prost::Message;

fn ca() -> TestCa {
    TestCa::new("ca.org1.example.com")
}

#[test]
fn loads_a_cryptogen_msp_folder() {
    let ca = ca();
    let user = ca.issue_identity("User1@org1.example.com");
    let dir = tempfile::tempdir().unwrap();
    write_cryptogen_msp(dir.path(), "User1@org1.example.com", &ca, &user);

    let credentials = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap();
    let identity = credentials.identity();
    assert_eq!(identity.msp_id(), "Org1MSP");
    assert_eq!(identity.certificate_pem(), user.certificate_pem);
    let expected_key = p256::PublicKey::from_sec1_bytes(&user.public_key_sec1).unwrap();
    assert_eq!(*identity.public_key(), expected_key);
    assert_eq!(credentials.signer().public_key(), expected_key);

    let creator = SerializedIdentity::decode(identity.creator()).unwrap();
    assert_eq!(creator.mspid, "Org1MSP");
    assert_eq!(creator.id_bytes, user.certificate_pem.as_bytes());
}

#[test]
fn picks_the_matching_key_among_fabric_ca_keys() {
    let ca = ca();
    let user = ca.issue_identity("appuser");
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("signcerts")).unwrap();
    fs::create_dir_all(dir.path().join("keystore")).unwrap();
    fs::write(dir.path().join("signcerts/cert.pem"), &user.certificate_pem).unwrap();
    // fabric-ca-client names keys <ski>_sk and leaves old ones after re-enrolment.
    fs::write(dir.path().join("keystore/0a1b_sk"), stray_key_pem()).unwrap();
    fs::write(dir.path().join("keystore/9f8e_sk"), &user.key_pem).unwrap();
    fs::write(dir.path().join("keystore/ffff_sk"), stray_key_pem()).unwrap();
    fs::write(dir.path().join("keystore/README"), "not a key").unwrap();

    let credentials = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap();
    let key = VerifyingKey::from_sec1_bytes(&user.public_key_sec1).unwrap();
    let signature = sign_message(credentials.signer(), b"hello").unwrap();
    verify(&key, b"hello", &signature).unwrap();
}

#[test]
fn loads_explicit_certificate_and_key_files_in_pkcs8_or_sec1() {
    let ca = ca();
    let user = ca.issue_identity("User1");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    fs::write(&cert, &user.certificate_pem).unwrap();
    let pkcs8 = dir.path().join("key.pem");
    fs::write(&pkcs8, &user.key_pem).unwrap();
    let sec1 = dir.path().join("key.sec1.pem");
    let secret = p256::SecretKey::from_pkcs8_pem(&user.key_pem).unwrap();
    fs::write(
        &sec1,
        secret.to_sec1_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();

    for key in [&pkcs8, &sec1] {
        let credentials = Credentials::from_files("Org1MSP", &cert, key).unwrap();
        assert_eq!(credentials.identity().msp_id(), "Org1MSP");
    }
}

#[test]
fn rejects_an_empty_msp_id() {
    let ca = ca();
    let user = ca.issue_identity("User1");
    let dir = tempfile::tempdir().unwrap();
    write_cryptogen_msp(dir.path(), "User1", &ca, &user);
    for msp_id in ["", "  "] {
        let error = Credentials::from_msp_folder(dir.path(), msp_id).unwrap_err();
        assert!(matches!(error, IdentityError::EmptyMspId), "{error}");
        assert!(Identity::new(msp_id, &user.certificate_pem).is_err());
    }
    assert!(error_text(IdentityError::EmptyMspId).contains("MSP id is empty"));
}

#[test]
fn reports_a_missing_msp_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let error = Credentials::from_msp_folder(&missing, "Org1MSP").unwrap_err();
    assert!(matches!(error, IdentityError::Read { .. }), "{error}");
    assert!(error.to_string().contains("nope/signcerts"), "{error}");
}

#[test]
fn reports_missing_or_ambiguous_certificates() {
    let ca = ca();
    let user = ca.issue_identity("User1");
    let dir = tempfile::tempdir().unwrap();
    write_cryptogen_msp(dir.path(), "User1", &ca, &user);
    let signcerts = dir.path().join("signcerts");
    fs::write(signcerts.join("other-cert.pem"), &user.certificate_pem).unwrap();
    let error = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap_err();
    assert!(
        matches!(error, IdentityError::SeveralCertificates { count: 2, .. }),
        "{error}"
    );

    for entry in fs::read_dir(&signcerts).unwrap() {
        fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let error = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap_err();
    assert!(
        matches!(error, IdentityError::NoCertificate { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("signcerts"), "{error}");
}

#[test]
fn reports_a_missing_or_foreign_private_key() {
    let ca = ca();
    let user = ca.issue_identity("User1");
    let dir = tempfile::tempdir().unwrap();
    write_cryptogen_msp(dir.path(), "User1", &ca, &user);
    let key = dir.path().join("keystore/priv_sk");

    fs::write(&key, stray_key_pem()).unwrap();
    let error = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap_err();
    assert!(
        matches!(error, IdentityError::KeyMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("does not belong"), "{error}");

    fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let error = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap_err();
    assert!(
        matches!(error, IdentityError::NoPrivateKey { .. }),
        "{error}"
    );

    fs::remove_file(&key).unwrap();
    let error = Credentials::from_msp_folder(dir.path(), "Org1MSP").unwrap_err();
    assert!(
        matches!(error, IdentityError::NoPrivateKey { .. }),
        "{error}"
    );
}

#[test]
fn explicit_files_must_belong_together_and_be_p256() {
    let ca = ca();
    let user = ca.issue_identity("User1");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    fs::write(&cert, &user.certificate_pem).unwrap();
    let foreign = dir.path().join("foreign.pem");
    fs::write(&foreign, stray_key_pem()).unwrap();
    let error = Credentials::from_files("Org1MSP", &cert, &foreign).unwrap_err();
    assert!(
        matches!(error, IdentityError::KeyMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("foreign.pem"), "{error}");

    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let p384_key = dir.path().join("p384.pem");
    fs::write(&p384_key, p384.serialize_pem()).unwrap();
    let error = Credentials::from_files("Org1MSP", &cert, &p384_key).unwrap_err();
    assert!(matches!(error, IdentityError::PrivateKey { .. }), "{error}");
    assert!(
        error.to_string().contains("not a P-256 private key"),
        "{error}"
    );

    let garbage = dir.path().join("garbage.pem");
    fs::write(&garbage, "hello").unwrap();
    let error = Credentials::from_files("Org1MSP", &garbage, &foreign).unwrap_err();
    assert!(
        matches!(error, IdentityError::Certificate { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("garbage.pem"), "{error}");
}

#[test]
fn a_certificate_without_a_p256_key_is_rejected() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let params = rcgen::CertificateParams::new(vec!["x".to_string()]).unwrap();
    let certificate = params.self_signed(&key).unwrap();
    let error = Identity::new("Org1MSP", &certificate.pem()).unwrap_err();
    assert!(
        matches!(error, IdentityError::Certificate { .. }),
        "{error}"
    );
}

#[test]
fn debug_output_never_shows_the_private_key() {
    let ca = ca();
    let user = ca.issue_identity("User1");
    let signer = PrivateKeySigner::from_pem(&user.key_pem).unwrap();
    let secret = p256::SecretKey::from_pkcs8_pem(&user.key_pem).unwrap();
    let secret_hex = hex::encode(secret.to_bytes());
    let pem_body: String = user
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let identity = Identity::new("Org1MSP", &user.certificate_pem).unwrap();
    let credentials = Credentials::new(identity, signer.clone()).unwrap();
    for text in [
        format!("{signer:?}"),
        format!("{credentials:?}"),
        format!("{credentials:#?}"),
    ] {
        assert!(!text.to_lowercase().contains(&secret_hex), "{text}");
        assert!(!text.contains(&pem_body[..40]), "{text}");
    }
}

fn error_text(error: IdentityError) -> String {
    error.to_string()
}
