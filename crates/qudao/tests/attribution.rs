//! Channel attribution: hand-solved cases for every model, exact sums, order invariance,
//! touchpoints against the same journeys as paths, higher orders, bad input.

use qudao::Timestamp;
use qudao::attribution::{
    AttributionSettings, ConversionInput, ExpiredTouches, JourneyOptions, Journeys, MarkovOptions,
    Model, PathRow, Repeats, TouchInput, attribute, heuristic, markov, shapley, synthetic_journeys,
};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// {A: 2 conversions + 1 null; B: 1 conversion; A > B: 1 conversion}, every conversion worth
/// 100.
fn issue_case() -> Journeys {
    Journeys::from_paths(
        &[
            PathRow {
                path: "A",
                conversions: 2,
                value: 200,
                nulls: 1,
            },
            PathRow {
                path: "B",
                conversions: 1,
                value: 100,
                nulls: 0,
            },
            PathRow {
                path: "A > B",
                conversions: 1,
                value: 100,
                nulls: 0,
            },
        ],
        None,
    )
    .expect("valid paths")
}

fn conv(r: &qudao::attribution::ModelResult, ch: &str) -> String {
    r.credit(ch).expect("channel").conversions.to_string()
}

fn value(r: &qudao::attribution::ModelResult, ch: &str) -> i64 {
    r.credit(ch).expect("channel").value
}

#[test]
fn markov_order_one_on_the_issue_case_by_hand() {
    let j = issue_case();
    let (r, report) = markov(&j, &MarkovOptions::default()).expect("solves");
    // Counts: start→A 4 (A ×3, A>B ×1), start→B 1; A→conv 2, A→null 1, A→B 1 (out 4);
    // B→conv 2 (out 2).
    // x_B = 1, x_A = 2/4 + 1/4·x_B = 0.75; P = (4·0.75 + 1·1) / 5 = 0.8.
    assert_eq!(report.conversion_probability, dec("0.8"));
    // Without A: start→A goes to null, P = 1·x_B / 5 = 0.2 → removal effect 1 − 0.2/0.8 = 0.75.
    // Without B: x_A = 2/4 = 0.5, P = 4·0.5 / 5 = 0.4 → removal effect 1 − 0.4/0.8 = 0.5.
    let a = &report.removals[0];
    let b = &report.removals[1];
    assert_eq!((a.channel.as_str(), b.channel.as_str()), ("A", "B"));
    assert_eq!(a.conversion_probability, dec("0.2"));
    assert_eq!(b.conversion_probability, dec("0.4"));
    assert_eq!(a.removal_effect, dec("0.75"));
    assert_eq!(b.removal_effect, dec("0.5"));
    // 4 conversions: A = 4·0.75/1.25 = 2.4, B = 4·0.5/1.25 = 1.6. Every conversion is worth
    // 100, so the value removal effects are the same and the 400 split 240 / 160.
    assert_eq!(conv(&r, "A"), "2.400000");
    assert_eq!(conv(&r, "B"), "1.600000");
    assert_eq!(a.value_removal_effect, dec("0.75"));
    assert_eq!((value(&r, "A"), value(&r, "B")), (240, 160));
    assert_eq!(report.expected_value, dec("80")); // 400 over 5 journeys
    // The transition matrix with names.
    let t: Vec<(String, String, u64)> = report
        .transitions
        .iter()
        .map(|t| (t.from.clone(), t.to.clone(), t.count))
        .collect();
    let s = |a: &str, b: &str, n: u64| (a.to_owned(), b.to_owned(), n);
    assert_eq!(
        t,
        [
            s("(start)", "A", 4),
            s("(start)", "B", 1),
            s("A", "B", 1),
            s("A", "(conversion)", 2),
            s("A", "(null)", 1),
            s("B", "(conversion)", 2),
        ]
    );
    assert_eq!(report.transitions[0].probability, dec("0.8"));
    assert_eq!(report.transitions[3].probability, dec("0.5"));
    assert_eq!(report.states, ["A", "B"]);
}

