//! The SQLite store: opening a file with the right pragmas, refusing files that are not
//! ours or are newer than us, applying numbered migrations, and running work inside
//! transactions.
//!
//! One [`Store`] holds one connection for the life of the process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

pub mod audit;
mod columns;
pub mod copy;
pub mod deliveries;
pub mod events;
pub mod exports;
pub mod gate;
pub mod orders;
mod pg;
mod pg_tls;
pub mod scans;
pub mod sql;
pub mod tickets;
pub mod tiers;
pub mod users;
pub mod waitlist;

use crate::error::{Error, NotDb, Result};

/// `PRAGMA application_id` of a tix database: the bytes `TIX1`.
pub const APPLICATION_ID: i64 = 0x5449_5831;

/// The migrations, in order; migration `i` (0-based) brings the schema to version `i + 1`.
/// Released migrations are never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_orders_tickets_audit.sql"),
    include_str!("migrations/0003_checkin.sql"),
    include_str!("migrations/0004_scan_evidence.sql"),
    include_str!("migrations/0005_tier_name_key.sql"),
    include_str!("migrations/0006_gate_exports.sql"),
    include_str!("migrations/0007_payments_and_notes.sql"),
    include_str!("migrations/0008_deliveries.sql"),
    include_str!("migrations/0009_waitlist.sql"),
    include_str!("migrations/0010_ticket_signatures.sql"),
];

/// How tix folds a name for comparing it: trimmed and lower-cased by Unicode's rules.
/// The SQL function `tix_fold` is the same fold, for migrations and searches.
pub fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Sets up every connection tix opens: its own SQL functions (`tix_fold(text)`, see
/// [`fold`]), and plans that do not depend on the values bound to a statement. Without
/// that, SQLite plans a join of events and users again whenever a new id is bound, which
/// made re-planning most of the work of a gate's scan.
fn prepare_connection(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.create_scalar_function(
        "tix_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| fold(&s))),
    )?;
    Ok(())
}

/// `PRAGMA application_id` of an offline gate file: the bytes `TIXG`.
pub const GATE_APPLICATION_ID: i64 = 0x5449_5847;

/// The gate file's migrations, numbered like the main database's.
const GATE_MIGRATIONS: &[&str] = &[
    include_str!("gate_migrations/0001_gate.sql"),
    include_str!("gate_migrations/0002_door_list_and_evidence.sql"),
];

/// Schema version of gate files this build writes and reads.
pub const GATE_VERSION: i64 = GATE_MIGRATIONS.len() as i64;

/// Brings a gate file's schema to [`GATE_VERSION`] inside the caller's transaction; a
/// file from a newer tix is refused untouched.
fn migrate_gate(tx: &Connection, path: &Path) -> Result<()> {
    let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > GATE_VERSION {
        return Err(Error::NewerDatabase {
            path: path.to_path_buf(),
            found: current,
            supported: GATE_VERSION,
        });
    }
    for (i, sql) in GATE_MIGRATIONS
        .iter()
        .enumerate()
        .skip(current.max(0) as usize)
    {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    if current == 0 {
        tx.pragma_update(None, "application_id", GATE_APPLICATION_ID)?;
    }
    Ok(())
}

/// The `application_id` in a SQLite file's header, read as plain bytes: no SQLite
/// connection, so a file with a hot journal (a crash mid-write) is still recognised and
/// nothing is changed. `None` for a missing file or one that is not SQLite.
pub fn application_id(path: &Path) -> Option<i64> {
    use std::io::Read;
    let mut header = [0u8; 100];
    let mut f = std::fs::File::open(path).ok()?;
    f.read_exact(&mut header).ok()?;
    if &header[..16] != b"SQLite format 3\0" {
        return None;
    }
    Some(i64::from(i32::from_be_bytes([
        header[68], header[69], header[70], header[71],
    ])))
}

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a command waits for another process's write to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether opening may create a new database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file (and migrate it) if it does not exist.
    CreateIfMissing,
    /// Fail with [`Error::NoDatabase`] if the file does not exist.
    MustExist,
}

/// One open transaction (or read snapshot) on a tix database or a gate file: the handle
/// every store function takes, so the operations above never name the database engine.
/// A store function that writes is atomic with the other writes of the operation that
/// holds the handle; nothing of it is kept if that operation fails.
pub struct Tx<'a> {
    engine: sql::Engine<'a>,
}

