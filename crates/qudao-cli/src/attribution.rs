//! The attribution and channel economics sections of the report: every attribution model run
//! over the journeys of the sample company's touchpoints and first purchases, side by side,
//! with the Markov removal effects; then the economics per acquisition channel and a budget
//! reallocation proposal by CLV/CAC.

use std::collections::BTreeMap;
use std::fmt::Write;

use qudao::attribution::{
    self, AttributionSettings, ChannelCredit, Journeys, MarkovOptions, MarkovReport, Model,
    ModelResult,
};
use qudao::clv::predict::ClvOptions;
use qudao::economics::{
    self, AcquisitionRow, Bound, BudgetChannel, BudgetPlan, ChannelEconomics, ClvPredictions,
    EconomicsOptions, EfficiencyInputs, EfficiencyMeasure, Grain, KpiValue, Reallocation,
};
use qudao::{Currency, Dataset};
use rust_decimal::Decimal;

use crate::report::{Context, Section};
use crate::text::{count, display_width, group_thousands, left, money, right};

/// The Markov order run besides the settings' (first) order.
pub const SECOND_ORDER: u8 = 2;

/// The reallocation's lower bound per channel, percent of its current spend.
pub const MIN_PERCENT: i64 = 50;

/// The reallocation's upper bound per channel, percent of its current spend.
pub const MAX_PERCENT: i64 = 200;

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

/// Everything the attribution section shows, from the core.
#[derive(Debug)]
pub struct Attributed {
    /// The journeys (default settings: first purchases, 30-day lookback).
    pub journeys: Journeys,
    /// Every model with the settings' first-order Markov chain.
    pub result: attribution::Attribution,
    /// The Markov model at [`SECOND_ORDER`].
    pub second: (ModelResult, MarkovReport),
}

/// Journeys from the data set's touchpoints and first purchases, every model over them, and
/// the Markov model once more at order [`SECOND_ORDER`].
pub fn attributed(data: &Dataset) -> qudao::Result<Attributed> {
    let settings = AttributionSettings::default();
    let journeys = Journeys::from_dataset(data, &settings.journey_options())?;
    let result = attribution::attribute(&journeys, &settings)?;
    let second = attribution::markov(
        &journeys,
        &MarkovOptions {
            order: SECOND_ORDER,
            ..settings.markov
        },
    )?;
    Ok(Attributed {
        journeys,
        result,
        second,
    })
}

/// The channel economics of the data set as of its last day, by quarter, on historic margin,
/// with each cohort's predicted CLV when BG/NBD and Gamma-Gamma fit the customers (12 months,
/// 1 % a month), else without (the error says why).
pub fn economics_of(
    data: &Dataset,
    as_of: qudao::Date,
) -> qudao::Result<(ChannelEconomics, Option<qudao::Error>)> {
    let options = EconomicsOptions::new(as_of, Grain::Quarter);
    match ClvPredictions::fit(data, as_of, &ClvOptions::monthly_in_weeks()) {
        Ok((predictions, _)) => Ok((
            economics::compute(data, &options, Some(&predictions))?,
            None,
        )),
        Err(e) => Ok((economics::compute(data, &options, None)?, Some(e))),
    }
}

/// The demo's budget plan: the channels' current spend in total, spread by CLV/CAC, each
/// channel between [`MIN_PERCENT`] and [`MAX_PERCENT`] of its current spend.
pub fn budget_plan(econ: &ChannelEconomics) -> Option<BudgetPlan> {
    let with_spend: Vec<&AcquisitionRow> = econ.totals.iter().filter(|r| r.spend > 0).collect();
    if with_spend.is_empty() {
        return None;
    }
    let total = with_spend.iter().map(|r| r.spend).sum();
    let channels = with_spend
        .iter()
        .map(|r| BudgetChannel {
            channel: r.channel.clone(),
            min: percent_of(r.spend, MIN_PERCENT, false),
            max: Some(percent_of(r.spend, MAX_PERCENT, true)),
            efficiency: None,
        })
        .collect();
    Some(BudgetPlan {
        schema_version: 1,
        id: "demo-clv-cac".into(),
        name: None,
        total,
        measure: EfficiencyMeasure::ClvCac,
        channels,
    })
}

