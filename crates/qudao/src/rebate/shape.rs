//! The calculation shapes, compiled to the data's units and evaluated exactly.
//!
//! Volumes are integers in the measure's unit (minor currency units for money measures, units
//! for quantity). Amounts come out as exact decimals in the payout unit (minor currency units,
//! or points) and are rounded later, where the program says.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::program::{Band, GrowthBase, GrowthMeasure, Shape, VolumeMeasure};

/// A band in the data's units.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnitBand {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub rate: Decimal,
}

/// A shape with bounds converted to the measure's unit and amounts to the payout unit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Compiled {
    Flat {
        rate: Decimal,
    },
    Fixed {
        amount: Decimal,
    },
    PerUnit {
        amount: Decimal,
    },
    AllUnits {
        bands: Vec<UnitBand>,
    },
    Marginal {
        bands: Vec<UnitBand>,
    },
    Interpolated {
        points: Vec<(Decimal, Decimal)>,
    },
    Target {
        levels: Vec<Level>,
        missed_charge: Option<Decimal>,
    },
    Growth {
        factor: Decimal,
        growth: GrowthMeasure,
        on: GrowthBase,
        bands: Vec<UnitBand>,
    },
    /// Paid per referral, outside the volume buckets (see the settlement).
    Referral {
        referrer: Decimal,
        referred: Decimal,
        min_volume: Decimal,
        within_days: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Level {
    pub attainment: Decimal,
    pub rate: Option<Decimal>,
    /// Fixed bonus in the payout unit.
    pub amount: Option<Decimal>,
}

/// Scales between document units and data units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Units {
    /// Document volume (major units or units) → data volume.
    pub volume: Decimal,
    /// `volume × rate` → payout unit.
    pub rate: Decimal,
    /// Document amount (major units or points) → payout unit.
    pub amount: Decimal,
}

impl Units {
    pub fn new(measure: VolumeMeasure, points: bool, exponent: u8) -> Units {
        let minor = Decimal::from(10i64.pow(u32::from(exponent)));
        let money = measure.is_money();
        Units {
            volume: if money { minor } else { Decimal::ONE },
            rate: match (money, points) {
                (true, false) | (false, true) => Decimal::ONE,
                (false, false) => minor,
                (true, true) => Decimal::ONE / minor,
            },
            amount: if points { Decimal::ONE } else { minor },
        }
    }
}

fn scale(v: Decimal, by: Decimal, what: &str) -> Result<Decimal> {
    v.checked_mul(by).ok_or_else(|| Error::overflow(what))
}

fn unit_bands(bands: &[Band], by: Decimal) -> Result<Vec<UnitBand>> {
    bands
        .iter()
        .map(|b| {
            Ok(UnitBand {
                from: scale(b.from, by, "a band bound")?,
                to: b.to.map(|t| scale(t, by, "a band bound")).transpose()?,
                rate: b.rate,
            })
        })
        .collect()
}

impl Compiled {
    pub fn new(shape: &Shape, u: Units) -> Result<Compiled> {
        Ok(match shape {
            Shape::FlatRate { rate } => Compiled::Flat { rate: *rate },
            Shape::FixedAmount { amount } => Compiled::Fixed {
                amount: scale(*amount, u.amount, "a fixed amount")?,
            },
            Shape::PerUnit { amount } => Compiled::PerUnit {
                amount: scale(*amount, u.amount, "a per-unit amount")?,
            },
            Shape::AllUnits { tiers } => Compiled::AllUnits {
                bands: unit_bands(tiers, u.volume)?,
            },
            Shape::Marginal { tiers } => Compiled::Marginal {
                bands: unit_bands(tiers, u.volume)?,
            },
            Shape::Interpolated { points } => Compiled::Interpolated {
                points: points
                    .iter()
                    .map(|p| Ok((scale(p.volume, u.volume, "a curve point")?, p.rate)))
                    .collect::<Result<_>>()?,
            },
            Shape::Target {
                levels,
                missed_charge,
                ..
            } => Compiled::Target {
                levels: levels
                    .iter()
                    .map(|l| {
                        Ok(Level {
                            attainment: l.attainment,
                            rate: l.rate,
                            amount: l
                                .amount
                                .map(|a| scale(a, u.amount, "a bonus"))
                                .transpose()?,
                        })
                    })
                    .collect::<Result<_>>()?,
                missed_charge: missed_charge
                    .map(|a| scale(a, u.amount, "a charge"))
                    .transpose()?,
            },
            Shape::Growth {
                baseline_factor,
                growth,
                on,
                tiers,
                ..
            } => Compiled::Growth {
                factor: *baseline_factor,
                growth: *growth,
                on: *on,
                // Absolute growth is a volume; percent growth is a ratio.
                bands: unit_bands(
                    tiers,
                    if *growth == GrowthMeasure::Absolute {
                        u.volume
                    } else {
                        Decimal::ONE
                    },
                )?,
            },
            Shape::Referral {
                referrer,
                referred,
                min_volume,
                within_days,
            } => Compiled::Referral {
                referrer: scale(*referrer, u.amount, "a referral reward")?,
                referred: scale(*referred, u.amount, "a referral reward")?,
                min_volume: scale(*min_volume, u.volume, "a referral volume")?,
                within_days: *within_days,
            },
        })
    }
}

