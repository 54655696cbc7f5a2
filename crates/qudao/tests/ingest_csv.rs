//! The CSV contract of `docs/data-format.md`, checked on hand-written fixtures.
//!
//! `testdata/tiny` is a small valid data set with every table. Each `testdata/bad/<case>`
//! holds only the files that differ from it (an overlay), except `bad/jpy`, which is a whole
//! data set. Every bad case is checked twice: the exact error of a strict load (file, line,
//! column, value, reason) and the exact rejection counts of a lenient load, with
//! `rows loaded + rows rejected == rows in the files` for every table.

// The helpers below are test code too; a failed fixture operation should just fail the test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use qudao::error::Error;
use qudao::ingest::csv::{CsvFiles, LoadOptions, TABLES, load_dir, load_files, write_dir};
use qudao::money::Currency;
use qudao::reject::{RejectReason, Strictness};
use qudao::{Dataset, Location};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn tiny() -> PathBuf {
    testdata().join("tiny")
}

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty temporary directory unique to this test run and `name`.
fn temp_dir(name: &str) -> TempDir {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qudao-ingest-csv-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// `testdata/tiny` with the files of `testdata/bad/<case>` laid over it, in a temp dir.
fn overlay(case: &str) -> TempDir {
    let dir = temp_dir(case);
    copy_files(&tiny(), &dir);
    copy_files(&testdata().join("bad").join(case), &dir);
    dir
}

fn strict() -> LoadOptions {
    LoadOptions::default()
}

fn lenient() -> LoadOptions {
    LoadOptions {
        mode: Strictness::Lenient,
        ..Default::default()
    }
}

/// The data error of a failed load: (file name, line, column, value, reason text).
fn data_error(r: qudao::Result<Dataset>) -> (String, u64, Option<String>, Option<String>, String) {
    match r {
        Err(Error::Data {
            location:
                Location {
                    source,
                    line,
                    column,
                    value,
                },
            reason,
        }) => {
            let file = Path::new(&source)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, line, column, value, reason)
        }
        Err(other) => panic!("expected a data error, got {other:?}"),
        Ok(_) => panic!("expected a data error, the load succeeded"),
    }
}

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

/// Data records in a CSV file (the header excluded), counted independently of the loader.
fn rows_in(path: &Path) -> u64 {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    r.byte_records().count() as u64
}

/// Rows kept per table.
fn loaded(data: &Dataset) -> BTreeMap<&'static str, u64> {
    let m = &data.master;
    let mut out = BTreeMap::from([
        ("territories", m.territories.len() as u64),
        ("channels", m.channels.len() as u64),
        ("partners", m.partners.len() as u64),
        ("categories", m.categories.len() as u64),
        ("products", m.products.len() as u64),
        ("prices", m.prices.entries().len() as u64),
        ("customers", m.customers.len() as u64),
        ("transactions", data.transactions.len() as u64),
    ]);
    for (t, n) in data.ops.counts() {
        out.insert(t, n as u64);
    }
    out
}

/// Nothing is dropped silently: for every table file, kept + rejected == rows in the file.
fn assert_accounted(dir: &Path, data: &Dataset) {
    let kept = loaded(data);
    for &table in TABLES {
        let path = dir.join(format!("{table}.csv"));
        if !path.is_file() {
            continue;
        }
        let rows = rows_in(&path);
        let rejected = data.rejections.total_for(table);
        assert_eq!(
            kept[table] + rejected,
            rows,
            "{table}: {} kept + {rejected} rejected != {rows} rows in the file",
            kept[table]
        );
    }
}

/// The rejection counts of a lenient load as `(table, reason, count)`.
fn counts(data: &Dataset) -> Vec<(String, RejectReason, u64)> {
    let mut out = Vec::new();
    for (t, m) in &data.rejections.counts {
        for (r, n) in m {
            out.push((t.clone(), *r, *n));
        }
    }
    out
}

fn c(table: &str, reason: RejectReason, n: u64) -> (String, RejectReason, u64) {
    (table.to_owned(), reason, n)
}

