//! Deterministic optimisers for small smooth problems.
//!
//! * [`newton_maximize`]: Newton's method with analytic derivatives, a Levenberg shift where
//!   the Hessian is not negative definite and a backtracking line search, for likelihoods
//!   whose derivatives we can write down (BG/NBD, Gamma-Gamma); a dozen passes over the data
//!   instead of thousands.
//! * [`nelder_mead`] then [`newton_polish`] (finite differences) for the others, and as the
//!   fallback when Newton does not converge.

/// Outcome of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// Argument of the minimum.
    pub x: Vec<f64>,
    /// Function value there.
    pub value: f64,
    /// Function evaluations used.
    pub evaluations: usize,
    /// Whether the simplex shrank below the tolerance.
    pub converged: bool,
}

/// Minimise `f` from `start` (Nelder–Mead, standard coefficients, initial step `step`).
pub fn nelder_mead(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    tol: f64,
    max_evals: usize,
) -> Minimum {
    let n = start.len();
    let eval = |x: &[f64], count: &mut usize| {
        *count += 1;
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut count = 0usize;
    let mut simplex: Vec<Vec<f64>> = vec![start.to_vec()];
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step;
        simplex.push(p);
    }
    let mut values: Vec<f64> = simplex.iter().map(|p| eval(p, &mut count)).collect();
    let mut converged = false;
    while count < max_evals {
        // Order best to worst (stable: ties keep index order, so the run is deterministic).
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = idx.iter().map(|&i| simplex[i].clone()).collect();
        values = idx.iter().map(|&i| values[i]).collect();
        let spread = (values[n] - values[0]).abs();
        let size = simplex[1..]
            .iter()
            .map(|p| {
                p.iter()
                    .zip(&simplex[0])
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        if spread <= tol * (1.0 + values[0].abs()) && size <= tol.sqrt() {
            converged = true;
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n][j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = eval(&xr, &mut count);
        if fr < values[0] {
            let xe = along(-2.0);
            let fe = eval(&xe, &mut count);
            if fe < fr {
                simplex[n] = xe;
                values[n] = fe;
            } else {
                simplex[n] = xr;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = xr;
            values[n] = fr;
        } else {
            let (xc, fc) = if fr < values[n] {
                let xc = along(-0.5);
                let fc = eval(&xc, &mut count);
                (xc, fc)
            } else {
                let xc = along(0.5);
                let fc = eval(&xc, &mut count);
                (xc, fc)
            };
            if fc < values[n].min(fr) {
                simplex[n] = xc;
                values[n] = fc;
            } else {
                for i in 1..=n {
                    simplex[i] = (0..n)
                        .map(|j| simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]))
                        .collect();
                    values[i] = eval(&simplex[i], &mut count);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    Minimum {
        x: simplex[best].clone(),
        value: values[best],
        evaluations: count,
        converged,
    }
}

/// Central-difference gradient and Hessian of `f` at `x` with step `h` (relative to |x|).
pub fn gradient_hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64], h: f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let step: Vec<f64> = x.iter().map(|v| h * v.abs().max(1e-2)).collect();
    let at = |d: &[(usize, f64)]| {
        let mut p = x.to_vec();
        for &(i, v) in d {
            p[i] += v;
        }
        f(&p)
    };
    let f0 = f(x);
    let mut g = vec![0.0; n];
    let mut hess = vec![vec![0.0; n]; n];
    for i in 0..n {
        let fp = at(&[(i, step[i])]);
        let fm = at(&[(i, -step[i])]);
        g[i] = (fp - fm) / (2.0 * step[i]);
        hess[i][i] = (fp - 2.0 * f0 + fm) / (step[i] * step[i]);
        for j in 0..i {
            let v = (at(&[(i, step[i]), (j, step[j])])
                - at(&[(i, step[i]), (j, -step[j])])
                - at(&[(i, -step[i]), (j, step[j])])
                + at(&[(i, -step[i]), (j, -step[j])]))
                / (4.0 * step[i] * step[j]);
            hess[i][j] = v;
            hess[j][i] = v;
        }
    }
    (g, hess)
}

/// Invert a small symmetric matrix by Gauss–Jordan with partial pivoting; `None` if singular.
pub fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = m.to_vec();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..n {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for r in 0..n {
            if r != col {
                let k = a[r][col];
                if k != 0.0 {
                    for j in 0..n {
                        a[r][j] -= k * a[col][j];
                        inv[r][j] -= k * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// Polish a minimum with damped Newton steps; returns the improved point.
pub fn newton_polish(f: &dyn Fn(&[f64]) -> f64, x: &[f64], steps: usize) -> Vec<f64> {
    let mut x = x.to_vec();
    let mut fx = f(&x);
    for _ in 0..steps {
        let (g, h) = gradient_hessian(f, &x, 1e-4);
        let Some(hi) = invert(&h) else { break };
        let dir: Vec<f64> = (0..x.len())
            .map(|i| -(0..x.len()).map(|j| hi[i][j] * g[j]).sum::<f64>())
            .collect();
        let mut t = 1.0;
        let mut improved = false;
        while t > 1e-4 {
            let cand: Vec<f64> = x.iter().zip(&dir).map(|(a, d)| a + t * d).collect();
            let fc = f(&cand);
            if fc.is_finite() && fc <= fx {
                x = cand;
                fx = fc;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    x
}

/// Value, gradient and Hessian of an objective at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Derivatives {
    /// The objective.
    pub value: f64,
    /// Its gradient.
    pub gradient: Vec<f64>,
    /// Its Hessian (symmetric).
    pub hessian: Vec<Vec<f64>>,
}

/// How [`newton_maximize`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewtonEnd {
    /// The Hessian is negative definite and the Newton step is below the tolerance.
    Converged,
    /// Coordinate `i` left the box `[lower, upper]`: the supremum lies at its edge.
    Boundary(usize),
    /// Out of iterations, or no ascent step could be found.
    NotConverged,
}

/// Outcome of [`newton_maximize`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonResult {
    /// The last accepted point.
    pub x: Vec<f64>,
    /// Value, gradient and Hessian there.
    pub at: Derivatives,
    /// Objective evaluations used (each with derivatives).
    pub evaluations: usize,
    /// Why it stopped.
    pub end: NewtonEnd,
}

/// Largest Newton step per coordinate (a trust bound: on log-parameters, a factor e⁴).
const MAX_STEP: f64 = 4.0;
/// Newton steps below this (max-norm) with a negative definite Hessian count as converged.
const STEP_TOL: f64 = 1e-8;
/// Evaluations may stray this far outside the box before counting as infeasible.
const BOX_MARGIN: f64 = 2.0;

/// Maximise `f` from `start`. `f` returns `None` where it is not finite. Coordinates leaving
/// `[lower, upper]` stop the search with [`NewtonEnd::Boundary`]: with log-parameters, that is
/// a parameter running to 0 or infinity. Deterministic: no random restarts.
pub fn newton_maximize(
    f: &dyn Fn(&[f64]) -> Option<Derivatives>,
    start: &[f64],
    lower: f64,
    upper: f64,
    max_iterations: usize,
) -> Option<NewtonResult> {
    let mut x = start.to_vec();
    let mut at = f(&x)?;
    let mut evaluations = 1;
    let mut end = NewtonEnd::NotConverged;
    for _ in 0..max_iterations {
        let Some((mut step, shifted)) = ascent_step(&at) else {
            break;
        };
        let size = step.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if !shifted && size <= STEP_TOL {
            // Take the last, tiny step too: it gains the digits quadratic convergence offers.
            let cand: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a + s).collect();
            evaluations += 1;
            if let Some(d) = f(&cand) {
                x = cand;
                at = d;
            }
            end = NewtonEnd::Converged;
            break;
        }
        if size > MAX_STEP {
            for v in &mut step {
                *v *= MAX_STEP / size;
            }
        }
        let slope: f64 = step.iter().zip(&at.gradient).map(|(s, g)| s * g).sum();
        // Close to a maximum the gain is below rounding noise: accept a value that did not
        // fall by more than that noise, or the last digits are never reached.
        let noise = if !shifted && size <= 1e-4 {
            1e-13 * (1.0 + at.value.abs())
        } else {
            0.0
        };
        let mut t = 1.0;
        let mut accepted = None;
        while t > 1e-12 {
            let cand: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a + t * s).collect();
            if cand
                .iter()
                .all(|v| (lower - BOX_MARGIN..=upper + BOX_MARGIN).contains(v))
            {
                evaluations += 1;
                if let Some(d) = f(&cand)
                    && d.value >= at.value + 1e-4 * t * slope - noise
                {
                    accepted = Some((cand, d));
                    break;
                }
            }
            t *= 0.5;
        }
        let Some((cand, d)) = accepted else {
            // No ascent left: at a maximum up to rounding if the step was already tiny.
            if !shifted && size <= 1e-5 {
                end = NewtonEnd::Converged;
            }
            break;
        };
        x = cand;
        at = d;
        if let Some(i) = x.iter().position(|v| !(lower..=upper).contains(v)) {
            end = NewtonEnd::Boundary(i);
            break;
        }
    }
    Some(NewtonResult {
        x,
        at,
        evaluations,
        end,
    })
}

/// The Newton ascent step `(−H + μI)⁻¹ g`, with `μ = 0` when `−H` is positive definite
/// (second value `false`) and the smallest tried shift that makes it so otherwise.
fn ascent_step(d: &Derivatives) -> Option<(Vec<f64>, bool)> {
    let n = d.gradient.len();
    let scale = (0..n)
        .map(|i| d.hessian[i][i].abs())
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let mut mu = 0.0;
    for _ in 0..60 {
        let m: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| -d.hessian[i][j] + if i == j { mu } else { 0.0 })
                    .collect()
            })
            .collect();
        if let Some(step) = cholesky_solve(&m, &d.gradient) {
            return Some((step, mu > 0.0));
        }
        mu = if mu == 0.0 { 1e-8 * scale } else { mu * 4.0 };
    }
    None
}

/// Solve `M y = b` for a symmetric positive definite `M` (Cholesky); `None` if `M` is not
/// positive definite or the result is not finite.
pub fn cholesky_solve(m: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = m[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    for i in (0..n).rev() {
        y[i] = (y[i] - (i + 1..n).map(|k| l[k][i] * y[k]).sum::<f64>()) / l[i][i];
    }
    y.iter().all(|v| v.is_finite()).then_some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let f = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let m = nelder_mead(&f, &[-1.2, 1.0], 0.5, 1e-14, 20_000);
        assert!(m.converged);
        let x = newton_polish(&f, &m.x, 20);
        assert!(
            (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
            "{x:?}"
        );
        let inv = invert(&[vec![4.0, 1.0], vec![1.0, 3.0]]).expect("invertible");
        assert!((inv[0][0] - 3.0 / 11.0).abs() < 1e-15 && (inv[0][1] + 1.0 / 11.0).abs() < 1e-15);
    }

    #[test]
    fn newton_maximises_a_concave_function_and_reports_a_boundary() {
        // −(x − 1)² − 10 (y + 2)² + x y / 10: concave, interior maximum.
        let f = |p: &[f64]| {
            Some(Derivatives {
                value: -(p[0] - 1.0).powi(2) - 10.0 * (p[1] + 2.0).powi(2) + p[0] * p[1] / 10.0,
                gradient: vec![
                    -2.0 * (p[0] - 1.0) + p[1] / 10.0,
                    -20.0 * (p[1] + 2.0) + p[0] / 10.0,
                ],
                hessian: vec![vec![-2.0, 0.1], vec![0.1, -20.0]],
            })
        };
        let r = newton_maximize(&f, &[5.0, 5.0], -18.0, 18.0, 50).expect("finite");
        assert_eq!(r.end, NewtonEnd::Converged);
        // Stationary point: solve the 2×2 system by hand.
        let (x, y) = (r.x[0], r.x[1]);
        assert!(
            (-2.0 * (x - 1.0) + y / 10.0).abs() < 1e-12
                && (-20.0 * (y + 2.0) + x / 10.0).abs() < 1e-12
        );
        // −e^x − y² has no maximum: it increases as x → −∞.
        let g = |p: &[f64]| {
            Some(Derivatives {
                value: -p[0].exp() - p[1] * p[1],
                gradient: vec![-p[0].exp(), -2.0 * p[1]],
                hessian: vec![vec![-p[0].exp(), 0.0], vec![0.0, -2.0]],
            })
        };
        let r = newton_maximize(&g, &[0.0, 1.0], -18.0, 18.0, 200).expect("finite");
        assert_eq!(r.end, NewtonEnd::Boundary(0));
        // A saddle start: the shift still finds an ascent direction.
        let h = |p: &[f64]| {
            Some(Derivatives {
                value: -(p[0] * p[0] - 1.0).powi(2) - p[1] * p[1],
                gradient: vec![-4.0 * p[0] * (p[0] * p[0] - 1.0), -2.0 * p[1]],
                hessian: vec![vec![-12.0 * p[0] * p[0] + 4.0, 0.0], vec![0.0, -2.0]],
            })
        };
        let r = newton_maximize(&h, &[0.1, 1.0], -18.0, 18.0, 100).expect("finite");
        assert_eq!(r.end, NewtonEnd::Converged);
        assert!(
            (r.x[0] - 1.0).abs() < 1e-10 && r.x[1].abs() < 1e-10,
            "{:?}",
            r.x
        );
        assert!(cholesky_solve(&[vec![1.0, 2.0], vec![2.0, 1.0]], &[1.0, 1.0]).is_none());
    }
}
