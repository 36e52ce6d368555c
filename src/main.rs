//! The `tix` binary: parse the command line, run it through the library, and map the
//! outcome to the exit codes of the contract.

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use cli::Cli;

fn main() -> ExitCode {
    // The examples only show in help and error output, and adding them to every command
    // costs a fresh process more than the rest of parsing: they are added only when the
    // plain parse did not give a command to run, which the second parse then explains.
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
        .or_else(|_| {
            cli::examples::command()
                .try_get_matches()
                .and_then(|m| Cli::from_arg_matches(&m))
        });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return cli::clap_error(e),
    };
    let json = cli.json;
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if cli::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            cli::report_error(&err, json);
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
