//! Channel economics and budget reallocation on small hand-worked data sets, partition and
//! row-order invariance, bad plans, and a sanity run on the sample company.

use qudao::dataset::{DatasetBuilder, TxInput};
use qudao::date::{Date, Period, Timestamp};
use qudao::document::RuleDocument;
use qudao::economics::{
    Acquisition, AcquisitionRow, Bound, BudgetPlan, ChannelEconomics, ClvPredictions,
    EconomicsOptions, EfficiencyInputs, FirstPurchaseState, Grain, KpiValue, Missing, MoneyValue,
    ValueBasis, compute, reallocate,
};
use qudao::master::{MasterData, MasterDocument};
use qudao::ops::{ChannelCost, Touchpoint};
use qudao::reject::Strictness;
use qudao::transactions::TxKind;
use qudao::{Dataset, TxChunk};
use rust_decimal::Decimal;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn val(s: &str) -> KpiValue {
    KpiValue::Value(dec(s))
}

/// (order, line, day, customer, channel, amount, cost); negative amounts are returns of O4.
type Line = (
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
);

/// The hand-worked data set (see the comments of `hand_worked_measures`).
const LINES: &[Line] = &[
    ("O1", 1, "2025-01-10", "C1", "WEB", 10_000, Some(6_000)),
    ("O3", 1, "2025-01-10", "C2", "WEB", 7_000, Some(4_000)),
    ("O2", 2, "2025-01-10", "C2", "WEB", 5_000, Some(3_000)),
    ("O2", 1, "2025-01-10", "C2", "SHOP", 1_000, Some(500)),
    ("O5", 1, "2025-02-05", "C1", "WEB", 20_000, Some(12_000)),
    ("O4", 1, "2025-02-20", "C3", "WEB", 8_000, None),
    ("O6", 1, "2025-03-05", "C3", "WEB", -2_000, None),
    ("O7", 1, "2025-04-02", "C5", "WEB", 9_999, Some(1)),
    ("O8", 1, "2025-03-15", "C6", "SHOP", 4_000, Some(1_000)),
];

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{
      "territories": [{"id": "CN", "level": "country"}],
      "channels": [
        {"id": "WEB", "kind": "direct", "presence": "online", "role": "main"},
        {"id": "SHOP", "kind": "direct", "presence": "offline", "role": "main"},
        {"id": "ADS", "kind": "direct", "presence": "online", "role": "main"}],
      "products": [{"id": "TEA", "category": "drinks", "list_price": "10.00"}],
      "customers": [
        {"id": "C1", "acquisition_channel": "ADS"}, {"id": "C2"}, {"id": "C3"},
        {"id": "C4"}, {"id": "C5"}, {"id": "C6"}]}"#,
        )
        .expect("master parses"),
    )
    .expect("master builds")
}

/// The data set with its lines in the order `order` gives.
fn dataset(order: &[usize]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (row, &i) in order.iter().enumerate() {
        let (o, line, day, c, ch, amount, cost) = LINES[i];
        let ret = amount < 0;
        b.push(
            &TxInput {
                order: o,
                line,
                date: d(day),
                customer: c,
                partner: None,
                channel: ch,
                product: "TEA",
                territory: "CN",
                kind: if ret { TxKind::Return } else { TxKind::Sale },
                quantity: if ret { -1 } else { 1 },
                unit_price: amount.abs(),
                amount,
                cost,
                original_order: ret.then_some("O4"),
            },
            row as u64 + 2,
        )
        .expect("line accepted");
    }
    let m = b.master().clone();
    let cust = |id: &str| m.customers.code(id).expect("customer");
    let chan = |id: &str| m.channels.code(id).expect("channel");
    let at = |s: &str| Timestamp::parse(s.as_bytes()).expect("time");
    let ops = b.ops_mut();
    for (c, t, ch, cost) in [
        ("C1", "2025-01-08T10:00:00", "ADS", 300),
        ("C1", "2025-01-09T10:00:00", "ADS", 200),
        ("C4", "2025-01-20T10:00:00", "ADS", 100),
        ("C2", "2025-01-10T09:00:00", "ADS", 50),
        ("C3", "2025-03-01T10:00:00", "ADS", 70),
        ("C6", "2025-02-25T10:00:00", "WEB", 40),
        ("C4", "2025-04-10T10:00:00", "ADS", 999),
    ] {
        ops.touchpoints.push(Touchpoint {
            customer: cust(c),
            time: at(t),
            channel: chan(ch),
            cost,
        });
    }
    for (ch, p, cost) in [
        ("ADS", "2025-01", 10_000),
        ("ADS", "2025-02", 5_000),
        ("WEB", "2025-Q1", 10_000),
        ("SHOP", "2025-04", 777),
    ] {
        ops.channel_costs.push(ChannelCost {
            channel: chan(ch),
            period: Period::parse(p).expect("period"),
            cost,
        });
    }
    b.finish().expect("builds")
}

