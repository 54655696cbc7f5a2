//! Rule documents: programs, schemes and policies written as data (JSON, TOML or YAML).
//!
//! Every rule document carries `schema_version` (this library reads version
//! [`SCHEMA_VERSION`]), parses with errors that name the field path
//! (`segments[3].when.r`), is validated after parsing (again with field paths), and publishes
//! a JSON Schema generated from the same Rust types, so editors can check a document before
//! it reaches us.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::master::path_error;

/// Marks a path inside a field in a custom deserialization error (`␟tiers[1].rate␟message`),
/// so the error can name the whole path even where serde buffers the field.
pub(crate) const SUBPATH: char = '\u{1f}';

/// The document schema version this library reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// TOML.
    Toml,
    /// YAML.
    Yaml,
}

impl Format {
    /// The format of a file, by its extension (`.json`, `.toml`, `.yaml`/`.yml`).
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    /// Parse a format name (`json`, `toml`, `yaml`).
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// A versioned, validated rule document.
pub trait RuleDocument: DeserializeOwned + serde::Serialize + schemars::JsonSchema + Sized {
    /// The document kind, as written in error messages and schema titles.
    const KIND: &'static str;

    /// The `schema_version` the document declares.
    fn schema_version(&self) -> u32;

    /// Check everything serde cannot: ranges, coverage, references. Errors name field paths.
    fn validate(&self) -> Result<()>;

    /// An error unless the document declares the schema version this library reads.
    fn check_version(&self) -> Result<()> {
        let v = self.schema_version();
        if v != SCHEMA_VERSION {
            return Err(Error::document(
                "schema_version",
                format!(
                    "{} version {v} is not supported; this library reads version {SCHEMA_VERSION}",
                    Self::KIND
                ),
            ));
        }
        Ok(())
    }

    /// Parse text in `format`, check the schema version, validate.
    fn parse(text: &str, format: Format) -> Result<Self> {
        let doc: Self = parse_any(text, format)?;
        doc.check_version()?;
        doc.validate()?;
        Ok(doc)
    }

    /// Parse JSON (see [`RuleDocument::parse`]).
    fn from_json(text: &str) -> Result<Self> {
        Self::parse(text, Format::Json)
    }

    /// Parse TOML (see [`RuleDocument::parse`]).
    fn from_toml(text: &str) -> Result<Self> {
        Self::parse(text, Format::Toml)
    }

    /// Parse YAML (see [`RuleDocument::parse`]).
    fn from_yaml(text: &str) -> Result<Self> {
        Self::parse(text, Format::Yaml)
    }

    /// Read a file; the format comes from the extension.
    fn from_path(path: &std::path::Path) -> Result<Self> {
        let format = Format::from_path(path).ok_or_else(|| {
            Error::invalid_argument(
                "path",
                format!(
                    "{}: cannot tell the format; use .json, .toml, .yaml or .yml",
                    path.display()
                ),
            )
        })?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Self::parse(&text, format)
    }

    /// Pretty JSON.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The JSON Schema of the document, as pretty JSON.
    fn json_schema() -> String {
        let schema = schemars::schema_for!(Self);
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    }
}

/// Parse any serde type with field-path errors.
pub fn parse_any<T: DeserializeOwned>(text: &str, format: Format) -> Result<T> {
    match format {
        Format::Json => {
            let de = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                use serde_json::error::Category;
                match e.inner().classify() {
                    Category::Syntax | Category::Eof | Category::Io => Error::Parse {
                        format: "json",
                        message: e.inner().to_string(),
                    },
                    Category::Data => path_error("json", e),
                }
            })
        }
        Format::Toml => {
            let de = toml::Deserializer::parse(text).map_err(|e| Error::Parse {
                format: "toml",
                message: e.to_string(),
            })?;
            serde_path_to_error::deserialize(de).map_err(|e| path_error("toml", e))
        }
        Format::Yaml => {
            let de = serde_norway::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| path_error("yaml", e))
        }
    }
}

/// A text in Chinese (zh-CN) and English.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// English.
    pub en: String,
    /// Simplified Chinese.
    pub zh: String,
}

impl Label {
    /// A label from its two spellings.
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Label {
        Label {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// Check neither spelling is empty; `path` names the field.
    pub fn validate(&self, path: &str) -> Result<()> {
        if self.en.trim().is_empty() {
            return Err(Error::document(format!("{path}.en"), "empty label"));
        }
        if self.zh.trim().is_empty() {
            return Err(Error::document(format!("{path}.zh"), "empty label"));
        }
        Ok(())
    }
}
