//! CSV data sets (see `docs/data-format.md`).
