//! Predictions from fitted BTYD parameters: expected purchases, probability alive, expected
//! spend and discounted customer lifetime value, one customer at a time or a table at once.
//!
//! A customer is described as in the fits: `x` repeat purchases, the last at `t_x`, observed
//! for `T` since the first purchase, all in the fit's time unit (weeks for CDNOW).
//!
//! Expected spend and CLV are statistical estimates, not booked amounts, so they are `f64`
//! in currency units; [`to_minor_units`] turns one into `i64` minor units with an explicit
//! rounding when it has to be displayed or stored next to money.
//!
//! ```
//! use qudao::clv::predict::{BgNbd, ClvOptions, Customer, GammaGamma, PurchaseModel, clv};
//! // Fader, Hardie & Lee (2005), CDNOW, weeks.
//! let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let c = Customer::new(2.0, 30.43, 38.86)?;
//! let next_39_weeks = bg.conditional_expected_purchases(39.0, &c)?;
//! assert!((next_39_weeks - 1.226).abs() < 5e-4); // FHL (2005) report 1.226
//! let spend = GammaGamma::new(6.25, 3.74, 15.44)?.conditional_expected_spend(2.0, 22.35)?;
//! let value = clv(&bg, spend, &c, &ClvOptions::monthly_in_weeks())?;
//! println!("P(alive) {:.3}, 12-month CLV {value:.2}", bg.probability_alive(&c)?);
//! # Ok::<(), qudao::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::Fit;
use super::special::{ln_hyp2f1, log_sub_exp};
use crate::{Error, Result};

/// One customer's BTYD summary, in the fit's time unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Repeat purchases (purchase periods after the first).
    pub x: f64,
    /// Time of the last purchase since the first.
    pub t_x: f64,
    /// Time since the first purchase ("T", the customer's age).
    pub t: f64,
}

impl Customer {
    /// A checked customer: finite, non-negative, `t_x ≤ T`, and `t_x > 0` when `x > 0`.
    pub fn new(x: f64, t_x: f64, t: f64) -> Result<Self> {
        let c = Customer { x, t_x, t };
        check_customer(&c, None)?;
        Ok(c)
    }
}

/// The argument name, with the row for batch input: `t_x[17]`.
fn arg(name: &str, row: Option<usize>) -> String {
    match row {
        Some(i) => format!("{name}[{i}]"),
        None => name.to_owned(),
    }
}

fn check_customer(c: &Customer, row: Option<usize>) -> Result<()> {
    for (name, v) in [("x", c.x), ("t_x", c.t_x), ("T", c.t)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::invalid_argument(
                arg(name, row),
                format!("{v} is not a finite non-negative number"),
            ));
        }
    }
    if c.t_x > c.t {
        return Err(Error::invalid_argument(
            arg("t_x", row),
            format!("last purchase at {} is after T = {}", c.t_x, c.t),
        ));
    }
    if c.x > 0.0 && c.t_x == 0.0 {
        return Err(Error::invalid_argument(
            arg("t_x", row),
            format!("{} repeat purchases need t_x > 0", c.x),
        ));
    }
    Ok(())
}

fn check_horizon(t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "t",
            format!("horizon {t} is not a finite non-negative number"),
        ))
    }
}

fn check_params(model: &str, params: &[(&str, f64)]) -> Result<()> {
    for &(name, v) in params {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::invalid_argument(
                name,
                format!("{model} parameter {name} = {v} must be finite and positive"),
            ));
        }
    }
    Ok(())
}

/// Parameters `names` of a fit of `model`, in order.
fn params_of<const N: usize>(fit: &Fit, model: &str, names: [&str; N]) -> Result<[f64; N]> {
    if fit.model != model {
        return Err(Error::invalid_argument(
            "fit",
            format!("is a {} fit, not {model}", fit.model),
        ));
    }
    let mut out = [0.0; N];
    for (o, name) in out.iter_mut().zip(names) {
        *o = fit
            .param(name)
            .ok_or_else(|| Error::invalid_argument("fit", format!("has no parameter {name}")))?;
    }
    Ok(out)
}

/// `1 / (1 + e^v)` without overflow.
fn logistic_neg(v: f64) -> f64 {
    if v > 0.0 {
        let e = (-v).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + v.exp())
    }
}

/// A model of purchase counts that predicts per customer. `Sync` so a table can be split
/// over threads.
pub trait PurchaseModel: Sync {
    /// Probability that the customer is still active at `T`.
    fn probability_alive(&self, c: &Customer) -> Result<f64>;

    /// Expected purchases in `(T, T + t]` given the customer's history.
    fn conditional_expected_purchases(&self, t: f64, c: &Customer) -> Result<f64>;

    /// Expected purchases in `(0, t]` of a new customer, `E[X(t)]`.
    fn expected_purchases(&self, t: f64) -> Result<f64>;

    /// [`PurchaseModel::conditional_expected_purchases`] at several horizons: the models
    /// share the work that does not depend on the horizon (P(alive), the survival sums).
    fn conditional_expected_purchases_at(
        &self,
        horizons: &[f64],
        c: &Customer,
    ) -> Result<Vec<f64>> {
        horizons
            .iter()
            .map(|&t| self.conditional_expected_purchases(t, c))
            .collect()
    }

    /// [`PurchaseModel::probability_alive`] for every row of a table.
    fn probability_alive_batch(&self, customers: &Customers<'_>) -> Result<Vec<f64>> {
        customers.map(&|_, c| self.probability_alive(c))
    }

    /// [`PurchaseModel::conditional_expected_purchases`] for every row of a table.
    fn conditional_expected_purchases_batch(
        &self,
        t: f64,
        customers: &Customers<'_>,
    ) -> Result<Vec<f64>> {
        self.map_expected_purchases(&[t], customers, &|_, e| Ok(e[0]))
    }

