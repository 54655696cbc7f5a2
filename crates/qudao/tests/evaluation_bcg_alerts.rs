//! The BCG matrix and early warnings on hand-built KPI tables, every expected value computed
//! by hand in the comments.

use proptest::prelude::*;
use qudao::Error;
use qudao::date::{Date, Period};
use qudao::document::RuleDocument;
use qudao::evaluation::alerts::{
    AlertInputs, CreditLimit, Evidence, LimitSource, Receivable, Severity, TrendDirection,
    WarningRules,
};
use qudao::evaluation::bcg::{BcgOptions, NotClassified, Quadrant, ShareBasis, movements};
use qudao::evaluation::{Kpi, KpiTable, KpiValue, Missing, Subject, SubjectKind};
use rust_decimal::Decimal;

fn period(s: &str) -> Period {
    Period::parse(s).expect("period")
}

fn date(s: &str) -> Date {
    Date::parse(s.as_bytes()).expect("date")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn subject(kind: SubjectKind, id: &str) -> Subject {
    Subject {
        kind,
        id: id.into(),
    }
}

fn channel(id: &str) -> Subject {
    subject(SubjectKind::Channel, id)
}

fn partner(id: &str) -> Subject {
    subject(SubjectKind::Partner, id)
}

fn set(t: &mut KpiTable, s: &Subject, p: &str, kpi: Kpi, v: &str) {
    t.set(s.clone(), period(p), kpi, KpiValue::Value(dec(v)));
}

fn set_missing(t: &mut KpiTable, s: &Subject, p: &str, kpi: Kpi, m: Missing) {
    t.set(s.clone(), period(p), kpi, KpiValue::Missing(m));
}

fn document_path(e: Error) -> String {
    match e {
        Error::Document { path, .. } => path,
        other => panic!("expected a document error, got {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// BCG
// ---------------------------------------------------------------------------------------

/// Q1 channels:
///
/// | channel | revenue | growth_pop | note |
/// |---|---|---|---|
/// | A | 500 | 0.05 | |
/// | B | 400 | 0.10 | growth exactly at the threshold |
/// | C | 100 | −0.05 | |
/// | D | 300 | missing (no data) | still a peer |
/// | E | missing | 0.30 | |
/// | F | −10 | 0.50 | returns above sales |
///
/// plus a partner P (ignored: the options classify channels).
fn q1_table() -> KpiTable {
    let mut t = KpiTable::default();
    let q = "2025-Q1";
    for (id, rev, g) in [
        ("A", "500", "0.05"),
        ("B", "400", "0.10"),
        ("C", "100", "-0.05"),
    ] {
        set(&mut t, &channel(id), q, Kpi::Revenue, rev);
        set(&mut t, &channel(id), q, Kpi::GrowthPop, g);
    }
    set(&mut t, &channel("D"), q, Kpi::Revenue, "300");
    set_missing(
        &mut t,
        &channel("D"),
        q,
        Kpi::GrowthPop,
        Missing::NoData {
            input: "transactions".into(),
        },
    );
    set_missing(
        &mut t,
        &channel("E"),
        q,
        Kpi::Revenue,
        Missing::NoData {
            input: "transactions".into(),
        },
    );
    set(&mut t, &channel("E"), q, Kpi::GrowthPop, "0.30");
    set(&mut t, &channel("F"), q, Kpi::Revenue, "-10");
    set(&mut t, &channel("F"), q, Kpi::GrowthPop, "0.50");
    set(&mut t, &partner("P"), q, Kpi::Revenue, "9999");
    set(&mut t, &partner("P"), q, Kpi::GrowthPop, "0.9");
    t
}

#[test]
fn bcg_largest_peer_classic() {
    let t = q1_table();
    let m = BcgOptions::default()
        .classify(&t, period("2025-Q1"))
        .expect("classifies");
    // Peers with a size: A 500, B 400, C 100, D 300 (D's growth is missing, its size counts).
    // A is the largest: compared with the second largest, B: 500 / 400 = 1.25 ≥ 1 → high
    //   share; growth 0.05 < 0.10 → low: cash cow.
    // B: 400 / 500 = 0.8 < 1 → low share; growth 0.10 ≥ 0.10 → high: question mark.
    // C: 100 / 500 = 0.2, growth −0.05: dog.
    let got: Vec<(&str, Quadrant)> = m
        .entries
        .iter()
        .map(|e| (e.subject.as_str(), e.quadrant))
        .collect();
    assert_eq!(
        got,
        vec![
            ("A", Quadrant::CashCow),
            ("B", Quadrant::QuestionMark),
            ("C", Quadrant::Dog)
        ]
    );
    let a = m.entry("A").expect("A");
    assert_eq!(a.relative_share, dec("1.25"));
    assert_eq!(a.reference.peer.as_deref(), Some("B"));
    assert_eq!(a.reference.value, dec("400"));
    assert!(a.high_share && !a.high_growth);
    assert_eq!(
        a.action.en,
        "Keep: hold the share with little new investment; its cash funds stars and question marks"
    );
    let b = m.entry("B").expect("B");
    assert_eq!(b.relative_share, dec("0.8"));
    assert_eq!(b.reference.peer.as_deref(), Some("A"));
    assert!(b.high_growth, "growth exactly at the threshold is high (≥)");
    assert_eq!(m.entry("C").expect("C").relative_share, dec("0.2"));
    assert!(m.entry("C").expect("C").action.en.starts_with("Drop"));
    assert!(m.entry("B").expect("B").action.en.starts_with("Invest"));

    // Unclassified, by id: D (growth missing), E (revenue missing), F (negative revenue).
    assert_eq!(
        m.unclassified
            .iter()
            .map(|u| (u.subject.as_str(), u.reason.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                "D",
                NotClassified::MissingKpi {
                    kpi: Kpi::GrowthPop,
                    missing: Some(Missing::NoData {
                        input: "transactions".into()
                    })
                }
            ),
            (
                "E",
                NotClassified::MissingKpi {
                    kpi: Kpi::Revenue,
                    missing: Some(Missing::NoData {
                        input: "transactions".into()
                    })
                }
            ),
            (
                "F",
                NotClassified::NegativeSize {
                    kpi: Kpi::Revenue,
                    value: dec("-10")
                }
            ),
        ]
    );
    assert_eq!(
        m.unclassified[0].reason.to_string(),
        "growth_pop is missing: no transactions data"
    );
    // The partner is not a channel.
    assert!(m.entry("P").is_none());
}

#[test]
fn bcg_largest_peer_tie_and_star() {
    // Two equal leaders: each is compared with the other, 500 / 500 = 1.0 ≥ 1 → high share.
    let mut t = KpiTable::default();
    let q = "2025-Q2";
    set(&mut t, &channel("X"), q, Kpi::Revenue, "500");
    set(&mut t, &channel("X"), q, Kpi::GrowthYoy, "0.25");
    set(&mut t, &channel("Y"), q, Kpi::Revenue, "500");
    set(&mut t, &channel("Y"), q, Kpi::GrowthYoy, "0.0999");
    let opts = BcgOptions {
        growth_kpi: Kpi::GrowthYoy,
        ..BcgOptions::default()
    };
    let m = opts.classify(&t, period(q)).expect("classifies");
    // X: share 1.0, growth 0.25 ≥ 0.10: star. Y: share 1.0, growth 0.0999 < 0.10: cash cow.
    assert_eq!(m.entry("X").map(|e| e.quadrant), Some(Quadrant::Star));
    assert_eq!(m.entry("X").map(|e| e.relative_share), Some(Decimal::ONE));
    assert_eq!(
        m.entry("X").and_then(|e| e.reference.peer.clone()),
        Some("Y".into())
    );
    assert_eq!(m.entry("Y").map(|e| e.quadrant), Some(Quadrant::CashCow));
    assert!(m.entry("X").expect("X").action.zh.starts_with("发展"));
}

#[test]
fn bcg_peer_average() {
    let t = q1_table();
    let opts = BcgOptions {
        share: ShareBasis::PeerAverage,
        ..BcgOptions::default()
    };
    let m = opts.classify(&t, period("2025-Q1")).expect("classifies");
    // Mean revenue over A, B, C, D = (500 + 400 + 100 + 300) / 4 = 325.
    // A: 500 / 325 = 1.538… ≥ 1, growth 0.05: cash cow.
    // B: 400 / 325 = 1.230… ≥ 1, growth 0.10: star.
    // C: 100 / 325 = 0.307…: dog.
    let mean = dec("325");
    for (id, q, rev) in [
        ("B", Quadrant::Star, "400"),
        ("A", Quadrant::CashCow, "500"),
        ("C", Quadrant::Dog, "100"),
    ] {
        let e = m.entry(id).expect("classified");
        assert_eq!(e.quadrant, q, "{id}");
        assert_eq!(e.reference.peer, None);
        assert_eq!(e.reference.value, mean);
        assert_eq!(e.relative_share, (dec(rev) / mean).normalize());
    }
    // Order: by quadrant (star, cash cow, question mark, dog), then id.
    let order: Vec<&str> = m.entries.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(order, vec!["B", "A", "C"]);
}

#[test]
fn bcg_no_reference() {
    let mut t = KpiTable::default();
    set(&mut t, &channel("ONLY"), "2025-01", Kpi::Revenue, "10");
    set(&mut t, &channel("ONLY"), "2025-01", Kpi::GrowthPop, "0.5");
    let m = BcgOptions::default()
        .classify(&t, period("2025-01"))
        .expect("classifies");
    assert!(m.entries.is_empty());
    assert_eq!(
        m.unclassified[0].reason.to_string(),
        "no other channel has a revenue to compare with"
    );
    // Every peer at zero: the average is zero.
    let mut t = KpiTable::default();
    for id in ["A", "B"] {
        set(&mut t, &channel(id), "2025-01", Kpi::Revenue, "0");
        set(&mut t, &channel(id), "2025-01", Kpi::GrowthPop, "0");
    }
    let opts = BcgOptions {
        share: ShareBasis::PeerAverage,
        ..BcgOptions::default()
    };
    let m = opts.classify(&t, period("2025-01")).expect("classifies");
    assert_eq!(m.unclassified.len(), 2);
    assert!(matches!(
        m.unclassified[0].reason,
        NotClassified::NoReference { .. }
    ));
    // A period with no entry at all: not computed.
    let m = BcgOptions::default()
        .classify(&t, period("2025-02"))
        .expect("classifies");
    assert_eq!(
        m.unclassified[0].reason,
        NotClassified::MissingKpi {
            kpi: Kpi::Revenue,
            missing: None
        }
    );
}

#[test]
fn bcg_movements_between_periods() {
    let mut t = KpiTable::default();
    // Q1: A 500 (g 0.20) star (500/300), B 300 (g 0.02) dog (0.6), C 200 (g 0.30) question
    //     mark (0.4).
    // Q2: A 400 (g 0.01) cash cow (400/350 = 1.142…), B 350 (g 0.15) question mark (0.875),
    //     C growth missing: unclassified, so no movement for C.
    for (id, rev, g) in [
        ("A", "500", "0.20"),
        ("B", "300", "0.02"),
        ("C", "200", "0.30"),
    ] {
        set(&mut t, &channel(id), "2025-Q1", Kpi::Revenue, rev);
        set(&mut t, &channel(id), "2025-Q1", Kpi::GrowthPop, g);
    }
    for (id, rev, g) in [("A", "400", "0.01"), ("B", "350", "0.15")] {
        set(&mut t, &channel(id), "2025-Q2", Kpi::Revenue, rev);
        set(&mut t, &channel(id), "2025-Q2", Kpi::GrowthPop, g);
    }
    set(&mut t, &channel("C"), "2025-Q2", Kpi::Revenue, "100");
    let opts = BcgOptions::default();
    // Periods out of order and repeated: sorted and deduplicated.
    let report = opts
        .analyze(
            &t,
            &[period("2025-Q2"), period("2025-Q1"), period("2025-Q2")],
        )
        .expect("analyses");
    assert_eq!(report.matrices.len(), 2);
    assert_eq!(report.matrices[0].period, period("2025-Q1"));
    let moves: Vec<(&str, Quadrant, Quadrant)> = report
        .movements
        .iter()
        .map(|m| (m.subject.as_str(), m.from, m.to))
        .collect();
    assert_eq!(
        moves,
        vec![
            ("A", Quadrant::Star, Quadrant::CashCow),
            ("B", Quadrant::Dog, Quadrant::QuestionMark)
        ]
    );
    assert_eq!(report.movements[0].from_period, period("2025-Q1"));
    assert_eq!(report.movements[0].to_period, period("2025-Q2"));
    assert_eq!(
        movements(&report.matrices[0], &report.matrices[1]),
        report.movements
    );
    // No change, no movement.
    assert!(movements(&report.matrices[0], &report.matrices[0]).is_empty());
}

#[test]
fn bcg_partners_by_units() {
    let mut t = q1_table();
    set(&mut t, &partner("P"), "2025-Q1", Kpi::Units, "10");
    set(&mut t, &partner("Q"), "2025-Q1", Kpi::Units, "40");
    set(&mut t, &partner("Q"), "2025-Q1", Kpi::GrowthPop, "-0.1");
    let opts = BcgOptions {
        kind: SubjectKind::Partner,
        size_kpi: Kpi::Units,
        ..BcgOptions::default()
    };
    let m = opts.classify(&t, period("2025-Q1")).expect("classifies");
    // P: 10 / 40 = 0.25, growth 0.9: question mark. Q: 40 / 10 = 4, growth −0.1: cash cow.
    assert_eq!(m.kind, SubjectKind::Partner);
    assert_eq!(
        m.entry("P").map(|e| e.quadrant),
        Some(Quadrant::QuestionMark)
    );
    assert_eq!(m.entry("P").map(|e| e.relative_share), Some(dec("0.25")));
    assert_eq!(m.entry("Q").map(|e| e.quadrant), Some(Quadrant::CashCow));
    assert_eq!(m.entry("Q").map(|e| e.relative_share), Some(dec("4")));
    assert!(m.entry("A").is_none());
}

#[test]
fn bcg_options_validate_with_paths() {
    let base = BcgOptions::sample_company();
    assert_eq!(base.growth_kpi, Kpi::GrowthYoy);
    assert_eq!(base.share, ShareBasis::PeerAverage);
    assert_eq!(base.share_threshold, Decimal::ONE);
    base.validate().expect("sample is valid");
    BcgOptions::default().validate().expect("default is valid");

    let bad = BcgOptions {
        growth_kpi: Kpi::Revenue,
        ..base.clone()
    };
    assert_eq!(document_path(bad.validate().unwrap_err()), "growth_kpi");
    let bad = BcgOptions {
        size_kpi: Kpi::Roi,
        ..base.clone()
    };
    assert_eq!(document_path(bad.validate().unwrap_err()), "size_kpi");
    let bad = BcgOptions {
        share_threshold: Decimal::ZERO,
        ..base.clone()
    };
    assert_eq!(
        document_path(bad.validate().unwrap_err()),
        "share_threshold"
    );
    let mut bad = base.clone();
    bad.actions.dog.zh = " ".into();
    assert_eq!(document_path(bad.validate().unwrap_err()), "actions.dog.zh");
    // Classify refuses invalid options.
    assert!(bad.classify(&KpiTable::default(), period("2025")).is_err());

    // Unknown KPI name and unknown share basis: serde errors with the field path.
    let text = "schema_version = 1\nid = \"x\"\ngrowth_kpi = \"growth\"\ngrowth_threshold = \"0.1\"\nshare_threshold = \"1\"\n";
    assert_eq!(
        document_path(BcgOptions::from_toml(text).unwrap_err()),
        "growth_kpi"
    );
    let text = "schema_version = 1\nid = \"x\"\ngrowth_threshold = \"0.1\"\nshare = \"biggest\"\nshare_threshold = \"1\"\n";
    assert_eq!(
        document_path(BcgOptions::from_toml(text).unwrap_err()),
        "share"
    );
    // Defaults: channel, growth_pop, revenue, largest peer, the brief's actions.
    let text =
        "schema_version = 1\nid = \"x\"\ngrowth_threshold = \"0.1\"\nshare_threshold = \"1\"\n";
    let o = BcgOptions::from_toml(text).expect("parses");
    assert_eq!(
        (o.kind, o.growth_kpi, o.size_kpi, o.share),
        (
            SubjectKind::Channel,
            Kpi::GrowthPop,
            Kpi::Revenue,
            ShareBasis::LargestPeer
        )
    );
    assert_eq!(o.actions, BcgOptions::default().actions);
    // Round trip through JSON.
    let json = base.to_json();
    assert_eq!(BcgOptions::from_json(&json).expect("parses"), base);
}

proptest! {
    /// Every subject is classified or unclassified exactly once; the flags agree with the
    /// thresholds (≥); the quadrant agrees with the flags; insertion order does not matter.
    #[test]
    fn bcg_is_consistent(
        rows in proptest::collection::vec((0i64..1000, -50i64..50, any::<bool>()), 1..12),
        average in any::<bool>(),
    ) {
        let q = "2025-03";
        let mut t = KpiTable::default();
        let mut r = KpiTable::default();
        for (i, (rev, g, has_growth)) in rows.iter().enumerate() {
            let s = channel(&format!("C{i:02}"));
            t.set(s.clone(), period(q), Kpi::Revenue, KpiValue::Value(Decimal::from(*rev)));
            if *has_growth {
                t.set(s.clone(), period(q), Kpi::GrowthPop, KpiValue::Value(Decimal::new(*g, 2)));
            }
        }
        for (i, (rev, g, has_growth)) in rows.iter().enumerate().rev() {
            let s = channel(&format!("C{i:02}"));
            if *has_growth {
                r.set(s.clone(), period(q), Kpi::GrowthPop, KpiValue::Value(Decimal::new(*g, 2)));
            }
            r.set(s.clone(), period(q), Kpi::Revenue, KpiValue::Value(Decimal::from(*rev)));
        }
        let opts = BcgOptions {
            share: if average { ShareBasis::PeerAverage } else { ShareBasis::LargestPeer },
            ..BcgOptions::default()
        };
        let m = opts.classify(&t, period(q)).expect("classifies");
        prop_assert_eq!(m.entries.len() + m.unclassified.len(), rows.len());
        for e in &m.entries {
            prop_assert_eq!(e.high_growth, e.growth >= opts.growth_threshold);
            prop_assert_eq!(e.high_share, e.relative_share >= opts.share_threshold);
            prop_assert_eq!(e.quadrant, Quadrant::of(e.high_growth, e.high_share));
            prop_assert!(e.relative_share >= Decimal::ZERO);
        }
        prop_assert_eq!(m, opts.classify(&r, period(q)).expect("classifies"));
    }
}

// ---------------------------------------------------------------------------------------
// Early warnings
// ---------------------------------------------------------------------------------------

const MONTHS: [&str; 5] = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"];

/// Monthly partner KPIs, January to May 2025:
///
/// * P1: backlog_rate 0.1, 0.2, 0.5, 0.2, 0.1 (over 0.3 in March only); complaint_rate flat
///   0.02 except February, missing (no orders).
/// * P2: complaint_rate 0.010, 0.012, 0.015, 0.020, 0.030 — four rises in a row;
///   backlog_rate 0.3 in every month (exactly at the threshold: not above it).
/// * P3: complaint_rate 0.02, 0.03, 0.04, 0.03, 0.04 — never three rises running.
fn warning_table() -> KpiTable {
    let mut t = KpiTable::default();
    let p1 = partner("P1");
    let p2 = partner("P2");
    let p3 = partner("P3");
    for (i, m) in MONTHS.iter().enumerate() {
        set(
            &mut t,
            &p1,
            m,
            Kpi::BacklogRate,
            ["0.1", "0.2", "0.5", "0.2", "0.1"][i],
        );
        if i == 1 {
            set_missing(
                &mut t,
                &p1,
                m,
                Kpi::ComplaintRate,
                Missing::ZeroDenominator {
                    what: "orders".into(),
                },
            );
        } else {
            set(&mut t, &p1, m, Kpi::ComplaintRate, "0.02");
        }
        set(
            &mut t,
            &p2,
            m,
            Kpi::ComplaintRate,
            ["0.010", "0.012", "0.015", "0.020", "0.030"][i],
        );
        set(&mut t, &p2, m, Kpi::BacklogRate, "0.3");
        set(
            &mut t,
            &p3,
            m,
            Kpi::ComplaintRate,
            ["0.02", "0.03", "0.04", "0.03", "0.04"][i],
        );
    }
    t
}

const RULES: &str = r#"
schema_version = 1
id = "test-rules"

[[rules]]
id = "overstock"
name = { en = "Overstock", zh = "库存积压" }
severity = "warning"
subjects = ["partner"]
when.threshold.all = [{ kpi = "backlog_rate", op = ">", value = "0.3" }]
action = { en = "Adjust supply and organise a promotion with the partner", zh = "调整供货，并与合作伙伴组织促销活动" }

[[rules]]
id = "complaints-rising"
name = { en = "Complaint rate rising", zh = "投诉率持续上升" }
severity = "critical"
subjects = ["partner"]
when.trend = { kpi = "complaint_rate", direction = "rising", periods = 3 }
action = { en = "Investigate the complaints", zh = "排查投诉原因" }
"#;

#[test]
fn alerts_backlog_and_rising_complaints_exactly() {
    let rules = WarningRules::from_toml(RULES).expect("valid");
    let t = warning_table();
    let report = rules
        .evaluate(&t, &AlertInputs::default())
        .expect("evaluates");
    // Expected, sorted by severity (critical first), rule, subject, period:
    // * complaints-rising, P2, 2025-04: 0.010 < 0.012 < 0.015 < 0.020 (three rises);
    // * complaints-rising, P2, 2025-05: 0.012 < 0.015 < 0.020 < 0.030;
    // * overstock, P1, 2025-03: 0.5 > 0.3.
    // Not: P2's backlog 0.3 (not > 0.3); P3 (0.03 after 0.04 breaks the run); P1's complaints
    // (flat, and February is missing).
    let got: Vec<(&str, &str, String, Severity)> = report
        .alerts
        .iter()
        .map(|a| {
            (
                a.rule.as_str(),
                a.subject.id.as_str(),
                a.period.to_string(),
                a.severity,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "complaints-rising",
                "P2",
                "2025-04".to_string(),
                Severity::Critical
            ),
            (
                "complaints-rising",
                "P2",
                "2025-05".to_string(),
                Severity::Critical
            ),
            ("overstock", "P1", "2025-03".to_string(), Severity::Warning),
        ]
    );
    let over = &report.alerts[2];
    assert_eq!(over.message, "backlog_rate 0.5 > 0.3");
    assert_eq!(
        over.action.en,
        "Adjust supply and organise a promotion with the partner"
    );
    assert_eq!(over.rule_name.zh, "库存积压");
    match &over.evidence {
        Evidence::Threshold { comparisons } => {
            assert_eq!(comparisons.len(), 1);
            assert_eq!(comparisons[0].kpi, Kpi::BacklogRate);
            assert_eq!(comparisons[0].value, dec("0.5"));
            assert_eq!(comparisons[0].threshold, dec("0.3"));
        }
        other => panic!("threshold evidence expected, got {other:?}"),
    }
    let rise = &report.alerts[0];
    match &rise.evidence {
        Evidence::Trend {
            kpi,
            direction,
            periods,
            values,
        } => {
            assert_eq!(
                (*kpi, *direction, *periods),
                (Kpi::ComplaintRate, TrendDirection::Rising, 3)
            );
            let v: Vec<(String, Decimal)> = values
                .iter()
                .map(|p| (p.period.to_string(), p.value))
                .collect();
            assert_eq!(
                v,
                vec![
                    ("2025-01".to_string(), dec("0.010")),
                    ("2025-02".to_string(), dec("0.012")),
                    ("2025-03".to_string(), dec("0.015")),
                    ("2025-04".to_string(), dec("0.020")),
                ]
            );
        }
        other => panic!("trend evidence expected, got {other:?}"),
    }
    assert_eq!(
        rise.message,
        "complaint_rate rose 3 periods running: 2025-01 0.01, 2025-02 0.012, 2025-03 0.015, 2025-04 0.02"
    );

    // Runs: overstock checked P1 and P2 × 5 months = 10 pairs; P3 has no backlog_rate at
    // all (5 skipped, never taken as 0).
    assert_eq!(report.runs[0].rule, "overstock");
    assert_eq!((report.runs[0].checked, report.runs[0].alerts), (10, 1));
    assert_eq!(
        report.runs[0].skipped.get("backlog_rate not computed"),
        Some(&5)
    );
    // Trend (4 values needed): P2 and P3 in January–March and P1 in January lack earlier
    // months (3 + 3 + 1 = 7); P1's February–May reach February's missing rate (4); P2 and P3
    // in April and May are checked (4).
    let trend = &report.runs[1];
    assert_eq!((trend.checked, trend.alerts), (4, 2));
    assert_eq!(
        trend.skipped.get("fewer than 4 consecutive periods"),
        Some(&7)
    );
    assert_eq!(
        trend.skipped.get("complaint_rate missing: orders is zero"),
        Some(&4)
    );
    assert_eq!(trend.skipped.values().sum::<u64>(), 11);
    assert_eq!(trend.not_run, None);

    // Alerts are data: a JSON round trip keeps them.
    let json = serde_json::to_string(&report).expect("serialises");
    let back: qudao::evaluation::alerts::AlertReport = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, report);
}

#[test]
fn sample_rules_catch_the_planted_pattern() {
    // The sample rules on the same table: P1's overstock and P2's rising complaints show up.
    let rules = WarningRules::sample_company();
    let report = rules
        .evaluate(&warning_table(), &AlertInputs::default())
        .expect("evaluates");
    let has = |rule: &str, id: &str, p: &str| {
        report
            .alerts
            .iter()
            .any(|a| a.rule == rule && a.subject.id == id && a.period.to_string() == p)
    };
    assert!(has("overstock", "P1", "2025-03"));
    assert!(has("complaints-rising", "P2", "2025-04"));
    assert!(has("complaints-rising", "P2", "2025-05"));
    // Credit exposure did not run: no receivables.
    let credit = report
        .runs
        .iter()
        .find(|r| r.rule == "credit-exposure")
        .expect("run");
    assert_eq!(credit.not_run.as_deref(), Some("no receivables were given"));
    assert_eq!(credit.checked, 0);
}

#[test]
fn threshold_with_two_comparisons() {
    // The sample's behind-pace rule: attainment_at_pace < 0.85 and target_attainment < 1.
    let mut t = KpiTable::default();
    let m = "2025-06";
    set(&mut t, &partner("P4"), m, Kpi::AttainmentAtPace, "0.8");
    set(&mut t, &partner("P4"), m, Kpi::TargetAttainment, "0.6");
    set(&mut t, &partner("P5"), m, Kpi::AttainmentAtPace, "0.8");
    set(&mut t, &partner("P5"), m, Kpi::TargetAttainment, "1.1"); // target already met
    set(&mut t, &partner("P6"), m, Kpi::AttainmentAtPace, "0.85"); // 0.85 is not < 0.85
    set(&mut t, &partner("P6"), m, Kpi::TargetAttainment, "0.5");
    set(&mut t, &partner("P7"), m, Kpi::AttainmentAtPace, "0.5");
    set_missing(
        &mut t,
        &partner("P7"),
        m,
        Kpi::TargetAttainment,
        Missing::ZeroDenominator {
            what: "target".into(),
        },
    );
    let rules = WarningRules::sample_company();
    let report = rules
        .evaluate(&t, &AlertInputs::default())
        .expect("evaluates");
    let pace: Vec<&qudao::evaluation::alerts::Alert> = report
        .alerts
        .iter()
        .filter(|a| a.rule == "behind-pace")
        .collect();
    assert_eq!(pace.len(), 1);
    assert_eq!(pace[0].subject, partner("P4"));
    assert_eq!(
        pace[0].message,
        "attainment_at_pace 0.8 < 0.85 and target_attainment 0.6 < 1"
    );
    assert_eq!(pace[0].severity, Severity::Info);
    let run = report
        .runs
        .iter()
        .find(|r| r.rule == "behind-pace")
        .expect("run");
    assert_eq!(run.checked, 3);
    assert_eq!(
        run.skipped.get("target_attainment missing: target is zero"),
        Some(&1)
    );
}

#[test]
fn credit_exposure_with_rule_input_and_default_limits() {
    let rules = WarningRules::from_toml(
        r#"
schema_version = 1
id = "credit"
[[rules]]
id = "credit"
name = { en = "Credit limit exceeded", zh = "超出信用额度" }
severity = "critical"
subjects = ["partner"]
when.credit_exposure = { default_limit = "200000", limits = [{ partner = "P3", limit = "300000" }] }
action = { en = "Hold shipments", zh = "暂停发货" }
"#,
    )
    .expect("valid");
    let mut t = KpiTable::default();
    set(&mut t, &partner("P1"), "2025-03", Kpi::Revenue, "1");
    set(&mut t, &partner("P1"), "2025-04", Kpi::Revenue, "1");
    let receivables = vec![
        // P1, March: 150,000.00 on the 10th, then 120,000.00 + 100,000.00 = 220,000.00 on the
        // 31st (the latest day counts) > 200,000 default → alert.
        Receivable {
            partner: "P1".into(),
            date: date("2025-03-10"),
            amount: 15_000_000,
        },
        Receivable {
            partner: "P1".into(),
            date: date("2025-03-31"),
            amount: 12_000_000,
        },
        Receivable {
            partner: "P1".into(),
            date: date("2025-03-31"),
            amount: 10_000_000,
        },
        // P1, April: 200,000.00 — exactly the limit, not above it.
        Receivable {
            partner: "P1".into(),
            date: date("2025-04-30"),
            amount: 20_000_000,
        },
        // P2: input limit 50,000.00 < 60,000.00 → alert in April.
        Receivable {
            partner: "P2".into(),
            date: date("2025-04-15"),
            amount: 6_000_000,
        },
        // P3: rule limit 300,000 (overrides the input's 10,000) ≥ 250,000.00 → no alert.
        Receivable {
            partner: "P3".into(),
            date: date("2025-04-15"),
            amount: 25_000_000,
        },
    ];
    let limits = vec![
        CreditLimit {
            partner: "P2".into(),
            limit: 5_000_000,
        },
        CreditLimit {
            partner: "P3".into(),
            limit: 1_000_000,
        },
    ];
    let inputs = AlertInputs {
        receivables: Some(&receivables),
        credit_limits: Some(&limits),
        ..AlertInputs::default()
    };
    let report = rules.evaluate(&t, &inputs).expect("evaluates");
    let got: Vec<(&str, String, &str)> = report
        .alerts
        .iter()
        .map(|a| {
            (
                a.subject.id.as_str(),
                a.period.to_string(),
                a.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "P1",
                "2025-03".into(),
                "receivables 220000 CNY on 2025-03-31 > limit 200000 CNY"
            ),
            (
                "P2",
                "2025-04".into(),
                "receivables 60000 CNY on 2025-04-15 > limit 50000 CNY"
            ),
        ]
    );
    match &report.alerts[1].evidence {
        Evidence::CreditExposure {
            exposure,
            limit,
            limit_source,
            as_of,
            currency,
        } => {
            assert_eq!(*exposure, dec("60000.00"));
            assert_eq!(*limit, dec("50000.00"));
            assert_eq!(*limit_source, LimitSource::Input);
            assert_eq!(*as_of, date("2025-04-15"));
            assert_eq!(currency, "CNY");
        }
        other => panic!("credit evidence expected, got {other:?}"),
    }
    match &report.alerts[0].evidence {
        Evidence::CreditExposure { limit_source, .. } => {
            assert_eq!(*limit_source, LimitSource::RuleDefault)
        }
        other => panic!("credit evidence expected, got {other:?}"),
    }
    // Checked: P1 March and April, P2 April, P3 April = 4; P2 and P3 in March have no
    // receivables (2 skipped).
    let run = &report.runs[0];
    assert_eq!((run.checked, run.alerts), (4, 2));
    assert_eq!(run.skipped.get("no receivables in the period"), Some(&2));

    // Without limits anywhere, the rule does not run and says why.
    let mut no_limits = rules.clone();
    no_limits.rules[0].when = qudao::evaluation::alerts::Condition::CreditExposure(
        qudao::evaluation::alerts::CreditExposure::default(),
    );
    let inputs = AlertInputs {
        receivables: Some(&receivables),
        ..AlertInputs::default()
    };
    let report = no_limits.evaluate(&t, &inputs).expect("evaluates");
    assert!(report.alerts.is_empty());
    assert!(
        report.runs[0]
            .not_run
            .as_deref()
            .is_some_and(|r| r.starts_with("no credit limits"))
    );
}

#[test]
fn alerts_for_chosen_periods_and_trends_by_period_length() {
    // Quarters and months in one table: a quarter follows a quarter, a month a month.
    let mut t = KpiTable::default();
    let c = channel("LIVE");
    for (p, v) in [("2024-Q4", "300"), ("2025-Q1", "200"), ("2025-Q2", "100")] {
        set(&mut t, &c, p, Kpi::Revenue, v);
    }
    for (p, v) in [
        ("2025-04", "90"),
        ("2025-05", "80"),
        ("2025-06", "70"),
        ("2025-07", "60"),
    ] {
        set(&mut t, &c, p, Kpi::Revenue, v);
    }
    let mut rules = WarningRules::sample_company();
    rules.rules.retain(|r| r.id == "revenue-falling");
    // Quarters: 300 > 200 > 100 is only two steps; months: 90 > 80 > 70 > 60 is three, so
    // July alerts.
    let report = rules
        .evaluate(&t, &AlertInputs::default())
        .expect("evaluates");
    let got: Vec<String> = report.alerts.iter().map(|a| a.period.to_string()).collect();
    assert_eq!(got, vec!["2025-07"]);
    // Only the periods asked for are checked.
    let only = [period("2025-06")];
    let inputs = AlertInputs {
        periods: Some(&only),
        ..AlertInputs::default()
    };
    let report = rules.evaluate(&t, &inputs).expect("evaluates");
    assert!(report.alerts.is_empty());
    assert_eq!(report.runs[0].checked, 0);
    assert_eq!(report.runs[0].skipped.values().sum::<u64>(), 1);
}

#[test]
fn warning_rules_validate_with_paths() {
    let good = WarningRules::from_toml(RULES).expect("valid");
    let sample = WarningRules::sample_company();
    assert_eq!(sample.id, "minghe-warnings");
    assert_eq!(sample.rules.len(), 9);
    assert_eq!(
        WarningRules::from_json(&sample.to_json()).expect("round trip"),
        sample
    );

    let err = |text: &str| document_path(WarningRules::from_toml(text).unwrap_err());
    // Unknown KPI.
    assert_eq!(
        err(&RULES.replace("\"backlog_rate\"", "\"backlog\"")),
        "rules[0].when.threshold.all[0].kpi"
    );
    // A trend of one step.
    assert_eq!(
        err(&RULES.replace("periods = 3", "periods = 1")),
        "rules[1].when.trend.periods"
    );
    // Unknown operator.
    assert_eq!(
        err(&RULES.replace("op = \">\"", "op = \"=>\"")),
        "rules[0].when.threshold.all[0].op"
    );
    // Unknown condition kind.
    assert_eq!(
        err(&RULES.replace("when.trend", "when.trnd")),
        "rules[1].when"
    );
    // Duplicate id.
    assert_eq!(
        err(&RULES.replace("id = \"complaints-rising\"", "id = \"overstock\"")),
        "rules[1].id"
    );
    // No subject kinds.
    assert_eq!(
        err(&RULES.replacen("subjects = [\"partner\"]", "subjects = []", 1)),
        "rules[0].subjects"
    );
    // No comparisons.
    assert_eq!(
        err(&RULES.replace(
            "when.threshold.all = [{ kpi = \"backlog_rate\", op = \">\", value = \"0.3\" }]",
            "when.threshold.all = []"
        )),
        "rules[0].when.threshold.all"
    );
    // Empty rules.
    let mut empty = good.clone();
    empty.rules.clear();
    assert_eq!(document_path(empty.validate().unwrap_err()), "rules");
    // Credit exposure on channels.
    let mut credit = sample.clone();
    let i = credit
        .rules
        .iter()
        .position(|r| r.id == "credit-exposure")
        .expect("credit rule");
    credit.rules[i].subjects = vec![SubjectKind::Channel];
    assert_eq!(
        document_path(credit.validate().unwrap_err()),
        format!("rules[{i}].subjects")
    );
    // evaluate refuses an invalid document.
    assert!(
        empty
            .evaluate(&KpiTable::default(), &AlertInputs::default())
            .is_err()
    );
    // Empty action label.
    let mut bad = good.clone();
    bad.rules[1].action.en.clear();
    assert_eq!(
        document_path(bad.validate().unwrap_err()),
        "rules[1].action.en"
    );
}

#[test]
fn sample_company_planted_alerts() {
    // The sample company's planted trouble shows up under the sample rules: the overstocked
    // partner (its stock covers more than 60 days of sales) and the partner whose complaints
    // rise every month (complaint rate up three months running, somewhere in the data).
    let sample =
        qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(20_000)).expect("sample");
    let summary = sample.dataset.summary().expect("summary");
    let from = summary.first_date.expect("lines").month_start();
    let to = summary.last_date.expect("lines").add_days(1);
    let table = qudao::evaluation::kpi::compute(
        &sample.dataset,
        &qudao::evaluation::kpi::KpiOptions::new(from, to, qudao::evaluation::kpi::Grain::Month),
    )
    .expect("kpis");
    let report = WarningRules::sample_company()
        .evaluate(&table, &AlertInputs::default())
        .expect("evaluates");
    let planted = &sample.planted;
    let fired = |rule: &str, id: &str| {
        report
            .alerts
            .iter()
            .any(|a| a.rule == rule && a.subject == partner(id))
    };
    assert!(fired("stock-cover-high", &planted.overstocked_partner));
    assert!(fired(
        "complaints-rising",
        &planted.rising_complaints_partner
    ));
    // Only the planted partner has that much stock.
    assert!(
        report
            .alerts
            .iter()
            .filter(|a| a.rule == "stock-cover-high")
            .all(|a| a.subject.id == planted.overstocked_partner)
    );
}
