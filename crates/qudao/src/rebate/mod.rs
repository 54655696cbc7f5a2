//! Rebate and incentive programs (返利与激励): a declarative engine with exact money,
//! accrual → settlement → true-up, and explanations.
//!
//! - **Programs are data**: a [`ProgramBook`] (JSON, TOML or YAML; JSON Schema in
//!   `schemas/rebate-program-book.schema.json`) says who takes part, which business counts,
//!   the calculation [`Shape`], gates, caps and floors, penalties, rounding and stacking.
//!   Loading validates with field paths; [`ProgramBook::warnings`] lists what is legal but
//!   suspicious.
//! - **One pass**: [`Engine::volumes`] reads every line once into per-(program, partner, month)
//!   buckets; per-partition [`Partial`] states merge.
//! - **Settlement**: [`Volumes::settle`] pays every settlement point due by the as-of date
//!   (partial settlements pay what is due so far, the final one trues up the period, netting
//!   what the [`Ledger`] says was paid) and issues **delta** lines when late lines or clawed
//!   back returns change a settled amount. [`Volumes::accrue`] tells the amount earned so far,
//!   the projection at the current pace and how far the next tier is.
//! - **Explanations**: every [`StatementLine`] carries its base, tier, rate, gross amount,
//!   adjustments (caps, floors, stacking, penalties) and rounding; [`Settlement::not_paid`]
//!   says why each enrolment paid nothing.
//!
//! ```
//! use qudao::rebate::{ProgramBook, Engine, Inputs, Ledger};
//! use qudao::document::RuleDocument;
//! use qudao::sample::{generate, SampleConfig};
//! let data = generate(&SampleConfig::with_lines(20_000))?.dataset;
//! let book = ProgramBook::from_toml(r#"
//! schema_version = 1
//! id = "demo"
//! currency = "CNY"
//! [[programs]]
//! id = "dist-volume"
//! name = { en = "Distributor volume rebate", zh = "经销商阶梯返利" }
//! valid_from = "2024-01-01"
//! valid_to = "2024-12-31"
//! calendar = { period = "quarter", partial = "month" }
//! participants = { models = ["distribution"] }
//! measure = "net_revenue"
//! shape = { kind = "all_units", tiers = [
//!   { from = "0", to = "20000", rate = "0" },
//!   { from = "20000", to = "100000", rate = "0.02" },
//!   { from = "100000", rate = "0.03" } ] }
//! rounding = { mode = "half_up", point = "period" }
//! "#)?;
//! let engine = Engine::new(book, &data.master)?;
//! let volumes = engine.volumes(&data, "2024-12-31".parse()?, &Inputs::default())?;
//! let run = volumes.settle(&Ledger::default())?;
//! // Each quarter: two partial settlements and a final one that trues up.
//! let paid: i64 = run.statements.iter().map(|s| s.amount).sum();
//! let final_: i64 = run.statements.iter().filter(|s| s.kind == qudao::rebate::EntryKind::Final)
//!     .map(|s| s.entitlement).sum();
//! assert_eq!(paid, final_);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod engine;
mod program;
mod round;
mod settle;
mod shape;
mod stage;

pub use engine::{Engine, Partial};
pub use program::{
    Band, Baseline, Beneficiary, Calendar, Combine, CurvePoint, Filter, Gates, GrowthBase,
    GrowthMeasure, Limit, LimitScope, MAX_BANDS, MAX_PROGRAMS, MixGate, Participants, PayTo,
    Payout, Penalty, PeriodLength, Program, ProgramBook, ReturnsRule, RoundingPoint, RoundingRule,
    Selection, Shape, StackingGroup, TargetLevel, TreeVolume, VolumeMeasure, Warning,
};
pub use round::{RoundingMode, allocate};
pub use settle::{
    Accrual, AccrualLine, Adjustment, AdjustmentKind, Base, EntryKind, Ledger, LedgerEntry,
    LineCounts, NextTier, NotPaid, PointsAward, Reason, Settlement, StatementLine, TierReached,
    Volumes,
};
pub use shape::Shortfall;

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// A finding against a partner (from conflict detection, an audit or the host) that penalty
/// rules may act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id, quoted in statements.
    pub id: String,
    /// Kind, matched against [`Penalty::on`] (e.g. `cross_region`, `below_floor`).
    pub kind: String,
    /// Partner id.
    pub partner: String,
    /// Day of the violation; it counts in the period holding it.
    pub date: Date,
    /// Marked as waived by the host: never penalised.
    #[serde(default)]
    pub waived: bool,
}

/// A customer referral, for referral programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// The customer who referred.
    pub referrer: String,
    /// The new customer.
    pub referred: String,
    /// Day of the referral; the window starts here.
    pub date: Date,
}

/// Customer segments assigned by the caller (e.g. RFM segments), for selections by
/// `customer_segments`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerSegments {
    pairs: Vec<(String, String)>,
}

impl CustomerSegments {
    /// Segments from (customer id, segment name) pairs.
    pub fn from_pairs<I, A, B>(pairs: I) -> CustomerSegments
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<String>,
        B: Into<String>,
    {
        CustomerSegments {
            pairs: pairs
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect(),
        }
    }

    /// The (customer id, segment) pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(a, b)| (a.as_str(), b.as_str()))
    }
}

/// What a run takes besides the data and the book.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// Findings for penalty rules.
    pub findings: &'a [Finding],
    /// Customer segments, when a selection names them.
    pub segments: Option<&'a CustomerSegments>,
    /// Referrals, for referral programs.
    pub referrals: &'a [Referral],
    /// Worker threads for the pass (0 = all cores). The result does not depend on it.
    pub threads: usize,
}
