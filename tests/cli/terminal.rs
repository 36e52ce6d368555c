//! tix in a real terminal (tmux): at 80 columns every list fits, no identifier, UUID,
//! code or e-mail address is split across lines, and a wide terminal shows every column.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::order::{buy, on_sale_with, order};

fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().is_ok();
    assert!(ok || std::env::var_os("CI").is_none(), "tmux missing on CI");
    if !ok {
        eprintln!("skipped: tmux is not installed");
    }
    ok
}

/// A tmux server of its own with one window of `cols` × `rows`.
struct Term {
    socket: String,
    runs: std::cell::Cell<u32>,
}

impl Term {
    fn new(t: &Tix, cols: u16, rows: u16, env: &[(&str, &str)]) -> Term {
        static TERMS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = TERMS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("tix-test-{}-{n}-{cols}", std::process::id());
        let bin = assert_cmd::cargo::cargo_bin("tix");
        let mut exports = format!(
            "export PATH={}:$PATH TIX_DB='{}' XDG_DATA_HOME='{}'; unset TIX_USER NO_COLOR COLUMNS; ",
            bin.parent().unwrap().display(),
            t.db().display(),
            t.dir().join("xdg").display()
        );
        for (k, v) in env {
            exports.push_str(&format!("export {k}='{v}'; "));
        }
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-x"])
            .arg(cols.to_string())
            .arg("-y")
            .arg(rows.to_string())
            .args(["bash", "--norc", "--noprofile"])
            .status()
            .unwrap();
        assert!(status.success());
        let term = Term {
            socket,
            runs: std::cell::Cell::new(0),
        };
        term.keys(&format!("{exports} PS1='$ '; clear"));
        term
    }

    fn keys(&self, line: &str) {
        let s = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", line, "Enter"])
            .status()
            .unwrap();
        assert!(s.success());
    }

