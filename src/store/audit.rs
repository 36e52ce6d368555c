//! The audit log table.

use serde_json::Value;

use super::Tx;
use super::sql::{Row, args};
use crate::domain::audit::{Entry, Subject};
use crate::domain::time::Timestamp;
use crate::error::Result;

/// Appends one entry.
pub fn insert(
    conn: &Tx<'_>,
    at: Timestamp,
    actor_email: Option<&str>,
    action: &str,
    subject: Subject<'_>,
    details: &str,
) -> Result<()> {
    conn.exec(
        "INSERT INTO audit_log (at, actor_email, action, object_type, object_id, event_id, ticket_id, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![
        at,
        actor_email,
        action,
        subject.object_type,
        subject.object_id,
        subject.event_id,
        subject.ticket_id,
        details,
    ],
    )?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> Result<Entry> {
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

/// Entries oldest first, narrowed to an event, a ticket, and the events of one owner
/// (each `None` for no narrowing).
pub fn entries(
    conn: &Tx<'_>,
    event_id: Option<i64>,
    ticket_id: Option<i64>,
    events_of_owner: Option<i64>,
) -> Result<Vec<Entry>> {
    conn.all(
        "SELECT a.id, a.at, a.actor_email, a.action, a.object_type, a.object_id, a.event_id, a.ticket_id, a.details
         FROM audit_log a
         WHERE (CAST(?1 AS BIGINT) IS NULL OR a.event_id = ?1)
           AND (CAST(?2 AS BIGINT) IS NULL OR a.ticket_id = ?2)
           AND (CAST(?3 AS BIGINT) IS NULL OR a.event_id IN (SELECT id FROM events WHERE owner_id = ?3))
         ORDER BY a.id",
        args![event_id, ticket_id, events_of_owner],
        from_row,
    )
}

/// The id of the newest transfer entry (0 for none): the mark a gate export records.
/// Transfers after it have higher ids, on either engine: SQLite runs one writer at a
/// time, and on PostgreSQL [`order_transfers`] makes transfers take their ids in the
/// order they commit.
pub fn last_transfer_id(conn: &Tx<'_>) -> Result<i64> {
    conn.value(
        "SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE action = 'ticket.transfer'",
        &[],
    )
}

/// Called by a transfer before it writes its audit entry: on PostgreSQL, where ids come
/// from a sequence shared by concurrent transactions, one transfer at a time takes an
/// id and holds it until it commits, so a gate export's mark ([`last_transfer_id`])
/// never lies above a transfer it did not see. Nothing to do on SQLite.
pub fn order_transfers(conn: &Tx<'_>) -> Result<()> {
    if let super::sql::Engine::Pg(_) = conn.engine {
        conn.value::<Option<String>>(
            "SELECT pg_advisory_xact_lock(?1)::text",
            args![TRANSFER_LOCK],
        )?;
    }
    Ok(())
}

/// The advisory lock key transfers take on PostgreSQL (the bytes `TIXT`).
const TRANSFER_LOCK: i64 = 0x5449_5854;

/// How many times a ticket was transferred after the entry `mark` ([`last_transfer_id`]).
pub fn transfers_after(conn: &Tx<'_>, ticket_id: i64, mark: i64) -> Result<i64> {
    conn.value(
        "SELECT count(*) FROM audit_log WHERE action = 'ticket.transfer' AND ticket_id = ?1 AND id > ?2",
        args![ticket_id, mark],
    )
}