#[test]
fn value_weighted_removal_effects_differ_when_values_do() {
    // Same paths, but the conversion that ends in A is worth 100 each and those ending in B
    // 400 each (B alone 400, A > B 400): total 200 + 800 = 1000.
    let j = Journeys::from_paths(
        &[
            PathRow {
                path: "A",
                conversions: 2,
                value: 200,
                nulls: 1,
            },
            PathRow {
                path: "B",
                conversions: 1,
                value: 400,
                nulls: 0,
            },
            PathRow {
                path: "A > B",
                conversions: 1,
                value: 400,
                nulls: 0,
            },
        ],
        None,
    )
    .expect("valid");
    let (r, report) = markov(&j, &MarkovOptions::default()).expect("solves");
    // Reward per conversion: from A 100, from B 400. y_B = 1·400 = 400,
    // y_A = 2/4·100 + 1/4·y_B = 150; E = (4·150 + 400)/5 = 200 (= 1000 / 5 journeys).
    assert_eq!(report.expected_value, dec("200"));
    // Without A: E = 400/5 = 80 → 1 − 80/200 = 0.6. Without B: y_A = 50, E = 200/5 = 40 →
    // 1 − 40/200 = 0.8. Value split 1000·0.6/1.4 = 428.57…, 1000·0.8/1.4 = 571.43… → 429 / 571.
    assert_eq!(report.removals[0].value_removal_effect, dec("0.6"));
    assert_eq!(report.removals[1].value_removal_effect, dec("0.8"));
    assert_eq!((value(&r, "A"), value(&r, "B")), (429, 571));
    // Conversions as before.
    assert_eq!(conv(&r, "A"), "2.400000");
}

#[test]
fn heuristics_on_the_issue_case_by_hand() {
    let j = issue_case();
    let s = AttributionSettings::default();
    let run = |m| heuristic(&j, m, &s).expect("runs");
    // First touch: A gets A (2) and A > B (1); B gets B (1).
    let r = run(Model::FirstTouch);
    assert_eq!(
        (conv(&r, "A"), conv(&r, "B")),
        ("3.000000".into(), "1.000000".into())
    );
    assert_eq!((value(&r, "A"), value(&r, "B")), (300, 100));
    // Last touch: A gets A (2); B gets B (1) and A > B (1).
    let r = run(Model::LastTouch);
    assert_eq!(
        (conv(&r, "A"), conv(&r, "B")),
        ("2.000000".into(), "2.000000".into())
    );
    // Linear: A = 2 + 1/2, B = 1 + 1/2.
    let r = run(Model::Linear);
    assert_eq!(
        (conv(&r, "A"), conv(&r, "B")),
        ("2.500000".into(), "1.500000".into())
    );
    assert_eq!((value(&r, "A"), value(&r, "B")), (250, 150));
    assert_eq!(r.credit("A").expect("A").basis, dec("0.625")); // 2.5 of 4
    assert_eq!(r.credit("A").expect("A").touches, 3); // A ×2 conversions + A > B ×1
    // Position-based with two touches: 50/50, so as linear.
    let r = run(Model::PositionBased);
    assert_eq!(
        (conv(&r, "A"), conv(&r, "B")),
        ("2.500000".into(), "1.500000".into())
    );
    // Time decay needs times: paths have none.
    assert!(heuristic(&j, Model::TimeDecay, &s).is_err());
    assert!(heuristic(&j, Model::Markov, &s).is_err());
}

#[test]
fn shapley_on_the_issue_case_by_hand() {
    let (r, report) = shapley(&issue_case()).expect("two channels");
    // v({}) = 0, v({A}) = 2, v({B}) = 1, v({A, B}) = 4.
    // φ_A = ½(v(A) − v(∅)) + ½(v(AB) − v(B)) = ½·2 + ½·3 = 2.5; φ_B = ½·1 + ½·2 = 1.5.
    assert_eq!(report.players, ["A", "B"]);
    assert_eq!(report.values[0].conversions, dec("2.5"));
    assert_eq!(report.values[1].conversions, dec("1.5"));
    // With value: v(A) = 200, v(B) = 100, v(AB) = 400 → 250 / 150.
    assert_eq!(report.values[0].value, dec("250"));
    assert_eq!(
        (conv(&r, "A"), conv(&r, "B")),
        ("2.500000".into(), "1.500000".into())
    );
    assert_eq!((value(&r, "A"), value(&r, "B")), (250, 150));
}

