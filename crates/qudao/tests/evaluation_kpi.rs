//! KPIs: hand-computed cases on a tiny company, missing values with their reasons (zero
//! revenue, negative costs, periods without data), row-order and thread invariance, the
//! mergeable partial, and the planted trouble of the sample company.

use std::path::Path;

use qudao::dataset::{Dataset, DatasetBuilder, TxInput};
use qudao::date::{Period, Timestamp};
use qudao::evaluation::kpi::{Grain, KpiOptions, KpiPlan, MarketSize, applies, compute};
use qudao::evaluation::{Kpi, KpiTable, KpiValue, Missing, Subject, SubjectKind};
use qudao::master::{MasterData, MasterDocument};
use qudao::ops::{
    ChannelCost, Complaint, Delivery, InventorySnapshot, Measure, Satisfaction, Target,
    TargetSubject,
};
use qudao::transactions::TxKind;
use qudao::{Date, Strictness};
use rust_decimal::Decimal;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn p(s: &str) -> Period {
    Period::parse(s).expect("period")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{
      "territories": [{"id": "CN", "level": "country"},
                      {"id": "ZJ", "level": "province", "parent": "CN"},
                      {"id": "HZ", "level": "city", "parent": "ZJ"},
                      {"id": "JS", "level": "province", "parent": "CN"}],
      "channels": [{"id": "DIST", "kind": "distribution", "presence": "offline", "role": "main"},
                   {"id": "WEB", "kind": "direct", "presence": "online", "role": "auxiliary"},
                   {"id": "PLATFORM", "kind": "platform_ecommerce", "presence": "online", "role": "auxiliary"},
                   {"id": "TMALL", "kind": "platform_ecommerce", "presence": "online", "role": "auxiliary", "parent": "PLATFORM"}],
      "partners": [{"id": "GA", "model": "distribution", "grade": "A", "channel": "DIST",
                    "territories": [{"territory": "ZJ"}, {"territory": "JS"}]},
                   {"id": "D1", "model": "distribution", "grade": "A", "parent": "GA", "channel": "DIST",
                    "territories": [{"territory": "ZJ"}]},
                   {"id": "D2", "model": "distribution", "grade": "B", "parent": "GA", "channel": "DIST",
                    "territories": [{"territory": "JS"}]}],
      "categories": [{"id": "tea"}],
      "products": [{"id": "G1", "category": "tea", "list_price": "100.00", "launched": "2024-12-01"},
                   {"id": "B1", "category": "tea", "list_price": "100.00", "launched": "2020-01-01"},
                   {"id": "X1", "category": "tea", "list_price": "50.00"}],
      "customers": [{"id": "C1"}, {"id": "C2"}, {"id": "C3"}, {"id": "C4"}]}"#,
        )
        .expect("json"),
    )
    .expect("master")
}

/// order, line, date, customer, partner, channel, product, territory, quantity, yuan, cost
/// yuan, original order.
type Line = (
    &'static str,
    u32,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    Option<i64>,
    Option<&'static str>,
);

/// The tiny company's lines (data from 2025-01-05 to 2025-02-12):
const LINES: &[Line] = &[
    // January
    (
        "O1",
        1,
        "2025-01-05",
        "C1",
        Some("D1"),
        "DIST",
        "G1",
        "HZ",
        2,
        200,
        Some(120),
        None,
    ),
    (
        "O1",
        2,
        "2025-01-05",
        "C1",
        Some("D1"),
        "DIST",
        "B1",
        "HZ",
        1,
        100,
        Some(50),
        None,
    ),
    (
        "O2",
        1,
        "2025-01-20",
        "C1",
        Some("D1"),
        "DIST",
        "B1",
        "HZ",
        1,
        100,
        Some(60),
        None,
    ),
    (
        "O3",
        1,
        "2025-01-25",
        "C2",
        Some("GA"),
        "DIST",
        "B1",
        "JS",
        3,
        300,
        Some(150),
        None,
    ),
    (
        "O4",
        1,
        "2025-01-15",
        "C3",
        None,
        "WEB",
        "X1",
        "HZ",
        1,
        50,
        None,
        None,
    ),
    // February
    (
        "O5",
        1,
        "2025-02-03",
        "C1",
        Some("D1"),
        "DIST",
        "G1",
        "HZ",
        1,
        100,
        Some(60),
        None,
    ),
    (
        "O6",
        1,
        "2025-02-10",
        "C4",
        Some("D2"),
        "DIST",
        "B1",
        "JS",
        2,
        200,
        Some(100),
        None,
    ),
    (
        "R1",
        1,
        "2025-02-12",
        "C2",
        Some("GA"),
        "DIST",
        "B1",
        "JS",
        -1,
        -100,
        Some(-50),
        Some("O3"),
    ),
];

