//! Printable tickets: `ticket pdf`, `order pdf`, `ticket pdf --event`. A printed page is
//! read back as a person's tools read it: rendered by a PDF reader (`pdftoppm`), its QR
//! code scanned (`rqrr`) and validated at the gate, its text extracted (`pdftotext`).

use std::path::Path;
use std::process::Command;

use crate::checkin::buy_tickets;
use crate::common::*;
use crate::order::on_sale_with;

/// Whether poppler's tools are here; on CI (which installs them) they must be.
fn have_poppler() -> bool {
    let ok = Command::new("pdftoppm").arg("-v").output().is_ok()
        && Command::new("pdftotext").arg("-v").output().is_ok();
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "pdftoppm/pdftotext missing on CI"
    );
    if !ok {
        eprintln!("skipped: poppler-utils is not installed");
    }
    ok
}

/// Renders page `page` of a PDF as a reader would and decodes the QR codes on it.
fn scan_page(pdf: &Path, page: u32) -> Vec<String> {
    let stem = pdf.with_extension(format!("p{page}"));
    let out = Command::new("pdftoppm")
        .args([
            "-r",
            "110",
            "-png",
            "-singlefile",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(pdf)
        .arg(&stem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(stem.with_extension(format!("p{page}.png")))
        .unwrap()
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .iter()
        .map(|g| g.decode().unwrap().1)
        .collect()
}

fn text_of(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn pages_of(pdf: &Path) -> usize {
    text_of(pdf).matches("ADMISSION TICKET").count()
}

#[test]
fn a_printed_tickets_qr_scans_and_gets_in() {
    if !have_poppler() {
        return;
    }
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let ev = event.to_string();
    t.as_(
        PROMOTER,
        &[
            "event",
            "update",
            &ev,
            "--venue",
            "Arena Nord",
            "--ticket-note",
            "Doors 19:00 · Вход с 19:00",
        ],
    )
    .ok();
    let o = buy_tickets(&t, tier, 2);
    let tk = &o.tickets[0];
    t.as_(
        BUYER,
        &[
            "ticket",
            "attendee",
            &tk.uuid,
            "--name",
            "Αλέξανδρος Παπαδόπουλος",
        ],
    )
    .ok();
    let pdf = t.dir().join("ticket.pdf");
    t.as_(
        BUYER,
        &["ticket", "pdf", &tk.uuid, "--out", pdf.to_str().unwrap()],
    )
    .ok()
    .out_has("1 ticket printed to");
    let text = text_of(&pdf);
    for needle in [
        "Summer Festival",
        "Monday 15 July 2030, 18:00",
        "(Europe/Berlin, UTC+02:00)",
        "Arena Nord",
        "GA",
        "89.50 EUR",
        "Αλέξανδρος Παπαδόπουλος",
        BUYER,
        &format!("Order {}", o.id),
        &tk.uuid,
        "Вход с 19:00",
    ] {
        assert!(text.contains(needle), "the PDF lacks {needle:?}:\n{text}");
    }
    let codes = scan_page(&pdf, 1);
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0], tk.qr_payload);
    // The scanned code gets in at the gate, once.
    t.as_(PROMOTER, &["validate", &codes[0], "--event", &ev])
        .ok();
    t.as_(PROMOTER, &["validate", &codes[0], "--event", &ev])
        .code(6);
    // A used ticket is not printed again.
    t.as_(
        BUYER,
        &[
            "ticket",
            "pdf",
            &tk.uuid,
            "--out",
            pdf.to_str().unwrap(),
            "--force",
        ],
    )
    .code(5)
    .err_has("only a valid ticket is printed");
}

#[test]
fn an_order_prints_what_its_buyer_still_holds_and_an_event_prints_one_file_per_order() {
    if !have_poppler() {
        return;
    }
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let ev = event.to_string();
    let first = buy_tickets(&t, tier, 3);
    let second = buy_tickets(&t, tier, 1);
    let gone = buy_tickets(&t, tier, 2);
    t.as_(PROMOTER, &["-y", "order", "refund", &gone.id.to_string()])
        .ok();
    t.admin(&["user", "add", "cem@example.com", "--name", "Cem"])
        .ok();
    t.as_(
        BUYER,
        &[
            "ticket",
            "transfer",
            &first.tickets[2].uuid,
            "--to",
            "cem@example.com",
        ],
    )
    .ok();
    let pdf = t.dir().join("order.pdf");
    let p = pdf.to_str().unwrap();
    // The buyer: the two tickets they still hold. The promoter: all three.
    t.as_(BUYER, &["order", "pdf", &first.id.to_string(), "--out", p])
        .ok()
        .out_has("2 tickets printed");
    assert_eq!(pages_of(&pdf), 2);
    assert!(!text_of(&pdf).contains(&first.tickets[2].uuid));
    t.as_(
        PROMOTER,
        &["order", "pdf", &first.id.to_string(), "--out", p],
    )
    .code(5)
    .err_has("--force");
    t.as_(
        PROMOTER,
        &["order", "pdf", &first.id.to_string(), "--out", p, "--force"],
    )
    .ok()
    .out_has("3 tickets printed");
    assert_eq!(pages_of(&pdf), 3);
    // The new holder's page carries the new code, which scans.
    let page3 = scan_page(&pdf, 3);
    t.as_(
        PROMOTER,
        &["validate", &page3[0], "--event", &ev, "--dry-run"],
    )
    .ok();
    t.as_(
        PROMOTER,
        &[
            "-y",
            "order",
            "pdf",
            &gone.id.to_string(),
            "--out",
            p,
            "--force",
        ],
    )
    .code(5)
    .err_has("no ticket left to print");

    let dir = t.dir().join("pdfs");
    let d = dir.to_str().unwrap();
    t.as_(PROMOTER, &["ticket", "pdf", "--event", &ev, "--out-dir", d])
        .ok()
        .out_has("4 tickets printed to 2 PDFs (one per order)");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("order-{}.pdf", first.id),
            format!("order-{}.pdf", second.id)
        ]
    );
    assert_eq!(pages_of(&dir.join(&names[0])), 3);
    // Again without --force: refused before anything is written.
    t.as_(PROMOTER, &["ticket", "pdf", "--event", &ev, "--out-dir", d])
        .code(5);
    let quiet = t
        .as_(
            PROMOTER,
            &[
                "-q",
                "ticket",
                "pdf",
                "--event",
                &ev,
                "--out-dir",
                d,
                "--force",
            ],
        )
        .ok();
    assert_eq!(quiet.stdout.lines().count(), 2);
}

