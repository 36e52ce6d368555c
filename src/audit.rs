//! The audit log: who changed what, when, with the old and new values where they matter.
//!
//! Every operation that changes data records one entry inside the same transaction as
//! the change, so the log and the data can never disagree.

use rusqlite::{Connection, Row, params};
use serde::Serialize;
use serde_json::Value;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::{self, Timestamp};

/// One recorded change.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Sequence number.
    pub id: i64,
    /// When it happened.
    #[serde(with = "time::serde_ts")]
    pub at: Timestamp,
    /// Who did it (`null` for tix itself, e.g. `demo`).
    pub actor_email: Option<String>,
    /// What was done, e.g. `order.create`, `ticket.transfer`, `tier.update`.
    pub action: String,
    /// The kind of object changed: `order`, `ticket`, `tier`, `event`, `user`.
    pub object_type: String,
    /// Its id (or email, for users).
    pub object_id: String,
    /// The event it belongs to, if any.
    pub event_id: Option<i64>,
    /// The ticket it concerns, if any.
    pub ticket_id: Option<i64>,
    /// Old and new values and other particulars.
    pub details: Value,
}

/// What an audit entry is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `order`, `ticket`, `tier`, `event`, `user`.
    pub object_type: &'a str,
    /// Its id.
    pub object_id: &'a str,
    /// Its event.
    pub event_id: Option<i64>,
    /// The ticket concerned.
    pub ticket_id: Option<i64>,
}

/// Records one change inside the caller's transaction.
pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    subject: Subject<'_>,
    details: Value,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor_email, action, object_type, object_id, event_id, ticket_id, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        time::now(),
        actor.as_user().map(|u| u.email.as_str()),
        action,
        subject.object_type,
        subject.object_id,
        subject.event_id,
        subject.ticket_id,
        details.to_string(),
    ])?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let details: String = r.get(8)?;
    Ok(Entry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor_email: r.get(2)?,
        action: r.get(3)?,
        object_type: r.get(4)?,
        object_id: r.get(5)?,
        event_id: r.get(6)?,
        ticket_id: r.get(7)?,
        details: serde_json::from_str(&details).unwrap_or(Value::String(details)),
    })
}

/// Audit entries, oldest first: of one event (its promoter or an admin), of one ticket
/// (the same), or, with neither, all of them (admin) or those of the actor's own events.
pub fn list(
    store: &Store,
    actor: &Actor,
    event_id: Option<i64>,
    ticket: Option<&str>,
) -> Result<Vec<Entry>> {
    store.read(|c| {
        let ticket_id = match ticket {
            Some(t) => {
                let reference = crate::domain::sale::TicketRef::parse(t)?;
                let (id, event_id) = crate::store::tickets::locate(c, &reference)?.ok_or_else(|| {
                    Error::not_found_hint("ticket", t.trim(), "`tix ticket list` shows your tickets")
                })?;
                let event = crate::store::events::get(c, event_id)?;
                authorize(actor, Action::SeeEventRecords(&event))?;
                Some(id)
            }
            None => None,
        };
        let owner_filter = match event_id {
            Some(id) => {
                let event = crate::store::events::get(c, id)?;
                authorize(actor, Action::SeeEventRecords(&event))?;
                None
            }
            None if ticket_id.is_some() => None,
            None => match crate::access::scope(actor, crate::access::Listing::Audit)? {
                crate::access::Scope::All => None,
                crate::access::Scope::OwnEvents(id) | crate::access::Scope::Own(id) => Some(id),
            },
        };
        let mut stmt = c.prepare(
            "SELECT a.id, a.at, a.actor_email, a.action, a.object_type, a.object_id, a.event_id, a.ticket_id, a.details
             FROM audit_log a
             WHERE (?1 IS NULL OR a.event_id = ?1)
               AND (?2 IS NULL OR a.ticket_id = ?2)
               AND (?3 IS NULL OR a.event_id IN (SELECT id FROM events WHERE owner_id = ?3))
             ORDER BY a.id",
        )?;
        let rows = stmt.query_map(params![event_id, ticket_id, owner_filter], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}
