//! What promoters take for granted: cancelling an event with its sales, payment
//! references, and the sales report.

use crate::common::*;
use crate::order::{buy, on_sale_with, order, sold};

/// A published event with a paid tier "GA" (89.50, 10 seats) and an approval tier "VIP"
/// (150.00, 5 seats): BUYER holds 2 GA tickets and 1 VIP awaiting approval, and ADMIN
/// 3 comps. Returns (t, event, ga, vip, [paid order, pending order, comp order]).
fn sold_event() -> (Tix, i64, i64, i64, [i64; 3]) {
    let (t, event, ga) = on_sale_with(&[]);
    let vip = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "tier",
                "create",
                &event.to_string(),
                "--name",
                "VIP",
                "--price",
                "150",
                "--quantity",
                "5",
                "--requires-approval",
            ],
        )
        .ok()
        .json()["id"]
        .as_i64()
        .unwrap();
    let paid = order(&buy(&t, BUYER, ga, 2).ok()).id;
    let pending = order(&buy(&t, BUYER, vip, 1).ok());
    assert_eq!(pending.status, "pending_approval");
    let comp = t
        .admin(&[
            "order",
            "create",
            "--tier",
            &ga.to_string(),
            "--quantity",
            "3",
            "--buyer",
            ADMIN,
            "--comp",
            "--json",
        ])
        .ok();
    (t, event, ga, vip, [paid, pending.id, order(&comp).id])
}

fn order_status(t: &Tix, id: i64) -> String {
    t.admin(&["order", "show", &id.to_string(), "--json"])
        .ok()
        .json()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn ticket_statuses(t: &Tix, event: i64) -> Vec<String> {
    let list = t
        .admin(&[
            "ticket",
            "list",
            "--event",
            &event.to_string(),
            "--include-used",
            "--json",
        ])
        .ok()
        .json();
    let mut s: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

#[test]
fn cancelling_an_event_with_sales_refunds_every_order_and_closes_the_gate() {
    let (t, event, ga, vip, [paid, pending, comp]) = sold_event();
    let ev = event.to_string();
    // Keep one code to scan afterwards; one more buyer has already got in.
    let tickets = t
        .admin(&["ticket", "list", "--event", &ev, "--json"])
        .ok()
        .json();
    let code = tickets[0]["qr_payload"].as_str().unwrap().to_string();
    let attended = order(&buy(&t, BUYER, ga, 1).ok());
    let used = attended.tickets[0].qr_payload.clone();
    t.as_(PROMOTER, &["validate", &used, "--event", &ev]).ok();

    // Without --refund or --cancel nothing happens, and the message says what to pass.
    t.as_(PROMOTER, &["-y", "event", "cancel", &ev])
        .code(5)
        .err_has("has 3 open orders (6 tickets)")
        .err_has("--refund");
    assert_eq!(
        t.run(&["event", "show", &ev, "--json"]).ok().json()["status"],
        "published"
    );
    // Without --yes a script is told what the confirmation covers.
    t.as_(PROMOTER, &["event", "cancel", &ev, "--refund"])
        .code(2)
        .err_has("refund 1 order (2 tickets, 179.00 EUR)")
        .err_has("cancel 1 complimentary order (3 tickets)")
        .err_has("cancel 1 order awaiting approval (1 ticket)")
        .err_has("1 order with tickets already used at the gate");

    let out = t
        .as_(
            PROMOTER,
            &["-y", "--json", "event", "cancel", &ev, "--refund"],
        )
        .ok()
        .json();
    assert_eq!(out["status"], "cancelled");
    assert_eq!(out["ended"]["action"], "refund");
    assert_eq!(out["ended"]["orders"], 1);
    assert_eq!(out["ended"]["tickets"], 2);
    assert_eq!(out["ended"]["total"], "179.00");
    assert_eq!(out["ended"]["comp_orders"], 1);
    assert_eq!(out["ended"]["unapproved_orders"], 1);
    assert_eq!(out["ended"]["orders_left"], 1);
    assert_eq!(order_status(&t, paid), "refunded");
    // Nothing was paid for a comp or an unapproved order: cancelled, not refunded.
    assert_eq!(order_status(&t, comp), "cancelled");
    assert_eq!(order_status(&t, pending), "cancelled");
    // An order whose ticket got in is left as it is, as `order refund` would leave it.
    assert_eq!(order_status(&t, attended.id), "completed");
    assert_eq!(
        ticket_statuses(&t, event),
        [
            "cancelled",
            "cancelled",
            "cancelled",
            "cancelled",
            "refunded",
            "refunded",
            "used"
        ]
    );
    assert_eq!(sold(&t, ga), 1);
    assert_eq!(sold(&t, vip), 0);
    // Every code of the event now answers event_not_open.
    for c in [&code, &used] {
        let v = t
            .as_(PROMOTER, &["--json", "validate", c, "--event", &ev])
            .code(6)
            .json();
        assert_eq!(v["reason"], "event_not_open", "{v}");
    }
    // The buyer's own list shows the new status (with --include-used, as nothing is left
    // to use).
    assert!(
        t.as_(BUYER, &["ticket", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let mine = t
        .as_(BUYER, &["ticket", "list", "--include-used", "--json"])
        .ok()
        .json();
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] != "valid")
    );
    // The audit log has each order and the whole.
    let audit = t
        .admin(&["audit", "list", "--event", &ev, "--json"])
        .ok()
        .json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "order.refund").count(), 1);
    assert_eq!(actions.iter().filter(|a| **a == "order.cancel").count(), 2);
    assert!(actions.contains(&"event.cancel") && actions.contains(&"event.end_orders"));
    // Again: nothing left to do, no question asked.
    let again = t
        .as_(PROMOTER, &["--json", "event", "cancel", &ev, "--refund"])
        .ok()
        .json();
    assert_eq!(again["ended"]["orders"], 0);
}