    /// `f(row, expected)` for every row of a table, in parallel, with `expected[i]` the
    /// conditional expected purchases by `horizons[i]`; the first failing row is the error.
    /// Models override it to share work across rows (BG/NBD: survival sums per `x`).
    fn map_expected_purchases(
        &self,
        horizons: &[f64],
        customers: &Customers<'_>,
        f: &(dyn Fn(usize, &[f64]) -> Result<f64> + Sync),
    ) -> Result<Vec<f64>> {
        for &t in horizons {
            check_horizon(t)?;
        }
        customers.map(&|i, c| f(i, &self.conditional_expected_purchases_at(horizons, c)?))
    }
}

/// BG/NBD parameters (Fader, Hardie & Lee 2005): purchase rates Gamma(`r`, `alpha`),
/// dropout probabilities Beta(`a`, `b`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Scale (rate) of the purchase-rate distribution, in the time unit.
    pub alpha: f64,
    /// First shape of the dropout-probability distribution.
    pub a: f64,
    /// Second shape of the dropout-probability distribution.
    pub b: f64,
}

impl BgNbd {
    /// Checked parameters: all finite and positive.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_params("BG/NBD", &[("r", r), ("alpha", alpha), ("a", a), ("b", b)])?;
        Ok(BgNbd { r, alpha, a, b })
    }

    /// The parameters of a BG/NBD [`Fit`].
    pub fn from_fit(fit: &Fit) -> Result<Self> {
        let [r, alpha, a, b] = params_of(fit, "bg_nbd", ["r", "alpha", "a", "b"])?;
        BgNbd::new(r, alpha, a, b)
    }
}

/// Most terms the BG/NBD expectation series may take (a horizon millions of times longer
/// than `α + T`); beyond it the prediction is refused rather than truncated.
const MAX_TERMS: usize = 50_000_000;

/// `1/k` for small `k`: the series' hot loop then has no division.
static INVERSES: [f64; 1024] = {
    let mut t = [0.0; 1024];
    let mut k = 1;
    while k < 1024 {
        t[k] = 1.0 / k as f64;
        k += 1;
    }
    t
};

/// `(w_k, W_k)` for `k < len` (entry 0 unused): the survival probabilities
/// `w_j = E[(1−p)^(j−1)] = Π_{i<j−1} (b+i)/(a+b+i)` for dropout `p` ~ Beta(`a`, `b`) and
/// their partial sums `W_k = w_1 + … + w_k`. They depend on `x` only (through `b + x`), so
/// every horizon of a customer, and every customer with the same `x`, share one table.
fn survival_table(a: f64, b: f64, len: usize) -> Vec<(f64, f64)> {
    let mut table = Vec::with_capacity(len.max(2));
    table.push((0.0, 0.0));
    let (mut w, mut cum) = (1.0f64, 1.0f64);
    table.push((w, cum));
    for k in 2..len {
        let kf = k as f64;
        w *= (b + kf - 2.0) / (a + b + kf - 2.0);
        cum += w;
        table.push((w, cum));
    }
    table
}

/// Terms the series needs, about: the negative binomial's mode plus its geometric tail.
fn terms_hint(n: f64, z: f64) -> usize {
    let q = 1.0 - z;
    ((n * z / q + 40.0 / q) as usize + 8).min(4096)
}

/// `E[Y(t)]` for a customer alive now, with purchase rate ~ Gamma(`n`, `scale`) and dropout
/// probability ~ Beta(`a`, `b`): FHL (2005) eq. 10 without its P(alive) factor,
/// `(a+b−1)/(a−1) · [1 − (scale/(scale+t))^n ₂F₁(n, b; a+b−1; t/(scale+t))]`.
///
/// Evaluated as a series of positive terms, so without the cancellation of the closed form
/// (near `a = 1`, for short horizons, or when `a + b − 1 ≤ 0`): `Y ≥ j` needs `j` purchases
/// in the window, `N(t)` negative binomial `NB(n, z = t/(scale+t))`, and survival of the first
/// `j − 1`, of probability `w_j`. So `E[Y] = Σ_j w_j P(N ≥ j) = Σ_k P(N = k) W_k`, with
/// `(w_k, W_k)` from `table` ([`survival_table`]) and continued past its end.
fn bgnbd_expected_if_alive(
    n: f64,
    scale: f64,
    t: f64,
    (a, b): (f64, f64),
    table: &[(f64, f64)],
) -> Result<f64> {
    if t == 0.0 {
        return Ok(0.0);
    }
    let z = t / (scale + t);
    // P(N = 0) = (1 − z)^n, kept as a log offset; terms are rescaled to stay in range.
    let mut log_offset = n * (-z).ln_1p();
    let mut p = 1.0f64; // P(N = k) / e^log_offset
    let mut sum = 0.0f64;
    let (mut w, mut cum_w) = (0.0f64, 0.0f64);
    let mut k: usize = 0;
    loop {
        k += 1;
        let kf = k as f64;
        let inv = if k < INVERSES.len() {
            INVERSES[k]
        } else {
            1.0 / kf
        };
        p *= (n + kf - 1.0) * inv * z;
        if k < table.len() {
            (w, cum_w) = table[k];
        } else if k == 1 {
            (w, cum_w) = (1.0, 1.0);
        } else {
            w *= (b + kf - 2.0) / (a + b + kf - 2.0);
            cum_w += w;
        }
        sum += p * cum_w;
        if p > 1e250 {
            p *= 1e-250;
            sum *= 1e-250;
            log_offset += 250.0 * std::f64::consts::LN_10;
        }
        // Every 8 terms: past the mode, later P(N = i) fall at least by the ratio rho per
        // step and W grows by at most w_k per step, which bounds the tail.
        if k.is_multiple_of(8) {
            let rho = z * ((n + kf) / (kf + 1.0)).max(1.0);
            if rho < 1.0 {
                let q = 1.0 / (1.0 - rho);
                if p * rho * q * (cum_w + w * q) <= 1e-17 * sum {
                    break;
                }
            }
            if k >= MAX_TERMS {
                return Err(Error::invalid_argument(
                    "t",
                    format!(
                        "horizon {t} is too long against α + T = {scale} for the BG/NBD \
                         series ({MAX_TERMS} terms)"
                    ),
                ));
            }
        }
    }
    Ok((sum.ln() + log_offset).exp())
}

