//! The conflict section of the report: the sample company's conflict policy
//! ([`ConflictPolicy::sample_company`]) run over the data — findings per detector, the first
//! findings of each with their evidence and likely cause — and the rebate deduction the
//! findings bring through the sample programs' penalty rules.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use qudao::conflict::{self, ConflictInputs, ConflictPolicy, ConflictReport, Detector, Finding};
use qudao::rebate::{AdjustmentKind, Engine, Inputs, Ledger, ProgramBook};
use qudao::{Currency, Dataset};
use rust_decimal::Decimal;

use crate::report::{Context, Section};
use crate::text::{count, left, money, right};

/// Conflict: findings by detector, examples with evidence, the rebate deduction.
#[derive(Debug)]
pub struct Conflict {
    /// Findings shown per detector.
    pub examples: usize,
    /// Evidence lines shown per finding.
    pub evidence: usize,
}

/// The sample policy run over `data`: what the rebate section penalises too.
pub fn sample_report(data: &Dataset) -> qudao::Result<ConflictReport> {
    conflict::detect(
        data,
        &ConflictPolicy::sample_company(),
        &ConflictInputs::default(),
    )
}

impl Section for Conflict {
    fn title(&self) -> &'static str {
        "Conflict / 渠道冲突"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let cur = &cx.summary.currency;
        let report = match sample_report(cx.data) {
            Ok(r) => r,
            Err(e) => return writeln!(out, "conflict detection failed: {e}"),
        };
        let s = report.scanned;
        writeln!(
            out,
            "Policy {} (crates/qudao/conflict/sample-policy.toml) over {} lines: {} sales, {} returns (never violations).",
            report.policy,
            count(s.lines),
            count(s.sale_lines),
            count(s.return_lines)
        )?;
        writeln!(out)?;
        self.table(&report, cur, out)?;
        for n in &report.not_run {
            writeln!(
                out,
                "  not run: {} — {} / {}",
                n.detector, n.reason.en, n.reason.zh
            )?;
        }
        writeln!(out)?;
        self.examples(&report, cur, out)?;
        writeln!(out)?;
        deduction(cx.data, &report, cur, out)
    }
}

impl Conflict {
    /// One row per detector: findings, partners held responsible, lines, amount.
    fn table(&self, report: &ConflictReport, cur: &Currency, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "{} {} {} {} {} {}",
            left("detector", 34),
            right("findings", 8),
            right("against", 7),
            right("lines", 7),
            right(&format!("amount ({})", cur.code), 16),
            left("  suggested", 24)
        )?;
        for d in Detector::ALL {
            if report.not_run.iter().any(|n| n.detector == d) {
                continue;
            }
            let found: Vec<&Finding> = report.of(d).collect();
            let against: BTreeSet<&str> =
                found.iter().filter_map(|f| f.partner.as_deref()).collect();
            let lines: u64 = found.iter().map(|f| f.evidence.lines).sum();
            let amount: i64 = found.iter().map(|f| f.evidence.amount).sum();
            let mut resolutions: BTreeMap<qudao::conflict::Resolution, usize> = BTreeMap::new();
            for f in &found {
                *resolutions.entry(f.resolution).or_insert(0) += 1;
            }
            let suggested: Vec<String> = resolutions
                .iter()
                .map(|(r, n)| format!("{} {}", n, r.label().en))
                .collect();
            let label = d.label();
            writeln!(
                out,
                "{} {} {} {} {}   {}",
                left(&format!("{} {}", d.as_str(), label.zh), 34),
                right(&count(found.len() as u64), 8),
                right(&count(against.len() as u64), 7),
                right(&count(lines), 7),
                right(&money(cur, amount), 16),
                if suggested.is_empty() {
                    "–".to_string()
                } else {
                    suggested.join(", ")
                }
            )?;
        }
        Ok(())
    }

    /// The first findings of each detector that found something, explained.
    fn examples(
        &self,
        report: &ConflictReport,
        cur: &Currency,
        out: &mut String,
    ) -> std::fmt::Result {
        writeln!(
            out,
            "Findings, the first {} of each detector / 冲突明细",
            self.examples
        )?;
        for d in Detector::ALL {
            let found: Vec<&Finding> = report.of(d).collect();
            for f in found.iter().take(self.examples) {
                explain(f, cur, self.evidence, out)?;
            }
            if found.len() > self.examples {
                writeln!(
                    out,
                    "  … {} more {} findings",
                    count((found.len() - self.examples) as u64),
                    d
                )?;
            }
        }
        Ok(())
    }
}

