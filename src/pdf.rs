//! Printable ticket PDFs: one A4 page per ticket with the event, the ticket's fields, a
//! vector QR code of its code and the promoter's note.
//!
//! The text font (DejaVu Sans, which covers Latin, Greek and Cyrillic) is compiled in and
//! parsed once per process. Each document embeds a subset of it holding only the glyphs
//! that document uses, as a Type0/CIDFontType2 font with Identity-H encoding, a widths
//! array and a ToUnicode map, so viewers and `pdftotext` can search and copy the text.
//! Characters the font lacks are drawn as '?'.

use std::borrow::Cow;
use std::sync::OnceLock;

use pdf_writer::types::{
    CidFontType, FontFlags, LineCapStyle, SystemInfo, TextRenderingMode, UnicodeCmap,
};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, QrResult};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// The font every ticket is set in (DejaVu Sans; its licence is in the same folder).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// What can stop a ticket PDF from being made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// `render` was given no tickets.
    #[error("no tickets to put in the PDF")]
    NoPages,
    /// More tickets than one PDF file can number.
    #[error("{0} tickets are too many for one PDF; split them over several files")]
    TooManyPages(usize),
    /// A ticket has an empty QR payload.
    #[error("ticket {ticket} of the PDF has an empty code, so it has no QR code to print")]
    EmptyCode {
        /// 1-based position of the ticket in the slice given to `render`.
        ticket: usize,
    },
    /// A ticket's code cannot be encoded as a QR code (for example, far too long).
    #[error("the code of ticket {ticket} of the PDF cannot be drawn as a QR code: {reason}")]
    Qr {
        /// 1-based position of the ticket in the slice given to `render`.
        ticket: usize,
        /// What the QR encoder said.
        reason: String,
    },
    /// The compiled-in font cannot be read.
    #[error("the ticket font built into tix cannot be read: {0}")]
    Font(String),
    /// The compiled-in font cannot be cut down to the glyphs the PDF uses.
    #[error("cannot embed the ticket font in the PDF: subsetting it failed: {0}")]
    Subset(String),
}

/// One ticket, printed on its own A4 page. The strings are printed as given.
#[derive(Debug, Clone, Copy)]
pub struct TicketPage<'a> {
    /// The event's title, printed large; wrapped and shrunk to fit.
    pub event_title: &'a str,
    /// When the event takes place, e.g. "Thursday 15 July 2027, 20:00 – 23:00 (Europe/Berlin, UTC+02:00)".
    pub when: &'a str,
    /// Where; may be empty.
    pub venue: &'a str,
    /// The ticket tier.
    pub tier: &'a str,
    /// The price paid, e.g. "49.00 EUR" or "complimentary".
    pub price: &'a str,
    /// The attendee's name; may be empty.
    pub attendee: &'a str,
    /// E-mail address of the ticket's holder.
    pub holder: &'a str,
    /// The order, e.g. "Order 12".
    pub order: &'a str,
    /// The QR code's payload.
    pub code: &'a str,
    /// The ticket's UUID, printed under the QR code.
    pub uuid: &'a str,
    /// The promoter's free text; may be empty, multi-line and long. Wrapped to the page
    /// and cut (with an ellipsis) where the page ends.
    pub note: &'a str,
}

/// Renders one A4 page per ticket into a PDF file's bytes.
pub fn render(pages: &[TicketPage<'_>]) -> Result<Vec<u8>, PdfError> {
    if pages.is_empty() {
        return Err(PdfError::NoPages);
    }
    // Two objects per page after the fixed ones must stay within PDF's i32 object ids.
    if pages.len() > 1_000_000 {
        return Err(PdfError::TooManyPages(pages.len()));
    }
    let font = TicketFont::get()?;
    let mut glyphs = GlyphSet::new(font);
    let mut contents = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        let ticket = i + 1;
        if page.code.is_empty() {
            return Err(PdfError::EmptyCode { ticket });
        }
        let qr = QrMatrix::encode(page.code.as_bytes()).map_err(|e| PdfError::Qr {
            ticket,
            reason: e.to_string(),
        })?;
        let mut painter = Painter::new(font, &mut glyphs);
        draw_ticket(&mut painter, page, &qr, ticket, pages.len());
        contents.push(painter.finish());
    }
    write_document(font, &glyphs, &contents, &document_title(pages))
}

/// The document's title: the event's (its first 200 characters), or a generic one when
/// the tickets are for several events.
fn document_title(pages: &[TicketPage<'_>]) -> String {
    const MAX_CHARS: usize = 200;
    let title = match pages.first() {
        Some(first) if pages.iter().all(|p| p.event_title == first.event_title) => {
            let head: String = first.event_title.chars().take(MAX_CHARS + 1).collect();
            head.split_whitespace().collect::<Vec<_>>().join(" ")
        }
        _ => String::new(),
    };
    match title.char_indices().nth(MAX_CHARS) {
        _ if title.is_empty() => "Tickets".to_owned(),
        Some((cut, _)) => format!("{}…", title[..cut].trim_end()),
        None => title,
    }
}

// ---------------------------------------------------------------------------------------
// Page layout. PDF user space: points (1/72 inch), origin at the bottom left.

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 40.0;
/// Padding inside the card.
const PAD: f32 = 28.0;
const CARD_L: f32 = MARGIN;
const CARD_R: f32 = PAGE_W - MARGIN;
const CARD_TOP: f32 = PAGE_H - MARGIN;
const CARD_RADIUS: f32 = 12.0;
const INNER_L: f32 = CARD_L + PAD;
const INNER_R: f32 = CARD_R - PAD;
const INNER_W: f32 = INNER_R - INNER_L;
/// Room kept under the card for the footer line.
const FOOTER_ROOM: f32 = 30.0;
/// Side of the QR symbol, without its quiet zone.
const QR_SIZE: f32 = 62.0 * MM;
/// Quiet zone around the QR symbol, in modules.
const QR_QUIET: usize = 4;
/// Where the first baseline sits below the top of a text block, and the block's depth
/// below its last baseline, both as fractions of the font size.
const ASCENT: f32 = 0.76;
const DESCENT: f32 = 0.24;

const INK: [f32; 3] = [0.07, 0.08, 0.10];
const MUTED: [f32; 3] = [0.42, 0.45, 0.50];
const BAND: [f32; 3] = [0.10, 0.13, 0.20];
const ON_BAND: [f32; 3] = [1.0, 1.0, 1.0];
const ON_BAND_SOFT: [f32; 3] = [0.80, 0.84, 0.90];
const ACCENT: [f32; 3] = [0.96, 0.72, 0.26];
const RULE: [f32; 3] = [0.72, 0.75, 0.80];
const WHITE: [f32; 3] = [1.0, 1.0, 1.0];
const BLACK: [f32; 3] = [0.0, 0.0, 0.0];

/// How a run of text looks.
#[derive(Debug, Clone, Copy)]
struct Style {
    size: f32,
    color: [f32; 3],
    bold: bool,
    /// Extra space after each character, in points.
    tracking: f32,
}

impl Style {
    const fn new(size: f32, color: [f32; 3]) -> Self {
        Self {
            size,
            color,
            bold: false,
            tracking: 0.0,
        }
    }
    const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    const fn tracked(mut self, tracking: f32) -> Self {
        self.tracking = tracking;
        self
    }
    const fn sized(mut self, size: f32) -> Self {
        self.size = size;
        self
    }
}

const KICKER: Style = Style::new(8.0, ACCENT).bold().tracked(1.6);
const TITLE: Style = Style::new(28.0, ON_BAND).bold();
const WHEN: Style = Style::new(12.5, ON_BAND);
const VENUE: Style = Style::new(11.5, ON_BAND_SOFT);
const LABEL: Style = Style::new(7.0, MUTED).bold().tracked(1.2);
const VALUE: Style = Style::new(12.5, INK);
const UUID: Style = Style::new(8.5, INK);
const NOTE: Style = Style::new(9.5, INK);
const FOOTER: Style = Style::new(7.5, MUTED);

/// Lines of text laid out at one style.
struct Block<'t> {
    style: Style,
    leading: f32,
    lines: Vec<Cow<'t, str>>,
}

