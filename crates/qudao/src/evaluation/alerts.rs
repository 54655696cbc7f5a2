//! Early warnings (预警): warning rules written as data, checked against a [`KpiTable`] (and,
//! for credit exposure, receivables), giving alerts that carry their evidence and the
//! suggested action.
//!
//! A [`WarningRules`] document (`schemas/warning-rules.schema.json`) lists rules of three
//! kinds, each with an id, a name, a [`Severity`], the subject kinds it watches and the
//! suggested action:
//!
//! * **threshold** — every comparison `kpi op value` holds in the period
//!   (`backlog_rate > 0.3`; `attainment_at_pace < 1` *and* `target_attainment < 1`);
//! * **trend** — the KPI moved the same way (strictly up for `rising`, strictly down for
//!   `falling`) in each of the last `periods` period-over-period steps ending at the period:
//!   `periods` steps need `periods + 1` consecutive values;
//! * **credit exposure** — a partner's receivables in the period (its last reported balance)
//!   are above its credit limit. Receivables are an optional input ([`AlertInputs`]); without
//!   them the rule does not run and the report says why.
//!
//! A KPI that is missing is never taken as 0: the subject and period are skipped for that
//! rule and counted, by reason, in the rule's [`RuleRun`].
//!
//! ```
//! use qudao::date::Period;
//! use qudao::document::RuleDocument;
//! use qudao::evaluation::alerts::{AlertInputs, WarningRules};
//! use qudao::evaluation::{Kpi, KpiTable, KpiValue, Subject, SubjectKind};
//! use rust_decimal::Decimal;
//!
//! let rules = WarningRules::from_toml(r#"
//! schema_version = 1
//! id = "example"
//! [[rules]]
//! id = "overstock"
//! name = { en = "Overstock", zh = "库存积压" }
//! severity = "warning"
//! subjects = ["partner"]
//! when.threshold.all = [{ kpi = "backlog_rate", op = ">", value = "0.3" }]
//! action = { en = "Adjust supply and organise a promotion", zh = "调整供货并组织促销" }
//! "#)?;
//! let mut t = KpiTable::default();
//! let m = Period::parse("2025-03")?;
//! let p = Subject { kind: SubjectKind::Partner, id: "P1".into() };
//! t.set(p, m, Kpi::BacklogRate, KpiValue::Value(Decimal::new(5, 1)));
//! let report = rules.evaluate(&t, &AlertInputs::default())?;
//! assert_eq!(report.alerts.len(), 1);
//! assert_eq!(report.alerts[0].message, "backlog_rate 0.5 > 0.3");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::{Date, Period};
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::money::Currency;

use super::Kpi;
use super::{KpiTable, KpiValue, Subject, SubjectKind};

/// The longest trend a rule may ask for, in period-over-period steps.
pub const MAX_TREND_PERIODS: u32 = 120;

/// A set of warning rules (预警规则), a rule document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "warning rules",
    description = "Early-warning rules (预警规则) of the qudao library: KPI thresholds, KPI trends and credit exposure, each with a severity, the subject kinds it watches and the suggested action."
)]
pub struct WarningRules {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Rule set id.
    pub id: String,
    /// The rules; at least one.
    #[schemars(length(min = 1))]
    pub rules: Vec<WarningRule>,
}

/// One warning rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WarningRule {
    /// Rule id, unique in the document.
    pub id: String,
    /// Display name.
    pub name: Label,
    /// How serious an alert of this rule is.
    pub severity: Severity,
    /// The subject kinds the rule watches; at least one. Credit exposure watches partners
    /// only.
    #[schemars(length(min = 1))]
    pub subjects: Vec<SubjectKind>,
    /// The condition.
    pub when: Condition,
    /// The suggested action, carried by every alert of the rule.
    pub action: Label,
}

/// How serious an alert is. Orders info < warning < critical.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

