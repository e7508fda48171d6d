//! A case's participants, derived from its `txtc` record.

use medchain_protocol::participant_index;
use medchain_protocol::v1::{CaseOpening, KdfParams};
use p256::PublicKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;

use medchain_protocol::identity_key;

/// The part a participant plays in one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantRef {
    /// The patient (named by public key).
    Patient,
    /// The n-th family member or legal agent (named by public key).
    Family(usize),
    /// The doctor who opened the case.
    Doctor,
    /// A pharmacist.
    Pharmacist,
    /// An insurer.
    Insurer,
    /// A lawyer or medical expert.
    LawyerExpert,
}

/// The participants of a case, in canonical order: patient, family members,
/// doctor, pharmacists, insurers, lawyers/experts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// vk_p (65 bytes).
    pub patient_key: Vec<u8>,
    /// ind_p.
    pub patient: u64,
    /// [vk_r] (65 bytes each).
    pub family_keys: Vec<Vec<u8>>,
    /// [ind_r], in the order of `family_keys`.
    pub family: Vec<u64>,
    /// ind_d.
    pub doctor: u64,
    /// [ind_m].
    pub pharmacists: Vec<u64>,
    /// [ind_a].
    pub insurers: Vec<u64>,
    /// [ind_i].
    pub lawyer_experts: Vec<u64>,
    /// The case's Argon2id parameters.
    pub kdf: KdfParams,
}

impl Case {
    /// Derives the participant list from a (validated) case opening.
    /// Fails when an identity key is not a valid P-256 point.
    pub fn from_opening(opening: &CaseOpening) -> Result<Self, String> {
        let patient = participant_index(
            &identity_key(&opening.patient_key).map_err(|e| format!("patient key: {e}"))?,
        );
        let family = opening
            .family_keys
            .iter()
            .enumerate()
            .map(|(n, k)| {
                identity_key(k)
                    .map(|k| participant_index(&k))
                    .map_err(|e| format!("family key {n}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            patient_key: opening.patient_key.clone(),
            patient,
            family_keys: opening.family_keys.clone(),
            family,
            doctor: opening.doctor,
            pharmacists: opening.pharmacists.clone(),
            insurers: opening.insurers.clone(),
            lawyer_experts: opening.lawyer_experts.clone(),
            kdf: opening.kdf.unwrap_or_default(),
        })
    }

    /// Every participant's index in canonical order (k entries, doctor
    /// included).
    pub fn participants(&self) -> Vec<u64> {
        let mut all = Vec::with_capacity(self.len());
        all.push(self.patient);
        all.extend(&self.family);
        all.push(self.doctor);
        all.extend(&self.pharmacists);
        all.extend(&self.insurers);
        all.extend(&self.lawyer_experts);
        all
    }

    /// Every participant's index except `ind`, in canonical order.
    pub fn others(&self, ind: u64) -> Vec<u64> {
        self.participants()
            .into_iter()
            .filter(|&x| x != ind)
            .collect()
    }

    /// The number of participants k, doctor included.
    pub fn len(&self) -> usize {
        2 + self.family.len()
            + self.pharmacists.len()
            + self.insurers.len()
            + self.lawyer_experts.len()
    }

    /// Always false: a case has at least a patient and a doctor.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The participants who answer the case opening with a `txtr`: everyone
    /// but the doctor.
    pub fn responders(&self) -> Vec<u64> {
        self.others(self.doctor)
    }

    /// The part `ind` plays in this case, if any. Patient and family are
    /// matched by index here; callers that authorize must also compare the
    /// full public key (see [`Case::patient_key`]).
    pub fn role_of(&self, ind: u64) -> Option<ParticipantRef> {
        if ind == self.patient {
            Some(ParticipantRef::Patient)
        } else if let Some(n) = self.family.iter().position(|&x| x == ind) {
            Some(ParticipantRef::Family(n))
        } else if ind == self.doctor {
            Some(ParticipantRef::Doctor)
        } else if self.pharmacists.contains(&ind) {
            Some(ParticipantRef::Pharmacist)
        } else if self.insurers.contains(&ind) {
            Some(ParticipantRef::Insurer)
        } else if self.lawyer_experts.contains(&ind) {
            Some(ParticipantRef::LawyerExpert)
        } else {
            None
        }
    }

    /// Whether `who` is the patient or a family member of this case named
    /// by exactly `key` (patients and family members are named by their
    /// full public key, not only by its 64-bit index).
    pub fn named_by_key(&self, who: ParticipantRef, key: &PublicKey) -> bool {
        let key = key.to_encoded_point(false);
        let named = match who {
            ParticipantRef::Patient => Some(&self.patient_key),
            ParticipantRef::Family(n) => self.family_keys.get(n),
            _ => None,
        };
        named.is_some_and(|k| k.as_slice() == key.as_bytes())
    }

    /// The patient and every family member.
    fn patient_and_family(&self) -> Vec<u64> {
        let mut v = vec![self.patient];
        v.extend(&self.family);
        v
    }

    /// Who is notified of a record of type `record` (the paper's Table 3,
    /// with family members wherever the patient is a receiver).
    pub fn receivers(&self, record: &str) -> Vec<u64> {
        match record {
            "txtc" => self.participants(),
            "txtr" => vec![self.doctor],
            "txd" => [self.patient_and_family(), self.pharmacists.clone()].concat(),
            "txm" => [self.patient_and_family(), self.insurers.clone()].concat(),
            "txa" => self.patient_and_family(),
            _ => Vec::new(),
        }
    }
}
