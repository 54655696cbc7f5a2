//! The evaluation section of the report, with the sample company's rule documents: the
//! channel BCG matrix of the last year, the partner ranking of the last quarter with the
//! reasons behind the scores, the early warnings over the months of the data, and the
//! onboarding evaluation and grade-change suggestions.

use std::collections::BTreeMap;
use std::fmt::Write;

use qudao::evaluation::alerts::{
    Alert, AlertInputs, AlertReport, Evidence, Severity, TrendDirection, WarningRules,
};
use qudao::evaluation::bcg::{BcgMatrix, BcgOptions, Movement, Quadrant, ShareBasis, movements};
use qudao::evaluation::grade::{GradeInputs, GradeRules, Measure, Suggestion, SuggestionKind};
use qudao::evaluation::kpi::{Grain, KpiOptions, compute};
use qudao::evaluation::onboarding::{Attribute, Gate, OnboardingPolicy};
use qudao::evaluation::scorecard::{GroupKind, Reason, Scorecard, ScorecardRun, SubjectScore};
use qudao::evaluation::{Kpi, KpiTable, KpiUnit, Subject, SubjectKind};
use qudao::{Currency, Dataset, Date, MasterData, Period};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::report::{Context, Section};
use crate::text::{count, group_thousands, left, money, right};

/// Evaluation: BCG matrix, partner ranking, alerts, onboarding and grades.
#[derive(Debug)]
pub struct Evaluation {
    /// How many partners of each level to rank.
    pub top: usize,
    /// How many lines of alerts to show for the rules that single out the planted trouble.
    pub alert_lines: usize,
    /// How many grade suggestions to show with their evidence.
    pub suggestions: usize,
}

/// The levels of the partner tree (general agent → distributor → retailer), each scored as
/// its own peer group: a shop is not ranked against a regional general agent.
const LEVELS: [(&str, &str); 3] = [
    ("General agents", "区域总代"),
    ("Distributors", "经销商"),
    ("Retailers, franchisees, agents", "零售、加盟与代理商"),
];

/// The sample warning rules that single out the sample company's planted trouble: the
/// overstocked partner (days of stock) and the partner whose complaints rise every month.
const SINGLED_OUT: [&str; 2] = ["stock-cover-high", "complaints-rising"];

/// A part that could not be computed, as text: the other parts still print.
struct Failed(String);

impl From<std::fmt::Error> for Failed {
    fn from(e: std::fmt::Error) -> Self {
        Failed(e.to_string())
    }
}

impl From<qudao::Error> for Failed {
    fn from(e: qudao::Error) -> Self {
        Failed(e.to_string())
    }
}

/// One part of the section, writing to the report.
type Part<'a> = &'a dyn Fn(&mut String) -> Result<(), Failed>;

/// What the parts share: the data, the currency, the range of the KPI tables.
struct Span<'a> {
    data: &'a Dataset,
    cur: &'a Currency,
    /// 1 January of the first year of the data.
    from: Date,
    /// 1 January after the last year of the data.
    to: Date,
    /// The last day of the data.
    last: Date,
}

impl Span<'_> {
    /// KPIs of some kinds of subject at a grain over the whole years of the data, as of its
    /// last day.
    fn kpis(&self, grain: Grain, kinds: Vec<SubjectKind>) -> Result<KpiTable, Failed> {
        let opts = KpiOptions {
            kinds,
            as_of: self.last,
            ..KpiOptions::new(self.from, self.to, grain)
        };
        Ok(compute(self.data, &opts)?)
    }
}

/// The partner scorecard run per level over the quarterly partner KPIs.
struct Scored<'a> {
    card: &'a Scorecard,
    levels: &'a BTreeMap<String, usize>,
    /// One run per level, in [`LEVELS`] order.
    runs: Result<&'a [ScorecardRun], &'a Failed>,
    table: Result<&'a KpiTable, &'a Failed>,
}

