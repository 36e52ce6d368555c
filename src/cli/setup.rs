//! `tix init` and `tix demo`.

use clap::Args;

use super::Ctx;
use super::render::{Render, Style, emit, fields, yes_no};
use tix::EventStatus;
use tix::ops::demo::{self, DemoReport};
use tix::ops::users::{self, InitReport};
use tix::time::rfc3339;

/// Arguments of `tix init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Email of the first admin (created if the database has no admin yet)
    #[arg(long, value_name = "EMAIL")]
    pub admin: Option<String>,
    /// The admin's name [default: the part of the email before @]
    #[arg(long, value_name = "NAME", requires = "admin")]
    pub name: Option<String>,
}

/// `tix init`.
pub fn init(ctx: &Ctx, mut args: InitArgs) -> anyhow::Result<()> {
    // On a terminal, the first admin is asked for (Enter: none yet).
    if args.admin.is_none() && ctx.can_ask() {
        let email: String = dialoguer::Input::<String>::new()
            .with_prompt("E-mail of the first admin (Enter for none yet)")
            .allow_empty(true)
            .validate_with(|e: &String| -> Result<(), String> {
                if e.trim().is_empty() {
                    return Ok(());
                }
                users::normalize_email(e)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .interact_text()
            .map_err(|e| {
                tix::Error::Usage(format!(
                    "could not read an answer ({e}); pass --admin EMAIL"
                ))
            })?;
        if !email.trim().is_empty() {
            let name: String = dialoguer::Input::<String>::new()
                .with_prompt("Their name")
                .default(email.split('@').next().unwrap_or_default().to_string())
                .interact_text()
                .map_err(|e| {
                    tix::Error::Usage(format!("could not read an answer ({e}); pass --name NAME"))
                })?;
            args.admin = Some(email.trim().to_string());
            args.name = Some(name);
        }
    }
    // Check what can be checked before a database file comes to exist.
    if let Some(email) = &args.admin {
        users::normalize_email(email)?;
    }
    if let Some(name) = &args.name {
        users::check_name(name)?;
    }
    let mut store = ctx.open(true)?;
    let admin = args.admin.as_deref().map(|e| (e, args.name.as_deref()));
    let report = users::init(&mut store, admin)?;
    emit(ctx, &report)
}

impl Render for InitReport {
    fn human(&self, style: &Style) -> String {
        let what = if self.created {
            "Created the tix database"
        } else {
            "The tix database is ready"
        };
        let mut rows = vec![
            ("Database", self.database.clone()),
            ("Schema", format!("version {}", self.schema_version)),
        ];
        if let Some(a) = &self.admin {
            let how = if self.admin_created {
                "created"
            } else {
                "already there"
            };
            rows.push(("Admin", format!("{} ({how})", a.email)));
        }
        let mut text = fields(style, Some(format!("{what}.")), rows);
        if let Some(a) = &self.admin {
            text.push_str(&format!(
                "\n\nNext: act as the admin with --as {0} (or TIX_USER={0}), e.g.\n  tix --as {0} user add promoter@example.com --name \"Pat\" --role promoter",
                a.email
            ));
        }
        text
    }

    fn quiet(&self) -> String {
        self.database.clone()
    }
}

/// How to run this very binary from a shell: `tix` when that is what `tix` on PATH runs,
/// else its full path (after `cargo run`, `tix` is not on PATH).
fn self_command() -> String {
    let me = std::env::current_exe().ok();
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("tix"))
            .find(|p| p.is_file())
    });
    match (me, on_path) {
        (Some(me), Some(found)) if tix::files::same_file(&me, &found) => "tix".to_string(),
        (Some(me), _) => {
            let p = me.display().to_string();
            if p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
            {
                p
            } else {
                format!("'{}'", p.replace('\'', "'\\''"))
            }
        }
        (None, _) => "tix".to_string(),
    }
}

/// `tix demo`.
pub fn demo(ctx: &Ctx) -> anyhow::Result<()> {
    let mut store = ctx.open(true)?;
    let report = demo::run(&mut store)?;
    emit(ctx, &report)
}

