//! Bad input through the `medchain` binary: each ends with one sentence on
//! stderr and the documented exit code, and leaves the wallet (and the
//! ledger) as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::cli_support::{Env, field, ledger_size, small_case};

#[test]
fn an_unknown_case_is_exit_code_4() {
    let env = Env::new();
    small_case(&env);
    let before = env.snapshot("alice");
    let unknown = "ab".repeat(32);
    for args in [
        vec!["respond", "--case", &unknown],
        vec!["audit", "--case", &unknown],
        vec!["read", "--case", &unknown],
    ] {
        env.run("alice", &args)
            .fails(4, &format!("there is no case {unknown} on the ledger"));
    }
    env.run("alice", &["read", "--record", &unknown])
        .fails(4, "check the id you gave");
    assert_eq!(env.snapshot("alice"), before);
    // A malformed case id is a usage error.
    env.run("alice", &["respond", "--case", "xyz"])
        .fails(2, "is not a case id");
}

#[test]
fn a_malformed_selection_is_exit_code_2_and_opens_nothing() {
    let env = Env::new();
    small_case(&env);
    let before = env.snapshot("carol");
    let ledger = ledger_size(&env);

    let garbage = env.path("garbage.json");
    std::fs::write(&garbage, "{\"not\": \"a selection\"}").unwrap();
    let blank_png = env.path("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(&blank_png)
        .unwrap();
    let broken_png = env.path("broken.png");
    std::fs::write(&broken_png, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let bad_key = env.path("bad-key.json");
    std::fs::write(
        &bad_key,
        format!(
            "{{\"format\":\"medchain-selection-v1\",\"patient_key\":\"{}\",\"doctor\":\"0000000000000001\"}}",
            "04".repeat(65)
        ),
    )
    .unwrap();
    for (file, text) in [
        (&garbage, "is not a medchain selection"),
        (&blank_png, "no readable QR code"),
        (&broken_png, "not a readable PNG"),
        (&bad_key, "ask the patient"),
        (&env.path("missing.png"), "cannot read the selection"),
    ] {
        env.run(
            "carol",
            &["open-case", "--selection", file.to_str().unwrap()],
        )
        .fails(2, text);
    }
    assert_eq!(env.snapshot("carol"), before);
    assert_eq!(ledger_size(&env), ledger);
}

#[test]
fn a_wrong_password_is_exit_code_3_and_changes_nothing() {
    let env = Env::new();
    let case = small_case(&env);
    let alice = env.snapshot("alice");
    let carol = env.snapshot("carol");
    let ledger = ledger_size(&env);
    env.run_with(
        "alice",
        Some("not alice's"),
        true,
        &["respond", "--case", &case],
    )
    .fails(3, "wrong password for the wallet");
    let selection = env.path("selection.json");
    env.run_with(
        "carol",
        Some("not carol's"),
        true,
        &["open-case", "--selection", selection.to_str().unwrap()],
    )
    .fails(3, "wrong password for the wallet");
    let file = env.path("wrong.password");
    std::fs::write(&file, "guess\n").unwrap();
    env.run_with(
        "alice",
        None,
        true,
        &[
            "--password-file",
            file.to_str().unwrap(),
            "audit",
            "--case",
            &case,
        ],
    )
    .fails(3, "wrong password");
    // No password at all, and no terminal to ask on.
    env.run_with("alice", None, true, &["respond", "--case", &case])
        .fails(2, "set MEDCHAIN_PASSWORD or pass --password-file");
    assert_eq!(env.snapshot("alice"), alice);
    assert_eq!(env.snapshot("carol"), carol);
    assert_eq!(ledger_size(&env), ledger);
}

#[test]
fn steps_out_of_order_are_exit_code_7_and_change_nothing() {
    let env = Env::new();
    let case = small_case(&env);
    let carol = env.snapshot("carol");
    let ledger = ledger_size(&env);
    env.run("carol", &["establish", "--case", &case])
        .fails(7, "not everyone has answered");
    env.run("carol", &["establish", "--case", &case, "--wait", "1"])
        .fails(7, "still waits for");
    env.run(
        "carol",
        &["record", "--case", &case, "--message", "too early"],
    )
    .fails(7, "not established yet");
    assert_eq!(env.snapshot("carol"), carol);
    assert_eq!(ledger_size(&env), ledger);

    env.run("alice", &["respond", "--case", &case]).ok();
    let alice = env.snapshot("alice");
    let ledger = ledger_size(&env);
    env.run("alice", &["respond", "--case", &case])
        .fails(7, "already answered");
    // The patient has nothing to read before the diagnosis.
    env.run(
        "alice",
        &["record", "--case", &case, "--type", "txd", "--message", "x"],
    )
    .fails(7, "no diagnosis yet");
    assert_eq!(env.snapshot("alice"), alice);
    assert_eq!(ledger_size(&env), ledger);

    env.run("carol", &["establish", "--case", &case]).ok();
    env.run("carol", &["establish", "--case", &case])
        .fails(7, "already established");
}

#[test]
fn other_bad_input_is_one_sentence_with_its_code() {
    let env = Env::new();
    let case = small_case(&env);
    let alice = env.snapshot("alice");
    // A second wallet in the same place.
    env.run("alice", &["init", "--name", "Alice", "--role", "patient"])
        .fails(2, "a wallet already exists");
    // No wallet at all.
    env.run("nobody", &["cases"])
        .fails(4, "create one with `medchain init`");
    // A patient does not register or open cases.
    env.run("alice", &["register"])
        .fails(2, "does not register");
    let selection = env.path("selection.json");
    env.run(
        "alice",
        &["open-case", "--selection", selection.to_str().unwrap()],
    )
    .fails(2, "only a doctor opens cases");
    // Weak Argon2id parameters need the explicit test flag.
    env.run_with(
        "carol",
        Some(&crate::cli_support::password("carol")),
        false,
        &[
            "open-case",
            "--selection",
            selection.to_str().unwrap(),
            "--kdf-m",
            "64",
            "--kdf-t",
            "1",
        ],
    )
    .fails(2, "below the minimum");
    // An unregistered pharmacist cannot be selected.
    env.run(
        "alice",
        &["select", "--doctor", "0000000000000001", "--no-qr"],
    )
    .fails(2, "no doctor is registered under 0000000000000001");
    env.run("alice", &["select", "--doctor", "nonsense"])
        .fails(2, "is neither a participant index");
    // A usage error from the command line parser is exit code 2 too.
    let parse = env.run("alice", &["record", "--case", &case]);
    assert_eq!(parse.code, 2, "{parse:?}");
    assert_eq!(env.snapshot("alice"), alice);
}

#[test]
fn json_errors_name_the_exit_code() {
    let env = Env::new();
    env.init("alice", "patient");
    let failed = env.run("alice", &["--json", "audit", "--case", &"cd".repeat(32)]);
    assert_eq!(failed.code, 4);
    let error = failed.json();
    assert_eq!(error["error"]["exit_code"], 4);
    assert_eq!(error["error"]["kind"], "not-found");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no case")
    );
}

#[test]
fn an_unreachable_ledger_is_exit_code_6() {
    let env = Env::new();
    // The embedded ledger's directory cannot be created.
    std::fs::write(env.path("file"), "").unwrap();
    let run = |args: &[&str]| {
        let mut full = vec!["init", "--name", "Carol", "--role", "doctor", "--ledger"];
        full.extend_from_slice(args);
        env.run("carol", &full)
    };
    // `init` opens the ledger (its CA issues the certificate): it fails
    // and makes no wallet.
    run(&[env.path("file").join("ledger").to_str().unwrap()]).fails(6, "cannot access");
    assert!(!env.path("carol").join("wallet.json").exists());

    // A Fabric peer that is down.
    let msp = env.path("msp");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["user".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::create_dir_all(msp.join("signcerts")).unwrap();
    std::fs::create_dir_all(msp.join("keystore")).unwrap();
    std::fs::write(msp.join("signcerts/cert.pem"), cert.pem()).unwrap();
    std::fs::write(msp.join("keystore/priv_sk"), key.serialize_pem()).unwrap();
    std::fs::write(env.path("tlsca.pem"), cert.pem()).unwrap();
    let profile = env.path("profile.json");
    std::fs::write(
        &profile,
        format!(
            r#"{{"channel": "medchain", "chaincode": "medchain",
                "orgs": {{"org1": {{"msp_id": "Org1MSP", "gateway": {{"endpoint": "127.0.0.1:1", "tls_ca": "{}", "server_name": "peer0.org1.example.com"}}}}}},
                "roles": {{"doctor": {{"org": "org1", "msp_id": "Org1MSP", "msp_dir": "{}"}}}}}}"#,
            env.path("tlsca.pem").display(),
            msp.display()
        ),
    )
    .unwrap();
    env.run(
        "dora",
        &[
            "init",
            "--name",
            "Dora",
            "--role",
            "doctor",
            "--gateway",
            profile.to_str().unwrap(),
            "--user",
            "doctor",
        ],
    )
    .ok();
    let whoami = env.run("dora", &["--json", "whoami"]).ok().json();
    assert!(field(&whoami, "identity").contains("MSP folder"));
    let before = env.snapshot("dora");
    env.run("dora", &["register"])
        .fails(6, "cannot connect to the gateway peer at 127.0.0.1:1");
    assert_eq!(env.snapshot("dora"), before);
    // An identity the profile does not list.
    env.run(
        "eve",
        &[
            "init",
            "--name",
            "Eve",
            "--role",
            "doctor",
            "--gateway",
            profile.to_str().unwrap(),
            "--user",
            "nurse",
        ],
    )
    .fails(2, "lists no user \"nurse\"");
}