impl Section for Evaluation {
    fn title(&self) -> &'static str {
        "Evaluation / 渠道评估"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let (Some(first), Some(last)) = (cx.summary.first_date, cx.summary.last_date) else {
            return writeln!(out, "(no transactions)");
        };
        let (Some(from), Some(to)) = (year_start(first.year()), year_start(last.year() + 1)) else {
            return writeln!(out, "(the dates of the data are out of range)");
        };
        let span = Span {
            data: cx.data,
            cur: &cx.summary.currency,
            from,
            to,
            last,
        };
        writeln!(
            out,
            "KPIs per channel and partner from the transactions and the operational tables, read by the"
        )?;
        writeln!(
            out,
            "sample company's rule documents (crates/qudao/evaluation/sample-*.toml). A KPI without its"
        )?;
        writeln!(out, "inputs is missing with a reason, never 0.")?;
        // Quarterly partner KPIs scored once per level: the ranking reads the last quarter, the
        // grade rules every quarter.
        let card = Scorecard::sample_company();
        let levels = partner_levels(&cx.data.master);
        let scored = span
            .kpis(Grain::Quarter, vec![SubjectKind::Partner])
            .and_then(|t| Ok((level_runs(&card, &t, &levels)?, t)));
        let scored = Scored {
            card: &card,
            levels: &levels,
            runs: scored.as_ref().map(|(r, _)| r.as_slice()),
            table: scored.as_ref().map(|(_, t)| t),
        };
        let parts: [(&str, Part<'_>); 4] = [
            ("BCG matrix", &|out| self.bcg(&span, out)),
            ("partner ranking", &|out| self.ranking(&span, &scored, out)),
            ("early warnings", &|out| self.alerts(&span, out)),
            ("onboarding and grades", &|out| {
                self.onboarding(&span, &scored, out)
            }),
        ];
        for (what, part) in parts {
            writeln!(out)?;
            if let Err(Failed(e)) = part(out) {
                writeln!(out, "{what}: failed: {e}")?;
            }
        }
        Ok(())
    }
}

impl Evaluation {
    /// The BCG table of the last year and the movements into it.
    fn bcg(&self, span: &Span<'_>, out: &mut String) -> Result<(), Failed> {
        let opts = BcgOptions::sample_company();
        let year = span.last.year();
        let (Some(this), Some(prev)) = (year_period(year), year_period(year - 1)) else {
            return Err(Failed("the year is out of range".into()));
        };
        writeln!(out, "Channel BCG matrix, {this} / 渠道波士顿矩阵")?;
        let yearly = span.kpis(Grain::Year, vec![opts.kind])?;
        let matrix = opts.classify(&yearly, this)?;
        let names = channel_names(span.data);
        let name = |id: &str| names.get(id).map_or("", String::as_str).to_owned();
        let basis = match opts.share {
            ShareBasis::LargestPeer => "the largest other channel's",
            ShareBasis::PeerAverage => "the channels' average",
        };
        writeln!(
            out,
            "High growth: {} ≥ {}; high share: {} over {basis} ≥ {} (options {}).",
            opts.growth_kpi,
            ratio_text(opts.growth_threshold),
            opts.size_kpi,
            opts.share_threshold.normalize(),
            opts.id
        )?;
        writeln!(
            out,
            "{} {} {} {} {} {} action / 建议",
            left("channel", 12),
            left("name", 16),
            left("quadrant", 18),
            right("growth", 7),
            right("share", 5),
            right(&format!("{} ({})", opts.size_kpi, span.cur.code), 16),
        )?;
        for e in &matrix.entries {
            writeln!(
                out,
                "{} {} {} {} {} {} {}",
                left(&e.subject, 12),
                left(&name(&e.subject), 16),
                left(&quadrant_text(e.quadrant), 18),
                right(&ratio_text(floor_dp(e.growth, 3)), 7),
                right(&format!("{:.2}", floor_dp(e.relative_share, 2)), 5),
                right(&kpi_text(opts.size_kpi, e.size, span.cur), 16),
                e.action.zh
            )?;
        }
        for u in &matrix.unclassified {
            writeln!(
                out,
                "{} {} not classified: {}",
                left(&u.subject, 12),
                left(&name(&u.subject), 16),
                u.reason
            )?;
        }
        for q in Quadrant::ALL {
            if matrix.quadrant(q).next().is_some() {
                writeln!(
                    out,
                    "  {} — {}",
                    left(&quadrant_text(q), 18),
                    opts.actions.get(q).en
                )?;
            }
        }

        // From the year before when it can be classified; otherwise (growth year over year
        // needs the year before it) quarter by quarter through the last year.
        let before = opts.classify(&yearly, prev)?;
        let moves = if before.entries.is_empty() {
            let why = before
                .unclassified
                .first()
                .map_or("no channel sold".to_string(), |u| u.reason.to_string());
            writeln!(
                out,
                "Movements {prev} → {this}: {prev} has no quadrants ({why});"
            )?;
            writeln!(out, "quarter by quarter in {this} instead:")?;
            let quarters: Vec<Period> = (0..4).filter_map(|q| quarter_period(year, q)).collect();
            let quarterly = span.kpis(Grain::Quarter, vec![opts.kind])?;
            opts.analyze(&quarterly, &quarters)?.movements
        } else {
            writeln!(out, "Movements {prev} → {this}:")?;
            movements(&before, &matrix)
        };
        trails(&moves, &matrix, &name, out)
    }

