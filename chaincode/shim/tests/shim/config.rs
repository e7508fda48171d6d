//! Server configuration from the CCaaS environment variables: every rule
//! has a negative test whose one-line message names the variable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::ffi::OsString;

use crate::common::{KvChaincode, TestCa};
use fabric_shim::server::{ConfigError, ServeError, ServerConfig, serve};

fn load(vars: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
    let map: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    ServerConfig::from_lookup(|name| map.get(name).cloned())
}

fn rejected(vars: &[(&str, &str)], variable: &str, needle: &str) {
    let error = load(vars).expect_err("configuration should be rejected");
    let text = error.to_string();
    assert_eq!(error.variable(), variable, "{text}");
    assert!(text.starts_with(variable), "{text}");
    assert!(
        text.contains(needle),
        "{text:?} does not contain {needle:?}"
    );
    assert!(
        !text.contains('\n'),
        "the message must be one line: {text:?}"
    );
}

const BASE: [(&str, &str); 2] = [
    ("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:9999"),
    ("CHAINCODE_ID", "kv:abc"),
];

fn with(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    BASE.iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .chain(extra.iter().map(|(k, v)| (*k, (*v).to_owned())))
        .collect()
}

fn as_refs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A fresh directory for test files, removed when the test ends.
fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("fabric-shim-config-")
        .tempdir()
        .unwrap()
}

fn write(dir: &std::path::Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn plain_configuration_and_spellings() {
    let config = load(&BASE).unwrap();
    assert_eq!(config.address.to_string(), "127.0.0.1:9999");
    assert_eq!(config.chaincode_id, "kv:abc");
    assert!(config.tls.is_none());

    let core = load(&[
        ("CHAINCODE_SERVER_ADDRESS", ":7052"),
        ("CORE_CHAINCODE_ID_NAME", "kv:def"),
    ])
    .unwrap();
    assert_eq!(core.chaincode_id, "kv:def");
    assert_eq!(core.address.to_string(), "0.0.0.0:7052");

    let both_same = load(&[
        ("CHAINCODE_SERVER_ADDRESS", "localhost:7052"),
        ("CHAINCODE_ID", "kv:x"),
        ("CORE_CHAINCODE_ID_NAME", "kv:x"),
    ])
    .unwrap();
    assert_eq!(both_same.chaincode_id, "kv:x");
}

#[test]
fn address_errors() {
    rejected(
        &[("CHAINCODE_ID", "kv:abc")],
        "CHAINCODE_SERVER_ADDRESS",
        "is not set",
    );
    rejected(
        &[("CHAINCODE_SERVER_ADDRESS", ""), ("CHAINCODE_ID", "kv:abc")],
        "CHAINCODE_SERVER_ADDRESS",
        "is not set",
    );
    rejected(
        &[
            ("CHAINCODE_SERVER_ADDRESS", "no-port"),
            ("CHAINCODE_ID", "kv:abc"),
        ],
        "CHAINCODE_SERVER_ADDRESS",
        "is not a usable host:port address",
    );
    rejected(
        &[
            ("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:99999"),
            ("CHAINCODE_ID", "kv:abc"),
        ],
        "CHAINCODE_SERVER_ADDRESS",
        "e.g. 0.0.0.0:9999",
    );
}

#[test]
fn chaincode_id_errors() {
    rejected(
        &[("CHAINCODE_SERVER_ADDRESS", ":9999")],
        "CHAINCODE_ID",
        "nor is CORE_CHAINCODE_ID_NAME",
    );
    rejected(
        &[
            ("CHAINCODE_SERVER_ADDRESS", ":9999"),
            ("CHAINCODE_ID", "a:1"),
            ("CORE_CHAINCODE_ID_NAME", "b:2"),
        ],
        "CHAINCODE_ID",
        "differ",
    );
    rejected(
        &[
            ("CHAINCODE_SERVER_ADDRESS", ":9999"),
            ("CHAINCODE_ID", "kv abc"),
        ],
        "CHAINCODE_ID",
        "whitespace",
    );
}

#[test]
fn tls_configuration_loads_from_files() {
    let temp = temp_dir();
    let dir = temp.path();
    let ca = TestCa::new("ca");
    let server = ca.server();
    let cert = write(dir, "cert.pem", &server.cert_pem);
    let key = write(dir, "key.pem", &server.key_pem);
    let client_ca = write(dir, "ca.pem", &ca.pem);

    let tls = load(&as_refs(&with(&[
        ("CHAINCODE_TLS_CERT", &cert),
        ("CHAINCODE_TLS_KEY", &key),
    ])))
    .unwrap();
    assert!(!tls.tls.unwrap().requires_client_certificates());
    let mutual = load(&as_refs(&with(&[
        ("CHAINCODE_TLS_CERT", &cert),
        ("CHAINCODE_TLS_KEY", &key),
        ("CHAINCODE_CLIENT_CA_CERT", &client_ca),
    ])))
    .unwrap();
    let shown = format!("{mutual:?}");
    assert!(
        !shown.contains("PRIVATE KEY"),
        "Debug must not show the key: {shown}"
    );
    assert!(mutual.tls.unwrap().requires_client_certificates());
}

/// Extra variables, the variable blamed, and a phrase of the message.
type Case<'a> = (Vec<(&'static str, &'a str)>, &'static str, &'static str);

#[test]
fn tls_errors_name_the_variable() {
    let temp = temp_dir();
    let dir = temp.path();
    let ca = TestCa::new("ca");
    let server = ca.server();
    let other = ca.server();
    let cert = write(dir, "cert.pem", &server.cert_pem);
    let key = write(dir, "key.pem", &server.key_pem);
    let other_key = write(dir, "other-key.pem", &other.key_pem);
    let not_pem = write(dir, "junk.pem", "hello");
    let missing = dir.join("missing.pem").to_string_lossy().into_owned();

    let cases: Vec<Case> = vec![
        (
            vec![("CHAINCODE_TLS_CERT", &cert)],
            "CHAINCODE_TLS_KEY",
            "is not set but CHAINCODE_TLS_CERT is",
        ),
        (
            vec![("CHAINCODE_TLS_KEY", &key)],
            "CHAINCODE_TLS_CERT",
            "is not set but CHAINCODE_TLS_KEY is",
        ),
        (
            vec![("CHAINCODE_CLIENT_CA_CERT", &cert)],
            "CHAINCODE_CLIENT_CA_CERT",
            "TLS is off",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &missing),
                ("CHAINCODE_TLS_KEY", &key),
            ],
            "CHAINCODE_TLS_CERT",
            "cannot be read",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &cert),
                ("CHAINCODE_TLS_KEY", &missing),
            ],
            "CHAINCODE_TLS_KEY",
            "cannot be read",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &not_pem),
                ("CHAINCODE_TLS_KEY", &key),
            ],
            "CHAINCODE_TLS_CERT",
            "holds no PEM certificate",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &cert),
                ("CHAINCODE_TLS_KEY", &not_pem),
            ],
            "CHAINCODE_TLS_KEY",
            "holds no PEM private key",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &cert),
                ("CHAINCODE_TLS_KEY", &other_key),
            ],
            "CHAINCODE_TLS_KEY",
            "do not form a usable TLS identity",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &cert),
                ("CHAINCODE_TLS_KEY", &key),
                ("CHAINCODE_CLIENT_CA_CERT", &not_pem),
            ],
            "CHAINCODE_CLIENT_CA_CERT",
            "holds no PEM certificate",
        ),
        (
            vec![
                ("CHAINCODE_TLS_CERT", &cert),
                ("CHAINCODE_TLS_KEY", &key),
                ("CHAINCODE_CLIENT_CA_CERT", &missing),
            ],
            "CHAINCODE_CLIENT_CA_CERT",
            "cannot be read",
        ),
    ];
    for (extra, variable, needle) in cases {
        rejected(&as_refs(&with(&extra)), variable, needle);
    }
}