/// Lenient load of a case with its accounting checked.
fn lenient_load(dir: &Path) -> Dataset {
    let data = load_dir(dir, &lenient()).unwrap();
    assert_accounted(dir, &data);
    data
}

/// The transaction rejections of a lenient load: line and reason, in report order.
fn transaction_rejections(data: &Dataset) -> Vec<(u64, RejectReason)> {
    data.rejections
        .rejections
        .iter()
        .filter(|r| r.table == "transactions")
        .map(|r| (r.location.line, r.reason))
        .collect()
}

// ---------------------------------------------------------------------------------------

#[test]
fn tiny_loads_strictly_with_everything() {
    let data = load_dir(&tiny(), &strict()).unwrap();
    assert!(data.rejections.is_empty());
    assert_accounted(&tiny(), &data);
    let k = loaded(&data);
    assert_eq!(k["territories"], 8);
    assert_eq!(k["channels"], 5);
    assert_eq!(k["partners"], 4);
    assert_eq!(k["categories"], 4);
    assert_eq!(k["products"], 4);
    assert_eq!(k["prices"], 4);
    assert_eq!(k["customers"], 7);
    assert_eq!(k["transactions"], 10);
    assert_eq!(k["targets"], 5);
    assert_eq!(k["channel_costs"], 4);
    assert_eq!(k["inventory"], 4);
    assert_eq!(k["complaints"], 3);
    assert_eq!(k["satisfaction"], 4);
    assert_eq!(k["deliveries"], 3);
    assert_eq!(k["touchpoints"], 4);

    let sum = data.summary().unwrap();
    // Sales 125 + 90 + 30 + 44 + 36 + 176 + 60 + 85 = 646.00, returns 25 + 30 = 55.00.
    assert_eq!(sum.totals.gross_sales, 64_600);
    assert_eq!(sum.totals.returns, 5_500);
    assert_eq!(sum.totals.net_revenue, 59_100);
    assert_eq!(sum.totals.cost, None, "one line has no cost");
    assert_eq!(data.currency(), &Currency::cny());

    let m = &data.master;
    let p1 = m.partners.get(m.partners.code("P1").unwrap()).unwrap();
    assert_eq!(p1.territories.len(), 2);
    assert!(p1.territories[0].exclusive && !p1.territories[1].exclusive);
    assert_eq!(p1.status.len(), 2);
    assert!(p1.onboarding.licence_held);
    assert_eq!(p1.onboarding.brand_alignment, vec![4, 5, 4]);
    assert_eq!(
        m.partners
            .registered_capital(m.partners.code("P2").unwrap()),
        Some(20_000_050)
    );
    assert_eq!(m.products.list_price(m.products.code("SNK1").unwrap()), 880);
    assert_eq!(
        data.ops.targets[0].value, 30_000,
        "revenue targets are money"
    );
    assert_eq!(data.ops.targets[1].value, 20, "unit targets are counts");
    assert_eq!(
        data.ops.touchpoints[1].cost, 0,
        "an empty touchpoint cost is 0"
    );
}

#[test]
fn round_trip_through_write_dir() {
    let first = load_dir(&tiny(), &strict()).unwrap();
    let out = temp_dir("round-trip");
    write_dir(&first, &out).unwrap();
    let second = load_dir(&out, &strict()).unwrap();
    assert_eq!(second.summary().unwrap(), first.summary().unwrap());
    assert_eq!(second.master.to_document(), first.master.to_document());
    assert_eq!(second.ops.targets, first.ops.targets);
    assert_eq!(second.ops.complaints, first.ops.complaints);
    assert_eq!(second.ops.touchpoints, first.ops.touchpoints);
    assert_eq!(second.ops.inventory, first.ops.inventory);
    assert_eq!(second.ops.deliveries, first.ops.deliveries);
    // And writing again gives the same bytes.
    let again = temp_dir("round-trip-again");
    write_dir(&second, &again).unwrap();
    for &t in TABLES {
        let a = std::fs::read(out.join(format!("{t}.csv"))).unwrap();
        let b = std::fs::read(again.join(format!("{t}.csv"))).unwrap();
        assert_eq!(a, b, "{t}.csv differs on the second write");
    }
}

