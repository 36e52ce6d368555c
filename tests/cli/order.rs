//! `tix order …`: buying, box office, comps, approval, cancel, refund, and never overselling.

use serde::Deserialize;

use crate::common::*;

/// The contract's Order JSON; unknown fields fail the parse.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct OrderJson {
    pub id: i64,
    pub event_id: i64,
    pub tier_id: i64,
    pub buyer_email: String,
    pub quantity: i64,
    pub status: String,
    pub is_comp: bool,
    pub total: String,
    pub currency: String,
    pub created_at: String,
    #[serde(default)]
    pub payment_ref: Option<String>,
    #[serde(default)]
    pub refund_payment_ref: Option<String>,
    pub tickets: Vec<TicketJson>,
}

/// The contract's Ticket JSON; unknown fields fail the parse.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TicketJson {
    pub id: i64,
    pub uuid: String,
    pub event_id: i64,
    pub event_title: String,
    pub tier_id: i64,
    pub tier_name: String,
    pub order_id: i64,
    pub owner_email: String,
    pub attendee_name: Option<String>,
    pub attendee_email: Option<String>,
    pub attendee_phone: Option<String>,
    pub status: String,
    pub checked_in_at: Option<String>,
    pub qr_payload: String,
    pub created_at: String,
}

/// A published event with a tier "GA" (price 89.50, quantity 10, max 4) on sale now.
pub fn on_sale() -> (Tix, i64, i64) {
    on_sale_with(&["--max-purchase", "4"])
}

/// Like [`on_sale`] with other tier flags (price 89.50, quantity 10 unless overridden).
pub fn on_sale_with(extra: &[&str]) -> (Tix, i64, i64) {
    let (t, event) = Tix::with_event();
    let ev = event.to_string();
    let mut args = vec![
        "tier", "create", &ev, "--name", "GA", "--price", "89.50", "--json",
    ];
    if !extra.contains(&"--quantity") {
        args.extend_from_slice(&["--quantity", "10"]);
    }
    args.extend_from_slice(extra);
    let tier = t.as_(PROMOTER, &args).ok().json()["id"].as_i64().unwrap();
    t.as_(PROMOTER, &["event", "publish", &ev]).ok();
    (t, event, tier)
}

pub fn buy(t: &Tix, who: &str, tier: i64, n: i64) -> Out {
    t.as_(
        who,
        &[
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            &n.to_string(),
            "--json",
        ],
    )
}

pub fn order(out: &Out) -> OrderJson {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("bad order JSON ({e}): {}", out.stdout))
}

pub fn sold(t: &Tix, tier: i64) -> i64 {
    t.run(&["tier", "show", &tier.to_string(), "--json"])
        .ok()
        .json()["sold"]
        .as_i64()
        .unwrap()
}

#[test]
fn a_user_buys_tickets_for_themself() {
    let (t, event, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 2).ok());
    assert_eq!(o.status, "completed");
    assert_eq!(o.buyer_email, BUYER);
    assert_eq!((o.event_id, o.tier_id, o.quantity), (event, tier, 2));
    assert_eq!(o.total, "179.00");
    assert_eq!(o.currency, "EUR");
    assert!(!o.is_comp);
    assert_eq!(o.tickets.len(), 2);
    assert_ne!(o.tickets[0].uuid, o.tickets[1].uuid);
    // Version 7 UUIDs that sort in issue order (so big orders append to the index).
    for tk in &o.tickets {
        assert_eq!(
            uuid::Uuid::parse_str(&tk.uuid).unwrap().get_version_num(),
            7
        );
    }
    assert!(o.tickets[0].uuid < o.tickets[1].uuid);
    assert_ne!(o.tickets[0].qr_payload, o.tickets[1].qr_payload);
    for tk in &o.tickets {
        assert!(uuid::Uuid::parse_str(&tk.uuid).is_ok());
        assert_eq!(tk.status, "valid");
        assert_eq!(tk.owner_email, BUYER);
        assert_eq!(tk.tier_name, "GA");
        assert_eq!(tk.event_title, "Summer Festival");
        assert!(tk.qr_payload.len() <= 140, "{}", tk.qr_payload.len());
    }
    assert_eq!(sold(&t, tier), 2);
    let shown = order(
        &t.as_(BUYER, &["order", "show", &o.id.to_string(), "--json"])
            .ok(),
    );
    assert_eq!(shown.tickets.len(), 2);
}

#[test]
fn the_public_cannot_buy() {
    let (t, _, tier) = on_sale();
    t.run(&[
        "order",
        "create",
        "--tier",
        &tier.to_string(),
        "--quantity",
        "1",
    ])
    .code(4)
    .err_has("--as");
}

