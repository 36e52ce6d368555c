//! Ticket tiers: what is for sale at an event, at what price, how many, when, and under
//! which rules; and their availability as a buyer sees it.

use crate::store::Tx;
use std::collections::HashMap;

use crate::access::{Action, Actor, authorize};
use crate::error::{Error, Missing, Result, Rule};
use crate::ops::audit::{self, Subject};
use crate::ops::events::{self, Event};
use crate::ops::waitlist;
use crate::store::{self, Store};
use crate::time;

pub use crate::domain::tier::{
    Availability, DEFAULT_MAX_PURCHASE, MAX_DESCRIPTION, MAX_NAME, MAX_POSITION, MAX_QUANTITY,
    Tier, TierFields, availability_at,
};
use crate::domain::tier::{check_event_open, resolve_all};

/// Loads a tier by id, or fails with not-found.
pub fn get(conn: &Tx<'_>, id: i64) -> Result<Tier> {
    store::tiers::by_id(conn, id)?.ok_or_else(|| Error::not_found(Missing::Tier, id))
}

/// Finds an event's tier by name, case-insensitively (Unicode's case folding: `Zürich`
/// and `ZÜRICH` are one name), through the unique index on the folded name.
pub fn find_by_name(conn: &Tx<'_>, event_id: i64, name: &str) -> Result<Option<Tier>> {
    store::tiers::by_name_key(conn, event_id, &store::fold(name))
}

/// Every tier of an event by folded name: an import looks each row's name up here
/// instead of asking the database once per row.
pub(crate) fn by_name(conn: &Tx<'_>, event_id: i64) -> Result<HashMap<String, Tier>> {
    Ok(store::tiers::of_event(conn, event_id, true)?
        .into_iter()
        .map(|t| (crate::store::fold(&t.name), t))
        .collect())
}

/// The database's unique index on the folded name decides whether a name is free; when
/// it refuses, this says which tier already has the name.
fn name_taken(conn: &Tx<'_>, event_id: i64, name: &str) -> Error {
    let (name, tier) = match find_by_name(conn, event_id, name) {
        Ok(Some(other)) => (other.name, Some(other.id)),
        _ => (name.to_string(), None),
    };
    Rule::TierNameTaken {
        event: event_id,
        name,
        tier,
    }
    .into()
}

/// Creates a tier inside an open transaction. The caller has authorized the actor.
pub(crate) fn create_in(conn: &Tx<'_>, event: &Event, f: &TierFields) -> Result<Tier> {
    check_event_open(event)?;
    let (mut tier, mut broken) = resolve_all(event, None, f)?;
    // A taken name is one more broken rule, reported with the others; alone, the insert
    // below finds it (the unique index decides), so only then is it looked up here.
    if !broken.is_empty()
        && let Some(other) = find_by_name(conn, event.id, &tier.name)?
    {
        broken.insert(
            0,
            Rule::TierNameTaken {
                event: event.id,
                name: other.name,
                tier: Some(other.id),
            },
        );
    }
    Error::rules(broken)?;
    if tier.position < 0 {
        tier.position = store::tiers::next_position(conn, event.id)?;
        if tier.position > MAX_POSITION {
            return Err(Rule::NoPositionLeft {
                event: event.id,
                max: MAX_POSITION,
            }
            .into());
        }
    }
    tier.id =
        store::tiers::insert(conn, &tier)?.ok_or_else(|| name_taken(conn, event.id, &tier.name))?;
    if f.position.is_some() {
        store::tiers::make_room(conn, event.id, tier.position, tier.id)?;
    }
    Ok(tier)
}

