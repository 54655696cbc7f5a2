//! RFM: turn each dimension's values into scores `1..=k`, then place customers in the
//! segments of a [`crate::segment::SegmentScheme`] ([`analyze`]).
//!
//! Three rules, because peers disagree and users get confused:
//!
//! * [`ScoreRule::OrdinalRank`]: rank customers by value (ties broken by customer id
//!   ascending, via the caller's `tie_key`), then cut the ranking into `k` bins whose sizes
//!   differ by at most one. Score of rank `r` (0-based, worst first) of `n` is
//!   `1 + ⌊r·k / n⌋`. Equal values may get different scores; every bin is used.
//! * [`ScoreRule::ValueBreaks`]: break values at the `i/k` quantiles (the value at rank
//!   `⌈i·n/k⌉ − 1` of the worst-first order), score = 1 + the number of breaks the value passes.
//!   Tied values always share a score; when breaks coincide some scores are never given, and
//!   [`Scoring::collapsed`] says which.
//! * [`ScoreRule::Fixed`]: caller-given ascending thresholds `t₁ < … < t_{k−1}`; a value
//!   `v` scores `1 + #{i : v ≥ tᵢ}` when higher is better, `1 + #{i : v ≤ tᵢ}` when lower is
//!   better (recency).
//!
//! In every rule a better value never gets a lower score. Recency is "lower is better".

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How scores are assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum ScoreRule {
    /// Equal-count bins over the ranking (ties by customer id).
    OrdinalRank {
        /// Number of scores (bins), 2..=100.
        bins: u8,
    },
    /// Quantile break values; tied values share a score.
    ValueBreaks {
        /// Number of scores, 2..=100.
        bins: u8,
    },
    /// Explicit thresholds, ascending; `thresholds.len() + 1` scores.
    Fixed {
        /// Ascending thresholds.
        thresholds: Vec<i64>,
    },
}

