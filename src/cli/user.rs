//! `tix user …`.

use clap::{Subcommand, ValueEnum};
use comfy_table::{Cell, Color};

use super::render::{ListRow, Render, Style, emit, fields, yes_no};
use super::{Ctx, ask};
use tix::access::Role;
use tix::ops::users::{self, User};
use tix::time::rfc3339;

/// Roles as command-line values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Buys and holds tickets
    User,
    /// Runs events (creates tiers once verified)
    Promoter,
    /// Checks tickets in at assigned events
    Staff,
    /// May do everything
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::User => Role::User,
            RoleArg::Promoter => Role::Promoter,
            RoleArg::Staff => Role::Staff,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// `tix user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user (admin only)
    Add {
        /// The new user's email (required; asked for on a terminal)
        email: Option<String>,
        /// Their name (required; asked for on a terminal)
        #[arg(long)]
        name: Option<String>,
        /// What they may do
        #[arg(long, value_enum, default_value = "user")]
        role: RoleArg,
    },
    /// Mark a promoter verified, so they may create tiers (admin only)
    Verify {
        /// The promoter's email
        email: String,
    },
    /// List all users (admin only)
    List,
    /// Show one user (admin, or the user themself)
    Show {
        /// The user's email
        email: String,
    },
}

/// The usage shown when a required value is missing and cannot be asked for.
const USER_ADD_USAGE: &str = "tix user add <EMAIL> --name <NAME> [--role <ROLE>]";

/// Runs a `tix user` subcommand.
pub fn run(ctx: &Ctx, cmd: UserCmd) -> anyhow::Result<()> {
    if let UserCmd::Add { email, name, .. } = &cmd {
        ask::require(
            ctx,
            &[
                ("<EMAIL>", email.is_some()),
                ("--name <NAME>", name.is_some()),
            ],
            USER_ADD_USAGE,
        )?;
    }
    let (mut store, actor) = ctx.session()?;
    match cmd {
        UserCmd::Add { email, name, role } => {
            let email: String = ask::checked(email, "E-mail", None, &|e: &String| {
                users::normalize_email(e)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })?;
            let name: String = ask::checked(name, "Name", None, &|n: &String| {
                users::check_name(n).map(|_| ()).map_err(|e| e.to_string())
            })?;
            emit(
                ctx,
                &users::add(&mut store, &actor, &email, &name, role.into())?,
            )
        }
        UserCmd::Verify { email } => emit(ctx, &users::verify(&mut store, &actor, &email)?),
        UserCmd::List => emit(ctx, &users::list(&store, &actor)?),
        UserCmd::Show { email } => emit(ctx, &users::show(&store, &actor, &email)?),
    }
}

fn verified_text(u: &User) -> String {
    match u.role {
        Role::Promoter => yes_no(u.verified),
        _ => "-".into(),
    }
}

impl Render for User {
    fn human(&self, style: &Style) -> String {
        fields(
            style,
            None,
            vec![
                ("Email", self.email.clone()),
                ("Name", self.name.clone()),
                ("Role", self.role.to_string()),
                ("Verified", verified_text(self)),
                ("Created", rfc3339(self.created_at)),
            ],
        )
    }

    fn quiet(&self) -> String {
        self.email.clone()
    }
}

impl ListRow for User {
    const HEADERS: &'static [&'static str] = &["Email", "Name", "Role", "Verified", "Created"];
    const EMPTY: &'static str = "No users.";
    const DROP: &'static [&'static str] = &["Created", "Verified"];
    const WRAP: &'static [&'static str] = &["Name"];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        let role_color = match self.role {
            Role::Admin => Color::Magenta,
            Role::Promoter => Color::Cyan,
            Role::Staff => Color::Yellow,
            Role::User => Color::Reset,
        };
        vec![
            Cell::new(&self.email),
            Cell::new(&self.name),
            style.cell(self.role, role_color),
            Cell::new(verified_text(self)),
            Cell::new(rfc3339(self.created_at)),
        ]
    }

    fn key(&self) -> String {
        self.email.clone()
    }
}
