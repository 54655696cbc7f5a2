//! RFM segment schemes: the built-ins against hand-written references, user schemes with
//! errors in every format, the partition invariant under proptest, and the docs' cell tables.

use proptest::prelude::*;
use qudao::Error;
use qudao::document::{Format, Label, RuleDocument};
use qudao::segment::{BUILTIN_IDS, Cell, Condition, ScoreRange, Segment, SegmentScheme, When, fm};
use serde_json::{Value, json};

/// The domain brief's four classes, written independently of the TOML: high = 4–5.
fn four_class_reference(r: u8, f: u8, m: u8) -> &'static str {
    let high = |s: u8| s >= 4;
    match (high(r), high(f), high(m)) {
        (true, true, true) => "high_value",
        (true, _, _) => "potential",
        (false, true, _) => "general",
        (false, false, _) => "lost",
    }
}

/// The eleven-segment map on (R, FM), as the usual table draws it.
fn eleven_reference(r: u8, f: u8, m: u8) -> &'static str {
    match (r, fm(f, m)) {
        (5, 4..=5) => "champions",
        (3..=4, 4..=5) => "loyal",
        (4..=5, 2..=3) => "potential_loyalist",
        (5, 1) => "new",
        (4, 1) => "promising",
        (3, 3) => "need_attention",
        (3, 1..=2) => "about_to_sleep",
        (1..=2, 3..=4) => "at_risk",
        (1..=2, 5) => "cant_lose_them",
        (1, 1) => "lost",
        (1..=2, 1..=2) => "hibernating",
        other => panic!("no reference segment for {other:?}"),
    }
}

fn segment_id(scheme: &SegmentScheme, r: u8, f: u8, m: u8) -> String {
    let map = scheme.compile().expect("valid scheme");
    let i = map.assign(r, f, m).expect("scores in range");
    scheme.segment(i).expect("index in range").id.clone()
}

#[test]
fn builtins_match_their_references_on_every_cell() {
    let four = SegmentScheme::four_class();
    let eleven = SegmentScheme::eleven_segment();
    let (map4, map11) = (four.compile().expect("4"), eleven.compile().expect("11"));
    for r in 1..=5 {
        for f in 1..=5 {
            for m in 1..=5 {
                let got4 = &four.segments[usize::from(map4.assign(r, f, m).expect("in range"))];
                assert_eq!(got4.id, four_class_reference(r, f, m), "({r},{f},{m})");
                let got11 = &eleven.segments[usize::from(map11.assign(r, f, m).expect("in range"))];
                assert_eq!(got11.id, eleven_reference(r, f, m), "({r},{f},{m})");
            }
        }
    }
    // Segment sizes of the four classes, as the TOML comment and docs state them.
    let sizes: Vec<usize> = (0..4).map(|i| map4.cells_of(i).count()).collect();
    assert_eq!(sizes, [8, 42, 30, 45]);
}

#[test]
fn hand_checked_cells() {
    let four = SegmentScheme::four_class();
    let eleven = SegmentScheme::eleven_segment();
    // The brief's four named corners.
    assert_eq!(segment_id(&four, 5, 5, 5), "high_value");
    assert_eq!(segment_id(&four, 4, 2, 5), "potential"); // R recent, F low, M high
    assert_eq!(segment_id(&four, 2, 5, 1), "general"); // R far, F high, M low
    assert_eq!(segment_id(&four, 1, 1, 1), "lost"); // R far, F low, M low
    // The corners the brief leaves open.
    assert_eq!(segment_id(&four, 5, 4, 3), "potential"); // R high, F high, M low
    assert_eq!(segment_id(&four, 3, 4, 5), "general"); // R low, F high, M high
    assert_eq!(segment_id(&four, 3, 3, 5), "lost"); // R low, F low, M high
    // fm = (F + M + 1) / 2: (4, 3) → 4, (3, 2) → 3, (1, 2) → 2.
    assert_eq!(segment_id(&eleven, 5, 4, 3), "champions");
    assert_eq!(segment_id(&eleven, 5, 3, 2), "potential_loyalist");
    assert_eq!(segment_id(&eleven, 5, 1, 1), "new");
    assert_eq!(segment_id(&eleven, 4, 1, 1), "promising");
    assert_eq!(segment_id(&eleven, 3, 5, 5), "loyal");
    assert_eq!(segment_id(&eleven, 3, 3, 3), "need_attention");
    assert_eq!(segment_id(&eleven, 3, 1, 2), "about_to_sleep");
    assert_eq!(segment_id(&eleven, 2, 4, 3), "at_risk");
    assert_eq!(segment_id(&eleven, 1, 5, 5), "cant_lose_them");
    assert_eq!(segment_id(&eleven, 1, 1, 2), "hibernating");
    assert_eq!(segment_id(&eleven, 2, 1, 1), "hibernating");
    assert_eq!(segment_id(&eleven, 1, 1, 1), "lost");
}

