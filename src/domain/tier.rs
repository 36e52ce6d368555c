//! Ticket tiers: their fields, the rules a tier's own values must keep, and whether a
//! tier can be bought at a given instant.

use serde::Serialize;

use crate::domain::event::{Event, EventStatus};
use crate::domain::money::Currency;
use crate::domain::text::{check_line, check_text};
use crate::domain::time::{self, Timestamp, Zone};
use crate::error::{Error, Result, Rule};

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
    /// Seats held for offers to the waitlist (sold to no one else while held).
    pub held: i64,
    /// How long an offer to the waitlist holds its seats, in seconds.
    pub waitlist_hold: i64,
    /// People waiting in its line (they come before any new buyer).
    pub waiting: i64,
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
    /// Seats a new buyer can have: neither sold nor held for the waitlist, and none
    /// while anyone waits in the tier's line (freed seats are theirs first).
    pub fn available(&self) -> i64 {
        if self.waiting > 0 {
            return 0;
        }
        self.free()
    }

    /// Seats neither sold nor held, whoever may have them.
    pub fn free(&self) -> i64 {
        (self.quantity - self.sold - self.held).max(0)
    }

    /// Share of seats taken, in percent with one decimal.
    pub fn percent_sold(&self) -> f64 {
        crate::domain::percent(self.sold, self.quantity)
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
    // Beyond the contract's fields, and only when they say something: seats held for the
    // waitlist, and an offer's hold when it is not the default.
    #[serde(skip_serializing_if = "is_zero")]
    held: i64,
    #[serde(skip_serializing_if = "is_zero")]
    waiting: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    waitlist_hold: Option<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// How long a waitlist offer holds its seats unless the tier says otherwise: a day.
pub const DEFAULT_WAITLIST_HOLD: i64 = 86_400;

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
            held: self.held,
            waiting: self.waiting,
            waitlist_hold: (self.waitlist_hold != DEFAULT_WAITLIST_HOLD)
                .then(|| time::human_duration(self.waitlist_hold).replace(' ', "")),
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
    /// How long a waitlist offer holds its seats, e.g. `24h`.
    pub waitlist_hold: Option<String>,
}

impl TierFields {
    /// Whether no field is given at all.
    pub fn is_empty(&self) -> bool {
        *self == TierFields::default()
    }
}

/// Tiers can only be set up while their event is a draft or published.
pub fn check_event_open(event: &Event) -> Result<()> {
    match event.status {
        EventStatus::Draft | EventStatus::Published => Ok(()),
        other => Err(Rule::EventClosedForTiers {
            event: event.id,
            status: other.to_string(),
        }
        .into()),
    }
}

/// Applies `f` on top of `base` (or on the defaults, for a new tier) and checks every
/// rule that concerns the tier's own values, reporting all that it breaks at once.
/// Returns the tier as it would be stored.
pub fn resolve(event: &Event, base: Option<&Tier>, f: &TierFields) -> Result<Tier> {
    let (tier, broken) = resolve_all(event, base, f)?;
    Error::rules(broken)?;
    Ok(tier)
}

/// Like [`resolve`], but returns the rules broken beside the tier, so that a caller with
/// rules of its own (a tier with sales) can report them all together.
pub fn resolve_all(
    event: &Event,
    base: Option<&Tier>,
    f: &TierFields,
) -> Result<(Tier, Vec<Rule>)> {
    let now = time::now();
    let zone = event.timezone;
    let required =
        |field: &str| Error::invalid(field, format!("{field} is required for a new tier"));
    let name = match (&f.name, base) {
        (Some(n), _) => check_line("name", n, MAX_NAME)?,
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

    let waitlist_hold = match (&f.waitlist_hold, base) {
        (Some(h), _) => time::parse_duration("waitlist_hold", h)?,
        (None, Some(b)) => b.waitlist_hold,
        (None, None) => DEFAULT_WAITLIST_HOLD,
    };

    let mut broken = Vec::new();
    if min_purchase > max_purchase {
        broken.push(Rule::MinAboveMax {
            min: min_purchase,
            max: max_purchase,
        });
    }
    if max_purchase > quantity {
        broken.push(Rule::MaxAboveQuantity {
            max: max_purchase,
            quantity,
            quantity_alone: f.max_purchase.is_none() && f.quantity.is_some(),
        });
    }
    if let (Some(start), Some(end)) = (sale_start, sale_end)
        && end <= start
    {
        broken.push(Rule::SaleEndsBeforeStart {
            start: zone.human(start),
            end: zone.human(end),
        });
    }
    // Sales happen before the event is over: with an end, they close by it; without
    // one, they open before the start (selling on after the doors open is fine).
    let window_changed = f.sale_start.is_some() || f.sale_end.is_some() || base.is_none();
    if window_changed {
        let after = |field: &'static str, when: Timestamp, what: &'static str, at: Timestamp| {
            Rule::SaleWindowAfterEvent {
                field,
                when: zone.human(when),
                what,
                event_time: zone.human(at),
                verb: if field == "sale_start" {
                    "open"
                } else {
                    "close"
                },
            }
        };
        match event.ends_at {
            Some(end_of_event) => {
                if let Some(s) = sale_start.filter(|s| *s >= end_of_event) {
                    broken.push(after("sale_start", s, "end", end_of_event));
                }
                if let Some(e) = sale_end.filter(|e| *e > end_of_event) {
                    broken.push(after("sale_end", e, "end", end_of_event));
                }
            }
            None => {
                if let Some(s) = sale_start.filter(|s| *s >= event.starts_at) {
                    broken.push(after("sale_start", s, "start", event.starts_at));
                }
            }
        }
    }
    Ok((
        Tier {
            id: base.map_or(0, |b| b.id),
            event_id: event.id,
            name,
            description,
            price_minor,
            currency: event.currency,
            zone: event.timezone,
            quantity,
            sold: base.map_or(0, |b| b.sold),
            held: base.map_or(0, |b| b.held),
            waitlist_hold,
            waiting: base.map_or(0, |b| b.waiting),
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
        },
        broken,
    ))
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
    /// Seats held for offers to the waitlist (only when some are).
    #[serde(skip_serializing_if = "is_zero")]
    pub held: i64,
    /// No seat left.
    pub is_sold_out: bool,
    /// Active, the event published, and now inside the sale window.
    pub is_on_sale: bool,
    /// On sale and at least one order's worth of seats left.
    pub can_purchase: bool,
    /// Why (not), in a buyer's words.
    pub message: String,
}

/// What a tier's waitlist takes, in words: `2 held for the waitlist, 3 waiting`.
fn waitlist_words(tier: &Tier) -> String {
    let mut parts = Vec::new();
    if tier.held > 0 {
        parts.push(format!("{} held for the waitlist", tier.held));
    }
    if tier.waiting > 0 {
        parts.push(format!(
            "{} waiting",
            crate::domain::text::count(tier.waiting, "person", "people")
        ));
    }
    parts.join(", ")
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
        EventStatus::Published if is_sold_out && (tier.held > 0 || tier.waiting > 0) => {
            format!("Sold out ({})", waitlist_words(tier))
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
    let message = if tier.held > 0 && !message.contains("waitlist") && is_on_sale {
        format!("{message} ({})", waitlist_words(tier))
    } else {
        message
    };
    Availability {
        tier_id: tier.id,
        tier_name: tier.name.clone(),
        price: tier.price(),
        currency: tier.currency,
        available,
        sold: tier.sold,
        quantity: tier.quantity,
        held: tier.held,
        is_sold_out,
        is_on_sale,
        can_purchase,
        message,
    }
}
