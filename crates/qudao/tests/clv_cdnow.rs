//! The lifetime-value fits reproduce the published CDNOW results (2,357-customer sample,
//! 39-week calibration to 1997-09-30, time in weeks).

use qudao::clv::{
    BtydData, FitOptions, FitStatus, fit_bgnbd, fit_bgnbd_with, fit_gamma_gamma, fit_pareto_nbd,
};

fn summary() -> Vec<(f64, f64, f64, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/cdnow/cdnow_customers_summary_with_transactions.csv"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l
                .split(',')
                .skip(1)
                .map(|v| v.trim().parse().expect("number"))
                .collect();
            (f[0], f[1], f[2], f[3])
        })
        .collect()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    ((got - want) / want).abs() <= rel
}

#[test]
fn bgnbd_matches_fader_hardie_lee_2005() {
    let rows = summary();
    assert_eq!(rows.len(), 2357);
    let d = BtydData::compress(rows.iter().map(|r| (r.0, r.1, r.2))).expect("valid");
    let fit = fit_bgnbd(&d);
    assert_eq!(fit.status, FitStatus::Converged, "{fit:?}");
    for (name, want) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
        let got = fit.param(name).expect("param");
        assert!(close(got, want, 2e-3), "{name}: {got} vs {want}");
    }
    assert!(
        (fit.log_likelihood - -9582.4).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
    assert!(fit.std_errors.iter().all(Option::is_some));
    eprintln!("bg/nbd: {fit:?}");
    // Newton with analytic derivatives: a few dozen passes, not thousands.
    assert!(fit.evaluations <= 60, "{}", fit.evaluations);
}

#[test]
fn bgnbd_fit_does_not_depend_on_threads_or_row_order() {
    let rows = summary();
    let d = BtydData::compress(rows.iter().map(|r| (r.0, r.1, r.2))).expect("valid");
    let one = fit_bgnbd_with(
        &d,
        &FitOptions {
            threads: 1,
            ..FitOptions::default()
        },
    );
    for threads in [2, 3, 8] {
        let many = fit_bgnbd_with(
            &d,
            &FitOptions {
                threads,
                ..FitOptions::default()
            },
        );
        assert_eq!(one, many, "threads = {threads}");
    }
    // Repeat the data 20 times (many chunks) in reverse order: same parameters, LL × 20.
    let big =
        BtydData::compress((0..20).flat_map(|_| rows.iter().rev().map(|r| (r.0, r.1 + 0.0, r.2))))
            .expect("valid");
    let f1 = fit_bgnbd_with(
        &big,
        &FitOptions {
            threads: 1,
            ..FitOptions::default()
        },
    );
    let f2 = fit_bgnbd_with(
        &big,
        &FitOptions {
            threads: 2,
            ..FitOptions::default()
        },
    );
    assert_eq!(f1, f2);
    for ((_, a), (_, b)) in f1.params.iter().zip(&one.params) {
        assert!(close(*a, *b, 1e-8), "{a} vs {b}");
    }
    assert!(close(f1.log_likelihood, 20.0 * one.log_likelihood, 1e-12));
}

#[test]
fn pareto_nbd_matches_the_literature() {
    let rows = summary();
    let d = BtydData::compress(rows.iter().map(|r| (r.0, r.1, r.2))).expect("valid");
    let fit = fit_pareto_nbd(&d);
    assert_eq!(fit.status, FitStatus::Converged, "{fit:?}");
    for (name, want) in [
        ("r", 0.553),
        ("alpha", 10.578),
        ("s", 0.606),
        ("beta", 11.669),
    ] {
        let got = fit.param(name).expect("param");
        assert!(close(got, want, 2e-3), "{name}: {got} vs {want}");
    }
    assert!(
        (fit.log_likelihood - -9595.0).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
}

#[test]
fn gamma_gamma_on_the_repeat_buyers() {
    let rows = summary();
    let repeat: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.0 > 0.0 && r.3 > 0.0)
        .map(|r| (r.0, r.3))
        .collect();
    assert_eq!(repeat.len(), 946);
    let fit = fit_gamma_gamma(&repeat);
    assert_eq!(fit.status, FitStatus::Converged, "{fit:?}");
    for (name, want) in [("p", 6.25), ("q", 3.74), ("gamma", 15.44)] {
        let got = fit.param(name).expect("param");
        assert!(close(got, want, 3e-3), "{name}: {got} vs {want}");
    }
}

#[test]
fn compression_is_order_independent_and_rejects_bad_rows() {
    let rows = summary();
    let a = BtydData::compress(rows.iter().map(|r| (r.0, r.1, r.2))).expect("valid");
    let b = BtydData::compress(rows.iter().rev().map(|r| (r.0, r.1, r.2))).expect("valid");
    assert_eq!(a, b);
    assert!(a.len() < rows.len());
    assert_eq!(a.customers(), 2357.0);
    assert!(BtydData::compress([(1.0, 5.0, 4.0)]).is_err());
    assert!(BtydData::compress([(1.0, 0.0, 4.0)]).is_err());
    assert!(BtydData::compress([(f64::NAN, 0.0, 4.0)]).is_err());
}
