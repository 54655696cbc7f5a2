//! The readable report of `qudao demo` and `qudao summary`, as a list of sections.
//!
//! Each section is a [`Section`]: later analyses (segmentation, rebates, evaluation,
//! conflict, attribution) add themselves by implementing it and joining [`sections`], without
//! touching the others.

use std::fmt::Write;

use qudao::intern::NONE;
use qudao::{Dataset, Summary};

use crate::text::{bar, count, left, money, percent, right};

/// What every section can read.
#[derive(Debug)]
pub struct Context<'a> {
    /// The data set.
    pub data: &'a Dataset,
    /// Its summary, computed once for all sections.
    pub summary: &'a Summary,
    /// Where the data came from, for the header.
    pub source: &'a str,
}

/// One section of the report.
pub trait Section {
    /// The section title (English / 中文).
    fn title(&self) -> &'static str;

    /// Write the section body (without the title) to `out`.
    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result;
}

/// The sections of the report, in order.
pub fn sections() -> Vec<Box<dyn Section>> {
    vec![
        Box::new(Header),
        Box::new(ByChannel),
        Box::new(TopPartners { limit: 15 }),
        Box::new(ByMonth),
        Box::new(crate::customers::Customers { top: 10 }),
        Box::new(crate::conflict::Conflict {
            examples: 2,
            evidence: 3,
        }),
        Box::new(crate::rebates::Rebates {
            explain: 4,
            why_not: 5,
        }),
        Box::new(crate::evaluation::Evaluation {
            top: 5,
            alert_lines: 12,
            suggestions: 3,
        }),
        Box::new(crate::attribution::AttributionSection),
        Box::new(crate::attribution::EconomicsSection),
        Box::new(Rejections { show: 5 }),
    ]
}

/// Render all sections with their titles underlined.
pub fn render(cx: &Context<'_>, sections: &[Box<dyn Section>]) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let title = s.title();
        writeln!(out, "{title}")?;
        writeln!(out, "{}", "=".repeat(crate::text::display_width(title)))?;
        s.render(cx, &mut out)?;
    }
    Ok(out)
}

/// What qudao is and what the data set holds.
#[derive(Debug)]
pub struct Header;

impl Section for Header {
    fn title(&self) -> &'static str {
        "qudao — sales-channel management (渠道管理)"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let s = cx.summary;
        let c = &s.master_counts;
        let cur = &s.currency;
        writeln!(
            out,
            "An embeddable Rust library for channel data: channels, partners, territories,"
        )?;
        writeln!(
            out,
            "price systems, KPIs, customer segmentation, rebates, evaluation and conflict."
        )?;
        writeln!(out)?;
        writeln!(out, "data        {}", cx.source)?;
        let range = match (s.first_date, s.last_date) {
            (Some(a), Some(b)) => format!("{a} .. {b}"),
            _ => "no transactions".into(),
        };
        writeln!(out, "period      {range}")?;
        writeln!(
            out,
            "currency    {} (amounts in {}, {} decimals)",
            cur.code, cur.code, cur.exponent
        )?;
        writeln!(
            out,
            "lines       {} ({} orders, {} returns)",
            count(s.totals.lines),
            count(s.totals.orders),
            count(s.totals.return_lines)
        )?;
        writeln!(
            out,
            "master      {} channels, {} territories, {} partners, {} categories, {} products, {} price entries",
            c.channels, c.territories, c.partners, c.categories, c.products, c.price_entries
        )?;
        writeln!(
            out,
            "customers   {} ({} with purchases)",
            count(c.customers as u64),
            count(s.active_customers)
        )?;
        let ops: Vec<String> = s
            .operational_counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {}", count(*n as u64)))
            .collect();
        if !ops.is_empty() {
            writeln!(out, "operations  {}", ops.join(", "))?;
        }
        writeln!(out)?;
        let t = &s.totals;
        writeln!(out, "gross sales {:>20}", money(cur, t.gross_sales))?;
        writeln!(out, "returns     {:>20}", money(cur, t.returns))?;
        writeln!(out, "net revenue {:>20}", money(cur, t.net_revenue))?;
        if let Some(m) = t.gross_margin {
            writeln!(
                out,
                "margin      {:>20}  ({} of net revenue)",
                money(cur, m),
                percent(i128::from(m), i128::from(t.net_revenue))
            )?;
        }
        Ok(())
    }
}

/// Lines, orders, revenue, share and margin per channel, with the channel kind in English
/// and Chinese.
#[derive(Debug)]
pub struct ByChannel;

