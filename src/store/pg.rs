//! The PostgreSQL engine: connecting (a `postgres://` URL, TLS for remote servers),
//! refusing databases that are not tix's or are newer, numbered migrations of its own
//! (`pg_migrations/`), and transactions that the server may abort and tix runs again.
//!
//! Every write runs at `SERIALIZABLE`. The decisive steps are still the database's own
//! (a conditional UPDATE that says whether it won, a unique index), so the isolation
//! level is a second guard: a read-modify-write whose reads another transaction changed
//! (a tier's quantity checked against seats sold while a sale commits) is aborted by the
//! server with SQLSTATE 40001, and run again from its start here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use postgres::error::SqlState;

use super::sql::{Engine, PgConn};
use super::{OpenMode, Store, Tx};
use crate::error::{Error, NotDb, Result};

/// The migrations of a PostgreSQL database, in order; migration `i` brings the schema
/// to version `i + 1`. Released migrations are never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("pg_migrations/0001_schema.sql"),
    include_str!("pg_migrations/0002_payments_and_notes.sql"),
    include_str!("pg_migrations/0003_deliveries.sql"),
    include_str!("pg_migrations/0004_waitlist.sql"),
    include_str!("pg_migrations/0005_ticket_signatures.sql"),
];

/// The newest PostgreSQL schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The value of `tix_meta.application`: a tix database.
const APPLICATION: &str = "tix";

/// The advisory lock key under which databases are migrated (the bytes `TIX1`).
const MIGRATION_LOCK: i64 = 0x5449_5831;

/// How often a transaction the server aborted (serialization failure, deadlock) is
/// run again before the command gives up.
const MAX_ATTEMPTS: u32 = 64;

/// The URL in a `--db` argument, if it names a PostgreSQL database.
pub fn url_of(path: &Path) -> Option<&str> {
    let text = path.to_str()?;
    (text.starts_with("postgres://") || text.starts_with("postgresql://")).then_some(text)
}

/// The URL as shown in messages: without its password, whether in the user part
/// (`user:secret@`) or an option (`?password=secret`).
pub fn shown(url: &str) -> String {
    let url = shown_userinfo(url);
    match url.split_once('?') {
        Some((base, query)) => {
            let options: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{base}?{}", options.join("&"))
        }
        None => url,
    }
}

fn shown_userinfo(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Opens the PostgreSQL database at `url`; with [`OpenMode::CreateIfMissing`] an empty
/// database is migrated (a database itself is made with `createdb`, not by tix).
pub(super) fn open(url: &str, mode: OpenMode, busy: Duration) -> Result<Store> {
    let path = PathBuf::from(shown(url));
    let client = connect(url, &path)?;
    let pg = PgConn::new(client);
    session_settings(&pg, busy).map_err(|e| super::refine(e, &path, busy))?;
    let mut store = Store {
        db: super::Db::Pg(Box::new(pg)),
        path: path.clone(),
        created: false,
        read_only: false,
        busy,
    };
    let state = store
        .read(identity)
        .map_err(|e| super::refine(e, &path, busy))?;
    match state {
        Identity::Tix(version) if version > SCHEMA_VERSION => {
            return Err(Error::NewerDatabase {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        Identity::Tix(version) if version == SCHEMA_VERSION => return Ok(store),
        Identity::Tix(_) => {}
        Identity::Damaged(why) => {
            return Err(Error::NotADatabase {
                path,
                why: NotDb::DamagedPostgres { what: why },
            });
        }
        Identity::Foreign => {
            return Err(Error::NotADatabase {
                path,
                why: NotDb::ForeignPostgres,
            });
        }
        Identity::Empty if mode == OpenMode::MustExist => return Err(Error::NoDatabase(path)),
        Identity::Empty => store.created = true,
    }
    // Under a session-level advisory lock taken before the transaction, so the
    // migration's snapshot already sees what another process migrated meanwhile.
    let Some(pg) = store.pg() else {
        return Err(Error::Corrupt("not a PostgreSQL store".into()));
    };
    pg.client
        .borrow_mut()
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| super::refine(e.into(), &path, busy))?;
    let migrated = store.write(|tx| migrate(tx, &path));
    if let Some(pg) = store.pg() {
        let _ = pg
            .client
            .borrow_mut()
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    }
    store.created = migrated?;
    Ok(store)
}

fn connect(url: &str, path: &Path) -> Result<postgres::Client> {
    let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
        Error::invalid(
            "db",
            format!("{} is not a PostgreSQL URL: {e}", path.display()),
        )
    })?;
    if config.get_application_name().is_none() {
        config.application_name("tix");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    super::pg_tls::connect(&config).map_err(|e| match e {
        super::pg_tls::Failure::Postgres(e) => connect_error(e, path),
        super::pg_tls::Failure::Tls(why) => Error::Io {
            action: "connect to",
            path: path.into(),
            source: std::io::Error::other(why),
        },
    })
}

/// A failure to connect, said as what it is: a database that does not exist, a refused
/// password, a server that does not answer.
fn connect_error(e: postgres::Error, path: &Path) -> Error {
    match e.code() {
        Some(code) if *code == SqlState::INVALID_CATALOG_NAME => Error::NoDatabase(path.into()),
        Some(code)
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            Error::Io {
                action: "log in to",
                path: path.into(),
                source: std::io::Error::other(format!(
                    "the server refused the user or password ({})",
                    e.as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_string())
                )),
            }
        }
        _ => {
            // The client library's own text is terse ("error performing TLS
            // handshake"); the cause under it says what was wrong.
            let mut why = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                why = format!("{why}: {c}");
                cause = c.source();
            }
            let hint = if why.contains("certificate") {
                "the server's certificate did not verify against the trusted certificate authorities (SSL_CERT_FILE can name a PEM file of further ones)"
            } else {
                "is the PostgreSQL server running, and does the URL name it?"
            };
            Error::Io {
                action: "connect to",
                path: path.into(),
                source: std::io::Error::other(format!("{why}; {hint}")),
            }
        }
    }
}