fn natural() -> Vec<usize> {
    (0..LINES.len()).collect()
}

fn options() -> EconomicsOptions {
    EconomicsOptions::new(d("2025-03-31"), Grain::Month)
}

fn row<'a>(e: &'a ChannelEconomics, channel: &str, period: &str) -> &'a AcquisitionRow {
    let p = Period::parse(period).expect("period");
    e.rows
        .iter()
        .find(|r| r.channel == channel && r.period == Some(p))
        .expect("row")
}

fn total<'a>(e: &'a ChannelEconomics, channel: &str) -> &'a AcquisitionRow {
    e.totals
        .iter()
        .find(|r| r.channel == channel)
        .expect("total")
}

fn zero(what: &str) -> KpiValue {
    KpiValue::Missing(Missing::ZeroDenominator { what: what.into() })
}

#[test]
fn hand_worked_measures() {
    let data = dataset(&natural());
    let e = compute(&data, &options(), None).expect("computes");
    // Periods: the earliest cost (ADS 2025-01, from 2025-01-01) to the as-of day.
    let months: Vec<String> = e.periods.iter().map(|p| p.to_string()).collect();
    assert_eq!(months, ["2025-01", "2025-02", "2025-03"]);
    let channels: Vec<&str> = e.totals.iter().map(|r| r.channel.as_str()).collect();
    assert_eq!(channels, ["ADS", "SHOP", "WEB"]);
    assert_eq!(e.rows.len(), 9);

    // ADS, January. C1 is acquired by ADS (master data) on 2025-01-10.
    // Prospects touched by ADS in January: C1 (two touches), C4 (never buys), C2 (touched at
    // 09:00 on the day of its first purchase: same day counts as before) → 3.
    // Converted: C1, C2 → 2; acquired by ADS: C1 → 1.
    let r = row(&e, "ADS", "2025-01");
    assert_eq!((r.acquired, r.acquired_from_master), (1, 1));
    assert_eq!((r.touched, r.converted, r.converted_acquired), (3, 2, 1));
    assert_eq!(r.conversion_rate, val("0.666667")); // 2/3
    assert_eq!(r.acquisition_conversion_rate, val("0.333333")); // 1/3
    // Spend: channel cost 10000 + touches 300 + 200 + 100 + 50 = 10650 minor.
    assert_eq!(
        (r.channel_cost, r.touch_cost, r.spend),
        (10_000, 650, 10_650)
    );
    assert_eq!(r.cac, val("106.5")); // 10650 / 1, in yuan
    // C1's value on every channel: 10000 + 20000 revenue, 6000 + 12000 cost.
    assert_eq!(r.revenue, 30_000);
    assert_eq!(r.margin, MoneyValue::Value(12_000));
    assert_eq!(r.revenue_per_customer, val("300"));
    assert_eq!(r.margin_per_customer, val("120"));
    assert_eq!(
        r.predicted,
        MoneyValue::Missing(Missing::NoData {
            input: "predictions".into()
        })
    );
    // Value basis: historic margin.
    assert_eq!(r.value, MoneyValue::Value(12_000));
    assert_eq!(r.clv, val("120"));
    assert_eq!(r.clv_cac, val("1.126761")); // 12000 / 10650 = 1.1267605…
    assert_eq!(r.roi, val("0.126761")); // 1350 / 10650 = 0.1267605…
    // Cumulative margin: January 4000 < 10650; February 4000 + 8000 = 12000 ≥ 10650 → 1.
    assert_eq!(r.payback_periods, val("1"));
    assert!(!r.payback_on_revenue);

    // ADS, February: spend 5000, nobody acquired or touched.
    let r = row(&e, "ADS", "2025-02");
    assert_eq!((r.acquired, r.touched, r.spend), (0, 0, 5_000));
    assert_eq!(r.conversion_rate, zero("prospects touched"));
    assert_eq!(r.cac, zero("customers acquired"));
    assert_eq!(r.margin, MoneyValue::Value(0));
    assert_eq!(r.clv, zero("customers acquired"));
    // Spent 5000, got nothing: CLV/CAC 0, ROI −1 (facts, not gaps).
    assert_eq!(r.clv_cac, val("0"));
    assert_eq!(r.roi, val("-1"));
    assert!(matches!(
        r.payback_periods,
        KpiValue::Missing(Missing::Other { .. })
    ));

    // ADS, March: C3's touch on 03-01 comes after its first purchase (02-20): cost, no prospect.
    let r = row(&e, "ADS", "2025-03");
    assert_eq!((r.touched, r.touch_cost, r.spend), (0, 70, 70));

    // ADS over all periods: distinct prospects C1, C2, C4.
    let t = total(&e, "ADS");
    assert_eq!(
        (t.acquired, t.touched, t.converted, t.converted_acquired),
        (1, 3, 2, 1)
    );
    assert_eq!(
        (t.channel_cost, t.touch_cost, t.spend),
        (15_000, 720, 15_720)
    );
    assert_eq!(t.clv_cac, val("0.763359")); // 12000 / 15720 = 0.7633587…
    assert_eq!(t.roi, val("-0.236641")); // −3720 / 15720 = −0.2366412…
    assert_eq!(t.payback_periods, KpiValue::Missing(Missing::NotApplicable));

    // SHOP, January: C2's first sale is O2 line 1 (day tie with O3: order id O2 < O3; within
    // O2 line 1 < line 2) on SHOP. Revenue 7000 + 5000 + 1000, cost 4000 + 3000 + 500.
    let r = row(&e, "SHOP", "2025-01");
    assert_eq!((r.acquired, r.acquired_from_master), (1, 0));
    assert_eq!(r.revenue, 13_000);
    assert_eq!(r.margin, MoneyValue::Value(5_500));
    // No spend: CAC is 0 (a fact), CLV/CAC and ROI have no denominator, no payback.
    assert_eq!(r.cac, val("0"));
    assert_eq!(r.clv_cac, zero("spend"));
    assert_eq!(r.roi, zero("spend"));
    assert_eq!(
        r.payback_periods,
        KpiValue::Missing(Missing::Other {
            detail: "no spend to pay back".into()
        })
    );
    let r = row(&e, "SHOP", "2025-03");
    assert_eq!((r.acquired, r.revenue), (1, 4_000));
    assert_eq!(r.margin, MoneyValue::Value(3_000));

    // WEB: the quarterly cost 10000 spread by days 31/28/31 of 90: 3444.4, 3111.1, 3444.4;
    // the unit left goes to the larger remainder, January before March on the tie.
    assert_eq!(row(&e, "WEB", "2025-01").channel_cost, 3_445);
    assert_eq!(row(&e, "WEB", "2025-03").channel_cost, 3_444);
    let r = row(&e, "WEB", "2025-02");
    assert_eq!(r.channel_cost, 3_111);
    // C3 acquired in February (8000 sale, −2000 return in March, neither with a cost).
    // C6 was touched by WEB on 02-25 and bought on SHOP: converted, not acquired here.
    assert_eq!(
        (r.acquired, r.touched, r.converted, r.converted_acquired),
        (1, 1, 1, 0)
    );
    assert_eq!(r.conversion_rate, val("1"));
    assert_eq!(r.acquisition_conversion_rate, val("0"));
    assert_eq!((r.touch_cost, r.spend), (40, 3_151));
    assert_eq!(r.cac, val("31.51"));
    assert_eq!(r.revenue, 6_000);
    assert!(matches!(
        r.margin,
        MoneyValue::Missing(Missing::Other { .. })
    ));
    assert!(matches!(
        r.clv_cac,
        KpiValue::Missing(Missing::Other { .. })
    ));
    // Payback on revenue (lines without cost): February alone, 8000 ≥ 3151 → 0.
    assert_eq!(r.payback_periods, val("0"));
    assert!(r.payback_on_revenue);

    let c = &e.counts;
    assert_eq!(
        (c.customers_acquired, c.acquired_from_master, c.only_returns),
        (4, 1, 0)
    );
    assert_eq!((c.lines_after_as_of, c.touches_after_as_of), (1, 1));
    assert_eq!(c.touches_after_first_purchase, 1);
    assert_eq!(c.channel_cost_after_as_of, 777);
    assert_eq!(c.channel_cost_outside_periods, 0);
    let acquired: u64 = e.totals.iter().map(|r| r.acquired).sum();
    assert_eq!(acquired, 4);
}

