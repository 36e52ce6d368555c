//! The command line: clap definitions, one module per command group, and the renderer.
//!
//! A command is a thin function: it resolves the store and the actor, calls one library
//! operation and hands the returned value to [`render`], which prints it as a table or as
//! JSON. This is the only part of the crate that reads the environment or prints.

pub mod ask;
pub mod audit;
pub mod checkin;
pub mod db;
pub mod errors;
pub mod event;
pub mod examples;
pub mod export;
pub mod order;
pub mod render;
pub mod report;
pub mod setup;
pub mod shell;
pub mod ticket;
pub mod tier;
pub mod user;
pub mod waitlist;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use tix::access::Actor;
use tix::error::Error;
use tix::ops::users;
use tix::store::{OpenMode, Store};

pub use render::{clap_error, exit_code, is_broken_pipe, report_error};

/// Event ticketing from the terminal: events, tiers, orders and check-in on one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "tix", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// The SQLite database file [default: tix.db in the platform data directory]
    #[arg(long, env = "TIX_DB", global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Act as this registered user (absent: the anonymous public)
    #[arg(long = "as", env = "TIX_USER", global = true, value_name = "EMAIL")]
    pub as_user: Option<String>,

    /// Machine output: one JSON document on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Answer yes to every confirmation (deletes, cancels)
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Never prompt; fail instead when an answer would be needed
    #[arg(
        long,
        env = "TIX_NO_INPUT",
        global = true,
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_input: bool,

    /// Print nothing but the essential result (ids)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Show every column of a list, however wide (lists otherwise fit the terminal)
    #[arg(long, global = true)]
    pub wide: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (and the first admin); safe to run twice
    Init(setup::InitArgs),
    /// Fill the database with a demo festival, then show what to try next
    Demo,
    /// Users and roles
    #[command(subcommand)]
    User(user::UserCmd),
    /// Events and their gate staff
    #[command(subcommand)]
    Event(event::EventCmd),
    /// Ticket tiers: prices, quantities, sale windows, rules
    #[command(subcommand)]
    Tier(tier::TierCmd),
    /// Orders: buying, box-office sales, comps, approval, cancellation, refunds
    #[command(subcommand)]
    Order(order::OrderCmd),
    /// Tickets: your tickets, QR codes, attendees, transfers
    #[command(subcommand)]
    Ticket(ticket::TicketCmd),
    /// Waitlists for sold-out tiers: join, offers when seats come back, claim
    #[command(subcommand)]
    Waitlist(waitlist::WaitlistCmd),
    /// The audit log of every change
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Check a ticket in at the gate: exit 0 if accepted, 6 if rejected
    Validate(checkin::ValidateArgs),
    /// Check-in at the gate: a scanner loop, and arrival figures
    #[command(subcommand)]
    Checkin(checkin::CheckinCmd),
    /// Offline gate files: export for a gate laptop, merge its scans back
    #[command(subcommand)]
    Scanner(checkin::ScannerCmd),
    /// Export an event's door list, orders, scans or audit log as CSV or JSON lines
    #[command(subcommand)]
    Export(export::ExportCmd),
    /// Reports for promoters: sales per tier and per payment state
    #[command(subcommand)]
    Report(report::ReportCmd),
    /// The database as a whole: copy it to PostgreSQL or into a new file
    #[command(subcommand)]
    Db(db::DbCmd),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish)
    Completions(shell::CompletionsArgs),
    /// Print the man page, or write one per command into a directory
    Man(shell::ManArgs),
}

/// What every command needs besides its own arguments: global flags and environment.
#[derive(Debug)]
pub struct Ctx {
    db: Option<PathBuf>,
    as_user: Option<String>,
    /// Print JSON instead of tables.
    pub json: bool,
    /// Print only the essential result.
    pub quiet: bool,
    /// Show every column of a list.
    pub wide: bool,
    yes: bool,
    no_input: bool,
}