#[test]
fn shapley_with_three_channels_by_hand() {
    // A: 1, B: 1, A > B: 2, C > A: 1 (5 conversions, 10 each).
    let rows = [("A", 1), ("B", 1), ("A > B", 2), ("C > A", 1)];
    let rows: Vec<PathRow<'_>> = rows
        .iter()
        .map(|&(path, c)| PathRow {
            path,
            conversions: c,
            value: 10 * c,
            nulls: 0,
        })
        .collect();
    let j = Journeys::from_paths(&rows, None).expect("valid");
    let (r, report) = shapley(&j).expect("three channels");
    // v: ∅ 0, A 1, B 1, C 0, AB 4, AC 2, BC 1, ABC 5.
    // φ_C = 1/3(v(C)) + 1/6(v(AC) − v(A)) + 1/6(v(BC) − v(B)) + 1/3(v(ABC) − v(AB))
    //     = 0 + 1/6 + 0 + 1/3 = 0.5.
    // φ_A = 1/3·1 + 1/6(v(AB) − v(B)) + 1/6(v(AC) − v(C)) + 1/3(v(ABC) − v(BC))
    //     = 1/3 + 1/2 + 1/3 + 4/3 = 2.5.
    // φ_B = 5 − 2.5 − 0.5 = 2 (1/3·1 + 1/6·3 + 1/6·1 + 1/3·3 = 2).
    assert_eq!(report.values[0].conversions, dec("2.5"));
    assert_eq!(report.values[1].conversions, dec("2"));
    assert_eq!(report.values[2].conversions, dec("0.5"));
    assert_eq!(conv(&r, "C"), "0.500000");
    assert_eq!(value(&r, "B"), 20);
}

#[test]
fn position_based_and_linear_on_longer_journeys() {
    let j = Journeys::from_paths(
        &[
            PathRow {
                path: "A > B > C > D",
                conversions: 1,
                value: 1000,
                nulls: 0,
            },
            PathRow {
                path: "A > B > A",
                conversions: 1,
                value: 300,
                nulls: 2,
            },
        ],
        None,
    )
    .expect("valid");
    let s = AttributionSettings::default();
    // Position: A > B > C > D → 0.4, 0.1, 0.1, 0.4; A > B > A → A 0.4 + 0.4, B 0.2.
    // Conversions: A 0.4 + 0.8 = 1.2, B 0.1 + 0.2 = 0.3, C 0.1, D 0.4.
    // Value: A 400 + 240 = 640, B 100 + 60 = 160, C 100, D 400.
    let r = heuristic(&j, Model::PositionBased, &s).expect("runs");
    assert_eq!(
        ["A", "B", "C", "D"].map(|c| conv(&r, c)),
        ["1.200000", "0.300000", "0.100000", "0.400000"]
    );
    assert_eq!(
        ["A", "B", "C", "D"].map(|c| value(&r, c)),
        [640, 160, 100, 400]
    );
    // Linear: A 1/4 + 2/3 = 0.916667, B 1/4 + 1/3 = 0.583333, C 0.25, D 0.25.
    // Value: A 250 + 200 = 450, B 250 + 100 = 350, C 250, D 250.
    let r = heuristic(&j, Model::Linear, &s).expect("runs");
    assert_eq!(
        ["A", "B", "C", "D"].map(|c| conv(&r, c)),
        ["0.916667", "0.583333", "0.250000", "0.250000"]
    );
    assert_eq!(
        ["A", "B", "C", "D"].map(|c| value(&r, c)),
        [450, 350, 250, 250]
    );
    // Custom weights 0.5 / 0 / 0.5: the middles get nothing.
    let mut s2 = s.clone();
    s2.position.first = dec("0.5");
    s2.position.middle = dec("0");
    s2.position.last = dec("0.5");
    let r = heuristic(&j, Model::PositionBased, &s2).expect("runs");
    assert_eq!(conv(&r, "B"), "0.000000");
    assert_eq!(conv(&r, "A"), "1.500000");
}

fn ts(day: i64, hour: i64) -> Timestamp {
    Timestamp(day * 86_400 + hour * 3600)
}