fn build(lines: &[Line]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, l) in lines.iter().enumerate() {
        let (
            order,
            line,
            date,
            customer,
            partner,
            channel,
            product,
            territory,
            qty,
            yuan,
            cost,
            orig,
        ) = *l;
        b.push(
            &TxInput {
                order,
                line,
                date: d(date),
                customer,
                partner,
                channel,
                product,
                territory,
                kind: if qty < 0 {
                    TxKind::Return
                } else {
                    TxKind::Sale
                },
                quantity: qty,
                unit_price: (yuan / qty).abs() * 100,
                amount: yuan * 100,
                cost: cost.map(|c| c * 100),
                original_order: orig,
            },
            i as u64 + 2,
        )
        .expect("valid line");
    }
    let m = b.master().clone();
    let pa = |id: &str| m.partners.code(id).expect("partner");
    let ch = |id: &str| m.channels.code(id).expect("channel");
    let pr = |id: &str| m.products.code(id).expect("product");
    let ts = |s: &str| Timestamp::parse(s.as_bytes()).expect("timestamp");
    let ops = b.ops_mut();
    let target = |kind, subject, period: &str, value| Target {
        subject_kind: kind,
        subject,
        period: p(period),
        measure: Measure::Revenue,
        value,
    };
    ops.targets = vec![
        target(TargetSubject::Partner, pa("D1"), "2025-01", 50_000),
        target(TargetSubject::Partner, pa("D1"), "2025-02", 40_000),
        target(TargetSubject::Partner, pa("D2"), "2025-02", 0),
        target(TargetSubject::Partner, pa("GA"), "2025-Q1", 120_000),
        Target {
            measure: Measure::Orders,
            ..target(TargetSubject::Partner, pa("D2"), "2025-01", 5)
        },
    ];
    ops.channel_costs = vec![
        ChannelCost {
            channel: ch("DIST"),
            period: p("2025-01"),
            cost: 10_000,
        },
        ChannelCost {
            channel: ch("DIST"),
            period: p("2025-02"),
            cost: -500,
        },
        ChannelCost {
            channel: ch("WEB"),
            period: p("2025-01"),
            cost: 1_000,
        },
    ];
    let snap = |date: &str, product, on_hand, rate: &str| InventorySnapshot {
        partner: pa("D1"),
        product,
        date: d(date),
        on_hand,
        daily_sales_rate: dec(rate),
    };
    ops.inventory = vec![
        snap("2025-01-15", pr("G1"), 100, "0.5"),
        snap("2025-01-31", pr("G1"), 40, "0.5"),
        snap("2025-01-31", pr("B1"), 10, "1"),
    ];
    let complaint = |id: &str, opened: &str, resolved: Option<&str>| Complaint {
        id: id.into(),
        partner: pa("D1"),
        channel: ch("DIST"),
        customer: 0,
        opened: ts(opened),
        resolved: resolved.map(ts),
    };
    ops.complaints = vec![
        complaint("CP1", "2025-01-06T10:00:00", Some("2025-01-06T20:00:00")),
        complaint("CP2", "2025-01-21T00:00:00", Some("2025-01-23T00:00:00")),
    ];
    let score = |score| Satisfaction {
        partner: pa("D1"),
        channel: ch("DIST"),
        customer: u32::MAX,
        date: d("2025-01-10"),
        score,
    };
    ops.satisfaction = vec![score(4), score(5)];
    ops.deliveries = vec![
        Delivery {
            order: "O4".into(),
            partner: u32::MAX,
            channel: ch("WEB"),
            ordered: d("2025-01-15"),
            promised: d("2025-01-18"),
            delivered: Some(d("2025-01-17")),
        },
        Delivery {
            order: "O2".into(),
            partner: pa("D1"),
            channel: ch("DIST"),
            ordered: d("2025-01-20"),
            promised: d("2025-01-22"),
            delivered: Some(d("2025-01-25")),
        },
    ];
    b.finish().expect("dataset")
}

