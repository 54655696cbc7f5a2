//! Scorecards, onboarding evaluation and grade rules: hand-computed cases (arithmetic in the
//! comments), validation errors with field paths, proptests of the score's invariants, and
//! the committed JSON Schemas of the three documents.

use proptest::prelude::*;
use qudao::Error;
use qudao::date::Period;
use qudao::document::RuleDocument;
use qudao::evaluation::grade::{GradeInputs, GradeRules, SuggestionKind};
use qudao::evaluation::onboarding::OnboardingPolicy;
use qudao::evaluation::scorecard::{
    MissingAction, PeriodScores, Scorecard, ScorecardRun, SubjectScore,
};
use qudao::evaluation::{Kpi, KpiTable, KpiValue, Missing, Subject, SubjectKind};
use qudao::master::{MasterData, MasterDocument};
use qudao::model::Onboarding;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn q(s: &str) -> Period {
    Period::parse(s).expect("period")
}

fn partner(id: &str) -> Subject {
    Subject {
        kind: SubjectKind::Partner,
        id: id.into(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn doc_path(e: Error) -> (String, String) {
    match e {
        Error::Document { path, message } => (path, message),
        other => panic!("expected a document error, got {other}"),
    }
}

/// Financial 0.6 {revenue min–max 0.5, gross margin ratio to target 0.3 capped at 1, 0.5},
/// customer 0.4 {complaint rate min–max (lower is better) 1}.
fn card(missing: &str) -> Scorecard {
    Scorecard::from_toml(&format!(
        r#"
schema_version = 1
id = "t"
name = {{ en = "Test", zh = "测试" }}
subject = "partner"
missing = "{missing}"
[[groups]]
group = "financial"
weight = "0.6"
indicators = [
  {{ kpi = "revenue", normalisation = {{ method = "min_max" }}, weight = "0.5" }},
  {{ kpi = "gross_margin", normalisation = {{ method = "ratio_to_target", target = "0.3", cap = "1" }}, weight = "0.5" }},
]
[[groups]]
group = "customer"
weight = "0.4"
indicators = [{{ kpi = "complaint_rate", normalisation = {{ method = "min_max" }}, weight = "1" }}]
"#
    ))
    .expect("valid card")
}

/// P1: revenue 100, margin 0.15, complaints 0.02; P2: 300, 0.30, 0.04; P3: 200, 0.45, none.
fn three_partners() -> KpiTable {
    let mut t = KpiTable::default();
    let p = q("2025-Q1");
    for (id, rev, gm, cr) in [
        ("P1", "100", "0.15", Some("0.02")),
        ("P2", "300", "0.30", Some("0.04")),
        ("P3", "200", "0.45", None),
    ] {
        t.set(partner(id), p, Kpi::Revenue, KpiValue::Value(d(rev)));
        t.set(partner(id), p, Kpi::GrossMargin, KpiValue::Value(d(gm)));
        let c = match cr {
            Some(v) => KpiValue::Value(d(v)),
            None => KpiValue::Missing(Missing::NoData {
                input: "complaints".into(),
            }),
        };
        t.set(partner(id), p, Kpi::ComplaintRate, c);
    }
    t
}

fn by_id<'a>(p: &'a PeriodScores, id: &str) -> &'a SubjectScore {
    p.get(id).expect("scored")
}

#[test]
fn exclude_and_reweight_by_hand() {
    let run = card("exclude_and_reweight")
        .evaluate(&three_partners())
        .expect("evaluates");
    let p = &run.periods[0];
    // revenue min–max over 100..300: P1 0, P2 100, P3 50.
    // margin / 0.3 capped at 1: P1 0.5 → 50, P2 1 → 100, P3 1.5 → 100.
    // complaints (lower is better) over 0.02..0.04: P1 100, P2 0; P3 missing.
    // P1 = 0.6·(0.5·0 + 0.5·50) + 0.4·100 = 15 + 40 = 55
    // P2 = 0.6·(0.5·100 + 0.5·100) + 0.4·0 = 60
    // P3: the customer group is empty, financial takes all: 0.5·50 + 0.5·100 = 75
    assert!(
        close(by_id(p, "P1").score, 55.0),
        "{}",
        by_id(p, "P1").score
    );
    assert!(close(by_id(p, "P2").score, 60.0));
    assert!(close(by_id(p, "P3").score, 75.0));
    let order: Vec<(&str, usize)> = p.scores.iter().map(|s| (s.id.as_str(), s.rank)).collect();
    assert_eq!(order, vec![("P3", 1), ("P2", 2), ("P1", 3)]);

    let p3 = by_id(p, "P3");
    let complaint = &p3.indicators[2];
    assert_eq!(complaint.kpi, Kpi::ComplaintRate);
    assert_eq!(complaint.action, MissingAction::Excluded);
    assert_eq!(complaint.raw, None);
    assert_eq!(
        complaint.missing,
        Some(Missing::NoData {
            input: "complaints".into()
        })
    );
    assert_eq!(complaint.effective_weight, 0.0);
    // Document weights 0.3, 0.3, 0.4; effective 0.5, 0.5, 0.
    assert!(close(p3.indicators[0].weight, 0.3));
    assert!(close(p3.indicators[0].effective_weight, 0.5));
    assert!(close(p3.indicators[1].effective_weight, 0.5));
    assert!(close(p3.indicators[1].contribution, 50.0));
    assert_eq!(p3.indicators[0].normalised, Some(50.0));

    // Peer averages of contributions: revenue (0 + 30 + 25)/3 = 18.33, margin (15 + 30 + 50)/3
    // = 31.67, complaints (40 + 0 + 0)/3 = 13.33. P1: complaints +26.67 (strength), revenue
    // −18.33 and margin −16.67 (weaknesses, largest loss first).
    let p1 = by_id(p, "P1");
    let strengths: Vec<Kpi> = p1.strengths.iter().map(|r| r.kpi).collect();
    let weaknesses: Vec<Kpi> = p1.weaknesses.iter().map(|r| r.kpi).collect();
    assert_eq!(strengths, vec![Kpi::ComplaintRate]);
    assert_eq!(weaknesses, vec![Kpi::Revenue, Kpi::GrossMargin]);
    assert!((p1.strengths[0].delta - 80.0 / 3.0).abs() < 1e-9);
    assert!((p1.weaknesses[0].peer_average - 55.0 / 3.0).abs() < 1e-9);
}

#[test]
fn peer_median_stands_in() {
    let run = card("peer_median")
        .evaluate(&three_partners())
        .expect("evaluates");
    let p3 = by_id(&run.periods[0], "P3");
    // median of 0.02 and 0.04 = 0.03; min–max (lower is better): (0.04 − 0.03)/0.02 = 50.
    // P3 = 0.6·75 + 0.4·50 = 45 + 20 = 65.
    assert!(close(p3.score, 65.0), "{}", p3.score);
    assert_eq!(
        p3.indicators[2].action,
        MissingAction::PeerMedian {
            median: d("0.03"),
            peers: 2
        }
    );
    assert_eq!(p3.indicators[2].used, Some(d("0.03")));
    assert_eq!(p3.indicators[2].raw, None);
}

#[test]
fn error_policy_names_subject_period_and_kpi() {
    let err = card("error")
        .evaluate(&three_partners())
        .expect_err("P3 has no complaint rate");
    let text = err.to_string();
    assert!(text.contains("\"P3\""), "{text}");
    assert!(text.contains("2025-Q1"), "{text}");
    assert!(text.contains("complaint_rate"), "{text}");
    assert!(text.contains("no complaints data"), "{text}");
    assert!(text.contains("groups[1].indicators[0]"), "{text}");
}

#[test]
fn indicator_policy_overrides_the_card() {
    let mut c = card("error");
    c.groups[1].indicators[0].missing =
        Some(qudao::evaluation::scorecard::MissingPolicy::ExcludeAndReweight);
    let run = c
        .evaluate(&three_partners())
        .expect("the override excludes");
    assert!(close(by_id(&run.periods[0], "P3").score, 75.0));
}

/// A one-indicator card on revenue with the given normalisation (TOML inline table).
fn one(normalisation: &str, direction: Option<&str>) -> Scorecard {
    let dir = direction
        .map(|d| format!(", direction = \"{d}\""))
        .unwrap_or_default();
    Scorecard::from_toml(&format!(
        r#"
schema_version = 1
id = "one"
name = {{ en = "One", zh = "一" }}
subject = "partner"
missing = "exclude_and_reweight"
[[groups]]
group = "other"
weight = "1"
indicators = [{{ kpi = "revenue", normalisation = {normalisation}, weight = "1"{dir} }}]
"#
    ))
    .expect("valid card")
}

fn revenues(values: &[(&str, &str)]) -> KpiTable {
    let mut t = KpiTable::default();
    for (id, v) in values {
        t.set(
            partner(id),
            q("2025-Q1"),
            Kpi::Revenue,
            KpiValue::Value(d(v)),
        );
    }
    t
}

fn scores(card: &Scorecard, t: &KpiTable) -> Vec<(String, f64)> {
    let run = card.evaluate(t).expect("evaluates");
    let mut v: Vec<(String, f64)> = run.periods[0]
        .scores
        .iter()
        .map(|s| (s.id.clone(), s.score))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn z_score_maps_through_the_normal_cdf() {
    let t = revenues(&[("A", "1"), ("B", "2"), ("C", "3")]);
    let s = scores(&one("{ method = \"z_score\" }", None), &t);
    // mean 2, population sd √(2/3) = 0.81650; z(C) = 1/0.81650 = 1.22474; Φ(1.22474) = 0.88966.
    assert!((s[2].1 - 88.966).abs() < 1e-3, "{}", s[2].1);
    assert!((s[1].1 - 50.0).abs() < 1e-6);
    assert!((s[0].1 - 11.034).abs() < 1e-3);
    // All equal: sd 0 → 50.
    let flat = scores(
        &one("{ method = \"z_score\" }", None),
        &revenues(&[("A", "5"), ("B", "5")]),
    );
    assert!(flat.iter().all(|(_, s)| close(*s, 50.0)));
}

#[test]
fn min_max_direction_override_and_equal_peers() {
    let t = revenues(&[("A", "100"), ("B", "150"), ("C", "300")]);
    let s = scores(
        &one("{ method = \"min_max\" }", Some("lower_is_better")),
        &t,
    );
    // (300 − v)/(300 − 100): A 100, B 75, C 0.
    assert_eq!(
        s,
        vec![("A".into(), 100.0), ("B".into(), 75.0), ("C".into(), 0.0)]
    );
    let single = scores(
        &one("{ method = \"min_max\" }", None),
        &revenues(&[("A", "7")]),
    );
    assert_eq!(single, vec![("A".into(), 50.0)]);
}

#[test]
fn ratio_to_target_and_bands() {
    let c = one(
        "{ method = \"ratio_to_target\", target = \"200\", cap = \"1.25\" }",
        None,
    );
    // 100/200 = 0.5 → 100·0.5/1.25 = 40; 250/200 = 1.25 → 100; 400/200 = 2 → capped 100;
    // −10 → ratio below 0 → 0.
    let s = scores(
        &c,
        &revenues(&[("A", "100"), ("B", "250"), ("C", "400"), ("D", "-10")]),
    );
    assert_eq!(
        s,
        vec![
            ("A".into(), 40.0),
            ("B".into(), 100.0),
            ("C".into(), 100.0),
            ("D".into(), 0.0)
        ]
    );
    // Lower is better: target / v, full marks at v ≤ 0. 200/400 = 0.5 → 40; 0 → 100.
    let low = one(
        "{ method = \"ratio_to_target\", target = \"200\", cap = \"1.25\" }",
        Some("lower_is_better"),
    );
    let s = scores(&low, &revenues(&[("A", "400"), ("B", "0")]));
    assert_eq!(s, vec![("A".into(), 40.0), ("B".into(), 100.0)]);

    let bands = one(
        r#"{ method = "bands", bands = [{ from = "0", to = "100", points = "20" }, { from = "100", to = "200", points = "80" }] }"#,
        None,
    );
    let run = bands
        .evaluate(&revenues(&[("A", "100"), ("B", "99.99"), ("C", "200")]))
        .expect("evaluates");
    let p = &run.periods[0];
    // [0, 100) → 20, [100, 200) → 80: 100 is in the second band; 200 is in none.
    assert_eq!(by_id(p, "A").score, 80.0);
    assert_eq!(by_id(p, "B").score, 20.0);
    assert_eq!(by_id(p, "C").score, 0.0);
    assert!(
        by_id(p, "C").indicators[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("outside every band")),
    );
}

#[test]
fn all_indicators_missing_is_unscored_and_ties_go_by_id() {
    let mut t = revenues(&[("B", "5"), ("A", "5")]);
    t.set(
        partner("C"),
        q("2025-Q1"),
        Kpi::Revenue,
        KpiValue::Missing(Missing::ZeroDenominator {
            what: "orders".into(),
        }),
    );
    let run = one("{ method = \"min_max\" }", None)
        .evaluate(&t)
        .expect("evaluates");
    let p = &run.periods[0];
    assert_eq!(p.unscored.len(), 1);
    assert_eq!(p.unscored[0].id, "C");
    let ranks: Vec<(&str, usize)> = p.scores.iter().map(|s| (s.id.as_str(), s.rank)).collect();
    assert_eq!(ranks, vec![("A", 1), ("B", 2)]);
}

const GOOD: &str = r#"
schema_version = 1
id = "v"
name = { en = "V", zh = "五" }
subject = "channel"
missing = "error"
[[groups]]
group = "financial"
weight = "0.5"
indicators = [
  { kpi = "revenue", normalisation = { method = "min_max" }, weight = "0.5" },
  { kpi = "roi", normalisation = { method = "bands", bands = [{ to = "0", points = "0" }, { from = "0", to = "1", points = "50" }, { from = "1", points = "100" }] }, weight = "0.5" },
]
[[groups]]
group = "market"
weight = "0.5"
indicators = [{ kpi = "market_share", normalisation = { method = "z_score" }, weight = "1" }]
"#;

fn bad(from: &str, to: &str) -> (String, String) {
    assert!(GOOD.contains(from), "{from}");
    doc_path(Scorecard::from_toml(&GOOD.replacen(from, to, 1)).expect_err("invalid"))
}

#[test]
fn scorecard_validation_names_field_paths() {
    Scorecard::from_toml(GOOD).expect("the base card is valid");
    let (p, m) = bad(
        "weight = \"0.5\"\nindicators = [{ kpi",
        "weight = \"0.4\"\nindicators = [{ kpi",
    );
    assert_eq!(p, "groups");
    assert!(m.contains("sum to 0.9"), "{m}");
    let (p, m) = bad(
        "{ method = \"min_max\" }, weight = \"0.5\"",
        "{ method = \"min_max\" }, weight = \"0.6\"",
    );
    assert_eq!(p, "groups[0].indicators");
    assert!(m.contains("sum to 1.1"), "{m}");
    let (p, _) = bad("kpi = \"revenue\"", "kpi = \"revenu\"");
    assert_eq!(p, "groups[0].indicators[0].kpi");
    let (p, m) = bad(
        "indicators = [{ kpi = \"market_share\", normalisation = { method = \"z_score\" }, weight = \"1\" }]",
        "indicators = []",
    );
    assert_eq!(p, "groups[1].indicators");
    assert!(m.contains("empty group"), "{m}");
    let (p, m) = bad(
        "{ from = \"0\", to = \"1\", points = \"50\" }",
        "{ from = \"0.1\", to = \"1\", points = \"50\" }",
    );
    assert_eq!(p, "groups[0].indicators[1].normalisation.bands[1].from");
    assert!(m.starts_with("gap"), "{m}");
    let (p, m) = bad(
        "{ from = \"1\", points = \"100\" }",
        "{ from = \"0.9\", points = \"100\" }",
    );
    assert_eq!(p, "groups[0].indicators[1].normalisation.bands[2].from");
    assert!(m.starts_with("overlap"), "{m}");
    let (p, _) = bad("points = \"100\"", "points = \"101\"");
    assert_eq!(p, "groups[0].indicators[1].normalisation.bands[2].points");
    let (p, _) = bad("kpi = \"market_share\"", "kpi = \"revenue\"");
    assert_eq!(p, "groups[1].indicators[0].kpi");
    let (p, _) = bad("group = \"market\"", "group = \"financial\"");
    assert_eq!(p, "groups[1].group");
    // Within the default tolerance 0.001: 0.5 + 0.4995 is accepted.
    Scorecard::from_toml(&GOOD.replacen(
        "weight = \"0.5\"\nindicators = [{ kpi",
        "weight = \"0.4995\"\nindicators = [{ kpi",
        1,
    ))
    .expect("within tolerance");
}

#[test]
fn sample_scorecard_is_valid_and_weights_sum_to_one() {
    let card = Scorecard::sample_company();
    assert_eq!(card.id, "minghe-partner-2025");
    assert_eq!(card.kpis().len(), 12);
    let total: Decimal = card
        .groups
        .iter()
        .flat_map(|g| g.indicators.iter().map(move |i| g.weight * i.weight))
        .sum();
    assert_eq!(total, Decimal::ONE);
}

// ---------------------------------------------------------------- proptests

/// Up to 8 partners × (revenue, complaint rate, target attainment), each value maybe missing.
fn table_strategy() -> impl Strategy<Value = Vec<(u8, [Option<i64>; 3])>> {
    prop::collection::vec(
        (
            0u8..8,
            [
                prop::option::weighted(0.8, -1000i64..100_000),
                prop::option::weighted(0.8, 0i64..1000),
                prop::option::weighted(0.8, 0i64..3000),
            ],
        ),
        1..12,
    )
}

const KPIS: [Kpi; 3] = [Kpi::Revenue, Kpi::ComplaintRate, Kpi::TargetAttainment];

fn prop_card(policy: &str) -> Scorecard {
    Scorecard::from_toml(&format!(
        r#"
schema_version = 1
id = "p"
name = {{ en = "P", zh = "P" }}
subject = "partner"
missing = "{policy}"
[[groups]]
group = "financial"
weight = "0.7"
indicators = [
  {{ kpi = "revenue", normalisation = {{ method = "min_max" }}, weight = "0.6" }},
  {{ kpi = "target_attainment", normalisation = {{ method = "ratio_to_target", target = "1", cap = "1.2" }}, weight = "0.4" }},
]
[[groups]]
group = "customer"
weight = "0.3"
indicators = [{{ kpi = "complaint_rate", normalisation = {{ method = "z_score" }}, weight = "1" }}]
"#
    ))
    .expect("valid card")
}

/// Rows in the given order; a later row for the same partner overwrites.
fn build(rows: &[(u8, [Option<i64>; 3])]) -> KpiTable {
    let mut t = KpiTable::default();
    for (p, vals) in rows {
        for (k, v) in KPIS.iter().zip(vals) {
            let value = match v {
                // Ratios in thousandths.
                Some(x) if *k != Kpi::Revenue => KpiValue::Value(Decimal::new(*x, 3)),
                Some(x) => KpiValue::Value(Decimal::from(*x)),
                None => KpiValue::Missing(Missing::NoData { input: "x".into() }),
            };
            t.set(partner(&format!("P{p}")), q("2025-Q1"), *k, value);
        }
    }
    t
}

proptest! {
    #[test]
    fn scores_are_within_0_100_and_effective_weights_sum_to_1(
        rows in table_strategy(),
        policy in prop::sample::select(vec!["exclude_and_reweight", "peer_median"]),
    ) {
        let run = prop_card(policy).evaluate(&build(&rows)).expect("evaluates");
        for p in &run.periods {
            for s in &p.scores {
                prop_assert!((0.0..=100.0).contains(&s.score), "{}", s.score);
                let w: f64 = s.indicators.iter().map(|i| i.effective_weight).sum();
                prop_assert!((w - 1.0).abs() < 1e-9, "weights sum to {w}");
                let c: f64 = s.indicators.iter().map(|i| i.contribution).sum();
                prop_assert!((c - s.score).abs() < 1e-9);
                for i in &s.indicators {
                    if i.normalised.is_none() {
                        prop_assert_eq!(i.effective_weight, 0.0);
                    }
                    if let Some(n) = i.normalised {
                        prop_assert!((0.0..=100.0).contains(&n));
                    }
                }
            }
            let ranks: Vec<usize> = p.scores.iter().map(|s| s.rank).collect();
            prop_assert_eq!(ranks, (1..=p.scores.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ranking_is_invariant_to_input_order(
        rows in table_strategy().prop_flat_map(|r| {
            let shuffled = Just(r.clone()).prop_shuffle();
            (Just(r), shuffled)
        }),
    ) {
        // Last write wins per partner, so keep one row per partner before shuffling.
        let (a, b) = rows;
        let dedup = |rows: &[(u8, [Option<i64>; 3])]| {
            let mut seen = std::collections::BTreeSet::new();
            rows.iter().filter(|(p, _)| seen.insert(*p)).cloned().collect::<Vec<_>>()
        };
        let first: Vec<_> = dedup(&a);
        let mut second: Vec<_> = b.into_iter().filter(|r| first.contains(r)).collect();
        second.dedup_by_key(|r| r.0);
        let card = prop_card("exclude_and_reweight");
        let x = card.evaluate(&build(&first)).expect("evaluates");
        let y = card.evaluate(&build(&second)).expect("evaluates");
        prop_assert_eq!(
            serde_json::to_string(&x).expect("json"),
            serde_json::to_string(&y).expect("json")
        );
    }

    #[test]
    fn improving_one_indicator_never_lowers_the_own_score(
        rows in table_strategy(),
        who in 0u8..8,
        k in 0usize..3,
        step in 1i64..50_000,
        policy in prop::sample::select(vec!["exclude_and_reweight", "peer_median"]),
    ) {
        let card = prop_card(policy);
        let before = build(&rows);
        let s = partner(&format!("P{who}"));
        let period = q("2025-Q1");
        let Some(KpiValue::Value(v)) = before.get(&s, period, KPIS[k]).cloned() else {
            return Ok(());
        };
        // Good direction: revenue and attainment up, complaints down.
        let delta = if KPIS[k] == Kpi::Revenue { Decimal::from(step) } else { Decimal::new(step, 3) };
        let better = if KPIS[k] == Kpi::ComplaintRate { v - delta } else { v + delta };
        let mut after = before.clone();
        after.set(s.clone(), period, KPIS[k], KpiValue::Value(better));
        let old = card.evaluate(&before).expect("evaluates");
        let new = card.evaluate(&after).expect("evaluates");
        let (Some(o), Some(n)) = (old.score(&s.id, period), new.score(&s.id, period)) else {
            return Err(TestCaseError::fail("the subject has a value, so it is scored"));
        };
        // Floating point: allow 1e-9 of rounding in the sums.
        prop_assert!(n.score >= o.score - 1e-9, "{} → {}", o.score, n.score);
    }
}

// ---------------------------------------------------------------- onboarding

#[test]
fn onboarding_by_hand() {
    let policy = OnboardingPolicy::sample_company();
    let candidate = Onboarding {
        licence_held: true,
        years_in_industry: Some(5),
        registered_capital: Some(d("2000000")),
        team_size: Some(21),
        regional_market_share: Some(d("0.1")),
        customer_resources: Some(200),
        brand_alignment: vec![4, 5, 3, 4, 4],
    };
    let r = policy.evaluate(&candidate);
    // market share 0.1/0.2 → 50 · 0.3 = 15; customers 200 ≥ 150 → 100 · 0.3 = 30;
    // team (21 − 2)/(40 − 2) = 0.5 → 50 · 0.2 = 10; brand mean 4 → (4 − 1)/4 = 75 · 0.2 = 15.
    // Score 15 + 30 + 10 + 15 = 70 ≥ 60 with every gate held: pass.
    assert!(r.passed);
    assert_eq!(r.score, 70.0);
    assert!(r.failed_gates.is_empty());
    let order: Vec<(&str, f64)> = r
        .criteria
        .iter()
        .map(|c| (c.id.as_str(), c.contribution))
        .collect();
    // Equal contributions (15) keep policy order: market_share before brand.
    assert_eq!(
        order,
        vec![
            ("customers", 30.0),
            ("market_share", 15.0),
            ("brand", 15.0),
            ("team", 10.0)
        ]
    );
    assert_eq!(r.criteria[2].value, Some(d("4")));

    // Two years in the industry: the gate fails with the value and the threshold.
    let young = Onboarding {
        years_in_industry: Some(2),
        ..candidate.clone()
    };
    let r = policy.evaluate(&young);
    assert!(!r.passed);
    assert_eq!(r.score, 70.0);
    assert_eq!(r.failed_gates.len(), 1);
    let g = &r.failed_gates[0];
    assert_eq!(
        (
            g.id.as_str(),
            g.value,
            g.threshold.as_str(),
            g.reason.as_deref()
        ),
        ("years", Some(d("2")), "≥ 3", Some("2 < 3"))
    );

    // Every gate held but the score short: 0.05 share → 25·0.3 = 7.5, 10 customers → 20·0.3
    // = 6, team 2 → 0, brand 1 → 0: 13.5 < 60.
    let weak = Onboarding {
        team_size: Some(2),
        regional_market_share: Some(d("0.05")),
        customer_resources: Some(10),
        brand_alignment: vec![1, 1],
        ..candidate
    };
    let r = policy.evaluate(&weak);
    assert!(!r.passed && r.failed_gates.is_empty());
    assert_eq!(r.score, 13.5);
}

#[test]
fn onboarding_missing_attributes_are_said() {
    let policy = OnboardingPolicy::sample_company();
    let r = policy.evaluate(&Onboarding::default());
    assert!(!r.passed);
    let reasons: Vec<(&str, Option<&str>)> = r
        .failed_gates
        .iter()
        .map(|g| (g.id.as_str(), g.reason.as_deref()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("licence", Some("no licence held")),
            ("years", Some("not provided")),
            ("capital", Some("not provided"))
        ]
    );
    assert_eq!(r.score, 0.0);
    assert!(
        r.criteria
            .iter()
            .all(|c| c.value.is_none() && c.note.as_deref() == Some("not provided: scores 0"))
    );

    let odd = Onboarding {
        brand_alignment: vec![3, 7],
        ..Onboarding::default()
    };
    let r = policy.evaluate(&odd);
    let brand = r.criteria.iter().find(|c| c.id == "brand").expect("brand");
    assert_eq!(
        brand.note.as_deref(),
        Some("answer 2 is 7, outside 1–5: scores 0")
    );
}

#[test]
fn onboarding_of_master_partners_by_id() {
    let master = MasterData::new(
        MasterDocument::from_json(
            r#"{"currency": "CNY", "partners": [
              {"id": "Z9", "model": "agency"},
              {"id": "A1", "model": "distribution", "onboarding": {"licence_held": true,
               "years_in_industry": 10, "registered_capital": "5000000", "team_size": 40,
               "regional_market_share": "0.3", "customer_resources": 500, "brand_alignment": [5]}}
            ]}"#,
        )
        .expect("parse"),
    )
    .expect("valid");
    let results = OnboardingPolicy::sample_company().evaluate_partners(&master);
    let ids: Vec<Option<&str>> = results.iter().map(|r| r.partner.as_deref()).collect();
    assert_eq!(ids, vec![Some("A1"), Some("Z9")]);
    // Every criterion at its top: 100.
    assert!(results[0].passed && results[0].score == 100.0);
    assert!(!results[1].passed);
}

#[test]
fn onboarding_validation_names_field_paths() {
    let base = OnboardingPolicy::sample_company();
    let mut p = base.clone();
    p.criteria[0].weight = d("0.4");
    assert_eq!(doc_path(p.validate().expect_err("weights")).0, "criteria");
    let mut p = base.clone();
    p.gates[0].at_least = Some(d("1"));
    assert_eq!(
        doc_path(p.validate().expect_err("licence")).0,
        "gates[0].at_least"
    );
    let mut p = base.clone();
    p.gates[1].at_least = None;
    assert_eq!(
        doc_path(p.validate().expect_err("no threshold")).0,
        "gates[1]"
    );
    let mut p = base.clone();
    p.criteria[3].id = "years".into();
    assert_eq!(doc_path(p.validate().expect_err("dup")).0, "criteria[3].id");
    let mut p = base;
    p.pass_score = d("120");
    assert_eq!(doc_path(p.validate().expect_err("pass")).0, "pass_score");
    let text = include_str!("../evaluation/sample-onboarding.toml")
        .replace("min = \"2\", max = \"40\"", "min = \"2\", max = \"2\"");
    let (path, _) = doc_path(OnboardingPolicy::from_toml(&text).expect_err("min = max"));
    assert_eq!(path, "criteria[2].normalisation.max");
}

// ---------------------------------------------------------------- grade rules

const QUARTERS: [&str; 4] = ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"];

fn grade_master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{"currency": "CNY", "partners": [
              {"id": "D1", "model": "distribution", "grade": "A"},
              {"id": "D2", "model": "distribution", "grade": "B"},
              {"id": "D3", "model": "agency", "grade": "C"},
              {"id": "D4", "model": "distribution", "grade": "A"}
            ]}"#,
        )
        .expect("parse"),
    )
    .expect("valid")
}

/// A hand-made run of the sample scorecard: per partner, a score per quarter.
fn grade_run(rows: &[(&str, [f64; 4])], quarters: &[&str]) -> ScorecardRun {
    let periods = quarters
        .iter()
        .enumerate()
        .map(|(qi, qs)| {
            let mut scores: Vec<SubjectScore> = rows
                .iter()
                .map(|(id, s)| SubjectScore {
                    id: (*id).into(),
                    score: s[qi],
                    rank: 0,
                    indicators: Vec::new(),
                    strengths: Vec::new(),
                    weaknesses: Vec::new(),
                })
                .collect();
            scores.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
            for (i, s) in scores.iter_mut().enumerate() {
                s.rank = i + 1;
            }
            PeriodScores {
                period: q(qs),
                scores,
                unscored: Vec::new(),
            }
        })
        .collect();
    ScorecardRun {
        scorecard: "minghe-partner-2025".into(),
        subject: SubjectKind::Partner,
        periods,
    }
}

fn revenue_table(rows: &[(&str, [i64; 4])], quarters: &[&str]) -> KpiTable {
    let mut t = KpiTable::default();
    for (id, r) in rows {
        for (qi, qs) in quarters.iter().enumerate() {
            t.set(
                partner(id),
                q(qs),
                Kpi::Revenue,
                KpiValue::Value(Decimal::from(r[qi])),
            );
        }
    }
    t
}

const GRADE_SCORES: [(&str, [f64; 4]); 5] = [
    // A, ≥ 85 four quarters: eligible for general agent (with revenue ≥ 20000).
    ("D1", [90.0, 88.0, 86.0, 85.0]),
    // B, the last two ≥ 75: promote to A.
    ("D2", [60.0, 70.0, 76.0, 80.0]),
    // C agency, the last two below 50: review (and not ≥ 65: no promotion).
    ("D3", [40.0, 45.0, 48.0, 30.0]),
    // A, the last two below 55 (52, 45): demote to B; 52 is not below 50: no review.
    ("D4", [90.0, 90.0, 52.0, 45.0]),
    // Not in the master data.
    ("X1", [99.0, 99.0, 99.0, 99.0]),
];

#[test]
fn grade_suggestions_by_hand() {
    let master = grade_master();
    let run = grade_run(&GRADE_SCORES, &QUARTERS);
    let kpis = revenue_table(&[("D1", [25_000, 21_000, 30_000, 20_000])], &QUARTERS);
    let rules = GradeRules::sample_company();
    let report = rules
        .suggest(&GradeInputs {
            master: &master,
            kpis: &kpis,
            scores: Some(&run),
            as_of: None,
        })
        .expect("suggests");
    let got: Vec<(&str, &str, SuggestionKind, &str, Option<&str>)> = report
        .suggestions
        .iter()
        .map(|s| {
            (
                s.partner.as_str(),
                s.rule.as_str(),
                s.kind,
                s.from.as_str(),
                s.to.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "D1",
                "ga-eligible",
                SuggestionKind::Promote,
                "A",
                Some("general_agent")
            ),
            ("D2", "b-to-a", SuggestionKind::Promote, "B", Some("A")),
            ("D3", "review", SuggestionKind::Review, "C", None),
            ("D4", "a-to-b", SuggestionKind::Demote, "A", Some("B")),
        ]
    );
    assert_eq!(report.not_in_master, vec!["X1".to_string()]);
    assert_eq!(report.as_of, vec![q("2025-Q2")]);
    // The evidence: the four quarters with the score and revenue read.
    let ev = &report.suggestions[0].evidence;
    assert_eq!(
        ev.iter().map(|e| e.period).collect::<Vec<_>>(),
        QUARTERS.iter().map(|s| q(s)).collect::<Vec<_>>()
    );
    assert_eq!(ev[3].values[0].condition, "score ≥ 85");
    assert_eq!(ev[3].values[0].value, d("85"));
    assert_eq!(ev[3].values[1].condition, "revenue ≥ 20000");
    assert_eq!(ev[3].values[1].value, d("20000"));
    let d4 = &report.suggestions[3].evidence;
    assert_eq!(
        d4.iter()
            .map(|e| (e.period, e.values[0].value))
            .collect::<Vec<_>>(),
        vec![(q("2025-Q1"), d("52")), (q("2025-Q2"), d("45"))]
    );
}

#[test]
fn grade_windows_revenue_as_of_and_gaps() {
    let master = grade_master();
    let rules = GradeRules::sample_company();
    let run = grade_run(&GRADE_SCORES, &QUARTERS);
    // D1's revenue of 19,999 in one quarter breaks the four-quarter rule.
    let kpis = revenue_table(&[("D1", [25_000, 19_999, 30_000, 20_000])], &QUARTERS);
    let inputs = GradeInputs {
        master: &master,
        kpis: &kpis,
        scores: Some(&run),
        as_of: None,
    };
    let report = rules.suggest(&inputs).expect("suggests");
    assert!(report.suggestions.iter().all(|s| s.partner != "D1"));

    // As of 2025-Q1 the two-quarter windows are 2024-Q4 and 2025-Q1: D4 scored 90 and 52,
    // no demotion; D2 70 and 76, no promotion; D3 45 and 48, review.
    let report = rules
        .suggest(&GradeInputs {
            as_of: Some(q("2025-Q1")),
            ..inputs
        })
        .expect("suggests");
    let got: Vec<(&str, &str)> = report
        .suggestions
        .iter()
        .map(|s| (s.partner.as_str(), s.rule.as_str()))
        .collect();
    assert_eq!(got, vec![("D3", "review")]);

    // Without 2024-Q4 the four quarters are not consecutive: no general-agent suggestion.
    let gappy = ["2024-Q2", "2024-Q3", "2025-Q1", "2025-Q2"];
    let run = grade_run(&GRADE_SCORES, &gappy);
    let kpis = revenue_table(&[("D1", [25_000, 25_000, 25_000, 25_000])], &gappy);
    let report = rules
        .suggest(&GradeInputs {
            master: &master,
            kpis: &kpis,
            scores: Some(&run),
            as_of: None,
        })
        .expect("suggests");
    assert!(report.suggestions.iter().all(|s| s.rule != "ga-eligible"));
    assert!(report.suggestions.iter().any(|s| s.rule == "a-to-b"));
}

#[test]
fn grade_inputs_are_checked() {
    let master = grade_master();
    let rules = GradeRules::sample_company();
    let kpis = KpiTable::default();
    let err = rules
        .suggest(&GradeInputs {
            master: &master,
            kpis: &kpis,
            scores: None,
            as_of: None,
        })
        .expect_err("score conditions need a run");
    assert!(matches!(err, Error::InvalidArgument { ref name, .. } if name == "scores"));
    let mut run = grade_run(&GRADE_SCORES, &QUARTERS);
    run.scorecard = "other".into();
    let err = rules
        .suggest(&GradeInputs {
            master: &master,
            kpis: &kpis,
            scores: Some(&run),
            as_of: None,
        })
        .expect_err("another scorecard");
    assert!(err.to_string().contains("minghe-partner-2025"), "{err}");
}

#[test]
fn grade_rules_validation_names_field_paths() {
    let text = include_str!("../evaluation/sample-grade-rules.toml");
    let (p, _) = doc_path(
        GradeRules::from_toml(&text.replacen(
            "{ of = \"score\", at_least = \"75\" }",
            "{ of = \"score\" }",
            1,
        ))
        .expect_err("no bound"),
    );
    assert_eq!(p, "rules[1].conditions[0]");
    let (p, m) = doc_path(
        GradeRules::from_toml(&text.replacen(
            "{ of = \"score\", at_least = \"75\" }",
            "{ of = \"score\", at_least = \"75\", below = \"75\" }",
            1,
        ))
        .expect_err("empty range"),
    );
    assert_eq!(p, "rules[1].conditions[0]");
    assert!(m.contains("no value satisfies"), "{m}");
    let (p, _) = doc_path(
        GradeRules::from_toml(&text.replacen("periods = 4", "periods = 0", 1)).expect_err("0"),
    );
    assert_eq!(p, "rules[0].periods");
    let (p, _) = doc_path(
        GradeRules::from_toml(&text.replacen("id = \"b-to-a\"", "id = \"ga-eligible\"", 1))
            .expect_err("dup"),
    );
    assert_eq!(p, "rules[1].id");
    let (p, _) = doc_path(
        GradeRules::from_toml(&text.replacen("kpi = \"revenue\"", "kpi = \"revenu\"", 1))
            .expect_err("unknown KPI"),
    );
    assert!(p.starts_with("rules[0].conditions[1].of"), "{p}");
}

// ---------------------------------------------------------------- schemas

fn check_schema(file: &str, schema: String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(file);
    let schema = format!("{schema}\n");
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir schemas");
        std::fs::write(&path, &schema).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "{} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --test evaluation_scorecard schema\nand commit it",
        path.display()
    );
}