impl Severity {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A rule's condition: exactly one of `threshold`, `trend`, `credit_exposure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Every comparison holds in the period.
    Threshold(Threshold),
    /// A KPI rose or fell in each of the last N period-over-period steps.
    Trend(Trend),
    /// Receivables above the credit limit.
    CreditExposure(CreditExposure),
}

/// Comparisons that must all hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The comparisons; at least one. All must hold (and).
    #[schemars(length(min = 1))]
    pub all: Vec<Comparison>,
}

/// `kpi op value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// The KPI.
    pub kpi: Kpi,
    /// The comparison operator.
    pub op: Op,
    /// The threshold, in the KPI's unit (ratios as decimals: `"0.3"` is 30 %; money in major
    /// units).
    pub value: Decimal,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Op {
    /// Greater than.
    #[serde(rename = ">", alias = "gt")]
    Gt,
    /// Greater than or equal.
    #[serde(rename = ">=", alias = "ge")]
    Ge,
    /// Less than.
    #[serde(rename = "<", alias = "lt")]
    Lt,
    /// Less than or equal.
    #[serde(rename = "<=", alias = "le")]
    Le,
}

impl Op {
    /// Whether `a op b`.
    pub fn holds(self, a: Decimal, b: Decimal) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
        }
    }

    /// The symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// A trend: the KPI moved one way in each of the last `periods` steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trend {
    /// The KPI.
    pub kpi: Kpi,
    /// Rising or falling.
    pub direction: TrendDirection,
    /// Consecutive period-over-period steps in that direction (2 to 120); the rule looks at
    /// `periods + 1` consecutive periods ending at the period checked.
    #[schemars(range(min = 2, max = 120))]
    pub periods: u32,
}

/// Which way a trend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendDirection {
    /// Each value strictly above the one before.
    Rising,
    /// Each value strictly below the one before.
    Falling,
}

/// Credit exposure: a partner's receivables above its credit limit.
///
/// A partner's limit is, first found: its entry in `limits`, its limit in the input
/// ([`AlertInputs::credit_limits`]), `default_limit`. A partner with receivables and no limit
/// is skipped and counted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditExposure {
    /// The limit of partners without their own, in major units (`"200000"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_limit: Option<Decimal>,
    /// Limits of named partners, in major units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<PartnerLimit>,
}

/// One partner's credit limit in a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerLimit {
    /// Partner id.
    pub partner: String,
    /// The limit, major units, not negative.
    pub limit: Decimal,
}

/// A receivable balance reported for a partner on a date, in minor units of the currency.
/// Several rows of one partner on one date are added (e.g. the open items of an aging
/// report); a partner's exposure in a period is the total on the latest date in the period
/// it has rows for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receivable {
    /// Partner id.
    pub partner: String,
    /// The day the balance was reported.
    pub date: Date,
    /// The amount owed, minor units.
    pub amount: i64,
}

/// A partner's credit limit from the caller's systems, minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLimit {
    /// Partner id.
    pub partner: String,
    /// The limit, minor units.
    pub limit: i64,
}

/// Inputs besides the KPI table.
#[derive(Debug, Clone, Default)]
pub struct AlertInputs<'a> {
    /// Receivables, for credit-exposure rules; `None`: those rules do not run.
    pub receivables: Option<&'a [Receivable]>,
    /// Credit limits from the caller's systems.
    pub credit_limits: Option<&'a [CreditLimit]>,
    /// The currency of receivables and limits (default CNY).
    pub currency: Currency,
    /// The periods to check; `None`: every period of the table.
    pub periods: Option<&'a [Period]>,
}

/// One comparison that held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparisonEvidence {
    /// The KPI.
    pub kpi: Kpi,
    /// Its value.
    pub value: Decimal,
    /// The operator.
    pub op: Op,
    /// The threshold.
    pub threshold: Decimal,
}

/// A KPI value in a trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The period.
    pub period: Period,
    /// The value.
    pub value: Decimal,
}

