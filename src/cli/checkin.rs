//! `tix validate`, `tix checkin …` and `tix scanner …`: the gate.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use comfy_table::Cell;

use super::Ctx;
use super::render::{ListRow, Render, Style, emit, fields, printable};
use tix::error::{Error, Missing};
use tix::ops::checkin::{self, DoorEntry, Scan, Stats, TierStats, Verdict};
use tix::ops::gate::Gate;
use tix::ops::offline::{self, ExportReport, MergeReport};
use tix::qr;
use tix::time::rfc3339;

/// Arguments of `tix validate`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").args(["code", "image", "ticket"]).required(true)))]
pub struct ValidateArgs {
    /// The text scanned from a QR code, or a ticket UUID typed by staff
    pub code: Option<String>,
    /// Admit this ticket (id or UUID, from `checkin lookup`) by hand, after checking who
    /// the person is: for a holder whose code will not scan (needs --manual)
    #[arg(long, value_name = "ID", requires = "manual")]
    pub ticket: Option<String>,
    /// Confirms a manual admission by --ticket; it is logged, and reported at merge
    #[arg(long, requires = "ticket")]
    pub manual: bool,
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
    /// Find a ticket on the door list by attendee or holder name, e-mail, ticket id or UUID
    Lookup {
        /// The event this gate admits to (not needed on a gate file)
        #[arg(long, value_name = "ID")]
        event: Option<i64>,
        /// What to look for: part of a name or e-mail, a ticket id, a UUID or its start
        text: String,
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
        /// Also record admissions by ticket id (typed UUIDs, door-list admissions) that
        /// the main database agrees with; without it they are reported, not recorded
        #[arg(long)]
        accept_manual: bool,
    },
}

