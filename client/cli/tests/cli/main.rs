//! The integration tests of the `medchain` command-line tool, in one binary:
//! each runs the built `medchain` executable on the embedded ledger.

mod attachments;
mod cli_support;
mod demo;
mod errors;
mod grant;
mod identity;
mod revoke;
mod watch;
mod workflow;
