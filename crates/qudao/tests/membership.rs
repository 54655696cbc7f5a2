//! Member tiers and points: hand-computed ledgers and invariants.

use proptest::prelude::*;
use qudao::dataset::{Dataset, DatasetBuilder, TxInput};
use qudao::document::RuleDocument;
use qudao::master::{MasterData, MasterDocument};
use qudao::membership::{
    ChangeReason, EntryKind, LedgerEntry, Membership, RateSource, Redemption, TierScheme, run,
};
use qudao::transactions::TxKind;
use qudao::{Date, Error, Strictness};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{
      "territories": [{"id": "CN", "level": "country"}],
      "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}],
      "products": [{"id": "A", "category": "x", "list_price": "1.00"}]}"#,
        )
        .expect("json"),
    )
    .expect("master")
}

/// `(order, line, date, customer, quantity, amount, original order)`; negative quantity is a
/// return. Amounts are minor units (fen).
type Row<'a> = (&'a str, u32, &'a str, &'a str, i64, i64, Option<&'a str>);

fn data(rows: &[Row<'_>]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, &(order, line, date, customer, quantity, amount, original)) in rows.iter().enumerate() {
        b.push(
            &TxInput {
                order,
                line,
                date: d(date),
                customer,
                partner: None,
                channel: "web",
                product: "A",
                territory: "CN",
                kind: if quantity < 0 {
                    TxKind::Return
                } else {
                    TxKind::Sale
                },
                quantity,
                unit_price: amount.abs() / quantity.abs(),
                amount,
                cost: None,
                original_order: original,
            },
            i as u64 + 2,
        )
        .expect("valid row");
    }
    b.finish().expect("dataset")
}

/// Base (0) ×1, silver (¥1,000.00) ×2, gold (¥3,000.00) ×3; one point per yuan, truncated.
fn scheme(basis: &str, crossing: &str, rounding: &str, expiry: &str) -> TierScheme {
    TierScheme::from_toml(&format!(
        r#"
schema_version = 1
id = "test"
name = {{ en = "Test", zh = "测试" }}
currency = "CNY"
basis = {basis}
points = {{ per_unit = "1", rounding = "{rounding}", crossing_purchase = "{crossing}" }}
expiry = {expiry}
review = {{ every_months = 12, anchor = "2025-01-01" }}
[[tiers]]
id = "base"
label = {{ en = "Base", zh = "普通" }}
threshold = 0
[[tiers]]
id = "silver"
label = {{ en = "Silver", zh = "银卡" }}
threshold = 100000
earn_multiplier = "2"
[[tiers]]
id = "gold"
label = {{ en = "Gold", zh = "金卡" }}
threshold = 300000
earn_multiplier = "3"
benefits = {{ discount_rate = "0.10", priority_service = true }}
"#
    ))
    .expect("scheme")
}

const SPEND: &str = r#"{ kind = "rolling_spend", window_days = 365 }"#;
const MONTH: &str = r#"{ kind = "end_of_month", months = 1 }"#;
const NEVER: &str = r#"{ kind = "none" }"#;

fn spend_scheme() -> TierScheme {
    scheme(SPEND, "earns_at_old_tier", "truncate", MONTH)
}

fn redeem(customer: &str, date: &str, points: i64, reference: &str) -> Redemption {
    Redemption {
        customer: customer.into(),
        date: d(date),
        points,
        reference: reference.into(),
    }
}

/// `(kind, date, points, balance, reference)` of each entry.
fn brief(entries: &[LedgerEntry]) -> Vec<(EntryKind, String, i64, i64, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e.kind,
                e.date.to_string(),
                e.points,
                e.balance,
                e.reference.clone(),
            )
        })
        .collect()
}

