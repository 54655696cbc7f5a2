//! Rounding modes and largest-remainder allocation.
//!
//! Every mode is symmetric in sign (`round(−x) = −round(x)`), so a return rounds exactly like
//! the sale it reverses; floor and ceiling are not offered because they are not.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How an exact amount becomes whole minor units (or points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// To nearest; halves away from zero (四舍五入): 2.5 → 3, −2.5 → −3.
    HalfUp,
    /// To nearest; halves toward zero: 2.5 → 2, −2.5 → −2.
    HalfDown,
    /// To nearest; halves to the even neighbour (banker's): 2.5 → 2, 3.5 → 4.
    HalfEven,
    /// Toward zero (drop the fraction): 2.9 → 2, −2.9 → −2.
    Truncate,
    /// Away from zero: 2.1 → 3, −2.1 → −3.
    AwayFromZero,
}

impl RoundingMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::Truncate => RoundingStrategy::ToZero,
            RoundingMode::AwayFromZero => RoundingStrategy::AwayFromZero,
        }
    }

    /// Round an exact value to a whole number.
    ///
    /// ```
    /// use qudao::rebate::RoundingMode;
    /// use rust_decimal::Decimal;
    /// let x = Decimal::new(-25, 1); // −2.5
    /// assert_eq!(RoundingMode::HalfUp.round(x).unwrap(), -3);
    /// assert_eq!(RoundingMode::HalfEven.round(x).unwrap(), -2);
    /// assert_eq!(RoundingMode::Truncate.round(Decimal::new(29, 1)).unwrap(), 2);
    /// ```
    pub fn round(self, value: Decimal) -> Result<i64> {
        let r = value.round_dp_with_strategy(0, self.strategy());
        i64::try_from(r).map_err(|_| Error::overflow("a rebate amount"))
    }

    /// The spelling in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfDown => "half_down",
            RoundingMode::HalfEven => "half_even",
            RoundingMode::Truncate => "truncate",
            RoundingMode::AwayFromZero => "away_from_zero",
        }
    }
}