/// What a shape gave for one volume.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Outcome {
    /// Exact amount in the payout unit (before rounding).
    pub exact: Decimal,
    /// Band, point segment or level reached (0-based).
    pub tier: Option<usize>,
    /// The rate applied, when one rate applies.
    pub rate: Option<Decimal>,
    /// Why nothing was earned, when nothing was.
    pub short: Option<Shortfall>,
    /// Target or adjusted baseline used (data units).
    pub reference: Option<Decimal>,
}

/// Why a shape paid nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shortfall {
    /// The volume is below the first band, or only in bands that pay nothing.
    BelowFirstTier {
        /// Where the first band (or the first band with a rate above 0) starts (data units).
        first_from: Decimal,
    },
    /// The target was missed.
    TargetMissed {
        /// Attainment reached (volume ÷ target).
        attainment: Decimal,
        /// Attainment the lowest level needs.
        needed: Decimal,
        /// Volume still missing (data units).
        short_by: Decimal,
    },
    /// There is no target for the period.
    NoTarget,
    /// Growth was below the first band.
    NoGrowth {
        /// Growth reached (volume or ratio).
        growth: Decimal,
        /// Growth the first band needs.
        needed: Decimal,
    },
    /// Percent growth over a zero baseline is undefined.
    NoBaseline,
    /// No volume.
    NoVolume,
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b)
        .ok_or_else(|| Error::overflow("a rebate amount"))
}

/// Why-not when the volume sits in bands that pay nothing: where the next paying band starts.
fn first_paying(above: &[UnitBand]) -> Option<Shortfall> {
    above
        .iter()
        .find(|b| b.rate > Decimal::ZERO)
        .map(|b| Shortfall::BelowFirstTier { first_from: b.from })
}

fn band_of(bands: &[UnitBand], v: Decimal) -> Option<usize> {
    bands
        .iter()
        .position(|b| b.from <= v && b.to.is_none_or(|t| v < t))
}

/// Context a shape may need besides the volume.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context {
    /// The period target (data units), for target shapes.
    pub target: Option<Decimal>,
    /// The baseline volume (data units), for growth shapes.
    pub baseline: Option<Decimal>,
    /// Whether this is the final settlement of the period (a missed-target charge applies
    /// only then).
    pub is_final: bool,
}