impl ScoreRule {
    /// Number of distinct scores the rule can give.
    pub fn bins(&self) -> usize {
        match self {
            ScoreRule::OrdinalRank { bins } | ScoreRule::ValueBreaks { bins } => usize::from(*bins),
            ScoreRule::Fixed { thresholds } => thresholds.len() + 1,
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            ScoreRule::OrdinalRank { bins } | ScoreRule::ValueBreaks { bins } => {
                if !(2..=100).contains(bins) {
                    return Err(Error::document(
                        "bins",
                        format!("{bins} bins; give 2 to 100"),
                    ));
                }
            }
            ScoreRule::Fixed { thresholds } => {
                if thresholds.is_empty() || thresholds.len() > 99 {
                    return Err(Error::document("thresholds", "give 1 to 99 thresholds"));
                }
                if let Some(i) = thresholds.windows(2).position(|w| w[0] >= w[1]) {
                    return Err(Error::document(
                        format!("thresholds[{}]", i + 1),
                        "thresholds must be strictly ascending",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Which way a dimension is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Frequency, monetary value.
    Higher,
    /// Recency (days since the last purchase).
    Lower,
}

/// The values behind one score: what the rule actually used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    /// The score.
    pub score: u8,
    /// Customers with this score.
    pub customers: u64,
    /// Smallest value scored so (`None` when no customer got it).
    pub min: Option<i64>,
    /// Largest value scored so.
    pub max: Option<i64>,
}

/// Scores of one dimension and how they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scoring {
    /// Score per customer, in input order.
    pub scores: Vec<u8>,
    /// Per score, the values it covers.
    pub bins: Vec<Bin>,
    /// The break values used (value-break and fixed rules), worst to best.
    pub breaks: Vec<i64>,
    /// Scores no customer received because bins collapsed on tied values.
    pub collapsed: Vec<u8>,
}

/// Score `values` (one per customer) by `rule`; `tie_key` orders customers with equal values
/// (pass each customer's rank by id, so ties break by id ascending).
///
/// ```
/// use qudao::rfm::{score, Better, ScoreRule};
/// let monetary = [50, 10, 40, 10, 30];
/// let ids = [0, 1, 2, 3, 4];
/// let s = score(&monetary, &ids, &ScoreRule::OrdinalRank { bins: 5 }, Better::Higher).unwrap();
/// assert_eq!(s.scores, vec![5, 1, 4, 2, 3]); // the tie 10/10 is broken by id
/// let s = score(&monetary, &ids, &ScoreRule::ValueBreaks { bins: 5 }, Better::Higher).unwrap();
/// assert_eq!(s.scores[1], s.scores[3]); // tied values share a score
/// ```
pub fn score(values: &[i64], tie_key: &[u32], rule: &ScoreRule, better: Better) -> Result<Scoring> {
    rule.validate()?;
    if values.len() != tie_key.len() {
        return Err(Error::invalid_argument(
            "tie_key",
            format!("{} keys for {} values", tie_key.len(), values.len()),
        ));
    }
    let n = values.len();
    let k = rule.bins();
    // "Goodness": larger is better, so every rule can work on one orientation.
    let good = |v: i64| -> i128 {
        match better {
            Better::Higher => i128::from(v),
            Better::Lower => -i128::from(v),
        }
    };
    let mut scores = vec![0u8; n];
    let mut breaks = Vec::new();
    match rule {
        ScoreRule::OrdinalRank { .. } => {
            let order = worst_first(values, tie_key, good);
            for (r, &i) in order.iter().enumerate() {
                scores[i] = (1 + r * k / n.max(1)) as u8;
            }
        }
        ScoreRule::ValueBreaks { .. } => {
            let order = worst_first(values, tie_key, good);
            if n > 0 {
                for b in 1..k {
                    let r = (b * n).div_ceil(k).saturating_sub(1).min(n - 1);
                    breaks.push(values[order[r]]);
                }
            }
            // Score = 1 + number of breaks strictly passed (a value equal to a break stays
            // at or below it), so equal values share a score.
            for (i, &v) in values.iter().enumerate() {
                let passed = breaks.iter().filter(|&&b| good(v) > good(b)).count();
                scores[i] = (1 + passed) as u8;
            }
        }
        ScoreRule::Fixed { thresholds } => {
            breaks = thresholds.clone();
            for (i, &v) in values.iter().enumerate() {
                let passed = match better {
                    Better::Higher => thresholds.iter().filter(|&&t| v >= t).count(),
                    Better::Lower => thresholds.iter().filter(|&&t| v <= t).count(),
                };
                scores[i] = (1 + passed) as u8;
            }
            if better == Better::Lower {
                breaks.reverse();
            }
        }
    }
    let mut bins: Vec<Bin> = (1..=k as u8)
        .map(|score| Bin {
            score,
            customers: 0,
            min: None,
            max: None,
        })
        .collect();
    for (i, &s) in scores.iter().enumerate() {
        let b = &mut bins[usize::from(s) - 1];
        b.customers += 1;
        b.min = Some(b.min.map_or(values[i], |m| m.min(values[i])));
        b.max = Some(b.max.map_or(values[i], |m| m.max(values[i])));
    }
    let collapsed = if n == 0 {
        Vec::new()
    } else {
        bins.iter()
            .filter(|b| b.customers == 0)
            .map(|b| b.score)
            .collect()
    };
    Ok(Scoring {
        scores,
        bins,
        breaks,
        collapsed,
    })
}

/// The scoring rules of the three dimensions. Each must give as many scores as the segment
/// scheme expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RfmRules {
    /// Recency (days since the last purchase; lower is better).
    pub recency: ScoreRule,
    /// Frequency (by the summary's frequency rule).
    pub frequency: ScoreRule,
    /// Monetary value (net of returns).
    pub monetary: ScoreRule,
}

impl Default for RfmRules {
    /// Quintiles by ordinal rank on all three dimensions.
    fn default() -> Self {
        let q = ScoreRule::OrdinalRank { bins: 5 };
        RfmRules {
            recency: q.clone(),
            frequency: q.clone(),
            monetary: q,
        }
    }
}

/// How one dimension was scored: the rule's bins and breaks (the scores themselves are in
/// the table's columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionScoring {
    /// The rule used.
    pub rule: ScoreRule,
    /// Per score, the customers and the value range it covers.
    pub bins: Vec<Bin>,
    /// Break values (value-break and fixed rules), worst to best.
    pub breaks: Vec<i64>,
    /// Scores nobody got because tied values collapsed bins.
    pub collapsed: Vec<u8>,
}

/// One segment's line of the segment summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentSummaryRow {
    /// Segment id.
    pub id: String,
    /// Its labels.
    pub label: crate::document::Label,
    /// Its care strategy.
    pub strategy: crate::document::Label,
    /// Customers in it.
    pub customers: u64,
    /// Their distinct sale orders.
    pub orders: u64,
    /// Their net revenue, minor units.
    pub revenue: i128,
    /// Share of the total net revenue, rounded half-even to 6 decimals (`None` when the total
    /// is not positive).
    pub revenue_share: Option<Decimal>,
    /// Revenue per order, minor units rounded half-even (`None` without orders).
    pub average_order_value: Option<i128>,
}

/// RFM scores and segments, one row per row of the [`CustomerSummary`](crate::customer::CustomerSummary) they came from (same
/// order: customer id ascending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfm {
    /// The segment scheme's id.
    pub scheme: String,
    /// Recency score per row.
    pub r: Vec<u8>,
    /// Frequency score per row.
    pub f: Vec<u8>,
    /// Monetary score per row.
    pub m: Vec<u8>,
    /// Segment index per row (into `segments`).
    pub segment: Vec<u16>,
    /// How recency was scored.
    pub recency: DimensionScoring,
    /// How frequency was scored.
    pub frequency: DimensionScoring,
    /// How monetary value was scored.
    pub monetary: DimensionScoring,
    /// The segment summary, in the scheme's segment order.
    pub segments: Vec<SegmentSummaryRow>,
}