/// Split `total` into parts proportional to `weights`, adding up to `total` exactly.
///
/// Each part starts at its exact share rounded toward zero; the units left over go one each
/// to the largest remainders, ties to the lower index (callers order parts by id, so the
/// tie-break is deterministic). Negative totals split like their absolute value, negated.
/// Weights must be non-negative; if they are all zero, the split is equal.
///
/// ```
/// use qudao::rebate::allocate;
/// assert_eq!(allocate(100, &[1, 1, 1]).unwrap(), [34, 33, 33]);
/// assert_eq!(allocate(-100, &[1, 1, 1]).unwrap(), [-34, -33, -33]);
/// assert_eq!(allocate(10, &[3, 0, 7]).unwrap(), [3, 0, 7]);
/// ```
pub fn allocate(total: i64, weights: &[i128]) -> Result<Vec<i64>> {
    if weights.is_empty() {
        return if total == 0 {
            Ok(Vec::new())
        } else {
            Err(Error::invalid_argument(
                "weights",
                "cannot split a non-zero amount over no parts",
            ))
        };
    }
    if weights.iter().any(|&w| w < 0) {
        return Err(Error::invalid_argument("weights", "a weight is negative"));
    }
    let sum: i128 = weights
        .iter()
        .try_fold(0i128, |a, &w| a.checked_add(w))
        .ok_or_else(|| Error::overflow("allocation weights"))?;
    let equal;
    let (weights, sum) = if sum == 0 {
        equal = vec![1i128; weights.len()];
        (&equal[..], weights.len() as i128)
    } else {
        (weights, sum)
    };
    let abs = i128::from(total).abs();
    // Weights so large that `|total| × weight` leaves i128 are scaled down by a power of two
    // (same for all, so the shares stay put to within far less than one unit).
    let max_w = weights.iter().copied().max().unwrap_or(0);
    let mut shift = 0u32;
    while abs > 0
        && (max_w >> shift)
            .checked_mul(abs)
            .is_none_or(|p| p > i128::MAX / 2)
    {
        shift += 1;
    }
    let scaled: Vec<i128>;
    let (weights, sum) = if shift > 0 {
        scaled = weights.iter().map(|&w| w >> shift).collect();
        let s: i128 = scaled.iter().sum();
        if s == 0 {
            return allocate(total, &vec![0; weights.len()]);
        }
        (&scaled[..], s)
    } else {
        (weights, sum)
    };
    let mut parts = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for &w in weights {
        let p = abs * w;
        parts.push(p / sum);
        rems.push(p % sum);
        given += p / sum;
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| rems[b].cmp(&rems[a]).then(a.cmp(&b)));
    let left = abs - given;
    for &i in order.iter().take(left as usize) {
        parts[i] += 1;
    }
    let sign = if total < 0 { -1 } else { 1 };
    parts
        .into_iter()
        .map(|p| i64::try_from(p * sign).map_err(|_| Error::overflow("an allocation")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn modes_round_as_documented() {
        let cases: &[(i64, [i64; 5])] = &[
            // value ×10: half_up, half_down, half_even, truncate, away_from_zero
            (25, [3, 2, 2, 2, 3]),
            (35, [4, 3, 4, 3, 4]),
            (21, [2, 2, 2, 2, 3]),
            (29, [3, 3, 3, 2, 3]),
            (-25, [-3, -2, -2, -2, -3]),
            (-21, [-2, -2, -2, -2, -3]),
            (0, [0, 0, 0, 0, 0]),
        ];
        let modes = [
            RoundingMode::HalfUp,
            RoundingMode::HalfDown,
            RoundingMode::HalfEven,
            RoundingMode::Truncate,
            RoundingMode::AwayFromZero,
        ];
        for &(v, expect) in cases {
            for (m, e) in modes.iter().zip(expect) {
                assert_eq!(m.round(Decimal::new(v, 1)).ok(), Some(e), "{m:?} of {v}/10");
            }
        }
    }

    #[test]
    fn allocation_breaks_ties_by_index() {
        // 10 over [1, 1, 1]: exact 3.33 each; one unit left goes to index 0.
        assert_eq!(allocate(10, &[1, 1, 1]).ok(), Some(vec![4, 3, 3]));
        // 2 over [1, 1, 1, 1]: 0.5 each; the two units go to indexes 0 and 1.
        assert_eq!(allocate(2, &[1, 1, 1, 1]).ok(), Some(vec![1, 1, 0, 0]));
        // Largest remainder wins over index: 7 over [1, 2] = 2.33 / 4.67 → [2, 5].
        assert_eq!(allocate(7, &[1, 2]).ok(), Some(vec![2, 5]));
        assert_eq!(allocate(5, &[0, 0]).ok(), Some(vec![3, 2]));
        assert!(allocate(5, &[]).is_err());
        assert_eq!(allocate(0, &[]).ok(), Some(vec![]));
        assert!(allocate(5, &[1, -1]).is_err());
        assert_eq!(
            allocate(i64::MAX, &[i128::MAX / 2, i128::MAX / 2])
                .map(|v| v.iter().map(|&x| i128::from(x)).sum::<i128>())
                .ok(),
            Some(i128::from(i64::MAX))
        );
    }

    proptest! {
        #[test]
        fn parts_add_up_to_the_whole(total in -1_000_000_000i64..1_000_000_000, w in prop::collection::vec(0i128..1_000_000, 1..20)) {
            let parts = allocate(total, &w).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parts.iter().map(|&p| i128::from(p)).sum::<i128>(), i128::from(total));
            let sum: i128 = w.iter().sum();
            for (p, &wi) in parts.iter().zip(&w) {
                // Each part is within one unit of its exact share.
                let exact = if sum == 0 { i128::from(total) * 1_000_000 / w.len() as i128 } else { i128::from(total) * wi * 1_000_000 / sum };
                prop_assert!((i128::from(*p) * 1_000_000 - exact).abs() <= 1_000_000);
            }
        }

        #[test]
        fn rounding_is_symmetric(v in (i64::MIN + 1)..=i64::MAX, scale in 0u32..6) {
            let d = Decimal::new(v, scale);
            for m in [RoundingMode::HalfUp, RoundingMode::HalfDown, RoundingMode::HalfEven, RoundingMode::Truncate, RoundingMode::AwayFromZero] {
                prop_assert_eq!(m.round(-d).ok(), m.round(d).ok().map(|x| -x));
            }
        }
    }
}