    /// The top partners of each level in the last quarter, with their strengths and weakness.
    fn ranking(
        &self,
        span: &Span<'_>,
        scored: &Scored<'_>,
        out: &mut String,
    ) -> Result<(), Failed> {
        let Some(quarter) = quarter_of(span.last) else {
            return Err(Failed("the last day is out of range".into()));
        };
        let card = scored.card;
        writeln!(
            out,
            "Partner ranking, {quarter} / 渠道伙伴绩效排名 ({}, {})",
            card.id, card.name.zh
        )?;
        let groups: Vec<String> = card
            .groups
            .iter()
            .map(|g| {
                format!(
                    "{} {}%",
                    group_text(g.group),
                    (g.weight * Decimal::ONE_HUNDRED).normalize()
                )
            })
            .collect();
        writeln!(out, "Weights: {}.", groups.join(", "))?;
        writeln!(
            out,
            "Quarterly KPIs; each level scored against its own peers (0–100, rank 1 best). Reasons:"
        )?;
        writeln!(
            out,
            "indicator, raw value → normalised 0–100 (points over the peers' average contribution)."
        )?;
        let runs = scored.runs.map_err(|f| Failed(f.0.clone()))?;
        for (level, run) in runs.iter().enumerate() {
            let (en, zh) = LEVELS[level];
            let Some(p) = run.period(quarter) else {
                writeln!(out, "{en} / {zh}: none scored")?;
                continue;
            };
            let unscored = if p.unscored.is_empty() {
                String::new()
            } else {
                format!(", {} with no indicator", p.unscored.len())
            };
            writeln!(out, "{en} / {zh}: {} scored{unscored}", p.scores.len())?;
            for s in p.scores.iter().take(self.top) {
                let (strengths, weakness) = reasons(s, span.cur);
                writeln!(
                    out,
                    "{} {} {} {}  {strengths}",
                    right(&format!("#{}", s.rank), 4),
                    left(&s.id, 6),
                    left(&partner_name(&span.data.master, &s.id), 20),
                    right(&format!("{:.1}", s.score), 5),
                )?;
                if !weakness.is_empty() {
                    writeln!(out, "{}{weakness}", " ".repeat(40))?;
                }
            }
        }
        Ok(())
    }

