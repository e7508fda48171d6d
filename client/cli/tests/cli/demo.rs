//! `medchain demo` runs the whole workflow on a fresh embedded ledger with
//! the secure Argon2id parameters and ends with its passing checks.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::cli_support::Env;

#[test]
fn the_demo_runs_to_completion_and_its_checks_pass() {
    let env = Env::new();
    let dir = env.path("demo");
    let demo = env
        .run_with(
            "unused",
            None,
            false,
            &["demo", "--dir", dir.to_str().unwrap()],
        )
        .ok();
    let out = &demo.stdout;
    for expected in [
        "participants",
        "timeline",
        "txtc",
        "txtr",
        "tag 396 bytes (k = 6 coefficients",
        "Dave (pharmacist) was notified and decrypted txd",
        "Erin (insurer) stored the encrypted compensation",
        "audit: Frank (lawyer) fetched case",
        "✓ Alice (patient) recovered the same case key K",
        "✓ Frank (lawyer) recovered the same case key K",
        "✓ Mallory (stranger) did not recover K",
        "✓ Mallory (stranger)'s audit was refused: cannot decrypt",
        "attachment chest-xray.dcm (3145728 bytes, encrypted in 3145936 bytes) at bafy",
        "✓ the lawyer's copy of chest-xray.dcm matches the doctor's byte for byte",
        "grants her the case",
        "✓ Grace (expert) could not decrypt the case before the grant",
        "✓ after Bob's grant Grace (expert) decrypted the 3 records exactly as they were written",
        "✓ Grace (expert) recovered the same case key K",
        "revokes Erin (insurer) for the future: key epoch 1",
        "✓ Erin (insurer) still reads the 3 records of epoch 0 but not the review of epoch 1",
        "✓ Erin (insurer) can store no record after the revocation",
        "✓ Grace (expert) decrypted the records of both epochs with their password alone",
        "all 19 checks passed",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains('✗'), "{out}");
    // The kept wallets work with the CLI afterwards.
    assert!(dir.join("selection.png").is_file());
    assert_eq!(
        std::fs::read(dir.join("lawyer-downloads/chest-xray.dcm")).unwrap(),
        std::fs::read(dir.join("chest-xray.dcm")).unwrap()
    );
    let cases = env
        .run_with("demo/doctor", None, false, &["--json", "cases"])
        .ok()
        .json();
    assert_eq!(cases["cases"].as_array().unwrap().len(), 1);
}

#[test]
fn the_demo_refuses_a_directory_in_use() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("busy")).unwrap();
    std::fs::write(env.path("busy").join("keep.txt"), "mine").unwrap();
    env.run_with(
        "unused",
        None,
        false,
        &["demo", "--dir", env.path("busy").to_str().unwrap()],
    )
    .fails(2, "is not empty");
    assert_eq!(
        std::fs::read_to_string(env.path("busy").join("keep.txt")).unwrap(),
        "mine"
    );
}
