//! The integration tests of `medchain-siff`, in one binary: the published
//! test vectors and the property tests.

#![allow(missing_docs)]

mod properties;
#[path = "../siff_support/mod.rs"]
mod siff_support;
mod vectors;