impl Block<'_> {
    /// Height from the block's top to below its last line's descenders.
    fn height(&self) -> f32 {
        if self.lines.is_empty() {
            return 0.0;
        }
        self.style.size * ASCENT
            + self.leading * (self.lines.len() - 1) as f32
            + self.style.size * DESCENT
    }
}

/// Lays `text` out with the first of `fits` (font size, most lines) that holds all of
/// it in `width`; failing all, with the last one, cut with an ellipsis.
fn fit_block<'t>(
    font: &TicketFont,
    text: &'t str,
    style: Style,
    fits: &[(f32, usize)],
    width: f32,
) -> Block<'t> {
    let mut block = Block {
        style,
        leading: style.size * 1.22,
        lines: Vec::new(),
    };
    for &(size, max_lines) in fits {
        let style = style.sized(size);
        let (lines, cut) = wrap(font, text, style, width, max_lines);
        block = Block {
            style,
            leading: size * 1.22,
            lines,
        };
        if !cut {
            break;
        }
    }
    block
}

/// Draws one ticket.
fn draw_ticket(
    p: &mut Painter<'_>,
    t: &TicketPage<'_>,
    qr: &QrMatrix,
    number: usize,
    total: usize,
) {
    let font = p.font;

    // Header band: kicker, title, when, venue.
    let title_fits = [(28.0, 2), (24.0, 2), (21.0, 2), (18.0, 2), (18.0, 3)];
    let title = fit_block(font, t.event_title, TITLE, &title_fits, INNER_W);
    let when = fit_block(font, t.when, WHEN, &[(12.5, 2), (11.0, 2)], INNER_W);
    let venue = fit_block(font, t.venue, VENUE, &[(11.5, 2), (10.0, 2)], INNER_W);

    let mut top = CARD_TOP - PAD;
    let kicker_base = top - KICKER.size * ASCENT;
    top = kicker_base - KICKER.size * DESCENT - 10.0;
    let title_top = top;
    top -= title.height() + 8.0;
    let when_top = top;
    top -= when.height();
    let venue_top = top + if venue.lines.is_empty() { 0.0 } else { -4.0 };
    top = venue_top - venue.height();
    let band_bottom = top - PAD + 6.0;

    p.fill_rgb(BAND);
    band_path(&mut p.content, band_bottom);
    p.content.fill_nonzero();

    p.text(INNER_L, kicker_base, KICKER, "ADMISSION TICKET");
    if total > 1 {
        let counter = format!("{number} / {total}");
        // Tracking after the last character is not part of the visible width.
        let w = font.width(&counter, KICKER.size, KICKER.tracking) - KICKER.tracking;
        p.text(INNER_R - w, kicker_base, KICKER, &counter);
    }
    p.block(INNER_L, title_top, &title);
    p.block(INNER_L, when_top, &when);
    p.block(INNER_L, venue_top, &venue);

    // Body: the fields on the left, the QR code on the right.
    let body_top = band_bottom - PAD;
    let n = qr.width.max(1);
    let module = QR_SIZE / n as f32;
    let quiet = QR_QUIET as f32 * module;
    let qr_x = INNER_R - QR_SIZE;
    let qr_top = body_top - 2.0;
    p.qr(qr, qr_x, qr_top, module);

    // Ticket id under the code, centred on it, outside its quiet zone.
    let qr_mid = qr_x + QR_SIZE / 2.0;
    let id_width = QR_SIZE + 2.0 * quiet;
    let mut below = qr_top - QR_SIZE - quiet + 4.0;
    let label_base = below - LABEL.size * ASCENT;
    p.text_centered(qr_mid, label_base, LABEL, "TICKET ID");
    below = label_base - LABEL.size * DESCENT - 4.0;
    let uuid = fit_line(font, t.uuid, UUID, 6.5, id_width);
    let uuid_base = below - uuid.style.size * ASCENT;
    if let Some(line) = uuid.lines.first() {
        p.text_centered(qr_mid, uuid_base, uuid.style, line);
    }
    let qr_bottom = uuid_base - uuid.style.size * DESCENT;

    let fields_w = qr_x - quiet - 14.0 - INNER_L;
    let mut y = body_top;
    let fields: [(&str, &str); 5] = [
        ("TIER", t.tier),
        ("PRICE", t.price),
        ("ATTENDEE", t.attendee),
        ("HOLDER", t.holder),
        ("ORDER", t.order),
    ];
    for (label, value) in fields {
        if value.trim().is_empty() {
            continue;
        }
        let base = y - LABEL.size * ASCENT;
        p.text(INNER_L, base, LABEL, label);
        y = base - LABEL.size * DESCENT - 4.0;
        let block = fit_block(
            font,
            value,
            VALUE,
            &[(12.5, 2), (10.5, 2), (10.5, 3)],
            fields_w,
        );
        p.block(INNER_L, y, &block);
        y -= block.height() + 14.0;
    }
    let fields_bottom = y + 14.0;
    let mut card_bottom = fields_bottom.min(qr_bottom) - PAD;

    // Note, under a perforation line, taking the room left on the page.
    let note = t.note.trim();
    let mut tear = None;
    if !note.is_empty() {
        let label_base = card_bottom - PAD - LABEL.size * ASCENT;
        let text_top = label_base - LABEL.size * DESCENT - 6.0;
        let leading = NOTE.size * 1.36;
        let room = text_top - (MARGIN + FOOTER_ROOM + PAD) - NOTE.size * (ASCENT + DESCENT);
        if room >= 0.0 {
            let max_lines = ((room / leading) as usize + 1).min(40);
            let (lines, _) = wrap(font, note, NOTE, INNER_W, max_lines);
            let block = Block {
                style: NOTE,
                leading,
                lines,
            };
            p.perforation(card_bottom);
            tear = Some(card_bottom);
            p.text(INNER_L, label_base, LABEL, "NOTE");
            p.block(INNER_L, text_top, &block);
            card_bottom = text_top - block.height() - PAD;
        }
    }

    // Card outline, drawn last over the band's edge, notched at the tear line.
    p.content.save_state();
    p.content.set_stroke_rgb(RULE[0], RULE[1], RULE[2]);
    p.content.set_line_width(0.8);
    card_outline(&mut p.content, card_bottom, tear);
    p.content.stroke();
    p.content.restore_state();

    // Footer under the card.
    let footer = "Show this QR code at the entrance, printed or on a phone screen. \
                  Keep it private: the code is the ticket.";
    let line = fit_line(font, footer, FOOTER, 6.0, CARD_R - CARD_L - 60.0);
    let base = card_bottom - 14.0;
    if let Some(text) = line.lines.first() {
        p.text(CARD_L + 4.0, base, line.style, text);
    }
    let brand = "tix";
    let w = font.width(brand, FOOTER.size, 0.0);
    p.text(CARD_R - 4.0 - w, base, FOOTER.bold(), brand);
}

