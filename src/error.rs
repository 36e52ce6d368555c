//! The library's one error type.
//!
//! Every failure a caller can see is a variant of [`Error`]. Each variant knows its
//! [`ErrorKind`], which the binary maps to the exit codes of the command-line contract,
//! and its message, written for the person at the terminal: what was wrong and, where
//! there is one, what to do instead.

use std::path::PathBuf;

/// What sort of failure an [`Error`] is; decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Internal or I/O failure (exit 1).
    Internal,
    /// Malformed input: a value that cannot be parsed or is out of range (exit 2).
    Usage,
    /// The named object does not exist (exit 3).
    NotFound,
    /// The acting user may not do this (exit 4).
    PermissionDenied,
    /// Well-formed, but breaks a business rule (exit 5).
    RuleViolation,
    /// A ticket was rejected at check-in (exit 6). The verdict itself is the output.
    Rejected,
    /// Another process held the database's write lock too long (exit 1, like other
    /// internal failures, but with its own JSON code: retrying is the answer).
    Busy,
}

impl ErrorKind {
    /// The stable machine-readable code used in `--json` error objects.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Internal => "internal",
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not_found",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RuleViolation => "rule_violation",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Busy => "busy",
        }
    }

    /// The process exit code of the command-line contract.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Internal | ErrorKind::Busy => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::PermissionDenied => 4,
            ErrorKind::RuleViolation => 5,
            ErrorKind::Rejected => 6,
        }
    }
}

/// Everything that can go wrong in a tix operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given by the user (flag, file cell) is malformed or out of range.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or flag the value was for, e.g. `price`.
        field: String,
        /// What is wrong with it and what is accepted instead.
        reason: String,
    },

    /// A command was invoked in a way that cannot work (a missing confirmation). Written
    /// by the command line, which knows its own flags.
    #[error("{0}")]
    Usage(String),

    /// A change that names nothing to change.
    #[error("nothing to change: no {what} field was given")]
    NothingToChange {
        /// What was to be changed: `tier`, `attendee`.
        what: &'static str,
    },

    /// A gate on the main database was opened without naming its event.
    #[error(
        "on the main database a gate admits to one event, which must be named (a gate file knows its own event)"
    )]
    EventRequired,

    /// An object named by the user does not exist.
    #[error("{} {id} not found", .what.noun())]
    NotFound {
        /// What was looked for, and in which role.
        what: Missing,
        /// The identifier the user gave.
        id: String,
    },

    /// The acting user may not perform this action.
    #[error("permission denied: {0}")]
    Denied(Denial),

    /// The request is well-formed but breaks a business rule.
    #[error("{0}")]
    Rule(Rule),

    /// The request breaks several business rules: every one of them, in one answer.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; and "))]
    Rules(Vec<Rule>),

    /// No database exists at the given path and the command does not create one.
    #[error("no tix database at {}; check the path for a typo, or create one there", .0.display())]
    NoDatabase(PathBuf),

    /// The database was written by a newer tix and is left untouched.
    #[error("the database {} has schema version {found}, but this tix only knows up to version {supported}; upgrade tix to open it (nothing in it was changed)", .path.display())]
    NewerDatabase {
        /// The database file.
        path: PathBuf,
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this build understands.
        supported: i64,
    },

    /// The file exists but is not a tix database (or is damaged).
    #[error("{} is not a tix database (or is damaged): {why}; check the path", .path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        why: NotDb,
    },

    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being attempted: `read`, `write`, `create directory`, …
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// Check-in refused `count` scans; each verdict has already been shown.
    #[error("{}", rejected_message(*.count, .reason))]
    Rejected {
        /// How many scans were rejected.
        count: u64,
        /// The reason code, for a single validation.
        reason: Option<&'static str>,
    },

    /// A problem with one row of an imported file; the kind is that of the inner error.
    #[error("{row}: {source}")]
    InRow {
        /// Where in the file: `row 3 (line 4)`, `item 2`.
        row: String,
        /// What is wrong with it.
        source: Box<Error>,
    },

    /// Problems with several rows of an imported file: each of them (up to a limit), so
    /// that one run shows everything to fix.
    #[error("{}", in_rows(.0, *.1))]
    InRows(Vec<Error>, usize),

    /// Another process kept the database's write lock for the whole busy timeout.
    #[error("the database {} is busy: another process held its write lock for the {} this command waited; nothing was changed, so try again", .path.display(), waited(*.waited_ms))]
    Busy {
        /// The database file.
        path: PathBuf,
        /// How long this process waited, in milliseconds.
        waited_ms: u64,
    },

    /// The database can be read but not written.
    #[error("{} is read-only (file permissions, or a read-only disk): {detail}", .path.display())]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// Why a write was needed, and what to do.
        detail: String,
    },

    /// The disk holding the database is full.
    #[error("the disk holding {} is full; nothing was changed — free some space and try again", .path.display())]
    DiskFull {
        /// The database file.
        path: PathBuf,
    },

    /// Some of the files a command writes were written, then one failed.
    #[error("{source}; only {written} of {total} files were written")]
    Incomplete {
        /// Files completely written (and synced) before the failure.
        written: usize,
        /// Files the command meant to write.
        total: usize,
        /// The failure.
        source: Box<Error>,
    },

    /// The database engine reported an error tix has no better word for. The engine's
    /// own error is inside; the store turns the ones a person can act on (busy,
    /// read-only, disk full) into their own variants.
    #[error("database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync + 'static>),

    /// Data in the database breaks an invariant tix relies on.
    #[error("corrupt data in the database: {0}")]
    Corrupt(String),

    /// A printable ticket could not be made (what the PDF writer said).
    #[error("could not make the ticket PDF: {0}")]
    Pdf(String),
}

