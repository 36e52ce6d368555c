//! Waitlists: joining a sold-out tier, offers when seats come back, claims, declines,
//! expiry, and two processes freeing seats at once.

use serde_json::Value;

use crate::common::*;
use crate::delivery::send;
use crate::order::{buy, on_sale_with, order, sold};

/// A published event with a tier "GA" of `seats` seats (89.50), all bought by BUYER in
/// one-ticket orders; returns (t, tier, the orders' ids).
fn sold_out(seats: i64) -> (Tix, i64, Vec<i64>) {
    let max = seats.min(2).to_string();
    let (t, _, tier) = on_sale_with(&["--quantity", &seats.to_string(), "--max-purchase", &max]);
    let orders = (0..seats)
        .map(|_| order(&buy(&t, BUYER, tier, 1).ok()).id)
        .collect();
    (t, tier, orders)
}

fn fan(t: &Tix, n: usize) -> String {
    let email = format!("fan{n}@example.com");
    t.admin(&["user", "add", &email, "--name", &format!("Fan {n}")])
        .ok();
    email
}

fn join(t: &Tix, who: &str, tier: i64, n: i64) -> Value {
    t.as_(
        who,
        &[
            "--json",
            "waitlist",
            "join",
            &tier.to_string(),
            "--quantity",
            &n.to_string(),
        ],
    )
    .ok()
    .json()
}

fn line(t: &Tix, tier: i64) -> Vec<(String, String)> {
    t.as_(
        PROMOTER,
        &["--json", "waitlist", "list", &tier.to_string(), "--all"],
    )
    .ok()
    .json()
    .as_array()
    .unwrap()
    .iter()
    .map(|e| {
        (
            e["email"].as_str().unwrap().to_string(),
            e["status"].as_str().unwrap().to_string(),
        )
    })
    .collect()
}

fn held(t: &Tix, tier: i64) -> i64 {
    t.run(&["tier", "show", &tier.to_string(), "--json"])
        .ok()
        .json()["held"]
        .as_i64()
        .unwrap_or(0)
}

fn cancel(t: &Tix, order: i64) {
    t.as_(PROMOTER, &["-y", "order", "cancel", &order.to_string()])
        .ok();
}

