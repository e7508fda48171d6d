//! The doctor opens a case (`txtc`).

use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseOpening, InputParameter, KdfParams as KdfParamsMessage};
use p256::{PublicKey, SecretKey};
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::ledger::Ledger;
use crate::wallet::{CaseEntry, CaseStatus, UserRole, Wallet};
use crate::workflow::WorkflowError;
use crate::workflow::selection::{ParsedSelection, Selection, format_ind};
use medchain_siff::point::encode_compressed_key;
use medchain_siff::{CaseId, KdfParams, KdfPolicy};

/// The doctor opens a case from the patient's selection (`txtc`): a fresh
/// ephemeral Diffie-Hellman key pair is made, its secret half kept in the
/// wallet (encrypted) until the case key is established.
pub async fn open_case(
    ledger: &Ledger,
    wallet: &Wallet,
    password: &str,
    selection: &Selection,
    kdf: KdfParams,
    policy: KdfPolicy,
) -> Result<CaseId, WorkflowError> {
    kdf.check_policy(policy)?;
    let parsed = selection.parse()?;
    if parsed.doctor != ledger.ind() {
        return Err(WorkflowError::Invalid(format!(
            "the patient chose doctor {} but you are {}; ask the patient for a selection naming you",
            format_ind(parsed.doctor),
            format_ind(ledger.ind())
        )));
    }
    // The chaincode accepts only a selection its patient signed; check it
    // here too so a bad selection fails before anything is stored.
    selection.check_signature()?;
    // Unlock first: a wrong password must fail before anything is stored.
    wallet.secrets(password)?;
    let ephemeral = SecretKey::random(&mut OsRng);
    let input = case_opening(parsed, &ephemeral.public_key(), kdf);
    let kappa0 = CaseId::from_slice(&input_key(&input))?;
    let case_hex = hex::encode(kappa0.as_bytes());
    // Keep the scalar before the case exists, so a crash right after the
    // commit cannot lose it.
    let scalar_bytes = Zeroizing::new(ephemeral.to_bytes());
    let scalar = Zeroizing::new(hex::encode(&scalar_bytes[..]));
    wallet.update_secrets(password, |s| drop(s.set_ephemeral(&case_hex, &scalar)))?;
    ledger.store(&input).await?;
    wallet.update(|p| {
        p.cases.insert(
            case_hex.clone(),
            CaseEntry {
                role: UserRole::Doctor,
                status: CaseStatus::AwaitingResponses,
                pending_tag: None,
                unread: Vec::new(),
                refusal: None,
            },
        );
    })?;
    Ok(kappa0)
}

/// The `txtc` a doctor stores for the patient's (parsed, signed)
/// selection: the selection's fields and consent, the doctor's ephemeral
/// public key (SEC1 compressed) and the case's Argon2id parameters.
pub fn case_opening(
    parsed: ParsedSelection,
    ephemeral: &PublicKey,
    kdf: KdfParams,
) -> InputParameter {
    InputParameter {
        record: Some(Record::Txtc(CaseOpening {
            patient_key: parsed.patient_key,
            family_keys: parsed.family_keys,
            lawyer_experts: parsed.lawyer_experts,
            pharmacists: parsed.pharmacists,
            insurers: parsed.insurers,
            doctor: parsed.doctor,
            doctor_ephemeral_key: encode_compressed_key(ephemeral).to_vec(),
            kdf: Some(KdfParamsMessage {
                m_kib: kdf.m_kib,
                t: kdf.t,
                p: kdf.p,
            }),
            consent: parsed.consent,
        })),
    }
}

/// κ of an input parameter: SHA-256 of its encoding.
fn input_key(input: &InputParameter) -> [u8; 32] {
    use prost::Message;
    use sha2::{Digest, Sha256};
    Sha256::digest(input.encode_to_vec()).into()
}