fn rejected_message(count: u64, reason: &Option<&'static str>) -> String {
    match reason {
        Some(r) => format!("ticket rejected: {r}"),
        None if count == 1 => "1 scan was rejected".to_string(),
        None => format!("{count} scans were rejected"),
    }
}

fn waited(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

impl Error {
    /// The kind of this error, which decides its exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. }
            | Error::Usage(_)
            | Error::NothingToChange { .. }
            | Error::EventRequired => ErrorKind::Usage,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Denied(_) => ErrorKind::PermissionDenied,
            Error::Rule(_) | Error::Rules(_) => ErrorKind::RuleViolation,
            Error::InRow { source, .. } => source.kind(),
            Error::InRows(errors, _) => errors.first().map_or(ErrorKind::Usage, |e| e.kind()),
            Error::Rejected { .. } => ErrorKind::Rejected,
            Error::NoDatabase(_) => ErrorKind::NotFound,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::Incomplete { source, .. } => match source.kind() {
                ErrorKind::Busy => ErrorKind::Busy,
                _ => ErrorKind::Internal,
            },
            Error::NewerDatabase { .. }
            | Error::ReadOnly { .. }
            | Error::DiskFull { .. }
            | Error::NotADatabase { .. }
            | Error::Io { .. }
            | Error::Database(_)
            | Error::Pdf(_)
            | Error::Corrupt(_) => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(what: Missing, id: impl ToString) -> Self {
        Error::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

/// `N rows have problems: …; …` — `more` is how many were left out past the limit.
fn in_rows(errors: &[Error], more: usize) -> String {
    let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    format!(
        "{}: {}{tail}; nothing was imported",
        rows_with_problems(errors, more),
        listed.join("; ")
    )
}

/// `3 rows have problems`, or `4 problems in 3 rows` when a row has several.
pub fn rows_with_problems(errors: &[Error], more: usize) -> String {
    let total = errors.len() + more;
    let mut rows: Vec<&str> = errors
        .iter()
        .filter_map(|e| match e {
            Error::InRow { row, .. } => Some(row.as_str()),
            _ => None,
        })
        .collect();
    rows.sort_unstable();
    rows.dedup();
    if more == 0 && rows.len() < total {
        format!("{total} problems in {} rows", rows.len())
    } else {
        format!("{total} rows have problems")
    }
}

impl From<Rule> for Error {
    fn from(rule: Rule) -> Self {
        Error::Rule(rule)
    }
}

impl Error {
    /// Every rule a request breaks as one error (none: `Ok`).
    pub fn rules(mut broken: Vec<Rule>) -> std::result::Result<(), Error> {
        match broken.len() {
            0 => Ok(()),
            1 => Err(Error::Rule(broken.remove(0))),
            _ => Err(Error::Rules(broken)),
        }
    }
}

impl From<Denial> for Error {
    fn from(denial: Denial) -> Self {
        Error::Denied(denial)
    }
}

/// What was looked for and not found, and in which role: the command line says what to
/// do next by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// An event.
    Event,
    /// A tier.
    Tier,
    /// An order.
    Order,
    /// A ticket.
    Ticket,
    /// A user account named as the object of a command.
    User,
    /// The acting user (`--as`/`TIX_USER`) has no account.
    ActingUser,
    /// The buyer named for a box-office sale has no account.
    Buyer,
    /// A user named for removal is not assigned to the event's gates.
    StaffAssignment {
        /// The event.
        event: i64,
    },
    /// A gate file path names no file.
    GateFile,
    /// A gate file named for a merge is not there.
    MergeFile,
    /// A place in a waitlist (an offer is one too).
    WaitlistEntry,
}

impl Missing {
    /// The noun in messages.
    pub fn noun(&self) -> &'static str {
        match self {
            Missing::Event => "event",
            Missing::Tier => "tier",
            Missing::Order => "order",
            Missing::Ticket => "ticket",
            Missing::User | Missing::ActingUser | Missing::Buyer => "user",
            Missing::StaffAssignment { .. } => "staff assignment",
            Missing::GateFile | Missing::MergeFile => "gate file",
            Missing::WaitlistEntry => "waitlist place",
        }
    }
}

/// What a file that is not a tix database is instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotDb {
    /// A directory.
    #[error("it is a directory")]
    Directory,
    /// An empty file, which only creating a database may fill.
    #[error("it is an empty file, which only creating a database may fill")]
    EmptyFile,
    /// A gate file for offline check-in, on which only the gate's commands work.
    #[error(
        "it is a gate file for offline check-in, on which only validating, scanning and the door list work"
    )]
    GateFile,
    /// A SQLite database of another program.
    #[error("it is a SQLite database of another program (application id {app_id:#x})")]
    OtherProgram {
        /// Its `PRAGMA application_id`.
        app_id: i64,
    },
    /// A SQLite database tix did not create (schema version set, no tix application id).
    #[error(
        "it is a SQLite database that tix did not create (schema version {version}, no tix application id)"
    )]
    Unstamped {
        /// Its `PRAGMA user_version`.
        version: i64,
    },
    /// A SQLite database with tables of its own.
    #[error("it is a SQLite database that tix did not create")]
    Foreign,
    /// A PostgreSQL database holding tables of something else.
    #[error(
        "it is a PostgreSQL database with tables that tix did not create; give tix an empty database of its own"
    )]
    ForeignPostgres,
    /// tix's PostgreSQL database with unreadable metadata.
    #[error("it is a tix database on PostgreSQL, but damaged ({what}); restore it from a backup")]
    DamagedPostgres {
        /// What is wrong.
        what: String,
    },
    /// Not SQLite at all.
    #[error("the file is not a SQLite database")]
    NotSqlite,
    /// A gate file that cannot be read.
    #[error(
        "it is a gate file, but damaged ({what}); export a new one, and keep this one for its scans"
    )]
    DamagedGateFile {
        /// What went wrong reading it.
        what: String,
    },
    /// Not a gate file, where one was expected.
    #[error("it is not a gate file made by a gate export")]
    NotAGateFile,
}

