//! The orders table.

use super::Tx;
use super::sql::{Row, args};
use crate::domain::money::Currency;
use crate::domain::sale::{Order, OrderStatus};
use crate::domain::time::Timestamp;
use crate::error::Result;

const ORDER_SELECT: &str =
    "SELECT o.id, o.event_id, o.tier_id, ti.name, o.buyer_id, u.email, o.quantity, o.status,
        o.is_comp, o.total_minor, o.currency, o.created_at
 FROM orders o JOIN users u ON u.id = o.buyer_id JOIN tiers ti ON ti.id = o.tier_id";

fn from_row(r: &Row<'_>) -> Result<Order> {
    Ok(Order {
        id: r.get(0)?,
        event_id: r.get(1)?,
        tier_id: r.get(2)?,
        tier_name: r.get(3)?,
        buyer_id: r.get(4)?,
        buyer_email: r.get(5)?,
        quantity: r.get(6)?,
        status: r.get(7)?,
        is_comp: r.get(8)?,
        total_minor: r.get(9)?,
        currency: r.get(10)?,
        created_at: r.get(11)?,
        tickets: Vec::new(),
    })
}

/// The order with this id (without its tickets), if any.
pub fn by_id(conn: &Tx<'_>, id: i64) -> Result<Option<Order>> {
    conn.opt(
        &format!("{ORDER_SELECT} WHERE o.id = ?1"),
        args![id],
        from_row,
    )
}

/// A new order's row.
pub struct NewRow {
    /// Its event.
    pub event_id: i64,
    /// Its tier.
    pub tier_id: i64,
    /// Who buys.
    pub buyer_id: i64,
    /// How many tickets.
    pub quantity: i64,
    /// Completed or awaiting approval.
    pub status: OrderStatus,
    /// Complimentary.
    pub is_comp: bool,
    /// Price of one ticket, in minor units.
    pub unit_minor: i64,
    /// The total, in minor units.
    pub total_minor: i64,
    /// The event's currency.
    pub currency: Currency,
    /// Who placed it.
    pub created_by: i64,
    /// When.
    pub now: Timestamp,
}

/// Adds an order and returns its id.
pub fn insert(conn: &Tx<'_>, row: &NewRow) -> Result<i64> {
    conn.value(
        "INSERT INTO orders (event_id, tier_id, buyer_id, quantity, status, is_comp, unit_minor,
                             total_minor, currency, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
         RETURNING id",
        args![
            row.event_id,
            row.tier_id,
            row.buyer_id,
            row.quantity,
            row.status,
            row.is_comp,
            row.unit_minor,
            row.total_minor,
            row.currency,
            row.created_by,
            row.now
        ],
    )
}

/// Orders (without tickets), oldest first: of one event or all (`event_id`), and either
/// every one (`all`) or those bought by `user_id` or of the events they own.
pub fn visible(
    conn: &Tx<'_>,
    event_id: Option<i64>,
    all: bool,
    user_id: i64,
) -> Result<Vec<Order>> {
    conn.all(
        &format!(
            "{ORDER_SELECT}
         WHERE (CAST(?1 AS BIGINT) IS NULL OR o.event_id = ?1)
           AND (?2 OR o.buyer_id = ?3 OR o.event_id IN (SELECT id FROM events WHERE owner_id = ?3))
         ORDER BY o.id"
        ),
        args![event_id, all, user_id],
        from_row,
    )
}

/// Sets an order's status.
pub fn set_status(conn: &Tx<'_>, id: i64, status: OrderStatus, now: Timestamp) -> Result<()> {
    conn.exec(
        "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, status, now],
    )?;
    Ok(())
}

/// The event and buyer of an order, if it exists.
pub fn event_and_buyer(conn: &Tx<'_>, id: i64) -> Result<Option<(i64, i64)>> {
    conn.opt(
        "SELECT event_id, buyer_id FROM orders WHERE id = ?1",
        args![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}
