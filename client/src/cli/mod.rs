//! The `medchain` command-line tool: one module per concept.
//!
//! * [`args`] — the command line (clap);
//! * [`error`] — one-sentence errors and the documented exit codes;
//! * [`output`] — human text or `--json` on stdout;
//! * [`password`] — the password from a no-echo prompt, a file or
//!   `MEDCHAIN_PASSWORD`;
//! * [`backend`] — the ledger a wallet works on (embedded or Fabric);
//! * [`session`] — an opened wallet with its password and ledger;
//! * [`contact`] — the contact card a user shares to be selected;
//! * [`progress`] — spinners on stderr while waiting;
//! * [`commands`] — one module per subcommand;
//! * [`demo`] — `medchain demo`, the whole workflow with every role.
//!
//! The binary (`src/bin/medchain.rs`) only parses the command line, sets
//! up logging and maps the result of [`run`] to an exit code.

pub mod args;
pub mod backend;
pub mod commands;
pub mod contact;
pub mod demo;
pub mod error;
pub mod output;
pub mod password;
pub mod progress;
pub mod session;

pub use args::Cli;
pub use error::{CliError, ExitStatus};
pub use output::Output;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output::new(cli.global.json);
    commands::run(&cli.global, cli.command, &out).await
}