/// Where a credit limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitSource {
    /// The partner's entry in the rule's `limits`.
    Rule,
    /// The caller's [`AlertInputs::credit_limits`].
    Input,
    /// The rule's `default_limit`.
    RuleDefault,
}

/// The values that triggered an alert, with the thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// Every comparison of a threshold rule, with the values.
    Threshold {
        /// The comparisons, in rule order.
        comparisons: Vec<ComparisonEvidence>,
    },
    /// The values of a trend, oldest first (`periods + 1` of them).
    Trend {
        /// The KPI.
        kpi: Kpi,
        /// Rising or falling.
        direction: TrendDirection,
        /// The steps the rule asks for.
        periods: u32,
        /// The values.
        values: Vec<TrendPoint>,
    },
    /// Receivables over the limit.
    CreditExposure {
        /// The receivables, major units.
        exposure: Decimal,
        /// The limit, major units.
        limit: Decimal,
        /// Where the limit came from.
        limit_source: LimitSource,
        /// The day of the balance.
        as_of: Date,
        /// The currency code.
        currency: String,
    },
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The rule id.
    pub rule: String,
    /// The rule's name.
    pub rule_name: Label,
    /// Severity.
    pub severity: Severity,
    /// The subject.
    pub subject: Subject,
    /// The period.
    pub period: Period,
    /// The values that triggered it.
    pub evidence: Evidence,
    /// The evidence in one line (`backlog_rate 0.5 > 0.3`).
    pub message: String,
    /// The suggested action.
    pub action: Label,
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRun {
    /// The rule id.
    pub rule: String,
    /// Why the rule did not run at all; `None`: it ran.
    pub not_run: Option<String>,
    /// (subject, period) pairs checked.
    pub checked: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// (subject, period) pairs that could not be checked, counted by reason.
    pub skipped: BTreeMap<String, u64>,
}

/// The alerts and what each rule did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertReport {
    /// The rule set id.
    pub rules_id: String,
    /// Alerts by severity (critical first), rule id, subject (kind, id), period.
    pub alerts: Vec<Alert>,
    /// One entry per rule, in document order.
    pub runs: Vec<RuleRun>,
}

/// A period's length class, so that a month follows a month and a quarter a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Span {
    Months(i32),
    Days(i32),
}

fn span(p: Period) -> Span {
    if p.start.ymd().2 == 1 && p.end.ymd().2 == 1 {
        Span::Months(p.end.month_index() - p.start.month_index())
    } else {
        Span::Days(p.days())
    }
}

/// The previous period of each table period: the table period of the same length that ends
/// where it starts.
fn previous_periods(periods: &[Period]) -> HashMap<Period, Period> {
    let by_end: HashMap<(Date, Span), Period> =
        periods.iter().map(|p| ((p.end, span(*p)), *p)).collect();
    periods
        .iter()
        .filter_map(|p| Some((*p, *by_end.get(&(p.start, span(*p)))?)))
        .collect()
}

fn missing_reason(kpi: Kpi, v: Option<&KpiValue>) -> String {
    match v {
        None => format!("{kpi} not computed"),
        Some(KpiValue::Missing(m)) => format!("{kpi} missing: {m}"),
        Some(KpiValue::Value(_)) => format!("{kpi} present"),
    }
}

fn bump(map: &mut BTreeMap<String, u64>, reason: String) {
    *map.entry(reason).or_insert(0) += 1;
}

impl WarningRules {
    /// The sample company's warning rules (`crates/qudao/evaluation/sample-warning-rules.toml`):
    /// overstock (`backlog_rate > 0.3`), complaint rate rising three months running, a high
    /// complaint rate, falling revenue, target attainment behind pace, low satisfaction and a
    /// credit limit.
    ///
    /// ```
    /// let r = qudao::evaluation::alerts::WarningRules::sample_company();
    /// assert_eq!(r.id, "minghe-warnings");
    /// ```
    pub fn sample_company() -> WarningRules {
        const TEXT: &str = include_str!("../../evaluation/sample-warning-rules.toml");
        // The file is checked by a test; an empty rule set here would fail that test.
        WarningRules::from_toml(TEXT).unwrap_or_else(|_| WarningRules {
            schema_version: SCHEMA_VERSION,
            id: String::new(),
            rules: Vec::new(),
        })
    }

