//! The tiers table: a tier's row, its seats, and the unique folded name that decides
//! whether a name is free.

use super::Tx;
use super::sql::{Bind, Row, Value, args};
use crate::domain::tier::Tier;
use crate::domain::time::Timestamp;
use crate::error::Result;

const TIER_COLUMNS: &str = "t.id, t.event_id, t.name, t.description, t.price_minor, e.currency, \
     t.quantity, t.sold, t.min_purchase, t.max_purchase, t.sale_start, t.sale_end, \
     t.requires_approval, t.transferable, t.is_active, t.position, t.created_at, t.updated_at, \
     e.timezone, t.held, t.waitlist_hold, \
     (SELECT count(*) FROM waitlist w WHERE w.tier_id = t.id AND w.status = 'waiting')";
const TIER_FROM: &str = "tiers t JOIN events e ON e.id = t.event_id";

fn from_row(r: &Row<'_>) -> Result<Tier> {
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
        held: r.get(19)?,
        waitlist_hold: r.get(20)?,
        waiting: r.get(21)?,
    })
}

/// The tier with this id, if any.
pub fn by_id(conn: &Tx<'_>, id: i64) -> Result<Option<Tier>> {
    conn.opt(
        &format!("SELECT {TIER_COLUMNS} FROM {TIER_FROM} WHERE t.id = ?1"),
        args![id],
        from_row,
    )
}

/// The event's tier whose folded name is `key`, if any.
pub fn by_name_key(conn: &Tx<'_>, event_id: i64, key: &str) -> Result<Option<Tier>> {
    conn.opt(
        &format!(
            "SELECT {TIER_COLUMNS} FROM {TIER_FROM} WHERE t.event_id = ?1 AND t.name_key = ?2"
        ),
        args![event_id, key],
        from_row,
    )
}

/// The event's tiers in position order, inactive ones only if asked for.
pub fn of_event(conn: &Tx<'_>, event_id: i64, include_inactive: bool) -> Result<Vec<Tier>> {
    conn.all(
        &format!(
            "SELECT {TIER_COLUMNS} FROM {TIER_FROM}
         WHERE t.event_id = ?1 AND (?2 OR t.is_active)
         ORDER BY t.position, t.id"
        ),
        args![event_id, include_inactive],
        from_row,
    )
}

/// Makes `position` the tier's own: if another tier of the event has it, that tier and
/// every one after it move down by one, so that no two tiers share a position and the
/// order of the others is kept.
pub fn make_room(conn: &Tx<'_>, event_id: i64, position: i64, tier_id: i64) -> Result<()> {
    let taken: bool = conn.value(
        "SELECT EXISTS (SELECT 1 FROM tiers WHERE event_id = ?1 AND position = ?2 AND id <> ?3)",
        args![event_id, position, tier_id],
    )?;
    if taken {
        conn.exec(
            "UPDATE tiers SET position = position + 1
             WHERE event_id = ?1 AND position >= ?2 AND id <> ?3",
            args![event_id, position, tier_id],
        )?;
    }
    Ok(())
}

/// The position after the event's last tier.
pub fn next_position(conn: &Tx<'_>, event_id: i64) -> Result<i64> {
    conn.one(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM tiers WHERE event_id = ?1",
        args![event_id],
        |r| r.get(0),
    )
}

/// The fields from name to position as `?2`–`?13`, after `key` (`?1`: the event for an
/// insert, the tier for an update), then `at` (`?14`), the folded name (`?15`) and the
/// waitlist hold (`?16`).
fn fields<'t>(key: &'t i64, tier: &'t Tier, at: &'t i64, name_key: &'t str) -> [Value<'t>; 16] {
    [
        key.bind(),
        tier.name.bind(),
        tier.description.bind(),
        tier.price_minor.bind(),
        tier.quantity.bind(),
        tier.min_purchase.bind(),
        tier.max_purchase.bind(),
        tier.sale_start.bind(),
        tier.sale_end.bind(),
        tier.requires_approval.bind(),
        tier.transferable.bind(),
        tier.is_active.bind(),
        tier.position.bind(),
        at.bind(),
        name_key.bind(),
        tier.waitlist_hold.bind(),
    ]
}

/// Adds a tier (with no seats sold) and returns its id; `None` if the event already has
/// a tier of that name — the database's unique index on the folded name decides.
pub fn insert(conn: &Tx<'_>, tier: &Tier) -> Result<Option<i64>> {
    let key = super::fold(&tier.name);
    if let super::sql::Engine::Pg(_) = conn.engine {
        return insert_counted(conn, tier, &key);
    }
    conn.opt(
        "INSERT INTO tiers (event_id, name, description, price_minor, quantity, sold,
             min_purchase, max_purchase, sale_start, sale_end, requires_approval, transferable,
             is_active, position, created_at, updated_at, name_key, waitlist_hold)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16)
         ON CONFLICT (event_id, name_key) DO NOTHING
         RETURNING id",
        &fields(&tier.event_id, tier, &tier.created_at, &key),
        |r| r.get(0),
    )
}