fn rows_c1() -> Vec<Row<'static>> {
    vec![
        ("O1", 1, "2025-01-10", "C1", 1, 40_050, None),
        ("O1", 2, "2025-01-10", "C1", 1, 20_000, None), // O1: ¥600.50 → 600
        ("O2", 1, "2025-02-01", "C1", 1, 50_000, None), // crosses ¥1,000 → silver
        ("O3", 1, "2025-02-05", "C1", 1, 1_099, None),  // ¥10.99 × 2 = 21.98 → 21
    ]
}

#[test]
fn hand_computed_ledger_with_upgrade_redemption_and_month_end_expiry() {
    let data = data(&rows_c1());
    let reds = [redeem("C1", "2025-02-20", 500, "R1")];
    let m = run(&data, &spend_scheme(), &reds, d("2025-04-30")).expect("run");
    use EntryKind::*;
    let s = |x: &str| x.to_owned();
    // R1 takes 500 of O1's 600 (oldest first); O1's lot (January) expires at the start of
    // 2025-03-01; the February lots (O2's 500, O3's 21) at the start of 2025-04-01.
    assert_eq!(
        brief(m.ledger_of("C1")),
        vec![
            (Earn, s("2025-01-10"), 600, 600, s("O1")),
            (Earn, s("2025-02-01"), 500, 1100, s("O2")),
            (Earn, s("2025-02-05"), 21, 1121, s("O3")),
            (Redeem, s("2025-02-20"), -500, 621, s("R1")),
            (Expire, s("2025-03-01"), -100, 521, s("earned 2025-01-10")),
            (
                Expire,
                s("2025-04-01"),
                -521,
                0,
                s("earned 2025-02-01 to 2025-02-05")
            ),
        ]
    );
    let l = m.ledger_of("C1");
    assert_eq!(
        (l[1].tier, l[2].tier),
        (0, 1),
        "O2 earns at the old tier, O3 at silver"
    );
    assert_eq!(l[2].rate.to_string(), "2");
    assert_eq!(l[0].amount, 60_050);
    let h = m.history_of("C1");
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].date, h[0].from, h[0].to, h[0].reason, h[0].basis),
        (d("2025-02-01"), 0, 1, ChangeReason::Upgrade, 110_050)
    );
    assert_eq!(h[0].order.as_deref(), Some("O2"));
    let c = m.customer("C1").expect("C1").1;
    assert_eq!(
        (c.earned, c.redeemed, c.expired, c.reversed, c.balance),
        (1121, 500, 621, 0, 0)
    );
    assert_eq!(
        (c.tier, c.rolling_spend, c.next_tier, c.needed),
        (1, Some(111_149), Some(2), Some(300_000 - 111_149))
    );
    assert_eq!(m.tier_counts[1].customers, 1);
}

#[test]
fn the_crossing_purchase_can_earn_at_the_new_tier() {
    let data = data(&rows_c1());
    let m = run(
        &data,
        &scheme(SPEND, "earns_at_new_tier", "truncate", NEVER),
        &[],
        d("2025-12-31"),
    )
    .expect("run");
    let pts: Vec<i64> = m.ledger_of("C1").iter().map(|e| e.points).collect();
    assert_eq!(pts, vec![600, 1000, 21]);
    assert_eq!(m.ledger_of("C1")[1].tier, 1);
}

#[test]
fn downgrade_waits_for_the_review_date() {
    let data = data(&rows_c1());
    let s = spend_scheme();
    // By 2026-02-06 every purchase has left the 365-day window, yet C1 stays silver…
    let m = run(&data, &s, &[], d("2026-06-30")).expect("run");
    let c = m.customer("C1").expect("C1").1;
    assert_eq!((c.tier, c.supported_tier, c.basis), (1, 0, 0));
    assert_eq!(m.next_review, d("2027-01-01"));
    // …because the 2026-01-01 review still saw ¥1,111.49 in the window.
    assert_eq!(m.history_of("C1").len(), 1);
    // At the 2027-01-01 review it drops to the tier the basis supports.
    let m = run(&data, &s, &[], d("2027-01-01")).expect("run");
    let h = m.history_of("C1");
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[1].date, h[1].from, h[1].to, h[1].reason, h[1].basis),
        (d("2027-01-01"), 1, 0, ChangeReason::DowngradeAtReview, 0)
    );
    assert_eq!(m.customer("C1").expect("C1").1.tier, 0);
    assert_eq!(m.tier_counts[0].customers, 1);
}