/// Survival tables for the integer `x < 4096` present in a batch.
struct SurvivalCache(Vec<Option<Vec<(f64, f64)>>>);

/// Entries per cached survival table (enough for `z` up to about 0.9).
const CACHED_TERMS: usize = 512;

impl SurvivalCache {
    fn new(m: &BgNbd, xs: &[f64]) -> Self {
        let mut present = vec![false; 4096];
        for &x in xs {
            if let Some(i) = Self::slot(x) {
                present[i] = true;
            }
        }
        SurvivalCache(
            present
                .iter()
                .enumerate()
                .map(|(i, &p)| p.then(|| survival_table(m.a, m.b + i as f64, CACHED_TERMS)))
                .collect(),
        )
    }

    fn slot(x: f64) -> Option<usize> {
        ((0.0..4096.0).contains(&x) && x.fract() == 0.0).then_some(x as usize)
    }

    fn get(&self, x: f64) -> Option<&[(f64, f64)]> {
        Self::slot(x).and_then(|i| self.0[i].as_deref())
    }
}

impl BgNbd {
    /// Cumulative conditional expected purchases at each horizon, with a survival table.
    fn expected_at(
        &self,
        horizons: &[f64],
        c: &Customer,
        table: Option<&[(f64, f64)]>,
    ) -> Result<Vec<f64>> {
        let alive = self.probability_alive(c)?;
        let (n, scale, shapes) = (self.r + c.x, self.alpha + c.t, (self.a, self.b + c.x));
        let owned;
        let table = match table {
            Some(t) => t,
            None if horizons.len() > 1 => {
                let longest = horizons.iter().fold(0.0f64, |m, &t| m.max(t));
                owned = survival_table(
                    shapes.0,
                    shapes.1,
                    terms_hint(n, longest / (scale + longest)),
                );
                &owned
            }
            None => &[],
        };
        horizons
            .iter()
            .map(|&t| Ok(alive * bgnbd_expected_if_alive(n, scale, t, shapes, table)?))
            .collect()
    }
}

impl PurchaseModel for BgNbd {
    /// `1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))` (Fader, Hardie & Lee 2008,
    /// "Computing P(alive) using the BG/NBD model").
    fn probability_alive(&self, c: &Customer) -> Result<f64> {
        check_customer(c, None)?;
        if c.x == 0.0 {
            return Ok(1.0);
        }
        let ln_ratio = ((c.t - c.t_x) / (self.alpha + c.t_x)).ln_1p();
        let v = self.a.ln() - (self.b + c.x - 1.0).ln() + (self.r + c.x) * ln_ratio;
        Ok(logistic_neg(v))
    }

    /// Fader, Hardie & Lee (2005) eq. 10: P(alive) times the expected purchases of an active
    /// customer, the latter summed as a positive series (see the source for the derivation).
    fn conditional_expected_purchases(&self, t: f64, c: &Customer) -> Result<f64> {
        check_horizon(t)?;
        Ok(self.expected_at(&[t], c, None)?[0])
    }

    fn conditional_expected_purchases_at(
        &self,
        horizons: &[f64],
        c: &Customer,
    ) -> Result<Vec<f64>> {
        for &t in horizons {
            check_horizon(t)?;
        }
        self.expected_at(horizons, c, None)
    }

    /// Shares one survival table per integer `x` across the rows.
    fn map_expected_purchases(
        &self,
        horizons: &[f64],
        customers: &Customers<'_>,
        f: &(dyn Fn(usize, &[f64]) -> Result<f64> + Sync),
    ) -> Result<Vec<f64>> {
        for &t in horizons {
            check_horizon(t)?;
        }
        let cache = SurvivalCache::new(self, customers.x);
        customers.map(&|i, c| f(i, &self.expected_at(horizons, c, cache.get(c.x))?))
    }

    /// Fader, Hardie & Lee (2005) eq. 9,
    /// `(a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]`: the same series at
    /// `x = 0`, `T = 0`.
    fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        bgnbd_expected_if_alive(self.r, self.alpha, t, (self.a, self.b), &[])
    }
}

/// Pareto/NBD parameters (Schmittlein, Morrison & Colombo 1987): purchase rates
/// Gamma(`r`, `alpha`), dropout rates Gamma(`s`, `beta`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Scale (rate) of the purchase-rate distribution, in the time unit.
    pub alpha: f64,
    /// Shape of the dropout-rate distribution.
    pub s: f64,
    /// Scale (rate) of the dropout-rate distribution, in the time unit.
    pub beta: f64,
}

