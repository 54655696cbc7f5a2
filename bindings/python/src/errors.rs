//! The exception hierarchy and the one mapping from the core [`qudao::Error`] to it.
//!
//! The classes are made with `type(name, bases, namespace)` at first use so that they can
//! inherit from two built-in exceptions at once (`DataError` is both a `QudaoError` and a
//! `ValueError`), which `create_exception!` cannot express. Every attribute a class documents
//! exists on the class with the value `None`, so `err.line` never raises `AttributeError`.

use std::any::Any;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyArithmeticError, PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// The exception classes, made once per interpreter.
pub(crate) struct Exceptions {
    pub(crate) base: Py<PyType>,
    pub(crate) data: Py<PyType>,
    pub(crate) rule: Py<PyType>,
    pub(crate) io: Py<PyType>,
    pub(crate) overflow: Py<PyType>,
    pub(crate) argument: Py<PyType>,
    pub(crate) internal: Py<PyType>,
}

static EXCEPTIONS: PyOnceLock<Exceptions> = PyOnceLock::new();

/// Make one class: `type(name, bases, {"__module__": "qudao", "__doc__": doc, attr: None…})`.
fn make(
    py: Python<'_>,
    name: &str,
    bases: &[Bound<'_, PyType>],
    doc: &str,
    attrs: &[&str],
) -> PyResult<Py<PyType>> {
    let ns = PyDict::new(py);
    ns.set_item("__module__", "qudao")?;
    ns.set_item("__doc__", doc)?;
    for a in attrs {
        ns.set_item(*a, py.None())?;
    }
    let bases = PyTuple::new(py, bases)?;
    let t = py.get_type::<PyType>().call1((name, bases, ns))?;
    Ok(t.cast_into::<PyType>()?.unbind())
}

fn build(py: Python<'_>) -> PyResult<Exceptions> {
    let base = make(
        py,
        "QudaoError",
        &[py.get_type::<PyException>()],
        "Base class of every error raised by qudao.",
        &[],
    )?;
    let b = base.bind(py).clone();
    Ok(Exceptions {
        data: make(
            py,
            "DataError",
            &[b.clone(), py.get_type::<PyValueError>()],
            "A record of tabular data is bad, or a required column is missing.\n\n\
             Attributes (``None`` when not known): ``source`` (file or table), ``line`` \
             (1-based; the header is line 1), ``column``, ``value``, ``reason``.",
            &["source", "line", "column", "value", "reason"],
        )?,
        rule: make(
            py,
            "RuleError",
            &[b.clone(), py.get_type::<PyValueError>()],
            "A document (master data, rules) is invalid or cannot be parsed.\n\n\
             Attributes: ``path`` (field path such as ``partners[3].territories``, ``None`` \
             for a syntax error), ``format`` (``json``/``toml``/``yaml`` for a syntax error), \
             ``reason``.",
            &["path", "format", "reason"],
        )?,
        io: make(
            py,
            "QudaoIOError",
            &[b.clone(), py.get_type::<PyOSError>()],
            "Reading a file failed. ``filename`` and ``path`` name the file; ``errno`` is set \
             when the system gave one.",
            &["path"],
        )?,
        overflow: make(
            py,
            "QudaoOverflowError",
            &[b.clone(), py.get_type::<PyArithmeticError>()],
            "Money arithmetic left the range of 64-bit minor units. ``what`` says what was \
             being computed.",
            &["what"],
        )?,
        argument: make(
            py,
            "ArgumentError",
            &[b.clone(), py.get_type::<PyValueError>()],
            "An argument is not acceptable. ``name`` is the argument's name.",
            &["name", "reason"],
        )?,
        internal: make(
            py,
            "InternalError",
            &[b],
            "A bug in qudao (a Rust panic was caught). Please report it with the message.",
            &[],
        )?,
        base,
    })
}

/// The exception classes of this interpreter.
pub(crate) fn exceptions(py: Python<'_>) -> PyResult<&'static Exceptions> {
    EXCEPTIONS.get_or_try_init(py, || build(py))
}

/// Instantiate `cls(*args)` and set attributes on the instance.
fn raise(
    py: Python<'_>,
    cls: &Py<PyType>,
    args: Bound<'_, PyTuple>,
    attrs: &[(&str, Bound<'_, PyAny>)],
) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let e = cls.bind(py).call1(args)?;
        for (k, v) in attrs {
            e.setattr(*k, v)?;
        }
        Ok(PyErr::from_value(e))
    })();
    made.unwrap_or_else(|e| e)
}

fn opt<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: Option<T>) -> Bound<'py, PyAny> {
    v.and_then(|v| v.into_bound_py_any(py).ok())
        .unwrap_or_else(|| py.None().into_bound(py))
}