#[test]
fn points_basis_upgrades_on_balance_and_downgrades_at_review() {
    let mut s = scheme(
        r#"{ kind = "points_balance" }"#,
        "earns_at_old_tier",
        "truncate",
        NEVER,
    );
    s.tiers[1].threshold = 1000;
    s.tiers[2].threshold = 5000;
    let data = data(&rows_c1());
    let reds = [redeem("C1", "2025-03-01", 1000, "R1")];
    let m = run(&data, &s, &reds, d("2026-01-01")).expect("run");
    let h = m.history_of("C1");
    // 600 + 500 = 1100 points on 2025-02-01 → silver; R1 leaves 121; the review on
    // 2026-01-01 takes it back to base.
    assert_eq!(h.len(), 2);
    assert_eq!((h[0].date, h[0].to, h[0].basis), (d("2025-02-01"), 1, 1100));
    assert_eq!((h[1].date, h[1].to, h[1].basis), (d("2026-01-01"), 0, 121));
}

#[test]
fn returns_reverse_at_the_original_rate_with_shortfall() {
    let data = data(&[
        ("O10", 1, "2025-01-05", "C2", 1, 100_000, None), // ¥1,000 → 1000 points, silver
        ("O11", 1, "2025-01-06", "C2", 1, 5_000, None),   // ¥50 at silver → 100 points
        ("R10", 1, "2025-01-08", "C2", -1, -40_000, Some("O10")),
        ("R11", 1, "2025-01-09", "C2", -1, -5_000, None),
    ]);
    let mut s = spend_scheme();
    s.tiers[1].threshold = 90_000;
    // O10 earns 1000 at base and lifts C2 to silver. Redeem 1050 → balance 50.
    let reds = [redeem("C2", "2025-01-07", 1050, "V1")];
    let m = run(&data, &s, &reds, d("2025-01-31")).expect("run");
    let l = m.ledger_of("C2");
    assert_eq!(l.len(), 5);
    // R10 returns ¥400 of O10, which earned at base (×1): 400 due, 50 left to take.
    assert_eq!(
        (l[3].kind, l[3].points, l[3].balance, l[3].shortfall),
        (EntryKind::Reverse, -50, 0, 350)
    );
    assert_eq!(l[3].rate_source, Some(RateSource::OriginalOrder));
    assert_eq!((l[3].tier, l[3].amount), (0, -40_000));
    assert_eq!(l[3].original_order.as_deref(), Some("O10"));
    // R11 names no order: the current tier's rate (silver ×2) → 100 due, nothing to take.
    assert_eq!(
        (l[4].points, l[4].shortfall, l[4].rate_source, l[4].tier),
        (0, 100, Some(RateSource::CurrentTier), 1)
    );
    let c = m.customer("C2").expect("C2").1;
    assert_eq!((c.balance, c.reversed, c.shortfall), (0, 50, 450));
    assert_eq!((m.shortfall_entries, m.shortfall_points), (2, 450));
    // Returns do not downgrade: spend fell to ¥600 but C2 stays silver until the review.
    assert_eq!((c.tier, c.basis), (1, 60_000));
}