#[test]
fn per_order_limits_are_enforced() {
    let (t, _, tier) = on_sale_with(&["--min-purchase", "2", "--max-purchase", "4"]);
    buy(&t, BUYER, tier, 1).code(5).err_has("at least 2");
    buy(&t, BUYER, tier, 5).code(5).err_has("at most 4");
    buy(&t, BUYER, tier, 0).code(2).err_has("quantity");
    assert_eq!(sold(&t, tier), 0);
}

#[test]
fn only_what_is_left_can_be_bought() {
    let (t, _, tier) = on_sale_with(&["--max-purchase", "10"]);
    buy(&t, BUYER, tier, 7).ok();
    buy(&t, BUYER, tier, 4).code(5).err_has("Only 3 left");
    buy(&t, BUYER, tier, 3).ok();
    buy(&t, BUYER, tier, 1).code(5).err_has("Sold out");
    assert_eq!(sold(&t, tier), 10);
}

#[test]
fn nothing_is_sold_outside_a_published_event_or_sale_window() {
    let (t, event) = Tix::with_event();
    let tier = t.tier(event, "GA", &[])["id"].as_i64().unwrap();
    buy(&t, BUYER, tier, 1).code(5).err_has("draft");
    let ev = event.to_string();
    t.as_(PROMOTER, &["event", "publish", &ev]).ok();
    let later = t.tier(event, "Later", &["--sale-start", "2030-01-01 10:00"])["id"]
        .as_i64()
        .unwrap();
    buy(&t, BUYER, later, 1).code(5).err_has("Sales open");
    let over = t.tier(
        event,
        "Over",
        &[
            "--sale-start",
            "2020-01-01 10:00",
            "--sale-end",
            "2020-02-01 10:00",
        ],
    )["id"]
        .as_i64()
        .unwrap();
    buy(&t, BUYER, over, 1).code(5).err_has("Sales ended");
    let hidden = t.tier(event, "Hidden", &["--inactive"])["id"]
        .as_i64()
        .unwrap();
    buy(&t, BUYER, hidden, 1).code(5).err_has("not offered");
    t.as_(PROMOTER, &["-y", "event", "cancel", &ev]).ok();
    buy(&t, BUYER, tier, 1).code(5).err_has("cancelled");
}

#[test]
fn comps_by_the_promoter_cost_nothing_and_ignore_the_sale_window() {
    let (t, event, _) = on_sale();
    let closed = t.tier(
        event,
        "Crew",
        &[
            "--sale-start",
            "2030-01-01 10:00",
            "--inactive",
            "--max-purchase",
            "1",
        ],
    )["id"]
        .as_i64()
        .unwrap();
    let out = t
        .as_(
            PROMOTER,
            &[
                "order",
                "create",
                "--tier",
                &closed.to_string(),
                "--quantity",
                "3",
                "--buyer",
                BUYER,
                "--comp",
                "--json",
            ],
        )
        .ok();
    let o = order(&out);
    assert!(o.is_comp);
    assert_eq!(o.total, "0.00");
    assert_eq!(o.status, "completed");
    assert_eq!(o.buyer_email, BUYER);
    assert_eq!(o.tickets[0].owner_email, BUYER);
    assert_eq!(sold(&t, closed), 3);
}

#[test]
fn users_may_not_comp_or_sell_for_others() {
    let (t, _, tier) = on_sale();
    let tier = tier.to_string();
    t.as_(
        BUYER,
        &[
            "order",
            "create",
            "--tier",
            &tier,
            "--quantity",
            "1",
            "--comp",
        ],
    )
    .code(4)
    .err_has("promoter");
    t.as_(
        BUYER,
        &[
            "order",
            "create",
            "--tier",
            &tier,
            "--quantity",
            "1",
            "--buyer",
            ADMIN,
        ],
    )
    .code(4);
    t.as_(
        OTHER_PROMOTER,
        &[
            "order",
            "create",
            "--tier",
            &tier,
            "--quantity",
            "1",
            "--comp",
        ],
    )
    .code(4);
    t.as_(
        PROMOTER,
        &[
            "order",
            "create",
            "--tier",
            &tier,
            "--quantity",
            "1",
            "--buyer",
            "nobody@example.com",
        ],
    )
    .code(3)
    .err_has("nobody@example.com");
    t.admin(&[
        "order",
        "create",
        "--tier",
        &tier,
        "--quantity",
        "1",
        "--buyer",
        BUYER,
        "--comp",
    ])
    .ok();
}