/// `text` on one line of `width`: at `style`'s size, shrunk down to `min_size` if need
/// be, and cut with an ellipsis if even that is too wide.
fn fit_line<'t>(
    font: &TicketFont,
    text: &'t str,
    style: Style,
    min_size: f32,
    width: f32,
) -> Block<'t> {
    let natural = font.width(text, style.size, style.tracking);
    let size = if natural <= width {
        style.size
    } else {
        (style.size * width / natural).max(min_size)
    };
    let style = style.sized(size);
    let line = if font.width(text, size, style.tracking) <= width {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(ellipsize(font, text, style, width))
    };
    Block {
        style,
        leading: size * 1.2,
        lines: vec![line],
    }
}

/// Control point distance for a quarter circle of radius 1 drawn as one cubic Bézier.
const KAPPA: f32 = 0.552_284_8;

/// Appends the header band's outline to the current path: the card's width, rounded
/// at the top.
fn band_path(c: &mut Content, bottom: f32) {
    let (r, k) = (CARD_RADIUS, CARD_RADIUS * KAPPA);
    c.move_to(CARD_L, bottom);
    c.line_to(CARD_R, bottom);
    c.line_to(CARD_R, CARD_TOP - r);
    c.cubic_to(
        CARD_R,
        CARD_TOP - r + k,
        CARD_R - r + k,
        CARD_TOP,
        CARD_R - r,
        CARD_TOP,
    );
    c.line_to(CARD_L + r, CARD_TOP);
    c.cubic_to(
        CARD_L + r - k,
        CARD_TOP,
        CARD_L,
        CARD_TOP - r + k,
        CARD_L,
        CARD_TOP - r,
    );
    c.close_path();
}

/// Appends the card's outline to the current path: rounded corners, and half-round
/// notches in both sides at the tear line `tear`, if any.
fn card_outline(c: &mut Content, bottom: f32, tear: Option<f32>) {
    const NOTCH: f32 = 9.0;
    let (r, k) = (CARD_RADIUS, CARD_RADIUS * KAPPA);
    let (nk, (l, rt, top)) = (NOTCH * KAPPA, (CARD_L, CARD_R, CARD_TOP));
    c.move_to(l + r, bottom);
    c.line_to(rt - r, bottom);
    c.cubic_to(rt - r + k, bottom, rt, bottom + r - k, rt, bottom + r);
    if let Some(y) = tear {
        // Up the right side, into the notch and out again.
        c.line_to(rt, y - NOTCH);
        c.cubic_to(rt - nk, y - NOTCH, rt - NOTCH, y - nk, rt - NOTCH, y);
        c.cubic_to(rt - NOTCH, y + nk, rt - nk, y + NOTCH, rt, y + NOTCH);
    }
    c.line_to(rt, top - r);
    c.cubic_to(rt, top - r + k, rt - r + k, top, rt - r, top);
    c.line_to(l + r, top);
    c.cubic_to(l + r - k, top, l, top - r + k, l, top - r);
    if let Some(y) = tear {
        c.line_to(l, y + NOTCH);
        c.cubic_to(l + nk, y + NOTCH, l + NOTCH, y + nk, l + NOTCH, y);
        c.cubic_to(l + NOTCH, y - nk, l + nk, y - NOTCH, l, y - NOTCH);
    }
    c.line_to(l, bottom + r);
    c.cubic_to(l, bottom + r - k, l + r - k, bottom, l + r, bottom);
    c.close_path();
}

// ---------------------------------------------------------------------------------------
// Text measurement and wrapping.

