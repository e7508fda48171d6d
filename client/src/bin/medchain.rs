//! `medchain`: the command-line tool of the medchain client (see
//! `docs/usage.md`). Parses the command line, sets up logging to stderr
//! from `RUST_LOG`, runs the command and maps its result to an exit code.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use medchain::cli::{Cli, CliError, Output};
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
        Ok(runtime) => runtime.block_on(medchain::cli::run(cli)),
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
