//! Offline gate files (their own SQLite schema, `gate_migrations/`), and the main
//! database's side of exporting and merging them.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::Tx;
use super::sql::{Raw, Row, args};
use crate::domain::event::EventStatus;
use crate::domain::sale::TicketStatus;
use crate::domain::time::{Timestamp, Zone};
use crate::error::Result;

/// An open gate file: always SQLite, whatever engine the main database runs on, since
/// it is one file carried to a gate with no network.
pub struct GateDb {
    conn: Connection,
    read_only: bool,
}

impl GateDb {
    /// Creates a new, empty gate file at `path` (a fresh temporary name): one portable
    /// file with a rollback journal rather than WAL's two extra files, synced on every
    /// commit. Its schema is written by the first [`GateDb::write`] calling [`migrate`].
    pub fn create(path: &Path) -> Result<GateDb> {
        let conn = Connection::open(path)?;
        super::prepare_connection(&conn)?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(GateDb {
            conn,
            read_only: false,
        })
    }

    /// Opens an existing gate file for validating or merging, waiting at most `busy` for
    /// another process's lock on it. A file left with a hot journal by a crash is rolled
    /// back to its last committed scan first (SQLite does this on a read-write open); a
    /// file of an older tix is brought up to date, one of a newer tix refused
    /// ([`Error::NewerDatabase`]) untouched. A current file on a read-only medium opens
    /// for reading only.
    pub fn open(path: &Path, busy: Duration) -> Result<GateDb> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        conn.busy_timeout(busy)?;
        super::prepare_connection(&conn)?;
        let read_only = conn.is_readonly(rusqlite::MAIN_DB)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let mut db = GateDb { conn, read_only };
        if read_only && version == super::GATE_VERSION {
            return Ok(db);
        }
        db.conn.pragma_update(None, "synchronous", "FULL")?;
        db.write(|tx| migrate(tx, path))?;
        Ok(db)
    }

    /// Whether the file could only be opened for reading.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction of the file, committed (and synced)
    /// if it succeeds; on an error nothing of it is kept.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&Tx::sqlite(&tx))?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs read-only `f` on one consistent snapshot of the file.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.unchecked_transaction()?;
        let value = f(&Tx::sqlite(&tx))?;
        tx.finish()?;
        Ok(value)
    }

    /// Closes the file, reporting a failure to finish writing it.
    pub fn close(self) -> Result<()> {
        self.conn.close().map_err(|(_, e)| e.into())
    }
}

/// Brings a gate file's schema to [`super::GATE_VERSION`] inside the caller's
/// transaction; a file from a newer tix is refused untouched.
pub fn migrate(tx: &Tx<'_>, path: &Path) -> Result<()> {
    super::migrate_gate(tx.c()?, path)
}

/// One scan row of a gate file as stored, read leniently: a column that does not hold
/// the type it should (the file may have been edited) reads as `None`.
#[derive(Debug, Default)]
pub struct RawScan {
    /// `scans.scan_uuid`.
    pub scan_uuid: Option<String>,
    /// `scans.ticket_uuid`.
    pub ticket_uuid: Option<String>,
    /// `scans.secret_version`.
    pub secret_version: Option<i64>,
    /// `scans.scanned_at`.
    pub scanned_at: Option<i64>,
    /// `scans.gate`.
    pub gate: Option<String>,
    /// `scans.device`.
    pub device: Option<String>,
    /// `scans.reason`.
    pub reason: Option<String>,
    /// `scans.dry_run`.
    pub dry_run: Option<i64>,
    /// `scans.method`.
    pub method: Option<String>,
    /// `scans.code`.
    pub code: Option<String>,
}

/// The `gate` row of a gate file: what it admits to and how it verifies codes.
pub struct Header<'a> {
    /// The event.
    pub event_id: i64,
    /// Its title.
    pub event_title: &'a str,
    /// Its status at export.
    pub event_status: EventStatus,
    /// Its time zone.
    pub zone: Zone,
    /// Its public key.
    pub verify_key: &'a [u8],
    /// When the file was made.
    pub exported_at: Timestamp,
    /// The file's id.
    pub file_id: &'a str,
    /// The salt of its e-mail hashes.
    pub email_salt: &'a [u8],
}

/// Writes a new gate file's header.
pub fn write_header(gate: &Tx<'_>, h: &Header<'_>) -> Result<()> {
    gate.exec("INSERT INTO gate (id, event_id, event_title, event_status, timezone, verify_key, exported_at, file_id, email_salt)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", args![
            h.event_id,
            h.event_title,
            h.event_status,
            h.zone,
            h.verify_key,
            h.exported_at,
            h.file_id,
            h.email_salt,
        ])?;
    Ok(())
}

