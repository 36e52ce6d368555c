//! The gate's decision: a scanned code, a typed UUID or a manual admission, checked
//! against what is known of the ticket, gives a verdict with a stable reason. The same
//! function decides on the main database and on an offline gate file, so a gate laptop
//! with no network answers exactly as the main database would.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::event::{Event, EventStatus};
use crate::domain::sale::{OrderStatus, Ticket, TicketStatus};
use crate::domain::text::{check_line, check_text};
use crate::domain::time::{self, Timestamp, Zone};
use crate::error::{Error, Result};

/// Why a ticket was accepted or rejected: stable codes for scripts and scanner apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Admitted.
    Ok,
    /// Not a ticket this database or gate file knows.
    UnknownTicket,
    /// A tix-looking code whose signature does not match: forged, altered, or another system's.
    InvalidSignature,
    /// A real ticket, for another event.
    WrongEvent,
    /// Already admitted once.
    AlreadyCheckedIn,
    /// Its order was cancelled.
    Cancelled,
    /// Its order was refunded.
    Refunded,
    /// A code replaced by a newer one (the ticket was transferred).
    Revoked,
    /// Its order still awaits the promoter's approval.
    NotApproved,
    /// The event is not open for check-in (draft, cancelled or over).
    EventNotOpen,
}

impl Reason {
    /// The stable code, as in the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::UnknownTicket => "unknown_ticket",
            Reason::InvalidSignature => "invalid_signature",
            Reason::WrongEvent => "wrong_event",
            Reason::AlreadyCheckedIn => "already_checked_in",
            Reason::Cancelled => "cancelled",
            Reason::Refunded => "refunded",
            Reason::Revoked => "revoked",
            Reason::NotApproved => "not_approved",
            Reason::EventNotOpen => "event_not_open",
        }
    }

    /// Reads a stable code back.
    pub fn parse(s: &str) -> Option<Reason> {
        [
            Reason::Ok,
            Reason::UnknownTicket,
            Reason::InvalidSignature,
            Reason::WrongEvent,
            Reason::AlreadyCheckedIn,
            Reason::Cancelled,
            Reason::Refunded,
            Reason::Revoked,
            Reason::NotApproved,
            Reason::EventNotOpen,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// The answer to one scan, as the gate shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Accepted (the person may go in).
    pub valid: bool,
    /// Why.
    pub reason: Reason,
    /// Why, in words for the gate person.
    pub message: String,
    /// The ticket's id, where known.
    pub ticket_id: Option<i64>,
    /// The ticket's UUID, where known.
    pub ticket_uuid: Option<String>,
    /// Who the ticket is for.
    pub attendee_name: Option<String>,
    /// The ticket's tier.
    pub tier_name: Option<String>,
    /// The event.
    pub event_title: Option<String>,
    /// When the ticket was (first) admitted: now if accepted, the first time if already in.
    #[serde(with = "time::serde_ts::option")]
    pub checked_in_at: Option<Timestamp>,
    /// The gate of the first admission, where known (in `message` for JSON readers).
    #[serde(skip)]
    pub checked_in_gate: Option<String>,
    /// Whether this answer came from a gate file with no access to the main database.
    #[serde(skip)]
    pub offline: bool,
    /// Whether this was a dry run that admitted nobody.
    #[serde(skip)]
    pub dry_run: bool,
}

/// What the gate knows about the ticket a code names.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Ticket id (in the main database; gate files keep it too).
    pub ticket_id: Option<i64>,
    /// Ticket UUID.
    pub uuid: String,
    /// The ticket's event.
    pub event_id: i64,
    /// Its title.
    pub event_title: String,
    /// Its status.
    pub event_status: EventStatus,
    /// The tier's name.
    pub tier_name: Option<String>,
    /// The attendee.
    pub attendee_name: Option<String>,
    /// The ticket's status.
    pub status: TicketStatus,
    /// Whether its order is approved (not awaiting approval).
    pub approved: bool,
    /// The ticket's current secret version.
    pub secret_version: i64,
    /// First admission, if any.
    pub checked_in_at: Option<Timestamp>,
    /// Gate of the first admission.
    pub checked_in_gate: Option<String>,
    /// The event's time zone, for times shown at the gate.
    pub zone: Zone,
}

impl Candidate {
    pub fn from_ticket(t: &Ticket, event: &Event) -> Candidate {
        Candidate {
            ticket_id: Some(t.id),
            uuid: t.uuid.clone(),
            event_id: t.event_id,
            event_title: t.event_title.clone(),
            event_status: event.status,
            tier_name: Some(t.tier_name.clone()),
            attendee_name: t.attendee_name.clone(),
            status: t.status,
            approved: t.order_status != OrderStatus::PendingApproval,
            secret_version: t.secret_version,
            checked_in_at: t.checked_in_at,
            checked_in_gate: t.checked_in_gate.clone(),
            zone: event.timezone,
        }
    }
}

