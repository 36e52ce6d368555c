//! Offline gate files against hostile edits, in process: whatever an editor puts in a
//! gate file, merging it admits nobody and opening it fails cleanly. `rusqlite` here is
//! the hostile editor, reaching past tix into the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rusqlite::Connection;
use rusqlite::types::Value;
use tix::Actor;
use tix::ops::offline::{GateFile, MergeOptions, export, merge};
use tix::ops::orders::{self, NewOrder};
use tix::store::{GATE_APPLICATION_ID, OpenMode, Store};

/// A demo database with six tickets sold and a gate file exported before any scan.
fn setup(dir: &Path) -> (Store, Actor, i64, Vec<String>, PathBuf) {
    let mut store = Store::open(&dir.join("main.db"), OpenMode::CreateIfMissing).unwrap();
    let demo = tix::ops::demo::run(&mut store).unwrap();
    let buyer = tix::ops::users::actor(&store, Some(&demo.buyer.email)).unwrap();
    let promoter = tix::ops::users::actor(&store, Some(&demo.promoter.email)).unwrap();
    let order = orders::create(
        &mut store,
        &buyer,
        &NewOrder {
            tier_id: demo.tiers[1].id,
            quantity: 6,
            buyer: None,
            comp: false,
            payment_ref: None,
        },
    )
    .unwrap();
    let gate = dir.join("pristine.tixgate");
    export(&mut store, &promoter, demo.festival.id, &gate, false).unwrap();
    let uuids = order.tickets.iter().map(|t| t.uuid.clone()).collect();
    (store, promoter, demo.festival.id, uuids, gate)
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        ".{0,40}".prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Blob),
        prop_oneof![
            Just("ok"),
            Just("code"),
            Just("typed"),
            Just("manual"),
            Just("unknown_ticket")
        ]
        .prop_map(|s| Value::Text(s.into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever rows an editor puts in a gate file's scan log, merge never fails on
    /// them and admits no ticket: none of them carries a code signed by the event.
    #[test]
    fn merge_admits_nothing_from_arbitrary_scan_rows(
        rows in proptest::collection::vec(
            (value(), 0usize..8, value(), value(), value(), value(), value(), value()),
            1..12,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, promoter, event_id, uuids, pristine) = setup(dir.path());
        let gate = dir.path().join("edited.tixgate");
        std::fs::copy(&pristine, &gate).unwrap();
        {
            let c = Connection::open(&gate).unwrap();
            c.execute_batch(
                "CREATE TABLE loose AS SELECT * FROM scans; DROP TABLE scans; ALTER TABLE loose RENAME TO scans;",
            )
            .unwrap();
            for (i, (sv, pick, at, reason, method, code, device, gate_name)) in rows.into_iter().enumerate() {
                // Half the rows name a real ticket, the rest whatever was drawn.
                let ticket = uuids.get(pick).map_or(Value::Null, |u| Value::Text(u.clone()));
                c.execute(
                    "INSERT INTO scans (id, scan_uuid, ticket_uuid, secret_version, scanned_at, reason, method,
                                        code, device, gate, result, dry_run)
                     VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, 'ok'), ?7, ?8, ?9, ?10, 'accepted', 0)",
                    rusqlite::params![i as i64 + 1, format!("row-{i}"), ticket, sv, at, reason, method, code, device, gate_name],
                )
                .unwrap();
            }
        }
        let report = merge(&mut store, &promoter, event_id, &[gate], MergeOptions::default()).unwrap();
        prop_assert_eq!(report.admitted, 0);
        let used: i64 = Connection::open(dir.path().join("main.db"))
            .unwrap()
            .query_row("SELECT count(*) FROM tickets WHERE status = 'used'", [], |r| r.get(0))
            .unwrap();
        prop_assert_eq!(used, 0);
    }

    /// Any bytes at a gate file's path are refused with an error, never a panic.
    #[test]
    fn arbitrary_bytes_are_no_gate_file(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        tixg_header in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tixgate");
        let mut content = bytes;
        if tixg_header {
            // A SQLite header claiming to be a gate file, then garbage.
            let mut header = b"SQLite format 3\0".to_vec();
            header.resize(100, 0);
            header[68..72].copy_from_slice(&(GATE_APPLICATION_ID as u32).to_be_bytes());
            header.extend_from_slice(&content);
            content = header;
        }
        std::fs::write(&path, &content).unwrap();
        prop_assert!(GateFile::open(&path).is_err());
    }
}
