//! Check-in at the gate: deciding on a scanned code at once with a stable reason,
//! admitting each ticket exactly once, keeping every scan, and counting arrivals.
//!
//! The decision itself ([`decide`], in [`crate::domain::gate`]) is shared with offline gate files
//! ([`crate::ops::offline`]), so a gate laptop with no network answers exactly as the main
//! database would.

use crate::store::Tx;
use serde::Serialize;
use uuid::Uuid;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Result};
use crate::ops::events::{self, Event};
use crate::ops::tickets::{self, CodeCheck, Ticket, TicketRef};
use crate::store::{self, Store};
use crate::time::{self, Timestamp};

pub use crate::domain::gate::{
    Candidate, DoorEntry, LOOKUP_LIMIT, MAX_GATE_NAME, Method, Reason, Scan, Verdict,
    as_typed_uuid, check_gate_name, decide, lookup_text, suffix, verdict,
};

pub(crate) use crate::store::scans::{ScanRecord, log_scan};

fn is_staff(conn: &Tx<'_>, actor: &Actor, event_id: i64) -> Result<bool> {
    let Some(user) = actor.as_user() else {
        return Ok(false);
    };
    crate::store::events::is_staff(conn, event_id, user.id)
}

/// May the actor check in at this event?
pub(crate) fn authorize_gate(conn: &Tx<'_>, actor: &Actor, event: &Event) -> Result<()> {
    let staff = is_staff(conn, actor, event.id)?;
    authorize(
        actor,
        Action::CheckIn {
            event,
            is_staff: staff,
        },
    )
}

/// Checks, before a scan loop starts, that the actor may work this event's gate, so a
/// wrong `--as` fails at once rather than at the first ticket.
pub fn check_gate_access(store: &Store, actor: &Actor, event_id: i64) -> Result<()> {
    authorize(actor, Action::WorkGate)?;
    store.read(|c| authorize_gate(c, actor, &events::get(c, event_id)?))
}

/// A gate on the main database admits to one event, always named: with no event, a
/// promoter of two events would admit either's tickets at either's gate.
pub fn require_event(event_id: Option<i64>) -> Result<i64> {
    event_id.ok_or(Error::EventRequired)
}

/// Decides on one scanned code against the main database and, if it is accepted and
/// this is no dry run, admits the ticket — all in one `BEGIN IMMEDIATE` transaction, so
/// several processes scanning one ticket at once admit it exactly once. Every scan is
/// logged. Refusals are answers (`valid: false`), not errors; errors are for permission,
/// a missing event and I/O. A ticket of any other event is `wrong_event`.
pub fn validate(store: &mut Store, actor: &Actor, scan: &Scan<'_>) -> Result<Verdict> {
    authorize(actor, Action::WorkGate)?;
    let event_id = require_event(scan.event_id)?;
    store.write(|tx| validate_in(tx, actor, event_id, scan))
}

/// The scans of a batch that were decided and committed, in order, and the error that
/// stopped the rest (the scan it names and those after it were not decided).
#[derive(Debug)]
pub struct Decided {
    /// One verdict per decided scan, in the order of the scans.
    pub verdicts: Vec<Verdict>,
    /// Why the next scan could not be decided, if one could not.
    pub error: Option<Error>,
}

