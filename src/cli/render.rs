//! Turning results into output: tables and plain text for people, JSON for scripts, and
//! the one-line errors of the contract. The only module besides `main.rs` that prints.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use comfy_table::{
    Cell, Color, ColumnConstraint, ContentArrangement, LineStyle, Table, TableStyle, Width, presets,
};
use serde::Serialize;

use super::Ctx;
use tix::error::Error;

/// How human output may look on this stdout.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Colour is allowed: stdout is a terminal and `NO_COLOR` is unset.
    pub color: bool,
    /// The width tables fit into: `COLUMNS` if set, else the terminal's (80 when the
    /// terminal does not say), or none when stdout is not a terminal.
    pub width: Option<usize>,
    /// `--wide`: show every column of a list, whatever the width.
    pub wide: bool,
}

/// The width assumed when a terminal does not report one.
pub const DEFAULT_WIDTH: usize = 80;

impl Style {
    /// The style for this process's stdout; `wide` is the `--wide` flag.
    pub fn detect(wide: bool) -> Style {
        Style {
            color: color_allowed(),
            width: terminal_width(),
            wide,
        }
    }
}

/// Whether stdout is a pipe (not a file, not a terminal).
fn stdout_is_pipe() -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata("/proc/self/fd/1").is_ok_and(|m| m.file_type().is_fifo())
}

/// The width output is read at: `COLUMNS` when set to a number, else the terminal's own
/// report — stdout's, or stderr's when stdout is piped to a pager or `head` on a
/// terminal — and 80 when the terminal reports nothing or 0; none when no terminal is
/// involved (a script writing to a file) and `COLUMNS` is unset.
fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    let reported = if std::io::stdout().is_terminal() {
        terminal_size::terminal_size_of(std::io::stdout())
    } else if stdout_is_pipe() && std::io::stderr().is_terminal() {
        // `tix … | head` or `| less` at a terminal; a file (`> list.txt`) gets it all.
        terminal_size::terminal_size_of(std::io::stderr())
    } else {
        return None;
    };
    let w = reported.map_or(0, |(terminal_size::Width(w), _)| usize::from(w));
    Some(if w == 0 { DEFAULT_WIDTH } else { w })
}

impl Style {
    /// A cell in `color`, when colour is allowed.
    pub fn cell(&self, text: impl ToString, color: Color) -> Cell {
        let cell = Cell::new(text.to_string());
        if self.color { cell.fg(color) } else { cell }
    }
}

/// A value a command returns: JSON via serde, text for people, and its essential part
/// for `--quiet`.
pub trait Render: Serialize {
    /// Text for people.
    fn human(&self, style: &Style) -> String;
    /// The essential result, for `--quiet` (usually an id).
    fn quiet(&self) -> String;
}

/// A value shown as one row of a list table.
pub trait ListRow: Serialize {
    /// Column headers.
    const HEADERS: &'static [&'static str];
    /// Headers of the columns hidden, in this order, when the list is wider than the
    /// terminal (`--wide` shows them all).
    const DROP: &'static [&'static str] = &[];
    /// Headers of the columns of free text that may wrap between words when nothing more
    /// can be hidden; every other column (ids, UUIDs, codes, e-mails) is never split.
    const WRAP: &'static [&'static str] = &[];
    /// What an empty list says.
    const EMPTY: &'static str;
    /// The row's cells, in header order.
    fn cells(&self, style: &Style) -> Vec<Cell>;
    /// The row's key, for `--quiet`.
    fn key(&self) -> String;
}

impl<T: ListRow> Render for Vec<T> {
    fn human(&self, style: &Style) -> String {
        if self.is_empty() {
            return T::EMPTY.to_string();
        }
        fit_table(
            style,
            T::HEADERS,
            self.iter().map(|item| item.cells(style)).collect(),
            T::DROP,
            T::WRAP,
        )
    }

