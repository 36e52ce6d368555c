//! The tickets table: lookups every layer above needs without the whole ticket.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::sale::TicketRef;
use crate::domain::time::Timestamp;
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

/// Ends an order's still-valid tickets (`cancelled` or `refunded`); used ones stay used.
pub fn end_valid_of_order(
    conn: &Connection,
    order_id: i64,
    status: &str,
    now: Timestamp,
) -> Result<()> {
    conn.execute(
        "UPDATE tickets SET status = ?2, updated_at = ?3 WHERE order_id = ?1 AND status = 'valid'",
        params![order_id, status, now],
    )?;
    Ok(())
}
