//! JSON helpers shared by the bindings that take or give core values as JSON text.

use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};

/// JSON text of a core value (a macro, so the type needs no `Serialize` bound here: this
/// crate does not depend on serde itself).
macro_rules! json {
    ($value:expr) => {
        serde_json::to_string($value)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    };
}

/// The elements of a JSON list (`None`: no list); a bad list is an argument error.
pub(crate) fn json_values(name: &str, text: Option<&str>) -> qudao::Result<Vec<serde_json::Value>> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| qudao::Error::invalid_argument(name, format!("expected a list: {e}"))),
    }
}

/// The elements of a JSON list, each read as a `$t`; a bad element is an argument error
/// naming it (`findings[2]`). A macro for the same reason as `json!`.
macro_rules! json_list {
    ($t:ty, $name:expr, $text:expr) => {{
        let name: &str = $name;
        $crate::json::json_values(name, $text).and_then(|values| {
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    serde_json::from_value::<$t>(v).map_err(|e| {
                        qudao::Error::invalid_argument(format!("{name}[{i}]"), e.to_string())
                    })
                })
                .collect::<qudao::Result<Vec<$t>>>()
        })
    }};
}

/// A text column.
pub(crate) fn texts<S: AsRef<str>>(v: Vec<S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(v))
}

/// A text column with nulls.
pub(crate) fn opt_texts(v: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}
