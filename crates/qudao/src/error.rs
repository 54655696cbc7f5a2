//! The one error type of the core.
//!
//! Every variant carries what a user needs to act on it: the file, line, column and value of a
//! bad record, or the field path of a bad document.

use std::fmt;

/// Where a bad value was found in tabular input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The source: a file path, or a table name such as `transactions` for in-memory input.
    pub source: String,
    /// 1-based line number in the file (the header is line 1), or 1-based row for in-memory input.
    pub line: u64,
    /// The column name as the data spells it, when one column is at fault.
    pub column: Option<String>,
    /// The offending value as text, when there is one.
    pub value: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        if let Some(v) = &self.value {
            write!(f, ", value {v:?}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record of tabular data is bad (wrong type, out of range, unknown reference, …).
    #[error("{location}: {reason}")]
    Data {
        /// Where the bad value is.
        location: Location,
        /// Why it is bad.
        reason: String,
    },
    /// A required column is missing from a table's header.
    #[error("{source_name}: missing required column `{column}` (header has: {found})")]
    MissingColumn {
        /// The file or table.
        source_name: String,
        /// The canonical column name that was expected.
        column: String,
        /// The header as found, comma-separated.
        found: String,
    },
    /// A document (master data, program, scheme, policy) is invalid at a field path.
    #[error("{path}: {message}")]
    Document {
        /// Field path such as `partners[3].territories[0].territory`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// A document could not be parsed at all (syntax error).
    #[error("cannot parse {format} document: {message}")]
    Parse {
        /// `json`, `toml` or `yaml`.
        format: &'static str,
        /// The parser's message, with its own line and column.
        message: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path being read.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Money arithmetic left the range of `i64` minor units.
    #[error("arithmetic overflow while computing {what}")]
    Overflow {
        /// What was being computed.
        what: String,
    },
    /// An argument of an API call is not acceptable.
    #[error("invalid argument `{name}`: {message}")]
    InvalidArgument {
        /// The argument's name.
        name: String,
        /// Why it is not acceptable.
        message: String,
    },
}

impl Error {
    /// A data error at a location.
    pub fn data(location: Location, reason: impl Into<String>) -> Self {
        Error::Data {
            location,
            reason: reason.into(),
        }
    }

    /// A document error at a field path.
    pub fn document(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Document {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An invalid-argument error.
    pub fn invalid_argument(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name: name.into(),
            message: message.into(),
        }
    }

    /// An overflow error.
    pub fn overflow(what: impl Into<String>) -> Self {
        Error::Overflow { what: what.into() }
    }
}

/// Result with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
