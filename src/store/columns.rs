//! Row ↔ type conversions, in one place: each domain type stored as text (statuses,
//! roles, currencies, time zones, check-in reasons and methods) reads and writes itself
//! here, so a table file binds and reads them like any integer. A stored value tix
//! cannot read back is a conversion error naming its column, never a silent default.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::event::EventStatus;
use crate::domain::gate::{Method, Reason};
use crate::domain::money::Currency;
use crate::domain::people::Role;
use crate::domain::sale::{OrderStatus, TicketStatus};
use crate::domain::time::Zone;

/// A value that is stored as its name: `as_text` writes it, `from_text` reads it back.
trait Named: Sized {
    fn as_text(&self) -> &'static str;
    fn from_text(text: &str) -> Option<Self>;
    const WHAT: &'static str;
}

macro_rules! named {
    ($ty:ty, $what:literal, $to:expr, $from:expr) => {
        impl Named for $ty {
            fn as_text(&self) -> &'static str {
                $to(self)
            }
            fn from_text(text: &str) -> Option<Self> {
                $from(text)
            }
            const WHAT: &'static str = $what;
        }

        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::Borrowed(ValueRef::Text(
                    self.as_text().as_bytes(),
                )))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                read(value)
            }
        }
    };
}

named!(
    EventStatus,
    "event status",
    |s: &EventStatus| s.as_str(),
    |t| EventStatus::parse(t).ok()
);
named!(
    OrderStatus,
    "order status",
    |s: &OrderStatus| s.as_str(),
    |t| OrderStatus::parse(t).ok()
);
named!(
    TicketStatus,
    "ticket status",
    |s: &TicketStatus| s.as_str(),
    |t| TicketStatus::parse(t).ok()
);
named!(Role, "role", |r: &Role| r.as_str(), |t| Role::parse(t).ok());
named!(Currency, "currency", |c: &Currency| c.code(), |t| {
    Currency::parse(t).ok()
});
named!(Zone, "time zone", |z: &Zone| z.name(), |t| Zone::parse(t)
    .ok());
named!(
    Reason,
    "check-in reason",
    |r: &Reason| r.as_str(),
    Reason::parse
);
named!(
    Method,
    "check-in method",
    |m: &Method| m.as_str(),
    Method::parse
);

fn read<T: Named>(value: ValueRef<'_>) -> FromSqlResult<T> {
    let text = value.as_str()?;
    T::from_text(text).ok_or_else(|| {
        FromSqlError::Other(format!("'{text}' is not a {} this tix knows", T::WHAT).into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn round_trip<T: ToSql + FromSql + PartialEq + std::fmt::Debug>(value: T) {
        let c = Connection::open_in_memory().unwrap();
        let back: T = c.query_row("SELECT ?1", [&value], |r| r.get(0)).unwrap();
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
        let r: rusqlite::Result<Role> = c.query_row("SELECT 'overlord'", [], |r| r.get(0));
        let e = r.unwrap_err().to_string();
        assert!(e.contains("'overlord' is not a role"), "{e}");
        let r: rusqlite::Result<TicketStatus> = c.query_row("SELECT 7", [], |r| r.get(0));
        assert!(r.is_err());
    }
}
