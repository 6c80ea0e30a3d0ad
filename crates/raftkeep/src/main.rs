//! The `raftkeep` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = raftkeep::Cli::parse();
    match raftkeep::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", raftkeep::error_text(&e));
            if let Some(hint) = raftkeep::hints::hint(&e) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(raftkeep::exit_code(&e))
        }
    }
}
