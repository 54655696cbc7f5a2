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
    eprintln!("pareto/nbd: {fit:?}");
    assert_eq!(fit.status, FitStatus::Converged, "{fit:?}");
    assert!(fit.std_errors.iter().all(Option::is_some));
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

// Reference values from the `lifetimes` Python package (0.11.3) at the literature parameters,
// for CDNOW customers 1, 2, 3, 18, 100, 1516 and 2357 (weeks). lifetimes is only an oracle
// here: BetaGeoFitter / ParetoNBDFitter `conditional_expected_number_of_purchases_up_to_time(39,
// …)` and `conditional_probability_alive`, GammaGammaFitter
// `conditional_expected_average_profit` and `customer_lifetime_value(…, time=12,
// discount_rate=0.01, freq="W")`.
const IDS: [usize; 7] = [1, 2, 3, 18, 100, 1516, 2357];
const BG_COND_39: [f64; 7] = [
    1.226028174767135,
    0.20318698707975183,
    0.19509805201125396,
    0.2977212622914035,
    0.6269271635021586,
    20.7497261408577,
    0.2593953814922083,
];
const BG_ALIVE: [f64; 7] = [
    0.726578570080673,
    0.2121009853773791,
    1.0,
    0.3107825653963674,
    0.6469421366065288,
    0.968915649717525,
    1.0,
];
/// `expected_number_of_purchases_up_to_time` at t = 1, 39, 78.
const BG_UNCOND: [f64; 3] = [0.05326789117165627, 1.1967231933207985, 1.8605190579427455];
const PN_COND_39: [f64; 7] = [
    1.4551231932576019,
    0.1710929805537828,
    0.10708146821530892,
    0.25603095133494175,
    0.7866248767238455,
    20.117026077370543,
    0.1753614929904234,
];
const PN_ALIVE: [f64; 7] = [
    0.8691675591530111,
    0.16800232672434479,
    0.29528660461689443,
    0.25140596299446866,
    0.7648096855751606,
    0.9979187310551578,
    0.38393078435005523,
];
const PN_UNCOND: [f64; 3] = [0.050979843245990884, 1.2130028442810157, 1.9093981293136852];
const GG_SPEND: [f64; 7] = [
    24.663713910761157,
    18.91685205784205,
    35.21897810218978,
    17.6793659621802,
    28.96273637374861,
    39.89121883321229,
    35.21897810218978,
];
const CLV_BG: [f64; 7] = [
    36.28921112559952,
    4.637294659747194,
    8.369004358920185,
    6.350332597057609,
    21.89911570167126,
    972.101051487771,
    11.049842515466164,
];
const CLV_PN: [f64; 7] = [
    43.08991786006467,
    3.8859614556068576,
    4.528021672855974,
    5.434712628475648,
    27.345975124614366,
    959.1018795670891,
    7.361081800842765,
];

mod predictions {
    use super::*;
    use qudao::clv::predict::{
        BgNbd, ClvOptions, Customer, Customers, GammaGamma, ParetoNbd, PurchaseModel, clv,
        clv_batch,
    };

    fn customers() -> Vec<(Customer, f64)> {
        let rows = summary();
        IDS.iter()
            .map(|&id| {
                let r = rows[id - 1];
                (Customer::new(r.0, r.1, r.2).expect("valid"), r.3)
            })
            .collect()
    }

    fn models() -> (BgNbd, ParetoNbd, GammaGamma) {
        (
            BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("valid"),
            ParetoNbd::new(0.553, 10.578, 0.606, 11.669).expect("valid"),
            GammaGamma::new(6.25, 3.74, 15.44).expect("valid"),
        )
    }

    fn check(what: &str, got: f64, want: f64) {
        assert!(close(got, want, 1e-6), "{what}: {got} vs lifetimes {want}");
    }

    #[test]
    fn bgnbd_reproduces_fader_hardie_lee_and_lifetimes() {
        let (bg, _, _) = models();
        // FHL (2005), section 4: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in
        // the next 39 weeks.
        let c = Customer::new(2.0, 30.43, 38.86).expect("valid");
        let e = bg.conditional_expected_purchases(39.0, &c).expect("finite");
        assert!((e - 1.226).abs() < 5e-4, "{e}");
        for (i, (c, _)) in customers().iter().enumerate() {
            let id = IDS[i];
            check(
                &format!("E[Y(39)] of {id}"),
                bg.conditional_expected_purchases(39.0, c).expect("finite"),
                BG_COND_39[i],
            );
            check(
                &format!("P(alive) of {id}"),
                bg.probability_alive(c).expect("finite"),
                BG_ALIVE[i],
            );
        }
        for (t, want) in [1.0, 39.0, 78.0].into_iter().zip(BG_UNCOND) {
            check(
                &format!("E[X({t})]"),
                bg.expected_purchases(t).expect("finite"),
                want,
            );
        }
    }