/// One finding: id, severity, resolution, message, figures, cause, first evidence lines.
fn explain(f: &Finding, cur: &Currency, lines: usize, out: &mut String) -> std::fmt::Result {
    let repeat = if f.repeats > 0 {
        format!(", {} earlier", count(f.repeats))
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {} · {:?}, {:?} · suggest {} / {}{repeat}",
        f.id,
        f.severity,
        f.kind,
        f.resolution.label().en,
        f.resolution.label().zh
    )?;
    writeln!(out, "    {}", f.message.en)?;
    writeln!(out, "    {}", f.message.zh)?;
    if !f.figures.is_empty() {
        let figs: Vec<String> = f
            .figures
            .iter()
            .map(|g| match g.threshold {
                Some(t) => format!(
                    "{} {} (threshold {})",
                    g.name,
                    g.value.round_dp(4).normalize(),
                    t.round_dp(4).normalize()
                ),
                None => format!("{} {}", g.name, g.value.round_dp(4).normalize()),
            })
            .collect();
        writeln!(out, "    figures  {}", figs.join("; "))?;
    }
    if let Some(c) = &f.cause {
        writeln!(out, "    cause    {}", c.note.en)?;
    }
    for l in f.evidence.listed.iter().take(lines) {
        let reference = l
            .reference_price
            .map_or(String::new(), |r| format!(" (against {})", money(cur, r)));
        writeln!(
            out,
            "    line     {}/{} {} {} {} ×{} @ {}{reference} in {}",
            l.order,
            l.line,
            l.date,
            l.partner.as_deref().unwrap_or("company"),
            l.product,
            l.quantity,
            money(cur, l.unit_price),
            l.territory
        )?;
    }
    if f.evidence.lines > lines.min(f.evidence.listed.len()) as u64 {
        writeln!(
            out,
            "    …        {} lines in all, {} {}",
            count(f.evidence.lines),
            money(cur, f.evidence.amount),
            cur.code
        )?;
    }
    Ok(())
}

/// The findings fed to the sample programs' penalty rules: the rebate statement with the
/// largest deduction, and what waiving its findings would give back.
fn deduction(
    data: &Dataset,
    report: &ConflictReport,
    cur: &Currency,
    out: &mut String,
) -> std::fmt::Result {
    writeln!(
        out,
        "Enforcement / 冲突处罚 (the sample programs' penalty rules)"
    )?;
    let Some(as_of) = crate::rebates::book_as_of(data) else {
        return writeln!(out, "  (no transactions)");
    };
    let findings = report.penalty_findings::<&str>(&[]);
    let engine = match Engine::new(ProgramBook::sample_company(), &data.master) {
        Ok(e) => e,
        Err(e) => return writeln!(out, "  the sample programs do not fit this data: {e}"),
    };
    let settle = |f: &[qudao::rebate::Finding]| {
        engine
            .volumes(
                data,
                as_of,
                &Inputs {
                    findings: f,
                    ..Inputs::default()
                },
            )
            .and_then(|v| v.settle(&Ledger::default()))
    };
    let run = match settle(&findings) {
        Ok(r) => r,
        Err(e) => return writeln!(out, "  settlement failed: {e}"),
    };
    let penalised = run
        .statements
        .iter()
        .filter_map(|s| {
            let cut: Decimal = s
                .adjustments
                .iter()
                .filter(|a| a.kind == AdjustmentKind::Penalty)
                .map(|a| a.amount)
                .sum();
            (!cut.is_zero()).then_some((s, cut))
        })
        .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
    let Some((s, cut)) = penalised else {
        return writeln!(
            out,
            "  {} findings against partners; no program's penalty rule applies to them.",
            count(findings.len() as u64)
        );
    };
    let total: Decimal = run
        .statements
        .iter()
        .flat_map(|s| &s.adjustments)
        .filter(|a| a.kind == AdjustmentKind::Penalty)
        .map(|a| a.amount)
        .sum();
    writeln!(
        out,
        "  {} findings against partners fed to settlement as of {as_of}: penalties take {} {} in all.",
        count(findings.len() as u64),
        crate::rebates::exact(-total, cur),
        cur.code
    )?;
    writeln!(
        out,
        "  The largest deduction ({} {}):",
        crate::rebates::exact(-cut, cur),
        cur.code
    )?;
    crate::rebates::explain(s, cur, out)?;
    // The host waives the findings behind it: the deduction goes.
    let ids: Vec<String> = s
        .adjustments
        .iter()
        .filter(|a| a.kind == AdjustmentKind::Penalty)
        .flat_map(|a| a.findings.iter().cloned())
        .collect();
    let waived = report.penalty_findings(&ids);
    // What the program paid the partner for the period, partial settlements included.
    let period_total = |run: &qudao::rebate::Settlement| -> i64 {
        run.statements
            .iter()
            .filter(|x| x.program == s.program && x.payee == s.payee && x.period == s.period)
            .map(|x| x.amount)
            .sum()
    };
    if let Ok(again) = settle(&waived) {
        writeln!(
            out,
            "  {} pays {} {} {} for {} in all; with these {} findings waived by the host it would pay {}.",
            s.program,
            s.payee,
            money(cur, period_total(&run)),
            cur.code,
            s.period,
            count(ids.len() as u64),
            money(cur, period_total(&again))
        )?;
    }
    Ok(())
}