    /// Runs a command and returns what the screen shows of it, wrapped lines joined.
    fn run(&self, command: &str) -> String {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        // The markers are computed by the shell, so the typed line never matches them.
        self.keys(&format!(
            "clear; echo __START_$(({n}+0))_; {command}; echo __DONE_$(({n}+0))_"
        ));
        let (start_mark, done_mark) = (format!("__START_{n}_\n"), format!("__DONE_{n}_"));
        let start = Instant::now();
        loop {
            let out = Command::new("tmux")
                .args([
                    "-L",
                    &self.socket,
                    "capture-pane",
                    "-p",
                    "-J",
                    "-S",
                    "-2000",
                    "-t",
                    "0",
                ])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if let Some(end) = text.rfind(&done_mark)
                && let Some(start) = text[..end].rfind(&start_mark)
            {
                return text[start + start_mark.len()..end].to_string();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Term {
    /// The screen now, wrapped lines joined.
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `text` shows on the screen.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for {text:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types text and Enter at a prompt.
    fn answer(&self, text: &str) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "0"];
        if !text.is_empty() {
            args.push("-l");
            args.push(text);
        }
        let s = Command::new("tmux").args(&args).status().unwrap();
        assert!(s.success());
        let s = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "Enter"])
            .status()
            .unwrap();
        assert!(s.success());
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// A festival with long names, a few orders (one awaiting approval), an audit log.
fn festival() -> (Tix, Vec<String>) {
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let ev = event.to_string();
    t.as_(
        PROMOTER,
        &[
            "event",
            "update",
            &ev,
            "--venue",
            "Tempelhof Field, Platz der Luftbrücke 5, Berlin",
        ],
    )
    .ok();
    let vip = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "tier",
                "create",
                &ev,
                "--name",
                "VIP Lounge with a very long name indeed",
                "--price",
                "199.99",
                "--quantity",
                "100",
                "--requires-approval",
                "--no-transfer",
                "--sale-start",
                "2025-01-01 10:00",
                "--sale-end",
                "2030-07-01 10:00",
            ],
        )
        .ok()
        .json()["id"]
        .as_i64()
        .unwrap();
    let a = order(&buy(&t, BUYER, tier, 3).ok());
    let b = order(&buy(&t, BUYER, vip, 2).ok());
    let mut uuids: Vec<String> = a
        .tickets
        .iter()
        .chain(&b.tickets)
        .map(|t| t.uuid.clone())
        .collect();
    uuids.push(a.tickets[0].qr_payload.clone());
    (t, uuids)
}

#[test]
fn every_list_reads_at_80_columns_with_nothing_split() {
    if !have_tmux() {
        return;
    }
    let (t, ids) = festival();
    for env in [vec![], vec![("NO_COLOR", "1")]] {
        let term = Term::new(&t, 80, 24, &env);
        let mut all = String::new();
        for cmd in [
            "tix tier list 1",
            "tix --as pat@example.com tier list 1 --include-inactive",
            "tix --as pat@example.com ticket list --event 1",
            "tix --as pat@example.com order list",
            "tix event list",
            "tix --as admin@example.com user list",
            "tix --as pat@example.com audit list --event 1",
            "tix --as pat@example.com report sales 1",
            "tix --as pat@example.com checkin lookup --event 1 Bea",
            "tix --as bea@example.com ticket list",
        ] {
            let screen = term.run(cmd);
            assert!(!screen.contains("error:"), "{cmd}:\n{screen}");
            for line in screen.lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(line) <= 80,
                    "{cmd} ({env:?}): a line wider than 80 columns:\n{line}\n\n{screen}"
                );
            }
            all.push_str(&screen);
            all.push('\n');
        }
        // Every ticket's UUID and every e-mail address shown is on one line, whole.
        for uuid in &ids[..ids.len() - 1] {
            assert!(
                all.contains(uuid.as_str()),
                "{uuid} split or missing:\n{all}"
            );
        }
        for email in [BUYER, PROMOTER] {
            assert!(all.contains(email), "{email} split or missing");
        }
        assert!(
            all.contains("--wide shows"),
            "hidden columns are said:\n{all}"
        );
        // A code copied from the screen is the code: on a line of its own.
        let show = term.run(&format!("tix --as bea@example.com ticket show {}", ids[0]));
        let code = &ids[ids.len() - 1];
        assert!(
            show.lines().any(|l| l.trim() == code.as_str()),
            "the code is not on a line of its own:\n{show}"
        );
        // --wide shows every column even here.
        let wide = term.run("tix tier list 1 --wide");
        assert!(
            wide.contains("Sale window") && !wide.contains("--wide shows"),
            "{wide}"
        );
    }
}

#[test]
fn a_wide_terminal_shows_every_column() {
    if !have_tmux() {
        return;
    }
    let (t, _) = festival();
    let term = Term::new(&t, 200, 50, &[]);
    let tiers = term.run("tix tier list 1");
    for h in [
        "Pos",
        "Name",
        "Price",
        "Sold",
        "Available",
        "Per order",
        "Sale window",
        "Notes",
    ] {
        assert!(tiers.contains(h), "{h} missing at 200 columns:\n{tiers}");
    }
    assert!(!tiers.contains("hidden"), "{tiers}");
    let tickets = term.run("tix --as pat@example.com ticket list --event 1");
    for h in ["UUID", "Event", "Tier", "Owner", "Attendee", "Status"] {
        assert!(tickets.contains(h), "{h} missing:\n{tickets}");
    }
}