impl<'a> Tx<'a> {
    fn sqlite(conn: &'a Connection) -> Tx<'a> {
        Tx {
            engine: sql::Engine::Sqlite(conn),
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, gate files).
    fn c(&self) -> Result<&'a Connection> {
        match self.engine {
            sql::Engine::Sqlite(c) => Ok(c),
            sql::Engine::Pg(_) => Err(Error::Corrupt(
                "a SQLite-only step was asked of a PostgreSQL database".into(),
            )),
        }
    }

    /// Runs a statement; the number of rows it changed.
    fn exec(&self, sql: &str, args: &[sql::Value<'_>]) -> Result<u64> {
        self.engine.exec(sql, args)
    }

    /// Calls `f` on each row as it arrives.
    fn each(
        &self,
        sql: &str,
        args: &[sql::Value<'_>],
        f: impl FnMut(&sql::Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.engine.each(sql, args, f)
    }

    /// Every row, each read by `f`.
    fn all<T>(
        &self,
        sql: &str,
        args: &[sql::Value<'_>],
        f: impl FnMut(&sql::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.engine.all(sql, args, f)
    }

    /// The first row, read by `f`, if any.
    fn opt<T>(
        &self,
        sql: &str,
        args: &[sql::Value<'_>],
        f: impl FnOnce(&sql::Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        self.engine.opt(sql, args, f)
    }

    /// After rows were copied in with their ids: each id sequence continues after the
    /// highest copied id, and tiers after `tiers_high`, the highest tier id the source
    /// ever gave (a deleted tier's id is never given again).
    fn after_copy(&self, tiers_high: i64) -> Result<()> {
        match self.engine {
            sql::Engine::Pg(_) => {
                for table in [
                    "users",
                    "events",
                    "tiers",
                    "orders",
                    "tickets",
                    "audit_log",
                    "scans",
                    "waitlist",
                ] {
                    let floor = if table == "tiers" { tiers_high } else { 0 };
                    self.value::<Option<i64>>(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(COALESCE(MAX(id), 0), ?1, 1), GREATEST(COALESCE(MAX(id), 0), ?1) > 0) FROM {table}"
                        ),
                        sql::args![floor],
                    )?;
                }
                // Tier ids come from tix_meta's counter (see store::tiers).
                self.exec(
                    "INSERT INTO tix_meta (key, value)
                     VALUES ('last_tier_id', CAST(GREATEST((SELECT COALESCE(MAX(id), 0) FROM tiers), ?1) AS TEXT))
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    sql::args![tiers_high],
                )?;
            }
            sql::Engine::Sqlite(c) => {
                c.execute("DELETE FROM sqlite_sequence WHERE name = 'tiers'", [])?;
                c.execute(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT 'tiers', MAX(COALESCE((SELECT MAX(id) FROM tiers), 0), ?1)",
                    [tiers_high],
                )?;
            }
        }
        Ok(())
    }

    /// The highest tier id ever given (deleted tiers included): ids are never reused.
    fn tier_id_high_water(&self) -> Result<i64> {
        let max: i64 = self.value("SELECT COALESCE(MAX(id), 0) FROM tiers", &[])?;
        let given: i64 = match self.engine {
            sql::Engine::Pg(_) => self.value(
                "SELECT COALESCE((SELECT CAST(value AS BIGINT) FROM tix_meta WHERE key = 'last_tier_id'), 0)",
                &[],
            )?,
            sql::Engine::Sqlite(c) => c.query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tiers'), 0)",
                [],
                |r| r.get(0),
            )?,
        };
        Ok(max.max(given))
    }

    /// The first row, read by `f`; its absence is an error.
    fn one<T>(
        &self,
        sql: &str,
        args: &[sql::Value<'_>],
        f: impl FnOnce(&sql::Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.opt(sql, args, f)?
            .ok_or_else(|| Error::Corrupt(format!("no row came back from: {sql}")))
    }

    /// The first column of the first row.
    fn value<T: sql::Get>(&self, sql: &str, args: &[sql::Value<'_>]) -> Result<T> {
        self.engine.value(sql, args)
    }
}

/// An open tix database.
#[derive(Debug)]
pub struct Store {
    db: Db,
    path: PathBuf,
    created: bool,
    read_only: bool,
    busy: Duration,
}

/// The engine a store runs on.
enum Db {
    Sqlite(Connection),
    Pg(Box<sql::PgConn>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite(_) => "SQLite",
            Db::Pg(_) => "PostgreSQL",
        })
    }
}

impl Store {
    /// The SQLite connection, for what only a SQLite store does.
    fn sqlite(&self) -> Result<&Connection> {
        match &self.db {
            Db::Sqlite(c) => Ok(c),
            Db::Pg(_) => Err(Error::Corrupt(
                "a SQLite-only step was asked of a PostgreSQL database".into(),
            )),
        }
    }

    /// How a database argument is shown in messages: a PostgreSQL URL without its
    /// password, a file as its path.
    pub fn shown(path: &Path) -> String {
        match pg::url_of(path) {
            Some(url) => pg::shown(url),
            None => path.display().to_string(),
        }
    }

    /// The PostgreSQL connection, if this store is one.
    fn pg(&self) -> Option<&sql::PgConn> {
        match &self.db {
            Db::Pg(pg) => Some(pg),
            Db::Sqlite(_) => None,
        }
    }

    /// Whether this store is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Pg(_))
    }

    /// Opens (and if allowed, creates) the database at `path`, brings its schema up to
    /// date and sets WAL, foreign keys, full sync and a busy timeout.
    ///
    /// A file from a newer tix, a SQLite file of another program, or a file that is not a
    /// database at all is refused with a clear error and left byte-for-byte as it was.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store> {
        Store::open_waiting(path, mode, BUSY_TIMEOUT)
    }

    /// Like [`Store::open`], waiting at most `busy` for another process's write lock
    /// (here and in every later transaction) before failing with [`Error::Busy`].
    pub fn open_waiting(path: &Path, mode: OpenMode, busy: Duration) -> Result<Store> {
        if let Some(url) = pg::url_of(path) {
            return pg::open(url, mode, busy);
        }
        let exists = path.exists();
        if !exists && mode == OpenMode::MustExist {
            return Err(Error::NoDatabase(path.to_path_buf()));
        }
        if path.is_dir() {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
                why: NotDb::Directory,
            });
        }
        if exists
            && mode == OpenMode::MustExist
            && std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
        {
            // An empty file is no database yet: only `init` and `demo` make one of it.
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
                why: NotDb::EmptyFile,
            });
        }
        // Several processes may open (or create) the same file at once: a step that finds
        // the file busy while another process sets it up is tried again, within the same
        // time budget as any other wait for a lock.
        let started = std::time::Instant::now();
        loop {
            match Store::open_once(path, mode, exists, busy) {
                Err(e) if is_busy(&e) && started.elapsed() < busy => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path, mode: OpenMode, existed: bool, busy: Duration) -> Result<Store> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if mode == OpenMode::CreateIfMissing {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = match Connection::open_with_flags(path, flags) {
            Ok(conn) => conn,
            Err(e) if existed && is_read_only(e.sqlite_error_code()) => {
                return Store::open_immutable(path);
            }
            Err(e) => return Err(open_error(path, e)),
        };
        if existed && conn.is_readonly(rusqlite::MAIN_DB)? {
            // SQLite opened a file it may not write for reading only; WAL's shared memory
            // cannot be set up beside it either, so read it as an immutable file.
            drop(conn);
            return Store::open_immutable(path);
        }
        conn.busy_timeout(busy)?;
        // Bulk work (an import, a merge) runs a few dozen distinct statements per row:
        // keep them all prepared.
        conn.set_prepared_statement_cache_capacity(64);
        prepare_connection(&conn)?;
        // Until the file is known to be ours, closing the connection must not fold a
        // write-ahead log into it: a refused file stays byte for byte as it was.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        let mut store = Store {
            busy,
            read_only: conn.is_readonly(rusqlite::MAIN_DB)?,
            db: Db::Sqlite(conn),
            path: path.to_path_buf(),
            created: !existed,
        };
        match store.check_identity() {
            Ok(()) => {}
            // A file tix may read but not write (permissions, a read-only disk): SQLite
            // cannot set up WAL's shared memory beside it, so read it as immutable.
            Err(e) if existed && is_read_only(sqlite_code(&e)) => {
                return Store::open_immutable(path);
            }
            Err(e) => return Err(refine(e, path, busy)),
        }
        store.sqlite()?.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            false,
        )?;
        if store.read_only {
            store.require_current()?;
            return Ok(store);
        }
        store.set_pragmas().map_err(|e| refine(e, path, busy))?;
        store.migrate().map_err(|e| refine(e, path, busy))?;
        Ok(store)
    }

