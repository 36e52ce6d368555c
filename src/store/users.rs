//! The users table.

use super::Tx;
use super::sql::{Row, args};
use crate::domain::people::{Role, User};
use crate::domain::time::Timestamp;
use crate::error::Result;

const USER_COLUMNS: &str = "id, email, name, role, verified, created_at";

fn from_row(r: &Row<'_>) -> Result<User> {
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
    conn.opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"),
        args![email],
        from_row,
    )
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
    let id = conn.value(
        "INSERT INTO users (email, name, role, verified, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         RETURNING id",
        args![email, name, role, verified, now],
    )?;
    Ok(User {
        id,
        email: email.to_string(),
        name: name.to_string(),
        role,
        verified,
        created_at: now,
    })
}

/// How many admins the database has.
pub fn count_admins(conn: &Tx<'_>) -> Result<i64> {
    conn.value("SELECT count(*) FROM users WHERE role = 'admin'", &[])
}

/// Marks a user verified.
pub fn mark_verified(conn: &Tx<'_>, user_id: i64) -> Result<()> {
    conn.exec(
        "UPDATE users SET verified = TRUE WHERE id = ?1",
        args![user_id],
    )?;
    Ok(())
}

/// Every user, by e-mail address.
pub fn all(conn: &Tx<'_>) -> Result<Vec<User>> {
    conn.all(
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"),
        &[],
        from_row,
    )
}