/// Copies an event's tiers (id, name, whether orders need approval) into a gate file.
pub fn copy_tiers(main: &Tx<'_>, gate: &Tx<'_>, event_id: i64) -> Result<()> {
    main.each(
        "SELECT id, name, requires_approval FROM tiers WHERE event_id = ?1",
        args![event_id],
        |r| {
            gate.exec(
                "INSERT INTO gate_tiers (id, name, requires_approval) VALUES (?1, ?2, ?3)",
                args![r.get::<i64>(0)?, r.get::<String>(1)?, r.get::<bool>(2)?],
            )?;
            Ok(())
        },
    )
}

/// Copies an event's tickets into a gate file: what the gate decides on, the door list's
/// names, and e-mail addresses only as `hash` makes them.
pub fn copy_tickets(
    main: &Tx<'_>,
    gate: &Tx<'_>,
    event_id: i64,
    hash: &dyn Fn(&str) -> Vec<u8>,
) -> Result<()> {
    main.each(
        "SELECT t.uuid, t.id, t.tier_id, t.secret_version, t.status, o.status != 'pending_approval',
                t.attendee_name, t.checked_in_at, t.checked_in_gate, u.name, u.email, t.attendee_email
         FROM tickets t JOIN orders o ON o.id = t.order_id JOIN users u ON u.id = t.owner_id
         WHERE t.event_id = ?1",
        args![event_id],
        |r| {
            let attendee_email: Option<String> = r.get(11)?;
            gate.exec(
                "INSERT INTO gate_tickets (uuid, ticket_id, tier_id, secret_version, status, approved, attendee_name,
                                           checked_in_at, checked_in_gate, holder_name, holder_email_hash,
                                           attendee_email_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                args![
                    r.get::<String>(0)?,
                    r.get::<i64>(1)?,
                    r.get::<i64>(2)?,
                    r.get::<i64>(3)?,
                    r.get::<String>(4)?,
                    r.get::<bool>(5)?,
                    r.get::<Option<String>>(6)?,
                    r.get::<Option<i64>>(7)?,
                    r.get::<Option<String>>(8)?,
                    r.get::<String>(9)?,
                    hash(&r.get::<String>(10)?),
                    attendee_email.map(|e| hash(&e)),
                ],
            )?;
            Ok(())
        },
    )
}

