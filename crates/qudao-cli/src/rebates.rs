//! The rebate section of the report: the sample company's program book
//! ([`ProgramBook::sample_company`]) settled over the data, with cross-region findings taken
//! from the data itself, and the explanation of the largest statements.

use std::collections::BTreeMap;
use std::fmt::Write;

use qudao::rebate::{
    AdjustmentKind, Engine, EntryKind, GrowthMeasure, Inputs, Ledger, NotPaid, Payout, ProgramBook,
    Reason, Settlement, Shape, Shortfall, StatementLine, VolumeMeasure,
};
use qudao::{Currency, Dataset, Date};
use rust_decimal::Decimal;

use crate::report::{Context, Section};
use crate::text::{count, group_thousands, left, money, right};

/// The day the sample book is settled on when the data reaches it: the book's programs run
/// through 2025.
const BOOK_END: &str = "2025-12-31";

/// Rebates: the sample programs settled, the largest statements explained, why-not lines.
#[derive(Debug)]
pub struct Rebates {
    /// How many statements to explain.
    pub explain: usize,
    /// How many why-not lines to show.
    pub why_not: usize,
}

impl Section for Rebates {
    fn title(&self) -> &'static str {
        "Rebates / 返利与激励"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let Some(as_of) = book_as_of(cx.data) else {
            return writeln!(out, "(no transactions)");
        };
        let cur = &cx.summary.currency;
        let book = ProgramBook::sample_company();
        let book_id = book.id.clone();
        let n_programs = book.programs.len();
        let engine = match Engine::new(book, &cx.data.master) {
            Ok(e) => e,
            Err(e) => return writeln!(out, "the sample programs do not fit this data: {e}"),
        };
        let findings = match crate::conflict::sample_report(cx.data) {
            Ok(r) => r.penalty_findings::<&str>(&[]),
            Err(e) => return writeln!(out, "conflict detection failed: {e}"),
        };
        let inputs = Inputs {
            findings: &findings,
            ..Inputs::default()
        };
        let run = match engine
            .volumes(cx.data, as_of, &inputs)
            .and_then(|v| v.settle(&Ledger::default()))
        {
            Ok(r) => r,
            Err(e) => return writeln!(out, "settlement failed: {e}"),
        };
        writeln!(
            out,
            "Book {book_id} ({n_programs} programs, crates/qudao/programs/sample-programs.toml) settled as of {as_of},"
        )?;
        writeln!(
            out,
            "nothing paid before; {} conflict findings against partners (see the conflict section) feed the penalty rules.",
            count(findings.len() as u64)
        )?;
        if run.warnings.is_empty() {
            writeln!(out, "book warnings: none")?;
        } else {
            for w in &run.warnings {
                writeln!(out, "warning {}: {}", w.path, w.message)?;
            }
        }
        writeln!(out)?;
        self.summary(&engine, &run, cur, out)?;
        writeln!(out)?;
        self.statements(&run, cur, out)?;
        writeln!(out)?;
        self.why_not(&engine, &run, cur, out)
    }
}

impl Rebates {
    /// One row per program: enrolled, paying lines, total paid, enrolments not paid.
    fn summary(
        &self,
        engine: &Engine,
        run: &Settlement,
        cur: &Currency,
        out: &mut String,
    ) -> std::fmt::Result {
        writeln!(
            out,
            "{} {} {} {} {} {}",
            left("program", 17),
            left("name", 18),
            right("enrolled", 8),
            right("paid lines", 10),
            right(&format!("paid ({})", cur.code), 16),
            right("not paid", 8)
        )?;
        for (pi, p) in engine.book().programs.iter().enumerate() {
            let lines: Vec<&StatementLine> = run
                .statements
                .iter()
                .filter(|s| s.program == p.id)
                .collect();
            let enrolled = match p.beneficiary {
                qudao::rebate::Beneficiary::Partner => engine.enrolled(pi).len(),
                qudao::rebate::Beneficiary::Customer => {
                    let mut payees: Vec<&str> = lines.iter().map(|s| s.payee.as_str()).collect();
                    payees.extend(
                        run.not_paid
                            .iter()
                            .filter(|n| n.program == p.id)
                            .map(|n| n.payee.as_str()),
                    );
                    payees.sort_unstable();
                    payees.dedup();
                    payees.len()
                }
            };
            let paying = lines.iter().filter(|s| s.amount != 0).count();
            let total: i64 = lines.iter().map(|s| s.amount).sum();
            let total = match p.payout {
                Payout::Money => money(cur, total),
                Payout::Points => format!("{} pts", count(total)),
            };
            let not_paid = run.not_paid.iter().filter(|n| n.program == p.id).count();
            writeln!(
                out,
                "{} {} {} {} {} {}",
                left(&p.id, 17),
                left(&p.name.zh, 18),
                right(&count(enrolled as u64), 8),
                right(&count(paying as u64), 10),
                right(&total, 16),
                right(&count(not_paid as u64), 8)
            )?;
        }
        let paid: i64 = run.totals().values().sum();
        writeln!(
            out,
            "{} {} {}",
            left("total money paid", 17 + 1 + 18 + 1 + 8 + 1 + 10),
            right(&money(cur, paid), 16),
            cur.code
        )
    }

