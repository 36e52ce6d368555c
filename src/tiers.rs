//! Ticket tiers: what is for sale at an event, at what price, how many, when, and under
//! which rules; and their availability as a buyer sees it.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use std::collections::HashMap;

use crate::access::{Action, Actor, authorize};
use crate::audit::{self, Subject};
use crate::error::{Error, Result};
use crate::events::{self, Event, EventStatus, check_text};
use crate::money::Currency;
use crate::store::Store;
use crate::time::{self, Timestamp, Zone};

/// The most seats one tier may have.
pub const MAX_QUANTITY: i64 = 10_000_000;
/// The most characters a tier name may have.
pub const MAX_NAME: usize = 200;
/// The most characters a tier description may have.
pub const MAX_DESCRIPTION: usize = 2_000;
/// The highest position a tier may be given.
pub const MAX_POSITION: i64 = 1_000_000;
/// The per-order maximum a new tier gets when none is given (capped by its quantity).
pub const DEFAULT_MAX_PURCHASE: i64 = 10;

/// A ticket tier, with its sales figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Numeric id.
    pub id: i64,
    /// The event it belongs to.
    pub event_id: i64,
    /// Unique within the event (case-insensitively).
    pub name: String,
    /// Free text for buyers.
    pub description: Option<String>,
    /// Price in minor units of `currency`.
    pub price_minor: i64,
    /// The event's currency.
    pub currency: Currency,
    /// The event's time zone, for showing times to people (not part of the JSON).
    pub zone: Zone,
    /// Seats in total.
    pub quantity: i64,
    /// Seats taken by orders.
    pub sold: i64,
    /// Fewest tickets per order.
    pub min_purchase: i64,
    /// Most tickets per order.
    pub max_purchase: i64,
    /// Sales open at this instant, if set.
    pub sale_start: Option<Timestamp>,
    /// Sales close at this instant, if set.
    pub sale_end: Option<Timestamp>,
    /// Orders wait for the promoter's approval.
    pub requires_approval: bool,
    /// Tickets may be transferred to another account.
    pub transferable: bool,
    /// Offered at all; inactive tiers are hidden from buyers.
    pub is_active: bool,
    /// Sort order within the event.
    pub position: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

impl Tier {
    /// Seats still to be had.
    pub fn available(&self) -> i64 {
        (self.quantity - self.sold).max(0)
    }

    /// Share of seats taken, in percent with one decimal.
    pub fn percent_sold(&self) -> f64 {
        if self.quantity <= 0 {
            return 0.0;
        }
        (self.sold as f64 * 1000.0 / self.quantity as f64).round() / 10.0
    }

    /// The price as an exact decimal string, e.g. `199.99`.
    pub fn price(&self) -> String {
        self.currency.format_amount(self.price_minor)
    }
}

#[derive(Serialize)]
struct TierJson<'a> {
    id: i64,
    event_id: i64,
    name: &'a str,
    description: Option<&'a str>,
    price: String,
    currency: Currency,
    quantity: i64,
    sold: i64,
    available: i64,
    percent_sold: f64,
    min_purchase: i64,
    max_purchase: i64,
    #[serde(with = "time::serde_ts::option")]
    sale_start: Option<Timestamp>,
    #[serde(with = "time::serde_ts::option")]
    sale_end: Option<Timestamp>,
    requires_approval: bool,
    transferable: bool,
    is_active: bool,
    position: i64,
    #[serde(with = "time::serde_ts")]
    created_at: Timestamp,
    #[serde(with = "time::serde_ts")]
    updated_at: Timestamp,
}

impl Serialize for Tier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        TierJson {
            id: self.id,
            event_id: self.event_id,
            name: &self.name,
            description: self.description.as_deref(),
            price: self.price(),
            currency: self.currency,
            quantity: self.quantity,
            sold: self.sold,
            available: self.available(),
            percent_sold: self.percent_sold(),
            min_purchase: self.min_purchase,
            max_purchase: self.max_purchase,
            sale_start: self.sale_start,
            sale_end: self.sale_end,
            requires_approval: self.requires_approval,
            transferable: self.transferable,
            is_active: self.is_active,
            position: self.position,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .serialize(s)
    }
}

