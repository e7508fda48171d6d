//! The SDK's record parsers: the patient's selection file / QR text
//! (`Selection::from_json`, with its keys, indices and consent signature),
//! a `GetCase` answer (`CaseRecords` → each `InputParameter`), a case
//! opening's participant list (`Case::from_opening`), and the on-chain key
//! encodings (`identity_key`, `ephemeral_key`).
//!
//! Input: byte 0 picks the parser. Properties: no panic; an accepted
//! selection prints to JSON that reads back to the same selection; the
//! protobuf messages round-trip; a case's participant list is derived from
//! valid keys only.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medchain_contract::Case;
use medchain_protocol::v1::input_parameter::Record;
use medchain_protocol::v1::{CaseOpening, CaseRecords, InputParameter};
use medchain_protocol::{ephemeral_key, identity_key, participant_index};
use medchain_sdk::workflow::Selection;
use prost::Message;

fn opening(opening: &CaseOpening) {
    if let Ok(case) = Case::from_opening(opening) {
        let patient = identity_key(&opening.patient_key).expect("an accepted patient key parses");
        assert_eq!(case.patient, participant_index(&patient));
        assert_eq!(case.family.len(), opening.family_keys.len());
        assert_eq!(case.doctor, opening.doctor);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            let text = String::from_utf8_lossy(input);
            if let Ok(selection) = Selection::from_json(&text) {
                let again = Selection::from_json(&selection.to_json())
                    .expect("a selection's own JSON reads back");
                assert_eq!(again, selection, "a selection survives to_json / from_json");
                let _ = selection.check_signature();
            }
        }
        1 => {
            if let Ok(o) = CaseOpening::decode(input) {
                assert_eq!(
                    CaseOpening::decode(o.encode_to_vec().as_slice()).ok(),
                    Some(o.clone())
                );
                opening(&o);
            }
        }
        2 => {
            if let Ok(records) = CaseRecords::decode(input) {
                let again = CaseRecords::decode(records.encode_to_vec().as_slice())
                    .expect("prost re-decodes");
                assert_eq!(again, records);
                for stored in &records.records {
                    if let Ok(InputParameter {
                        record: Some(Record::Txtc(o)),
                    }) = InputParameter::decode(stored.value.as_slice())
                    {
                        opening(&o);
                    }
                }
            }
        }
        _ => {
            if let Ok(key) = identity_key(input) {
                assert_eq!(input.len(), 65);
                let _ = participant_index(&key);
            }
            if ephemeral_key(input).is_ok() {
                assert_eq!(input.len(), 33);
            }
        }
    }
});