#[test]
fn builtins_carry_labels_and_strategies_in_both_languages() {
    let eleven = SegmentScheme::eleven_segment();
    let en: Vec<&str> = eleven
        .segments
        .iter()
        .map(|s| s.label.en.as_str())
        .collect();
    assert_eq!(
        en,
        [
            "Champions",
            "Loyal",
            "Potential Loyalist",
            "New",
            "Promising",
            "Need Attention",
            "About to Sleep",
            "At Risk",
            "Can't Lose Them",
            "Hibernating",
            "Lost"
        ]
    );
    let four = SegmentScheme::four_class();
    let zh: Vec<&str> = four.segments.iter().map(|s| s.label.zh.as_str()).collect();
    assert_eq!(zh, ["重要价值客户", "潜力客户", "一般客户", "流失客户"]);
    // The brief's care styles, one per class.
    for (seg, words) in four.segments.iter().zip([
        "One-to-one",
        "targeted promotions",
        "membership",
        "Win-back",
    ]) {
        assert!(
            seg.strategy.en.contains(words),
            "{}: {}",
            seg.id,
            seg.strategy.en
        );
        assert!(!seg.strategy.zh.is_empty());
    }
}

#[test]
fn documents_round_trip_through_every_format() {
    for id in BUILTIN_IDS {
        let scheme = SegmentScheme::builtin(id).expect("built-in");
        for format in [Format::Json, Format::Toml, Format::Yaml] {
            let text = scheme.to_format(format).expect("serialises");
            let back = SegmentScheme::parse(&text, format)
                .unwrap_or_else(|e| panic!("{id} {format:?}: {e}\n{text}"));
            assert_eq!(back, scheme, "{id} {format:?}");
        }
    }
    // Both `when` shapes and both range shapes survive.
    let text = SegmentScheme::four_class().to_json();
    assert!(text.contains("\"r\": [\n"), "{text}");
    let toml = SegmentScheme::eleven_segment().to_toml().expect("toml");
    let back = SegmentScheme::from_toml(&toml).expect("parses");
    assert!(matches!(
        back.segments[0].when,
        When::One(Condition {
            r: Some(ScoreRange::One(5)),
            ..
        })
    ));
    assert!(matches!(&back.segments[9].when, When::Any(v) if v.len() == 2));
}

/// A two-segment scheme on k = 3: `recent` is r 3, `older` is `older_when`.
fn user_doc(older_when: Value) -> Value {
    json!({
        "schema_version": 1,
        "id": "mine",
        "name": {"en": "Mine", "zh": "我的"},
        "scores": 3,
        "segments": [
            {
                "id": "recent",
                "label": {"en": "Recent", "zh": "近期客户"},
                "when": {"r": 3},
                "strategy": {"en": "Recommend", "zh": "推荐"}
            },
            {
                "id": "older",
                "label": {"en": "Older", "zh": "较早客户"},
                "when": older_when,
                "strategy": {"en": "Win back", "zh": "挽回"}
            }
        ]
    })
}

fn in_format(doc: &Value, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(doc).expect("json"),
        Format::Toml => toml::to_string(doc).expect("toml"),
        Format::Yaml => serde_norway::to_string(doc).expect("yaml"),
    }
}

