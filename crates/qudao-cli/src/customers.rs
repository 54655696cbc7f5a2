//! The customer section of the report: RFM segments, ABC classes, member tiers and lifetime
//! value, as of the last day of the data.

use std::fmt::Write;

use qudao::abc::{AbcScheme, Subject, revenue_classes};
use qudao::clv::predict::{BgNbd, ClvOptions, Customer, GammaGamma, PurchaseModel, clv};
use qudao::clv::{BtydData, FitStatus, fit_bgnbd, fit_gamma_gamma};
use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
use qudao::membership::{TierScheme, run as run_membership};
use qudao::rfm::{RfmRules, analyze};
use qudao::segment::SegmentScheme;

use crate::report::{Context, Section};
use crate::text::{count, left, money, percent, right};

/// The same summary from the bare lines (customer, order, date, amount, kind, cost), as a
/// notebook without master data would compute it, compared row by row.
fn lines_check(data: &qudao::Dataset, opts: CustomerOptions, want: &CustomerSummary) -> String {
    use qudao::lines::{CustomerLine, CustomerLines};
    let mut b = CustomerLines::builder(data.currency().clone());
    for c in &data.transactions.chunks {
        for i in 0..c.len() {
            let order = data.transactions.order_id(c.order[i]);
            let line = CustomerLine {
                customer: data.master.customers.id(c.customer[i]),
                order: &order,
                date: qudao::Date(c.date[i]),
                amount: c.amount[i],
                kind: if c.is_return(i) {
                    qudao::TxKind::Return
                } else {
                    qudao::TxKind::Sale
                },
                cost: c.cost_of(i),
            };
            if let Err(e) = b.push(&line) {
                return format!("From the bare lines: {e}");
            }
        }
    }
    let lines = b.finish();
    match lines.summarise(opts) {
        Ok(got) => {
            let same = got.len() == want.len()
                && (0..got.len()).all(|r| {
                    lines.customers().id(got.code(r)) == data.master.customers.id(want.code(r))
                        && got.values(r) == want.values(r)
                });
            format!(
                "From the bare lines alone (customer, order, date, amount, kind, cost; no master data): {} customers, {}.",
                count(got.len() as u64),
                if same {
                    "the same table"
                } else {
                    "A DIFFERENT TABLE"
                }
            )
        }
        Err(e) => format!("From the bare lines: {e}"),
    }
}

/// Customers: segments, ABC, tiers, lifetime value.
#[derive(Debug)]
pub struct Customers {
    /// How many top customers by predicted lifetime value to list.
    pub top: usize,
}

impl Section for Customers {
    fn title(&self) -> &'static str {
        "Customers: segments, ABC, member tiers, lifetime value / 客户分群与价值"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let Some(as_of) = cx.summary.last_date else {
            return writeln!(out, "(no transactions)");
        };
        let cur = &cx.summary.currency;
        let opts = CustomerOptions::new(as_of, Frequency::DistinctOrders);
        let t = match CustomerSummary::compute(cx.data, opts) {
            Ok(t) => t,
            Err(e) => return writeln!(out, "customer summary failed: {e}"),
        };
        writeln!(
            out,
            "As of {as_of}: {} customers with a purchase; frequency = distinct orders, recency in days,",
            count(t.len() as u64)
        )?;
        writeln!(
            out,
            "monetary = net of returns; quintile scores by rank, ties by customer id. {} with only returns left out.",
            count(t.only_returns().len() as u64)
        )?;

        writeln!(out, "{}", lines_check(cx.data, opts, &t))?;

