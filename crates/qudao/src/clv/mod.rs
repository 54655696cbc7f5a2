//! Customer lifetime value: the BTYD ("buy till you die") models fitted by maximum likelihood.
//!
//! * BG/NBD (Fader, Hardie & Lee 2005), parameters `r, α, a, b`;
//! * Pareto/NBD (Schmittlein, Morrison & Colombo 1987), parameters `r, α, s, β`;
//! * Gamma-Gamma spend model (Fader, Hardie & Lee 2005), parameters `p, q, γ`.
//!
//! Inputs are compressed to unique `(x, t_x, T)` rows with weights, log-likelihoods are
//! computed in log space (the Pareto/NBD hypergeometric terms as a log-difference of positive
//! series), and fitting is deterministic, from a fixed start on log-parameters:
//!
//! * BG/NBD and Gamma-Gamma: Newton's method with analytic gradients and Hessians (a dozen
//!   passes over the data), summed in fixed chunks over the available cores with a fixed
//!   reduction order, so the result is the same whatever the thread count;
//! * Pareto/NBD: the same Newton iteration on central-difference derivatives;
//! * for all three, when Newton does not converge: Nelder–Mead from the same start, then
//!   Newton from where it ends, keeping the better of the two runs.
//!
//! Standard errors come from the inverse Hessian of the log-likelihood in the natural
//! parameters. A parameter that runs to the edge of its range (BG/NBD's `a → 0`, say) is
//! reported as [`FitStatus::Boundary`], not hidden.
//!
//! Predictions from fitted parameters (expected purchases, probability alive, expected spend,
//! discounted CLV) are in [`predict`].

mod fast;
pub mod optimize;
pub mod predict;
pub mod special;

use serde::{Deserialize, Serialize};

use special::{ln_gamma, ln_hyp2f1, log_add_exp, log_sub_exp};

/// BTYD input compressed to unique `(x, t_x, T)` with the number of customers sharing each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BtydData {
    /// Repeat purchase periods.
    pub x: Vec<f64>,
    /// Time of the last purchase since the first.
    pub t_x: Vec<f64>,
    /// Time since the first purchase (age at the end of calibration).
    pub t: Vec<f64>,
    /// Customers with this row.
    pub weight: Vec<f64>,
}

/// Why a BTYD row was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtydRowError {
    /// A value is not finite or negative.
    #[error("x, t_x and T must be finite and non-negative")]
    Negative,
    /// `t_x > T` or a repeat buyer with `t_x = 0`.
    #[error("need 0 ≤ t_x ≤ T, and t_x > 0 when x > 0")]
    Inconsistent,
}

impl BtydData {
    /// Compress rows `(x, t_x, T)`; rows are sorted so the result does not depend on input
    /// order. Returns the first bad row's index and reason on error.
    pub fn compress(
        rows: impl IntoIterator<Item = (f64, f64, f64)>,
    ) -> Result<BtydData, (usize, BtydRowError)> {
        let rows = rows.into_iter();
        let mut v: Vec<(u64, u64, u64)> = Vec::with_capacity(rows.size_hint().0);
        for (i, (x, tx, t)) in rows.enumerate() {
            if !(x.is_finite() && tx.is_finite() && t.is_finite()) || x < 0.0 || tx < 0.0 || t < 0.0
            {
                return Err((i, BtydRowError::Negative));
            }
            if tx > t || (x > 0.0 && tx == 0.0) {
                return Err((i, BtydRowError::Inconsistent));
            }
            // `+ 0.0` makes a negative zero positive: the bits of non-negative floats then
            // order as the floats do, and integers sort faster than float comparisons.
            v.push((
                (x + 0.0).to_bits(),
                (tx + 0.0).to_bits(),
                (t + 0.0).to_bits(),
            ));
        }
        v.sort_unstable();
        let mut out = BtydData::default();
        for (x, tx, t) in v {
            let (x, tx, t) = (f64::from_bits(x), f64::from_bits(tx), f64::from_bits(t));
            if out.x.last() == Some(&x) && out.t_x.last() == Some(&tx) && out.t.last() == Some(&t) {
                if let Some(w) = out.weight.last_mut() {
                    *w += 1.0;
                }
            } else {
                out.x.push(x);
                out.t_x.push(tx);
                out.t.push(t);
                out.weight.push(1.0);
            }
        }
        Ok(out)
    }