/// Per-connection settings: how long to wait for another transaction's row lock (the
/// busy timeout), and UTC for anything the server itself formats.
fn session_settings(pg: &PgConn, busy: Duration) -> Result<()> {
    let ms = busy.as_millis().max(1);
    pg.client.borrow_mut().batch_execute(&format!(
        "SET lock_timeout = {ms}; SET TIME ZONE 'UTC'; SET client_min_messages = warning"
    ))?;
    Ok(())
}

enum Identity {
    /// No tables at all: a new database.
    Empty,
    /// A tix database at this schema version.
    Tix(i64),
    /// Tables of something else.
    Foreign,
    /// tix's, with a schema version that is no number.
    Damaged(String),
}

fn identity(tx: &Tx<'_>) -> Result<Identity> {
    let has_meta: bool = tx.value("SELECT to_regclass('tix_meta') IS NOT NULL", &[])?;
    if !has_meta {
        let tables: i64 = tx.value(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
            &[],
        )?;
        return Ok(if tables == 0 {
            Identity::Empty
        } else {
            Identity::Foreign
        });
    }
    let app: Option<String> = tx.opt(
        "SELECT value FROM tix_meta WHERE key = 'application'",
        &[],
        |r| r.get(0),
    )?;
    if app.as_deref() != Some(APPLICATION) {
        return Ok(Identity::Foreign);
    }
    let version: Option<String> = tx.opt(
        "SELECT value FROM tix_meta WHERE key = 'schema_version'",
        &[],
        |r| r.get(0),
    )?;
    match version.as_deref().map(str::parse::<i64>) {
        Some(Ok(v)) if v >= 1 => Ok(Identity::Tix(v)),
        _ => Ok(Identity::Damaged(format!(
            "its tix_meta schema_version is {version:?}, not a version number"
        ))),
    }
}

/// The schema version of an open database.
pub(super) fn schema_version(pg: &PgConn) -> Result<i64> {
    match read(pg, identity)? {
        Identity::Tix(v) => Ok(v),
        _ => Ok(0),
    }
}

