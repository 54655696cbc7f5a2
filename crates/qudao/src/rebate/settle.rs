//! Settlement, true-up, deltas, accrual and the explanations.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::intern::{FxHashMap, NONE};
use crate::ops::{Measure, TargetSubject};

use super::engine::{Bucket, CustomerCell, Engine, Partial};
use super::program::{
    Baseline, Beneficiary, Combine, LimitScope, Payout, RoundingPoint, Shape, VolumeMeasure,
};
use super::round::{RoundingMode, allocate};
use super::shape::{Compiled, Context, Outcome, Shortfall};
use super::{Finding, Inputs};

/// The lines of a data set gathered per program, beneficiary and month, as of a date.
#[derive(Debug)]
pub struct Volumes<'a> {
    engine: &'a Engine,
    dataset: &'a Dataset,
    as_of: Date,
    state: Partial,
    /// Customer-program cells per (program, customer), months ascending.
    customers: BTreeMap<(u32, u32), Vec<(i32, CustomerCell)>>,
    findings: Vec<Finding>,
    /// Indexes into `findings` per partner code, ascending.
    findings_of: FxHashMap<u32, Vec<u32>>,
    /// Each program's selection, described once.
    filters: Vec<Vec<String>>,
    referrals: Vec<super::Referral>,
    /// Worker threads for settlement (0 = all cores).
    threads: usize,
}

impl Engine {
    /// Read the data set once (lines dated after `as_of` are not yet known) into volumes that
    /// can be settled and accrued.
    pub fn volumes<'a>(
        &'a self,
        dataset: &'a Dataset,
        as_of: Date,
        inputs: &Inputs<'_>,
    ) -> Result<Volumes<'a>> {
        let ctx = self.context(dataset, as_of, inputs)?;
        let mut findings_of: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (i, f) in inputs.findings.iter().enumerate() {
            let Some(code) = dataset.master.partners.code(&f.partner) else {
                return Err(Error::invalid_argument(
                    format!("findings[{i}].partner"),
                    format!("unknown partner {:?}", f.partner),
                ));
            };
            findings_of.entry(code).or_default().push(i as u32);
        }
        let mut state = self.run_pass(&ctx, inputs.threads)?;
        let mut customers: BTreeMap<(u32, u32), Vec<(i32, CustomerCell)>> = BTreeMap::new();
        for ((p, c, m), cell) in std::mem::take(&mut state.customers) {
            customers.entry((p, c)).or_default().push((m, cell));
        }
        for v in customers.values_mut() {
            v.sort_by_key(|x| x.0);
        }
        Ok(Volumes {
            engine: self,
            dataset,
            as_of,
            state,
            customers,
            findings: inputs.findings.to_vec(),
            findings_of,
            filters: self.book.programs.iter().map(describe_selection).collect(),
            referrals: inputs.referrals.to_vec(),
            threads: inputs.threads,
        })
    }
}

/// What a ledger entry or statement line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A partial settlement inside a period: what is due so far.
    Partial,
    /// The final settlement of a period: the true-up.
    Final,
    /// A correction of a settled amount after late lines or clawed-back returns.
    Delta,
    /// A referral reward.
    Referral,
}

/// One payment recorded in the ledger. Hosts store these and feed them back, so the engine
/// knows what was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Stable id: `program/payee/period/through` (`/delta@issued` for deltas).
    pub id: String,
    /// Program id.
    pub program: String,
    /// Partner or customer id paid.
    pub payee: String,
    /// The calculation period.
    pub period: Period,
    /// Partial, final, delta or referral.
    pub kind: EntryKind,
    /// Last day of business the entry covers.
    pub through: Date,
    /// As-of date of the run that issued it.
    pub issued: Date,
    /// Amount paid (minor units, or points); negative for a clawback or charge.
    pub amount: i64,
    /// The period's cumulative entitlement computed at this entry (what was paid may differ
    /// when a settlement cap held some back).
    pub entitlement: i64,
    /// The volume the entitlement was computed on (measure units).
    pub volume: i64,
    /// The lines that volume counted, so a later delta can say which arrived since.
    #[serde(default)]
    pub lines: LineCounts,
}

/// Lines behind a settled volume.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCounts {
    /// Sale lines.
    pub sales: u32,
    /// Return lines.
    pub returns: u32,
    /// Of the returns, those clawed back from after the period.
    pub clawed_back: u32,
}

/// What has been paid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Entries, in issue order.
    pub entries: Vec<LedgerEntry>,
}

impl Ledger {
    /// Record a run's entries.
    pub fn extend(&mut self, run: &Settlement) {
        self.entries.extend(run.ledger.iter().cloned());
    }
}

/// A tier, band, point or level reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierReached {
    /// 0-based index in the table.
    pub index: usize,
    /// Its lower bound as written in the book (volume, growth or attainment).
    pub from: Option<Decimal>,
    /// Its upper bound as written in the book.
    pub to: Option<Decimal>,
}

/// The base of a statement line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Base {
    /// The measure.
    pub measure: VolumeMeasure,
    /// Volume in the measure's unit (minor currency units or units); `None` when a margin is
    /// unknown.
    pub volume: Option<i64>,
    /// Months counted (from the period start through the settlement).
    pub months: Period,
    /// Sale lines counted.
    pub sale_lines: u32,
    /// Return lines counted.
    pub return_lines: u32,
    /// Of those, returns dated after the period and clawed back into it.
    pub clawed_back_returns: u32,
    /// Lines of the payee the selection left out.
    pub excluded_lines: u32,
    /// The selection, in words.
    pub filters: Vec<String>,
    /// Partners whose lines were pooled (tree programs).
    pub contributors: Vec<String>,
    /// Target used (measure unit), for target shapes.
    pub target: Option<i64>,
    /// Adjusted baseline (measure unit), for growth shapes.
    pub baseline: Option<i64>,
}

/// What changed an amount between the shape and the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// A gate (minimum volume, product mix) was not met: nothing is due.
    Gate,
    /// The period cap.
    PeriodCap,
    /// The period floor.
    PeriodFloor,
    /// The program cap (over all periods).
    ProgramCap,
    /// The settlement cap.
    SettlementCap,
    /// The settlement floor.
    SettlementFloor,
    /// Another program of an exclusive group won.
    Superseded,
    /// The base was reduced by earlier programs of a compounding group.
    Compounding,
    /// A penalty.
    Penalty,
    /// Split among contributors.
    Split,
}

/// One adjustment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// Kind.
    pub kind: AdjustmentKind,
    /// The rule: a field path, penalty id or program id.
    pub rule: String,
    /// Signed change of the amount (payout unit, exact).
    pub amount: Decimal,
    /// Findings behind a penalty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// In words.
    pub detail: String,
}

