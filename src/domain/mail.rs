//! E-mail messages tix prepares for any mail tool to send (`sendmail -t < file`):
//! RFC 5322 with MIME, a UTF-8 text part and an optional PDF attachment, every line
//! ending in CRLF and no line over 78 characters; and the promoter's template they are
//! written from.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::domain::time::Timestamp;
use crate::error::{Error, Result};

/// The template a new outbox starts with; the promoter edits the copy in the outbox.
pub const DEFAULT_TEMPLATE: &str = "\
Subject: Your tickets for {event}

Hello {name},

here are your tickets for {event}: {count} attached as a PDF, one page per ticket.

When:  {when}
Where: {venue}
Order: {order}

Show the QR code at the entrance, printed or on your phone. Keep it to yourself:
the code is the ticket, and a copy gets in only once.

{note}
";

/// The names a template may use, each written `{name}`.
pub const PLACEHOLDERS: &[&str] = &[
    "event", "when", "venue", "name", "email", "order", "count", "note",
];

/// A message template: its subject line and its body, with `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The subject, one line.
    pub subject: String,
    /// The text.
    pub body: String,
}

impl Template {
    /// Reads a template: a first line `Subject: …`, a blank line, then the body. Every
    /// `{name}` must be one of [`PLACEHOLDERS`] (`{{` and `}}` write braces).
    pub fn parse(text: &str) -> Result<Template> {
        let text = text.replace("\r\n", "\n");
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
        let subject = first
            .strip_prefix("Subject:")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::invalid(
                    "template",
                    "the template's first line must be 'Subject: …' (then a blank line, then the text)",
                )
            })?;
        let body = rest.strip_prefix('\n').unwrap_or(rest).to_string();
        let t = Template {
            subject: subject.to_string(),
            body,
        };
        for part in [&t.subject, &t.body] {
            fill(part, &|_| Some(""))?;
        }
        Ok(t)
    }

    /// The subject and body with every placeholder replaced by `value(name)`.
    pub fn fill<'v>(&self, value: &dyn Fn(&str) -> Option<&'v str>) -> Result<(String, String)> {
        let subject = fill(&self.subject, value)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok((subject, fill(&self.body, value)?))
    }
}

