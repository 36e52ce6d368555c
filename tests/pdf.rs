//! Renders tickets to a PDF and checks them with the tools a person would use:
//! `pdftoppm` (poppler) to rasterise, `zbarimg` and the `rqrr` crate to scan the QR
//! codes, `pdftotext` to extract the text. Skipped, saying so, where a tool is missing
//! (but not on CI, which installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tix::pdf::{TicketPage, render};

const GREEK: &str = "Αλέξανδρος";
const CYRILLIC: &str = "Дмитрий Шостакович";

fn tickets() -> [TicketPage<'static>; 2] {
    let first = TicketPage {
        event_title: "Summer Nights: Shostakovich & Friends — Open-Air Gala",
        when: "Thursday 15 July 2027, 20:00 – 23:00 (Europe/Berlin, UTC+02:00)",
        venue: "Harbour Stage, Am Kai 4, 20457 Hamburg",
        tier: "General Admission",
        price: "49.00 EUR",
        attendee: "Αλέξανδρος Παπαδόπουλος",
        holder: "bea@example.com",
        order: "Order 12",
        code: "TIX1.E1.T42.5F3A9C1E0B7D4E2A8C6F1B3D5E7A9C0B.K2QJ7XH4M9RZ5T8WPL3VNC6YB2D4F7G9J3K5M7P9R2T4V6X8Z3B5D7F9H2J4L6N8Q3S5U7W9Y2A4C6E8G3I5",
        uuid: "5f3a9c1e-0b7d-4e2a-8c6f-1b3d5e7a9c0b",
        note: "Doors open at 19:00. Bags larger than A4 are not allowed inside the venue.\n\nNo re-entry after 22:00.",
    };
    let second = TicketPage {
        attendee: CYRILLIC,
        tier: "VIP Lounge",
        price: "complimentary",
        code: "TIX1.E1.T43.0E1D2C3B4A5946879A8B7C6D5E4F3A2B.ZX9Q2W3E4R5T6Y7U8I9O0PASDFGHJKLZXCVBNMQWERTYUIOP1234567890ABCDEFGHIJKLMNOPQRSTUVW",
        uuid: "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b",
        note: "",
        ..first
    };
    [first, second]
}

/// A fresh directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tix-pdf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn rqrr_decode(png: &Path) -> Vec<String> {
    let img = image::open(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .iter()
        .map(|g| g.decode().unwrap().1)
        .collect()
}

#[test]
fn pdf_scans_and_extracts_with_real_tools() {
    let missing: Vec<_> = ["pdftoppm", "pdftotext", "zbarimg"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        // CI installs them (.ci/run); there, a missing tool is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} missing on CI",
            missing.join(", ")
        );
        eprintln!(
            "skipped: {} not installed (poppler-utils, zbar-tools)",
            missing.join(", ")
        );
        return;
    }
    let dir = scratch("tools");
    let tickets = tickets();
    let pdf_path = dir.join("tickets.pdf");
    std::fs::write(&pdf_path, render(&tickets).unwrap()).unwrap();

    run(Command::new("pdftoppm")
        .args(["-r", "150", "-png"])
        .arg(&pdf_path)
        .arg(dir.join("page")));
    for (i, ticket) in tickets.iter().enumerate() {
        let png = dir.join(format!("page-{}.png", i + 1));
        let zbar = run(Command::new("zbarimg").args(["--raw", "-q"]).arg(&png));
        assert_eq!(
            zbar.trim_end_matches('\n'),
            ticket.code,
            "zbarimg, page {}",
            i + 1
        );
        assert_eq!(rqrr_decode(&png), [ticket.code], "rqrr, page {}", i + 1);
    }

    let text = run(Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf_path)
        .arg("-"));
    for needle in [
        GREEK,
        CYRILLIC,
        tickets[0].uuid,
        tickets[1].uuid,
        "49.00 EUR",
        "Order 12",
        "UTC+02:00",
        "—",
    ] {
        assert!(text.contains(needle), "pdftotext lacks {needle:?}:\n{text}");
    }
    let info = run(Command::new("pdfinfo").arg(&pdf_path));
    assert!(info.contains("Producer:        tix"), "{info}");
    assert!(info.contains("Pages:           2"), "{info}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every PNG that `ticket qr --event` writes (through [`tix::qr::write_many`]) scans with
/// zbarimg and with rqrr to exactly its code: codes of small and huge events, tiers and
/// versions (their length varies), signed by a real key.
#[test]
fn qr_pngs_scan_with_real_tools() {
    let keys = tix::codes::EventKeys::generate().unwrap();
    let mut items = Vec::new();
    for (i, (event_id, tier_id, version)) in [
        (1, 1, 1),
        (7, 300, 2),
        (1 << 20, 1 << 30, 1 << 14),
        (i64::MAX, i64::MAX, i64::MAX),
    ]
    .into_iter()
    .cycle()
    .take(120)
    .enumerate()
    {
        let code = keys.sign(&tix::codes::TicketCode {
            event_id,
            tier_id,
            uuid: uuid::Uuid::new_v4(),
            secret_version: version,
        });
        items.push((format!("t{i:03}"), code));
    }
    let dir = scratch("qr");
    let paths = tix::qr::write_many(&items, &dir, &|_| {}).unwrap();
    assert_eq!(paths.len(), items.len());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    for ((stem, code), path) in items.iter().zip(&paths) {
        assert_eq!(path, &dir.join(format!("{stem}.png")));
        assert_eq!(
            rqrr_decode(path),
            std::slice::from_ref(code),
            "rqrr, {stem}"
        );
    }
    if !have("zbarimg") {
        assert!(std::env::var_os("CI").is_none(), "zbarimg missing on CI");
        eprintln!("skipped the zbarimg half: zbar-tools not installed");
        return;
    }
    // One zbarimg for all of them: one line per image, in the order given.
    let out = run(Command::new("zbarimg").args(["--raw", "-q"]).args(&paths));
    let scanned: Vec<&str> = out.lines().collect();
    let expected: Vec<&str> = items.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(scanned, expected);
}
