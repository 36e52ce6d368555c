//! `tix demo`: a small, realistic data set to try tix on.

use chrono::{Duration, Utc};
use serde::Serialize;

use crate::access::Role;
use crate::codes::EventKeys;
use crate::error::{Result, Rule};
use crate::money::Currency;
use crate::ops::events::{self, Event, EventStatus};
use crate::ops::tiers::{self, Tier, TierFields};
use crate::ops::users::{self, User};
use crate::store::{self, Store, Tx};
use crate::time::{self, Zone};

/// The demo admin's email.
pub const ADMIN_EMAIL: &str = "admin@demo.tix";
/// The demo promoter's email.
pub const PROMOTER_EMAIL: &str = "promoter@demo.tix";
/// The demo buyer's email.
pub const BUYER_EMAIL: &str = "fan@demo.tix";
const FESTIVAL_TITLE: &str = "Northern Lights Festival";
const DRAFT_TITLE: &str = "Winter Warehouse Night";

/// What `tix demo` made (or found from an earlier run).
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The database file.
    pub database: String,
    /// True if the demo data was already there and nothing was added.
    pub already_present: bool,
    /// The demo admin.
    pub admin: User,
    /// The verified demo promoter who owns both events.
    pub promoter: User,
    /// A plain user to buy tickets as.
    pub buyer: User,
    /// The published festival.
    pub festival: Event,
    /// Its tiers: Early Bird (sales over), General Admission, VIP (approval, max 4).
    pub tiers: Vec<Tier>,
    /// Whether and how each of those tiers can be bought now, in the same order.
    pub availability: Vec<crate::ops::tiers::Availability>,
    /// A draft event still being set up.
    pub draft_event: Event,
    /// Its tiers.
    pub draft_tiers: Vec<Tier>,
}

/// Fills the database with the demo data set, once: a second run finds it and adds nothing.
pub fn run(store: &mut Store) -> Result<DemoReport> {
    let database = store.path().display().to_string();
    store.write(|tx| {
        // The demo fills a database of its own: it never adds an admin, a promoter and a
        // published event to someone's real data (it runs without any --as).
        let others = crate::store::users::all(tx)?
            .into_iter()
            .filter(|u| ![ADMIN_EMAIL, PROMOTER_EMAIL, BUYER_EMAIL].contains(&u.email.as_str()))
            .count();
        if others > 0 {
            return Err(Rule::DemoNeedsNewDatabase {
                others: others as i64,
            }
            .into());
        }
        let admin = ensure_user(tx, ADMIN_EMAIL, "Ada Admin", Role::Admin)?;
        let promoter = ensure_user(tx, PROMOTER_EMAIL, "Pia Promoter", Role::Promoter)?;
        let promoter = users::verify_in(tx, &promoter.email)?;
        let buyer = ensure_user(tx, BUYER_EMAIL, "Finn Fan", Role::User)?;
        let existing = |title: &str| -> Result<Option<Event>> {
            let id = crate::store::events::first_of_owner_titled(tx, promoter.id, title)?;
            id.map(|id| events::get(tx, id)).transpose()
        };
        let (already_present, festival, draft_event) =
            match (existing(FESTIVAL_TITLE)?, existing(DRAFT_TITLE)?) {
                (Some(festival), Some(draft)) => (true, festival, draft),
                _ => {
                    let (festival, draft) = create_events(tx, &promoter)?;
                    crate::ops::audit::record(
                        tx,
                        &crate::Actor::public(),
                        "demo.create",
                        crate::ops::audit::Subject {
                            object_type: "event",
                            object_id: &festival.id.to_string(),
                            event_id: Some(festival.id),
                            ticket_id: None,
                        },
                        serde_json::json!({ "events": [festival.id, draft.id], "users": [ADMIN_EMAIL, PROMOTER_EMAIL, BUYER_EMAIL] }),
                    )?;
                    (false, festival, draft)
                }
            };
        let tiers = tiers_of(tx, festival.id)?;
        let now = crate::time::now();
        Ok(DemoReport {
            database: database.clone(),
            already_present,
            availability: tiers
                .iter()
                .map(|t| crate::ops::tiers::availability_at(t, &festival, now))
                .collect(),
            tiers,
            draft_tiers: tiers_of(tx, draft_event.id)?,
            admin,
            promoter,
            buyer,
            festival,
            draft_event,
        })
    })
}

