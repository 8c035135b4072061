//! `acebridge`: the operator's command line.
//!
//! - `acebridge validate FILE...` checks files as inbound files we would send to AWS. Exit 0: every record
//!   valid; 1: some record invalid; 2: some file unreadable.
//! - `acebridge convert FILE --to canonical|api` prints the records of any ACE file, converted.
//! - `acebridge replay --bucket LANDING KEY [--record N]...` puts failed records (from a
//!   `failed/<key>.errors.json` report) or a quarantined file back for the ingest function.
//! - `acebridge show --ledger-table T --crm-table T [--bucket LANDING]` prints the CRM store, the sync
//!   ledger, quarantined files and error reports.
//! - `acebridge forget --ledger-table T --crm-table T [--bucket LANDING] --email E|--company C|--phone P
//!   [--dry-run]` erases one customer from the CRM store, the ledger's snapshots and the landing bucket's
//!   files (old versions too), and prints what it removed.
//! - `acebridge decide INVITATION --accept|--reject REASON --catalog C --ledger-table T --crm-table T`
//!   accepts or rejects an AWS referral, as a decision made in the CRM does (`acebridge_sync::operations`).
//! - `acebridge pending --catalog C` lists the referrals waiting for a decision.
//! - `acebridge console --catalog C --ledger-table T --crm-table T [--bucket LANDING] [--port P]` serves
//!   the operations console on 127.0.0.1 (docs/operations.md, "The console").
//! - `acebridge local-init ...` creates the buckets and tables on the local stack.
//!
//! AWS access comes from the usual environment (profile, `AWS_REGION`); `AWS_ENDPOINT_URL` points it at
//! the local stack.

mod console;
mod crm;
mod ops;
mod report;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "acebridge",
    version,
    about = "Operate acebridge: validate and convert ACE files, replay failures, show the ledger"
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
        /// An ACE JSON file (opportunity, lead or results; inbound or outbound), or a GetEngagement answer
        /// (a lead over the API).
        file: std::path::PathBuf,
        /// Target form.
        #[arg(long, value_enum)]
        to: Target,
    },
    /// Put failed records (from an error report) or a quarantined file back for the ingest function.
    Replay {
        /// The landing bucket.
        #[arg(long)]
        bucket: String,
        /// `failed/<key>.errors.json` or `quarantine/<key>`.
        key: String,
        /// Only these failed records (their index in the original file); default: all.
        #[arg(long = "record")]
        records: Vec<usize>,
        /// Also write the S3 event that names the replayed object (to invoke the function locally).
        #[arg(long)]
        event_out: Option<std::path::PathBuf>,
    },
    /// Print the CRM store, the sync ledger, and what needs an operator.
    Show {
        /// The sync ledger table.
        #[arg(long)]
        ledger_table: String,
        /// The CRM store table.
        #[arg(long)]
        crm_table: String,
        /// The landing bucket, to list quarantined files and error reports.
        #[arg(long)]
        bucket: Option<String>,
        /// The local stack's event bus: print (and take) the outcome events in `<bus>-outcomes`.
        #[arg(long)]
        event_bus: Option<String>,
    },
    /// Create the ACE bucket, landing bucket and tables on the local stack (moto).
    /// Erase one customer: CRM store records, ledger snapshots, landing-bucket files (docs/operations.md).
    Forget {
        /// The sync ledger table.
        #[arg(long)]
        ledger_table: String,
        /// The CRM store table.
        #[arg(long)]
        crm_table: String,
        /// The landing bucket (S3 channel): processed/, failed/ and quarantine/ are searched.
        #[arg(long)]
        bucket: Option<String>,
        /// The customer's contact email (repeatable).
        #[arg(long = "email")]
        emails: Vec<String>,
        /// The customer's company name, exactly as in the records (repeatable).
        #[arg(long = "company")]
        companies: Vec<String>,
        /// The customer's phone number, exactly as in the records (repeatable).
        #[arg(long = "phone")]
        phones: Vec<String>,
        /// Say what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    LocalInit {
        /// The ACE bucket (created in us-west-2).
        #[arg(long)]
        ace_bucket: String,
        /// The landing bucket (versioned).
        #[arg(long)]
        landing_bucket: String,
        /// The sync ledger table.
        #[arg(long)]
        ledger_table: String,
        /// The CRM store table.
        #[arg(long)]
        crm_table: String,
        /// Also create this event bus, with a queue `<bus>-outcomes` receiving its outcome events.
        #[arg(long)]
        event_bus: Option<String>,
    },
    /// Check field-mapping configurations (built-in names or YAML/JSON files), as the functions do at
    /// start-up.
    MappingCheck {
        /// Built-in names (salesforce-standard, hubspot-deals, webhook-canonical) or paths.
        #[arg(required = true)]
        configs: Vec<String>,
    },
    /// Accept or reject an AWS referral (opportunity or lead invitation) before it expires: the same
    /// operation as a decision made in the CRM. Reads CRM_KIND, CRM_SECRET_ARN and CRM_MAPPING like the
    /// functions (the store alone if unset); PARTNER_CENTRAL_ENDPOINT for the local emulator.
    Decide {
        /// The invitation (`engi-…`).
        invitation: String,
        /// Accept it.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        accept: bool,
        /// Reject it, with one of AWS's rejection reasons (e.g. "Customer problem unclear").
        #[arg(long)]
        reject: Option<String>,
        #[command(flatten)]
        stack: Stack,
    },
    /// List the AWS referrals waiting for a decision, the soonest to expire first.
    Pending {
        /// `AWS` or `Sandbox`.
        #[arg(long)]
        catalog: String,
    },
    /// Serve the operations console on 127.0.0.1 (docs/operations.md, "The console"): overview,
    /// records, failures (fix and resend), invitations (accept, reject), held edits, channels. Reads the
    /// CRM and policy settings like the functions (CRM_KIND, INVITATION_POLICY, …).
    Console {
        #[command(flatten)]
        stack: Stack,
        /// The landing bucket (S3 channel): failed and quarantined files, fix and resend.
        #[arg(long)]
        bucket: Option<String>,
        /// The port on 127.0.0.1 (0: a free one).
        #[arg(long, default_value_t = 8421)]
        port: u16,
        /// Write the console's URL here once it listens.
        #[arg(long)]
        url_file: Option<std::path::PathBuf>,
        /// Lists are served from a snapshot of the tables, read again in the background once it is this
        /// old (0: every page reads the tables).
        #[arg(long, default_value_t = 10)]
        refresh_seconds: u64,
    },
    /// Print acebridge's notices, one of each kind and the daily digest on sample data, as the Slack
    /// Block Kit messages and Teams Adaptive Card bodies they are sent as (docs/notifications.md; what
    /// tests/contract/notices.py gives slack_sdk and Microsoft's adaptivecards library).
    Notices {
        /// Also a digest too large for one message (300 pending invitations), to see it split.
        #[arg(long)]
        large: bool,
    },
    /// Push every record of the CRM store to the real CRM with its batch API (first connection of a
    /// CRM, or after a mapping change). Reads CRM_KIND, CRM_SECRET_ARN and CRM_MAPPING like the functions.
    CrmPushAll {
        /// The CRM store table.
        #[arg(long)]
        crm_table: String,
    },
}