fn any<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Bound<'py, PyAny> {
    opt(py, Some(v))
}

/// Map a core error to its Python exception. Every variant has its class; a variant added to
/// the core later maps to the base class `QudaoError` until it gets one.
pub(crate) fn to_pyerr(py: Python<'_>, err: qudao::Error) -> PyErr {
    let ex = match exceptions(py) {
        Ok(ex) => ex,
        Err(e) => return e,
    };
    let msg = err.to_string();
    let one = |py| PyTuple::new(py, [msg.as_str()]).unwrap_or_else(|_| PyTuple::empty(py));
    match err {
        qudao::Error::Data { location, reason } => raise(
            py,
            &ex.data,
            one(py),
            &[
                ("source", any(py, location.source)),
                ("line", any(py, location.line)),
                ("column", opt(py, location.column)),
                ("value", opt(py, location.value)),
                ("reason", any(py, reason)),
            ],
        ),
        qudao::Error::MissingColumn {
            source_name,
            column,
            found,
        } => raise(
            py,
            &ex.data,
            one(py),
            &[
                ("source", any(py, source_name)),
                ("line", any(py, 1u64)),
                ("column", any(py, column)),
                ("value", any(py, found)),
                ("reason", any(py, "missing required column")),
            ],
        ),
        qudao::Error::Document { path, message } => raise(
            py,
            &ex.rule,
            one(py),
            &[("path", any(py, path)), ("reason", any(py, message))],
        ),
        qudao::Error::Parse { format, message } => raise(
            py,
            &ex.rule,
            one(py),
            &[("format", any(py, format)), ("reason", any(py, message))],
        ),
        qudao::Error::Io { path, source } => match source.raw_os_error() {
            // OSError(errno, strerror, filename) fills `errno`, `strerror` and `filename`.
            Some(errno) => {
                let args = PyTuple::new(
                    py,
                    [
                        any(py, errno),
                        any(py, source.to_string()),
                        any(py, path.as_str()),
                    ],
                )
                .unwrap_or_else(|_| PyTuple::empty(py));
                raise(py, &ex.io, args, &[("path", any(py, path.as_str()))])
            }
            // Without an errno, `filename` would make str() print "[Errno None] None: …".
            None => raise(py, &ex.io, one(py), &[("path", any(py, path.as_str()))]),
        },
        qudao::Error::Overflow { what } => {
            raise(py, &ex.overflow, one(py), &[("what", any(py, what))])
        }
        qudao::Error::InvalidArgument { name, message } => raise(
            py,
            &ex.argument,
            one(py),
            &[("name", any(py, name)), ("reason", any(py, message))],
        ),
        _ => raise(py, &ex.base, one(py), &[]),
    }
}

/// The `InternalError` for a caught panic.
pub(crate) fn panic_err(py: Python<'_>, payload: Box<dyn Any + Send>) -> PyErr {
    let what = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    };
    let msg = format!("internal error in qudao (please report): {what}");
    match exceptions(py) {
        Ok(ex) => raise(
            py,
            &ex.internal,
            PyTuple::new(py, [msg.as_str()]).unwrap_or_else(|_| PyTuple::empty(py)),
            &[],
        ),
        Err(e) => e,
    }
}

/// Register the classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let ex = exceptions(py)?;
    for t in [
        &ex.base,
        &ex.data,
        &ex.rule,
        &ex.io,
        &ex.overflow,
        &ex.argument,
        &ex.internal,
    ] {
        let t = t.bind(py);
        m.add(t.name()?, t)?;
    }
    Ok(())
}
