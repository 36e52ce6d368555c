//! Cancelling an event with everything sold for it: every open order refunded or
//! cancelled, every ticket ended and every seat freed, in the one transaction that
//! cancels the event, so no buyer is left holding a `valid` ticket to an event that
//! will not happen.

use serde::Serialize;
use serde_json::json;

use crate::access::{Action, Actor, authorize};
use crate::error::{Result, Rule};
use crate::money::Currency;
use crate::ops::audit::{self, Subject};
use crate::ops::events::{self, Event, EventStatus};
use crate::ops::orders::{Ending, OrderStatus};
use crate::ops::waitlist;
use crate::store::{self, Store, Tx};
use crate::time;

pub use crate::store::orders::OpenSales;

/// What cancelling an event will do, for the confirmation.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The event.
    pub event: Event,
    /// What its open orders are (none when it has none).
    pub ending: Option<Ending>,
    /// What is still sold and open.
    pub open: OpenSales,
}

/// What cancelling an event did to its orders.
#[derive(Debug, Clone, Serialize)]
pub struct Ended {
    /// `refund` or `cancel`: what happened to paid orders.
    pub action: &'static str,
    /// Paid orders refunded (or cancelled, with `--cancel`).
    pub orders: i64,
    /// Their tickets.
    pub tickets: i64,
    /// The money they came to, as an exact decimal.
    pub total: String,
    /// Its currency.
    pub currency: Currency,
    /// Complimentary orders, cancelled (nothing was paid for them).
    pub comp_orders: i64,
    /// Their tickets.
    pub comp_tickets: i64,
    /// Orders awaiting approval, cancelled (nothing was paid for them).
    pub unapproved_orders: i64,
    /// Their tickets.
    pub unapproved_tickets: i64,
    /// Orders some of whose tickets were used at the gate: left as they are, for the
    /// promoter to refund or cancel by hand.
    pub orders_left: i64,
}

/// An event after its cancellation, with what it did.
#[derive(Debug, Clone, Serialize)]
pub struct Cancelled {
    /// The event, now `cancelled`.
    #[serde(flatten)]
    pub event: Event,
    /// What happened to its orders: present whenever an ending was asked for (and so
    /// absent from a plain cancellation of an event that sold nothing, whose output is
    /// exactly the event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<Ended>,
}

/// Cancels an event (its promoter or an admin) after `confirm` agrees with the [`Plan`].
/// An event with open orders needs `ending`: they are all refunded (`Refund`; orders
/// still awaiting approval are cancelled, as nothing was paid) or all cancelled, their
/// valid tickets follow and their seats are freed — all in one transaction with the
/// event's own change. Cancelling a cancelled event changes nothing, unless orders were
/// left open (by a version of tix that did not end them): those are ended now.
pub fn cancel_event(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    ending: Option<Ending>,
    confirm: impl FnOnce(&Plan) -> Result<()>,
) -> Result<Cancelled> {
    let plan = store.read(|c| plan_of(c, actor, id, ending))?;
    let nothing_to_do = plan.event.status == EventStatus::Cancelled && plan.open.nothing_to_end();
    if !nothing_to_do {
        confirm(&plan)?;
    }
    store.write(|tx| {
        let Plan {
            mut event, open, ..
        } = plan_of(tx, actor, id, ending)?;
        if event.status != EventStatus::Cancelled {
            events::mark_cancelled(tx, actor, &mut event)?;
        }
        waitlist::clear_event(tx, actor, event.id)?;
        let completed_to = match ending {
            Some(Ending::Cancel) => OrderStatus::Cancelled,
            _ => OrderStatus::Refunded,
        };
        let ended = if open.nothing_to_end() {
            // Said whenever an ending was asked for, or an order is left for its used
            // tickets (which the promoter must hear of).
            (ending.is_some() || open.used_orders > 0)
                .then(|| Ended::none(completed_to, event.currency, open.used_orders))
        } else {
            Some(end_orders(
                tx,
                actor,
                &event,
                completed_to,
                open.used_orders,
            )?)
        };
        Ok(Cancelled { event, ended })
    })
}

