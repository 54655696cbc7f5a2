//! A deterministic minimiser for small smooth problems: Nelder–Mead from a fixed start, then
//! Newton polishing with a finite-difference Hessian (which also gives standard errors).

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
}
