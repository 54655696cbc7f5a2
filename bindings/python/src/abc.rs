//! ABC (Pareto) classes of customers, partners or products by net revenue.

use std::sync::Arc;

use arrow_array::{StringArray, UInt64Array};
use pyo3::prelude::*;
use qudao::abc::{AbcScheme, RevenueClasses, Subject};
use qudao::document::Format;

use crate::columns::{Column, date_arg, decimal, money, rescaled, table};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

/// An ABC classification by net revenue (immutable).
#[pyclass(frozen, module = "qudao._native", name = "Abc")]
#[derive(Debug)]
pub struct Abc {
    inner: RevenueClasses,
    table: Table,
    classes: Table,
    total: String,
}

impl Abc {
    fn build(data: &qudao::Dataset, scheme: &AbcScheme, r: RevenueClasses) -> qudao::Result<Abc> {
        let cur = data.currency();
        let e = cur.exponent;
        let code = Some(cur.code.as_str());
        let subject = match r.subject {
            Subject::Customer => "customer",
            Subject::Partner => "partner",
            Subject::Product => "product",
        };
        let labels: Vec<&str> = r.abc.classes.iter().map(|c| c.label.as_str()).collect();
        let items: Vec<Column> = vec![
            (
                subject,
                Arc::new(StringArray::from_iter_values(r.ids.iter())),
                false,
            ),
            (
                "revenue",
                money(r.revenue.iter().map(|&v| Some(i128::from(v))), e)?,
                false,
            ),
            (
                "class",
                Arc::new(StringArray::from_iter_values(
                    r.abc
                        .class_of
                        .iter()
                        .map(|&k| labels.get(usize::from(k)).copied().unwrap_or("")),
                )),
                false,
            ),
        ];
        let cs = &r.abc.classes;
        let limit_scale = scheme
            .classes
            .iter()
            .map(|(_, l)| l.scale())
            .max()
            .unwrap_or(0);
        let limits = scheme
            .classes
            .iter()
            .map(|(_, l)| rescaled(l.mantissa(), l.scale(), limit_scale).map(Some))
            .collect::<qudao::Result<Vec<_>>>()?;
        let classes: Vec<Column> = vec![
            (
                "class",
                Arc::new(StringArray::from_iter_values(labels.iter().copied())),
                false,
            ),
            ("limit", decimal(limits, limit_scale as i8)?, false),
            (
                "items",
                Arc::new(UInt64Array::from_iter_values(cs.iter().map(|c| c.items))),
                false,
            ),
            (
                "revenue",
                money(cs.iter().map(|c| Some(c.value)), e)?,
                false,
            ),
            // Shares are rounded to 6 places by the core: their mantissas at scale 6.
            (
                "share",
                decimal(
                    cs.iter().map(|c| {
                        c.share.map(|mut d| {
                            d.rescale(6);
                            d.mantissa()
                        })
                    }),
                    6,
                )?,
                true,
            ),
            (
                "cumulative_share",
                decimal(
                    cs.iter().map(|c| {
                        c.cumulative_share.map(|mut d| {
                            d.rescale(6);
                            d.mantissa()
                        })
                    }),
                    6,
                )?,
                true,
            ),
            (
                "min_revenue",
                money(cs.iter().map(|c| c.min_value.map(i128::from)), e)?,
                true,
            ),
            (
                "max_revenue",
                money(cs.iter().map(|c| c.max_value.map(i128::from)), e)?,
                true,
            ),
        ];
        let total = qudao::money::format_minor(r.abc.total, e);
        Ok(Abc {
            table: table(items, code)?,
            classes: table(classes, code)?,
            total,
            inner: r,
        })
    }
}

#[pymethods]
impl Abc {
    /// `customer`, `partner` or `product`.
    #[getter]
    fn subject(&self) -> &'static str {
        match self.inner.subject {
            Subject::Customer => "customer",
            Subject::Partner => "partner",
            Subject::Product => "product",
        }
    }

    /// One row per item with revenue in the window, in id order: id, revenue, class.
    #[getter]
    fn table(&self) -> Table {
        self.table.clone()
    }

    /// One row per class: limit, items, revenue, share, cumulative share, boundaries.
    #[getter]
    fn classes(&self) -> Table {
        self.classes.clone()
    }

    /// Sum of the positive revenues, as decimal text in currency units.
    #[getter]
    fn total(&self) -> String {
        self.total.clone()
    }

    fn __repr__(&self) -> String {
        let counts: Vec<String> = self
            .inner
            .abc
            .classes
            .iter()
            .map(|c| format!("{} {}", c.label, c.items))
            .collect();
        format!("<qudao Abc of {}s: {}>", self.subject(), counts.join(", "))
    }
}

/// Classify customers, partners or products by net revenue in `[start, end]`.
/// `scheme` is JSON: `{"classes": [["A", "0.8"], ["B", "0.95"], ["C", "1"]]}` (cumulative
/// limits); `None` is that default.
#[pyfunction]
#[pyo3(signature = (dataset, subject, *, start = None, end = None, scheme = None))]
fn abc(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    subject: &str,
    start: Option<Bound<'_, PyAny>>,
    end: Option<Bound<'_, PyAny>>,
    scheme: Option<String>,
) -> PyResult<Abc> {
    entry(py, || {
        let args = (|| -> qudao::Result<_> {
            let subject = Subject::parse(subject).ok_or_else(|| {
                qudao::Error::invalid_argument(
                    "subject",
                    format!("{subject:?} is not one of customer, partner, product"),
                )
            })?;
            let start = start.map(|d| date_arg("start", &d)).transpose()?;
            let end = end.map(|d| date_arg("end", &d)).transpose()?;
            Ok((subject, start, end))
        })()
        .map_err(|e| errors::to_pyerr(py, e))?;
        let (subject, start, end) = args;
        let data = Arc::clone(&dataset.inner);
        run(py, move || {
            let scheme: AbcScheme = match scheme {
                None => AbcScheme::default(),
                Some(text) => qudao::document::parse_any(&text, Format::Json)?,
            };
            let r = qudao::abc::revenue_classes(&data, subject, start, end, &scheme)?;
            Abc::build(&data, &scheme, r)
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Abc>()?;
    m.add_function(wrap_pyfunction!(abc, m)?)?;
    Ok(())
}