#[test]
fn revenue_shares_add_to_one() {
    let e = compute(&dataset(&natural()), &options(), None).expect("computes");
    let share = |p: &str, ch: &str| {
        let p = Period::parse(p).expect("period");
        e.revenue_share
            .iter()
            .find(|r| r.period == p && r.channel == ch)
            .map(|r| (r.revenue, r.share.clone()))
            .expect("share row")
    };
    // January: WEB 10000 + 7000 + 5000 = 22000, SHOP 1000 of 23000.
    // ×10^4: WEB 9565.217…, SHOP 434.782…: floors 9565 + 434 = 9999, the unit left goes to
    // SHOP's larger remainder.
    assert_eq!(share("2025-01", "WEB"), (22_000, val("0.9565")));
    assert_eq!(share("2025-01", "SHOP"), (1_000, val("0.0435")));
    assert_eq!(share("2025-02", "WEB"), (28_000, val("1")));
    assert_eq!(share("2025-02", "SHOP"), (0, val("0")));
    // March: the WEB return (−2000) against SHOP's 4000: shares −1 and 2, still adding to 1.
    assert_eq!(share("2025-03", "WEB"), (-2_000, val("-1")));
    assert_eq!(share("2025-03", "SHOP"), (4_000, val("2")));
    for p in &e.periods {
        let sum: Decimal = e
            .revenue_share
            .iter()
            .filter(|r| r.period == *p)
            .filter_map(|r| r.share.value())
            .sum();
        assert_eq!(sum, Decimal::ONE, "{p}");
    }
}

