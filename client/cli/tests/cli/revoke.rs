//! `medchain revoke` through the binary on the embedded ledger: the
//! patient revokes its insurer for the future; the doctor answers the new
//! key epoch (`respond`), the patient's watcher publishes the epoch tag,
//! the doctor's next record is sealed in the new epoch; the insurer still
//! reads the first record and not the second; and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::cli_support::{Env, events, field, ledger_size, small_case_with};

#[test]
fn the_patient_revokes_its_insurer_for_the_future() {
    let env = Env::new();
    let dave = env.init("dave", "insurer");
    env.run("dave", &["register"]).ok();
    let insurer = field(&dave, "index");
    let case = small_case_with(&env, &["--insurer", &insurer]);
    let doctor = field(
        &env.run("carol", &["--json", "whoami"]).ok().json(),
        "index",
    );
    env.run("alice", &["respond", "--case", &case]).ok();
    env.run("dave", &["respond", "--case", &case]).ok();
    env.run("carol", &["establish", "--case", &case]).ok();

    // Before the diagnosis there is nothing to revoke.
    env.run(
        "alice",
        &["revoke", "--case", &case, "--participant", &insurer],
    )
    .fails(7, "has no diagnosis yet");
    env.run(
        "carol",
        &["record", "--case", &case, "--message", "torn ligament"],
    )
    .ok();
    // Only the patient or family revokes, never the doctor; a step is named.
    env.run(
        "dave",
        &["revoke", "--case", &case, "--participant", &doctor],
    )
    .fails(2, "only the patient or a family member named in case");
    env.run(
        "alice",
        &["revoke", "--case", &case, "--participant", &doctor],
    )
    .fails(2, "cannot be revoked");
    let none = env.run("alice", &["revoke", "--case", &case]);
    assert_eq!(none.code, 2, "{none:?}");
    env.run(
        "alice",
        &["revoke", "--case", &case, "--participant", "not-an-index"],
    )
    .fails(2, "not-an-index");
    let before = ledger_size(&env);
    env.run("alice", &["revoke", "--case", &case, "--publish"])
        .fails(2, "no key epoch of case");
    assert_eq!(ledger_size(&env), before, "a refused step was stored");

    let revoked = env
        .run(
            "alice",
            &[
                "--json",
                "revoke",
                "--case",
                &case,
                "--participant",
                &insurer,
            ],
        )
        .ok()
        .json();
    assert_eq!(revoked["epoch"], 1);
    env.run(
        "carol",
        &["record", "--case", &case, "--message", "too early"],
    )
    .fails(7, "is changing its key");
    env.run("alice", &["revoke", "--case", &case, "--publish"])
        .fails(7, "has not answered key epoch 1");
    env.run("dave", &["respond", "--case", &case])
        .fails(2, "not a member who answers key epoch 1");
    let answered = env
        .run("carol", &["--json", "respond", "--case", &case])
        .ok()
        .json();
    assert_eq!(answered["epoch"], 1);
    // The patient's watcher publishes the epoch tag.
    let alice = env
        .run("alice", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    assert!(
        events(&alice.stdout)
            .iter()
            .any(|e| e["event"] == "epoch-published" && e["epoch"] == 1),
        "{alice:?}"
    );

    let later = env
        .run(
            "carol",
            &[
                "--json",
                "record",
                "--case",
                &case,
                "--message",
                "surgery on day 3",
            ],
        )
        .ok()
        .json();
    let later = field(&later, "record");
    env.run(
        "dave",
        &[
            "record",
            "--case",
            &case,
            "--type",
            "txa",
            "--message",
            "claim",
        ],
    )
    .fails(2, "you were revoked");
    // The insurer reads the first record only.
    let audit = env.run("dave", &["--json", "audit", "--case", &case]).ok();
    let lines = events(&audit.stdout);
    assert_eq!(lines[0]["text"], "torn ligament", "{audit:?}");
    assert_eq!(lines[1]["epoch"], 1, "{audit:?}");
    assert_eq!(lines[1]["undecryptable"], true, "{audit:?}");
    env.run("dave", &["read", "--record", &later])
        .fails(2, "sealed in key epoch 1");
    // The patient reads both epochs.
    let audit = env.run("alice", &["--json", "audit", "--case", &case]).ok();
    let texts: Vec<String> = events(&audit.stdout)
        .iter()
        .filter_map(|l| l["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(texts, ["torn ligament", "surgery on day 3"], "{audit:?}");
}
