//! The SQLite store: opening a file with the right pragmas, refusing files that are not
//! ours or are newer than us, applying numbered migrations, and running work inside
//! transactions.
//!
//! One [`Store`] holds one connection for the life of the process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

/// `PRAGMA application_id` of a tix database: the bytes `TIX1`.
pub const APPLICATION_ID: i64 = 0x5449_5831;

/// The migrations, in order; migration `i` (0-based) brings the schema to version `i + 1`.
/// Released migrations are never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_orders_tickets_audit.sql"),
    include_str!("migrations/0003_checkin.sql"),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a command waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether opening may create a new database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file (and migrate it) if it does not exist.
    CreateIfMissing,
    /// Fail with [`Error::NoDatabase`] if the file does not exist.
    MustExist,
}

/// An open tix database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    created: bool,
}

impl Store {
    /// Opens (and if allowed, creates) the database at `path`, brings its schema up to
    /// date and sets WAL, foreign keys, full sync and a busy timeout.
    ///
    /// A file from a newer tix, a SQLite file of another program, or a file that is not a
    /// database at all is refused with a clear error and left byte-for-byte as it was.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store> {
        let exists = path.exists();
        if !exists && mode == OpenMode::MustExist {
            return Err(Error::NoDatabase(path.to_path_buf()));
        }
        if path.is_dir() {
            return Err(Error::NotADatabase {
                path: path.to_path_buf(),
                detail: "it is a directory".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            created: !exists,
        };
        store.check_identity()?;
        store.set_pragmas()?;
        store.migrate()?;
        Ok(store)
    }

    /// A fresh, migrated in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
            created: true,
        };
        store.conn.pragma_update(None, "foreign_keys", "ON")?;
        store.migrate()?;
        Ok(store)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this open created the file.
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction and commits if it succeeds; on an
    /// error nothing of it is kept. Taking the write lock up front means a
    /// read-modify-write can never interleave with another process's.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` inside a transaction that is always rolled back: for dry runs that must
    /// go through every check and write yet leave nothing behind.
    pub fn dry_run<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.rollback()?;
        Ok(value)
    }

    /// Runs read-only `f` on one consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self.conn.unchecked_transaction()?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }

    /// Refuses files that are not tix databases, or are newer than this build, before
    /// anything is written to them.
    fn check_identity(&self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| open_error(&self.path, e))?;
        let app_id: i64 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        if app_id == crate::offline::GATE_APPLICATION_ID {
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                detail: "it is a gate file for offline check-in, on which only `tix validate` and `tix checkin scan` work".into(),
            });
        }
        if app_id != 0 && app_id != APPLICATION_ID {
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                detail: format!(
                    "it is a SQLite database of another program (application id {app_id:#x})"
                ),
            });
        }
        if app_id == 0 && version > 0 {
            // tix stamps its application id in the same transaction as its first
            // migration, so a versioned file without it belongs to someone else.
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                detail: format!(
                    "it is a SQLite database that tix did not create (schema version {version}, no tix application id)"
                ),
            });
        }
        if version == 0 {
            let tables: i64 =
                self.conn
                    .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
            if tables > 0 {
                return Err(Error::NotADatabase {
                    path: self.path.clone(),
                    detail: "it is a SQLite database that tix did not create".into(),
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
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // A command that reported success has its change on disk, even after a power cut.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
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
            let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if current > SCHEMA_VERSION {
                return Err(Error::Corrupt(format!(
                    "schema version {current} appeared while opening; upgrade tix"
                )));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", i as i64 + 1)?;
            }
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            Ok(())
        })
    }
}

/// Wraps a stored value tix cannot read back (an unknown status, time zone or currency)
/// as the row-mapping error of column `index`.
pub(crate) fn bad_column(index: usize, e: Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
}

/// Turns an error from opening or first reading a file into one that says what the file is.
fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => Error::NotADatabase {
            path: path.to_path_buf(),
            detail: "the file is not a SQLite database".into(),
        },
        Some(ErrorCode::CannotOpen) => Error::Io {
            action: "open",
            path: path.to_path_buf(),
            source: std::io::Error::other(
                "cannot open the file (does its directory exist, and may you write there?)",
            ),
        },
        _ => Error::Database(e),
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
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = s
            .conn
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
            tx.execute(
                "INSERT INTO users (email, name, role, created_at) VALUES ('a@b.c', 'A', 'user', 0)",
                [],
            )?;
            Err(Error::rule("stop"))
        });
        assert!(r.is_err());
        let n: i64 = s
            .read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 0);
    }
}
