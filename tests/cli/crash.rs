//! The crash test: real `tix` processes killed with SIGKILL at random moments of a big
//! order, an import, a merge, a bulk QR export and a scan loop on a gate file. After
//! every kill the database passes `PRAGMA integrity_check`, its state is exactly before
//! or after the command (seats agree with tickets, no order without all its tickets,
//! every ACCEPTED that was printed is on disk), and the next command works.
//!
//! Each case runs a few rounds; `TIX_SOAK=N` runs N times as many. The random moments
//! come from a seed printed on failure (`TIX_SEED` replays one).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::checkin::{buy_tickets, export, offline_ok};
use crate::common::*;
use crate::order::on_sale_with;

/// A small deterministic random source (xorshift), seeded per run.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("TIX_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        // Shown with a failing test's output, so a failure can be replayed.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("crash test seed: TIX_SEED={seed}");
        }
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn rounds(base: usize) -> usize {
    base * std::env::var("TIX_SOAK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// `tix --db DB --as PROMOTER ARGS`, started with piped output.
fn start(db: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("tix"))
        .arg("--db")
        .arg(db)
        .args(["--as", PROMOTER])
        .args(args)
        .env_remove("TIX_USER")
        .env_remove("TIX_DB")
        .env_remove("TIX_DEVICE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Kills `child` with SIGKILL after `ms` milliseconds, unless it ended before.
fn kill_after(child: &mut Child, ms: u64) -> bool {
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().is_ok() && child.wait().is_ok()
}

fn integrity_ok(db: &Path) {
    let c = Connection::open(db).unwrap();
    let r: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(r, "ok", "{}", db.display());
}

/// Seats agree with tickets; every order has exactly its tickets; a SQLite file passes
/// its integrity check.
fn consistent(t: &Tix) {
    if !t.pg() {
        integrity_ok(t.db());
    }
    let bad_tiers = t.sql_i64(
        "SELECT count(*) FROM tiers ti WHERE ti.sold !=
            (SELECT count(*) FROM tickets t WHERE t.tier_id = ti.id AND t.status IN ('valid', 'used'))",
    );
    assert_eq!(
        bad_tiers, 0,
        "a tier's sold count disagrees with its tickets"
    );
    let bad_orders = t.sql_i64(
        "SELECT count(*) FROM orders o WHERE o.quantity !=
            (SELECT count(*) FROM tickets t WHERE t.order_id = o.id)",
    );
    assert_eq!(bad_orders, 0, "an order without all its tickets");
}

fn count(t: &Tix, sql: &str) -> i64 {
    t.sql_i64(sql)
}

#[test]
fn a_killed_order_or_import_leaves_before_or_after() {
    let mut rng = Rng::new();
    let (t, event, tier) = on_sale_with(&["--quantity", "1000000", "--max-purchase", "10"]);
    let ev = event.to_string();
    let mut csv = String::from("name,price,quantity\n");
    for i in 0..3000 {
        csv.push_str(&format!("Imported {i},5,50\n"));
    }
    let file = t.write_file("tiers.csv", csv);
    for round in 0..rounds(3) {
        // A big comp order: all of its 20,000 tickets, or none.
        let before = count(&t, "SELECT count(*) FROM tickets");
        let mut child = start(
            t.db(),
            &[
                "-q",
                "order",
                "create",
                "--tier",
                &tier.to_string(),
                "--quantity",
                "20000",
                "--comp",
            ],
        );
        kill_after(&mut child, 50 + rng.below(900));
        consistent(&t);
        let after = count(&t, "SELECT count(*) FROM tickets");
        assert!(
            after == before || after == before + 20_000,
            "round {round}: {before} → {after}"
        );
        // An import: every tier of the file, or none of them.
        let before = count(&t, "SELECT count(*) FROM tiers");
        let mut child = start(t.db(), &["-q", "tier", "import", &ev, &file]);
        kill_after(&mut child, 20 + rng.below(600));
        consistent(&t);
        let after = count(&t, "SELECT count(*) FROM tiers");
        assert!(
            after == before || after == 1 + 3000,
            "round {round}: {before} tiers → {after}"
        );
        // The next command works.
        buy_tickets(&t, tier, 1);
    }
}

#[test]
fn a_killed_qr_export_leaves_only_whole_pngs() {
    let mut rng = Rng::new();
    let (t, event, tier) = on_sale_with(&["--quantity", "1000", "--max-purchase", "10"]);
    for _ in 0..30 {
        buy_tickets(&t, tier, 10);
    }
    let ev = event.to_string();
    for round in 0..rounds(3) {
        let dir = t.dir().join(format!("codes-{round}"));
        let d = dir.display().to_string();
        let mut child = start(
            t.db(),
            &["-q", "ticket", "qr", "--event", &ev, "--out-dir", &d],
        );
        kill_after(&mut child, 30 + rng.below(700));
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // a temporary file the kill interrupted: never under a final name
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{name}: not a PNG");
            assert!(
                bytes.ends_with(b"IEND\xaeB`\x82"),
                "{name}: a PNG cut short"
            );
        }
        // Running it again completes the set.
        let mut c = t.cmd();
        c.args([
            "--as",
            PROMOTER,
            "ticket",
            "qr",
            "--event",
            &ev,
            "--out-dir",
            &d,
            "--force",
        ]);
        finish(c).ok();
    }
    consistent(&t);
}

#[test]
fn a_killed_scan_loop_on_a_gate_file_keeps_every_printed_admission() {
    let mut rng = Rng::new();
    let (t, event, tier) = on_sale_with(&["--quantity", "1000", "--max-purchase", "10"]);
    let mut codes = Vec::new();
    for _ in 0..30 {
        codes.extend(
            buy_tickets(&t, tier, 10)
                .tickets
                .into_iter()
                .map(|t| t.qr_payload),
        );
    }
    for round in 0..rounds(4) {
        let gate = export(&t, event, &format!("gate-{round}.tixgate"));
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("tix"))
            .arg("--db")
            .arg(&gate)
            .args(["checkin", "scan", "--json"])
            .env_remove("TIX_DB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = codes.clone();
        let feeder = std::thread::spawn(move || {
            for c in input {
                if writeln!(stdin, "{c}").is_err() {
                    break;
                }
            }
        });
        // Read the verdicts as they come; kill after a random number of them.
        let stop_after = 1 + rng.below(250) as usize;
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut admitted = Vec::new();
        let mut line = String::new();
        while admitted.len() < stop_after {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let l = line
                .trim()
                .trim_start_matches(['[', ','])
                .trim_end_matches(',')
                .trim();
            if l.is_empty() || l == "]" {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["valid"] == true {
                admitted.push(v["ticket_uuid"].as_str().unwrap().to_string());
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = feeder.join();
        integrity_ok(&gate);
        // Every admission that was shown is on disk in the gate file.
        let c = Connection::open(&gate).unwrap();
        for uuid in &admitted {
            let status: String = c
                .query_row(
                    "SELECT status FROM gate_tickets WHERE uuid = ?1",
                    [uuid],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                status, "used",
                "{uuid} was shown ACCEPTED but is not used on disk"
            );
        }
        drop(c);
        // The gate file still works, and merges.
        let next = codes[codes.len() - 1 - round].clone();
        let mut c = t.cmd_at(&gate);
        c.args(["validate", &next, "--json"]);
        let code = finish(c).code;
        assert!(code == 0 || code == 6, "the next scan failed with {code}");
        let mut c = t.cmd();
        c.args(["--as", PROMOTER, "scanner", "merge", &event.to_string()])
            .arg(&gate);
        finish(c).merged();
    }
    consistent(&t);
}

#[test]
fn a_killed_merge_leaves_before_or_after() {
    let mut rng = Rng::new();
    let (t, event, tier) = on_sale_with(&["--quantity", "1000", "--max-purchase", "10"]);
    let mut tickets = Vec::new();
    for _ in 0..40 {
        tickets.extend(buy_tickets(&t, tier, 10).tickets);
    }
    let gate = export(&t, event, "gate.tixgate");
    for tk in tickets.iter().take(150) {
        offline_ok(&t, &gate, "laptop", &[&tk.qr_payload]);
    }
    let ev = event.to_string();
    for round in 0..rounds(4) {
        let before = count(&t, "SELECT count(*) FROM scans");
        let mut child = start(
            t.db(),
            &["-q", "scanner", "merge", &ev, gate.to_str().unwrap()],
        );
        kill_after(&mut child, 5 + rng.below(300));
        consistent(&t);
        let after = count(&t, "SELECT count(*) FROM scans");
        let used = count(&t, "SELECT count(*) FROM tickets WHERE status = 'used'");
        assert!(
            (after == before) || (after == 150 && used == 150),
            "round {round}: scans {before} → {after}, {used} used"
        );
    }
    // The next merge completes it.
    let mut c = t.cmd();
    c.args(["--as", PROMOTER, "scanner", "merge", &ev])
        .arg(&gate);
    finish(c).merged();
    assert_eq!(
        count(&t, "SELECT count(*) FROM tickets WHERE status = 'used'"),
        150
    );
}
