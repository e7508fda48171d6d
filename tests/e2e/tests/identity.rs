//! End-to-end tests of identities from the organisations' real Fabric CAs
//! through the `medchain` CLI: an org's registrar registers a person
//! (`medchain admin register`), the person enrolls (`medchain init --ca`),
//! registers on the ledger and takes part in a case; `medchain renew` keeps
//! the participant index and the old case stays readable; a revoked
//! identity is told so.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use medchain_e2e::{ensure_registered, medchain_binary, profile_path};
use serde_json::Value;

/// One `medchain` run: exit code, stdout, stderr.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "medchain failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    #[track_caller]
    fn fails(self, code: i32, text: &str) {
        assert_eq!(self.code, code, "{}\n{}", self.stdout, self.stderr);
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}: {}",
            self.stderr
        );
        assert_eq!(self.stderr.trim().lines().count(), 1, "{}", self.stderr);
    }
}

/// Wallets under one temporary directory, each with its own password.
struct People {
    root: tempfile::TempDir,
}

impl People {
    fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn wallet(&self, who: &str) -> PathBuf {
        self.root.path().join(who)
    }

    /// `medchain --wallet <who> args…` with `env` set.
    fn run_env(&self, who: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut command = Command::new(medchain_binary());
        command
            .env_remove("MEDCHAIN_CA_SECRET")
            .env_remove("RUST_LOG")
            .env("MEDCHAIN_PASSWORD", format!("{who} e2e pässword"))
            .stdin(Stdio::null())
            .arg("--wallet")
            .arg(self.wallet(who))
            .arg("--insecure-test-kdf");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.args(args).output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn run(&self, who: &str, args: &[&str]) -> Run {
        self.run_env(who, &[], args)
    }

    /// `medchain init` of `who` as `role` on the network, the identity
    /// given by `identity` (`--user …` or `--ca …`).
    fn init(&self, who: &str, role: &str, env: &[(&str, &str)], identity: &[&str]) -> Run {
        let profile = profile();
        let mut args = vec![
            "--json",
            "init",
            "--name",
            who,
            "--role",
            role,
            "--gateway",
            &profile,
        ];
        args.extend_from_slice(identity);
        self.run_env(who, env, &args)
    }

    /// A wallet for the profile's ready-made user `user`.
    fn init_user(&self, who: &str, role: &str, user: &str) -> Value {
        self.init(who, role, &[], &["--user", user]).ok().json()
    }

    /// Org `org`'s registrar registers `id` as `role`; the secret it printed.
    fn admin_register(&self, org: &str, role: &str, id: &str) -> String {
        let profile = profile();
        let registered = self
            .run(
                "admin",
                &[
                    "--json",
                    "admin",
                    "register",
                    "--gateway",
                    &profile,
                    "--ca",
                    org,
                    "--role",
                    role,
                    "--id",
                    id,
                ],
            )
            .ok()
            .json();
        assert_eq!(registered["registered"], id);
        registered["secret"].as_str().unwrap().to_owned()
    }

    /// `who` enrolls with org `org`'s CA as `id` with `secret`.
    fn enroll(&self, who: &str, org: &str, role: &str, id: &str, secret: &str) -> Run {
        let env = [("MEDCHAIN_CA_SECRET", secret)];
        self.init(who, role, &env, &["--ca", org, "--enrollment-id", id])
    }
}

fn profile() -> String {
    profile_path().to_str().unwrap().to_owned()
}

/// An enrollment id no earlier run used.
fn fresh_id(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
        .to_owned()
}

/// A pharmacist registered by Org2's registrar and enrolled with the CLI
/// (after a refused wrong secret), registered on the ledger, and a case
/// the profile's doctor opened for the profile's patient and that
/// pharmacist, with its diagnosis stored: (people, case, diagnosis key).
async fn an_enrolled_pharmacist_in_a_case() -> (People, String, String) {
    ensure_registered().await;
    let people = People::new();
    let id = fresh_id("pharmacist");
    let secret = people.admin_register("org2", "pharmacist", &id);
    // A wrong secret is the CA's authentication failure, with its code.
    people
        .enroll("dave", "org2", "pharmacist", &id, "not the secret")
        .fails(3, "the CA refused the request (code 20)");
    assert!(!people.wallet("dave").exists());
    let created = people
        .enroll("dave", "org2", "pharmacist", &id, &secret)
        .ok()
        .json();
    let certificate = &created["certificate"];
    assert_eq!(certificate["role_attribute"], "pharmacist");
    assert_eq!(certificate["msp_id"], "Org2MSP");
    assert_eq!(certificate["expired"], false);
    assert!(
        text(&created, "identity").contains(&format!("enrolled as {id}")),
        "{created}"
    );
    // The one-time secret is spent.
    people
        .enroll("dave2", "org2", "pharmacist", &id, &secret)
        .fails(3, "code 20");
    people.run("dave", &["register"]).ok();

    let (selected, selection) = patient_selects(&people, "--pharmacist", &text(&created, "index"));
    selected.ok();
    let selection = selection.as_str();
    let opened = people
        .run("carol", &["--json", "open-case", "--selection", selection])
        .ok()
        .json();
    let case = text(&opened, "case");
    people.run("alice", &["respond", "--case", &case]).ok();
    people.run("dave", &["respond", "--case", &case]).ok();
    people
        .run("carol", &["establish", "--case", &case, "--wait", "60"])
        .ok();
    let stored = people
        .run(
            "carol",
            &[
                "--json",
                "record",
                "--case",
                &case,
                "--message",
                "Diagnosis: influenza A",
            ],
        )
        .ok()
        .json();
    (people, case, text(&stored, "record"))
}

/// Wallets for the profile's doctor (`carol`) and patient (`alice`), who
/// selects that doctor and the participant `index` (`flag`: `--pharmacist`,
/// `--insurer`…): the run, and the selection file.
fn patient_selects(people: &People, flag: &str, index: &str) -> (Run, String) {
    let doctor = people.init_user("carol", "doctor", "doctor");
    people.init_user("alice", "patient", "patient");
    let selection = people.root.path().join("selection.json");
    let selection = selection.to_str().unwrap().to_owned();
    let run = people.run(
        "alice",
        &[
            "select",
            "--doctor",
            &text(&doctor, "index"),
            flag,
            index,
            "--out",
            &selection,
            "--no-qr",
        ],
    );
    (run, selection)
}

fn whoami_of(people: &People, who: &str) -> Value {
    people.run(who, &["--json", "whoami"]).ok().json()
}

fn reads(people: &People, who: &str, record: &str, expected: &str) {
    let read = people.run(who, &["read", "--record", record]).ok();
    assert!(read.stdout.contains(expected), "{}", read.stdout);
}

/// The pharmacist stores a txm record with `message`; its key.
fn medicines(people: &People, case: &str, message: &str) -> String {
    let stored = people
        .run(
            "dave",
            &[
                "--json",
                "record",
                "--case",
                case,
                "--type",
                "txm",
                "--message",
                message,
            ],
        )
        .ok()
        .json();
    text(&stored, "record")
}

#[tokio::test]
async fn a_person_the_registrar_registers_enrolls_with_the_cli_and_takes_part() {
    let (people, case, diagnosis) = an_enrolled_pharmacist_in_a_case().await;
    reads(&people, "dave", &diagnosis, "Diagnosis: influenza A");
    let medicines = medicines(&people, &case, "oseltamivir: 42.00 EUR");
    reads(&people, "alice", &medicines, "oseltamivir: 42.00 EUR");
}

#[tokio::test]
async fn renew_keeps_the_index_and_the_old_case_still_reads() {
    let (people, case, diagnosis) = an_enrolled_pharmacist_in_a_case().await;
    let before = people.run("dave", &["--json", "whoami"]).ok().json();
    let renewed = people.run("dave", &["--json", "renew"]).ok().json();
    assert_eq!(renewed["index"], before["index"]);
    assert_eq!(renewed["previous_certificates"], 1);
    assert_ne!(renewed["serial"], before["certificate"]["serial"]);
    let after = people.run("dave", &["--json", "whoami"]).ok().json();
    assert_eq!(after["public_key"], before["public_key"]);
    assert_eq!(after["certificate"]["serial"], renewed["serial"]);
    assert_eq!(after["certificate"]["role_attribute"], "pharmacist");
    // The case opened under the old certificate reads with the password alone…
    reads(&people, "dave", &diagnosis, "Diagnosis: influenza A");
    // …and the renewed certificate submits.
    let medicines = medicines(&people, &case, "after renewal");
    reads(&people, "alice", &medicines, "after renewal");
}

/// A revoked identity's submission is refused before it is sent, and its
/// renewal by the CA, each with the sentence saying so and what to do.
#[tokio::test]
async fn a_revoked_identity_cannot_submit_or_renew_and_is_told_why() {
    ensure_registered().await;
    let people = People::new();
    let id = fresh_id("insurer");
    let secret = people.admin_register("org2", "insurer", &id);
    people.enroll("erin", "org2", "insurer", &id, &secret).ok();
    let profile = profile();
    let revoked = people
        .run(
            "admin",
            &[
                "--json",
                "admin",
                "revoke",
                "--gateway",
                &profile,
                "--ca",
                "org2",
                "--id",
                &id,
            ],
        )
        .ok()
        .json();
    assert_eq!(
        revoked["serials"].as_array().map(Vec::len),
        Some(1),
        "{revoked}"
    );
    let sentence = "your certificate was revoked by your organisation's CA, so it can no longer submit; ask your organisation's administrator to register you again and enroll a new wallet with `medchain init --ca`";
    people.run("erin", &["register"]).fails(3, sentence);
    people.run("erin", &["renew"]).fails(3, sentence);
    // The registration was never submitted: a patient cannot select Erin.
    let index = text(&whoami_of(&people, "erin"), "index");
    patient_selects(&people, "--insurer", &index)
        .0
        .fails(2, &format!("no insurer is registered under {index}"));
}

/// A client that skips the CA check — the revoked certificate and its key
/// taken out of the wallet and used directly — is refused by the peers
/// themselves once `network/publish-crl.sh` has put the CA's CRL into the
/// organisation's channel MSP; until then the peers still accept it (what
/// the script changes).
#[tokio::test]
async fn a_revoked_certificate_is_refused_by_the_peers_once_the_crl_is_published() {
    use medchain_sdk::wallet::{IdentityLocation, UserRole, Wallet};
    use medchain_sdk::workflow;

    ensure_registered().await;
    let people = People::new();
    let id = fresh_id("insurer");
    let secret = people.admin_register("org2", "insurer", &id);
    people.enroll("erin", "org2", "insurer", &id, &secret).ok();

    // The stolen identity: the wallet's certificate and key in an MSP folder.
    let wallet = Wallet::open(people.wallet("erin")).unwrap();
    let IdentityLocation::Enrolled {
        certificate_pem, ..
    } = wallet.profile().unwrap().identity
    else {
        panic!("erin's wallet is not CA-enrolled");
    };
    let secrets = wallet.secrets("erin e2e pässword").unwrap();
    let msp = people.root.path().join("stolen-msp");
    std::fs::create_dir_all(msp.join("signcerts")).unwrap();
    std::fs::create_dir_all(msp.join("keystore")).unwrap();
    std::fs::write(msp.join("signcerts/cert.pem"), &certificate_pem).unwrap();
    std::fs::write(
        msp.join("keystore/key_sk"),
        secrets.signing_key_pem.as_deref().unwrap(),
    )
    .unwrap();
    let raw = medchain_e2e::user_from_msp(
        people.root.path(),
        "erin-raw",
        UserRole::Insurer,
        "org2",
        "Org2MSP",
        &msp,
    )
    .await;

    people
        .run(
            "admin",
            &[
                "admin",
                "revoke",
                "--gateway",
                &profile(),
                "--ca",
                "org2",
                "--id",
                &id,
            ],
        )
        .ok();
    // The CA revoked it, but the peers do not know yet.
    raw.ledger
        .height()
        .await
        .expect("before the CRL is published the peer still answers the revoked certificate");

    let status = Command::new("bash")
        .arg(medchain_e2e::repo().join("network/publish-crl.sh"))
        .arg("org2")
        .env("MEDCHAIN_NETWORK_DIR", medchain_e2e::work_dir())
        .status()
        .unwrap();
    assert!(status.success(), "network/publish-crl.sh org2 failed");

    let query = raw.ledger.height().await;
    assert!(
        query.is_err(),
        "the peer answered a revoked certificate: {query:?}"
    );
    let submitted = workflow::register(&raw.ledger, medchain_protocol::v1::Role::Insurer).await;
    let err = submitted.expect_err("the peers endorsed a revoked certificate's registration");
    assert!(
        err.to_string()
            .contains("access denied: channel [medchain] creator org [Org2MSP]"),
        "{err}"
    );
    // Nothing was written: the index has no registration.
    let index = medchain_sdk::workflow::format_ind(raw.ledger.ind());
    patient_selects(&people, "--insurer", &index)
        .0
        .fails(2, &format!("no insurer is registered under {index}"));
}
