//! Member tiers and points: bonus points from outside the sales data (`run_with`), by hand,
//! and the rebate connection (a points-paying program's awards credited as bonuses).

use qudao::dataset::{Dataset, DatasetBuilder, TxInput};
use qudao::document::RuleDocument;
use qudao::ingest::csv::{LoadOptions, load_dir};
use qudao::master::{MasterData, MasterDocument};
use qudao::membership::{
    Bonus, ChangeReason, EntryKind, LedgerEntry, Membership, Redemption, TierScheme, run, run_with,
};
use qudao::rebate::{Engine, Inputs, Ledger, ProgramBook};
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

/// `(order, date, customer, amount)`: one sale line each, amounts in fen.
fn data(rows: &[(&str, &str, &str, i64)]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, &(order, date, customer, amount)) in rows.iter().enumerate() {
        b.push(
            &TxInput {
                order,
                line: 1,
                date: d(date),
                customer,
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
            i as u64 + 2,
        )
        .expect("valid row");
    }
    b.finish().expect("dataset")
}

/// Base ×1, silver ×2, gold ×3 at the thresholds given (points or fen, per `basis`); one
/// point per yuan, truncated.
fn scheme(basis: &str, silver: i64, gold: i64, expiry: &str) -> TierScheme {
    TierScheme::from_toml(&format!(
        r#"
schema_version = 1
id = "test"
name = {{ en = "Test", zh = "测试" }}
currency = "CNY"
basis = {basis}
points = {{ per_unit = "1", rounding = "truncate", crossing_purchase = "earns_at_old_tier" }}
expiry = {expiry}
review = {{ every_months = 12, anchor = "2025-01-01" }}
[[tiers]]
id = "base"
label = {{ en = "Base", zh = "普通" }}
threshold = 0
[[tiers]]
id = "silver"
label = {{ en = "Silver", zh = "银卡" }}
threshold = {silver}
earn_multiplier = "2"
[[tiers]]
id = "gold"
label = {{ en = "Gold", zh = "金卡" }}
threshold = {gold}
earn_multiplier = "3"
"#
    ))
    .expect("scheme")
}

const POINTS: &str = r#"{ kind = "points_balance" }"#;
const SPEND: &str = r#"{ kind = "rolling_spend", window_days = 365 }"#;
const DAYS30: &str = r#"{ kind = "days", days = 30 }"#;
const NEVER: &str = r#"{ kind = "none" }"#;