/// Breaks `text` into lines no wider than `width` at `style`: at '\n', at spaces where
/// it can, and inside a word only when that word alone is too wide. Stops after
/// `max_lines` lines; if text was left over, the last line ends with an ellipsis and the
/// second value is true.
fn wrap<'t>(
    font: &TicketFont,
    text: &'t str,
    style: Style,
    width: f32,
    max_lines: usize,
) -> (Vec<Cow<'t, str>>, bool) {
    let (size, tracking) = (style.size, style.tracking);
    let mut lines: Vec<Cow<'t, str>> = Vec::new();
    let mut cut = false;
    let mut blank_run = 0;
    'paragraphs: for para in text.split('\n') {
        let para = para.trim_end();
        if para.trim_start().is_empty() {
            // Keep one empty line between paragraphs, not runs of them.
            blank_run += 1;
            if blank_run == 1 && !lines.is_empty() {
                if lines.len() >= max_lines {
                    cut = true;
                    break;
                }
                lines.push(Cow::Borrowed(""));
            }
            continue;
        }
        blank_run = 0;
        // The current line is para[start..end], `line_w` wide, when `open`.
        let (mut start, mut end, mut line_w, mut open) = (0, 0, 0.0_f32, false);
        for (ws, we) in words(para) {
            if open {
                let extra = font.width(&para[end..we], size, tracking);
                if line_w + extra <= width {
                    end = we;
                    line_w += extra;
                    continue;
                }
                if lines.len() >= max_lines {
                    cut = true;
                    break 'paragraphs;
                }
                lines.push(Cow::Borrowed(&para[start..end]));
            }
            // The word starts a line; split it where it is wider than a line.
            let (mut s, mut w) = (ws, 0.0_f32);
            for (i, c) in para[ws..we].char_indices() {
                let cw = font.char_width(c, size, tracking);
                if w + cw > width && ws + i > s {
                    if lines.len() >= max_lines {
                        cut = true;
                        break 'paragraphs;
                    }
                    lines.push(Cow::Borrowed(&para[s..ws + i]));
                    s = ws + i;
                    w = 0.0;
                }
                w += cw;
            }
            (start, end, line_w, open) = (s, we, w, true);
        }
        if open {
            if lines.len() >= max_lines {
                cut = true;
                break;
            }
            lines.push(Cow::Borrowed(&para[start..end]));
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if cut && let Some(last) = lines.last_mut() {
        *last = Cow::Owned(ellipsize(font, last, style, width));
    }
    (lines, cut)
}

/// Byte ranges of the runs of non-whitespace in `s`.
fn words(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut rest = s.char_indices().peekable();
    std::iter::from_fn(move || {
        while rest.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let &(start, _) = rest.peek()?;
        let mut end = start;
        while let Some((i, c)) = rest.next_if(|(_, c)| !c.is_whitespace()) {
            end = i + c.len_utf8();
        }
        Some((start, end))
    })
}

/// `text` shortened so that it and a trailing ellipsis fit in `width`.
fn ellipsize(font: &TicketFont, text: &str, style: Style, width: f32) -> String {
    const ELLIPSIS: char = '…';
    let room = width - font.char_width(ELLIPSIS, style.size, style.tracking);
    let mut out = String::with_capacity(text.len().min(256) + 3);
    let mut w = 0.0;
    for c in text.chars() {
        let cw = font.char_width(c, style.size, style.tracking);
        if w + cw > room {
            break;
        }
        w += cw;
        out.push(c);
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push(ELLIPSIS);
    out
}

// ---------------------------------------------------------------------------------------
// The font.

/// A glyph of the font, with the text it stands for.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    id: u16,
    /// Advance width in font units.
    advance: u16,
    /// The character the glyph is extracted as: '?' for the fallback glyph.
    ch: char,
}

/// The parsed font with its metrics; made once per process.
struct TicketFont {
    face: Face<'static>,
    units_per_em: f32,
    /// Glyphs for the code points below `COMMON_END` (Latin, Greek, Cyrillic), looked
    /// up once so that measuring text does no table searches.
    common: Vec<Glyph>,
    space: Glyph,
    fallback: Glyph,
}

/// Code points below this are looked up when the font is loaded.
const COMMON_END: u32 = 0x0530;

static TICKET_FONT: OnceLock<Result<TicketFont, String>> = OnceLock::new();

impl TicketFont {
    fn get() -> Result<&'static TicketFont, PdfError> {
        TICKET_FONT
            .get_or_init(Self::load)
            .as_ref()
            .map_err(|e| PdfError::Font(e.clone()))
    }

    fn load() -> Result<TicketFont, String> {
        let face = Face::parse(FONT, 0).map_err(|e| e.to_string())?;
        let units_per_em = f32::from(face.units_per_em());
        let lookup = |c: char| {
            face.glyph_index(c).map(|id| Glyph {
                id: id.0,
                advance: face.glyph_hor_advance(id).unwrap_or(0),
                ch: c,
            })
        };
        let space = lookup(' ').ok_or("it has no space character")?;
        let fallback = lookup('?').ok_or("it has no question mark")?;
        let common = (0..COMMON_END)
            .map(|cp| match char::from_u32(cp) {
                Some(c) if c.is_control() || (c.is_whitespace() && c != ' ') => space,
                Some(c) => lookup(c).unwrap_or(fallback),
                None => fallback,
            })
            .collect();
        Ok(TicketFont {
            face,
            units_per_em,
            common,
            space,
            fallback,
        })
    }

    /// The glyph `c` is drawn with: its own, a space for control characters and other
    /// whitespace, '?' where the font lacks it — and for right-to-left scripts (Hebrew,
    /// Arabic, Syriac, Thaana, N'Ko…), which would need reordering and shaping that this
    /// writer does not do: a '?' says something is missing, a mirrored name would not.
    fn glyph(&self, c: char) -> Glyph {
        if let Some(g) = self.common.get(c as usize) {
            return *g;
        }
        if c.is_whitespace() || c.is_control() {
            return self.space;
        }
        if is_right_to_left(c) {
            return self.fallback;
        }
        match self.face.glyph_index(c) {
            Some(id) => Glyph {
                id: id.0,
                advance: self.face.glyph_hor_advance(id).unwrap_or(0),
                ch: c,
            },
            None => self.fallback,
        }
    }

    fn char_width(&self, c: char, size: f32, tracking: f32) -> f32 {
        f32::from(self.glyph(c).advance) * size / self.units_per_em + tracking
    }

    /// Width of `text` in points at `size`, with `tracking` points after each character.
    fn width(&self, text: &str, size: f32, tracking: f32) -> f32 {
        let (units, count) = text.chars().fold((0_u64, 0_u64), |(u, n), c| {
            (u + u64::from(self.glyph(c).advance), n + 1)
        });
        units as f32 * size / self.units_per_em + tracking * count as f32
    }

    /// Converts font units to PDF glyph space (1/1000 em).
    fn to_pdf(&self, units: f32) -> f32 {
        (units * 1000.0 / self.units_per_em).round()
    }
}

/// The glyphs a document uses, numbered in order of first use: these numbers are the
/// glyph ids in the subset font and, with Identity-H encoding and an identity
/// CIDToGIDMap, the character codes in the content streams. The ToUnicode map sends
/// each glyph back to the character it was first drawn for; that is exact because
/// DejaVu Sans draws no two characters with one glyph.
struct GlyphSet {
    remapper: GlyphRemapper,
    /// By new glyph id: the character it is extracted as (None for .notdef).
    chars: Vec<Option<char>>,
    /// By new glyph id: advance in font units.
    advances: Vec<u16>,
}