#[test]
fn time_decay_by_hand() {
    // A 7 days before the conversion, B at the conversion; half-life 7 days:
    // weights 0.5 and 1 → A 1/3, B 2/3 of 1 conversion worth 300.
    let touches = [
        TouchInput {
            customer: "c1",
            time: ts(100, 9),
            channel: "A",
            cost: 50,
        },
        TouchInput {
            customer: "c1",
            time: ts(107, 9),
            channel: "B",
            cost: 70,
        },
    ];
    let convs = [ConversionInput {
        customer: "c1",
        time: ts(107, 9),
        value: 300,
    }];
    let j =
        Journeys::from_touchpoints(&touches, &convs, &JourneyOptions::default()).expect("valid");
    assert_eq!(j.ages(0), Some(&[7 * 86_400, 0][..]));
    assert_eq!(j.touch_cost(), [50, 70]);
    let r = heuristic(&j, Model::TimeDecay, &AttributionSettings::default()).expect("runs");
    // 1/3 = 0.333333|33 and 2/3 = 0.666666|67: the unit left goes to the larger remainder.
    assert_eq!(conv(&r, "A"), "0.333333");
    assert_eq!(conv(&r, "B"), "0.666667");
    assert_eq!((value(&r, "A"), value(&r, "B")), (100, 200));
    // Half-life 14 days: weights 2^-0.5 and 1 → A = 0.7071/1.7071 = 0.414214.
    let s = AttributionSettings {
        half_life_days: dec("14"),
        ..AttributionSettings::default()
    };
    let r = heuristic(&j, Model::TimeDecay, &s).expect("runs");
    assert_eq!(conv(&r, "A"), "0.414214");
    assert_eq!(conv(&r, "B"), "0.585786");
}

#[test]
fn journeys_from_touchpoints_follow_the_documented_rules() {
    // x: A day 0, B day 40, conversion day 45 (lookback 30): A expired → null journey [A],
    //    [B] converts; C on day 50 after the last conversion → null journey [C].
    // y: conversion day 10 without touches → unattributed.
    // z: A exactly 30 days before its conversion → inside the window; B two days later.
    let touches = [
        ("x", 0, "A"),
        ("x", 40, "B"),
        ("x", 50, "C"),
        ("z", 15, "A"),
        ("z", 17, "B"),
    ];
    let touches: Vec<TouchInput<'_>> = touches
        .iter()
        .map(|&(customer, day, channel)| TouchInput {
            customer,
            time: ts(day, 0),
            channel,
            cost: 10,
        })
        .collect();
    let convs = [
        ConversionInput {
            customer: "x",
            time: ts(45, 0),
            value: 500,
        },
        ConversionInput {
            customer: "y",
            time: ts(10, 0),
            value: 70,
        },
        ConversionInput {
            customer: "z",
            time: ts(45, 0),
            value: 900,
        },
    ];
    let opts = JourneyOptions::default();
    assert_eq!(opts.lookback_days, 30);
    let j = Journeys::from_touchpoints(&touches, &convs, &opts).expect("valid");
    let rows: Vec<(String, u64, i64, u64)> = j
        .to_path_records()
        .into_iter()
        .map(|r| (r.path, r.conversions, r.value, r.nulls))
        .collect();
    let row = |p: &str, c: u64, v: i64, n: u64| (p.to_owned(), c, v, n);
    assert_eq!(
        rows,
        [
            row("A", 0, 0, 1),
            row("A > B", 1, 900, 0),
            row("B", 1, 500, 0),
            row("C", 0, 0, 1),
        ]
    );
    let st = j.stats();
    assert_eq!(st.expired_touches, 1);
    assert_eq!(st.dropped_touches, 0);
    assert_eq!(st.unattributed_conversions, 1);
    assert_eq!(st.unattributed_value, 70);
    assert_eq!(j.total_conversions(), 2);
    assert_eq!(j.total_value(), 1400);
    // Dropping expired touches instead.
    let opts = JourneyOptions {
        expired_touches: ExpiredTouches::Drop,
        ..opts
    };
    let j = Journeys::from_touchpoints(&touches, &convs, &opts).expect("valid");
    assert_eq!(j.len(), 3);
    assert_eq!(j.stats().dropped_touches, 1);
    // Lookback 29 days: z's A expires too.
    let opts = JourneyOptions {
        lookback_days: 29,
        ..JourneyOptions::default()
    };
    let j = Journeys::from_touchpoints(&touches, &convs, &opts).expect("valid");
    assert_eq!(j.stats().expired_touches, 2);
}