#[test]
fn round_trip_without_customer_or_category_tables() {
    // Customers registered from transactions and categories taken from products survive the
    // trip as explicit tables.
    let dir = temp_dir("open-customers");
    copy_files(&tiny(), &dir);
    std::fs::remove_file(dir.join("customers.csv")).unwrap();
    std::fs::remove_file(dir.join("categories.csv")).unwrap();
    let first = load_dir(&dir, &strict()).unwrap();
    assert_eq!(first.master.categories.len(), 3);
    // C7 only appears in touchpoints: registered too, not rejected.
    assert!(first.master.customers.code("C7").is_some());
    let out = temp_dir("open-customers-out");
    write_dir(&first, &out).unwrap();
    let second = load_dir(&out, &strict()).unwrap();
    assert_eq!(second.summary().unwrap(), first.summary().unwrap());
    assert_eq!(second.master.to_document(), first.master.to_document());
}

#[test]
fn empty_file_is_an_error_in_both_modes() {
    let dir = overlay("empty_file");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("partners.csv", 1, None, None)
    );
    assert!(e.4.contains("empty file: no header row"), "{}", e.4);
    let e = data_error(load_dir(&dir, &lenient()));
    assert_eq!((e.0.as_str(), e.1), ("partners.csv", 1));
}

#[test]
fn header_only_files_are_valid_and_empty() {
    let dir = overlay("header_only");
    for opts in [strict(), lenient()] {
        let data = load_dir(&dir, &opts).unwrap();
        assert!(data.rejections.is_empty());
        assert_eq!(data.transactions.len(), 0);
        assert!(data.ops.touchpoints.is_empty());
        assert_accounted(&dir, &data);
    }
}

#[test]
fn missing_required_column_is_an_error_in_both_modes() {
    let dir = overlay("missing_column");
    for opts in [strict(), lenient()] {
        match load_dir(&dir, &opts) {
            Err(Error::MissingColumn {
                source_name,
                column,
                found,
            }) => {
                assert!(source_name.ends_with("transactions.csv"), "{source_name}");
                assert_eq!(column, "amount");
                assert!(found.starts_with("order, line, date"), "{found}");
            }
            other => panic!("expected MissingColumn, got {other:?}"),
        }
    }
}

#[test]
fn missing_required_file_is_named() {
    let dir = temp_dir("missing-file");
    copy_files(&tiny(), &dir);
    std::fs::remove_file(dir.join("partners.csv")).unwrap();
    match load_dir(&dir, &lenient()) {
        Err(Error::Io { path, source }) => {
            assert!(path.ends_with("partners.csv"), "{path}");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
    // Given files by hand, the missing table is named as well.
    let mut files = CsvFiles::from_dir(&tiny()).unwrap();
    files.paths.remove("transactions");
    let e = load_files(&files, &strict()).unwrap_err();
    assert!(e.to_string().contains("transactions.csv"), "{e}");
}

#[test]
fn non_numeric_quantity() {
    let dir = overlay("bad_quantity");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 4, s("quantity"), s("one"))
    );
    assert_eq!(e.4, "not a whole number");
    let data = lenient_load(&dir);
    // Without the rejected sale of O1002, C2's later return of that product exceeds what C2
    // bought, and is rejected in turn.
    assert_eq!(
        counts(&data),
        vec![
            c("transactions", RejectReason::BadValue, 1),
            c("transactions", RejectReason::ReturnExceedsSale, 1),
        ]
    );
    assert_eq!(data.transactions.len(), 8);
}

#[test]
fn bad_enum_rejects_the_channel_and_what_refers_to_it() {
    let dir = overlay("bad_enum");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("channels.csv", 6, s("kind"), s("live_shopping"))
    );
    assert!(
        e.4.starts_with("not one of: direct, distribution"),
        "{}",
        e.4
    );
    let data = lenient_load(&dir);
    // The `live` channel goes, and so do its price entry, transaction, target, channel cost,
    // satisfaction score, touchpoints and the customer acquired through it.
    assert_eq!(
        counts(&data),
        vec![
            c("channel_costs", RejectReason::UnknownReference, 1),
            c("channels", RejectReason::BadValue, 1),
            c("customers", RejectReason::UnknownReference, 1),
            c("prices", RejectReason::UnknownReference, 1),
            c("satisfaction", RejectReason::UnknownReference, 1),
            c("targets", RejectReason::UnknownReference, 1),
            c("touchpoints", RejectReason::UnknownReference, 2),
            c("transactions", RejectReason::UnknownReference, 1),
        ]
    );
}

