//! Questions on a terminal for values a command needs and was not given: asked when
//! stdin and stderr are a terminal, never with `--no-input`, `TIX_NO_INPUT` or a pipe —
//! then a missing value is a usage error (exit 2) that names every one and shows the
//! command's usage.

use std::io::IsTerminal;
use std::str::FromStr;

use super::Ctx;
use tix::error::Error;

impl Ctx {
    /// Whether tix may ask: a person at a terminal, and questions not turned off.
    pub fn can_ask(&self) -> bool {
        !self.no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }
}

/// Fails, when tix may not ask, with every required flag that was not given.
pub fn require(ctx: &Ctx, given: &[(&str, bool)], usage: &str) -> tix::Result<()> {
    if ctx.can_ask() {
        return Ok(());
    }
    let missing: Vec<&str> = given.iter().filter(|(_, g)| !g).map(|(f, _)| *f).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the following required arguments were not provided: {} (on a terminal tix asks for them)\n\nUsage: {usage}",
        missing.join(" ")
    )))
}

fn answer_error(e: dialoguer::Error) -> Error {
    Error::Usage(format!(
        "could not read an answer ({e}); give the value as a flag instead"
    ))
}

/// The value given, or one asked for (with `default` shown and taken on Enter).
pub fn value<T>(given: Option<T>, prompt: &str, default: Option<&str>) -> tix::Result<T>
where
    T: FromStr + Clone + ToString,
    T::Err: std::fmt::Display,
{
    checked(given, prompt, default, &|_| Ok(()))
}

/// Like [`value`], with `check` saying what is wrong with an answer, which is then asked
/// again (a value given as a flag is the library's to check).
pub fn checked<T>(
    given: Option<T>,
    prompt: &str,
    default: Option<&str>,
    check: &dyn Fn(&T) -> Result<(), String>,
) -> tix::Result<T>
where
    T: FromStr + Clone + ToString,
    T::Err: std::fmt::Display,
{
    if let Some(v) = given {
        return Ok(v);
    }
    let mut input = dialoguer::Input::<String>::new().with_prompt(prompt);
    if let Some(d) = default {
        input = input.default(d.to_string());
    }
    let text = input
        .validate_with(|s: &String| -> Result<(), String> {
            let v = s.trim().parse::<T>().map_err(|e| {
                let e = e.to_string();
                if e.contains("invalid digit") || e.contains("empty string") {
                    "a whole number, please".to_string()
                } else {
                    e
                }
            })?;
            check(&v)
        })
        .interact_text()
        .map_err(answer_error)?;
    text.trim()
        .parse::<T>()
        .map_err(|e| Error::Usage(format!("{prompt}: {e}")))
}

/// The value given, or one chosen from `choices` (label, value): the choices are listed,
/// and the id typed (the first is the default). With no choices, typed. A typed answer
/// rather than a cursor menu leaves the terminal as it was if the person presses Ctrl-C.
pub fn choose(given: Option<i64>, prompt: &str, choices: &[(String, i64)]) -> tix::Result<i64> {
    if let Some(v) = given {
        return Ok(v);
    }
    if choices.is_empty() {
        return value(None, prompt, None);
    }
    // One line each, whatever the terminal.
    let room = terminal_size::terminal_size_of(std::io::stderr())
        .map_or(80, |(terminal_size::Width(w), _)| usize::from(w))
        .saturating_sub(4)
        .max(20);
    let mut list = String::new();
    for (label, _) in choices {
        let line = if label.chars().count() > room {
            format!("{}…", label.chars().take(room - 1).collect::<String>())
        } else {
            label.clone()
        };
        list.push_str(&format!("  {line}\n"));
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), list.as_bytes());
    let ids: Vec<i64> = choices.iter().map(|(_, v)| *v).collect();
    let first = ids[0].to_string();
    checked(None, prompt, Some(&first), &|v: &i64| {
        if ids.contains(v) {
            Ok(())
        } else {
            Err("one of the ids listed, please".to_string())
        }
    })
}
