//! `tix tier …`.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use comfy_table::{Cell, Color};
use serde::Serialize;

use super::render::{ListRow, Render, Style, emit, fields, yes_no};
use super::{Ctx, ask};
use tix::error::Error;
use tix::ops::events;
use tix::ops::import::{self, Format, ImportAction, ImportReport};
use tix::ops::tiers::{self, Availability, Tier, TierFields};
use tix::time::rfc3339;

/// Options shared by `tier create` and `tier update`.
#[derive(Debug, Args)]
pub struct TierOptions {
    /// Text for buyers (update: "" clears it)
    #[arg(long)]
    pub description: Option<String>,
    /// Fewest tickets per order [default: 1]
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub min_purchase: Option<i64>,
    /// Most tickets per order [default: 10, or the quantity if smaller]
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_purchase: Option<i64>,
    /// Sales open: RFC 3339, or 'YYYY-MM-DD HH:MM' in the event's zone (update: "" clears)
    #[arg(long, value_name = "TIME")]
    pub sale_start: Option<String>,
    /// Sales close, after the start (update: "" clears)
    #[arg(long, value_name = "TIME")]
    pub sale_end: Option<String>,
    /// Orders wait for the promoter's approval
    #[arg(long)]
    pub requires_approval: bool,
    /// Tickets may not be transferred to another account
    #[arg(long)]
    pub no_transfer: bool,
    /// Hide the tier from buyers
    #[arg(long)]
    pub inactive: bool,
    /// Sort order within the event [default: after the last tier]
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub position: Option<i64>,
    /// How long a waitlist offer holds its seats, e.g. 30m, 24h, 2d [default: 24h]
    #[arg(long, value_name = "DURATION")]
    pub waitlist_hold: Option<String>,
}

/// Arguments of `tix tier create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The event's id (required; asked for on a terminal)
    pub event_id: Option<i64>,
    /// Name, unique within the event (required; asked for on a terminal)
    #[arg(long)]
    pub name: Option<String>,
    /// Price, an exact decimal in the event's currency, e.g. 199.99; 0 for free (required; asked for on a terminal)
    #[arg(long, allow_hyphen_values = true)]
    pub price: Option<String>,
    /// Number of tickets (required; asked for on a terminal)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub quantity: Option<i64>,
    #[command(flatten)]
    pub options: TierOptions,
}

/// Arguments of `tix tier update`: only the given fields change.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The tier's id
    pub tier_id: i64,
    /// New name
    #[arg(long)]
    pub name: Option<String>,
    /// New price (refused once tickets are sold)
    #[arg(long, allow_hyphen_values = true)]
    pub price: Option<String>,
    /// New number of tickets (never below those sold)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub quantity: Option<i64>,
    #[command(flatten)]
    pub options: TierOptions,
    /// Offer the tier to buyers again
    #[arg(long, conflicts_with = "inactive")]
    pub active: bool,
    /// Orders no longer need approval
    #[arg(long, conflicts_with = "requires_approval")]
    pub no_requires_approval: bool,
    /// Tickets may be transferred again
    #[arg(long, conflicts_with = "no_transfer")]
    pub transferable: bool,
}

