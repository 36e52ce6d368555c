//! What the command line says of a library error: the library's own message, completed
//! with the flags and commands that fix it. The library holds the values and never names
//! a flag or a command; this is the one place that does.

use tix::error::{Denial, Error, Missing, NotDb, Rule};

/// The one-line message of `e` for a person at this command line.
pub fn message(e: &Error) -> String {
    match e {
        Error::InRow { row, source } => format!("{row}: {}", message(source)),
        Error::InRows(errors, more) => {
            let listed: Vec<String> = errors.iter().map(message).collect();
            let tail = if *more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            };
            format!(
                "{}: {}{tail}; nothing was imported",
                tix::error::rows_with_problems(errors, *more),
                listed.join("; ")
            )
        }
        Error::Incomplete {
            written,
            total,
            source,
        } => format!(
            "{}; only {written} of {total} files were written",
            message(source)
        ),
        Error::NotFound { what, .. } => format!("{e}; {}", missing_hint(what)),
        Error::Denied(d) => denied(d).unwrap_or_else(|| e.to_string()),
        Error::Rule(r) => rule(r).unwrap_or_else(|| e.to_string()),
        Error::Rules(rs) => rs
            .iter()
            .map(|r| rule(r).unwrap_or_else(|| r.to_string()))
            .collect::<Vec<_>>()
            .join("; and "),
        Error::NothingToChange { what: "attendee" } => {
            "nothing to change; pass --name, --email or --phone".into()
        }
        Error::NothingToChange { what: "event" } => {
            "nothing to change; pass --title, --venue or --ticket-note".into()
        }
        Error::NothingToChange { .. } => {
            "nothing to update; pass at least one field, e.g. --price, --quantity or --inactive"
                .into()
        }
        Error::EventRequired => "on the main database a gate admits to one event: name it with --event ID (a gate file knows its own event)".into(),
        Error::NoDatabase(path) if path.to_string_lossy().starts_with("postgres") => format!(
            "no tix database at {}; check the URL for a typo, or make the database (`createdb`) and run `tix init` (or `tix demo`) on it",
            path.display()
        ),
        Error::NoDatabase(path) => format!(
            "no tix database at {}; check the path for a typo, or run `tix init` (or `tix demo`) to create one there",
            path.display()
        ),
        Error::NotADatabase { path, why } => format!(
            "{} is not a tix database (or is damaged): {}; check the {}",
            path.display(),
            not_db(why),
            if path.to_string_lossy().starts_with("postgres") {
                "URL"
            } else {
                "path"
            }
        ),
        _ => e.to_string(),
    }
}

/// What to do when `what` was not found.
fn missing_hint(what: &Missing) -> String {
    match what {
        Missing::Event => "`tix event list` shows the events you can see".into(),
        Missing::Tier => "`tix tier list EVENT_ID` shows an event's tiers".into(),
        Missing::Order => "`tix order list` shows the orders you can see".into(),
        Missing::Ticket => "`tix ticket list` shows your tickets".into(),
        Missing::User => "an admin can add them with `tix user add EMAIL --name NAME`".into(),
        Missing::ActingUser => {
            "--as/TIX_USER must name a registered user (`tix user list` as an admin shows them)"
                .into()
        }
        Missing::Buyer => "the buyer needs an account first (an admin can add it with `tix user add EMAIL --name NAME`)".into(),
        Missing::StaffAssignment { event } => {
            format!("`tix event staff list {event}` shows who is assigned")
        }
        Missing::GateFile => "check the path; `tix scanner export EVENT --out FILE` makes one".into(),
        Missing::MergeFile => "check the path; nothing was merged".into(),
        Missing::WaitlistEntry => "`tix waitlist list` shows your places and offers".into(),
    }
}