#[test]
fn bad_boolean() {
    let dir = overlay("bad_bool");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("partners.csv", 5, s("licence_held"), s("maybe"))
    );
    assert!(e.4.starts_with("not a boolean"), "{}", e.4);
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("partners", RejectReason::BadValue, 1)]
    );
    assert!(data.master.partners.code("P4").is_none());
}

#[test]
fn too_many_decimals_is_never_rounded() {
    let dir = overlay("too_many_decimals");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("products.csv", 3, s("list_price"), s("30.005"))
    );
    assert!(e.4.contains("more than 2 decimal digits"), "{}", e.4);
    let data = lenient_load(&dir);
    // TEA2 goes, and with it its inventory snapshot and its three transactions (one of them
    // a return).
    assert_eq!(
        counts(&data),
        vec![
            c("inventory", RejectReason::UnknownReference, 1),
            c("products", RejectReason::TooManyDecimals, 1),
            c("transactions", RejectReason::TooManyDecimals, 1),
            c("transactions", RejectReason::UnknownReference, 3),
        ]
    );
    let t = data
        .rejections
        .rejections
        .iter()
        .find(|r| r.reason == RejectReason::TooManyDecimals && r.table == "transactions")
        .unwrap();
    assert_eq!(t.location.line, 6);
    assert_eq!(t.location.column, s("amount"));
    assert_eq!(t.location.value, s("36.001"));
}

#[test]
fn impossible_and_out_of_range_dates() {
    let dir = overlay("bad_dates");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 3, s("date"), s("2025-02-30"))
    );
    assert_eq!(e.4, "no such calendar day or time");
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![
            c("transactions", RejectReason::BadValue, 2),
            c("transactions", RejectReason::DateOutOfRange, 1),
        ]
    );
    let out_of_range = data
        .rejections
        .rejections
        .iter()
        .find(|r| r.reason == RejectReason::DateOutOfRange)
        .unwrap();
    assert_eq!(out_of_range.location.line, 5);
    assert_eq!(out_of_range.location.value, s("1899-12-31"));
}

#[test]
fn duplicate_id_in_a_master_table() {
    let dir = overlay("duplicate_id");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("products.csv", 6, s("id"), s("TEA1"))
    );
    assert!(e.4.contains("duplicate"), "{}", e.4);
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("products", RejectReason::DuplicateId, 1)]
    );
    // The first TEA1 is kept.
    let m = &data.master;
    assert_eq!(
        m.products.list_price(m.products.code("TEA1").unwrap()),
        1250
    );
}

#[test]
fn duplicate_order_line() {
    let dir = overlay("duplicate_line");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 4, s("line"), s("1"))
    );
    assert!(e.4.contains("already has a line 1"), "{}", e.4);
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::DuplicateId, 1)]
    );
}

#[test]
fn unknown_references_in_transactions() {
    let dir = overlay("unknown_refs");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 3, s("partner"), s("P9"))
    );
    assert_eq!(e.4, "unknown partner \"P9\"");
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::UnknownReference, 4)]
    );
    let cols: Vec<_> = data
        .rejections
        .rejections
        .iter()
        .map(|r| (r.location.line, r.location.column.clone().unwrap()))
        .collect();
    assert_eq!(
        cols,
        vec![
            (3, "partner".to_owned()),
            (4, "product".to_owned()),
            (5, "territory".to_owned()),
            (6, "channel".to_owned()),
        ]
    );
}

#[test]
fn unknown_parent_rejects_the_children_too() {
    let dir = overlay("unknown_parent");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("partners.csv", 6, s("parent"), s("P9"))
    );
    assert_eq!(e.4, "unknown parent \"P9\"");
    let data = lenient_load(&dir);
    // P5 names an unknown parent; P6 (child of P5) goes with it.
    assert_eq!(
        counts(&data),
        vec![c("partners", RejectReason::UnknownReference, 2)]
    );
    assert_eq!(data.master.partners.len(), 4);
}