        writeln!(out, "\nRFM segments (rfm-11) / RFM 客户分群")?;
        let scheme = SegmentScheme::eleven_segment();
        match analyze(&t, &RfmRules::default(), &scheme) {
            Ok(rfm) => {
                writeln!(
                    out,
                    "{} {} {} {} {} {} {}",
                    left("segment", 34),
                    right("customers", 10),
                    right("orders", 9),
                    right(&format!("revenue ({})", cur.code), 18),
                    right("share", 7),
                    right("avg order", 12),
                    left("care strategy", 20)
                )?;
                for s in &rfm.segments {
                    let aov = s
                        .average_order_value
                        .and_then(|v| i64::try_from(v).ok())
                        .map_or("–".into(), |v| money(cur, v));
                    writeln!(
                        out,
                        "{} {} {} {} {} {} {}",
                        left(&format!("{} {}", s.label.en, s.label.zh), 34),
                        right(&count(s.customers), 10),
                        right(&count(s.orders), 9),
                        right(
                            &money(cur, i64::try_from(s.revenue).unwrap_or(i64::MAX)),
                            18
                        ),
                        right(&percent(s.revenue, rfm_total(&rfm.segments)), 7),
                        right(&aov, 12),
                        first_clause(&s.strategy.zh)
                    )?;
                }
                let r = &rfm.recency.bins;
                let ranges: Vec<String> = r
                    .iter()
                    .map(|b| match (b.min, b.max) {
                        (Some(lo), Some(hi)) => format!("R{}: {lo}–{hi} d", b.score),
                        _ => format!("R{}: –", b.score),
                    })
                    .collect();
                writeln!(out, "recency bins   {}", ranges.join(", "))?;
            }
            Err(e) => writeln!(out, "RFM failed: {e}")?,
        }
        match analyze(&t, &RfmRules::default(), &SegmentScheme::four_class()) {
            Ok(rfm) => {
                let parts: Vec<String> = rfm
                    .segments
                    .iter()
                    .map(|s| format!("{} {} {}", s.label.zh, s.label.en, count(s.customers)))
                    .collect();
                writeln!(out, "four classes   {}", parts.join(" · "))?;
            }
            Err(e) => writeln!(out, "four classes failed: {e}")?,
        }

        writeln!(
            out,
            "\nABC by net revenue (A 80 %, B 15 %, C 5 %) / ABC 分类"
        )?;
        for (subject, name) in [
            (Subject::Customer, "customers"),
            (Subject::Partner, "partners"),
            (Subject::Product, "products"),
        ] {
            match revenue_classes(cx.data, subject, None, None, &AbcScheme::default()) {
                Ok(r) => {
                    let parts: Vec<String> = r
                        .abc
                        .classes
                        .iter()
                        .map(|c| {
                            format!(
                                "{} {} items {}",
                                c.label,
                                count(c.items),
                                c.share.map_or("–".into(), |s| format!(
                                    "{:.1} %",
                                    s * rust_decimal::Decimal::ONE_HUNDRED
                                ))
                            )
                        })
                        .collect();
                    writeln!(out, "{} {}", left(name, 10), parts.join(" · "))?;
                }
                Err(e) => writeln!(out, "{} failed: {e}", left(name, 10))?,
            }
        }

        writeln!(
            out,
            "\nMember tiers (built-in scheme, rolling 365-day spend) / 会员等级"
        )?;
        let tiers = TierScheme::builtin_default();
        if tiers.currency != cur.code {
            writeln!(
                out,
                "(the built-in tier scheme is in {}, the data in {}: skipped)",
                tiers.currency, cur.code
            )?;
        } else {
            match run_membership(cx.data, &tiers, &[], as_of) {
                Ok(m) => {
                    let parts: Vec<String> = m
                        .tier_counts
                        .iter()
                        .map(|c| format!("{} {}", c.tier, count(c.customers)))
                        .collect();
                    writeln!(out, "customers     {}", parts.join(" · "))?;
                    writeln!(
                        out,
                        "ledger        {} entries, {} tier changes, next review {}",
                        count(m.ledger.len() as u64),
                        count(m.history.len() as u64),
                        m.next_review
                    )?;
                }
                Err(e) => writeln!(out, "membership failed: {e}")?,
            }
        }