#[test]
fn touchpoints_and_the_same_journeys_as_paths_agree_exactly() {
    // Three customers' touches given in a scrambled order; the journeys they make are the
    // paths below.
    let t = |customer, day, channel| TouchInput {
        customer,
        time: ts(day, 10),
        channel,
        cost: 5,
    };
    let touches = [
        t("c2", 3, "search"),
        t("c1", 1, "social"),
        t("c3", 5, "email"),
        t("c1", 2, "search"),
        t("c2", 4, "search"),
        t("c3", 6, "social"),
        t("c1", 20, "email"),
        t("c4", 1, "social"),
    ];
    let c = |customer, day, value| ConversionInput {
        customer,
        time: ts(day, 20),
        value,
    };
    let convs = [c("c1", 2, 1200), c("c2", 4, 800), c("c3", 6, 500)];
    let from_touches =
        Journeys::from_touchpoints(&touches, &convs, &JourneyOptions::default()).expect("valid");
    let paths = [
        PathRow {
            path: "social > search",
            conversions: 1,
            value: 1200,
            nulls: 0,
        },
        PathRow {
            path: "email",
            conversions: 0,
            value: 0,
            nulls: 1,
        },
        PathRow {
            path: "search > search",
            conversions: 1,
            value: 800,
            nulls: 0,
        },
        PathRow {
            path: "email > social",
            conversions: 1,
            value: 500,
            nulls: 0,
        },
        PathRow {
            path: "social",
            conversions: 0,
            value: 0,
            nulls: 1,
        },
    ];
    let from_paths = Journeys::from_paths(&paths, None).expect("valid");
    assert_eq!(from_touches.without_times(), from_paths);
    let mut s = AttributionSettings::default();
    s.models.retain(|&m| m != Model::TimeDecay);
    let a = attribute(&from_touches, &s).expect("runs");
    let b = attribute(&from_paths, &s).expect("runs");
    assert_eq!(a.models, b.models);
    assert_eq!(a.markov, b.markov);
    assert_eq!(a.shapley, b.shapley);
    // The timed set runs time decay too; the path set lists it as skipped.
    let a = attribute(&from_touches, &AttributionSettings::default()).expect("runs");
    let b = attribute(&from_paths, &AttributionSettings::default()).expect("runs");
    assert!(a.model(Model::TimeDecay).is_some() && a.skipped.is_empty());
    assert_eq!(b.skipped.len(), 1);
    assert_eq!(b.skipped[0].model, Model::TimeDecay);
}

#[test]
fn every_model_sums_exactly_and_ignores_row_order() {
    let j = synthetic_journeys(20_000, 12, 7).expect("generates");
    let a = attribute(&j, &AttributionSettings::default()).expect("runs");
    assert!(a.skipped.is_empty(), "{:?}", a.skipped);
    assert_eq!(a.models.len(), 7);
    let total = Decimal::from(j.total_conversions());
    for m in &a.models {
        let c: Decimal = m.channels.iter().map(|c| c.conversions).sum();
        let v: i64 = m.channels.iter().map(|c| c.value).sum();
        assert_eq!(c, total, "{}", m.model);
        assert_eq!(v, j.total_value(), "{}", m.model);
        assert_eq!(m.total_conversions, total);
    }
    // The same journeys as path rows, in a scrambled order, give the same result.
    let records = j.without_times().to_path_records();
    let n = records.len();
    let rows: Vec<PathRow<'_>> = (0..n)
        .map(|i| &records[(i * 7919) % n])
        .map(|r| PathRow {
            path: &r.path,
            conversions: r.conversions as i64,
            value: r.value,
            nulls: r.nulls as i64,
        })
        .collect();
    assert_ne!(
        n % 7919,
        0,
        "7919 must not divide the row count to permute it"
    );
    let p = Journeys::from_paths(&rows, None).expect("valid");
    assert_eq!(p, j.without_times());
    let b = attribute(&p, &AttributionSettings::default()).expect("runs");
    for m in [Model::Linear, Model::Markov, Model::Shapley] {
        assert_eq!(a.model(m), b.model(m), "{m}");
    }
    // And a second run is identical (threads in the Markov solves do not matter).
    assert_eq!(
        attribute(&j, &AttributionSettings::default()).expect("runs"),
        a
    );
}