#[test]
fn return_larger_than_the_sale() {
    let dir = overlay("return_exceeds");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 12, s("quantity"), s("-3"))
    );
    assert!(e.4.contains("bought only 1"), "{}", e.4);
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::ReturnExceedsSale, 1)]
    );
}

#[test]
fn sale_with_negative_quantity() {
    let dir = overlay("negative_sale");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 3, s("quantity"), s("-2"))
    );
    assert!(e.4.starts_with("a sale has a positive quantity"), "{}", e.4);
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::OutOfRange, 1)]
    );
}

#[test]
fn wrong_field_count() {
    let dir = overlay("field_count");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 3, None, None)
    );
    assert_eq!(e.4, "the row has 15 fields but the header has 14");
    let data = lenient_load(&dir);
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::MalformedRow, 2)]
    );
    assert_eq!(data.rejections.rejections[1].location.line, 5);
}

#[test]
fn renamed_columns() {
    let dir = overlay("renames");
    // Without the renames the canonical column is missing.
    match load_dir(&dir, &strict()) {
        Err(Error::MissingColumn { column, .. }) => assert_eq!(column, "product"),
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    let renames = HashMap::from([(
        "transactions".to_owned(),
        HashMap::from([
            ("product".to_owned(), "sku".to_owned()),
            ("quantity".to_owned(), "qty".to_owned()),
        ]),
    )]);
    let opts = LoadOptions {
        renames: renames.clone(),
        ..strict()
    };
    // Errors name the column as the file spells it.
    let e = data_error(load_dir(&dir, &opts));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 11, s("qty"), s("1.5"))
    );
    let data = load_dir(
        &dir,
        &LoadOptions {
            renames: renames.clone(),
            ..lenient()
        },
    )
    .unwrap();
    assert_accounted(&dir, &data);
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::BadValue, 1)]
    );
    let tiny = load_dir(&tiny(), &strict()).unwrap();
    assert_eq!(
        data.summary().unwrap().totals,
        tiny.summary().unwrap().totals
    );
    // A rename of a column that does not exist is a mistake, not ignored.
    let mut bad = renames;
    bad.get_mut("transactions")
        .unwrap()
        .insert("colour".into(), "x".into());
    let e = load_dir(
        &dir,
        &LoadOptions {
            renames: bad,
            ..strict()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
}

#[test]
fn byte_order_mark_on_the_header() {
    let dir = overlay("bom");
    let head = std::fs::read(dir.join("transactions.csv")).unwrap();
    assert_eq!(&head[..3], b"\xEF\xBB\xBF", "the fixture starts with a BOM");
    let data = lenient_load(&dir);
    assert!(data.rejections.is_empty());
    let tiny = load_dir(&tiny(), &strict()).unwrap();
    assert_eq!(data.summary().unwrap(), tiny.summary().unwrap());
}

#[test]
fn dataset_toml_currency_jpy() {
    let dir = testdata().join("bad/jpy");
    let e = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (e.0.as_str(), e.1, e.2, e.3),
        ("transactions.csv", 3, s("unit_price"), s("12.5"))
    );
    assert_eq!(
        e.4,
        "more than 0 decimal digits (the currency's minor unit); not rounding (JPY)"
    );
    let data = lenient_load(&dir);
    assert_eq!(data.currency().code, "JPY");
    assert_eq!(
        counts(&data),
        vec![c("transactions", RejectReason::TooManyDecimals, 1)]
    );
    assert_eq!(data.summary().unwrap().totals.net_revenue, 1200);
    // A currency given to the loader wins over dataset.toml.
    let data = load_dir(
        &dir,
        &LoadOptions {
            currency: Some(Currency::cny()),
            ..strict()
        },
    )
    .unwrap();
    assert_eq!(data.currency().code, "CNY");
    assert_eq!(data.summary().unwrap().totals.net_revenue, 120_000 + 2_500);
}

