//! Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma fits, and predictions over
//! host arrays.

use qudao_core::clv::predict::{
    BgNbd, ClvOptions, Customers, GammaGamma, ParetoNbd, PurchaseModel, clv_batch,
};
use qudao_core::clv::{BtydData, Fit, FitStatus, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd};

use super::{
    OutArray, borrow, clone_handle, free_handle, hand_out, json_value, qudao_customers, to_json,
    write_bytes,
};
use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;

/// Which model a `qudao_clv_model` is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_clv_model_kind {
    /// BG/NBD (Fader, Hardie & Lee 2005): parameters `r, alpha, a, b`. Predicts purchases.
    BgNbd = 0,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): `r, alpha, s, beta`. Predicts
    /// purchases.
    ParetoNbd = 1,
    /// Gamma-Gamma spend model: `p, q, gamma`. Predicts spend per purchase.
    GammaGamma = 2,
}

/// How a model's parameters were obtained.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_fit_status {
    /// Fitted: an interior maximum of the likelihood was found.
    Converged = 0,
    /// Fitted, but the likelihood is maximised at the edge of the parameter space (the
    /// parameter is named in `qudao_clv_model_json`): the model degenerates.
    Boundary = 1,
    /// Fitted, but the optimiser stopped before converging (or there was no data).
    NotConverged = 2,
    /// Given by the host (`qudao_clv_*_new`), not fitted.
    Given = 3,
}

/// A BTYD purchase model or a spend model, fitted or given.
///
/// Ownership: reference counted; the `qudao_clv_fit_*`, `qudao_clv_*_new` functions and
/// `_clone` give the host one reference, released with `qudao_clv_model_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_clv_model {
    kind: qudao_clv_model_kind,
    /// Parameter names and values, in the model's order.
    params: Vec<(String, f64)>,
    /// The fit, when fitted.
    fit: Option<Fit>,
    /// Gamma-Gamma fitted on a summary: repeat buyers left out because their repeat value
    /// was zero or negative.
    excluded: Option<u64>,
}

/// A model ready to predict.
enum Predictor {
    Purchases(Box<dyn PurchaseModel>),
    Spend(GammaGamma),
}

impl qudao_clv_model {
    fn fitted(kind: qudao_clv_model_kind, fit: Fit, excluded: Option<u64>) -> Self {
        qudao_clv_model {
            kind,
            params: fit.params.clone(),
            fit: Some(fit),
            excluded,
        }
    }

    fn predictor(&self) -> Result<Predictor, Failure> {
        let p: Vec<f64> = self.params.iter().map(|(_, v)| *v).collect();
        let get = |i: usize| p.get(i).copied().unwrap_or(f64::NAN);
        Ok(match self.kind {
            qudao_clv_model_kind::BgNbd => {
                Predictor::Purchases(Box::new(BgNbd::new(get(0), get(1), get(2), get(3))?))
            }
            qudao_clv_model_kind::ParetoNbd => {
                Predictor::Purchases(Box::new(ParetoNbd::new(get(0), get(1), get(2), get(3))?))
            }
            qudao_clv_model_kind::GammaGamma => {
                Predictor::Spend(GammaGamma::new(get(0), get(1), get(2))?)
            }
        })
    }

    fn purchases(&self) -> Result<Box<dyn PurchaseModel>, Failure> {
        match self.predictor()? {
            Predictor::Purchases(m) => Ok(m),
            Predictor::Spend(_) => Err(Failure::invalid(
                "model",
                "is a Gamma-Gamma spend model; pass a BG/NBD or Pareto/NBD model",
            )),
        }
    }

    fn spend(&self) -> Result<GammaGamma, Failure> {
        match self.predictor()? {
            Predictor::Spend(m) => Ok(m),
            Predictor::Purchases(_) => Err(Failure::invalid(
                "model",
                "is a purchase model; pass a Gamma-Gamma model",
            )),
        }
    }

