//! `ticket send`: e-mails in an outbox, one per order and holder, written again only
//! when something changed.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::checkin::buy_tickets;
use crate::common::*;
use crate::order::{on_sale_with, order};

/// A parsed .eml: its headers and its parts' decoded bodies.
struct Mail {
    headers: BTreeMap<String, String>,
    text: String,
    pdf: Option<Vec<u8>>,
}

fn read_mail(path: &Path) -> Mail {
    let raw = std::fs::read_to_string(path).unwrap();
    assert!(raw.is_ascii(), "{}", path.display());
    for line in raw.split("\r\n") {
        assert!(line.len() <= 78, "{line}");
    }
    assert!(
        !raw.replace("\r\n", "").contains('\n'),
        "bare LF in {}",
        path.display()
    );
    let (head, _) = raw.split_once("\r\n\r\n").unwrap();
    let mut headers = BTreeMap::new();
    let mut last = String::new();
    for line in head.split("\r\n") {
        if let Some(cont) = line.strip_prefix(' ') {
            headers.entry(last.clone()).and_modify(|v: &mut String| {
                v.push(' ');
                v.push_str(cont)
            });
        } else {
            let (k, v) = line.split_once(": ").unwrap();
            last = k.to_string();
            headers.insert(k.to_string(), v.to_string());
        }
    }
    let decode = |part: &str| {
        let body = &part[part.find("\r\n\r\n").unwrap() + 4..];
        STANDARD.decode(body.replace("\r\n", "").trim()).unwrap()
    };
    let boundary = headers["Content-Type"]
        .split("boundary=\"")
        .nth(1)
        .map(|b| b.trim_end_matches('"').to_string());
    let (text, pdf) = match boundary {
        None => (String::from_utf8(decode(&raw)).unwrap(), None),
        Some(b) => {
            let parts: Vec<&str> = raw.split(&format!("--{b}")).collect();
            (
                String::from_utf8(decode(parts[1])).unwrap(),
                Some(decode(parts[2].trim_end_matches("--\r\n"))),
            )
        }
    };
    Mail { headers, text, pdf }
}

/// `ticket send --event 1 --outbox OUTBOX --json` as the promoter.
pub(crate) fn send(t: &Tix, outbox: &Path) -> serde_json::Value {
    t.as_(
        PROMOTER,
        &[
            "--json",
            "ticket",
            "send",
            "--event",
            "1",
            "--outbox",
            outbox.to_str().unwrap(),
        ],
    )
    .ok()
    .json()
}