fn options() -> KpiOptions {
    let mut o = KpiOptions::new(d("2025-01-01"), d("2025-04-01"), Grain::Month);
    o.as_of = d("2025-02-14");
    o.market_size = vec![MarketSize {
        subject: subj(SubjectKind::Territory, "ZJ"),
        period: p("2025-01"),
        value: 450_000,
    }];
    o.threads = 1;
    o
}

fn subj(kind: SubjectKind, id: &str) -> Subject {
    Subject {
        kind,
        id: id.into(),
    }
}

fn get(t: &KpiTable, kind: SubjectKind, id: &str, period: &str, kpi: Kpi) -> KpiValue {
    t.get(&subj(kind, id), p(period), kpi)
        .unwrap_or_else(|| panic!("{kind:?} {id} {period} {kpi} was not computed"))
        .clone()
}

fn val(t: &KpiTable, kind: SubjectKind, id: &str, period: &str, kpi: Kpi) -> Decimal {
    match get(t, kind, id, period, kpi) {
        KpiValue::Value(v) => v,
        KpiValue::Missing(m) => panic!("{kind:?} {id} {period} {kpi}: missing ({m})"),
    }
}

fn why(t: &KpiTable, kind: SubjectKind, id: &str, period: &str, kpi: Kpi) -> Missing {
    match get(t, kind, id, period, kpi) {
        KpiValue::Value(v) => panic!("{kind:?} {id} {period} {kpi}: expected missing, got {v}"),
        KpiValue::Missing(m) => m,
    }
}

fn zero(what: &str) -> Missing {
    Missing::ZeroDenominator { what: what.into() }
}

fn no_data(input: &str) -> Missing {
    Missing::NoData {
        input: input.into(),
    }
}

use SubjectKind::{Channel as Ch, Partner as Pa, Product as Pr, Territory as Te};

#[test]
fn every_kpi_of_every_subject_and_period_is_filled() {
    let t = compute(&build(LINES), &options()).expect("computes");
    assert_eq!(t.periods, vec![p("2025-01"), p("2025-02"), p("2025-03")]);
    // 4 channels + 3 partners + 4 territories + 3 products.
    assert_eq!(t.values.len(), 14);
    for (s, per) in &t.values {
        assert_eq!(per.len(), 3);
        for values in per.values() {
            assert_eq!(values.len(), Kpi::ALL.len());
            for (k, v) in values {
                if !applies(s.kind, *k) {
                    assert_eq!(*v, KpiValue::Missing(Missing::NotApplicable), "{s:?} {k}");
                }
            }
        }
    }
}