#[test]
fn a_large_order_prints_in_parts_and_never_as_one_huge_file() {
    if !have_poppler() {
        return;
    }
    let (t, event, tier) = on_sale_with(&["--quantity", "600"]);
    let ev = event.to_string();
    t.as_(
        PROMOTER,
        &[
            "order",
            "create",
            "--tier",
            &tier.to_string(),
            "--quantity",
            "501",
            "--comp",
            "--buyer",
            BUYER,
        ],
    )
    .ok();
    let pdf = t.dir().join("big.pdf");
    t.as_(
        PROMOTER,
        &["order", "pdf", "1", "--out", pdf.to_str().unwrap()],
    )
    .code(5)
    .err_has("more than the 500 one PDF holds")
    .err_has(&format!("tix ticket pdf --event {ev} --out-dir DIR"));
    assert!(!pdf.exists());
    let dir = t.dir().join("pdfs");
    t.as_(
        PROMOTER,
        &[
            "ticket",
            "pdf",
            "--event",
            &ev,
            "--out-dir",
            dir.to_str().unwrap(),
        ],
    )
    .ok()
    .out_has("501 tickets printed to 2 PDFs (one per order; large orders in parts)");
    assert_eq!(pages_of(&dir.join("order-1-part1of2.pdf")), 500);
    assert_eq!(pages_of(&dir.join("order-1-part2of2.pdf")), 1);
}

#[test]
fn who_may_print_what() {
    let (t, event, tier) = on_sale_with(&["--max-purchase", "10"]);
    let ev = event.to_string();
    let o = buy_tickets(&t, tier, 1);
    let k = &o.tickets[0].uuid;
    let out = t.dir().join("x.pdf");
    let p = out.to_str().unwrap();
    t.as_(OTHER_PROMOTER, &["ticket", "pdf", k, "--out", p])
        .code(4);
    t.run(&["ticket", "pdf", k, "--out", p]).code(4);
    t.as_(
        OTHER_PROMOTER,
        &["order", "pdf", &o.id.to_string(), "--out", p],
    )
    .code(4);
    t.as_(BUYER, &["ticket", "pdf", "--event", &ev, "--out-dir", p])
        .code(4);
    t.admin(&["ticket", "pdf", "999", "--out", p]).code(3);
    t.admin(&["order", "pdf", "999", "--out", p]).code(3);
    t.admin(&["ticket", "pdf", "--event", "999", "--out-dir", p])
        .code(3);
    assert!(!out.exists(), "nothing was written");
    t.as_(BUYER, &["ticket", "pdf", k]).code(2);
    t.admin(&["ticket", "pdf", k, "--out", p]).ok();
    // Never over the database.
    if !t.pg() {
        t.admin(&[
            "ticket",
            "pdf",
            k,
            "--out",
            t.db().to_str().unwrap(),
            "--force",
        ])
        .code(5);
    }
}