    fn quiet(&self) -> String {
        self.iter().map(ListRow::key).collect::<Vec<_>>().join("\n")
    }
}

/// Rows under headers, as every list shows them, hiding nothing (for short tables).
pub fn list_table(
    style: &Style,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> String {
    fit_table(style, headers, rows.into_iter().collect(), &[], &[])
}

/// How wide a cell's text is on a terminal (its widest line).
fn cell_width(cell: &Cell) -> usize {
    cell.content()
        .lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

/// The fewest characters a column of free text keeps when it wraps.
const MIN_WRAP: usize = 12;

/// The width of a list of columns as [`LIST_STYLE`] draws them: a space before the
/// first, three between each two and one after the last (the header's rule runs under
/// it; the other lines are trimmed).
fn list_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + 2 + 3 * widths.len().saturating_sub(1)
}

/// Rows under headers, fitted to the terminal's width: columns of `drop` are hidden in
/// that order until the list fits (and a last line says which, and that `--wide` shows
/// them); if it still does not fit, the columns of `wrap` wrap between words while
/// every other column keeps its full width, so an id, a UUID, a code or an e-mail
/// address is never split across lines.
pub fn fit_table(
    style: &Style,
    headers: &[&str],
    rows: Vec<Vec<Cell>>,
    drop: &[&str],
    wrap: &[&str],
) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(cell_width)
                .chain([unicode_width::UnicodeWidthStr::width(*h)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut shown: Vec<bool> = vec![true; headers.len()];
    let limit = style.width.filter(|_| !style.wide);
    let mut hidden = Vec::new();
    if let Some(limit) = limit {
        // A list fits when it is no wider than the terminal, or when the columns of free
        // text that may wrap keep at least MIN_WRAP characters each beside the others.
        let fits = |shown: &[bool]| {
            let on: Vec<usize> = (0..headers.len()).filter(|i| shown[*i]).collect();
            let w: Vec<usize> = on.iter().map(|i| widths[*i]).collect();
            if list_width(&w) <= limit {
                return true;
            }
            let wrapping = on.iter().filter(|i| wrap.contains(&headers[**i])).count();
            let fixed: usize = on
                .iter()
                .filter(|i| !wrap.contains(&headers[**i]))
                .map(|i| widths[*i])
                .sum::<usize>()
                + 2
                + 3 * on.len().saturating_sub(1);
            wrapping > 0 && limit.saturating_sub(fixed) >= MIN_WRAP * wrapping
        };
        // The stated order first, then from the right, keeping the first column.
        let order: Vec<usize> = drop
            .iter()
            .filter_map(|name| headers.iter().position(|h| h == name))
            .chain((1..headers.len()).rev())
            .collect();
        for i in order {
            if fits(&shown) || shown.iter().filter(|s| **s).count() <= 1 {
                break;
            }
            if shown[i] {
                shown[i] = false;
                hidden.push(headers[i]);
            }
        }
    }
    let keep = |i: usize| shown.get(i).copied().unwrap_or(true);
    let mut table = new_table(style);
    table.load_style(LIST_STYLE);
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(
        headers
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, h)| Cell::new(*h)),
    );
    for row in rows {
        table.add_row(
            row.into_iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, c)| c),
        );
    }
    let visible: Vec<(usize, &&str)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .collect();
    if let Some(limit) = limit {
        let w: Vec<usize> = visible.iter().map(|(i, _)| widths[*i]).collect();
        if list_width(&w) > limit && visible.iter().any(|(_, h)| wrap.contains(h)) {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(u16::try_from(limit).unwrap_or(u16::MAX));
            for (pos, (i, h)) in visible.iter().enumerate() {
                if !wrap.contains(h)
                    && let Some(col) = table.column_mut(pos)
                {
                    // comfy-table counts a column's padding (one space each side) in it.
                    let fixed = u16::try_from(widths[*i] + 2).unwrap_or(u16::MAX);
                    col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(fixed)));
                }
            }
        }
    }
    let mut text = trimmed(&table);
    if !hidden.is_empty() {
        let them = if hidden.len() == 1 { "it" } else { "them" };
        let named = format!(
            "({} hidden to fit: {}; --wide shows {them})",
            tix::text::count(hidden.len() as i64, "column", "columns"),
            hidden.join(", "),
        );
        let short = format!(
            "({} hidden to fit; --wide shows {them})",
            tix::text::count(hidden.len() as i64, "column", "columns")
        );
        let shortest = format!("(--wide: {} more)", hidden.len());
        let note = [named, short, shortest.clone()]
            .into_iter()
            .find(|n| limit.is_none_or(|l| n.chars().count() <= l))
            .unwrap_or(shortest);
        text.push('\n');
        text.push_str(&note);
    }
    text
}

