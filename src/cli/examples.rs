//! An example for every command's `--help` (and man page), kept in one table so that a
//! test can check that no command is without one.

use clap::{Command, CommandFactory};

use super::Cli;

/// Each leaf command's path and its examples.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "init",
        "tix init --admin ada@example.com --name \"Ada Admin\"",
    ),
    ("demo", "tix --db demo.db demo"),
    (
        "user add",
        "tix --as ada@example.com user add pat@example.com --name Pat --role promoter",
    ),
    (
        "user verify",
        "tix --as ada@example.com user verify pat@example.com",
    ),
    ("user list", "tix --as ada@example.com user list"),
    (
        "user show",
        "tix --as bea@example.com user show bea@example.com",
    ),
    (
        "event create",
        "tix --as pat@example.com event create --title \"Summer Nights\" --starts-at \"2027-07-15 18:00\" \\\n      --ends-at \"2027-07-15 23:00\" --timezone Europe/Berlin --venue \"Harbour Stage\"",
    ),
    ("event list", "tix event list"),
    ("event show", "tix event show 1 --json"),
    ("event publish", "tix --as pat@example.com event publish 1"),
    (
        "event update",
        "tix --as pat@example.com event update 1 --ticket-note \"Doors 17:00\"",
    ),
    (
        "event staff add",
        "tix --as pat@example.com event staff add 1 gate1@example.com",
    ),
    (
        "event staff remove",
        "tix --as pat@example.com event staff remove 1 gate1@example.com",
    ),
    (
        "event staff list",
        "tix --as pat@example.com event staff list 1",
    ),
    (
        "tier create",
        "tix --as pat@example.com tier create 1 --name \"General Admission\" --price 49.50 --quantity 500",
    ),
    ("tier list", "tix tier list 1"),
    ("tier show", "tix tier show 3 --json"),
    ("tier availability", "tix tier availability 3"),
    (
        "tier update",
        "tix --as pat@example.com tier update 3 --quantity 600 --waitlist-hold 12h",
    ),
    (
        "tier delete",
        "tix --as pat@example.com tier delete 3 --yes",
    ),
    (
        "tier import",
        "tix --as pat@example.com tier import 1 tiers.csv --dry-run",
    ),
    (
        "order create",
        "tix --as bea@example.com order create --tier 1 --quantity 2",
    ),
    (
        "order list",
        "tix --as pat@example.com order list --event 1",
    ),
    ("order show", "tix order show 7"),
    ("order approve", "tix --as pat@example.com order approve 7"),
    (
        "order cancel",
        "tix --as pat@example.com order cancel 7 --yes",
    ),
    (
        "order refund",
        "tix --as pat@example.com order refund 7 --payment-ref \"bank 2027-03-01\" --yes",
    ),
    ("ticket list", "tix --as bea@example.com ticket list"),
    (
        "ticket show",
        "tix --as bea@example.com ticket show 12 --qr-terminal",
    ),
    (
        "ticket qr",
        "tix --as pat@example.com ticket qr --event 1 --out-dir codes/",
    ),
    (
        "ticket attendee",
        "tix --as bea@example.com ticket attendee 12 --name \"Ann Lee\"",
    ),
    (
        "ticket transfer",
        "tix --as bea@example.com ticket transfer 12 --to cem@example.com",
    ),
    (
        "waitlist leave",
        "tix --as cem@example.com waitlist leave 3",
    ),
    ("waitlist list", "tix --as pat@example.com waitlist list 3"),
    (
        "waitlist remove",
        "tix --as pat@example.com waitlist remove 4",
    ),
    (
        "waitlist claim",
        "tix --as cem@example.com waitlist claim 4",
    ),
    (
        "waitlist decline",
        "tix --as cem@example.com waitlist decline 4",
    ),
    (
        "audit list",
        "tix --as pat@example.com audit list --event 1",
    ),
    (
        "validate",
        "tix --as gate1@example.com validate \"$CODE\" --event 1 --gate North",
    ),
    (
        "checkin scan",
        "tix --as gate1@example.com checkin scan --event 1 --gate North",
    ),
    (
        "checkin stats",
        "tix --as gate1@example.com checkin stats 1",
    ),
    (
        "checkin lookup",
        "tix --as gate1@example.com checkin lookup --event 1 \"Ann Lee\"",
    ),
    (
        "scanner export",
        "tix --as pat@example.com scanner export 1 --out north.tixgate",
    ),
    (
        "scanner merge",
        "tix --as pat@example.com scanner merge 1 north.tixgate south.tixgate",
    ),
    (
        "db copy",
        "tix --as ada@example.com db copy --to postgres://tix@db.example.com/tix",
    ),
    (
        "completions",
        "tix completions bash > ~/.local/share/bash-completion/completions/tix",
    ),
    ("man", "tix man | man -l -"),
    // Groups: their most common command.
    (
        "user",
        "tix --as ada@example.com user add pat@example.com --name Pat --role promoter",
    ),
    (
        "event",
        "tix --as pat@example.com event create --title \"Summer Nights\" --starts-at \"2027-07-15 18:00\" --timezone Europe/Berlin",
    ),
    (
        "event staff",
        "tix --as pat@example.com event staff add 1 gate1@example.com",
    ),
    (
        "tier",
        "tix --as pat@example.com tier create 1 --name GA --price 49.50 --quantity 500",
    ),
    (
        "order",
        "tix --as bea@example.com order create --tier 1 --quantity 2",
    ),
    ("ticket", "tix --as bea@example.com ticket list"),
    ("waitlist", "tix --as cem@example.com waitlist join 3"),
    ("audit", "tix --as pat@example.com audit list --event 1"),
    (
        "checkin",
        "tix --as gate1@example.com checkin scan --event 1 --gate North",
    ),
    (
        "scanner",
        "tix --as pat@example.com scanner export 1 --out north.tixgate",
    ),
    (
        "export",
        "tix --as pat@example.com export attendees 1 --out door-list.csv",
    ),
    ("report", "tix --as pat@example.com report sales 1"),
    (
        "db",
        "tix --as ada@example.com db copy --to postgres://tix@db.example.com/tix",
    ),
];