/// Fields given for creating or changing a tier; `None` means "not given". For
/// `description`, `sale_start` and `sale_end`, an empty string clears the value.
/// Prices and times are text, read with the event's currency and time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierFields {
    /// Name, 1 to 200 characters, unique in the event.
    pub name: Option<String>,
    /// Description; empty clears it.
    pub description: Option<String>,
    /// Price as an exact decimal.
    pub price: Option<String>,
    /// Seats in total.
    pub quantity: Option<i64>,
    /// Fewest tickets per order.
    pub min_purchase: Option<i64>,
    /// Most tickets per order.
    pub max_purchase: Option<i64>,
    /// Sales open; empty clears it.
    pub sale_start: Option<String>,
    /// Sales close; empty clears it.
    pub sale_end: Option<String>,
    /// Orders need approval.
    pub requires_approval: Option<bool>,
    /// Tickets may be transferred.
    pub transferable: Option<bool>,
    /// Offered to buyers.
    pub is_active: Option<bool>,
    /// Sort order.
    pub position: Option<i64>,
}

impl TierFields {
    /// Whether no field is given at all.
    pub fn is_empty(&self) -> bool {
        *self == TierFields::default()
    }
}

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

/// Tiers can only be set up while their event is a draft or published.
fn check_event_open(event: &Event) -> Result<()> {
    match event.status {
        EventStatus::Draft | EventStatus::Published => Ok(()),
        other => Err(Error::rule(format!(
            "event {} is {other}; tiers can only be created or changed while the event is draft or published",
            event.id
        ))),
    }
}

/// Applies `f` on top of `base` (or on the defaults, for a new tier) and checks every
/// rule that concerns the tier's own values. Returns the tier as it would be stored.
fn resolve(event: &Event, base: Option<&Tier>, f: &TierFields) -> Result<Tier> {
    let now = time::now();
    let zone = event.timezone;
    let required =
        |field: &str| Error::invalid(field, format!("{field} is required for a new tier"));
    let name = match (&f.name, base) {
        (Some(n), _) => events::check_line("name", n, MAX_NAME)?,
        (None, Some(b)) => b.name.clone(),
        (None, None) => return Err(required("name")),
    };
    let description = match (&f.description, base) {
        (Some(d), _) if d.trim().is_empty() => None,
        (Some(d), _) => Some(check_text("description", d, MAX_DESCRIPTION)?),
        (None, b) => b.and_then(|b| b.description.clone()),
    };
    let price_minor = match (&f.price, base) {
        (Some(p), _) => event.currency.parse_amount(p)?,
        (None, Some(b)) => b.price_minor,
        (None, None) => return Err(required("price")),
    };
    let quantity = match (f.quantity, base) {
        (Some(q), _) if !(1..=MAX_QUANTITY).contains(&q) => {
            return Err(Error::invalid(
                "quantity",
                format!("{q} is out of range; a tier has from 1 to {MAX_QUANTITY} seats"),
            ));
        }
        (Some(q), _) => q,
        (None, Some(b)) => b.quantity,
        (None, None) => return Err(required("quantity")),
    };
    let per_order = |field: &str, v: i64| {
        if v < 1 {
            Err(Error::invalid(
                field,
                format!("{v} is out of range; it must be at least 1"),
            ))
        } else {
            Ok(v)
        }
    };
    let min_purchase = match (f.min_purchase, base) {
        (Some(v), _) => per_order("min_purchase", v)?,
        (None, Some(b)) => b.min_purchase,
        (None, None) => 1,
    };
    let max_purchase = match (f.max_purchase, base) {
        (Some(v), _) => per_order("max_purchase", v)?,
        (None, Some(b)) => b.max_purchase,
        (None, None) => quantity.min(DEFAULT_MAX_PURCHASE.max(min_purchase)),
    };
    let time_field = |field: &str, given: &Option<String>, old: Option<Timestamp>| match given {
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(t) => zone.parse_time(field, t).map(Some),
        None => Ok(old),
    };
    let sale_start = time_field("sale_start", &f.sale_start, base.and_then(|b| b.sale_start))?;
    let sale_end = time_field("sale_end", &f.sale_end, base.and_then(|b| b.sale_end))?;
    let position = match f.position {
        Some(p) if !(0..=MAX_POSITION).contains(&p) => {
            return Err(Error::invalid(
                "position",
                format!("{p} is out of range; positions go from 0 to {MAX_POSITION}"),
            ));
        }
        Some(p) => p,
        None => base.map_or(-1, |b| b.position),
    };

    if min_purchase > max_purchase {
        return Err(Error::rule(format!(
            "min_purchase ({min_purchase}) is more than max_purchase ({max_purchase}); the minimum per order cannot exceed the maximum"
        )));
    }
    if max_purchase > quantity {
        let hint = if f.max_purchase.is_none() && f.quantity.is_some() {
            format!("; give a max_purchase of {quantity} or less together with the new quantity")
        } else {
            String::new()
        };
        return Err(Error::rule(format!(
            "max_purchase ({max_purchase}) is more than quantity ({quantity}); an order cannot be larger than the tier{hint}"
        )));
    }
    if let (Some(start), Some(end)) = (sale_start, sale_end)
        && end <= start
    {
        return Err(Error::rule(format!(
            "sale_end ({}) is not after sale_start ({}); the sale must end after it starts",
            zone.human(end),
            zone.human(start)
        )));
    }
    Ok(Tier {
        id: base.map_or(0, |b| b.id),
        event_id: event.id,
        name,
        description,
        price_minor,
        currency: event.currency,
        zone: event.timezone,
        quantity,
        sold: base.map_or(0, |b| b.sold),
        min_purchase,
        max_purchase,
        sale_start,
        sale_end,
        requires_approval: f
            .requires_approval
            .or(base.map(|b| b.requires_approval))
            .unwrap_or(false),
        transferable: f
            .transferable
            .or(base.map(|b| b.transferable))
            .unwrap_or(true),
        is_active: f.is_active.or(base.map(|b| b.is_active)).unwrap_or(true),
        position,
        created_at: base.map_or(now, |b| b.created_at),
        updated_at: now,
    })
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

/// Whether and how a tier can be bought right now, as a buyer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    /// The tier.
    pub tier_id: i64,
    /// Its name.
    pub tier_name: String,
    /// Its price as an exact decimal.
    pub price: String,
    /// The event's currency.
    pub currency: Currency,
    /// Seats left.
    pub available: i64,
    /// Seats taken.
    pub sold: i64,
    /// Seats in total.
    pub quantity: i64,
    /// No seat left.
    pub is_sold_out: bool,
    /// Active, the event published, and now inside the sale window.
    pub is_on_sale: bool,
    /// On sale and at least one order's worth of seats left.
    pub can_purchase: bool,
    /// Why (not), in a buyer's words.
    pub message: String,
}

