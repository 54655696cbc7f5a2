//! Conversions between Arrow columns and the core's plain vectors, for the customer-value
//! bindings: record batches out (money as `Decimal128` at the currency's scale, as the
//! summary tables), and numeric, text and date columns in from any Arrow-exporting table.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, Decimal128Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateAccess, PyString};
use pyo3_arrow::input::AnyRecordBatch;

use crate::table::Table;

/// A column of an output batch: name, values, whether it may hold nulls.
pub(crate) type Column = (&'static str, ArrayRef, bool);

/// A record batch from columns; `currency` goes into the schema metadata (as in the summary
/// tables) when the batch holds money.
pub(crate) fn batch(columns: Vec<Column>, currency: Option<&str>) -> qudao::Result<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a, nullable)| Field::new(*name, a.data_type().clone(), *nullable))
        .collect();
    let mut schema = Schema::new(fields);
    if let Some(code) = currency {
        schema = schema.with_metadata([("currency".to_owned(), code.to_owned())].into());
    }
    let arrays = columns.into_iter().map(|(_, a, _)| a).collect();
    RecordBatch::try_new(Arc::new(schema), arrays)
        .map_err(|e| qudao::Error::invalid_argument("table", e.to_string()))
}

/// A table of one batch.
pub(crate) fn table(columns: Vec<Column>, currency: Option<&str>) -> qudao::Result<Table> {
    Ok(Table::from_batch(batch(columns, currency)?))
}

/// Money in minor units as `Decimal128(38, exponent)`.
pub(crate) fn money(
    values: impl IntoIterator<Item = Option<i128>>,
    exponent: u8,
) -> qudao::Result<ArrayRef> {
    decimal(values, exponent as i8)
}

/// Mantissas at `scale` as `Decimal128(38, scale)`.
pub(crate) fn decimal(
    values: impl IntoIterator<Item = Option<i128>>,
    scale: i8,
) -> qudao::Result<ArrayRef> {
    let a = Decimal128Array::from(values.into_iter().collect::<Vec<_>>())
        .with_precision_and_scale(38, scale)
        .map_err(|e| qudao::Error::invalid_argument("table", e.to_string()))?;
    Ok(Arc::new(a))
}

/// `mantissa · 10^(to − scale)` exactly, for decimals of scale ≤ `to`.
pub(crate) fn rescaled(mantissa: i128, scale: u32, to: u32) -> qudao::Result<i128> {
    10i128
        .checked_pow(to.saturating_sub(scale))
        .and_then(|p| mantissa.checked_mul(p))
        .ok_or_else(|| qudao::Error::overflow("a decimal rescaled to 38 digits"))
}