#[test]
fn cancelling_with_cancel_ends_orders_without_refund() {
    let (t, event, _, _, [paid, pending, _]) = sold_event();
    let ev = event.to_string();
    let out = t
        .as_(PROMOTER, &["-y", "event", "cancel", &ev, "--cancel"])
        .ok();
    assert!(
        out.stdout
            .contains("Cancelled 1 order (2 tickets, 179.00 EUR)."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Cancelled 1 order awaiting approval (1 ticket; nothing was paid).")
    );
    assert_eq!(order_status(&t, paid), "cancelled");
    assert_eq!(order_status(&t, pending), "cancelled");
    assert!(ticket_statuses(&t, event).iter().all(|s| s == "cancelled"));
    t.as_(PROMOTER, &["event", "cancel", &ev, "--refund", "--cancel"])
        .code(2);
}

#[test]
fn an_event_cancelled_with_orders_left_open_can_end_them_later() {
    let (t, event, _, _, [paid, ..]) = sold_event();
    let ev = event.to_string();
    // As an older tix left it: the event cancelled, its orders still completed.
    t.sql(&format!(
        "UPDATE events SET status = 'cancelled' WHERE id = {event}"
    ));
    t.as_(PROMOTER, &["-y", "event", "cancel", &ev])
        .code(5)
        .err_has("open orders");
    t.as_(PROMOTER, &["-y", "event", "cancel", &ev, "--refund"])
        .ok();
    assert_eq!(order_status(&t, paid), "refunded");
}

#[test]
fn only_the_events_promoter_or_an_admin_cancels_it() {
    let (t, event, ..) = sold_event();
    let ev = event.to_string();
    t.as_(OTHER_PROMOTER, &["-y", "event", "cancel", &ev, "--refund"])
        .code(4);
    t.as_(BUYER, &["-y", "event", "cancel", &ev, "--refund"])
        .code(4);
    t.run(&["-y", "event", "cancel", &ev, "--refund"]).code(4);
    t.admin(&["-y", "event", "cancel", "999", "--refund"])
        .code(3);
    t.admin(&["-y", "event", "cancel", &ev, "--refund"]).ok();
}

#[test]
fn a_cancellation_that_fails_half_way_changes_nothing() {
    let (t, event, ga, _, [paid, pending, comp]) = sold_event();
    // Make the database refuse the last order's change, as a crash or a full disk would.
    if t.pg() {
        t.sql(&format!(
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN
               IF NEW.id = {comp} AND NEW.status <> OLD.status THEN RAISE EXCEPTION 'boom'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER boom BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION boom();"
        ));
    } else {
        t.sql(&format!(
            "CREATE TRIGGER boom BEFORE UPDATE OF status ON orders WHEN NEW.id = {comp}
             BEGIN SELECT RAISE(ABORT, 'boom'); END;"
        ));
    }
    let ev = event.to_string();
    t.as_(PROMOTER, &["-y", "event", "cancel", &ev, "--refund"])
        .code(1);
    assert_eq!(
        t.run(&["event", "show", &ev, "--json"]).ok().json()["status"],
        "published"
    );
    assert_eq!(order_status(&t, paid), "completed");
    assert_eq!(order_status(&t, pending), "pending_approval");
    assert!(ticket_statuses(&t, event).iter().all(|s| s == "valid"));
    assert_eq!(sold(&t, ga), 5);
}

#[test]
fn an_event_that_is_over_is_not_cancelled() {
    let (t, event, ..) = sold_event();
    let ev = event.to_string();
    // As time would have it: the event ended yesterday.
    let day = 86_400;
    let now = chrono::Utc::now().timestamp();
    t.sql(&format!(
        "UPDATE events SET starts_at = {}, ends_at = {} WHERE id = {event}",
        now - 2 * day,
        now - day
    ));
    t.as_(PROMOTER, &["-y", "event", "cancel", &ev, "--refund"])
        .code(5)
        .err_has("cannot be cancelled");
    assert_eq!(
        t.run(&["event", "show", &ev, "--json"]).ok().json()["status"],
        "published"
    );
}

#[test]
fn an_order_left_for_its_used_ticket_is_said_even_without_a_flag() {
    let (t, event, ga) = on_sale_with(&[]);
    let ev = event.to_string();
    let o = order(&buy(&t, BUYER, ga, 2).ok());
    t.as_(
        PROMOTER,
        &["validate", &o.tickets[0].qr_payload, "--event", &ev],
    )
    .ok();
    let out = t.as_(PROMOTER, &["-y", "event", "cancel", &ev]).ok();
    assert!(
        out.stdout
            .contains("1 order with tickets already used at the gate left completed."),
        "{}",
        out.stdout
    );
    let again = t
        .as_(PROMOTER, &["--json", "event", "cancel", &ev])
        .ok()
        .json();
    assert_eq!(again["ended"]["orders_left"], 1);
    assert_eq!(order_status(&t, o.id), "completed");
}

#[test]
fn an_event_without_orders_is_cancelled_as_before() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let out = t
        .as_(PROMOTER, &["-y", "--json", "event", "cancel", &ev])
        .ok()
        .json();
    assert_eq!(out["status"], "cancelled");
    assert!(out.get("ended").is_none(), "{out}");
}