    fn status(&self) -> qudao_fit_status {
        match self.fit.as_ref().map(|f| &f.status) {
            None => qudao_fit_status::Given,
            Some(FitStatus::Converged) => qudao_fit_status::Converged,
            Some(FitStatus::Boundary { .. }) => qudao_fit_status::Boundary,
            Some(_) => qudao_fit_status::NotConverged,
        }
    }
}

/// The BTYD rows of a summary, compressed.
fn btyd(customers: &qudao_customers) -> Result<BtydData, Failure> {
    BtydData::compress(customers.summary.btyd_rows()).map_err(|(row, e)| {
        Failure::new(
            qudao_status::DataError,
            format!("customer summary row {row}: {e}"),
        )
    })
}

/// Fit BG/NBD by maximum likelihood on the BTYD inputs (`x`, `t_x`, `T`, in the summary's
/// unit) of every customer of `customers`. Deterministic. The result reports parameters,
/// standard errors, the log-likelihood and whether the fit converged, hit a boundary
/// (reported, not hidden) or stopped (`qudao_clv_model_info`, `qudao_clv_model_json`).
///
/// On success `*out` receives a new reference (free with `qudao_clv_model_free`).
/// Nullability: `customers` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread; uses all cores.
///
/// # Safety
/// `customers` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_fit_bgnbd(
    customers: *const qudao_customers,
    out: *mut *const qudao_clv_model,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, out], {
        // SAFETY: `customers` is live (the caller's contract).
        let fit = fit_bgnbd(&btyd(unsafe { borrow(customers) })?);
        let model = qudao_clv_model::fitted(qudao_clv_model_kind::BgNbd, fit, None);
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, model) };
        Ok(())
    })
}

/// Fit Pareto/NBD by maximum likelihood on the BTYD inputs of every customer, as
/// `qudao_clv_fit_bgnbd`.
///
/// On success `*out` receives a new reference (free with `qudao_clv_model_free`).
/// Nullability: `customers` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_fit_pareto_nbd(
    customers: *const qudao_customers,
    out: *mut *const qudao_clv_model,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, out], {
        // SAFETY: `customers` is live (the caller's contract).
        let fit = fit_pareto_nbd(&btyd(unsafe { borrow(customers) })?);
        let model = qudao_clv_model::fitted(qudao_clv_model_kind::ParetoNbd, fit, None);
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, model) };
        Ok(())
    })
}

/// Fit the Gamma-Gamma spend model on the repeat buyers of `customers`: per customer `x` and
/// the mean repeat value (repeat value / `x`, in major currency units, so `gamma` is in
/// major units). Repeat buyers whose repeat value is zero or negative are left out and
/// counted (`excluded_non_positive_spend` in `qudao_clv_model_json`).
///
/// On success `*out` receives a new reference (free with `qudao_clv_model_free`).
/// Nullability: `customers` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_fit_gamma_gamma(
    customers: *const qudao_customers,
    out: *mut *const qudao_clv_model,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, out], {
        // SAFETY: `customers` is live (the caller's contract).
        let c = unsafe { borrow(customers) };
        let exponent = u32::from(c.dataset.inner.currency().exponent);
        let minor_per_major = 10i64
            .checked_pow(exponent)
            .ok_or_else(|| Failure::invalid("customers", "currency exponent too large"))?;
        let (rows, excluded) = c.summary.spend_rows(minor_per_major);
        let fit = fit_gamma_gamma(&rows);
        let model = qudao_clv_model::fitted(qudao_clv_model_kind::GammaGamma, fit, Some(excluded));
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, model) };
        Ok(())
    })
}

/// Hand out a model with given parameters, checked by building its predictor.
///
/// # Safety
/// `out` is valid for writing one pointer.
unsafe fn given(
    kind: qudao_clv_model_kind,
    params: &[(&str, f64)],
    out: *mut *const qudao_clv_model,
) -> Result<(), Failure> {
    let model = qudao_clv_model {
        kind,
        params: params.iter().map(|&(n, v)| (n.to_owned(), v)).collect(),
        fit: None,
        excluded: None,
    };
    model.predictor()?;
    // SAFETY: the caller's contract.
    unsafe { hand_out(out, model) };
    Ok(())
}

