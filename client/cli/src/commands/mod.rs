//! One module per subcommand.

pub mod admin;
pub mod audit;
pub mod cases;
pub mod establish;
pub mod grant;
pub mod init;
pub mod open_case;
pub mod read;
pub mod record;
pub mod register;
pub mod renew;
pub mod respond;
pub mod revoke;
pub mod select;
pub mod watch;
pub mod whoami;

use super::args::{Command, GlobalArgs};
use super::error::CliError;
use super::output::Output;

/// Runs one subcommand.
pub async fn run(global: &GlobalArgs, command: Command, out: &Output) -> Result<(), CliError> {
    match command {
        Command::Init(args) => init::run(global, &args, out).await,
        Command::Whoami(args) => whoami::run(global, &args, out),
        Command::Register => register::run(global, out).await,
        Command::Renew => renew::run(global, out).await,
        Command::Admin(command) => admin::run(&command, out).await,
        Command::Select(args) => select::run(global, &args, out).await,
        Command::OpenCase(args) => open_case::run(global, &args, out).await,
        Command::Grant(args) => grant::run(global, &args, out).await,
        Command::Revoke(args) => revoke::run(global, &args, out).await,
        Command::Respond(args) => respond::run(global, &args, out).await,
        Command::Establish(args) => establish::run(global, &args, out).await,
        Command::Watch(args) => watch::run(global, &args, out).await,
        Command::Record(args) => record::run(global, &args, out).await,
        Command::Read(args) => read::run(global, &args, out).await,
        Command::Audit(args) => audit::run(global, &args, out).await,
        Command::Cases => cases::run(global, out),
        Command::Demo(args) => super::demo::run(&args, out).await,
    }
}
