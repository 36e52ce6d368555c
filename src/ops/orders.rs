//! Orders: how tickets come to exist. Buying, box-office sales and comps, approval,
//! cancellation and refunds — each seat counted inside one `BEGIN IMMEDIATE`
//! transaction so that no tier is ever oversold.

use crate::store::Tx;
use serde_json::json;

use crate::access::{Action, Actor, authorize};
use crate::error::{Denial, Error, Missing, Result, Rule};
use crate::ops::audit::{self, Subject};
use crate::ops::events::{self, Event, EventStatus};
use crate::ops::tickets;
use crate::ops::tiers::{self, MAX_QUANTITY};
use crate::ops::users::{self, User};
use crate::ops::waitlist;
use crate::store::{self, Store};
use crate::time;

pub use crate::domain::sale::{NewOrder, Order, OrderStatus, check_payment_ref};

/// Loads an order with its tickets, or fails with not-found.
pub fn get(conn: &Tx<'_>, id: i64) -> Result<Order> {
    let mut order =
        store::orders::by_id(conn, id)?.ok_or_else(|| Error::not_found(Missing::Order, id))?;
    order.tickets = tickets::of_order(conn, id)?;
    Ok(order)
}

/// Places an order and issues its tickets, all in one transaction: the seat check and the
/// insert cannot be separated by another process's sale. The returned order holds all
/// its tickets; [`create_keeping`] holds fewer, for orders too large to hold in memory.
pub fn create(store: &mut Store, actor: &Actor, new: &NewOrder) -> Result<Order> {
    create_keeping(store, actor, new, tickets::Keep::ALL)
}

/// Like [`create`], but the returned order's `tickets` holds only the first `keep`
/// (its `quantity` says how many were issued): a 10,000,000-ticket comp order needs no
/// more memory than a small one. [`tickets::for_each_of_order`] streams them all.
pub fn create_keeping(
    store: &mut Store,
    actor: &Actor,
    new: &NewOrder,
    keep: tickets::Keep,
) -> Result<Order> {
    place(store, actor, new, keep, None)
}

/// Claims a waitlist offer made to the actor: an order for the offer's seats at the
/// tier's price, bought with the seats held for it (the sale window and the seats left
/// to others do not matter: they were the offer's).
pub fn claim_offer(
    store: &mut Store,
    actor: &Actor,
    offer_id: i64,
    payment_ref: Option<String>,
) -> Result<Order> {
    let offer = store.read(|c| waitlist::get(c, offer_id))?;
    let new = NewOrder {
        tier_id: offer.tier_id,
        quantity: offer.quantity,
        buyer: None,
        comp: false,
        payment_ref,
    };
    place(store, actor, &new, tickets::Keep::ALL, Some(offer_id))
}