impl Compiled {
    /// Evaluate at volume `v` (data units). `rate_unit` turns `volume × rate` into the payout
    /// unit.
    pub fn eval(&self, v: Decimal, ctx: Context, rate_unit: Decimal) -> Result<Outcome> {
        let pay =
            |rate: Decimal, on: Decimal| -> Result<Decimal> { mul(mul(on, rate)?, rate_unit) };
        let mut o = Outcome::default();
        match self {
            Compiled::Flat { rate } => {
                o.exact = pay(*rate, v)?;
                o.rate = Some(*rate);
            }
            Compiled::Fixed { amount } => {
                if v > Decimal::ZERO {
                    o.exact = *amount;
                } else {
                    o.short = Some(Shortfall::NoVolume);
                }
            }
            Compiled::PerUnit { amount } => {
                o.exact = mul(v, *amount)?;
                o.rate = Some(*amount);
            }
            Compiled::AllUnits { bands } => match band_of(bands, v) {
                Some(k) => {
                    o.tier = Some(k);
                    o.rate = Some(bands[k].rate);
                    o.exact = pay(bands[k].rate, v)?;
                    if bands[k].rate.is_zero() {
                        o.short = first_paying(&bands[k + 1..]);
                    }
                }
                None => {
                    if let Some(first) = bands.first()
                        && v < first.from
                    {
                        o.short = Some(Shortfall::BelowFirstTier {
                            first_from: first.from,
                        });
                    }
                }
            },
            Compiled::Marginal { bands } => {
                let mut total = Decimal::ZERO;
                for (k, b) in bands.iter().enumerate() {
                    if v <= b.from {
                        break;
                    }
                    let top = b.to.map_or(v, |t| t.min(v));
                    total = total
                        .checked_add(pay(b.rate, top - b.from)?)
                        .ok_or_else(|| Error::overflow("a rebate amount"))?;
                    o.tier = Some(k);
                }
                if o.tier.is_none()
                    && let Some(first) = bands.first()
                {
                    o.short = Some(Shortfall::BelowFirstTier {
                        first_from: first.from,
                    });
                } else if total.is_zero()
                    && let Some(k) = o.tier
                {
                    o.short = first_paying(&bands[k + 1..]);
                }
                o.exact = total;
            }
            Compiled::Interpolated { points } => {
                let Some(&(v0, _)) = points.first() else {
                    return Ok(o);
                };
                if v < v0 {
                    o.short = Some(Shortfall::BelowFirstTier { first_from: v0 });
                } else {
                    let k = points.iter().rposition(|&(pv, _)| pv <= v).unwrap_or(0);
                    let rate = if k + 1 < points.len() {
                        let (a, ra) = points[k];
                        let (b, rb) = points[k + 1];
                        let t = (v - a)
                            .checked_div(b - a)
                            .ok_or_else(|| Error::overflow("an interpolation"))?;
                        ra + mul(rb - ra, t)?
                    } else {
                        points[k].1
                    };
                    o.tier = Some(k);
                    o.rate = Some(rate);
                    o.exact = pay(rate, v)?;
                }
            }
            Compiled::Target {
                levels,
                missed_charge,
            } => {
                let Some(target) = ctx.target.filter(|t| *t > Decimal::ZERO) else {
                    o.short = Some(Shortfall::NoTarget);
                    return Ok(o);
                };
                o.reference = Some(target);
                let attainment = v
                    .checked_div(target)
                    .ok_or_else(|| Error::overflow("an attainment"))?;
                match levels.iter().rposition(|l| attainment >= l.attainment) {
                    Some(k) => {
                        o.tier = Some(k);
                        let l = &levels[k];
                        if let Some(r) = l.rate {
                            o.rate = Some(r);
                            o.exact = pay(r, v)?;
                        } else {
                            o.exact = l.amount.unwrap_or_default();
                        }
                    }
                    None => {
                        let needed = levels[0].attainment;
                        o.short = Some(Shortfall::TargetMissed {
                            attainment,
                            needed,
                            short_by: mul(needed, target)? - v,
                        });
                        if ctx.is_final
                            && let Some(c) = missed_charge
                        {
                            o.exact = -*c;
                        }
                    }
                }
            }
            Compiled::Growth {
                factor,
                growth,
                on,
                bands,
            } => {
                let base = mul(ctx.baseline.unwrap_or_default(), *factor)?;
                o.reference = Some(base);
                let g = match growth {
                    GrowthMeasure::Absolute => v - base,
                    GrowthMeasure::Percent => {
                        if base <= Decimal::ZERO {
                            o.short = Some(Shortfall::NoBaseline);
                            return Ok(o);
                        }
                        (v - base)
                            .checked_div(base)
                            .ok_or_else(|| Error::overflow("a growth rate"))?
                    }
                };
                match band_of(bands, g) {
                    Some(k) => {
                        o.tier = Some(k);
                        o.rate = Some(bands[k].rate);
                        let on = match on {
                            GrowthBase::Increment => (v - base).max(Decimal::ZERO),
                            GrowthBase::Whole => v,
                        };
                        o.exact = pay(bands[k].rate, on)?;
                    }
                    None => {
                        o.short = Some(Shortfall::NoGrowth {
                            growth: g,
                            needed: bands.first().map(|b| b.from).unwrap_or_default(),
                        });
                    }
                }
            }
            Compiled::Referral { .. } => {}
        }
        Ok(o)
    }