    /// Alert counts by rule and severity, then the alerts of the rules that single out the
    /// planted trouble, one entry per subject.
    fn alerts(&self, span: &Span<'_>, out: &mut String) -> Result<(), Failed> {
        let rules = WarningRules::sample_company();
        let monthly = span.kpis(
            Grain::Month,
            vec![SubjectKind::Channel, SubjectKind::Partner],
        )?;
        let report: AlertReport = rules.evaluate(&monthly, &AlertInputs::default())?;
        let (Some(a), Some(b)) = (monthly.periods.first(), monthly.periods.last()) else {
            return Ok(writeln!(out, "Early warnings / 预警: no months")?);
        };
        writeln!(
            out,
            "Early warnings, {a} .. {b} / 预警 (rules {}, on monthly partner and channel KPIs)",
            report.rules_id
        )?;
        writeln!(
            out,
            "{} {} {} {} {} subjects alerted",
            left("rule", 20),
            left("name", 20),
            left("severity", 8),
            right("checked", 8),
            right("alerts", 6),
        )?;
        for run in &report.runs {
            let rule = rules.rule(&run.rule);
            let mut subjects: Vec<&str> = report
                .alerts
                .iter()
                .filter(|a| a.rule == run.rule)
                .map(|a| a.subject.id.as_str())
                .collect();
            subjects.sort_unstable();
            subjects.dedup();
            let who = match (&run.not_run, subjects.len()) {
                (Some(why), _) => format!("not run: {why}"),
                (None, n) if n <= 5 => subjects.join(", "),
                (None, n) => format!("{} … ({n})", subjects[..4].join(", ")),
            };
            writeln!(
                out,
                "{} {} {} {} {} {who}",
                left(&run.rule, 20),
                left(rule.map_or("", |r| r.name.zh.as_str()), 20),
                left(rule.map_or("", |r| r.severity.name()), 8),
                right(&count(run.checked), 8),
                right(&count(run.alerts), 6),
            )?;
        }
        let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
        for a in &report.alerts {
            *by_severity.entry(a.severity).or_default() += 1;
        }
        let by_severity: Vec<String> = by_severity
            .iter()
            .rev()
            .map(|(s, n)| format!("{} {}", s.name(), count(*n as u64)))
            .collect();
        writeln!(
            out,
            "{} alerts: {}",
            count(report.alerts.len() as u64),
            by_severity.join(", ")
        )?;

        let names = channel_names(span.data);
        let mut lines = 0;
        for rule in SINGLED_OUT.iter().filter_map(|id| rules.rule(id)) {
            // Per subject, its alerts (the report sorts them by period); partners first.
            let mut by_subject: BTreeMap<(bool, &Subject), Vec<&Alert>> = BTreeMap::new();
            for a in report.alerts.iter().filter(|a| a.rule == rule.id) {
                by_subject
                    .entry((a.subject.kind != SubjectKind::Partner, &a.subject))
                    .or_default()
                    .push(a);
            }
            writeln!(
                out,
                "{} {} ({}), {}",
                rule.id,
                rule.name.zh,
                rule.severity.name(),
                match by_subject.values().map(Vec::len).sum::<usize>() {
                    1 => "1 alert".to_string(),
                    n => format!("{} alerts", count(n as u64)),
                }
            )?;
            writeln!(out, "  action {}", rule.action.en)?;
            writeln!(out, "  建议   {}", rule.action.zh)?;
            for ((_, subject), alerts) in &by_subject {
                if lines + 2 > self.alert_lines {
                    writeln!(out, "  …")?;
                    break;
                }
                let name = match subject.kind {
                    SubjectKind::Partner => partner_name(&span.data.master, &subject.id),
                    _ => names.get(&subject.id).cloned().unwrap_or_default(),
                };
                let periods: Vec<String> = alerts.iter().map(|a| a.period.to_string()).collect();
                let when = if periods.len() <= 4 {
                    periods.join(", ")
                } else {
                    format!(
                        "{} months from {} to {}",
                        periods.len(),
                        periods[0],
                        periods[periods.len() - 1]
                    )
                };
                writeln!(out, "  {} {} {when}", left(&subject.id, 9), left(&name, 20))?;
                let Some(latest) = alerts.last() else {
                    continue;
                };
                writeln!(
                    out,
                    "  {}latest {}: {}",
                    " ".repeat(10),
                    latest.period,
                    evidence(&latest.evidence)
                )?;
                lines += 2;
            }
        }
        Ok(())
    }

