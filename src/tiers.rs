//! Ticket tiers: what is for sale at an event, at what price, how many, when, and under
//! which rules; and their availability as a buyer sees it.

use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;

use crate::access::{Action, Actor, authorize};
use crate::audit::{self, Subject};
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::money::Currency;
use crate::store::Store;
use crate::time::{self, Zone};

pub use crate::domain::tier::{
    Availability, DEFAULT_MAX_PURCHASE, MAX_DESCRIPTION, MAX_NAME, MAX_POSITION, MAX_QUANTITY,
    Tier, TierFields, availability_at,
};
use crate::domain::tier::{check_event_open, resolve};

const TIER_COLUMNS: &str = "t.id, t.event_id, t.name, t.description, t.price_minor, e.currency, \
     t.quantity, t.sold, t.min_purchase, t.max_purchase, t.sale_start, t.sale_end, \
     t.requires_approval, t.transferable, t.is_active, t.position, t.created_at, t.updated_at, \
     e.timezone";
const TIER_FROM: &str = "tiers t JOIN events e ON e.id = t.event_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Tier> {
    let cur: String = r.get(5)?;
    let tz: String = r.get(18)?;
    Ok(Tier {
        zone: Zone::parse(&tz).map_err(|e| crate::store::bad_column(18, e))?,
        id: r.get(0)?,
        event_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        price_minor: r.get(4)?,
        currency: Currency::parse(&cur).map_err(|e| crate::store::bad_column(5, e))?,
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
    })
}

/// Loads a tier by id, or fails with not-found.
pub fn get(conn: &Connection, id: i64) -> Result<Tier> {
    conn.prepare_cached(&format!(
        "SELECT {TIER_COLUMNS} FROM {TIER_FROM} WHERE t.id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()?
    .ok_or_else(|| {
        Error::not_found_hint(
            "tier",
            id,
            "`tix tier list EVENT_ID` shows an event's tiers",
        )
    })
}

/// Finds an event's tier by name, case-insensitively (Unicode's case folding: `Zürich`
/// and `ZÜRICH` are one name), through the unique index on the folded name.
pub fn find_by_name(conn: &Connection, event_id: i64, name: &str) -> Result<Option<Tier>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TIER_COLUMNS} FROM {TIER_FROM} WHERE t.event_id = ?1 AND t.name_key = ?2"
        ))?
        .query_row(params![event_id, crate::store::fold(name)], from_row)
        .optional()?)
}

/// Every tier of an event by folded name: an import looks each row's name up here
/// instead of asking the database once per row.
pub(crate) fn by_name(conn: &Connection, event_id: i64) -> Result<HashMap<String, Tier>> {
    Ok(of_event(conn, event_id, true)?
        .into_iter()
        .map(|t| (crate::store::fold(&t.name), t))
        .collect())
}

/// The event's tiers in position order, inactive ones only if asked for.
fn of_event(conn: &Connection, event_id: i64, include_inactive: bool) -> Result<Vec<Tier>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TIER_COLUMNS} FROM {TIER_FROM}
         WHERE t.event_id = ?1 AND (?2 OR t.is_active)
         ORDER BY t.position, t.id"
    ))?;
    let rows = stmt.query_map(params![event_id, include_inactive], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The database's unique index on the folded name decides whether a name is free; when
/// it refuses, this says which tier already has the name.
fn name_taken(conn: &Connection, event_id: i64, name: &str, e: rusqlite::Error) -> Error {
    let unique = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation)
    ) && e.to_string().contains("name_key");
    if !unique {
        return Error::Database(e);
    }
    match find_by_name(conn, event_id, name) {
        Ok(Some(other)) => Error::rule(format!(
            "event {event_id} already has a tier named '{}' (tier {}); pick another name or update that tier",
            other.name, other.id
        )),
        _ => Error::rule(format!(
            "event {event_id} already has a tier named '{name}'; pick another name or update that tier"
        )),
    }
}

/// Creates a tier inside an open transaction. The caller has authorized the actor.
pub(crate) fn create_in(conn: &Connection, event: &Event, f: &TierFields) -> Result<Tier> {
    check_event_open(event)?;
    let mut tier = resolve(event, None, f)?;
    if tier.position < 0 {
        tier.position = conn
            .prepare_cached("SELECT COALESCE(MAX(position), 0) + 1 FROM tiers WHERE event_id = ?1")?
            .query_row([event.id], |r| r.get(0))?;
    }
    conn.prepare_cached(
        "INSERT INTO tiers (event_id, name, description, price_minor, quantity, sold,
             min_purchase, max_purchase, sale_start, sale_end, requires_approval, transferable,
             is_active, position, created_at, updated_at, name_key)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, tix_fold(?2))",
    )?
    .execute(params![
        event.id,
        tier.name,
        tier.description,
        tier.price_minor,
        tier.quantity,
        tier.min_purchase,
        tier.max_purchase,
        tier.sale_start,
        tier.sale_end,
        tier.requires_approval,
        tier.transferable,
        tier.is_active,
        tier.position,
        tier.created_at,
    ])
    .map_err(|e| name_taken(conn, event.id, &tier.name, e))?;
    tier.id = conn.last_insert_rowid();
    Ok(tier)
}