impl ParetoNbd {
    /// Checked parameters: all finite and positive.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        check_params(
            "Pareto/NBD",
            &[("r", r), ("alpha", alpha), ("s", s), ("beta", beta)],
        )?;
        Ok(ParetoNbd { r, alpha, s, beta })
    }

    /// The parameters of a Pareto/NBD [`Fit`].
    pub fn from_fit(fit: &Fit) -> Result<Self> {
        let [r, alpha, s, beta] = params_of(fit, "pareto_nbd", ["r", "alpha", "s", "beta"])?;
        ParetoNbd::new(r, alpha, s, beta)
    }

    /// `[1 − ((β+T)/(β+T+t))^(s−1)] / (s − 1)`, with its limit `ln((β+T+t)/(β+T))` at
    /// `s = 1`, computed without cancellation.
    fn survival_integral(&self, base: f64, t: f64) -> f64 {
        let l = (t / base).ln_1p();
        let y = (self.s - 1.0) * l;
        if y.abs() < 1e-8 {
            l * (1.0 - y / 2.0)
        } else {
            l * -(-y).exp_m1() / y
        }
    }
}

impl PurchaseModel for ParetoNbd {
    /// `1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A₀)` with `A₀` the difference of the two
    /// hypergeometric terms at `t_x` and `T` (Fader & Hardie 2005, "A note on deriving the
    /// Pareto/NBD model and related expressions", eq. 18), in log space.
    fn probability_alive(&self, c: &Customer) -> Result<f64> {
        check_customer(c, None)?;
        let ParetoNbd { r, alpha, s, beta } = *self;
        let (x, tx, t) = (c.x, c.t_x, c.t);
        let alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
        let rsx = r + s + x;
        let (big, b1) = if alpha >= beta {
            (alpha, s + 1.0)
        } else {
            (beta, r + x)
        };
        let diff = (alpha - beta).abs();
        let at = |time: f64| {
            ln_hyp2f1(rsx, b1, rsx + 1.0, diff / (big + time)) - rsx * (big + time).ln()
        };
        let (hi, lo) = (at(tx), at(t));
        // The term at t_x exceeds the one at T; equal (t_x = T) or rounding leaves no mass.
        let a0 = if hi > lo {
            log_sub_exp(hi, lo)
        } else {
            f64::NEG_INFINITY
        };
        let dead = (s / rsx).ln() + a0;
        Ok(logistic_neg(dead - alive))
    }

    /// `P(alive) · (r+x)(β+T)/(α+T) · [1 − ((β+T)/(β+T+t))^(s−1)] / (s−1)` (Schmittlein et
    /// al. 1987; Fader & Hardie 2005 note, eq. 22).
    fn conditional_expected_purchases(&self, t: f64, c: &Customer) -> Result<f64> {
        check_horizon(t)?;
        let alive = self.probability_alive(c)?;
        let base = self.beta + c.t;
        Ok(alive * (self.r + c.x) / (self.alpha + c.t) * base * self.survival_integral(base, t))
    }

    fn conditional_expected_purchases_at(
        &self,
        horizons: &[f64],
        c: &Customer,
    ) -> Result<Vec<f64>> {
        for &t in horizons {
            check_horizon(t)?;
        }
        let alive = self.probability_alive(c)?;
        let base = self.beta + c.t;
        let scale = alive * (self.r + c.x) / (self.alpha + c.t) * base;
        Ok(horizons
            .iter()
            .map(|&t| scale * self.survival_integral(base, t))
            .collect())
    }

    /// `rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)]` (Schmittlein et al. 1987; Fader & Hardie 2005
    /// note, eq. 17).
    fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        Ok(self.r / self.alpha * self.beta * self.survival_integral(self.beta, t))
    }
}

/// Gamma-Gamma spend parameters (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang
/// 1999): a customer's mean spend per purchase is `p/ν` with `ν` ~ Gamma(`q`, `gamma`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of each purchase's value.
    pub p: f64,
    /// Shape of the customers' `ν` distribution; the means below need `q > 1`.
    pub q: f64,
    /// Scale of the customers' `ν` distribution, in currency units.
    pub gamma: f64,
}

impl GammaGamma {
    /// Checked parameters: all finite and positive.
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self> {
        check_params("Gamma-Gamma", &[("p", p), ("q", q), ("gamma", gamma)])?;
        Ok(GammaGamma { p, q, gamma })
    }

    /// The parameters of a Gamma-Gamma [`Fit`].
    pub fn from_fit(fit: &Fit) -> Result<Self> {
        let [p, q, gamma] = params_of(fit, "gamma_gamma", ["p", "q", "gamma"])?;
        GammaGamma::new(p, q, gamma)
    }

    fn need_mean(&self) -> Result<()> {
        if self.q > 1.0 {
            Ok(())
        } else {
            Err(Error::invalid_argument(
                "q",
                format!(
                    "Gamma-Gamma q = {} ≤ 1: the spend distribution has no finite mean",
                    self.q
                ),
            ))
        }
    }

    /// The population's mean spend per purchase, `pγ/(q − 1)`.
    pub fn population_mean_spend(&self) -> Result<f64> {
        self.need_mean()?;
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// Expected mean spend per purchase of a customer with `x` repeat purchases of mean value
    /// `mean_spend`: `p(γ + x·m̄)/(px + q − 1)` (FHL 2005, eq. 5), a weighted average of the
    /// population mean and the customer's own; `x = 0` gives the population mean. The model
    /// is for positive spend (fit on repeat buyers with `m̄ > 0`); `m̄ = 0` is accepted and
    /// shrunk towards the population mean.
    pub fn conditional_expected_spend(&self, x: f64, mean_spend: f64) -> Result<f64> {
        self.spend_at(x, mean_spend, None)
    }

    fn spend_at(&self, x: f64, m: f64, row: Option<usize>) -> Result<f64> {
        self.need_mean()?;
        if !(x.is_finite() && x >= 0.0) {
            return Err(Error::invalid_argument(
                arg("x", row),
                format!("{x} is not a finite non-negative number"),
            ));
        }
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::invalid_argument(
                arg("mean_spend", row),
                format!("{m} is not a finite non-negative amount"),
            ));
        }
        let m = if x == 0.0 { 0.0 } else { m };
        Ok(self.p * (self.gamma + x * m) / (self.p * x + self.q - 1.0))
    }

    /// [`GammaGamma::conditional_expected_spend`] for every row; errors name the row.
    pub fn conditional_expected_spend_batch(
        &self,
        x: &[f64],
        mean_spend: &[f64],
    ) -> Result<Vec<f64>> {
        same_length("mean_spend", mean_spend.len(), x.len())?;
        self.need_mean()?;
        par_map(x.len(), &|i| self.spend_at(x[i], mean_spend[i], Some(i)))
    }
}