/// Lists: aligned columns under one rule below the header.
const LIST_STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

/// The table's text without the padding comfy-table leaves at line ends.
fn trimmed(table: &Table) -> String {
    table
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn new_table(style: &Style) -> Table {
    let mut table = Table::new();
    // Never wrapped by default: a value too long for the terminal is wrapped by the
    // terminal itself, so copying it (a code, an address) copies it whole.
    table.set_content_arrangement(ContentArrangement::Disabled);
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

/// A two-column "field: value" block for one object.
pub fn fields(style: &Style, title: Option<String>, rows: Vec<(&str, String)>) -> String {
    let mut table = new_table(style);
    table.load_style(presets::NOTHING);
    for (k, v) in rows {
        table.add_row(vec![
            style.cell(format!("{k}:"), Color::DarkGrey),
            Cell::new(v),
        ]);
    }
    let body = trimmed(&table);
    match title {
        Some(t) => format!("{t}\n{body}"),
        None => body,
    }
}

/// Shows yes/no for a flag.
pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// Prints a command's result in the form the flags ask for.
pub fn emit<T: Render + ?Sized>(ctx: &Ctx, value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if ctx.json {
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
    } else if ctx.quiet {
        let q = value.quiet();
        if !q.is_empty() {
            writeln!(out, "{q}")?;
        }
    } else {
        writeln!(out, "{}", value.human(&Style::detect(ctx.wide)))?;
    }
    out.flush()?;
    Ok(())
}

/// A JSON array written one element at a time: `--json` output of lists and loops that
/// must not wait for (or hold) all of their elements, yet stay one JSON document.
pub struct JsonArray<W: Write> {
    out: W,
    count: usize,
}

impl<W: Write> JsonArray<W> {
    /// Starts the array.
    pub fn start(mut out: W) -> std::io::Result<JsonArray<W>> {
        write!(out, "[")?;
        Ok(JsonArray { out, count: 0 })
    }

    /// Writes one element (buffered: [`JsonArray::flush`] makes what was written so far
    /// visible to a reader).
    pub fn push(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        let sep = if self.count == 0 { "" } else { "," };
        self.out.write_all(sep.as_bytes())?;
        self.out.write_all(b"\n  ")?;
        // An I/O error (a closed pipe) comes back as itself, not wrapped.
        serde_json::to_writer(&mut self.out, value).map_err(std::io::Error::from)?;
        self.count += 1;
        Ok(())
    }

    /// Hands everything written so far to the reader.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Closes the array.
    pub fn finish(mut self) -> std::io::Result<()> {
        let end = if self.count == 0 { "]" } else { "\n]" };
        writeln!(self.out, "{end}")?;
        self.out.flush()
    }
}

/// Prints a note for people on stderr (never in `--json` or `--quiet` mode).
/// A line on stderr whatever the output mode: something a person must not miss.
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

pub fn note(ctx: &Ctx, text: &str) {
    if !ctx.json && !ctx.quiet {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}

/// Whether an error is stdout closing under us (`tix … | head`), which is no failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// Colour only when stdout is a terminal and `NO_COLOR` is unset or empty (no-color.org).
pub fn color_allowed() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn error_prefix() -> &'static str {
    if color_allowed() && std::io::stderr().is_terminal() {
        "\x1b[1;31merror:\x1b[0m"
    } else {
        "error:"
    }
}

fn json_error(code: &str, message: &str) {
    let doc = serde_json::json!({ "error": { "code": code, "message": message } });
    let _ = writeln!(std::io::stdout().lock(), "{doc:#}");
}

/// Reports a failed command: `error: …` on stderr, and with `--json` the error object
/// on stdout.
/// An error whose JSON object is already inside the one document a command wrote on
/// stdout (the last element of a scan loop's array): stderr still gets its line, but no
/// second JSON document follows.
#[derive(Debug)]
pub struct InDocument(pub Error);

impl std::fmt::Display for InDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::errors::message(&self.0))
    }
}