    /// The next step up from volume `v`: (index, volume needed to reach it, its rate).
    pub fn next_step(&self, v: Decimal, ctx: Context) -> Option<(usize, Decimal, Option<Decimal>)> {
        match self {
            Compiled::AllUnits { bands } | Compiled::Marginal { bands } => bands
                .iter()
                .enumerate()
                .find(|(_, b)| b.from > v)
                .map(|(k, b)| (k, b.from - v, Some(b.rate))),
            Compiled::Interpolated { points } => points
                .iter()
                .enumerate()
                .find(|(_, p)| p.0 > v)
                .map(|(k, p)| (k, p.0 - v, Some(p.1))),
            Compiled::Target { levels, .. } => {
                let target = ctx.target.filter(|t| *t > Decimal::ZERO)?;
                levels.iter().enumerate().find_map(|(k, l)| {
                    let need = l.attainment.checked_mul(target)?;
                    (need > v).then(|| (k, (need - v).ceil(), l.rate))
                })
            }
            Compiled::Growth {
                factor,
                growth,
                bands,
                ..
            } => {
                let base = ctx.baseline.unwrap_or_default().checked_mul(*factor)?;
                bands.iter().enumerate().find_map(|(k, b)| {
                    let need = match growth {
                        GrowthMeasure::Absolute => base + b.from,
                        GrowthMeasure::Percent => {
                            if base <= Decimal::ZERO {
                                return None;
                            }
                            base.checked_mul(Decimal::ONE + b.from)?
                        }
                    };
                    (need > v).then(|| (k, (need - v).ceil(), Some(b.rate)))
                })
            }
            _ => None,
        }
    }

    /// Per-line rates of a line-rounded shape, in the order [`Compiled::line_rate_index`]
    /// indexes them.
    pub fn line_rates(&self) -> Vec<Decimal> {
        match self {
            Compiled::Flat { rate } => vec![*rate],
            Compiled::PerUnit { amount } => vec![*amount],
            Compiled::AllUnits { bands } => bands.iter().map(|b| b.rate).collect(),
            Compiled::Target { levels, .. } => levels.iter().filter_map(|l| l.rate).collect(),
            _ => Vec::new(),
        }
    }