#[test]
fn partial_returns_never_reverse_more_than_the_order_earned() {
    // ¥1.00 earns 1 point under half-up; two returns of ¥0.50 would each round to 1 on their
    // own, but together they reverse round(1.00) = 1.
    let data = data(&[
        ("O1", 1, "2025-01-05", "C1", 2, 100, None),
        ("O9", 1, "2025-01-05", "C1", 1, 10_000, None),
        ("R1", 1, "2025-01-06", "C1", -1, -50, Some("O1")),
        ("R2", 1, "2025-01-07", "C1", -1, -50, Some("O1")),
    ]);
    let m = run(
        &data,
        &scheme(SPEND, "earns_at_old_tier", "half_up", NEVER),
        &[],
        d("2025-01-31"),
    )
    .expect("run");
    let pts: Vec<(EntryKind, i64)> = m
        .ledger_of("C1")
        .iter()
        .map(|e| (e.kind, e.points))
        .collect();
    use EntryKind::*;
    assert_eq!(
        pts,
        vec![(Earn, 1), (Earn, 100), (Reverse, -1), (Reverse, 0)]
    );
}

#[test]
fn same_day_events_follow_the_stated_order() {
    // Lines given out of order; within a day: earnings by order id, then reversals, then
    // redemptions by reference.
    let data = data(&[
        ("R1", 1, "2025-01-05", "C1", -1, -1_000, Some("A1")),
        ("B1", 1, "2025-01-05", "C1", 1, 2_000, None),
        ("A1", 1, "2025-01-05", "C1", 1, 3_000, None),
    ]);
    let reds = [
        redeem("C1", "2025-01-05", 5, "Z"),
        redeem("C1", "2025-01-05", 10, "Y"),
    ];
    let m = run(&data, &spend_scheme(), &reds, d("2025-01-05")).expect("run");
    let refs: Vec<(String, i64)> = m
        .ledger_of("C1")
        .iter()
        .map(|e| (e.reference.clone(), e.balance))
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        refs,
        vec![
            (s("A1"), 30),
            (s("B1"), 50),
            (s("R1"), 40),
            (s("Y"), 30),
            (s("Z"), 25)
        ]
    );
}

#[test]
fn redemption_over_balance_or_for_unknown_customer_is_an_error() {
    let data = data(&rows_c1());
    let reds = [redeem("C1", "2025-01-20", 601, "R-9")];
    let err = run(&data, &spend_scheme(), &reds, d("2025-12-31")).expect_err("over balance");
    let text = err.to_string();
    for part in ["C1", "2025-01-20", "R-9", "601", "600"] {
        assert!(text.contains(part), "{text:?} lacks {part}");
    }
    assert!(matches!(err, Error::Data { .. }));
    // After as_of it does not count.
    run(&data, &spend_scheme(), &reds, d("2025-01-19")).expect("ignored after as_of");
    let reds = [redeem("C9", "2025-01-20", 1, "R-1")];
    let err = run(&data, &spend_scheme(), &reds, d("2025-12-31")).expect_err("unknown");
    assert!(err.to_string().contains("C9"), "{err}");
    let reds = [redeem("C1", "2025-01-20", 0, "R-0")];
    assert!(run(&data, &spend_scheme(), &reds, d("2025-12-31")).is_err());
}

#[test]
fn scheme_currency_must_match_the_data() {
    let mut s = spend_scheme();
    s.currency = "USD".into();
    let err = run(&data(&rows_c1()), &s, &[], d("2025-12-31")).expect_err("currency");
    assert!(err.to_string().contains("USD"), "{err}");
}

#[test]
fn as_of_before_all_data_gives_an_empty_ledger() {
    let data = data(&rows_c1());
    let m = run(&data, &spend_scheme(), &[], d("2024-12-31")).expect("run");
    assert!(m.ledger.is_empty() && m.history.is_empty());
    assert_eq!(m.customers.len(), 1);
    let c = &m.customers[0];
    assert_eq!(
        (c.tier, c.balance, c.basis, c.needed),
        (0, 0, 0, Some(100_000))
    );
    assert_eq!(m.tier_counts[0].customers, 1);
    assert_eq!(m.next_review, d("2025-01-01"));
}