/// PostgreSQL: the id comes from a counter row in `tix_meta`, not the identity
/// sequence. A sequence is not transactional: a refused insert or a dry run would use
/// ids up, and ids would drift from SQLite's, where AUTOINCREMENT's counter rolls back
/// with its transaction. The counter row does too; two transactions creating tiers at
/// once meet on it and the loser is run again.
fn insert_counted(conn: &Tx<'_>, tier: &Tier, key: &str) -> Result<Option<i64>> {
    let taken: bool = conn.value(
        "SELECT EXISTS (SELECT 1 FROM tiers WHERE event_id = ?1 AND name_key = ?2)",
        args![tier.event_id, key],
    )?;
    if taken {
        return Ok(None);
    }
    let id: i64 = conn.value(
        "INSERT INTO tix_meta (key, value)
         VALUES ('last_tier_id', CAST((SELECT COALESCE(MAX(id), 0) + 1 FROM tiers) AS TEXT))
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(tix_meta.value AS BIGINT) + 1 AS TEXT)
         RETURNING CAST(value AS BIGINT)",
        &[],
    )?;
    let mut values = fields(&tier.event_id, tier, &tier.created_at, key).to_vec();
    values.push(Value::Int(id));
    conn.opt(
        "INSERT INTO tiers (event_id, name, description, price_minor, quantity, sold,
             min_purchase, max_purchase, sale_start, sale_end, requires_approval, transferable,
             is_active, position, created_at, updated_at, name_key, waitlist_hold, id)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16, ?17)
         ON CONFLICT (event_id, name_key) DO NOTHING
         RETURNING id",
        &values,
        |r| r.get(0),
    )
}

/// Writes a tier's fields (not its seats); false if another tier of the event has its
/// name — the database's unique index decides.
pub fn update(conn: &Tx<'_>, tier: &Tier) -> Result<bool> {
    let key = super::fold(&tier.name);
    // The name is checked in the statement itself, so a refusal is an answer, not an
    // error that would end a PostgreSQL transaction; two writers racing for one name
    // still meet the unique index, and the loser is retried and sees the winner.
    let changed = conn.exec(
        "UPDATE tiers SET name = ?2, description = ?3, price_minor = ?4, quantity = ?5,
             min_purchase = ?6, max_purchase = ?7, sale_start = ?8, sale_end = ?9,
             requires_approval = ?10, transferable = ?11, is_active = ?12, position = ?13,
             updated_at = ?14, name_key = ?15, waitlist_hold = ?16
         WHERE id = ?1
           AND NOT EXISTS (SELECT 1 FROM tiers other
                           WHERE other.event_id = tiers.event_id AND other.name_key = ?15
                             AND other.id <> ?1)",
        &fields(&tier.id, tier, &tier.updated_at, &key),
    )?;
    Ok(changed > 0)
}

/// How many orders (of any status) refer to a tier.
pub fn order_count(conn: &Tx<'_>, tier_id: i64) -> Result<i64> {
    conn.one(
        "SELECT count(*) FROM orders WHERE tier_id = ?1",
        args![tier_id],
        |r| r.get(0),
    )
}

/// Deletes a tier.
pub fn delete(conn: &Tx<'_>, tier_id: i64) -> Result<()> {
    conn.exec("DELETE FROM tiers WHERE id = ?1", args![tier_id])?;
    Ok(())
}

/// Takes `n` seats if the tier still has them, not counting those held for the
/// waitlist, and only while no one waits in its line (they come first): one
/// conditional UPDATE, so the database itself decides between two sales of the last
/// seats. False if it had too few.
pub fn take_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE tiers SET sold = sold + ?2 WHERE id = ?1 AND sold + held + ?2 <= quantity
           AND NOT EXISTS (SELECT 1 FROM waitlist w WHERE w.tier_id = ?1 AND w.status = 'waiting')",
        args![tier_id, n],
    )? > 0)
}

/// Seats of a tier held by offers that ran out by `now` (not yet ended by a write).
pub fn expired_held(conn: &Tx<'_>, tier_id: i64, now: Timestamp) -> Result<i64> {
    conn.value(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM waitlist
         WHERE tier_id = ?1 AND status = 'offered' AND expires_at <= ?2",
        args![tier_id, now],
    )
}

/// Holds `n` free seats for an offer to the waitlist, in one conditional UPDATE: two
/// processes freeing seats at once can never hold one seat twice. False if fewer are free.
pub fn hold_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE tiers SET held = held + ?2 WHERE id = ?1 AND sold + held + ?2 <= quantity",
        args![tier_id, n],
    )? > 0)
}

/// Turns `n` held seats into sold ones (an offer claimed); false if fewer were held.
pub fn sell_held(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE tiers SET held = held - ?2, sold = sold + ?2 WHERE id = ?1 AND held >= ?2",
        args![tier_id, n],
    )? > 0)
}

/// Gives `n` held seats back (an offer expired, declined or withdrawn); false if fewer
/// were held.
pub fn release_held(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE tiers SET held = held - ?2 WHERE id = ?1 AND held >= ?2",
        args![tier_id, n],
    )? > 0)
}

/// Gives `n` seats back; false if fewer were sold.
pub fn release_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE tiers SET sold = sold - ?2 WHERE id = ?1 AND sold >= ?2",
        args![tier_id, n],
    )? > 0)
}
