//! The `mailform` binary: parse arguments, run one command, render a failure, exit.

use std::process::ExitCode;

use clap::Parser;
use mailform::cli::{self, Args};

fn main() -> ExitCode {
    let args = Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprint!("{}", cli::render_error(&error));
            ExitCode::from(cli::EXIT_FAILED)
        }
    }
}
