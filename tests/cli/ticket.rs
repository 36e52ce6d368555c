//! `tix ticket …` and `tix audit …`: listing, showing, attendees, transfers, QR codes.

use std::path::Path;

use crate::common::*;
use crate::order::{TicketJson, buy, on_sale, on_sale_with, order};

fn ticket(out: &Out) -> TicketJson {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("bad ticket JSON ({e}): {}", out.stdout))
}

fn decode_png(path: &Path) -> String {
    let img = image::open(path).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {}", path.display());
    grids[0].decode().unwrap().1
}

/// What the library says of a scanned code.
fn check(t: &Tix, code: &str) -> tix::ops::tickets::CodeCheck {
    let store = tix::Store::open(t.db(), tix::OpenMode::MustExist).unwrap();
    store
        .read(|c| tix::ops::tickets::check_code(c, code))
        .unwrap()
}

/// Marks a ticket used directly in the database (check-in is another command group).
fn mark_used(t: &Tix, id: i64) {
    t.sql(&format!(
        "UPDATE tickets SET status = 'used', checked_in_at = 1 WHERE id = {id}"
    ));
}

/// A comp order of `n` tickets of `tier` made with `-q` (so no code is signed yet); its id.
fn quiet_comp_order(t: &Tix, tier: i64, n: u32) -> String {
    let n = n.to_string();
    let tier = tier.to_string();
    t.as_(
        PROMOTER,
        &[
            "-q",
            "order",
            "create",
            "--tier",
            &tier,
            "--quantity",
            &n,
            "--comp",
        ],
    )
    .ok()
    .stdout
    .trim()
    .to_string()
}

/// `tix --as WHO ticket transfer TICKET --to TO`.
fn transfer(t: &Tix, who: &str, ticket: &str, to: &str) -> Out {
    t.as_(who, &["ticket", "transfer", ticket, "--to", to])
}

fn add_user(t: &Tix, email: &str) {
    t.admin(&["user", "add", email, "--name", "Rita Recipient"])
        .ok();
}

#[test]
fn my_tickets_newest_first_and_by_uuid() {
    let (t, _, tier) = on_sale();
    let first = order(&buy(&t, BUYER, tier, 1).ok());
    let second = order(&buy(&t, BUYER, tier, 1).ok());
    let list: Vec<TicketJson> =
        serde_json::from_value(t.as_(BUYER, &["ticket", "list", "--json"]).ok().json()).unwrap();
    assert_eq!(list[0].id, second.tickets[0].id);
    assert_eq!(list[1].id, first.tickets[0].id);
    let by_uuid = ticket(
        &t.as_(BUYER, &["ticket", "show", &first.tickets[0].uuid, "--json"])
            .ok(),
    );
    assert_eq!(by_uuid.id, first.tickets[0].id);
    let by_id = ticket(
        &t.as_(
            BUYER,
            &["ticket", "show", &first.tickets[0].id.to_string(), "--json"],
        )
        .ok(),
    );
    assert_eq!(by_id.uuid, first.tickets[0].uuid);
    t.as_(
        BUYER,
        &["ticket", "show", "00000000-0000-4000-8000-000000000000"],
    )
    .code(3);
    t.as_(BUYER, &["ticket", "show", "not-a-ticket"]).code(2);
}