/// Parse `doc` in every format and expect the same document error.
fn expect_error(doc: &Value, want_path: &str, want_message: &str) {
    for format in [Format::Json, Format::Toml, Format::Yaml] {
        let text = in_format(doc, format);
        match SegmentScheme::parse(&text, format) {
            Err(Error::Document { path, message }) => {
                assert_eq!(path, want_path, "{format:?}: {message}");
                assert!(
                    message.contains(want_message),
                    "{format:?} {path}: {message:?} lacks {want_message:?}"
                );
            }
            other => panic!("{format:?}: expected an error at {want_path}, got {other:?}\n{text}"),
        }
    }
}

#[test]
fn a_user_scheme_parses_in_every_format() {
    let doc = user_doc(json!([{"r": 1}, {"r": 2}]));
    for format in [Format::Json, Format::Toml, Format::Yaml] {
        let scheme = SegmentScheme::parse(&in_format(&doc, format), format).expect("valid");
        assert_eq!(segment_id(&scheme, 3, 1, 1), "recent");
        assert_eq!(segment_id(&scheme, 1, 3, 3), "older");
    }
    // Hand-written YAML, as a user would write it.
    let yaml = "schema_version: 1\nid: two\nname: {en: Two, zh: 两类}\nscores: 2\nsegments:\n  \
                - id: a\n    label: {en: A, zh: 甲}\n    when: {m: 2}\n    strategy: {en: x, zh: 甲}\n  \
                - id: b\n    label: {en: B, zh: 乙}\n    when:\n      - {m: 1}\n    strategy: {en: y, zh: 乙}\n";
    let scheme = SegmentScheme::from_yaml(yaml).expect("valid yaml");
    assert_eq!(segment_id(&scheme, 1, 1, 2), "a");
}

#[test]
fn user_scheme_errors_name_paths_and_cells_in_every_format() {
    // Uncovered: r 1 is in no segment.
    expect_error(
        &user_doc(json!({"r": 2})),
        "segments",
        "9 cells are in no segment: (r=1, f=1, m=1), (r=1, f=1, m=2), (r=1, f=1, m=3), \
         (r=1, f=2, m=1)",
    );
    // Overlap: older also takes r 3 where f is 3.
    expect_error(
        &user_doc(json!([{"r": [1, 2]}, {"r": 3, "f": 3}])),
        "segments[1].when",
        "overlaps segment `recent` (segments[0]) on 3 cells: (r=3, f=3, m=1), (r=3, f=3, m=2), \
         (r=3, f=3, m=3)",
    );
    // Out of range, reversed, not a score at all.
    expect_error(
        &user_doc(json!({"r": [1, 4]})),
        "segments[1].when.r",
        "1–4 is outside the scores 1..=3",
    );
    expect_error(
        &user_doc(json!([{"r": 1}, {"r": 2, "fm": [3, 1]}])),
        "segments[1].when[1].fm",
        "reversed",
    );
    expect_error(
        &user_doc(json!({"r": 300})),
        "segments[1].when.r",
        "score 300 is out of range",
    );
    expect_error(
        &user_doc(json!({"r": -1})),
        "segments[1].when.r",
        "score -1 is out of range",
    );
    expect_error(
        &user_doc(json!({"r": [1, 2, 3]})),
        "segments[1].when.r",
        "an inclusive range such as [4, 5]",
    );
    expect_error(
        &user_doc(json!({"r": "low"})),
        "segments[1].when.r",
        "a score such as 4",
    );
    expect_error(
        &user_doc(json!("r < 3")),
        "segments[1].when",
        "a list of conditions",
    );
    // Unknown fields, in a condition and in a segment.
    expect_error(
        &user_doc(json!({"recency": 1})),
        "segments[1].when.recency",
        "unknown field `recency`",
    );
    let mut doc = user_doc(json!({"r": [1, 2]}));
    doc["segments"][0]["colour"] = json!("red");
    expect_error(&doc, "segments[0].colour", "unknown field `colour`");
    // Version and duplicates.
    let mut doc = user_doc(json!({"r": [1, 2]}));
    doc["schema_version"] = json!(2);
    expect_error(
        &doc,
        "schema_version",
        "rfm segment scheme version 2 is not supported",
    );
    let mut doc = user_doc(json!({"r": [1, 2]}));
    doc["segments"][1]["id"] = json!("recent");
    expect_error(&doc, "segments[1].id", "duplicate id `recent`");
    let mut doc = user_doc(json!({"r": [1, 2]}));
    doc["segments"][1]["label"]["zh"] = json!("");
    expect_error(&doc, "segments[1].label.zh", "empty label");
}

