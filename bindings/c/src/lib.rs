//! C ABI for qudao.
