#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use medchain_siff::KdfParams;

use super::*;
use crate::connect::{self, ConnectError};
use crate::ledger::embedded::{LocalCa, Validity};
use crate::wallet::{
    BackendProfile, IdentityLocation, NewWallet, UserRole, Wallet, embedded_identity,
};

/// A password a new wallet accepts (zxcvbn score 4).
const PASSWORD: &str = "vivid otter maple quartz";

const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

fn embedded_wallet(root: &Path, role: UserRole) -> Wallet {
    let ledger = root.join("ledger");
    let ca = LocalCa::open_or_create(&ledger).unwrap();
    let (identity, key) = embedded_identity(&ca, "Dave", role).unwrap();
    NewWallet {
        name: "Dave".into(),
        role,
        identity,
        backend: BackendProfile::Embedded { dir: ledger },
        signing_key_pem: Some(key),
    }
    .create(&root.join("wallet"), PASSWORD, FAST)
    .unwrap()
}

#[tokio::test]
async fn embedded_renewal_keeps_the_key_and_the_index_and_keeps_the_old_certificate() {
    let root = tempfile::tempdir().unwrap();
    let wallet = embedded_wallet(root.path(), UserRole::Pharmacist);
    let before = wallet.profile().unwrap();
    let key_before = connect::client_public_key(&before).unwrap();
    let renewal = renew(&wallet, PASSWORD).await.unwrap();
    let after = wallet.profile().unwrap();
    assert_eq!(connect::client_public_key(&after).unwrap(), key_before);
    assert_ne!(renewal.old.serial, renewal.new.serial);
    assert_eq!(renewal.new.role.as_deref(), Some("pharmacist"));
    assert_eq!(after.previous_identities.len(), 1);
    assert_eq!(after.previous_identities[0].identity, before.identity);
    // The renewed wallet still signs with its key.
    let secrets = wallet.secrets(PASSWORD).unwrap();
    connect::identity_signer(&after, &secrets).unwrap();
    // A second renewal appends again, oldest first.
    renew(&wallet, PASSWORD).await.unwrap();
    let again = wallet.profile().unwrap();
    assert_eq!(again.previous_identities.len(), 2);
    assert_eq!(again.previous_identities[0].identity, before.identity);
}

#[tokio::test]
async fn renewal_needs_the_password() {
    let root = tempfile::tempdir().unwrap();
    let wallet = embedded_wallet(root.path(), UserRole::Doctor);
    let before = wallet.profile().unwrap();
    let e = renew(&wallet, "wrong").await.unwrap_err();
    assert!(e.to_string().contains("wrong password"), "{e}");
    assert_eq!(wallet.profile().unwrap(), before);
}

#[tokio::test]
async fn an_identity_from_files_has_no_ca_to_renew_with() {
    let root = tempfile::tempdir().unwrap();
    let wallet = embedded_wallet(root.path(), UserRole::Doctor);
    wallet
        .update(|p| {
            p.identity = IdentityLocation::MspFolder {
                msp_id: "Org1MSP".into(),
                path: root.path().join("msp"),
            }
        })
        .unwrap();
    let e = renew(&wallet, PASSWORD).await.unwrap_err();
    assert!(matches!(e, IdentityError::NoCa), "{e}");
    assert!(e.to_string().contains("nothing to renew"), "{e}");
}