    /// Pass/fail of the partners' recorded onboarding attributes, the gates failed most, and
    /// the grade changes the quarterly scores suggest.
    fn onboarding(
        &self,
        span: &Span<'_>,
        scored: &Scored<'_>,
        out: &mut String,
    ) -> Result<(), Failed> {
        let master = &span.data.master;
        writeln!(out, "Onboarding and grades / 准入评估与等级调整")?;
        let policy = OnboardingPolicy::sample_company();
        let results = policy.evaluate_partners(master);
        let passed = results.iter().filter(|r| r.passed).count();
        let gate_failed = results
            .iter()
            .filter(|r| !r.failed_gates.is_empty())
            .count();
        writeln!(out, "Onboarding ({}, {}):", policy.id, policy.name.zh)?;
        writeln!(
            out,
            "of {} partners {} pass, {} fail; {} fail a gate, {} only score below {}. Failed most:",
            results.len(),
            passed,
            results.len() - passed,
            gate_failed,
            results.len() - passed - gate_failed,
            policy.pass_score.normalize()
        )?;
        // Gate id → (partners failing it, the first of them and its value).
        let mut failed: BTreeMap<&str, (usize, &str, Option<Decimal>)> = BTreeMap::new();
        for r in &results {
            for g in &r.failed_gates {
                failed
                    .entry(g.id.as_str())
                    .or_insert((0, r.partner.as_deref().unwrap_or(""), g.value))
                    .0 += 1;
            }
        }
        let mut failed: Vec<_> = failed.into_iter().collect();
        failed.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
        for (id, (n, partner, value)) in failed.iter().take(3) {
            let Some(gate) = policy.gates.iter().find(|g| g.id == *id) else {
                continue;
            };
            let example = match value {
                Some(v) => format!("{partner}: {}", attribute_text(gate.attribute, *v)),
                None => format!("{partner}: not provided"),
            };
            writeln!(
                out,
                "  gate {} {} failed by {} partners, e.g. {example}",
                left(id, 8),
                left(&gate_text(gate), 36),
                right(&count(*n as u64), 3),
            )?;
        }

        let rules = GradeRules::sample_company();
        let quarterly = scored.table.map_err(|f| Failed(f.0.clone()))?;
        let runs = scored.runs.map_err(|f| Failed(f.0.clone()))?;
        let levels = scored.levels;
        let mut all: Vec<Suggestion> = Vec::new();
        for (level, run) in runs.iter().enumerate() {
            let report = rules.suggest(&GradeInputs {
                master,
                kpis: quarterly,
                scores: Some(run),
                as_of: None,
            })?;
            // A run scores one level: it speaks for that level's partners only.
            all.extend(
                report
                    .suggestions
                    .into_iter()
                    .filter(|s| levels.get(&s.partner) == Some(&level)),
            );
        }
        all.sort_by(|a, b| a.partner.cmp(&b.partner).then(a.rule.cmp(&b.rule)));
        let n = |k: SuggestionKind| all.iter().filter(|s| s.kind == k).count();
        writeln!(
            out,
            "Grade changes ({}, {}) on the per-level scores of every quarter:",
            rules.id, rules.name.zh
        )?;
        writeln!(
            out,
            "{} promote, {} demote, {} review; the first of each kind:",
            n(SuggestionKind::Promote),
            n(SuggestionKind::Demote),
            n(SuggestionKind::Review)
        )?;
        // The first of each kind, then the next ones.
        let mut shown: Vec<&Suggestion> = Vec::new();
        for kind in [
            SuggestionKind::Promote,
            SuggestionKind::Demote,
            SuggestionKind::Review,
        ] {
            shown.extend(all.iter().find(|s| s.kind == kind));
        }
        for s in &all {
            if !shown.iter().any(|x| std::ptr::eq(*x, s)) {
                shown.push(s);
            }
        }
        for s in shown.iter().take(self.suggestions) {
            let change = match &s.to {
                Some(to) => format!("{} → {to}", s.from),
                None => format!("grade {}", s.from),
            };
            let kind = match s.kind {
                SuggestionKind::Promote => "promote",
                SuggestionKind::Demote => "demote",
                SuggestionKind::Review => "review",
            };
            writeln!(
                out,
                "  {} {} {} {} {} ({}, {})",
                left(&s.partner, 6),
                left(&partner_name(master, &s.partner), 20),
                left(kind, 7),
                left(&change, 18),
                s.label.zh,
                s.rule,
                s.evidence.first().map_or(String::new(), |p| p
                    .values
                    .iter()
                    .map(|o| o.condition.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "))
            )?;
            let evidence: Vec<String> = s
                .evidence
                .iter()
                .map(|p| {
                    let v: Vec<String> = p
                        .values
                        .iter()
                        .map(|o| match o.measure {
                            Measure::Score => format!("score {:.1}", o.value.round_dp(1)),
                            Measure::Rank => format!("rank {}", o.value.normalize()),
                            Measure::Kpi(k) => {
                                format!("{} {}", kpi_words(k), kpi_text(k, o.value, span.cur))
                            }
                        })
                        .collect();
                    format!("{} {}", p.period, v.join(", "))
                })
                .collect();
            writeln!(out, "{}{}", " ".repeat(9), evidence.join("; "))?;
        }
        Ok(())
    }
}

/// The sample scorecard run once per partner level, each level its own peer group.
fn level_runs(
    card: &Scorecard,
    table: &KpiTable,
    levels: &BTreeMap<String, usize>,
) -> Result<Vec<ScorecardRun>, Failed> {
    (0..LEVELS.len())
        .map(|level| Ok(card.evaluate_where(table, |s| levels.get(&s.id) == Some(&level))?))
        .collect()
}

/// One line per channel that moved: its quadrants, period by period.
fn trails(
    moves: &[Movement],
    matrix: &BcgMatrix,
    name: &dyn Fn(&str) -> String,
    out: &mut String,
) -> Result<(), Failed> {
    if moves.is_empty() {
        writeln!(out, "  none: every channel kept its quadrant")?;
        return Ok(());
    }
    let mut by_subject: BTreeMap<&str, Vec<&Movement>> = BTreeMap::new();
    for m in moves {
        by_subject.entry(m.subject.as_str()).or_default().push(m);
    }
    // In the order of the table, then any other by id.
    let mut order: Vec<&str> = matrix
        .entries
        .iter()
        .map(|e| e.subject.as_str())
        .filter(|s| by_subject.contains_key(s))
        .collect();
    for s in by_subject.keys() {
        if !order.contains(s) {
            order.push(s);
        }
    }
    for s in order {
        let Some(ms) = by_subject.get(s) else {
            continue;
        };
        let mut trail = String::new();
        for (i, m) in ms.iter().enumerate() {
            if i == 0 || ms[i - 1].to_period != m.from_period {
                if i > 0 {
                    trail.push_str(", ");
                }
                let _ = write!(trail, "{} {}", m.from_period, quadrant_text(m.from));
            }
            let _ = write!(trail, " → {} {}", m.to_period, quadrant_text(m.to));
        }
        writeln!(out, "  {} {} {trail}", left(s, 12), left(&name(s), 16))?;
    }
    Ok(())
}

fn quadrant_text(q: Quadrant) -> String {
    let l = q.label();
    format!("{} {}", l.en, l.zh)
}

fn group_text(g: GroupKind) -> &'static str {
    match g {
        GroupKind::Financial => "financial 财务",
        GroupKind::Market => "market 市场",
        GroupKind::Customer => "customer 客户",
        GroupKind::Operational => "operational 运营",
        GroupKind::Other => "other 其他",
    }
}

/// The top two strengths and the top weakness, in words.
fn reasons(s: &SubjectScore, cur: &Currency) -> (String, String) {
    let one = |sign: char, r: &Reason| {
        let Some(ind) = s.indicators.iter().find(|i| i.kpi == r.kpi) else {
            return format!("{sign} {}", kpi_words(r.kpi));
        };
        let raw = match (ind.raw, ind.used, &ind.missing) {
            (Some(v), _, _) => kpi_text(r.kpi, v, cur),
            (None, Some(v), _) => format!("missing, peer median {}", kpi_text(r.kpi, v, cur)),
            (None, None, Some(m)) => format!("missing ({m})"),
            (None, None, None) => "missing".into(),
        };
        let norm = ind
            .normalised
            .map_or("left out".into(), |n| format!("→ {n:.0}"));
        format!("{sign} {} {raw} {norm} ({:+.1})", kpi_words(r.kpi), r.delta)
    };
    let strengths: Vec<String> = s.strengths.iter().take(2).map(|r| one('+', r)).collect();
    let weakness = s.weaknesses.first().map_or(String::new(), |r| one('−', r));
    (strengths.join("; "), weakness)
}

/// A KPI name in words: `target_attainment` → `target attainment`.
fn kpi_words(k: Kpi) -> String {
    k.name().replace('_', " ")
}

/// A KPI value in its unit: money as the rebates section shows it, ratios as percentages.
fn kpi_text(k: Kpi, v: Decimal, cur: &Currency) -> String {
    match k.unit() {
        KpiUnit::Money => major_money(v, cur),
        KpiUnit::Count => group_thousands(&v.round().normalize().to_string()),
        KpiUnit::Ratio => ratio_text(v),
        KpiUnit::Days => format!("{} days", group_thousands(&format!("{:.1}", v.round_dp(1)))),
        KpiUnit::Score => format!("{:.2}", v.round_dp(2)),
    }
}

/// An amount in major units, with the currency's decimals and thousands separators.
fn major_money(v: Decimal, cur: &Currency) -> String {
    let minor = (v * Decimal::from(10i64.pow(u32::from(cur.exponent))))
        .round()
        .to_i64();
    minor.map_or_else(|| group_thousands(&v.to_string()), |m| money(cur, m))
}

/// `v` rounded down to `dp` decimals: a value just below a `≥` threshold never prints as the
/// threshold.
fn floor_dp(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::ToNegativeInfinity)
}

