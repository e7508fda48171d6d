//! The integration tests of `fabric-shim`, in one binary: the chaincode
//! server driven by the mock peer (handshake, transactions, the Stub API,
//! paging, concurrency, malformed input, status, TLS, timing) and the
//! server configuration.

mod common;
mod concurrency;
mod config;
mod handshake;
mod malformed;
mod paging;
mod status;
mod stub_api;
mod timing;
mod tls;