    /// Number of unique rows.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Number of customers (sum of weights).
    pub fn customers(&self) -> f64 {
        self.weight.iter().sum()
    }
}

/// How a fit ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum FitStatus {
    /// An interior maximum was found.
    Converged,
    /// The likelihood is maximised at the edge of the parameter space: the named parameter
    /// ran towards 0 or infinity. The values are the best found, but the model degenerates.
    Boundary {
        /// The parameter at its bound.
        parameter: String,
    },
    /// The optimiser stopped before converging.
    NotConverged,
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// Model name.
    pub model: String,
    /// Parameter names and values.
    pub params: Vec<(String, f64)>,
    /// Standard errors (inverse Hessian of the log-likelihood); `None` if it is singular.
    pub std_errors: Vec<Option<f64>>,
    /// Total log-likelihood at the fit, in the data's time unit.
    pub log_likelihood: f64,
    /// Convergence status.
    pub status: FitStatus,
    /// Customers the fit used.
    pub customers: f64,
    /// Objective evaluations used; each Newton evaluation includes the gradient and Hessian
    /// (for Pareto/NBD by central differences, 33 likelihood sums).
    pub evaluations: usize,
}

impl Fit {
    /// The value of a parameter by name.
    pub fn param(&self, name: &str) -> Option<f64> {
        self.params.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// Log-likelihood of one BG/NBD row.
pub fn bgnbd_ll(r: f64, alpha: f64, a: f64, b: f64, x: f64, tx: f64, t: f64) -> f64 {
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let a3 = -(r + x) * (alpha + t).ln();
    let tail = if x > 0.0 {
        a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln()
    } else {
        f64::NEG_INFINITY
    };
    a1 + a2 + log_add_exp(a3, tail)
}

/// Log-likelihood of one Pareto/NBD row.
pub fn pareto_nbd_ll(r: f64, alpha: f64, s: f64, beta: f64, x: f64, tx: f64, t: f64) -> f64 {
    let head = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
    let alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    let rsx = r + s + x;
    let (big, b1) = if alpha >= beta {
        (alpha, s + 1.0)
    } else {
        (beta, r + x)
    };
    let diff = (alpha - beta).abs();
    let at =
        |time: f64| ln_hyp2f1(rsx, b1, rsx + 1.0, diff / (big + time)) - rsx * (big + time).ln();
    let a0 = log_sub_exp(at(tx), at(t));
    head + log_add_exp(alive, (s / rsx).ln() + a0)
}

/// Log-likelihood of one Gamma-Gamma row: `x` repeat purchases with mean value `m`.
pub fn gamma_gamma_ll(p: f64, q: f64, gamma: f64, x: f64, m: f64) -> f64 {
    ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
        + q * gamma.ln()
        + (p * x - 1.0) * m.ln()
        + p * x * x.ln()
        - (p * x + q) * (gamma + m * x).ln()
}

/// Bounds on log-parameters: beyond them a parameter counts as at its boundary.
const LOG_MIN: f64 = -18.0; // e^-18 ≈ 1.5e-8
const LOG_MAX: f64 = 18.0;

/// Options of the BG/NBD and Gamma-Gamma fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Threads for the likelihood sums; 0 means all available cores. The result does not
    /// depend on it (fixed chunks, fixed reduction order).
    pub threads: usize,
    /// Newton iterations before giving up (then Nelder–Mead takes over).
    pub max_iterations: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            threads: 0,
            max_iterations: 100,
        }
    }
}