/// Decides on a ticket: `presented_version` is the secret version the scanned code
/// carried (`None` for a UUID typed by staff), `gate_event` the event this gate admits to.
pub fn decide(c: &Candidate, presented_version: Option<i64>, gate_event: Option<i64>) -> Reason {
    if gate_event.is_some_and(|e| e != c.event_id) {
        return Reason::WrongEvent;
    }
    if c.event_status != EventStatus::Published {
        return Reason::EventNotOpen;
    }
    // A typed UUID never changes, so once a ticket has been transferred it cannot tell
    // the old holder from the new one: only the current QR code gets in.
    if presented_version.map_or(c.secret_version > 1, |v| v < c.secret_version) {
        return Reason::Revoked;
    }
    match c.status {
        TicketStatus::Cancelled => Reason::Cancelled,
        TicketStatus::Refunded => Reason::Refunded,
        TicketStatus::Used => Reason::AlreadyCheckedIn,
        TicketStatus::Valid if !c.approved => Reason::NotApproved,
        TicketStatus::Valid => Reason::Ok,
    }
}

/// Builds the answer for a decided scan; `now` is the admission time if accepted.
pub fn verdict(reason: Reason, c: Option<&Candidate>, now: Timestamp, extra: &str) -> Verdict {
    let first = c.and_then(|c| c.checked_in_at);
    let message = match reason {
        Reason::Ok => "Accepted: welcome in".to_string(),
        Reason::UnknownTicket => {
            "Unknown ticket: this code is not a ticket for this system".to_string()
        }
        Reason::InvalidSignature => {
            "Invalid signature: the code is forged, damaged or from another system".to_string()
        }
        Reason::WrongEvent => format!(
            "Wrong event: this ticket is for {}",
            c.map_or("another event".to_string(), |c| format!(
                "\"{}\" (event {})",
                c.event_title, c.event_id
            ))
        ),
        Reason::AlreadyCheckedIn => {
            let gate = c
                .and_then(|c| c.checked_in_gate.clone())
                .map_or(String::new(), |g| format!(" at gate {g}"));
            match first {
                Some(t) => format!(
                    "Already checked in at {}{gate}",
                    c.map_or(Zone::UTC, |c| c.zone).human_seconds(t)
                ),
                None => format!("Already checked in{gate}"),
            }
        }
        Reason::Cancelled => "Cancelled: this ticket's order was cancelled".to_string(),
        Reason::Refunded => "Refunded: this ticket was refunded".to_string(),
        Reason::Revoked => {
            "Revoked: this code was replaced when the ticket was transferred".to_string()
        }
        Reason::NotApproved => {
            "Not approved: the order still awaits the promoter's approval".to_string()
        }
        Reason::EventNotOpen => format!(
            "Event not open: {}",
            c.map_or("the event is not open".to_string(), |c| format!(
                "\"{}\" is {}",
                c.event_title, c.event_status
            ))
        ),
    };
    Verdict {
        valid: reason == Reason::Ok,
        reason,
        message: format!("{message}{extra}"),
        ticket_id: c.and_then(|c| c.ticket_id),
        ticket_uuid: c.map(|c| c.uuid.clone()),
        attendee_name: c.and_then(|c| c.attendee_name.clone()),
        tier_name: c.and_then(|c| c.tier_name.clone()),
        event_title: c.map(|c| c.event_title.clone()),
        checked_in_at: if reason == Reason::Ok {
            Some(now)
        } else {
            first
        },
        checked_in_gate: c.and_then(|c| c.checked_in_gate.clone()),
        offline: false,
        dry_run: false,
    }
}

/// What follows a verdict's message: a note on dry runs, on typed UUIDs of transferred
/// tickets, on manual admissions, or `other` (offline notes).
pub fn suffix(reason: Reason, method: Method, dry_run: bool, other: &str) -> String {
    match reason {
        Reason::Revoked if method == Method::Typed => {
            " (typed UUID of a transferred ticket: scan its current QR code, or look the holder up and admit them manually)".to_string()
        }
        Reason::Ok if dry_run => format!("{other} (dry run: not admitted)"),
        Reason::Ok if method == Method::Manual => {
            format!("{other} (manual admission by ticket id, logged as such)")
        }
        _ => other.to_string(),
    }
}

/// How a ticket was named at the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A scanned QR code (signed: the strongest evidence).
    Code,
    /// A ticket UUID typed by staff (what the code says in text, under the QR).
    Typed,
    /// Staff admitted the ticket by its id after finding the holder on the door list.
    Manual,
}