#[test]
fn who_may_see_and_list_tickets() {
    let (t, event, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let id = o.tickets[0].id.to_string();
    add_user(&t, "rita@example.com");
    t.as_("rita@example.com", &["ticket", "show", &id]).code(4);
    t.as_(OTHER_PROMOTER, &["ticket", "show", &id]).code(4);
    t.run(&["ticket", "show", &id]).code(4);
    t.as_(PROMOTER, &["ticket", "show", &id]).ok();
    t.admin(&["ticket", "show", &id]).ok();
    let ev = event.to_string();
    t.as_(BUYER, &["ticket", "list", "--event", &ev]).code(4);
    t.as_("rita@example.com", &["ticket", "list", "--owner", BUYER])
        .code(4);
    let by_event = t
        .as_(PROMOTER, &["ticket", "list", "--event", &ev, "--json"])
        .ok()
        .json();
    assert_eq!(by_event.as_array().unwrap().len(), 1);
    let by_owner = t
        .admin(&["ticket", "list", "--owner", BUYER, "--json"])
        .ok()
        .json();
    assert_eq!(by_owner.as_array().unwrap().len(), 1);
}

#[test]
fn used_tickets_are_listed_only_on_request() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 2).ok());
    mark_used(&t, o.tickets[0].id);
    let open = t.as_(BUYER, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(open.as_array().unwrap().len(), 1);
    let all = t
        .as_(BUYER, &["ticket", "list", "--include-used", "--json"])
        .ok()
        .json();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[test]
fn the_owner_names_the_attendee() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let id = o.tickets[0].id.to_string();
    let tk = ticket(
        &t.as_(
            BUYER,
            &[
                "ticket",
                "attendee",
                &id,
                "--name",
                "Zoë O'Brien",
                "--email",
                "Zoe@Example.com",
                "--phone",
                "+49 30 1234567",
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(tk.attendee_name.as_deref(), Some("Zoë O'Brien"));
    assert_eq!(tk.attendee_email.as_deref(), Some("zoe@example.com"));
    assert_eq!(tk.attendee_phone.as_deref(), Some("+49 30 1234567"));
    let tk = ticket(
        &t.as_(BUYER, &["ticket", "attendee", &id, "--phone", "", "--json"])
            .ok(),
    );
    assert_eq!(tk.attendee_phone, None);
    assert_eq!(
        tk.attendee_name.as_deref(),
        Some("Zoë O'Brien"),
        "only the given field changes"
    );
    t.as_(
        BUYER,
        &["ticket", "attendee", &id, "--email", "not-an-email"],
    )
    .code(2)
    .err_has("email");
    t.as_(BUYER, &["ticket", "attendee", &id]).code(2);
    t.as_(PROMOTER, &["ticket", "attendee", &id, "--name", "X"])
        .code(4);
}

#[test]
fn attendee_cannot_change_on_refunded_or_used_tickets() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 2).ok());
    t.as_(PROMOTER, &["order", "refund", &o.id.to_string(), "--yes"])
        .ok();
    t.as_(
        BUYER,
        &[
            "ticket",
            "attendee",
            &o.tickets[0].id.to_string(),
            "--name",
            "Late",
        ],
    )
    .code(5)
    .err_has("refunded");
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    mark_used(&t, o.tickets[0].id);
    t.as_(
        BUYER,
        &[
            "ticket",
            "attendee",
            &o.tickets[0].id.to_string(),
            "--name",
            "Late",
        ],
    )
    .code(5)
    .err_has("used");
}

