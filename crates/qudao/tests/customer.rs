//! The per-customer summary: the CDNOW calibration summary reproduced from the raw
//! transactions, the definitions on hand-made data, and the merge laws.

use proptest::prelude::*;
use qudao::customer::{CustomerOptions, CustomerState, CustomerSummary, Frequency, TimeUnit};
use qudao::dataset::{Dataset, DatasetBuilder, TxInput};
use qudao::master::{MasterData, MasterDocument};
use qudao::reject::RejectReason;
use qudao::transactions::TxKind;
use qudao::{Date, Strictness, TxChunk};

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{"currency": "USD",
      "territories": [{"id": "US", "level": "country"}],
      "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}],
      "products": [{"id": "CD", "category": "music", "list_price": "10.00"}]}"#,
        )
        .expect("json"),
    )
    .expect("master")
}

struct Line<'a> {
    order: &'a str,
    line: u32,
    day: Date,
    customer: &'a str,
    quantity: i64,
    amount: i64,
    cost: Option<i64>,
    original: Option<&'a str>,
}

fn build(lines: &[Line<'_>]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, l) in lines.iter().enumerate() {
        b.push(
            &TxInput {
                order: l.order,
                line: l.line,
                date: l.day,
                customer: l.customer,
                partner: None,
                channel: "web",
                product: "CD",
                territory: "US",
                kind: if l.quantity < 0 {
                    TxKind::Return
                } else {
                    TxKind::Sale
                },
                quantity: l.quantity,
                unit_price: l.amount.abs() / l.quantity.abs().max(1),
                amount: l.amount,
                cost: l.cost,
                original_order: l.original,
            },
            i as u64 + 1,
        )
        .expect("valid line");
    }
    b.finish().expect("dataset")
}

fn ymd(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).expect("date")
}

/// A sale of one CD to `customer` (no customer table: customers are registered as lines
/// name them).
fn named_sale<'a>(order: &'a str, line: u32, customer: &'a str) -> TxInput<'a> {
    TxInput {
        order,
        line,
        date: ymd(2024, 3, 1),
        customer,
        partner: None,
        channel: "web",
        product: "CD",
        territory: "US",
        kind: TxKind::Sale,
        quantity: 1,
        unit_price: 1000,
        amount: 1000,
        cost: None,
        original_order: None,
    }
}

/// A refused line adds no customer to an open table, whichever check refuses it.
#[test]
fn a_refused_line_registers_no_customer() {
    let mut b = DatasetBuilder::new(master(), Strictness::Lenient);
    let refused = [
        // An unknown product, a sale with a negative amount, an order of another
        // customer: each names a customer seen nowhere else.
        TxInput {
            product: "NOPE",
            ..named_sale("O9", 1, "GHOST1")
        },
        TxInput {
            amount: -1000,
            ..named_sale("O8", 1, "GHOST2")
        },
        named_sale("O1", 2, "GHOST3"),
    ];
    b.push(&named_sale("O1", 1, "A"), 1).expect("lenient");
    for (i, t) in refused.iter().enumerate() {
        b.push(t, i as u64 + 2).expect("lenient");
    }
    // A known customer on a duplicate line: refused, nothing to register.
    b.push(&named_sale("O1", 1, "A"), 5).expect("lenient");
    // The first customer of the refused lines, now on a good line, gets the next code.
    b.push(&named_sale("O2", 1, "GHOST1"), 6).expect("lenient");
    let data = b.finish().expect("dataset");

    let ids: Vec<&str> = data.master.customers.ids().names().collect();
    assert_eq!(ids, ["A", "GHOST1"]);
    assert_eq!(data.rejections.total(), 4);
    assert_eq!(
        data.rejections.total_for("transactions"),
        data.rejections.total()
    );
    let reasons: Vec<RejectReason> = data
        .rejections
        .rejections
        .iter()
        .map(|r| r.reason)
        .collect();
    assert_eq!(
        reasons,
        [
            RejectReason::UnknownReference,
            RejectReason::OutOfRange,
            RejectReason::BadValue,
            RejectReason::DuplicateId
        ]
    );
    assert_eq!(&*data.transactions.chunks[0].customer, &[0, 1]);
}