#[test]
fn sales_kpis_by_hand() {
    let t = compute(&build(LINES), &options()).expect("computes");
    // D1 in January: O1 (200 + 100) and O2 (100) → 400.00, 2 + 1 + 1 = 4 units, 2 orders.
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::Revenue), dec("400.00"));
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::Units), dec("4"));
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::Orders), dec("2"));
    // Partner lines in January: D1 400 + GA 300 = 700 (O4 is direct) → 400 / 700 = 0.571429.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::ContributionRate),
        dec("0.571429")
    );
    // Costs 120 + 50 + 60 = 230 → (400 − 230) / 400 = 0.425.
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::GrossMargin), dec("0.425"));
    // Target 500.00 → 400 / 500 = 0.8.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::TargetAttainment),
        dec("0.8")
    );
    // January is over at as_of 2025-02-14, so the pace is the attainment.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::AttainmentAtPace),
        dec("0.8")
    );
    // February so far (1st–14th): O5 100 → 100 × 28 days / (14 days × 400 target) = 0.5.
    assert_eq!(
        val(&t, Pa, "D1", "2025-02", Kpi::AttainmentAtPace),
        dec("0.5")
    );
    // February: 100 / 400 = 0.25, growth (100 − 400) / 400 = −0.75.
    assert_eq!(
        val(&t, Pa, "D1", "2025-02", Kpi::TargetAttainment),
        dec("0.25")
    );
    assert_eq!(val(&t, Pa, "D1", "2025-02", Kpi::GrowthPop), dec("-0.75"));
    // C1 bought twice (O1, O2) in January → 1 / 1; and again in February → retained 1 / 1.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::RepeatPurchaseRate),
        dec("1")
    );
    assert_eq!(
        val(&t, Pa, "D1", "2025-02", Kpi::CustomerRetention),
        dec("1")
    );
    // G1 (launched 2024-12-01) is new for 180 days: 200 of 400 → 0.5.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::NewProductSellThrough),
        dec("0.5")
    );
    // GA: February is only the return of 100.00 → −100.00; (−100 − 300) / 300 = −1.333333.
    assert_eq!(val(&t, Pa, "GA", "2025-02", Kpi::Revenue), dec("-100.00"));
    assert_eq!(
        val(&t, Pa, "GA", "2025-02", Kpi::GrowthPop),
        dec("-1.333333")
    );
    // C2's only order is O3 in January; the return in February is not an order.
    assert_eq!(val(&t, Pa, "GA", "2025-02", Kpi::Orders), dec("0"));
    assert_eq!(
        val(&t, Pa, "GA", "2025-02", Kpi::CustomerRetention),
        dec("0")
    );
    // GA's target is for the quarter, not the month.
    assert_eq!(
        why(&t, Pa, "GA", "2025-01", Kpi::TargetAttainment),
        no_data("revenue targets")
    );
    // Territories roll up: ZJ = HZ = D1 400 + O4 50 = 450; CN = 750; 450 / 750 = 0.6.
    assert_eq!(val(&t, Te, "ZJ", "2025-01", Kpi::Revenue), dec("450.00"));
    assert_eq!(val(&t, Te, "CN", "2025-01", Kpi::Revenue), dec("750.00"));
    assert_eq!(
        val(&t, Te, "ZJ", "2025-01", Kpi::ContributionRate),
        dec("0.6")
    );
    assert_eq!(val(&t, Te, "CN", "2025-01", Kpi::Orders), dec("4"));
    // Market size 4,500.00 → 450 / 4500 = 0.1; no size for JS.
    assert_eq!(val(&t, Te, "ZJ", "2025-01", Kpi::MarketShare), dec("0.1"));
    assert_eq!(
        why(&t, Te, "JS", "2025-01", Kpi::MarketShare),
        no_data("market size")
    );
    // Products: G1 in January 200.00 in one order.
    assert_eq!(val(&t, Pr, "G1", "2025-01", Kpi::Revenue), dec("200.00"));
    assert_eq!(val(&t, Pr, "B1", "2025-01", Kpi::Orders), dec("3"));
}