impl std::error::Error for InDocument {}

/// The JSON object of an error, as `--json` shows it.
pub fn error_json(e: &Error) -> serde_json::Value {
    serde_json::json!({ "error": { "code": e.kind().code(), "message": printable(&super::errors::message(e)) } })
}

/// The process exit code of a failed command.
/// `scanner merge` merged everything it could, and found conflicts for a person to
/// review: exit 7, so that a script can tell it from a clean merge (0).
#[derive(Debug)]
pub struct MergedWithConflicts(pub usize);

impl std::fmt::Display for MergedWithConflicts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "merged, with {} to review (in the report)",
            tix::text::count(self.0 as i64, "conflict", "conflicts")
        )
    }
}

impl std::error::Error for MergedWithConflicts {}

/// The exit code of `scanner merge` when it found conflicts.
pub const EXIT_CONFLICTS: u8 = 7;

pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<MergedWithConflicts>().is_some() {
        return EXIT_CONFLICTS;
    }
    let e = err
        .downcast_ref::<Error>()
        .or_else(|| err.downcast_ref::<InDocument>().map(|d| &d.0));
    e.map_or(1, |e| e.kind().exit_code() as u8)
}

pub fn report_error(err: &anyhow::Error, json: bool) {
    if let Some(m) = err.downcast_ref::<MergedWithConflicts>() {
        // The report on stdout (JSON included) is the answer; stderr says why the exit
        // code is not 0, without a second JSON document.
        let _ = writeln!(std::io::stderr().lock(), "warning: {m}");
        return;
    }
    if let Some(InDocument(e)) = err.downcast_ref::<InDocument>() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} {}",
            error_prefix(),
            printable(&super::errors::message(e))
        );
        return;
    }
    if let Some(e) = err.downcast_ref::<Error>()
        && e.kind() == tix::ErrorKind::Rejected
    {
        // The verdict on stdout (JSON included) is the answer; stderr gets the one line
        // every failing command prints, and no second JSON document.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} {}",
            error_prefix(),
            super::errors::message(e)
        );
        return;
    }
    let (code, message) = match err.downcast_ref::<Error>() {
        Some(e) => (e.kind().code(), super::errors::message(e)),
        None => ("internal", format!("{err:#}")),
    };
    // A usage error may end with the command's usage, on lines of their own.
    let (message, usage) = match message.split_once("\n\nUsage: ") {
        Some((m, u)) => (m.to_string(), Some(u.to_string())),
        None => (message, None),
    };
    let message = printable(&message.replace('\n', " "));
    let _ = writeln!(std::io::stderr().lock(), "{} {message}", error_prefix());
    if let Some(u) = usage {
        let _ = writeln!(std::io::stderr().lock(), "\nUsage: {}", printable(&u));
    }
    if json {
        json_error(code, &message);
    }
}