impl FitOptions {
    fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// A model's log-likelihood with analytic derivatives in the natural parameters.
type NaturalDerivs<'a> = dyn Fn(&[f64]) -> Option<optimize::Derivatives> + Sync + 'a;

/// Maximise a likelihood with analytic derivatives by Newton on log-parameters from 0 (all
/// parameters 1); if that does not converge, also run Nelder–Mead then Newton from its
/// result, and keep the better of the two.
fn fit_newton(
    model: &str,
    names: &[&str],
    customers: f64,
    natural: &NaturalDerivs<'_>,
    max_iterations: usize,
) -> Fit {
    let k = names.len();
    // Mean log-likelihood over log-parameters θ = ln p: ∇θ = p ⊙ ∇p,
    // ∇²θ = diag(p) ∇²p diag(p) + diag(p ⊙ ∇p).
    let in_logs = |lp: &[f64]| -> Option<optimize::Derivatives> {
        let p: Vec<f64> = lp.iter().map(|v| v.exp()).collect();
        let d = natural(&p)?;
        let gradient: Vec<f64> = (0..k).map(|i| p[i] * d.gradient[i] / customers).collect();
        let hessian = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| {
                        let diag = if i == j { gradient[i] } else { 0.0 };
                        p[i] * p[j] * d.hessian[i][j] / customers + diag
                    })
                    .collect()
            })
            .collect();
        Some(optimize::Derivatives {
            value: d.value / customers,
            gradient,
            hessian,
        })
    };
    let start = vec![0.0; k];
    let first = optimize::newton_maximize(&in_logs, &start, LOG_MIN, LOG_MAX, max_iterations);
    let mut evaluations = first.as_ref().map_or(1, |r| r.evaluations);
    let best = match first {
        Some(r) if r.end == optimize::NewtonEnd::Converged => Some(r),
        first => {
            // Fallback: a derivative-free search, then Newton from where it ends.
            let objective = |lp: &[f64]| -> f64 {
                if lp
                    .iter()
                    .any(|v| !(LOG_MIN - 2.0..=LOG_MAX + 2.0).contains(v))
                {
                    return f64::INFINITY;
                }
                in_logs(lp).map_or(f64::INFINITY, |d| -d.value)
            };
            let m = optimize::nelder_mead(&objective, &start, 1.0, 1e-12, 4_000);
            evaluations += m.evaluations;
            let second =
                optimize::newton_maximize(&in_logs, &m.x, LOG_MIN, LOG_MAX, max_iterations);
            evaluations += second.as_ref().map_or(1, |r| r.evaluations);
            match (first, second) {
                (Some(a), Some(b)) => Some(if b.at.value > a.at.value { b } else { a }),
                (a, b) => a.or(b),
            }
        }
    };
    let Some(best) = best else {
        return Fit {
            model: model.to_owned(),
            params: names.iter().map(|n| ((*n).to_owned(), 1.0)).collect(),
            std_errors: vec![None; k],
            log_likelihood: f64::NAN,
            status: FitStatus::NotConverged,
            customers,
            evaluations,
        };
    };
    let params: Vec<f64> = best.x.iter().map(|v| v.exp()).collect();
    let at = natural(&params);
    evaluations += 1;
    let std_errors = match at.as_ref().map(|d| {
        let neg: Vec<Vec<f64>> = d
            .hessian
            .iter()
            .map(|row| row.iter().map(|v| -v).collect())
            .collect();
        optimize::invert(&neg)
    }) {
        Some(Some(inv)) => (0..k)
            .map(|i| (inv[i][i] > 0.0 && inv[i][i].is_finite()).then(|| inv[i][i].sqrt()))
            .collect(),
        _ => vec![None; k],
    };
    let status = match best.end {
        optimize::NewtonEnd::Converged => FitStatus::Converged,
        optimize::NewtonEnd::Boundary(i) => FitStatus::Boundary {
            parameter: names[i].to_owned(),
        },
        optimize::NewtonEnd::NotConverged => FitStatus::NotConverged,
    };
    Fit {
        model: model.to_owned(),
        params: names.iter().map(|n| (*n).to_owned()).zip(params).collect(),
        std_errors,
        log_likelihood: at.map_or(best.at.value * customers, |d| d.value),
        status,
        customers,
        evaluations,
    }
}

/// The fit of empty input: nothing to estimate, said so.
fn empty_fit(model: &str, names: &[&str]) -> Fit {
    Fit {
        model: model.to_owned(),
        params: names.iter().map(|n| ((*n).to_owned(), 1.0)).collect(),
        std_errors: vec![None; names.len()],
        log_likelihood: 0.0,
        status: FitStatus::NotConverged,
        customers: 0.0,
        evaluations: 0,
    }
}

