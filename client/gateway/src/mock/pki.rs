//! Test certificates made with rcgen, shaped like cryptogen's output: an
//! organisation CA issuing P-256 identity and TLS certificates, and MSP
//! folders (`signcerts/`, `keystore/`) written the way cryptogen and
//! fabric-ca-client write them.

use std::fs;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};

/// A certificate authority of one organisation.
pub struct TestCa {
    /// The CA certificate, PEM.
    pub certificate_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its PKCS#8 private key, both PEM.
#[derive(Clone)]
pub struct Issued {
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The PKCS#8 private key, PEM.
    pub key_pem: String,
    /// The SEC1 uncompressed public key, straight from the key pair.
    pub public_key_sec1: Vec<u8>,
}

impl TestCa {
    /// A self-signed P-256 CA named `common_name`.
    pub fn new(common_name: &str) -> Self {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "org1.example.com");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let certificate = params.self_signed(&key).unwrap();
        Self {
            certificate_pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An identity certificate (as in `users/User1@org1.example.com/msp`).
    pub fn issue_identity(&self, common_name: &str) -> Issued {
        self.issue(common_name, Vec::new(), Vec::new())
    }

    /// A TLS server certificate naming `dns_names`.
    pub fn issue_tls_server(&self, dns_names: &[&str]) -> Issued {
        let names = dns_names.iter().map(|n| n.to_string()).collect();
        self.issue(
            dns_names[0],
            names,
            vec![ExtendedKeyUsagePurpose::ServerAuth],
        )
    }

    /// A TLS client certificate.
    pub fn issue_tls_client(&self, common_name: &str) -> Issued {
        self.issue(
            common_name,
            vec![common_name.to_string()],
            vec![ExtendedKeyUsagePurpose::ClientAuth],
        )
    }

    fn issue(
        &self,
        common_name: &str,
        dns_names: Vec<String>,
        extended: Vec<ExtendedKeyUsagePurpose>,
    ) -> Issued {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(dns_names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = extended;
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            public_key_sec1: key.public_key_raw().to_vec(),
        }
    }
}

/// A fresh P-256 key pair in PKCS#8 PEM, certified by nobody.
pub fn stray_key_pem() -> String {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .unwrap()
        .serialize_pem()
}

/// Writes an MSP folder the way cryptogen does:
/// `signcerts/<name>-cert.pem`, `keystore/priv_sk`, `cacerts/`.
pub fn write_cryptogen_msp(dir: &Path, user: &str, ca: &TestCa, identity: &Issued) {
    fs::create_dir_all(dir.join("signcerts")).unwrap();
    fs::create_dir_all(dir.join("keystore")).unwrap();
    fs::create_dir_all(dir.join("cacerts")).unwrap();
    fs::write(
        dir.join("signcerts").join(format!("{user}-cert.pem")),
        &identity.certificate_pem,
    )
    .unwrap();
    fs::write(dir.join("keystore").join("priv_sk"), &identity.key_pem).unwrap();
    fs::write(
        dir.join("cacerts").join("ca.org1.example.com-cert.pem"),
        &ca.certificate_pem,
    )
    .unwrap();
}