/// Checks that the actor may cancel the event and that it can be, and counts what is open.
fn plan_of(conn: &Tx<'_>, actor: &Actor, id: i64, ending: Option<Ending>) -> Result<Plan> {
    let event = events::get(conn, id)?;
    authorize(actor, Action::ManageEvent(&event))?;
    if event.status == EventStatus::Completed {
        return Err(Rule::EventCompleted { event: id }.into());
    }
    if event.status != EventStatus::Cancelled
        && let Some(end) = event.ends_at.or(Some(event.starts_at + 86_400))
        && end <= time::now()
    {
        return Err(Rule::EventOver {
            event: id,
            ended: event.timezone.human(end),
        }
        .into());
    }
    let open = store::orders::open_sales(conn, id)?;
    let orders = open.completed_orders + open.comp_orders + open.pending_orders;
    if orders > 0 && ending.is_none() {
        return Err(Rule::EventHasOrders {
            event: id,
            orders,
            tickets: open.completed_tickets + open.comp_tickets + open.pending_tickets,
        }
        .into());
    }
    Ok(Plan {
        event,
        ending,
        open,
    })
}

impl Ended {
    fn none(completed_to: OrderStatus, currency: Currency, orders_left: i64) -> Ended {
        Ended {
            action: action(completed_to),
            orders: 0,
            tickets: 0,
            total: currency.format_amount(0),
            currency,
            comp_orders: 0,
            comp_tickets: 0,
            unapproved_orders: 0,
            unapproved_tickets: 0,
            orders_left,
        }
    }
}

fn action(completed_to: OrderStatus) -> &'static str {
    if completed_to == OrderStatus::Refunded {
        "refund"
    } else {
        "cancel"
    }
}

/// Ends every open order of the event, with an audit entry for each and one for all.
fn end_orders(
    tx: &Tx<'_>,
    actor: &Actor,
    event: &Event,
    completed_to: OrderStatus,
    orders_left: i64,
) -> Result<Ended> {
    let now = time::now();
    let orders = store::orders::end_open_of_event(tx, event.id, completed_to, now)?;
    for o in &orders {
        let verb = if o.now == OrderStatus::Refunded {
            "order.refund"
        } else {
            "order.cancel"
        };
        audit::record(
            tx,
            actor,
            verb,
            Subject {
                object_type: "order",
                object_id: &o.id.to_string(),
                event_id: Some(event.id),
                ticket_id: None,
            },
            json!({
                "old_status": o.was.as_str(),
                "new_status": o.now.as_str(),
                "tickets": o.quantity,
                "total": event.currency.format_amount(o.total_minor),
                "currency": event.currency.code(),
                "because": "event.cancel",
            }),
        )?;
    }
    let sum = |keep: &dyn Fn(&store::orders::Ended) -> bool| -> (i64, i64, i64) {
        orders
            .iter()
            .filter(|o| keep(o))
            .fold((0, 0, 0), |(n, q, t), o| {
                (n + 1, q + o.quantity, t + o.total_minor)
            })
    };
    let (paid, paid_tickets, total_minor) = sum(&|o| o.was == OrderStatus::Completed && !o.is_comp);
    let (comp_orders, comp_tickets, _) = sum(&|o| o.was == OrderStatus::Completed && o.is_comp);
    let (unapproved_orders, unapproved_tickets, _) =
        sum(&|o| o.was == OrderStatus::PendingApproval);
    let ended = Ended {
        action: action(completed_to),
        orders: paid,
        tickets: paid_tickets,
        total: event.currency.format_amount(total_minor),
        currency: event.currency,
        comp_orders,
        comp_tickets,
        unapproved_orders,
        unapproved_tickets,
        orders_left,
    };
    audit::record(
        tx,
        actor,
        "event.end_orders",
        Subject {
            object_type: "event",
            object_id: &event.id.to_string(),
            event_id: Some(event.id),
            ticket_id: None,
        },
        serde_json::to_value(&ended).unwrap_or_default(),
    )?;
    Ok(ended)
}