/// Why an enrolment paid nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// No line of the payee in the period.
    NoVolume,
    /// The payee had selected lines, but returns cancelled the sales (net volume ≤ 0).
    NoNetVolume {
        /// The net volume (minor units or units).
        volume: i64,
        /// Sale lines counted.
        sale_lines: u32,
        /// Return lines counted.
        return_lines: u32,
    },
    /// The payee had lines but the selection left them all out.
    ExcludedByFilter {
        /// Lines left out.
        lines: u32,
    },
    /// Below the minimum-volume gate.
    BelowMinimum {
        /// Volume reached.
        volume: i64,
        /// The minimum.
        minimum: i64,
    },
    /// The product mix was not met.
    MixNotMet {
        /// Categories bought from.
        have: u32,
        /// Categories needed.
        need: u32,
    },
    /// What the shape says (below the first tier, target missed, no growth, …).
    Shape {
        /// Details.
        shortfall: Shortfall,
    },
    /// Margin unknown: lines without a cost.
    MarginUnknown {
        /// Lines without a cost.
        lines: u32,
    },
    /// Another program of an exclusive group was paid instead.
    Superseded {
        /// The winning program.
        by: String,
        /// The group.
        group: String,
    },
    /// A penalty voided or consumed the rebate.
    Penalised {
        /// Findings.
        findings: Vec<String>,
    },
    /// The program cap was already reached.
    CapReached,
}

/// The next tier and what it would pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTier {
    /// 0-based index of the tier or level.
    pub index: usize,
    /// Volume still needed (measure unit).
    pub volume_needed: i64,
    /// Its rate, if it pays a rate.
    pub rate: Option<Decimal>,
    /// What the period would pay at that volume (payout unit, rounded).
    pub pays: i64,
}

/// One statement line: a payment (or its absence) with its whole explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Ledger id.
    pub id: String,
    /// Program id.
    pub program: String,
    /// Program name (English).
    pub program_name: String,
    /// Partner or customer.
    pub payee_kind: Beneficiary,
    /// Payee id.
    pub payee: String,
    /// Calculation period.
    pub period: Period,
    /// Partial, final, delta or referral.
    pub kind: EntryKind,
    /// Last day of business covered.
    pub through: Date,
    /// The base.
    pub base: Base,
    /// Shape kind.
    pub shape: String,
    /// Tier reached.
    pub tier: Option<TierReached>,
    /// Rate applied.
    pub rate: Option<Decimal>,
    /// The shape's amount before adjustments (exact, payout unit).
    pub gross: Decimal,
    /// Adjustments, in the order applied.
    pub adjustments: Vec<Adjustment>,
    /// The amount after adjustments, before rounding (exact).
    pub exact: Decimal,
    /// Rounding mode.
    pub rounding_mode: RoundingMode,
    /// Rounding point.
    pub rounding_point: RoundingPoint,
    /// Cumulative entitlement of the period through this settlement (rounded).
    pub entitlement: i64,
    /// Paid before for this period.
    pub previously_paid: i64,
    /// Paid now: `entitlement − previously_paid`, within the settlement limits.
    pub amount: i64,
    /// Money or points.
    pub payout: Payout,
    /// Why it is zero, when it is.
    pub why_not: Vec<Reason>,
    /// For deltas: what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_reason: Option<String>,
}

/// An enrolment that paid nothing for a period, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotPaid {
    /// Program id.
    pub program: String,
    /// Payee id.
    pub payee: String,
    /// Period.
    pub period: Period,
    /// Through.
    pub through: Date,
    /// Reasons.
    pub reasons: Vec<Reason>,
}

/// Points to credit to a customer's member ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsAward {
    /// Customer id.
    pub customer: String,
    /// Day credited (the settlement's last day).
    pub date: Date,
    /// Points (negative to take back).
    pub points: i64,
    /// Statement line id.
    pub reference: String,
}

/// The result of a settlement run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// As-of date.
    pub as_of: Date,
    /// Currency of money amounts.
    pub currency: String,
    /// New statement lines (partials, finals, deltas, referral rewards), by payee, program,
    /// period and date.
    pub statements: Vec<StatementLine>,
    /// Enrolments with nothing to pay, and why.
    pub not_paid: Vec<NotPaid>,
    /// Ledger entries to record.
    pub ledger: Vec<LedgerEntry>,
    /// Points for member ledgers (points programs).
    pub points_awards: Vec<PointsAward>,
    /// The book's warnings.
    pub warnings: Vec<super::Warning>,
    /// Lines read and lines outside every program's months or after the as-of date.
    pub lines_read: u64,
    /// Lines not counted by any program's months.
    pub lines_skipped: u64,
}

impl Settlement {
    /// Total money paid in this run per payee (minor units), money programs only.
    pub fn totals(&self) -> BTreeMap<String, i64> {
        let mut t = BTreeMap::new();
        for s in &self.statements {
            if s.payout == Payout::Money {
                *t.entry(s.payee.clone()).or_insert(0) += s.amount;
            }
        }
        t
    }
}

/// One accrual line: where a payee stands in the current period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccrualLine {
    /// Program id.
    pub program: String,
    /// Payee id.
    pub payee: String,
    /// The current period.
    pub period: Period,
    /// Volume so far.
    pub volume: Option<i64>,
    /// Entitlement earned so far (rounded).
    pub earned: i64,
    /// Paid so far for the period (from the ledger).
    pub paid: i64,
    /// Volume at the current pace by the period's end.
    pub projected_volume: Option<i64>,
    /// What the projected volume would pay.
    pub projected: i64,
    /// The next tier, if any.
    pub next: Option<NextTier>,
    /// Reasons, when nothing is earned.
    pub why_not: Vec<Reason>,
}

/// Accrual as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accrual {
    /// As-of date.
    pub as_of: Date,
    /// Lines, by program and payee.
    pub lines: Vec<AccrualLine>,
}

/// The aggregate of one account over some months.
#[derive(Debug, Clone, Default)]
struct Agg {
    b: Bucket,
    line: Vec<i128>,
    mix: Vec<i128>,
    /// Per contributor (partner code), the measured volume.
    by_contributor: Vec<(u32, i128)>,
}

/// An account: a program and a payee (enrolled partner or customer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Account {
    prog: u32,
    payee: u32,
}

/// One evaluation of an account at a settlement point.
#[derive(Debug, Clone, Default)]
struct Eval {
    volume: Option<i128>,
    agg: Agg,
    outcome: Outcome,
    gross: Decimal,
    exact: Decimal,
    adjustments: Vec<Adjustment>,
    why_not: Vec<Reason>,
    target: Option<i128>,
    baseline: Option<i128>,
}

fn dec(v: i128) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(v, 0).map_err(|_| Error::overflow("a rebate volume"))
}

fn narrow(v: i128, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::overflow(what))
}

fn last_day(month: i32) -> Date {
    Date::from_month_index(month + 1).add_days(-1)
}

fn months_period(a: i32, b: i32) -> Period {
    Period {
        start: Date::from_month_index(a),
        end: Date::from_month_index(b + 1),
    }
}

