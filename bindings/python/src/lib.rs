//! Python bindings for qudao.