#[test]
fn revenue_share_ties_go_to_the_smaller_channel_id() {
    // Three channels with 100 each on one day: 1/3 each → 0.3333 × 3 = 0.9999; the unit
    // left goes to the smallest id of the equal remainders (ADS).
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, ch) in ["WEB", "SHOP", "ADS"].iter().enumerate() {
        let order = format!("T{i}");
        b.push(
            &TxInput {
                order: &order,
                line: 1,
                date: d("2025-05-05"),
                customer: "C1",
                partner: None,
                channel: ch,
                product: "TEA",
                territory: "CN",
                kind: TxKind::Sale,
                quantity: 1,
                unit_price: 100,
                amount: 100,
                cost: None,
                original_order: None,
            },
            i as u64 + 2,
        )
        .expect("line");
    }
    let data = b.finish().expect("builds");
    let e = compute(
        &data,
        &EconomicsOptions::new(d("2025-05-31"), Grain::Quarter),
        None,
    )
    .expect("computes");
    let shares: Vec<(&str, KpiValue)> = e
        .revenue_share
        .iter()
        .map(|r| (r.channel.as_str(), r.share.clone()))
        .collect();
    assert_eq!(
        shares,
        [
            ("ADS", val("0.3334")),
            ("SHOP", val("0.3333")),
            ("WEB", val("0.3333"))
        ]
    );
    // A period without revenue has no shares.
    let e = compute(
        &dataset(&natural()),
        &EconomicsOptions {
            grain: Grain::Custom(vec![
                Period::parse("2025-01").expect("p"),
                Period::parse("2024-06").expect("p"),
            ]),
            ..options()
        },
        None,
    )
    .expect("computes");
    let june = Period::parse("2024-06").expect("p");
    assert!(
        e.revenue_share
            .iter()
            .filter(|r| r.period == june)
            .all(|r| r.share
                == KpiValue::Missing(Missing::ZeroDenominator {
                    what: "the period's net revenue".into()
                }))
    );
}

#[test]
fn custom_periods_count_what_falls_outside() {
    // Only January: February and March lines, touches and costs fall in no period.
    let e = compute(
        &dataset(&natural()),
        &EconomicsOptions {
            grain: Grain::Custom(vec![Period::parse("2025-01").expect("p")]),
            ..options()
        },
        None,
    )
    .expect("computes");
    let c = &e.counts;
    // C3 (February) and C6 (March) are acquired outside; 4 lines (O5, O4, O6, O8) outside.
    assert_eq!((c.customers_acquired, c.acquired_outside_periods), (4, 2));
    assert_eq!(c.lines_outside_periods, 4);
    // Touches in February/March: C3's (ADS) and C6's (WEB).
    assert_eq!(c.touches_outside_periods, 2);
    // ADS February 5000, and WEB's quarter split January 31 days : outside 59 days of 90
    // → 3444.44 and 6555.56: the unit left goes to the larger remainder (outside).
    assert_eq!(row(&e, "WEB", "2025-01").channel_cost, 3_444);
    assert_eq!(c.channel_cost_outside_periods, 5_000 + 6_556);
    // C1's February margin is outside the only period, so not in its cohort's value.
    assert_eq!(row(&e, "ADS", "2025-01").margin, MoneyValue::Value(4_000));
    // Overlapping custom periods are an error naming the option.
    let err = compute(
        &dataset(&natural()),
        &EconomicsOptions {
            grain: Grain::Custom(vec![
                Period::parse("2025-Q1").expect("p"),
                Period::parse("2025-02").expect("p"),
            ]),
            ..options()
        },
        None,
    )
    .expect_err("overlap");
    assert!(err.to_string().contains("options.grain"), "{err}");
}