impl Ctx {
    /// The database path: `--db`/`TIX_DB`, else `tix.db` in the platform data directory.
    pub fn db_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(dirs::data_dir)
            .ok_or_else(|| {
                Error::Usage(
                    "cannot find a data directory for the default database; pass --db PATH or set TIX_DB".into(),
                )
            })?;
        Ok(base.join("tix").join("tix.db"))
    }

    /// The acting user's e-mail (`--as`/`TIX_USER`), if any.
    pub fn as_user(&self) -> Option<&str> {
        self.as_user.as_deref()
    }

    /// Opens the store; `create` allows making a new database (and the default directory).
    pub fn open(&self, create: bool) -> anyhow::Result<Store> {
        let path = self.db_path()?;
        let mode = if create {
            if self.db.is_none()
                && let Some(dir) = path.parent()
            {
                std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                    action: "create directory",
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            OpenMode::CreateIfMissing
        } else {
            OpenMode::MustExist
        };
        Ok(Store::open_waiting(&path, mode, busy_timeout()?)?)
    }

    /// Opens an existing store and resolves the acting user. Only `init` and `demo`
    /// create a database: a mistyped `--db` is an error naming the path, not a new,
    /// empty database.
    pub fn session(&self) -> anyhow::Result<(Store, Actor)> {
        let store = self.open(false)?;
        let actor = users::actor(&store, self.as_user.as_deref())?;
        Ok((store, actor))
    }

    /// Asks before a destructive step: `--yes` agrees; without a terminal (or with
    /// `--no-input`) the command fails instead of guessing.
    pub fn confirm(&self, question: &str) -> tix::Result<()> {
        if self.yes {
            return Ok(());
        }
        if self.no_input || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return Err(Error::Usage(format!(
                "this needs confirmation, and there is no terminal to ask on: {question} Pass --yes to confirm without a prompt"
            )));
        }
        let yes = dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(|e| {
                Error::Usage(format!("could not read an answer: {e}; pass --yes instead"))
            })?;
        if yes {
            Ok(())
        } else {
            Err(Error::Usage("aborted; nothing was changed".into()))
        }
    }
}

/// How long to wait for another process's write lock: `TIX_BUSY_TIMEOUT_MS`, else 30 s.
/// A script that would rather fail fast than queue sets it low.
pub fn busy_timeout() -> tix::Result<std::time::Duration> {
    match std::env::var("TIX_BUSY_TIMEOUT_MS") {
        Err(_) => Ok(tix::store::BUSY_TIMEOUT),
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(std::time::Duration::from_millis)
            .map_err(|_| {
                Error::invalid(
                    "TIX_BUSY_TIMEOUT_MS",
                    format!("'{}' is not a number of milliseconds", v.escape_debug()),
                )
            }),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Ctx {
        db: cli.db,
        as_user: cli.as_user,
        json: cli.json,
        quiet: cli.quiet,
        wide: cli.wide,
        yes: cli.yes,
        no_input: cli.no_input,
    };
    match cli.command {
        Command::Init(args) => setup::init(&ctx, args),
        Command::Demo => setup::demo(&ctx),
        Command::User(cmd) => user::run(&ctx, cmd),
        Command::Event(cmd) => event::run(&ctx, cmd),
        Command::Tier(cmd) => tier::run(&ctx, cmd),
        Command::Order(cmd) => order::run(&ctx, cmd),
        Command::Ticket(cmd) => ticket::run(&ctx, cmd),
        Command::Waitlist(cmd) => waitlist::run(&ctx, cmd),
        Command::Audit(cmd) => audit::run(&ctx, cmd),
        Command::Validate(args) => checkin::validate(&ctx, args),
        Command::Checkin(cmd) => checkin::run(&ctx, cmd),
        Command::Scanner(cmd) => checkin::scanner(&ctx, cmd),
        Command::Export(cmd) => export::run(&ctx, cmd),
        Command::Report(cmd) => report::run(&ctx, cmd),
        Command::Db(cmd) => db::run(&ctx, cmd),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(&ctx, args),
    }
}