/// Decides on several scans at the gate of `event_id` (see [`validate`]): all in one
/// transaction if the database lets it commit, else one transaction each. Each scan's
/// own event is ignored.
pub fn validate_many<'a>(
    store: &mut Store,
    actor: &Actor,
    event_id: i64,
    scans: &[Scan<'a>],
) -> Decided {
    let mut decided = Decided {
        verdicts: Vec::with_capacity(scans.len()),
        error: None,
    };
    if let Err(e) = authorize(actor, Action::WorkGate) {
        decided.error = Some(e);
        return decided;
    }
    let at_gate = |scan: &Scan<'a>| Scan {
        event_id: Some(event_id),
        ..scan.clone()
    };
    // A PostgreSQL transaction keeps a predicate lock for every row it reads until it
    // ends, in a table the whole server shares: batches there stay small.
    let most = if store.is_postgres() {
        PG_SCAN_BATCH
    } else {
        scans.len().max(1)
    };
    for batch in scans.chunks(most) {
        if batch.len() > 1 {
            let all = store.write_or_yield(|tx| {
                batch
                    .iter()
                    .map(|scan| validate_in(tx, actor, event_id, &at_gate(scan)))
                    .collect::<Result<Vec<_>>>()
            });
            match all {
                Ok(Some(verdicts)) => {
                    decided.verdicts.extend(verdicts);
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    decided.error = Some(e);
                    return decided;
                }
            }
        }
        // One scan; or another gate's transaction touched some of the same tickets and
        // PostgreSQL aborted this batch (two gates scanning one crowd): each scan on its
        // own, retried on its own, so neither gate waits out the other's whole batch.
        for scan in batch {
            match store.write(|tx| validate_in(tx, actor, event_id, &at_gate(scan))) {
                Ok(v) => decided.verdicts.push(v),
                Err(e) => {
                    decided.error = Some(e);
                    return decided;
                }
            }
        }
    }
    decided
}

/// The most scans decided in one transaction on PostgreSQL.
const PG_SCAN_BATCH: usize = 32;

/// Finds a ticket by numeric id or UUID for a manual admission (no code signed).
fn find_unsigned(tx: &Tx<'_>, reference: &str) -> Result<Option<Ticket>> {
    store::tickets::find(tx, &TicketRef::parse(reference)?)
}

pub(crate) fn validate_in(
    tx: &Tx<'_>,
    actor: &Actor,
    event_id: i64,
    scan: &Scan<'_>,
) -> Result<Verdict> {
    let gate_event = events::get(tx, event_id)?;
    authorize_gate(tx, actor, &gate_event)?;
    let now = time::now();
    let method = scan.method();
    // Resolve the code to a ticket, or to a refusal that needs no ticket.
    let (ticket, presented_version, early): (Option<Ticket>, Option<i64>, Option<Reason>) =
        match method {
            Method::Manual => match find_unsigned(tx, scan.code)? {
                // Staff vouch for the person: the current version is taken as presented.
                Some(t) => {
                    let v = t.secret_version;
                    (Some(t), Some(v), None)
                }
                None => (None, None, Some(Reason::UnknownTicket)),
            },
            Method::Typed => {
                let t = match as_typed_uuid(scan.code) {
                    Some(u) => {
                        store::tickets::find(tx, &TicketRef::Uuid(u.hyphenated().to_string()))?
                    }
                    None => None,
                };
                let early = t.is_none().then_some(Reason::UnknownTicket);
                (t, None, early)
            }
            Method::Code => match tickets::check_code(tx, scan.code)? {
                CodeCheck::Current(t) => {
                    let v = t.secret_version;
                    (Some(*t), Some(v), None)
                }
                // The code is parsed once, by check_code; the version it carried comes back.
                CodeCheck::Revoked(t, v) => (Some(*t), Some(v), None),
                CodeCheck::UnknownTicket | CodeCheck::Malformed => {
                    (None, None, Some(Reason::UnknownTicket))
                }
                CodeCheck::BadSignature => (None, None, Some(Reason::InvalidSignature)),
            },
        };
    let ticket_event = match &ticket {
        Some(t) if t.event_id == gate_event.id => Some(gate_event.clone()),
        Some(t) => Some(events::get(tx, t.event_id)?),
        None => None,
    };
    let candidate = match (&ticket, &ticket_event) {
        (Some(t), Some(e)) => Some(Candidate::from_ticket(t, e)),
        _ => None,
    };
    let reason = match (early, &candidate) {
        (Some(r), _) => r,
        (None, Some(c)) => decide(c, presented_version, Some(event_id)),
        (None, None) => Reason::UnknownTicket,
    };
    // A ticket of another event says which event it is for only to someone who may work
    // that event's gate too; to anyone else it is just "wrong event".
    let (ticket, candidate) = match (&ticket_event, reason) {
        (Some(e), Reason::WrongEvent) if authorize_gate(tx, actor, e).is_err() => (None, None),
        _ => (ticket, candidate),
    };
    // The decisive step: the database admits the ticket only if it is still valid.
    if reason == Reason::Ok
        && !scan.dry_run
        && let Some(t) = &ticket
        && !store::tickets::admit(tx, t.id, now, scan.gate)?
    {
        return Err(Error::Corrupt(format!(
            "ticket {} changed during check-in",
            t.id
        )));
    }
    log_scan(
        tx,
        &ScanRecord {
            scan_uuid: Uuid::new_v4().hyphenated().to_string(),
            event_id: Some(event_id),
            ticket_id: ticket.as_ref().map(|t| t.id),
            ticket_uuid: ticket.as_ref().map(|t| t.uuid.as_str()),
            secret_version: presented_version,
            scanned_at: now,
            gate: scan.gate,
            device: scan.device,
            actor_email: actor.as_user().map(|u| u.email.as_str()),
            reason,
            offline: false,
            dry_run: scan.dry_run,
            merged_at: None,
            method,
            code: None,
            conflict: None,
        },
    )?;
    let extra = suffix(reason, method, scan.dry_run, "");
    let mut v = verdict(reason, candidate.as_ref(), now, &extra);
    v.dry_run = scan.dry_run;
    if scan.dry_run && reason == Reason::Ok {
        v.checked_in_at = None;
    }
    Ok(v)
}