/// Why the acting user may not do something. `who` names a signed-in actor as
/// `email (role)`; the public is always told it needs a signed-in user instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The public tried what needs a signed-in user.
    #[error("{doing} needs a signed-in user")]
    NeedsUser {
        /// What was attempted, e.g. `buying tickets`.
        doing: &'static str,
    },
    /// Only an admin may do this.
    #[error("only an admin may {doing}; {who} is not one")]
    AdminOnly {
        /// What was attempted, e.g. `add users`.
        doing: &'static str,
        /// The actor.
        who: String,
    },
    /// Someone else's account.
    #[error("only an admin or {target} themself may see that account")]
    OthersAccount {
        /// The account's e-mail.
        target: String,
    },
    /// Creating events is for promoters and admins.
    #[error("only promoters and admins may create events; {who} is not one")]
    NotPromoter {
        /// The actor.
        who: String,
    },
    /// A draft event is seen only by its promoter and admins.
    #[error("event {event} is a draft; only its promoter ({owner}) or an admin may see it")]
    DraftEvent {
        /// The event.
        event: i64,
        /// Its promoter's e-mail.
        owner: String,
    },
    /// Only the event's own promoter (or an admin) may do this.
    #[error("only the promoter who owns event {event} ({owner}) or an admin may do this{}", acting(.who))]
    NotEventOwner {
        /// The event.
        event: i64,
        /// Its promoter's e-mail.
        owner: String,
        /// The actor, if signed in.
        who: Option<String>,
    },
    /// Checking in at an event is for its promoter, its staff and admins.
    #[error(
        "only the promoter of event {event} ({owner}), gate staff assigned to it or an admin may check tickets in there; {who} may not"
    )]
    NotGateWorker {
        /// The event.
        event: i64,
        /// Its promoter's e-mail.
        owner: String,
        /// The actor.
        who: String,
    },
    /// Gates are worked by promoters, staff and admins.
    #[error("only promoters, gate staff and admins check tickets in; {who} is none of them")]
    NoGateRole {
        /// The actor.
        who: String,
    },
    /// Staff accounts do not buy.
    #[error(
        "gate staff accounts only check tickets in; {email} cannot buy tickets (use a personal account)"
    )]
    StaffCannotBuy {
        /// The staff account.
        email: String,
    },
    /// Someone else's order.
    #[error(
        "only the buyer, the promoter of event {event} ({owner}) or an admin may see this order"
    )]
    OthersOrder {
        /// The order's event.
        event: i64,
        /// Its promoter's e-mail.
        owner: String,
    },
    /// An offer made to someone else.
    #[error("offer {offer} was made to someone else; only they may claim or decline it")]
    OthersOffer {
        /// The offer.
        offer: i64,
    },
    /// Someone else's ticket.
    #[error(
        "only the ticket's owner, the promoter of event {event} ({owner}) or an admin may see it"
    )]
    OthersTicket {
        /// The ticket's event.
        event: i64,
        /// Its promoter's e-mail.
        owner: String,
    },
    /// Only a ticket's holder may act as its holder.
    #[error("only the ticket's owner may do this; {who} does not own it")]
    NotHolder {
        /// The actor.
        who: String,
    },
    /// An unverified promoter may not manage tiers.
    #[error(
        "promoter {email} is not verified yet; an admin must verify them before they may create or change tiers"
    )]
    NotVerified {
        /// The promoter.
        email: String,
    },
    /// Someone else's tickets, listed.
    #[error(
        "only an admin, a promoter (for their events) or {email} themself may list their tickets"
    )]
    OthersTickets {
        /// The holder asked for.
        email: String,
    },
    /// The audit log is for admins and (for their events) promoters.
    #[error(
        "only an admin may read the whole audit log and a promoter that of their own events; {who} is neither"
    )]
    AuditLog {
        /// The actor.
        who: String,
    },
    /// The first admin comes from setting up the database, once.
    #[error("this database already has an admin")]
    AdminExists,
}