#[test]
fn predictions_and_value_bases() {
    let data = dataset(&natural());
    let preds = ClvPredictions::from_ids(&data, "given", ["C1", "C2", "C3"], &[5_000, 1_000, 300])
        .expect("predictions");
    let opts = EconomicsOptions {
        value: ValueBasis::HistoricPlusPredicted,
        ..options()
    };
    let e = compute(&data, &opts, Some(&preds)).expect("computes");
    assert_eq!(e.predictions.as_deref(), Some("given"));
    let r = row(&e, "ADS", "2025-01");
    assert_eq!(r.predicted, MoneyValue::Value(5_000));
    assert_eq!(r.predicted_per_customer, val("50"));
    // Value: 30000 revenue + 5000 predicted; 35000 / 10650 = 3.2863849…
    assert_eq!(r.value, MoneyValue::Value(35_000));
    assert_eq!(r.clv, val("350"));
    assert_eq!(r.clv_cac, val("3.286385"));
    // C6 (SHOP, March) has no prediction: missing, not 0.
    let r = row(&e, "SHOP", "2025-03");
    assert!(matches!(
        r.predicted,
        MoneyValue::Missing(Missing::Other { .. })
    ));
    assert!(matches!(
        r.value,
        MoneyValue::Missing(Missing::Other { .. })
    ));
    // Revenue basis.
    let e = compute(
        &data,
        &EconomicsOptions {
            value: ValueBasis::HistoricRevenue,
            ..options()
        },
        None,
    )
    .expect("computes");
    assert_eq!(row(&e, "ADS", "2025-01").clv_cac, val("2.816901")); // 30000 / 10650
    // Bad prediction input names the row.
    let err = ClvPredictions::from_ids(&data, "x", ["C1", "NOPE"], &[1, 2]).expect_err("unknown");
    assert!(err.to_string().contains("customers[1]"), "{err}");
    let err = ClvPredictions::from_ids(&data, "x", ["C1", "C1"], &[1, 2]).expect_err("twice");
    assert!(err.to_string().contains("twice"), "{err}");
}

/// The whole computation through the partial states, over the given row partitions merged
/// in the given order.
fn by_partitions(data: &Dataset, parts: &[Vec<usize>]) -> ChannelEconomics {
    let opts = options();
    let chunk: &TxChunk = &data.transactions.chunks[0];
    let n = data.master.customers.len();
    let mut firsts = Vec::new();
    for p in parts {
        let mut s = FirstPurchaseState::new(n);
        for &i in p {
            s.update(data, &opts, chunk, i..i + 1).expect("update");
        }
        firsts.push(s);
    }
    let mut first = FirstPurchaseState::new(n);
    for s in firsts.iter().rev() {
        first.merge(s, data).expect("merge");
    }
    let acq = Acquisition::new(data, &opts, &first).expect("acquisition");
    let mut state = acq.value_state();
    for p in parts.iter().rev() {
        let mut s = acq.value_state();
        for &i in p {
            acq.add_lines(&mut s, chunk, i..i + 1).expect("lines");
        }
        state.merge(&s);
    }
    acq.finish(data, &state, None).expect("finish")
}

#[test]
fn partitions_and_row_order_do_not_matter() {
    let data = dataset(&natural());
    let one = compute(&data, &options(), None).expect("computes");
    for parts in [
        vec![(0..LINES.len()).collect::<Vec<_>>()],
        vec![vec![8, 0, 5], vec![1, 7], vec![2, 3, 4, 6]],
        (0..LINES.len()).map(|i| vec![i]).collect(),
    ] {
        assert_eq!(by_partitions(&data, &parts), one);
    }
    let mut reversed = natural();
    reversed.reverse();
    let shuffled = vec![3, 7, 0, 6, 2, 8, 1, 5, 4];
    for order in [reversed, shuffled] {
        let other = dataset(&order);
        assert_eq!(compute(&other, &options(), None).expect("computes"), one);
    }
}

