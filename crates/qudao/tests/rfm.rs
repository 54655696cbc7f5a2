//! RFM analysis end to end on the sample company: scores, segments, the segment summary.

use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
use qudao::rfm::{RfmRules, ScoreRule, analyze};
use qudao::sample::{SampleConfig, generate};
use qudao::segment::SegmentScheme;
use qudao::{Dataset, Date};
use rust_decimal::Decimal;

fn data() -> (Dataset, CustomerSummary) {
    let s = generate(&SampleConfig::with_lines(20_000)).expect("sample");
    let as_of = Date::from_ymd(2025, 12, 31).expect("date");
    let t = CustomerSummary::compute(
        &s.dataset,
        CustomerOptions::new(as_of, Frequency::DistinctOrders),
    )
    .expect("summary");
    (s.dataset, t)
}

#[test]
fn eleven_segments_partition_customers_and_explain_the_scores() {
    let (_, t) = data();
    let scheme = SegmentScheme::eleven_segment();
    let rfm = analyze(&t, &RfmRules::default(), &scheme).expect("rfm");
    let n = t.len();
    assert!(n > 500);
    assert_eq!(
        (rfm.r.len(), rfm.f.len(), rfm.m.len(), rfm.segment.len()),
        (n, n, n, n)
    );
    let map = scheme.compile().expect("valid");
    for i in 0..n {
        assert_eq!(
            map.assign(rfm.r[i], rfm.f[i], rfm.m[i]),
            Some(rfm.segment[i])
        );
    }
    // Ordinal quintiles: bin sizes differ by at most one.
    for d in [&rfm.recency, &rfm.frequency, &rfm.monetary] {
        let sizes: Vec<u64> = d.bins.iter().map(|b| b.customers).collect();
        assert!(sizes.iter().max().expect("bins") - sizes.iter().min().expect("bins") <= 1);
        assert!(d.collapsed.is_empty());
    }
    // Recent customers score high on R.
    for i in 0..n {
        for j in 0..n.min(50) {
            if t.recency_days(i) < t.recency_days(j) {
                assert!(rfm.r[i] >= rfm.r[j]);
            }
        }
    }
    let customers: u64 = rfm.segments.iter().map(|s| s.customers).sum();
    assert_eq!(customers as usize, n);
    let revenue: i128 = rfm.segments.iter().map(|s| s.revenue).sum();
    assert_eq!(
        revenue,
        (0..t.len())
            .map(|r| i128::from(t.monetary(r)))
            .sum::<i128>()
    );
    let shares: Decimal = rfm.segments.iter().filter_map(|s| s.revenue_share).sum();
    assert!(
        (shares - Decimal::ONE).abs() <= Decimal::new(6, 6),
        "{shares}"
    );
    let champions = &rfm.segments[0];
    assert_eq!(champions.id, "champions");
    if let (Some(aov), true) = (champions.average_order_value, champions.orders > 0) {
        let exact = champions.revenue as f64 / champions.orders as f64;
        assert!((aov as f64 - exact).abs() <= 0.5);
    }
}

#[test]
fn four_classes_follow_the_written_definition() {
    let (_, t) = data();
    let scheme = SegmentScheme::four_class();
    let rfm = analyze(&t, &RfmRules::default(), &scheme).expect("rfm");
    let ids: Vec<&str> = rfm.segments.iter().map(|s| s.id.as_str()).collect();
    for i in 0..t.len() {
        let high = |s: u8| s >= 4;
        let want = match (high(rfm.r[i]), high(rfm.f[i]), high(rfm.m[i])) {
            (true, true, true) => "high_value",
            (true, _, _) => "potential",
            (false, true, _) => "general",
            (false, false, _) => "lost",
        };
        assert_eq!(ids[usize::from(rfm.segment[i])], want);
    }
}

#[test]
fn rules_must_match_the_scheme_and_collapses_are_reported() {
    let (_, t) = data();
    let rules = RfmRules {
        recency: ScoreRule::OrdinalRank { bins: 4 },
        ..RfmRules::default()
    };
    let e = analyze(&t, &rules, &SegmentScheme::eleven_segment()).expect_err("4 ≠ 5");
    assert!(e.to_string().contains("recency"), "{e}");
    // Frequency by value breaks: many customers share small order counts, so bins collapse
    // and the result says which scores nobody got.
    let rules = RfmRules {
        frequency: ScoreRule::ValueBreaks { bins: 5 },
        ..RfmRules::default()
    };
    let rfm = analyze(&t, &rules, &SegmentScheme::eleven_segment()).expect("rfm");
    let given: u64 = rfm.frequency.bins.iter().map(|b| b.customers).sum();
    assert_eq!(given as usize, t.len());
    for s in &rfm.frequency.collapsed {
        assert_eq!(rfm.frequency.bins[usize::from(*s) - 1].customers, 0);
    }
}

#[test]
fn empty_summary_gives_empty_segments() {
    let (ds, _) = data();
    let early = CustomerSummary::compute(
        &ds,
        CustomerOptions::new(
            Date::from_ymd(2000, 1, 1).expect("date"),
            Frequency::OrderLines,
        ),
    )
    .expect("summary");
    let rfm = analyze(
        &early,
        &RfmRules::default(),
        &SegmentScheme::eleven_segment(),
    )
    .expect("rfm");
    assert!(rfm.segment.is_empty());
    assert!(
        rfm.segments
            .iter()
            .all(|s| s.customers == 0 && s.revenue_share.is_none())
    );
}

#[test]
fn abc_by_customer_partner_and_product() {
    use qudao::abc::{AbcScheme, Subject, revenue_classes};
    let (ds, t) = data();
    for subject in [Subject::Customer, Subject::Partner, Subject::Product] {
        let r = revenue_classes(&ds, subject, None, None, &AbcScheme::default()).expect("abc");
        let items: u64 = r.abc.classes.iter().map(|c| c.items).sum();
        assert_eq!(items as usize, r.ids.len());
        assert!(r.ids.windows(2).all(|w| w[0] < w[1]), "id order");
        let last = r.abc.classes.last().expect("classes");
        assert_eq!(last.cumulative_share, Some(Decimal::ONE));
        // A better class never holds a smaller revenue than a worse one.
        for i in 0..r.ids.len() {
            for j in 0..r.ids.len() {
                if r.abc.class_of[i] < r.abc.class_of[j] {
                    assert!(r.revenue[i] >= r.revenue[j]);
                }
            }
        }
        if subject == Subject::Customer {
            // Customers with a purchase, plus any with only returns.
            assert!(r.ids.len() >= t.len());
        }
    }
}
