//! `Table`: record batches handed to Python through the Arrow PyCapsule interface.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, UInt8Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, SchemaRef};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDate, PyDict, PyList};
use pyo3_arrow::ffi::{ArrayIterator, to_stream_pycapsule};

use crate::entry;

/// An immutable table of record batches. Export it with `__arrow_c_stream__` (polars,
/// pyarrow, duckdb … read it without copying) or read it as Python objects with `to_pylist`.
#[pyclass(frozen, module = "qudao._native", name = "Table")]
#[derive(Debug, Clone)]
pub struct Table {
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

impl Table {
    /// A table of one batch.
    pub(crate) fn from_batch(batch: RecordBatch) -> Self {
        Table {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }

    /// A table of batches that all have `schema`.
    pub(crate) fn new(batches: Vec<RecordBatch>, schema: SchemaRef) -> Self {
        Table { batches, schema }
    }

    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// One cell as a Python object. Decimal columns become `decimal.Decimal` (exact).
fn cell<'py>(
    py: Python<'py>,
    decimal: &Bound<'py, PyAny>,
    a: &ArrayRef,
    i: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if a.is_null(i) {
        return Ok(py.None().into_bound(py));
    }
    match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).into_bound_py_any(py),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).into_bound_py_any(py),
        DataType::UInt64 => a
            .as_primitive::<UInt64Type>()
            .value(i)
            .into_bound_py_any(py),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into_bound_py_any(py),
        DataType::UInt32 => a
            .as_primitive::<UInt32Type>()
            .value(i)
            .into_bound_py_any(py),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i).into_bound_py_any(py),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into_bound_py_any(py),
        DataType::Float64 => a
            .as_primitive::<Float64Type>()
            .value(i)
            .into_bound_py_any(py),
        DataType::Boolean => a.as_boolean().value(i).into_bound_py_any(py),
        DataType::Date32 => {
            let d = qudao::Date(a.as_primitive::<Date32Type>().value(i));
            let (y, m, day) = d.ymd();
            // Month and day are 1..=12 and 1..=31 by construction.
            PyDate::new(py, y, m as u8, day as u8).map(Bound::into_any)
        }
        DataType::Dictionary(k, _) if **k == DataType::UInt32 => {
            let d = a.as_dictionary::<UInt32Type>();
            let key = d.keys().value(i) as usize;
            cell(py, decimal, d.values(), key)
        }
        DataType::Decimal128(_, _) => {
            decimal.call1((a.as_primitive::<Decimal128Type>().value_as_string(i),))
        }
        other => Err(PyTypeError::new_err(format!(
            "to_pylist: unsupported Arrow type {other}"
        ))),
    }
}

#[pymethods]
impl Table {
    /// Export as an Arrow C stream (the Arrow PyCapsule interface).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        entry(py, || {
            let field = Field::new_struct("", self.schema.fields().clone(), false)
                .with_metadata(self.schema.metadata().clone());
            let arrays = self
                .batches
                .clone()
                .into_iter()
                .map(|b| Ok(Arc::new(StructArray::from(b)) as ArrayRef));
            let reader = Box::new(ArrayIterator::new(arrays, field.into()));
            Ok(to_stream_pycapsule(py, reader, requested_schema)?)
        })
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Schema metadata (for summaries: `currency`).
    #[getter]
    fn metadata(&self) -> std::collections::HashMap<String, String> {
        self.schema.metadata().clone()
    }

    /// The rows as a list of dicts (no pyarrow needed); money as `decimal.Decimal`.
    fn to_pylist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        entry(py, || {
            let decimal = py.import("decimal")?.getattr("Decimal")?;
            let names = self.column_names();
            let out = PyList::empty(py);
            for b in &self.batches {
                for i in 0..b.num_rows() {
                    let row = PyDict::new(py);
                    for (name, a) in names.iter().zip(b.columns()) {
                        row.set_item(name, cell(py, &decimal, a, i)?)?;
                    }
                    out.append(row)?;
                }
            }
            Ok(out)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao Table: {} rows × {} columns>",
            self.num_rows(),
            self.schema.fields().len()
        )
    }
}
