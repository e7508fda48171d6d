//! The integration tests of `medchain-sdk`, in one binary: the embedded
//! ledger, the ledger's verification of gateway answers, and the workflow
//! and its watcher on the embedded ledger.

mod embedded_ledger;
mod ledger_verification;
mod onchain_vectors;
mod workflow_embedded;
mod workflow_support;
mod workflow_watch;
