//! The tickets table: lookups every layer above needs without the whole ticket.

use super::Tx;
use super::sql::{Bind, Row, Value, args};
use crate::domain::people::User;
use crate::domain::sale::{Ticket, TicketRef};
use crate::domain::time::Timestamp;
use crate::error::{Error, Result};

const TICKET_SELECT: &str =
    "SELECT t.id, t.uuid, t.event_id, e.title, t.tier_id, ti.name, t.order_id, t.owner_id, u.email,
        t.attendee_name, t.attendee_email, t.attendee_phone, t.status, o.status, t.secret_version,
        t.checked_in_at, t.created_at, t.checked_in_gate, u.name, e.timezone, t.signature
 FROM tickets t
 JOIN events e ON e.id = t.event_id
 JOIN tiers ti ON ti.id = t.tier_id
 JOIN users u ON u.id = t.owner_id
 JOIN orders o ON o.id = t.order_id";

/// Reads a ticket row (of [`TICKET_SELECT`]) without its code.
fn from_row(r: &Row<'_>) -> Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        uuid: r.get(1)?,
        event_id: r.get(2)?,
        event_title: r.get(3)?,
        tier_id: r.get(4)?,
        tier_name: r.get(5)?,
        order_id: r.get(6)?,
        owner_id: r.get(7)?,
        owner_email: r.get(8)?,
        attendee_name: r.get(9)?,
        attendee_email: r.get(10)?,
        attendee_phone: r.get(11)?,
        status: r.get(12)?,
        order_status: r.get(13)?,
        secret_version: r.get(14)?,
        checked_in_at: r.get(15)?,
        checked_in_gate: r.get(17)?,
        owner_name: r.get(18)?,
        zone: r.get(19)?,
        qr_payload: String::new(),
        signature: r.get(20)?,
        created_at: r.get(16)?,
    })
}

/// The id and event of the ticket a reference names, if there is one.
pub fn locate(conn: &Tx<'_>, reference: &TicketRef) -> Result<Option<(i64, i64)>> {
    let row = |r: &Row<'_>| Ok((r.get(0)?, r.get(1)?));
    Ok(match reference {
        TicketRef::Id(id) => conn.opt(
            "SELECT id, event_id FROM tickets WHERE id = ?1",
            args![id],
            row,
        )?,
        TicketRef::Uuid(uuid) => conn.opt(
            "SELECT id, event_id FROM tickets WHERE uuid = ?1",
            args![uuid],
            row,
        )?,
    })
}

/// Ends an order's still-valid tickets (`cancelled` or `refunded`); used ones stay used.
pub fn end_valid_of_order(
    conn: &Tx<'_>,
    order_id: i64,
    status: &str,
    now: Timestamp,
) -> Result<()> {
    conn.exec(
        "UPDATE tickets SET status = ?2, updated_at = ?3 WHERE order_id = ?1 AND status = 'valid'",
        args![order_id, status, now],
    )?;
    Ok(())
}

/// The ticket a reference names (without its code), if any.
pub fn find(conn: &Tx<'_>, reference: &TicketRef) -> Result<Option<Ticket>> {
    Ok(match reference {
        TicketRef::Id(id) => conn.opt(
            &format!("{TICKET_SELECT} WHERE t.id = ?1"),
            args![id],
            from_row,
        )?,
        TicketRef::Uuid(uuid) => conn.opt(
            &format!("{TICKET_SELECT} WHERE t.uuid = ?1"),
            args![uuid],
            from_row,
        )?,
    })
}

/// An order's tickets in issue order (without codes).
pub fn of_order(conn: &Tx<'_>, order_id: i64) -> Result<Vec<Ticket>> {
    conn.all(
        &format!("{TICKET_SELECT} WHERE t.order_id = ?1 ORDER BY t.id"),
        args![order_id],
        from_row,
    )
}

/// An event's tickets that can be admitted (valid, order completed), by id.
pub fn admissible_of_event(conn: &Tx<'_>, event_id: i64) -> Result<Vec<Ticket>> {
    conn.all(&format!(
        "{TICKET_SELECT} WHERE t.event_id = ?1 AND t.status = 'valid' AND o.status = 'completed' ORDER BY t.id"
    ), args![event_id], from_row)
}

/// An event's tickets of completed orders that are valid or already used: what its
/// holders were sent, by order, holder and id.
pub fn delivered_of_event(conn: &Tx<'_>, event_id: i64) -> Result<Vec<Ticket>> {
    conn.all(&format!(
        "{TICKET_SELECT} WHERE t.event_id = ?1 AND t.status IN ('valid', 'used') AND o.status = 'completed'
         ORDER BY t.order_id, t.owner_id, t.id"
    ), args![event_id], from_row)
}