/// Brings the schema up to date under an advisory lock, so processes opening a new
/// database at once migrate it once; true if the database was empty.
fn migrate(tx: &Tx<'_>, path: &Path) -> Result<bool> {
    let (current, created) = match identity(tx)? {
        Identity::Empty => (0, true),
        Identity::Tix(v) => (v, false),
        Identity::Damaged(why) => {
            return Err(Error::NotADatabase {
                path: path.into(),
                why: NotDb::DamagedPostgres { what: why },
            });
        }
        Identity::Foreign => {
            return Err(Error::NotADatabase {
                path: path.into(),
                why: NotDb::ForeignPostgres,
            });
        }
    };
    if current > SCHEMA_VERSION {
        return Err(Error::NewerDatabase {
            path: path.into(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    let Engine::Pg(pg) = tx.engine else {
        return Err(Error::Corrupt("not a PostgreSQL transaction".into()));
    };
    for sql in MIGRATIONS.iter().skip(current.max(0) as usize) {
        pg.client.borrow_mut().batch_execute(sql)?;
    }
    tx.exec(
        "INSERT INTO tix_meta (key, value) VALUES ('application', ?1), ('schema_version', ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        super::sql::args![APPLICATION, SCHEMA_VERSION.to_string()],
    )?;
    Ok(created)
}

/// What becomes of a write transaction's changes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Kept.
    Commit,
    /// Thrown away (a dry run).
    RollBack,
}

/// Runs `f` in a `SERIALIZABLE` transaction, again from the start when the server
/// aborts it as a serialization failure or deadlock.
pub(super) fn write<T>(
    pg: &PgConn,
    busy: Duration,
    mode: Mode,
    f: &mut dyn FnMut(&Tx<'_>) -> Result<T>,
) -> Result<T> {
    let started = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write_once(pg, mode, f) {
            Err(e) if is_retryable(&e) && attempt < MAX_ATTEMPTS && started.elapsed() < busy => {
                // Back off a little, more each time, so racing processes spread out.
                let pause = 1u64 << attempt.min(6);
                std::thread::sleep(Duration::from_millis(pause + u64::from(attempt % 7)));
            }
            other => return other,
        }
    }
}

/// Runs `f` in one `SERIALIZABLE` transaction, once: `None` (nothing kept) if the server
/// aborts it as a serialization failure or deadlock.
pub(super) fn write_or_yield<T>(
    pg: &PgConn,
    f: &mut dyn FnMut(&Tx<'_>) -> Result<T>,
) -> Result<Option<T>> {
    match write_once(pg, Mode::Commit, f) {
        // Also when the server ran out of room for a large transaction's predicate locks:
        // smaller ones fit.
        Err(e)
            if is_retryable(&e) || sqlstate(&e).is_some_and(|c| c == SqlState::OUT_OF_MEMORY) =>
        {
            Ok(None)
        }
        other => other.map(Some),
    }
}

fn write_once<T>(pg: &PgConn, mode: Mode, f: &mut dyn FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
    transaction(pg, "BEGIN ISOLATION LEVEL SERIALIZABLE", mode, f)
}

/// Runs read-only `f` on one consistent snapshot.
pub(super) fn read<T>(pg: &PgConn, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
    transaction(
        pg,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        Mode::RollBack,
        f,
    )
}

/// Runs `f` between `begin` and a COMMIT (if `mode` keeps its changes and it
/// succeeded) or a ROLLBACK; `f`'s own error comes first.
fn transaction<T>(
    pg: &PgConn,
    begin: &str,
    mode: Mode,
    f: impl FnOnce(&Tx<'_>) -> Result<T>,
) -> Result<T> {
    pg.client.borrow_mut().batch_execute(begin)?;
    let outcome = f(&Tx {
        engine: Engine::Pg(pg),
    });
    let end = match (&outcome, mode) {
        (Ok(_), Mode::Commit) => "COMMIT",
        _ => "ROLLBACK",
    };
    let ended = pg.client.borrow_mut().batch_execute(end);
    let value = outcome?;
    ended?;
    Ok(value)
}

/// A PostgreSQL error, said with the server's own message (the client library's
/// `Display` says only "db error").
#[derive(Debug)]
pub(crate) struct PgError(pub(crate) postgres::Error);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => {
                write!(f, "{} (SQLSTATE {})", db.message(), db.code().code())?;
                if let Some(detail) = db.detail() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            None => write!(f, "{}", self.0),
        }
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The SQLSTATE of a PostgreSQL error inside `e`, if it is one.
pub(super) fn sqlstate(e: &Error) -> Option<SqlState> {
    match e {
        Error::Database(inner) => inner
            .downcast_ref::<PgError>()
            .and_then(|p| p.0.code())
            .cloned(),
        // An import names the row a failure happened at; a retry is still a retry.
        Error::InRow { source, .. } | Error::Incomplete { source, .. } => sqlstate(source),
        _ => None,
    }
}

/// Whether the server aborted the transaction in a way that running it again fixes:
/// a serialization failure, a deadlock, or (under `SERIALIZABLE`, two inserts racing)
/// a unique index refusing the loser.
fn is_retryable(e: &Error) -> bool {
    sqlstate(e).is_some_and(|c| {
        c == SqlState::T_R_SERIALIZATION_FAILURE
            || c == SqlState::T_R_DEADLOCK_DETECTED
            || c == SqlState::UNIQUE_VIOLATION
    })
}

/// A PostgreSQL error a person can act on, as its own variant: busy (a lock held past
/// the busy timeout, or a transaction that kept losing races), read-only, disk full.
pub(super) fn refine(e: Error, path: &Path, busy: Duration) -> Error {
    let Some(code) = sqlstate(&e) else {
        return e;
    };
    if code == SqlState::LOCK_NOT_AVAILABLE
        || code == SqlState::QUERY_CANCELED
        || code == SqlState::T_R_SERIALIZATION_FAILURE
        || code == SqlState::T_R_DEADLOCK_DETECTED
    {
        Error::Busy {
            path: path.to_path_buf(),
            waited_ms: u64::try_from(busy.as_millis()).unwrap_or(u64::MAX),
        }
    } else if code == SqlState::READ_ONLY_SQL_TRANSACTION {
        Error::ReadOnly {
            path: path.to_path_buf(),
            detail:
                "the server accepts no writes (a standby, or a read-only user); nothing was done"
                    .into(),
        }
    } else if code == SqlState::DISK_FULL {
        Error::DiskFull {
            path: path.to_path_buf(),
        }
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_shown_without_their_password() {
        assert!(url_of(Path::new("postgres://u@h/db")).is_some());
        assert!(url_of(Path::new("postgresql://u@h/db")).is_some());
        assert!(url_of(Path::new("tix.db")).is_none());
        assert_eq!(
            shown("postgres://ann:s3cret@db.example/tix?sslmode=require"),
            "postgres://ann:***@db.example/tix?sslmode=require"
        );
        assert_eq!(shown("postgres://ann@db/tix"), "postgres://ann@db/tix");
        assert_eq!(
            shown("postgres://ann@db/tix?host=/s&password=hush&port=5"),
            "postgres://ann@db/tix?host=/s&password=***&port=5"
        );
    }
}
