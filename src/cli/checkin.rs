//! `tix validate`, `tix checkin …` and `tix scanner …`: the gate.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use comfy_table::Cell;

use super::Ctx;
use super::render::{ListRow, Render, Style, emit, fields};
use crate::checkin::{self, Scan, Stats, TierStats, Verdict};
use crate::error::Error;
use crate::offline::{self, ExportReport, GateFile, MergeReport};
use crate::qr;
use crate::store::Store;
use crate::time::rfc3339;

/// Arguments of `tix validate`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").args(["code", "image"]).required(true)))]
pub struct ValidateArgs {
    /// The text scanned from a QR code, or a ticket UUID typed by staff
    pub code: Option<String>,
    /// Read the code from a photo or PNG/JPEG of the QR code instead
    #[arg(long, value_name = "FILE")]
    pub image: Option<PathBuf>,
    /// The event this gate admits to: tickets of other events are refused
    #[arg(long, value_name = "ID")]
    pub event: Option<i64>,
    /// The gate's name, recorded with the scan
    #[arg(long, value_name = "NAME")]
    pub gate: Option<String>,
    /// Check the ticket without admitting it
    #[arg(long)]
    pub dry_run: bool,
}

/// `tix checkin` subcommands.
#[derive(Debug, Subcommand)]
pub enum CheckinCmd {
    /// Read codes from a scanner (one per line on stdin) until EOF, answering each at once
    Scan {
        /// The event this gate admits to
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
        /// The gate's name, recorded with each scan
        #[arg(long, value_name = "NAME")]
        gate: Option<String>,
        /// Check tickets without admitting them
        #[arg(long)]
        dry_run: bool,
    },
    /// Checked in versus sold, per tier, with arrivals per 15 minutes
    Stats {
        /// The event's id
        event_id: i64,
    },
}

/// `tix scanner` subcommands: offline gate files.
#[derive(Debug, Subcommand)]
pub enum ScannerCmd {
    /// Write a self-contained gate file to validate an event's tickets with no network
    Export {
        /// The event's id
        event_id: i64,
        /// The gate file to write
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace an existing file (its unmerged scans are lost)
        #[arg(long)]
        force: bool,
    },
    /// Bring the scans of gate files back into this database, reporting every conflict
    Merge {
        /// The event's id
        event_id: i64,
        /// The gate files
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The name of this device in the scan log: `TIX_DEVICE`, else the host name.
fn device() -> String {
    std::env::var("TIX_DEVICE")
        .ok()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "unknown-device".into())
}

/// Where scans are decided: the main database (with an actor) or a gate file.
enum Gate {
    Main(Box<Store>, crate::Actor),
    File(Box<GateFile>),
}

impl Gate {
    fn open(ctx: &Ctx) -> anyhow::Result<Gate> {
        let path = ctx.db_path()?;
        if offline::is_gate_file(&path)? {
            Ok(Gate::File(Box::new(GateFile::open(&path)?)))
        } else {
            let (store, actor) = ctx.session()?;
            Ok(Gate::Main(Box::new(store), actor))
        }
    }