/// A random partition of the `k³` cells: runs of R, each cut into runs of FM.
fn partition(k: u8, r_cuts: &[bool], fm_cuts: &[Vec<bool>]) -> SegmentScheme {
    fn runs(k: u8, cuts: &[bool]) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        let mut lo = 1;
        for s in 1..=k {
            if s == k || cuts[usize::from(s - 1)] {
                out.push((lo, s));
                lo = s + 1;
            }
        }
        out
    }
    let range = |(lo, hi): (u8, u8)| {
        Some(if lo == hi {
            ScoreRange::One(lo)
        } else {
            ScoreRange::Span([lo, hi])
        })
    };
    let mut segments = Vec::new();
    for (i, r) in runs(k, r_cuts).into_iter().enumerate() {
        for fm_run in runs(k, &fm_cuts[i]) {
            let id = format!("r{}-{}_fm{}-{}", r.0, r.1, fm_run.0, fm_run.1);
            segments.push(Segment {
                label: Label::new(id.clone(), id.clone()),
                id,
                when: When::One(Condition {
                    r: range(r),
                    fm: range(fm_run),
                    ..Condition::default()
                }),
                strategy: Label::new("care", "关怀"),
            });
        }
    }
    SegmentScheme {
        schema_version: 1,
        id: "random".into(),
        name: Label::new("Random", "随机"),
        scores: k,
        segments,
    }
}

fn arb_partition() -> impl Strategy<Value = SegmentScheme> {
    (2u8..=10).prop_flat_map(|k| {
        let n = usize::from(k);
        (
            Just(k),
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(prop::collection::vec(any::<bool>(), n), n),
        )
            .prop_map(|(k, r_cuts, fm_cuts)| partition(k, &r_cuts, &fm_cuts))
    })
}

proptest! {
    #[test]
    fn every_cell_gets_exactly_one_segment(scheme in arb_partition(), pick in any::<prop::sample::Index>()) {
        let k = scheme.scores;
        let map = scheme.compile().expect("a partition is valid");
        prop_assert_eq!(map.scores(), k);
        let mut total = 0;
        for (j, seg) in scheme.segments.iter().enumerate() {
            for cell in map.cells_of(j as u16) {
                prop_assert!(seg.when.matches(cell.r, cell.f, cell.m));
                total += 1;
            }
        }
        prop_assert_eq!(total, usize::from(k).pow(3));
        for r in 0..=k + 1 {
            for f in 0..=k + 1 {
                for m in 0..=k + 1 {
                    let inside = (1..=k).contains(&r) && (1..=k).contains(&f) && (1..=k).contains(&m);
                    let got = map.assign(r, f, m);
                    prop_assert_eq!(got.is_some(), inside);
                    if let Some(i) = got {
                        let matching: Vec<usize> = scheme.segments.iter().enumerate()
                            .filter(|(_, s)| s.when.matches(r, f, m)).map(|(j, _)| j).collect();
                        prop_assert_eq!(matching, vec![usize::from(i)]);
                    }
                }
            }
        }

        // Segment order changes indices, never which segment a cell is in.
        let mut reversed = scheme.clone();
        reversed.segments.reverse();
        let rmap = reversed.compile().expect("still a partition");
        for cell in map.cells_of(0) {
            let i = rmap.assign(cell.r, cell.f, cell.m).expect("in range");
            prop_assert_eq!(&reversed.segments[usize::from(i)].id, &scheme.segments[0].id);
        }

        // Dropping a segment leaves exactly its cells uncovered.
        if scheme.segments.len() > 1 {
            let j = pick.index(scheme.segments.len());
            let lost: Vec<Cell> = map.cells_of(j as u16).collect();
            let mut gap = scheme.clone();
            gap.segments.remove(j);
            match gap.compile() {
                Err(Error::Document { path, message }) => {
                    prop_assert_eq!(path, "segments");
                    let first = lost[0].to_string();
                    prop_assert!(message.starts_with(&format!("{} cell", lost.len())), "{}", message);
                    prop_assert!(message.contains(&first), "{}", message);
                }
                other => prop_assert!(false, "expected an uncovered error, got {:?}", other),
            }
            // Copying a segment's condition onto another makes an overlap naming it.
            let other = (j + 1) % scheme.segments.len();
            let mut twice = scheme.clone();
            twice.segments[other].when = When::Any(vec![
                twice.segments[other].when.conditions()[0].clone(),
                twice.segments[j].when.conditions()[0].clone(),
            ]);
            let err = twice.compile().expect_err("overlap").to_string();
            let (a, b) = (j.min(other), j.max(other));
            prop_assert!(err.starts_with(&format!("segments[{b}].when: overlaps segment `{}` (segments[{a}])", scheme.segments[a].id)), "{}", err);
        }
    }
}