/// Works out a tier's availability at instant `now`.
pub fn availability_at(tier: &Tier, event: &Event, now: Timestamp) -> Availability {
    let zone = event.timezone;
    let available = tier.available();
    let is_sold_out = available == 0;
    let before_start = tier.sale_start.is_some_and(|s| now < s);
    let after_end = tier.sale_end.is_some_and(|e| now >= e);
    // An event that has ended sells nothing, even before anyone marks it completed.
    let over = event.status == EventStatus::Completed || event.ends_at.is_some_and(|e| now >= e);
    let is_on_sale = event.status == EventStatus::Published
        && !over
        && tier.is_active
        && !before_start
        && !after_end;
    let can_purchase = is_on_sale && available >= tier.min_purchase.max(1);
    let message = match event.status {
        EventStatus::Cancelled => "Not on sale: the event was cancelled".to_string(),
        EventStatus::Completed => "Not on sale: the event is over".to_string(),
        _ if over => "Not on sale: the event is over".to_string(),
        EventStatus::Draft => "Not on sale: the event is not published yet".to_string(),
        EventStatus::Published if !tier.is_active => {
            "Not on sale: this tier is not offered at the moment".to_string()
        }
        EventStatus::Published if is_sold_out => "Sold out".to_string(),
        EventStatus::Published => match (tier.sale_start, tier.sale_end) {
            (Some(s), _) if before_start => format!("Sales open {}", zone.human(s)),
            (_, Some(e)) if after_end => format!("Sales ended {}", zone.human(e)),
            _ if available < tier.min_purchase => format!(
                "Only {available} left, fewer than the minimum order of {}",
                tier.min_purchase
            ),
            _ if available <= 10 && available < tier.quantity => format!("Only {available} left"),
            (_, Some(e)) => format!(
                "On sale until {}: {available} of {} left",
                zone.human(e),
                tier.quantity
            ),
            _ => format!("On sale: {available} of {} left", tier.quantity),
        },
    };
    Availability {
        tier_id: tier.id,
        tier_name: tier.name.clone(),
        price: tier.price(),
        currency: tier.currency,
        available,
        sold: tier.sold,
        quantity: tier.quantity,
        is_sold_out,
        is_on_sale,
        can_purchase,
        message,
    }
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
