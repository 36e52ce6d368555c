//! The events table: reading an event back as the domain's type.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::domain::event::{Event, EventStatus};
use crate::domain::money::Currency;
use crate::domain::time::Zone;
use crate::error::{Error, Result};

pub(crate) const EVENT_COLUMNS: &str = "e.id, e.title, e.status, e.starts_at, e.ends_at, e.venue, e.timezone, \
     e.currency, e.owner_id, u.email, e.created_at";
pub(crate) const EVENT_FROM: &str = "events e JOIN users u ON u.id = e.owner_id";

pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    let corrupt = crate::store::bad_column;
    let status: String = r.get(2)?;
    let tz: String = r.get(6)?;
    let cur: String = r.get(7)?;
    Ok(Event {
        id: r.get(0)?,
        title: r.get(1)?,
        status: EventStatus::parse(&status).map_err(|e| corrupt(2, e))?,
        starts_at: r.get(3)?,
        ends_at: r.get(4)?,
        venue: r.get(5)?,
        timezone: Zone::parse(&tz).map_err(|e| corrupt(6, e))?,
        currency: Currency::parse(&cur).map_err(|e| corrupt(7, e))?,
        owner_id: r.get(8)?,
        owner_email: r.get(9)?,
        created_at: r.get(10)?,
    })
}

/// Loads an event by id, or fails with not-found.
pub fn get(conn: &Connection, id: i64) -> Result<Event> {
    conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE e.id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()?
    .ok_or_else(|| {
        Error::not_found_hint("event", id, "`tix event list` shows the events you can see")
    })
}
