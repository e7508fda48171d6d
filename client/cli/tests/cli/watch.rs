//! `medchain watch`: answers, establishes the key for the doctor, resumes
//! without repeating an event, and stops cleanly on Ctrl-C (SIGINT).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::cli_support::{Env, events, field, password, small_case};

fn kinds(stdout: &str) -> Vec<String> {
    events(stdout)
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn watchers_answer_establish_and_resume_without_repeating() {
    let env = Env::new();
    small_case(&env);

    let first = env
        .run("alice", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    assert_eq!(kinds(&first.stdout), vec!["answered"], "{first:?}");
    assert!(first.stderr.is_empty(), "{first:?}");
    let again = env
        .run("alice", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    assert!(again.stdout.is_empty(), "an event was repeated: {again:?}");

    // The doctor's watcher establishes the key by itself.
    let doctor = env
        .run("carol", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    assert_eq!(
        kinds(&doctor.stdout),
        vec!["case-opened", "response", "key-established"],
        "{doctor:?}"
    );
    let case = field(&events(&doctor.stdout)[0], "case");
    env.run(
        "carol",
        &["record", "--case", &case, "--message", "sprained ankle"],
    )
    .ok();
    let human = env.run("alice", &["watch", "--idle-exit", "1"]).ok();
    assert!(human.stdout.contains("new txd record"), "{human:?}");
    assert!(human.stderr.contains("resumes from here"), "{human:?}");
}

#[test]
fn ctrl_c_stops_the_watcher_cleanly() {
    let env = Env::new();
    env.init("alice", "patient");
    let child = Command::new(env!("CARGO_BIN_EXE_medchain"))
        .env("HOME", env.root.path())
        .env("MEDCHAIN_LEDGER", env.path("ledger"))
        .env("MEDCHAIN_PASSWORD", password("alice"))
        .args(["--insecure-test-kdf", "--wallet"])
        .arg(env.path("alice"))
        .arg("watch")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the watcher is running, then interrupt it.
    std::thread::sleep(Duration::from_secs(2));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stderr.contains("stopped; the next `medchain watch` resumes from here"),
        "{stderr}"
    );
}
