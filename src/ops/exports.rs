//! Exports of an event's records for spreadsheets and other programs: the door list,
//! the orders, every scan and the audit log, streamed row by row.

use crate::access::{Action, Actor, authorize};
use crate::error::Result;
use crate::ops::events::{self, Event};
use crate::store::{self, Store};

pub use crate::domain::export::{Field, Kind, spreadsheet_safe};

/// Streams one kind of an event's records: `start` gets the event once the actor is
/// allowed (the door list: its promoter, an admin or its staff; the rest: its promoter
/// or an admin), then `row` each row in [`Kind::headers`]' order. Returns the row count.
pub fn export(
    store: &Store,
    actor: &Actor,
    kind: Kind,
    event_id: i64,
    start: impl FnOnce(&Event) -> Result<()>,
    mut row: impl FnMut(&[Field]) -> Result<()>,
) -> Result<u64> {
    store.read(|c| {
        let event = events::get(c, event_id)?;
        match kind {
            Kind::Attendees => {
                let is_staff = match actor.as_user() {
                    Some(u) => store::events::is_staff(c, event.id, u.id)?,
                    None => false,
                };
                authorize(
                    actor,
                    Action::ExportAttendees {
                        event: &event,
                        is_staff,
                    },
                )?;
            }
            Kind::Orders | Kind::Checkins | Kind::Audit => {
                authorize(actor, Action::SeeEventRecords(&event))?;
            }
        }
        start(&event)?;
        let mut rows = 0u64;
        store::exports::each(c, kind, event.id, |fields| {
            rows += 1;
            row(fields)
        })?;
        Ok(rows)
    })
}