/// A BG/NBD model with given parameters (all finite and positive), in the time unit of the
/// data it will predict for (e.g. Fader, Hardie & Lee's CDNOW fit in weeks: 0.243, 4.414,
/// 0.793, 2.426).
///
/// A parameter not finite and positive is `QUDAO_STATUS_INVALID_ARGUMENT` naming it.
/// On success `*out` receives a new reference (free with `qudao_clv_model_free`).
/// Nullability: `out` must not be NULL; `err` may be. Thread safety: any thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_bgnbd_new(
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    out: *mut *const qudao_clv_model,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        let params = [("r", r), ("alpha", alpha), ("a", a), ("b", b)];
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { given(qudao_clv_model_kind::BgNbd, &params, out) }
    })
}

/// A Pareto/NBD model with given parameters (all finite and positive).
///
/// As `qudao_clv_bgnbd_new`.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_pareto_nbd_new(
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    out: *mut *const qudao_clv_model,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        let params = [("r", r), ("alpha", alpha), ("s", s), ("beta", beta)];
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { given(qudao_clv_model_kind::ParetoNbd, &params, out) }
    })
}

/// A Gamma-Gamma spend model with given parameters (all finite and positive; `gamma` in the
/// currency units spend is given in). Predicting spend needs `q > 1`.
///
/// As `qudao_clv_bgnbd_new`.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_gamma_gamma_new(
    p: f64,
    q: f64,
    gamma: f64,
    out: *mut *const qudao_clv_model,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        let params = [("p", p), ("q", q), ("gamma", gamma)];
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { given(qudao_clv_model_kind::GammaGamma, &params, out) }
    })
}

/// Add a reference to a model and return it; NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `model` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_model_clone(
    model: *const qudao_clv_model,
) -> *const qudao_clv_model {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(model) } })
}

/// Release one reference to a model. `qudao_clv_model_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `model` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_model_free(model: *const qudao_clv_model) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(model) } })
}

/// What a model is: `*kind` receives its kind, `*status` how its parameters were obtained,
/// `*params` its number of parameters (4 or 3). Each out-param may be NULL to skip it.
///
/// Nullability: `model` must not be NULL; the out-params and `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `model` is a live reference; each non-NULL out-param is valid for writing one value;
/// `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_model_info(
    model: *const qudao_clv_model,
    kind: *mut qudao_clv_model_kind,
    status: *mut qudao_fit_status,
    params: *mut usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model], {
        // SAFETY: `model` is live (the caller's contract).
        let m = unsafe { borrow(model) };
        // SAFETY: each non-NULL out-param is valid for one write (the caller's contract).
        unsafe {
            if !kind.is_null() {
                kind.write_unaligned(m.kind);
            }
            if !status.is_null() {
                status.write_unaligned(m.status());
            }
            if !params.is_null() {
                params.write_unaligned(m.params.len());
            }
        }
        Ok(())
    })
}