#[test]
fn payment_references_are_kept_shown_and_checked() {
    let (t, _, ga) = on_sale_with(&[]);
    let out = t
        .as_(
            BUYER,
            &[
                "--json",
                "order",
                "create",
                "--tier",
                &ga.to_string(),
                "--quantity",
                "1",
                "--payment-ref",
                "  SumUp 4711-A  ",
            ],
        )
        .ok();
    let o = order(&out);
    assert_eq!(o.payment_ref.as_deref(), Some("SumUp 4711-A"));
    assert_eq!(o.refund_payment_ref, None);
    let id = o.id.to_string();
    t.as_(PROMOTER, &["order", "show", &id])
        .ok()
        .out_has("Payment ref:")
        .out_has("SumUp 4711-A");
    let refunded = t
        .as_(
            PROMOTER,
            &[
                "-y",
                "--json",
                "order",
                "refund",
                &id,
                "--payment-ref",
                "bank 2027-03-01/77",
            ],
        )
        .ok();
    let r = order(&refunded);
    assert_eq!(r.status, "refunded");
    assert_eq!(r.payment_ref.as_deref(), Some("SumUp 4711-A"));
    assert_eq!(r.refund_payment_ref.as_deref(), Some("bank 2027-03-01/77"));
    let audit = t.admin(&["audit", "list", "--json"]).ok().stdout;
    assert!(audit.contains("bank 2027-03-01/77") && audit.contains("SumUp 4711-A"));

    // Bad references change nothing.
    let before = sold(&t, ga);
    for bad in ["", "   ", "a\u{7}b", "two\nlines"] {
        t.as_(
            BUYER,
            &[
                "order",
                "create",
                "--tier",
                &ga.to_string(),
                "--quantity",
                "1",
                "--payment-ref",
                bad,
            ],
        )
        .code(2)
        .err_has("payment reference");
    }
    let long = "x".repeat(201);
    t.as_(
        BUYER,
        &[
            "order",
            "create",
            "--tier",
            &ga.to_string(),
            "--quantity",
            "1",
            "--payment-ref",
            &long,
        ],
    )
    .code(2)
    .err_has("longer than 200");
    assert_eq!(sold(&t, ga), before);
    // A comp is not paid: no payment reference, no refund reference.
    t.as_(
        PROMOTER,
        &[
            "order",
            "create",
            "--tier",
            &ga.to_string(),
            "--quantity",
            "1",
            "--comp",
            "--payment-ref",
            "x",
        ],
    )
    .code(2);
    let comp = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "order",
                "create",
                "--tier",
                &ga.to_string(),
                "--quantity",
                "1",
                "--comp",
            ],
        )
        .ok();
    let comp = order(&comp).id.to_string();
    t.as_(
        PROMOTER,
        &["-y", "order", "refund", &comp, "--payment-ref", "r"],
    )
    .code(5)
    .err_has("complimentary");
    assert_eq!(order_status(&t, comp.parse().unwrap()), "completed");
}