    fn validate(&mut self, scan: &Scan<'_>) -> crate::Result<Verdict> {
        match self {
            Gate::Main(store, actor) => checkin::validate(store, actor, scan),
            Gate::File(file) => file.validate(scan),
        }
    }
}

/// `tix validate`.
pub fn validate(ctx: &Ctx, args: ValidateArgs) -> anyhow::Result<()> {
    let code = match (&args.code, &args.image) {
        (_, Some(path)) => qr::decode_file(path)?,
        (Some(code), None) => code.clone(),
        (None, None) => return Err(Error::Usage("give a CODE or --image FILE".into()).into()),
    };
    let mut gate = Gate::open(ctx)?;
    let device = device();
    let verdict = gate.validate(&Scan {
        code: &code,
        event_id: args.event,
        gate: args.gate.as_deref(),
        device: &device,
        dry_run: args.dry_run,
    })?;
    emit(ctx, &verdict)?;
    if verdict.valid {
        Ok(())
    } else {
        Err(Error::Rejected {
            count: 1,
            reason: Some(verdict.reason.as_str()),
        }
        .into())
    }
}

fn verdict_line(v: &Verdict, style: &Style) -> String {
    let (word, color) = if v.valid {
        ("ACCEPTED", "\x1b[1;97;42m")
    } else {
        ("REJECTED", "\x1b[1;97;41m")
    };
    let head = if style.color {
        format!("{color} {word} \x1b[0m")
    } else {
        word.to_string()
    };
    let mut parts = vec![v.message.clone()];
    if let Some(n) = &v.attendee_name {
        parts.push(n.clone());
    }
    if let Some(t) = &v.tier_name {
        parts.push(t.clone());
    }
    if v.offline {
        parts.push("offline".into());
    }
    format!("{head}  {}", parts.join(" | "))
}

/// What a busy gate sees for one scan on a terminal: a wide coloured bar with the verdict
/// and who it is, the reason in words under it with the running count, and a bell on a
/// refusal so staff hear it without looking.
fn gate_banner(v: &Verdict, style: &Style, admitted: u64, rejected: u64) -> String {
    const WIDTH: usize = 64;
    let word = if v.valid {
        "  >>  ACCEPTED  <<"
    } else {
        "  XX  REJECTED  XX"
    };
    let who = [v.attendee_name.as_deref(), v.tier_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("  |  ");
    let mut bar = format!("{word}    {who}");
    let len = bar.chars().count();
    if len < WIDTH {
        bar.push_str(&" ".repeat(WIDTH - len));
    }
    let bar = if style.color {
        let colour = if v.valid {
            "\x1b[1;97;42m"
        } else {
            "\x1b[1;97;41m"
        };
        format!("{colour}{bar}\x1b[0m")
    } else {
        bar
    };
    let bell = if v.valid { "" } else { "\x07" };
    let offline = if v.offline { "  (offline)" } else { "" };
    format!(
        "\n{bell}{bar}\n  {}{offline}\n  admitted {admitted}  |  refused {rejected}\n",
        v.message
    )
}

impl Render for Verdict {
    fn human(&self, style: &Style) -> String {
        verdict_line(self, style)
    }

    fn quiet(&self) -> String {
        self.reason.as_str().to_string()
    }
}

/// Runs a `tix checkin` subcommand.
pub fn run(ctx: &Ctx, cmd: CheckinCmd) -> anyhow::Result<()> {
    match cmd {
        CheckinCmd::Scan {
            event,
            gate,
            dry_run,
        } => scan_loop(ctx, event, gate, dry_run),
        CheckinCmd::Stats { event_id } => {
            let (store, actor) = ctx.session()?;
            emit(ctx, &checkin::stats(&store, &actor, event_id)?)
        }
    }
}

fn scan_loop(
    ctx: &Ctx,
    event: Option<i64>,
    gate_name: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mut gate = Gate::open(ctx)?;
    if let Gate::Main(store, actor) = &gate {
        // Refuse at once, not at the first scan, if this actor may not work this gate.
        checkin::check_gate_access(store, actor, event)?;
    }
    let device = device();
    let style = Style {
        color: super::render::color_allowed(),
    };
    let tty = std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    let (mut admitted, mut rejected) = (0u64, 0u64);
    let mut json = if ctx.json {
        Some(super::render::JsonArray::start(std::io::stdout().lock())?)
    } else {
        None
    };
    if tty && !ctx.json {
        writeln!(out, "Ready: scan tickets (Ctrl-D to finish).")?;
    }
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.map_err(|source| Error::Io {
            action: "read",
            path: "standard input".into(),
            source,
        })?;
        let code = line.trim();
        if code.is_empty() {
            continue;
        }
        let scanned = gate.validate(&Scan {
            code,
            event_id: event,
            gate: gate_name.as_deref(),
            device: &device,
            dry_run,
        });
        let v = match scanned {
            Ok(v) => v,
            // A ticket of an event this person may not admit to: at a busy gate that is
            // a refusal like any other, not a reason to stop the queue.
            Err(e) if e.kind() == crate::ErrorKind::PermissionDenied => checkin::not_this_gate(&e),
            Err(e) => {
                if let Some(array) = json {
                    array.finish()?;
                }
                return Err(e.into());
            }
        };
        if v.valid {
            admitted += 1;
        } else {
            rejected += 1;
        }
        if let Some(array) = &mut json {
            array.push(&v)?;
        } else if ctx.quiet {
            writeln!(out, "{}", v.reason.as_str())?;
        } else {
            if tty {
                write!(out, "{}", gate_banner(&v, &style, admitted, rejected))?;
            } else {
                writeln!(out, "{}", verdict_line(&v, &style))?;
            }
        }
        out.flush()?;
    }
    if let Some(array) = json {
        array.finish()?;
    }
    out.flush()?;
    super::render::note(
        ctx,
        &format!(
            "Scanned {}: {admitted} admitted, {rejected} rejected.",
            admitted + rejected
        ),
    );
    if rejected > 0 {
        Err(Error::Rejected {
            count: rejected,
            reason: None,
        }
        .into())
    } else {
        Ok(())
    }
}

impl Render for Stats {
    fn human(&self, style: &Style) -> String {
        let head = format!(
            "Event {} \"{}\": {} of {} checked in ({}%), {} scans refused",
            self.event_id,
            self.event_title,
            self.checked_in,
            self.sold,
            self.percent,
            self.rejected_scans
        );
        let tiers = self.tiers.human(style);
        let mut text = format!("{head}\n\n{tiers}");
        if !self.arrivals.is_empty() {
            let max = self
                .arrivals
                .iter()
                .map(|s| s.arrivals)
                .max()
                .unwrap_or(1)
                .max(1);
            text.push_str("\n\nArrivals per 15 minutes:");
            for s in &self.arrivals {
                let bar = "#".repeat(((s.arrivals * 40) / max) as usize);
                text.push_str(&format!(
                    "\n  {}  {:>5}  {bar}",
                    rfc3339(s.from),
                    s.arrivals
                ));
            }
        }
        text
    }