/// Makes the published festival with its three tiers and the draft event with one.
fn create_events(tx: &Tx<'_>, promoter: &User) -> Result<(Event, Event)> {
    let zone = Zone::parse("Europe/Berlin")?;
    let now = Utc::now();
    let day = |offset: i64, hm: &str| {
        format!("{} {hm}", (now + Duration::days(offset)).format("%Y-%m-%d"))
    };
    let make_event = |title: &str, venue: &str, start: String, end: String| -> Result<Event> {
        events::insert(
            tx,
            promoter,
            title,
            zone.parse_time("starts_at", &start)?,
            Some(zone.parse_time("ends_at", &end)?),
            Some(venue),
            zone,
            Currency::EUR,
            &EventKeys::generate()?,
        )
    };
    let festival = make_event(
        FESTIVAL_TITLE,
        "Tempelhof Field, Berlin",
        day(120, "14:00"),
        day(122, "23:00"),
    )?;
    store::events::set_status(tx, festival.id, EventStatus::Published, time::now())?;
    let festival = events::get(tx, festival.id)?;
    let tier = |name: &str, price: &str, quantity: i64| TierFields {
        name: Some(name.into()),
        price: Some(price.into()),
        quantity: Some(quantity),
        ..TierFields::default()
    };
    tiers::create_in(
        tx,
        &festival,
        &TierFields {
            description: Some("The first 500 tickets, for the fastest fans.".into()),
            sale_start: Some(day(-60, "10:00")),
            sale_end: Some(day(-7, "10:00")),
            ..tier("Early Bird", "49.00", 500)
        },
    )?;
    tiers::create_in(
        tx,
        &festival,
        &TierFields {
            description: Some("Three days on all stages.".into()),
            sale_start: Some(day(-7, "10:00")),
            sale_end: Some(day(120, "12:00")),
            ..tier("General Admission", "89.50", 5000)
        },
    )?;
    tiers::create_in(
        tx,
        &festival,
        &TierFields {
            description: Some(
                "Lounge, fast lane and a festival shirt. Orders are approved by the promoter."
                    .into(),
            ),
            max_purchase: Some(4),
            requires_approval: Some(true),
            transferable: Some(false),
            ..tier("VIP Access", "199.99", 100)
        },
    )?;
    let draft_event = make_event(
        DRAFT_TITLE,
        "Halle 7, Leipzig",
        day(45, "22:00"),
        day(46, "06:00"),
    )?;
    tiers::create_in(tx, &draft_event, &tier("Night Ticket", "25", 800))?;
    Ok((festival, draft_event))
}

fn ensure_user(conn: &Tx<'_>, email: &str, name: &str, role: Role) -> Result<User> {
    match users::find(conn, email)? {
        Some(u) => Ok(u),
        None => users::create_in(conn, email, name, role),
    }
}

fn tiers_of(conn: &Tx<'_>, event_id: i64) -> Result<Vec<Tier>> {
    crate::store::tiers::of_event(conn, event_id, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_idempotent() {
        let mut s = Store::open_in_memory().unwrap();
        let first = run(&mut s).unwrap();
        assert!(!first.already_present);
        assert_eq!(first.tiers.len(), 3);
        let second = run(&mut s).unwrap();
        assert!(second.already_present);
        assert_eq!(second.festival.id, first.festival.id);
        let now = crate::time::now();
        let avail: Vec<bool> = first
            .tiers
            .iter()
            .map(|t| tiers::availability_at(t, &first.festival, now).can_purchase)
            .collect();
        assert_eq!(avail, vec![false, true, true]);
    }
}
