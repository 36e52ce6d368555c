//! One way to run a statement on either engine. The table files write their SQL once,
//! with SQLite's `?1` placeholders (turned into PostgreSQL's `$1` here) and in the
//! subset both dialects share: `RETURNING id` instead of `last_insert_rowid()`,
//! `ON CONFLICT DO NOTHING` instead of `INSERT OR IGNORE`, booleans as booleans.
//! Parameters are [`Value`]s (built by [`args!`](crate::store::args)), results are read
//! from a [`Row`] by index into any [`Get`] type; both adapt to what each engine holds.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql as PgToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::error::{Error, Result};

/// A parameter, borrowed from the caller for the length of one statement.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer (ids, counts, money in minor units, Unix seconds).
    Int(i64),
    /// A boolean (an integer 0/1 on SQLite, a `boolean` on PostgreSQL).
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// Bytes (keys, salts, hashes).
    Blob(&'a [u8]),
}

/// A type that can be a statement's parameter.
pub trait Bind {
    /// The value bound for it.
    fn bind(&self) -> Value<'_>;
}

impl Bind for i64 {
    fn bind(&self) -> Value<'_> {
        Value::Int(*self)
    }
}

impl Bind for bool {
    fn bind(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}

impl Bind for str {
    fn bind(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Bind for String {
    fn bind(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Bind for [u8] {
    fn bind(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl Bind for Vec<u8> {
    fn bind(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl<T: Bind + ?Sized> Bind for &T {
    fn bind(&self) -> Value<'_> {
        (**self).bind()
    }
}

impl<T: Bind> Bind for Option<T> {
    fn bind(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, Bind::bind)
    }
}

impl Bind for Value<'_> {
    fn bind(&self) -> Value<'_> {
        *self
    }
}

/// The parameters of one statement: `args![id, name, status]`.
macro_rules! args {
    ($($e:expr),* $(,)?) => {
        &[$($crate::store::sql::Bind::bind(&$e)),*][..]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(i)),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(b))),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl PgToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match *self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                _ => Err(format!("an integer cannot be bound as {ty}").into()),
            },
            Value::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                Type::INT8 => i64::from(b).to_sql(ty, out),
                Type::INT4 => i32::from(b).to_sql(ty, out),
                _ => Err(format!("a boolean cannot be bound as {ty}").into()),
            },
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A type a column can be read into: `None` for SQL `NULL`.
pub trait Column: Sized {
    /// From a SQLite value.
    fn from_sqlite(v: ValueRef<'_>) -> std::result::Result<Option<Self>, String>;
    /// From column `i` of a PostgreSQL row.
    fn from_pg(row: &postgres::Row, i: usize) -> std::result::Result<Option<Self>, String>;
}

fn pg<'r, T: postgres::types::FromSql<'r>>(
    row: &'r postgres::Row,
    i: usize,
) -> std::result::Result<Option<T>, String> {
    row.try_get::<_, Option<T>>(i).map_err(|e| e.to_string())
}

impl Column for i64 {
    fn from_sqlite(v: ValueRef<'_>) -> std::result::Result<Option<Self>, String> {
        match v {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            other => Err(format!("expected an integer, found {}", other.data_type())),
        }
    }

    fn from_pg(row: &postgres::Row, i: usize) -> std::result::Result<Option<Self>, String> {
        match *row.columns()[i].type_() {
            Type::INT8 => pg::<i64>(row, i),
            Type::INT4 => Ok(pg::<i32>(row, i)?.map(i64::from)),
            Type::INT2 => Ok(pg::<i16>(row, i)?.map(i64::from)),
            Type::BOOL => Ok(pg::<bool>(row, i)?.map(i64::from)),
            ref other => Err(format!("expected an integer, found {other}")),
        }
    }
}

impl Column for bool {
    fn from_sqlite(v: ValueRef<'_>) -> std::result::Result<Option<Self>, String> {
        Ok(i64::from_sqlite(v)?.map(|i| i != 0))
    }

    fn from_pg(row: &postgres::Row, i: usize) -> std::result::Result<Option<Self>, String> {
        match *row.columns()[i].type_() {
            Type::BOOL => pg::<bool>(row, i),
            _ => Ok(i64::from_pg(row, i)?.map(|v| v != 0)),
        }
    }
}

impl Column for String {
    fn from_sqlite(v: ValueRef<'_>) -> std::result::Result<Option<Self>, String> {
        match v {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(|s| Some(s.to_string()))
                .map_err(|e| e.to_string()),
            other => Err(format!("expected text, found {}", other.data_type())),
        }
    }

    fn from_pg(row: &postgres::Row, i: usize) -> std::result::Result<Option<Self>, String> {
        pg::<String>(row, i)
    }
}

impl Column for Vec<u8> {
    fn from_sqlite(v: ValueRef<'_>) -> std::result::Result<Option<Self>, String> {
        match v {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => Ok(Some(b.to_vec())),
            other => Err(format!("expected bytes, found {}", other.data_type())),
        }
    }

