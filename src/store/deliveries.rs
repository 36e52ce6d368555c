//! The deliveries table: what `ticket send` last prepared for each recipient.

use std::collections::HashMap;

use super::Tx;
use super::sql::args;
use crate::domain::time::Timestamp;
use crate::error::Result;

/// What was last prepared for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The e-mail it went to.
    pub recipient: String,
    /// The codes it carried (`uuid:version`, sorted, comma-separated); empty after a notice.
    pub codes: String,
    /// How many messages this recipient got for it.
    pub version: i64,
}

/// Every delivery of an event, by key.
pub fn of_event(conn: &Tx<'_>, event_id: i64) -> Result<HashMap<String, Delivery>> {
    let rows = conn.all(
        "SELECT key, recipient, codes, version FROM deliveries WHERE event_id = ?1",
        args![event_id],
        |r| {
            Ok((
                r.get::<String>(0)?,
                Delivery {
                    recipient: r.get(1)?,
                    codes: r.get(2)?,
                    version: r.get(3)?,
                },
            ))
        },
    )?;
    Ok(rows.into_iter().collect())
}

/// Records a prepared message (a new key, or the next version of one).
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &Tx<'_>,
    key: &str,
    event_id: i64,
    recipient: &str,
    codes: &str,
    version: i64,
    file: &str,
    now: Timestamp,
) -> Result<()> {
    conn.exec(
        "INSERT INTO deliveries (key, event_id, recipient, codes, version, file, prepared_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (key) DO UPDATE SET recipient = excluded.recipient, codes = excluded.codes,
             version = excluded.version, file = excluded.file, prepared_at = excluded.prepared_at",
        args![key, event_id, recipient, codes, version, file, now],
    )?;
    Ok(())
}