#[tokio::test]
async fn serve_reports_a_busy_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = ServerConfig::new(taken.local_addr().unwrap(), "kv:abc");
    let error = serve(config, KvChaincode, async {}).await.unwrap_err();
    assert!(matches!(error, ServeError::Bind { .. }), "{error:?}");
    assert!(
        error.to_string().contains("CHAINCODE_SERVER_ADDRESS"),
        "{error}"
    );

    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), "");
    let error = serve(config, KvChaincode, async {}).await.unwrap_err();
    assert!(matches!(error, ServeError::EmptyChaincodeId), "{error:?}");
}

/// `from_env` reads the real process environment: checked in a child
/// process (the environment cannot be changed safely in a threaded test).
#[test]
fn from_env_reads_the_process_environment() {
    const CHILD: &str = "MEDCHAIN_SHIM_FROM_ENV_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let config = ServerConfig::from_env().unwrap();
        assert_eq!(config.address.to_string(), "127.0.0.1:7777");
        assert_eq!(config.chaincode_id, "kv:from-env");
        assert!(config.tls.is_none());
        return;
    }
    // The child runs this test alone: the harness names it by its module
    // path without the crate (`config::…` in the shared test binary).
    let path = concat!(module_path!(), "::from_env_reads_the_process_environment");
    let name = path.split_once("::").map_or(path, |(_, name)| name);
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name])
        .env(CHILD, "1")
        .env("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:7777")
        .env("CORE_CHAINCODE_ID_NAME", "kv:from-env")
        .env_remove("CHAINCODE_ID")
        .env_remove("CHAINCODE_TLS_CERT")
        .env_remove("CHAINCODE_TLS_KEY")
        .env_remove("CHAINCODE_CLIENT_CA_CERT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test: {stdout}"
    );
}
