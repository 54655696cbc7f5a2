//! Lifetime-value fits and predictions. Targets (issue 3): BG/NBD fit on CDNOW ≤ 20 ms, on
//! 1,000,000 customers ≤ 1 s on a 2-core machine (lifetimes: about 15 s).
//!
//! The 1,000,000 customers are simulated from a BG/NBD with known parameters (r 0.24,
//! α 4.4, a 0.79, b 2.4; T uniform over 0..78 weeks; times rounded to days) by a seeded
//! splitmix64 generator, so every run fits the same data; the recovered parameters are
//! printed next to the true ones. `clv_on_sample` runs the whole BTYD path on the sample
//! company at `QUDAO_BENCH_LINES` lines: customer summary, BG/NBD fit, Gamma-Gamma fit.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::Date;
use qudao::clv::predict::{BgNbd, ClvOptions, Customers, PurchaseModel, clv_batch};
use qudao::clv::{BtydData, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd};
use qudao::customer::{CustomerOptions, CustomerSummary, Frequency, TimeUnit};

/// The CDNOW summary rows `(x, t_x, T, mean repeat value)`, weeks.
fn cdnow() -> Vec<(f64, f64, f64, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/cdnow/cdnow_customers_summary_with_transactions.csv"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l
                .split(',')
                .skip(1)
                .map(|v| v.trim().parse().unwrap_or(f64::NAN))
                .collect();
            (f[0], f[1], f[2], f[3])
        })
        .collect()
}

/// splitmix64 with the few distributions the simulation needs.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform on (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma(shape, 1): Marsaglia & Tsang, boosted for shape < 1.
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.normal();
            let v = (1.0 + c * z).powi(3);
            if v > 0.0 && self.uniform().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }
}

/// True parameters of the simulation.
const TRUE: [(&str, f64); 4] = [("r", 0.24), ("alpha", 4.4), ("a", 0.79), ("b", 2.4)];

/// `n` BG/NBD customers `(x, t_x, T)` in weeks, times rounded to days.
fn simulate(n: usize, seed: u64) -> Vec<(f64, f64, f64)> {
    let [r, alpha, a, b] = TRUE.map(|p| p.1);
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let t_days = rng.next_u64() % 547; // 0..=546 days: 0..78 weeks
            let big_t = t_days as f64 / 7.0;
            let lambda = rng.gamma(r) / alpha;
            let p = rng.beta(a, b);
            let (mut t, mut x, mut tx) = (0.0f64, 0u32, 0.0f64);
            loop {
                t += -rng.uniform().ln() / lambda;
                if t > big_t {
                    break;
                }
                x += 1;
                tx = t;
                if rng.uniform() < p {
                    break;
                }
            }
            let tx_days = if x == 0 {
                0
            } else {
                ((tx * 7.0).round() as u64).clamp(1, t_days)
            };
            (f64::from(x), tx_days as f64 / 7.0, big_t)
        })
        .collect()
}