#[test]
fn box_office_sale_for_a_registered_buyer() {
    let (t, _, tier) = on_sale();
    let out = t
        .as_(
            PROMOTER,
            &[
                "order",
                "create",
                "--tier",
                &tier.to_string(),
                "--quantity",
                "2",
                "--buyer",
                BUYER,
                "--json",
            ],
        )
        .ok();
    let o = order(&out);
    assert_eq!(o.buyer_email, BUYER);
    assert_eq!(o.total, "179.00");
    let mine = t.as_(BUYER, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 2);
}

#[test]
fn approval_flow_holds_seats_until_approved() {
    let (t, _, tier) = on_sale_with(&["--requires-approval"]);
    let o = order(&buy(&t, BUYER, tier, 2).ok());
    assert_eq!(o.status, "pending_approval");
    assert_eq!(sold(&t, tier), 2, "a pending order holds its seats");
    let id = o.id.to_string();
    let listed = t.as_(BUYER, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "tickets awaiting approval are listed"
    );
    t.as_(BUYER, &["order", "approve", &id]).code(4);
    t.as_(OTHER_PROMOTER, &["order", "approve", &id]).code(4);
    let approved = order(&t.as_(PROMOTER, &["order", "approve", &id, "--json"]).ok());
    assert_eq!(approved.status, "completed");
    t.as_(PROMOTER, &["order", "approve", &id])
        .code(5)
        .err_has("completed");
}

#[test]
fn cancelling_a_pending_order_releases_its_seats() {
    let (t, _, tier) = on_sale_with(&["--requires-approval"]);
    let o = order(&buy(&t, BUYER, tier, 3).ok());
    let id = o.id.to_string();
    t.as_(PROMOTER, &["order", "refund", &id, "--yes"])
        .code(5)
        .err_has("cancel it instead");
    let c = order(
        &t.as_(PROMOTER, &["order", "cancel", &id, "--yes", "--json"])
            .ok(),
    );
    assert_eq!(c.status, "cancelled");
    assert!(c.tickets.iter().all(|tk| tk.status == "cancelled"));
    assert_eq!(sold(&t, tier), 0);
}

#[test]
fn refund_marks_tickets_and_frees_the_seats() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 4).ok());
    let id = o.id.to_string();
    t.as_(PROMOTER, &["order", "refund", &id])
        .code(2)
        .err_has("--yes");
    assert_eq!(sold(&t, tier), 4, "nothing changes without confirmation");
    t.as_(BUYER, &["order", "refund", &id, "--yes"]).code(4);
    let r = order(
        &t.as_(PROMOTER, &["order", "refund", &id, "--yes", "--json"])
            .ok(),
    );
    assert_eq!(r.status, "refunded");
    assert!(r.tickets.iter().all(|tk| tk.status == "refunded"));
    assert_eq!(sold(&t, tier), 0);
    t.as_(PROMOTER, &["order", "cancel", &id, "--yes"])
        .code(5)
        .err_has("already refunded");
    // Refunded tickets are not "to be used" any more.
    let mine = t.as_(BUYER, &["ticket", "list", "--json"]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 0);
    let all = t
        .as_(BUYER, &["ticket", "list", "--include-used", "--json"])
        .ok()
        .json();
    assert_eq!(all.as_array().unwrap().len(), 4);
}