fn bonus(customer: &str, date: &str, points: i64, reference: &str) -> Bonus {
    Bonus {
        customer: customer.into(),
        date: d(date),
        points,
        reference: reference.into(),
    }
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

/// Every customer: balance = earned − redeemed − expired − reversed + bonus, never negative.
fn check_identity(m: &Membership) {
    for c in &m.customers {
        assert_eq!(
            c.balance,
            c.earned - c.redeemed - c.expired - c.reversed + c.bonus,
            "{}",
            c.id
        );
        assert!(c.balance >= 0, "{}", c.id);
    }
}

#[test]
fn bonuses_come_after_the_days_sales_and_before_its_redemptions_and_expire_like_earnings() {
    let data = data(&[
        ("O1", "2025-01-10", "C1", 30_000), // ¥300.00 → 300
        ("O2", "2025-01-20", "C1", 1_000),  // ¥10.00 → 10
    ]);
    // Given out of order; within 2025-01-20: O2 earns, then "A-take" (by reference) takes
    // 100 from O1's lot, then "B2" credits 250, then R1 redeems 400 — which the balance
    // before the bonuses (310) could not cover.
    let bonuses = [
        bonus("C1", "2025-01-20", 250, "B2"),
        bonus("C1", "2025-01-20", -100, "A-take"),
    ];
    let reds = [redeem("C1", "2025-01-20", 400, "R1")];
    let s = scheme(POINTS, 100_000, 300_000, DAYS30);
    let m = run_with(&data, &s, &reds, &bonuses, d("2025-03-31")).expect("run");
    use EntryKind::*;
    let t = |x: &str| x.to_owned();
    // Lots after A-take: O1 200, O2 10; B2 adds a lot of 250 expiring 2025-02-19 (30 days).
    // R1 takes O1's 200, O2's 10 and 190 of B2's; O1's lot would expire on 2025-02-09 but
    // is empty; B2's remaining 60 expire at the start of 2025-02-19.
    assert_eq!(
        brief(m.ledger_of("C1")),
        vec![
            (Earn, t("2025-01-10"), 300, 300, t("O1")),
            (Earn, t("2025-01-20"), 10, 310, t("O2")),
            (Bonus, t("2025-01-20"), -100, 210, t("A-take")),
            (Bonus, t("2025-01-20"), 250, 460, t("B2")),
            (Redeem, t("2025-01-20"), -400, 60, t("R1")),
            (Expire, t("2025-02-19"), -60, 0, t("earned 2025-01-20")),
        ]
    );
    let c = m.customer("C1").expect("C1").1;
    assert_eq!(
        (
            c.earned, c.redeemed, c.expired, c.reversed, c.bonus, c.balance
        ),
        (310, 400, 60, 0, 150, 0)
    );
    let entries = m.ledger_of("C1");
    assert!(
        entries[2..4]
            .iter()
            .all(|e| e.amount == 0 && e.rate.is_zero() && e.rate_source.is_none())
    );
    check_identity(&m);
    // Input order does not matter.
    let mut swapped = bonuses.clone();
    swapped.reverse();
    assert_eq!(
        run_with(&data, &s, &reds, &swapped, d("2025-03-31")).expect("run"),
        m
    );
}

#[test]
fn bonus_points_count_toward_a_points_tier_but_not_a_spend_tier() {
    let data = data(&[
        ("O1", "2025-01-05", "C1", 10_000), // ¥100.00 → 100 at base
        ("O2", "2025-01-07", "C1", 1_000),  // ¥10.00 → 20 at silver (×2)
    ]);
    let bonuses = [bonus("C1", "2025-01-06", 450, "PA")];
    // Points basis: silver at 500 points. 100 + 450 = 550 → silver on 2025-01-06.
    let m = run_with(
        &data,
        &scheme(POINTS, 500, 2_000, NEVER),
        &[],
        &bonuses,
        d("2025-03-31"),
    )
    .expect("run");
    let h = m.history_of("C1");
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].date, h[0].reason, m.tier_id(h[0].to), h[0].basis),
        (d("2025-01-06"), ChangeReason::Upgrade, "silver", 550)
    );
    assert_eq!(h[0].order, None, "a bonus, not an order, triggered it");
    let l = m.ledger_of("C1");
    assert_eq!(
        (l[1].kind, m.tier_id(l[1].tier)),
        (EntryKind::Bonus, "base")
    );
    assert_eq!((l[2].points, m.tier_id(l[2].tier)), (20, "silver"));
    let c = m.customer("C1").expect("C1").1;
    assert_eq!(
        (c.balance, c.basis, m.tier_id(c.tier)),
        (570, 570, "silver")
    );
    check_identity(&m);

    // Spend basis: silver at ¥500.00 of spend. The bonus adds points, not spend.
    let m = run_with(
        &data,
        &scheme(SPEND, 50_000, 200_000, NEVER),
        &[],
        &bonuses,
        d("2025-03-31"),
    )
    .expect("run");
    let c = m.customer("C1").expect("C1").1;
    assert!(m.history_of("C1").is_empty());
    assert_eq!(
        (c.balance, c.bonus, c.basis, m.tier_id(c.tier)),
        (560, 450, 11_000, "base")
    );
    check_identity(&m);
}

#[test]
fn a_negative_bonus_takes_what_the_balance_holds_and_records_the_rest_as_shortfall() {
    let data = data(&[("O1", "2025-01-05", "C1", 5_000)]); // ¥50.00 → 50
    let bonuses = [bonus("C1", "2025-02-01", -80, "clawback")];
    let m = run_with(
        &data,
        &scheme(POINTS, 500, 2_000, NEVER),
        &[],
        &bonuses,
        d("2025-03-31"),
    )
    .expect("run");
    let l = m.ledger_of("C1");
    assert_eq!(
        (l[1].kind, l[1].points, l[1].balance, l[1].shortfall),
        (EntryKind::Bonus, -50, 0, 30)
    );
    let c = m.customer("C1").expect("C1").1;
    assert_eq!((c.bonus, c.shortfall, c.balance), (-50, 30, 0));
    assert_eq!((m.shortfall_entries, m.shortfall_points), (1, 30));
    check_identity(&m);
}

#[test]
fn bonuses_after_as_of_are_ignored_and_no_bonuses_is_run() {
    let data = data(&[
        ("O1", "2025-01-05", "C1", 5_000),
        ("O2", "2025-01-06", "C2", 700),
    ]);
    let s = scheme(POINTS, 500, 2_000, DAYS30);
    let later = [bonus("C1", "2025-04-01", 999, "later")];
    let plain = run(&data, &s, &[], d("2025-03-31")).expect("run");
    assert_eq!(
        run_with(&data, &s, &[], &later, d("2025-03-31")).expect("run"),
        plain
    );
    assert_eq!(
        run_with(&data, &s, &[], &[], d("2025-03-31")).expect("run"),
        plain
    );
    assert!(plain.customers.iter().all(|c| c.bonus == 0));
    // A bonus for a customer with no purchases: a lot of its own, expiring after 30 days.
    let m = run_with(
        &data,
        &s,
        &[],
        &[bonus("C2", "2025-03-10", 40, "welcome")],
        d("2025-04-30"),
    )
    .expect("run");
    assert_eq!(
        brief(m.ledger_of("C2"))[1..],
        [
            (
                EntryKind::Expire,
                "2025-02-05".to_owned(),
                -7,
                0,
                "earned 2025-01-06".to_owned()
            ),
            (
                EntryKind::Bonus,
                "2025-03-10".to_owned(),
                40,
                40,
                "welcome".to_owned()
            ),
            (
                EntryKind::Expire,
                "2025-04-09".to_owned(),
                -40,
                0,
                "earned 2025-03-10".to_owned()
            ),
        ]
    );
    check_identity(&m);
}