/// Replaces `{name}` in `text`; an unknown name is an error that lists the known ones.
fn fill<'v>(text: &str, value: &dyn Fn(&str) -> Option<&'v str>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('{') {
            let end = after.find('}').ok_or_else(|| {
                Error::invalid(
                    "template",
                    "a '{' in the template is never closed; write '{{' for a brace",
                )
            })?;
            let name = &after[..end];
            let v = PLACEHOLDERS
                .contains(&name)
                .then(|| value(name))
                .flatten()
                .ok_or_else(|| {
                    Error::invalid(
                        "template",
                        format!(
                            "the template uses {{{name}}}, which tix does not know; it knows {}",
                            PLACEHOLDERS
                                .iter()
                                .map(|p| format!("{{{p}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            out.push_str(v);
            rest = &after[end + 1..];
        } else {
            return Err(Error::invalid(
                "template",
                "a '}' in the template opens nothing; write '}}' for a brace",
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Someone a message is from or to.
#[derive(Debug, Clone)]
pub struct Mailbox<'a> {
    /// Their name, if known.
    pub name: Option<&'a str>,
    /// Their address.
    pub email: &'a str,
}

/// A file attached to a message.
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    /// Its file name.
    pub file_name: &'a str,
    /// Its MIME type.
    pub content_type: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Everything one message says.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The sender (the event's promoter).
    pub from: Mailbox<'a>,
    /// The recipient.
    pub to: Mailbox<'a>,
    /// The subject, one line.
    pub subject: &'a str,
    /// The text.
    pub body: &'a str,
    /// When it was prepared.
    pub date: Timestamp,
    /// A unique id for its `Message-ID` (a UUID, say).
    pub id: &'a str,
    /// The PDF, if any.
    pub attachment: Option<Attachment<'a>>,
}

/// The message as an RFC 5322 file.
pub fn render(m: &Message<'_>) -> String {
    let boundary = format!("tix-{}", m.id.replace('-', ""));
    let mut out =
        String::with_capacity(1024 + m.attachment.as_ref().map_or(0, |a| a.bytes.len() * 4 / 3));
    header(&mut out, "From", &mailbox(&m.from));
    header(&mut out, "To", &mailbox(&m.to));
    header(&mut out, "Subject", &encode_words(m.subject));
    header(&mut out, "Date", &rfc5322_date(m.date));
    header(&mut out, "Message-ID", &format!("<{}@tix.invalid>", m.id));
    header(&mut out, "MIME-Version", "1.0");
    header(&mut out, "X-Mailer", "tix");
    match &m.attachment {
        None => {
            text_part_headers(&mut out);
            out.push_str("\r\n");
            base64_lines(
                &mut out,
                m.body
                    .replace("\r\n", "\n")
                    .replace('\n', "\r\n")
                    .as_bytes(),
            );
        }
        Some(a) => {
            header(
                &mut out,
                "Content-Type",
                &format!("multipart/mixed; boundary=\"{boundary}\""),
            );
            out.push_str("\r\nThis is a MIME message: a text part and a PDF attachment.\r\n");
            out.push_str(&format!("\r\n--{boundary}\r\n"));
            text_part_headers(&mut out);
            out.push_str("\r\n");
            base64_lines(
                &mut out,
                m.body
                    .replace("\r\n", "\n")
                    .replace('\n', "\r\n")
                    .as_bytes(),
            );
            out.push_str(&format!("\r\n--{boundary}\r\n"));
            let name = ascii_file_name(a.file_name);
            header(
                &mut out,
                "Content-Type",
                &format!("{}; name=\"{name}\"", a.content_type),
            );
            header(&mut out, "Content-Transfer-Encoding", "base64");
            header(
                &mut out,
                "Content-Disposition",
                &format!("attachment; filename=\"{name}\""),
            );
            out.push_str("\r\n");
            base64_lines(&mut out, a.bytes);
            out.push_str(&format!("\r\n--{boundary}--\r\n"));
        }
    }
    out
}

fn text_part_headers(out: &mut String) {
    header(out, "Content-Type", "text/plain; charset=utf-8");
    header(out, "Content-Transfer-Encoding", "base64");
}

/// Writes a header, folded at spaces so that no line is longer than 78 characters
/// (a single word longer than that, which tix never writes, stays whole).
fn header(out: &mut String, name: &str, value: &str) {
    let mut line_len = name.len() + 1;
    out.push_str(name);
    out.push(':');
    for word in value.split([' ', '\r', '\n']).filter(|w| !w.is_empty()) {
        if line_len + 1 + word.len() > 78 {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(word);
        line_len += 1 + word.len();
    }
    out.push_str("\r\n");
}

/// `Name <email>`, the name quoted or encoded as needed; the bare address without one.
fn mailbox(m: &Mailbox<'_>) -> String {
    let email: String = m.email.chars().filter(|c| !c.is_control()).collect();
    match m.name.map(str::trim).filter(|n| !n.is_empty()) {
        None => email,
        Some(n) if n.is_ascii() && !n.chars().any(|c| c.is_control()) => {
            let quoted = n.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{quoted}\" <{email}>")
        }
        Some(n) => format!("{} <{email}>", encode_words(n)),
    }
}

/// A header text as RFC 2047 encoded words where it is not plain ASCII (each word short
/// enough to keep lines under 78 characters), folded onto continuation lines.
fn encode_words(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.is_ascii() {
        return clean;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in clean.chars() {
        if chunk.len() + c.len_utf8() > 36 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", STANDARD.encode(w.as_bytes())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A file name as plain ASCII for MIME parameters.
fn ascii_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Bytes as base64 in lines of 76 characters, each ending in CRLF.
fn base64_lines(out: &mut String, bytes: &[u8]) {
    let encoded = STANDARD.encode(bytes);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
}

/// A moment as RFC 5322 writes dates, in UTC: `Thu, 15 Jul 2027 18:00:00 +0000`.
fn rfc5322_date(ts: Timestamp) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_need_a_subject_and_known_placeholders() {
        let t = Template::parse(DEFAULT_TEMPLATE).unwrap();
        assert_eq!(t.subject, "Your tickets for {event}");
        fn values(n: &str) -> Option<&'static str> {
            match n {
                "event" => Some("Gala"),
                _ => Some("x"),
            }
        }
        let (s, body) = t.fill(&values).unwrap();
        assert_eq!(s, "Your tickets for Gala");
        assert!(body.starts_with("Hello x,"));
        assert!(Template::parse("Hello {name}").is_err());
        assert!(Template::parse("Subject: \n\nx").is_err());
        let e = Template::parse("Subject: Hi {nmae}\n\nx").unwrap_err();
        assert!(e.to_string().contains("{nmae}") && e.to_string().contains("{event}"));
        assert!(Template::parse("Subject: a\n\n{oops").is_err());
        assert!(Template::parse("Subject: a\n\noops}").is_err());
        let t = Template::parse("Subject: a {{b}}\r\n\r\nline {{x}}\r\n").unwrap();
        assert_eq!(
            t.fill(&values).unwrap(),
            ("a {b}".into(), "line {x}\n".into())
        );
    }

    #[test]
    fn messages_are_rfc_5322_with_short_crlf_lines() {
        let pdf = vec![7u8; 5000];
        let text = render(&Message {
            from: Mailbox {
                name: Some("Pat \"P\" Promoter"),
                email: "pat@example.com",
            },
            to: Mailbox {
                name: Some("Дмитрий Шостакович"),
                email: "dmitri@example.com",
            },
            subject: "Ваши билеты — Αλέξανδρος and a long subject line that goes on and on",
            body: "Hello,\nline two\n",
            date: 1_815_674_400,
            id: "5f3a9c1e-0b7d-4e2a-8c6f-1b3d5e7a9c0b",
            attachment: Some(Attachment {
                file_name: "tickets-order-12.pdf",
                content_type: "application/pdf",
                bytes: &pdf,
            }),
        });
        assert!(text.starts_with("From: \"Pat \\\"P\\\" Promoter\" <pat@example.com>\r\n"));
        assert!(text.contains("\r\nTo: =?UTF-8?B?"));
        assert!(text.contains("Date: Thu, 15 Jul 2027 18:00:00 +0000\r\n"));
        assert!(text.contains("filename=\"tickets-order-12.pdf\""));
        for line in text.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        assert!(text.is_ascii());
        // The attachment decodes back to its bytes.
        let after = &text[text.find("filename=").unwrap()..];
        let body = &after[after.find("\r\n\r\n").unwrap() + 4..];
        let b64 = body[..body.find("\r\n--").unwrap()].replace("\r\n", "");
        assert!(
            STANDARD.decode(b64).unwrap() == pdf,
            "the attachment decodes back"
        );
    }
}
