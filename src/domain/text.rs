//! Text a person typed or a file held, checked before it is stored: names, titles and
//! descriptions that are shown on other people's screens.

use crate::error::{Error, Result};

/// Whether a character must not reach a terminal as it is: a control character (C0, DEL,
/// C1), an invisible mark that reorders the text around it (bidi embeddings, overrides
/// and isolates), or one that is invisible or breaks a line (zero-width characters,
/// line and paragraph separators), with which a name could show as another.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // soft hyphen, Arabic letter mark, zero-width and direction marks, line and
            // paragraph separators, embeddings and overrides, invisible operators,
            // isolates, and the byte-order mark
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// A number with its noun, singular for one and plural otherwise: `1 ticket`, `3 tickets`.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checks a one-line text (a name, a title, a gate): like [`check_text`], and no line
/// breaks or tabs either.
pub fn check_line(field: &str, value: &str, max: usize) -> Result<String> {
    let v = check_text(field, value, max)?;
    if v.contains(['\n', '\t']) {
        return Err(Error::invalid(
            field,
            format!("the {field} must be one line, without line breaks or tabs"),
        ));
    }
    Ok(v)
}

/// Checks a short text field: trimmed, not blank, at most `max` characters, no control
/// characters but line breaks and tabs (which are shown as they are).
pub fn check_text(field: &str, value: &str, max: usize) -> Result<String> {
    // CRLF files (RFC 4180 CSV among them) end lines inside quoted cells with CRLF too.
    let normalized = value.replace("\r\n", "\n");
    let v = normalized.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("the {field} is empty")));
    }
    // Variation selectors colour an emoji (🎟️) and combining marks accent a letter, but
    // neither shows anything alone; nor does the braille blank.
    if !v.chars().any(|c| {
        !c.is_whitespace()
            && !is_unsafe_char(c)
            && !matches!(
                c,
                '\u{FE00}'..='\u{FE0F}'
                    | '\u{0300}'..='\u{036F}'
                    | '\u{1AB0}'..='\u{1AFF}'
                    | '\u{1DC0}'..='\u{1DFF}'
                    | '\u{20D0}'..='\u{20FF}'
                    | '\u{FE20}'..='\u{FE2F}'
                    | '\u{2800}'
            )
    }) {
        return Err(Error::invalid(
            field,
            format!("the {field} has no visible characters"),
        ));
    }
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("the {field} is longer than {max} characters"),
        ));
    }
    if v.chars()
        .any(|c| is_unsafe_char(c) && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(
            field,
            format!("the {field} contains control characters"),
        ));
    }
    Ok(v.to_string())
}