fn place(
    store: &mut Store,
    actor: &Actor,
    new: &NewOrder,
    keep: tickets::Keep,
    offer_id: Option<i64>,
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
    let me = actor.as_user().cloned().ok_or(Denial::NeedsUser {
        doing: "buying tickets",
    })?;
    let payment_ref = new
        .payment_ref
        .as_deref()
        .map(check_payment_ref)
        .transpose()?;
    if new.comp && payment_ref.is_some() {
        return Err(Rule::CompPaymentRef.into());
    }
    store.write(|tx| {
        let offer = offer_id
            .map(|id| waitlist::live_offer(tx, actor, id))
            .transpose()?;
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
            Some(email) => users::find(tx, email)?
                .ok_or_else(|| Error::not_found(Missing::Buyer, email.trim()))?,
            None => me.clone(),
        };
        buyer.check_may_hold_tickets()?;
        let manages = authorize(actor, Action::ManageOrders(&event)).is_ok();
        if event.status != EventStatus::Published {
            return Err(Rule::EventNotOnSale {
                event: event.id,
                status: event.status.to_string(),
            }
            .into());
        }
        if !new.comp && offer.is_none() {
            let availability = tiers::availability_at(&tier, &event, time::now());
            if !availability.is_on_sale {
                return Err(Rule::TierNotOnSale {
                    tier: tier.id,
                    name: tier.name,
                    why: availability.message,
                }
                .into());
            }
            if new.quantity < tier.min_purchase {
                return Err(Rule::BelowMinimum {
                    name: tier.name,
                    min: tier.min_purchase,
                    asked: new.quantity,
                }
                .into());
            }
            if new.quantity > tier.max_purchase {
                return Err(Rule::AboveMaximum {
                    name: tier.name,
                    max: tier.max_purchase,
                    asked: new.quantity,
                }
                .into());
            }
        }
        if offer.is_none() {
            // Offers to the waitlist that ran out are ended and their seats offered down
            // the line before anyone else may buy them.
            waitlist::refresh(tx, actor, tier.id)?;
            tiers::take_seats(tx, tier.id, new.quantity)?;
        }
        let status = if tier.requires_approval && !manages {
            OrderStatus::PendingApproval
        } else {
            OrderStatus::Completed
        };
        let unit = if new.comp { 0 } else { tier.price_minor };
        let total = unit.checked_mul(new.quantity).ok_or(Rule::TotalTooLarge)?;
        let now = time::now();
        let order_id = store::orders::insert(
            tx,
            &store::orders::NewRow {
                event_id: event.id,
                tier_id: tier.id,
                buyer_id: buyer.id,
                quantity: new.quantity,
                status,
                is_comp: new.comp,
                unit_minor: unit,
                total_minor: total,
                currency: event.currency,
                created_by: me.id,
                now,
                payment_ref: payment_ref.as_deref(),
            },
        )?;
        if let Some(offer) = &offer {
            waitlist::claim_in(tx, actor, offer, order_id)?;
        }
        let tickets = tickets::issue(
            tx,
            order_id,
            &event,
            &tier,
            &buyer,
            new.quantity,
            status,
            now,
            keep,
        )?;
        audit::record(
            tx,
            actor,
            "order.create",
            Subject {
                object_type: "order",
                object_id: &order_id.to_string(),
                event_id: Some(event.id),
                ticket_id: None,
            },
            json!({
                "tier_id": tier.id,
                "buyer": buyer.email,
                "quantity": new.quantity,
                "status": status.as_str(),
                "is_comp": new.comp,
                "total": event.currency.format_amount(total),
                "currency": event.currency.code(),
                "payment_ref": payment_ref,
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
            zone: event.timezone,
            payment_ref: payment_ref.clone(),
            refund_ref: None,
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
        let orders = store::orders::visible(c, event_id, sees_all, me)?;
        orders
            .into_iter()
            .map(|mut o| {
                o.tickets = tickets::of_order(c, o.id)?;
                redact_others(c, actor, &mut o)?;
                Ok(o)
            })
            .collect()
    })
}

/// A buyer who gave tickets of their order away sees those tickets without their current
/// code or attendee: the code belongs to the new holder alone. The event's promoter and
/// admins see everything.
fn redact_others(conn: &Tx<'_>, actor: &Actor, order: &mut Order) -> Result<()> {
    let event = events::get(conn, order.event_id)?;
    if authorize(actor, Action::SeeEventRecords(&event)).is_ok() {
        return Ok(());
    }
    let hidden = |owner_id: i64| {
        authorize(
            actor,
            Action::SeeTicket {
                event: &event,
                owner_id,
            },
        )
        .is_err()
    };
    for t in order.tickets.iter_mut().filter(|t| hidden(t.owner_id)) {
        t.qr_payload = String::new();
        t.attendee_name = None;
        t.attendee_email = None;
        t.attendee_phone = None;
    }
    Ok(())
}

/// One order: its buyer, the event's promoter or an admin.
pub fn show(store: &mut Store, actor: &Actor, id: i64) -> Result<Order> {
    // Codes not signed yet (an order made with -q) are signed and kept first, once: the
    // permission is checked without reading (and signing) the tickets.
    let event_id = store.read(|c| tickets::may_see_order(c, actor, id))?;
    tickets::sign_missing(store, event_id, Some(id))?;
    store.read(|c| {
        let (mut order, _) = get_seen(c, actor, id)?;
        redact_others(c, actor, &mut order)?;
        Ok(order)
    })
}

/// An order with its tickets, and its event, if the actor may see it (its buyer, the
/// event's promoter, an admin).
pub(crate) fn get_seen(c: &Tx<'_>, actor: &Actor, id: i64) -> Result<(Order, Event)> {
    let order = get(c, id)?;
    let event = events::get(c, order.event_id)?;
    authorize(
        actor,
        Action::SeeOrder {
            event: &event,
            buyer_id: order.buyer_id,
        },
    )?;
    Ok((order, event))
}

/// Approves an order awaiting approval (the event's promoter or an admin): its tickets
/// can then be used.
pub fn approve(store: &mut Store, actor: &Actor, id: i64) -> Result<Order> {
    store.write(|tx| {
        let order = get(tx, id)?;
        let event = events::get(tx, order.event_id)?;
        authorize(actor, Action::ManageOrders(&event))?;
        if order.status != OrderStatus::PendingApproval {
            return Err(Rule::NotAwaitingApproval {
                order: id,
                status: order.status.to_string(),
            }
            .into());
        }
        if event.status != EventStatus::Published {
            return Err(Rule::ApprovalClosed {
                event: event.id,
                status: event.status.to_string(),
                order: id,
            }
            .into());
        }
        set_status(tx, actor, &order, OrderStatus::Completed, None, None)?;
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
/// A refund may record the reference of the outside refund (`refund_ref`).
pub fn end(
    store: &mut Store,
    actor: &Actor,
    id: i64,
    ending: Ending,
    refund_ref: Option<&str>,
    confirm: impl FnOnce(&Order) -> Result<()>,
) -> Result<Order> {
    let refund_ref = refund_ref.map(check_payment_ref).transpose()?;
    let check = |conn: &Tx<'_>| -> Result<Order> {
        let order = get(conn, id)?;
        let event = events::get(conn, order.event_id)?;
        authorize(actor, Action::ManageOrders(&event))?;
        let verb = match ending {
            Ending::Cancel => "cancelled",
            Ending::Refund => "refunded",
        };
        match (order.status, ending) {
            (OrderStatus::Cancelled | OrderStatus::Refunded, _) => {
                return Err(Rule::OrderEnded {
                    order: id,
                    status: order.status.to_string(),
                }
                .into());
            }
            (OrderStatus::PendingApproval, Ending::Refund) => {
                return Err(Rule::RefundUnpaid { order: id }.into());
            }
            _ => {}
        }
        if refund_ref.is_some() && order.is_comp {
            return Err(Rule::NothingRefunded {
                order: id,
                what: "complimentary",
            }
            .into());
        }
        if let Some(used) = order
            .tickets
            .iter()
            .find(|t| t.status == crate::ops::tickets::TicketStatus::Used)
        {
            return Err(Rule::OrderTicketUsed {
                order: id,
                verb,
                ticket: used.id,
            }
            .into());
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
        if let Some(reference) = &refund_ref {
            store::orders::set_refund_ref(tx, id, reference)?;
        }
        set_status(
            tx,
            actor,
            &order,
            status,
            Some(ticket_status),
            refund_ref.as_deref(),
        )?;
        tiers::release_seats(tx, order.tier_id, order.quantity)?;
        waitlist::refresh(tx, actor, order.tier_id)?;
        get(tx, id)
    })
}

fn set_status(
    conn: &Tx<'_>,
    actor: &Actor,
    order: &Order,
    status: OrderStatus,
    tickets: Option<&str>,
    refund_ref: Option<&str>,
) -> Result<()> {
    let now = time::now();
    store::orders::set_status(conn, order.id, status, now)?;
    if let Some(ts) = tickets {
        store::tickets::end_valid_of_order(conn, order.id, ts, now)?;
    }
    let action = match status {
        OrderStatus::Completed => "order.approve",
        OrderStatus::Cancelled => "order.cancel",
        OrderStatus::Refunded => "order.refund",
        OrderStatus::PendingApproval => "order.pending",
    };
    let mut details = json!({
        "old_status": order.status.as_str(),
        "new_status": status.as_str(),
        "tickets": order.quantity,
        "total": order.total(),
        "currency": order.currency.code(),
    });
    if let Some(reference) = refund_ref {
        details["refund_payment_ref"] = json!(reference);
    }
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
        details,
    )
}