/// A date argument: a `datetime.date` (or `datetime`, whose day is taken) or ISO text.
pub(crate) fn date_arg(name: &str, value: &Bound<'_, PyAny>) -> qudao::Result<qudao::Date> {
    if let Ok(d) = value.cast::<PyDate>() {
        let (y, m, day) = (d.get_year(), d.get_month(), d.get_day());
        return qudao::Date::from_ymd(y, u32::from(m), u32::from(day))
            .map_err(|e| qudao::Error::invalid_argument(name, e.to_string()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        let text = s
            .to_cow()
            .map_err(|e| qudao::Error::invalid_argument(name, e.to_string()))?;
        return text.trim().parse::<qudao::Date>().map_err(|e| {
            qudao::Error::invalid_argument(name, format!("{text:?} is not a YYYY-MM-DD date: {e}"))
        });
    }
    let kind = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(qudao::Error::invalid_argument(
        name,
        format!("expected a datetime.date or YYYY-MM-DD text, not {kind}"),
    ))
}

/// Read an Arrow-exporting object into record batches (the GIL is held: the stream may call
/// back into its Python producer).
pub(crate) fn read_batches(input: AnyRecordBatch) -> PyResult<Vec<RecordBatch>> {
    let reader = input.into_reader()?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// Input batches with the name of the argument they came from, for error locations.
#[derive(Debug)]
pub(crate) struct Input {
    /// Argument name (the `source` of data errors).
    pub(crate) name: &'static str,
    /// The batches.
    pub(crate) batches: Vec<RecordBatch>,
}

impl Input {
    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn bad(&self, row: usize, column: &str, value: Option<String>, reason: String) -> qudao::Error {
        qudao::Error::data(
            qudao::Location {
                source: self.name.to_owned(),
                // Rows are 1-based (there is no header line in an Arrow table).
                line: row as u64 + 1,
                column: Some(column.to_owned()),
                value,
            },
            reason,
        )
    }

    /// The column's arrays, one per batch; a missing column is a data error naming the header.
    fn arrays(&self, column: &str) -> qudao::Result<Vec<ArrayRef>> {
        let Some(first) = self.batches.first() else {
            return Ok(Vec::new());
        };
        if first.schema().column_with_name(column).is_none() {
            let found = first
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(qudao::Error::MissingColumn {
                source_name: self.name.to_owned(),
                column: column.to_owned(),
                found,
            });
        }
        Ok(self
            .batches
            .iter()
            .filter_map(|b| b.column_by_name(column).cloned())
            .collect())
    }

    /// A numeric column as `f64` (any integer or float type); nulls and NaN are errors.
    pub(crate) fn f64s(&self, column: &str) -> qudao::Result<Vec<f64>> {
        let mut out = Vec::with_capacity(self.rows());
        for a in self.arrays(column)? {
            let start = out.len();
            macro_rules! push {
                ($t:ty) => {
                    out.extend(a.as_primitive::<$t>().values().iter().map(|&v| v as f64))
                };
            }
            match a.data_type() {
                DataType::Float64 => push!(Float64Type),
                DataType::Float32 => push!(Float32Type),
                DataType::Int64 => push!(Int64Type),
                DataType::Int32 => push!(Int32Type),
                DataType::Int16 => push!(Int16Type),
                DataType::Int8 => push!(Int8Type),
                DataType::UInt64 => push!(UInt64Type),
                DataType::UInt32 => push!(UInt32Type),
                DataType::UInt16 => push!(UInt16Type),
                DataType::UInt8 => push!(UInt8Type),
                other => {
                    return Err(self.bad(
                        start,
                        column,
                        None,
                        format!("expected a numeric column, found {other}"),
                    ));
                }
            }
            if let Some(i) = (0..a.len()).find(|&i| a.is_null(i) || out[start + i].is_nan()) {
                return Err(self.bad(start + i, column, None, "missing value".to_owned()));
            }
        }
        Ok(out)
    }

    /// An integer column as `i64`; nulls are errors.
    pub(crate) fn i64s(&self, column: &str) -> qudao::Result<Vec<i64>> {
        let mut out = Vec::with_capacity(self.rows());
        for a in self.arrays(column)? {
            let start = out.len();
            macro_rules! push {
                ($t:ty) => {
                    out.extend(
                        a.as_primitive::<$t>()
                            .values()
                            .iter()
                            .map(|&v| i64::from(v)),
                    )
                };
            }
            match a.data_type() {
                DataType::Int64 => push!(Int64Type),
                DataType::Int32 => push!(Int32Type),
                DataType::Int16 => push!(Int16Type),
                DataType::Int8 => push!(Int8Type),
                DataType::UInt32 => push!(UInt32Type),
                DataType::UInt16 => push!(UInt16Type),
                DataType::UInt8 => push!(UInt8Type),
                DataType::UInt64 => {
                    for (i, &v) in a.as_primitive::<UInt64Type>().values().iter().enumerate() {
                        let v = i64::try_from(v).map_err(|_| {
                            self.bad(start + i, column, Some(v.to_string()), "too large".into())
                        })?;
                        out.push(v);
                    }
                }
                other => {
                    return Err(self.bad(
                        start,
                        column,
                        None,
                        format!("expected an integer column, found {other}"),
                    ));
                }
            }
            if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
                return Err(self.bad(start + i, column, None, "missing value".to_owned()));
            }
        }
        Ok(out)
    }

    /// A text column (`Utf8`, `LargeUtf8`, `Utf8View`, or dictionary of those); nulls are
    /// errors.
    pub(crate) fn strings(&self, column: &str) -> qudao::Result<Vec<String>> {
        let mut out = Vec::with_capacity(self.rows());
        for a in self.arrays(column)? {
            let start = out.len();
            text_values(&a, &mut out).map_err(|found| {
                self.bad(
                    start,
                    column,
                    None,
                    format!("expected a text column, found {found}"),
                )
            })?;
            if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
                return Err(self.bad(start + i, column, None, "missing value".to_owned()));
            }
        }
        Ok(out)
    }

    /// A date column: `Date32`, or ISO `YYYY-MM-DD` text; nulls are errors.
    pub(crate) fn dates(&self, column: &str) -> qudao::Result<Vec<qudao::Date>> {
        let mut out = Vec::with_capacity(self.rows());
        for a in self.arrays(column)? {
            let start = out.len();
            if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
                return Err(self.bad(start + i, column, None, "missing value".to_owned()));
            }
            if *a.data_type() == DataType::Date32 {
                out.extend(
                    a.as_primitive::<Date32Type>()
                        .values()
                        .iter()
                        .map(|&d| qudao::Date(d)),
                );
                continue;
            }
            let mut text = Vec::with_capacity(a.len());
            text_values(&a, &mut text).map_err(|found| {
                self.bad(
                    start,
                    column,
                    None,
                    format!("expected Date32 or text, found {found}"),
                )
            })?;
            for (i, t) in text.into_iter().enumerate() {
                let d = t.trim().parse::<qudao::Date>().map_err(|e| {
                    self.bad(
                        start + i,
                        column,
                        Some(t.clone()),
                        format!("not a date: {e}"),
                    )
                })?;
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// Push the text values of `a` (nulls as empty text); `Err(type)` if it is not text.
fn text_values(a: &ArrayRef, out: &mut Vec<String>) -> Result<(), String> {
    match a.data_type() {
        DataType::Utf8 => out.extend(
            a.as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned()),
        ),
        DataType::LargeUtf8 => out.extend(
            a.as_string::<i64>()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned()),
        ),
        DataType::Utf8View => out.extend(
            a.as_string_view()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned()),
        ),
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let mut values = Vec::with_capacity(d.values().len());
            text_values(d.values(), &mut values)?;
            let keys = d.normalized_keys();
            out.extend(
                keys.iter()
                    .map(|&k| values.get(k).cloned().unwrap_or_default()),
            );
        }
        other => return Err(other.to_string()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use arrow_array::{
        Date32Array, DictionaryArray, Float64Array, Int64Array, StringArray, StringViewArray,
        types::UInt32Type,
    };

    use super::*;

    fn input(columns: Vec<(&str, ArrayRef)>) -> Input {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        Input {
            name: "data",
            batches: vec![batch.clone(), batch],
        }
    }

    #[test]
    fn numbers_of_any_type_become_f64_across_batches() {
        let t = input(vec![
            ("x", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            (
                "t",
                Arc::new(Float64Array::from(vec![0.5, 1.5])) as ArrayRef,
            ),
        ]);
        assert_eq!(t.rows(), 4);
        assert_eq!(t.f64s("x").unwrap(), vec![1.0, 2.0, 1.0, 2.0]);
        assert_eq!(t.f64s("t").unwrap(), vec![0.5, 1.5, 0.5, 1.5]);
        assert_eq!(t.i64s("x").unwrap(), vec![1, 2, 1, 2]);
        assert!(matches!(t.i64s("t"), Err(qudao::Error::Data { .. })));
    }

    #[test]
    fn missing_columns_nulls_and_nan_are_data_errors_with_rows() {
        let t = input(vec![(
            "x",
            Arc::new(Float64Array::from(vec![Some(1.0), None])) as ArrayRef,
        )]);
        match t.f64s("x") {
            Err(qudao::Error::Data { location, .. }) => {
                assert_eq!((location.line, location.column.as_deref()), (2, Some("x")));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            t.f64s("T"),
            Err(qudao::Error::MissingColumn { ref column, .. }) if column == "T"
        ));
        let nan = input(vec![(
            "x",
            Arc::new(Float64Array::from(vec![1.0, f64::NAN])) as ArrayRef,
        )]);
        assert!(matches!(nan.f64s("x"), Err(qudao::Error::Data { .. })));
    }

    #[test]
    fn text_of_every_layout_and_dates_from_text() {
        let dict: DictionaryArray<UInt32Type> = vec!["b", "a"].into_iter().collect();
        let t = input(vec![
            (
                "plain",
                Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef,
            ),
            (
                "view",
                Arc::new(StringViewArray::from(vec!["x", "y"])) as ArrayRef,
            ),
            ("dict", Arc::new(dict) as ArrayRef),
            (
                "day",
                Arc::new(StringArray::from(vec!["2025-01-02", "2025-12-31"])) as ArrayRef,
            ),
            ("d32", Arc::new(Date32Array::from(vec![0, 1])) as ArrayRef),
        ]);
        assert_eq!(t.strings("plain").unwrap(), ["x", "y", "x", "y"]);
        assert_eq!(t.strings("view").unwrap(), ["x", "y", "x", "y"]);
        assert_eq!(t.strings("dict").unwrap(), ["b", "a", "b", "a"]);
        assert_eq!(
            t.dates("day").unwrap()[1],
            "2025-12-31".parse::<qudao::Date>().unwrap()
        );
        assert_eq!(t.dates("d32").unwrap()[1], qudao::Date(1));
        assert!(matches!(t.strings("d32"), Err(qudao::Error::Data { .. })));
        assert!(matches!(t.dates("plain"), Err(qudao::Error::Data { .. })));
    }

    #[test]
    fn decimals_rescale_exactly_and_batches_carry_the_currency() {
        assert_eq!(rescaled(15, 1, 3).unwrap(), 1500);
        assert_eq!(rescaled(7, 2, 2).unwrap(), 7);
        assert!(matches!(
            rescaled(i128::MAX / 2, 0, 5),
            Err(qudao::Error::Overflow { .. })
        ));
        let b = batch(
            vec![("m", money([Some(1234), None], 2).unwrap(), true)],
            Some("CNY"),
        )
        .unwrap();
        assert_eq!(b.schema().metadata()["currency"], "CNY");
        assert_eq!(
            *b.schema().field(0).data_type(),
            DataType::Decimal128(38, 2)
        );
    }
}
