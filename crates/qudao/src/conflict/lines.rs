//! Line detectors: cross-region selling, diverted goods, below-floor, promotion depth and
//! vertical conflict.

use crate::error::Result;

use super::context::Context;
use super::{Finding, NotRun};

/// Run the line detectors.
pub(super) fn detect(_cx: &Context<'_>, _not_run: &mut Vec<NotRun>) -> Result<Vec<Finding>> {
    Ok(Vec::new())
}