    /// The final settlements with the largest entitlements (and the largest penalised one),
    /// each with its explanation.
    fn statements(&self, run: &Settlement, cur: &Currency, out: &mut String) -> std::fmt::Result {
        let mut finals: Vec<&StatementLine> = run
            .statements
            .iter()
            .filter(|s| s.kind == EntryKind::Final && s.payout == Payout::Money)
            .collect();
        finals.sort_by(|a, b| b.entitlement.cmp(&a.entitlement).then(a.id.cmp(&b.id)));
        // The largest final of each program, then the largest one a penalty cut.
        let mut pick: Vec<&StatementLine> = Vec::new();
        for s in &finals {
            if pick.len() < self.explain && !pick.iter().any(|p| p.program == s.program) {
                pick.push(s);
            }
        }
        let penalised = finals.iter().find(|s| {
            s.adjustments
                .iter()
                .any(|a| a.kind == AdjustmentKind::Penalty)
        });
        if let Some(p) = penalised
            && !pick.iter().any(|s| s.id == p.id)
        {
            pick.push(p);
        }
        writeln!(
            out,
            "The largest final settlement of each program, and the largest penalised one / 返利结算明细 ({})",
            cur.code
        )?;
        for s in pick {
            explain(s, cur, out)?;
        }
        Ok(())
    }

    /// A few enrolments that paid nothing, with the reason; the first of each program.
    fn why_not(
        &self,
        engine: &Engine,
        run: &Settlement,
        cur: &Currency,
        out: &mut String,
    ) -> std::fmt::Result {
        writeln!(
            out,
            "Why not / 未获返利原因 ({} enrolment periods paid nothing; the first of each program)",
            count(run.not_paid.len() as u64)
        )?;
        // Per program, the first enrolment with a stated reason (else the first at all).
        let mut first: BTreeMap<&str, &NotPaid> = BTreeMap::new();
        for n in &run.not_paid {
            let e = first.entry(n.program.as_str()).or_insert(n);
            if e.reasons.is_empty() && !n.reasons.is_empty() {
                *e = n;
            }
        }
        for n in first.values().take(self.why_not) {
            let reasons: Vec<String> = n
                .reasons
                .iter()
                .map(|r| reason(engine, &n.program, r, cur))
                .collect();
            let reasons = if reasons.is_empty() {
                "nothing earned, no reason stated".to_string()
            } else {
                reasons.join("; ")
            };
            writeln!(
                out,
                "  {} · {} · {}: {reasons}",
                n.program, n.payee, n.period
            )?;
        }
        Ok(())
    }
}

/// One statement line, explained: base, tier and rate, gross, adjustments, rounding, payment.
pub fn explain(s: &StatementLine, cur: &Currency, out: &mut String) -> std::fmt::Result {
    writeln!(
        out,
        "  {} · {} · {} ({}, final through {})",
        s.program, s.payee, s.period, s.program_name, s.through
    )?;
    let b = &s.base;
    let volume = b
        .volume
        .map_or("unknown".into(), |v| volume_text(b.measure, v, cur));
    let mut base = format!(
        "    base     {} {volume}: {} sale, {} return lines",
        b.measure.as_str(),
        count(b.sale_lines),
        count(b.return_lines)
    );
    if b.contributors.len() > 1 {
        let _ = write!(base, ", pooled over {} partners", b.contributors.len());
    }
    if let Some(t) = b.baseline {
        let _ = write!(base, ", baseline {}", volume_text(b.measure, t, cur));
    }
    if let Some(t) = b.target {
        let _ = write!(base, ", target {}", volume_text(b.measure, t, cur));
    }
    writeln!(out, "{base}")?;
    let tier = match &s.tier {
        Some(t) => format!(
            "tier {} [{}, {})",
            t.index + 1,
            t.from.map_or("–".into(), |d| d.normalize().to_string()),
            t.to.map_or("∞".into(), |d| d.normalize().to_string())
        ),
        None => String::new(),
    };
    let rate = s
        .rate
        .map_or("no rate".into(), |r| format!("rate {}", r.normalize()));
    writeln!(
        out,
        "    shape    {}{}{tier}, {rate} → gross {}",
        s.shape,
        if tier.is_empty() { "" } else { " " },
        exact(s.gross, cur)
    )?;
    for a in &s.adjustments {
        let ids = if a.findings.is_empty() {
            String::new()
        } else if a.findings.len() <= 3 {
            format!(" ({})", a.findings.join(", "))
        } else {
            format!(
                " ({}, … {} findings)",
                a.findings[..2].join(", "),
                a.findings.len()
            )
        };
        writeln!(
            out,
            "    adjust   {} {}: {}{ids}, {}",
            kind(a.kind),
            a.rule,
            exact(a.amount, cur),
            a.detail
        )?;
    }
    writeln!(
        out,
        "    round    {} at {}: {} → {}; paid before {}, paid now {}",
        s.rounding_mode.as_str(),
        rounding_point(s.rounding_point),
        exact(s.exact, cur),
        money(cur, s.entitlement),
        money(cur, s.previously_paid),
        money(cur, s.amount)
    )?;
    Ok(())
}