#[tokio::test]
async fn an_expired_certificate_is_refused_before_anything_is_submitted() {
    let root = tempfile::tempdir().unwrap();
    let wallet = embedded_wallet(root.path(), UserRole::Doctor);
    let secrets = wallet.secrets(PASSWORD).unwrap();
    let ca = LocalCa::open_or_create(&root.path().join("ledger")).unwrap();
    let expired = ca
        .reissue(
            "Dave",
            "doctor",
            secrets.signing_key_pem.as_deref().unwrap(),
            Validity {
                from: (2020, 1, 1),
                until: (2021, 1, 1),
            },
        )
        .unwrap();
    wallet
        .update(|p| {
            p.identity = IdentityLocation::Embedded {
                msp_id: connect::EMBEDDED_MSP_ID.into(),
                certificate_pem: expired.certificate_pem.clone(),
            }
        })
        .unwrap();
    let e = connect::connect(&wallet.profile().unwrap())
        .await
        .err()
        .unwrap();
    assert!(matches!(e, ConnectError::Expired { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "your certificate expired on 2021-01-01 00:00:00 UTC, so the network would refuse it; run `medchain renew` before trying again"
    );
    // Renewal makes it valid again, with the same key.
    let renewal = renew(&wallet, PASSWORD).await.unwrap();
    assert!(renewal.old.expired_at(SystemTime::now()));
    assert!(!renewal.new.expired_at(SystemTime::now()));
    connect::connect(&wallet.profile().unwrap()).await.unwrap();
}

#[tokio::test]
async fn an_expired_ca_certificate_is_not_sent_to_the_ca_and_is_not_called_revoked() {
    let root = tempfile::tempdir().unwrap();
    let wallet = embedded_wallet(root.path(), UserRole::Pharmacist);
    let secrets = wallet.secrets(PASSWORD).unwrap();
    let ca = LocalCa::open_or_create(&root.path().join("ledger")).unwrap();
    let expired = ca
        .reissue(
            "Phil",
            "pharmacist",
            secrets.signing_key_pem.as_deref().unwrap(),
            Validity {
                from: (2020, 1, 1),
                until: (2021, 1, 1),
            },
        )
        .unwrap();
    // Enrolled with a CA nothing listens for: asking it would fail otherwise.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    wallet
        .update(|p| {
            p.identity = IdentityLocation::Enrolled {
                msp_id: "Org2MSP".into(),
                certificate_pem: expired.certificate_pem.clone(),
                ca: crate::wallet::CaLink {
                    url: format!("https://127.0.0.1:{port}"),
                    ca_name: None,
                    tls_ca_pem: expired.certificate_pem.clone(),
                    enrollment_id: "Phil".into(),
                },
            }
        })
        .unwrap();
    let e = renew(&wallet, PASSWORD).await.unwrap_err();
    assert!(matches!(e, IdentityError::ExpiredEnrollment { .. }), "{e}");
    assert!(
        e.to_string().starts_with(
            "your certificate expired on 2021-01-01 00:00:00 UTC, and a Fabric CA renews only"
        ),
        "{e}"
    );
    assert!(!e.to_string().contains("revoked"), "{e}");
}

#[test]
fn certificate_info_reads_issuer_role_serial_and_expiry() {
    let root = tempfile::tempdir().unwrap();
    let ca = LocalCa::open_or_create(root.path()).unwrap();
    let issued = ca.issue("Erin", "insurer").unwrap();
    let info = CertificateInfo::from_pem(&issued.certificate_pem).unwrap();
    assert_eq!(info.issuer, "CN=medchain embedded ledger CA");
    assert!(info.subject.contains("CN=Erin"), "{}", info.subject);
    assert_eq!(info.role.as_deref(), Some("insurer"));
    assert_eq!(info.serial.len(), 32);
    let now = SystemTime::now();
    assert!(!info.expired_at(now));
    assert!(info.expired_at(now + Duration::from_secs(367 * 86_400)));
    assert!(info.not_after_text().ends_with("00:00:00 UTC"));
    let e = CertificateInfo::from_pem("not a certificate").unwrap_err();
    assert!(matches!(e, IdentityError::Certificate(_)), "{e}");
}

#[test]
fn a_profile_without_a_ca_for_the_org_says_so() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("profile.json");
    std::fs::write(
        &path,
        r#"{"channel": "c", "chaincode": "m", "orgs": {"org1": {"msp_id": "Org1MSP",
            "gateway": {"endpoint": "127.0.0.1:1", "tls_ca": "t.pem"}}}}"#,
    )
    .unwrap();
    let network = connect::NetworkProfile::read(&path).unwrap();
    let e = CaTarget::from_profile(&network, &path, "org1").unwrap_err();
    assert!(e.to_string().contains("lists no Fabric CA"), "{e}");
    let e = CaTarget::from_profile(&network, &path, "org9").unwrap_err();
    assert!(e.to_string().contains("no organisation \"org9\""), "{e}");
}
