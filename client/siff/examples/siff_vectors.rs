//! Writes the `medchain-siff-v2` test vectors, deterministically from a
//! fixed seed, to `tests/vectors/siff-v2.json` (or the path given):
//!
//! ```text
//! cargo run -p medchain-siff --release --example siff_vectors [-- OUTPUT]
//! ```
//!
//! Re-running it reproduces the committed file byte for byte; the test
//! `siff_vectors::generator_reproduces_the_committed_file` checks that.

#[path = "../tests/siff_support/mod.rs"]
mod siff_support;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(siff_support::VECTORS_PATH),
    };
    let json = siff_support::to_json(&siff_support::generate(siff_support::SEED));
    std::fs::write(&output, json).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(())
}