/// Reproduces Hardie's CDNOW calibration summary (x, t_x, T in weeks, zbar) from the raw
/// 2,357-customer sample: x counts repeat purchase *days*, times are days / 7.
#[test]
fn cdnow_summary_from_raw_transactions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/cdnow/");
    let raw = std::fs::read_to_string(format!("{dir}CDNOW_sample.txt")).expect("raw");
    let rows: Vec<(String, Date, i64, i64)> = raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let d = f[2];
            let day = ymd(
                d[..4].parse().expect("y"),
                d[4..6].parse().expect("m"),
                d[6..].parse().expect("d"),
            );
            let cents = (f[4].parse::<f64>().expect("value") * 100.0).round() as i64;
            (
                f[1].trim_start_matches('0').to_owned(),
                day,
                f[3].parse().expect("qty"),
                cents,
            )
        })
        .collect();
    let orders: Vec<String> = (0..rows.len()).map(|i| format!("T{i}")).collect();
    let lines: Vec<Line<'_>> = rows
        .iter()
        .zip(&orders)
        .map(|((c, day, q, cents), o)| Line {
            order: o,
            line: 1,
            day: *day,
            customer: c,
            quantity: (*q).max(1),
            amount: *cents,
            cost: None,
            original: None,
        })
        .collect();
    let ds = build(&lines);
    let opts = CustomerOptions {
        as_of: ymd(1997, 9, 30),
        frequency: Frequency::ActivePeriods,
        period: TimeUnit::Day,
        unit: TimeUnit::Week,
    };
    let t = CustomerSummary::compute(&ds, opts).expect("summary");
    assert_eq!(t.len(), 2357, "every customer bought in the first quarter");
    let want = std::fs::read_to_string(format!(
        "{dir}cdnow_customers_summary_with_transactions.csv"
    ))
    .expect("summary");
    let mut checked = 0;
    for l in want.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let code = ds.master.customers.code(f[0]).expect("known id");
        let r = t.codes().iter().position(|&c| c == code).expect("row");
        let (x, t_x, big_t) = t.btyd(r);
        assert_eq!(x.to_string(), f[1], "x of {}", f[0]);
        assert_eq!(format!("{t_x:.2}"), f[2], "t_x of {}", f[0]);
        assert_eq!(format!("{big_t:.2}"), f[3], "T of {}", f[0]);
        let zbar: f64 = f[4].parse().expect("zbar");
        let mean = if x == 0 {
            0.0
        } else {
            t.repeat_value(r) as f64 / 100.0 / f64::from(x)
        };
        assert!(
            (mean - zbar).abs() < 0.006,
            "zbar of {}: {mean} vs {zbar}",
            f[0]
        );
        checked += 1;
    }
    assert_eq!(checked, 2357);
    // Gamma-Gamma input: the 946 repeat buyers, minus those whose repeat spend was $0.
    let (spend, dropped) = t.spend_rows(100);
    assert_eq!(spend.len() as u64 + dropped, 946);
}

fn sale<'a>(order: &'a str, line: u32, day: Date, customer: &'a str, amount: i64) -> Line<'a> {
    Line {
        order,
        line,
        day,
        customer,
        quantity: 1,
        amount,
        cost: Some(amount / 2),
        original: None,
    }
}

