//! `init --ca`, `admin`, `renew` and `whoami` on the embedded ledger and
//! their refusals of bad input (the real-CA paths are in tests/e2e).

#![allow(clippy::unwrap_used)]

use crate::cli_support::{Env, field};

#[test]
fn whoami_shows_the_certificate_and_renew_keeps_the_index_and_the_history() {
    let env = Env::new();
    let created = env.init("dave", "pharmacist");
    let cert = &created["certificate"];
    assert_eq!(cert["issuer"], "CN=medchain embedded ledger CA");
    assert_eq!(cert["role_attribute"], "pharmacist");
    assert_eq!(cert["msp_id"], "EmbeddedMSP");
    assert_eq!(cert["expired"], false);
    assert_eq!(cert["previous_certificates"], 0);
    let first_serial = field(cert, "serial");
    let text = env.run("dave", &["whoami"]).ok().stdout;
    for line in [
        "issuer      CN=medchain embedded ledger CA",
        "role attr   pharmacist",
        "msp id      EmbeddedMSP",
        &format!("serial      {first_serial}"),
        "(valid)",
    ] {
        assert!(text.contains(line), "whoami lacks {line:?}:\n{text}");
    }
    let renewed = env.run("dave", &["--json", "renew"]).ok().json();
    assert_eq!(renewed["index"], created["index"]);
    assert_eq!(renewed["previous_serial"], first_serial.as_str());
    assert_eq!(renewed["previous_certificates"], 1);
    assert_ne!(renewed["serial"], first_serial.as_str());
    let after = env.run("dave", &["--json", "whoami"]).ok().json();
    assert_eq!(after["index"], created["index"]);
    assert_eq!(after["public_key"], created["public_key"]);
    assert_eq!(after["certificate"]["serial"], renewed["serial"]);
    assert_eq!(after["certificate"]["previous_certificates"], 1);
    // The renewed identity still registers and signs.
    env.run("dave", &["register"]).ok();
}

#[test]
fn renew_with_a_wrong_password_is_exit_code_3_and_changes_nothing() {
    let env = Env::new();
    env.init("erin", "insurer");
    let before = env.snapshot("erin");
    env.run_with("erin", Some("not it"), true, &["renew"])
        .fails(3, "wrong password for the wallet");
    assert_eq!(env.snapshot("erin"), before);
}

/// A profile whose org1 has a CA (with no registrar) at a closed port.
fn profile(env: &Env) -> String {
    let tls = env.path("ca-tls.pem");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(&tls, cert.pem()).unwrap();
    let path = env.path("profile.json");
    std::fs::write(
        &path,
        r#"{"channel": "medchain", "chaincode": "medchain",
            "orgs": {"org1": {"msp_id": "Org1MSP", "gateway": {"endpoint": "127.0.0.1:1", "tls_ca": "ca-tls.pem"},
                                "ca": {"url": "https://127.0.0.1:1", "ca_name": "ca-org1", "tls_ca": "ca-tls.pem", "root_cert": "ca-tls.pem"}},
                      "org2": {"msp_id": "Org2MSP", "gateway": {"endpoint": "127.0.0.1:1", "tls_ca": "ca-tls.pem"}}}}"#,
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

fn init_ca(env: &Env, profile: &str, extra: &[&str]) -> crate::cli_support::Run {
    let mut args = vec![
        "init",
        "--name",
        "Dave",
        "--role",
        "pharmacist",
        "--gateway",
        profile,
        "--enrollment-id",
        "dave",
    ];
    args.extend_from_slice(extra);
    env.run("dave", &args)
}

#[test]
fn init_with_a_ca_refuses_bad_options_and_writes_nothing() {
    let env = Env::new();
    let profile = profile(&env);
    // No secret and no terminal to ask for one.
    init_ca(&env, &profile, &["--ca", "org1"]).fails(
        2,
        "no enrollment secret was given and there is no terminal to ask for one; set MEDCHAIN_CA_SECRET or pass --secret-file",
    );
    let secret = env.path("secret");
    std::fs::write(&secret, "\n").unwrap();
    let secret = secret.to_str().unwrap();
    init_ca(&env, &profile, &["--ca", "org1", "--secret-file", secret])
        .fails(2, "holds an empty password or secret");
    std::fs::write(env.path("secret"), "s3cret\n").unwrap();
    // The CA is not running: unreachable.
    init_ca(&env, &profile, &["--ca", "org1", "--secret-file", secret])
        .fails(6, "cannot connect to the CA at 127.0.0.1:1");
    // An organisation without a CA, an unknown one, a URL without its TLS root.
    init_ca(&env, &profile, &["--ca", "org2", "--secret-file", secret])
        .fails(2, "organisation org2 in the network profile");
    init_ca(&env, &profile, &["--ca", "org9", "--secret-file", secret])
        .fails(2, "the network profile has no organisation \"org9\"");
    init_ca(
        &env,
        &profile,
        &["--ca", "https://127.0.0.1:1", "--secret-file", secret],
    )
    .fails(
        2,
        "give the PEM certificate that verifies its TLS certificate with --ca-tls",
    );
    let tls = env.path("ca-tls.pem");
    init_ca(
        &env,
        &profile,
        &[
            "--ca",
            "https://127.0.0.1:1",
            "--ca-tls",
            tls.to_str().unwrap(),
            "--secret-file",
            secret,
        ],
    )
    .fails(2, "with a --ca URL, give --msp-id");
    // The secret is never a plain argument.
    let run = init_ca(&env, &profile, &["--ca", "org1", "--secret", "s3cret"]);
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(!env.path("dave").exists());
}

#[test]
fn admin_register_needs_a_registrar_and_a_known_organisation() {
    let env = Env::new();
    let profile = profile(&env);
    let register = |ca: &str| {
        env.run(
            "admin",
            &[
                "admin",
                "register",
                "--gateway",
                &profile,
                "--ca",
                ca,
                "--role",
                "doctor",
                "--id",
                "carol",
            ],
        )
    };
    register("org1").fails(
        2,
        "the network profile names no registrar for org1; give the registrar's MSP folder with --registrar-msp DIR",
    );
    register("org9").fails(2, "the network profile has no organisation \"org9\"");
    let msp = env.path("no-msp");
    env.run(
        "admin",
        &[
            "admin",
            "revoke",
            "--gateway",
            &profile,
            "--ca",
            "org1",
            "--id",
            "carol",
            "--registrar-msp",
            msp.to_str().unwrap(),
        ],
    )
    .fails(2, "holds 0 certificates, not one");
}