/// Changes a tier inside an open transaction, enforcing the rules that depend on sales.
/// Returns the tier as stored and whether anything changed.
pub(crate) fn update_in(
    conn: &Tx<'_>,
    actor: &Actor,
    event: &Event,
    old: &Tier,
    f: &TierFields,
) -> Result<(Tier, bool)> {
    check_event_open(event)?;
    // Every rule the change breaks is reported at once, those of the tier's sales first.
    let (mut new, own) = resolve_all(event, Some(old), f)?;
    let mut broken = Vec::new();
    if old.sold > 0 && new.price_minor != old.price_minor {
        broken.push(Rule::PriceLocked {
            tier: old.id,
            name: old.name.clone(),
            sold: old.sold,
            price: old.price().to_string(),
            currency: old.currency.to_string(),
        });
    }
    if new.quantity < old.sold {
        broken.push(Rule::QuantityBelowSold {
            tier: old.id,
            name: old.name.clone(),
            quantity: new.quantity,
            sold: old.sold,
        });
    } else if new.quantity < old.sold + old.held {
        broken.push(Rule::QuantityBelowHeld {
            tier: old.id,
            name: old.name.clone(),
            quantity: new.quantity,
            sold: old.sold,
            held: old.held,
        });
    }
    if f.name.is_some()
        && !(broken.is_empty() && own.is_empty())
        && let Some(other) = find_by_name(conn, event.id, &new.name)?
        && other.id != old.id
    {
        broken.push(Rule::TierNameTaken {
            event: event.id,
            name: other.name,
            tier: Some(other.id),
        });
    }
    broken.extend(own);
    Error::rules(broken)?;
    new.updated_at = old.updated_at;
    if new == *old {
        return Ok((new, false));
    }
    new.updated_at = time::now();
    if !store::tiers::update(conn, &new)? {
        return Err(name_taken(conn, event.id, &new.name));
    }
    if new.position != old.position {
        store::tiers::make_room(conn, event.id, new.position, new.id)?;
    }
    if new.quantity > old.quantity || (new.is_active && !old.is_active) {
        // Seats came back: the waitlist is offered them first.
        waitlist::refresh(conn, actor, new.id)?;
        new = get(conn, new.id)?;
    }
    Ok((new, true))
}

/// Records a change of `tier` in the audit log.
pub(crate) fn record(
    conn: &Tx<'_>,
    actor: &Actor,
    action: &str,
    tier: &Tier,
    details: impl serde::Serialize,
) -> Result<()> {
    audit::record(
        conn,
        actor,
        action,
        Subject {
            object_type: "tier",
            object_id: &tier.id.to_string(),
            event_id: Some(tier.event_id),
            ticket_id: None,
        },
        details,
    )
}

/// Creates a tier on an event (its verified promoter or an admin).
pub fn create(store: &mut Store, actor: &Actor, event_id: i64, f: &TierFields) -> Result<Tier> {
    store.write(|tx| {
        let event = events::get(tx, event_id)?;
        authorize(actor, Action::ManageTiers(&event))?;
        let tier = create_in(tx, &event, f)?;
        record(
            tx,
            actor,
            "tier.create",
            &tier,
            serde_json::json!({ "new": tier }),
        )?;
        Ok(tier)
    })
}

/// Changes the given fields of a tier (its event's verified promoter or an admin).
pub fn update(store: &mut Store, actor: &Actor, tier_id: i64, f: &TierFields) -> Result<Tier> {
    if f.is_empty() {
        return Err(Error::NothingToChange { what: "tier" });
    }
    store.write(|tx| {
        let old = get(tx, tier_id)?;
        let event = events::get(tx, old.event_id)?;
        authorize(actor, Action::ManageTiers(&event))?;
        // Offers that ran out give their seats back first: they are not held any more.
        waitlist::refresh(tx, actor, tier_id)?;
        let old = get(tx, tier_id)?;
        let (tier, changed) = update_in(tx, actor, &event, &old, f)?;
        if changed {
            record(
                tx,
                actor,
                "tier.update",
                &tier,
                serde_json::json!({ "old": old, "new": tier }),
            )?;
        }
        Ok(tier)
    })
}