fn acting(who: &Option<String>) -> String {
    who.as_ref()
        .map_or(String::new(), |w| format!("; you are acting as {w}"))
}

/// A business rule the request breaks, with the values that break it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    /// The demo fills only a database of its own.
    #[error(
        "this database holds accounts of its own ({others} besides the demo's); the demo fills a database of its own, so run it on a new file"
    )]
    DemoNeedsNewDatabase {
        /// Accounts that are not the demo's.
        others: i64,
    },
    /// An event must end after it starts.
    #[error(
        "ends_at ({ends}) is not after starts_at ({starts}); an event must end after it starts"
    )]
    EventEndsBeforeStart {
        /// The start, in the event's zone.
        starts: String,
        /// The end, in the event's zone.
        ends: String,
    },
    /// Only a draft is published.
    #[error("event {event} is {status}; only a draft event can be published")]
    NotDraft {
        /// The event.
        event: i64,
        /// Its status.
        status: String,
    },
    /// An event with open orders is cancelled only together with them.
    #[error(
        "event {event} has {orders} open {} ({tickets} {}); cancelling it must refund or cancel them too",
        if *.orders == 1 { "order" } else { "orders" },
        if *.tickets == 1 { "ticket" } else { "tickets" }
    )]
    EventHasOrders {
        /// The event.
        event: i64,
        /// Its open orders.
        orders: i64,
        /// Their tickets.
        tickets: i64,
    },
    /// A complimentary order is not paid.
    #[error("a complimentary order is not paid, so it has no payment reference")]
    CompPaymentRef,
    /// Only a paid order has a refund reference.
    #[error("order {order} is {what}, so no money is returned and there is no refund reference")]
    NothingRefunded {
        /// The order.
        order: i64,
        /// Why nothing is returned.
        what: &'static str,
    },
    /// Only tickets that get someone in are printed.
    #[error("ticket {ticket} is {status}; only a valid ticket is printed")]
    NotPrintable {
        /// The ticket.
        ticket: i64,
        /// What it is instead.
        status: String,
    },
    /// One PDF holds a bounded number of pages.
    #[error("order {order} has {tickets} tickets to print, more than the {max} one PDF holds")]
    TooManyPages {
        /// The order.
        order: i64,
        /// Its event.
        event: i64,
        /// Tickets to print.
        tickets: usize,
        /// Pages a PDF holds.
        max: usize,
    },
    /// An order with no ticket left to print.
    #[error(
        "order {order} has no ticket left to print: each was used, cancelled, refunded or given to another holder"
    )]
    NothingToPrint {
        /// The order.
        order: i64,
    },
    /// A waitlist place is for as many seats as one order may buy.
    #[error("tier '{name}' sells {min} to {max} tickets per order; {asked} cannot be waited for")]
    WaitlistQuantity {
        /// The tier's name.
        name: String,
        /// Seats asked for.
        asked: i64,
        /// Its minimum per order.
        min: i64,
        /// Its maximum per order.
        max: i64,
    },
    /// No waitlist where nothing is sold.
    #[error("tier {tier} '{name}' has no waitlist: {why}")]
    WaitlistClosed {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Why it is not on sale.
        why: String,
    },
    /// A waitlist is for tiers that cannot sell what is wanted.
    #[error("tier {tier} '{name}' is not sold out: {left} left, so buy them instead")]
    NotSoldOut {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Seats left.
        left: i64,
    },
    /// People in a tier's line come before new buyers.
    #[error(
        "tier {tier} '{name}' has {waiting} {} in its waitlist, who get freed seats first; join the waitlist instead",
        if *.waiting == 1 { "person" } else { "people" }
    )]
    WaitlistFirst {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// People waiting.
        waiting: i64,
    },
    /// One place in line per user and tier.
    #[error("you are already in the waitlist of tier {tier} (place {entry})")]
    AlreadyWaiting {
        /// The tier.
        tier: i64,
        /// Their place.
        entry: i64,
    },
    /// Only a live offer is claimed or declined.
    #[error("waitlist place {entry} is not an open offer (it is {status})")]
    NotAnOffer {
        /// The place.
        entry: i64,
        /// What it is.
        status: String,
    },
    /// Only a place in line is removed.
    #[error("waitlist place {entry} is no longer in line (it is {status})")]
    NotInLine {
        /// The place.
        entry: i64,
        /// What it is.
        status: String,
    },
    /// Seats held for the waitlist stay in the tier.
    #[error(
        "quantity ({quantity}) cannot be less than the {sold} tickets sold plus the {held} held for waitlist offers of tier {tier} '{name}'"
    )]
    QuantityBelowHeld {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// The quantity asked for.
        quantity: i64,
        /// Tickets sold.
        sold: i64,
        /// Seats held.
        held: i64,
    },
    /// An event that is over is not cancelled.
    #[error(
        "event {event} ended {ended}; an event that is over cannot be cancelled (refund its orders one by one)"
    )]
    EventOver {
        /// The event.
        event: i64,
        /// When it ended, in its zone.
        ended: String,
    },
    /// An event starts in the future.
    #[error(
        "starts_at ({starts}) is in the past (it is now {now}); an event is created before it starts"
    )]
    EventInPast {
        /// The start, in the event's zone.
        starts: String,
        /// Now, in the event's zone.
        now: String,
    },
    /// A tier's sale window lies within its event.
    #[error(
        "{field} ({when}) is after the event {what} ({event_time}); a tier's sales {verb} before the event {what}s"
    )]
    SaleWindowAfterEvent {
        /// `sale_start` or `sale_end`.
        field: &'static str,
        /// Its value, in the event's zone.
        when: String,
        /// `start` or `end`.
        what: &'static str,
        /// The event's start or end, in its zone.
        event_time: String,
        /// `open` or `close`.
        verb: &'static str,
    },
    /// A completed event stays completed.
    #[error("event {event} is completed; a completed event cannot be cancelled")]
    EventCompleted {
        /// The event.
        event: i64,
    },
    /// Only staff accounts are assigned to gates.
    #[error("{email} is a {role}, not staff; only staff accounts are assigned to gates")]
    NotStaffAccount {
        /// The account.
        email: String,
        /// Its role.
        role: String,
    },
    /// The first admin's e-mail is another account's.
    #[error(
        "{email} already exists as a {role}; an admin can change roles, or pick another email for the admin"
    )]
    AdminEmailTaken {
        /// The e-mail.
        email: String,
        /// The existing account's role.
        role: String,
    },
    /// An account with this e-mail exists.
    #[error("a user with email {email} already exists (role {role})")]
    UserExists {
        /// The e-mail.
        email: String,
        /// The existing account's role.
        role: String,
    },
    /// Only promoters are verified.
    #[error("{email} is a {role}, not a promoter; only promoters are verified")]
    NotAPromoter {
        /// The account.
        email: String,
        /// Its role.
        role: String,
    },
    /// The event has a tier of this name (folded).
    #[error("event {event} already has a tier named '{name}'{}; pick another name or update that tier", .tier.map_or(String::new(), |t| format!(" (tier {t})")))]
    TierNameTaken {
        /// The event.
        event: i64,
        /// The name as the existing tier has it.
        name: String,
        /// The existing tier, if it could be found.
        tier: Option<i64>,
    },
    /// No position is left after the event's last tier.
    #[error(
        "event {event}'s tiers already take the last position ({max}); give this tier a position of its own"
    )]
    NoPositionLeft {
        /// The event.
        event: i64,
        /// The highest position.
        max: i64,
    },
    /// A tier's price is fixed once it has sold.
    #[error(
        "Cannot change price after tickets are sold: tier {tier} '{name}' has {sold} sold at {price} {currency}; create a new tier at the new price instead"
    )]
    PriceLocked {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Tickets sold.
        sold: i64,
        /// Its price, as a decimal.
        price: String,
        /// Its currency.
        currency: String,
    },
    /// A tier's quantity never goes below what it sold.
    #[error(
        "quantity ({quantity}) cannot be less than the {sold} tickets already sold of tier {tier} '{name}'"
    )]
    QuantityBelowSold {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// The quantity asked for.
        quantity: i64,
        /// Tickets sold.
        sold: i64,
    },
    /// A tier with sales is deactivated, not deleted.
    #[error("Cannot delete tier {tier} '{name}': {sold} tickets are sold; deactivate it instead")]
    TierHasSales {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Tickets sold.
        sold: i64,
    },
    /// A tier that orders refer to is deactivated, not deleted.
    #[error(
        "Cannot delete tier {tier} '{name}': {orders} orders (cancelled or refunded) refer to it; deactivate it instead"
    )]
    TierHasOrders {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Orders referring to it.
        orders: i64,
    },
    /// Not enough seats are left for the order.
    #[error("{}", sold_out(*.tier, .name, *.left, *.min))]
    SoldOut {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Seats left.
        left: i64,
        /// Its minimum per order.
        min: i64,
    },
    /// The ticket is used, cancelled or refunded.
    #[error("Cannot {doing} ticket {ticket}: {}", ticket_state(.status))]
    TicketNotValid {
        /// The ticket.
        ticket: i64,
        /// What was attempted: `transfer`, `name the attendee of`.
        doing: &'static str,
        /// Its status.
        status: String,
    },
    /// An unapproved order's ticket stays with its buyer.
    #[error(
        "Cannot transfer ticket {ticket}: its order {order} is still awaiting the promoter's approval"
    )]
    TransferUnapproved {
        /// The ticket.
        ticket: i64,
        /// Its order.
        order: i64,
    },
    /// Tickets of an event that is not on are not transferred.
    #[error("Cannot transfer ticket {ticket}: event {event} is {status}")]
    TransferEventClosed {
        /// The ticket.
        ticket: i64,
        /// Its event.
        event: i64,
        /// The event's status.
        status: String,
    },
    /// The tier forbids transfers.
    #[error("Cannot transfer ticket {ticket}: tickets of tier '{tier_name}' are not transferable")]
    NotTransferable {
        /// The ticket.
        ticket: i64,
        /// Its tier's name.
        tier_name: String,
    },
    /// A transfer's recipient has no account.
    #[error("Recipient must create an account first: {email} has none")]
    RecipientUnknown {
        /// The recipient's e-mail.
        email: String,
    },
    /// The recipient already holds the ticket.
    #[error("{email} already owns ticket {ticket}")]
    AlreadyOwner {
        /// The recipient.
        email: String,
        /// The ticket.
        ticket: i64,
    },
    /// A gate file would be replaced, losing its unmerged scans.
    #[error("{path} already exists; merge its scans first, then replace it")]
    GateFileExists {
        /// The file.
        path: String,
        /// The event it is (to be) exported for.
        event: i64,
    },
    /// The gate file is for another event.
    #[error("{}", wrong_gate_file(.path, *.event, .title, *.asked))]
    WrongGateFile {
        /// The file, when more than one is involved.
        path: Option<String>,
        /// Its event.
        event: i64,
        /// Its event's title.
        title: String,
        /// The event asked for.
        asked: i64,
    },
    /// Tickets are sold only for published events.
    #[error("Cannot order: event {event} is {status}, tickets are sold only for published events")]
    EventNotOnSale {
        /// The event.
        event: i64,
        /// Its status.
        status: String,
    },
    /// The tier is not on sale now.
    #[error("Cannot order from tier {tier} '{name}': {why}")]
    TierNotOnSale {
        /// The tier.
        tier: i64,
        /// Its name.
        name: String,
        /// Why, as the tier's availability says it.
        why: String,
    },
    /// Fewer than the tier's minimum per order.
    #[error("Tier '{name}' sells at least {min} tickets per order; you asked for {asked}")]
    BelowMinimum {
        /// The tier's name.
        name: String,
        /// Its minimum.
        min: i64,
        /// The quantity asked for.
        asked: i64,
    },
    /// More than the tier's maximum per order.
    #[error("Tier '{name}' sells at most {max} tickets per order; you asked for {asked}")]
    AboveMaximum {
        /// The tier's name.
        name: String,
        /// Its maximum.
        max: i64,
        /// The quantity asked for.
        asked: i64,
    },
    /// The total does not fit in the integer that holds money.
    #[error("the order total is too large")]
    TotalTooLarge,
    /// Only an order awaiting approval is approved.
    #[error("order {order} is {status}; only an order awaiting approval can be approved")]
    NotAwaitingApproval {
        /// The order.
        order: i64,
        /// Its status.
        status: String,
    },
    /// A cancelled or completed event's orders are not approved.
    #[error(
        "event {event} is {status}; its orders can no longer be approved (cancel or refund order {order} instead)"
    )]
    ApprovalClosed {
        /// The event.
        event: i64,
        /// Its status.
        status: String,
        /// The order.
        order: i64,
    },
    /// The order has ended already.
    #[error("order {order} is already {status}")]
    OrderEnded {
        /// The order.
        order: i64,
        /// Its status.
        status: String,
    },
    /// Nothing was paid for an unapproved order, so there is nothing to refund.
    #[error("order {order} is awaiting approval, so nothing was paid; cancel it instead")]
    RefundUnpaid {
        /// The order.
        order: i64,
    },
    /// An order one of whose tickets got in is not cancelled or refunded.
    #[error("order {order} cannot be {verb}: ticket {ticket} was already used at the gate")]
    OrderTicketUsed {
        /// The order.
        order: i64,
        /// `cancelled` or `refunded`.
        verb: &'static str,
        /// The used ticket.
        ticket: i64,
    },
    /// Two rows of an imported file name one tier.
    #[error("the name '{name}' is already used by {first} of this file")]
    NameRepeatedInFile {
        /// The name.
        name: String,
        /// The row that used it first.
        first: String,
    },
    /// An output would replace the open database or one of its journals.
    #[error(
        "{path} is the database tix is working on (or one of its journal files); refusing to write over it — choose another output path"
    )]
    WouldOverwriteDatabase {
        /// The output.
        path: String,
    },
    /// An output file exists.
    #[error("{path} already exists")]
    OutputExists {
        /// The output.
        path: String,
    },
    /// Some of the output files exist.
    #[error("{existing} of the {total} files already exist in {dir}")]
    OutputsExist {
        /// How many exist.
        existing: usize,
        /// How many would be written.
        total: usize,
        /// The directory.
        dir: String,
    },
    /// A copy goes only into an empty database.
    #[error(
        "{target} already holds data; copy into a new file or an empty PostgreSQL database, so nothing is mixed or lost"
    )]
    CopyTargetNotEmpty {
        /// The target.
        target: String,
    },
    /// A database cannot be copied onto itself.
    #[error("{target} is the database being copied; name another")]
    CopyOntoItself {
        /// The target.
        target: String,
    },
    /// Staff accounts hold no tickets.
    #[error("{email} is a gate staff account, which cannot hold tickets; use a personal account")]
    StaffCannotHold {
        /// The staff account.
        email: String,
    },
    /// Tiers change only while their event is draft or published.
    #[error(
        "event {event} is {status}; tiers can only be created or changed while the event is draft or published"
    )]
    EventClosedForTiers {
        /// The event.
        event: i64,
        /// Its status.
        status: String,
    },
    /// The minimum per order exceeds the maximum.
    #[error(
        "min_purchase ({min}) is more than max_purchase ({max}); the minimum per order cannot exceed the maximum"
    )]
    MinAboveMax {
        /// The minimum.
        min: i64,
        /// The maximum.
        max: i64,
    },
    /// The maximum per order exceeds the tier.
    #[error("max_purchase ({max}) is more than quantity ({quantity}); an order cannot be larger than the tier{}", if *.quantity_alone { format!("; give a max_purchase of {quantity} or less together with the new quantity") } else { String::new() })]
    MaxAboveQuantity {
        /// The maximum.
        max: i64,
        /// The quantity.
        quantity: i64,
        /// Whether only the quantity was changed (so the maximum is an old one).
        quantity_alone: bool,
    },
    /// A sale must end after it starts.
    #[error(
        "sale_end ({end}) is not after sale_start ({start}); the sale must end after it starts"
    )]
    SaleEndsBeforeStart {
        /// The start, in the event's zone.
        start: String,
        /// The end, in the event's zone.
        end: String,
    },
}

