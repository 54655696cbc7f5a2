//! Partner onboarding evaluation (being written).
