//! People: accounts, roles, verification, and setting up a new database.

use crate::store::Tx;
use serde::Serialize;

use crate::access::{Action, Actor, Role, authorize};
use crate::error::{Error, Missing, Result, Rule};
use crate::store::{self, Store};
use crate::time;

pub use crate::domain::people::User;

/// Normalises and checks an email address: trimmed, lower case, one `@` with text on
/// both sides and a dot in the domain, no spaces, at most 254 characters.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let bad = |why: &str| {
        Error::invalid(
            "email",
            format!("'{email}' {why}; give an address like ana@example.com"),
        )
    };
    if e.is_empty() {
        return Err(bad("is empty"));
    }
    if e.chars().count() > 254 {
        return Err(bad("is longer than 254 characters"));
    }
    if e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains spaces"));
    }
    match e.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(e)
        }
        _ => Err(bad("is not an email address")),
    }
}

/// Checks a person's name: not blank, at most 200 characters.
pub fn check_name(name: &str) -> Result<String> {
    // One printable line: names are shown at the gate and in other people's tables.
    crate::domain::text::check_line("name", name, 200)
}

/// Looks a user up by email (case-insensitive).
pub fn find(conn: &Tx<'_>, email: &str) -> Result<Option<User>> {
    store::users::by_email(conn, &email.trim().to_lowercase())
}

/// Looks a user up by email, or fails with not-found.
pub fn get(conn: &Tx<'_>, email: &str) -> Result<User> {
    find(conn, email)?.ok_or_else(|| Error::not_found(Missing::User, email.trim()))
}

/// Resolves the acting user from `--as`/`TIX_USER`: `None` is the public.
pub fn actor(store: &Store, email: Option<&str>) -> Result<Actor> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(Actor::public()),
        Some(e) => store.read(|c| {
            let user = find(c, e)?.ok_or_else(|| Error::not_found(Missing::ActingUser, e))?;
            Ok(Actor::user(user))
        }),
    }
}

fn insert(conn: &Tx<'_>, email: &str, name: &str, role: Role) -> Result<User> {
    // Admins need no verification.
    store::users::insert(conn, email, name, role, role.starts_verified(), time::now())
}

/// What `tix init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    /// The database file.
    pub database: String,
    /// Whether the file was created by this run.
    pub created: bool,
    /// The schema version of the database.
    pub schema_version: i64,
    /// The admin named with `--admin`, if any.
    pub admin: Option<User>,
    /// Whether that admin was created by this run (false: they already existed).
    pub admin_created: bool,
}

/// Sets up a database: it is already migrated by opening; with `admin`, also makes the
/// first admin. Safe to run again: an existing admin of that email is left as is.
pub fn init(store: &mut Store, admin: Option<(&str, Option<&str>)>) -> Result<InitReport> {
    let created = store.was_created();
    let (admin, admin_created) = match admin {
        None => (None, false),
        Some((email, name)) => {
            let email = normalize_email(email)?;
            let name = match name {
                Some(n) => check_name(n)?,
                None => email.split('@').next().unwrap_or("admin").to_string(),
            };
            store.write(|tx| match find(tx, &email)? {
                // Run again with the same admin: nothing to do.
                Some(u) if authorize(&Actor::user(u.clone()), Action::AddUser).is_ok() => {
                    Ok((Some(u), false))
                }
                Some(u) => Err(Rule::AdminEmailTaken {
                    email: u.email,
                    role: u.role.to_string(),
                }
                .into()),
                None => {
                    authorize(
                        &Actor::public(),
                        Action::AddFirstAdmin {
                            admins: store::users::count_admins(tx)?,
                        },
                    )?;
                    Ok((Some(insert(tx, &email, &name, Role::Admin)?), true))
                }
            })?
        }
    };
    Ok(InitReport {
        database: store.path().display().to_string(),
        created,
        schema_version: store.schema_version()?,
        admin,
        admin_created,
    })
}

/// Adds a user account (admin only).
pub fn add(store: &mut Store, actor: &Actor, email: &str, name: &str, role: Role) -> Result<User> {
    authorize(actor, Action::AddUser)?;
    let email = normalize_email(email)?;
    let name = check_name(name)?;
    store.write(|tx| {
        let user = create_in(tx, &email, &name, role)?;
        record(tx, actor, "user.add", &user)?;
        Ok(user)
    })
}

/// Creates a user inside an open transaction, refusing a duplicate email.
pub(crate) fn create_in(conn: &Tx<'_>, email: &str, name: &str, role: Role) -> Result<User> {
    if let Some(existing) = find(conn, email)? {
        return Err(Rule::UserExists {
            email: existing.email,
            role: existing.role.to_string(),
        }
        .into());
    }
    insert(conn, email, name, role)
}

/// Marks a promoter verified (admin only), after which they may create tiers.
/// Verifying an already verified promoter changes nothing.
pub fn verify(store: &mut Store, actor: &Actor, email: &str) -> Result<User> {
    authorize(actor, Action::VerifyUser)?;
    store.write(|tx| {
        let before = get(tx, email)?;
        let user = verify_in(tx, email)?;
        if !before.verified {
            record(tx, actor, "user.verify", &user)?;
        }
        Ok(user)
    })
}

fn record(conn: &Tx<'_>, actor: &Actor, action: &str, user: &User) -> Result<()> {
    crate::ops::audit::record(
        conn,
        actor,
        action,
        crate::ops::audit::Subject {
            object_type: "user",
            object_id: &user.email,
            event_id: None,
            ticket_id: None,
        },
        serde_json::json!({ "role": user.role, "verified": user.verified }),
    )
}

pub(crate) fn verify_in(conn: &Tx<'_>, email: &str) -> Result<User> {
    let mut user = get(conn, email)?;
    user.check_verifiable()?;
    if !user.verified {
        store::users::mark_verified(conn, user.id)?;
        user.verified = true;
    }
    Ok(user)
}

/// Every user, by email (admin only).
pub fn list(store: &Store, actor: &Actor) -> Result<Vec<User>> {
    authorize(actor, Action::ListUsers)?;
    store.read(store::users::all)
}

/// One user's account (an admin, or the user themself).
pub fn show(store: &Store, actor: &Actor, email: &str) -> Result<User> {
    store.read(|c| {
        let user = match find(c, email)? {
            Some(u) => u,
            // Don't reveal to non-admins whether an account exists.
            None => {
                authorize(actor, Action::ListUsers)?;
                return Err(Error::not_found(Missing::User, email.trim()));
            }
        };
        authorize(actor, Action::ShowUser(&user))?;
        Ok(user)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email(" Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "a@b@c.d",
            "ana@.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn init_is_idempotent_and_admin_only_once() {
        let mut s = Store::open_in_memory().unwrap();
        let r = init(&mut s, Some(("Root@Example.com", None))).unwrap();
        assert!(r.admin_created);
        assert_eq!(r.admin.as_ref().unwrap().name, "root");
        let r = init(&mut s, Some(("root@example.com", None))).unwrap();
        assert!(!r.admin_created);
        let e = init(&mut s, Some(("other@example.com", None))).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::PermissionDenied);
    }
}