/// Deletes a tier with no sales after `confirm` agrees; a tier with sales must be
/// deactivated instead. Returns the deleted tier.
pub fn delete(
    store: &mut Store,
    actor: &Actor,
    tier_id: i64,
    confirm: impl FnOnce(&Tier) -> Result<()>,
) -> Result<Tier> {
    let check = |conn: &Tx<'_>| -> Result<Tier> {
        let tier = get(conn, tier_id)?;
        let event = events::get(conn, tier.event_id)?;
        authorize(actor, Action::ManageTiers(&event))?;
        check_event_open(&event)?;
        if tier.sold > 0 {
            return Err(Rule::TierHasSales {
                tier: tier.id,
                name: tier.name,
                sold: tier.sold,
            }
            .into());
        }
        let orders = store::tiers::order_count(conn, tier.id)?;
        if orders > 0 {
            return Err(Rule::TierHasOrders {
                tier: tier.id,
                name: tier.name,
                orders,
            }
            .into());
        }
        Ok(tier)
    };
    let tier = store.read(check)?;
    confirm(&tier)?;
    store.write(|tx| {
        let tier = check(tx)?;
        store::tiers::delete(tx, tier.id)?;
        record(
            tx,
            actor,
            "tier.delete",
            &tier,
            serde_json::json!({ "old": tier }),
        )?;
        Ok(tier)
    })
}

/// An event's tiers in position order. Inactive tiers are included only when asked for,
/// and only for the event's promoter or an admin.
pub fn list(
    store: &Store,
    actor: &Actor,
    event_id: i64,
    include_inactive: bool,
) -> Result<Vec<Tier>> {
    store.read(|c| {
        let event = events::get(c, event_id)?;
        authorize(actor, Action::SeeEvent(&event))?;
        if include_inactive {
            authorize(actor, Action::SeeInactiveTiers(&event))?;
        }
        let mut tiers = store::tiers::of_event(c, event.id, include_inactive)?;
        for t in &mut tiers {
            live(c, t)?;
        }
        Ok(tiers)
    })
}

/// A tier as it stands right now: seats held by offers that ran out (and that the next
/// write touching the tier ends) no longer count as held.
pub(crate) fn live(conn: &Tx<'_>, tier: &mut Tier) -> Result<()> {
    if tier.held > 0 {
        tier.held -= store::tiers::expired_held(conn, tier.id, time::now())?;
        tier.held = tier.held.max(0);
    }
    Ok(())
}

/// One tier with its sales figures: anyone who may see its event.
pub fn show(store: &Store, actor: &Actor, tier_id: i64) -> Result<Tier> {
    store.read(|c| {
        let mut tier = get(c, tier_id)?;
        authorize(actor, Action::SeeEvent(&events::get(c, tier.event_id)?))?;
        live(c, &mut tier)?;
        Ok(tier)
    })
}

/// A tier's availability right now.
pub fn availability(store: &Store, actor: &Actor, tier_id: i64) -> Result<Availability> {
    store.read(|c| {
        let mut tier = get(c, tier_id)?;
        let event = events::get(c, tier.event_id)?;
        authorize(actor, Action::SeeEvent(&event))?;
        live(c, &mut tier)?;
        Ok(availability_at(&tier, &event, time::now()))
    })
}

/// Takes `n` seats of a tier inside an open transaction, refusing to go past its
/// quantity. The single place where `sold` grows; orders call it in the same
/// `BEGIN IMMEDIATE` transaction that records them, so no tier is ever oversold.
pub(crate) fn take_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<Tier> {
    if n < 1 {
        return Err(Error::invalid(
            "quantity",
            format!("{n} is out of range; take at least 1 seat"),
        ));
    }
    let taken = store::tiers::take_seats(conn, tier_id, n)?;
    let tier = get(conn, tier_id)?;
    if !taken && tier.waiting > 0 {
        return Err(Rule::WaitlistFirst {
            tier: tier.id,
            name: tier.name,
            waiting: tier.waiting,
        }
        .into());
    }
    if !taken {
        return Err(Rule::SoldOut {
            tier: tier.id,
            left: tier.available(),
            min: tier.min_purchase,
            name: tier.name,
        }
        .into());
    }
    Ok(tier)
}

/// Gives `n` seats of a tier back (an order was cancelled or refunded), inside the
/// caller's transaction.
pub(crate) fn release_seats(conn: &Tx<'_>, tier_id: i64, n: i64) -> Result<()> {
    if !store::tiers::release_seats(conn, tier_id, n)? {
        return Err(Error::Corrupt(format!(
            "tier {tier_id} has fewer seats sold than an order of {n} being released"
        )));
    }
    Ok(())
}
