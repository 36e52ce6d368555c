//! Reports for an event's promoter: what was sold, per tier and per payment state.

use serde::Serialize;

use crate::access::{Action, Actor, authorize};
use crate::error::Result;
use crate::money::Currency;
use crate::ops::events;
use crate::ops::orders::OrderStatus;
use crate::store::{self, Store};

/// One tier's line of the sales report.
#[derive(Debug, Clone, Serialize)]
pub struct TierSales {
    /// The tier.
    pub tier_id: i64,
    /// Its name.
    pub tier_name: String,
    /// Its price.
    pub price: String,
    /// Its capacity.
    pub quantity: i64,
    /// Seats taken (paid, comp and awaiting approval).
    pub sold: i64,
    /// Seats a new buyer can have (none while people wait in its line).
    pub available: i64,
    /// Seats held for waitlist offers.
    pub held: i64,
    /// Tickets of completed paid orders.
    pub paid_tickets: i64,
    /// Tickets of completed complimentary orders.
    pub comp_tickets: i64,
    /// Tickets of orders awaiting approval.
    pub pending_tickets: i64,
    /// Tickets of refunded orders.
    pub refunded_tickets: i64,
    /// Tickets of cancelled orders.
    pub cancelled_tickets: i64,
    /// Money taken by completed orders.
    pub revenue: String,
    /// Money returned by refunds.
    pub refunded: String,
}

/// One payment state's line: `paid`, `comp`, `awaiting_approval`, `refunded`, `cancelled`.
#[derive(Debug, Clone, Serialize)]
pub struct StateSales {
    /// The payment state.
    pub state: &'static str,
    /// How many orders.
    pub orders: i64,
    /// Their tickets.
    pub tickets: i64,
    /// Their money (for `awaiting_approval`, what approval would take; for `refunded`,
    /// what was returned).
    pub amount: String,
    /// How many of them carry an outside payment reference.
    pub with_payment_ref: i64,
}

/// The sales report of one event.
#[derive(Debug, Clone, Serialize)]
pub struct SalesReport {
    /// The event.
    pub event_id: i64,
    /// Its title.
    pub event_title: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// Per tier, in the tiers' order.
    pub tiers: Vec<TierSales>,
    /// Per payment state.
    pub states: Vec<StateSales>,
    /// Money taken by completed orders.
    pub revenue: String,
    /// Money returned.
    pub refunded: String,
    /// Tickets valid or used now (completed orders).
    pub tickets_issued: i64,
}

const STATES: [&str; 5] = ["paid", "comp", "awaiting_approval", "refunded", "cancelled"];

fn state_of(status: OrderStatus, is_comp: bool) -> &'static str {
    match status {
        OrderStatus::Completed if is_comp => "comp",
        OrderStatus::Completed => "paid",
        OrderStatus::PendingApproval => "awaiting_approval",
        OrderStatus::Refunded => "refunded",
        OrderStatus::Cancelled => "cancelled",
    }
}

/// Totals per tier and per payment state (the event's promoter or an admin).
pub fn sales(store: &Store, actor: &Actor, event_id: i64) -> Result<SalesReport> {
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize(actor, Action::SeeEventRecords(&event))?;
        let mut tiers = store::tiers::of_event(c, event_id, true)?;
        for t in &mut tiers {
            crate::ops::tiers::live(c, t)?;
        }
        let groups = store::orders::sales_groups(c, event_id)?;
        let cur = event.currency;
        let mut states: Vec<(i64, i64, i64, i64)> = vec![(0, 0, 0, 0); STATES.len()];
        let mut lines = Vec::with_capacity(tiers.len());
        for t in &tiers {
            let mut line = TierSales {
                tier_id: t.id,
                tier_name: t.name.clone(),
                price: cur.format_amount(t.price_minor),
                quantity: t.quantity,
                sold: t.sold,
                available: t.available(),
                held: t.held,
                paid_tickets: 0,
                comp_tickets: 0,
                pending_tickets: 0,
                refunded_tickets: 0,
                cancelled_tickets: 0,
                revenue: String::new(),
                refunded: String::new(),
            };
            let (mut revenue, mut refunded) = (0i64, 0i64);
            for g in groups.iter().filter(|g| g.tier_id == t.id) {
                let state = state_of(g.status, g.is_comp);
                let slot = match state {
                    "paid" => &mut line.paid_tickets,
                    "comp" => &mut line.comp_tickets,
                    "awaiting_approval" => &mut line.pending_tickets,
                    "refunded" => &mut line.refunded_tickets,
                    _ => &mut line.cancelled_tickets,
                };
                *slot += g.tickets;
                match g.status {
                    OrderStatus::Completed => revenue += g.total_minor,
                    OrderStatus::Refunded => refunded += g.total_minor,
                    _ => {}
                }
                if let Some(i) = STATES.iter().position(|s| *s == state) {
                    let s = &mut states[i];
                    *s = (
                        s.0 + g.orders,
                        s.1 + g.tickets,
                        s.2 + g.total_minor,
                        s.3 + g.with_payment_ref,
                    );
                }
            }
            line.revenue = cur.format_amount(revenue);
            line.refunded = cur.format_amount(refunded);
            lines.push(line);
        }
        let minor = |state: &str| {
            STATES
                .iter()
                .position(|s| *s == state)
                .map_or(0, |i| states[i].2)
        };
        let revenue = minor("paid") + minor("comp");
        let refunded = minor("refunded");
        let issued = lines.iter().map(|l| l.paid_tickets + l.comp_tickets).sum();
        Ok(SalesReport {
            event_id,
            event_title: event.title.clone(),
            currency: cur,
            tiers: lines,
            states: STATES
                .iter()
                .zip(&states)
                .map(|(state, s)| StateSales {
                    state,
                    orders: s.0,
                    tickets: s.1,
                    amount: cur.format_amount(s.2),
                    with_payment_ref: s.3,
                })
                .collect(),
            revenue: cur.format_amount(revenue),
            refunded: cur.format_amount(refunded),
            tickets_issued: issued,
        })
    })
}