/// Text from a file or a database made safe for a terminal: control characters (an
/// escape sequence that would clear the screen or recolour it, a bell) and the
/// invisible marks that reorder text (bidi overrides) are shown as visible escapes
/// instead of being obeyed.
pub fn printable(text: &str) -> String {
    if !text.chars().any(tix::ops::events::is_unsafe_char) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if tix::ops::events::is_unsafe_char(c) {
                c.escape_default().collect::<String>()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Handles a command line clap could not parse (or `--help`/`--version`), with clap's own
/// message and exit code, plus the JSON error object when `--json` was given.
pub fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    if matches!(
        e.kind(),
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // A command group without its subcommand is a usage error: its `error:` line
        // comes first, the group's help after it (and a script asking for JSON reads it
        // as one).
        if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
            let message = "a subcommand is missing; the group's commands are below";
            let _ = writeln!(std::io::stderr().lock(), "{} {message}\n", error_prefix());
            if std::env::args_os().any(|a| a == "--json") {
                json_error("usage", message);
            }
        }
        let _ = e.print();
        return ExitCode::from(e.exit_code() as u8);
    }
    // The first line is the error, as every error of tix; clap's suggestion ("tip:")
    // and the command's Usage line follow, so the way out is on the screen.
    let text = e.render().to_string();
    let message = text
        .lines()
        .take_while(|l| {
            let t = l.trim_start();
            !t.starts_with("Usage:")
                && !t.starts_with("tip:")
                && !t.starts_with("For more information")
        })
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let message = message.trim_start_matches("error:").trim();
    let message = if message.is_empty() {
        "invalid command line"
    } else {
        message
    };
    let rest: Vec<&str> = text
        .lines()
        .skip_while(|l| {
            let t = l.trim_start();
            !t.starts_with("Usage:") && !t.starts_with("tip:")
        })
        .collect();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} {message}", error_prefix());
    if !rest.is_empty() {
        let _ = writeln!(err, "\n{}", rest.join("\n").trim_end());
    }
    if std::env::args_os().any(|a| a == "--json") {
        json_error("usage", message);
    }
    ExitCode::from(e.exit_code() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(width: Option<usize>, wide: bool) -> Style {
        Style {
            color: false,
            width,
            wide,
        }
    }

    fn rows() -> Vec<Vec<Cell>> {
        vec![vec![
            Cell::new("7"),
            Cell::new("01a2169e-92ef-7000-8002-c87a092a9b44"),
            Cell::new("A festival with a rather long title"),
            Cell::new("pat.promoter@example.com"),
        ]]
    }

    const HEADERS: &[&str] = &["ID", "UUID", "Event", "Owner"];

    #[test]
    fn lists_drop_columns_in_order_and_never_split_identifiers() {
        let text = fit_table(&style(Some(80), false), HEADERS, rows(), &["Event"], &[]);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(!text.contains("Event") || text.contains("hidden"), "{text}");
        assert!(text.contains("01a2169e-92ef-7000-8002-c87a092a9b44"));
        assert!(text.contains("pat.promoter@example.com"));
        assert!(
            text.ends_with("(1 column hidden to fit: Event; --wide shows it)"),
            "{text}"
        );
        // Free text wraps between words when nothing more can be hidden.
        let text = fit_table(&style(Some(100), false), HEADERS, rows(), &[], &["Event"]);
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(text.contains("01a2169e-92ef-7000-8002-c87a092a9b44"));
        // --wide, or no terminal: everything, on one line per row.
        for s in [style(Some(80), true), style(None, false)] {
            let text = fit_table(&s, HEADERS, rows(), &["Event"], &["Event"]);
            assert_eq!(text.lines().count(), 3, "{text}");
            assert!(text.contains("A festival with a rather long title"));
        }
    }

    #[test]
    fn the_width_a_list_takes_is_what_it_prints() {
        let text = fit_table(&style(None, false), HEADERS, rows(), &[], &[]);
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert_eq!(widest, list_width(&[2, 36, 35, 24]));
    }
}