fn sold_out(tier: i64, name: &str, left: i64, min: i64) -> String {
    match left {
        0 => format!("Sold out: tier {tier} '{name}' has no seats left"),
        left if left < min => format!(
            "Only {left} left of tier {tier} '{name}', fewer than its minimum of {min} per order: no new order can be placed"
        ),
        left => format!("Only {left} left of tier {tier} '{name}'; ask for {left} or fewer"),
    }
}

fn wrong_gate_file(path: &Option<String>, event: i64, title: &str, asked: i64) -> String {
    match path {
        Some(p) => format!("{p} is a gate file for event {event} \"{title}\", not event {asked}"),
        None => format!("this gate file is for event {event} \"{title}\", not event {asked}"),
    }
}

fn ticket_state(status: &str) -> &'static str {
    match status {
        "used" => "it has already been used at the gate",
        "cancelled" => "it was cancelled",
        "refunded" => "it was refunded",
        _ => "it is not valid",
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_contract_exit_codes() {
        assert_eq!(Error::invalid("price", "x").kind().exit_code(), 2);
        assert_eq!(Error::not_found(Missing::Tier, 7).kind().exit_code(), 3);
        assert_eq!(Error::from(Denial::AdminExists).kind().exit_code(), 4);
        assert_eq!(Error::from(Rule::TotalTooLarge).kind().exit_code(), 5);
        assert_eq!(Error::EventRequired.kind().exit_code(), 2);
        assert_eq!(Error::Corrupt("x".into()).kind().exit_code(), 1);
    }

    #[test]
    fn messages_hold_the_values_and_name_no_flag() {
        assert_eq!(
            Error::not_found(Missing::ActingUser, "x@y.z").to_string(),
            "user x@y.z not found"
        );
        let sold_out = |left| Rule::SoldOut {
            tier: 3,
            name: "Floor".into(),
            left,
            min: 2,
        };
        assert_eq!(
            sold_out(0).to_string(),
            "Sold out: tier 3 'Floor' has no seats left"
        );
        assert!(
            sold_out(1)
                .to_string()
                .contains("fewer than its minimum of 2")
        );
        assert!(sold_out(5).to_string().contains("ask for 5 or fewer"));
        let owner = |who: Option<&str>| Denial::NotEventOwner {
            event: 7,
            owner: "p@x.y".into(),
            who: who.map(String::from),
        };
        assert!(
            owner(Some("u@x.y (user)"))
                .to_string()
                .ends_with("; you are acting as u@x.y (user)")
        );
        assert!(owner(None).to_string().ends_with("may do this"));
        for e in [
            Error::from(Denial::NeedsUser {
                doing: "buying tickets",
            }),
            Error::NothingToChange { what: "tier" },
            Error::EventRequired,
            Error::NoDatabase("x.db".into()),
            Error::from(Rule::RefundUnpaid { order: 4 }),
        ] {
            let m = e.to_string();
            assert!(!m.contains("--") && !m.contains("`tix"), "{m}");
        }
    }
}
