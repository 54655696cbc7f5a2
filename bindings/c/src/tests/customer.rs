//! The customer functions called from Rust.