#[test]
fn cost_kpis_by_hand() {
    let t = compute(&build(LINES), &options()).expect("computes");
    // DIST in January: 400 + 300 = 700; channel cost 100 → 100 / 700 = 0.142857.
    assert_eq!(
        val(&t, Ch, "DIST", "2025-01", Kpi::ChannelCostRatio),
        dec("0.142857")
    );
    // Cost of goods 230 + 150 = 380; gross profit 700 − 380 = 320; (320 − 100) / 100 = 2.2.
    assert_eq!(val(&t, Ch, "DIST", "2025-01", Kpi::Roi), dec("2.2"));
    // WEB: 10 / 50 = 0.2; O4 has no cost, so no ROI and no gross margin.
    assert_eq!(
        val(&t, Ch, "WEB", "2025-01", Kpi::ChannelCostRatio),
        dec("0.2")
    );
    assert_eq!(
        why(&t, Ch, "WEB", "2025-01", Kpi::Roi),
        Missing::Other {
            detail: "1 of 1 lines have no cost of goods".into()
        }
    );
    assert_eq!(
        why(&t, Ch, "WEB", "2025-01", Kpi::GrossMargin),
        no_data("cost of goods")
    );
    // A negative channel cost is not used: the KPIs that need it say so.
    let neg = why(&t, Ch, "DIST", "2025-02", Kpi::ChannelCostRatio);
    assert!(
        matches!(&neg, Missing::Other { detail } if detail.contains("negative") && detail.contains("-5.00")),
        "{neg:?}"
    );
    assert_eq!(why(&t, Ch, "DIST", "2025-02", Kpi::Roi), neg);
    // PLATFORM (and TMALL under it) sold nothing and has no costs.
    assert_eq!(
        val(&t, Ch, "PLATFORM", "2025-01", Kpi::Revenue),
        dec("0.00")
    );
    assert_eq!(
        why(&t, Ch, "PLATFORM", "2025-01", Kpi::ChannelCostRatio),
        no_data("channel costs")
    );
}

#[test]
fn operational_kpis_by_hand() {
    let t = compute(&build(LINES), &options()).expect("computes");
    // Last counts in January: G1 40 at 0.5/day, B1 10 at 1/day → 50 / 1.5 = 33.333333 days.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::InventoryTurnoverDays),
        dec("33.333333")
    );
    // Counts: G1 100/0.5 = 200 days and 40/0.5 = 80 days are above 60; B1 10 days is not.
    // Units in backlog over units counted: (100 + 40) / (100 + 40 + 10) = 140 / 150.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::BacklogRate),
        dec("0.933333")
    );
    assert_eq!(
        val(&t, Pr, "G1", "2025-01", Kpi::InventoryTurnoverDays),
        dec("80")
    );
    assert_eq!(val(&t, Pr, "G1", "2025-01", Kpi::BacklogRate), dec("1"));
    assert_eq!(
        why(&t, Pa, "D1", "2025-02", Kpi::BacklogRate),
        no_data("inventory")
    );
    // Two complaints over two orders → 1; one resolved in 10 h, one in 48 h → 0.5 within 24 h.
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::ComplaintRate), dec("1"));
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::ComplaintsResolvedInSla),
        dec("0.5")
    );
    // DIST sees the same complaints over its 3 January orders → 2 / 3.
    assert_eq!(
        val(&t, Ch, "DIST", "2025-01", Kpi::ComplaintRate),
        dec("0.666667")
    );
    // No complaints in February over one order: a real 0; the SLA share has nothing to share.
    assert_eq!(val(&t, Pa, "D1", "2025-02", Kpi::ComplaintRate), dec("0"));
    assert_eq!(
        why(&t, Pa, "D1", "2025-02", Kpi::ComplaintsResolvedInSla),
        no_data("complaints")
    );
    // Scores 4 and 5 → 4.5.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::MeanSatisfaction),
        dec("4.5")
    );
    // O2: promised the 22nd, delivered the 25th: late, 5 days. O4 (WEB): on time, 2 days.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01", Kpi::OnTimeDeliveryRate),
        dec("0")
    );
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::OrderCycleTime), dec("5"));
    assert_eq!(
        val(&t, Ch, "WEB", "2025-01", Kpi::OnTimeDeliveryRate),
        dec("1")
    );
    assert_eq!(val(&t, Ch, "WEB", "2025-01", Kpi::OrderCycleTime), dec("2"));
}

