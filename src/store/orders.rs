//! The orders table.

use super::Tx;
use super::sql::{Row, args};
use crate::domain::money::Currency;
use crate::domain::sale::{Order, OrderStatus};
use crate::domain::time::Timestamp;
use crate::error::Result;

const ORDER_SELECT: &str =
    "SELECT o.id, o.event_id, o.tier_id, ti.name, o.buyer_id, u.email, o.quantity, o.status,
        o.is_comp, o.total_minor, o.currency, o.created_at, o.payment_ref, o.refund_ref, ev.timezone
 FROM orders o JOIN users u ON u.id = o.buyer_id JOIN tiers ti ON ti.id = o.tier_id
      JOIN events ev ON ev.id = o.event_id";

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
        payment_ref: r.get(12)?,
        refund_ref: r.get(13)?,
        zone: r.get(14)?,
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
pub struct NewRow<'a> {
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
    /// The outside payment's reference, if one was given.
    pub payment_ref: Option<&'a str>,
    /// When.
    pub now: Timestamp,
}

/// Adds an order and returns its id.
pub fn insert(conn: &Tx<'_>, row: &NewRow<'_>) -> Result<i64> {
    conn.value(
        "INSERT INTO orders (event_id, tier_id, buyer_id, quantity, status, is_comp, unit_minor,
                             total_minor, currency, created_by, created_at, updated_at, payment_ref)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)
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
            row.now,
            row.payment_ref
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

/// Orders an event's cancellation ends: completed or awaiting approval, and none of
/// whose tickets got in (those are left for the promoter to settle by hand).
const OPEN_ORDER: &str = "status IN ('completed', 'pending_approval')
    AND NOT EXISTS (SELECT 1 FROM tickets u WHERE u.order_id = orders.id AND u.status = 'used')";

/// How much an event has sold that is still open: completed orders (paid or comp) and
/// orders awaiting approval — and the orders a cancellation leaves alone because some
/// of their tickets were used at the gate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenSales {
    /// Completed paid orders.
    pub completed_orders: i64,
    /// Their tickets.
    pub completed_tickets: i64,
    /// Their total, in minor units.
    pub completed_minor: i64,
    /// Completed complimentary orders.
    pub comp_orders: i64,
    /// Their tickets.
    pub comp_tickets: i64,
    /// Orders awaiting approval (nothing paid yet).
    pub pending_orders: i64,
    /// Their tickets.
    pub pending_tickets: i64,
    /// Open orders some of whose tickets were used: left as they are.
    pub used_orders: i64,
}

impl OpenSales {
    /// Whether a cancellation has no order to end (orders left for their used tickets
    /// do not count).
    pub fn nothing_to_end(&self) -> bool {
        *self
            == OpenSales {
                used_orders: self.used_orders,
                ..OpenSales::default()
            }
    }
}

/// What an event still has sold and not ended.
pub fn open_sales(conn: &Tx<'_>, event_id: i64) -> Result<OpenSales> {
    let mut sales: OpenSales = conn.one(
        &format!(
            "SELECT
           CAST(COALESCE(SUM(CASE WHEN status = 'completed' AND NOT is_comp THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN status = 'completed' AND NOT is_comp THEN quantity ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN status = 'completed' AND NOT is_comp THEN total_minor ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN status = 'completed' AND is_comp THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN status = 'completed' AND is_comp THEN quantity ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN status = 'pending_approval' THEN 1 ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN status = 'pending_approval' THEN quantity ELSE 0 END), 0) AS BIGINT)
         FROM orders WHERE event_id = ?1 AND {OPEN_ORDER}"
        ),
        args![event_id],
        |r| {
            Ok(OpenSales {
                completed_orders: r.get(0)?,
                completed_tickets: r.get(1)?,
                completed_minor: r.get(2)?,
                comp_orders: r.get(3)?,
                comp_tickets: r.get(4)?,
                pending_orders: r.get(5)?,
                pending_tickets: r.get(6)?,
                used_orders: 0,
            })
        },
    )?;
    sales.used_orders = conn.value(
        "SELECT count(*) FROM orders WHERE event_id = ?1 AND status IN ('completed', 'pending_approval')
           AND EXISTS (SELECT 1 FROM tickets u WHERE u.order_id = orders.id AND u.status = 'used')",
        args![event_id],
    )?;
    Ok(sales)
}