        writeln!(
            out,
            "\nLifetime value (BG/NBD + Gamma-Gamma, weeks; 12 monthly steps at 1 %/month) / 客户终身价值"
        )?;
        self.lifetime_value(cx, &t, out)
    }
}

impl Customers {
    fn lifetime_value(
        &self,
        cx: &Context<'_>,
        t: &CustomerSummary,
        out: &mut String,
    ) -> std::fmt::Result {
        let cur = &cx.summary.currency;
        let data = match BtydData::compress(t.btyd_rows()) {
            Ok(d) => d,
            Err((row, e)) => return writeln!(out, "BTYD input row {row}: {e}"),
        };
        let fit = fit_bgnbd(&data);
        let minor = 10i64.pow(u32::from(cur.exponent));
        let (spend_rows, dropped) = t.spend_rows(minor);
        let gg = fit_gamma_gamma(&spend_rows);
        for f in [&fit, &gg] {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|(n, v)| format!("{n} {v:.4}"))
                .collect();
            let status = match &f.status {
                FitStatus::Converged => "converged".to_owned(),
                FitStatus::Boundary { parameter } => format!("boundary at {parameter}"),
                FitStatus::NotConverged => "not converged".to_owned(),
            };
            writeln!(
                out,
                "{} {} (LL {:.1}, {status})",
                left(&f.model, 12),
                params.join(", "),
                f.log_likelihood
            )?;
        }
        if dropped > 0 {
            writeln!(
                out,
                "             {} repeat buyers with no positive repeat spend left out of Gamma-Gamma",
                count(dropped)
            )?;
        }
        let (model, spend) = match (BgNbd::from_fit(&fit), GammaGamma::from_fit(&gg)) {
            (Ok(m), Ok(s)) => (m, s),
            (Err(e), _) | (_, Err(e)) => return writeln!(out, "no prediction: {e}"),
        };
        let options = ClvOptions::monthly_in_weeks();
        let mut scored: Vec<(f64, usize, f64)> = Vec::with_capacity(t.len());
        for r in 0..t.len() {
            let (x, t_x, big_t) = t.btyd(r);
            let Ok(c) = Customer::new(f64::from(x), t_x, big_t) else {
                continue;
            };
            let mean = if x > 0 {
                t.repeat_value(r) as f64 / minor as f64 / f64::from(x)
            } else {
                0.0
            };
            let Ok(expected) = spend.conditional_expected_spend(f64::from(x), mean.max(0.0)) else {
                continue;
            };
            if let (Ok(value), Ok(alive)) = (
                clv(&model, expected, &c, &options),
                model.probability_alive(&c),
            ) {
                scored.push((value, r, alive));
            }
        }
        // Highest value first; ties by row (customer id order).
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        writeln!(
            out,
            "{} {} {} {} {} {}",
            left("customer", 12),
            right("orders", 7),
            right("recency", 8),
            right("P(alive)", 9),
            right(&format!("to date ({})", cur.code), 16),
            right(&format!("CLV 12m ({})", cur.code), 16)
        )?;
        for &(value, r, alive) in scored.iter().take(self.top) {
            let v = (value * minor as f64).round();
            writeln!(
                out,
                "{} {} {} {} {} {}",
                left(cx.data.master.customers.id(t.code(r)), 12),
                right(&count(t.orders(r)), 7),
                right(&format!("{} d", t.recency_days(r)), 8),
                right(&format!("{:.1} %", alive * 100.0), 9),
                right(&money(cur, t.monetary(r)), 16),
                right(&money(cur, v as i64), 16)
            )?;
        }
        Ok(())
    }
}

fn rfm_total(segments: &[qudao::rfm::SegmentSummaryRow]) -> i128 {
    segments.iter().map(|s| s.revenue).sum()
}

/// The first clause of a strategy text, to keep the table narrow.
fn first_clause(text: &str) -> String {
    text.split(['，', '；', '。', ',', ';'])
        .next()
        .unwrap_or(text)
        .to_owned()
}
