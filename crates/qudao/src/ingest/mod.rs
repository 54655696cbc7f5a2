//! Reading and writing data sets: CSV directories (see `docs/data-format.md`) and, with the
//! `arrow` feature, Arrow record batches.

pub mod csv;