#[test]
fn missing_values_say_why() {
    let t = compute(&build(LINES), &options()).expect("computes");
    // D2 sold nothing in January (a covered month): revenue 0, but ratios over it are missing.
    assert_eq!(val(&t, Pa, "D2", "2025-01", Kpi::Revenue), dec("0.00"));
    assert_eq!(
        why(&t, Pa, "D2", "2025-01", Kpi::GrossMargin),
        zero("revenue of lines with a cost")
    );
    assert_eq!(
        why(&t, Pa, "D2", "2025-01", Kpi::RepeatPurchaseRate),
        zero("buying customers")
    );
    assert_eq!(
        why(&t, Pa, "D2", "2025-01", Kpi::NewProductSellThrough),
        zero("revenue")
    );
    // …and growth over a zero month is missing, not infinite.
    assert_eq!(
        why(&t, Pa, "D2", "2025-02", Kpi::GrowthPop),
        zero("revenue of the previous period")
    );
    assert_eq!(
        why(&t, Pa, "D2", "2025-02", Kpi::TargetAttainment),
        zero("revenue target")
    );
    // December 2024 and January 2024 precede the data: no growth.
    assert_eq!(
        why(&t, Pa, "D1", "2025-01", Kpi::GrowthPop),
        no_data("transactions of the previous period")
    );
    assert_eq!(
        why(&t, Pa, "D1", "2025-01", Kpi::GrowthYoy),
        no_data("transactions of a year earlier")
    );
    // March is after the data: every transaction KPI is missing, none is 0.
    for kpi in [
        Kpi::Revenue,
        Kpi::Units,
        Kpi::Orders,
        Kpi::ContributionRate,
        Kpi::ComplaintRate,
    ] {
        assert_eq!(
            why(&t, Pa, "D1", "2025-03", kpi),
            no_data("transactions"),
            "{kpi}"
        );
    }
    // March has not started at as_of.
    assert!(matches!(
        why(&t, Pa, "D1", "2025-03", Kpi::AttainmentAtPace),
        Missing::NoData { .. } | Missing::Other { .. }
    ));
    // Empty operational tables are no data, not zero.
    let mut bare = build(LINES);
    bare.ops = Default::default();
    let t = compute(&bare, &options()).expect("computes");
    assert_eq!(
        why(&t, Pa, "D1", "2025-01", Kpi::ComplaintRate),
        no_data("complaints")
    );
    assert_eq!(
        why(&t, Pa, "D1", "2025-01", Kpi::MeanSatisfaction),
        no_data("satisfaction")
    );
    assert_eq!(
        why(&t, Ch, "WEB", "2025-01", Kpi::OnTimeDeliveryRate),
        no_data("deliveries")
    );
    assert_eq!(
        why(&t, Pa, "D1", "2025-01", Kpi::TargetAttainment),
        no_data("revenue targets")
    );
}

#[test]
fn partners_roll_up_when_asked() {
    let mut o = options();
    o.roll_up = true;
    let t = compute(&build(LINES), &o).expect("computes");
    // GA + D1 + D2 in January: 300 + 400 + 0 = 700, orders O1, O2, O3.
    assert_eq!(val(&t, Pa, "GA", "2025-01", Kpi::Revenue), dec("700.00"));
    assert_eq!(val(&t, Pa, "GA", "2025-01", Kpi::Orders), dec("3"));
    // Buyers C1 (2 orders) and C2 (1) → 1 / 2.
    assert_eq!(
        val(&t, Pa, "GA", "2025-01", Kpi::RepeatPurchaseRate),
        dec("0.5")
    );
    // D1's complaints count for GA too: 2 over 3 orders.
    assert_eq!(
        val(&t, Pa, "GA", "2025-01", Kpi::ComplaintRate),
        dec("0.666667")
    );
}