#[test]
fn on_a_terminal_missing_values_are_asked_for() {
    if !have_tmux() {
        return;
    }
    let (t, event) = Tix::with_event();
    let term = Term::new(&t, 100, 30, &[]);
    term.keys("clear; tix --as pat@example.com tier create; echo __ASKED_$((40+2))_");
    term.wait_for("Event");
    assert!(
        term.screen().contains("Summer Festival"),
        "{}",
        term.screen()
    );
    term.answer("");
    term.wait_for("Name");
    term.answer("Golden Circle");
    term.wait_for("Price");
    // Wrong answers are asked again, not taken.
    term.answer("abc");
    term.wait_for("is not a plain decimal amount");
    term.answer("49.50");
    term.wait_for("Number of tickets");
    term.answer("many");
    term.wait_for("a whole number, please");
    term.answer("0");
    term.wait_for("at least 1, please");
    term.answer(""); // the default shown, 100
    let screen = term.wait_for("__ASKED_42_");
    assert!(screen.contains("Tier 1: Golden Circle"), "{screen}");
    let tier = t.show_tier(1);
    assert_eq!(
        (
            tier["event_id"].as_i64(),
            tier["price"].as_str(),
            tier["quantity"].as_i64()
        ),
        (Some(event), Some("49.50"), Some(100))
    );
    term.keys("clear; tix --as admin@example.com user add; echo __ADDED_$((40+2))_");
    term.wait_for("E-mail");
    term.answer("new@example.com");
    term.wait_for("Name");
    term.answer("New Person");
    let screen = term.wait_for("__ADDED_42_");
    assert!(screen.contains("new@example.com"), "{screen}");
    // --no-input on the same terminal: no question, exit 2 with the usage.
    let out = term.run("tix --no-input --as pat@example.com tier create 1; echo exit=$?");
    assert!(
        out.contains("exit=2") && out.contains("Usage: tix tier create"),
        "{out}"
    );
}

#[test]
fn without_a_terminal_a_missing_value_is_a_usage_error_naming_all_of_them() {
    let (t, _) = Tix::with_event();
    let out = t
        .as_(PROMOTER, &["tier", "create", "1", "--name", "GA"])
        .code(2);
    assert!(out.stderr.starts_with("error: the following required arguments were not provided: --price <PRICE> --quantity <N>"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("\nUsage: tix tier create <EVENT_ID> --name <NAME>"),
        "{}",
        out.stderr
    );
    for args in [
        vec!["event", "create", "--title", "X"],
        vec!["user", "add", "x@example.com"],
        vec!["order", "create", "--tier", "1"],
    ] {
        t.as_(ADMIN, &args)
            .code(2)
            .err_has("required arguments were not provided");
    }
    assert_eq!(t.tier_names(1).len(), 0);
}

#[test]
fn a_narrow_terminal_hides_more_columns_rather_than_splitting_or_overflowing() {
    if !have_tmux() {
        return;
    }
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let long = "customer.number.1.with.long.name@example-mail.com";
    t.admin(&["user", "add", long, "--name", "Long Address"])
        .ok();
    let o = order(&buy(&t, long, tier, 2).ok());
    let term = Term::new(&t, 60, 30, &[]);
    for cmd in [
        "tix --as pat@example.com ticket list --event 1",
        "tix --as pat@example.com order list --event 1",
        "tix --as pat@example.com audit list --event 1",
        "tix --as admin@example.com user list",
        "tix --as pat@example.com checkin stats 1",
        "tix event list",
    ] {
        let screen = term.run(cmd);
        // Table lines (they start with a space or the rule); sentences wrap as sentences.
        for line in screen
            .lines()
            .filter(|l| l.starts_with(' ') || l.starts_with('─'))
        {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= 60,
                "{cmd}: wider than 60:\n{line}\n\n{screen}"
            );
        }
        // No column shrunk to a letter a line.
        assert!(
            !screen
                .lines()
                .any(|l| l.trim().len() == 1 && !l.trim().chars().all(|c| c.is_ascii_digit())),
            "{cmd}:\n{screen}"
        );
    }
    let tickets = term.run("tix --as pat@example.com ticket list --event 1");
    assert!(tickets.contains(&o.tickets[0].uuid), "{tickets}");
    let _ = event;
    // Written to a file, a list is whole, whatever the terminal.
    let file = t.dir().join("list.txt");
    term.run(&format!(
        "tix --as pat@example.com ticket list --event 1 > {}",
        file.display()
    ));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(long) && !text.contains("--wide"), "{text}");
}