impl GlyphSet {
    fn new(font: &TicketFont) -> Self {
        let notdef = font.face.glyph_hor_advance(GlyphId(0)).unwrap_or(0);
        Self {
            remapper: GlyphRemapper::new(),
            chars: vec![None],
            advances: vec![notdef],
        }
    }

    /// The character code (new glyph id) for `g`.
    fn code(&mut self, g: Glyph) -> u16 {
        let code = self.remapper.remap(g.id);
        let i = usize::from(code);
        if i >= self.chars.len() {
            self.chars.resize(i + 1, None);
            self.advances.resize(i + 1, 0);
        }
        if self.chars[i].is_none() && g.id != 0 {
            self.chars[i] = Some(g.ch);
            self.advances[i] = g.advance;
        }
        code
    }
}

// ---------------------------------------------------------------------------------------
// Drawing.

/// Writes one page's content stream.
struct Painter<'a> {
    font: &'a TicketFont,
    glyphs: &'a mut GlyphSet,
    content: Content,
    encoded: Vec<u8>,
    // Text and colour state as last set, so it is only written when it changes.
    fill: Option<[f32; 3]>,
    tracking: f32,
    bold: Option<f32>,
    /// The lowest baseline and the rightmost text edge drawn so far.
    extent: (f32, f32),
}

impl<'a> Painter<'a> {
    fn new(font: &'a TicketFont, glyphs: &'a mut GlyphSet) -> Self {
        Self {
            font,
            glyphs,
            content: Content::with_capacity(16 * 1024),
            encoded: Vec::with_capacity(256),
            fill: None,
            tracking: 0.0,
            bold: None,
            extent: (PAGE_H, 0.0),
        }
    }

    fn finish(self) -> Vec<u8> {
        self.content.finish().into_vec()
    }

    fn fill_rgb(&mut self, rgb: [f32; 3]) {
        if self.fill != Some(rgb) {
            self.content.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
            self.fill = Some(rgb);
        }
    }

    /// Draws `text` on one line with its baseline starting at (x, y).
    fn text(&mut self, x: f32, y: f32, style: Style, text: &str) {
        self.encoded.clear();
        let (mut units, mut count) = (0_u64, 0_u64);
        for c in text.chars() {
            let glyph = self.font.glyph(c);
            units += u64::from(glyph.advance);
            count += 1;
            let code = self.glyphs.code(glyph);
            self.encoded.extend_from_slice(&code.to_be_bytes());
        }
        if self.encoded.is_empty() {
            return;
        }
        let width = units as f32 * style.size / self.font.units_per_em
            + style.tracking * (count - 1) as f32;
        self.extent = (self.extent.0.min(y), self.extent.1.max(x + width));
        self.fill_rgb(style.color);
        let c = &mut self.content;
        if style.tracking != self.tracking {
            c.set_char_spacing(style.tracking);
            self.tracking = style.tracking;
        }
        // Bold is faked by also stroking the outlines, in the text's colour.
        let stroke = style.bold.then_some(style.size * 0.028);
        if stroke != self.bold {
            match stroke {
                Some(w) => {
                    c.set_text_rendering_mode(TextRenderingMode::FillStroke);
                    c.set_line_width(w);
                    c.set_line_join(pdf_writer::types::LineJoinStyle::RoundJoin);
                }
                None => {
                    c.set_text_rendering_mode(TextRenderingMode::Fill);
                }
            }
            self.bold = stroke;
        }
        if style.bold {
            c.set_stroke_rgb(style.color[0], style.color[1], style.color[2]);
        }
        c.begin_text();
        c.set_font(Name(b"F1"), round2(style.size));
        c.next_line(round2(x), round2(y));
        c.show(Str(&self.encoded));
        c.end_text();
    }

    fn text_centered(&mut self, mid: f32, y: f32, style: Style, text: &str) {
        // Tracking after the last character is not part of the visible width.
        let w = self.font.width(text, style.size, style.tracking) - style.tracking;
        self.text(mid - w / 2.0, y, style, text);
    }

    /// Draws `block` with its top at `top`.
    fn block(&mut self, x: f32, top: f32, block: &Block<'_>) {
        let mut y = top - block.style.size * ASCENT;
        for line in &block.lines {
            self.text(x, y, block.style, line);
            y -= block.leading;
        }
    }

    /// Draws `qr` black on white, its symbol's top left corner at (x, top) and each
    /// module `module` points wide, on a white quiet zone of `QR_QUIET` modules. Each
    /// horizontal run of dark modules is one rectangle, and all of them one filled path.
    fn qr(&mut self, qr: &QrMatrix, x: f32, top: f32, module: f32) {
        let n = qr.width;
        if n == 0 {
            return;
        }
        let quiet = QR_QUIET as f32 * module;
        let side = n as f32 * module + 2.0 * quiet;
        let c = &mut self.content;
        c.save_state();
        c.set_fill_rgb(WHITE[0], WHITE[1], WHITE[2]);
        c.rect(x - quiet, top - n as f32 * module - quiet, side, side);
        c.fill_nonzero();
        c.set_fill_rgb(BLACK[0], BLACK[1], BLACK[2]);
        // Module units with y running down from the symbol's top left corner.
        c.transform([module, 0.0, 0.0, -module, x, top]);
        for (row, modules) in qr.dark.chunks_exact(n).enumerate() {
            let mut col = 0;
            while col < modules.len() {
                if modules[col] {
                    let start = col;
                    while col < modules.len() && modules[col] {
                        col += 1;
                    }
                    c.rect(start as f32, row as f32, (col - start) as f32, 1.0);
                } else {
                    col += 1;
                }
            }
        }
        c.fill_nonzero();
        c.restore_state();
    }

    /// A dashed tear line across the card at `y`.
    fn perforation(&mut self, y: f32) {
        let c = &mut self.content;
        c.save_state();
        c.set_stroke_rgb(RULE[0], RULE[1], RULE[2]);
        c.set_line_width(0.8);
        c.set_line_cap(LineCapStyle::RoundCap);
        c.set_dash_pattern([0.1, 4.0], 0.0);
        c.move_to(CARD_L + 16.0, y);
        c.line_to(CARD_R - 16.0, y);
        c.stroke();
        c.restore_state();
    }
}

fn round2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------
// QR codes.