#[test]
fn only_the_doctor_of_the_case_establishes_and_a_patient_stores_no_records() {
    let env = Env::new();
    let case = small_case(&env);
    env.run("alice", &["respond", "--case", &case]).ok();
    let alice = env.snapshot("alice");
    let carol = env.snapshot("carol");
    let ledger = ledger_size(&env);
    env.run("alice", &["establish", "--case", &case]).fails(
        2,
        &format!("only the doctor of case {case} establishes its key"),
    );
    env.run("alice", &["record", "--case", &case, "--message", "x"])
        .fails(2, "a patient stores no records");
    assert_eq!(env.snapshot("alice"), alice);
    assert_eq!(env.snapshot("carol"), carol);
    assert_eq!(ledger_size(&env), ledger);
}

#[test]
fn init_refuses_an_empty_name_and_an_unknown_organisation_and_writes_nothing() {
    let env = Env::new();
    for name in ["", "   "] {
        env.run("nobody", &["init", "--name", name, "--role", "doctor"])
            .fails(2, "the name is empty; give --name with your name");
    }
    let profile = env.path("profile.json");
    std::fs::write(
        &profile,
        r#"{"channel": "medchain", "chaincode": "medchain",
            "orgs": {"org1": {"msp_id": "Org1MSP", "gateway": {"endpoint": "127.0.0.1:1", "tls_ca": "tlsca.pem"}}},
            "roles": {"doctor": {"org": "org1", "msp_id": "Org1MSP", "msp_dir": "msp"}}}"#,
    )
    .unwrap();
    env.run(
        "nobody",
        &[
            "init",
            "--name",
            "Nobody",
            "--role",
            "doctor",
            "--gateway",
            profile.to_str().unwrap(),
            "--user",
            "doctor",
            "--org",
            "org9",
        ],
    )
    .fails(
        2,
        "the network profile has no organisation \"org9\"; use one of: org1",
    );
    // Neither the wallet nor the default embedded ledger was created.
    assert!(!env.path("nobody").exists());
    assert!(!env.path("ledger").exists());
}

/// Protocol v2, attack 4: one password protects the wallet and every case,
/// and every record is an offline test of it, so `init` refuses a password
/// that is easy to guess — with one sentence that does not repeat it — and
/// writes nothing.
#[test]
fn init_refuses_a_weak_password_and_writes_nothing() {
    let env = Env::new();
    for weak in ["password", "alice2024", "qwertyuiop", "Alice12345"] {
        let run = env
            .run_with(
                "alice",
                Some(weak),
                true,
                &["init", "--name", "Alice", "--role", "patient"],
            )
            .fails(2, "the password is too easy to guess")
            .fails(2, "choose a longer one, e.g. four or five unrelated words");
        assert!(
            !run.stderr.contains(weak) || weak == "password",
            "{weak} echoed"
        );
        assert!(!env.path("alice").exists(), "{weak}: a wallet was written");
    }
    env.run_with(
        "alice",
        Some("vivid otter maple quartz"),
        true,
        &["init", "--name", "Alice", "--role", "patient"],
    )
    .ok();
}