    /// Opens a file that cannot be written for reading only.
    fn open_immutable(path: &Path) -> Result<Store> {
        // An immutable open does not read the write-ahead log: with changes still in it,
        // what it showed would be out of date (a refund not seen, a revoked code valid).
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(PathBuf::from(&wal)).is_ok_and(|m| m.len() > 0) {
            return Err(Error::ReadOnly {
                path: path.to_path_buf(),
                detail: format!(
                    "its write-ahead log {} holds changes not yet in the file, which cannot be read without write access; open it once where it can be written, or copy both files somewhere writable",
                    PathBuf::from(&wal).display()
                ),
            });
        }
        let uri = format!("file:{}?immutable=1", uri_path(path));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&uri, flags).map_err(|e| open_error(path, e))?;
        prepare_connection(&conn)?;
        let store = Store {
            db: Db::Sqlite(conn),
            path: path.to_path_buf(),
            created: false,
            read_only: true,
            busy: BUSY_TIMEOUT,
        };
        store.check_identity()?;
        store.require_current()?;
        Ok(store)
    }

    /// A read-only file must already have this build's schema: it cannot be migrated.
    fn require_current(&self) -> Result<()> {
        let version = self.schema_version()?;
        if version < SCHEMA_VERSION {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
                detail: format!(
                    "it has schema version {version} and must be upgraded to {SCHEMA_VERSION} once, which needs write access; open it once where it can be written"
                ),
            });
        }
        Ok(())
    }

    /// Whether the file could only be opened for reading.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// A fresh, migrated in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store {
            db: Db::Sqlite(conn),
            path: PathBuf::from(":memory:"),
            created: true,
            read_only: false,
            busy: BUSY_TIMEOUT,
        };
        store.sqlite()?.pragma_update(None, "foreign_keys", "ON")?;
        prepare_connection(store.sqlite()?)?;
        store.migrate()?;
        Ok(store)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The files that make up the open database (the file and its `-wal`, `-shm` and
    /// `-journal` companions): no output of a command may be written over them.
    pub fn protected_paths(&self) -> Vec<PathBuf> {
        // SQLite names the journal files after the file as it resolves it (through
        // symbolic links), so both spellings are protected.
        let mut bases = vec![self.path.clone()];
        if let Ok(real) = self.path.canonicalize()
            && real != self.path
        {
            bases.push(real);
        }
        let mut paths = Vec::new();
        for base in bases {
            paths.push(base.clone());
            for suffix in ["-wal", "-shm", "-journal"] {
                let mut p = base.clone().into_os_string();
                p.push(suffix);
                paths.push(PathBuf::from(p));
            }
        }
        paths
    }

    /// How long this store waits for another process's write lock.
    pub fn busy_timeout(&self) -> Duration {
        self.busy
    }

    /// Whether this open created the file.
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        match &self.db {
            Db::Sqlite(c) => Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?),
            Db::Pg(pg) => pg::schema_version(pg),
        }
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction and commits if it succeeds; on an
    /// error nothing of it is kept. Taking the write lock up front means a
    /// read-modify-write can never interleave with another process's.
    ///
    /// On PostgreSQL the transaction is `SERIALIZABLE`, and one the server aborts as a
    /// serialization failure or deadlock is run again from the start: `f` reads and
    /// writes only through its `Tx`, so running it again is safe.
    pub fn write<T>(&mut self, mut f: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let busy = self.busy;
        if self.read_only {
            return Err(Error::ReadOnly {
                path,
                detail: "this command would change it, so nothing was done; make the file writable or copy it somewhere writable".into(),
            });
        }
        let mut run = || -> Result<T> {
            match &mut self.db {
                Db::Sqlite(conn) => {
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    let value = f(&Tx::sqlite(&tx))?;
                    tx.commit()?;
                    Ok(value)
                }
                Db::Pg(pg) => pg::write(pg, busy, pg::Mode::Commit, &mut f),
            }
        };
        run().map_err(|e| refine(e, &path, busy))
    }

    /// Like [`Store::write`], except that a PostgreSQL transaction the server aborts
    /// because another one touched the same rows (a serialization failure, a deadlock) or
    /// because it has no room left for the transaction's locks is not run again: `None`,
    /// and nothing of it is kept. For a caller with a large batch
    /// that does better splitting it than retrying it whole. On SQLite, where writers take
    /// turns and are never aborted, it is [`Store::write`].
    pub fn write_or_yield<T>(
        &mut self,
        mut f: impl FnMut(&Tx<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.read_only {
            return self.write(f).map(Some);
        }
        let (path, busy) = (self.path.clone(), self.busy);
        match &mut self.db {
            Db::Sqlite(_) => self.write(f).map(Some),
            Db::Pg(pg) => pg::write_or_yield(pg, &mut f).map_err(|e| refine(e, &path, busy)),
        }
    }

    /// Runs `f` inside a transaction that is always rolled back: for dry runs that must
    /// go through every check and write yet leave nothing behind.
    pub fn dry_run<T>(&mut self, mut f: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        let busy = self.busy;
        match &mut self.db {
            Db::Sqlite(conn) => {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&Tx::sqlite(&tx))?;
                tx.rollback()?;
                Ok(value)
            }
            Db::Pg(pg) => pg::write(pg, busy, pg::Mode::RollBack, &mut f),
        }
    }

    /// Runs read-only `f` on one consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let run = || -> Result<T> {
            match &self.db {
                Db::Sqlite(conn) => {
                    let tx = conn.unchecked_transaction()?;
                    let value = f(&Tx::sqlite(&tx))?;
                    tx.finish()?;
                    Ok(value)
                }
                Db::Pg(pg) => pg::read(pg, f),
            }
        };
        run().map_err(|e| refine(e, &self.path, self.busy))
    }

    /// Refuses files that are not tix databases, or are newer than this build, before
    /// anything is written to them.
    fn check_identity(&self) -> Result<()> {
        // One read transaction: another process creating the file at this moment is seen
        // either not at all or completely, never half-migrated.
        let tx = self.sqlite()?.unchecked_transaction()?;
        self.check_identity_in()?;
        tx.finish()?;
        Ok(())
    }

    fn check_identity_in(&self) -> Result<()> {
        let version: i64 = self
            .sqlite()?
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| open_error(&self.path, e))?;
        let app_id: i64 = self
            .sqlite()?
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        if app_id == GATE_APPLICATION_ID {
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                why: NotDb::GateFile,
            });
        }
        if app_id != 0 && app_id != APPLICATION_ID {
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                why: NotDb::OtherProgram { app_id },
            });
        }
        if app_id == 0 && version > 0 {
            // tix stamps its application id in the same transaction as its first
            // migration, so a versioned file without it belongs to someone else.
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                why: NotDb::Unstamped { version },
            });
        }
        if version == 0 {
            let tables: i64 =
                self.sqlite()?
                    .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
            if tables > 0 {
                return Err(Error::NotADatabase {
                    path: self.path.clone(),
                    why: NotDb::Foreign,
                });
            }
        }
        if version > SCHEMA_VERSION {
            return Err(Error::NewerDatabase {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    fn set_pragmas(&self) -> Result<()> {
        let mode: String = self
            .sqlite()?
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            self.sqlite()?
                .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        }
        self.sqlite()?.pragma_update(None, "foreign_keys", "ON")?;
        // A command that reported success has its change on disk, even after a power cut.
        self.sqlite()?.pragma_update(None, "synchronous", "FULL")?;
        // A large sort (an export in ticket order) may use a second core.
        self.sqlite()?.pragma_update(None, "threads", 2)?;
        Ok(())
    }

    /// Applies every migration newer than the file's `user_version`, all in one
    /// transaction, so a crash mid-way leaves the previous version intact.
    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        self.write(|tx| {
            // Another process may have migrated while we waited for the lock.
            let current: i64 = tx
                .c()?
                .pragma_query_value(None, "user_version", |r| r.get(0))?;
            if current > SCHEMA_VERSION {
                return Err(Error::Corrupt(format!(
                    "schema version {current} appeared while opening; upgrade tix"
                )));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
                tx.c()?.execute_batch(sql)?;
                tx.c()?.pragma_update(None, "user_version", i as i64 + 1)?;
            }
            tx.c()?
                .pragma_update(None, "application_id", APPLICATION_ID)?;
            Ok(())
        })
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Database(Box::new(pg::PgError(e)))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(Box::new(e))
    }
}

