//! `client-workload`: what every client driver replays, made once.
//!
//! One identity submits everything: the network profile's doctor, which is
//! registered first. Each `Store` argument is a case opening (`txtc`) for a
//! fresh patient — a new P-256 key that signs its selection of the doctor —
//! so each is valid exactly once and none conflicts with another. A few
//! openings are stored right away; their keys κ (and their stored bytes,
//! the expected answers) are what `Get` evaluates.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use fabric_gateway::PrivateKeySigner;
use medchain_protocol::v1::{InputParameter, Role};
use medchain_sdk::cast::CastError;
use medchain_sdk::connect::NetworkProfile;
use medchain_sdk::ledger::Ledger;
use medchain_sdk::workflow::{Selection, case_opening, ensure_registered, format_ind};
use medchain_siff::KdfParams;
use medchain_siff::point::encode_uncompressed_key;
use prost::Message;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{GatewayEndpoint, MANIFEST_FILE, MANIFEST_FORMAT, Manifest, ours};
use crate::args::ClientWorkloadArgs;
use crate::error::{BenchError, Result};
use crate::report::write_json;

/// The profile role whose identity submits the workload.
const ROLE: &str = "doctor";
/// The workload's files.
const STORE_FILE: &str = "store.hex";
const GET_FILE: &str = "get.hex";
const GET_ANSWER_FILE: &str = "get-answers.hex";

/// The certificate and key files of the profile's identities (fields
/// `network/up.sh` writes beside `msp_dir`).
#[derive(Deserialize)]
struct IdentityFiles {
    roles: BTreeMap<String, RoleFiles>,
}

#[derive(Deserialize)]
struct RoleFiles {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

/// Runs `client-workload`.
pub async fn run(args: &ClientWorkloadArgs) -> Result<Manifest> {
    let manifest = manifest_of(&args.profile)?;
    let gateway = ours::gateway(&manifest).await?;
    let ledger = Ledger::fabric(&gateway, &manifest.channel, &manifest.chaincode)?;
    if ensure_registered(&ledger, Role::Doctor).await? {
        eprintln!("registered the doctor {}", manifest.participant);
    }
    let dir = &args.output;
    std::fs::create_dir_all(dir).map_err(|e| BenchError::io("create", dir, e))?;
    // A new workload: drop the old manifest and claims first, so a half
    // written one is never used.
    for stale in [MANIFEST_FILE, super::CLAIMED_FILE] {
        let path = dir.join(stale);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BenchError::io("remove", &path, e)),
        }
    }
    let kdf = args.kdf.kdf().params;
    let doctor = ledger.ind();

    let mut keys = Vec::with_capacity(args.gets);
    let mut answers = Vec::with_capacity(args.gets);
    for _ in 0..args.gets {
        let input = opening(doctor, kdf)?;
        let stored = ledger.store(&input).await?;
        keys.push(hex::encode(&stored.payload));
        answers.push(hex::encode(input.encode_to_vec()));
    }
    write_lines(&dir.join(GET_FILE), keys.iter().map(String::as_str))?;
    write_lines(
        &dir.join(GET_ANSWER_FILE),
        answers.iter().map(String::as_str),
    )?;

    let path = dir.join(STORE_FILE);
    let file = std::fs::File::create(&path).map_err(|e| BenchError::io("create", &path, e))?;
    let mut out = std::io::BufWriter::new(file);
    for _ in 0..args.count {
        let line = hex::encode(opening(doctor, kdf)?.encode_to_vec());
        writeln!(out, "{line}").map_err(|e| BenchError::io("write", &path, e))?;
    }
    out.flush().map_err(|e| BenchError::io("write", &path, e))?;

    let manifest = Manifest {
        store_count: args.count,
        get_count: args.gets,
        ..manifest
    };
    write_json(&dir.join(MANIFEST_FILE), &manifest)?;
    Ok(manifest)
}