fn clv(c: &mut Criterion) {
    let rows = cdnow();
    let triples: Vec<(f64, f64, f64)> = rows.iter().map(|r| (r.0, r.1, r.2)).collect();
    let small = BtydData::compress(triples.iter().copied()).unwrap_or_default();
    let repeat: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.0 > 0.0 && r.3 > 0.0)
        .map(|r| (r.0, r.3))
        .collect();

    let n = 1_000_000;
    let sim = simulate(n, 20_240_917);
    let big = BtydData::compress(sim.iter().copied()).unwrap_or_default();
    let fit = fit_bgnbd(&big);
    eprintln!(
        "simulated {n} customers, {} unique (x, t_x, T) rows ({} with x > 0)",
        big.len(),
        (0..big.len()).filter(|&i| big.x[i] > 0.0).count()
    );
    eprintln!(
        "fit: {:?} in {} evaluations, LL {:.1}",
        fit.status, fit.evaluations, fit.log_likelihood
    );
    for ((name, truth), (se, (_, got))) in TRUE.iter().zip(fit.std_errors.iter().zip(&fit.params)) {
        eprintln!("  {name:>5}: true {truth:<5} fitted {got:.4} (s.e. {se:.4?})");
    }

    let mut g = c.benchmark_group("clv");
    g.sample_size(20);
    g.bench_function("bgnbd_fit/cdnow", |b| {
        b.iter(|| black_box(fit_bgnbd(&small).log_likelihood))
    });
    g.bench_function("gamma_gamma_fit/cdnow", |b| {
        b.iter(|| black_box(fit_gamma_gamma(&repeat).log_likelihood))
    });
    g.sample_size(10);
    g.bench_function("pareto_nbd_fit/cdnow", |b| {
        b.iter(|| black_box(fit_pareto_nbd(&small).log_likelihood))
    });
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("bgnbd_fit/1M", |b| {
        b.iter(|| black_box(fit_bgnbd(&big).log_likelihood))
    });
    g.bench_function("compress/1M", |b| {
        b.iter(|| black_box(BtydData::compress(sim.iter().copied()).map(|d| d.len())))
    });
    g.bench_function("bgnbd_compress_and_fit/1M", |b| {
        b.iter(|| {
            let d = BtydData::compress(sim.iter().copied()).unwrap_or_default();
            black_box(fit_bgnbd(&d).log_likelihood)
        })
    });
    let bg = BgNbd::from_fit(&fit).unwrap_or_else(|e| panic!("{e}"));
    let col = |f: fn(&(f64, f64, f64)) -> f64| sim.iter().map(f).collect::<Vec<f64>>();
    let (x, t_x, t) = (col(|r| r.0), col(|r| r.1), col(|r| r.2));
    let table = Customers {
        x: &x,
        t_x: &t_x,
        t: &t,
    };
    g.bench_function("bgnbd_expected_39/1M", |b| {
        b.iter(|| {
            let e = bg.conditional_expected_purchases_batch(39.0, &table);
            black_box(e.map(|v| v.len()).unwrap_or(0))
        })
    });
    let spend = vec![35.0; n];
    g.bench_function("bgnbd_clv_12_months/1M", |b| {
        b.iter(|| {
            let v = clv_batch(&bg, &table, &spend, &ClvOptions::monthly_in_weeks());
            black_box(v.map(|v| v.len()).unwrap_or(0))
        })
    });
    g.finish();
}

/// The path a user runs on their own lines: summary (active days, as lifetimes counts them),
/// BG/NBD on the compressed rows, Gamma-Gamma on the repeat buyers' spend.
fn clv_on_sample(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample_with_customers(lines, qudao_benches::customers_for(lines));
    let mut opts = CustomerOptions::new(
        Date::from_ymd(2025, 12, 31).expect("date"),
        Frequency::ActivePeriods,
    );
    opts.unit = TimeUnit::Day;
    let scale = 10i64.pow(u32::from(data.currency().exponent));
    let run = || {
        let s = CustomerSummary::compute(&data, opts).expect("summary");
        let d = BtydData::compress(s.btyd_rows()).expect("btyd rows");
        (
            fit_bgnbd(&d),
            fit_gamma_gamma(&s.spend_rows(scale).0),
            s.len(),
        )
    };
    let (purchases, spend, customers) = run();
    eprintln!(
        "sample at {lines} lines: {customers} customers, BG/NBD {:?} ({:?}), Gamma-Gamma {:?} ({:?})",
        purchases.params, purchases.status, spend.params, spend.status
    );
    let mut g = c.benchmark_group("clv");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("sample/summary+bgnbd+gamma_gamma/{lines}"), |b| {
        b.iter(|| black_box(run()))
    });
    g.finish();
}

criterion_group!(benches, clv, clv_on_sample);
criterion_main!(benches);