/// A QR code's modules, row by row from the top left, true for dark.
struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `data` at error correction level M in the smallest version that holds it.
    ///
    /// This does what `qrcode::QrCode::with_error_correction_level` does, but scores the
    /// eight masks with the standard's penalty rules itself: `qrcode`'s scoring takes
    /// over a millisecond per code, most of a ticket's render time.
    fn encode(data: &[u8]) -> QrResult<Self> {
        const MASKS: [MaskPattern; 8] = [
            MaskPattern::Checkerboard,
            MaskPattern::HorizontalLines,
            MaskPattern::VerticalLines,
            MaskPattern::DiagonalLines,
            MaskPattern::LargeCheckerboard,
            MaskPattern::Fields,
            MaskPattern::Diamonds,
            MaskPattern::Meadow,
        ];
        let bits = qrcode::bits::encode_auto(data, EcLevel::M)?;
        let version = bits.version();
        let (codewords, ec) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M)?;
        let mut canvas = Canvas::new(version, EcLevel::M);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&codewords, &ec);
        let mut best: Option<(u32, Vec<bool>)> = None;
        for mask in MASKS {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            let dark: Vec<bool> = masked
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect();
            let width = dark.len().isqrt();
            let score = penalty(&dark, width);
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((score, dark));
            }
        }
        let dark = best.map(|(_, dark)| dark).unwrap_or_default();
        Ok(Self {
            width: dark.len().isqrt(),
            dark,
        })
    }
}

/// The penalty score of a masked QR symbol (ISO/IEC 18004, "evaluation of data masking
/// results"): lower is easier to scan. `dark` holds `n` rows of `n` modules.
fn penalty(dark: &[bool], n: usize) -> u32 {
    if n == 0 {
        return 0;
    }
    let mut columns = vec![false; dark.len()];
    for (y, row) in dark.chunks_exact(n).enumerate() {
        for (x, &d) in row.iter().enumerate() {
            columns[x * n + y] = d;
        }
    }
    let mut score: u32 = 0;
    for line in dark.chunks_exact(n).chain(columns.chunks_exact(n)) {
        score += line_penalty(line);
    }
    // N2: each 2×2 block of one colour: 3.
    for (upper, lower) in dark.chunks_exact(n).zip(dark.chunks_exact(n).skip(1)) {
        let (ul, ur) = (&upper[..n - 1], &upper[1..]);
        let (ll, lr) = (&lower[..n - 1], &lower[1..]);
        let blocks: u32 = ul
            .iter()
            .zip(ur)
            .zip(ll.iter().zip(lr))
            .map(|((a, b), (c, d))| u32::from((a == b) & (a == c) & (a == d)))
            .sum();
        score += 3 * blocks;
    }
    // N4: 10 for each full 5% that the dark share is off 50%.
    let total = dark.len();
    let dark_count = dark.iter().filter(|&&d| d).count();
    let off = (dark_count * 20).abs_diff(total * 10) / total;
    score + 10 * u32::try_from(off).unwrap_or(u32::MAX / 20)
}

/// The N1 and N3 penalties of one row or column of a QR symbol.
fn line_penalty(line: &[bool]) -> u32 {
    let Some((&first, rest)) = line.split_first() else {
        return 0;
    };
    let mut score: u32 = 0;
    // N1: five or more same-coloured modules in a row: 3, plus 1 per extra module.
    // N3: a finder-like 1:1:3:1:1 pattern with four light modules on either side (the
    // light area around the symbol counts): 40 each.
    const FINDER_THEN_LIGHT: u32 = 0b101_1101_0000;
    const LIGHT_THEN_FINDER: u32 = 0b000_0101_1101;
    let (mut prev, mut run) = (first, 1_u32);
    let mut window = u32::from(first);
    // Written without branches: the modules are as good as random.
    for &d in rest {
        run = if d == prev { run + 1 } else { 1 };
        prev = d;
        // A run of n >= 5 scores 3 when it reaches 5 and 1 for each module after.
        score += 3 * u32::from(run == 5) + u32::from(run > 5);
        window = ((window << 1) | u32::from(d)) & 0x7ff;
        score += 40 * u32::from(window == FINDER_THEN_LIGHT || window == LIGHT_THEN_FINDER);
    }
    for _ in 0..4 {
        window = (window << 1) & 0x7ff;
        score += 40 * u32::from(window == FINDER_THEN_LIGHT || window == LIGHT_THEN_FINDER);
    }
    score
}

// ---------------------------------------------------------------------------------------
// The file.

fn write_document(
    font: &TicketFont,
    glyphs: &GlyphSet,
    contents: &[Vec<u8>],
    title: &str,
) -> Result<Vec<u8>, PdfError> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let type0_id = Ref::new(4);
    let cid_id = Ref::new(5);
    let descriptor_id = Ref::new(6);
    let file_id = Ref::new(7);
    let cmap_id = Ref::new(8);
    // Page i is object 9 + 2i, its content 10 + 2i; `render` caps the page count so
    // these fit.
    let page_ref = |i: usize| Ref::new(9 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(10 + 2 * i as i32);

    let subset = subsetter::subset(FONT, 0, &glyphs.remapper)
        .map_err(|e| PdfError::Subset(e.to_string()))?;

    let mut pdf =
        Pdf::with_capacity(subset.len() + contents.iter().map(Vec::len).sum::<usize>() + 16 * 1024);
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("tix"));
    pdf.pages(tree_id)
        .kids((0..contents.len()).map(page_ref))
        .count(contents.len() as i32);
    for (i, content) in contents.iter().enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(content_ref(i));
        page.resources().fonts().pair(Name(b"F1"), type0_id);
        page.finish();
        pdf.stream(content_ref(i), content);
    }

    let base_font = format!("{}+DejaVuSans", subset_tag(&glyphs.advances, &glyphs.chars));
    let base_font = Name(base_font.as_bytes());
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0_id)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(system_info)
        .font_descriptor(descriptor_id)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(
        0,
        glyphs.advances.iter().map(|&a| font.to_pdf(f32::from(a))),
    );
    cid.finish();

    let face = &font.face;
    let bbox = face.global_bounding_box();
    let ascent = font.to_pdf(f32::from(face.ascender()));
    let descent = font.to_pdf(f32::from(face.descender()));
    let cap_height = font.to_pdf(f32::from(face.capital_height().unwrap_or(face.ascender())));
    pdf.font_descriptor(descriptor_id)
        .name(base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            font.to_pdf(f32::from(bbox.x_min)),
            font.to_pdf(f32::from(bbox.y_min)),
            font.to_pdf(f32::from(bbox.x_max)),
            font.to_pdf(f32::from(bbox.y_max)),
        ))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(descent)
        .cap_height(cap_height)
        .stem_v(80.0)
        .font_file2(file_id);

    let mut file = pdf.stream(file_id, &subset);
    file.pair(Name(b"Length1"), subset.len() as i32);
    file.finish();

    let mut cmap = UnicodeCmap::new(Name(b"Adobe-Identity-UCS"), system_info);
    for (code, ch) in glyphs.chars.iter().enumerate() {
        if let (Some(ch), Ok(code)) = (ch, u16::try_from(code)) {
            cmap.pair(code, *ch);
        }
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, &cmap)
        .name(Name(b"Adobe-Identity-UCS"))
        .system_info(system_info);

    Ok(pdf.finish())
}

