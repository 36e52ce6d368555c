//! Orders: how tickets come to exist. Buying, box-office sales and comps, approval,
//! cancellation and refunds — each seat counted inside one `BEGIN IMMEDIATE`
//! transaction so that no tier is ever oversold.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use crate::access::{Action, Actor, authorize};
use crate::audit::{self, Subject};
use crate::error::{Error, Result};
use crate::events::{self, EventStatus};
use crate::money::Currency;
use crate::store::Store;
use crate::tickets;
use crate::tiers::{self, MAX_QUANTITY};
use crate::time;
use crate::users::{self, User};

pub use crate::domain::sale::{NewOrder, Order, OrderStatus};

const ORDER_SELECT: &str =
    "SELECT o.id, o.event_id, o.tier_id, ti.name, o.buyer_id, u.email, o.quantity, o.status,
        o.is_comp, o.total_minor, o.currency, o.created_at
 FROM orders o JOIN users u ON u.id = o.buyer_id JOIN tiers ti ON ti.id = o.tier_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let conversion = crate::store::bad_column;
    let status: String = r.get(7)?;
    let currency: String = r.get(10)?;
    Ok(Order {
        id: r.get(0)?,
        event_id: r.get(1)?,
        tier_id: r.get(2)?,
        tier_name: r.get(3)?,
        buyer_id: r.get(4)?,
        buyer_email: r.get(5)?,
        quantity: r.get(6)?,
        status: OrderStatus::parse(&status).map_err(|e| conversion(7, e))?,
        is_comp: r.get(8)?,
        total_minor: r.get(9)?,
        currency: Currency::parse(&currency).map_err(|e| conversion(10, e))?,
        created_at: r.get(11)?,
        tickets: Vec::new(),
    })
}

/// Loads an order with its tickets, or fails with not-found.
pub fn get(conn: &Connection, id: i64) -> Result<Order> {
    let mut order = conn
        .prepare_cached(&format!("{ORDER_SELECT} WHERE o.id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| {
            Error::not_found_hint("order", id, "`tix order list` shows the orders you can see")
        })?;
    order.tickets = tickets::query(conn, "WHERE t.order_id = ?1 ORDER BY t.id", &[&id])?;
    Ok(order)
}

/// Places an order and issues its tickets, all in one transaction: the seat check and the
/// insert cannot be separated by another process's sale. The returned order holds all
/// its tickets; [`create_keeping`] holds fewer, for orders too large to hold in memory.
pub fn create(store: &mut Store, actor: &Actor, new: &NewOrder) -> Result<Order> {
    create_keeping(store, actor, new, usize::MAX)
}