/// The discrete, discounted CLV sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvOptions {
    /// Length of one step in the data's time unit (4.345 weeks for a month).
    pub step: f64,
    /// Number of steps in the horizon.
    pub steps: u32,
    /// Discount rate per step (0.01 is 1 % a step).
    pub discount_rate: f64,
}

impl ClvOptions {
    /// Twelve monthly steps of 4.345 weeks, 1 % a month: lifetimes' defaults with weekly
    /// data (`time = 12`, `discount_rate = 0.01`, `freq = "W"`).
    pub fn monthly_in_weeks() -> Self {
        ClvOptions {
            step: 4.345,
            steps: 12,
            discount_rate: 0.01,
        }
    }

    /// The step ends `Δ, 2Δ, …, nΔ`.
    fn horizons(&self) -> Vec<f64> {
        (1..=self.steps).map(|i| f64::from(i) * self.step).collect()
    }

    fn check(&self) -> Result<()> {
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(Error::invalid_argument(
                "step",
                format!("{} is not a finite positive time", self.step),
            ));
        }
        if !(1..=100_000).contains(&self.steps) {
            return Err(Error::invalid_argument(
                "steps",
                format!("{} is not in 1..=100000", self.steps),
            ));
        }
        if !(self.discount_rate.is_finite() && self.discount_rate > -1.0) {
            return Err(Error::invalid_argument(
                "discount_rate",
                format!("{} is not a finite rate above −100 %", self.discount_rate),
            ));
        }
        Ok(())
    }
}

/// Discounted CLV of one customer:
/// `Σ_{i=1..n} (E[N(iΔ)] − E[N((i−1)Δ)]) · spend / (1 + d)^i`, with `E[N(t)]` the model's
/// conditional expected purchases in `(T, T + t]`, `Δ` = `options.step`, `n` =
/// `options.steps`, `d` = `options.discount_rate` and `spend` the expected value per
/// purchase (e.g. [`GammaGamma::conditional_expected_spend`]). This is the discrete sum of
/// the `lifetimes` package; the purchases of a step are discounted at its end.
pub fn clv(
    model: &dyn PurchaseModel,
    spend: f64,
    customer: &Customer,
    options: &ClvOptions,
) -> Result<f64> {
    options.check()?;
    clv_at(model, spend, customer, options, None)
}

fn clv_at(
    model: &dyn PurchaseModel,
    spend: f64,
    customer: &Customer,
    options: &ClvOptions,
    row: Option<usize>,
) -> Result<f64> {
    check_customer(customer, row)?;
    let cumulative = model.conditional_expected_purchases_at(&options.horizons(), customer)?;
    discounted(&cumulative, spend, options, row)
}

/// `Σ_i (E_i − E_{i−1}) · spend / (1 + d)^i` over cumulative expectations `E_i`.
fn discounted(
    cumulative: &[f64],
    spend: f64,
    options: &ClvOptions,
    row: Option<usize>,
) -> Result<f64> {
    if !spend.is_finite() {
        return Err(Error::invalid_argument(
            arg("spend", row),
            format!("{spend} is not finite"),
        ));
    }
    let mut previous = 0.0;
    let mut total = 0.0;
    let mut discount = 1.0;
    for &e in cumulative {
        discount *= 1.0 + options.discount_rate;
        total += (e - previous) * spend / discount;
        previous = e;
    }
    Ok(total)
}

/// Columns of customers (`x`, `t_x`, `T`), as bindings hand over a table.
#[derive(Debug, Clone, Copy)]
pub struct Customers<'a> {
    /// Repeat purchases.
    pub x: &'a [f64],
    /// Time of the last purchase since the first.
    pub t_x: &'a [f64],
    /// Time since the first purchase.
    pub t: &'a [f64],
}

fn same_length(name: &str, got: usize, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            name,
            format!("has {got} rows, expected {want}"),
        ))
    }
}

impl Customers<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// `f` over every checked row, in parallel; the first bad row (lowest index) is the error.
    fn map(&self, f: &(dyn Fn(usize, &Customer) -> Result<f64> + Sync)) -> Result<Vec<f64>> {
        same_length("t_x", self.t_x.len(), self.x.len())?;
        same_length("T", self.t.len(), self.x.len())?;
        par_map(self.len(), &|i| {
            let c = Customer {
                x: self.x[i],
                t_x: self.t_x[i],
                t: self.t[i],
            };
            check_customer(&c, Some(i))?;
            f(i, &c)
        })
    }
}

/// Rows per task of [`par_map`].
const BATCH_CHUNK: usize = 2048;

/// `f(0..n)` over the available cores in fixed chunks; each value depends on its row only,
/// so the output does not depend on the thread count. Errors: the lowest failing row.
fn par_map(n: usize, f: &(dyn Fn(usize) -> Result<f64> + Sync)) -> Result<Vec<f64>> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunks = n.div_ceil(BATCH_CHUNK);
    let mut out = vec![0.0; n];
    let run = |start: usize, slot: &mut [f64]| -> Result<()> {
        for (k, v) in slot.iter_mut().enumerate() {
            *v = f(start + k)?;
        }
        Ok(())
    };
    if threads <= 1 || chunks <= 1 {
        run(0, &mut out)?;
        return Ok(out);
    }
    let per = chunks.div_ceil(threads) * BATCH_CHUNK;
    let results: Vec<Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = out
            .chunks_mut(per)
            .enumerate()
            .map(|(t, slot)| s.spawn(move || run(t * per, slot)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::invalid_argument("rows", "a worker panicked")))
            })
            .collect()
    });
    for r in results {
        r?;
    }
    Ok(out)
}