#[test]
fn frequency_rules_and_returns() {
    let d = |n| ymd(2025, 1, 1).add_days(n);
    let ds = build(&[
        sale("O1", 1, d(0), "A", 1000),
        sale("O1", 2, d(0), "A", 500),
        sale("O2", 1, d(0), "A", 200), // same day, second order
        sale("O3", 1, d(10), "A", 300),
        Line {
            order: "R1",
            line: 1,
            day: d(12),
            customer: "A",
            quantity: -1,
            amount: -500,
            cost: Some(-250),
            original: Some("O1"),
        },
        sale("O4", 1, d(3), "B", 700),
        sale("O5", 1, d(40), "B", 100), // after as_of
    ]);
    let as_of = d(20);
    let mk = |frequency| CustomerOptions {
        as_of,
        frequency,
        period: TimeUnit::Day,
        unit: TimeUnit::Day,
    };
    let t = CustomerSummary::compute(&ds, mk(Frequency::DistinctOrders)).expect("summary");
    assert_eq!(t.len(), 2);
    let a = t.row(&ds, 0);
    assert_eq!(a.customer, "A");
    assert_eq!((a.orders, a.lines, a.active_periods), (3, 4, 2));
    assert_eq!(a.frequency, 3);
    assert_eq!(a.monetary, 1000 + 500 + 200 + 300 - 500);
    assert_eq!(a.margin, Some(1500 - 750));
    assert_eq!(a.recency_days, 10);
    assert_eq!((a.x, a.t_x, a.t), (1, 10.0, 20.0));
    // The return is dated on day 12, outside the first period: it nets the repeat value.
    assert_eq!(a.repeat_value, 300 - 500);
    let b = t.row(&ds, 1);
    assert_eq!((b.customer.as_str(), b.monetary, b.x), ("B", 700, 0));
    let lines = CustomerSummary::compute(&ds, mk(Frequency::OrderLines)).expect("summary");
    assert_eq!(lines.frequency(0), 4);
    let periods = CustomerSummary::compute(&ds, mk(Frequency::ActivePeriods)).expect("summary");
    assert_eq!(periods.frequency(0), 2);
    // Weekly periods: days 0 and 10 of 2025 (a Wednesday) are in different ISO weeks.
    let weeks = CustomerSummary::compute(
        &ds,
        CustomerOptions {
            period: TimeUnit::Week,
            unit: TimeUnit::Week,
            ..mk(Frequency::ActivePeriods)
        },
    )
    .expect("summary");
    assert_eq!(weeks.frequency(0), 2);
    let (_, t_x, big_t) = weeks.btyd(0);
    assert!((t_x - 10.0 / 7.0).abs() < 1e-12 && (big_t - 20.0 / 7.0).abs() < 1e-12);
}

#[test]
fn returns_in_the_first_period_net_it_and_only_returns_are_counted() {
    let d = |n| ymd(2025, 3, 1).add_days(n);
    let ds = build(&[
        sale("O1", 1, d(5), "A", 1000),
        // A's return on the purchase day nets the first period.
        Line {
            order: "R1",
            line: 1,
            day: d(5),
            customer: "A",
            quantity: -1,
            amount: -400,
            cost: None,
            original: Some("O1"),
        },
        sale("O2", 1, d(9), "A", 50),
        // C bought after the date but returned (a data-entry oddity) before it.
        sale("O3", 1, d(30), "C", 900),
        Line {
            order: "R2",
            line: 1,
            day: d(1),
            customer: "C",
            quantity: -1,
            amount: -900,
            cost: None,
            original: Some("O3"),
        },
    ]);
    let opts = CustomerOptions::new(d(10), Frequency::DistinctOrders);
    let t = CustomerSummary::compute(&ds, opts).expect("summary");
    assert_eq!(t.len(), 1);
    assert_eq!(t.first_period_value(0), 600);
    assert_eq!(t.repeat_value(0), 50);
    assert_eq!(
        t.margin(0),
        None,
        "a line without cost makes the margin unknown"
    );
    assert_eq!(t.only_returns().len(), 1);
    assert_eq!(ds.master.customers.id(t.only_returns()[0]), "C");
    // Before all data: nothing, and no error.
    let early = CustomerSummary::compute(&ds, CustomerOptions::new(d(0), Frequency::OrderLines))
        .expect("summary");
    assert!(early.is_empty() && early.only_returns().is_empty());
}

fn slice(c: &TxChunk, a: usize, b: usize) -> TxChunk {
    let drop: Vec<bool> = (0..c.len()).map(|i| i < a || i >= b).collect();
    c.without_rows(&drop)
}