#[test]
fn progress_is_reported_per_table() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let opts = LoadOptions {
        progress: Some(Arc::new(move |table: &str, done: u64, total: u64| {
            sink.lock().unwrap().push((table.to_owned(), done, total));
        })),
        ..strict()
    };
    assert!(format!("{opts:?}").contains("progress"));
    load_dir(&tiny(), &opts).unwrap();
    let seen = seen.lock().unwrap();
    let tables: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(tables.len(), TABLES.len());
    for &t in TABLES {
        assert!(tables.contains(&t), "no progress for {t}");
    }
    assert!(seen.iter().all(|s| s.1 == s.2 && s.2 > 0));
}

/// The transaction table is parsed on a second thread in batches of thousands of rows: bad
/// rows spread over several batches must be rejected in file order with their own lines,
/// the good ones kept in order, and a strict load must stop at the first bad row.
#[test]
fn bad_rows_across_parse_batches_keep_file_order() {
    let dir = temp_dir("batches");
    copy_files(&tiny(), &dir);
    let header = std::fs::read_to_string(tiny().join("transactions.csv")).unwrap();
    let header = header.lines().next().unwrap().to_owned();
    let mut text = header + "\n";
    // (file line, what is wrong) of the bad rows, in file order.
    let mut want = Vec::new();
    let rows = 50_000u64;
    for i in 0..rows {
        let line = i + 2;
        let order = format!("B{i:06}");
        let row = match i % 9_973 {
            17 => {
                want.push((line, RejectReason::BadValue));
                format!("{order},1,2025-01-05,C1,P1,dist,TEA1,ZJ,sale,x,12.50,125.00,80.00,")
            }
            18 => {
                want.push((line, RejectReason::MalformedRow));
                format!("{order},1,2025-01-05,C1")
            }
            19 => {
                want.push((line, RejectReason::UnknownReference));
                format!("{order},1,2025-01-05,C1,P1,dist,NOPE,ZJ,sale,10,12.50,125.00,80.00,")
            }
            _ => format!("{order},1,2025-01-05,C1,P1,dist,TEA1,ZJ,sale,10,12.50,125.00,80.00,"),
        };
        text.push_str(&row);
        text.push('\n');
    }
    std::fs::write(dir.join("transactions.csv"), text).unwrap();

    let data = lenient_load(&dir);
    let got: Vec<(u64, RejectReason)> = transaction_rejections(&data);
    assert_eq!(want.len(), 18);
    assert_eq!(got, want);
    // The kept rows, in file order.
    let tx = &data.transactions;
    let kept: Vec<String> = tx
        .chunks
        .iter()
        .flat_map(|c| c.order.iter().map(|&o| tx.order_id(o)))
        .collect();
    let bad: Vec<u64> = want.iter().map(|&(line, _)| line - 2).collect();
    let good: Vec<String> = (0..rows)
        .filter(|i| !bad.contains(i))
        .map(|i| format!("B{i:06}"))
        .collect();
    assert_eq!(kept, good);

    let (file, line, column, _, _) = data_error(load_dir(&dir, &strict()));
    assert_eq!(
        (file.as_str(), line, column),
        ("transactions.csv", 19, s("quantity"))
    );
}