/// Changes a tier inside an open transaction, enforcing the rules that depend on sales.
/// Returns the tier as stored and whether anything changed.
pub(crate) fn update_in(
    conn: &Connection,
    event: &Event,
    old: &Tier,
    f: &TierFields,
) -> Result<(Tier, bool)> {
    check_event_open(event)?;
    let mut new = resolve(event, Some(old), f)?;
    if old.sold > 0 && new.price_minor != old.price_minor {
        return Err(Error::rule(format!(
            "Cannot change price after tickets are sold: tier {} '{}' has {} sold at {} {}; create a new tier at the new price instead",
            old.id,
            old.name,
            old.sold,
            old.price(),
            old.currency
        )));
    }
    if new.quantity < old.sold {
        return Err(Error::rule(format!(
            "quantity ({}) cannot be less than the {} tickets already sold of tier {} '{}'",
            new.quantity, old.sold, old.id, old.name
        )));
    }
    new.updated_at = old.updated_at;
    if new == *old {
        return Ok((new, false));
    }
    new.updated_at = time::now();
    conn.prepare_cached(
        "UPDATE tiers SET name = ?2, description = ?3, price_minor = ?4, quantity = ?5,
             min_purchase = ?6, max_purchase = ?7, sale_start = ?8, sale_end = ?9,
             requires_approval = ?10, transferable = ?11, is_active = ?12, position = ?13,
             updated_at = ?14, name_key = tix_fold(?2)
         WHERE id = ?1",
    )?
    .execute(params![
        old.id,
        new.name,
        new.description,
        new.price_minor,
        new.quantity,
        new.min_purchase,
        new.max_purchase,
        new.sale_start,
        new.sale_end,
        new.requires_approval,
        new.transferable,
        new.is_active,
        new.position,
        new.updated_at,
    ])
    .map_err(|e| name_taken(conn, event.id, &new.name, e))?;
    Ok((new, true))
}

/// Records a change of `tier` in the audit log.
pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    tier: &Tier,
    details: serde_json::Value,
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
        return Err(Error::Usage(
            "nothing to update; pass at least one field, e.g. --price, --quantity or --inactive"
                .into(),
        ));
    }
    store.write(|tx| {
        let old = get(tx, tier_id)?;
        let event = events::get(tx, old.event_id)?;
        authorize(actor, Action::ManageTiers(&event))?;
        let (tier, changed) = update_in(tx, &event, &old, f)?;
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
    let check = |conn: &Connection| -> Result<Tier> {
        let tier = get(conn, tier_id)?;
        let event = events::get(conn, tier.event_id)?;
        authorize(actor, Action::ManageTiers(&event))?;
        check_event_open(&event)?;
        if tier.sold > 0 {
            return Err(Error::rule(format!(
                "Cannot delete tier {} '{}': {} tickets are sold; deactivate it instead with `tix tier update {} --inactive`",
                tier.id, tier.name, tier.sold, tier.id
            )));
        }
        let orders: i64 = conn.query_row(
            "SELECT count(*) FROM orders WHERE tier_id = ?1",
            [tier.id],
            |r| r.get(0),
        )?;
        if orders > 0 {
            return Err(Error::rule(format!(
                "Cannot delete tier {} '{}': {orders} orders (cancelled or refunded) refer to it; deactivate it instead with `tix tier update {} --inactive`",
                tier.id, tier.name, tier.id
            )));
        }
        Ok(tier)
    };
    let tier = store.read(check)?;
    confirm(&tier)?;
    store.write(|tx| {
        let tier = check(tx)?;
        tx.execute("DELETE FROM tiers WHERE id = ?1", [tier.id])?;
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
        of_event(c, event.id, include_inactive)
    })
}

/// One tier with its sales figures: anyone who may see its event.
pub fn show(store: &Store, actor: &Actor, tier_id: i64) -> Result<Tier> {
    store.read(|c| {
        let tier = get(c, tier_id)?;
        authorize(actor, Action::SeeEvent(&events::get(c, tier.event_id)?))?;
        Ok(tier)
    })
}

/// A tier's availability right now.
pub fn availability(store: &Store, actor: &Actor, tier_id: i64) -> Result<Availability> {
    store.read(|c| {
        let tier = get(c, tier_id)?;
        let event = events::get(c, tier.event_id)?;
        authorize(actor, Action::SeeEvent(&event))?;
        Ok(availability_at(&tier, &event, time::now()))
    })
}

/// Takes `n` seats of a tier inside an open transaction, refusing to go past its
/// quantity. The single place where `sold` grows; orders call it in the same
/// `BEGIN IMMEDIATE` transaction that records them, so no tier is ever oversold.
pub(crate) fn take_seats(conn: &Connection, tier_id: i64, n: i64) -> Result<Tier> {
    if n < 1 {
        return Err(Error::invalid(
            "quantity",
            format!("{n} is out of range; take at least 1 seat"),
        ));
    }
    let changed = conn
        .prepare_cached(
            "UPDATE tiers SET sold = sold + ?2 WHERE id = ?1 AND sold + ?2 <= quantity",
        )?
        .execute(params![tier_id, n])?;
    let tier = get(conn, tier_id)?;
    if changed == 0 {
        return Err(match tier.available() {
            0 => Error::rule(format!(
                "Sold out: tier {} '{}' has no seats left",
                tier.id, tier.name
            )),
            left => Error::rule(format!(
                "Only {left} left of tier {} '{}'; ask for {left} or fewer",
                tier.id, tier.name
            )),
        });
    }
    Ok(tier)
}

/// Gives `n` seats of a tier back (an order was cancelled or refunded), inside the
/// caller's transaction.
pub(crate) fn release_seats(conn: &Connection, tier_id: i64, n: i64) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE tiers SET sold = sold - ?2 WHERE id = ?1 AND sold >= ?2")?
        .execute(params![tier_id, n])?;
    if changed == 0 {
        return Err(Error::Corrupt(format!(
            "tier {tier_id} has fewer seats sold than an order of {n} being released"
        )));
    }
    Ok(())
}