fn not_db(why: &NotDb) -> String {
    match why {
        NotDb::EmptyFile => "it is an empty file; run `tix init` to make a database of it".into(),
        NotDb::GateFile => "it is a gate file for offline check-in, on which only `tix validate`, `tix checkin scan` and `tix checkin lookup` work".into(),
        NotDb::DamagedGateFile { what } => format!(
            "it is a gate file, but damaged ({what}); export a new one with `tix scanner export`, and keep this one for its scans"
        ),
        NotDb::NotAGateFile => "it is not a gate file made by `tix scanner export`".into(),
        other => other.to_string(),
    }
}

const SIGN_IN: &str = "pass --as EMAIL or set TIX_USER";

/// A denial's message where the way out is a flag or a command.
fn denied(d: &Denial) -> Option<String> {
    let text = match d {
        Denial::NeedsUser { .. } | Denial::NotEventOwner { who: None, .. } => {
            format!("{d}; {SIGN_IN}")
        }
        Denial::NotPromoter { .. } => format!(
            "{d} (an admin can add a promoter with `tix user add EMAIL --name NAME --role promoter`)"
        ),
        Denial::NotVerified { email } => format!(
            "promoter {email} is not verified yet; an admin must run `tix user verify {email}` before they may create or change tiers"
        ),
        Denial::AdminExists => {
            format!("{d}; they can add another with `tix user add EMAIL --name NAME --role admin`")
        }
        _ => return None,
    };
    Some(format!("permission denied: {text}"))
}

/// A rule's message where the way out is a flag or a command.
fn rule(r: &Rule) -> Option<String> {
    Some(match r {
        Rule::DemoNeedsNewDatabase { others } => format!(
            "this database holds accounts of its own ({others} besides the demo's); the demo fills a database of its own: run it on a new file, e.g. `tix --db demo.db demo`"
        ),
        Rule::NotStaffAccount { .. } => {
            format!("{r} (an admin can add one with `tix user add EMAIL --name NAME --role staff`)")
        }
        Rule::UserExists { email, .. } => format!("{r}; `tix user show {email}` shows it"),
        Rule::TierHasSales { tier, .. } | Rule::TierHasOrders { tier, .. } => {
            format!("{r} with `tix tier update {tier} --inactive`")
        }
        Rule::RecipientUnknown { email } => {
            format!("{r} (an admin can add it with `tix user add {email} --name NAME`)")
        }
        Rule::GateFileExists { path, event } => format!(
            "{path} already exists; merge its scans first (`tix scanner merge {event} FILE`), then pass --force to replace it"
        ),
        Rule::RefundUnpaid { order } => format!("{r} with `tix order cancel {order}`"),
        Rule::WaitlistFirst { tier, .. } => format!("{r} (`tix waitlist join {tier}`)"),
        Rule::TooManyPages { event, .. } => {
            format!("{r}; `tix ticket pdf --event {event} --out-dir DIR` prints it in parts")
        }
        Rule::EventHasOrders { event, .. } => format!(
            "{r}: pass --refund to refund them or --cancel to cancel them (`tix event cancel {event} --refund`)"
        ),
        Rule::OutputExists { .. } => format!("{r}; pass --force to replace it"),
        Rule::OutputsExist { .. } => format!("{r}; pass --force to replace them"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_flags_the_library_leaves_out() {
        let e = Error::from(Denial::NeedsUser {
            doing: "buying tickets",
        });
        assert_eq!(
            message(&e),
            "permission denied: buying tickets needs a signed-in user; pass --as EMAIL or set TIX_USER"
        );
        let e = Error::from(Rule::TierHasSales {
            tier: 4,
            name: "Floor".into(),
            sold: 2,
        });
        assert!(message(&e).ends_with("deactivate it instead with `tix tier update 4 --inactive`"));
        let e = Error::InRow {
            row: "row 2 (line 3)".into(),
            source: Box::new(Error::from(Rule::OutputExists { path: "x".into() })),
        };
        assert_eq!(
            message(&e),
            "row 2 (line 3): x already exists; pass --force to replace it"
        );
        let e = Error::not_found(Missing::Tier, 9);
        assert_eq!(
            message(&e),
            "tier 9 not found; `tix tier list EVENT_ID` shows an event's tiers"
        );
    }
}