fn random_dataset(rows: &[(u8, u8, u16, i64, bool)]) -> Dataset {
    // Orders of one or two lines; every fifth order gets a return of its first line.
    let mut ids = Vec::new();
    for (i, &(c, o, day, amount, _)) in rows.iter().enumerate() {
        ids.push((
            format!("O{}", i / 2),
            format!("C{}", rows[i - i % 2].0 % 16),
            c,
            o,
            day,
            amount,
        ));
    }
    let mut lines: Vec<Line<'_>> = ids
        .iter()
        .enumerate()
        .map(|(i, (order, customer, _, _, day, amount))| Line {
            order,
            line: (i % 2) as u32 + 1,
            day: Date(20_000 + i32::from(*day % 400)),
            customer,
            quantity: 1,
            amount: *amount,
            cost: (amount % 3 != 0).then_some(amount / 2),
            original: None,
        })
        .collect();
    let returns: Vec<(String, usize)> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| i % 2 == 0 && r.4)
        .map(|(i, _)| (format!("R{i}"), i))
        .collect();
    for (rid, i) in &returns {
        let (order, customer, _, _, day, amount) = &ids[*i];
        lines.push(Line {
            order: rid,
            line: 1,
            day: Date(20_000 + i32::from(*day % 400) + 3),
            customer,
            quantity: -1,
            amount: -amount,
            cost: None,
            original: Some(order),
        });
    }
    build(&lines)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any partitioning, merged in any grouping and order, gives the fast path's table, for
    /// every thread count and pair budget; the empty state is the identity.
    #[test]
    fn merge_laws(
        rows in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u16>(), 0i64..5000, any::<bool>()), 1..80),
        cuts in prop::collection::vec(any::<usize>(), 0..4),
        threads in 1usize..4,
        budget in 1usize..20,
        weekly in any::<bool>(),
    ) {
        let ds = random_dataset(&rows);
        let unit = if weekly { TimeUnit::Week } else { TimeUnit::Day };
        let opts = CustomerOptions {
            as_of: Date(20_300),
            frequency: Frequency::ActivePeriods,
            period: unit,
            unit,
        };
        let n = ds.master.customers.len();
        let c = &ds.transactions.chunks[0];
        let mut bounds: Vec<usize> = cuts.iter().map(|&x| x % (c.len() + 1)).collect();
        bounds.extend([0, c.len()]);
        bounds.sort_unstable();
        bounds.dedup();
        let states: Vec<CustomerState> = bounds
            .windows(2)
            .map(|w| {
                let mut s = CustomerState::new(n, opts);
                s.update(&slice(c, w[0], w[1])).expect("codes in range");
                s
            })
            .collect();
        let identity = CustomerState::new(n, opts);
        let forward = states
            .iter()
            .fold(identity.clone(), |acc, s| acc.merge(s).expect("same shape"));
        let backward = states
            .iter()
            .rev()
            .fold(identity.clone(), |acc, s| acc.merge(s).expect("same shape"));
        let fast = CustomerSummary::compute_with(&ds, opts, threads, budget).expect("summary");
        prop_assert_eq!(forward.finish(&ds).expect("finish"), fast.clone());
        prop_assert_eq!(backward.finish(&ds).expect("finish"), fast.clone());
        let with_identity = forward.clone().merge(&identity).expect("same shape");
        prop_assert_eq!(with_identity, forward);
        // Frequencies: lines ≥ orders ≥ 1 and lines ≥ periods ≥ 1; x = periods − 1.
        for r in 0..fast.len() {
            prop_assert!(fast.lines(r) >= fast.orders(r) && fast.orders(r) >= 1);
            prop_assert!(fast.lines(r) >= fast.active_periods(r) && fast.active_periods(r) >= 1);
            prop_assert_eq!(fast.btyd(r).0 + 1, fast.active_periods(r));
            prop_assert!(fast.recency_days(r) >= 0);
        }
    }
}