impl Render for DemoReport {
    fn human(&self, style: &Style) -> String {
        let head = if self.already_present {
            "The demo data is already in this database; nothing was added."
        } else {
            "Demo data created."
        };
        // The database by its full path, so the commands work from any directory.
        let full = std::path::Path::new(&self.database)
            .canonicalize()
            .map_or_else(|_| self.database.clone(), |p| p.display().to_string());
        let db = format!("--db '{}' ", full.replace('\'', "'\\''"));
        let tix = self_command();
        let f = &self.festival;
        let mut tiers = String::new();
        for (t, a) in self.tiers.iter().zip(&self.availability) {
            tiers.push_str(&format!(
                "\n  tier {:<3} {:<18} {:>8} {}  {}",
                t.id,
                t.name,
                t.price(),
                t.currency,
                a.message
            ));
        }
        let people = fields(
            style,
            None,
            vec![
                (
                    "admin",
                    format!("{} ({})", self.admin.email, self.admin.name),
                ),
                (
                    "promoter",
                    format!(
                        "{} (verified: {})",
                        self.promoter.email,
                        yes_no(self.promoter.verified)
                    ),
                ),
                ("buyer", self.buyer.email.clone()),
            ],
        );
        let p = &self.promoter.email;
        let vip = self.tiers.last().map_or(0, |t| t.id);
        let d = &self.draft_event;
        let ga = self.tiers.get(1).map_or(0, |t| t.id);
        let fan = &self.buyer.email;
        let sections: [(&str, Vec<String>); 3] = [
            (
                "Look around (public)",
                vec![
                    format!("{tix} {db}event list"),
                    format!("{tix} {db}tier list {}", f.id),
                    format!("{tix} {db}tier availability {vip}"),
                ],
            ),
            (
                "Set up as the promoter",
                vec![
                    if self.tiers.iter().any(|t| t.name == "Late Night Pass") {
                        format!("{tix} {db}--as {p} tier list {} --include-inactive", f.id)
                    } else {
                        format!(
                            "{tix} {db}--as {p} tier create {} --name \"Late Night Pass\" --price 35 --quantity 300 --max-purchase 6",
                            f.id
                        )
                    },
                    format!(
                        "{tix} {db}--as {p} tier update {vip} --description \"Lounge and fast lane\""
                    ),
                    format!(
                        "{tix} {db}--as {p} tier import \"$({tix} {db}--as {p} -q event create --title \"Summer Nights\" --starts-at \"2027-07-15 18:00\" --timezone Europe/Berlin)\" examples/festival-tiers.csv --dry-run"
                    ),
                    if d.status == EventStatus::Draft {
                        format!("{tix} {db}--as {p} event publish {}", d.id)
                    } else {
                        format!("{tix} {db}--as {p} event show {}", d.id)
                    },
                ],
            ),
            (
                "Sell and check in",
                vec![
                    format!("{tix} {db}--as {fan} order create --tier {ga} --quantity 2"),
                    format!("{tix} {db}--as {fan} ticket show 1 --qr-terminal"),
                    format!(
                        "{tix} {db}--as {p} validate \"$({tix} {db}--as {fan} -q ticket show 1)\" --event {} --gate North",
                        f.id
                    ),
                    format!("{tix} {db}--as {p} checkin stats {}", f.id),
                    format!(
                        "{tix} {db}--as {p} scanner export {} --out gate.tixgate",
                        f.id
                    ),
                ],
            ),
        ];
        let next = sections
            .iter()
            .map(|(title, cmds)| {
                format!(
                    "  {title}:\n{}",
                    cmds.iter()
                        .map(|c| format!("    {c}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
            .collect::<Vec<_>>();
        format!(
            "{head}\n\nDatabase: {}\n\nPeople:\n{people}\n\n\
             Event {} \"{}\" ({}, {}, starts {} / {}){tiers}\n\n\
             Event {} \"{}\" {}.\n\n\
             Try next (examples/ is in the repository):\n{}",
            self.database,
            f.id,
            f.title,
            f.status,
            f.venue.as_deref().unwrap_or("-"),
            f.timezone.human(f.starts_at),
            rfc3339(f.starts_at),
            d.id,
            d.title,
            if d.status == EventStatus::Draft {
                "is still a draft".to_string()
            } else {
                format!("is {}", d.status)
            },
            next.join("\n\n"),
        )
    }

    fn quiet(&self) -> String {
        self.database.clone()
    }
}
