//! People: a registered user and their role.

use serde::Serialize;

use crate::domain::time::{self, Timestamp};
use crate::error::{Error, Result, Rule};

/// The role of a registered user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Buys and holds tickets.
    User,
    /// Runs events; may create tiers once an admin has verified them.
    Promoter,
    /// Gate staff: checks tickets in at the events they are assigned to.
    Staff,
    /// May do everything.
    Admin,
}

impl Role {
    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Promoter => "promoter",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// Reads a role name (`user`, `promoter`, `staff`, `admin`).
    pub fn parse(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "user" => Ok(Role::User),
            "promoter" => Ok(Role::Promoter),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            other => Err(Error::invalid(
                "role",
                format!("'{other}' is not a role; use user, promoter, staff or admin"),
            )),
        }
    }
}

impl Role {
    /// Whether an account of this role is verified from the start: admins need no
    /// verification; promoters wait for an admin's.
    pub fn starts_verified(self) -> bool {
        self == Role::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Internal row id (not part of the JSON surface).
    #[serde(skip)]
    pub id: i64,
    /// Unique, stored in lower case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// For promoters: whether an admin has verified them. Admins are always verified.
    pub verified: bool,
    /// When the account was made.
    #[serde(with = "time::serde_ts")]
    pub created_at: Timestamp,
}

impl User {
    /// Refuses a user who may not hold tickets: gate staff accounts only check tickets in
    /// (a ticket on a staff account would let its holder admit themself).
    pub fn check_may_hold_tickets(&self) -> Result<()> {
        if self.role == Role::Staff {
            return Err(Rule::StaffCannotHold {
                email: self.email.clone(),
            }
            .into());
        }
        Ok(())
    }

    /// Refuses to assign anyone but a staff account to an event's gates.
    pub fn check_assignable_to_gates(&self) -> Result<()> {
        if self.role != Role::Staff {
            return Err(Rule::NotStaffAccount {
                email: self.email.clone(),
                role: self.role.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// Refuses to verify anyone but a promoter.
    pub fn check_verifiable(&self) -> Result<()> {
        if self.role != Role::Promoter {
            return Err(Rule::NotAPromoter {
                email: self.email.clone(),
                role: self.role.to_string(),
            }
            .into());
        }
        Ok(())
    }
}