#[test]
fn quarters_and_custom_periods() {
    let mut o = options();
    o.grain = Grain::Quarter;
    let t = compute(&build(LINES), &o).expect("computes");
    assert_eq!(t.periods, vec![p("2025-Q1")]);
    // Q1: 400 + 100 (D1) + 300 − 100 (GA) + 200 (D2) = 900 partner revenue; GA alone 200.
    // GA's quarter target 1,200.00 → 200 / 1200 = 0.166667.
    assert_eq!(
        val(&t, Pa, "GA", "2025-Q1", Kpi::TargetAttainment),
        dec("0.166667")
    );
    // D1's monthly targets add up only where they cover the quarter: they do not (no March).
    assert_eq!(
        why(&t, Pa, "D1", "2025-Q1", Kpi::TargetAttainment),
        no_data("revenue targets")
    );
    // C1 ordered O1, O2, O5 → repeat buyer of D1 in the quarter.
    assert_eq!(
        val(&t, Pa, "D1", "2025-Q1", Kpi::RepeatPurchaseRate),
        dec("1")
    );
    assert_eq!(val(&t, Pa, "D1", "2025-Q1", Kpi::Orders), dec("3"));
    // Overlapping custom periods: January and 2025-01-15..2025-02-14.
    o.grain = Grain::Custom(vec![p("2025-01"), p("2025-01-15..2025-02-14")]);
    let t = compute(&build(LINES), &o).expect("computes");
    // D1: O2 (100, Jan 20) + O5 (100, Feb 3) = 200.00 in the second period.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01-15..2025-02-14", Kpi::Revenue),
        dec("200.00")
    );
    assert_eq!(val(&t, Pa, "D1", "2025-01", Kpi::Revenue), dec("400.00"));
    // Its previous period (2024-12-16..2025-01-14) holds O1 (300): (200 − 300) / 300.
    assert_eq!(
        val(&t, Pa, "D1", "2025-01-15..2025-02-14", Kpi::GrowthPop),
        dec("-0.333333")
    );
}

#[test]
fn bad_options_are_errors_naming_the_option() {
    let data = build(LINES);
    let mut o = options();
    o.to = o.from;
    let e = compute(&data, &o).expect_err("empty range");
    assert!(e.to_string().contains("options.to"), "{e}");
    let mut o = options();
    o.backlog_days = Decimal::ZERO;
    assert!(compute(&data, &o).is_err());
    let mut o = options();
    o.market_size[0].subject.id = "NOPE".into();
    let e = compute(&data, &o).expect_err("unknown subject");
    assert!(e.to_string().contains("market_size[0]"), "{e}");
    let mut o = options();
    o.grain = Grain::Custom(vec![]);
    assert!(compute(&data, &o).is_err());
}

#[test]
fn row_order_does_not_matter() {
    let want = compute(&build(LINES), &options()).expect("computes");
    let mut rev: Vec<Line> = LINES.to_vec();
    rev.reverse();
    // Interleave orders too: lines of O1 are no longer next to each other.
    rev.swap(0, 6);
    assert_eq!(compute(&build(&rev), &options()).expect("computes"), want);
}

#[test]
fn partials_merge_to_the_whole() {
    let data = build(LINES);
    let o = options();
    let plan = KpiPlan::new(&data, &o).expect("plan");
    let want = plan.run(&data, 1).expect("runs");
    let c = &data.transactions.chunks[0];
    let n_cust = data.master.customers.len() as u32;
    // Lines split 3 / rest, customers split 0..2 / 2..n, merged in the other order.
    let mut a = plan.empty_state();
    plan.add_lines(&mut a, c, 0..3);
    plan.add_customers(&mut a, &data, 2..n_cust);
    let mut b = plan.empty_state();
    plan.add_lines(&mut b, c, 3..c.len());
    plan.add_customers(&mut b, &data, 0..2);
    b.merge(&a);
    assert_eq!(plan.finish(&data, &b).expect("finishes"), want);
}

#[test]
fn threads_do_not_change_the_table() {
    let data = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(140_000))
        .expect("sample")
        .dataset;
    let mut o = KpiOptions::new(d("2024-01-01"), d("2026-01-01"), Grain::Quarter);
    o.threads = 1;
    let one = compute(&data, &o).expect("computes");
    o.threads = 3;
    assert_eq!(compute(&data, &o).expect("computes"), one);
    // Splitting the lines into chunks in another order changes nothing either.
    let mut moved = data.clone();
    let c = &moved.transactions.chunks[0];
    let half: Vec<bool> = (0..c.len()).map(|i| i < c.len() / 2).collect();
    let other: Vec<bool> = half.iter().map(|b| !b).collect();
    moved.transactions.chunks = vec![c.without_rows(&half), c.without_rows(&other)];
    assert_eq!(compute(&moved, &o).expect("computes"), one);
}