#[test]
fn transfer_moves_ownership_and_kills_the_old_code() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let before = o.tickets[0].clone();
    add_user(&t, "rita@example.com");
    assert!(matches!(
        check(&t, &before.qr_payload),
        tix::ops::tickets::CodeCheck::Current(_)
    ));
    let after = ticket(
        &t.as_(
            BUYER,
            &[
                "ticket",
                "transfer",
                &before.uuid,
                "--to",
                "rita@example.com",
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(after.owner_email, "rita@example.com");
    assert_eq!(after.attendee_name.as_deref(), Some("Rita Recipient"));
    assert_eq!(after.attendee_email.as_deref(), Some("rita@example.com"));
    assert_eq!(after.uuid, before.uuid);
    assert_ne!(after.qr_payload, before.qr_payload);
    assert!(matches!(
        check(&t, &before.qr_payload),
        tix::ops::tickets::CodeCheck::Revoked(_, 1)
    ));
    assert!(matches!(
        check(&t, &after.qr_payload),
        tix::ops::tickets::CodeCheck::Current(_)
    ));
    // The old owner no longer holds it; the new one does.
    t.as_(BUYER, &["ticket", "show", &before.uuid]).code(4);
    t.as_(BUYER, &["ticket", "transfer", &before.uuid, "--to", BUYER])
        .code(4);
    t.as_("rita@example.com", &["ticket", "show", &before.uuid])
        .ok();
}

#[test]
fn transfer_needs_an_account() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    transfer(
        &t,
        BUYER,
        &o.tickets[0].id.to_string(),
        "stranger@example.com",
    )
    .code(5)
    .err_has("Recipient must create an account first");
    let still = ticket(
        &t.as_(
            BUYER,
            &["ticket", "show", &o.tickets[0].id.to_string(), "--json"],
        )
        .ok(),
    );
    assert_eq!(
        still.qr_payload, o.tickets[0].qr_payload,
        "a refused transfer changes nothing"
    );
}

#[test]
fn transfer_refused_for_used_non_transferable_and_pending_tickets() {
    let (t, event, tier) = on_sale();
    add_user(&t, "rita@example.com");
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    mark_used(&t, o.tickets[0].id);
    transfer(&t, BUYER, &o.tickets[0].id.to_string(), "rita@example.com")
        .code(5)
        .err_has("used");
    let fixed = t.tier(event, "Fixed", &["--no-transfer"])["id"]
        .as_i64()
        .unwrap();
    let o = order(&buy(&t, BUYER, fixed, 1).ok());
    transfer(&t, BUYER, &o.tickets[0].id.to_string(), "rita@example.com")
        .code(5)
        .err_has("not transferable");
    let vip = t.tier(event, "VIP", &["--requires-approval"])["id"]
        .as_i64()
        .unwrap();
    let o = order(&buy(&t, BUYER, vip, 1).ok());
    transfer(&t, BUYER, &o.tickets[0].id.to_string(), "rita@example.com")
        .code(5)
        .err_has("approval");
    transfer(&t, BUYER, &o.tickets[0].id.to_string(), BUYER).code(5);
}

#[test]
fn a_forged_or_foreign_code_does_not_verify() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let code = &o.tickets[0].qr_payload;
    let mut forged: Vec<char> = code.chars().collect();
    let i = forged.len() - 10;
    forged[i] = if forged[i] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    assert!(matches!(
        check(&t, &forged),
        tix::ops::tickets::CodeCheck::BadSignature
    ));
    assert!(matches!(
        check(&t, "garbage"),
        tix::ops::tickets::CodeCheck::Malformed
    ));
    // The same ticket in another database (other keys) is not recognised there.
    let (other, _, other_tier) = on_sale();
    order(&buy(&other, BUYER, other_tier, 1).ok());
    assert!(matches!(
        check(&other, code),
        tix::ops::tickets::CodeCheck::BadSignature
    ));
}