impl Section for ByChannel {
    fn title(&self) -> &'static str {
        "By channel / 分渠道"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let m = &cx.data.master;
        let s = cx.summary;
        let cur = &s.currency;
        writeln!(
            out,
            "{} {} {} {} {} {} {} {}",
            left("channel", 12),
            left("name", 16),
            left("kind", 36),
            right("lines", 10),
            right("orders", 10),
            right(&format!("net revenue ({})", cur.code), 20),
            right("share", 7),
            right("margin", 7)
        )?;
        for r in &s.by_channel {
            let kind = m
                .channels
                .code(&r.key)
                .and_then(|c| m.channels.get(c))
                .map(|c| {
                    format!(
                        "{} {} ({})",
                        c.kind.label_en(),
                        c.kind.label_zh(),
                        c.presence.label_zh()
                    )
                })
                .unwrap_or_default();
            writeln!(
                out,
                "{} {} {} {} {} {} {} {}",
                left(&r.key, 12),
                left(&r.name, 16),
                left(&kind, 36),
                right(&count(r.lines), 10),
                right(&count(r.orders), 10),
                right(&money(cur, r.net_revenue), 20),
                right(
                    &percent(i128::from(r.net_revenue), i128::from(s.totals.net_revenue)),
                    7
                ),
                right(
                    &r.gross_margin.map_or("–".into(), |g| percent(
                        i128::from(g),
                        i128::from(r.net_revenue)
                    )),
                    7
                )
            )?;
        }
        Ok(())
    }
}

/// The partners with the highest net revenue.
#[derive(Debug)]
pub struct TopPartners {
    /// How many to list.
    pub limit: usize,
}

impl Section for TopPartners {
    fn title(&self) -> &'static str {
        "Top partners by net revenue / 合作伙伴排名"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let m = &cx.data.master;
        let s = cx.summary;
        let cur = &s.currency;
        let mut rows: Vec<_> = s.by_partner.iter().filter(|r| !r.key.is_empty()).collect();
        rows.sort_by(|a, b| {
            b.net_revenue
                .cmp(&a.net_revenue)
                .then_with(|| a.key.cmp(&b.key))
        });
        if rows.is_empty() {
            writeln!(out, "(no partner sales)")?;
            return Ok(());
        }
        writeln!(
            out,
            "{} {} {} {} {} {} {}",
            right("#", 3),
            left("partner", 8),
            left("name", 26),
            left("parent", 8),
            right("lines", 9),
            right(&format!("net revenue ({})", cur.code), 20),
            right("share", 7)
        )?;
        for (i, r) in rows.iter().take(self.limit).enumerate() {
            let parent = m
                .partners
                .code(&r.key)
                .and_then(|p| m.partners.tree.parent(p))
                .filter(|&p| p != NONE)
                .map(|p| m.partners.id(p).to_owned())
                .unwrap_or_else(|| "—".into());
            writeln!(
                out,
                "{} {} {} {} {} {} {}",
                right(&(i + 1).to_string(), 3),
                left(&r.key, 8),
                left(&r.name, 26),
                left(&parent, 8),
                right(&count(r.lines), 9),
                right(&money(cur, r.net_revenue), 20),
                right(
                    &percent(i128::from(r.net_revenue), i128::from(s.totals.net_revenue)),
                    7
                )
            )?;
        }
        if let Some(direct) = s.by_partner.iter().find(|r| r.key.is_empty()) {
            writeln!(
                out,
                "    direct sales (no partner): {} lines, {} {}",
                count(direct.lines),
                money(cur, direct.net_revenue),
                cur.code
            )?;
        }
        Ok(())
    }
}

/// Net revenue per month with a bar chart.
#[derive(Debug)]
pub struct ByMonth;

impl Section for ByMonth {
    fn title(&self) -> &'static str {
        "By month / 月度趋势"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let s = cx.summary;
        let cur = &s.currency;
        let max = s.by_month.iter().map(|r| r.net_revenue).max().unwrap_or(0);
        writeln!(
            out,
            "{} {} {}  net revenue",
            left("month", 7),
            right("orders", 9),
            right(&format!("net revenue ({})", cur.code), 20)
        )?;
        for r in &s.by_month {
            writeln!(
                out,
                "{} {} {}  {}",
                left(&r.key, 7),
                right(&count(r.orders), 9),
                right(&money(cur, r.net_revenue), 20),
                bar(r.net_revenue, max, 40)
            )?;
        }
        Ok(())
    }
}

/// What the load set aside, by table and reason, and the first few records.
#[derive(Debug)]
pub struct Rejections {
    /// How many rejections to list.
    pub show: usize,
}

impl Section for Rejections {
    fn title(&self) -> &'static str {
        "Rejections / 数据问题"
    }

    fn render(&self, cx: &Context<'_>, out: &mut String) -> std::fmt::Result {
        let r = &cx.summary.rejections;
        if r.is_empty() {
            writeln!(out, "none: every record was accepted")?;
            return Ok(());
        }
        writeln!(out, "{} records set aside", count(r.total()))?;
        for (table, reasons) in &r.counts {
            for (reason, n) in reasons {
                writeln!(
                    out,
                    "  {} {} {}",
                    left(table, 14),
                    left(reason.as_str(), 22),
                    right(&count(*n), 10)
                )?;
            }
        }
        if !r.rejections.is_empty() {
            writeln!(out, "first {}:", r.rejections.len().min(self.show))?;
            for x in r.rejections.iter().take(self.show) {
                writeln!(out, "  {}: {}", x.location, x.message)?;
            }
        }
        Ok(())
    }
}