/// SQLite's code for an engine error, if `e` is one.
fn sqlite_code(e: &Error) -> Option<ErrorCode> {
    match e {
        Error::Database(inner) => inner
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code),
        _ => None,
    }
}

/// Whether `e` is the database being busy (locked by another process).
fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Busy { .. })
        || matches!(
            sqlite_code(e),
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked)
        )
}

/// Whether SQLite refused because the file (or the directory for its WAL files) cannot
/// be written.
fn is_read_only(code: Option<ErrorCode>) -> bool {
    matches!(
        code,
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen)
    )
}

/// A path as the file part of a SQLite URI.
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Gives a database error that a person can act on its own variant: busy (another
/// process holds the write lock), read-only, disk full.
pub(crate) fn refine(e: Error, path: &Path, busy: Duration) -> Error {
    if pg::sqlstate(&e).is_some() {
        return pg::refine(e, path, busy);
    }
    match sqlite_code(&e) {
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::Busy {
            path: path.to_path_buf(),
            waited_ms: u64::try_from(busy.as_millis()).unwrap_or(u64::MAX),
        },
        Some(ErrorCode::ReadOnly) => Error::ReadOnly {
            path: path.to_path_buf(),
            detail: "this command would change it, so nothing was done; make the file writable or copy it somewhere writable".into(),
        },
        Some(ErrorCode::DiskFull) => Error::DiskFull {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::SystemIoFailure) => Error::Io {
            action: "read or write",
            path: path.to_path_buf(),
            source: std::io::Error::other(
                "the disk reported an I/O error (is it full, failing or gone?); nothing was changed",
            ),
        },
        _ => e,
    }
}

/// Turns an error from opening or first reading a file into one that says what the file is.
fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => Error::NotADatabase {
            path: path.to_path_buf(),
            why: NotDb::NotSqlite,
        },
        Some(ErrorCode::CannotOpen) => Error::Io {
            action: "open",
            path: path.to_path_buf(),
            source: std::io::Error::other(if path.exists() {
                "the file exists but cannot be opened (may you read it, and write its directory?)"
            } else {
                "cannot create the file (does its directory exist, and may you write there?)"
            }),
        },
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_twice_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let s = Store::open(&path, OpenMode::CreateIfMissing).unwrap();
        assert!(s.was_created());
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        drop(s);
        let s = Store::open(&path, OpenMode::MustExist).unwrap();
        assert!(!s.was_created());
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = s
            .sqlite()
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = s
            .sqlite()
            .unwrap()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn missing_file_is_not_created_when_it_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        assert!(matches!(
            Store::open(&path, OpenMode::MustExist),
            Err(Error::NoDatabase(_))
        ));
        assert!(!path.exists());
    }

    #[test]
    fn refuses_garbage_and_foreign_databases() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        std::fs::write(
            &junk,
            b"this is certainly not sqlite, just some text padding it out",
        )
        .unwrap();
        let e = Store::open(&junk, OpenMode::MustExist).unwrap_err();
        assert!(matches!(e, Error::NotADatabase { .. }), "{e:?}");

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE notes (x TEXT)")
            .unwrap();
        let e = Store::open(&other, OpenMode::MustExist).unwrap_err();
        assert!(matches!(e, Error::NotADatabase { .. }), "{e:?}");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let mut s = Store::open_in_memory().unwrap();
        let r: Result<()> = s.write(|tx| {
            tx.c()?.execute(
                "INSERT INTO users (email, name, role, created_at) VALUES ('a@b.c', 'A', 'user', 0)",
                [],
            )?;
            Err(Error::EventRequired)
        });
        assert!(r.is_err());
        let n: i64 = s
            .read(|c| c.value("SELECT count(*) FROM users", &[]))
            .unwrap();
        assert_eq!(n, 0);
    }
}