#[test]
fn higher_order_by_hand() {
    // A > B: 1 conversion; B > A: 1 null; A: 1 conversion.
    let j = Journeys::from_paths(
        &[
            PathRow {
                path: "A > B",
                conversions: 1,
                value: 10,
                nulls: 0,
            },
            PathRow {
                path: "B > A",
                conversions: 0,
                value: 0,
                nulls: 1,
            },
            PathRow {
                path: "A",
                conversions: 1,
                value: 10,
                nulls: 0,
            },
        ],
        None,
    )
    .expect("valid");
    // Order 2: states A, A > B, B, B > A. start→A 2, start→B 1; A→A>B 1, A→conv 1;
    // A>B→conv 1; B→B>A 1; B>A→null 1. x(A>B) = 1, x(B>A) = 0, x(A) = ½ + ½ = 1, x(B) = 0;
    // P = 2/3. Without A: every state but B is null and x(B) = 0 → P = 0, effect 1.
    // Without B: x(A) = ½ → P = 1/3, effect ½. Split 2 conversions 1 : ½ → 4/3, 2/3.
    let opts = MarkovOptions {
        order: 2,
        repeats: Repeats::Collapse,
    };
    let (r, report) = markov(&j, &opts).expect("solves");
    assert_eq!(report.states, ["A", "A > B", "B", "B > A"]);
    assert_eq!(
        report.conversion_probability.round_dp(9),
        dec("0.666666667")
    );
    assert_eq!(report.removals[0].removal_effect, dec("1"));
    assert_eq!(report.removals[1].removal_effect, dec("0.5"));
    assert_eq!(conv(&r, "A"), "1.333333");
    assert_eq!(conv(&r, "B"), "0.666667");
    // Order 1 on the same journeys: A→B 1, A→conv 1, A→null 1; B→conv 1, B→A 1.
    // x_A = (x_B + 1)/3, x_B = (1 + x_A)/2 → x_A = 3/5, x_B = 4/5; P = (2·3/5 + 4/5)/3 = 2/3.
    // Without A: x_B = ½ → P = 1/6, effect ¾. Without B: x_A = ⅓ → P = 2/9, effect ⅔.
    // Split 2 conversions ¾ : ⅔ → 18/17 = 1.058824, 16/17 = 0.941176.
    let (r, report) = markov(&j, &MarkovOptions::default()).expect("solves");
    assert_eq!(report.removals[0].removal_effect, dec("0.75"));
    assert_eq!(report.removals[1].removal_effect, dec("0.666666666667"));
    assert_eq!(conv(&r, "A"), "1.058824");
    assert_eq!(conv(&r, "B"), "0.941176");
}

#[test]
fn repeats_collapse_or_stay() {
    let j = Journeys::from_paths(
        &[
            PathRow {
                path: "A > A > B",
                conversions: 2,
                value: 20,
                nulls: 1,
            },
            PathRow {
                path: "B > A > A",
                conversions: 0,
                value: 0,
                nulls: 2,
            },
            PathRow {
                path: "B",
                conversions: 1,
                value: 10,
                nulls: 1,
            },
        ],
        None,
    )
    .expect("valid");
    let o = |order, repeats| MarkovOptions { order, repeats };
    // Order 1: self-loops change no absorption probability, so both readings agree.
    // Kept, A → A is walked by A > A > B (3 journeys) and B > A > A (2): count 5.
    let (c, _) = markov(&j, &o(1, Repeats::Collapse)).expect("solves");
    let (k, report) = markov(&j, &o(1, Repeats::Keep)).expect("solves");
    assert_eq!(c.channels, k.channels);
    assert!(
        report
            .transitions
            .iter()
            .any(|t| t.from == "A" && t.to == "A" && t.count == 5)
    );
    // Order 2 keeps an `A > A` state only when repeats stay.
    let (_, report) = markov(&j, &o(2, Repeats::Keep)).expect("solves");
    assert!(report.states.iter().any(|s| s == "A > A"));
    let (_, report) = markov(&j, &o(2, Repeats::Collapse)).expect("solves");
    assert!(!report.states.iter().any(|s| s == "A > A"));
    // Order 4 runs too.
    let (r, _) = markov(&j, &o(4, Repeats::Keep)).expect("solves");
    let sum: Decimal = r.channels.iter().map(|c| c.conversions).sum();
    assert_eq!(sum, dec("3"));
}

