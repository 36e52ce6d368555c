//! Waitlists for sold-out tiers. A registered user joins the line of a tier that cannot
//! sell them what they want; when seats come back (an order cancelled or refunded, the
//! quantity raised, an offer declined or run out), the first in line gets an offer: the
//! seats are held for them — sold to no one else — until the tier's hold runs out, and
//! claiming the offer buys them at the tier's price. Holding seats is one conditional
//! UPDATE of the tier, so two processes freeing seats at once never offer one seat twice.

use serde_json::json;

use crate::access::{Action, Actor, authorize};
use crate::domain::tier::availability_at;
use crate::error::{Denial, Error, Missing, Result, Rule};
use crate::ops::audit::{self, Subject};
use crate::ops::events::{self, EventStatus};
use crate::ops::users::User;
use crate::store::{self, Store, Tx};
use crate::time;

pub use crate::domain::waitlist::{Entry, Status};

fn record(
    conn: &Tx<'_>,
    actor: &Actor,
    action: &str,
    e: &Entry,
    details: serde_json::Value,
) -> Result<()> {
    let mut d = json!({
        "tier_id": e.tier_id,
        "user": e.email,
        "quantity": e.quantity,
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (d.as_object_mut(), details) {
        obj.extend(more);
    }
    audit::record(
        conn,
        actor,
        action,
        Subject {
            object_type: "waitlist",
            object_id: &e.id.to_string(),
            event_id: Some(e.event_id),
            ticket_id: None,
        },
        d,
    )
}

/// A place by id, or not found.
pub(crate) fn get(conn: &Tx<'_>, id: i64) -> Result<Entry> {
    store::waitlist::by_id(conn, id)?.ok_or_else(|| Error::not_found(Missing::WaitlistEntry, id))
}

/// Ends offers of a tier that ran out and offers the freed seats down the line: called
/// inside every transaction that frees seats or touches the tier's line.
pub(crate) fn refresh(conn: &Tx<'_>, actor: &Actor, tier_id: i64) -> Result<()> {
    // Every sale passes here: a tier with no offer out and no one in line (most of
    // them) costs one read.
    match store::tiers::by_id(conn, tier_id)? {
        Some(t) if t.held > 0 || t.waiting > 0 => {}
        _ => return Ok(()),
    }
    let now = time::now();
    for e in store::waitlist::due(conn, tier_id, now)? {
        if store::waitlist::end(conn, e.id, Status::Offered, Status::Expired, now)? {
            store::tiers::release_held(conn, tier_id, e.quantity)?;
            record(conn, actor, "waitlist.expire", &e, json!({}))?;
        }
    }
    offer_freed(conn, actor, tier_id, now)
}

/// [`refresh`] for every tier of an event with an offer out.
pub(crate) fn refresh_event(conn: &Tx<'_>, actor: &Actor, event_id: i64) -> Result<()> {
    let mut tiers: Vec<i64> = store::waitlist::active_of_event(conn, event_id)?
        .iter()
        .filter(|e| e.status == Status::Offered)
        .map(|e| e.tier_id)
        .collect();
    tiers.sort_unstable();
    tiers.dedup();
    for t in tiers {
        refresh(conn, actor, t)?;
    }
    Ok(())
}

/// Offers free seats down the line, first in line first: each person whose seats are
/// free gets them held; someone who wants more seats than are free keeps their place
/// while the seats go to the next whose request fits (and while anyone waits, no seat
/// is sold to a new buyer, so freed seats stay with the line).
fn offer_freed(conn: &Tx<'_>, actor: &Actor, tier_id: i64, now: i64) -> Result<()> {
    let Some(tier) = store::tiers::by_id(conn, tier_id)? else {
        return Ok(());
    };
    let event = events::get(conn, tier.event_id)?;
    if event.status != EventStatus::Published || !tier.is_active || tier.free() == 0 {
        return Ok(());
    }
    for next in store::waitlist::waiting(conn, tier_id)? {
        if !store::tiers::hold_seats(conn, tier_id, next.quantity)? {
            continue;
        }
        let expires = now + tier.waitlist_hold;
        if !store::waitlist::offer(conn, next.id, now, expires)? {
            return Err(Error::Corrupt(format!(
                "waitlist place {} stopped waiting while it was being offered seats",
                next.id
            )));
        }
        record(
            conn,
            actor,
            "waitlist.offer",
            &next,
            json!({ "expires_at": time::rfc3339(expires) }),
        )?;
    }
    Ok(())
}

/// Ends every place of an event's lines (the event was cancelled), giving held seats back.
pub(crate) fn clear_event(conn: &Tx<'_>, actor: &Actor, event_id: i64) -> Result<usize> {
    let now = time::now();
    let mut n = 0;
    for e in store::waitlist::active_of_event(conn, event_id)? {
        if store::waitlist::end(conn, e.id, e.status, Status::Cleared, now)? {
            if e.status == Status::Offered {
                store::tiers::release_held(conn, e.tier_id, e.quantity)?;
            }
            record(
                conn,
                actor,
                "waitlist.clear",
                &e,
                json!({ "was": e.status }),
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// The signed-in user an actor is, for acting on their own place in line.
fn me(actor: &Actor, doing: &'static str) -> Result<User> {
    actor
        .as_user()
        .cloned()
        .ok_or_else(|| Denial::NeedsUser { doing }.into())
}

/// Joins a tier's line for `quantity` seats (a registered user, for themself): only
/// while the tier cannot sell them that many, once per user and tier.
pub fn join(store: &mut Store, actor: &Actor, tier_id: i64, quantity: i64) -> Result<Entry> {
    let user = me(actor, "joining a waitlist")?;
    store.write(|tx| {
        let tier = store::tiers::by_id(tx, tier_id)?
            .ok_or_else(|| Error::not_found(Missing::Tier, tier_id))?;
        let event = events::get(tx, tier.event_id)?;
        authorize(actor, Action::SeeEvent(&event))?;
        user.check_may_hold_tickets()?;
        refresh(tx, actor, tier.id)?;
        let tier = store::tiers::by_id(tx, tier_id)?
            .ok_or_else(|| Error::not_found(Missing::Tier, tier_id))?;
        if !(tier.min_purchase..=tier.max_purchase).contains(&quantity) {
            return Err(Rule::WaitlistQuantity {
                name: tier.name,
                asked: quantity,
                min: tier.min_purchase,
                max: tier.max_purchase,
            }
            .into());
        }
        let a = availability_at(&tier, &event, time::now());
        let closed = event.status != EventStatus::Published
            || !tier.is_active
            || tier.sale_end.is_some_and(|e| time::now() >= e)
            || event.ends_at.is_some_and(|e| time::now() >= e);
        if closed {
            return Err(Rule::WaitlistClosed {
                tier: tier.id,
                name: tier.name,
                why: a.message,
            }
            .into());
        }
        if tier.waiting == 0 && a.available >= quantity {
            return Err(Rule::NotSoldOut {
                tier: tier.id,
                name: tier.name,
                left: a.available,
            }
            .into());
        }
        let Some(id) =
            store::waitlist::join(tx, event.id, tier.id, user.id, quantity, time::now())?
        else {
            let mine = store::waitlist::active_of(tx, tier.id, user.id)?;
            return Err(Rule::AlreadyWaiting {
                tier: tier.id,
                entry: mine.map_or(0, |e| e.id),
            }
            .into());
        };
        let entry = get(tx, id)?;
        record(tx, actor, "waitlist.join", &entry, json!({}))?;
        // Free seats that no one before them could use are theirs at once.
        refresh(tx, actor, tier.id)?;
        get(tx, id)
    })
}

/// Leaves a tier's line (the user themself); a held offer goes to the next in line.
pub fn leave(store: &mut Store, actor: &Actor, tier_id: i64) -> Result<Entry> {
    let user = me(actor, "leaving a waitlist")?;
    store.write(|tx| {
        refresh(tx, actor, tier_id)?;
        let e = store::waitlist::active_of(tx, tier_id, user.id)?.ok_or_else(|| {
            Error::not_found(
                Missing::WaitlistEntry,
                format!("of {} in tier {tier_id}", user.email),
            )
        })?;
        end_place(tx, actor, &e, Status::Left, "waitlist.leave")
    })
}

/// Says no to an offer (the user it was made to); the seats go to the next in line.
pub fn decline(store: &mut Store, actor: &Actor, offer_id: i64) -> Result<Entry> {
    let user = me(actor, "declining an offer")?;
    store.write(|tx| {
        let e = get(tx, offer_id)?;
        refresh(tx, actor, e.tier_id)?;
        let e = get(tx, offer_id)?;
        if e.user_id != user.id {
            return Err(Denial::OthersOffer { offer: offer_id }.into());
        }
        if e.status != Status::Offered {
            return Err(Rule::NotAnOffer {
                entry: e.id,
                status: e.status.to_string(),
            }
            .into());
        }
        end_place(tx, actor, &e, Status::Declined, "waitlist.decline")
    })
}

/// Takes someone off a tier's line (the event's promoter or an admin); a held offer goes
/// to the next in line.
pub fn remove(store: &mut Store, actor: &Actor, entry_id: i64) -> Result<Entry> {
    store.write(|tx| {
        let e = get(tx, entry_id)?;
        let event = events::get(tx, e.event_id)?;
        authorize(actor, Action::ManageOrders(&event))?;
        if !e.status.is_active() {
            return Err(Rule::NotInLine {
                entry: e.id,
                status: e.status.to_string(),
            }
            .into());
        }
        end_place(tx, actor, &e, Status::Removed, "waitlist.remove")
    })
}

/// Ends an active place; an offer's seats are given back and offered down the line.
fn end_place(tx: &Tx<'_>, actor: &Actor, e: &Entry, to: Status, action: &str) -> Result<Entry> {
    if !store::waitlist::end(tx, e.id, e.status, to, time::now())? {
        return Err(Error::Corrupt(format!(
            "waitlist place {} changed while it was being ended",
            e.id
        )));
    }
    if e.status == Status::Offered {
        store::tiers::release_held(tx, e.tier_id, e.quantity)?;
    }
    record(tx, actor, action, e, json!({ "was": e.status }))?;
    refresh(tx, actor, e.tier_id)?;
    get(tx, e.id)
}

/// A tier's line, first in line first (the event's promoter or an admin; `all` adds
/// those no longer in it), or — for anyone else signed in — their own place in it.
pub fn list(store: &mut Store, actor: &Actor, tier_id: i64, all: bool) -> Result<Vec<Entry>> {
    store.write(|tx| {
        let tier = store::tiers::by_id(tx, tier_id)?
            .ok_or_else(|| Error::not_found(Missing::Tier, tier_id))?;
        let event = events::get(tx, tier.event_id)?;
        refresh(tx, actor, tier_id)?;
        if authorize(actor, Action::ManageOrders(&event)).is_ok() {
            return store::waitlist::of_tier(tx, tier_id, all);
        }
        let user = me(actor, "seeing a waitlist")?;
        Ok(store::waitlist::of_tier(tx, tier_id, all)?
            .into_iter()
            .filter(|e| e.user_id == user.id)
            .collect())
    })
}

/// The actor's own places in every line, newest first (offers that ran out are ended
/// first, so what is shown is what holds).
pub fn mine(store: &mut Store, actor: &Actor) -> Result<Vec<Entry>> {
    let user = me(actor, "seeing your waitlists")?;
    store.write(|tx| {
        let tiers: Vec<i64> = store::waitlist::of_user(tx, user.id)?
            .iter()
            .filter(|e| e.status == Status::Offered)
            .map(|e| e.tier_id)
            .collect();
        for t in tiers {
            refresh(tx, actor, t)?;
        }
        store::waitlist::of_user(tx, user.id)
    })
}

/// Checks, inside an order's transaction, that `offer_id` is a live offer of `tier_id`
/// to `user` for `quantity` seats, and claims it for `order_id`, turning its held seats
/// into sold ones.
pub(crate) fn claim_in(tx: &Tx<'_>, actor: &Actor, offer: &Entry, order_id: i64) -> Result<()> {
    if !store::waitlist::claim(tx, offer.id, order_id, time::now())? {
        return Err(Rule::NotAnOffer {
            entry: offer.id,
            status: "no longer offered".to_string(),
        }
        .into());
    }
    if !store::tiers::sell_held(tx, offer.tier_id, offer.quantity)? {
        return Err(Error::Corrupt(format!(
            "tier {} holds fewer seats than offer {} of {}",
            offer.tier_id, offer.id, offer.quantity
        )));
    }
    record(
        tx,
        actor,
        "waitlist.claim",
        offer,
        json!({ "order_id": order_id }),
    )
}

/// The live offer `offer_id` made to the actor, after ending offers that ran out.
pub(crate) fn live_offer(tx: &Tx<'_>, actor: &Actor, offer_id: i64) -> Result<Entry> {
    let user = me(actor, "claiming an offer")?;
    let e = get(tx, offer_id)?;
    refresh(tx, actor, e.tier_id)?;
    let e = get(tx, offer_id)?;
    if e.user_id != user.id {
        return Err(Denial::OthersOffer { offer: offer_id }.into());
    }
    if e.status != Status::Offered {
        return Err(Rule::NotAnOffer {
            entry: e.id,
            status: e.status.to_string(),
        }
        .into());
    }
    Ok(e)
}

/// The holders of live offers of an event (for `ticket send`).
pub(crate) fn offers_of_event(conn: &Tx<'_>, event_id: i64) -> Result<Vec<Entry>> {
    Ok(store::waitlist::active_of_event(conn, event_id)?
        .into_iter()
        .filter(|e| e.status == Status::Offered)
        .collect())
}
