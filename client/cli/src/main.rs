//! `medchain`: the command-line tool of the medchain client (see
//! `docs/usage.md`). A thin layer over the medchain SDK (`medchain-sdk`):
//!
//! * `args` — the command line (clap);
//! * `error` — one-sentence errors and the documented exit codes;
//! * `output` — human text or `--json` on stdout;
//! * `password` — the password from a no-echo prompt, a file or
//!   `MEDCHAIN_PASSWORD`;
//! * `backend` — the ledger a wallet works on (embedded or Fabric);
//! * `ca` — which Fabric CA a command talks to;
//! * `session` — an opened wallet with its password and ledger;
//! * `contact` — the contact card a user shares to be selected;
//! * `qr` — QR codes (PNG and terminal) for contacts and selections;
//! * `progress` — spinners on stderr while waiting;
//! * `commands` — one module per subcommand;
//! * `demo` — `medchain demo`, the whole workflow with every role.
//!
//! `main` parses the command line, sets up logging to stderr from
//! `RUST_LOG`, runs the command and maps its result to an exit code.

#![forbid(unsafe_code)]

mod args;
mod ca;
mod commands;
mod contact;
mod demo;
mod error;
mod output;
mod password;
mod progress;
mod qr;
mod session;

use std::process::ExitCode;

use args::Cli;
use clap::Parser;
use error::CliError;
use output::Output;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.global.json);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(e) => Err(CliError::failure(format!(
            "cannot start the async runtime: {e}"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            out.error(&error);
            ExitCode::from(error.status().code())
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output::new(cli.global.json);
    commands::run(&cli.global, cli.command, &out).await
}