/// `pct` percent of a non-negative amount of minor units, rounded down (or up): the bounds
/// stay whole minor units and the minimum never exceeds the maximum.
fn percent_of(amount: i64, pct: i64, up: bool) -> i64 {
    let exact = i128::from(amount) * i128::from(pct);
    let whole = exact / 100 + i128::from(up && exact % 100 != 0);
    i64::try_from(whole).unwrap_or(i64::MAX)
}

/// The proposal of [`budget_plan`] over the channel totals.
pub fn proposal(econ: &ChannelEconomics) -> qudao::Result<Option<Reallocation>> {
    budget_plan(econ)
        .map(|plan| economics::reallocate(&plan, &EfficiencyInputs::from_economics(econ)))
        .transpose()
}

/// Attribution: the journeys, every model side by side, the Markov removal effects.
#[derive(Debug)]
pub struct AttributionSection;

impl Section for AttributionSection {
    fn title(&self) -> &'static str {
        "Attribution / 渠道归因"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let a = match attributed(cx.data) {
            Ok(a) => a,
            Err(e) => return writeln!(out, "attribution failed: {e}"),
        };
        if let Err(Failed(e)) = show_attribution(cx, &a, out) {
            writeln!(out, "attribution: failed: {e}")?;
        }
        Ok(())
    }
}

/// Column heading of each model in the comparison tables.
pub fn model_heading(m: Model) -> &'static str {
    match m {
        Model::FirstTouch => "first",
        Model::LastTouch => "last",
        Model::Linear => "linear",
        Model::TimeDecay => "decay",
        Model::PositionBased => "position",
        Model::Markov => "markov1",
        Model::Shapley => "shapley",
    }
}

/// Text width the paragraphs are wrapped to.
const WIDTH: usize = 96;

fn show_attribution(cx: &Context<'_>, a: &Attributed, out: &mut String) -> Result<(), Failed> {
    let cur = &cx.summary.currency;
    let j = &a.journeys;
    let s = j.stats();
    let lookback = AttributionSettings::default().lookback_days;
    paragraph(
        out,
        "",
        &format!(
            "Journeys from the {} touchpoints and the customers' {} first purchases: the touches up \
             to {lookback} days before a purchase (which counts at the end of its day) are its \
             journey — {} distinct journeys, {} conversions, {} null journeys. {} first purchases \
             ({} {}) had no touch in their window: they are unattributed and not split below. The \
             models split {} conversions worth {} {}; every column adds up to exactly that.",
            count(s.touches_read),
            count(s.conversions_read),
            count(j.len() as u64),
            count(j.total_conversions()),
            count(j.total_nulls()),
            count(s.unattributed_conversions),
            money(cur, s.unattributed_value),
            cur.code,
            count(j.total_conversions()),
            money(cur, j.total_value()),
            cur.code
        ),
        "",
    )?;
    for sk in &a.result.skipped {
        writeln!(out, "  not run: {} — {}", sk.model, sk.reason)?;
    }
    // The models side by side: the second-order Markov model next to the first-order one.
    let mut models: Vec<(String, &ModelResult)> = a
        .result
        .models
        .iter()
        .map(|m| (model_heading(m.model).to_owned(), m))
        .collect();
    let at = models
        .iter()
        .position(|(_, m)| m.model == Model::Markov)
        .map_or(models.len(), |i| i + 1);
    models.insert(at, (format!("markov{SECOND_ORDER}"), &a.second.0));
    // Channels nobody touched get zero in every model: named once instead of a row each.
    let (shown, untouched): (Vec<&String>, Vec<&String>) =
        a.result.channels.iter().partition(|ch| {
            models.iter().any(|(_, m)| {
                m.credit(ch)
                    .is_some_and(|c| c.touches > 0 || c.value != 0 || !c.conversions.is_zero())
            })
        });
    let names = channel_names(cx.data);
    writeln!(out)?;
    writeln!(out, "Attributed conversions by model / 各模型归因转化数")?;
    table(out, &models, &shown, &names, conversions_cell, |m| {
        conversions_text(m.total_conversions)
    })?;
    writeln!(out)?;
    writeln!(
        out,
        "Attributed value by model, thousand {} / 各模型归因价值（千元）",
        cur.code
    )?;
    table(
        out,
        &models,
        &shown,
        &names,
        |c| thousands(cur, c.value),
        |m| thousands(cur, m.total_value),
    )?;
    if !untouched.is_empty() {
        let list: Vec<&str> = untouched.iter().map(|c| c.as_str()).collect();
        paragraph(
            out,
            "",
            &format!("No touches, 0 in every model: {}.", list.join(", ")),
            "",
        )?;
    }
    writeln!(out)?;
    for (h, m) in &models {
        paragraph(out, &format!("{h:<9}"), &m.explanation, &" ".repeat(9))?;
    }
    writeln!(out)?;
    removal(out, a, &shown, cur)?;
    Ok(())
}