    fn from_pg(row: &postgres::Row, i: usize) -> std::result::Result<Option<Self>, String> {
        pg::<Vec<u8>>(row, i)
    }
}

/// What [`Row::get`] reads: a [`Column`] type (`NULL` is an error) or an `Option` of one.
pub trait Get: Sized {
    /// From a SQLite value.
    fn get_sqlite(v: ValueRef<'_>) -> std::result::Result<Self, String>;
    /// From column `i` of a PostgreSQL row.
    fn get_pg(row: &postgres::Row, i: usize) -> std::result::Result<Self, String>;
}

impl<T: Column> Get for T {
    fn get_sqlite(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        T::from_sqlite(v)?.ok_or_else(|| "unexpected NULL".to_string())
    }

    fn get_pg(row: &postgres::Row, i: usize) -> std::result::Result<Self, String> {
        T::from_pg(row, i)?.ok_or_else(|| "unexpected NULL".to_string())
    }
}

impl<T: Column> Get for Option<T> {
    fn get_sqlite(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        T::from_sqlite(v)
    }

    fn get_pg(row: &postgres::Row, i: usize) -> std::result::Result<Self, String> {
        T::from_pg(row, i)
    }
}

/// A value as stored, whatever its type: for reading a file that may have been edited.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// Anything else (a float, text that is not UTF-8).
    Other,
}

impl Bind for Raw {
    fn bind(&self) -> Value<'_> {
        match self {
            Raw::Int(i) => Value::Int(*i),
            Raw::Text(t) => Value::Text(t),
            Raw::Blob(b) => Value::Blob(b),
            Raw::Null | Raw::Other => Value::Null,
        }
    }
}

/// One result row, on either engine.
pub struct Row<'r> {
    inner: RowRef<'r>,
}

enum RowRef<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i` (0-based) as a `T`.
    pub fn get<T: Get>(&self, i: usize) -> Result<T> {
        let read = match &self.inner {
            RowRef::Sqlite(r) => r
                .get_ref(i)
                .map_err(|e| e.to_string())
                .and_then(T::get_sqlite),
            RowRef::Pg(r) => {
                if i >= r.len() {
                    Err(format!("no column {i}"))
                } else {
                    T::get_pg(r, i)
                }
            }
        };
        read.map_err(|e| Error::Corrupt(format!("column {i} of a stored row: {e}")))
    }

    /// Column `i` as stored, whatever its type.
    pub fn raw(&self, i: usize) -> Raw {
        match &self.inner {
            RowRef::Sqlite(r) => match r.get_ref(i) {
                Ok(ValueRef::Null) => Raw::Null,
                Ok(ValueRef::Integer(n)) => Raw::Int(n),
                Ok(ValueRef::Text(t)) => std::str::from_utf8(t)
                    .map(|s| Raw::Text(s.to_string()))
                    .unwrap_or(Raw::Other),
                Ok(ValueRef::Blob(b)) => Raw::Blob(b.to_vec()),
                _ => Raw::Other,
            },
            RowRef::Pg(r) => {
                if i >= r.len() {
                    return Raw::Other;
                }
                let read = match *r.columns()[i].type_() {
                    Type::BYTEA => Vec::<u8>::from_pg(r, i).map(|v| v.map(Raw::Blob)),
                    Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL => {
                        i64::from_pg(r, i).map(|v| v.map(Raw::Int))
                    }
                    _ => String::from_pg(r, i).map(|v| v.map(Raw::Text)),
                };
                match read {
                    Ok(Some(v)) => v,
                    Ok(None) => Raw::Null,
                    Err(_) => Raw::Other,
                }
            }
        }
    }
}

/// An open PostgreSQL connection with its prepared statements, shared by the
/// transactions run on it.
pub(crate) struct PgConn {
    pub(crate) client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// Cursors open now (a cursor's rows may be read inside another's).
    cursors: std::cell::Cell<u32>,
}

/// Rows fetched from a cursor at a time.
const BATCH: usize = 1000;

impl PgConn {
    pub(crate) fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            cursors: std::cell::Cell::new(0),
        }
    }

    /// The prepared statement for `sql` (written with `?N` placeholders).
    fn statement(&self, client: &mut postgres::Client, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = client.prepare(&dollar_placeholders(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }
}

/// The engine a [`Tx`](super::Tx) runs on.
#[derive(Clone, Copy)]
pub(crate) enum Engine<'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg(&'a PgConn),
}

impl<'a> Engine<'a> {
    fn with_pg<T>(pg: &PgConn, f: impl FnOnce(&mut postgres::Client) -> Result<T>) -> Result<T> {
        let mut client = pg.client.try_borrow_mut().map_err(|_| {
            Error::Corrupt("a statement was run while another one's rows were being read".into())
        })?;
        f(&mut client)
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) fn exec(self, sql: &str, args: &[Value<'_>]) -> Result<u64> {
        match self {
            Engine::Sqlite(c) => {
                let n = c
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(args.iter()))?;
                Ok(n as u64)
            }
            Engine::Pg(pg) => Engine::with_pg(pg, |client| {
                let stmt = pg.statement(client, sql)?;
                Ok(client.execute(&stmt, &pg_params(args))?)
            }),
        }
    }

    /// Calls `f` on each row of a query, as the rows arrive (memory stays flat).
    pub(crate) fn each(
        self,
        sql: &str,
        args: &[Value<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Engine::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
                while let Some(r) = rows.next()? {
                    f(&Row {
                        inner: RowRef::Sqlite(r),
                    })?;
                }
                Ok(())
            }
            Engine::Pg(pg) => {
                // The rows come in batches from a cursor, and `f` runs between fetches,
                // so it may run statements of its own (sign a code, read a key) and
                // memory stays flat however many rows there are.
                let depth = pg.cursors.get();
                pg.cursors.set(depth + 1);
                let result = Engine::each_pg(pg, &format!("tix_each_{depth}"), sql, args, &mut f);
                pg.cursors.set(depth);
                result
            }
        }
    }

    fn each_pg(
        pg: &PgConn,
        cursor: &str,
        sql: &str,
        args: &[Value<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        Engine::with_pg(pg, |client| {
            let declare = format!("DECLARE {cursor} NO SCROLL CURSOR FOR {sql}");
            let stmt = pg.statement(client, &declare)?;
            client.execute(&stmt, &pg_params(args))?;
            Ok(())
        })?;
        let fetch = format!("FETCH {BATCH} FROM {cursor}");
        loop {
            // Not from the statement cache: what a FETCH returns depends on the query
            // its cursor was declared for, which another call may have named alike.
            let rows = Engine::with_pg(pg, |client| Ok(client.query(&fetch, &[])?))?;
            for r in &rows {
                f(&Row {
                    inner: RowRef::Pg(r),
                })?;
            }
            if rows.len() < BATCH {
                break;
            }
        }
        Engine::with_pg(pg, |client| {
            client.batch_execute(&format!("CLOSE {cursor}"))?;
            Ok(())
        })
    }

    /// Every row of a query, each read by `f`.
    pub(crate) fn all<T>(
        self,
        sql: &str,
        args: &[Value<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        if let Engine::Pg(pg) = self {
            // One round trip; the rows are read after the connection is free again.
            let rows = Engine::with_pg(pg, |client| {
                let stmt = pg.statement(client, sql)?;
                Ok(client.query(&stmt, &pg_params(args))?)
            })?;
            return rows
                .iter()
                .map(|r| {
                    f(&Row {
                        inner: RowRef::Pg(r),
                    })
                })
                .collect();
        }
        let mut out = Vec::new();
        self.each(sql, args, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query, read by `f`, if there is one.
    pub(crate) fn opt<T>(
        self,
        sql: &str,
        args: &[Value<'_>],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Engine::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
                match rows.next()? {
                    Some(r) => Ok(Some(f(&Row {
                        inner: RowRef::Sqlite(r),
                    })?)),
                    None => Ok(None),
                }
            }
            Engine::Pg(pg) => {
                let row = Engine::with_pg(pg, |client| {
                    let stmt = pg.statement(client, sql)?;
                    Ok(client.query_opt(&stmt, &pg_params(args))?)
                })?;
                match row {
                    Some(r) => Ok(Some(f(&Row {
                        inner: RowRef::Pg(&r),
                    })?)),
                    None => Ok(None),
                }
            }
        }
    }

    /// The first column of the first row: a count, an id from `RETURNING id`.
    pub(crate) fn value<T: Get>(self, sql: &str, args: &[Value<'_>]) -> Result<T> {
        self.opt(sql, args, |r| r.get(0))?
            .ok_or_else(|| Error::Corrupt(format!("no row came back from: {sql}")))
    }
}

fn pg_params<'v>(args: &'v [Value<'v>]) -> Vec<&'v (dyn PgToSql + Sync)> {
    args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect()
}

/// SQLite's numbered placeholders (`?1`) as PostgreSQL's (`$1`), outside string
/// literals and quoted names.
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT ?1, '?2', \"a?3\" FROM t WHERE x = ?12 ESCAPE '\\'"),
            "SELECT $1, '?2', \"a?3\" FROM t WHERE x = $12 ESCAPE '\\'"
        );
    }

    #[test]
    fn sqlite_reads_and_binds_every_kind() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let e = Engine::Sqlite(&c);
        e.exec(
            "CREATE TABLE t (i INTEGER, b INTEGER, s TEXT, x BLOB, n TEXT)",
            &[],
        )
        .unwrap();
        let none: Option<String> = None;
        e.exec(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
            args![7i64, true, "text", vec![1u8, 2], none],
        )
        .unwrap();
        let row = e
            .opt("SELECT i, b, s, x, n FROM t", &[], |r| {
                Ok((
                    r.get::<i64>(0)?,
                    r.get::<bool>(1)?,
                    r.get::<String>(2)?,
                    r.get::<Vec<u8>>(3)?,
                    r.get::<Option<String>>(4)?,
                ))
            })
            .unwrap()
            .unwrap();
        assert_eq!(row, (7, true, "text".into(), vec![1, 2], None));
        let err = e
            .opt("SELECT n FROM t", &[], |r| r.get::<String>(0))
            .unwrap_err();
        assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
        assert_eq!(e.value::<i64>("SELECT count(*) FROM t", &[]).unwrap(), 1);
    }
}