/// The full cell table of a scheme as Markdown: one row per (R, F), one column per M.
fn cell_table(scheme: &SegmentScheme) -> String {
    let map = scheme.compile().expect("valid");
    let k = scheme.scores;
    let mut out = String::from("| R | F |");
    for m in (1..=k).rev() {
        out.push_str(&format!(" M={m} |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(usize::from(k)));
    out.push('\n');
    for r in (1..=k).rev() {
        for f in (1..=k).rev() {
            out.push_str(&format!("| {r} | {f} |"));
            for m in (1..=k).rev() {
                let i = map.assign(r, f, m).expect("in range");
                out.push_str(&format!(" {} |", scheme.segments[usize::from(i)].id));
            }
            out.push('\n');
        }
    }
    out
}

/// The segments of a scheme as Markdown: id, labels, condition, cell count, strategies.
fn segment_table(scheme: &SegmentScheme) -> String {
    let map = scheme.compile().expect("valid");
    let mut out = String::from(
        "| Segment | When | Cells | Care strategy | 关怀策略 |\n|---|---|---|---|---|\n",
    );
    for (i, s) in scheme.segments.iter().enumerate() {
        out.push_str(&format!(
            "| `{}` {} / {} | {} | {} | {} | {} |\n",
            s.id,
            s.label.en,
            s.label.zh,
            s.when,
            map.cells_of(i as u16).count(),
            s.strategy.en,
            s.strategy.zh
        ));
    }
    out
}

#[test]
fn docs_tables_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/segments.md");
    let mut text = std::fs::read_to_string(&path).expect("docs/segments.md");
    let bless = std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1");
    for id in BUILTIN_IDS {
        let scheme = SegmentScheme::builtin(id).expect("built-in");
        for (kind, table) in [
            ("segments", segment_table(&scheme)),
            ("cells", cell_table(&scheme)),
        ] {
            let begin = format!("<!-- {kind}:{id} -->\n");
            let end = format!("<!-- /{kind}:{id} -->");
            let start = text
                .find(&begin)
                .unwrap_or_else(|| panic!("{begin} missing"))
                + begin.len();
            let stop = start
                + text[start..]
                    .find(&end)
                    .unwrap_or_else(|| panic!("{end} missing"));
            if bless {
                text.replace_range(start..stop, &table);
            } else {
                assert!(
                    text[start..stop] == table,
                    "docs/segments.md: the {kind} table of {id} is out of date; rerun with QUDAO_BLESS=1"
                );
            }
        }
    }
    if bless {
        std::fs::write(&path, text).expect("write docs/segments.md");
    }
}
