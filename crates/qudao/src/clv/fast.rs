//! Log-likelihoods with analytic gradients and Hessians, on data laid out for speed.
//!
//! BG/NBD: the terms that depend on `x` alone (`ln Γ(r + x)`, the beta-function ratio) are
//! summed once per unique `x` with the total weight; `ln(α + t)` and `1/(α + t)` are
//! tabulated once per unique time (times are rounded to days, so there are few); each row then
//! costs one `exp` and one `ln_1p`. Rows are summed in fixed chunks whose partial sums are
//! added in chunk order, so the result is bit-identical whatever the thread count.

use super::special::{digamma, ln_gamma, trigamma};

/// Rows per chunk of the deterministic parallel sum.
const CHUNK: usize = 4096;

/// Sums of the log-likelihood, its gradient and the upper triangle of its Hessian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sums<const N: usize> {
    pub ll: f64,
    pub grad: [f64; N],
    pub hess: [[f64; N]; N],
}

impl<const N: usize> Sums<N> {
    fn zero() -> Self {
        Sums {
            ll: 0.0,
            grad: [0.0; N],
            hess: [[0.0; N]; N],
        }
    }

    fn add(&mut self, o: &Self) {
        self.ll += o.ll;
        for i in 0..N {
            self.grad[i] += o.grad[i];
            for j in i..N {
                self.hess[i][j] += o.hess[i][j];
            }
        }
    }

    /// Mirror the upper triangle; `None` if anything is not finite.
    fn finish(mut self) -> Option<Self> {
        for i in 0..N {
            for j in 0..i {
                self.hess[i][j] = self.hess[j][i];
            }
        }
        let finite = self.ll.is_finite()
            && self.grad.iter().all(|v| v.is_finite())
            && self.hess.iter().flatten().all(|v| v.is_finite());
        finite.then_some(self)
    }
}

/// Sum `kernel` over `rows` in fixed chunks, `threads` at a time; partial sums are added in
/// chunk order, so the thread count does not change a bit of the result.
fn chunked_sum<const N: usize>(
    rows: usize,
    threads: usize,
    kernel: &(dyn Fn(std::ops::Range<usize>) -> Sums<N> + Sync),
) -> Sums<N> {
    let chunks = rows.div_ceil(CHUNK);
    let mut parts = vec![Sums::<N>::zero(); chunks];
    let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(rows);
    let threads = threads.clamp(1, chunks.max(1));
    if threads == 1 {
        for (c, p) in parts.iter_mut().enumerate() {
            *p = kernel(range(c));
        }
    } else {
        let per = chunks.div_ceil(threads);
        std::thread::scope(|s| {
            for (t, slot) in parts.chunks_mut(per).enumerate() {
                s.spawn(move || {
                    for (k, p) in slot.iter_mut().enumerate() {
                        *p = kernel(range(t * per + k));
                    }
                });
            }
        });
    }
    let mut total = Sums::zero();
    for p in &parts {
        total.add(p);
    }
    total
}

/// Index of `v` in the sorted, deduplicated `table`.
fn index_of(table: &[f64], v: f64) -> u32 {
    let i = table.partition_point(|t| t.total_cmp(&v).is_lt());
    i as u32
}

/// BG/NBD input laid out for [`BgNbdData::sums`].
#[derive(Debug, Clone)]
pub(crate) struct BgNbdData {
    /// Unique `x`, ascending, and the total weight of each.
    xs: Vec<f64>,
    wx: Vec<f64>,
    /// Unique times (`t_x` and `T`), ascending.
    times: Vec<f64>,
    /// Weight of the `x = 0` rows per time index of `T`.
    w0: Vec<f64>,
    /// Rows with `x > 0`: index into `xs`, time indices of `t_x` and `T`, weight.
    rx: Vec<u32>,
    rtx: Vec<u32>,
    rt: Vec<u32>,
    rw: Vec<f64>,
}

impl BgNbdData {
    pub(crate) fn new(d: &super::BtydData) -> Self {
        let mut times: Vec<f64> = d.t_x.iter().chain(&d.t).copied().collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let mut xs: Vec<f64> = d.x.clone();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let mut out = BgNbdData {
            wx: vec![0.0; xs.len()],
            w0: vec![0.0; times.len()],
            xs,
            times,
            rx: Vec::new(),
            rtx: Vec::new(),
            rt: Vec::new(),
            rw: Vec::new(),
        };
        for i in 0..d.len() {
            let xi = index_of(&out.xs, d.x[i]);
            out.wx[xi as usize] += d.weight[i];
            let ti = index_of(&out.times, d.t[i]);
            if d.x[i] == 0.0 {
                out.w0[ti as usize] += d.weight[i];
            } else {
                out.rx.push(xi);
                out.rtx.push(index_of(&out.times, d.t_x[i]));
                out.rt.push(ti);
                out.rw.push(d.weight[i]);
            }
        }
        out
    }