#[test]
fn bad_inputs_are_errors() {
    let mut data = dataset(&natural());
    data.ops.channel_costs[1].cost = -5;
    let err = compute(&data, &options(), None).expect_err("negative cost");
    assert!(err.to_string().contains("channel_costs[1].cost"), "{err}");
    let mut data = dataset(&natural());
    data.ops.touchpoints[2].cost = -1;
    let err = compute(&data, &options(), None).expect_err("negative touch");
    assert!(err.to_string().contains("touchpoints[2].cost"), "{err}");
    let data = dataset(&natural());
    let err = compute(
        &data,
        &EconomicsOptions {
            share_decimals: 13,
            ..options()
        },
        None,
    )
    .expect_err("decimals");
    assert!(err.to_string().contains("share_decimals"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Budget reallocation.

fn plan(json: &str) -> BudgetPlan {
    BudgetPlan::from_json(json).expect("plan parses")
}

fn amounts(r: &qudao::economics::Reallocation) -> Vec<(String, i64, Bound)> {
    r.lines
        .iter()
        .map(|l| (l.channel.clone(), l.amount, l.bound))
        .collect()
}

fn own(v: &[(&str, i64, Bound)]) -> Vec<(String, i64, Bound)> {
    v.iter().map(|&(c, a, b)| (c.to_owned(), a, b)).collect()
}

#[test]
fn reallocation_is_proportional() {
    // Efficiencies 1 : 2 : 3 over 600 → 100, 200, 300 exactly.
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 600, "measure": "given", "channels": [
        {"channel": "A", "efficiency": "1"}, {"channel": "B", "efficiency": "2"},
        {"channel": "C", "efficiency": "3"}]}"#,
    );
    let mut inputs = EfficiencyInputs::default();
    inputs.set_current_spend("A", 250);
    let r = reallocate(&p, &inputs).expect("allocates");
    assert_eq!(
        amounts(&r),
        own(&[
            ("A", 100, Bound::Free),
            ("B", 200, Bound::Free),
            ("C", 300, Bound::Free)
        ])
    );
    let a = &r.lines[0];
    assert_eq!(a.share_before_bounds, val("0.166667")); // 1/6
    assert_eq!(a.amount_before_bounds, val("100"));
    assert_eq!((a.current_spend, a.change), (Some(250), Some(-150)));
    assert_eq!(r.lines[1].change, None);
}

#[test]
fn reallocation_with_binding_bounds() {
    // Efficiencies 1 : 1 : 8 over 1000: unbounded 100, 100, 800. C's max 500 binds; the 500
    // left goes 1 : 1 to A and B → 250 each, but A's max is 200 → A 200, and B takes the
    // rest: 300. D has no efficiency: its minimum 50 comes off the top first, so A, B, C
    // share 950: C 500 (max), A 200 (max), B 250.
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 1000, "measure": "given", "channels": [
        {"channel": "A", "efficiency": "1", "max": 200},
        {"channel": "B", "efficiency": "1", "min": 100},
        {"channel": "C", "efficiency": "8", "max": 500},
        {"channel": "D", "min": 50}]}"#,
    );
    let r = reallocate(&p, &EfficiencyInputs::default()).expect("allocates");
    assert_eq!(
        amounts(&r),
        own(&[
            ("A", 200, Bound::Max),
            ("B", 250, Bound::Free),
            ("C", 500, Bound::Max),
            ("D", 50, Bound::NoEfficiency)
        ])
    );
    assert_eq!(
        r.lines[3].efficiency,
        KpiValue::Missing(Missing::NoData {
            input: "efficiency".into()
        })
    );
    // A minimum that binds: efficiencies 1 : 99 over 100 → 1 and 99, but A's minimum is 30.
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
        {"channel": "A", "efficiency": "1", "min": 30}, {"channel": "B", "efficiency": "99"}]}"#,
    );
    let r = reallocate(&p, &EfficiencyInputs::default()).expect("allocates");
    assert_eq!(
        amounts(&r),
        own(&[("A", 30, Bound::Min), ("B", 70, Bound::Free)])
    );
    // The channels with an efficiency cannot take it all: A max 10, B (zero efficiency)
    // min 0, max 100, C (none) min 5 → A 10, the other 90 spread evenly over B and C from
    // their minimums: B gets 42.5 + … : evenly means λ with clamp(λ, 0, 100) +
    // clamp(λ, 5, ∞) = 90 → λ = 45: B 45, C 45.
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
        {"channel": "A", "efficiency": "2", "max": 10},
        {"channel": "B", "efficiency": "0", "max": 100},
        {"channel": "C", "min": 5}]}"#,
    );
    let r = reallocate(&p, &EfficiencyInputs::default()).expect("allocates");
    assert_eq!(
        amounts(&r),
        own(&[
            ("A", 10, Bound::Max),
            ("B", 45, Bound::NoEfficiency),
            ("C", 45, Bound::NoEfficiency)
        ])
    );
    assert_eq!(r.lines.iter().map(|l| l.amount).sum::<i64>(), 100);
}

#[test]
fn reallocation_sums_exactly_with_a_remainder_tie() {
    // Three equal efficiencies over 100: 33.33… each; floors 99, one unit left, all
    // remainders equal → the smallest id (A) gets it, whatever the plan's order.
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
        {"channel": "C", "efficiency": "0.5"}, {"channel": "A", "efficiency": "0.5"},
        {"channel": "B", "efficiency": "0.5"}]}"#,
    );
    let r = reallocate(&p, &EfficiencyInputs::default()).expect("allocates");
    assert_eq!(
        amounts(&r),
        own(&[
            ("C", 33, Bound::Free),
            ("A", 34, Bound::Free),
            ("B", 33, Bound::Free)
        ])
    );
    // 2 : 1 over 100: 66.67 and 33.33 → 67 and 33 (larger remainder).
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
        {"channel": "X", "efficiency": "2"}, {"channel": "Y", "efficiency": "1"}]}"#,
    );
    let r = reallocate(&p, &EfficiencyInputs::default()).expect("allocates");
    assert_eq!(
        amounts(&r),
        own(&[("X", 67, Bound::Free), ("Y", 33, Bound::Free)])
    );
}

