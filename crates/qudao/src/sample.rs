//! The sample company: a deterministic, seeded generator.