/// Which tickets [`each`] reads; `None` narrows nothing.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this owner's.
    pub owner_id: Option<i64>,
    /// Only this event's.
    pub event_id: Option<i64>,
    /// Only of events this user owns.
    pub events_of_owner: Option<i64>,
    /// Only this order's.
    pub order_id: Option<i64>,
    /// Also used, cancelled and refunded ones (else valid only).
    pub include_used: bool,
    /// Newest first (else in issue order).
    pub newest_first: bool,
}

/// Hands every selected ticket (without its code) to `f` as it is read.
pub fn each(conn: &Tx<'_>, s: &Selection, mut f: impl FnMut(Ticket) -> Result<()>) -> Result<()> {
    let order = if s.newest_first { "DESC" } else { "ASC" };
    conn.each(
        &format!(
            "{TICKET_SELECT}
         WHERE (CAST(?1 AS BIGINT) IS NULL OR t.owner_id = ?1)
           AND (CAST(?2 AS BIGINT) IS NULL OR t.event_id = ?2)
           AND (CAST(?3 AS BIGINT) IS NULL OR e.owner_id = ?3)
           AND (CAST(?4 AS BIGINT) IS NULL OR t.order_id = ?4)
           AND (?5 OR t.status = 'valid')
         ORDER BY t.id {order}"
        ),
        args![
            s.owner_id,
            s.event_id,
            s.events_of_owner,
            s.order_id,
            s.include_used
        ],
        |row| f(from_row(row)?),
    )
}

/// New tickets of one order: valid, version 1, owned by and naming as attendee its
/// buyer; they differ only in their UUIDs.
pub struct NewTickets<'a> {
    /// Their order.
    pub order_id: i64,
    /// Their event.
    pub event_id: i64,
    /// Their tier.
    pub tier_id: i64,
    /// The buyer.
    pub owner: &'a User,
    /// When.
    pub now: Timestamp,
}

/// Tickets added by one statement at most: a round trip to a PostgreSQL server per
/// thousand tickets, not per ticket.
pub const INSERT_BATCH: usize = 1000;

/// Adds one ticket per UUID (hyphenated, lower case) with its code's signature if it
/// was signed (base64), [`INSERT_BATCH`] to a statement; their ids, in the order given.
pub fn insert_many(
    conn: &Tx<'_>,
    row: &NewTickets<'_>,
    uuids: &[(&str, Option<&str>)],
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(uuids.len());
    for chunk in uuids.chunks(INSERT_BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(?{}, CAST(?{} AS TEXT))", 2 * i + 8, 2 * i + 9))
            .collect();
        let sql = format!(
            "INSERT INTO tickets (uuid, order_id, event_id, tier_id, owner_id, attendee_name, attendee_email,
                                  status, secret_version, created_at, updated_at, signature)
             SELECT v.column1, CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?3 AS BIGINT), CAST(?4 AS BIGINT),
                    CAST(?5 AS TEXT), CAST(?6 AS TEXT), 'valid', 1, CAST(?7 AS BIGINT), CAST(?7 AS BIGINT),
                    v.column2
             FROM (VALUES {}) AS v
             RETURNING id, uuid",
            values.join(", ")
        );
        let mut args: Vec<Value<'_>> = vec![
            row.order_id.bind(),
            row.event_id.bind(),
            row.tier_id.bind(),
            row.owner.id.bind(),
            row.owner.name.bind(),
            row.owner.email.bind(),
            row.now.bind(),
        ];
        for (uuid, signature) in chunk {
            args.push(uuid.bind());
            args.push(signature.bind());
        }
        // RETURNING gives no promise of order: the UUID says which id is whose.
        let mut by_uuid: std::collections::HashMap<String, i64> = conn
            .all(&sql, &args, |r| Ok((r.get::<String>(1)?, r.get::<i64>(0)?)))?
            .into_iter()
            .collect();
        for (uuid, _) in chunk {
            ids.push(by_uuid.remove(*uuid).ok_or_else(|| {
                Error::Corrupt(format!("ticket {uuid} was not stored with its order"))
            })?);
        }
    }
    Ok(ids)
}

/// A ticket whose code has not been signed yet: what signing it needs.
pub struct Unsigned {
    /// The ticket.
    pub id: i64,
    /// Its event (whose key signs).
    pub event_id: i64,
    /// Its tier.
    pub tier_id: i64,
    /// Its UUID.
    pub uuid: String,
    /// Its secret version.
    pub secret_version: i64,
}

