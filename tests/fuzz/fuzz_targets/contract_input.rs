//! The contract's argument decoders and validation: `Store`'s
//! `InputParameter` decoder (canonical encoding), every record type's
//! validation and authorization, and the κ / κ0 / ind / policy argument
//! parsers of `Get`, `GetCase`, `GetParticipant` and `Init`.
//!
//! Input: byte 0 picks the function and the creator's role, the rest is
//! the argument. Properties: no panic; a decodable `InputParameter`
//! round-trips through prost; a stored record is exactly the input bytes,
//! under κ = SHA-256(input), which `Store` returns, and is canonical.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use medchain_contract::MedicalRecords;
use medchain_fuzz::{CREATORS, MemStub, policy_bytes};
use medchain_protocol::function;
use medchain_protocol::v1::InputParameter;
use prost::Message as _;
use sha2::Digest as _;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, argument)) = data.split_first() else {
        return;
    };
    if let Ok(decoded) = InputParameter::decode(argument) {
        let again = InputParameter::decode(decoded.encode_to_vec().as_slice())
            .expect("prost re-decodes its own encoding");
        assert_eq!(
            again, decoded,
            "decode → encode → decode changed the message"
        );
    }
    let function = match selector % 6 {
        0..=1 => function::STORE,
        2 => function::GET,
        3 => function::GET_CASE,
        4 => function::GET_PARTICIPANT,
        _ => function::INIT,
    };
    let creator = CREATORS[usize::from(selector / 6) % CREATORS.len()].clone();
    let state = BTreeMap::from([(
        medchain_contract::policy::POLICY_KEY.to_owned(),
        policy_bytes(),
    )]);
    let stub = MemStub::new(
        vec![function.as_bytes().to_vec(), argument.to_vec()],
        creator,
        state,
    );
    let outcome = futures::executor::block_on(async {
        if function == function::INIT {
            MedicalRecords.initialize(&stub).await
        } else {
            MedicalRecords.call(&stub).await
        }
    });
    match outcome {
        Ok(payload) if function == function::STORE => {
            let kappa: [u8; 32] = sha2::Sha256::digest(argument).into();
            assert_eq!(payload, kappa, "Store returns κ = SHA-256(input)");
            let key = medchain_contract::record_state_key(&kappa);
            let state = stub.state.lock().expect("state lock");
            assert_eq!(
                state.get(&key).map(Vec::as_slice),
                Some(argument),
                "stored bytes are the input"
            );
            let decoded = InputParameter::decode(argument).expect("a stored record decodes");
            assert_eq!(
                decoded.encode_to_vec(),
                argument,
                "a stored record is canonical"
            );
        }
        Ok(_) => {}
        Err(error) => {
            let invoke = error.to_invoke_error();
            assert!(invoke.status() >= 400, "a refusal has an error status");
            assert!(!invoke.message().is_empty(), "a refusal says why");
        }
    }
});
