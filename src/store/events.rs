//! The events table: reading an event back as the domain's type.

use super::Tx;
use super::sql::{Row, args};
use crate::domain::event::{Event, EventStatus};
use crate::domain::money::Currency;
use crate::domain::time::{Timestamp, Zone};
use crate::error::{Error, Missing, Result};

pub(crate) const EVENT_COLUMNS: &str = "e.id, e.title, e.status, e.starts_at, e.ends_at, e.venue, e.timezone, \
     e.currency, e.owner_id, u.email, e.created_at, e.ticket_note";
pub(crate) const EVENT_FROM: &str = "events e JOIN users u ON u.id = e.owner_id";

pub(crate) fn from_row(r: &Row<'_>) -> Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        title: r.get(1)?,
        status: r.get(2)?,
        starts_at: r.get(3)?,
        ends_at: r.get(4)?,
        venue: r.get(5)?,
        timezone: r.get(6)?,
        currency: r.get(7)?,
        owner_id: r.get(8)?,
        owner_email: r.get(9)?,
        created_at: r.get(10)?,
        ticket_note: r.get(11)?,
    })
}

/// Loads an event by id, or fails with not-found.
pub fn get(conn: &Tx<'_>, id: i64) -> Result<Event> {
    conn.opt(
        &format!("SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE e.id = ?1"),
        args![id],
        from_row,
    )?
    .ok_or_else(|| Error::not_found(Missing::Event, id))
}

/// A new event's row.
pub struct NewRow<'a> {
    /// Its title.
    pub title: &'a str,
    /// Start.
    pub starts_at: Timestamp,
    /// End, if known.
    pub ends_at: Option<Timestamp>,
    /// Venue.
    pub venue: Option<&'a str>,
    /// Its time zone.
    pub zone: Zone,
    /// Its currency.
    pub currency: Currency,
    /// The owning promoter.
    pub owner_id: i64,
    /// The Ed25519 private seed (the main database only).
    pub signing_key: &'a [u8],
    /// The public key.
    pub verify_key: &'a [u8],
    /// Creation time.
    pub now: Timestamp,
}

/// Adds a draft event and returns its id.
pub fn insert(conn: &Tx<'_>, row: &NewRow<'_>) -> Result<i64> {
    conn.value(
        "INSERT INTO events (title, status, starts_at, ends_at, venue, timezone, currency, owner_id,
                             signing_key, verify_key, created_at, updated_at)
         VALUES (?1, 'draft', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
         RETURNING id",
        args![
        row.title,
        row.starts_at,
        row.ends_at,
        row.venue,
        row.zone,
        row.currency,
        row.owner_id,
        row.signing_key,
        row.verify_key,
        row.now
    ])
}

/// Every event, soonest first.
pub fn all(conn: &Tx<'_>) -> Result<Vec<Event>> {
    conn.all(
        &format!("SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} ORDER BY e.starts_at, e.id"),
        &[],
        from_row,
    )
}

/// Sets an event's status.
pub fn set_status(conn: &Tx<'_>, id: i64, status: EventStatus, now: Timestamp) -> Result<()> {
    conn.exec(
        "UPDATE events SET status = ?1, updated_at = ?2 WHERE id = ?3",
        args![status, now, id],
    )?;
    Ok(())
}

/// Changes an event's title, venue and ticket note (each `None` to keep it; an empty
/// venue or note clears it).
pub fn update_details(
    conn: &Tx<'_>,
    id: i64,
    title: Option<&str>,
    venue: Option<Option<&str>>,
    note: Option<Option<&str>>,
    now: Timestamp,
) -> Result<()> {
    conn.exec(
        "UPDATE events SET title = COALESCE(?2, title),
                venue = CASE WHEN ?3 THEN ?4 ELSE venue END,
                ticket_note = CASE WHEN ?5 THEN ?6 ELSE ticket_note END,
                updated_at = ?7
         WHERE id = ?1",
        args![
            id,
            title,
            venue.is_some(),
            venue.flatten(),
            note.is_some(),
            note.flatten(),
            now
        ],
    )?;
    Ok(())
}

/// The event's public verification key, if the event exists.
pub fn verify_key(conn: &Tx<'_>, id: i64) -> Result<Option<Vec<u8>>> {
    conn.opt(
        "SELECT verify_key FROM events WHERE id = ?1",
        args![id],
        |r| r.get(0),
    )
}

/// Assigns a staff account to an event; false if it already was.
pub fn add_staff(conn: &Tx<'_>, event_id: i64, user_id: i64, now: Timestamp) -> Result<bool> {
    Ok(conn.exec(
        "INSERT INTO event_staff (event_id, user_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        args![event_id, user_id, now],
    )? > 0)
}

/// Removes a staff assignment; false if there was none.
pub fn remove_staff(conn: &Tx<'_>, event_id: i64, user_id: i64) -> Result<bool> {
    Ok(conn.exec(
        "DELETE FROM event_staff WHERE event_id = ?1 AND user_id = ?2",
        args![event_id, user_id],
    )? > 0)
}

/// Whether a user is assigned to an event as gate staff.
pub fn is_staff(conn: &Tx<'_>, event_id: i64, user_id: i64) -> Result<bool> {
    Ok(conn
        .opt(
            "SELECT 1 FROM event_staff WHERE event_id = ?1 AND user_id = ?2",
            args![event_id, user_id],
            |_| Ok(()),
        )?
        .is_some())
}

/// The e-mail addresses of an event's staff, alphabetically.
pub fn staff_emails(conn: &Tx<'_>, event_id: i64) -> Result<Vec<String>> {
    conn.all(
        "SELECT u.email FROM event_staff s JOIN users u ON u.id = s.user_id
         WHERE s.event_id = ?1 ORDER BY u.email",
        args![event_id],
        |r| r.get::<String>(0),
    )
}

/// The event's private signing key (the main database only; never exported).
pub fn signing_key(conn: &Tx<'_>, id: i64) -> Result<Vec<u8>> {
    conn.one(
        "SELECT signing_key FROM events WHERE id = ?1",
        args![id],
        |r| r.get(0),
    )
}

/// The first event of an owner with exactly this title, if any.
pub fn first_of_owner_titled(conn: &Tx<'_>, owner_id: i64, title: &str) -> Result<Option<i64>> {
    conn.opt(
        "SELECT id FROM events WHERE owner_id = ?1 AND title = ?2 ORDER BY id LIMIT 1",
        args![owner_id, title],
        |r| r.get(0),
    )
}