/// Fit BG/NBD (`r, alpha, a, b`) by maximum likelihood, with default [`FitOptions`].
///
/// ```
/// use qudao::clv::{BtydData, FitStatus, fit_bgnbd};
/// // (x, t_x, T) per customer, in weeks.
/// let rows = [(2.0, 30.43, 38.86), (1.0, 1.71, 38.86), (0.0, 0.0, 38.86), (0.0, 0.0, 38.86),
///             (1.0, 4.86, 38.86), (4.0, 30.0, 38.0), (0.0, 0.0, 30.0), (6.0, 35.0, 37.0)];
/// let fit = fit_bgnbd(&BtydData::compress(rows).expect("valid rows"));
/// println!("{:?}: r = {:?}", fit.status, fit.param("r"));
/// assert!(fit.log_likelihood.is_finite());
/// ```
pub fn fit_bgnbd(d: &BtydData) -> Fit {
    fit_bgnbd_with(d, &FitOptions::default())
}

/// Fit BG/NBD with explicit options (thread count, iteration limit).
pub fn fit_bgnbd_with(d: &BtydData, options: &FitOptions) -> Fit {
    let names = ["r", "alpha", "a", "b"];
    if d.is_empty() {
        return empty_fit("bg_nbd", &names);
    }
    let data = fast::BgNbdData::new(d);
    let threads = options.thread_count();
    let natural = |p: &[f64]| -> Option<optimize::Derivatives> {
        let s = data.sums([p[0], p[1], p[2], p[3]], threads)?;
        Some(optimize::Derivatives {
            value: s.ll,
            gradient: s.grad.to_vec(),
            hessian: s.hess.iter().map(|r| r.to_vec()).collect(),
        })
    };
    fit_newton(
        "bg_nbd",
        &names,
        d.customers(),
        &natural,
        options.max_iterations,
    )
}

/// Fit Pareto/NBD (`r, alpha, s, beta`) by maximum likelihood: Newton with central
/// differences on log-parameters (the hypergeometric terms have no cheap analytic
/// derivatives), falling back to Nelder–Mead like the others.
pub fn fit_pareto_nbd(d: &BtydData) -> Fit {
    let names = ["r", "alpha", "s", "beta"];
    if d.is_empty() {
        return empty_fit("pareto_nbd", &names);
    }
    let ll = |p: &[f64]| -> f64 {
        (0..d.len())
            .map(|i| d.weight[i] * pareto_nbd_ll(p[0], p[1], p[2], p[3], d.x[i], d.t_x[i], d.t[i]))
            .sum()
    };
    // Differences in θ = ln p (a relative step, valid however small p is), turned into
    // natural-parameter derivatives: ∇p = ∇θ / p, ∇²p = (∇²θ − diag(∇θ)) / (p pᵀ).
    let natural = |p: &[f64]| -> Option<optimize::Derivatives> {
        let value = ll(p);
        if !value.is_finite() {
            return None;
        }
        let in_logs = |lp: &[f64]| -> f64 {
            let q: Vec<f64> = lp.iter().map(|v| v.exp()).collect();
            ll(&q)
        };
        let theta: Vec<f64> = p.iter().map(|v| v.ln()).collect();
        let (g, h) = optimize::gradient_hessian(&in_logs, &theta, 1e-4);
        let k = p.len();
        let gradient: Vec<f64> = (0..k).map(|i| g[i] / p[i]).collect();
        let hessian: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| {
                        let diag = if i == j { g[i] } else { 0.0 };
                        (h[i][j] - diag) / (p[i] * p[j])
                    })
                    .collect()
            })
            .collect();
        let finite = gradient
            .iter()
            .chain(hessian.iter().flatten())
            .all(|v| v.is_finite());
        finite.then_some(optimize::Derivatives {
            value,
            gradient,
            hessian,
        })
    };
    fit_newton("pareto_nbd", &names, d.customers(), &natural, 100)
}

