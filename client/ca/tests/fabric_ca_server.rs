//! Integration tests against the real `fabric-ca-server` (and, for
//! interoperability, the real `fabric-ca-client`), both installed by
//! `network/install-fabric-ca.sh`. Each test starts its own server on
//! 127.0.0.1 with TLS on, in a temp directory, and kills it when done.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fabric_ca_client::{
    Attribute, AttributeRequest, CaClient, CaError, EnrollRequest, Enrollment, RegistrationRequest,
    RevocationRequest, RevocationTarget,
};
use zeroize::Zeroizing;

const ROLE: &str = "medchain.role";

/// The directory holding fabric-ca-server and fabric-ca-client.
fn bin_dir() -> PathBuf {
    let dir = match std::env::var_os("MEDCHAIN_FABRIC_CA_BIN") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/medchain/fabric-ca-v1.5.21/bin"),
    };
    for tool in ["fabric-ca-server", "fabric-ca-client"] {
        assert!(
            dir.join(tool).is_file(),
            "{tool} is not in {} (MEDCHAIN_FABRIC_CA_BIN or the default cache); run `bash network/install-fabric-ca.sh` first.",
            dir.display()
        );
    }
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running fabric-ca-server, killed (by its own pid) when dropped.
struct Server {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Self {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("server");
        std::fs::create_dir_all(&home).unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let port = free_port();
        let child = Command::new(bin.join("fabric-ca-server"))
            .arg("start")
            .args(["-b", "admin:adminpw", "--port", &port.to_string()])
            .args(["--tls.enabled", "--csr.hosts", "127.0.0.1,localhost"])
            .args([
                "--operations.listenaddress",
                &format!("127.0.0.1:{}", free_port()),
            ])
            .args(["--home", home.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Self { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let listening = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if listening && server.tls_pem_path().is_file() {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("fabric-ca-server exited with {status}: {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "fabric-ca-server did not listen within 60s: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn tls_pem_path(&self) -> PathBuf {
        self.dir.path().join("server/tls-cert.pem")
    }

    /// The server's TLS certificate and the CA certificate, the trust anchors.
    fn trust_pem(&self) -> String {
        let mut pem = std::fs::read_to_string(self.tls_pem_path()).unwrap();
        pem.push_str(&std::fs::read_to_string(self.dir.path().join("server/ca-cert.pem")).unwrap());
        pem
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn client(&self) -> CaClient {
        CaClient::new(&self.url(), &self.trust_pem()).unwrap()
    }
}

fn public_key(enrollment: &Enrollment) -> Vec<u8> {
    enrollment.public_key_der().unwrap()
}

fn pharmacist(id: &str) -> RegistrationRequest {
    RegistrationRequest {
        id: id.into(),
        identity_type: "client".into(),
        affiliation: "org1.department1".into(),
        attributes: vec![Attribute {
            name: ROLE.into(),
            value: "pharmacist".into(),
            ecert: true,
        }],
        max_enrollments: None,
        secret: None,
    }
}

fn server_code(result: Result<impl std::fmt::Debug, CaError>) -> i64 {
    match result {
        Err(CaError::Server { code, message, .. }) => {
            assert!(!message.is_empty());
            code
        }
        other => panic!("want the CA's refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn enroll_register_reenroll_and_revoke_against_fabric_ca_server() {
    let server = Server::start();
    let ca = server.client();

    let info = ca.ca_info().await.unwrap();
    assert!(info.ca_chain_pem.contains("BEGIN CERTIFICATE"), "{info:?}");
    assert_eq!(info.version.as_deref(), Some("1.5.21"));

    let admin = ca
        .enroll("admin", "adminpw", &EnrollRequest::default())
        .await
        .unwrap();
    assert!(admin.certificate_pem().contains("BEGIN CERTIFICATE"));
    assert_eq!(admin.ca_chain_pem(), info.ca_chain_pem);

    // The token our client makes is accepted: register needs it.
    let secret = ca.register(&admin, &pharmacist("pharma1")).await.unwrap();
    assert!(!secret.is_empty());
    let user = ca
        .enroll("pharma1", &secret, &EnrollRequest::default())
        .await
        .unwrap();
    let identity =
        fabric_shim::ClientIdentity::from_pem("Org1MSP", user.certificate_pem()).unwrap();
    assert_eq!(identity.attribute(ROLE).as_deref(), Some("pharmacist"));
    assert_eq!(
        identity.attribute("hf.EnrollmentID").as_deref(),
        Some("pharma1")
    );

    // A given secret and an explicit attribute request.
    let mut request = pharmacist("pharma2");
    request.secret = Some(Zeroizing::new("pharma2pw".into()));
    assert_eq!(
        ca.register(&admin, &request).await.unwrap().as_str(),
        "pharma2pw"
    );
    let only_role = EnrollRequest {
        attributes: vec![AttributeRequest {
            name: ROLE.into(),
            optional: false,
        }],
        ..EnrollRequest::default()
    };
    let second = ca.enroll("pharma2", "pharma2pw", &only_role).await.unwrap();
    let identity =
        fabric_shim::ClientIdentity::from_pem("Org1MSP", second.certificate_pem()).unwrap();
    assert_eq!(identity.attribute(ROLE).as_deref(), Some("pharmacist"));
    assert_eq!(identity.attribute("hf.EnrollmentID"), None);

    // Reenrollment keeps the key pair and issues a new certificate.
    let renewed = ca.reenroll(&user).await.unwrap();
    assert_eq!(public_key(&renewed), public_key(&user));
    assert_ne!(renewed.certificate_pem(), user.certificate_pem());
    let identity =
        fabric_shim::ClientIdentity::from_pem("Org1MSP", renewed.certificate_pem()).unwrap();
    assert_eq!(identity.attribute(ROLE).as_deref(), Some("pharmacist"));

    // A wrong secret is the CA's authentication failure (code 20).
    let code = server_code(
        ca.enroll("pharma2", "wrong", &EnrollRequest::default())
            .await,
    );
    assert_eq!(code, 20);

    // The CA authenticates a current certificate without changing anything
    // (a client may not read registrations: still authenticated).
    ca.authenticate(&renewed, "pharma1").await.unwrap();
    ca.authenticate(&admin, "pharma1").await.unwrap();

    // After revocation the identity cannot reenroll.
    let revoked = ca
        .revoke(
            &admin,
            &RevocationRequest {
                target: RevocationTarget::Identity("pharma1".into()),
                reason: Some("keycompromise".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(revoked.len(), 2, "{revoked:?}");
    let code = server_code(ca.reenroll(&renewed).await);
    assert!(code > 0, "{code}");
    // …and the CA no longer authenticates its certificate.
    assert_eq!(server_code(ca.authenticate(&renewed, "pharma1").await), 20);
    assert!(matches!(
        ca.authenticate(&admin, "pharma1/../x").await,
        Err(CaError::Credential(_))
    ));

    // A non-registrar cannot register.
    server_code(ca.register(&second, &pharmacist("pharma3")).await);
}

#[tokio::test]
async fn an_enrollment_made_by_fabric_ca_client_loads_and_reenrolls() {
    let server = Server::start();
    let home = server.dir.path().join("client");
    let msp = home.join("msp");
    let output = Command::new(bin_dir().join("fabric-ca-client"))
        .arg("enroll")
        .args([
            "-u",
            &format!("https://admin:adminpw@127.0.0.1:{}", server.port),
        ])
        .args(["--tls.certfiles", server.tls_pem_path().to_str().unwrap()])
        .args(["--mspdir", msp.to_str().unwrap()])
        .args(["-H", home.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fabric-ca-client enroll: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let credentials = fabric_gateway::Credentials::from_msp_folder(&msp, "Org1MSP").unwrap();
    assert_eq!(credentials.identity().msp_id(), "Org1MSP");

    let admin = Enrollment::from_msp_folder(&msp).unwrap();
    assert!(admin.ca_chain_pem().contains("BEGIN CERTIFICATE"));
    let ca = server.client();
    let renewed = ca.reenroll(&admin).await.unwrap();
    assert_eq!(public_key(&renewed), public_key(&admin));
    // The CLI's identity is a registrar our token speaks for.
    ca.register(&admin, &pharmacist("cli-made")).await.unwrap();
    assert!(matches!(
        Enrollment::from_msp_folder(Path::new("/nonexistent")),
        Err(CaError::Credential(_))
    ));
}