impl<'a> Volumes<'a> {
    /// As-of date.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    fn id(&self, acc: Account) -> &str {
        let m = &self.dataset.master;
        match self.engine.book.programs[acc.prog as usize].beneficiary {
            Beneficiary::Partner => m.partners.id(acc.payee),
            Beneficiary::Customer => m.customers.id(acc.payee),
        }
    }

    /// Accounts of a program, payees in id order.
    fn accounts(&self, pi: usize) -> Vec<Account> {
        let prog = &self.engine.book.programs[pi];
        match prog.beneficiary {
            Beneficiary::Partner => self.engine.progs[pi]
                .enrolled
                .iter()
                .map(|&e| Account {
                    prog: pi as u32,
                    payee: e,
                })
                .collect(),
            Beneficiary::Customer => {
                let mut v: Vec<Account> = self
                    .customers
                    .range((pi as u32, 0)..=(pi as u32, u32::MAX))
                    .map(|(&(p, c), _)| Account { prog: p, payee: c })
                    .collect();
                let m = &self.dataset.master;
                v.sort_by(|a, b| m.customers.id(a.payee).cmp(m.customers.id(b.payee)));
                v
            }
        }
    }

    /// Sum an account's buckets over months `a..=b`.
    fn agg(&self, acc: Account, a: i32, b: i32) -> Agg {
        let e = self.engine;
        let pi = acc.prog as usize;
        let prog = &e.progs[pi];
        let measure = e.book.programs[pi].measure;
        let mut out = Agg {
            line: vec![0; prog.line_rates.len()],
            mix: vec![0; prog.mix_n as usize],
            ..Agg::default()
        };
        let (lo, hi) = ((a - prog.m0).max(0), (b - prog.m0).min(prog.months - 1));
        match e.book.programs[pi].beneficiary {
            Beneficiary::Partner => {
                for slot in e.account_slots(acc.prog, acc.payee) {
                    let mut own = Bucket::default();
                    for rel in lo..=hi {
                        let bk = &self.state.buckets[slot.base as usize + rel as usize];
                        own.add(bk);
                        if slot.line_base != NONE {
                            let n = prog.line_rates.len();
                            let off = slot.line_base as usize + rel as usize * n;
                            for k in 0..n {
                                out.line[k] += self.state.line[off + k];
                            }
                        }
                        if slot.mix_base != NONE {
                            let n = prog.mix_n as usize;
                            let off = slot.mix_base as usize + rel as usize * n;
                            for k in 0..n {
                                out.mix[k] += self.state.mix[off + k];
                            }
                        }
                    }
                    out.b.add(&own);
                    out.by_contributor
                        .push((slot.contributor, own.measure(measure).unwrap_or(0).max(0)));
                }
            }
            Beneficiary::Customer => {
                if let Some(cells) = self.customers.get(&(acc.prog, acc.payee)) {
                    for (m, cell) in cells {
                        if *m < a || *m > b {
                            continue;
                        }
                        out.b.add(&cell.bucket);
                        for (k, v) in cell.line.iter().enumerate() {
                            out.line[k] += v;
                        }
                        for (k, v) in cell.mix.iter().enumerate() {
                            out.mix[k] += v;
                        }
                    }
                }
            }
        }
        out
    }

    /// The target of an account for months `a..=b` of a period `ps..=pe` (measure units).
    fn target(&self, acc: Account, ps: i32, pe: i32, b: i32) -> Result<Option<i128>> {
        let e = self.engine;
        let pi = acc.prog as usize;
        let prog = &e.book.programs[pi];
        let Shape::Target { target, .. } = &prog.shape else {
            return Ok(None);
        };
        if let Some(t) = target {
            // Prorated by months elapsed: the target of a partial settlement is the share of
            // the period's target for the months it covers.
            let full = t
                .checked_mul(e.progs[pi].units.volume)
                .ok_or_else(|| Error::overflow("a target"))?;
            let share = Decimal::from(b - ps + 1) / Decimal::from(pe - ps + 1);
            return Ok((full * share).ceil().to_i128());
        }
        let want = match prog.measure {
            VolumeMeasure::Quantity => Measure::Units,
            _ => Measure::Revenue,
        };
        let (from, to) = (Date::from_month_index(ps), Date::from_month_index(b + 1));
        let mut sum: i128 = 0;
        let mut any = false;
        for t in &self.dataset.ops.targets {
            if t.subject_kind == TargetSubject::Partner
                && t.subject == acc.payee
                && t.measure == want
                && t.period.start >= from
                && t.period.end <= to
            {
                sum += i128::from(t.value);
                any = true;
            }
        }
        Ok(any.then_some(sum))
    }

    /// Evaluate an account for months `ps..=b` of the period `ps..=pe`.
    fn eval(&self, acc: Account, ps: i32, pe: i32, b: i32, reduce: Decimal) -> Result<Eval> {
        let e = self.engine;
        let pi = acc.prog as usize;
        let prog = &e.book.programs[pi];
        let cp = &e.progs[pi];
        let agg = self.agg(acc, ps, b);
        let mut ev = Eval::default();
        let is_final = b == pe;
        let volume = agg.b.measure(prog.measure);
        ev.volume = volume;
        let Some(v) = volume else {
            ev.why_not.push(Reason::MarginUnknown {
                lines: agg.b.no_cost,
            });
            ev.agg = agg;
            return Ok(ev);
        };
        let vd = dec(v)? - reduce;
        if !reduce.is_zero() {
            ev.adjustments.push(Adjustment {
                kind: AdjustmentKind::Compounding,
                rule: prog.group.clone().unwrap_or_default(),
                amount: Decimal::ZERO,
                findings: Vec::new(),
                detail: format!(
                    "base reduced by {reduce} for the rebates of earlier programs of the group"
                ),
            });
        }
        ev.target = self.target(acc, ps, pe, b)?;
        if let Shape::Growth { baseline, .. } = &prog.shape {
            let shift = match baseline {
                Baseline::SamePeriodLastYear => 12,
                Baseline::PreviousPeriod => pe - ps + 1,
            };
            let base = self.agg(acc, ps - shift, b - shift);
            ev.baseline = base.b.measure(prog.measure);
        }
        let ctx = Context {
            target: ev.target.map(dec).transpose()?,
            baseline: ev.baseline.map(dec).transpose()?,
            is_final,
        };
        let mut o = cp.shape.eval(vd, ctx, cp.units.rate)?;
        if prog.rounding.point == RoundingPoint::Line
            && o.exact > Decimal::ZERO
            && let Some(k) = cp.shape.line_rate_index(&o)
        {
            o.exact = dec(agg.line.get(k).copied().unwrap_or(0))?;
        }
        ev.gross = o.exact;
        let mut x = o.exact;
        if agg.b.sales == 0 && agg.b.returns == 0 {
            ev.why_not.push(if agg.b.excluded > 0 {
                Reason::ExcludedByFilter {
                    lines: agg.b.excluded,
                }
            } else {
                Reason::NoVolume
            });
        } else if v <= 0 && o.exact <= Decimal::ZERO {
            ev.why_not.push(Reason::NoNetVolume {
                volume: narrow(v, "a volume")?,
                sale_lines: agg.b.sales,
                return_lines: agg.b.returns,
            });
        }
        if let Some(s) = &o.short
            && *s != Shortfall::NoVolume
        {
            ev.why_not.push(Reason::Shape {
                shortfall: s.clone(),
            });
        }
        // Gates.
        if let Some(min) = prog.gates.min_volume {
            let min_u = min
                .checked_mul(cp.units.volume)
                .ok_or_else(|| Error::overflow("a minimum volume"))?;
            if vd < min_u && x > Decimal::ZERO {
                ev.why_not.push(Reason::BelowMinimum {
                    volume: narrow(v, "a volume")?,
                    minimum: min_u.to_i64().unwrap_or(i64::MAX),
                });
                ev.adjustments.push(Adjustment {
                    kind: AdjustmentKind::Gate,
                    rule: format!("programs[{pi}].gates.min_volume"),
                    amount: -x,
                    findings: Vec::new(),
                    detail: format!("volume {vd} is below the minimum {min_u}"),
                });
                x = Decimal::ZERO;
            }
        }
        if let Some(mix) = &prog.gates.mix {
            let have = agg.mix.iter().filter(|&&m| m > 0).count() as u32;
            if have < mix.at_least && x > Decimal::ZERO {
                ev.why_not.push(Reason::MixNotMet {
                    have,
                    need: mix.at_least,
                });
                ev.adjustments.push(Adjustment {
                    kind: AdjustmentKind::Gate,
                    rule: format!("programs[{pi}].gates.mix"),
                    amount: -x,
                    findings: Vec::new(),
                    detail: format!(
                        "bought from {have} of the listed categories; {} needed",
                        mix.at_least
                    ),
                });
                x = Decimal::ZERO;
            }
        }
        // Period limits.
        for l in prog.limits.iter().filter(|l| l.scope == LimitScope::Period) {
            if let Some(max) = l.max {
                let cap = max * cp.units.amount;
                if x > cap {
                    ev.adjustments.push(Adjustment {
                        kind: AdjustmentKind::PeriodCap,
                        rule: format!("programs[{pi}].limits.period.max"),
                        amount: cap - x,
                        findings: Vec::new(),
                        detail: format!("capped at {max} per period"),
                    });
                    x = cap;
                }
            }
            if let Some(min) = l.min {
                let floor = min * cp.units.amount;
                if x > Decimal::ZERO && x < floor && is_final {
                    ev.adjustments.push(Adjustment {
                        kind: AdjustmentKind::PeriodFloor,
                        rule: format!("programs[{pi}].limits.period.min"),
                        amount: floor - x,
                        findings: Vec::new(),
                        detail: format!("raised to the floor of {min} per period"),
                    });
                    x = floor;
                }
            }
        }
        ev.outcome = o;
        ev.exact = x;
        ev.agg = agg;
        Ok(ev)
    }

    /// Apply penalties for an account over months `ps..=b`.
    fn penalise(&self, acc: Account, ev: &mut Eval, ps: i32, b: i32) {
        let e = self.engine;
        let pi = acc.prog as usize;
        let prog = &e.book.programs[pi];
        if prog.penalties.is_empty() || prog.beneficiary != Beneficiary::Partner {
            return;
        }
        let from = Date::from_month_index(ps);
        let to = Date::from_month_index(b + 1);
        let base = ev.exact;
        if base <= Decimal::ZERO {
            return;
        }
        // The findings of the payee and its contributors, in input order.
        let mut candidates: Vec<u32> = Vec::new();
        let payee = std::iter::once(acc.payee);
        for c in payee.chain(ev.agg.by_contributor.iter().map(|&(c, _)| c)) {
            if let Some(v) = self.findings_of.get(&c) {
                candidates.extend_from_slice(v);
            }
        }
        if candidates.is_empty() {
            return;
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut total = Decimal::ZERO;
        for pen in &prog.penalties {
            let hits: Vec<&Finding> = candidates
                .iter()
                .map(|&i| &self.findings[i as usize])
                .filter(|f| {
                    !f.waived
                        && f.date >= from
                        && f.date < to
                        && pen.on.iter().any(|k| k == &f.kind)
                })
                .collect();
            if hits.is_empty() {
                continue;
            }
            let ids: Vec<String> = hits.iter().map(|f| f.id.clone()).collect();
            let mut cut = Decimal::ZERO;
            let mut why = Vec::new();
            if pen.lose_eligibility {
                cut = base;
                why.push("eligibility lost".to_string());
            } else {
                if let Some(s) = pen.share {
                    cut += base * s;
                    why.push(format!("{s} of the period's rebate"));
                }
                if let Some(a) = pen.per_violation {
                    cut += a * e.progs[pi].units.amount * Decimal::from(hits.len() as u64);
                    why.push(format!("{a} × {} findings", hits.len()));
                }
            }
            let cut = cut.min(base - total);
            total += cut;
            ev.adjustments.push(Adjustment {
                kind: AdjustmentKind::Penalty,
                rule: pen.id.clone(),
                amount: -cut,
                findings: ids.clone(),
                detail: why.join(" + "),
            });
            if cut > Decimal::ZERO && total >= base {
                ev.why_not.push(Reason::Penalised { findings: ids });
            }
        }
        ev.exact = base - total;
    }
}