#[test]
fn tiny_fixture_with_the_builtin_scheme() {
    use qudao::ingest::csv::{LoadOptions, load_dir};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/tiny");
    let data = load_dir(dir.as_ref(), &LoadOptions::default()).expect("tiny");
    let m = run(&data, &TierScheme::builtin_default(), &[], d("2025-03-31")).expect("run");
    // Every customer of the table is there, sorted by id, all regular.
    let ids: Vec<&str> = m.customers.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]);
    assert_eq!(m.tier_counts[0].customers, 7);
    // C2: bought ¥30 on 2025-01-09, returned it on 2025-03-20 naming no order.
    let c2 = m.customer("C2").expect("C2").1;
    assert_eq!(
        (c2.earned, c2.reversed, c2.balance, c2.basis),
        (30, 30, 0, 0)
    );
    let json = serde_json::to_string(&m).expect("serialize");
    assert!(json.contains("\"kind\":\"reverse\""));
}

// ---- invariants -------------------------------------------------------------------------

/// Sales and returns for a few customers over two years; returns name earlier orders.
fn arb_rows() -> impl Strategy<Value = Vec<(u8, u16, u8, i64, bool)>> {
    // (customer, day, lines, amount per line, return-of-previous-order?)
    prop::collection::vec(
        (0u8..4, 0u16..730, 1u8..3, 0i64..400_000, any::<bool>()),
        1..40,
    )
}

fn build(rows: &[(u8, u16, u8, i64, bool)]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Lenient);
    let base = d("2024-06-01");
    let mut last_order: Vec<Option<(String, u16, i64)>> = vec![None; 4];
    let mut n = 2;
    for (i, &(c, day, lines, amount, ret)) in rows.iter().enumerate() {
        let customer = format!("C{c}");
        let order = format!("O{i:03}");
        let prev = last_order[usize::from(c)].clone();
        if ret && let Some((orig, oday, unit)) = prev {
            let day = oday.max(day);
            b.push(
                &TxInput {
                    order: &order,
                    line: 1,
                    date: base.add_days(i32::from(day)),
                    customer: &customer,
                    partner: None,
                    channel: "web",
                    product: "A",
                    territory: "CN",
                    kind: TxKind::Return,
                    quantity: -1,
                    unit_price: unit,
                    amount: -unit,
                    cost: None,
                    original_order: if i % 3 == 0 { None } else { Some(&orig) },
                },
                n,
            )
            .expect("lenient");
            n += 1;
            last_order[usize::from(c)] = None;
            continue;
        }
        for line in 1..=u32::from(lines) {
            b.push(
                &TxInput {
                    order: &order,
                    line,
                    date: base.add_days(i32::from(day)),
                    customer: &customer,
                    partner: None,
                    channel: "web",
                    product: "A",
                    territory: "CN",
                    kind: TxKind::Sale,
                    quantity: 1,
                    unit_price: amount,
                    amount,
                    cost: None,
                    original_order: None,
                },
                n,
            )
            .expect("lenient");
            n += 1;
        }
        last_order[usize::from(c)] = Some((order, day, amount));
    }
    b.finish().expect("dataset")
}

