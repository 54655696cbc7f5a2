//! Rejections: bad records set aside in lenient mode, each counted with its reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location};

/// How ingestion treats a bad record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    /// The first bad record stops loading with an [`Error`].
    #[default]
    Strict,
    /// Bad records are set aside in a [`RejectionReport`]; loading goes on.
    Lenient,
}

/// Why a record was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// A required value is empty.
    MissingValue,
    /// A value of the wrong type or form (not a number, not a date, …).
    BadValue,
    /// An amount with more decimals than the currency.
    TooManyDecimals,
    /// A date outside the accepted years.
    DateOutOfRange,
    /// A value outside its allowed range (negative quantity on a sale, …).
    OutOfRange,
    /// A reference to an id that is not in its master table.
    UnknownReference,
    /// The same id twice in a master table.
    DuplicateId,
    /// A return of more than was sold.
    ReturnExceedsSale,
    /// The row has the wrong number of fields, or is otherwise malformed.
    MalformedRow,
}

impl RejectReason {
    /// The reason as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::MissingValue => "missing_value",
            RejectReason::BadValue => "bad_value",
            RejectReason::TooManyDecimals => "too_many_decimals",
            RejectReason::DateOutOfRange => "date_out_of_range",
            RejectReason::OutOfRange => "out_of_range",
            RejectReason::UnknownReference => "unknown_reference",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::ReturnExceedsSale => "return_exceeds_sale",
            RejectReason::MalformedRow => "malformed_row",
        }
    }
}

/// One rejected record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The table the record belongs to (`transactions`, `partners`, …).
    pub table: String,
    /// Where it is.
    pub location: Location,
    /// The class of problem.
    pub reason: RejectReason,
    /// A sentence saying what is wrong.
    pub message: String,
}

impl Rejection {
    /// The strict-mode error for this rejection.
    pub fn into_error(self) -> Error {
        Error::data(self.location, self.message)
    }
}

/// How many details a report keeps; counts are always exact.
pub const DEFAULT_DETAIL_LIMIT: usize = 10_000;

/// Every rejection of a load: exact counts per table and reason, and the rejections
/// themselves up to a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionReport {
    /// Exact count per `(table, reason)`.
    pub counts: BTreeMap<String, BTreeMap<RejectReason, u64>>,
    /// The first rejections, in the order found, up to `detail_limit`.
    pub rejections: Vec<Rejection>,
    /// Rejections counted but not listed because the limit was reached.
    pub omitted: u64,
    /// The limit on listed rejections.
    pub detail_limit: usize,
}

impl Default for RejectionReport {
    fn default() -> Self {
        RejectionReport {
            counts: BTreeMap::new(),
            rejections: Vec::new(),
            omitted: 0,
            detail_limit: DEFAULT_DETAIL_LIMIT,
        }
    }
}

impl RejectionReport {
    /// Record a rejection.
    pub fn push(&mut self, r: Rejection) {
        *self
            .counts
            .entry(r.table.clone())
            .or_default()
            .entry(r.reason)
            .or_insert(0) += 1;
        if self.rejections.len() < self.detail_limit {
            self.rejections.push(r);
        } else {
            self.omitted += 1;
        }
    }

    /// Total number of rejected records.
    pub fn total(&self) -> u64 {
        self.counts.values().flat_map(|m| m.values()).sum()
    }

    /// Rejected records of one table.
    pub fn total_for(&self, table: &str) -> u64 {
        self.counts.get(table).map_or(0, |m| m.values().sum())
    }

    /// Whether nothing was rejected.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Add another report's rejections after this one's.
    pub fn extend(&mut self, other: RejectionReport) {
        for (table, m) in other.counts {
            let mine = self.counts.entry(table).or_default();
            for (reason, n) in m {
                *mine.entry(reason).or_insert(0) += n;
            }
        }
        for r in other.rejections {
            if self.rejections.len() < self.detail_limit {
                self.rejections.push(r);
            } else {
                self.omitted += 1;
            }
        }
        self.omitted += other.omitted;
    }
}

/// Routes a bad record by [`Strictness`]: an error in strict mode, a rejection in lenient.
#[derive(Debug)]
pub struct Sink<'a> {
    /// The mode.
    pub mode: Strictness,
    /// Where lenient rejections go.
    pub report: &'a mut RejectionReport,
}

impl Sink<'_> {
    /// Reject a record: `Err` in strict mode, `Ok(())` (and recorded) in lenient mode.
    pub fn reject(&mut self, r: Rejection) -> crate::Result<()> {
        match self.mode {
            Strictness::Strict => Err(r.into_error()),
            Strictness::Lenient => {
                self.report.push(r);
                Ok(())
            }
        }
    }
}