/// Score every customer of `summary` on R, F and M by `rules` and place them in `scheme`'s
/// segments. Ties in a dimension break by customer id ascending (the summary's row order).
///
/// ```
/// use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
/// use qudao::rfm::{analyze, RfmRules};
/// use qudao::segment::SegmentScheme;
/// let sample = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(5_000)).unwrap();
/// let as_of = qudao::Date::from_ymd(2025, 12, 31).unwrap();
/// let summary = CustomerSummary::compute(&sample.dataset, CustomerOptions::new(as_of, Frequency::DistinctOrders)).unwrap();
/// let rfm = analyze(&summary, &RfmRules::default(), &SegmentScheme::eleven_segment()).unwrap();
/// let total: u64 = rfm.segments.iter().map(|s| s.customers).sum();
/// assert_eq!(total as usize, summary.len());
/// ```
pub fn analyze(
    summary: &crate::customer::CustomerSummary,
    rules: &RfmRules,
    scheme: &crate::segment::SegmentScheme,
) -> Result<Rfm> {
    let map = scheme.compile()?;
    let k = usize::from(map.scores());
    for (name, rule) in [
        ("recency", &rules.recency),
        ("frequency", &rules.frequency),
        ("monetary", &rules.monetary),
    ] {
        if rule.bins() != k {
            return Err(Error::invalid_argument(
                name,
                format!(
                    "the rule gives {} scores but scheme `{}` uses {k}",
                    rule.bins(),
                    scheme.id
                ),
            ));
        }
    }
    let n = summary.len();
    let rows: Vec<u32> = (0..n as u32).collect();
    // One pass over the rows gathers all three dimensions.
    let mut recency = Vec::with_capacity(n);
    let mut frequency = Vec::with_capacity(n);
    let mut monetary = Vec::with_capacity(n);
    for r in 0..n {
        recency.push(i64::from(summary.recency_days(r)));
        frequency.push(i64::from(summary.frequency(r)));
        monetary.push(summary.monetary(r));
    }
    let (rs, fs, ms) = std::thread::scope(|s| {
        let r = s.spawn(|| score(&recency, &rows, &rules.recency, Better::Lower));
        let f = s.spawn(|| score(&frequency, &rows, &rules.frequency, Better::Higher));
        let m = score(&monetary, &rows, &rules.monetary, Better::Higher);
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<Scoring>>| {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        };
        (join(r), join(f), m)
    });
    let (rs, fs, ms) = (rs?, fs?, ms?);
    let segment = map.assign_columns(&rs.scores, &fs.scores, &ms.scores)?;
    let mut customers = vec![0u64; scheme.segments.len()];
    let mut orders = vec![0u64; scheme.segments.len()];
    let mut revenue = vec![0i128; scheme.segments.len()];
    for (r, &s) in segment.iter().enumerate() {
        let s = usize::from(s);
        customers[s] += 1;
        orders[s] += u64::from(summary.orders(r));
        revenue[s] += i128::from(monetary[r]);
    }
    let total: i128 = revenue.iter().sum();
    let segments = scheme
        .segments
        .iter()
        .enumerate()
        .map(|(i, seg)| SegmentSummaryRow {
            id: seg.id.clone(),
            label: seg.label.clone(),
            strategy: seg.strategy.clone(),
            customers: customers[i],
            orders: orders[i],
            revenue: revenue[i],
            revenue_share: share(revenue[i], total),
            average_order_value: (orders[i] > 0)
                .then(|| div_half_even(revenue[i], i128::from(orders[i]))),
        })
        .collect();
    let dim = |rule: &ScoreRule, s: Scoring| DimensionScoring {
        rule: rule.clone(),
        bins: s.bins,
        breaks: s.breaks,
        collapsed: s.collapsed,
    };
    Ok(Rfm {
        scheme: scheme.id.clone(),
        r: rs.scores.clone(),
        f: fs.scores.clone(),
        m: ms.scores.clone(),
        segment,
        recency: dim(&rules.recency, rs),
        frequency: dim(&rules.frequency, fs),
        monetary: dim(&rules.monetary, ms),
        segments,
    })
}

