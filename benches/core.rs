//! Benchmarks for the paths with speed targets: signing and checking ticket codes,
//! deciding at the gate, issuing a large order, drawing QR PNGs and importing tiers.
//!
//! `cargo bench` runs them; `cargo bench -- order` runs one group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tix::codes::{self, EventKeys, TicketCode};
use tix::ops::checkin::{self, Scan};
use tix::{NewOrder, OpenMode, Store, TierFields};

fn sample_code() -> TicketCode {
    TicketCode {
        event_id: 42,
        tier_id: 7,
        uuid: uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        secret_version: 1,
    }
}

fn bench_codes(c: &mut Criterion) {
    let keys = EventKeys::generate().unwrap();
    let code = sample_code();
    let text = keys.sign(&code);
    let public = keys.public_bytes();
    c.bench_function("codes/sign", |b| b.iter(|| keys.sign(black_box(&code))));
    c.bench_function("codes/parse_and_verify", |b| {
        b.iter(|| {
            codes::parse(black_box(&text))
                .unwrap()
                .verify(&public)
                .unwrap()
        })
    });
}

/// A demo database in a temporary directory, with a big on-sale tier; returns the store,
/// the promoter actor, the fan's email and the tier id.
fn big_store(dir: &std::path::Path, quantity: i64) -> (Store, tix::Actor, i64) {
    let mut store = Store::open(&dir.join("bench.db"), OpenMode::CreateIfMissing).unwrap();
    let demo = tix::ops::demo::run(&mut store).unwrap();
    let promoter = tix::ops::users::actor(&store, Some(&demo.promoter.email)).unwrap();
    let fields = TierFields {
        name: Some(format!("Big {quantity}")),
        price: Some("10".into()),
        quantity: Some(quantity),
        max_purchase: Some(quantity),
        ..TierFields::default()
    };
    let tier = tix::ops::tiers::create(&mut store, &promoter, demo.festival.id, &fields).unwrap();
    (store, promoter, tier.id)
}

fn bench_order(c: &mut Criterion) {
    let mut group = c.benchmark_group("order");
    group.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let (mut store, promoter, tier) = big_store(dir.path(), 10_000_000);
    for n in [1_000i64, 100_000] {
        group.bench_function(format!("create_comp_{n}"), |b| {
            b.iter(|| {
                let order = tix::ops::orders::create(
                    &mut store,
                    &promoter,
                    &NewOrder {
                        tier_id: tier,
                        quantity: n,
                        buyer: Some("fan@demo.tix".into()),
                        comp: true,
                        payment_ref: None,
                    },
                )
                .unwrap();
                black_box(order.tickets.len())
            })
        });
    }
    group.finish();
}

fn bench_checkin(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, promoter, tier) = big_store(dir.path(), 1_000);
    let order = tix::ops::orders::create(
        &mut store,
        &promoter,
        &NewOrder {
            tier_id: tier,
            quantity: 1,
            buyer: Some("fan@demo.tix".into()),
            comp: true,
            payment_ref: None,
        },
    )
    .unwrap();
    let code = order.tickets[0].qr_payload.clone();
    // A dry run decides and logs every scan in its own transaction, like a real one, but
    // admits nobody, so every iteration sees the same ticket.
    c.bench_function("checkin/validate_dry_run", |b| {
        b.iter(|| {
            let scan = Scan {
                code: &code,
                manual: false,
                event_id: Some(order.event_id),
                gate: Some("A"),
                device: "bench",
                dry_run: true,
            };
            black_box(checkin::validate(&mut store, &promoter, &scan).unwrap())
        })
    });
}

fn bench_qr(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let text = EventKeys::generate().unwrap().sign(&sample_code());
    let path = dir.path().join("t.png");
    c.bench_function("qr/write_png", |b| {
        b.iter(|| tix::qr::write_png(black_box(&text), &path).unwrap())
    });
}

/// `tier import` of 10,000 new tiers in one transaction, as a dry run so every iteration
/// starts from the same event: linear in the rows (it once was quadratic).
fn bench_import(c: &mut Criterion) {
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let (mut store, promoter, _) = big_store(dir.path(), 10);
    let event = tix::ops::events::list(&store, &promoter).unwrap()[0].id;
    let mut csv = String::from("name,price,quantity\n");
    for i in 0..10_000 {
        csv.push_str(&format!("Tier {i},10,100\n"));
    }
    let rows = tix::ops::import::parse(csv.as_bytes(), tix::ops::import::Format::Csv).unwrap();
    group.bench_function("10k_rows_dry_run", |b| {
        b.iter(|| {
            tix::ops::import::import(&mut store, &promoter, event, black_box(&rows), true).unwrap()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_codes,
    bench_order,
    bench_checkin,
    bench_qr,
    bench_import
);
criterion_main!(benches);
