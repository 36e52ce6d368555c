//! The users table.

use rusqlite::{OptionalExtension, Row, params};

use super::Tx;
use crate::domain::people::{Role, User};
use crate::domain::time::Timestamp;
use crate::error::Result;

const USER_COLUMNS: &str = "id, email, name, role, verified, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: r.get(3)?,
        verified: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// The user with this e-mail address (already normalised to lower case), if any.
pub fn by_email(conn: &Tx<'_>, email: &str) -> Result<Option<User>> {
    Ok(conn
        .c()
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email = ?1"
        ))?
        .query_row([email], from_row)
        .optional()?)
}

/// Adds a user and returns it with its id.
pub fn insert(
    conn: &Tx<'_>,
    email: &str,
    name: &str,
    role: Role,
    verified: bool,
    now: Timestamp,
) -> Result<User> {
    conn.c().prepare_cached(
        "INSERT INTO users (email, name, role, verified, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![email, name, role, verified, now])?;
    Ok(User {
        id: conn.c().last_insert_rowid(),
        email: email.to_string(),
        name: name.to_string(),
        role,
        verified,
        created_at: now,
    })
}

/// How many admins the database has.
pub fn count_admins(conn: &Tx<'_>) -> Result<i64> {
    Ok(conn
        .c()
        .query_row("SELECT count(*) FROM users WHERE role = 'admin'", [], |r| {
            r.get(0)
        })?)
}

/// Marks a user verified.
pub fn mark_verified(conn: &Tx<'_>, user_id: i64) -> Result<()> {
    conn.c()
        .execute("UPDATE users SET verified = 1 WHERE id = ?1", [user_id])?;
    Ok(())
}

/// Every user, by e-mail address.
pub fn all(conn: &Tx<'_>) -> Result<Vec<User>> {
    let mut stmt = conn
        .c()
        .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
