//! A whole diagnosis-and-treatment case driven only through the `medchain`
//! binary: every role, the selection as PNG and JSON, answers by command
//! and by `watch`, records, reads, the lawyer's audit and a stranger's
//! refused audit.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::cli_support::{Env, events, field, password};
use medchain_sdk::workflow::Selection;
use serde_json::Value;

const DIAGNOSIS: &str = "Influenza A; oseltamivir 75 mg twice daily for 5 days";
const MEDICATION: &str = "oseltamivir 75 mg x10: 42.00 EUR";
const COMPENSATION: &str = "covered: 42.00 EUR";

#[test]
fn a_whole_case_through_the_cli() {
    let env = Env::new();
    let alice = env.init("alice", "patient");
    env.init("bob", "family");
    let carol = env.init("carol", "doctor");
    let dave = env.init("dave", "pharmacist");
    env.init("erin", "insurer");
    let frank = env.init("frank", "lawyer-expert");
    env.init("mallory", "family");
    assert_eq!(field(&alice, "index").len(), 16);
    assert_eq!(field(&alice, "public_key").len(), 130);

    for user in ["carol", "dave", "erin", "frank"] {
        let registered = env.run(user, &["--json", "register"]).ok().json();
        assert_eq!(registered["new"], true);
    }
    // Registering again changes nothing.
    let again = env.run("carol", &["register"]).ok();
    assert!(again.stdout.contains("already registered"), "{again:?}");

    // Bob and Erin share contact cards (a PNG QR code and a JSON file).
    let bob_png = env.path("bob.png");
    let erin_json = env.path("erin.json");
    env.run("bob", &["whoami", "--png", bob_png.to_str().unwrap()])
        .ok();
    env.run("erin", &["whoami", "--out", erin_json.to_str().unwrap()])
        .ok();

    // Alice selects; the selection goes out as JSON and as a PNG QR code.
    let sel_json = env.path("selection.json");
    let sel_png = env.path("selection.png");
    let selected = env
        .run(
            "alice",
            &[
                "--json",
                "select",
                "--doctor",
                &field(&carol, "index"),
                "--family",
                bob_png.to_str().unwrap(),
                "--pharmacist",
                &field(&dave, "index"),
                "--insurer",
                erin_json.to_str().unwrap(),
                "--lawyer",
                &field(&frank, "index"),
                "--out",
                sel_json.to_str().unwrap(),
                "--png",
                sel_png.to_str().unwrap(),
            ],
        )
        .ok()
        .json();
    assert_eq!(selected["selection"]["patient_key"], alice["public_key"]);
    let from_json = Selection::from_json(&std::fs::read_to_string(&sel_json).unwrap()).unwrap();
    let scanned = crate::cli_support::scan_qr_png(&sel_png);
    assert_eq!(Selection::from_json(&scanned).unwrap(), from_json);
    assert_eq!(from_json.family_keys.len(), 1);

    // Carol scans the PNG and opens the case.
    let opened = env
        .run(
            "carol",
            &[
                "--json",
                "open-case",
                "--selection",
                sel_png.to_str().unwrap(),
            ],
        )
        .ok()
        .json();
    let case = field(&opened, "case");
    assert_eq!(case.len(), 64);
    assert_eq!(opened["participants"], 6);

    // Everyone answers: four by command (Frank's password from a file), Dave
    // through his watcher.
    for user in ["alice", "bob", "erin"] {
        env.run(user, &["respond", "--case", &case]).ok();
    }
    let frank_password = env.path("frank.password");
    std::fs::write(&frank_password, password("frank") + "\n").unwrap();
    env.run_with(
        "frank",
        None,
        true,
        &[
            "--password-file",
            frank_password.to_str().unwrap(),
            "respond",
            "--case",
            &case,
        ],
    )
    .ok();
    let watched = env
        .run("dave", &["--json", "watch", "--idle-exit", "2"])
        .ok();
    let answered = events(&watched.stdout);
    assert_eq!(answered.len(), 1, "{watched:?}");
    assert_eq!(answered[0]["event"], "answered");
    assert_eq!(answered[0]["case"], case.as_str());

    let established = env
        .run("carol", &["--json", "establish", "--case", &case])
        .ok()
        .json();
    assert_eq!(established["participants"], 6);

    // The three records: the pharmacist's type comes from its role, the
    // insurer's text from a file.
    env.run(
        "carol",
        &["record", "--case", &case, "--message", DIAGNOSIS],
    )
    .ok();
    env.run(
        "dave",
        &["record", "--case", &case, "--message", MEDICATION],
    )
    .ok();
    let claim = env.path("claim.txt");
    std::fs::write(&claim, COMPENSATION).unwrap();
    let stored = env
        .run(
            "erin",
            &[
                "--json",
                "record",
                "--case",
                &case,
                "--type",
                "txa",
                "--file",
                claim.to_str().unwrap(),
            ],
        )
        .ok()
        .json();
    assert_eq!(stored["type"], "txa");

    // Alice's watcher learns of the three records; she reads one, then all.
    let watched = env
        .run("alice", &["--json", "watch", "--idle-exit", "2"])
        .ok();
    let new_records: Vec<Value> = events(&watched.stdout)
        .into_iter()
        .filter(|e| e["event"] == "new-record")
        .collect();
    assert_eq!(new_records.len(), 3, "{watched:?}");
    let cases = env.run("alice", &["--json", "cases"]).ok().json();
    assert_eq!(cases["cases"][0]["case"], case.as_str());
    assert_eq!(cases["cases"][0]["unread"].as_array().unwrap().len(), 3);
    let diagnosis = field(&new_records[0], "record");
    let read = env
        .run("alice", &["--json", "read", "--record", &diagnosis])
        .ok()
        .json();
    assert_eq!(read["type"], "txd");
    assert_eq!(read["text"], DIAGNOSIS);
    let cases = env.run("alice", &["--json", "cases"]).ok().json();
    assert_eq!(cases["cases"][0]["unread"].as_array().unwrap().len(), 2);
    let shown = env.run("alice", &["read", "--case", &case]).ok();
    assert!(shown.stdout.contains(COMPENSATION), "{shown:?}");
    let cases = env.run("alice", &["--json", "cases"]).ok().json();
    assert!(cases["cases"][0]["unread"].as_array().unwrap().is_empty());

    // The lawyer audits the whole case.
    // One JSON line a record as its page arrives, then the summary.
    let audit = env.run("frank", &["--json", "audit", "--case", &case]).ok();
    let mut lines: Vec<Value> = audit
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let audit = lines.pop().unwrap();
    let texts: Vec<(&str, &str)> = lines
        .iter()
        .map(|r| (r["type"].as_str().unwrap(), r["text"].as_str().unwrap()))
        .collect();
    assert_eq!(audit["records"], 3);
    assert_eq!(audit["decrypted"], 3);
    assert_eq!(audit["pages"], 1);
    assert_eq!(
        texts,
        vec![
            ("txd", DIAGNOSIS),
            ("txm", MEDICATION),
            ("txa", COMPENSATION)
        ]
    );
    assert_eq!(audit["participants"], 6);
    assert_eq!(audit["tag_bytes"], 6 * 66);
    let human = env.run("frank", &["audit", "--case", &case]).ok();
    assert!(human.stdout.contains(MEDICATION), "{human:?}");
    assert!(human.stdout.contains("tx "), "{human:?}");

    // A stranger cannot: exit code 3 and one sentence.
    let before = env.snapshot("mallory");
    env.run("mallory", &["audit", "--case", &case]).fails(
        3,
        "cannot decrypt: wrong password or not a participant of this case",
    );
    assert_eq!(env.snapshot("mallory"), before);
}

#[test]
fn whoami_prints_a_contact_qr_code_and_help_has_examples() {
    let env = Env::new();
    env.init("carol", "doctor");
    let shown = env.run("carol", &["whoami", "--qr"]).ok();
    assert!(shown.stdout.contains("index"), "{shown:?}");
    assert!(shown.stdout.contains('█'), "no QR code: {shown:?}");
    for sub in [
        "init",
        "whoami",
        "register",
        "select",
        "open-case",
        "respond",
        "establish",
        "watch",
        "record",
        "read",
        "audit",
        "cases",
        "demo",
    ] {
        let help = env.run("carol", &[sub, "--help"]).ok();
        assert!(help.stdout.contains("Example"), "{sub}: {help:?}");
    }
    let help = env.run("carol", &["--help"]).ok();
    assert!(help.stdout.contains("Exit codes"), "{help:?}");
}