/// A settlement point of a period: the last month it covers and whether it is final.
fn points(engine: &Engine, pi: usize, ps: i32, pe: i32) -> Vec<(i32, bool)> {
    let prog = &engine.book.programs[pi];
    let mut v = Vec::new();
    if let Some(len) = prog.calendar.partial.and_then(|p| p.months()) {
        let mut m = ps;
        while m <= pe {
            let end = (m - m.rem_euclid(len) + len - 1).min(pe);
            if end < pe {
                v.push((end, false));
            }
            m = end + 1;
        }
    }
    v.push((pe, true));
    v
}

/// The calculation periods of a program: (first month, last month).
fn periods(engine: &Engine, pi: usize) -> Vec<(i32, i32)> {
    let (v0, v1) = engine.progs[pi].valid;
    let mut v = Vec::new();
    let mut m = v0;
    while m <= v1 {
        let (a, b) = engine.period_months(pi, m);
        v.push((a, b));
        m = b + 1;
    }
    v
}

/// Per program and payee: what the ledger says.
#[derive(Debug, Default, Clone)]
struct Paid {
    amount: i64,
    last_through: Option<Date>,
    last_entitlement: i64,
    last_volume: i64,
    last_lines: LineCounts,
}

impl<'a> Volumes<'a> {
    /// Settle every point due by the as-of date, netting the ledger.
    pub fn settle(&self, ledger: &Ledger) -> Result<Settlement> {
        let e = self.engine;
        let book = &e.book;
        let mut paid: BTreeMap<(String, String, Period), Paid> = BTreeMap::new();
        for en in &ledger.entries {
            if en.kind == EntryKind::Referral {
                continue;
            }
            let p = paid
                .entry((en.program.clone(), en.payee.clone(), en.period))
                .or_default();
            p.amount += en.amount;
            if p.last_through.is_none_or(|t| en.through >= t) {
                p.last_through = Some(en.through);
                p.last_entitlement = en.entitlement;
                p.last_volume = en.volume;
                p.last_lines = en.lines;
            }
        }
        let mut out = Settlement {
            as_of: self.as_of,
            currency: book.currency.clone(),
            statements: Vec::new(),
            not_paid: Vec::new(),
            ledger: Vec::new(),
            points_awards: Vec::new(),
            warnings: e.warnings.clone(),
            lines_read: self.state.lines_read,
            lines_skipped: self.state.lines_skipped,
        };
        // Units of stacking: a group, or a program alone.
        let mut units: Vec<Vec<usize>> = Vec::new();
        for g in &book.groups {
            let mut members: Vec<usize> = (0..book.programs.len())
                .filter(|&i| book.programs[i].group.as_deref() == Some(g.id.as_str()))
                .collect();
            members.sort_by(|&a, &b| {
                book.programs[b]
                    .priority
                    .cmp(&book.programs[a].priority)
                    .then(book.programs[a].id.cmp(&book.programs[b].id))
            });
            if !members.is_empty() {
                units.push(members);
            }
        }
        for (i, p) in book.programs.iter().enumerate() {
            if p.group.is_none() && !matches!(p.shape, Shape::Referral { .. }) {
                units.push(vec![i]);
            }
        }
        // Units are independent: settle them on threads, each into its own part, and join
        // the parts in unit order.
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .clamp(1, 64)
        .min(units.len().max(1));
        let empty = || Settlement {
            statements: Vec::new(),
            not_paid: Vec::new(),
            ledger: Vec::new(),
            points_awards: Vec::new(),
            warnings: Vec::new(),
            ..out.clone()
        };
        let run = |share: &[Vec<usize>]| -> Result<Settlement> {
            let mut part = empty();
            for members in share {
                self.settle_unit(members, &paid, &mut part)?;
            }
            Ok(part)
        };
        let parts: Vec<Result<Settlement>> = if threads == 1 {
            vec![run(&units)]
        } else {
            let per = units.len().div_ceil(threads);
            std::thread::scope(|sc| {
                let handles: Vec<_> = units
                    .chunks(per)
                    .map(|c| sc.spawn(move || run(c)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::invalid_argument(
                                "threads",
                                "a worker thread panicked",
                            ))
                        })
                    })
                    .collect()
            })
        };
        for part in parts {
            let part = part?;
            out.statements.extend(part.statements);
            out.not_paid.extend(part.not_paid);
            out.ledger.extend(part.ledger);
        }
        self.settle_referrals(ledger, &mut out)?;
        // Sort by (payee, program, period, through, kind) through integer ranks of the ids.
        let rank = |ids: &mut dyn Iterator<Item = &str>| -> FxHashMap<String, u32> {
            let mut v: Vec<&str> = ids.collect();
            v.sort_unstable();
            v.dedup();
            v.into_iter()
                .enumerate()
                .map(|(i, s)| (s.to_string(), i as u32))
                .collect()
        };
        let payees = rank(
            &mut out
                .statements
                .iter()
                .map(|s| s.payee.as_str())
                .chain(out.not_paid.iter().map(|s| s.payee.as_str())),
        );
        let programs = rank(&mut book.programs.iter().map(|p| p.id.as_str()));
        let r = |m: &FxHashMap<String, u32>, k: &str| m.get(k).copied().unwrap_or(u32::MAX);
        let keys: Vec<_> = out
            .statements
            .iter()
            .map(|a| {
                (
                    r(&payees, &a.payee),
                    r(&programs, &a.program),
                    a.period,
                    a.through,
                    a.kind,
                )
            })
            .collect();
        permute_sorted(&mut out.statements, &keys);
        let keys: Vec<_> = out
            .not_paid
            .iter()
            .map(|a| (r(&payees, &a.payee), r(&programs, &a.program), a.period))
            .collect();
        permute_sorted(&mut out.not_paid, &keys);
        for s in &out.statements {
            if s.payout == Payout::Points && s.amount != 0 {
                out.points_awards.push(PointsAward {
                    customer: s.payee.clone(),
                    date: s.through,
                    points: s.amount,
                    reference: s.id.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Settle one stacking unit (a group or a lone program) for every payee and period.
    fn settle_unit(
        &self,
        members: &[usize],
        paid: &BTreeMap<(String, String, Period), Paid>,
        out: &mut Settlement,
    ) -> Result<()> {
        let e = self.engine;
        let book = &e.book;
        let lead = members[0];
        let combine = book.programs[lead]
            .group
            .as_ref()
            .and_then(|g| book.groups.iter().find(|x| &x.id == g))
            .map_or(Combine::Additive, |g| g.combine);
        // Payees: union over members, in id order.
        let mut payees: Vec<u32> = Vec::new();
        for &pi in members {
            for a in self.accounts(pi) {
                if !payees.contains(&a.payee) {
                    payees.push(a.payee);
                }
            }
        }
        let benef = book.programs[lead].beneficiary;
        let m = &self.dataset.master;
        let id_of = |c: u32| match benef {
            Beneficiary::Partner => m.partners.id(c),
            Beneficiary::Customer => m.customers.id(c),
        };
        payees.sort_by(|&a, &b| id_of(a).cmp(id_of(b)));
        for payee in payees {
            // Program cap bookkeeping: entitlements of earlier periods per member.
            let mut earlier: Vec<i64> = vec![0; members.len()];
            for (ps, pe) in periods(e, lead) {
                let pts = points(e, lead, ps, pe);
                // Evaluate every point up to the as-of date for every member.
                let mut rows: Vec<Vec<Option<Row>>> = vec![Vec::new(); members.len()];
                for &(b, is_final) in &pts {
                    if last_day(b) > self.as_of {
                        break;
                    }
                    let evals = self.eval_stack(members, payee, ps, pe, b, combine, &earlier)?;
                    for (k, ev) in evals.into_iter().enumerate() {
                        rows[k].push(ev.map(|ev| Row { b, is_final, ev }));
                    }
                }
                for (k, &pi) in members.iter().enumerate() {
                    let prog = &book.programs[pi];
                    let acc = Account {
                        prog: pi as u32,
                        payee,
                    };
                    if !self.enrolled(acc) {
                        continue;
                    }
                    let rs: Vec<&Row> = rows[k].iter().flatten().collect();
                    if rs.is_empty() {
                        continue;
                    }
                    // Entitlement per point, by the rounding point.
                    let mode = prog.rounding.mode;
                    let mut ent = Vec::with_capacity(rs.len());
                    let mut prev_exact = Decimal::ZERO;
                    let mut acc_round: i64 = 0;
                    for r in &rs {
                        let v = match prog.rounding.point {
                            RoundingPoint::Settlement => {
                                acc_round += mode.round(r.ev.exact - prev_exact)?;
                                prev_exact = r.ev.exact;
                                acc_round
                            }
                            _ => mode.round(r.ev.exact)?,
                        };
                        ent.push(v);
                    }
                    // Program cap over periods.
                    let cap = prog
                        .limits
                        .iter()
                        .find(|l| l.scope == LimitScope::Program)
                        .and_then(|l| l.max)
                        .map(|m| mode.round(m * e.progs[pi].units.amount))
                        .transpose()?;
                    let mut capped = vec![false; ent.len()];
                    if let Some(cap) = cap {
                        let room = (cap - earlier[k]).max(0);
                        for (j, v) in ent.iter_mut().enumerate() {
                            if *v > room {
                                *v = room;
                                capped[j] = true;
                            }
                        }
                    }
                    let final_ent = if rs.last().is_some_and(|r| r.is_final) {
                        ent.last().copied()
                    } else {
                        None
                    };
                    let period = months_period(ps, pe);
                    if prog.pays_contributors() {
                        self.pay_contributors(acc, &rs, &ent, period, paid, out)?;
                    } else {
                        self.pay(acc, payee, &rs, &ent, &capped, period, paid, out)?;
                    }
                    if let Some(f) = final_ent {
                        earlier[k] += f;
                    }
                }
            }
        }
        Ok(())
    }

    fn enrolled(&self, acc: Account) -> bool {
        let pi = acc.prog as usize;
        match self.engine.book.programs[pi].beneficiary {
            Beneficiary::Partner => self.engine.progs[pi].enrolled.contains(&acc.payee),
            Beneficiary::Customer => self.customers.contains_key(&(acc.prog, acc.payee)),
        }
    }

    /// Evaluate the members of a stacking unit for one payee at one point, and combine.
    #[allow(clippy::too_many_arguments)]
    fn eval_stack(
        &self,
        members: &[usize],
        payee: u32,
        ps: i32,
        pe: i32,
        b: i32,
        combine: Combine,
        _earlier: &[i64],
    ) -> Result<Vec<Option<Eval>>> {
        let book = &self.engine.book;
        let mut evals: Vec<Option<Eval>> = Vec::with_capacity(members.len());
        let mut granted = Decimal::ZERO;
        for &pi in members {
            let acc = Account {
                prog: pi as u32,
                payee,
            };
            if !self.enrolled(acc) {
                evals.push(None);
                continue;
            }
            let reduce = if combine == Combine::Compounding {
                granted
            } else {
                Decimal::ZERO
            };
            let mut ev = self.eval(acc, ps, pe, b, reduce)?;
            self.penalise(acc, &mut ev, ps, b);
            granted += ev.exact.max(Decimal::ZERO);
            evals.push(Some(ev));
        }
        let winner = match combine {
            Combine::ExclusiveBest => {
                let mut best: Option<usize> = None;
                for (k, ev) in evals.iter().enumerate() {
                    if let Some(ev) = ev
                        && ev.exact > Decimal::ZERO
                        && best
                            .is_none_or(|j| evals[j].as_ref().is_some_and(|w| ev.exact > w.exact))
                    {
                        best = Some(k);
                    }
                }
                best
            }
            Combine::ExclusiveByPriority => evals
                .iter()
                .position(|ev| ev.as_ref().is_some_and(|ev| ev.exact > Decimal::ZERO)),
            _ => None,
        };
        if let Some(w) = winner {
            let group = book.programs[members[w]].group.clone().unwrap_or_default();
            let by = book.programs[members[w]].id.clone();
            for (k, ev) in evals.iter_mut().enumerate() {
                if k == w {
                    continue;
                }
                if let Some(ev) = ev
                    && ev.exact > Decimal::ZERO
                {
                    ev.adjustments.push(Adjustment {
                        kind: AdjustmentKind::Superseded,
                        rule: group.clone(),
                        amount: -ev.exact,
                        findings: Vec::new(),
                        detail: format!("program {by:?} wins group {group:?}"),
                    });
                    ev.why_not.push(Reason::Superseded {
                        by: by.clone(),
                        group: group.clone(),
                    });
                    ev.exact = Decimal::ZERO;
                }
            }
        }
        Ok(evals)
    }

    /// Statement lines (and deltas) of one account from its evaluated points.
    #[allow(clippy::too_many_arguments)]
    fn pay(
        &self,
        acc: Account,
        payee: u32,
        rs: &[&Row],
        ent: &[i64],
        capped: &[bool],
        period: Period,
        paid: &BTreeMap<(String, String, Period), Paid>,
        out: &mut Settlement,
    ) -> Result<()> {
        let e = self.engine;
        let pi = acc.prog as usize;
        let prog = &e.book.programs[pi];
        let payee_id = self
            .id(Account {
                prog: acc.prog,
                payee,
            })
            .to_string();
        let key = (prog.id.clone(), payee_id.clone(), period);
        let before = paid.get(&key).cloned().unwrap_or_default();
        let mut running = before.amount;
        // A settled point whose entitlement changed: a delta first.
        if let Some(last) = before.last_through
            && let Some(j) = rs.iter().position(|r| last_day(r.b) == last)
        {
            let now = ent[j];
            if now != before.last_entitlement {
                let delta = now - before.last_entitlement;
                let r = rs[j];
                let vol = r.ev.volume.map(|v| narrow(v, "a volume")).transpose()?;
                let mut line = self.line(
                    acc,
                    &payee_id,
                    period,
                    r,
                    now,
                    running,
                    delta,
                    EntryKind::Delta,
                    capped[j],
                )?;
                line.id = format!("{}/delta@{}", line.id, self.as_of);
                let (was, b) = (before.last_lines, &r.ev.agg.b);
                let since = |now: u32, then: u32| i64::from(now) - i64::from(then);
                line.delta_reason = Some(format!(
                    "volume {} → {}: {:+} sale lines, {:+} returns ({:+} clawed back) since the settlement of {}; entitlement {} → {}",
                    before.last_volume,
                    vol.map_or("unknown".into(), |v| v.to_string()),
                    since(b.sales, was.sales),
                    since(b.returns, was.returns),
                    since(b.clawed_back, was.clawed_back),
                    last,
                    running,
                    now
                ));
                running += delta;
                out.ledger.push(entry(&line, self.as_of, vol));
                out.statements.push(line);
            }
        }
        for (j, r) in rs.iter().enumerate() {
            let through = last_day(r.b);
            if before.last_through.is_some_and(|t| through <= t) {
                continue;
            }
            let kind = if r.is_final {
                EntryKind::Final
            } else {
                EntryKind::Partial
            };
            let mut due = ent[j] - running;
            let mut adj = Vec::new();
            for l in prog
                .limits
                .iter()
                .filter(|l| l.scope == LimitScope::Settlement)
            {
                let unit = e.progs[pi].units.amount;
                if let Some(max) = l.max {
                    let cap = prog.rounding.mode.round(max * unit)?;
                    if due > cap {
                        adj.push(Adjustment {
                            kind: AdjustmentKind::SettlementCap,
                            rule: format!("programs[{pi}].limits.settlement.max"),
                            amount: Decimal::from(cap - due),
                            findings: Vec::new(),
                            detail: format!("at most {max} per settlement; the rest waits for the next settlement of the period"),
                        });
                        due = cap;
                    }
                }
                if let Some(min) = l.min {
                    let floor = prog.rounding.mode.round(min * unit)?;
                    if due > 0 && due < floor {
                        adj.push(Adjustment {
                            kind: AdjustmentKind::SettlementFloor,
                            rule: format!("programs[{pi}].limits.settlement.min"),
                            amount: Decimal::from(floor - due),
                            findings: Vec::new(),
                            detail: format!("at least {min} per paying settlement"),
                        });
                        due = floor;
                    }
                }
            }
            let mut line = self.line(
                acc, &payee_id, period, r, ent[j], running, due, kind, capped[j],
            )?;
            line.adjustments.extend(adj);
            running += due;
            let vol = r.ev.volume.map(|v| narrow(v, "a volume")).transpose()?;
            out.ledger.push(entry(&line, self.as_of, vol));
            let had_lines = r.ev.agg.b.sales + r.ev.agg.b.returns + r.ev.agg.b.excluded > 0;
            if r.is_final
                && ent[j] == 0
                && due == 0
                && (prog.beneficiary == Beneficiary::Partner || had_lines)
            {
                out.not_paid.push(NotPaid {
                    program: prog.id.clone(),
                    payee: payee_id.clone(),
                    period,
                    through,
                    reasons: line.why_not.clone(),
                });
            }
            if line.amount != 0 || line.entitlement != 0 || line.previously_paid != 0 {
                out.statements.push(line);
            }
        }
        Ok(())
    }

    /// Pooled tree programs paying contributors: the entitlement at each point is split by
    /// each contributor's volume (largest remainder, ties by partner id), then each
    /// contributor is settled like an account of its own.
    fn pay_contributors(
        &self,
        acc: Account,
        rs: &[&Row],
        ent: &[i64],
        period: Period,
        paid: &BTreeMap<(String, String, Period), Paid>,
        out: &mut Settlement,
    ) -> Result<()> {
        let contributors: Vec<u32> = rs
            .last()
            .map(|r| r.ev.agg.by_contributor.iter().map(|c| c.0).collect())
            .unwrap_or_default();
        let m = &self.dataset.master;
        for (ci, &c) in contributors.iter().enumerate() {
            let mut part_ent = Vec::with_capacity(rs.len());
            for (j, r) in rs.iter().enumerate() {
                let w: Vec<i128> = r.ev.agg.by_contributor.iter().map(|x| x.1).collect();
                let parts = allocate(ent[j], &w)?;
                part_ent.push(parts.get(ci).copied().unwrap_or(0));
            }
            let capped = vec![false; rs.len()];
            let before = out.statements.len();
            self.pay(acc, c, rs, &part_ent, &capped, period, paid, out)?;
            let enrolled = m.partners.id(acc.payee).to_string();
            for line in &mut out.statements[before..] {
                line.adjustments.push(Adjustment {
                    kind: AdjustmentKind::Split,
                    rule: format!("pooled under {enrolled}"),
                    amount: Decimal::ZERO,
                    findings: Vec::new(),
                    detail: format!(
                        "the pooled rebate of {enrolled}'s network is split by volume; {} gets its share",
                        m.partners.id(c)
                    ),
                });
            }
        }
        Ok(())
    }

    /// Build one statement line.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        acc: Account,
        payee_id: &str,
        period: Period,
        r: &Row,
        entitlement: i64,
        previously_paid: i64,
        amount: i64,
        kind: EntryKind,
        capped: bool,
    ) -> Result<StatementLine> {
        let e = self.engine;
        let pi = acc.prog as usize;
        let prog = &e.book.programs[pi];
        let m = &self.dataset.master;
        let through = last_day(r.b);
        let ev = &r.ev;
        let tier = ev.outcome.tier.map(|k| {
            let (from, to) = match &prog.shape {
                Shape::AllUnits { tiers }
                | Shape::Marginal { tiers }
                | Shape::Growth { tiers, .. } => {
                    tiers.get(k).map_or((None, None), |b| (Some(b.from), b.to))
                }
                Shape::Interpolated { points } => (
                    points.get(k).map(|p| p.volume),
                    points.get(k + 1).map(|p| p.volume),
                ),
                Shape::Target { levels, .. } => (
                    levels.get(k).map(|l| l.attainment),
                    levels.get(k + 1).map(|l| l.attainment),
                ),
                _ => (None, None),
            };
            TierReached { index: k, from, to }
        });
        let mut adjustments = ev.adjustments.clone();
        if capped {
            adjustments.push(Adjustment {
                kind: AdjustmentKind::ProgramCap,
                rule: format!("programs[{pi}].limits.program.max"),
                amount: Decimal::ZERO,
                findings: Vec::new(),
                detail: "the program cap over all periods limits this entitlement".into(),
            });
        }
        let mut why_not = if entitlement == 0 {
            ev.why_not.clone()
        } else {
            Vec::new()
        };
        if entitlement == 0 && capped {
            why_not.push(Reason::CapReached);
        }
        let contributors = if ev.agg.by_contributor.len() > 1 {
            ev.agg
                .by_contributor
                .iter()
                .map(|c| m.partners.id(c.0).to_string())
                .collect()
        } else {
            Vec::new()
        };
        Ok(StatementLine {
            id: format!("{}/{}/{}/{}", prog.id, payee_id, period, through),
            program: prog.id.clone(),
            program_name: prog.name.en.clone(),
            payee_kind: prog.beneficiary,
            payee: payee_id.to_string(),
            period,
            kind,
            through,
            base: Base {
                measure: prog.measure,
                volume: ev.volume.map(|v| narrow(v, "a volume")).transpose()?,
                months: Period {
                    start: period.start,
                    end: through.add_days(1),
                },
                sale_lines: ev.agg.b.sales,
                return_lines: ev.agg.b.returns,
                clawed_back_returns: ev.agg.b.clawed_back,
                excluded_lines: ev.agg.b.excluded,
                filters: self.filters[pi].clone(),
                contributors,
                target: ev.target.map(|t| narrow(t, "a target")).transpose()?,
                baseline: ev.baseline.map(|t| narrow(t, "a baseline")).transpose()?,
            },
            shape: prog.shape.kind().to_string(),
            tier,
            rate: ev.outcome.rate,
            gross: ev.gross,
            adjustments,
            exact: ev.exact,
            rounding_mode: prog.rounding.mode,
            rounding_point: prog.rounding.point,
            entitlement,
            previously_paid,
            amount,
            payout: prog.payout,
            why_not,
            delta_reason: None,
        })
    }

    /// Referral rewards: one line per party of each qualifying referral whose window has
    /// ended by the as-of date and that the ledger does not hold yet.
    fn settle_referrals(&self, ledger: &Ledger, out: &mut Settlement) -> Result<()> {
        let e = self.engine;
        let m = &self.dataset.master;
        for (pi, prog) in e.book.programs.iter().enumerate() {
            let Compiled::Referral {
                referrer,
                referred,
                min_volume,
                within_days,
            } = &e.progs[pi].shape
            else {
                continue;
            };
            for (ri, r) in self.referrals.iter().enumerate() {
                let end = r.date.add_days(*within_days as i32);
                if end > self.as_of {
                    continue;
                }
                let (v0, v1) = e.progs[pi].valid;
                let em = end.month_index();
                if em < v0 || em > v1 {
                    continue;
                }
                let (ps, pe) = e.period_months(pi, em);
                let period = months_period(ps, pe);
                let volume = self
                    .state
                    .referral
                    .get(&(pi as u32, ri as u32))
                    .copied()
                    .unwrap_or(0);
                let qualifies = dec(volume)? >= *min_volume;
                for (who, amount) in [(&r.referrer, *referrer), (&r.referred, *referred)] {
                    let id = format!("{}/{}/referral:{}/{}", prog.id, who, r.referred, end);
                    if ledger.entries.iter().any(|x| x.id == id) {
                        continue;
                    }
                    let pay = if qualifies {
                        prog.rounding.mode.round(amount)?
                    } else {
                        0
                    };
                    let reasons = if qualifies {
                        Vec::new()
                    } else {
                        vec![Reason::BelowMinimum {
                            volume: narrow(volume, "a volume")?,
                            minimum: min_volume.to_i64().unwrap_or(i64::MAX),
                        }]
                    };
                    let _ = m;
                    let line = StatementLine {
                        id: id.clone(),
                        program: prog.id.clone(),
                        program_name: prog.name.en.clone(),
                        payee_kind: Beneficiary::Customer,
                        payee: who.clone(),
                        period,
                        kind: EntryKind::Referral,
                        through: end,
                        base: Base {
                            measure: prog.measure,
                            volume: Some(narrow(volume, "a volume")?),
                            months: Period {
                                start: r.date,
                                end: end.add_days(1),
                            },
                            sale_lines: 0,
                            return_lines: 0,
                            clawed_back_returns: 0,
                            excluded_lines: 0,
                            filters: self.filters[pi].clone(),
                            contributors: vec![r.referred.clone()],
                            target: None,
                            baseline: None,
                        },
                        shape: "referral".into(),
                        tier: None,
                        rate: None,
                        gross: amount,
                        adjustments: Vec::new(),
                        exact: if qualifies { amount } else { Decimal::ZERO },
                        rounding_mode: prog.rounding.mode,
                        rounding_point: prog.rounding.point,
                        entitlement: pay,
                        previously_paid: 0,
                        amount: pay,
                        payout: prog.payout,
                        why_not: reasons.clone(),
                        delta_reason: None,
                    };
                    if pay == 0 {
                        out.not_paid.push(NotPaid {
                            program: prog.id.clone(),
                            payee: who.clone(),
                            period,
                            through: end,
                            reasons,
                        });
                    }
                    out.ledger.push(entry(&line, self.as_of, line.base.volume));
                    out.statements.push(line);
                }
            }
        }
        Ok(())
    }

    /// Accrual as of the volumes' date for every account's current period: earned so far,
    /// projection at the current pace, the next tier.
    pub fn accrue(&self, ledger: &Ledger) -> Result<Accrual> {
        let e = self.engine;
        let book = &e.book;
        let m_now = self.as_of.month_index();
        let mut lines = Vec::new();
        for (pi, prog) in book.programs.iter().enumerate() {
            if matches!(prog.shape, Shape::Referral { .. }) {
                continue;
            }
            let (v0, v1) = e.progs[pi].valid;
            if m_now < v0 || m_now > v1 {
                continue;
            }
            let (ps, pe) = e.period_months(pi, m_now);
            let period = months_period(ps, pe);
            let cp = &e.progs[pi];
            for acc in self.accounts(pi) {
                let mut ev = self.eval(acc, ps, pe, m_now, Decimal::ZERO)?;
                self.penalise(acc, &mut ev, ps, m_now);
                let earned = prog.rounding.mode.round(ev.exact)?;
                let payee = self.id(acc).to_string();
                let paid_so_far: i64 = ledger
                    .entries
                    .iter()
                    .filter(|x| x.program == prog.id && x.payee == payee && x.period == period)
                    .map(|x| x.amount)
                    .sum();
                let elapsed = i64::from(self.as_of.0 - period.start.0 + 1).max(1);
                let days = i64::from(period.days());
                let projected_volume = ev
                    .volume
                    .map(|v| v * i128::from(days) / i128::from(elapsed));
                let ctx_full = Context {
                    target: self.target(acc, ps, pe, pe)?.map(dec).transpose()?,
                    baseline: ev.baseline.map(dec).transpose()?,
                    is_final: false,
                };
                let projected = match projected_volume {
                    Some(v) => prog
                        .rounding
                        .mode
                        .round(cp.shape.eval(dec(v)?, ctx_full, cp.units.rate)?.exact)?,
                    None => 0,
                };
                let ctx_now = Context {
                    target: ev.target.map(dec).transpose()?,
                    baseline: ev.baseline.map(dec).transpose()?,
                    is_final: false,
                };
                let next = match ev.volume {
                    Some(v) => match cp.shape.next_step(dec(v)?, ctx_now) {
                        Some((index, need, rate)) => {
                            let at = dec(v)? + need;
                            let pays = prog
                                .rounding
                                .mode
                                .round(cp.shape.eval(at, ctx_now, cp.units.rate)?.exact)?;
                            Some(NextTier {
                                index,
                                volume_needed: need.to_i64().unwrap_or(i64::MAX),
                                rate,
                                pays,
                            })
                        }
                        None => None,
                    },
                    None => None,
                };
                lines.push(AccrualLine {
                    program: prog.id.clone(),
                    payee,
                    period,
                    volume: ev.volume.map(|v| narrow(v, "a volume")).transpose()?,
                    earned,
                    paid: paid_so_far,
                    projected_volume: projected_volume
                        .map(|v| narrow(v, "a volume"))
                        .transpose()?,
                    projected,
                    next,
                    why_not: if earned == 0 { ev.why_not } else { Vec::new() },
                });
            }
        }
        lines.sort_by(|a, b| (&a.program, &a.payee).cmp(&(&b.program, &b.payee)));
        Ok(Accrual {
            as_of: self.as_of,
            lines,
        })
    }
}

/// One evaluated point.
#[derive(Debug, Clone)]
struct Row {
    b: i32,
    is_final: bool,
    ev: Eval,
}

fn entry(line: &StatementLine, issued: Date, volume: Option<i64>) -> LedgerEntry {
    let base = &line.base;
    LedgerEntry {
        id: line.id.clone(),
        program: line.program.clone(),
        payee: line.payee.clone(),
        period: line.period,
        kind: line.kind,
        through: line.through,
        issued,
        amount: line.amount,
        entitlement: line.entitlement,
        volume: volume.unwrap_or(0),
        lines: LineCounts {
            sales: base.sale_lines,
            returns: base.return_lines,
            clawed_back: base.clawed_back_returns,
        },
    }
}

/// Stable-sort `v` by `keys` (one per element) without moving the large elements more than
/// once each: sort the indexes, then apply the permutation in place, cycle by cycle.
fn permute_sorted<T, K: Ord>(v: &mut [T], keys: &[K]) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    // Position i must receive the element now at order[i].
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut i = start;
        loop {
            done[i] = true;
            let from = order[i];
            if from == start {
                break;
            }
            v.swap(i, from);
            i = from;
        }
    }
}