/// Attributed conversions as the comparison table shows them: one decimal.
pub fn conversions_text(d: Decimal) -> String {
    group_thousands(&format!("{:.1}", d.round_dp(1)))
}

fn conversions_cell(c: &ChannelCredit) -> String {
    conversions_text(c.conversions)
}

/// Minor units as thousands of major units, one decimal: `123,456.78` → `123.5`.
pub fn thousands(cur: &Currency, minor: i64) -> String {
    let major = Decimal::new(minor, u32::from(cur.exponent));
    group_thousands(&format!(
        "{:.1}",
        (major / Decimal::ONE_THOUSAND).round_dp(1)
    ))
}

/// One comparison table: a row per channel shown, a column per model, and the totals.
fn table(
    out: &mut String,
    models: &[(String, &ModelResult)],
    channels: &[&String],
    names: &BTreeMap<String, String>,
    cell: impl Fn(&ChannelCredit) -> String,
    total: impl Fn(&ModelResult) -> String,
) -> Result<(), Failed> {
    const NAME: usize = 22;
    const CELL: usize = 8;
    write!(out, "{}", left("channel", NAME))?;
    for (h, _) in models {
        write!(out, " {}", right(h, CELL))?;
    }
    writeln!(out)?;
    for ch in channels {
        let label = match names.get(*ch) {
            Some(n) => format!("{ch} {n}"),
            None => (*ch).clone(),
        };
        write!(out, "{}", left(&label, NAME))?;
        for (_, m) in models {
            let c = m.credit(ch).map_or("–".into(), &cell);
            write!(out, " {}", right(&c, CELL))?;
        }
        writeln!(out)?;
    }
    write!(out, "{}", left("total", NAME))?;
    for (_, m) in models {
        write!(out, " {}", right(&total(m), CELL))?;
    }
    writeln!(out)?;
    Ok(())
}

/// The first-order chain: the base conversion probability and each channel's removal effect.
fn removal(
    out: &mut String,
    a: &Attributed,
    shown: &[&String],
    cur: &Currency,
) -> Result<(), Failed> {
    let Some(report) = &a.result.markov else {
        return Ok(());
    };
    let j = &a.journeys;
    let s = j.stats();
    writeln!(
        out,
        "Markov removal effects (order {}) / 马尔可夫移除效应",
        report.order
    )?;
    paragraph(
        out,
        "",
        &format!(
            "Base conversion probability P = {} and expected value {} {} per journey, from the \
             chain of {} journeys ({} solver sweeps).",
            probability(report.conversion_probability),
            money(cur, minor_units(report.expected_value)),
            cur.code,
            count(j.total_conversions() + j.total_nulls()),
            report.sweeps
        ),
        "",
    )?;
    writeln!(
        out,
        "{} {} {} {}",
        left("channel", 22),
        right("P without", 10),
        right("removal effect", 15),
        right("value effect", 13)
    )?;
    for r in report
        .removals
        .iter()
        .filter(|r| shown.iter().any(|c| **c == r.channel))
    {
        writeln!(
            out,
            "{} {} {} {}",
            left(&r.channel, 22),
            right(&probability(r.conversion_probability), 10),
            right(&pct(r.removal_effect), 15),
            right(&pct(r.value_removal_effect), 13)
        )?;
    }
    paragraph(
        out,
        "",
        "A channel's removal effect is the share of conversions the chain loses when every \
         journey through the channel ends without a purchase instead (1 − P without / P); the \
         Markov columns split the conversions in proportion to it and the value in proportion \
         to the value effect.",
        "",
    )?;
    if report.conversion_probability >= Decimal::new(9, 1) {
        paragraph(
            out,
            "",
            &format!(
                "P is close to 1 here, and that says more about the sample than about the \
                 channels: {} of the {} first purchases had no touch and are not in the chain \
                 at all, and {} without a purchase. So the removal effects \
                 tell which channels lie on the converting paths, not how many buyers would be \
                 lost without them; touched prospects who never buy (null journeys) would bring \
                 P down and weigh the channels by how well they convert.",
                count(s.unattributed_conversions),
                count(s.conversions_read),
                match j.total_nulls() {
                    0 => "not one journey ends".to_owned(),
                    1 => "only one journey ends".to_owned(),
                    n => format!("only {} journeys end", count(n)),
                }
            ),
            "",
        )?;
    }
    Ok(())
}