/// Copy a model's parameters into host arrays of `len` elements (`len` must equal the
/// parameter count of `qudao_clv_model_info`), in the model's order (BG/NBD `r, alpha, a,
/// b`; Pareto/NBD `r, alpha, s, beta`; Gamma-Gamma `p, q, gamma`). `std_errors` receives
/// the standard errors of a fit where `std_error_valid` is 1 (0 where the Hessian is
/// singular or the parameters were given). Any array may be NULL; `std_errors` needs
/// `std_error_valid`.
///
/// A wrong `len` is `QUDAO_STATUS_INVALID_ARGUMENT`; then nothing is written.
/// Nullability: `model` must not be NULL; the arrays and `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `model` is a live reference; each non-NULL array has `len` writable elements; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_model_params(
    model: *const qudao_clv_model,
    values: *mut f64,
    std_errors: *mut f64,
    std_error_valid: *mut u8,
    len: usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model], {
        // SAFETY: `model` is live (the caller's contract).
        let m = unsafe { borrow(model) };
        super::check_rows(len, m.params.len(), "len")?;
        if !std_errors.is_null() && std_error_valid.is_null() {
            return Err(Failure::null("std_error_valid"));
        }
        let values = OutArray::optional(values, len, "values")?;
        let se = OutArray::optional(std_errors, len, "std_errors")?;
        let valid = OutArray::optional(std_error_valid, len, "std_error_valid")?;
        for (i, (_, v)) in m.params.iter().enumerate() {
            let e = m.fit.as_ref().and_then(|f| f.std_errors.get(i).copied().flatten());
            // SAFETY: each array has `len` writable elements (the caller's
            // contract) and `i < len`.
            unsafe {
                if let Some(a) = &values {
                    a.set(i, *v);
                }
                if let Some(a) = &se {
                    a.set(i, e.unwrap_or(0.0));
                }
                if let Some(a) = &valid {
                    a.set(i, u8::from(e.is_some()));
                }
            }
        }
        Ok(())
    })
}

/// A model as UTF-8 JSON: `model` (`bg_nbd`, `pareto_nbd` or `gamma_gamma`), `params`
/// (name → value), `fit` (null for given parameters; else `params`, `std_errors`,
/// `log_likelihood` in the data's time unit, `status` with the boundary parameter if any,
/// `customers`, `evaluations`) and, for a Gamma-Gamma fit on a summary,
/// `excluded_non_positive_spend`.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `model` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `model` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_model_json(
    model: *const qudao_clv_model,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model, out], {
        // SAFETY: `model` is live (the caller's contract).
        let m = unsafe { borrow(model) };
        let name = match m.kind {
            qudao_clv_model_kind::BgNbd => "bg_nbd",
            qudao_clv_model_kind::ParetoNbd => "pareto_nbd",
            qudao_clv_model_kind::GammaGamma => "gamma_gamma",
        };
        let mut params = serde_json::Map::new();
        for (n, v) in &m.params {
            params.insert(n.clone(), json_value(serde_json::to_value(v))?);
        }
        let mut map = serde_json::Map::new();
        map.insert("model".into(), name.into());
        map.insert("params".into(), params.into());
        map.insert("fit".into(), json_value(serde_json::to_value(&m.fit))?);
        if let Some(n) = m.excluded {
            map.insert("excluded_non_positive_spend".into(), n.into());
        }
        let json = to_json!(&map)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Read the `(x, t_x, T)` columns of `n` customers.
///
/// # Safety
/// Each pointer holds `n` readable values.
unsafe fn rows<'a>(
    x: *const f64,
    t_x: *const f64,
    t: *const f64,
    n: usize,
) -> Result<Customers<'a>, Failure> {
    // SAFETY: the caller's contract.
    unsafe {
        Ok(Customers {
            x: args::slice(x, n, "x")?,
            t_x: args::slice(t_x, n, "t_x")?,
            t: args::slice(t, n, "T")?,
        })
    }
}

/// Write `values` to the host array `out` of `n` elements.
///
/// # Safety
/// `out` has `n` writable elements.
unsafe fn put(out: *mut f64, n: usize, values: &[f64]) -> Result<(), Failure> {
    let out = OutArray::required(out, n, "out")?;
    // SAFETY: the caller's contract.
    unsafe { out.fill_from(values) };
    Ok(())
}