/// The top-level help's examples.
const TOP: &str = "Examples:\n  tix demo                                     # a demo festival to try things on\n  tix init --admin ada@example.com --name Ada  # a new database and its first admin\n  tix --as ada@example.com user list\n  tix tier list 1 --json";

/// The command line's definition with every example in its command's help.
pub fn command() -> Command {
    let mut root = Cli::command().after_help(TOP);
    for (path, example) in EXAMPLES {
        root = with_example(root, &path.split(' ').collect::<Vec<_>>(), example);
    }
    root
}

fn with_example(cmd: Command, path: &[&str], example: &str) -> Command {
    match path {
        [] => {
            let before = cmd.get_after_help().map(|h| h.to_string());
            match before {
                Some(h) if h.contains("Example") => cmd,
                Some(h) => cmd.after_help(format!("{h}\n\nExample:\n  {example}")),
                None => cmd.after_help(format!("Example:\n  {example}")),
            }
        }
        [first, rest @ ..] => cmd.mut_subcommand(*first, |sub| with_example(sub, rest, example)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and command group, and tix itself, shows an example.
    #[test]
    fn every_command_has_an_example_in_its_help() {
        fn walk(cmd: &Command, path: String, missing: &mut Vec<String>) {
            let subs: Vec<&Command> = cmd
                .get_subcommands()
                .filter(|c| c.get_name() != "help")
                .collect();
            if subs.is_empty() {
                let help = cmd
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if !help.contains("Example") {
                    missing.push(path);
                }
                return;
            }
            for s in subs {
                let p = if path.is_empty() {
                    s.get_name().to_string()
                } else {
                    format!("{path} {}", s.get_name())
                };
                walk(s, p, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&command(), String::new(), &mut missing);
        assert!(missing.is_empty(), "no example in --help of: {missing:?}");
    }
}