#[test]
fn qr_png_decodes_to_the_payload() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let tk = &o.tickets[0];
    let png = t.dir().join("ticket.png");
    let shown = ticket(
        &t.as_(
            BUYER,
            &[
                "ticket",
                "show",
                &tk.uuid,
                "--qr",
                png.to_str().unwrap(),
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(decode_png(&png), shown.qr_payload);
    let png2 = t.dir().join("again.png");
    t.as_(
        BUYER,
        &[
            "ticket",
            "qr",
            &tk.id.to_string(),
            "--out",
            png2.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(decode_png(&png2), tk.qr_payload);
    let drawn = t
        .as_(BUYER, &["ticket", "show", &tk.uuid, "--qr-terminal"])
        .ok();
    assert!(drawn.stdout.contains('█') || drawn.stdout.contains('▀'));
}

#[test]
fn qr_for_a_whole_event_writes_one_png_per_valid_ticket() {
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let kept = order(&buy(&t, BUYER, tier, 5).ok());
    let gone = order(&buy(&t, BUYER, tier, 2).ok());
    t.as_(
        PROMOTER,
        &["order", "cancel", &gone.id.to_string(), "--yes"],
    )
    .ok();
    let dir = t.dir().join("codes");
    let ev = event.to_string();
    t.as_(
        BUYER,
        &[
            "ticket",
            "qr",
            "--event",
            &ev,
            "--out-dir",
            dir.to_str().unwrap(),
        ],
    )
    .code(4);
    let out = t
        .as_(
            PROMOTER,
            &[
                "ticket",
                "qr",
                "--event",
                &ev,
                "--out-dir",
                dir.to_str().unwrap(),
                "--json",
            ],
        )
        .ok();
    assert_eq!(out.json()["count"], 5);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = kept
        .tickets
        .iter()
        .map(|tk| format!("{}.png", tk.uuid))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    for tk in &kept.tickets {
        assert_eq!(
            decode_png(&dir.join(format!("{}.png", tk.uuid))),
            tk.qr_payload
        );
    }
}

#[test]
fn every_change_is_in_the_audit_log() {
    let (t, event, tier) = on_sale();
    add_user(&t, "rita@example.com");
    let o = order(&buy(&t, BUYER, tier, 2).ok());
    let tk = o.tickets[0].id.to_string();
    t.as_(BUYER, &["ticket", "attendee", &tk, "--name", "Ann"])
        .ok();
    t.as_(
        BUYER,
        &["ticket", "transfer", &tk, "--to", "rita@example.com"],
    )
    .ok();
    t.as_(
        PROMOTER,
        &["tier", "update", &tier.to_string(), "--quantity", "20"],
    )
    .ok();
    t.as_(PROMOTER, &["order", "refund", &o.id.to_string(), "--yes"])
        .ok();
    let ev = event.to_string();
    let log = t
        .as_(PROMOTER, &["audit", "list", "--event", &ev, "--json"])
        .ok()
        .json();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "event.create",
        "tier.create",
        "event.publish",
        "order.create",
        "ticket.attendee",
        "ticket.transfer",
        "tier.update",
        "order.refund",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let transfer = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "ticket.transfer")
        .unwrap();
    assert_eq!(transfer["actor_email"], BUYER);
    assert_eq!(transfer["details"]["to"], "rita@example.com");
    let update = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "tier.update")
        .unwrap();
    assert_eq!(update["details"]["old"]["quantity"], 10);
    assert_eq!(update["details"]["new"]["quantity"], 20);
    let by_ticket = t
        .as_(PROMOTER, &["audit", "list", "--ticket", &tk, "--json"])
        .ok()
        .json();
    assert_eq!(by_ticket.as_array().unwrap().len(), 2);
    t.as_(BUYER, &["audit", "list", "--event", &ev]).code(4);
    t.as_(OTHER_PROMOTER, &["audit", "list", "--event", &ev])
        .code(4);
    t.as_(BUYER, &["audit", "list"]).code(4);
    t.admin(&["audit", "list"]).ok();
}

#[test]
fn long_lists_stream_across_batches_in_order_and_survive_a_closed_pipe() {
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let ev = event.to_string();
    // More tickets than one streaming batch (4,096), as comps beyond the per-order limit.
    t.as_(
        PROMOTER,
        &["tier", "update", &tier.to_string(), "--quantity", "5000"],
    )
    .ok();
    t.as_(
        PROMOTER,
        &[
            "-q",
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            "4500",
            "--buyer",
            BUYER,
            "--comp",
        ],
    )
    .ok();
    let list = t
        .as_(PROMOTER, &["ticket", "list", "--event", &ev, "--json"])
        .ok()
        .json();
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 4500);
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first across batches"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["qr_payload"].as_str().is_some_and(|p| !p.is_empty()))
    );
    let quiet = t
        .as_(PROMOTER, &["-q", "ticket", "list", "--event", &ev])
        .ok();
    assert_eq!(quiet.stdout.lines().count(), 4500);
    // `tix ticket list | head -1` closes the pipe early: no error, exit 0.
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
    c.env_remove("TIX_USER").env_remove("TIX_DB");
    c.arg("--db")
        .arg(t.db())
        .args(["--as", PROMOTER, "--json", "ticket", "list", "--event", &ev]);
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A code is signed once and kept: an order made with `-q` stores no code; the first
/// list that needs them signs and stores them all (as many as several batches), the
/// codes are the same on every read and match what a signature check accepts, a
/// transfer stores the new code, and the old one is revoked.
#[test]
fn codes_are_signed_once_and_kept() {
    let (t, _event, tier) = on_sale_with(&["--quantity", "9000"]);
    let id = quiet_comp_order(&t, tier, 9000);
    let unsigned = |t: &Tix| {
        t.sql_i64(&format!(
            "SELECT count(*) FROM tickets WHERE order_id = {id} AND signature IS NULL"
        ))
    };
    assert_eq!(
        unsigned(&t),
        9000,
        "-q shows no code, so none is signed yet"
    );
    let codes = |t: &Tix| -> Vec<(String, String)> {
        let list = t
            .as_(PROMOTER, &["ticket", "list", "--event", "1", "--json"])
            .ok();
        list.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["uuid"].as_str().unwrap().to_string(),
                    k["qr_payload"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let first = codes(&t);
    assert_eq!(first.len(), 9000);
    assert_eq!(
        unsigned(&t),
        0,
        "the first list stored every code it signed"
    );
    assert_eq!(codes(&t), first, "the same codes on every read");
    for (_, code) in first.iter().step_by(997) {
        assert!(
            matches!(check(&t, code), tix::ops::tickets::CodeCheck::Current(_)),
            "{code}"
        );
    }
    let (uuid, old_code) = &first[0];
    add_user(&t, "rita@example.com");
    transfer(&t, PROMOTER, uuid, "rita@example.com").ok();
    let shown = ticket(&t.as_(PROMOTER, &["ticket", "show", uuid, "--json"]).ok());
    assert_ne!(&shown.qr_payload, old_code);
    assert_eq!(
        t.sql_i64(&format!(
            "SELECT count(*) FROM tickets WHERE uuid = '{uuid}' AND signature IS NOT NULL AND secret_version = 2"
        )),
        1,
        "the transfer stored the new code's signature"
    );
    assert!(matches!(
        check(&t, &shown.qr_payload),
        tix::ops::tickets::CodeCheck::Current(_)
    ));
    assert!(matches!(
        check(&t, old_code),
        tix::ops::tickets::CodeCheck::Revoked(_, 1)
    ));
}

/// Storing the codes a list signs is a convenience, not a condition: with the database
/// held by another writer past the busy timeout, the list of a -q order still comes out,
/// its codes signed as they are read, and the next list stores them.
#[test]
fn a_list_while_another_process_writes_signs_as_it_reads() {
    // The suite's write lock on PostgreSQL locks whole tables, readers included.
    if sqlite_only("a writer that leaves readers be") {
        return;
    }
    let (t, _event, tier) = on_sale_with(&["--quantity", "50"]);
    quiet_comp_order(&t, tier, 20);
    let lock = t.hold_write_lock();
    let mut c = t.cmd();
    c.env("TIX_BUSY_TIMEOUT_MS", "200")
        .args(["--as", PROMOTER, "--json", "ticket", "list", "--event", "1"]);
    let held = finish(c).ok().json();
    drop(lock);
    assert_eq!(held.as_array().unwrap().len(), 20);
    assert_eq!(
        t.sql_i64("SELECT count(*) FROM tickets WHERE signature IS NULL"),
        20,
        "nothing could be stored while the other writer held the database"
    );
    let free = t
        .as_(PROMOTER, &["--json", "ticket", "list", "--event", "1"])
        .ok()
        .json();
    assert_eq!(free, held, "the same codes, signed then or stored now");
    assert_eq!(
        t.sql_i64("SELECT count(*) FROM tickets WHERE signature IS NULL"),
        0
    );
}

/// `order show` of an order made with -q signs and keeps its codes, once.
#[test]
fn showing_a_quiet_order_keeps_its_codes() {
    let (t, _event, tier) = on_sale_with(&["--quantity", "50"]);
    let id = quiet_comp_order(&t, tier, 12);
    let shown = t
        .as_(PROMOTER, &["order", "show", &id, "--json"])
        .ok()
        .json();
    assert_eq!(shown["tickets"].as_array().unwrap().len(), 12);
    assert_eq!(
        t.sql_i64("SELECT count(*) FROM tickets WHERE signature IS NULL"),
        0
    );
    let again = t
        .as_(PROMOTER, &["order", "show", &id, "--json"])
        .ok()
        .json();
    assert_eq!(again["tickets"], shown["tickets"]);
}
