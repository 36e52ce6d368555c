//! The tickets table: lookups every layer above needs without the whole ticket.

use rusqlite::{Connection, OptionalExtension};

use crate::domain::sale::TicketRef;
use crate::error::Result;

/// The id and event of the ticket a reference names, if there is one.
pub fn locate(conn: &Connection, reference: &TicketRef) -> Result<Option<(i64, i64)>> {
    let row = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    Ok(match reference {
        TicketRef::Id(id) => conn
            .prepare_cached("SELECT id, event_id FROM tickets WHERE id = ?1")?
            .query_row([id], row)
            .optional()?,
        TicketRef::Uuid(uuid) => conn
            .prepare_cached("SELECT id, event_id FROM tickets WHERE uuid = ?1")?
            .query_row([uuid], row)
            .optional()?,
    })
}