/// Like [`create`], but the returned order's `tickets` holds only the first `keep`
/// (its `quantity` says how many were issued): a 10,000,000-ticket comp order needs no
/// more memory than a small one. [`tickets::for_each_of_order`] streams them all.
pub fn create_keeping(
    store: &mut Store,
    actor: &Actor,
    new: &NewOrder,
    keep: usize,
) -> Result<Order> {
    authorize(actor, Action::Buy)?;
    if !(1..=MAX_QUANTITY).contains(&new.quantity) {
        return Err(Error::invalid(
            "quantity",
            format!(
                "{} is out of range; order from 1 to {MAX_QUANTITY} tickets",
                new.quantity
            ),
        ));
    }
    let me = actor
        .as_user()
        .cloned()
        .ok_or_else(|| Error::denied("buying needs a signed-in user"))?;
    store.write(|tx| {
        let tier = tiers::get(tx, new.tier_id)?;
        let event = events::get(tx, tier.event_id)?;
        // Selling for someone else is checked before the buyer is looked up, so the
        // answer never tells a plain user which accounts exist.
        let for_someone_else = new
            .buyer
            .as_deref()
            .is_some_and(|b| b.trim().to_lowercase() != me.email);
        if for_someone_else || new.comp {
            authorize(actor, Action::SellFor(&event))?;
        }
        let buyer: User = match &new.buyer {
            Some(email) => users::find(tx, email)?.ok_or_else(|| {
                Error::not_found_hint(
                    "user",
                    email.trim(),
                    "the buyer needs an account first (an admin can add it with `tix user add EMAIL --name NAME`)",
                )
            })?,
            None => me.clone(),
        };
        let manages = authorize(actor, Action::ManageOrders(&event)).is_ok();
        if event.status != EventStatus::Published {
            return Err(Error::rule(format!(
                "Cannot order: event {} is {}, tickets are sold only for published events",
                event.id, event.status
            )));
        }
        if !new.comp {
            let availability = tiers::availability_at(&tier, &event, time::now());
            if !availability.is_on_sale {
                return Err(Error::rule(format!(
                    "Cannot order from tier {} '{}': {}",
                    tier.id, tier.name, availability.message
                )));
            }
            if new.quantity < tier.min_purchase {
                return Err(Error::rule(format!(
                    "Tier '{}' sells at least {} tickets per order; you asked for {}",
                    tier.name, tier.min_purchase, new.quantity
                )));
            }
            if new.quantity > tier.max_purchase {
                return Err(Error::rule(format!(
                    "Tier '{}' sells at most {} tickets per order; you asked for {}",
                    tier.name, tier.max_purchase, new.quantity
                )));
            }
        }
        tiers::take_seats(tx, tier.id, new.quantity)?;
        let status = if tier.requires_approval && !manages {
            OrderStatus::PendingApproval
        } else {
            OrderStatus::Completed
        };
        let unit = if new.comp { 0 } else { tier.price_minor };
        let total = unit
            .checked_mul(new.quantity)
            .ok_or_else(|| Error::rule("the order total is too large"))?;
        let now = time::now();
        tx.prepare_cached(
            "INSERT INTO orders (event_id, tier_id, buyer_id, quantity, status, is_comp, unit_minor,
                                 total_minor, currency, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        )?
        .execute(params![
            event.id,
            tier.id,
            buyer.id,
            new.quantity,
            status.as_str(),
            new.comp,
            unit,
            total,
            event.currency.code(),
            me.id,
            now
        ])?;
        let order_id = tx.last_insert_rowid();
        let tickets = tickets::issue(tx, order_id, &event, &tier, &buyer, new.quantity, status, now, keep)?;
        audit::record(
            tx,
            actor,
            "order.create",
            Subject { object_type: "order", object_id: &order_id.to_string(), event_id: Some(event.id), ticket_id: None },
            json!({
                "tier_id": tier.id,
                "buyer": buyer.email,
                "quantity": new.quantity,
                "status": status.as_str(),
                "is_comp": new.comp,
                "total": event.currency.format_amount(total),
                "currency": event.currency.code(),
            }),
        )?;
        Ok(Order {
            id: order_id,
            event_id: event.id,
            tier_id: tier.id,
            tier_name: tier.name.clone(),
            buyer_id: buyer.id,
            buyer_email: buyer.email.clone(),
            quantity: new.quantity,
            status,
            is_comp: new.comp,
            total_minor: total,
            currency: event.currency,
            created_at: now,
            tickets,
        })
    })
}

/// Orders the actor may see, oldest first: all (admin), those of their events or bought by
/// them (promoter), their own (user). `event_id` narrows to one event.
pub fn list(store: &Store, actor: &Actor, event_id: Option<i64>) -> Result<Vec<Order>> {
    store.read(|c| {
        let scope = crate::access::scope(actor, crate::access::Listing::Orders)?;
        let me = match scope {
            crate::access::Scope::All => actor.as_user().map_or(0, |u| u.id),
            crate::access::Scope::OwnEvents(id) | crate::access::Scope::Own(id) => id,
        };
        let sees_all = match event_id {
            Some(id) => {
                let event = events::get(c, id)?;
                authorize(actor, Action::SeeEventRecords(&event)).is_ok()
            }
            None => scope == crate::access::Scope::All,
        };
        let mut stmt = c.prepare_cached(&format!(
            "{ORDER_SELECT}
             WHERE (?1 IS NULL OR o.event_id = ?1)
               AND (?2 OR o.buyer_id = ?3 OR o.event_id IN (SELECT id FROM events WHERE owner_id = ?3))
             ORDER BY o.id"
        ))?;
        let orders = stmt
            .query_map(params![event_id, sees_all, me], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        orders
            .into_iter()
            .map(|mut o| {
                o.tickets = tickets::query(c, "WHERE t.order_id = ?1 ORDER BY t.id", &[&o.id])?;
                redact_others(c, actor, &mut o)?;
                Ok(o)
            })
            .collect()
    })
}

/// A buyer who gave tickets of their order away sees those tickets without their current
/// code or attendee: the code belongs to the new holder alone. The event's promoter and
/// admins see everything.
fn redact_others(conn: &Connection, actor: &Actor, order: &mut Order) -> Result<()> {
    let event = events::get(conn, order.event_id)?;
    if authorize(actor, Action::SeeEventRecords(&event)).is_ok() {
        return Ok(());
    }
    let me = actor.as_user().map(|u| u.id);
    for t in order.tickets.iter_mut().filter(|t| Some(t.owner_id) != me) {
        t.qr_payload = String::new();
        t.attendee_name = None;
        t.attendee_email = None;
        t.attendee_phone = None;
    }
    Ok(())
}

/// One order: its buyer, the event's promoter or an admin.
pub fn show(store: &Store, actor: &Actor, id: i64) -> Result<Order> {
    store.read(|c| {
        let mut order = get(c, id)?;
        let event = events::get(c, order.event_id)?;
        authorize(
            actor,
            Action::SeeOrder {
                event: &event,
                buyer_id: order.buyer_id,
            },
        )?;
        redact_others(c, actor, &mut order)?;
        Ok(order)
    })
}

/// Approves an order awaiting approval (the event's promoter or an admin): its tickets
/// can then be used.
pub fn approve(store: &mut Store, actor: &Actor, id: i64) -> Result<Order> {
    store.write(|tx| {
        let order = get(tx, id)?;
        let event = events::get(tx, order.event_id)?;
        authorize(actor, Action::ManageOrders(&event))?;
        if order.status != OrderStatus::PendingApproval {
            return Err(Error::rule(format!(
                "order {id} is {}; only an order awaiting approval can be approved",
                order.status
            )));
        }
        if event.status != EventStatus::Published {
            return Err(Error::rule(format!(
                "event {} is {}; its orders can no longer be approved (cancel or refund order {id} instead)",
                event.id, event.status
            )));
        }
        set_status(tx, actor, &order, OrderStatus::Completed, None)?;
        get(tx, id)
    })
}

/// How an order ends early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `order cancel`: tickets become `cancelled`.
    Cancel,
    /// `order refund`: tickets become `refunded`.
    Refund,
}