/// Tickets in a gate file, and how many of them can still be admitted.
pub fn counts(gate: &Tx<'_>) -> Result<(i64, i64)> {
    gate.one(
        "SELECT count(*), count(*) FILTER (WHERE status = 'valid' AND approved) FROM gate_tickets",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// The main database remembers an export: the file's id, event, time, exporter, salt.
pub fn record_export(
    main: &Tx<'_>,
    file_id: &str,
    event_id: i64,
    exported_at: Timestamp,
    exported_by: Option<&str>,
    salt: &[u8],
    audit_mark: i64,
) -> Result<()> {
    main.exec(
        "INSERT INTO gate_exports (file_id, event_id, exported_at, exported_by, salt, audit_mark)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            file_id,
            event_id,
            exported_at,
            exported_by,
            salt,
            audit_mark
        ],
    )?;
    Ok(())
}

/// When the main database exported the file with this id, time and salt for this event
/// (all must match), and the audit mark of its snapshot, if it did.
pub fn export_record(
    main: &Tx<'_>,
    file_id: &str,
    event_id: i64,
    exported_at: Timestamp,
    salt: &[u8],
) -> Result<Option<(Timestamp, i64)>> {
    main.opt(
        "SELECT exported_at, audit_mark FROM gate_exports
             WHERE file_id = ?1 AND event_id = ?2 AND exported_at = ?3 AND salt = ?4",
        args![file_id, event_id, exported_at, salt],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// A gate file's header as stored: event id, title, status, key, export time, time
/// zone, e-mail salt (absent in files of schema 1), file id.
pub type StoredHeader = (
    i64,
    String,
    String,
    Vec<u8>,
    i64,
    String,
    Option<Vec<u8>>,
    String,
);

/// Reads a gate file's header.
pub fn read_header(gate: &Tx<'_>) -> Result<StoredHeader> {
    gate.one("SELECT event_id, event_title, event_status, verify_key, exported_at, timezone, email_salt, file_id
         FROM gate WHERE id = 1", &[], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
}

/// How a gate file's ticket is looked up.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// By the main database's ticket id.
    TicketId(i64),
    /// By UUID.
    Uuid(&'a str),
}

/// A ticket as a gate file knows it.
pub struct GateTicket {
    /// The main database's id (absent for one sold after the export).
    pub ticket_id: Option<i64>,
    /// Its UUID.
    pub uuid: String,
    /// Its tier's name.
    pub tier_name: Option<String>,
    /// The attendee.
    pub attendee_name: Option<String>,
    /// The holder.
    pub holder_name: Option<String>,
    /// Its status in the file.
    pub status: TicketStatus,
    /// Whether its order was approved at export.
    pub approved: bool,
    /// The newest code version the file knows.
    pub secret_version: i64,
    /// First admission with this file.
    pub checked_in_at: Option<Timestamp>,
    /// Its gate.
    pub checked_in_gate: Option<String>,
}

const GATE_TICKET: &str =
    "SELECT g.ticket_id, g.uuid, t.name, g.attendee_name, g.holder_name, g.status,
        g.approved, g.secret_version, g.checked_in_at, g.checked_in_gate
 FROM gate_tickets g LEFT JOIN gate_tiers t ON t.id = g.tier_id";

fn gate_ticket(r: &Row<'_>) -> Result<GateTicket> {
    let status: String = r.get(5)?;
    Ok(GateTicket {
        ticket_id: r.get(0)?,
        uuid: r.get(1)?,
        tier_name: r.get(2)?,
        attendee_name: r.get(3)?,
        holder_name: r.get(4)?,
        // A status the file should not hold admits nobody.
        status: TicketStatus::parse(&status).unwrap_or(TicketStatus::Cancelled),
        approved: r.get(6)?,
        secret_version: r.get(7)?,
        checked_in_at: r.get(8)?,
        checked_in_gate: r.get(9)?,
    })
}

/// A ticket of a gate file, if it has it.
pub fn ticket(gate: &Tx<'_>, key: Key<'_>) -> Result<Option<GateTicket>> {
    Ok(match key {
        Key::TicketId(id) => gate.opt(
            &format!("{GATE_TICKET} WHERE g.ticket_id = ?1"),
            args![id],
            gate_ticket,
        )?,
        Key::Uuid(uuid) => gate.opt(
            &format!("{GATE_TICKET} WHERE g.uuid = ?1"),
            args![uuid],
            gate_ticket,
        )?,
    })
}

/// A tier of a gate file: its name and whether its orders need approval.
pub fn tier(gate: &Tx<'_>, tier_id: i64) -> Result<Option<(String, bool)>> {
    gate.opt(
        "SELECT name, requires_approval FROM gate_tiers WHERE id = ?1",
        args![tier_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Remembers a correctly signed ticket sold after the export, so it gets in only once.
pub fn remember_sold_after_export(
    gate: &Tx<'_>,
    uuid: &str,
    tier_id: i64,
    secret_version: i64,
) -> Result<()> {
    gate.exec("INSERT INTO gate_tickets (uuid, tier_id, secret_version, status, approved, sold_after_export)
         VALUES (?1, ?2, ?3, 'valid', 1, 1)", args![uuid, tier_id, secret_version])?;
    Ok(())
}

/// Raises the code version a gate file knows for a ticket (a newer code was scanned).
pub fn set_version(gate: &Tx<'_>, uuid: &str, version: i64) -> Result<()> {
    gate.exec(
        "UPDATE gate_tickets SET secret_version = ?2 WHERE uuid = ?1",
        args![uuid, version],
    )?;
    Ok(())
}

/// Marks a ticket admitted in a gate file.
pub fn admit(gate: &Tx<'_>, uuid: &str, now: Timestamp, at_gate: Option<&str>) -> Result<()> {
    gate.exec("UPDATE gate_tickets SET status = 'used', checked_in_at = ?2, checked_in_gate = ?3 WHERE uuid = ?1", args![uuid, now, at_gate])?;
    Ok(())
}

/// The door list of a gate file: a ticket id, part of a UUID (a LIKE pattern, only if
/// longer than 9 characters), a case-folded LIKE pattern over names, or an e-mail hash.
pub fn door_list(
    gate: &Tx<'_>,
    id: i64,
    pattern: &str,
    email_hash: &[u8],
    uuid_part: &str,
    limit: usize,
) -> Result<Vec<GateTicket>> {
    gate.all(&format!(
        "{GATE_TICKET}
         WHERE g.ticket_id = ?1 OR (length(CAST(?4 AS TEXT)) > 9 AND g.uuid LIKE ?4)
            OR tix_fold(g.attendee_name) LIKE ?2 ESCAPE '\\' OR tix_fold(g.holder_name) LIKE ?2 ESCAPE '\\'
            OR g.holder_email_hash = ?3 OR g.attendee_email_hash = ?3
         ORDER BY g.ticket_id LIMIT {limit}"
    ), args![id, pattern, email_hash, uuid_part], gate_ticket)
}

/// Every scan of a gate file as stored, column by column, whatever their types (a file
/// may have been edited): scan_uuid, ticket_uuid, secret_version, scanned_at, gate,
/// device, reason, dry_run, method, code.
pub fn raw_scans(gate: &Tx<'_>) -> Result<Vec<RawScan>> {
    gate.all(
        "SELECT scan_uuid, ticket_uuid, secret_version, scanned_at, gate, device, reason, dry_run, method, code
         FROM scans ORDER BY id",
        &[],
        |r| {
            let text = |i: usize| match r.raw(i) {
                Raw::Text(s) => Some(s),
                _ => None,
            };
            let int = |i: usize| match r.raw(i) {
                Raw::Int(n) => Some(n),
                _ => None,
            };
            Ok(RawScan {
                scan_uuid: text(0),
                ticket_uuid: text(1),
                secret_version: int(2),
                scanned_at: int(3),
                gate: text(4),
                device: text(5),
                reason: text(6),
                dry_run: int(7),
                method: text(8),
                code: text(9),
            })
        },
    )
}

/// A ticket's check-in state in the main database.
pub struct MainTicket {
    /// Its id.
    pub id: i64,
    /// Its status, as stored.
    pub status: String,
    /// Its current code version.
    pub version: i64,
    /// First admission.
    pub first_at: Option<Timestamp>,
    /// Its gate.
    pub first_gate: Option<String>,
    /// Its order's status, as stored.
    pub order_status: String,
    /// Its tier.
    pub tier_id: i64,
    /// Its code's stored signature (base64), if it has been signed.
    pub signature: Option<String>,
}

/// The main database's ticket of this event with this UUID, if any.
pub fn main_ticket(main: &Tx<'_>, uuid: &str, event_id: i64) -> Result<Option<MainTicket>> {
    main.opt(
            "SELECT t.id, t.status, t.secret_version, t.checked_in_at, t.checked_in_gate, o.status,
                    t.tier_id, t.signature
             FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.uuid = ?1 AND t.event_id = ?2",
        args![uuid, event_id], |r| {
            Ok(MainTicket {
                id: r.get(0)?,
                status: r.get(1)?,
                version: r.get(2)?,
                first_at: r.get(3)?,
                first_gate: r.get(4)?,
                order_status: r.get(5)?,
                tier_id: r.get(6)?,
                signature: r.get(7)?,
            })
        })
}

/// A scan as an earlier merge logged it in the main database.
pub struct LoggedScan {
    /// Its event.
    pub event_id: Option<i64>,
    /// Its ticket.
    pub ticket_uuid: Option<String>,
    /// How the ticket was presented.
    pub method: String,
    /// The conflict found then.
    pub conflict: Option<String>,
}

/// The scan logged under this id, if any.
pub fn logged_scan(main: &Tx<'_>, scan_uuid: &str) -> Result<Option<LoggedScan>> {
    main.opt(
        "SELECT event_id, ticket_uuid, method, conflict FROM scans WHERE scan_uuid = ?1",
        args![scan_uuid],
        |r| {
            Ok(LoggedScan {
                event_id: r.get(0)?,
                ticket_uuid: r.get(1)?,
                method: r.get(2)?,
                conflict: r.get(3)?,
            })
        },
    )
}

/// Sets the conflict of a logged scan.
pub fn set_conflict(main: &Tx<'_>, scan_uuid: &str, conflict: Option<&str>) -> Result<()> {
    main.exec(
        "UPDATE scans SET conflict = ?2 WHERE scan_uuid = ?1",
        args![scan_uuid, conflict],
    )?;
    Ok(())
}

/// Sets the first admission of a ticket already used (the earlier of two).
pub fn set_first_admission(
    main: &Tx<'_>,
    ticket_id: i64,
    at: Timestamp,
    gate: Option<&str>,
) -> Result<()> {
    main.exec(
        "UPDATE tickets SET checked_in_at = ?2, checked_in_gate = ?3 WHERE id = ?1",
        args![ticket_id, at, gate],
    )?;
    Ok(())
}

/// Checks a ticket in with an offline admission's time and gate.
pub fn admit_merged(
    main: &Tx<'_>,
    ticket_id: i64,
    at: Timestamp,
    gate: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    main.exec("UPDATE tickets SET status = 'used', checked_in_at = ?2, checked_in_gate = ?3, updated_at = ?4
         WHERE id = ?1 AND status IN ('valid', 'used')", args![ticket_id, at, gate, now])?;
    Ok(())
}
