//! The waitlist table: places in line, offers, and the conditional updates that move
//! a place from one status to the next only once.

use super::Tx;
use super::sql::{Row, args};
use crate::domain::time::Timestamp;
use crate::domain::waitlist::{Entry, Status};
use crate::error::Result;

const SELECT: &str = "SELECT w.id, w.event_id, w.tier_id, t.name, w.user_id, u.email, u.name,
        w.quantity, w.status, w.joined_at, w.offered_at, w.expires_at, w.order_id,
        CASE WHEN w.status = 'waiting' THEN
          (SELECT count(*) FROM waitlist a WHERE a.tier_id = w.tier_id AND a.status = 'waiting'
                                             AND a.id <= w.id)
        END, ev.timezone
 FROM waitlist w JOIN tiers t ON t.id = w.tier_id JOIN users u ON u.id = w.user_id
      JOIN events ev ON ev.id = w.event_id";

fn from_row(r: &Row<'_>) -> Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        event_id: r.get(1)?,
        tier_id: r.get(2)?,
        tier_name: r.get(3)?,
        user_id: r.get(4)?,
        email: r.get(5)?,
        name: r.get(6)?,
        quantity: r.get(7)?,
        status: r.get(8)?,
        joined_at: r.get(9)?,
        offered_at: r.get(10)?,
        expires_at: r.get(11)?,
        order_id: r.get(12)?,
        position: r.get(13)?,
        zone: r.get(14)?,
    })
}

/// A place by id.
pub fn by_id(conn: &Tx<'_>, id: i64) -> Result<Option<Entry>> {
    conn.opt(&format!("{SELECT} WHERE w.id = ?1"), args![id], from_row)
}

/// A user's active place (waiting or offered) in a tier's line, if any.
pub fn active_of(conn: &Tx<'_>, tier_id: i64, user_id: i64) -> Result<Option<Entry>> {
    conn.opt(
        &format!(
            "{SELECT} WHERE w.tier_id = ?1 AND w.user_id = ?2 AND w.status IN ('waiting', 'offered')"
        ),
        args![tier_id, user_id],
        from_row,
    )
}

/// Adds a place at the end of the line; `None` if the user already has one (the unique
/// index decides).
pub fn join(
    conn: &Tx<'_>,
    event_id: i64,
    tier_id: i64,
    user_id: i64,
    quantity: i64,
    now: Timestamp,
) -> Result<Option<i64>> {
    conn.opt(
        "INSERT INTO waitlist (event_id, tier_id, user_id, quantity, status, joined_at)
         VALUES (?1, ?2, ?3, ?4, 'waiting', ?5)
         ON CONFLICT DO NOTHING
         RETURNING id",
        args![event_id, tier_id, user_id, quantity, now],
        |r| r.get(0),
    )
}

/// A tier's line, oldest first: every place (`all`) or only active ones.
pub fn of_tier(conn: &Tx<'_>, tier_id: i64, all: bool) -> Result<Vec<Entry>> {
    conn.all(
        &format!(
            "{SELECT} WHERE w.tier_id = ?1 AND (?2 OR w.status IN ('waiting', 'offered')) ORDER BY w.id"
        ),
        args![tier_id, all],
        from_row,
    )
}

/// A user's places, newest first.
pub fn of_user(conn: &Tx<'_>, user_id: i64) -> Result<Vec<Entry>> {
    conn.all(
        &format!("{SELECT} WHERE w.user_id = ?1 ORDER BY w.id DESC"),
        args![user_id],
        from_row,
    )
}

/// Everyone waiting in a tier's line, first in line first.
pub fn waiting(conn: &Tx<'_>, tier_id: i64) -> Result<Vec<Entry>> {
    conn.all(
        &format!("{SELECT} WHERE w.tier_id = ?1 AND w.status = 'waiting' ORDER BY w.id"),
        args![tier_id],
        from_row,
    )
}

/// A tier's offers that ran out by `now`.
pub fn due(conn: &Tx<'_>, tier_id: i64, now: Timestamp) -> Result<Vec<Entry>> {
    conn.all(
        &format!(
            "{SELECT} WHERE w.tier_id = ?1 AND w.status = 'offered' AND w.expires_at <= ?2 ORDER BY w.id"
        ),
        args![tier_id, now],
        from_row,
    )
}

/// An event's places still waiting or offered.
pub fn active_of_event(conn: &Tx<'_>, event_id: i64) -> Result<Vec<Entry>> {
    conn.all(
        &format!(
            "{SELECT} WHERE w.event_id = ?1 AND w.status IN ('waiting', 'offered') ORDER BY w.id"
        ),
        args![event_id],
        from_row,
    )
}

/// Turns a waiting place into an offer that runs out at `expires_at`; false if it was
/// no longer waiting.
pub fn offer(conn: &Tx<'_>, id: i64, now: Timestamp, expires_at: Timestamp) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE waitlist SET status = 'offered', offered_at = ?2, expires_at = ?3
         WHERE id = ?1 AND status = 'waiting'",
        args![id, now, expires_at],
    )? > 0)
}

/// Moves a place from status `from` to `to`; false if it was not in `from` any more.
pub fn end(conn: &Tx<'_>, id: i64, from: Status, to: Status, now: Timestamp) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE waitlist SET status = ?3, ended_at = ?4 WHERE id = ?1 AND status = ?2",
        args![id, from, to, now],
    )? > 0)
}

/// Marks an offer claimed by an order; false if it was not a live offer any more.
pub fn claim(conn: &Tx<'_>, id: i64, order_id: i64, now: Timestamp) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE waitlist SET status = 'claimed', order_id = ?2, ended_at = ?3
         WHERE id = ?1 AND status = 'offered' AND expires_at > ?3",
        args![id, order_id, now],
    )? > 0)
}