impl Method {
    /// The stable name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Code => "code",
            Method::Typed => "typed",
            Method::Manual => "manual",
        }
    }

    /// Reads a stored name back.
    pub fn parse(s: &str) -> Option<Method> {
        [Method::Code, Method::Typed, Method::Manual]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Whether a scanned text is a ticket UUID typed by staff rather than a QR code.
pub fn as_typed_uuid(text: &str) -> Option<Uuid> {
    let t = text.trim();
    (t.len() == 36 && t.contains('-'))
        .then(|| Uuid::parse_str(t).ok())
        .flatten()
}

/// The longest gate or device name.
pub const MAX_GATE_NAME: usize = 100;

/// Checks a gate or device name: one line of printable text, at most
/// [`MAX_GATE_NAME`] characters (it is shown on other people's screens).
pub fn check_gate_name(field: &str, name: &str) -> Result<String> {
    check_line(field, name, MAX_GATE_NAME)
}

/// One scan to decide.
#[derive(Debug, Clone)]
pub struct Scan<'a> {
    /// The scanned text, or a ticket UUID typed by staff; with `manual`, the ticket's id
    /// or UUID from the door list.
    pub code: &'a str,
    /// Staff admit this ticket by id after checking who the person is (`--manual`): the
    /// code's version is not asked for, so the rightful holder of a transferred ticket
    /// whose code will not scan can get in.
    pub manual: bool,
    /// The event this gate admits to (`--event`).
    pub event_id: Option<i64>,
    /// The gate's name.
    pub gate: Option<&'a str>,
    /// The device scanning (host name).
    pub device: &'a str,
    /// Check without admitting.
    pub dry_run: bool,
}

impl Scan<'_> {
    /// How this scan names its ticket.
    pub fn method(&self) -> Method {
        if self.manual {
            Method::Manual
        } else if as_typed_uuid(self.code).is_some() {
            Method::Typed
        } else {
            Method::Code
        }
    }
}

/// One line of the door list: a ticket staff found by name, e-mail or id.
#[derive(Debug, Clone, Serialize)]
pub struct DoorEntry {
    /// The ticket's id (absent for a ticket a gate file only saw scanned).
    pub ticket_id: Option<i64>,
    /// Its UUID.
    pub ticket_uuid: String,
    /// Its tier.
    pub tier_name: Option<String>,
    /// Who attends.
    pub attendee_name: Option<String>,
    /// Who holds the ticket.
    pub holder_name: Option<String>,
    /// The holder's e-mail (the main database only: gate files keep no addresses).
    pub holder_email: Option<String>,
    /// The ticket's status.
    pub status: TicketStatus,
    /// When it was first admitted.
    #[serde(with = "time::serde_ts::option")]
    pub checked_in_at: Option<Timestamp>,
    /// What a manual admission would answer now (`ok` or a refusal reason).
    pub admit: Reason,
}

/// The most entries a door-list search returns.
pub const LOOKUP_LIMIT: usize = 50;

/// What staff typed to find a ticket, checked: at least two characters, no control
/// characters.
pub fn lookup_text(text: &str) -> Result<String> {
    let t = text.trim();
    let ticket_id = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if t.chars().count() < 2 && !ticket_id {
        return Err(Error::invalid(
            "search",
            "type at least two characters of a name or e-mail, or a ticket id or UUID",
        ));
    }
    check_text("search", t, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate() -> Candidate {
        Candidate {
            ticket_id: Some(1),
            uuid: "u".into(),
            event_id: 7,
            event_title: "Fest".into(),
            event_status: EventStatus::Published,
            tier_name: Some("GA".into()),
            attendee_name: None,
            status: TicketStatus::Valid,
            approved: true,
            secret_version: 2,
            checked_in_at: None,
            checked_in_gate: None,
            zone: Zone::UTC,
        }
    }

    #[test]
    fn decisions() {
        let c = candidate();
        assert_eq!(decide(&c, Some(2), Some(7)), Reason::Ok);
        assert_eq!(
            decide(&c, None, None),
            Reason::Revoked,
            "typed UUID after a transfer"
        );
        let once = Candidate {
            secret_version: 1,
            ..candidate()
        };
        assert_eq!(decide(&once, None, None), Reason::Ok);
        assert_eq!(decide(&c, Some(1), Some(7)), Reason::Revoked);
        assert_eq!(decide(&c, Some(2), Some(8)), Reason::WrongEvent);
        let used = Candidate {
            status: TicketStatus::Used,
            ..candidate()
        };
        assert_eq!(decide(&used, Some(2), None), Reason::AlreadyCheckedIn);
        let pending = Candidate {
            approved: false,
            ..candidate()
        };
        assert_eq!(decide(&pending, Some(2), None), Reason::NotApproved);
        let draft = Candidate {
            event_status: EventStatus::Draft,
            ..candidate()
        };
        assert_eq!(decide(&draft, Some(2), None), Reason::EventNotOpen);
        let refunded = Candidate {
            status: TicketStatus::Refunded,
            ..candidate()
        };
        assert_eq!(decide(&refunded, Some(2), None), Reason::Refunded);
    }

    #[test]
    fn reasons_round_trip() {
        for r in [
            "ok",
            "unknown_ticket",
            "invalid_signature",
            "wrong_event",
            "already_checked_in",
            "cancelled",
            "refunded",
            "revoked",
            "not_approved",
            "event_not_open",
        ] {
            assert_eq!(Reason::parse(r).unwrap().as_str(), r);
        }
    }
}