#[test]
fn sales_lock_the_price_and_forbid_deleting_the_tier() {
    let (t, _, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let tid = tier.to_string();
    t.as_(PROMOTER, &["tier", "update", &tid, "--price", "99"])
        .code(5)
        .err_has("Cannot change price");
    t.as_(PROMOTER, &["-y", "tier", "delete", &tid])
        .code(5)
        .err_has("--inactive");
    t.as_(PROMOTER, &["order", "cancel", &o.id.to_string(), "--yes"])
        .ok();
    // The seats are free again, but the order still refers to the tier.
    t.as_(PROMOTER, &["tier", "update", &tid, "--price", "99"])
        .ok();
    t.as_(PROMOTER, &["-y", "tier", "delete", &tid])
        .code(5)
        .err_has("--inactive");
}

#[test]
fn order_visibility() {
    let (t, event, tier) = on_sale();
    let o = order(&buy(&t, BUYER, tier, 1).ok());
    let id = o.id.to_string();
    t.admin(&["user", "add", "zoe@example.com", "--name", "Zoe"])
        .ok();
    t.as_("zoe@example.com", &["order", "show", &id]).code(4);
    t.as_(OTHER_PROMOTER, &["order", "show", &id]).code(4);
    t.as_(PROMOTER, &["order", "show", &id]).ok();
    t.admin(&["order", "show", &id]).ok();
    t.as_(BUYER, &["order", "show", "999"]).code(3);
    let mine = t
        .as_("zoe@example.com", &["order", "list", "--json"])
        .ok()
        .json();
    assert_eq!(mine.as_array().unwrap().len(), 0);
    let theirs = t
        .as_(
            PROMOTER,
            &["order", "list", "--event", &event.to_string(), "--json"],
        )
        .ok()
        .json();
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    let all: Vec<OrderJson> =
        serde_json::from_value(t.admin(&["order", "list", "--json"]).ok().json()).unwrap();
    assert_eq!(all.len(), 1);
}

/// Several processes buy the last seats at the same moment: `sold` never exceeds the
/// quantity and every process gets a clean answer.
#[test]
fn concurrent_buyers_never_oversell() {
    let (t, _, tier) = on_sale_with(&["--max-purchase", "2"]);
    for i in 0..12 {
        t.admin(&[
            "user",
            "add",
            &format!("fan{i}@example.com"),
            "--name",
            "Fan",
        ])
        .ok();
    }
    let mut children = Vec::new();
    for i in 0..12 {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tix"));
        c.env_remove("TIX_USER").env_remove("TIX_DB");
        c.arg("--db").arg(t.db());
        c.args([
            "--as",
            &format!("fan{i}@example.com"),
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            "2",
        ]);
        c.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        children.push(c.spawn().unwrap());
    }
    let mut ok = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => ok += 1,
            Some(5) => assert!(
                stderr.contains("left") || stderr.contains("Sold out"),
                "{stderr}"
            ),
            other => panic!("unclean answer {other:?}: {stderr}"),
        }
        assert!(!stderr.contains("locked"), "{stderr}");
    }
    assert_eq!(ok, 5, "10 seats, 2 per order");
    assert_eq!(sold(&t, tier), 10);
    let tickets = t
        .as_(PROMOTER, &["ticket", "list", "--event", "1", "--json"])
        .ok()
        .json();
    assert_eq!(tickets.as_array().unwrap().len(), 10);
}

#[test]
fn gate_staff_cannot_buy() {
    let (t, _, tier) = on_sale();
    t.admin(&[
        "user",
        "add",
        "gate@example.com",
        "--name",
        "Gate",
        "--role",
        "staff",
    ])
    .ok();
    buy(&t, "gate@example.com", tier, 1)
        .code(4)
        .err_has("staff");
}

#[test]
fn nothing_is_sold_once_the_event_has_ended() {
    let t = Tix::with_people();
    let ev = t
        .as_(
            PROMOTER,
            &[
                "event",
                "create",
                "--title",
                "Past",
                "--starts-at",
                "2030-01-01 18:00",
                "--ends-at",
                "2030-01-01 23:00",
                "--json",
            ],
        )
        .ok()
        .json()["id"]
        .as_i64()
        .unwrap();
    let tier = t.tier(ev, "GA", &[])["id"].as_i64().unwrap();
    t.as_(PROMOTER, &["event", "publish", &ev.to_string()]).ok();
    // Time passes: the event is over.
    t.sql(&format!(
        "UPDATE events SET starts_at = 1577898000, ends_at = 1577916000 WHERE id = {ev}"
    ));
    let a = t
        .run(&["tier", "availability", &tier.to_string(), "--json"])
        .ok()
        .json();
    assert_eq!(a["is_on_sale"], false);
    assert_eq!(a["message"], "Not on sale: the event is over");
    buy(&t, BUYER, tier, 1).code(5).err_has("over");
}

#[test]
fn a_plain_user_learns_nothing_about_other_accounts() {
    let (t, _, tier) = on_sale();
    let tier = tier.to_string();
    // Whether or not the account exists, the answer is "not allowed".
    for who in ["nobody@example.com", ADMIN] {
        t.as_(
            BUYER,
            &[
                "order",
                "create",
                "--tier",
                &tier,
                "--quantity",
                "1",
                "--buyer",
                who,
            ],
        )
        .code(4);
        t.as_(BUYER, &["ticket", "list", "--owner", who]).code(4);
    }
    // Naming oneself is fine.
    t.as_(
        BUYER,
        &[
            "order",
            "create",
            "--tier",
            &tier,
            "--quantity",
            "1",
            "--buyer",
            BUYER,
        ],
    )
    .ok();
    t.as_(BUYER, &["ticket", "list", "--owner", BUYER]).ok();
}
