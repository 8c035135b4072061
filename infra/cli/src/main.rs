//! `acebridge`: the operator's command line.
//!
//! - `acebridge validate FILE...` checks files as inbound files we would send to AWS. Exit 0: every record
//!   valid; 1: some record invalid; 2: some file unreadable.
//! - `acebridge convert FILE --to canonical|api` prints the records of any ACE file, converted.

mod report;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "acebridge",
    version,
    about = "Operate acebridge: validate and convert ACE files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate files as inbound files we would send to AWS.
    Validate {
        /// ACE JSON files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// The date "not in the past" is checked against (default: today, UTC).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// ISV partners need no customer AWS account id at Launched.
        #[arg(long)]
        isv: bool,
    },
    /// Print a file's records converted to another form.
    Convert {
        /// An ACE JSON file (opportunity, lead or results; inbound or outbound).
        file: std::path::PathBuf,
        /// Target form.
        #[arg(long, value_enum)]
        to: Target,
    },
}

/// What `convert` produces.
#[derive(Clone, Copy, ValueEnum)]
enum Target {
    /// acebridge's canonical model.
    Canonical,
    /// Partner Central API payloads (CreateOpportunity without an AWS id, UpdateOpportunity with one).
    Api,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate {
            files,
            json,
            today,
            isv,
        } => {
            let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
            report::validate(&files, json, today, !isv)
        }
        Command::Convert { file, to } => report::convert(&file, matches!(to, Target::Api)),
    };
    ExitCode::from(code)
}
