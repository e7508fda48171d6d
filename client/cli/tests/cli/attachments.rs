//! Attachments through the `medchain` binary on the embedded ledger (its
//! block directory has the same CIDs as IPFS): `record --attach`, `read`
//! and `audit --save-attachments`, and every way they refuse.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use crate::cli_support::{Env, established_case, events, field, ledger_size};

/// A file of `len` pseudo-random bytes (seeded by `seed`).
fn write_file(path: &Path, len: usize, seed: u8) -> Vec<u8> {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Carol's diagnosis with a 1.5 MB scan and an empty note attached;
/// returns (κ0, κ, scan bytes).
fn record_with_attachments(env: &Env) -> (String, String, Vec<u8>) {
    let case = established_case(env);
    let scan = write_file(&env.path("scan.dcm"), 1_500_000, 7);
    std::fs::write(env.path("note.txt"), b"").unwrap();
    let stored = env
        .run(
            "carol",
            &[
                "--json",
                "record",
                "--case",
                &case,
                "--message",
                "CT chest: no nodules",
                "--attach",
                s(&env.path("scan.dcm")),
                s(&env.path("note.txt")),
            ],
        )
        .ok()
        .json();
    assert_eq!(
        stored["attachments"],
        serde_json::json!(["scan.dcm", "note.txt"])
    );
    (case, field(&stored, "record"), scan)
}

#[test]
fn attachments_round_trip_through_read_and_audit() {
    let env = Env::new();
    let (case, record, scan) = record_with_attachments(&env);

    // The patient reads the case and saves its attachments, one folder per record.
    let out = env.path("alice-files");
    std::fs::create_dir(&out).unwrap();
    let read = env
        .run(
            "alice",
            &[
                "--json",
                "read",
                "--case",
                &case,
                "--save-attachments",
                s(&out),
            ],
        )
        .ok();
    let lines = events(&read.stdout);
    let diagnosis = lines
        .iter()
        .find(|l| l["record"] == record.as_str())
        .unwrap();
    assert_eq!(diagnosis["text"], "CT chest: no nodules");
    assert_eq!(diagnosis["attachments"][0]["name"], "scan.dcm");
    assert_eq!(diagnosis["attachments"][0]["size"], 1_500_000);
    assert_eq!(diagnosis["attachments"][1]["size"], 0);
    let sub = out.join(&record[..16]);
    assert_eq!(std::fs::read(sub.join("scan.dcm")).unwrap(), scan);
    assert_eq!(std::fs::read(sub.join("note.txt")).unwrap(), b"");
    assert_eq!(
        lines.iter().filter(|l| l.get("saved").is_some()).count(),
        2,
        "{lines:?}"
    );

    // The doctor reads the one record into a directory of its own.
    let mine = env.path("carol-files");
    std::fs::create_dir(&mine).unwrap();
    let one = env
        .run(
            "carol",
            &[
                "--json",
                "read",
                "--record",
                &record,
                "--save-attachments",
                s(&mine),
            ],
        )
        .ok()
        .json();
    assert_eq!(one["saved"].as_array().unwrap().len(), 2);
    assert_eq!(std::fs::read(mine.join("scan.dcm")).unwrap(), scan);

    // The human audit lists the attachments with their CIDs.
    let audit = env.run("alice", &["audit", "--case", &case]).ok();
    assert!(
        audit
            .stdout
            .contains("attachment scan.dcm (1500000 bytes) on IPFS bafy"),
        "{audit:#?}"
    );
}

#[test]
fn saving_refuses_a_missing_directory_and_never_overwrites() {
    let env = Env::new();
    let (case, record, scan) = record_with_attachments(&env);
    env.run(
        "alice",
        &[
            "read",
            "--record",
            &record,
            "--save-attachments",
            s(&env.path("nowhere")),
        ],
    )
    .fails(2, "is not an existing directory");
    env.run(
        "alice",
        &[
            "audit",
            "--case",
            &case,
            "--save-attachments",
            s(&env.path("nowhere")),
        ],
    )
    .fails(2, "is not an existing directory");
    assert!(!env.path("nowhere").exists());

    let out = env.path("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("scan.dcm"), b"the user's own file").unwrap();
    env.run(
        "alice",
        &["read", "--record", &record, "--save-attachments", s(&out)],
    )
    .fails(2, "already exists");
    assert_eq!(
        std::fs::read(out.join("scan.dcm")).unwrap(),
        b"the user's own file"
    );
    assert_eq!(files_under(&out), vec![out.join("scan.dcm")]);
    drop(scan);
}

#[test]
fn a_tampered_block_is_caught_and_nothing_is_saved() {
    let env = Env::new();
    let (_case, record, _scan) = record_with_attachments(&env);
    // Alter one byte of the largest block (a leaf of the scan's ciphertext).
    let blocks = env.path("ledger").join("blocks");
    let leaf = files_under(&blocks)
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&leaf).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&leaf, bytes).unwrap();

    let out = env.path("out");
    std::fs::create_dir(&out).unwrap();
    env.run(
        "alice",
        &["read", "--record", &record, "--save-attachments", s(&out)],
    )
    .fails(8, "failed verification");
    assert_eq!(
        files_under(&out),
        Vec::<PathBuf>::new(),
        "a file was written"
    );
}

#[test]
fn bad_attachments_are_refused_before_anything_is_stored() {
    let env = Env::new();
    let case = established_case(&env);
    let before = ledger_size(&env);
    let record = |files: &[&str]| {
        let mut args = vec!["record", "--case", &case, "--message", "x", "--attach"];
        args.extend_from_slice(files);
        env.run("carol", &args)
    };

    record(&[s(&env.path("missing.pdf"))]).fails(1, "missing.pdf");
    std::fs::create_dir_all(env.path("a")).unwrap();
    std::fs::create_dir_all(env.path("b")).unwrap();
    write_file(&env.path("a/x.pdf"), 10, 1);
    write_file(&env.path("b/x.pdf"), 10, 2);
    record(&[s(&env.path("a/x.pdf")), s(&env.path("b/x.pdf"))]).fails(2, "twice");
    record(&[s(&env.path("a"))]).fails(2, "is not a file");
    write_file(&env.path(".hidden"), 10, 3);
    record(&[s(&env.path(".hidden"))]).fails(2, "cannot be an attachment name");
    let many: Vec<String> = (0..65)
        .map(|i| {
            let p = env.path(&format!("f{i}"));
            write_file(&p, 1, i as u8);
            p.to_str().unwrap().to_owned()
        })
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    record(&many).fails(2, "at most 64 attachments");

    assert_eq!(ledger_size(&env), before, "a refused record was stored");
    assert!(
        !env.path("ledger").join("blocks").exists()
            || files_under(&env.path("ledger").join("blocks")).is_empty()
    );
}