#[test]
fn the_ticket_note_is_set_shown_and_cleared() {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let e = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "event",
                "update",
                &ev,
                "--ticket-note",
                "Doors 19:00.\nNo re-entry.",
            ],
        )
        .ok()
        .json();
    assert_eq!(e["ticket_note"], "Doors 19:00.\nNo re-entry.");
    t.as_(PROMOTER, &["event", "show", &ev])
        .ok()
        .out_has("Doors 19:00.");
    let e = t
        .as_(
            PROMOTER,
            &[
                "--json",
                "event",
                "update",
                &ev,
                "--venue",
                "Arena",
                "--title",
                "Summer Fest",
            ],
        )
        .ok()
        .json();
    assert_eq!(
        (e["venue"].as_str(), e["title"].as_str()),
        (Some("Arena"), Some("Summer Fest"))
    );
    assert_eq!(e["ticket_note"], "Doors 19:00.\nNo re-entry.");
    let e = t
        .as_(
            PROMOTER,
            &["--json", "event", "update", &ev, "--ticket-note", ""],
        )
        .ok()
        .json();
    assert!(e.get("ticket_note").is_none(), "{e}");
    t.as_(PROMOTER, &["event", "update", &ev])
        .code(2)
        .err_has("--ticket-note");
    t.as_(OTHER_PROMOTER, &["event", "update", &ev, "--title", "Mine"])
        .code(4);
    t.as_(
        PROMOTER,
        &["event", "update", &ev, "--title", "bad\u{1b}[31m"],
    )
    .code(2);
    t.as_(
        PROMOTER,
        &["event", "update", &ev, "--ticket-note", &"n".repeat(2001)],
    )
    .code(2)
    .err_has("longer than 2000");
}

#[test]
fn the_sales_report_totals_per_tier_and_payment_state() {
    let (t, event, ga, vip, [paid, pending, _comp]) = sold_event();
    let ev = event.to_string();
    // One more paid order with a reference, refunded with one.
    let refunded = t
        .as_(
            BUYER,
            &[
                "--json",
                "order",
                "create",
                "--tier",
                &ga.to_string(),
                "--quantity",
                "1",
                "--payment-ref",
                "card 1",
            ],
        )
        .ok();
    let refunded = order(&refunded).id.to_string();
    t.as_(
        PROMOTER,
        &[
            "-y",
            "order",
            "refund",
            &refunded,
            "--payment-ref",
            "back 1",
        ],
    )
    .ok();
    let r = t
        .as_(PROMOTER, &["--json", "report", "sales", &ev])
        .ok()
        .json();
    assert_eq!(r["currency"], "EUR");
    assert_eq!(r["revenue"], "179.00");
    assert_eq!(r["refunded"], "89.50");
    assert_eq!(r["tickets_issued"], 5);
    let tiers = r["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 2);
    assert_eq!(tiers[0]["tier_id"], ga);
    assert_eq!(
        (
            &tiers[0]["paid_tickets"],
            &tiers[0]["comp_tickets"],
            &tiers[0]["refunded_tickets"]
        ),
        (&2.into(), &3.into(), &1.into())
    );
    assert_eq!(tiers[0]["revenue"], "179.00");
    assert_eq!(tiers[1]["tier_id"], vip);
    assert_eq!(tiers[1]["pending_tickets"], 1);
    let state = |name: &str| {
        r["states"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["state"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(state("paid")["orders"], 1);
    assert_eq!(state("paid")["amount"], "179.00");
    assert_eq!(state("comp")["tickets"], 3);
    assert_eq!(state("awaiting_approval")["amount"], "150.00");
    assert_eq!(state("refunded")["with_payment_ref"], 1);
    assert_eq!(state("cancelled")["orders"], 0);
    let _ = (paid, pending);
    // The table says the same for people.
    t.as_(PROMOTER, &["report", "sales", &ev])
        .ok()
        .out_has("awaiting approval")
        .out_has("Revenue 179.00 EUR, returned 89.50 EUR; 5 tickets issued.");
    // Only the event's promoter or an admin.
    t.admin(&["report", "sales", &ev]).ok();
    t.as_(OTHER_PROMOTER, &["report", "sales", &ev]).code(4);
    t.as_(BUYER, &["report", "sales", &ev]).code(4);
    t.run(&["report", "sales", &ev]).code(4);
    t.admin(&["report", "sales", "999"]).code(3);
}