fn describe_selection(p: &super::Program) -> Vec<String> {
    let s = &p.selection;
    let mut v = Vec::new();
    for (name, f) in [
        ("products", &s.products),
        ("categories", &s.categories),
        ("channels", &s.channels),
        ("territories", &s.territories),
        ("customer segments", &s.customer_segments),
    ] {
        if !f.include.is_empty() {
            v.push(format!("{name} in [{}]", f.include.join(", ")));
        }
        if !f.exclude.is_empty() {
            v.push(format!("{name} not in [{}]", f.exclude.join(", ")));
        }
    }
    if v.is_empty() {
        v.push("all business".into());
    }
    v.push(format!("measure {}", p.measure.as_str()));
    v
}

#[cfg(test)]
mod tests {
    use super::permute_sorted;

    #[test]
    fn permutation_sorts_stably_in_place() {
        let mut x: u64 = 12345;
        for n in [0usize, 1, 2, 7, 100, 1000] {
            let keys: Vec<u32> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 17) as u32
                })
                .collect();
            let mut v: Vec<(u32, usize)> = keys.iter().copied().zip(0..).collect();
            let mut want = v.clone();
            want.sort_by_key(|e| e.0);
            permute_sorted(&mut v, &keys);
            assert_eq!(v, want, "n = {n}");
        }
    }
}