#[test]
fn schema_files_are_current() {
    check_schema("scorecard.schema.json", Scorecard::json_schema());
    check_schema(
        "onboarding-policy.schema.json",
        OnboardingPolicy::json_schema(),
    );
    check_schema("grade-rules.schema.json", GradeRules::json_schema());
}

#[test]
fn sample_documents_round_trip_through_json() {
    let card = Scorecard::sample_company();
    assert!(!card.groups.is_empty());
    assert_eq!(Scorecard::from_json(&card.to_json()).expect("parses"), card);
    let policy = OnboardingPolicy::sample_company();
    assert_eq!(policy.id, "minghe-onboarding-2025");
    assert_eq!(
        OnboardingPolicy::from_json(&policy.to_json()).expect("parses"),
        policy
    );
    let rules = GradeRules::sample_company();
    assert_eq!(rules.rules.len(), 5);
    assert_eq!(
        GradeRules::from_json(&rules.to_json()).expect("parses"),
        rules
    );
}

#[test]
fn normal_cdf_matches_reference_values() {
    use qudao::evaluation::scorecard::std_normal_cdf;
    // Reference: Python's 0.5 · math.erfc(−z/√2).
    for (z, phi) in [
        (0.0, 0.5),
        (0.5, 0.691_462_461_274_013_1),
        (1.0, 0.841_344_746_068_542_9),
        (2.0, 0.977_249_868_051_820_8),
        (3.0, 0.998_650_101_968_369_9),
        (4.2426, 0.999_988_952_748_163),
        (4.2427, 0.999_988_957_671_307_5),
        (5.0, 0.999_999_713_348_428_1),
        (-1.0, 0.158_655_253_931_457_07),
        (-4.25, 1.068_852_577_493_443e-5),
        (-6.0, 9.865_876_450_377_012e-10),
    ] {
        let got = std_normal_cdf(z);
        assert!((got - phi).abs() < 1e-13, "Φ({z}) = {got}, expected {phi}");
    }
    assert_eq!(std_normal_cdf(0.0), 0.5);
}