/// The six capital letters that name a font subset, derived from the glyphs it holds.
fn subset_tag(advances: &[u16], chars: &[Option<char>]) -> String {
    // FNV-1a over the subset's characters and widths.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: u32| {
        for b in v.to_le_bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (a, c) in advances.iter().zip(chars) {
        eat(u32::from(*a));
        eat(c.map_or(0, u32::from));
    }
    let mut tag = String::with_capacity(6);
    for _ in 0..6 {
        tag.push(char::from(b'A' + (hash % 26) as u8));
        hash /= 26;
    }
    tag
}

/// Whether a character belongs to a right-to-left script (Hebrew, Arabic, Syriac,
/// Thaana, N'Ko, Samaritan, Mandaic and their presentation forms).
fn is_right_to_left(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "TIX1.E1.T42.5F3A9C1E0B7D4E2A8C6F1B3D5E7A9C0B.K2QJ7XH4M9RZ5T8WPL3VNC6YB2D4F7G9J3K5M7P9R2T4V6X8Z3B5D7F9H2J4L6N8Q3S5U7W9Y2A4C6E8G3I5";

    fn ticket() -> TicketPage<'static> {
        TicketPage {
            event_title: "Summer Nights",
            when: "Thursday 15 July 2027, 20:00 – 23:00 (Europe/Berlin, UTC+02:00)",
            venue: "Harbour Stage",
            tier: "General Admission",
            price: "49.00 EUR",
            attendee: "Αλέξανδρος Παπαδόπουλος",
            holder: "bea@example.com",
            order: "Order 12",
            code: CODE,
            uuid: "5f3a9c1e-0b7d-4e2a-8c6f-1b3d5e7a9c0b",
            note: "Doors open at 19:00.\nNo re-entry.",
        }
    }

    fn font() -> &'static TicketFont {
        TicketFont::get().unwrap()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    #[test]
    fn output_is_a_pdf_file() {
        let pdf = render(&[ticket()]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.ends_with(b"%%EOF"));
    }

    #[test]
    fn a_one_ticket_pdf_is_under_60_kb() {
        let pdf = render(&[ticket()]).unwrap();
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        // The font is a subset: far smaller than the 760 KB font file.
        assert!(pdf.len() < FONT.len() / 10);
    }

    #[test]
    fn one_page_per_ticket_with_document_info() {
        let t = ticket();
        let second = TicketPage {
            attendee: "Дмитрий Шостакович",
            ..t
        };
        let pdf = render(&[t, second, t]).unwrap();
        assert_eq!(
            count(&pdf, b"/Type /Page\n") + count(&pdf, b"/Type /Page "),
            3
        );
        assert!(contains(&pdf, b"/Count 3"));
        assert!(contains(&pdf, b"/Producer (tix)"));
        assert!(contains(&pdf, b"/Title (Summer Nights)"));
    }

    #[test]
    fn the_document_title_is_the_events_or_generic() {
        let t = ticket();
        assert_eq!(document_title(&[t, t]), "Summer Nights");
        let other = TicketPage {
            event_title: "Winter Days",
            ..t
        };
        assert_eq!(document_title(&[t, other]), "Tickets");
        assert_eq!(
            document_title(&[TicketPage {
                event_title: " \n ",
                ..t
            }]),
            "Tickets"
        );
        let long = "Ω ".repeat(1000);
        let title = document_title(&[TicketPage {
            event_title: &long,
            ..t
        }]);
        assert!(
            title.chars().count() <= 201 && title.ends_with('…'),
            "{title}"
        );
        let pdf = render(&[other, other]).unwrap();
        assert!(contains(&pdf, b"/Title (Winter Days)"));
    }

    #[test]
    fn the_font_is_a_cid_font_with_a_tounicode_map() {
        let pdf = render(&[ticket()]).unwrap();
        for needle in [
            &b"/Subtype /Type0"[..],
            b"/Encoding /Identity-H",
            b"/Subtype /CIDFontType2",
            b"/CIDToGIDMap /Identity",
            b"/FontFile2",
            b"/ToUnicode",
            b"/W [0 [",
            // α (U+03B1) of "Παπαδόπουλος" is mapped back to its code point.
            b"<03B1>",
        ] {
            assert!(
                contains(&pdf, needle),
                "{}",
                String::from_utf8_lossy(needle)
            );
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render(&[ticket()]).unwrap(), render(&[ticket()]).unwrap());
    }

    #[test]
    fn no_tickets_is_an_error() {
        let err = render(&[]).unwrap_err();
        assert!(matches!(err, PdfError::NoPages));
        assert_eq!(err.to_string(), "no tickets to put in the PDF");
    }

    #[test]
    fn an_empty_or_oversized_code_is_an_error_naming_the_ticket() {
        let t = ticket();
        let err = render(&[t, TicketPage { code: "", ..t }]).unwrap_err();
        assert!(matches!(err, PdfError::EmptyCode { ticket: 2 }), "{err:?}");
        let huge = "x".repeat(5000);
        let err = render(&[TicketPage { code: &huge, ..t }]).unwrap_err();
        assert!(matches!(err, PdfError::Qr { ticket: 1, .. }), "{err:?}");
        assert!(err.to_string().contains("ticket 1"), "{err}");
    }

    #[test]
    fn characters_the_font_lacks_become_question_marks() {
        let f = font();
        for c in ['漢', '🎫', '\u{E000}', 'א', 'ش', '\u{FEFB}'] {
            let g = f.glyph(c);
            assert_eq!(g.id, f.fallback.id, "{c}");
            assert_eq!(g.ch, '?');
        }
        assert_eq!(f.glyph('\t').id, f.space.id);
        assert_eq!(f.glyph('\u{7}').id, f.space.id);
        assert_ne!(f.glyph('Ж').id, f.fallback.id);
        assert_ne!(f.glyph('λ').id, f.fallback.id);
        let t = TicketPage {
            event_title: "漢字 🎫 \u{0}\u{7}\r\n test",
            attendee: "\u{202E}مرحبا",
            note: "\u{FFFF}\u{10FFFF}",
            ..ticket()
        };
        let pdf = render(&[t]).unwrap();
        assert!(pdf.ends_with(b"%%EOF"));
    }

    #[test]
    fn wrapped_lines_fit_and_long_words_are_split() {
        let f = font();
        let style = Style::new(12.0, INK);
        let text = "A short line, then a https://very.long.example.com/with/a/path/that/cannot/fit/on/one/line and more words after it.";
        let (lines, cut) = wrap(f, text, style, 150.0, 100);
        assert!(!cut);
        assert!(lines.len() > 3, "{lines:?}");
        for line in &lines {
            assert!(f.width(line, 12.0, 0.0) <= 150.0, "{line:?}");
            assert_eq!(line.trim(), line.as_ref());
        }
        // Nothing but whitespace is lost.
        let joined: String = lines.concat();
        let squeezed: String = text.split_whitespace().collect();
        assert_eq!(joined.replace(' ', ""), squeezed);
    }

    #[test]
    fn wrapping_keeps_paragraphs_and_cuts_with_an_ellipsis() {
        let f = font();
        let style = Style::new(10.0, INK);
        let (lines, cut) = wrap(f, "one\n\n\n\ntwo\r\nthree\n\n", style, 300.0, 10);
        assert!(!cut);
        assert_eq!(lines, ["one", "", "two", "three"]);
        let words = "word ".repeat(10_000);
        let (lines, cut) = wrap(f, &words, style, 300.0, 3);
        assert!(cut);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        assert!(f.width(&lines[2], 10.0, 0.0) <= 300.0);
        assert_eq!(wrap(f, "", style, 300.0, 3).0.len(), 0);
        assert_eq!(wrap(f, "x", style, 300.0, 0).0.len(), 0);
        // A width too small for any character still makes progress, one per line.
        let (lines, _) = wrap(f, "abc", style, 0.1, 10);
        assert_eq!(lines, ["a", "b", "c"]);
    }

    #[test]
    fn long_titles_and_values_shrink_then_wrap() {
        let f = font();
        let short = fit_block(f, "Gala", TITLE, &[(28.0, 2), (18.0, 3)], INNER_W);
        assert_eq!(short.style.size, 28.0);
        let long = "An Extraordinarily Long Title ".repeat(3);
        let block = fit_block(f, &long, TITLE, &[(28.0, 2), (24.0, 2), (18.0, 3)], INNER_W);
        assert!(block.style.size < 28.0);
        assert!(block.lines.len() <= 3);
        for line in &block.lines {
            assert!(f.width(line, block.style.size, 0.0) <= INNER_W);
        }
        let fs = "f".repeat(400);
        let id = fit_line(f, &fs, UUID, 6.5, 100.0);
        assert_eq!(id.style.size, 6.5);
        assert!(id.lines[0].ends_with('…'));
        assert!(f.width(&id.lines[0], 6.5, 0.0) <= 100.0);
    }

    #[test]
    fn huge_inputs_stay_on_one_small_page() {
        let long = "Lorem ipsum dolor sit amet, Ελληνικά, русский. ".repeat(20_000);
        let word = "x".repeat(100_000);
        let t = TicketPage {
            event_title: &long,
            when: &long,
            venue: &word,
            tier: &long,
            price: &word,
            attendee: &long,
            holder: &word,
            order: &long,
            note: &long,
            ..ticket()
        };
        let pdf = render(&[t]).unwrap();
        assert_eq!(
            count(&pdf, b"/Type /Page\n") + count(&pdf, b"/Type /Page "),
            1
        );
        assert!(pdf.len() < 80_000, "{} bytes", pdf.len());
    }

    #[test]
    fn huge_inputs_stay_inside_the_card_and_on_the_page() {
        let long = "Lorem ipsum dolor sit amet, Ελληνικά, русский. ".repeat(500);
        let word = "W".repeat(5000);
        let t = TicketPage {
            event_title: &word,
            when: &long,
            venue: &long,
            tier: &word,
            price: &long,
            attendee: &word,
            holder: &word,
            order: &long,
            uuid: &word,
            note: &long,
            ..ticket()
        };
        let f = font();
        for page in [t, TicketPage { note: "", ..t }, ticket()] {
            let mut glyphs = GlyphSet::new(f);
            let mut p = Painter::new(f, &mut glyphs);
            let qr = QrMatrix::encode(page.code.as_bytes()).unwrap();
            draw_ticket(&mut p, &page, &qr, 1, 1);
            let (lowest, rightmost) = p.extent;
            assert!(lowest >= MARGIN / 2.0, "text at y = {lowest}");
            // The footer's "tix" ends 4 pt inside the card's edge; all else ends sooner.
            assert!(
                rightmost <= CARD_R - 4.0 + 0.01,
                "text up to x = {rightmost}"
            );
        }
    }

    #[test]
    fn qr_matrix_decodes_to_the_code() {
        for code in [
            CODE,
            "a",
            "https://example.com/t/5f3a9c1e?x=ÄÖÜ",
            &"Z".repeat(600),
        ] {
            let qr = QrMatrix::encode(code.as_bytes()).unwrap();
            assert_eq!(qr.dark.len(), qr.width * qr.width);
            let (scale, quiet) = (4, 4);
            let side = (qr.width + 2 * quiet) * scale;
            let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
                let (mx, my) = (
                    (x / scale).wrapping_sub(quiet),
                    (y / scale).wrapping_sub(quiet),
                );
                let dark = mx < qr.width && my < qr.width && qr.dark[my * qr.width + mx];
                if dark { 0 } else { 255 }
            });
            let grids = img.detect_grids();
            assert_eq!(grids.len(), 1);
            let (meta, text) = grids[0].decode().unwrap();
            assert_eq!(text, code);
            assert_eq!(meta.ecc_level, 0, "level M"); // rqrr numbers M as 0 (the format bits)
        }
    }

    #[test]
    fn qr_mask_choice_follows_the_penalty_rules() {
        // A fully dark 21×21 symbol: runs (N1) of 21 in 42 lines, 400 2×2 blocks (N2),
        // and 100% dark (N4: 10 steps of 5%).
        let dark = vec![true; 21 * 21];
        assert_eq!(penalty(&dark, 21), 42 * (21 - 2) + 400 * 3 + 100);
        // One finder-like pattern with light space on both sides, in a row.
        let line = [
            false, false, false, false, true, false, true, true, true, false, true, false, false,
            false, false,
        ];
        assert_eq!(line_penalty(&line), 40 * 2);
        assert_eq!(line_penalty(&[]), 0);
    }
}