#[test]
fn only_registered_users_join_a_sold_out_tier_once() {
    let (t, tier, _) = sold_out(2);
    let tid = tier.to_string();
    let a = fan(&t, 1);
    t.run(&["waitlist", "join", &tid]).code(4);
    let e = join(&t, &a, tier, 2);
    assert_eq!(
        (e["status"].as_str(), e["position"].as_i64()),
        (Some("waiting"), Some(1))
    );
    t.as_(&a, &["waitlist", "join", &tid])
        .code(5)
        .err_has("already in the waitlist");
    t.as_(BUYER, &["waitlist", "join", &tid, "--quantity", "3"])
        .code(5)
        .err_has("1 to 2 tickets per order");
    t.add_staff_user();
    t.as_(STAFF, &["waitlist", "join", &tid]).code(5);
    t.as_(BUYER, &["waitlist", "join", "999"]).code(3);
    // A tier with seats left has no waitlist: buy them.
    let (t2, _, open) = on_sale_with(&[]);
    t2.as_(BUYER, &["waitlist", "join", &open.to_string()])
        .code(5)
        .err_has("not sold out: 10 left");
    // Leaving, then joining again, puts you at the end of the line.
    let b = fan(&t, 2);
    join(&t, &b, tier, 1);
    t.as_(&a, &["waitlist", "leave", &tid]).ok();
    t.as_(&a, &["waitlist", "leave", &tid]).code(3);
    let again = join(&t, &a, tier, 1);
    assert_eq!(again["position"], 2);
    // Another user sees only their own place; the promoter sees the line.
    let mine = t.as_(&b, &["--json", "waitlist", "list", &tid]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(line(&t, tier).len(), 3);
}

#[test]
fn freed_seats_are_offered_in_order_held_from_others_and_claimed_at_the_price() {
    let (t, tier, orders) = sold_out(3);
    let tid = tier.to_string();
    let (a, b, c) = (fan(&t, 1), fan(&t, 2), fan(&t, 3));
    join(&t, &a, tier, 2);
    join(&t, &b, tier, 1);
    join(&t, &c, tier, 1);
    // One seat back: the first in line wants two, so it goes to the next whose request
    // fits; the first keeps their place.
    cancel(&t, orders[0]);
    assert_eq!(held(&t, tier), 1);
    assert_eq!(
        line(&t, tier),
        [
            (a.clone(), "waiting".into()),
            (b.clone(), "offered".into()),
            (c.clone(), "waiting".into())
        ]
    );
    let avail = t.run(&["tier", "availability", &tid, "--json"]).ok().json();
    assert_eq!(
        (avail["available"].as_i64(), avail["held"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        avail["message"],
        "Sold out (1 held for the waitlist, 2 people waiting)"
    );
    // b says no: the seat passes on to c (a still wants two).
    let offer_b = t.as_(&b, &["--json", "waitlist", "list"]).ok().json()[0].clone();
    t.as_(
        &b,
        &[
            "waitlist",
            "decline",
            &offer_b["id"].as_i64().unwrap().to_string(),
        ],
    )
    .ok();
    assert_eq!(line(&t, tier)[2], (c.clone(), "offered".into()));
    // Two more seats: both to a, held from everyone else.
    cancel(&t, orders[1]);
    cancel(&t, orders[2]);
    assert_eq!(held(&t, tier), 3);
    buy(&t, BUYER, tier, 1).code(5);
    let offer = t.as_(&a, &["--json", "waitlist", "list"]).ok().json()[0].clone();
    assert_eq!(offer["status"], "offered");
    let id = offer["id"].as_i64().unwrap().to_string();
    // Only the one it was made to claims it.
    t.as_(&b, &["waitlist", "claim", &id]).code(4);
    let o = t
        .as_(
            &a,
            &[
                "--json",
                "waitlist",
                "claim",
                &id,
                "--payment-ref",
                "card 9",
            ],
        )
        .ok()
        .json();
    assert_eq!(
        (o["quantity"].as_i64(), o["total"].as_str()),
        (Some(2), Some("179.00"))
    );
    assert_eq!(o["payment_ref"], "card 9");
    assert_eq!(o["tickets"].as_array().unwrap().len(), 2);
    t.as_(&a, &["waitlist", "claim", &id])
        .code(5)
        .err_has("not an open offer");
    assert_eq!((held(&t, tier), sold(&t, tier)), (1, 2));
    assert_eq!(
        line(&t, tier),
        [
            (a.clone(), "claimed".into()),
            (b.clone(), "declined".into()),
            (c.clone(), "offered".into())
        ]
    );
    // Every step is in the audit log.
    let audit = t.admin(&["--json", "audit", "list"]).ok().json();
    let count = |action: &str| {
        audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    };
    assert_eq!(
        (
            count("waitlist.join"),
            count("waitlist.offer"),
            count("waitlist.claim"),
            count("waitlist.decline")
        ),
        (3, 3, 1, 1)
    );
}

#[test]
fn while_anyone_waits_freed_seats_are_not_sold_to_new_buyers() {
    let (t, tier, orders) = sold_out(2);
    let tid = tier.to_string();
    let a = fan(&t, 1);
    join(&t, &a, tier, 2);
    // One seat back is not enough for a, and not for sale either.
    cancel(&t, orders[0]);
    assert_eq!(held(&t, tier), 0);
    let avail = t.run(&["tier", "availability", &tid, "--json"]).ok().json();
    assert_eq!(avail["available"], 0);
    assert_eq!(avail["message"], "Sold out (1 person waiting)");
    buy(&t, BUYER, tier, 1)
        .code(5)
        .err_has("1 person in its waitlist, who get freed seats first");
    // Someone new who wants one seat joins, and gets the free one at once.
    let b = fan(&t, 2);
    let e = join(&t, &b, tier, 1);
    let mine = t.as_(&b, &["--json", "waitlist", "list"]).ok().json()[0].clone();
    assert_eq!(
        (e["id"].clone(), mine["status"].as_str()),
        (mine["id"].clone(), Some("offered"))
    );
    // a leaves: with no one waiting, the tier sells again.
    t.as_(&a, &["waitlist", "leave", &tid]).ok();
    cancel(&t, orders[1]);
    buy(&t, BUYER, tier, 1).ok();
}

#[test]
fn an_offer_that_runs_out_goes_to_the_next_in_line_and_its_seats_stay_held() {
    let (t, tier, orders) = sold_out(1);
    let tid = tier.to_string();
    t.as_(
        PROMOTER,
        &["tier", "update", &tid, "--waitlist-hold", "30m"],
    )
    .ok();
    let shown = t.run(&["tier", "show", &tid, "--json"]).ok().json();
    assert_eq!(shown["waitlist_hold"], "30m");
    t.as_(
        PROMOTER,
        &["tier", "update", &tid, "--waitlist-hold", "2 hours"],
    )
    .code(2)
    .err_has("24h");
    let (a, b) = (fan(&t, 1), fan(&t, 2));
    join(&t, &a, tier, 1);
    join(&t, &b, tier, 1);
    cancel(&t, orders[0]);
    let offer = t.as_(&a, &["--json", "waitlist", "list"]).ok().json()[0].clone();
    let expires =
        chrono::DateTime::parse_from_rfc3339(offer["expires_at"].as_str().unwrap()).unwrap();
    let offered =
        chrono::DateTime::parse_from_rfc3339(offer["offered_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - offered).num_seconds(), 1800);
    // Time passes (the offer's end moved into the past, as a clock would).
    t.sql("UPDATE waitlist SET expires_at = expires_at - 3600 WHERE status = 'offered'");
    // Reads no longer count the seat as held, though no write has ended the offer yet;
    // someone still waits, so it is not for sale either.
    assert_eq!(held(&t, tier), 0);
    let avail = t.run(&["tier", "availability", &tid, "--json"]).ok().json();
    assert_eq!(
        (avail["available"].as_i64(), avail["message"].as_str()),
        (Some(0), Some("Sold out (1 person waiting)"))
    );
    // A buyer comes first, but the seat goes to the next in line.
    buy(&t, BUYER, tier, 1).code(5);
    assert_eq!(
        line(&t, tier),
        [(a.clone(), "expired".into()), (b.clone(), "offered".into())]
    );
    let id = offer["id"].as_i64().unwrap().to_string();
    t.as_(&a, &["waitlist", "claim", &id])
        .code(5)
        .err_has("expired");
    // The last in line leaves with the offer: the seat is for sale again.
    t.as_(&b, &["waitlist", "leave", &tid]).ok();
    assert_eq!(held(&t, tier), 0);
    buy(&t, BUYER, tier, 1).ok();
}

#[test]
fn raising_the_quantity_offers_the_new_seats_and_the_promoter_manages_the_line() {
    let (t, tier, _) = sold_out(1);
    let tid = tier.to_string();
    let (a, b) = (fan(&t, 1), fan(&t, 2));
    let ea = join(&t, &a, tier, 1)["id"].as_i64().unwrap().to_string();
    join(&t, &b, tier, 1);
    t.as_(a.as_str(), &["waitlist", "remove", &ea]).code(4);
    t.as_(OTHER_PROMOTER, &["waitlist", "remove", &ea]).code(4);
    t.as_(PROMOTER, &["--json", "waitlist", "remove", &ea]).ok();
    t.as_(PROMOTER, &["waitlist", "remove", &ea]).code(5);
    t.as_(PROMOTER, &["tier", "update", &tid, "--quantity", "2"])
        .ok();
    assert_eq!(line(&t, tier)[1], (b.clone(), "offered".into()));
    // Held seats are part of the tier: its quantity cannot drop below sold + held.
    t.as_(PROMOTER, &["tier", "update", &tid, "--quantity", "1"])
        .code(5)
        .err_has("1 held for waitlist offers");
    // Cancelling the event clears the line and frees what it held.
    t.as_(PROMOTER, &["-y", "event", "cancel", "1", "--refund"])
        .ok();
    assert_eq!(line(&t, tier)[1].1, "cleared");
    assert_eq!(held(&t, tier), 0);
}

#[test]
fn offers_go_out_with_ticket_send() {
    let (t, tier, orders) = sold_out(1);
    let a = fan(&t, 1);
    join(&t, &a, tier, 1);
    cancel(&t, orders[0]);
    let outbox = t.dir().join("outbox");
    let r = send(&t, &outbox);
    let offer = r["prepared"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "offer")
        .unwrap()
        .clone();
    assert_eq!(offer["to"], a);
    let text = std::fs::read_to_string(outbox.join(offer["file"].as_str().unwrap())).unwrap();
    assert!(
        text.contains("Subject: Seats for Summer Festival are held for you"),
        "{text}"
    );
    // Sent once.
    let again = send(&t, &outbox);
    assert!(again["prepared"].as_array().unwrap().is_empty(), "{again}");
}

#[test]
fn two_processes_freeing_seats_at_once_never_offer_one_seat_twice() {
    let seats = 6;
    let (t, tier, orders) = sold_out(seats);
    // More people wait than seats come back.
    let fans: Vec<String> = (0..seats as usize + 3).map(|i| fan(&t, i)).collect();
    for f in &fans {
        join(&t, f, tier, 1);
    }
    // Every order is cancelled at the same moment by its own process, while another
    // raises the quantity by two.
    let spawn = |args: &[&str]| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
        c.env_remove("TIX_USER").env_remove("TIX_DB");
        c.arg("--db")
            .arg(t.db())
            .args(["--as", PROMOTER])
            .args(args);
        c.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let mut children: Vec<std::process::Child> = orders
        .iter()
        .map(|o| spawn(&["-y", "order", "cancel", &o.to_string()]))
        .collect();
    children.push(spawn(&[
        "tier",
        "update",
        &tier.to_string(),
        "--quantity",
        &(seats + 2).to_string(),
    ]));
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let l = line(&t, tier);
    let offered: Vec<&String> = l
        .iter()
        .filter(|(_, s)| s == "offered")
        .map(|(e, _)| e)
        .collect();
    // Exactly the freed seats are offered, to the first in line, each once.
    assert_eq!(offered.len(), seats as usize + 2, "{l:?}");
    assert_eq!(held(&t, tier), seats + 2);
    assert_eq!(sold(&t, tier), 0);
    assert_eq!(
        offered,
        fans.iter().take(seats as usize + 2).collect::<Vec<_>>()
    );
    let audit = t.admin(&["--json", "audit", "list"]).ok().json();
    let offers = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "waitlist.offer")
        .count();
    assert_eq!(offers, seats as usize + 2);
}
