//! The tiers table: a tier's row, its seats, and the unique folded name that decides
//! whether a name is free.

use rusqlite::{OptionalExtension, Row, params};

use super::Tx;
use crate::domain::tier::Tier;
use crate::error::Result;

const TIER_COLUMNS: &str = "t.id, t.event_id, t.name, t.description, t.price_minor, e.currency, \
     t.quantity, t.sold, t.min_purchase, t.max_purchase, t.sale_start, t.sale_end, \
     t.requires_approval, t.transferable, t.is_active, t.position, t.created_at, t.updated_at, \
     e.timezone";
const TIER_FROM: &str = "tiers t JOIN events e ON e.id = t.event_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Tier> {
    Ok(Tier {
        zone: r.get(18)?,
        id: r.get(0)?,
        event_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        price_minor: r.get(4)?,
        currency: r.get(5)?,
        quantity: r.get(6)?,
        sold: r.get(7)?,
        min_purchase: r.get(8)?,
        max_purchase: r.get(9)?,
        sale_start: r.get(10)?,
        sale_end: r.get(11)?,
        requires_approval: r.get(12)?,
        transferable: r.get(13)?,
        is_active: r.get(14)?,
        position: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
    })
}

/// The tier with this id, if any.
pub fn by_id(conn: &Tx<'_>, id: i64) -> Result<Option<Tier>> {
    Ok(conn
        .c()
        .prepare_cached(&format!(
            "SELECT {TIER_COLUMNS} FROM {TIER_FROM} WHERE t.id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// The event's tier whose folded name is `key`, if any.
pub fn by_name_key(conn: &Tx<'_>, event_id: i64, key: &str) -> Result<Option<Tier>> {
    Ok(conn
        .c()
        .prepare_cached(&format!(
            "SELECT {TIER_COLUMNS} FROM {TIER_FROM} WHERE t.event_id = ?1 AND t.name_key = ?2"
        ))?
        .query_row(params![event_id, key], from_row)
        .optional()?)
}

/// The event's tiers in position order, inactive ones only if asked for.
pub fn of_event(conn: &Tx<'_>, event_id: i64, include_inactive: bool) -> Result<Vec<Tier>> {
    let mut stmt = conn.c().prepare_cached(&format!(
        "SELECT {TIER_COLUMNS} FROM {TIER_FROM}
         WHERE t.event_id = ?1 AND (?2 OR t.is_active)
         ORDER BY t.position, t.id"
    ))?;
    let rows = stmt.query_map(params![event_id, include_inactive], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The position after the event's last tier.
pub fn next_position(conn: &Tx<'_>, event_id: i64) -> Result<i64> {
    Ok(conn
        .c()
        .prepare_cached("SELECT COALESCE(MAX(position), 0) + 1 FROM tiers WHERE event_id = ?1")?
        .query_row([event_id], |r| r.get(0))?)
}

/// Whether an error is the unique index on a tier's folded name refusing a duplicate.
fn is_name_taken(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation)
    ) && e.to_string().contains("name_key")
}

/// Runs an insert or update of a tier's fields: `?1` is `key` (the event for an insert,
/// the tier for an update), `?2`–`?13` the fields from name to position, `?14` `at`.
fn write_fields(
    conn: &Tx<'_>,
    sql: &str,
    key: i64,
    tier: &Tier,
    at: i64,
) -> rusqlite::Result<usize> {
    conn.c().prepare_cached(sql)?.execute(params![
        key,
        tier.name,
        tier.description,
        tier.price_minor,
        tier.quantity,
        tier.min_purchase,
        tier.max_purchase,
        tier.sale_start,
        tier.sale_end,
        tier.requires_approval,
        tier.transferable,
        tier.is_active,
        tier.position,
        at,
    ])
}

/// Adds a tier (with no seats sold) and returns its id; `None` if the event already has
/// a tier of that name — the database's unique index decides.
pub fn insert(conn: &Tx<'_>, tier: &Tier) -> Result<Option<i64>> {
    let done = write_fields(
        conn,
        "INSERT INTO tiers (event_id, name, description, price_minor, quantity, sold,
             min_purchase, max_purchase, sale_start, sale_end, requires_approval, transferable,
             is_active, position, created_at, updated_at, name_key)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, tix_fold(?2))",
        tier.event_id,
        tier,
        tier.created_at,
    );
    match done {
        Ok(_) => Ok(Some(conn.c().last_insert_rowid())),
        Err(e) if is_name_taken(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes a tier's fields (not its seats); false if another tier of the event has its
/// name — the database's unique index decides.
pub fn update(conn: &Tx<'_>, tier: &Tier) -> Result<bool> {
    let done = write_fields(
        conn,
        "UPDATE tiers SET name = ?2, description = ?3, price_minor = ?4, quantity = ?5,
             min_purchase = ?6, max_purchase = ?7, sale_start = ?8, sale_end = ?9,
             requires_approval = ?10, transferable = ?11, is_active = ?12, position = ?13,
             updated_at = ?14, name_key = tix_fold(?2)
         WHERE id = ?1",
        tier.id,
        tier,
        tier.updated_at,
    );
    match done {
        Ok(_) => Ok(true),
        Err(e) if is_name_taken(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How many orders (of any status) refer to a tier.
pub fn order_count(conn: &Tx<'_>, tier_id: i64) -> Result<i64> {
    Ok(conn.c().query_row(
        "SELECT count(*) FROM orders WHERE tier_id = ?1",
        [tier_id],
        |r| r.get(0),
    )?)
}

/// Deletes a tier.
pub fn delete(conn: &Tx<'_>, tier_id: i64) -> Result<()> {
    conn.c()
        .execute("DELETE FROM tiers WHERE id = ?1", [tier_id])?;
    Ok(())
}

/// Takes `n` seats if the tier still has them: one conditional UPDATE, so the database
/// itself decides between two sales of the last seats. False if it had too few.
pub fn take_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn
        .c()
        .prepare_cached(
            "UPDATE tiers SET sold = sold + ?2 WHERE id = ?1 AND sold + ?2 <= quantity",
        )?
        .execute(params![tier_id, n])?
        > 0)
}

/// Gives `n` seats back; false if fewer were sold.
pub fn release_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn
        .c()
        .prepare_cached("UPDATE tiers SET sold = sold - ?2 WHERE id = ?1 AND sold >= ?2")?
        .execute(params![tier_id, n])?
        > 0)
}
