//! ABC (Pareto) classification by share of a total: customers, partners or products
//! ([`revenue_classes`]) into classes A (≈ 80 % of revenue), B (≈ 15 %), C (the rest).
//!
//! Rule, stated exactly: sort items by value descending, ties by the caller's `tie_key`
//! ascending (pass each item's rank by id). Walk the list keeping the cumulative share
//! *before* each item; an item belongs to the first class whose cumulative limit that share
//! has not yet reached. So the item that crosses 80 % is still A — the usual Pareto cut.
//! Items with a value ≤ 0 (net returns) add nothing to the total and are always in the last
//! class. Shares are exact decimals computed from `i128` sums, rounded half-even to 6
//! places only for display; the last class's cumulative share is exactly 1 when the total is
//! positive.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The class limits: cumulative shares at which each class ends, ascending, the last 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbcScheme {
    /// `(label, cumulative upper limit)`, e.g. `[("A", 0.80), ("B", 0.95), ("C", 1)]`.
    pub classes: Vec<(String, Decimal)>,
}

impl Default for AbcScheme {
    fn default() -> Self {
        AbcScheme {
            classes: vec![
                ("A".into(), Decimal::new(80, 2)),
                ("B".into(), Decimal::new(95, 2)),
                ("C".into(), Decimal::ONE),
            ],
        }
    }
}

impl AbcScheme {
    /// Check the limits: at least two classes, strictly ascending in `(0, 1]`, ending at 1.
    pub fn validate(&self) -> Result<()> {
        if self.classes.len() < 2 {
            return Err(Error::document("classes", "give at least two classes"));
        }
        let mut prev = Decimal::ZERO;
        for (i, (label, limit)) in self.classes.iter().enumerate() {
            if label.is_empty() {
                return Err(Error::document(
                    format!("classes[{i}].label"),
                    "empty label",
                ));
            }
            if *limit <= prev || *limit > Decimal::ONE {
                return Err(Error::document(
                    format!("classes[{i}].limit"),
                    "limits must be strictly ascending within (0, 1]",
                ));
            }
            prev = *limit;
        }
        if prev != Decimal::ONE {
            return Err(Error::document(
                format!("classes[{}].limit", self.classes.len() - 1),
                "the last class must end at 1",
            ));
        }
        Ok(())
    }
}

/// One class of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbcClass {
    /// Label.
    pub label: String,
    /// Items in the class.
    pub items: u64,
    /// Sum of their (positive) values.
    pub value: i128,
    /// Their share of the total, rounded half-even to 6 decimals (`None` if the total ≤ 0).
    pub share: Option<Decimal>,
    /// Cumulative share up to and including this class (exactly 1 for the last, when the
    /// total is positive).
    pub cumulative_share: Option<Decimal>,
    /// Smallest and largest value in the class: the boundaries actually used.
    pub min_value: Option<i64>,
    /// Largest value in the class.
    pub max_value: Option<i64>,
}

/// The classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Abc {
    /// Class index (into `classes`) per item, in input order.
    pub class_of: Vec<u8>,
    /// Per class: counts, values, shares, boundaries.
    pub classes: Vec<AbcClass>,
    /// Sum of positive values.
    pub total: i128,
}

/// Classify `values` (one per item) by `scheme`.
///
/// ```
/// use qudao::abc::{classify, AbcScheme};
/// // Revenue of five customers: 70 + 15 + 10 + 4 + 1 = 100.
/// let r = classify(&[10, 70, 1, 15, 4], &[0, 1, 2, 3, 4], &AbcScheme::default()).unwrap();
/// assert_eq!(r.class_of, vec![1, 0, 2, 0, 2]); // 70 and 15 are A (15 crosses 80 %), 10 is B
/// assert_eq!(r.classes[2].cumulative_share.unwrap().to_string(), "1");
/// ```
pub fn classify(values: &[i64], tie_key: &[u32], scheme: &AbcScheme) -> Result<Abc> {
    scheme.validate()?;
    if values.len() != tie_key.len() {
        return Err(Error::invalid_argument(
            "tie_key",
            format!("{} keys for {} values", tie_key.len(), values.len()),
        ));
    }
    let last = scheme.classes.len() - 1;
    let total: i128 = values
        .iter()
        .filter(|&&v| v > 0)
        .map(|&v| i128::from(v))
        .sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[b].cmp(&values[a]).then(tie_key[a].cmp(&tie_key[b])));
    let mut class_of = vec![last as u8; values.len()];
    let mut sums = vec![0i128; scheme.classes.len()];
    let mut counts = vec![0u64; scheme.classes.len()];
    let mut bounds: Vec<Option<(i64, i64)>> = vec![None; scheme.classes.len()];
    let mut before: i128 = 0;
    let mut class = 0usize;
    for &i in &order {
        let v = values[i];
        if v > 0 && total > 0 {
            // Advance while the share before this item has reached the class's limit:
            // before / total >= limit  ⇔  before >= limit · total (exact in decimals).
            while class < last && reached(before, total, scheme.classes[class].1) {
                class += 1;
            }
            before += i128::from(v);
        } else {
            class = last;
        }
        class_of[i] = class as u8;
        sums[class] += i128::from(v.max(0));
        counts[class] += 1;
        bounds[class] = Some(match bounds[class] {
            None => (v, v),
            Some((lo, hi)) => (lo.min(v), hi.max(v)),
        });
    }
    let mut cumulative: i128 = 0;
    let classes = scheme
        .classes
        .iter()
        .enumerate()
        .map(|(k, (label, _))| {
            cumulative += sums[k];
            AbcClass {
                label: label.clone(),
                items: counts[k],
                value: sums[k],
                share: ratio(sums[k], total),
                cumulative_share: if k == last && total > 0 {
                    Some(Decimal::ONE)
                } else {
                    ratio(cumulative, total)
                },
                min_value: bounds[k].map(|b| b.0),
                max_value: bounds[k].map(|b| b.1),
            }
        })
        .collect();
    Ok(Abc {
        class_of,
        classes,
        total,
    })
}

