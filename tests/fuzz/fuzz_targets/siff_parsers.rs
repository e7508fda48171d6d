//! The SIFF parsers: a tag read from the ledger (`Tag::from_bytes`, then
//! key recovery), a sealed record (`open_record`) and a sealed response
//! (`open_response`: `pk_x` point decoding, `c_x` length, GCM).
//!
//! Input: byte 0 picks the parser, the rest is its input. Properties: no
//! panic; an accepted tag re-encodes to exactly its bytes; only the genuine
//! sealed record and response open (no forgery under the fixture keys).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use medchain_fuzz::{RESPONDER, case_id, genuine_record, genuine_response, record_key, secret_key};
use medchain_siff::{ParticipantSecret, RecordType, Tag, open_record, open_response};

static RECORD: LazyLock<Vec<u8>> = LazyLock::new(genuine_record);
static RESPONSE: LazyLock<Vec<u8>> = LazyLock::new(genuine_response);
static DOCTOR: LazyLock<p256::SecretKey> = LazyLock::new(|| secret_key("doctor"));

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            if let Ok(tag) = Tag::from_bytes(input) {
                assert_eq!(tag.to_bytes(), input, "a tag re-encodes to its bytes");
                assert_eq!(tag.participant_count() * 66, input.len());
                let _ = tag.recover_key(&ParticipantSecret::from_bytes([5u8; 32]));
            }
        }
        1 => {
            if let Ok(plaintext) =
                open_record(&record_key(), RecordType::Diagnosis, &case_id(), input)
            {
                assert_eq!(input, RECORD.as_slice(), "only the genuine record opens");
                assert_eq!(plaintext.as_slice(), b"diagnosis: fuzzing");
            }
        }
        _ => {
            let split = input.len().min(33);
            let (pk, sealed) = input.split_at(split);
            if open_response(&DOCTOR, RESPONDER, &case_id(), pk, sealed).is_ok() {
                assert_eq!(
                    input,
                    RESPONSE.as_slice(),
                    "only the genuine response opens"
                );
            }
        }
    }
});