/// Lines without quotes are split without the CSV state machine; a quote hands the rest of
/// the file to the CSV reader. Line numbers must agree across the hand-over, with CRLF line
/// ends, blank lines, a quoted field spanning two lines and no newline at the end.
#[test]
fn plain_lines_hand_over_to_the_csv_reader_at_the_first_quote() {
    let header = std::fs::read_to_string(tiny().join("transactions.csv")).unwrap();
    let header = header.lines().next().unwrap().to_owned();
    let row = |order: &str, product: &str, quantity: &str| {
        format!("{order},1,2025-01-05,C1,P1,dist,{product},ZJ,sale,{quantity},12.50,125.00,80.00,")
    };
    let with_quote = [
        format!("{header}\r\n"),
        format!("{}\r\n", row("B0", "TEA1", "10")), // line 2
        "\r\n".to_owned(),                          // 3, blank
        format!("{}\n", row("B1", "TEA1", "x")),    // 4, bad quantity
        "\n".to_owned(),                            // 5, blank
        format!("{}\n", row("B2", "TEA1", "10")),   // 6
        "B3,1,2025-01-05,C1\n".to_owned(),          // 7, malformed
        format!("{}\n", row("B4", "\"TEA1\"", "10")), // 8, quoted: the CSV reader from here
        format!("{}\n", row("B5", "TEA1", "x")),    // 9, bad quantity
        format!("{}\n", row("B6", "\"TE\nA1\"", "10")), // 10-11, unknown product
        format!("{}\r\n", row("B7", "TEA1", "x")),  // 12, bad quantity
        row("B8", "TEA1", "10"),                    // 13, no newline
    ]
    .concat();
    let plain_only = [
        format!("{header}\r\n"),
        format!("{}\r\n", row("B0", "TEA1", "10")),
        "\r\n".to_owned(),
        format!("{}\n", row("B1", "TEA1", "x")),
        "\n".to_owned(),
        format!("{}\n", row("B2", "TEA1", "10")),
        "B3,1,2025-01-05,C1\n".to_owned(),
        row("B8", "TEA1", "10"),
    ]
    .concat();
    use RejectReason::{BadValue, MalformedRow, UnknownReference};
    let cases = [
        (
            with_quote,
            vec![
                (4, BadValue),
                (7, MalformedRow),
                (9, BadValue),
                (10, UnknownReference),
                (12, BadValue),
            ],
            vec!["B0", "B2", "B4", "B8"],
        ),
        (
            plain_only,
            vec![(4, BadValue), (7, MalformedRow)],
            vec!["B0", "B2", "B8"],
        ),
    ];
    for (text, want_rejected, want_kept) in cases {
        let dir = temp_dir("plain");
        copy_files(&tiny(), &dir);
        std::fs::write(dir.join("transactions.csv"), &text).unwrap();
        let data = lenient_load(&dir);
        let rejected: Vec<(u64, RejectReason)> = transaction_rejections(&data);
        assert_eq!(rejected, want_rejected);
        let tx = &data.transactions;
        let kept: Vec<String> = tx
            .chunks
            .iter()
            .flat_map(|c| c.order.iter().map(|&o| tx.order_id(o)))
            .collect();
        assert_eq!(kept, want_kept);
    }
}

/// Ids are checked as UTF-8 per cell unless the line is plain ASCII: a bad byte is rejected
/// with its column, and a valid non-ASCII id reaches the master data lookup.
#[test]
fn non_ascii_ids_on_plain_lines() {
    let header = std::fs::read_to_string(tiny().join("transactions.csv")).unwrap();
    let header = header.lines().next().unwrap().to_owned();
    let mut bytes = format!("{header}\n").into_bytes();
    bytes.extend_from_slice(b"B0,1,2025-01-05,C1,P1,dist,TEA1,ZJ,sale,10,12.50,125.00,80.00,\n");
    bytes.extend_from_slice(b"B1,1,2025-01-05,C\xff,P1,dist,TEA1,ZJ,sale,10,12.50,125.00,80.00,\n");
    bytes.extend_from_slice(
        "B2,1,2025-01-05,C1,P1,dist,茶,ZJ,sale,10,12.50,125.00,80.00,\n".as_bytes(),
    );
    bytes.extend_from_slice(b"B3,1,2025-01-05,C1,P1,dist,TEA1,ZJ,sale,10,12.50,125.00,80.00,\n");
    let dir = temp_dir("utf8");
    copy_files(&tiny(), &dir);
    std::fs::write(dir.join("transactions.csv"), &bytes).unwrap();
    let data = lenient_load(&dir);
    let rejected: Vec<(u64, Option<String>, RejectReason)> = data
        .rejections
        .rejections
        .iter()
        .filter(|r| r.table == "transactions")
        .map(|r| (r.location.line, r.location.column.clone(), r.reason))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (3, s("customer"), RejectReason::BadValue),
            (4, s("product"), RejectReason::UnknownReference),
        ]
    );
    assert_eq!(data.transactions.len(), 2);
}