fn reached(before: i128, total: i128, limit: Decimal) -> bool {
    match (
        Decimal::try_from_i128_with_scale(before, 0),
        Decimal::try_from_i128_with_scale(total, 0),
    ) {
        (Ok(b), Ok(t)) => t.checked_mul(limit).is_some_and(|lt| b >= lt),
        // Beyond 96-bit decimals: compare in floating point is not acceptable; scale down
        // both sides exactly enough to fit (only reached with totals above ~7.9e28).
        _ => reached(before >> 32, total >> 32, limit),
    }
}

fn ratio(part: i128, whole: i128) -> Option<Decimal> {
    if whole <= 0 {
        return None;
    }
    let (p, w) = (
        Decimal::try_from_i128_with_scale(part, 0).ok()?,
        Decimal::try_from_i128_with_scale(whole, 0).ok()?,
    );
    p.checked_div(w).map(|r| {
        r.round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven)
            .normalize()
    })
}

/// What to classify by net revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Customers.
    Customer,
    /// Partners (direct sales, with no partner, are left out).
    Partner,
    /// Products.
    Product,
}

impl Subject {
    /// Parse `customer` / `partner` / `product` (plural accepted).
    pub fn parse(text: &str) -> Option<Subject> {
        match text.trim().to_ascii_lowercase().trim_end_matches('s') {
            "customer" => Some(Subject::Customer),
            "partner" => Some(Subject::Partner),
            "product" => Some(Subject::Product),
            _ => None,
        }
    }
}

/// An ABC classification of a data set's customers, partners or products by net revenue
/// (sales − returns) over lines dated in `[from, to]` (inclusive; `None` = unbounded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueClasses {
    /// What was classified.
    pub subject: Subject,
    /// Ids, in id order (every item with at least one line in the window).
    pub ids: Vec<String>,
    /// Net revenue per item, minor units.
    pub revenue: Vec<i64>,
    /// The classification (`class_of` follows `ids`).
    pub abc: Abc,
}