/// What staff typed into the door list, checked and read once for every way of
/// matching a ticket (both the main database's and a gate file's door lists use it).
pub(crate) struct Search {
    /// The text as typed (trimmed).
    pub text: String,
    /// The ticket id it is, if it is all digits (-1, which no ticket has, if not).
    pub id: i64,
    /// A case-folded LIKE pattern finding the text inside a name or e-mail address; `%`
    /// and `_` in it are letters, not wildcards.
    pub pattern: String,
    /// A LIKE pattern finding part of a UUID (tickets of one order share its first part,
    /// so the end is what tells them apart).
    pub uuid_part: String,
}

impl Search {
    pub(crate) fn parse(text: &str) -> Result<Search> {
        let text = lookup_text(text)?;
        let id = if text.bytes().all(|b| b.is_ascii_digit()) && text.len() <= 18 {
            text.parse().unwrap_or(-1)
        } else {
            -1
        };
        let folded = crate::store::fold(&text);
        let mut pattern = String::with_capacity(folded.len() + 2);
        pattern.push('%');
        for c in folded.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let uuid_part = format!("%{}%", folded.replace(['%', '_'], ""));
        Ok(Search {
            text,
            id,
            pattern,
            uuid_part,
        })
    }
}

/// Finds tickets of an event by attendee or holder name, e-mail, ticket id or UUID (or
/// its first characters), for staff whose scanner cannot read a code: the event's
/// promoter, its staff or an admin.
pub fn lookup(store: &Store, actor: &Actor, event_id: i64, text: &str) -> Result<Vec<DoorEntry>> {
    authorize(actor, Action::WorkGate)?;
    let search = Search::parse(text)?;
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize_gate(c, actor, &event)?;
        let found = store::tickets::search(
            c,
            event_id,
            search.id,
            &search.pattern,
            &search.uuid_part,
            LOOKUP_LIMIT,
        )?;
        Ok(found
            .iter()
            .map(|t| {
                let cand = Candidate::from_ticket(t, &event);
                DoorEntry {
                    ticket_id: Some(t.id),
                    ticket_uuid: t.uuid.clone(),
                    tier_name: Some(t.tier_name.clone()),
                    attendee_name: t.attendee_name.clone(),
                    holder_name: Some(t.owner_name.clone()),
                    holder_email: Some(t.owner_email.clone()),
                    status: t.status,
                    checked_in_at: t.checked_in_at,
                    admit: decide(&cand, Some(cand.secret_version), Some(event_id)),
                }
            })
            .collect())
    })
}