/// One order an event's cancellation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The order.
    pub id: i64,
    /// Its tickets.
    pub quantity: i64,
    /// Its total, in minor units.
    pub total_minor: i64,
    /// Complimentary.
    pub is_comp: bool,
    /// Its status before.
    pub was: OrderStatus,
    /// Its status now.
    pub now: OrderStatus,
}

/// Ends every open order of an event (see [`OPEN_ORDER`]) in a few statements: paid
/// completed orders get `completed_to` (refunded or cancelled); complimentary ones and
/// those awaiting approval are cancelled (nothing was paid); their still-valid tickets
/// follow their order, and the seats go back to the tiers. Returns the orders ended.
pub fn end_open_of_event(
    conn: &Tx<'_>,
    event_id: i64,
    completed_to: OrderStatus,
    now: Timestamp,
) -> Result<Vec<Ended>> {
    let ended = conn.all(
        &format!(
            "SELECT id, quantity, total_minor, is_comp, status FROM orders
             WHERE event_id = ?1 AND {OPEN_ORDER} ORDER BY id"
        ),
        args![event_id],
        |r| {
            let is_comp: bool = r.get(3)?;
            let was: OrderStatus = r.get(4)?;
            Ok(Ended {
                id: r.get(0)?,
                quantity: r.get(1)?,
                total_minor: r.get(2)?,
                is_comp,
                was,
                now: if was == OrderStatus::Completed && !is_comp {
                    completed_to
                } else {
                    OrderStatus::Cancelled
                },
            })
        },
    )?;
    conn.exec(
        &format!(
            "UPDATE tickets SET
            status = CASE WHEN (SELECT o.status = 'completed' AND NOT o.is_comp FROM orders o
                                WHERE o.id = tickets.order_id)
                          THEN ?2 ELSE 'cancelled' END,
            updated_at = ?3
         WHERE event_id = ?1 AND status = 'valid'
           AND order_id IN (SELECT id FROM orders WHERE event_id = ?1 AND {OPEN_ORDER})"
        ),
        args![event_id, completed_to.as_str(), now],
    )?;
    conn.exec(
        &format!(
            "UPDATE tiers SET
            sold = sold - (SELECT CAST(COALESCE(SUM(orders.quantity), 0) AS BIGINT) FROM orders
                           WHERE orders.tier_id = tiers.id AND {OPEN_ORDER}),
            updated_at = ?2
         WHERE event_id = ?1"
        ),
        args![event_id, now],
    )?;
    conn.exec(
        &format!(
            "UPDATE orders SET
            status = CASE WHEN status = 'completed' AND NOT is_comp THEN ?2 ELSE 'cancelled' END,
            updated_at = ?3
         WHERE event_id = ?1 AND {OPEN_ORDER}"
        ),
        args![event_id, completed_to, now],
    )?;
    Ok(ended)
}

/// Records the reference of the refund that returned an order's money.
pub fn set_refund_ref(conn: &Tx<'_>, id: i64, reference: &str) -> Result<()> {
    conn.exec(
        "UPDATE orders SET refund_ref = ?2 WHERE id = ?1",
        args![id, reference],
    )?;
    Ok(())
}

/// One group of an event's orders for the sales report: a tier, a status, comp or paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesGroup {
    /// The tier.
    pub tier_id: i64,
    /// The orders' status.
    pub status: OrderStatus,
    /// Complimentary orders.
    pub is_comp: bool,
    /// How many orders.
    pub orders: i64,
    /// Their tickets.
    pub tickets: i64,
    /// Their total, in minor units.
    pub total_minor: i64,
    /// How many carry an outside payment reference.
    pub with_payment_ref: i64,
}

/// An event's orders grouped by tier, status and comp (one row per group that exists).
pub fn sales_groups(conn: &Tx<'_>, event_id: i64) -> Result<Vec<SalesGroup>> {
    conn.all(
        "SELECT tier_id, status, is_comp, count(*), CAST(COALESCE(SUM(quantity), 0) AS BIGINT),
                CAST(COALESCE(SUM(total_minor), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN payment_ref IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT)
         FROM orders WHERE event_id = ?1
         GROUP BY tier_id, status, is_comp
         ORDER BY tier_id, status, is_comp",
        args![event_id],
        |r| {
            Ok(SalesGroup {
                tier_id: r.get(0)?,
                status: r.get(1)?,
                is_comp: r.get(2)?,
                orders: r.get(3)?,
                tickets: r.get(4)?,
                total_minor: r.get(5)?,
                with_payment_ref: r.get(6)?,
            })
        },
    )
}