/// The manifest of the profile's doctor (counts still zero).
fn manifest_of(profile: &Path) -> Result<Manifest> {
    let profile =
        std::path::absolute(profile).map_err(|e| BenchError::io("resolve", profile, e))?;
    let network = NetworkProfile::read(&profile).map_err(CastError::from)?;
    let role = network.role(ROLE).map_err(CastError::from)?;
    let org = network.org(&role.org).map_err(CastError::from)?;
    let text =
        std::fs::read_to_string(&profile).map_err(|e| BenchError::io("read", &profile, e))?;
    let files: IdentityFiles = serde_json::from_str(&text)
        .map_err(|e| BenchError::Invalid(format!("{} lists no roles ({e})", profile.display())))?;
    let base = profile.parent().unwrap_or(Path::new("/"));
    let file = |pick: fn(&RoleFiles) -> Option<&PathBuf>, what: &str| {
        files
            .roles
            .get(ROLE)
            .and_then(pick)
            .map(|p| base.join(p))
            .ok_or_else(|| {
                BenchError::Invalid(format!(
                    "{} gives no {what} file for the {ROLE}; use a profile written by network/up.sh",
                    profile.display()
                ))
            })
    };
    let cert = file(|r| r.cert.as_ref(), "certificate")?;
    let key = file(|r| r.key.as_ref(), "key")?;
    let server_name = org.gateway.server_name.clone().unwrap_or_else(|| {
        let endpoint = &org.gateway.endpoint;
        endpoint
            .rsplit_once(':')
            .map_or(endpoint.as_str(), |(host, _)| host)
            .to_owned()
    });
    let credentials = fabric_gateway::Credentials::from_files(&role.msp_id, &cert, &key)
        .map_err(|e| BenchError::Invalid(format!("the {ROLE}'s identity: {e}")))?;
    let participant = format_ind(medchain_siff::participant_index(
        credentials.identity().public_key(),
    ));
    Ok(Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        profile: profile.clone(),
        gateway: GatewayEndpoint {
            endpoint: org.gateway.endpoint.clone(),
            tls_ca: org.gateway.tls_ca.clone(),
            server_name,
        },
        msp_id: role.msp_id.clone(),
        cert,
        key,
        channel: network.channel.clone(),
        chaincode: network.chaincode.clone(),
        store_function: medchain_protocol::function::STORE.to_owned(),
        get_function: medchain_protocol::function::GET.to_owned(),
        store_file: STORE_FILE.to_owned(),
        store_count: 0,
        get_file: GET_FILE.to_owned(),
        get_answer_file: GET_ANSWER_FILE.to_owned(),
        get_count: 0,
        participant,
    })
}

/// A fresh P-256 signing key.
fn random_signer() -> PrivateKeySigner {
    loop {
        let mut scalar = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(scalar.as_mut());
        // Zero or ≥ the group order (probability about 2^-32): draw again.
        if let Ok(key) = scalar.as_slice().try_into() {
            return PrivateKeySigner::new(key);
        }
    }
}

/// The doctor's case opening for a fresh patient, who signs its selection
/// of the doctor (alone); the doctor's ephemeral key is fresh too.
fn opening(doctor: u64, kdf: KdfParams) -> Result<InputParameter> {
    let patient = random_signer();
    let mut selection = Selection::new(&encode_uncompressed_key(&patient.public_key()), doctor);
    selection.sign(&patient)?;
    Ok(case_opening(
        selection.parse()?,
        &random_signer().public_key(),
        kdf,
    ))
}

fn write_lines<'a>(path: &Path, lines: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut text = String::new();
    for line in lines {
        text += line;
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| BenchError::io("write", path, e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use medchain_protocol::v1::input_parameter::Record;

    use super::*;

    #[test]
    fn every_opening_is_a_fresh_signed_selection_of_the_doctor() {
        let a = opening(
            7,
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 1,
            },
        )
        .unwrap();
        let b = opening(
            7,
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 1,
            },
        )
        .unwrap();
        assert_ne!(a.encode_to_vec(), b.encode_to_vec());
        let Some(Record::Txtc(opening)) = a.record else {
            panic!("not a case opening")
        };
        assert_eq!(opening.doctor, 7);
        assert_eq!(opening.patient_key.len(), 65);
        assert_eq!(opening.doctor_ephemeral_key.len(), 33);
        assert!(opening.consent.is_some());
        assert!(opening.pharmacists.is_empty() && opening.family_keys.is_empty());
    }

    #[test]
    fn a_doctor_identity_that_cannot_be_loaded_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile.json");
        std::fs::write(
            &profile,
            r#"{"channel": "medchain", "chaincode": "medchain",
              "orgs": {"org1": {"msp_id": "Org1MSP",
                 "gateway": {"endpoint": "127.0.0.1:7051", "tls_ca": "tlsca.pem", "server_name": "peer0.org1.example.com"}}},
              "roles": {"doctor": {"org": "org1", "msp_id": "Org1MSP", "msp_dir": "msp", "cert": "cert.pem", "key": "key.pem"}}}"#,
        )
        .unwrap();
        // No such certificate: the identity is loaded, and the error says which.
        let err = manifest_of(&profile).unwrap_err().to_string();
        assert!(err.contains("the doctor's identity"), "{err}");
    }
}