    /// The rule with an id.
    pub fn rule(&self, id: &str) -> Option<&WarningRule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Check every rule against `table` (and the inputs) for every period of the table, or
    /// the periods given in `inputs`.
    ///
    /// Errors if the document is invalid or a receivables sum overflows.
    pub fn evaluate(&self, table: &KpiTable, inputs: &AlertInputs<'_>) -> Result<AlertReport> {
        self.validate()?;
        let periods: Vec<Period> = match inputs.periods {
            Some(ps) => {
                let set: BTreeSet<Period> = ps.iter().copied().collect();
                set.into_iter().collect()
            }
            None => table.periods.clone(),
        };
        let prev = previous_periods(&table.periods);
        let mut alerts = Vec::new();
        let mut runs = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            let mut run = RuleRun {
                rule: rule.id.clone(),
                not_run: None,
                checked: 0,
                alerts: 0,
                skipped: BTreeMap::new(),
            };
            let before = alerts.len();
            match &rule.when {
                Condition::Threshold(th) => {
                    threshold(rule, th, table, &periods, &mut run, &mut alerts);
                }
                Condition::Trend(tr) => {
                    trend(rule, tr, table, &periods, &prev, &mut run, &mut alerts);
                }
                Condition::CreditExposure(ce) => {
                    credit(rule, ce, inputs, &periods, &mut run, &mut alerts)?;
                }
            }
            run.alerts = (alerts.len() - before) as u64;
            runs.push(run);
        }
        alerts.sort_by(|a: &Alert, b: &Alert| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.subject.cmp(&b.subject))
                .then_with(|| a.period.cmp(&b.period))
        });
        Ok(AlertReport {
            rules_id: self.id.clone(),
            alerts,
            runs,
        })
    }
}

fn alert(rule: &WarningRule, subject: &Subject, period: Period, evidence: Evidence) -> Alert {
    let message = match &evidence {
        Evidence::Threshold { comparisons } => comparisons
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    c.kpi,
                    c.value.normalize(),
                    c.op.symbol(),
                    c.threshold.normalize()
                )
            })
            .collect::<Vec<_>>()
            .join(" and "),
        Evidence::Trend {
            kpi,
            direction,
            periods,
            values,
        } => format!(
            "{kpi} {} {periods} periods running: {}",
            match direction {
                TrendDirection::Rising => "rose",
                TrendDirection::Falling => "fell",
            },
            values
                .iter()
                .map(|p| format!("{} {}", p.period, p.value.normalize()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Evidence::CreditExposure {
            exposure,
            limit,
            as_of,
            currency,
            ..
        } => format!(
            "receivables {} {currency} on {as_of} > limit {} {currency}",
            exposure.normalize(),
            limit.normalize()
        ),
    };
    Alert {
        rule: rule.id.clone(),
        rule_name: rule.name.clone(),
        severity: rule.severity,
        subject: subject.clone(),
        period,
        evidence,
        message,
        action: rule.action.clone(),
    }
}

fn watched<'t>(rule: &WarningRule, table: &'t KpiTable) -> impl Iterator<Item = &'t Subject> {
    let kinds: BTreeSet<SubjectKind> = rule.subjects.iter().copied().collect();
    table.values.keys().filter(move |s| kinds.contains(&s.kind))
}