#[test]
fn bad_input_is_an_error_naming_the_row() {
    let row = |path, conversions, value, nulls| PathRow {
        path,
        conversions,
        value,
        nulls,
    };
    let err = |rows: &[PathRow<'_>], ch: Option<&[&str]>| {
        Journeys::from_paths(rows, ch).expect_err("bad").to_string()
    };
    let e = err(&[row("A", 1, 1, 0), row("  ", 1, 1, 0)], None);
    assert!(e.contains("paths:2") && e.contains("empty path"), "{e}");
    let e = err(&[row("A > > B", 1, 1, 0)], None);
    assert!(
        e.contains("paths:1") && e.contains("empty channel name"),
        "{e}"
    );
    let e = err(&[row("A > X", 1, 1, 0)], Some(&["A", "B"]));
    assert!(e.contains("unknown channel \"X\""), "{e}");
    let e = err(&[row("A", -1, 0, 0)], None);
    assert!(
        e.contains("column `conversions`") && e.contains("negative"),
        "{e}"
    );
    let e = err(&[row("A", 1, -5, 0)], None);
    assert!(e.contains("column `value`"), "{e}");
    let e = err(&[row("A", 0, 0, -2)], None);
    assert!(e.contains("column `nulls`"), "{e}");
    let e = err(&[row("A", 0, 5, 1)], None);
    assert!(e.contains("value without conversions"), "{e}");
    // Lookback zero.
    let opts = JourneyOptions {
        lookback_days: 0,
        ..JourneyOptions::default()
    };
    let e = Journeys::from_touchpoints(&[], &[], &opts)
        .expect_err("zero lookback")
        .to_string();
    assert!(e.contains("lookback_days"), "{e}");
    let e = AttributionSettings::from_json_text(r#"{"schema_version": 1, "lookback_days": 0}"#);
    assert!(e.contains("lookback_days"), "{e}");
    // Bad touch rows name the row and column.
    let touch = TouchInput {
        customer: "c",
        time: ts(1, 0),
        channel: "",
        cost: 1,
    };
    let e = Journeys::from_touchpoints(&[touch], &[], &JourneyOptions::default())
        .expect_err("empty channel")
        .to_string();
    assert!(e.contains("touchpoints:1, column `channel`"), "{e}");
    let conv = ConversionInput {
        customer: "c",
        time: ts(1, 0),
        value: -1,
    };
    let e = Journeys::from_touchpoints(&[], &[conv], &JourneyOptions::default())
        .expect_err("negative value")
        .to_string();
    assert!(e.contains("conversions:1, column `value`"), "{e}");
    // Shapley beyond 15 channels names the count.
    let j = synthetic_journeys(5_000, 16, 1).expect("generates");
    let e = shapley(&j).expect_err("16 channels").to_string();
    assert!(e.contains("have 16"), "{e}");
    let a = attribute(&j, &AttributionSettings::default()).expect("runs the rest");
    assert_eq!(a.skipped[0].model, Model::Shapley);
}

trait FromJsonText {
    fn from_json_text(text: &str) -> String;
}

impl FromJsonText for AttributionSettings {
    fn from_json_text(text: &str) -> String {
        use qudao::document::RuleDocument;
        AttributionSettings::from_json(text)
            .expect_err("invalid")
            .to_string()
    }
}

#[test]
fn the_sample_company_attributes() {
    let sample =
        qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(5_000)).expect("sample");
    let settings = AttributionSettings::default();
    let j = Journeys::from_dataset(&sample.dataset, &settings.journey_options()).expect("builds");
    assert!(j.total_conversions() > 0);
    assert_eq!(j.channels().len(), sample.dataset.master.channels.len());
    let a = attribute(&j, &settings).expect("runs");
    assert!(a.skipped.is_empty(), "{:?}", a.skipped);
    for m in &a.models {
        let v: i64 = m.channels.iter().map(|c| c.value).sum();
        assert_eq!(v, j.total_value(), "{}", m.model);
    }
    // Each order as a conversion gives at least as many conversions.
    let mut opts = settings.journey_options();
    opts.conversion = qudao::attribution::ConversionRule::EachOrder;
    let each = Journeys::from_dataset(&sample.dataset, &opts).expect("builds");
    assert!(
        each.total_conversions() + each.stats().unattributed_conversions
            >= j.total_conversions() + j.stats().unattributed_conversions
    );
}