/// Run, dropping redemptions the balance cannot cover until the run succeeds.
fn run_fitting(
    data: &Dataset,
    scheme: &TierScheme,
    mut reds: Vec<Redemption>,
    as_of: Date,
) -> Membership {
    loop {
        match run(data, scheme, &reds, as_of) {
            Ok(m) => return m,
            Err(Error::Data { location, .. }) if location.source == "redemptions" => {
                reds.remove(location.line as usize - 1);
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn schemes() -> Vec<TierScheme> {
    let mut points = scheme(
        r#"{ kind = "points_balance" }"#,
        "earns_at_old_tier",
        "half_even",
        r#"{ kind = "days", days = 90 }"#,
    );
    points.tiers[1].threshold = 2_000;
    points.tiers[2].threshold = 6_000;
    vec![
        spend_scheme(),
        scheme(SPEND, "earns_at_new_tier", "half_up", NEVER),
        points,
    ]
}

fn shuffled(data: &Dataset, perm: &[usize]) -> Dataset {
    use qudao::column::Column;
    fn p<T: Copy>(c: &Column<T>, perm: &[usize]) -> Column<T> {
        Column::Owned(perm.iter().map(|&i| c[i]).collect())
    }
    let c = &data.transactions.chunks[0];
    let whole = qudao::TxChunk {
        order: p(&c.order, perm),
        line: p(&c.line, perm),
        date: p(&c.date, perm),
        customer: p(&c.customer, perm),
        partner: p(&c.partner, perm),
        channel: p(&c.channel, perm),
        product: p(&c.product, perm),
        territory: p(&c.territory, perm),
        quantity: p(&c.quantity, perm),
        unit_price: p(&c.unit_price, perm),
        amount: p(&c.amount, perm),
        cost: Column::default(),
        cost_valid: None,
        original_order: p(&c.original_order, perm),
    };
    // Split in two chunks as well.
    let half = whole.len() / 2;
    let first: Vec<bool> = (0..whole.len()).map(|i| i >= half).collect();
    let second: Vec<bool> = (0..whole.len()).map(|i| i < half).collect();
    let mut out = data.clone();
    out.transactions.chunks = vec![whole.without_rows(&first), whole.without_rows(&second)];
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn balances_add_up_and_never_go_negative(
        rows in arb_rows(),
        reds in prop::collection::vec((0u8..4, 0u16..800, 1i64..3_000, 0u8..50), 0..12),
        as_of in 0u16..900,
        which in 0usize..3,
    ) {
        let data = build(&rows);
        let base = d("2024-06-01");
        let reds: Vec<Redemption> = reds
            .iter()
            .map(|&(c, day, pts, r)| redeem(&format!("C{c}"), &base.add_days(i32::from(day)).to_string(), pts, &format!("V{r}")))
            .filter(|r| data.master.customers.code(&r.customer).is_some())
            .collect();
        let scheme = &schemes()[which];
        let m = run_fitting(&data, scheme, reds, base.add_days(i32::from(as_of)));
        for (i, c) in m.customers.iter().enumerate() {
            prop_assert!(c.balance >= 0);
            prop_assert_eq!(c.balance, c.earned - c.redeemed - c.expired - c.reversed);
            let mut bal = 0;
            for e in &m.ledger[c.ledger.clone()] {
                prop_assert_eq!(e.customer as usize, i);
                bal += e.points;
                prop_assert_eq!(e.balance, bal);
                prop_assert!(e.balance >= 0 && e.shortfall >= 0);
                prop_assert!(e.date <= m.as_of);
            }
            prop_assert_eq!(bal, c.balance);
            prop_assert!(c.tier >= c.supported_tier);
            // Downgrades only on review dates.
            for h in &m.history[c.history.clone()] {
                if h.reason == ChangeReason::DowngradeAtReview {
                    prop_assert_eq!(scheme.review.on_or_after(h.date), h.date);
                }
            }
        }
        let total: u64 = m.tier_counts.iter().map(|t| t.customers).sum();
        prop_assert_eq!(total as usize, m.customers.len());
    }

    #[test]
    fn shuffled_rows_give_the_same_result(
        rows in arb_rows(),
        seed in any::<u64>(),
        which in 0usize..3,
    ) {
        let data = build(&rows);
        let n = data.transactions.len();
        prop_assume!(n > 1);
        // A seeded Fisher–Yates permutation.
        let mut perm: Vec<usize> = (0..n).collect();
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            perm.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let other = shuffled(&data, &perm);
        let scheme = &schemes()[which];
        let as_of = d("2026-12-31");
        prop_assert_eq!(run(&data, scheme, &[], as_of).expect("run"), run(&other, scheme, &[], as_of).expect("run"));
    }
}