fn threshold(
    rule: &WarningRule,
    th: &Threshold,
    table: &KpiTable,
    periods: &[Period],
    run: &mut RuleRun,
    alerts: &mut Vec<Alert>,
) {
    for s in watched(rule, table) {
        'period: for &p in periods {
            let mut comparisons = Vec::with_capacity(th.all.len());
            for c in &th.all {
                let got = table.get(s, p, c.kpi);
                let Some(value) = got.and_then(KpiValue::value) else {
                    bump(&mut run.skipped, missing_reason(c.kpi, got));
                    continue 'period;
                };
                comparisons.push(ComparisonEvidence {
                    kpi: c.kpi,
                    value,
                    op: c.op,
                    threshold: c.value,
                });
            }
            run.checked += 1;
            if comparisons.iter().all(|c| c.op.holds(c.value, c.threshold)) {
                alerts.push(alert(rule, s, p, Evidence::Threshold { comparisons }));
            }
        }
    }
}

fn trend(
    rule: &WarningRule,
    tr: &Trend,
    table: &KpiTable,
    periods: &[Period],
    prev: &HashMap<Period, Period>,
    run: &mut RuleRun,
    alerts: &mut Vec<Alert>,
) {
    let steps = tr.periods as usize;
    for s in watched(rule, table) {
        'period: for &p in periods {
            // Walk back from p: steps + 1 values, newest first.
            let mut values = Vec::with_capacity(steps + 1);
            let mut at = Some(p);
            while values.len() <= steps {
                let Some(q) = at else {
                    bump(
                        &mut run.skipped,
                        format!("fewer than {} consecutive periods", steps + 1),
                    );
                    continue 'period;
                };
                let got = table.get(s, q, tr.kpi);
                let Some(v) = got.and_then(KpiValue::value) else {
                    bump(&mut run.skipped, missing_reason(tr.kpi, got));
                    continue 'period;
                };
                values.push(TrendPoint {
                    period: q,
                    value: v,
                });
                at = prev.get(&q).copied();
            }
            values.reverse();
            run.checked += 1;
            let moved = values.windows(2).all(|w| match tr.direction {
                TrendDirection::Rising => w[1].value > w[0].value,
                TrendDirection::Falling => w[1].value < w[0].value,
            });
            if moved {
                alerts.push(alert(
                    rule,
                    s,
                    p,
                    Evidence::Trend {
                        kpi: tr.kpi,
                        direction: tr.direction,
                        periods: tr.periods,
                        values,
                    },
                ));
            }
        }
    }
}