    #[test]
    fn pareto_nbd_reproduces_lifetimes() {
        let (_, pn, _) = models();
        for (i, (c, _)) in customers().iter().enumerate() {
            let id = IDS[i];
            check(
                &format!("E[Y(39)] of {id}"),
                pn.conditional_expected_purchases(39.0, c).expect("finite"),
                PN_COND_39[i],
            );
            check(
                &format!("P(alive) of {id}"),
                pn.probability_alive(c).expect("finite"),
                PN_ALIVE[i],
            );
        }
        for (t, want) in [1.0, 39.0, 78.0].into_iter().zip(PN_UNCOND) {
            check(
                &format!("E[X({t})]"),
                pn.expected_purchases(t).expect("finite"),
                want,
            );
        }
    }

    #[test]
    fn spend_and_clv_reproduce_lifetimes() {
        let (bg, pn, gg) = models();
        check(
            "population mean",
            gg.population_mean_spend().expect("q > 1"),
            GG_SPEND[2],
        );
        let options = ClvOptions::monthly_in_weeks();
        for (i, (c, m)) in customers().iter().enumerate() {
            let id = IDS[i];
            let spend = gg.conditional_expected_spend(c.x, *m).expect("finite");
            check(&format!("spend of {id}"), spend, GG_SPEND[i]);
            check(
                &format!("BG/NBD CLV of {id}"),
                clv(&bg, spend, c, &options).expect("finite"),
                CLV_BG[i],
            );
            check(
                &format!("Pareto/NBD CLV of {id}"),
                clv(&pn, spend, c, &options).expect("finite"),
                CLV_PN[i],
            );
        }
    }

    #[test]
    fn the_whole_table_at_once_from_fitted_models() {
        let rows = summary();
        let d = BtydData::compress(rows.iter().map(|r| (r.0, r.1, r.2))).expect("valid");
        let bg = BgNbd::from_fit(&fit_bgnbd(&d)).expect("bg/nbd fit");
        let repeat: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.0 > 0.0 && r.3 > 0.0)
            .map(|r| (r.0, r.3))
            .collect();
        let gg = GammaGamma::from_fit(&fit_gamma_gamma(&repeat)).expect("gamma-gamma fit");
        assert!(BgNbd::from_fit(&fit_gamma_gamma(&repeat)).is_err());
        let col = |f: fn(&(f64, f64, f64, f64)) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
        let (x, t_x, t, m) = (col(|r| r.0), col(|r| r.1), col(|r| r.2), col(|r| r.3));
        let table = Customers {
            x: &x,
            t_x: &t_x,
            t: &t,
        };
        let spend = gg.conditional_expected_spend_batch(&x, &m).expect("valid");
        let values =
            clv_batch(&bg, &table, &spend, &ClvOptions::monthly_in_weeks()).expect("valid");
        let expected = bg
            .conditional_expected_purchases_batch(39.0, &table)
            .expect("valid");
        assert_eq!(values.len(), 2357);
        for i in [0, 1, 1515, 2356] {
            let c = Customer::new(x[i], t_x[i], t[i]).expect("valid");
            assert_eq!(
                values[i],
                clv(&bg, spend[i], &c, &ClvOptions::monthly_in_weeks()).expect("finite")
            );
        }
        // Sanity check on the holdout (weeks 40–78, to 1998-06-30): purchase days of the
        // 2,357 customers, counted as x is (distinct days), against the model's total.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/cdnow/CDNOW_sample.txt"
        );
        let text = std::fs::read_to_string(path).expect("fixture");
        let mut days: Vec<(&str, &str)> = text
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 5 && f[2] > "19970930").then(|| (f[0], f[2]))
            })
            .collect();
        days.sort_unstable();
        days.dedup();
        let actual = days.len() as f64;
        let total: f64 = expected.iter().sum();
        eprintln!("repeat purchase days in weeks 40-78: expected {total:.1}, actual {actual}");
        assert!(
            (total - actual).abs() < 0.15 * actual,
            "{total} vs {actual}"
        );
    }
}