#[test]
fn reallocation_from_measures() {
    let mut inputs = EfficiencyInputs::default();
    // Attributed value per spend: A 300/100 = 3, B 100/100 = 1, C no spend (missing).
    inputs.set_current_spend("A", 100);
    inputs.set_attributed("A", 300);
    inputs.set_current_spend("B", 100);
    inputs.set_attributed("B", 100);
    inputs.set_current_spend("C", 0);
    inputs.set_attributed("C", 100);
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 400, "measure": "attributed_value_per_spend",
        "channels": [{"channel": "A"}, {"channel": "B"}, {"channel": "C", "min": 20}]}"#,
    );
    let r = reallocate(&p, &inputs).expect("allocates");
    // C gets its minimum 20; 380 split 3 : 1 → 285, 95.
    assert_eq!(
        amounts(&r),
        own(&[
            ("A", 285, Bound::Free),
            ("B", 95, Bound::Free),
            ("C", 20, Bound::NoEfficiency)
        ])
    );
    assert_eq!(r.lines[0].efficiency, val("3"));
    assert_eq!(r.lines[2].efficiency, zero("current spend"));
    assert_eq!(r.lines[0].change, Some(185));
    // From channel economics: ROI of the hand-worked data (ADS −0.236641: negative → its
    // minimum; SHOP and WEB have none).
    let e = compute(&dataset(&natural()), &options(), None).expect("computes");
    let inputs = EfficiencyInputs::from_economics(&e);
    let p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 1000, "measure": "roi",
        "channels": [{"channel": "ADS", "min": 100}, {"channel": "WEB"}]}"#,
    );
    let r = reallocate(&p, &inputs).expect("allocates");
    assert_eq!(r.lines[0].efficiency, val("-0.236641"));
    // Nobody has a positive ROI: minimums, then the rest evenly: λ with
    // max(λ, 100) + λ = 1000 → 500 each.
    assert_eq!(
        amounts(&r),
        own(&[
            ("ADS", 500, Bound::NoEfficiency),
            ("WEB", 500, Bound::NoEfficiency)
        ])
    );
    assert_eq!(r.lines[0].current_spend, Some(15_720));
}

#[test]
fn bad_plans_name_the_field() {
    let cases = [
        (
            r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
            {"channel": "A", "min": 80}, {"channel": "B", "min": 30}]}"#,
            "total",
            "minimums",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
            {"channel": "A", "max": 40}, {"channel": "B", "max": 30}]}"#,
            "total",
            "maximums",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": 100, "measure": "given", "channels": [
            {"channel": "A", "min": 50, "max": 40}]}"#,
            "channels[0].max",
            "below",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": -1, "measure": "given", "channels": [
            {"channel": "A"}]}"#,
            "total",
            "negative",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": 10, "measure": "given", "channels": [
            {"channel": "A"}, {"channel": "B", "min": -3}]}"#,
            "channels[1].min",
            "negative",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": 10, "measure": "given", "channels": [
            {"channel": "A", "efficiency": "-1"}]}"#,
            "channels[0].efficiency",
            "negative",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": 10, "measure": "given", "channels": [
            {"channel": "A"}, {"channel": "A"}]}"#,
            "channels[1].channel",
            "twice",
        ),
        (
            r#"{"schema_version": 1, "id": "p", "total": 10, "measure": "given", "channels": []}"#,
            "channels",
            "at least one",
        ),
        (
            r#"{"schema_version": 2, "id": "p", "total": 10, "measure": "given", "channels": [
            {"channel": "A"}]}"#,
            "schema_version",
            "version",
        ),
    ];
    for (json, path, words) in cases {
        let err = BudgetPlan::from_json(json).expect_err(path);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{path}:")) && text.contains(words),
            "{text}"
        );
    }
    let err = BudgetPlan::from_json(
        r#"{"schema_version": 1, "id": "p", "total": 10, "measure": "best", "channels": []}"#,
    )
    .expect_err("measure");
    assert!(err.to_string().contains("measure"), "{err}");
    // A plan built in code is validated too.
    let mut p = plan(
        r#"{"schema_version": 1, "id": "p", "total": 10, "measure": "given", "channels": [{"channel": "A"}]}"#,
    );
    p.total = -5;
    assert!(reallocate(&p, &EfficiencyInputs::default()).is_err());
}

#[test]
fn budget_plan_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/budget-plan.schema.json");
    let schema = format!("{}\n", <BudgetPlan as RuleDocument>::json_schema());
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &schema).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "{} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --test economics\nand commit it",
        path.display()
    );
}

// ---------------------------------------------------------------------------------------
// The sample company.