/// A ratio as a percentage with one decimal: `0.1234` → `12.3%`.
fn ratio_text(v: Decimal) -> String {
    group_thousands(&format!("{:.1}%", (v * Decimal::ONE_HUNDRED).round_dp(1)))
}

/// The values that triggered an alert, in the KPIs' units.
fn evidence(e: &Evidence) -> String {
    // Money KPIs in alerts are major units; only the decimals of the currency matter here.
    let cur = Currency::cny();
    match e {
        Evidence::Threshold { comparisons } => comparisons
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    kpi_words(c.kpi),
                    kpi_text(c.kpi, c.value, &cur),
                    c.op.symbol(),
                    kpi_text(c.kpi, c.threshold, &cur)
                )
            })
            .collect::<Vec<_>>()
            .join(" and "),
        Evidence::Trend {
            kpi,
            direction,
            values,
            ..
        } => {
            let steps: Vec<String> = values
                .iter()
                .map(|p| format!("{} {}", p.period, kpi_text(*kpi, p.value, &cur)))
                .collect();
            let dir = match direction {
                TrendDirection::Rising => "rose",
                TrendDirection::Falling => "fell",
            };
            format!(
                "{} {dir} {} months running: {}",
                kpi_words(*kpi),
                values.len().saturating_sub(1),
                steps.join(", ")
            )
        }
        Evidence::CreditExposure {
            exposure,
            limit,
            as_of,
            currency,
            ..
        } => format!(
            "receivables {} {currency} on {as_of} > limit {} {currency}",
            major_money(*exposure, &cur),
            major_money(*limit, &cur)
        ),
    }
}