    /// Which line-rate accumulator an outcome uses.
    pub fn line_rate_index(&self, o: &Outcome) -> Option<usize> {
        match self {
            Compiled::Flat { .. } | Compiled::PerUnit { .. } => Some(0),
            Compiled::AllUnits { .. } | Compiled::Target { .. } => o.tier,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rebate::program::{CurvePoint, TargetLevel};
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn band(from: &str, to: Option<&str>, rate: &str) -> Band {
        Band {
            from: d(from),
            to: to.map(d),
            rate: d(rate),
        }
    }

    /// CNY money measure paying money: volumes in fen, amounts in fen.
    fn cny() -> Units {
        Units::new(VolumeMeasure::NetRevenue, false, 2)
    }

    fn eval(shape: &Shape, yuan: &str, ctx: Context) -> Outcome {
        let u = cny();
        let c = Compiled::new(shape, u).unwrap_or(Compiled::Flat {
            rate: Decimal::ZERO,
        });
        c.eval(d(yuan) * u.volume, ctx, u.rate).unwrap_or_default()
    }

    fn tiers() -> Vec<Band> {
        vec![
            band("0", Some("100000"), "0"),
            band("100000", Some("500000"), "0.02"),
            band("500000", None, "0.03"),
        ]
    }

    #[test]
    fn flat_fixed_per_unit() {
        // ¥12,345.67 × 1.5 % = ¥185.18505 = 18518.505 fen.
        let o = eval(
            &Shape::FlatRate { rate: d("0.015") },
            "12345.67",
            Context::default(),
        );
        assert_eq!(o.exact, d("18518.505"));
        let o = eval(
            &Shape::FixedAmount { amount: d("500") },
            "0.01",
            Context::default(),
        );
        assert_eq!(o.exact, d("50000"), "¥500 = 50000 fen once there is volume");
        let o = eval(
            &Shape::FixedAmount { amount: d("500") },
            "0",
            Context::default(),
        );
        assert_eq!(
            (o.exact, o.short),
            (Decimal::ZERO, Some(Shortfall::NoVolume))
        );
        // 37 units × ¥1.20 = ¥44.40 = 4440 fen.
        let u = Units::new(VolumeMeasure::Quantity, false, 2);
        let c = Compiled::new(&Shape::PerUnit { amount: d("1.20") }, u).unwrap_or(Compiled::Flat {
            rate: Decimal::ZERO,
        });
        assert_eq!(
            c.eval(d("37"), Context::default(), u.rate)
                .map(|o| o.exact)
                .ok(),
            Some(d("4440"))
        );
        // Flat rate on quantity pays major units per unit: 37 × 0.5 = ¥18.50.
        let c = Compiled::new(&Shape::FlatRate { rate: d("0.5") }, u).unwrap_or(Compiled::Flat {
            rate: Decimal::ZERO,
        });
        assert_eq!(
            c.eval(d("37"), Context::default(), u.rate)
                .map(|o| o.exact)
                .ok(),
            Some(d("1850"))
        );
    }

    #[test]
    fn all_units_is_retroactive_and_marginal_is_not() {
        let all = Shape::AllUnits { tiers: tiers() };
        let marg = Shape::Marginal { tiers: tiers() };
        // ¥600,000: all-units 600000 × 3 % = ¥18,000.
        let o = eval(&all, "600000", Context::default());
        assert_eq!(
            (o.exact, o.tier, o.rate),
            (d("1800000"), Some(2), Some(d("0.03")))
        );
        // Marginal: 100000 × 0 + 400000 × 2 % + 100000 × 3 % = 8000 + 3000 = ¥11,000.
        let o = eval(&marg, "600000", Context::default());
        assert_eq!((o.exact, o.tier), (d("1100000"), Some(2)));
        // Exactly on a bound: [from, to) puts ¥100,000 in the 2 % band: ¥2,000.
        assert_eq!(eval(&all, "100000", Context::default()).exact, d("200000"));
        // Just below: band 0 pays 0.
        assert_eq!(eval(&all, "99999.99", Context::default()).exact, d("0"));
        // A zero-rate first band pays nothing and says where paying starts: ¥100,000 = 1e7 fen.
        let o = eval(&all, "40", Context::default());
        assert_eq!(o.exact, d("0"));
        assert_eq!(
            o.short,
            Some(Shortfall::BelowFirstTier {
                first_from: d("10000000")
            })
        );
        let o = eval(&marg, "40", Context::default());
        assert_eq!((o.exact, o.tier), (d("0"), Some(0)));
        assert!(matches!(o.short, Some(Shortfall::BelowFirstTier { .. })));
        // Returns can make the volume negative: below the first band, nothing.
        let o = eval(&all, "-5", Context::default());
        assert_eq!(o.exact, d("0"));
        assert!(matches!(o.short, Some(Shortfall::BelowFirstTier { .. })));
    }

    #[test]
    fn interpolation_is_linear_in_the_rate() {
        let s = Shape::Interpolated {
            points: vec![
                CurvePoint {
                    volume: d("100000"),
                    rate: d("0.01"),
                },
                CurvePoint {
                    volume: d("300000"),
                    rate: d("0.03"),
                },
            ],
        };
        // ¥200,000 is halfway: rate 2 %, amount ¥4,000.
        let o = eval(&s, "200000", Context::default());
        assert_eq!((o.rate, o.exact), (Some(d("0.02")), d("400000")));
        // Above the last point: the last rate. ¥400,000 × 3 % = ¥12,000.
        assert_eq!(eval(&s, "400000", Context::default()).exact, d("1200000"));
        // Below the first: nothing.
        assert_eq!(eval(&s, "50000", Context::default()).exact, d("0"));
    }

    #[test]
    fn target_levels_use_greater_or_equal() {
        let s = Shape::Target {
            target: None,
            levels: vec![
                TargetLevel {
                    attainment: d("1"),
                    rate: Some(d("0.02")),
                    amount: None,
                },
                TargetLevel {
                    attainment: d("1.2"),
                    rate: None,
                    amount: Some(d("10000")),
                },
            ],
            missed_charge: Some(d("500")),
        };
        let t = |yuan: &str| Context {
            target: Some(d(yuan) * d("100")),
            ..Context::default()
        };
        // Exactly 100 % of ¥100,000: level 0, ¥2,000.
        let o = eval(&s, "100000", t("100000"));
        assert_eq!((o.tier, o.exact), (Some(0), d("200000")));
        // 120 %: the fixed ¥10,000 bonus.
        assert_eq!(eval(&s, "120000", t("100000")).exact, d("1000000"));
        // 99.99 %: missed by ¥10; no charge before the final settlement …
        let o = eval(&s, "99990", t("100000"));
        assert_eq!(o.exact, d("0"));
        assert_eq!(
            o.short,
            Some(Shortfall::TargetMissed {
                attainment: d("0.9999"),
                needed: d("1"),
                short_by: d("1000")
            })
        );
        // … and a ¥500 charge at it.
        let fin = Context {
            is_final: true,
            ..t("100000")
        };
        assert_eq!(eval(&s, "99990", fin).exact, d("-50000"));
        assert_eq!(
            eval(&s, "99990", Context::default()).short,
            Some(Shortfall::NoTarget)
        );
    }

    #[test]
    fn growth_over_an_adjusted_baseline() {
        // Baseline ¥100,000 after a 5 % price increase is ¥105,000. Volume ¥126,000:
        // percent growth (126000 − 105000) ÷ 105000 = 20 %, band [0.2, ∞) pays 5 % of the
        // increment ¥21,000 = ¥1,050.
        let s = Shape::Growth {
            baseline: crate::rebate::program::Baseline::SamePeriodLastYear,
            baseline_factor: d("1.05"),
            growth: GrowthMeasure::Percent,
            on: GrowthBase::Increment,
            tiers: vec![band("0.1", Some("0.2"), "0.03"), band("0.2", None, "0.05")],
        };
        let ctx = Context {
            baseline: Some(d("10000000")),
            ..Context::default()
        };
        let o = eval(&s, "126000", ctx);
        assert_eq!((o.tier, o.exact), (Some(1), d("105000")));
        // No baseline: undefined percent growth.
        assert_eq!(
            eval(&s, "126000", Context::default()).short,
            Some(Shortfall::NoBaseline)
        );
        // Absolute growth, whole base: growth ¥21,000 ≥ ¥20,000 pays 1 % of ¥126,000 = ¥1,260.
        let s = Shape::Growth {
            baseline: crate::rebate::program::Baseline::PreviousPeriod,
            baseline_factor: d("1.05"),
            growth: GrowthMeasure::Absolute,
            on: GrowthBase::Whole,
            tiers: vec![band("20000", None, "0.01")],
        };
        assert_eq!(eval(&s, "126000", ctx).exact, d("126000"));
        // Growth ¥15,000: short of ¥20,000.
        let o = eval(&s, "120000", ctx);
        assert!(matches!(o.short, Some(Shortfall::NoGrowth { .. })));
    }

    #[test]
    fn next_step_says_how_far() {
        let u = cny();
        let c = Compiled::new(&Shape::AllUnits { tiers: tiers() }, u).unwrap_or(Compiled::Flat {
            rate: Decimal::ZERO,
        });
        // At ¥450,000 the 3 % band is ¥50,000 = 5,000,000 fen away.
        assert_eq!(
            c.next_step(d("45000000"), Context::default()),
            Some((2, d("5000000"), Some(d("0.03"))))
        );
        assert_eq!(c.next_step(d("60000000"), Context::default()), None);
    }

    fn rate_table() -> impl Strategy<Value = Vec<Band>> {
        (prop::collection::vec((1u32..1_000_000, 0u32..100), 1..6)).prop_map(|steps| {
            let mut from = Decimal::ZERO;
            let mut rate = Decimal::ZERO;
            let n = steps.len();
            steps
                .into_iter()
                .enumerate()
                .map(|(i, (w, r))| {
                    rate += Decimal::new(i64::from(r), 4);
                    let b = Band {
                        from,
                        to: (i + 1 < n).then(|| from + Decimal::from(w)),
                        rate,
                    };
                    from += Decimal::from(w);
                    b
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn all_units_pays_at_least_marginal_and_both_grow(t in rate_table(), v in 0i64..10_000_000, dv in 0i64..1_000_000) {
            let u = cny();
            let all = Compiled::new(&Shape::AllUnits { tiers: t.clone() }, u).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let marg = Compiled::new(&Shape::Marginal { tiers: t }, u).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let at = |c: &Compiled, x: i64| c.eval(Decimal::from(x), Context::default(), u.rate).map(|o| o.exact).unwrap_or_default();
            prop_assert!(at(&all, v) >= at(&marg, v));
            prop_assert!(at(&all, v + dv) >= at(&all, v), "all-units monotone");
            prop_assert!(at(&marg, v + dv) >= at(&marg, v), "marginal monotone");
        }
    }
}