/// The name of this device in the scan log: `TIX_DEVICE`, else the host name.
fn device() -> tix::Result<String> {
    if let Some(d) =
        std::env::var_os("TIX_DEVICE").filter(|d| !d.to_string_lossy().trim().is_empty())
    {
        return checkin::check_gate_name("TIX_DEVICE", &d.to_string_lossy());
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    Ok(checkin::check_gate_name("device", &host).unwrap_or_else(|_| "unknown-device".into()))
}

/// The gate's name, checked: it is shown on other people's screens.
fn gate_name(gate: Option<&str>) -> tix::Result<Option<String>> {
    gate.map(|g| checkin::check_gate_name("gate", g))
        .transpose()
}

fn open_gate(ctx: &Ctx, event: Option<i64>) -> anyhow::Result<Gate> {
    Ok(Gate::open(
        &ctx.db_path()?,
        ctx.as_user(),
        event,
        super::busy_timeout()?,
    )?)
}

/// `tix validate`.
pub fn validate(ctx: &Ctx, args: ValidateArgs) -> anyhow::Result<()> {
    let code = match (&args.code, &args.image, &args.ticket) {
        (_, _, Some(ticket)) => ticket.clone(),
        (_, Some(path), None) => qr::decode_file(path)?,
        (Some(code), None, None) => code.clone(),
        (None, None, None) => {
            return Err(
                Error::Usage("give a CODE, --image FILE or --ticket ID --manual".into()).into(),
            );
        }
    };
    let gate_name = gate_name(args.gate.as_deref())?;
    let device = device()?;
    let mut gate = open_gate(ctx, args.event)?;
    let verdict = gate.validate(&Scan {
        code: &code,
        manual: args.manual,
        event_id: args.event,
        gate: gate_name.as_deref(),
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
    let mut parts = vec![printable(&v.message)];
    if let Some(n) = &v.attendee_name {
        parts.push(printable(n));
    }
    if let Some(t) = &v.tier_name {
        parts.push(printable(t));
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
        .map(printable)
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
        printable(&v.message)
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
        CheckinCmd::Lookup { event, text } => {
            let gate = open_gate(ctx, event)?;
            emit(ctx, &gate.lookup(&text)?)
        }
        CheckinCmd::Stats { event_id } => {
            let (store, actor) = ctx.session()?;
            emit(ctx, &checkin::stats(&store, &actor, event_id)?)
        }
    }
}

/// Ends a scan loop on an error: under `--json` the error is the array's last element,
/// so stdout stays one document.
fn end_with_error<W: Write>(
    json: Option<super::render::JsonArray<W>>,
    e: Error,
) -> anyhow::Result<()> {
    match json {
        Some(mut array) => {
            array.push(&super::render::error_json(&e))?;
            array.finish()?;
            Err(super::render::InDocument(e).into())
        }
        None => Err(e.into()),
    }
}

/// How much of the scanner's input is read at a time: some 450 codes.
const SCAN_BUFFER: usize = 1 << 16;

/// The most scans decided in one transaction.
const MAX_SCAN_BATCH: usize = 1_000;

/// The longest line a scanner may type; anything longer is not a ticket code.
const MAX_SCAN_LINE: u64 = 4096;

/// Reads one scanned line. Bytes that are not UTF-8 and over-long lines become text that
/// no code matches, so they are one refused scan and the loop goes on; `None` at the end
/// of the input.
fn read_scan_line<R: BufRead>(mut input: R, buf: &mut Vec<u8>) -> std::io::Result<Option<String>> {
    buf.clear();
    let n = std::io::Read::take(&mut input, MAX_SCAN_LINE).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") && n as u64 == MAX_SCAN_LINE {
        // Skip the rest of an over-long line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let m = std::io::Read::take(&mut input, MAX_SCAN_LINE).read_until(b'\n', &mut rest)?;
            if m == 0 || rest.ends_with(b"\n") {
                break;
            }
        }
        return Ok(Some("(an over-long line)".into()));
    }
    Ok(Some(String::from_utf8_lossy(buf).into_owned()))
}

fn scan_loop(
    ctx: &Ctx,
    event: Option<i64>,
    gate_name: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let gate_name = self::gate_name(gate_name.as_deref())?;
    let device = device()?;
    let mut gate = open_gate(ctx, event)?;
    gate.check_writable()?;
    let style = Style::detect(ctx.wide);
    let tty = std::io::stdout().is_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut admitted, mut rejected) = (0u64, 0u64);
    let mut json = if ctx.json {
        Some(super::render::JsonArray::start(std::io::BufWriter::new(
            std::io::stdout().lock(),
        ))?)
    } else {
        None
    };
    if tty && !ctx.json {
        writeln!(out, "Ready: scan tickets (Ctrl-D to finish).")?;
        out.flush()?;
    }
    let mut input = std::io::BufReader::with_capacity(SCAN_BUFFER, std::io::stdin().lock());
    let mut buf = Vec::with_capacity(256);
    let mut ended = false;
    while !ended {
        // One scan, waited for; then every further one already waiting in the input (a
        // scanner, or a file piped in, faster than the disk), decided together in one
        // transaction. A person scanning one ticket at a time gets each answer at once.
        let mut lines = Vec::new();
        let mut failed = None;
        loop {
            match read_scan_line(&mut input, &mut buf) {
                Ok(Some(line)) => lines.push(line),
                Ok(None) => ended = true,
                Err(source) => {
                    failed = Some(Error::Io {
                        action: "read",
                        path: "standard input".into(),
                        source,
                    })
                }
            }
            if ended
                || failed.is_some()
                || lines.len() >= MAX_SCAN_BATCH
                || !input.buffer().contains(&b'\n')
            {
                break;
            }
        }
        let scans: Vec<Scan<'_>> = lines
            .iter()
            .map(|l| l.trim())
            .filter(|code| !code.is_empty())
            .map(|code| Scan {
                code,
                manual: false,
                event_id: event,
                gate: gate_name.as_deref(),
                device: &device,
                dry_run,
            })
            .collect();
        // Verdicts are shown only once their scans are committed; a scan that could not be
        // decided (the file busy, the disk full) ends the loop after the verdicts before
        // it, with nothing of it or after it recorded, and under --json its error is the
        // array's last element.
        let decided = if scans.is_empty() {
            tix::ops::checkin::Decided {
                verdicts: Vec::new(),
                error: None,
            }
        } else {
            gate.validate_many(&scans)
        };
        let failed = decided.error.or(failed);
        for v in decided.verdicts {
            if v.valid {
                admitted += 1;
            } else {
                rejected += 1;
            }
            if let Some(array) = &mut json {
                array.push(&v)?;
            } else if ctx.quiet {
                writeln!(out, "{}", v.reason.as_str())?;
            } else if tty {
                write!(out, "{}", gate_banner(&v, &style, admitted, rejected))?;
            } else {
                writeln!(out, "{}", verdict_line(&v, &style))?;
            }
        }
        if let Some(array) = &mut json {
            array.flush()?;
        }
        out.flush()?;
        if let Some(e) = failed {
            return end_with_error(json, e);
        }
    }
    if let Some(array) = json {
        array.finish()?;
    }
    out.flush()?;
    super::render::note(
        ctx,
        &if dry_run {
            format!(
                "Scanned {} (dry run): {admitted} would be admitted, {rejected} rejected; nobody was admitted.",
                admitted + rejected
            )
        } else {
            format!(
                "Scanned {}: {admitted} admitted, {rejected} rejected.",
                admitted + rejected
            )
        },
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
            text.push_str(&format!(
                "\n\nArrivals per 15 minutes ({}):",
                self.zone.name()
            ));
            for s in &self.arrivals {
                let bar = "#".repeat(((s.arrivals * 40) / max) as usize);
                text.push_str(&format!(
                    "\n  {}  {:>5}  {bar}",
                    self.zone.human(s.from),
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
    const WRAP: &'static [&'static str] = &["Tier"];

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
    if let ScannerCmd::Merge { files, .. } = &cmd {
        // A file that is not there is named before anything else is opened.
        if let Some(missing) = files.iter().find(|f| !f.exists()) {
            return Err(Error::not_found(Missing::MergeFile, missing.display()).into());
        }
    }
    let (mut store, actor) = ctx.session()?;
    match cmd {
        ScannerCmd::Export {
            event_id,
            out,
            force,
        } => emit(
            ctx,
            &offline::export(&mut store, &actor, event_id, &out, force)?,
        ),
        ScannerCmd::Merge {
            event_id,
            files,
            accept_manual,
        } => {
            let report = with_merge_hints(offline::merge(
                &mut store,
                &actor,
                event_id,
                &files,
                offline::MergeOptions { accept_manual },
            )?);
            emit(ctx, &report)?;
            // A script tells a clean merge (0) from one that needs a person (7).
            match report.conflicts.len() {
                0 => Ok(()),
                n => Err(super::render::MergedWithConflicts(n).into()),
            }
        }
    }
}

/// Says in each manual admission's conflict which flag records it, or that it did.
fn with_merge_hints(mut report: MergeReport) -> MergeReport {
    for c in report
        .conflicts
        .iter_mut()
        .filter(|c| c.kind == "manual_admission")
    {
        if c.detail.ends_with("; not recorded") {
            c.detail
                .push_str(" (merge again with --accept-manual to record it)");
        } else if c.detail.ends_with("recorded on the gate staff's word") {
            c.detail.push_str(" (--accept-manual)");
        }
    }
    report
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
                ("File", printable(&self.file)),
                (
                    "Tickets",
                    format!("{} ({} still to admit)", self.tickets, self.admissible),
                ),
                ("Exported", rfc3339(self.exported_at)),
                (
                    "Use",
                    format!(
                        "tix --db '{}' checkin scan --gate NAME",
                        printable(&self.file)
                    ),
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
        let n = |v: usize, one: &str, many: &str| tix::text::count(v as i64, one, many);
        let mut text = format!(
            "Merged {} into event {}: {} ({} already merged), {} checked in, {}.",
            n(self.files.len(), "file", "files"),
            self.event_id,
            n(self.scans_merged as usize, "new scan", "new scans"),
            self.scans_already_merged,
            n(self.admitted as usize, "ticket", "tickets"),
            n(self.conflicts.len(), "conflict", "conflicts")
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
        "Offline scan (UTC)",
        "What happened",
    ];
    const EMPTY: &'static str = "No conflicts.";
    const DROP: &'static [&'static str] = &["Device", "Offline scan (UTC)", "Gate"];
    const WRAP: &'static [&'static str] = &["What happened"];

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

impl ListRow for DoorEntry {
    const HEADERS: &'static [&'static str] = &[
        "ID",
        "UUID",
        "Tier",
        "Attendee",
        "Holder",
        "Status",
        "Admit now",
    ];
    const EMPTY: &'static str =
        "No ticket matches; try part of the name, the e-mail in full, or the ticket id.";
    const DROP: &'static [&'static str] = &["Tier", "Holder"];
    const WRAP: &'static [&'static str] = &["Attendee", "Holder"];

    fn cells(&self, _style: &Style) -> Vec<Cell> {
        let holder = match (&self.holder_name, &self.holder_email) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (Some(n), None) => n.clone(),
            (None, Some(e)) => e.clone(),
            (None, None) => "-".into(),
        };
        vec![
            Cell::new(self.ticket_id.map_or("-".into(), |i| i.to_string())),
            Cell::new(&self.ticket_uuid),
            Cell::new(printable(self.tier_name.as_deref().unwrap_or("-"))),
            Cell::new(printable(self.attendee_name.as_deref().unwrap_or("-"))),
            Cell::new(printable(&holder)),
            Cell::new(self.status.as_str()),
            Cell::new(if self.admit == checkin::Reason::Ok {
                "yes".to_string()
            } else {
                format!("no: {}", self.admit.as_str())
            }),
        ]
    }

    fn key(&self) -> String {
        self.ticket_id
            .map_or_else(|| self.ticket_uuid.clone(), |i| i.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever a scanner (or a cat) types, every line becomes text — over-long lines
        /// and bytes that are not UTF-8 included — and reading ends at the end of input.
        #[test]
        fn any_input_reads_as_lines(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\n'), any::<u8>(), Just(b'A')], 0..12_000),
        ) {
            let mut reader = std::io::Cursor::new(&input);
            let mut buf = Vec::new();
            let mut lines = 0usize;
            while let Some(line) = read_scan_line(&mut reader, &mut buf).unwrap() {
                prop_assert!(line.len() <= 4 * MAX_SCAN_LINE as usize);
                lines += 1;
                prop_assert!(lines <= input.len());
            }
            let newlines = input.iter().filter(|&&b| b == b'\n').count();
            prop_assert!(lines <= newlines + 1);
        }
    }
}