/// Up to `limit` tickets of one event (or of one order) whose codes have no stored
/// signature, found through the partial index of unsigned tickets.
pub fn unsigned(
    conn: &Tx<'_>,
    event_id: i64,
    order_id: Option<i64>,
    limit: usize,
) -> Result<Vec<Unsigned>> {
    conn.all(
        "SELECT id, event_id, tier_id, uuid, secret_version FROM tickets
         WHERE signature IS NULL AND event_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR order_id = ?2)
         LIMIT ?3",
        args![event_id, order_id, limit as i64],
        |r| {
            Ok(Unsigned {
                id: r.get(0)?,
                event_id: r.get(1)?,
                tier_id: r.get(2)?,
                uuid: r.get(3)?,
                secret_version: r.get(4)?,
            })
        },
    )
}

/// Stores signatures (base64) of tickets' codes, each for the secret version it signs:
/// a ticket re-issued since keeps none from before. [`INSERT_BATCH`] to a statement.
pub fn save_signatures(conn: &Tx<'_>, signed: &[(i64, i64, String)]) -> Result<()> {
    if !matches!(conn.engine, super::sql::Engine::Pg(_)) {
        // SQLite plans an UPDATE … FROM (VALUES …) as a scan of the whole tickets table
        // per statement; one cached statement per ticket finds each by its id.
        for (id, version, signature) in signed {
            conn.exec(
                "UPDATE tickets SET signature = ?3 WHERE id = ?1 AND secret_version = ?2",
                args![id, version, signature],
            )?;
        }
        return Ok(());
    }
    // On PostgreSQL, a thousand to a statement: a round trip per thousand tickets.
    for chunk in signed.chunks(INSERT_BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(CAST(?{} AS BIGINT), CAST(?{} AS BIGINT), CAST(?{} AS TEXT))",
                    3 * i + 1,
                    3 * i + 2,
                    3 * i + 3
                )
            })
            .collect();
        let sql = format!(
            "UPDATE tickets SET signature = v.column3
             FROM (VALUES {}) AS v
             WHERE tickets.id = v.column1 AND tickets.secret_version = v.column2",
            values.join(", ")
        );
        let mut args: Vec<Value<'_>> = Vec::with_capacity(3 * chunk.len());
        for (id, version, signature) in chunk {
            args.push(id.bind());
            args.push(version.bind());
            args.push(signature.bind());
        }
        conn.exec(&sql, &args)?;
    }
    Ok(())
}

/// Sets a ticket's attendee: name, e-mail and phone.
pub fn set_attendee(
    conn: &Tx<'_>,
    id: i64,
    [name, email, phone]: [Option<&str>; 3],
    now: Timestamp,
) -> Result<()> {
    conn.exec("UPDATE tickets SET attendee_name = ?2, attendee_email = ?3, attendee_phone = ?4, updated_at = ?5 WHERE id = ?1", args![id, name, email, phone, now])?;
    Ok(())
}

/// Gives a ticket to `to` (who becomes its attendee too) and bumps its secret version,
/// so every code printed before is dead.
pub fn transfer(conn: &Tx<'_>, id: i64, to: &User, now: Timestamp) -> Result<()> {
    conn.exec("UPDATE tickets SET owner_id = ?2, attendee_name = ?3, attendee_email = ?4, attendee_phone = NULL,
                secret_version = secret_version + 1, updated_at = ?5, signature = NULL
         WHERE id = ?1", args![id, to.id, to.name, to.email, now])?;
    Ok(())
}

/// Admits a valid ticket: one conditional UPDATE, so of several processes admitting one
/// ticket at once exactly one wins. False if it was not valid any more.
pub fn admit(conn: &Tx<'_>, id: i64, now: Timestamp, gate: Option<&str>) -> Result<bool> {
    Ok(conn.exec(
            "UPDATE tickets SET status = 'used', checked_in_at = ?2, checked_in_gate = ?3, updated_at = ?2
             WHERE id = ?1 AND status = 'valid'",
        args![id, now, gate])?
        == 1)
}

/// Door-list search in one event: a ticket id, part of a UUID (`uuid_part`, a LIKE
/// pattern, only if longer than 9 characters), or a case-folded LIKE pattern over the
/// attendee's and holder's names and e-mail addresses.
pub fn search(
    conn: &Tx<'_>,
    event_id: i64,
    id: i64,
    pattern: &str,
    uuid_part: &str,
    limit: usize,
) -> Result<Vec<Ticket>> {
    conn.all(&format!(
        "{TICKET_SELECT}
         WHERE t.event_id = ?1 AND (t.id = ?2 OR (length(CAST(?4 AS TEXT)) > 9 AND t.uuid LIKE ?4)
           OR tix_fold(t.attendee_name) LIKE ?3 ESCAPE '\\' OR tix_fold(u.name) LIKE ?3 ESCAPE '\\'
           OR tix_fold(u.email) LIKE ?3 ESCAPE '\\' OR tix_fold(t.attendee_email) LIKE ?3 ESCAPE '\\')
         ORDER BY t.id LIMIT {limit}"
    ), args![event_id, id, pattern, uuid_part], from_row)
}