/// [`clv`] for every row: `spend` is the expected value per purchase of each customer
/// (e.g. from [`GammaGamma::conditional_expected_spend_batch`]). Errors name the row.
///
/// ```
/// use qudao::clv::predict::{BgNbd, ClvOptions, Customers, GammaGamma, clv_batch};
/// let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let gg = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let (x, t_x, t, m) = ([2.0, 0.0], [30.43, 0.0], [38.86, 38.86], [22.35, 0.0]);
/// let spend = gg.conditional_expected_spend_batch(&x, &m)?;
/// let rows = Customers { x: &x, t_x: &t_x, t: &t };
/// let values = clv_batch(&bg, &rows, &spend, &ClvOptions::monthly_in_weeks())?;
/// assert!(values[0] > values[1]);
/// # Ok::<(), qudao::Error>(())
/// ```
pub fn clv_batch(
    model: &dyn PurchaseModel,
    customers: &Customers<'_>,
    spend: &[f64],
    options: &ClvOptions,
) -> Result<Vec<f64>> {
    options.check()?;
    same_length("spend", spend.len(), customers.len())?;
    model.map_expected_purchases(&options.horizons(), customers, &|i, e| {
        discounted(e, spend[i], options, Some(i))
    })
}

/// How [`to_minor_units`] rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To nearest, ties to even (banker's rounding).
    HalfEven,
    /// To nearest, ties away from zero.
    HalfUp,
    /// Towards zero (truncate).
    TowardZero,
    /// Towards −∞.
    Floor,
    /// Towards +∞.
    Ceiling,
}