/// Cancels or refunds an order after `confirm` agrees (the event's promoter or an admin):
/// every ticket changes status and the seats are freed. Refused once any ticket was used.
pub fn end(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    ending: Ending,
    confirm: impl FnOnce(&Order) -> Result<()>,
) -> Result<Order> {
    let check = |conn: &Connection| -> Result<Order> {
        let order = get(conn, id)?;
        let event = events::get(conn, order.event_id)?;
        authorize(actor, Action::ManageOrders(&event))?;
        let verb = match ending {
            Ending::Cancel => "cancelled",
            Ending::Refund => "refunded",
        };
        match (order.status, ending) {
            (OrderStatus::Cancelled | OrderStatus::Refunded, _) => {
                return Err(Error::rule(format!(
                    "order {id} is already {}",
                    order.status
                )));
            }
            (OrderStatus::PendingApproval, Ending::Refund) => {
                return Err(Error::rule(format!(
                    "order {id} is awaiting approval, so nothing was paid; cancel it instead with `tix order cancel {id}`"
                )));
            }
            _ => {}
        }
        if let Some(used) = order
            .tickets
            .iter()
            .find(|t| t.status == crate::tickets::TicketStatus::Used)
        {
            return Err(Error::rule(format!(
                "order {id} cannot be {verb}: ticket {} was already used at the gate",
                used.id
            )));
        }
        Ok(order)
    };
    let order = store.read(check)?;
    confirm(&order)?;
    store.write(|tx| {
        let order = check(tx)?;
        let (status, ticket_status) = match ending {
            Ending::Cancel => (OrderStatus::Cancelled, "cancelled"),
            Ending::Refund => (OrderStatus::Refunded, "refunded"),
        };
        set_status(tx, actor, &order, status, Some(ticket_status))?;
        tiers::release_seats(tx, order.tier_id, order.quantity)?;
        get(tx, id)
    })
}

fn set_status(
    conn: &Connection,
    actor: &Actor,
    order: &Order,
    status: OrderStatus,
    tickets: Option<&str>,
) -> Result<()> {
    let now = time::now();
    conn.execute(
        "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![order.id, status.as_str(), now],
    )?;
    if let Some(ts) = tickets {
        conn.execute(
            "UPDATE tickets SET status = ?2, updated_at = ?3 WHERE order_id = ?1 AND status = 'valid'",
            params![order.id, ts, now],
        )?;
    }
    let action = match status {
        OrderStatus::Completed => "order.approve",
        OrderStatus::Cancelled => "order.cancel",
        OrderStatus::Refunded => "order.refund",
        OrderStatus::PendingApproval => "order.pending",
    };
    audit::record(
        conn,
        actor,
        action,
        Subject {
            object_type: "order",
            object_id: &order.id.to_string(),
            event_id: Some(order.event_id),
            ticket_id: None,
        },
        json!({
            "old_status": order.status.as_str(),
            "new_status": status.as_str(),
            "tickets": order.quantity,
            "total": order.total(),
            "currency": order.currency.code(),
        }),
    )
}