/// The probability that each of `n` customers is still active ("alive") at `T`, under a
/// BG/NBD or Pareto/NBD `model`. Customer `i` is `x[i]` repeat purchases, the last at
/// `t_x[i]`, observed for `T[i]` since the first purchase, in the model's time unit (the
/// `x`, `t_x`, `t` columns of `qudao_customers_columns`).
///
/// Errors: a bad row (negative, not finite, `t_x > T`, `x > 0` with `t_x = 0`) is
/// `QUDAO_STATUS_INVALID_ARGUMENT` naming it (`t_x[17]`); a spend model is
/// `QUDAO_STATUS_INVALID_ARGUMENT`. Then `out` is not written.
/// Nullability: `model` must not be NULL; the arrays may be NULL only when `n` is 0; `err`
/// may be NULL. Thread safety: may be called from any thread; uses all cores.
///
/// # Safety
/// `model` is a live reference; `x`, `t_x`, `T` hold `n` readable values; `out` has `n`
/// writable values; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
#[expect(
    non_snake_case,
    reason = "`T` is the BTYD name of the customer's age, as the errors call it"
)]
pub unsafe extern "C" fn qudao_clv_probability_alive(
    model: *const qudao_clv_model,
    x: *const f64,
    t_x: *const f64,
    T: *const f64,
    n: usize,
    out: *mut f64,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model], {
        // SAFETY: `model` is live; the arrays hold `n` values (the caller's contract).
        let (m, c) = unsafe { (borrow(model), rows(x, t_x, T, n)?) };
        let values = m.purchases()?.probability_alive_batch(&c)?;
        // SAFETY: `out` has `n` writable values (the caller's contract).
        unsafe { put(out, n, &values) }
    })
}

/// The expected number of purchases of each of `n` customers in the next `t` time units,
/// `(T, T + t]`, given their history, under a BG/NBD or Pareto/NBD `model`. Rows as for
/// `qudao_clv_probability_alive`.
///
/// Errors: `t` negative or not finite, a bad row (named), a spend model:
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then `out` is not written.
/// Nullability, thread safety: as `qudao_clv_probability_alive`.
///
/// # Safety
/// As `qudao_clv_probability_alive`.
#[unsafe(no_mangle)]
#[expect(
    non_snake_case,
    reason = "`T` is the BTYD name of the customer's age, as the errors call it"
)]
pub unsafe extern "C" fn qudao_clv_expected_purchases(
    model: *const qudao_clv_model,
    t: f64,
    x: *const f64,
    t_x: *const f64,
    T: *const f64,
    n: usize,
    out: *mut f64,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model], {
        // SAFETY: `model` is live; the arrays hold `n` values (the caller's contract).
        let (m, c) = unsafe { (borrow(model), rows(x, t_x, T, n)?) };
        let values = m.purchases()?.conditional_expected_purchases_batch(t, &c)?;
        // SAFETY: `out` has `n` writable values (the caller's contract).
        unsafe { put(out, n, &values) }
    })
}

/// The expected spend per purchase of each of `n` customers under a Gamma-Gamma `model`:
/// customer `i` made `x[i]` repeat purchases of mean value `mean_spend[i]` (≥ 0, in the
/// currency units the model was fitted in: major units for `qudao_clv_fit_gamma_gamma`); the
/// estimate shrinks it towards the population mean (`x = 0` gives the population mean).
///
/// Errors: a bad row (named), a purchase model, or `q ≤ 1` (no finite mean):
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then `out` is not written.
/// Nullability: `model` must not be NULL; the arrays may be NULL only when `n` is 0; `err`
/// may be NULL. Thread safety: may be called from any thread.
///
/// # Safety
/// `model` is a live reference; `x` and `mean_spend` hold `n` readable values; `out` has `n`
/// writable values; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_expected_spend(
    model: *const qudao_clv_model,
    x: *const f64,
    mean_spend: *const f64,
    n: usize,
    out: *mut f64,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model], {
        // SAFETY: `model` is live; the arrays hold `n` values (the caller's contract).
        let (m, x, spend) = unsafe {
            (
                borrow(model),
                args::slice(x, n, "x")?,
                args::slice(mean_spend, n, "mean_spend")?,
            )
        };
        let values = m.spend()?.conditional_expected_spend_batch(x, spend)?;
        // SAFETY: `out` has `n` writable values (the caller's contract).
        unsafe { put(out, n, &values) }
    })
}

