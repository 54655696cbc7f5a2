//! The passes behind [`super::compute`].
//!
//! 1. [`FirstPurchaseState`]: each customer's first sale line by (day, order id, line) and
//!    the earliest line day. Partials over any split of the lines merge
//!    ([`FirstPurchaseState::merge`]) into the same state.
//! 2. [`Acquisition::new`]: every customer's acquisition channel and period (its cohort),
//!    and the periods.
//! 3. [`ValueState`]: per cohort and period after acquisition, the net revenue and cost of
//!    the cohort's lines; per sales channel and period, the net revenue. Also mergeable.
//! 4. [`Acquisition::finish`]: touchpoints and channel costs (small tables, read once), then
//!    the rows.
//!
//! Two passes over the lines, because a line's cohort is known only once its customer's
//! first purchase is, and that can come in any row.

use std::ops::Range;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::transactions::TxChunk;

use super::{ChannelEconomics, ClvPredictions, EconomicsOptions};

/// A customer's first sale line so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FirstSale {
    day: i32,
    order: u32,
    line: u32,
    channel: u32,
}

/// Pass 1 partial: first sale per customer code (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstPurchaseState {
    first: Vec<FirstSale>,
    /// Earliest day of a line (sale or return) on or before the as-of date.
    min_day: i32,
    /// Customers with a return on or before the as-of date (bitset).
    returned: Vec<u64>,
    lines_after_as_of: u64,
}

impl FirstPurchaseState {
    /// The empty state (identity of [`FirstPurchaseState::merge`]) over `customers` codes.
    pub fn new(customers: usize) -> FirstPurchaseState {
        FirstPurchaseState {
            first: vec![
                FirstSale {
                    day: i32::MAX,
                    order: u32::MAX,
                    line: u32::MAX,
                    channel: u32::MAX,
                };
                customers
            ],
            min_day: i32::MAX,
            returned: vec![0; customers.div_ceil(64)],
            lines_after_as_of: 0,
        }
    }

    /// Add rows `rows` of `chunk` (lines after `options.as_of` are counted and skipped).
    /// `dataset` gives the order ids that break ties of day.
    pub fn update(
        &mut self,
        dataset: &Dataset,
        options: &EconomicsOptions,
        chunk: &TxChunk,
        rows: Range<usize>,
    ) -> Result<()> {
        let _ = (dataset, options, chunk, rows);
        Err(Error::invalid_argument("economics", "not implemented yet"))
    }

    /// Merge another partial over the same customers. `dataset` gives the order ids.
    pub fn merge(&mut self, other: &FirstPurchaseState, dataset: &Dataset) -> Result<()> {
        let _ = (other, dataset);
        Err(Error::invalid_argument("economics", "not implemented yet"))
    }
}

/// Every customer's acquisition channel and period, and the periods (see the module docs).
#[derive(Debug, Clone)]
pub struct Acquisition {
    options: EconomicsOptions,
}

/// Pass 2 partial: value per cohort and period after acquisition, revenue per sales channel
/// and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueState {
    /// Per (cohort, offset): net revenue, cost of goods, lines without a cost.
    cells: Vec<(i128, i128, u64)>,
    /// Per (period, sales channel): net revenue.
    shares: Vec<i128>,
}

impl ValueState {
    /// Merge another partial of the same [`Acquisition`].
    pub fn merge(&mut self, other: &ValueState) {
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.0 += b.0;
            a.1 += b.1;
            a.2 += b.2;
        }
        for (a, b) in self.shares.iter_mut().zip(&other.shares) {
            *a += b;
        }
    }
}

impl Acquisition {
    /// Resolve acquisition channels and periods from the merged first-purchase state.
    pub fn new(
        dataset: &Dataset,
        options: &EconomicsOptions,
        first: &FirstPurchaseState,
    ) -> Result<Acquisition> {
        let _ = (dataset, first);
        Err(Error::invalid_argument(
            "economics",
            format!("not implemented yet ({:?})", options.grain),
        ))
    }

    /// The empty pass-2 state (identity of [`ValueState::merge`]).
    pub fn value_state(&self) -> ValueState {
        ValueState {
            cells: Vec::new(),
            shares: Vec::new(),
        }
    }

    /// Add rows `rows` of `chunk` to a pass-2 state.
    pub fn add_lines(&self, state: &mut ValueState, chunk: &TxChunk, rows: Range<usize>) {
        let _ = (state, chunk, rows, &self.options);
    }

    /// The tables, from the merged pass-2 state, the touchpoints and channel costs of
    /// `dataset`, and the predictions if given.
    pub fn finish(
        &self,
        dataset: &Dataset,
        state: &ValueState,
        predictions: Option<&ClvPredictions>,
    ) -> Result<ChannelEconomics> {
        let _ = (dataset, state, predictions);
        Err(Error::invalid_argument("economics", "not implemented yet"))
    }
}

/// Both passes on `options.threads` threads.
pub(crate) fn run(
    dataset: &Dataset,
    options: &EconomicsOptions,
    predictions: Option<&ClvPredictions>,
) -> Result<ChannelEconomics> {
    let mut first = FirstPurchaseState::new(dataset.master.customers.len());
    for c in &dataset.transactions.chunks {
        first.update(dataset, options, c, 0..c.len())?;
    }
    let acq = Acquisition::new(dataset, options, &first)?;
    let mut state = acq.value_state();
    for c in &dataset.transactions.chunks {
        acq.add_lines(&mut state, c, 0..c.len());
    }
    acq.finish(dataset, &state, predictions)
}