/// An estimate in currency units as `i64` minor units (`exponent` decimals: 2 for CNY),
/// rounded as asked, for display beside booked money. The decimal rounded is the shortest
/// one that reads back as the same `f64` (what `{}` prints), so `1.005` rounds half-up to
/// `101` cents as printed, not by its binary expansion `1.00499…`.
///
/// ```
/// use qudao::clv::predict::{Rounding, to_minor_units};
/// assert_eq!(to_minor_units(36.289211, 2, Rounding::HalfEven)?, 3629);
/// assert_eq!(to_minor_units(0.125, 2, Rounding::HalfEven)?, 12);
/// assert_eq!(to_minor_units(-0.125, 2, Rounding::HalfUp)?, -13);
/// # Ok::<(), qudao::Error>(())
/// ```
pub fn to_minor_units(value: f64, exponent: u8, rounding: Rounding) -> Result<i64> {
    if !value.is_finite() {
        return Err(Error::invalid_argument(
            "value",
            format!("{value} is not finite"),
        ));
    }
    if exponent > 18 {
        return Err(Error::invalid_argument(
            "exponent",
            format!("{exponent} decimal digits is more than 18"),
        ));
    }
    // Shortest round-trip digits: value = ± digits · 10^power.
    let text = format!("{:e}", value.abs());
    let (mantissa, power) = text.split_once('e').unwrap_or((&text, "0"));
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: i128 = format!("{int_part}{frac_part}")
        .parse()
        .map_err(|_| Error::invalid_argument("value", format!("cannot read {value}")))?;
    let power: i64 = power
        .parse::<i64>()
        .map_err(|_| Error::invalid_argument("value", format!("cannot read {value}")))?
        - frac_part.len() as i64
        + i64::from(exponent);
    let negative = value < 0.0;
    let magnitude: i128 = if power >= 0 {
        // digits < 10^17 and the result must fit i64 (< 10^19): larger powers overflow.
        if power > 19 {
            return Err(Error::overflow("CLV in minor units"));
        }
        digits * 10i128.pow(power as u32)
    } else {
        let shift = (-power) as u32;
        // Beyond 10^30 the quotient is 0 and the remainder is below half the divisor.
        let (q, rem_vs_half, inexact) = if shift > 30 {
            (0, std::cmp::Ordering::Less, digits != 0)
        } else {
            let div = 10i128.pow(shift);
            let (q, r) = (digits / div, digits % div);
            (q, (2 * r).cmp(&div), r != 0)
        };
        let up = match rounding {
            Rounding::HalfEven => rem_vs_half.is_gt() || (rem_vs_half.is_eq() && q % 2 == 1),
            Rounding::HalfUp => rem_vs_half.is_ge(),
            Rounding::TowardZero => false,
            Rounding::Floor => negative && inexact,
            Rounding::Ceiling => !negative && inexact,
        };
        q + i128::from(up)
    };
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| Error::overflow("CLV in minor units"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::special::ln_hyp2f1;

    /// FHL (2005) eq. 10 by its closed form, for parameters where it is well conditioned.
    fn closed_form(m: &BgNbd, t: f64, c: &Customer) -> f64 {
        let BgNbd { r, alpha, a, b } = *m;
        let (x, tx, big_t) = (c.x, c.t_x, c.t);
        let f = ln_hyp2f1(r + x, b + x, a + b + x - 1.0, t / (alpha + big_t + t)).exp();
        let num = (a + b + x - 1.0) / (a - 1.0)
            * (1.0 - ((alpha + big_t) / (alpha + big_t + t)).powf(r + x) * f);
        let den = if x > 0.0 {
            1.0 + a / (b + x - 1.0) * ((alpha + big_t) / (alpha + tx)).powf(r + x)
        } else {
            1.0
        };
        num / den
    }

    #[test]
    fn the_series_equals_the_closed_form() {
        for m in [
            BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("valid"),
            BgNbd::new(1.5, 2.0, 3.0, 0.7).expect("valid"),
            BgNbd::new(0.8, 30.0, 1.6, 12.0).expect("valid"),
        ] {
            for (x, tx, big_t) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (12.0, 70.0, 78.0)] {
                let c = Customer::new(x, tx, big_t).expect("valid");
                for t in [0.5, 4.345, 39.0, 52.0] {
                    let got = m.conditional_expected_purchases(t, &c).expect("finite");
                    let want = closed_form(&m, t, &c);
                    assert!(
                        (got - want).abs() <= 1e-11 * want,
                        "{m:?} {c:?} {t}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn stable_where_the_closed_form_is_not() {
        // a = 1 exactly: (a+b−1)/(a−1) is 0/0 in the closed form; the series is continuous.
        let c = Customer::new(3.0, 20.0, 30.0).expect("valid");
        let at = |a: f64| {
            BgNbd::new(0.5, 3.0, a, 2.0)
                .expect("valid")
                .conditional_expected_purchases(10.0, &c)
                .expect("finite")
        };
        let (lo, mid, hi) = (at(1.0 - 1e-9), at(1.0), at(1.0 + 1e-9));
        assert!(mid.is_finite() && mid > 0.0);
        assert!((lo - mid).abs() < 1e-8 && (hi - mid).abs() < 1e-8);
        // a + b − 1 < 0 with x = 0; a tiny horizon (no cancellation: linear in t).
        let m = BgNbd::new(0.3, 2.0, 0.2, 0.5).expect("valid");
        let e = m.expected_purchases(1e-9).expect("finite");
        assert!((e / 1e-9 - 0.3 / 2.0).abs() < 1e-8, "{e}");
        assert!(m.expected_purchases(100.0).expect("finite") > 0.0);
        // Huge x and T: underflowing (1 − z)^n is rescaled.
        let c = Customer::new(2_000.0, 500.0, 500.0).expect("valid");
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("valid");
        let e = m.conditional_expected_purchases(500.0, &c).expect("finite");
        assert!(e.is_finite() && e > 100.0, "{e}");
        assert_eq!(
            m.conditional_expected_purchases(0.0, &c).expect("zero"),
            0.0
        );
    }

    #[test]
    fn pareto_nbd_at_s_equal_one_is_the_limit() {
        let c = Customer::new(2.0, 30.0, 38.0).expect("valid");
        let at = |s: f64| {
            ParetoNbd::new(0.55, 10.5, s, 11.7)
                .expect("valid")
                .conditional_expected_purchases(39.0, &c)
                .expect("finite")
        };
        assert!((at(1.0) - at(1.0 + 1e-7)).abs() < 1e-6 && (at(1.0) - at(1.0 - 1e-7)).abs() < 1e-6);
        let alive = ParetoNbd::new(0.55, 10.5, 0.6, 11.7)
            .expect("valid")
            .probability_alive(&Customer::new(3.0, 20.0, 20.0).expect("valid"))
            .expect("finite");
        assert_eq!(alive, 1.0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_nan() {
        assert!(BgNbd::new(f64::NAN, 1.0, 1.0, 1.0).is_err());
        assert!(BgNbd::new(0.0, 1.0, 1.0, 1.0).is_err());
        assert!(ParetoNbd::new(1.0, f64::INFINITY, 1.0, 1.0).is_err());
        assert!(Customer::new(1.0, 5.0, 4.0).is_err());
        assert!(Customer::new(-1.0, 0.0, 4.0).is_err());
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("valid");
        let c = Customer::new(1.0, 2.0, 4.0).expect("valid");
        assert!(m.conditional_expected_purchases(-1.0, &c).is_err());
        assert!(m.expected_purchases(f64::NAN).is_err());
        let bad = Customer {
            x: 1.0,
            t_x: 5.0,
            t: 4.0,
        };
        assert!(m.probability_alive(&bad).is_err());
        let gg = GammaGamma::new(6.25, 0.9, 15.44).expect("valid");
        assert!(matches!(
            gg.conditional_expected_spend(1.0, 10.0),
            Err(Error::InvalidArgument { name, .. }) if name == "q"
        ));
        assert!(gg.population_mean_spend().is_err());
        let gg = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
        assert!(gg.conditional_expected_spend(1.0, -10.0).is_err());
        let err = gg
            .conditional_expected_spend_batch(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 2.0])
            .expect_err("row 1");
        assert!(err.to_string().contains("mean_spend[1]"), "{err}");
        let opts = ClvOptions {
            step: 0.0,
            ..ClvOptions::monthly_in_weeks()
        };
        assert!(clv(&m, 10.0, &c, &opts).is_err());
        let opts = ClvOptions {
            discount_rate: -1.0,
            ..ClvOptions::monthly_in_weeks()
        };
        assert!(clv(&m, 10.0, &c, &opts).is_err());
        let x = [1.0, 1.0];
        let rows = Customers {
            x: &x,
            t_x: &[2.0, 5.0],
            t: &[4.0, 4.0],
        };
        let err = m.probability_alive_batch(&rows).expect_err("row 1");
        assert!(err.to_string().contains("t_x[1]"), "{err}");
        let rows = Customers {
            x: &x,
            t_x: &[2.0],
            t: &[4.0, 4.0],
        };
        assert!(m.probability_alive_batch(&rows).is_err());
        assert!(to_minor_units(f64::INFINITY, 2, Rounding::HalfEven).is_err());
        assert!(to_minor_units(1e300, 2, Rounding::HalfEven).is_err());
        assert!(to_minor_units(9.3e16, 2, Rounding::HalfEven).is_err());
    }

    #[test]
    fn minor_units_round_as_asked() {
        use Rounding::*;
        let cases = [
            (2.5, HalfEven, 2),
            (3.5, HalfEven, 4),
            (2.5, HalfUp, 3),
            (-2.5, HalfUp, -3),
            (2.7, TowardZero, 2),
            (-2.7, TowardZero, -2),
            (-2.1, Floor, -3),
            (2.1, Ceiling, 3),
            (1e-300, Ceiling, 1),
            (-1e-300, Floor, -1),
            (1e-300, HalfUp, 0),
            (0.0, Ceiling, 0),
            (123_456_789.0, HalfEven, 123_456_789),
        ];
        for (v, r, want) in cases {
            assert_eq!(to_minor_units(v, 0, r).expect("fits"), want, "{v} {r:?}");
        }
        assert_eq!(to_minor_units(1.005, 2, HalfUp).expect("fits"), 101);
        assert_eq!(
            to_minor_units(972.101051487771, 2, HalfEven).expect("fits"),
            97_210
        );
        assert_eq!(to_minor_units(12.5, 3, HalfEven).expect("fits"), 12_500);
    }

    #[test]
    fn batches_equal_single_calls() {
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("valid");
        let n = 5_000;
        let x: Vec<f64> = (0..n).map(|i| f64::from(i % 7)).collect();
        let t: Vec<f64> = (0..n).map(|i| 1.0 + f64::from(i % 50)).collect();
        let t_x: Vec<f64> = (0..n)
            .map(|i| if i % 7 == 0 { 0.0 } else { t[i as usize] * 0.5 })
            .collect();
        let rows = Customers {
            x: &x,
            t_x: &t_x,
            t: &t,
        };
        let got = m
            .conditional_expected_purchases_batch(39.0, &rows)
            .expect("valid");
        let alive = m.probability_alive_batch(&rows).expect("valid");
        for i in [0, 1, 2047, 2048, 4999] {
            let c = Customer::new(x[i], t_x[i], t[i]).expect("valid");
            assert_eq!(
                got[i],
                m.conditional_expected_purchases(39.0, &c).expect("finite")
            );
            assert_eq!(alive[i], m.probability_alive(&c).expect("finite"));
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn customer(x: u32, big_t: f64, frac: f64) -> Customer {
            let t_x = if x == 0 {
                0.0
            } else {
                (frac * big_t).max(big_t * 1e-3)
            };
            Customer::new(f64::from(x), t_x, big_t).expect("valid by construction")
        }

        proptest! {
            #[test]
            fn bgnbd_predictions_are_probabilities_and_grow_with_the_horizon(
                r in 0.05f64..5.0, alpha in 0.1f64..50.0, a in 0.05f64..5.0, b in 0.05f64..10.0,
                x in 0u32..40, big_t in 0.1f64..100.0, frac in 0.0f64..1.0,
                h1 in 0.0f64..200.0, h2 in 0.0f64..200.0,
            ) {
                let m = BgNbd::new(r, alpha, a, b).expect("valid");
                let c = customer(x, big_t, frac);
                let alive = m.probability_alive(&c).expect("finite");
                prop_assert!((0.0..=1.0).contains(&alive));
                let (lo, hi) = (h1.min(h2), h1.max(h2));
                let e = m.conditional_expected_purchases_at(&[lo, hi], &c).expect("finite");
                prop_assert!(e[0] >= 0.0 && e[0].is_finite());
                prop_assert!(e[0] <= e[1] * (1.0 + 1e-12), "{e:?}");
                // An active customer buys at most at the mean rate (r + x)/(α + T) times t.
                prop_assert!(e[1] <= (r + f64::from(x)) / (alpha + big_t) * hi * (1.0 + 1e-9));
                prop_assert_eq!(e[1], m.conditional_expected_purchases(hi, &c).expect("finite"));
            }

            #[test]
            fn pareto_nbd_predictions_are_probabilities_and_grow_with_the_horizon(
                r in 0.05f64..5.0, alpha in 0.1f64..50.0, s in 0.05f64..5.0, beta in 0.1f64..50.0,
                x in 0u32..40, big_t in 0.1f64..100.0, frac in 0.0f64..1.0,
                h1 in 0.0f64..200.0, h2 in 0.0f64..200.0,
            ) {
                let m = ParetoNbd::new(r, alpha, s, beta).expect("valid");
                let c = customer(x, big_t, frac);
                let alive = m.probability_alive(&c).expect("finite");
                prop_assert!((0.0..=1.0).contains(&alive), "{alive}");
                let (lo, hi) = (h1.min(h2), h1.max(h2));
                let e = m.conditional_expected_purchases_at(&[lo, hi], &c).expect("finite");
                prop_assert!(e[0] >= 0.0 && e[0] <= e[1] * (1.0 + 1e-12) && e[1].is_finite(), "{e:?}");
            }

            #[test]
            fn minor_units_are_within_one_unit(v in -1e12f64..1e12, e in 0u8..4) {
                let scaled = v * 10f64.powi(i32::from(e));
                for r in [Rounding::HalfEven, Rounding::HalfUp, Rounding::TowardZero,
                          Rounding::Floor, Rounding::Ceiling] {
                    let m = to_minor_units(v, e, r).expect("fits") as f64;
                    prop_assert!((m - scaled).abs() <= 1.0 + 1e-6 * scaled.abs(), "{v} {e} {r:?} {m}");
                }
                let floor = to_minor_units(v, e, Rounding::Floor).expect("fits");
                let ceiling = to_minor_units(v, e, Rounding::Ceiling).expect("fits");
                prop_assert!(ceiling - floor <= 1 && floor <= ceiling);
            }
        }
    }
}
