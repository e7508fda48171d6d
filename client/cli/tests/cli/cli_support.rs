//! Runs the real `medchain` binary in a temporary home, with weak Argon2id
//! parameters (`--insecure-test-kdf`) and the password from
//! `MEDCHAIN_PASSWORD`.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A temporary home with its embedded ledger and wallets.
pub struct Env {
    pub root: tempfile::TempDir,
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns the run.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "command failed: {self:#?}");
        self
    }

    /// Asserts failure with `code`, one line on stderr containing `text`.
    #[track_caller]
    pub fn fails(self, code: i32, text: &str) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "not one sentence on stderr: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        assert!(lines[0].contains(text), "stderr lacks {text:?}: {self:#?}");
        self
    }

    /// stdout as one JSON value.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }
}

/// The password a user's wallet is created with.
pub fn password(user: &str) -> String {
    format!("{user} pässwörd")
}

impl Env {
    pub fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// `medchain` as `user` (wallet `<root>/<user>`) with the user's password.
    pub fn run(&self, user: &str, args: &[&str]) -> Run {
        self.run_with(user, Some(&password(user)), true, args)
    }

    /// `medchain` as `user` with an explicit password (or none) and with or
    /// without `--insecure-test-kdf`.
    pub fn run_with(
        &self,
        user: &str,
        password: Option<&str>,
        insecure: bool,
        args: &[&str],
    ) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_medchain"));
        command
            .env("HOME", self.root.path())
            .env("MEDCHAIN_LEDGER", self.path("ledger"))
            .env_remove("MEDCHAIN_WALLET")
            .env_remove("MEDCHAIN_PASSWORD")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .arg("--wallet")
            .arg(self.path(user));
        if insecure {
            command.arg("--insecure-test-kdf");
        }
        if let Some(password) = password {
            command.env("MEDCHAIN_PASSWORD", password);
        }
        let output = command.args(args).output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Creates `user`'s wallet with `role`; returns `whoami --json`.
    pub fn init(&self, user: &str, role: &str) -> Value {
        let created = self
            .run(user, &["--json", "init", "--name", user, "--role", role])
            .ok()
            .json();
        assert_eq!(created["role"], role);
        created
    }

    /// The bytes of `user`'s wallet files, to show a failed command changed
    /// nothing.
    pub fn snapshot(&self, user: &str) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.path(user))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_none_or(|e| e != "lock"))
            .map(|p| (name(&p), std::fs::read(&p).unwrap()))
            .collect();
        files.sort();
        files
    }
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// A string field of a JSON value.
#[track_caller]
pub fn field(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key:?} in {value}"))
        .to_owned()
}

/// Alice (patient) and Carol (registered doctor), and a case Carol opened
/// for Alice alone; returns κ0.
pub fn small_case(env: &Env) -> String {
    small_case_with(env, &[])
}

/// [`small_case`] with `extra` options of `medchain select` (more
/// participants, registered beforehand).
pub fn small_case_with(env: &Env, extra: &[&str]) -> String {
    env.init("alice", "patient");
    let carol = env.init("carol", "doctor");
    env.run("carol", &["register"]).ok();
    let selection = env.path("selection.json");
    let doctor = field(&carol, "index");
    let mut args = vec![
        "select",
        "--doctor",
        &doctor,
        "--out",
        selection.to_str().unwrap(),
        "--no-qr",
    ];
    args.extend_from_slice(extra);
    env.run("alice", &args).ok();
    let opened = env
        .run(
            "carol",
            &[
                "--json",
                "open-case",
                "--selection",
                selection.to_str().unwrap(),
            ],
        )
        .ok()
        .json();
    field(&opened, "case")
}

/// The size of the embedded ledger's log, to show a failed command stored
/// nothing.
pub fn ledger_size(env: &Env) -> u64 {
    std::fs::metadata(env.path("ledger").join("ledger.log"))
        .unwrap()
        .len()
}

/// [`small_case`] with Alice's answer and the key established: Carol can
/// store records. Returns κ0.
pub fn established_case(env: &Env) -> String {
    let case = small_case(env);
    env.run("alice", &["respond", "--case", &case]).ok();
    env.run("carol", &["establish", "--case", &case]).ok();
    case
}

/// The JSON lines a streaming command (`watch --json`) printed.
pub fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The text of the QR code in a PNG file, read with an independent decoder.
pub fn scan_qr_png(path: &Path) -> String {
    let image = image::open(path).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    grids
        .first()
        .expect("a QR code in the PNG")
        .decode()
        .unwrap()
        .1
}
