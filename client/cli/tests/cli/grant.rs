//! `medchain grant` through the binary on the embedded ledger: the patient
//! grants an established case to a lawyer engaged later; the lawyer answers
//! (`respond`), the patient's watcher publishes the grant tag, the lawyer
//! audits; and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::cli_support::{Env, established_case, events, field, ledger_size};

#[test]
fn a_lawyer_engaged_later_is_granted_the_case_and_audits_it() {
    let env = Env::new();
    let case = established_case(&env);
    let frank = env.init("frank", "lawyer-expert");
    env.run("frank", &["register"]).ok();
    let index = field(&frank, "index");

    // Before the diagnosis there is no key to grant.
    env.run("alice", &["grant", "--case", &case, "--lawyer", &index])
        .fails(7, "has no diagnosis yet");
    env.run(
        "carol",
        &["record", "--case", &case, "--message", "torn ligament"],
    )
    .ok();
    // Only the patient or family grants; the grantee must be named.
    env.run("carol", &["grant", "--case", &case, "--lawyer", &index])
        .fails(2, "only the patient or a family member named in case");
    let none = env.run("alice", &["grant", "--case", &case]);
    assert_eq!(none.code, 2, "{none:?}");
    env.run(
        "alice",
        &["grant", "--case", &case, "--lawyer", "not-an-index"],
    )
    .fails(2, "not-an-index");
    // Frank cannot read the case yet.
    env.run("frank", &["audit", "--case", &case])
        .fails(3, "cannot decrypt");

    let granted = env
        .run(
            "alice",
            &["--json", "grant", "--case", &case, "--lawyer", &index],
        )
        .ok()
        .json();
    assert_eq!(granted["grantee"], index.as_str());
    let before = ledger_size(&env);
    env.run("alice", &["grant", "--case", &case, "--lawyer", &index])
        .fails(7, "is already granted to");
    assert_eq!(ledger_size(&env), before, "a refused grant was stored");

    let answered = env
        .run("frank", &["--json", "respond", "--case", &case])
        .ok()
        .json();
    assert_eq!(answered["grant"], true);
    // The patient's watcher publishes the grant tag; Frank's hears of it.
    let alice = env
        .run("alice", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    assert!(
        events(&alice.stdout)
            .iter()
            .any(|e| e["event"] == "grant-published"),
        "{alice:?}"
    );
    let frank_watch = env
        .run("frank", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    let kinds: Vec<String> = events(&frank_watch.stdout)
        .iter()
        .map(|e| field(e, "event"))
        .collect();
    assert_eq!(kinds, vec!["granted"], "{frank_watch:?}");

    let audit = env.run("frank", &["--json", "audit", "--case", &case]).ok();
    let lines = events(&audit.stdout);
    assert_eq!(lines[0]["text"], "torn ligament", "{audit:?}");
    // A later record reaches Frank's watcher too.
    env.run(
        "carol",
        &["record", "--case", &case, "--message", "surgery on day 3"],
    )
    .ok();
    let later = env
        .run("frank", &["--json", "watch", "--idle-exit", "1"])
        .ok();
    assert_eq!(events(&later.stdout)[0]["event"], "new-record", "{later:?}");
}
