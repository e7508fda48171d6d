//! The Fabric CA client's response parser: the JSON envelope (`success`,
//! `errors`, `result`), the `cainfo` result (base64 PEM chain) and the
//! enroll / re-enroll result (base64 PEM certificate, which must be for the
//! requester's key), as `fabric_ca_client` reads a CA's HTTP answer.
//!
//! Input: byte 0 picks the HTTP status (200, 201, 400, 401, 500 or an odd
//! one), the rest is the body. Properties: no panic; a response accepted
//! with a status outside 2xx never happens; an accepted enrollment's
//! certificate is for the requester's key.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<p256::SecretKey> = LazyLock::new(|| medchain_fuzz::secret_key("enrollee"));

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = match selector % 6 {
        0 => 200,
        1 => 201,
        2 => 400,
        3 => 401,
        4 => 500,
        _ => u16::from(selector),
    };
    let info = fabric_ca_client::parse_ca_info_response(status, body);
    let enrollment = fabric_ca_client::parse_enroll_response(status, body, KEY.clone());
    if info.is_ok() || enrollment.is_ok() {
        assert!(
            (200..300).contains(&status),
            "accepted a response with status {status}"
        );
    }
    if let Err(error) = &info {
        assert!(!error.to_string().is_empty());
    }
    if let Ok(enrollment) = enrollment {
        let (_, key) = fabric_shim::identity::parse_certificate_pem(enrollment.certificate_pem())
            .expect("an accepted certificate parses");
        assert_eq!(
            key,
            KEY.public_key(),
            "the certificate is for the requester's key"
        );
    }
});