/// The horizon and discounting of `qudao_clv_value`. Fill one in with
/// `qudao_clv_options_init` and change what you need.
///
/// Versioning: `struct_size` must be `sizeof(qudao_clv_options)`.
/// Ownership: owned by the host; read during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_clv_options {
    /// `sizeof(qudao_clv_options)`.
    pub struct_size: u32,
    /// Number of steps in the horizon (1..=100000).
    pub steps: u32,
    /// Length of one step in the model's time unit (4.345 weeks for a month).
    pub step: f64,
    /// Discount rate per step (0.01 is 1 % a step), above −1.
    pub discount_rate: f64,
}

/// Fill `opts` with twelve monthly steps of 4.345 weeks at 1 % a month (the `lifetimes`
/// defaults for weekly data). Does nothing when `opts` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `opts` is NULL or valid for writing one `qudao_clv_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_clv_options_init(opts: *mut qudao_clv_options) {
    ffi!(default: (), {
        if !opts.is_null() {
            let d = ClvOptions::monthly_in_weeks();
            // SAFETY: `opts` is non-NULL and valid for one write (the caller's contract).
            unsafe {
                opts.write_unaligned(qudao_clv_options {
                    struct_size: size_of::<qudao_clv_options>() as u32,
                    steps: d.steps,
                    step: d.step,
                    discount_rate: d.discount_rate,
                });
            }
        }
    })
}

/// The discounted customer lifetime value of each of `n` customers:
/// `Σ_{i=1..steps} (E[N(i·step)] − E[N((i−1)·step)]) · spend[i] / (1 + discount_rate)^i`,
/// with `E[N(t)]` the purchase `model`'s expected purchases in `(T, T + t]` and `spend[i]`
/// the expected value per purchase (e.g. from `qudao_clv_expected_spend`). Rows as for
/// `qudao_clv_probability_alive`. The values are estimates in the currency units of `spend`.
///
/// Errors: bad options (named field), a bad row (named), a spend model:
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then `out` is not written.
/// Nullability: `model` and `opts` must not be NULL; the arrays may be NULL only when `n` is
/// 0; `err` may be NULL. Thread safety: may be called from any thread; uses all cores.
///
/// # Safety
/// `model` is a live reference; `x`, `t_x`, `T` and `spend` hold `n` readable values; `opts`
/// is a valid `qudao_clv_options`; `out` has `n` writable values; `err` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
#[expect(
    non_snake_case,
    reason = "`T` is the BTYD name of the customer's age, as the errors call it"
)]
pub unsafe extern "C" fn qudao_clv_value(
    model: *const qudao_clv_model,
    x: *const f64,
    t_x: *const f64,
    T: *const f64,
    spend: *const f64,
    n: usize,
    opts: *const qudao_clv_options,
    out: *mut f64,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [model, opts], {
        // SAFETY: `opts` is non-NULL and readable for its first field (the caller's contract).
        let size = unsafe { std::ptr::addr_of!((*opts).struct_size).read_unaligned() };
        if size as usize != size_of::<qudao_clv_options>() {
            return Err(Failure::invalid(
                "opts",
                format!(
                    "struct_size is {size}, this library knows qudao_clv_options of {} bytes; \
                     set struct_size = sizeof(qudao_clv_options) or use qudao_clv_options_init",
                    size_of::<qudao_clv_options>()
                ),
            ));
        }
        // SAFETY: the struct is complete (size checked); plain numbers only.
        let o = unsafe { opts.read_unaligned() };
        let options = ClvOptions {
            step: o.step,
            steps: o.steps,
            discount_rate: o.discount_rate,
        };
        // SAFETY: `model` is live; the arrays hold `n` values (the caller's contract).
        let (m, c, spend) = unsafe { (borrow(model), rows(x, t_x, T, n)?, args::slice(spend, n, "spend")?) };
        let values = clv_batch(m.purchases()?.as_ref(), &c, spend, &options)?;
        // SAFETY: `out` has `n` writable values (the caller's contract).
        unsafe { put(out, n, &values) }
    })
}
