//! Row ↔ type conversions, in one place: each domain type stored as text (statuses,
//! roles, currencies, time zones, check-in reasons and methods) reads and writes itself
//! here, so a table file binds and reads them like any integer. A stored value tix
//! cannot read back is a conversion error naming its column, never a silent default.

use rusqlite::types::ValueRef;

use super::sql::{Bind, Column, Value};
use crate::domain::event::EventStatus;
use crate::domain::gate::{Method, Reason};
use crate::domain::money::Currency;
use crate::domain::people::Role;
use crate::domain::sale::{OrderStatus, TicketStatus};
use crate::domain::time::Zone;
use crate::domain::waitlist::Status as WaitStatus;

macro_rules! named {
    ($ty:ty, $what:literal, $to:expr, $from:expr) => {
        impl Bind for $ty {
            fn bind(&self) -> Value<'_> {
                Value::Text($to(self))
            }
        }

        impl Column for $ty {
            fn from_sqlite(v: ValueRef<'_>) -> Result<Option<Self>, String> {
                String::from_sqlite(v)?
                    .map(|t| $from(&t).map_err(|e| read_error(&t, $what, e)))
                    .transpose()
            }

            fn from_pg(row: &postgres::Row, i: usize) -> Result<Option<Self>, String> {
                String::from_pg(row, i)?
                    .map(|t| $from(&t).map_err(|e| read_error(&t, $what, e)))
                    .transpose()
            }
        }
    };
}

named!(
    EventStatus,
    "event status",
    |s: &EventStatus| s.as_str(),
    |t: &str| EventStatus::parse(t).map_err(Some)
);
named!(
    OrderStatus,
    "order status",
    |s: &OrderStatus| s.as_str(),
    |t: &str| OrderStatus::parse(t).map_err(Some)
);
named!(
    TicketStatus,
    "ticket status",
    |s: &TicketStatus| s.as_str(),
    |t: &str| TicketStatus::parse(t).map_err(Some)
);
named!(Role, "role", |r: &Role| r.as_str(), |t: &str| Role::parse(
    t
)
.map_err(Some));
named!(Currency, "currency", |c: &Currency| c.code(), |t: &str| {
    Currency::parse(t).map_err(Some)
});
named!(Zone, "time zone", |z: &Zone| z.name(), |t: &str| {
    Zone::parse(t).map_err(Some)
});
named!(
    Reason,
    "check-in reason",
    |r: &Reason| r.as_str(),
    |t: &str| Reason::parse(t).ok_or(None)
);
named!(
    WaitStatus,
    "waitlist status",
    |s: &WaitStatus| s.as_str(),
    |t: &str| WaitStatus::parse(t).map_err(Some)
);
named!(
    Method,
    "check-in method",
    |m: &Method| m.as_str(),
    |t: &str| Method::parse(t).ok_or(None)
);

/// A stored name tix cannot read back: what it is and, where the domain says more
/// (a currency or a time zone that does not exist), what it says.
fn read_error(text: &str, what: &str, why: Option<crate::error::Error>) -> String {
    match why {
        Some(e) => format!("stored {what} '{text}' cannot be read: {e}"),
        None => format!("stored {what} '{text}' is not one this tix knows"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{Engine, args};
    use rusqlite::Connection;

    fn round_trip<T: Bind + Column + PartialEq + std::fmt::Debug>(value: T) {
        let c = Connection::open_in_memory().unwrap();
        let back: T = Engine::Sqlite(&c).value("SELECT ?1", args![value]).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn every_stored_name_reads_back_as_itself() {
        for s in [
            EventStatus::Draft,
            EventStatus::Published,
            EventStatus::Cancelled,
            EventStatus::Completed,
        ] {
            round_trip(s);
        }
        for s in [
            TicketStatus::Valid,
            TicketStatus::Used,
            TicketStatus::Cancelled,
            TicketStatus::Refunded,
        ] {
            round_trip(s);
        }
        for r in [Role::User, Role::Promoter, Role::Staff, Role::Admin] {
            round_trip(r);
        }
        round_trip(Currency::EUR);
        round_trip(Zone::UTC);
        round_trip(Method::Manual);
        round_trip(Reason::AlreadyCheckedIn);
    }

    #[test]
    fn an_unknown_name_is_an_error_not_a_default() {
        let c = Connection::open_in_memory().unwrap();
        let r = Engine::Sqlite(&c).value::<Role>("SELECT 'overlord'", &[]);
        let e = r.unwrap_err().to_string();
        assert!(e.contains("stored role 'overlord' cannot be read"), "{e}");
        let r = Engine::Sqlite(&c).value::<TicketStatus>("SELECT 7", &[]);
        assert!(r.is_err());
    }
}