fn credit(
    rule: &WarningRule,
    ce: &CreditExposure,
    inputs: &AlertInputs<'_>,
    periods: &[Period],
    run: &mut RuleRun,
    alerts: &mut Vec<Alert>,
) -> Result<()> {
    let Some(receivables) = inputs.receivables else {
        run.not_run = Some("no receivables were given".into());
        return Ok(());
    };
    let input_limits: HashMap<&str, i64> = inputs
        .credit_limits
        .unwrap_or_default()
        .iter()
        .map(|l| (l.partner.as_str(), l.limit))
        .collect();
    if ce.default_limit.is_none() && ce.limits.is_empty() && input_limits.is_empty() {
        run.not_run = Some(
            "no credit limits: the rule has neither limits nor default_limit and none were given"
                .into(),
        );
        return Ok(());
    }
    // Totals per partner and day.
    let mut by_partner: BTreeMap<&str, BTreeMap<Date, i128>> = BTreeMap::new();
    for r in receivables {
        *by_partner
            .entry(r.partner.as_str())
            .or_default()
            .entry(r.date)
            .or_insert(0) += i128::from(r.amount);
    }
    let cur = &inputs.currency;
    for (partner, days) in &by_partner {
        let (limit, source) = if let Some(l) = ce.limits.iter().find(|l| l.partner == *partner) {
            (l.limit, LimitSource::Rule)
        } else if let Some(&l) = input_limits.get(partner) {
            (cur.to_decimal(l), LimitSource::Input)
        } else if let Some(l) = ce.default_limit {
            (l, LimitSource::RuleDefault)
        } else {
            for _ in periods {
                bump(&mut run.skipped, "no credit limit for the partner".into());
            }
            continue;
        };
        let subject = Subject {
            kind: SubjectKind::Partner,
            id: (*partner).to_string(),
        };
        for &p in periods {
            let Some((&as_of, &total)) = days.range(p.start..p.end).next_back() else {
                bump(&mut run.skipped, "no receivables in the period".into());
                continue;
            };
            let minor = crate::money::narrow(total, "a partner's receivables")?;
            let exposure = cur.to_decimal(minor);
            run.checked += 1;
            if exposure > limit {
                alerts.push(alert(
                    rule,
                    &subject,
                    p,
                    Evidence::CreditExposure {
                        exposure,
                        limit,
                        limit_source: source,
                        as_of,
                        currency: cur.code.clone(),
                    },
                ));
            }
        }
    }
    Ok(())
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl RuleDocument for WarningRules {
    const KIND: &'static str = "warning rules";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.check_version()?;
        if self.id.trim().is_empty() {
            return Err(Error::document("id", "empty id"));
        }
        if self.rules.is_empty() {
            return Err(Error::document("rules", "give at least one rule"));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            let p = format!("rules[{i}]");
            if r.id.trim().is_empty() {
                return Err(Error::document(format!("{p}.id"), "empty id"));
            }
            if let Some(j) = seen.insert(r.id.as_str(), i) {
                return Err(Error::document(
                    format!("{p}.id"),
                    format!("{:?} is already the id of rules[{j}]", r.id),
                ));
            }
            r.name.validate(&format!("{p}.name"))?;
            r.action.validate(&format!("{p}.action"))?;
            if r.subjects.is_empty() {
                return Err(Error::document(
                    format!("{p}.subjects"),
                    "give at least one subject kind",
                ));
            }
            for (k, kind) in r.subjects.iter().enumerate() {
                if r.subjects[..k].contains(kind) {
                    return Err(Error::document(
                        format!("{p}.subjects[{k}]"),
                        "subject kind listed twice",
                    ));
                }
            }
            match &r.when {
                Condition::Threshold(th) => {
                    if th.all.is_empty() {
                        return Err(Error::document(
                            format!("{p}.when.threshold.all"),
                            "give at least one comparison",
                        ));
                    }
                }
                Condition::Trend(tr) => {
                    if tr.periods < 2 || tr.periods > MAX_TREND_PERIODS {
                        return Err(Error::document(
                            format!("{p}.when.trend.periods"),
                            format!(
                                "{} steps; a trend needs 2 to {MAX_TREND_PERIODS} (one step is a threshold on growth)",
                                tr.periods
                            ),
                        ));
                    }
                }
                Condition::CreditExposure(ce) => {
                    if r.subjects != [SubjectKind::Partner] {
                        return Err(Error::document(
                            format!("{p}.subjects"),
                            "credit exposure watches partners only: write [\"partner\"]",
                        ));
                    }
                    if let Some(d) = ce.default_limit
                        && d.is_sign_negative()
                        && !d.is_zero()
                    {
                        return Err(Error::document(
                            format!("{p}.when.credit_exposure.default_limit"),
                            format!("{d} is negative"),
                        ));
                    }
                    let mut partners: HashMap<&str, usize> = HashMap::new();
                    for (j, l) in ce.limits.iter().enumerate() {
                        let lp = format!("{p}.when.credit_exposure.limits[{j}]");
                        if l.partner.trim().is_empty() {
                            return Err(Error::document(format!("{lp}.partner"), "empty id"));
                        }
                        if let Some(k) = partners.insert(l.partner.as_str(), j) {
                            return Err(Error::document(
                                format!("{lp}.partner"),
                                format!("{:?} already has a limit in limits[{k}]", l.partner),
                            ));
                        }
                        if l.limit.is_sign_negative() && !l.limit.is_zero() {
                            return Err(Error::document(
                                format!("{lp}.limit"),
                                format!("{} is negative", l.limit),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