/// The catalog and tables an operation acts on.
#[derive(clap::Args)]
struct Stack {
    /// `AWS` or `Sandbox`.
    #[arg(long)]
    catalog: String,
    /// The sync ledger table.
    #[arg(long)]
    ledger_table: String,
    /// The CRM store table.
    #[arg(long)]
    crm_table: String,
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
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let code = match cli.command {
        Command::Validate {
            files,
            json,
            today,
            isv,
        } => {
            let today = today.unwrap_or_else(|| clock.today());
            report::validate(&files, json, today, !isv)
        }
        Command::Convert { file, to } => report::convert(&file, matches!(to, Target::Api)),
        Command::Replay {
            bucket,
            key,
            records,
            event_out,
        } => aws(ops::replay(
            &bucket,
            &key,
            &records,
            event_out.as_deref(),
            &clock,
        )),
        Command::Show {
            ledger_table,
            crm_table,
            bucket,
            event_bus,
        } => aws(ops::show(
            &ledger_table,
            &crm_table,
            bucket.as_deref(),
            event_bus.as_deref(),
            &clock,
        )),
        Command::Forget {
            ledger_table,
            crm_table,
            bucket,
            emails,
            companies,
            phones,
            dry_run,
        } => {
            let terms: Vec<String> = emails.into_iter().chain(companies).chain(phones).collect();
            aws(ops::forget(
                &ledger_table,
                &crm_table,
                bucket.as_deref(),
                &terms,
                dry_run,
                &clock,
            ))
        }
        Command::LocalInit {
            ace_bucket,
            landing_bucket,
            ledger_table,
            crm_table,
            event_bus,
        } => aws(ops::local_init(
            &ace_bucket,
            &landing_bucket,
            &ledger_table,
            &crm_table,
            event_bus.as_deref(),
        )),
        Command::MappingCheck { configs } => crm::mapping_check(&configs),
        Command::CrmPushAll { crm_table } => aws(crm::push_all(&crm_table, &clock)),
        Command::Decide {
            invitation,
            accept,
            reject,
            stack,
        } => {
            let decision = if accept { "accept" } else { "reject" };
            let tables = ops::Tables {
                ledger: &stack.ledger_table,
                crm: &stack.crm_table,
            };
            aws(ops::decide(
                &invitation,
                decision,
                reject.as_deref(),
                &stack.catalog,
                tables,
                &clock,
            ))
        }
        Command::Pending { catalog } => aws(ops::pending(&catalog, &clock)),
        Command::Notices { large } => ops::notices(large),
        Command::Console {
            stack,
            bucket,
            port,
            url_file,
            refresh_seconds,
        } => serve(
            console::Options {
                port,
                catalog: stack.catalog,
                ledger_table: stack.ledger_table,
                crm_table: stack.crm_table,
                bucket,
                url_file,
                refresh_seconds,
            },
            clock,
        ),
    };
    ExitCode::from(code)
}

/// Prints a line on stdout; a closed pipe (`acebridge convert … | head`) ends the program quietly instead
/// of panicking.
fn emit(line: &str) {
    use std::io::Write;
    if let Err(e) = writeln!(std::io::stdout(), "{line}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {e}");
    }
}

/// Serves the console on a multi-threaded runtime (pages are served while an action waits on AWS).
fn serve(options: console::Options, clock: acebridge_clock::Clock) -> u8 {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => match runtime.block_on(console::serve(options, clock)) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// Runs an AWS-facing command: exit 0, or 2 with the error on stderr.
fn aws(command: impl std::future::Future<Output = anyhow::Result<()>>) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    match runtime.block_on(command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    }
}
