//! Pattern detectors: undercutting, customer overlap, online undercut, channel switching and
//! inventory imbalance.

use crate::error::Result;

use super::context::Context;
use super::{Finding, NotRun};

/// Run the pattern detectors.
pub(super) fn detect(_cx: &Context<'_>, _not_run: &mut Vec<NotRun>) -> Result<Vec<Finding>> {
    Ok(Vec::new())
}