fn rounding_point(p: qudao::rebate::RoundingPoint) -> &'static str {
    match p {
        qudao::rebate::RoundingPoint::Line => "line",
        qudao::rebate::RoundingPoint::Settlement => "settlement",
        qudao::rebate::RoundingPoint::Period => "period",
    }
}

fn kind(k: AdjustmentKind) -> &'static str {
    match k {
        AdjustmentKind::Gate => "gate",
        AdjustmentKind::PeriodCap => "period cap",
        AdjustmentKind::PeriodFloor => "period floor",
        AdjustmentKind::ProgramCap => "program cap",
        AdjustmentKind::SettlementCap => "settlement cap",
        AdjustmentKind::SettlementFloor => "settlement floor",
        AdjustmentKind::Superseded => "superseded",
        AdjustmentKind::Compounding => "compounding",
        AdjustmentKind::Penalty => "penalty",
        AdjustmentKind::Split => "split",
    }
}

/// An exact amount in minor units, shown in major units with every decimal it has.
pub fn exact(minor: Decimal, cur: &Currency) -> String {
    let scale = Decimal::from(10i64.pow(u32::from(cur.exponent)));
    let major = (minor / scale).normalize();
    let mut text = major.to_string();
    // At least the currency's decimals, so 12.5 reads 12.50.
    let decimals = text.find('.').map_or(0, |i| text.len() - i - 1);
    if decimals < usize::from(cur.exponent) {
        if decimals == 0 {
            text.push('.');
        }
        text.push_str(&"0".repeat(usize::from(cur.exponent) - decimals));
    }
    group_thousands(&text)
}

/// A volume in the measure's unit.
fn volume_text(measure: VolumeMeasure, v: i64, cur: &Currency) -> String {
    if measure.is_money() {
        money(cur, v)
    } else {
        format!("{} units", count(v))
    }
}

/// A reason in words.
fn reason(engine: &Engine, program: &str, r: &Reason, cur: &Currency) -> String {
    let prog = engine.book().program(program);
    let measure = prog.map_or(VolumeMeasure::NetRevenue, |p| p.measure);
    let vol = |d: Decimal| {
        let v = d.round().try_into().unwrap_or(i64::MAX);
        volume_text(measure, v, cur)
    };
    let pct = |d: Decimal| format!("{} %", (d * Decimal::ONE_HUNDRED).round_dp(1).normalize());
    match r {
        Reason::NoVolume => "no lines in the period".into(),
        Reason::NoNetVolume {
            volume,
            sale_lines,
            return_lines,
        } => format!(
            "returns cancelled the sales: net {} over {} sale and {} return lines",
            volume_text(measure, *volume, cur),
            count(*sale_lines),
            count(*return_lines)
        ),
        Reason::ExcludedByFilter { lines } => {
            format!("all {} lines left out by the selection", count(*lines))
        }
        Reason::BelowMinimum { volume, minimum } => format!(
            "volume {} below the minimum {}",
            volume_text(measure, *volume, cur),
            volume_text(measure, *minimum, cur)
        ),
        Reason::MixNotMet { have, need } => {
            format!("bought from {have} of the listed categories, {need} needed")
        }
        Reason::MarginUnknown { lines } => {
            format!("margin unknown: {} lines without a cost", count(*lines))
        }
        Reason::Superseded { by, group } => format!("{by} wins stacking group {group}"),
        Reason::Penalised { findings } => {
            format!("penalties took it all ({} findings)", findings.len())
        }
        Reason::CapReached => "the program cap was reached".into(),
        Reason::Shape { shortfall } => match shortfall {
            Shortfall::BelowFirstTier { first_from } => {
                format!("volume below the first paying band at {}", vol(*first_from))
            }
            Shortfall::TargetMissed {
                attainment,
                needed,
                short_by,
            } => format!(
                "target missed: {} reached, {} needed, {} short",
                pct(*attainment),
                pct(*needed),
                vol(*short_by)
            ),
            Shortfall::NoTarget => "no target for the period".into(),
            Shortfall::NoGrowth { growth, needed } => {
                let percent = prog.is_some_and(|p| {
                    matches!(
                        p.shape,
                        Shape::Growth {
                            growth: GrowthMeasure::Percent,
                            ..
                        }
                    )
                });
                if percent {
                    format!("growth {} below the {} needed", pct(*growth), pct(*needed))
                } else {
                    format!("growth {} below the {} needed", vol(*growth), vol(*needed))
                }
            }
            Shortfall::NoBaseline => "no baseline volume: percent growth is undefined".into(),
            Shortfall::NoVolume => "no volume".into(),
        },
    }
}

/// The day the sample book is settled on: 2025-12-31 when the data reaches it, else the last
/// day of the data; none without transactions.
pub fn book_as_of(data: &Dataset) -> Option<Date> {
    let (first, last) = data.transactions.date_range()?;
    let end: Date = BOOK_END.parse().unwrap_or(last);
    Some(if first <= end && end <= last {
        end
    } else {
        last
    })
}