proptest! {
    #[test]
    fn onboarding_score_is_within_0_100_and_pass_is_consistent(
        licence in any::<bool>(),
        years in prop::option::of(0u32..40),
        capital in prop::option::of(-1_000_000i64..100_000_000),
        team in prop::option::of(0u32..500),
        share in prop::option::of(-100i64..2000),
        customers in prop::option::of(0u32..1000),
        brand in prop::collection::vec(0u8..8, 0..6),
    ) {
        let candidate = Onboarding {
            licence_held: licence,
            years_in_industry: years,
            registered_capital: capital.map(Decimal::from),
            team_size: team,
            regional_market_share: share.map(|s| Decimal::new(s, 3)),
            customer_resources: customers,
            brand_alignment: brand,
        };
        let r = OnboardingPolicy::sample_company().evaluate(&candidate);
        prop_assert!((0.0..=100.0).contains(&r.score));
        prop_assert_eq!(r.passed, r.failed_gates.is_empty() && r.score >= 60.0);
        let sum: f64 = r.criteria.iter().map(|c| c.contribution).sum();
        prop_assert!((sum - r.score).abs() < 1e-9);
        prop_assert!(r.criteria.windows(2).all(|w| w[0].contribution >= w[1].contribution));
    }
}

#[test]
fn sample_company_end_to_end() {
    use qudao::evaluation::kpi::{Grain, KpiOptions, compute};
    let data = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(5_000))
        .expect("sample")
        .dataset;
    let from = qudao::Date::from_ymd(2024, 1, 1).expect("date");
    let to = qudao::Date::from_ymd(2026, 1, 1).expect("date");
    let mut options = KpiOptions::new(from, to, Grain::Quarter);
    options.kinds = vec![SubjectKind::Partner];
    options.threads = 1;
    let kpis = compute(&data, &options).expect("kpis");
    let run = Scorecard::sample_company().evaluate(&kpis).expect("scores");
    assert_eq!(run.periods.len(), 8, "eight quarters");
    for p in &run.periods {
        assert!(!p.scores.is_empty());
        for (i, s) in p.scores.iter().enumerate() {
            assert_eq!(s.rank, i + 1);
            assert!((0.0..=100.0).contains(&s.score));
            let w: f64 = s.indicators.iter().map(|x| x.effective_weight).sum();
            assert!((w - 1.0).abs() < 1e-9);
        }
    }
    let report = GradeRules::sample_company()
        .suggest(&GradeInputs {
            master: &data.master,
            kpis: &kpis,
            scores: Some(&run),
            as_of: None,
        })
        .expect("suggestions");
    assert_eq!(report.as_of, vec![q("2025-Q4")]);
    assert!(report.not_in_master.is_empty());
    let onboarding = OnboardingPolicy::sample_company().evaluate_partners(&data.master);
    assert_eq!(onboarding.len(), data.master.partners.len());
}