/// Classify `subject` by net revenue in the window. Ties break by id ascending.
///
/// ```
/// use qudao::abc::{revenue_classes, AbcScheme, Subject};
/// let sample = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(5_000)).unwrap();
/// let r = revenue_classes(&sample.dataset, Subject::Product, None, None, &AbcScheme::default()).unwrap();
/// assert_eq!(r.abc.classes.iter().map(|c| c.items).sum::<u64>() as usize, r.ids.len());
/// ```
pub fn revenue_classes(
    dataset: &crate::Dataset,
    subject: Subject,
    from: Option<crate::Date>,
    to: Option<crate::Date>,
    scheme: &AbcScheme,
) -> Result<RevenueClasses> {
    scheme.validate()?;
    let m = &dataset.master;
    let n = match subject {
        Subject::Customer => m.customers.len(),
        Subject::Partner => m.partners.hierarchy.entities.len(),
        Subject::Product => m.products.entities.len(),
    };
    let (lo, hi) = (from.map_or(i32::MIN, |d| d.0), to.map_or(i32::MAX, |d| d.0));
    let mut sums = vec![0i128; n];
    let mut seen = vec![false; n];
    for c in &dataset.transactions.chunks {
        let codes = match subject {
            Subject::Customer => &c.customer,
            Subject::Partner => &c.partner,
            Subject::Product => &c.product,
        };
        for i in 0..c.len() {
            let d = c.date[i];
            let code = codes[i] as usize;
            if d < lo || d > hi || code >= n {
                continue;
            }
            sums[code] += i128::from(c.amount[i]);
            seen[code] = true;
        }
    }
    let id_of = |code: u32| -> &str {
        match subject {
            Subject::Customer => m.customers.id(code),
            Subject::Partner => m.partners.hierarchy.entities.id(code),
            Subject::Product => m.products.entities.id(code),
        }
    };
    let mut codes: Vec<u32> = (0..n as u32).filter(|&c| seen[c as usize]).collect();
    codes.sort_unstable_by(|&a, &b| id_of(a).cmp(id_of(b)));
    let revenue = codes
        .iter()
        .map(|&c| {
            i64::try_from(sums[c as usize])
                .map_err(|_| Error::overflow(format!("the revenue of `{}`", id_of(c))))
        })
        .collect::<Result<Vec<i64>>>()?;
    let ranks: Vec<u32> = (0..codes.len() as u32).collect();
    let abc = classify(&revenue, &ranks, scheme)?;
    Ok(RevenueClasses {
        subject,
        ids: codes.iter().map(|&c| id_of(c).to_owned()).collect(),
        revenue,
        abc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed() {
        // Sorted: 50 (A: before 0), 30 (A: before 50% < 80%), 10 (B: before 80% reached A),
        // 6 (B: before 90% < 95%), 4 (C: before 96%), 0 and -5 (C: nothing to add).
        let v = [6, 50, -5, 30, 4, 10, 0];
        let r = classify(&v, &[0, 1, 2, 3, 4, 5, 6], &AbcScheme::default()).expect("valid");
        assert_eq!(r.class_of, vec![1, 0, 2, 0, 2, 1, 2]);
        assert_eq!(r.total, 100);
        let shares: Vec<String> = r
            .classes
            .iter()
            .map(|c| c.share.expect("share").to_string())
            .collect();
        assert_eq!(shares, vec!["0.8", "0.16", "0.04"]);
        assert_eq!(r.classes[0].min_value, Some(30));
        assert_eq!(r.classes[2].min_value, Some(-5));
    }

    #[test]
    fn ties_break_by_id_and_bad_schemes_are_errors() {
        // Two equal items straddle the cut: the smaller id comes first and takes A.
        let r = classify(&[40, 40, 20], &[1, 0, 2], &AbcScheme::default()).expect("valid");
        assert_eq!(r.class_of, vec![0, 0, 1]);
        let r = classify(&[80, 10, 10], &[0, 2, 1], &AbcScheme::default()).expect("valid");
        assert_eq!(
            r.class_of,
            vec![0, 1, 1],
            "before 90 % ≥ 80 %: both tens are B"
        );
        let bad = AbcScheme {
            classes: vec![
                ("A".into(), Decimal::new(9, 1)),
                ("B".into(), Decimal::new(9, 1)),
            ],
        };
        assert!(classify(&[1], &[0], &bad).is_err());
        let bad = AbcScheme {
            classes: vec![
                ("A".into(), Decimal::new(5, 1)),
                ("B".into(), Decimal::new(9, 1)),
            ],
        };
        let err = classify(&[1], &[0], &bad).expect_err("must end at 1");
        assert!(err.to_string().contains("classes[1].limit"), "{err}");
        let r = classify(&[0, -3], &[0, 1], &AbcScheme::default()).expect("no revenue");
        assert_eq!(r.class_of, vec![2, 2]);
        assert_eq!(r.classes[2].cumulative_share, None);
    }

    proptest! {
        #[test]
        fn partition_and_exact_cumulative(values in prop::collection::vec(-50i64..10_000, 1..200)) {
            let keys: Vec<u32> = (0..values.len() as u32).collect();
            let r = classify(&values, &keys, &AbcScheme::default()).expect("valid");
            let items: u64 = r.classes.iter().map(|c| c.items).sum();
            prop_assert_eq!(items, values.len() as u64);
            let value: i128 = r.classes.iter().map(|c| c.value).sum();
            prop_assert_eq!(value, r.total);
            if r.total > 0 {
                prop_assert_eq!(r.classes[2].cumulative_share, Some(Decimal::ONE));
            }
            // Classes are monotone in value: a larger value never sits in a later class.
            for i in 0..values.len() {
                for j in 0..values.len() {
                    if values[i] > values[j] && values[j] > 0 {
                        prop_assert!(r.class_of[i] <= r.class_of[j]);
                    }
                }
            }
        }
    }
}