    fn quiet(&self) -> String {
        format!("{}/{}", self.checked_in, self.sold)
    }
}

impl ListRow for TierStats {
    const HEADERS: &'static [&'static str] = &["Tier", "Checked in", "Sold", "%"];
    const EMPTY: &'static str = "No tiers.";

    fn cells(&self, _style: &Style) -> Vec<Cell> {
        vec![
            Cell::new(&self.tier_name),
            Cell::new(self.checked_in),
            Cell::new(self.sold),
            Cell::new(self.percent),
        ]
    }

    fn key(&self) -> String {
        self.tier_id.to_string()
    }
}

/// Runs a `tix scanner` subcommand.
pub fn scanner(ctx: &Ctx, cmd: ScannerCmd) -> anyhow::Result<()> {
    let (mut store, actor) = ctx.session()?;
    match cmd {
        ScannerCmd::Export {
            event_id,
            out,
            force,
        } => emit(
            ctx,
            &offline::export(&store, &actor, event_id, &out, force)?,
        ),
        ScannerCmd::Merge { event_id, files } => {
            emit(ctx, &offline::merge(&mut store, &actor, event_id, &files)?)
        }
    }
}

impl Render for ExportReport {
    fn human(&self, style: &Style) -> String {
        fields(
            style,
            Some(format!(
                "Gate file for event {} \"{}\" written.",
                self.event_id, self.event_title
            )),
            vec![
                ("File", self.file.clone()),
                (
                    "Tickets",
                    format!("{} ({} still to admit)", self.tickets, self.admissible),
                ),
                ("Exported", rfc3339(self.exported_at)),
                (
                    "Use",
                    format!("tix --db '{}' checkin scan --gate NAME", self.file),
                ),
            ],
        )
    }

    fn quiet(&self) -> String {
        self.file.clone()
    }
}

impl Render for MergeReport {
    fn human(&self, style: &Style) -> String {
        let mut text = format!(
            "Merged {} file(s) into event {}: {} new scans ({} already merged), {} tickets checked in, {} conflicts.",
            self.files.len(),
            self.event_id,
            self.scans_merged,
            self.scans_already_merged,
            self.admitted,
            self.conflicts.len()
        );
        if !self.conflicts.is_empty() {
            text.push_str("\n\n");
            text.push_str(&self.conflicts.human(style));
        }
        text
    }

    fn quiet(&self) -> String {
        self.conflicts.len().to_string()
    }
}

impl ListRow for offline::Conflict {
    const HEADERS: &'static [&'static str] = &[
        "Conflict",
        "Ticket",
        "Gate",
        "Device",
        "Offline scan",
        "What happened",
    ];
    const EMPTY: &'static str = "No conflicts.";

    fn cells(&self, _style: &Style) -> Vec<Cell> {
        vec![
            Cell::new(&self.kind),
            Cell::new(self.ticket_id.map_or("-".into(), |i| i.to_string())),
            Cell::new(self.gate.as_deref().unwrap_or("-")),
            Cell::new(&self.device),
            Cell::new(rfc3339(self.scanned_at)),
            Cell::new(&self.detail),
        ]
    }

    fn key(&self) -> String {
        self.ticket_uuid.clone().unwrap_or_default()
    }
}