#[test]
fn bad_bonuses_name_the_row_and_column() {
    let data = data(&[("O1", "2025-01-05", "C1", 5_000)]);
    let s = scheme(POINTS, 500, 2_000, NEVER);
    let cases = [
        (
            vec![
                bonus("C1", "2025-01-06", 5, "ok"),
                bonus("C9", "2025-01-06", 5, "who"),
            ],
            2,
            "customer",
            "C9",
        ),
        (vec![bonus("C1", "2025-01-06", 0, "zero")], 1, "points", "0"),
        // Checked even when dated after as_of, like redemptions.
        (vec![bonus("C1", "2026-01-06", 0, "zero")], 1, "points", "0"),
    ];
    for (bonuses, line, column, value) in cases {
        match run_with(&data, &s, &[], &bonuses, d("2025-03-31")) {
            Err(Error::Data { location, .. }) => {
                assert_eq!(location.source, "bonuses");
                assert_eq!(location.line, line);
                assert_eq!(location.column.as_deref(), Some(column));
                assert_eq!(location.value.as_deref(), Some(value));
            }
            other => panic!("expected a data error, got {other:?}"),
        }
    }
}

#[test]
fn bonus_json_uses_the_redemption_field_names() {
    let b: Bonus = serde_json::from_str(
        r#"{"customer": "C1", "date": "2025-03-31", "points": -20, "reference": "x"}"#,
    )
    .expect("json");
    assert_eq!(b, bonus("C1", "2025-03-31", -20, "x"));
    let e: EntryKind = serde_json::from_str(r#""bonus""#).expect("kind");
    assert_eq!(e, EntryKind::Bonus);
}

#[test]
fn sample_rebate_points_awards_credit_the_member_ledger() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample");
    let data = load_dir(&dir, &LoadOptions::default()).expect("the bundled sample loads");
    let as_of = d("2025-12-31");
    let engine = Engine::new(ProgramBook::sample_company(), &data.master).expect("compiles");
    let settlement = engine
        .volumes(&data, as_of, &Inputs::default())
        .expect("volumes")
        .settle(&Ledger::default())
        .expect("settles");
    assert!(
        !settlement.points_awards.is_empty(),
        "the sample's member-points program pays points"
    );
    let bonuses: Vec<Bonus> = settlement.points_awards.iter().map(Bonus::from).collect();
    // A first settlement (empty ledger) has no deltas, so nothing is taken back.
    assert!(bonuses.iter().all(|b| b.points > 0));
    let scheme = TierScheme::builtin_default();
    let plain = run(&data, &scheme, &[], as_of).expect("run");
    let m = run_with(&data, &scheme, &[], &bonuses, as_of).expect("run_with");
    check_identity(&m);

    // Every award is one bonus entry of its customer, on its date, under its statement id.
    let entries: Vec<&LedgerEntry> = m
        .ledger
        .iter()
        .filter(|e| e.kind == EntryKind::Bonus)
        .collect();
    assert_eq!(entries.len(), bonuses.len());
    for b in &bonuses {
        let hits: Vec<&LedgerEntry> = m
            .ledger_of(&b.customer)
            .iter()
            .filter(|e| e.kind == EntryKind::Bonus && e.reference == b.reference)
            .collect();
        assert_eq!(hits.len(), 1, "{b:?}");
        assert_eq!((hits[0].date, hits[0].points), (b.date, b.points));
    }
    // Per customer: the bonus total is what the awards credited, and nothing else moved —
    // earnings, reversals and the tier (a spend scheme) are those of the run without them.
    for (c, p) in m.customers.iter().zip(&plain.customers) {
        let awarded: i64 = bonuses
            .iter()
            .filter(|b| b.customer == c.id)
            .map(|b| b.points)
            .sum();
        assert_eq!(c.bonus, awarded, "{}", c.id);
        assert_eq!(
            (c.earned, c.reversed, c.tier, &c.id),
            (p.earned, p.reversed, p.tier, &p.id)
        );
        assert_eq!(
            c.balance,
            c.earned - c.redeemed - c.expired - c.reversed + c.bonus
        );
        // The awards are credited on the settlement's last day; points earned in 2025
        // expire no earlier than 2026, so nothing more expired by 2025-12-31.
        assert_eq!(c.expired, p.expired, "{}", c.id);
        assert_eq!(c.balance, p.balance + c.bonus, "{}", c.id);
    }
    let credited: i64 = m.customers.iter().map(|c| c.bonus).sum();
    let total: i64 = bonuses.iter().map(|b| b.points).sum();
    assert_eq!(credited, total);
}