    /// Unique rows with a repeat purchase (the per-row work).
    #[cfg(test)]
    pub(crate) fn repeat_rows(&self) -> usize {
        self.rw.len()
    }

    /// Log-likelihood, gradient and Hessian in `(r, α, a, b)`; `None` if not finite.
    pub(crate) fn sums(&self, p: [f64; 4], threads: usize) -> Option<Sums<4>> {
        let [r, alpha, a, b] = p;
        let lt: Vec<f64> = self.times.iter().map(|t| (alpha + t).ln()).collect();
        let it: Vec<f64> = self.times.iter().map(|t| 1.0 / (alpha + t)).collect();
        let (ln_a, inv_a) = (a.ln(), 1.0 / a);
        // Per unique x: n = r + x, ln(a / (b + x − 1)), 1 / (b + x − 1).
        let nx: Vec<f64> = self.xs.iter().map(|x| r + x).collect();
        let lc: Vec<f64> = self.xs.iter().map(|x| ln_a - (b + x - 1.0).ln()).collect();
        let ib: Vec<f64> = self.xs.iter().map(|x| 1.0 / (b + x - 1.0)).collect();
        let kernel = |range: std::ops::Range<usize>| -> Sums<4> {
            let mut s = Sums::<4>::zero();
            let [mut g0, mut g1, mut g2, mut g3] = [0.0f64; 4];
            let (mut h00, mut h01, mut h02, mut h03) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            let (mut h11, mut h12, mut h13) = (0.0f64, 0.0f64, 0.0f64);
            let (mut h22, mut h23, mut h33) = (0.0f64, 0.0f64, 0.0f64);
            let mut ll = 0.0f64;
            for k in range {
                let xi = self.rx[k] as usize;
                let (tk, txk) = (self.rt[k] as usize, self.rtx[k] as usize);
                let wt = self.rw[k];
                let n = nx[xi];
                let (l_t, i_t, l_x, i_x) = (lt[tk], it[tk], lt[txk], it[txk]);
                // L = ln(e^A + e^B), A = −n ln(α+T), B = ln(a/(b+x−1)) − n ln(α+t_x).
                let big_a = -n * l_t;
                let big_b = lc[xi] - n * l_x;
                let d = big_b - big_a;
                let e = (-d.abs()).exp();
                let (l, w) = if d > 0.0 {
                    (big_b + e.ln_1p(), 1.0 / (1.0 + e))
                } else {
                    (big_a + e.ln_1p(), e / (1.0 + e))
                };
                let v = w * (1.0 - w);
                // D = ∇B − ∇A; ∇L = ∇A + w D; ∇²L = ∇²A + w (∇²B − ∇²A) + w (1 − w) D Dᵀ.
                let dr = l_t - l_x;
                let da = n * (i_t - i_x);
                let ibx = ib[xi];
                ll += wt * l;
                g0 += wt * (-l_t + w * dr);
                g1 += wt * (-n * i_t + w * da);
                g2 += wt * w;
                g3 -= wt * w * ibx;
                let wv = wt * v;
                h00 += wv * dr * dr;
                h01 += wt * (-i_t + w * (i_t - i_x)) + wv * dr * da;
                h02 += wv * dr;
                h03 -= wv * dr * ibx;
                h11 += wt * n * (i_t * i_t + w * (i_x * i_x - i_t * i_t)) + wv * da * da;
                h12 += wv * da;
                h13 -= wv * da * ibx;
                h22 += wt * (v - w);
                h23 -= wv * ibx;
                h33 += wt * (w + v) * ibx * ibx;
            }
            s.ll = ll;
            s.grad = [g0, g1, g2 * inv_a, g3];
            s.hess[0] = [h00, h01, h02 * inv_a, h03];
            s.hess[1][1..].copy_from_slice(&[h11, h12 * inv_a, h13]);
            s.hess[2][2..].copy_from_slice(&[h22 * inv_a * inv_a, h23 * inv_a]);
            s.hess[3][3] = h33;
            s
        };
        let mut total = chunked_sum(self.rw.len(), threads, &kernel);
        // x = 0 rows: L = −r ln(α + T).
        let mut z = Sums::<4>::zero();
        for (j, &w0) in self.w0.iter().enumerate() {
            if w0 != 0.0 {
                z.ll -= w0 * r * lt[j];
                z.grad[0] -= w0 * lt[j];
                z.grad[1] -= w0 * r * it[j];
                z.hess[0][1] -= w0 * it[j];
                z.hess[1][1] += w0 * r * it[j] * it[j];
            }
        }
        total.add(&z);
        // Terms of x alone: ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b).
        let mut q = Sums::<4>::zero();
        let (dg_r, tg_r) = (digamma(r), trigamma(r));
        let (dg_b, tg_b) = (digamma(b), trigamma(b));
        let (dg_ab, tg_ab) = (digamma(a + b), trigamma(a + b));
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let ln_alpha = alpha.ln();
        for (&x, &w) in self.xs.iter().zip(&self.wx) {
            q.ll += w * r * ln_alpha;
            q.grad[0] += w * ln_alpha;
            q.grad[1] += w * r / alpha;
            q.hess[0][1] += w / alpha;
            q.hess[1][1] -= w * r / (alpha * alpha);
            if x == 0.0 {
                continue;
            }
            let (dg_bx, dg_abx) = (digamma(b + x), digamma(a + b + x));
            let (tg_bx, tg_abx) = (trigamma(b + x), trigamma(a + b + x));
            q.ll +=
                w * (ln_gamma(r + x) - lg_r + lg_ab - ln_gamma(a + b + x) + ln_gamma(b + x) - lg_b);
            q.grad[0] += w * (digamma(r + x) - dg_r);
            q.grad[2] += w * (dg_ab - dg_abx);
            q.grad[3] += w * (dg_ab - dg_abx + dg_bx - dg_b);
            q.hess[0][0] += w * (trigamma(r + x) - tg_r);
            q.hess[2][2] += w * (tg_ab - tg_abx);
            q.hess[2][3] += w * (tg_ab - tg_abx);
            q.hess[3][3] += w * (tg_ab - tg_abx + tg_bx - tg_b);
        }
        total.add(&q);
        total.finish()
    }
}