/// Admitted versus sold for one tier.
#[derive(Debug, Clone, Serialize)]
pub struct TierStats {
    /// The tier.
    pub tier_id: i64,
    /// Its name.
    pub tier_name: String,
    /// Tickets sold (valid or used).
    pub sold: i64,
    /// Tickets checked in.
    pub checked_in: i64,
    /// Share checked in, in percent with one decimal.
    pub percent: f64,
}

/// Arrivals in one 15-minute slot.
#[derive(Debug, Clone, Serialize)]
pub struct Slot {
    /// Start of the slot.
    #[serde(with = "time::serde_ts")]
    pub from: Timestamp,
    /// End of the slot.
    #[serde(with = "time::serde_ts")]
    pub to: Timestamp,
    /// Tickets first admitted in it.
    pub arrivals: i64,
}

/// Check-in figures of an event.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// The event.
    pub event_id: i64,
    /// Its title.
    pub event_title: String,
    /// Tickets sold (valid or used) in all tiers.
    pub sold: i64,
    /// Tickets checked in.
    pub checked_in: i64,
    /// Share checked in.
    pub percent: f64,
    /// Scans refused.
    pub rejected_scans: i64,
    /// Per tier, by position.
    pub tiers: Vec<TierStats>,
    /// Arrivals per 15 minutes, from the first to the last admission.
    pub arrivals: Vec<Slot>,
    /// The event's zone, in which people read the arrival times (not in the JSON, whose
    /// times are UTC).
    #[serde(skip)]
    pub zone: crate::time::Zone,
}

use crate::domain::percent;

/// Slot width of the arrivals histogram.
pub const SLOT_SECONDS: i64 = 15 * 60;
/// The longest span of arrivals shown with empty slots filled in: three days.
const MAX_FILLED_SPAN: i64 = 3 * 24 * 3600;

/// Checked in versus sold, per tier and in total, with arrivals per 15 minutes: the
/// event's promoter, its staff or an admin.
pub fn stats(store: &Store, actor: &Actor, event_id: i64) -> Result<Stats> {
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize_gate(c, actor, &event)?;
        let tiers: Vec<TierStats> = store::scans::tier_counts(c, event_id)?
            .into_iter()
            .map(|(tier_id, tier_name, sold, used)| TierStats {
                tier_id,
                tier_name,
                sold,
                checked_in: used,
                percent: percent(used, sold),
            })
            .collect();
        let sold = tiers.iter().map(|t| t.sold).sum();
        let checked_in = tiers.iter().map(|t| t.checked_in).sum();
        let counted = store::scans::arrivals(c, event_id, SLOT_SECONDS)?;
        let mut arrivals = Vec::new();
        // Empty slots fill the gaps of a normal event day; over a longer span (a wrong
        // clock somewhere) only slots with arrivals are listed.
        let span_ok = match (counted.first(), counted.last()) {
            (Some(f), Some(l)) => l.0.saturating_sub(f.0) <= MAX_FILLED_SPAN,
            _ => false,
        };
        if !span_ok {
            arrivals = counted
                .iter()
                .map(|&(from, n)| Slot {
                    from,
                    to: from.saturating_add(SLOT_SECONDS),
                    arrivals: n,
                })
                .collect();
        } else if let (Some(first), Some(last)) = (counted.first(), counted.last()) {
            // A bounded count of slots (at most three days' worth), never a loop over
            // a range of times a broken clock or an edited file could make endless.
            let slots = (last.0 - first.0) / SLOT_SECONDS;
            let mut it = counted.iter().peekable();
            for k in 0..=slots {
                let slot = first.0 + k * SLOT_SECONDS;
                let n = match it.peek() {
                    Some((s, n)) if *s == slot => {
                        let n = *n;
                        it.next();
                        n
                    }
                    _ => 0,
                };
                arrivals.push(Slot {
                    from: slot,
                    to: slot.saturating_add(SLOT_SECONDS),
                    arrivals: n,
                });
            }
        }
        let rejected_scans = store::scans::rejected_count(c, event_id)?;
        Ok(Stats {
            event_id,
            zone: event.timezone,
            event_title: event.title,
            sold,
            checked_in,
            percent: percent(checked_in, sold),
            rejected_scans,
            tiers,
            arrivals,
        })
    })
}