/// `part / total` rounded half-even to 6 decimals; `None` unless `total > 0`.
pub(crate) fn share(part: i128, total: i128) -> Option<Decimal> {
    if total <= 0 {
        return None;
    }
    // Exact: scale by 10^6 in integers, then round half-even.
    let scaled = part.checked_mul(1_000_000)?;
    let q = div_half_even(scaled, total);
    Decimal::try_from_i128_with_scale(q, 6).ok()
}

/// `a / b` rounded half to even (b > 0).
pub(crate) fn div_half_even(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    let r = a.rem_euclid(b);
    match (2 * r).cmp(&b) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// Customer indices from worst to best; ties by `tie_key` ascending.
///
/// When the values span less than 2³² and the tie keys are a permutation of `0..n` (an id
/// rank, a row index), sorts packed `u64` keys — about three times faster than comparing
/// through the indices — and maps tie keys back to rows.
fn worst_first(values: &[i64], tie_key: &[u32], good: impl Fn(i64) -> i128) -> Vec<usize> {
    let n = values.len();
    if let Some(order) = packed_order(values, tie_key, &good) {
        return order;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| {
        good(values[a])
            .cmp(&good(values[b]))
            .then(tie_key[a].cmp(&tie_key[b]))
    });
    order
}

fn packed_order(
    values: &[i64],
    tie_key: &[u32],
    good: &impl Fn(i64) -> i128,
) -> Option<Vec<usize>> {
    let n = values.len();
    if n == 0 || n > u32::MAX as usize {
        return None;
    }
    let (mut lo, mut hi) = (i128::MAX, i128::MIN);
    for &v in values {
        let g = good(v);
        lo = lo.min(g);
        hi = hi.max(g);
    }
    if hi - lo > i128::from(u32::MAX) {
        return None;
    }
    // Row of each tie key; fails unless the keys are a permutation of 0..n.
    let mut row_of = vec![u32::MAX; n];
    for (i, &t) in tie_key.iter().enumerate() {
        let slot = row_of.get_mut(t as usize)?;
        if *slot != u32::MAX {
            return None;
        }
        *slot = i as u32;
    }
    let mut keys: Vec<u64> = values
        .iter()
        .zip(tie_key)
        .map(|(&v, &t)| ((good(v) - lo) as u64) << 32 | u64::from(t))
        .collect();
    keys.sort_unstable();
    Some(
        keys.iter()
            .map(|&k| row_of[(k & u64::from(u32::MAX)) as usize] as usize)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn recency_scores_high_for_recent() {
        let days_since = [1, 100, 30, 7];
        let s = score(
            &days_since,
            &[0, 1, 2, 3],
            &ScoreRule::OrdinalRank { bins: 4 },
            Better::Lower,
        )
        .expect("valid");
        assert_eq!(s.scores, vec![4, 1, 2, 3]);
        let s = score(
            &days_since,
            &[0, 1, 2, 3],
            &ScoreRule::Fixed {
                thresholds: vec![7, 30],
            },
            Better::Lower,
        )
        .expect("valid");
        // ≤7 passes both thresholds (3), ≤30 one (2), beyond (1).
        assert_eq!(s.scores, vec![3, 1, 2, 3]);
    }

    #[test]
    fn identical_values_collapse_and_say_so() {
        let v = [5; 10];
        let keys: Vec<u32> = (0..10).collect();
        let s = score(
            &v,
            &keys,
            &ScoreRule::ValueBreaks { bins: 5 },
            Better::Higher,
        )
        .expect("valid");
        assert!(s.scores.iter().all(|&x| x == 1));
        assert_eq!(s.collapsed, vec![2, 3, 4, 5]);
        let s = score(
            &v,
            &keys,
            &ScoreRule::OrdinalRank { bins: 5 },
            Better::Higher,
        )
        .expect("valid");
        assert_eq!(
            s.scores,
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
            "ties broken by id"
        );
        assert!(s.collapsed.is_empty());
    }

    #[test]
    fn bad_rules_are_errors() {
        assert!(
            score(
                &[1],
                &[0],
                &ScoreRule::OrdinalRank { bins: 1 },
                Better::Higher
            )
            .is_err()
        );
        let err = score(
            &[1],
            &[0],
            &ScoreRule::Fixed {
                thresholds: vec![3, 3],
            },
            Better::Higher,
        )
        .expect_err("not ascending");
        assert!(err.to_string().contains("thresholds[1]"), "{err}");
        assert!(
            score(
                &[1, 2],
                &[0],
                &ScoreRule::OrdinalRank { bins: 2 },
                Better::Higher
            )
            .is_err()
        );
        let empty = score(
            &[],
            &[],
            &ScoreRule::OrdinalRank { bins: 5 },
            Better::Higher,
        )
        .expect("ok");
        assert!(empty.scores.is_empty() && empty.collapsed.is_empty());
    }

    proptest! {
        #[test]
        fn invariants(values in prop::collection::vec(-1000i64..1000, 1..300), k in 2u8..10, lower in any::<bool>()) {
            let keys: Vec<u32> = (0..values.len() as u32).rev().collect();
            let better = if lower { Better::Lower } else { Better::Higher };
            let good = |v: i64| if lower { -v } else { v };
            for rule in [ScoreRule::OrdinalRank { bins: k }, ScoreRule::ValueBreaks { bins: k }] {
                let s = score(&values, &keys, &rule, better).expect("valid");
                prop_assert!(s.scores.iter().all(|&x| (1..=k).contains(&x)));
                // A better value never scores lower.
                for i in 0..values.len() {
                    for j in 0..values.len() {
                        if good(values[i]) > good(values[j]) {
                            prop_assert!(s.scores[i] >= s.scores[j]);
                        }
                    }
                }
                let counts: Vec<u64> = s.bins.iter().map(|b| b.customers).collect();
                prop_assert_eq!(counts.iter().sum::<u64>(), values.len() as u64);
                if matches!(rule, ScoreRule::OrdinalRank { .. }) {
                    let (lo, hi) = (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));
                    prop_assert!(hi - lo <= 1, "bin sizes {:?}", counts);
                } else {
                    for i in 0..values.len() {
                        for j in 0..values.len() {
                            if values[i] == values[j] {
                                prop_assert_eq!(s.scores[i], s.scores[j]);
                            }
                        }
                    }
                }
            }
        }
    }
}