fn load_sample() -> (Dataset, serde_json::Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample");
    let data = qudao::ingest::csv::load_dir(&root, &Default::default()).expect("sample loads");
    let planted: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("planted.json")).expect("planted.json"),
    )
    .expect("json");
    (data, planted)
}

#[test]
fn the_overstocked_partner_has_the_backlog() {
    let (data, planted) = load_sample();
    let who = planted["overstocked_partner"].as_str().expect("id");
    let mut o = KpiOptions::new(d("2024-01-01"), d("2026-01-01"), Grain::Month);
    o.kinds = vec![Pa];
    let t = compute(&data, &o).expect("computes");
    let mut months = 0;
    for period in &t.periods {
        let mine = t
            .get(&subj(Pa, who), *period, Kpi::BacklogRate)
            .and_then(KpiValue::value)
            .expect("the overstocked partner is counted every month");
        assert!(mine > Decimal::ZERO, "{period}");
        for s in t.subjects(Pa).filter(|s| s.id != who) {
            if let Some(v) = t
                .get(s, *period, Kpi::BacklogRate)
                .and_then(KpiValue::value)
            {
                assert!(v < mine, "{} {period}: {v} ≥ {mine}", s.id);
            }
        }
        months += 1;
    }
    assert_eq!(months, 24);
    // At a realistic size the days of stock show it too: the partner's mean days of stock is
    // the highest of all partners and more than twice the median partner's.
    let s =
        qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(120_000)).expect("sample");
    let t = compute(&s.dataset, &o).expect("computes");
    let mean = |id: &str| -> Option<Decimal> {
        let v: Vec<Decimal> = t
            .periods
            .iter()
            .filter_map(|p| {
                t.get(&subj(Pa, id), *p, Kpi::InventoryTurnoverDays)
                    .and_then(KpiValue::value)
            })
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<Decimal>() / Decimal::from(v.len()))
    };
    let who = s.planted.overstocked_partner.as_str();
    let mine = mean(who).expect("counted");
    let mut others: Vec<Decimal> = t
        .subjects(Pa)
        .filter(|s| s.id != who)
        .filter_map(|s| mean(&s.id))
        .collect();
    others.sort();
    assert!(others.len() > 10);
    assert!(others.iter().all(|v| *v < mine), "{mine} vs {others:?}");
    assert!(mine > others[others.len() / 2] * Decimal::TWO);
}

#[test]
fn the_complaints_partner_complains_more_and_more() {
    let s =
        qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(120_000)).expect("sample");
    let who = s.planted.rising_complaints_partner.as_str();
    let halves = vec![p("2024-H1"), p("2024-H2"), p("2025-H1"), p("2025-H2")];
    let mut o = KpiOptions::new(d("2024-01-01"), d("2026-01-01"), Grain::Custom(halves));
    o.kinds = vec![Pa];
    let t = compute(&s.dataset, &o).expect("computes");
    let rates: Vec<Decimal> = t
        .periods
        .iter()
        .map(|p| val(&t, Pa, who, &p.to_string(), Kpi::ComplaintRate))
        .collect();
    // Half-year over half-year the rate rises every time.
    assert!(rates.windows(2).all(|w| w[0] < w[1]), "{rates:?}");
    // Month over month: its monthly rate has the steepest upward trend of all partners.
    o.grain = Grain::Month;
    let t = compute(&s.dataset, &o).expect("computes");
    let slope = |id: &str| -> Option<f64> {
        let pts: Vec<(f64, f64)> = t
            .periods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let v = t.get(&subj(Pa, id), *p, Kpi::ComplaintRate)?.value()?;
                Some((i as f64, v.to_string().parse::<f64>().ok()?))
            })
            .collect();
        if pts.len() < 18 {
            return None;
        }
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        Some(sxy / sxx)
    };
    let mine = slope(who).expect("a rate most months");
    assert!(mine > 0.0);
    for s in t.subjects(Pa).filter(|s| s.id != who) {
        if let Some(other) = slope(&s.id) {
            assert!(other < mine, "{}: {other} ≥ {mine}", s.id);
        }
    }
}