#[test]
fn sample_company_is_sane() {
    let sample =
        qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(200_000)).expect("sample");
    let data = &sample.dataset;
    let as_of = data.summary().expect("summary").last_date.expect("lines");
    let mut opts = EconomicsOptions::new(as_of, Grain::Quarter);
    opts.threads = 1;
    let (preds, fit) = ClvPredictions::fit(
        data,
        as_of,
        &qudao::clv::predict::ClvOptions::monthly_in_weeks(),
    )
    .expect("fits");
    let e = compute(data, &opts, Some(&preds)).expect("computes");
    opts.threads = 4;
    assert_eq!(compute(data, &opts, Some(&preds)).expect("computes"), e);

    // Acquired customers add up to the customers with a purchase.
    let customers = qudao::customer::CustomerSummary::compute(
        data,
        qudao::customer::CustomerOptions::new(as_of, qudao::customer::Frequency::DistinctOrders),
    )
    .expect("customers");
    let acquired: u64 = e.totals.iter().map(|r| r.acquired).sum();
    assert_eq!(acquired, customers.len() as u64);
    assert_eq!(e.counts.customers_acquired, acquired);
    assert_eq!(fit.customers, acquired);
    // Spend adds up to the cost tables (nothing is after the as-of day or outside).
    let costs: i64 = data.ops.channel_costs.iter().map(|c| c.cost).sum();
    let touches: i64 = data.ops.touchpoints.iter().map(|t| t.cost).sum();
    let spent: i64 = e.totals.iter().map(|r| r.channel_cost).sum();
    let touched: i64 = e.totals.iter().map(|r| r.touch_cost).sum();
    assert_eq!(
        spent + e.counts.channel_cost_after_as_of + e.counts.channel_cost_outside_periods,
        costs
    );
    assert_eq!(touched, touches);
    // The cohorts' revenue is the customers' revenue.
    let revenue: i64 = e.totals.iter().map(|r| r.revenue).sum();
    let monetary: i64 = (0..customers.len()).map(|r| customers.monetary(r)).sum();
    assert_eq!(revenue, monetary);
    // Revenue shares add up to 1 in every period with revenue (the first periods hold only
    // touches before the first sales); revenue to the data's net revenue.
    for p in &e.periods {
        if !e
            .revenue_share
            .iter()
            .any(|r| r.period == *p && r.revenue != 0)
        {
            continue;
        }
        let sum: Decimal = e
            .revenue_share
            .iter()
            .filter(|r| r.period == *p)
            .filter_map(|r| r.share.value())
            .sum();
        assert_eq!(sum, Decimal::ONE, "{p}");
    }
    let net: i64 = e.revenue_share.iter().map(|r| r.revenue).sum();
    assert_eq!(net, data.summary().expect("summary").totals.net_revenue);
    // Print the totals for the record.
    for r in &e.totals {
        eprintln!(
            "{:<12} acquired {:>6} ({:>6} master) touched {:>5} conv {:>9} spend {:>12} CAC {:>10} CLV {:>10} pred {:>10} CLV/CAC {:>9} ROI {:>9}",
            r.channel,
            r.acquired,
            r.acquired_from_master,
            r.touched,
            show(&r.conversion_rate),
            r.spend,
            show(&r.cac),
            show(&r.clv),
            show(&r.predicted_per_customer),
            show(&r.clv_cac),
            show(&r.roi)
        );
    }
    eprintln!("counts: {:?}", e.counts);
    let paid: Vec<String> = e
        .rows
        .iter()
        .filter_map(|r| {
            r.payback_periods.value().map(|v| {
                format!(
                    "{} {} {v}",
                    r.channel,
                    r.period.map(|p| p.to_string()).unwrap_or_default()
                )
            })
        })
        .take(12)
        .collect();
    eprintln!("payback: {paid:?}");
    // A reallocation over the channels with spend, by CLV/CAC, sums to the budget.
    let inputs = EfficiencyInputs::from_economics(&e);
    let channels: Vec<String> = e
        .totals
        .iter()
        .filter(|r| r.spend > 0)
        .map(|r| format!(r#"{{"channel": "{}", "min": 100000}}"#, r.channel))
        .collect();
    let p = plan(&format!(
        r#"{{"schema_version": 1, "id": "sample", "total": 100000000, "measure": "clv_cac", "channels": [{}]}}"#,
        channels.join(",")
    ));
    let r = reallocate(&p, &inputs).expect("allocates");
    assert_eq!(r.lines.iter().map(|l| l.amount).sum::<i64>(), 100_000_000);
    for l in &r.lines {
        eprintln!(
            "{:<12} eff {:>10} {:?} {:>12} (was {:?})",
            l.channel,
            show(&l.efficiency),
            l.bound,
            l.amount,
            l.current_spend
        );
    }
}

fn show(v: &KpiValue) -> String {
    match v {
        KpiValue::Value(d) => d.round_dp(2).to_string(),
        KpiValue::Missing(_) => "—".into(),
    }
}