/// Gamma-Gamma input sorted by `(x, m)` and grouped by `x`.
#[derive(Debug, Clone)]
pub(crate) struct GammaGammaData {
    /// Unique `x` and the row range of each.
    xs: Vec<(f64, std::ops::Range<usize>)>,
    m: Vec<f64>,
    ln_m: Vec<f64>,
}

impl GammaGammaData {
    pub(crate) fn new(rows: &[(f64, f64)]) -> Self {
        let mut v = rows.to_vec();
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut xs: Vec<(f64, std::ops::Range<usize>)> = Vec::new();
        for (i, &(x, _)) in v.iter().enumerate() {
            match xs.last_mut() {
                Some((lx, r)) if *lx == x => r.end = i + 1,
                _ => xs.push((x, i..i + 1)),
            }
        }
        GammaGammaData {
            xs,
            m: v.iter().map(|r| r.1).collect(),
            ln_m: v.iter().map(|r| r.1.ln()).collect(),
        }
    }

    /// Log-likelihood, gradient and Hessian in `(p, q, γ)`; `None` if not finite.
    pub(crate) fn sums(&self, params: [f64; 3]) -> Option<Sums<3>> {
        let [p, q, g] = params;
        let mut s = Sums::<3>::zero();
        let (lg_q, dg_q, tg_q, ln_g) = (ln_gamma(q), digamma(q), trigamma(q), g.ln());
        for (x, range) in &self.xs {
            let x = *x;
            let px = p * x;
            let w = range.len() as f64;
            // Terms of x alone: ln Γ(px+q) − ln Γ(px) − ln Γ(q) + px ln x.
            let (dg1, dg2) = (digamma(px + q), digamma(px));
            let (tg1, tg2) = (trigamma(px + q), trigamma(px));
            s.ll += w * (ln_gamma(px + q) - ln_gamma(px) - lg_q + px * x.ln());
            s.grad[0] += w * x * (dg1 - dg2 + x.ln());
            s.grad[1] += w * (dg1 - dg_q);
            s.hess[0][0] += w * x * x * (tg1 - tg2);
            s.hess[0][1] += w * x * tg1;
            s.hess[1][1] += w * (tg1 - tg_q);
            // Per row: q ln γ + (px − 1) ln m − (px + q) ln(γ + m x).
            for k in range.clone() {
                let u = g + self.m[k] * x;
                let (lu, iu) = (u.ln(), 1.0 / u);
                s.ll += q * ln_g + (px - 1.0) * self.ln_m[k] - (px + q) * lu;
                s.grad[0] += x * (self.ln_m[k] - lu);
                s.grad[1] += ln_g - lu;
                s.grad[2] += q / g - (px + q) * iu;
                s.hess[0][2] -= x * iu;
                s.hess[1][2] += 1.0 / g - iu;
                s.hess[2][2] += -q / (g * g) + (px + q) * iu * iu;
            }
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BtydData, bgnbd_ll, gamma_gamma_ll};
    use super::*;

    fn numeric<const N: usize>(
        f: &dyn Fn([f64; N]) -> f64,
        p: [f64; N],
    ) -> ([f64; N], [[f64; N]; N]) {
        let mut g = [0.0; N];
        let mut h = [[0.0; N]; N];
        let at = |i: usize, di: f64, j: usize, dj: f64| {
            let mut q = p;
            q[i] += di;
            q[j] += dj;
            f(q)
        };
        for i in 0..N {
            let hi = 1e-4 * p[i];
            g[i] = (at(i, hi, i, 0.0) - at(i, -hi, i, 0.0)) / (2.0 * hi);
            for j in 0..N {
                let hj = 1e-4 * p[j];
                h[i][j] = (at(i, hi, j, hj) - at(i, hi, j, -hj) - at(i, -hi, j, hj)
                    + at(i, -hi, j, -hj))
                    / (4.0 * hi * hj);
            }
        }
        (g, h)
    }

    fn close(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-5 * scale.max(1.0)
    }

    #[test]
    fn bgnbd_sums_match_the_row_likelihood_and_finite_differences() {
        let rows = [
            (0.0, 0.0, 38.86),
            (0.0, 0.0, 12.0),
            (2.0, 30.43, 38.86),
            (1.0, 1.71, 38.86),
            (1.0, 1.71, 38.86),
            (7.0, 20.0, 21.0),
            (26.0, 30.86, 31.0),
        ];
        let d = BtydData::compress(rows).expect("valid");
        let data = BgNbdData::new(&d);
        assert_eq!(data.repeat_rows(), 4);
        let ll = |p: [f64; 4]| -> f64 {
            rows.iter()
                .map(|&(x, tx, t)| bgnbd_ll(p[0], p[1], p[2], p[3], x, tx, t))
                .sum()
        };
        for p in [[0.243, 4.414, 0.793, 2.426], [1.7, 0.3, 3.0, 0.2]] {
            let s = data.sums(p, 1).expect("finite");
            assert!(
                (s.ll - ll(p)).abs() < 1e-10 * ll(p).abs(),
                "{} {}",
                s.ll,
                ll(p)
            );
            let (g, h) = numeric(&ll, p);
            let scale = h.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
            for i in 0..4 {
                assert!(
                    close(s.grad[i], g[i], scale),
                    "g{i}: {} {}",
                    s.grad[i],
                    g[i]
                );
                for (j, (got, want)) in s.hess[i].iter().zip(&h[i]).enumerate() {
                    assert!(close(*got, *want, scale), "h{i}{j}: {got} {want}");
                }
            }
            assert_eq!(data.sums(p, 3), Some(s));
        }
    }

    #[test]
    fn gamma_gamma_sums_match_the_row_likelihood_and_finite_differences() {
        let rows = [
            (1.0, 11.77),
            (2.0, 22.35),
            (2.0, 5.0),
            (26.0, 39.97),
            (1.0, 9.99),
        ];
        let data = GammaGammaData::new(&rows);
        let ll = |p: [f64; 3]| -> f64 {
            rows.iter()
                .map(|&(x, m)| gamma_gamma_ll(p[0], p[1], p[2], x, m))
                .sum()
        };
        for p in [[6.25, 3.74, 15.44], [0.5, 1.2, 3.0]] {
            let s = data.sums(p).expect("finite");
            assert!((s.ll - ll(p)).abs() < 1e-10 * ll(p).abs());
            let (g, h) = numeric(&ll, p);
            let scale = h.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
            for i in 0..3 {
                assert!(
                    close(s.grad[i], g[i], scale),
                    "g{i}: {} {}",
                    s.grad[i],
                    g[i]
                );
                for (j, (got, want)) in s.hess[i].iter().zip(&h[i]).enumerate() {
                    assert!(close(*got, *want, scale), "h{i}{j}: {got} {want}");
                }
            }
        }
    }
}