/// Fit the Gamma-Gamma spend model (`p, q, gamma`) on repeat buyers: `(x, mean value)` rows
/// with `x > 0` and a positive mean value (others must be filtered, and counted, by the caller).
pub fn fit_gamma_gamma(rows: &[(f64, f64)]) -> Fit {
    fit_gamma_gamma_with(rows, &FitOptions::default())
}

/// Fit the Gamma-Gamma spend model with explicit options.
pub fn fit_gamma_gamma_with(rows: &[(f64, f64)], options: &FitOptions) -> Fit {
    let names = ["p", "q", "gamma"];
    if rows.is_empty() {
        return empty_fit("gamma_gamma", &names);
    }
    let data = fast::GammaGammaData::new(rows);
    let natural = |p: &[f64]| -> Option<optimize::Derivatives> {
        let s = data.sums([p[0], p[1], p[2]])?;
        Some(optimize::Derivatives {
            value: s.ll,
            gradient: s.grad.to_vec(),
            hessian: s.hess.iter().map(|r| r.to_vec()).collect(),
        })
    };
    fit_newton(
        "gamma_gamma",
        &names,
        rows.len() as f64,
        &natural,
        options.max_iterations,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dropout_in_the_data_is_a_boundary_not_a_fit() {
        // Everyone bought at the very end of their window: no sign of anyone dropping out,
        // so the dropout probability runs to 0 (a → 0 or b → ∞).
        let rows = (0..400).map(|i| {
            let t = 20.0 + f64::from(i % 30);
            let x = f64::from(1 + i % 6);
            (x, t, t)
        });
        let d =
            BtydData::compress(rows.chain((0..100).map(|i| (0.0, 0.0, 10.0 + f64::from(i % 9)))))
                .expect("valid");
        let fit = fit_bgnbd(&d);
        assert!(
            matches!(&fit.status, FitStatus::Boundary { parameter } if parameter == "a" || parameter == "b"),
            "{fit:?}"
        );
        assert!(fit.log_likelihood.is_finite());
    }

    #[test]
    fn compress_sorts_and_merges_whatever_the_input_order() {
        let rows = [
            (2.0, 30.5, 40.0),
            (0.0, 0.0, 40.0),
            (1.0, 1.5, 38.0),
            (-0.0, 0.0, 40.0),
            (2.0, 30.5, 40.0),
            (1.0, 1.5, 39.0),
        ];
        let d = BtydData::compress(rows).expect("valid");
        let mut back = rows;
        back.reverse();
        assert_eq!(BtydData::compress(back).expect("valid"), d);
        assert_eq!(d.x, vec![0.0, 1.0, 1.0, 2.0]);
        assert_eq!(d.t_x, vec![0.0, 1.5, 1.5, 30.5]);
        assert_eq!(d.t, vec![40.0, 38.0, 39.0, 40.0]);
        // A negative zero is a zero: one row of two customers.
        assert_eq!(d.weight, vec![2.0, 1.0, 1.0, 2.0]);
        assert!(d.x[0].is_sign_positive());
        assert_eq!(
            BtydData::compress([(1.0, 2.0, 1.0)]).map(|_| ()),
            Err((0, BtydRowError::Inconsistent))
        );
    }

    #[test]
    fn out_of_iterations_is_not_converged_and_empty_input_says_so() {
        let d = BtydData::compress([(2.0, 30.43, 38.86), (1.0, 1.71, 38.86), (0.0, 0.0, 38.86)])
            .expect("valid");
        let options = FitOptions {
            threads: 1,
            max_iterations: 0,
        };
        let fit = fit_bgnbd_with(&d, &options);
        assert_eq!(fit.status, FitStatus::NotConverged, "{fit:?}");
        let fit = fit_gamma_gamma_with(&[(1.0, 10.0), (2.0, 12.0)], &options);
        assert_eq!(fit.status, FitStatus::NotConverged, "{fit:?}");
        for fit in [
            fit_bgnbd(&BtydData::default()),
            fit_pareto_nbd(&BtydData::default()),
            fit_gamma_gamma(&[]),
        ] {
            assert_eq!(fit.status, FitStatus::NotConverged);
            assert_eq!((fit.customers, fit.evaluations), (0.0, 0));
            assert!(fit.std_errors.iter().all(Option::is_none));
        }
    }
}