/// A gate's condition in words, with the attribute's unit.
fn gate_text(g: &Gate) -> String {
    let a = g.attribute;
    match (g.at_least, g.at_most) {
        (None, None) if a == Attribute::LicenceHeld => "licence held".into(),
        (None, None) => format!("{} held", a.name()),
        (Some(x), None) => format!("{} ≥ {}", a.name(), attribute_text(a, x)),
        (None, Some(y)) => format!("{} ≤ {}", a.name(), attribute_text(a, y)),
        (Some(x), Some(y)) => format!(
            "{} {} .. {}",
            a.name(),
            attribute_text(a, x),
            attribute_text(a, y)
        ),
    }
}

/// An onboarding attribute's value: capital with separators, a licence as yes/no.
fn attribute_text(a: Attribute, v: Decimal) -> String {
    match a {
        Attribute::LicenceHeld if v >= Decimal::ONE => "held".into(),
        Attribute::LicenceHeld => "no licence".into(),
        Attribute::RegisteredCapital => group_thousands(&v.round().normalize().to_string()),
        Attribute::RegionalMarketShare => ratio_text(v),
        _ => v.normalize().to_string(),
    }
}

fn partner_name(m: &MasterData, id: &str) -> String {
    m.partners
        .code(id)
        .and_then(|c| m.partners.get(c))
        .map_or(String::new(), |p| p.name.clone())
}

/// Partner id → level: its depth in the partner tree (0 general agent, 1 distributor, 2 and
/// deeper the rest).
fn partner_levels(m: &MasterData) -> BTreeMap<String, usize> {
    (0..m.partners.len() as u32)
        .map(|p| {
            let depth = usize::from(m.partners.tree.depth(p)).min(LEVELS.len() - 1);
            (m.partners.id(p).to_owned(), depth)
        })
        .collect()
}

/// Channel id → name.
fn channel_names(data: &Dataset) -> BTreeMap<String, String> {
    data.master
        .channels
        .records()
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect()
}

fn year_start(y: i32) -> Option<Date> {
    Date::from_ymd(y, 1, 1).ok()
}

fn year_period(y: i32) -> Option<Period> {
    Period::new(year_start(y)?, year_start(y + 1)?).ok()
}

/// Quarter `q` (0–3) of year `y`.
fn quarter_period(y: i32, q: u32) -> Option<Period> {
    let start = Date::from_ymd(y, q * 3 + 1, 1).ok()?;
    let end = if q == 3 {
        year_start(y + 1)?
    } else {
        Date::from_ymd(y, q * 3 + 4, 1).ok()?
    };
    Period::new(start, end).ok()
}

/// The calendar quarter holding a day.
fn quarter_of(d: Date) -> Option<Period> {
    let (y, m, _) = d.ymd();
    quarter_period(y, (m - 1) / 3)
}