fn files(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["prepared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["to"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_outbox_gets_one_message_per_order_and_holder_and_then_only_what_changed() {
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    assert_eq!(event, 1);
    t.as_(
        PROMOTER,
        &["event", "update", "1", "--ticket-note", "Doors 19:00"],
    )
    .ok();
    t.admin(&["user", "add", "cem@example.com", "--name", "Дмитрий"])
        .ok();
    let first = buy_tickets(&t, tier, 2);
    let second = buy_tickets(&t, tier, 1);
    let outbox = t.dir().join("outbox");
    let r = send(&t, &outbox);
    let bea = t.sql_i64(&format!("SELECT id FROM users WHERE email = '{BUYER}'"));
    assert_eq!(
        files(&r),
        [
            (
                format!("order-{}-holder-{bea}-v1.eml", first.id),
                BUYER.into(),
                "tickets".into()
            ),
            (
                format!("order-{}-holder-{bea}-v1.eml", second.id),
                BUYER.into(),
                "tickets".into()
            ),
        ]
    );
    assert!(outbox.join("template.txt").exists());
    let m = read_mail(&outbox.join(&files(&r)[0].0));
    assert_eq!(m.headers["To"], format!("\"Bea Buyer\" <{BUYER}>"));
    assert_eq!(m.headers["From"], format!("\"Pat Promoter\" <{PROMOTER}>"));
    assert_eq!(m.headers["Subject"], "Your tickets for Summer Festival");
    assert_eq!(m.headers["MIME-Version"], "1.0");
    assert!(m.headers.contains_key("Date") && m.headers.contains_key("Message-ID"));
    assert!(m.text.contains("2 tickets attached"), "{}", m.text);
    assert!(m.text.contains("Doors 19:00"));
    assert!(m.pdf.unwrap().starts_with(b"%PDF-"));

    // Nothing changed: nothing written.
    let again = t
        .as_(
            PROMOTER,
            &[
                "ticket",
                "send",
                "--event",
                "1",
                "--outbox",
                outbox.to_str().unwrap(),
            ],
        )
        .ok();
    assert!(
        again.stdout.contains("Nothing new to send: 2 recipients"),
        "{}",
        again.stdout
    );

    // A transfer: the new holder gets the new code, the old holder their remaining
    // ticket with word of the one that left; a refund: a notice.
    t.as_(
        BUYER,
        &[
            "ticket",
            "transfer",
            &first.tickets[1].uuid,
            "--to",
            "cem@example.com",
        ],
    )
    .ok();
    t.as_(PROMOTER, &["-y", "order", "refund", &second.id.to_string()])
        .ok();
    let third = buy_tickets(&t, tier, 1);
    let r = send(&t, &outbox);
    let got = files(&r);
    assert_eq!(got.len(), 4, "{got:?}");
    let by_to = |to: &str, kind: &str| {
        got.iter()
            .find(|(f, who, k)| who == to && k == kind && !f.is_empty())
            .map(|(f, ..)| read_mail(&outbox.join(f)))
            .unwrap_or_else(|| panic!("no {kind} for {to}: {got:?}"))
    };
    let cem = by_to("cem@example.com", "tickets");
    assert!(
        cem.headers["To"].starts_with("=?UTF-8?B?"),
        "{:?}",
        cem.headers
    );
    assert!(cem.text.contains("1 ticket attached"));
    let updated = got
        .iter()
        .find(|(f, ..)| f == &format!("order-{}-holder-{bea}-v2.eml", first.id))
        .map(|(f, ..)| read_mail(&outbox.join(f)))
        .unwrap();
    assert!(
        updated.text.contains(&first.tickets[1].uuid),
        "{}",
        updated.text
    );
    assert!(updated.text.contains("transferred to another holder"));
    let notice = got
        .iter()
        .find(|(f, ..)| f == &format!("order-{}-holder-{bea}-v2-notice.eml", second.id))
        .map(|(f, ..)| read_mail(&outbox.join(f)))
        .unwrap();
    assert!(notice.pdf.is_none());
    assert!(notice.text.contains("was refunded"), "{}", notice.text);
    assert!(
        got.iter()
            .any(|(f, ..)| f == &format!("order-{}-holder-{bea}-v1.eml", third.id))
    );
    // The audit log says what was prepared for whom.
    let audit = t
        .as_(PROMOTER, &["--json", "audit", "list", "--event", "1"])
        .ok()
        .json();
    let sends = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ticket.send")
        .count();
    assert_eq!(sends, 6);
    // And again: nothing.
    assert!(files(&send(&t, &outbox)).is_empty());
}

#[test]
fn the_template_is_the_promoters_and_mistakes_in_it_change_nothing() {
    let (t, _, tier) = on_sale_with(&["--max-purchase", "10"]);
    let o = order(&crate::order::buy(&t, BUYER, tier, 1).ok());
    let outbox = t.dir().join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    let tpl = outbox.join("template.txt");
    std::fs::write(&tpl, "Subject: Tickets {evnt}\n\nHi {name}\n").unwrap();
    t.as_(
        PROMOTER,
        &[
            "ticket",
            "send",
            "--event",
            "1",
            "--outbox",
            outbox.to_str().unwrap(),
        ],
    )
    .code(2)
    .err_has("{evnt}")
    .err_has("{event}");
    assert_eq!(
        std::fs::read_dir(&outbox).unwrap().count(),
        1,
        "only the template"
    );
    std::fs::write(
        &tpl,
        "Subject: Ihre Tickets für {event}\n\nHallo {name}, Bestellung {order}: {count}.\n",
    )
    .unwrap();
    let r = send(&t, &outbox);
    let m = read_mail(&outbox.join(&files(&r)[0].0));
    assert!(m.headers["Subject"].starts_with("=?UTF-8?B?"));
    assert_eq!(
        m.text,
        format!("Hallo Bea Buyer, Bestellung {}: 1 ticket.\r\n", o.id)
    );
    // --template names another file.
    let other = t.write_file("t.txt", "no subject line\n");
    t.as_(
        PROMOTER,
        &[
            "ticket",
            "send",
            "--event",
            "1",
            "--outbox",
            outbox.to_str().unwrap(),
            "--template",
            &other,
        ],
    )
    .code(2)
    .err_has("Subject:");
}

#[test]
fn holders_never_share_a_file_and_big_orders_go_out_in_parts() {
    let (t, _, tier) = on_sale_with(&["--quantity", "200"]);
    // Addresses that one file-name spelling would make alike, and a very long one.
    let long = format!("{}@example.com", "x".repeat(230));
    let people = ["a/b@example.com", "a_b@example.com", long.as_str()];
    for p in people {
        t.admin(&["user", "add", p, "--name", "Holder"]).ok();
    }
    let o = order(&crate::order::buy(&t, BUYER, tier, 3).ok());
    for (tk, to) in o.tickets.iter().zip(people) {
        t.as_(BUYER, &["ticket", "transfer", &tk.uuid, "--to", to])
            .ok();
    }
    // And an order too large for one message.
    t.as_(
        PROMOTER,
        &[
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            "120",
            "--comp",
            "--buyer",
            BUYER,
        ],
    )
    .ok();
    let outbox = t.dir().join("outbox");
    let r = send(&t, &outbox);
    let got = files(&r);
    let names: std::collections::BTreeSet<&String> = got.iter().map(|(f, ..)| f).collect();
    assert_eq!(names.len(), got.len(), "two messages share a file: {got:?}");
    for p in people {
        assert_eq!(
            got.iter().filter(|(_, to, _)| to == p).count(),
            1,
            "{p}: {got:?}"
        );
    }
    let parts: Vec<&(String, String, String)> =
        got.iter().filter(|(f, ..)| f.contains("-part")).collect();
    assert_eq!(parts.len(), 3, "120 tickets in parts of 50: {got:?}");
    assert!(parts[0].0.ends_with("-part1of3.eml"));
    let counts: Vec<i64> = r["prepared"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["file"].as_str().unwrap().contains("-part"))
        .map(|p| p["tickets"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [50, 50, 20]);
    for (f, ..) in &got {
        assert!(outbox.join(f).exists(), "{f}");
    }
    // Sent once: the next run has nothing new.
    assert!(files(&send(&t, &outbox)).is_empty());
}

#[test]
fn only_the_events_promoter_or_an_admin_sends() {
    let (t, _, tier) = on_sale_with(&[]);
    buy_tickets(&t, tier, 1);
    let outbox = t.dir().join("outbox");
    let o = outbox.to_str().unwrap();
    for who in [BUYER, OTHER_PROMOTER] {
        t.as_(who, &["ticket", "send", "--event", "1", "--outbox", o])
            .code(4);
    }
    t.run(&["ticket", "send", "--event", "1", "--outbox", o])
        .code(4);
    t.admin(&["ticket", "send", "--event", "9", "--outbox", o])
        .code(3);
    t.admin(&["ticket", "send", "--event", "1", "--outbox", o])
        .ok()
        .out_has("Prepared 1 message");
}