/// `tix tier` subcommands.
#[derive(Debug, Subcommand)]
pub enum TierCmd {
    /// Create a tier (the event's verified promoter or an admin)
    Create(CreateArgs),
    /// List an event's tiers by position
    List {
        /// The event's id
        event_id: i64,
        /// Also show inactive tiers (the event's promoter or an admin)
        #[arg(long)]
        include_inactive: bool,
    },
    /// Show a tier with its sales figures
    Show {
        /// The tier's id
        tier_id: i64,
    },
    /// Whether a tier can be bought right now, and why not
    Availability {
        /// The tier's id
        tier_id: i64,
    },
    /// Change some fields of a tier
    Update(UpdateArgs),
    /// Delete a tier with no sales; asks for confirmation
    Delete {
        /// The tier's id
        tier_id: i64,
    },
    /// Create or update many tiers from a JSON or CSV file, all or nothing
    Import {
        /// The event's id
        event_id: i64,
        /// The file (.json or .csv; - reads stdin)
        file: PathBuf,
        /// Check everything and show what would change, but change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

fn flag(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

impl TierOptions {
    fn into_fields(
        self,
        name: Option<String>,
        price: Option<String>,
        quantity: Option<i64>,
    ) -> TierFields {
        TierFields {
            name,
            description: self.description,
            price,
            quantity,
            min_purchase: self.min_purchase,
            max_purchase: self.max_purchase,
            sale_start: self.sale_start,
            sale_end: self.sale_end,
            requires_approval: self.requires_approval.then_some(true),
            transferable: self.no_transfer.then_some(false),
            is_active: self.inactive.then_some(false),
            position: self.position,
            waitlist_hold: self.waitlist_hold,
        }
    }
}

/// An answer that must be a count of at least one.
pub(super) fn at_least_one(n: &i64) -> Result<(), String> {
    if *n >= 1 {
        Ok(())
    } else {
        Err("at least 1, please".to_string())
    }
}

/// The usage shown when a required value is missing and cannot be asked for.
const TIER_CREATE_USAGE: &str =
    "tix tier create <EVENT_ID> --name <NAME> --price <PRICE> --quantity <N> [OPTIONS]";

/// Runs a `tix tier` subcommand.
pub fn run(ctx: &Ctx, cmd: TierCmd) -> anyhow::Result<()> {
    // A value that is missing and cannot be asked for is a usage error, before anything
    // is opened (as clap's own).
    if let TierCmd::Create(a) = &cmd {
        ask::require(
            ctx,
            &[
                ("<EVENT_ID>", a.event_id.is_some()),
                ("--name <NAME>", a.name.is_some()),
                ("--price <PRICE>", a.price.is_some()),
                ("--quantity <N>", a.quantity.is_some()),
            ],
            TIER_CREATE_USAGE,
        )?;
    }
    let (mut store, actor) = ctx.session()?;
    match cmd {
        TierCmd::Create(a) => {
            let choices = if a.event_id.is_none() {
                events::manageable(&store, &actor)?
                    .into_iter()
                    .map(|e| {
                        (
                            format!(
                                "{}  {} ({}, {})",
                                e.id,
                                e.title,
                                e.status,
                                e.timezone.human(e.starts_at)
                            ),
                            e.id,
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let event_id = ask::choose(a.event_id, "Event", &choices)?;
            let name: String = ask::checked(a.name, "Name", None, &|n: &String| {
                tix::text::check_line("name", n, tiers::MAX_NAME)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })?;
            let currency = if a.price.is_none() {
                Some(events::show(&store, &actor, event_id)?.currency)
            } else {
                None
            };
            let price: String = ask::checked(
                a.price,
                "Price (e.g. 49.50; 0 for free)",
                None,
                &|p: &String| match currency {
                    Some(c) => c.parse_amount(p).map(|_| ()).map_err(|e| e.to_string()),
                    None => Ok(()),
                },
            )?;
            let quantity: i64 =
                ask::checked(a.quantity, "Number of tickets", Some("100"), &at_least_one)?;
            let f = a
                .options
                .into_fields(Some(name), Some(price), Some(quantity));
            emit(ctx, &tiers::create(&mut store, &actor, event_id, &f)?)
        }
        TierCmd::List {
            event_id,
            include_inactive,
        } => emit(
            ctx,
            &tiers::list(&store, &actor, event_id, include_inactive)?,
        ),
        TierCmd::Show { tier_id } => emit(ctx, &tiers::show(&store, &actor, tier_id)?),
        TierCmd::Availability { tier_id } => {
            emit(ctx, &tiers::availability(&store, &actor, tier_id)?)
        }
        TierCmd::Update(a) => {
            let (requires_approval, transferable, is_active) = (
                flag(a.options.requires_approval, a.no_requires_approval),
                flag(a.transferable, a.options.no_transfer),
                flag(a.active, a.options.inactive),
            );
            let mut f = a.options.into_fields(a.name, a.price, a.quantity);
            f.requires_approval = requires_approval;
            f.transferable = transferable;
            f.is_active = is_active;
            emit(ctx, &tiers::update(&mut store, &actor, a.tier_id, &f)?)
        }
        TierCmd::Delete { tier_id } => {
            let tier = tiers::delete(&mut store, &actor, tier_id, |t| {
                ctx.confirm(&format!(
                    "Delete tier {} \"{}\" ({} {}, {} seats)?",
                    t.id,
                    t.name,
                    t.price(),
                    t.currency,
                    t.quantity
                ))
            })?;
            emit(ctx, &Deleted(tier))
        }
        TierCmd::Import {
            event_id,
            file,
            dry_run,
        } => {
            let name = file.display().to_string();
            let content = read_input(&file)?;
            let rows = import::parse(&content, Format::detect(&name, &content))?;
            emit(
                ctx,
                &import::import(&mut store, &actor, event_id, &rows, dry_run)?,
            )
        }
    }
}

/// Reads a whole input file, or stdin for `-`.
fn read_input(path: &PathBuf) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io {
        action: "read",
        path: path.clone(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(io)?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(io)
    }
}

fn per_order(t: &Tier) -> String {
    if t.min_purchase == t.max_purchase {
        format!("{}", t.min_purchase)
    } else {
        format!("{}-{}", t.min_purchase, t.max_purchase)
    }
}

fn window(t: &Tier) -> String {
    match (t.sale_start, t.sale_end) {
        (None, None) => "always".into(),
        (Some(s), None) => format!("from {}", t.zone.human(s)),
        (None, Some(e)) => format!("until {}", t.zone.human(e)),
        (Some(s), Some(e)) => format!("{} - {}", t.zone.human(s), t.zone.human(e)),
    }
}

impl Render for Tier {
    fn human(&self, style: &Style) -> String {
        let time = |t: Option<i64>| {
            t.map_or("-".into(), |t| {
                format!("{}  ({})", self.zone.human(t), rfc3339(t))
            })
        };
        fields(
            style,
            Some(format!("Tier {}: {}", self.id, self.name)),
            vec![
                ("Event", self.event_id.to_string()),
                (
                    "Description",
                    self.description.clone().unwrap_or_else(|| "-".into()),
                ),
                ("Price", format!("{} {}", self.price(), self.currency)),
                ("Quantity", self.quantity.to_string()),
                ("Sold", format!("{} ({}%)", self.sold, self.percent_sold())),
                ("Available", self.available().to_string()),
                ("Per order", per_order(self)),
                ("Sale start", time(self.sale_start)),
                ("Sale end", time(self.sale_end)),
                (
                    "Approval",
                    if self.requires_approval {
                        "required"
                    } else {
                        "not required"
                    }
                    .into(),
                ),
                ("Transferable", yes_no(self.transferable)),
                ("Active", yes_no(self.is_active)),
                ("Position", self.position.to_string()),
                ("Updated", self.zone.human(self.updated_at)),
            ],
        )
    }

    fn quiet(&self) -> String {
        self.id.to_string()
    }
}

fn tier_notes(t: &Tier) -> String {
    let mut notes = Vec::new();
    if !t.is_active {
        notes.push("inactive");
    }
    if t.requires_approval {
        notes.push("approval");
    }
    if !t.transferable {
        notes.push("no transfer");
    }
    notes.join(", ")
}

impl ListRow for Tier {
    const HEADERS: &'static [&'static str] = &[
        "ID",
        "Pos",
        "Name",
        "Price",
        "Sold",
        "Available",
        "Per order",
        "Sale window",
        "Notes",
    ];
    const EMPTY: &'static str = "No tiers.";
    const DROP: &'static [&'static str] = &["Notes", "Sale window", "Per order", "Pos", "Sold"];
    const WRAP: &'static [&'static str] = &["Name", "Sale window", "Notes"];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        let avail = if self.available() == 0 {
            style.cell("sold out", Color::Red)
        } else {
            Cell::new(self.available())
        };
        vec![
            Cell::new(self.id),
            Cell::new(self.position),
            Cell::new(&self.name),
            Cell::new(format!("{} {}", self.price(), self.currency)),
            Cell::new(format!("{}/{}", self.sold, self.quantity)),
            avail,
            Cell::new(per_order(self)),
            Cell::new(window(self)),
            style.cell(tier_notes(self), Color::Yellow),
        ]
    }

    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl Render for Availability {
    fn human(&self, style: &Style) -> String {
        let verdict = if self.can_purchase {
            style.cell("can be bought", Color::Green)
        } else {
            style.cell("cannot be bought now", Color::Red)
        };
        fields(
            style,
            Some(format!(
                "Tier {}: {} ({} {})",
                self.tier_id, self.tier_name, self.price, self.currency
            )),
            vec![
                ("Status", format!("{}: {}", verdict.content(), self.message)),
                (
                    "Available",
                    format!("{} of {}", self.available, self.quantity),
                ),
                ("Sold", self.sold.to_string()),
                ("On sale", yes_no(self.is_on_sale)),
                ("Sold out", yes_no(self.is_sold_out)),
            ],
        )
    }

    fn quiet(&self) -> String {
        self.available.to_string()
    }
}

/// A tier that was just deleted: its JSON is the tier as it was.
#[derive(Serialize)]
#[serde(transparent)]
struct Deleted(Tier);

impl Render for Deleted {
    fn human(&self, _style: &Style) -> String {
        format!(
            "Deleted tier {} \"{}\" of event {}.",
            self.0.id, self.0.name, self.0.event_id
        )
    }

    fn quiet(&self) -> String {
        self.0.id.to_string()
    }
}

impl Render for ImportReport {
    fn human(&self, style: &Style) -> String {
        let head = if self.dry_run {
            format!(
                "Dry run for event {}: would create {}, update {}, leave {} unchanged. Nothing was changed.",
                self.event_id, self.created, self.updated, self.unchanged
            )
        } else {
            format!(
                "Imported into event {}: created {}, updated {}, unchanged {}.",
                self.event_id, self.created, self.updated, self.unchanged
            )
        };
        // A table of a few screens at most: past that, a person reads the summary (and a
        // script reads --json, which has every row). The rows that change come first
        // into it, then unchanged ones while there is room, in the file's order.
        let changed = |i: &usize| self.tiers[*i].action != ImportAction::Unchanged;
        let all = 0..self.tiers.len();
        let mut shown: Vec<usize> = all
            .clone()
            .filter(changed)
            .take(IMPORT_ROWS_SHOWN)
            .collect();
        let room = IMPORT_ROWS_SHOWN - shown.len();
        shown.extend(all.clone().filter(|i| !changed(i)).take(room));
        shown.sort_unstable();
        let rows: Vec<ImportLine<'_>> = shown
            .iter()
            .map(|&i| &self.tiers[i])
            .map(|t| ImportLine {
                row: &t.row,
                action: t.action,
                tier: &t.tier,
                dry_run: self.dry_run,
            })
            .collect();
        let mut text = format!("{head}\n{}", rows.human(style));
        let more = self.tiers.len() - rows.len();
        if more > 0 {
            let changes = all.filter(changed).count()
                - rows
                    .iter()
                    .filter(|r| r.action != ImportAction::Unchanged)
                    .count();
            // Two short lines: they fit an 80-column terminal.
            text.push_str(&format!(
                "\n... and {more} more {}, {changes} of them {}.\n`tix tier list {}` shows every tier; --json lists every row.",
                if more == 1 { "row" } else { "rows" },
                if self.dry_run { "would change" } else { "changed" },
                self.event_id
            ));
        }
        text
    }

    fn quiet(&self) -> String {
        self.tiers
            .iter()
            .map(|t| t.tier.id.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The most rows an import's table shows.
const IMPORT_ROWS_SHOWN: usize = 100;

#[derive(Serialize)]
struct ImportLine<'a> {
    row: &'a str,
    action: ImportAction,
    tier: &'a Tier,
    #[serde(skip)]
    dry_run: bool,
}

impl ListRow for ImportLine<'_> {
    const HEADERS: &'static [&'static str] = &[
        "Row",
        "Action",
        "ID",
        "Name",
        "Price",
        "Quantity",
        "Per order",
        "Sale window",
    ];
    const EMPTY: &'static str = "No tiers.";
    const DROP: &'static [&'static str] = &["Sale window", "Per order"];
    const WRAP: &'static [&'static str] = &["Name"];

    fn cells(&self, style: &Style) -> Vec<Cell> {
        let (text, color) = match self.action {
            ImportAction::Create => ("create", Color::Green),
            ImportAction::Update => ("update", Color::Yellow),
            ImportAction::Unchanged => ("unchanged", Color::DarkGrey),
        };
        let id = if self.dry_run && self.action == ImportAction::Create {
            "new".to_string()
        } else {
            self.tier.id.to_string()
        };
        vec![
            Cell::new(self.row),
            style.cell(text, color),
            Cell::new(id),
            Cell::new(&self.tier.name),
            Cell::new(format!("{} {}", self.tier.price(), self.tier.currency)),
            Cell::new(self.tier.quantity),
            Cell::new(per_order(self.tier)),
            Cell::new(window(self.tier)),
        ]
    }

    fn key(&self) -> String {
        self.tier.id.to_string()
    }
}