/// A probability with four decimals.
fn probability(p: Decimal) -> String {
    format!("{:.4}", p.round_dp(4))
}

/// A Decimal amount of minor units rounded to a whole minor unit (saturating).
fn minor_units(v: Decimal) -> i64 {
    v.round().try_into().unwrap_or(if v.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// A ratio as a percentage with one decimal.
fn pct(v: Decimal) -> String {
    group_thousands(&format!("{:.1}%", (v * Decimal::ONE_HUNDRED).round_dp(1)))
}

/// A decimal with two decimals and thousands separators.
fn two(v: Decimal) -> String {
    group_thousands(&format!("{:.2}", v.round_dp(2)))
}

/// `first` then `text` wrapped at [`WIDTH`] columns, continuation lines indented by `indent`.
fn paragraph(out: &mut String, first: &str, text: &str, indent: &str) -> std::fmt::Result {
    let mut line = first.to_owned();
    for word in text.split_whitespace() {
        if !line.trim().is_empty() && display_width(&line) + 1 + display_width(word) > WIDTH {
            writeln!(out, "{line}")?;
            line = indent.to_owned();
        } else if !line.is_empty() && !line.ends_with(' ') {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        writeln!(out, "{line}")?;
    }
    Ok(())
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

/// Channel economics: per acquisition channel, and the budget reallocation.
#[derive(Debug)]
pub struct EconomicsSection;

impl Section for EconomicsSection {
    fn title(&self) -> &'static str {
        "Channel economics / 渠道经济"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let Some(as_of) = cx.summary.last_date else {
            return writeln!(out, "(no transactions)");
        };
        let (econ, unfitted) = match economics_of(cx.data, as_of) {
            Ok(e) => e,
            Err(e) => return writeln!(out, "channel economics failed: {e}"),
        };
        if let Err(Failed(e)) = show_economics(cx, &econ, unfitted.as_ref(), out) {
            writeln!(out, "channel economics: failed: {e}")?;
        }
        Ok(())
    }
}

/// A measure, or `–` when it is missing.
fn kpi(v: &KpiValue, f: impl Fn(Decimal) -> String) -> String {
    match v {
        KpiValue::Value(d) => f(*d),
        KpiValue::Missing(_) => "–".into(),
    }
}

fn show_economics(
    cx: &Context<'_>,
    econ: &ChannelEconomics,
    unfitted: Option<&qudao::Error>,
    out: &mut String,
) -> Result<(), Failed> {
    let cur = &cx.summary.currency;
    paragraph(
        out,
        "",
        &format!(
            "As of {}, per acquisition channel over all quarters. CAC = spend (channel costs and \
             touchpoint costs) / customers acquired; CLV = {} per customer acquired to date; \
             pred. = their predicted value of the next 12 months (BG/NBD and Gamma-Gamma, 1 % a \
             month); CLV/CAC and ROI on the same CLV; paid back = the quarterly cohorts with \
             spend whose margin covered it by {}. Money per customer in {}.",
            econ.as_of,
            econ.value_basis.name().replace('_', " "),
            econ.as_of,
            cur.code
        ),
        "",
    )?;
    if let Some(e) = unfitted {
        writeln!(out, "  no predictions: {e}")?;
    }
    writeln!(
        out,
        "{} {} {} {} {} {} {} {} {}",
        left("channel", 12),
        right("acquired", 8),
        right(&format!("spend ({})", cur.code), 14),
        right("CAC", 10),
        right("CLV", 10),
        right("pred.", 10),
        right("CLV/CAC", 7),
        right("ROI", 8),
        right("paid back", 9)
    )?;
    for r in &econ.totals {
        let cohorts: Vec<&AcquisitionRow> = econ
            .rows
            .iter()
            .filter(|x| x.channel == r.channel && x.spend > 0)
            .collect();
        let paid = cohorts
            .iter()
            .filter(|x| x.payback_periods.value().is_some())
            .count();
        writeln!(
            out,
            "{} {} {} {} {} {} {} {} {}",
            left(&r.channel, 12),
            right(&count(r.acquired), 8),
            right(&money(cur, r.spend), 14),
            right(&kpi(&r.cac, two), 10),
            right(&kpi(&r.clv, two), 10),
            right(&kpi(&r.predicted_per_customer, two), 10),
            right(&kpi(&r.clv_cac, two), 7),
            right(&kpi(&r.roi, pct), 8),
            right(&format!("{paid}/{}", cohorts.len()), 9)
        )?;
    }
    let acquired: u64 = econ.totals.iter().map(|r| r.acquired).sum();
    let spend: i64 = econ.totals.iter().map(|r| r.spend).sum();
    writeln!(
        out,
        "{} {} {}",
        left("all", 12),
        right(&count(acquired), 8),
        right(&money(cur, spend), 14)
    )?;
    writeln!(out)?;
    match proposal(econ)? {
        None => writeln!(out, "No channel has spend: nothing to reallocate.")?,
        Some(r) => reallocation(out, &r, cur)?,
    }
    Ok(())
}

/// How a bound decided an amount, in a word.
fn bound_text(b: Bound) -> &'static str {
    match b {
        Bound::Free => "free",
        Bound::Min => "min",
        Bound::Max => "max",
        Bound::NoEfficiency => "no CLV",
    }
}

fn reallocation(out: &mut String, r: &Reallocation, cur: &Currency) -> Result<(), Failed> {
    writeln!(out, "Budget reallocation / 预算再分配")?;
    paragraph(
        out,
        "",
        &format!(
            "Plan {}: the current spend, {} {}, spread over the channels in proportion to \
             CLV/CAC, each between {MIN_PERCENT}% and {MAX_PERCENT}% of its own current spend. \
             share = its CLV/CAC over the sum; by share = what that share alone gives it; \
             bound = min or max where a limit held it instead, free where the share decided.",
            r.plan,
            money(cur, r.total),
            cur.code
        ),
        "",
    )?;
    writeln!(
        out,
        "{} {} {} {} {} {} {}",
        left("channel", 12),
        right("CLV/CAC", 7),
        right("share", 6),
        right("by share", 14),
        left("  bound", 8),
        right("proposed", 14),
        right("change", 14)
    )?;
    for l in &r.lines {
        writeln!(
            out,
            "{} {} {} {} {} {} {}",
            left(&l.channel, 12),
            right(&kpi(&l.efficiency, two), 7),
            right(&kpi(&l.share_before_bounds, pct), 6),
            right(
                &kpi(&l.amount_before_bounds, |d| money(cur, minor_units(d))),
                14
            ),
            left(&format!("  {}", bound_text(l.bound)), 8),
            right(&money(cur, l.amount), 14),
            right(&l.change.map_or("–".into(), |c| money(cur, c)), 14)
        )?;
    }
    for n in &r.notes {
        paragraph(out, "  note: ", n, "        ")?;
    }
    let sum: i64 = r.lines.iter().map(|l| l.amount).sum();
    writeln!(
        out,
        "check: the proposed amounts add up to {} {}, the budget {} {}: {}",
        money(cur, sum),
        cur.code,
        money(cur, r.total),
        cur.code,
        if sum == r.total { "yes" } else { "NO" }
    )?;
    Ok(())
}
