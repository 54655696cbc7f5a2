//! Grade-change suggestions (being written).
