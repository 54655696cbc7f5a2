//! The `qudao` binary, run as users run it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn qudao(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qudao"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn demo_prints_every_section() {
    let o = qudao(&["demo", "--lines", "5000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for title in [
        "qudao — sales-channel management",
        "By channel / 分渠道",
        "Top partners by net revenue",
        "By month / 月度趋势",
        "Customers: segments, ABC, member tiers, lifetime value",
        "Conflict / 渠道冲突",
        "Rebates / 返利与激励",
        "Evaluation / 渠道评估",
        "Attribution / 渠道归因",
        "Channel economics / 渠道经济",
        "Rejections / 数据问题",
    ] {
        assert!(out.contains(title), "missing section {title:?} in\n{out}");
    }
    assert!(out.contains("直播带货"), "zh-CN channel kind labels");
    assert!(out.contains("5,000"), "line count with separators");
    assert!(out.contains("CNY"));
    assert!(out.contains('█'), "a bar chart");
    for customer_part in [
        "Champions 冠军客户",
        "four classes",
        "products   A",
        "diamond",
        "bg_nbd",
        "P(alive)",
    ] {
        assert!(
            out.contains(customer_part),
            "missing {customer_part:?} in\n{out}"
        );
    }
    for rebate_part in [
        "settled as of 2025-12-31",
        "dist-volume       经销商季度阶梯返利",
        "total money paid",
        "pts",
        "penalty cross-region",
        "cross_region/",
        "round    half_up at period",
        "Why not / 未获返利原因",
    ] {
        assert!(
            out.contains(rebate_part),
            "missing {rebate_part:?} in\n{out}"
        );
    }
    assert!(stderr(&o).is_empty() || !stderr(&o).contains("panicked"));
    // Same text again: the multi-threaded customer analysis is deterministic.
    assert_eq!(stdout(&qudao(&["demo", "--lines", "5000"])), out);
}

#[test]
fn demo_evaluation_shows_the_planted_trouble() {
    // The planted partners of the same sample, from the files `generate` writes.
    let dir = tmp("planted");
    let d = dir.to_str().expect("utf-8 path");
    let g = qudao(&["generate", "--out", d, "--lines", "20000"]);
    assert!(g.status.success(), "{}", stderr(&g));
    let planted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("planted.json")).expect("read"))
            .expect("json");
    let _ = std::fs::remove_dir_all(&dir);
    let overstocked = planted["overstocked_partner"].as_str().expect("id");
    let complaining = planted["rising_complaints_partner"].as_str().expect("id");

    let o = qudao(&["demo", "--lines", "20000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let section = out
        .split_once("Evaluation / 渠道评估")
        .and_then(|(_, rest)| rest.split_once("Rejections / 数据问题"))
        .map(|(section, _)| section)
        .expect("the evaluation section, before the rejections");
    for part in [
        "Channel BCG matrix, 2025 / 渠道波士顿矩阵",
        "Cash cow 现金牛",
        "Keep: hold the share with little new investment",
        "quarter by quarter in 2025",
        "Partner ranking, 2025-Q4 / 渠道伙伴绩效排名",
        "General agents / 区域总代: 8 scored",
        "Distributors / 经销商",
        "Retailers, franchisees, agents / 零售、加盟与代理商",
        "#1 GA",
        "Early warnings, 2024-01 .. 2025-12 / 预警",
        "credit-exposure",
        "not run: no receivables were given",
        "Onboarding (minghe-onboarding-2025",
        "registered_capital ≥ 1,000,000",
        "Grade changes (minghe-grades-2025",
    ] {
        assert!(section.contains(part), "missing {part:?} in\n{section}");
    }
    // Each singled-out rule lists its planted partner, with the evidence.
    let alerts_of = |rule: &str| {
        section
            .split_once(&format!("\n{rule} "))
            .and_then(|(_, rest)| rest.split_once("\n\n"))
            .map(|(block, _)| block.to_string())
            .unwrap_or_else(|| panic!("no {rule} alerts in\n{section}"))
    };
    let stock = alerts_of("stock-cover-high");
    assert!(stock.contains(&format!("\n  {overstocked} ")), "{stock}");
    assert!(stock.contains("inventory turnover days"), "{stock}");
    assert!(
        stock.contains("Adjust supply and organise a promotion"),
        "{stock}"
    );
    let complaints = alerts_of("complaints-rising");
    assert!(
        complaints.contains(&format!("\n  {complaining} ")),
        "{complaints}"
    );
    assert!(
        complaints.contains("complaint rate rose 3 months running"),
        "{complaints}"
    );
}

#[test]
fn demo_conflict_finds_the_planted_trouble_and_only_it() {
    let dir = tmp("planted-conflict");
    let d = dir.to_str().expect("utf-8 path");
    let g = qudao(&["generate", "--out", d, "--lines", "20000"]);
    assert!(g.status.success(), "{}", stderr(&g));
    let planted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("planted.json")).expect("read"))
            .expect("json");
    let _ = std::fs::remove_dir_all(&dir);
    let cross = planted["cross_region_partner"].as_str().expect("id");
    let floor = planted["below_floor_partner"].as_str().expect("id");
    let overstocked = planted["overstocked_partner"].as_str().expect("id");

    let o = qudao(&["demo", "--lines", "20000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let section = out
        .split_once("Conflict / 渠道冲突")
        .and_then(|(_, rest)| rest.split_once("Rebates / 返利与激励"))
        .map(|(section, _)| section)
        .expect("the conflict section, before the rebates");
    for part in [
        "Policy minghe-conflict",
        "cross_region 窜货",
        "below_floor 低于最低限价",
        "not run: diverted_goods",
        "not run: vertical",
        "Enforcement / 冲突处罚",
        "penalty cross-region",
        "would pay",
    ] {
        assert!(section.contains(part), "missing {part:?} in\n{section}");
    }
    // Every finding shown against a partner is against a planted one.
    let mut shown = 0;
    for line in section.lines() {
        let Some(id) = line.strip_prefix("  ").and_then(|l| l.split(' ').next()) else {
            continue;
        };
        let parts: Vec<&str> = id.split('/').collect();
        if parts.len() < 5 {
            continue;
        }
        shown += 1;
        match parts[0] {
            "cross_region" => assert_eq!(parts[1], cross, "{line}"),
            "below_floor" => assert_eq!(parts[1], floor, "{line}"),
            "inventory" => assert_eq!(parts[1], overstocked, "{line}"),
            _ => assert_eq!(parts[1], "-", "a finding against a clean partner: {line}"),
        }
    }
    assert!(shown >= 2, "no findings shown in\n{section}");
}

/// The text between two headings of the report.
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    text.split_once(from)
        .and_then(|(_, rest)| rest.split_once(to))
        .map(|(part, _)| part)
        .unwrap_or_else(|| panic!("no {from:?} before {to:?} in\n{text}"))
}

/// A number as the report prints it (`1,234.5`, `-12.3%`, `3.72`).
fn number(text: &str) -> rust_decimal::Decimal {
    text.replace(',', "")
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The last `n` cells of the row of a table that starts with `key`.
fn cells<'a>(table: &'a str, key: &str, n: usize) -> Vec<&'a str> {
    let line = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(key))
        .unwrap_or_else(|| panic!("no row {key:?} in\n{table}"));
    let all: Vec<&str> = line.split_whitespace().collect();
    assert!(all.len() > n, "{line}");
    all[all.len() - n..].to_vec()
}

#[test]
fn demo_attribution_and_economics_match_the_core() {
    use qudao::attribution::{AttributionSettings, Journeys, MarkovOptions, Model, attribute};
    use qudao::economics::{
        BudgetChannel, BudgetPlan, ClvPredictions, EconomicsOptions, EfficiencyInputs,
        EfficiencyMeasure, Grain, compute, reallocate,
    };
    use rust_decimal::Decimal;

    let o = qudao(&["demo", "--lines", "20000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // Both sections, after the evaluation and before the rejections.
    let attribution = between(
        &out,
        "Attribution / 渠道归因",
        "Channel economics / 渠道经济",
    );
    let economics = between(
        &out,
        "Channel economics / 渠道经济",
        "Rejections / 数据问题",
    );
    assert!(out.contains("Evaluation / 渠道评估\n"));
    assert!(out.find("Evaluation / 渠道评估") < out.find("Attribution / 渠道归因"));
    for line in attribution.lines().chain(economics.lines()) {
        // CJK characters take two columns.
        let width: usize = line
            .chars()
            .map(|c| {
                if ('\u{2E80}'..='\u{FFE6}').contains(&c) {
                    2
                } else {
                    1
                }
            })
            .sum();
        assert!(width <= 100, "wider than 100 columns: {line}");
    }

    // The same sample, attributed by the core directly.
    let config = qudao::sample::SampleConfig {
        seed: 42,
        ..qudao::sample::SampleConfig::with_lines(20_000)
    };
    let data = qudao::sample::generate(&config).expect("sample").dataset;
    let settings = AttributionSettings::default();
    let journeys = Journeys::from_dataset(&data, &settings.journey_options()).expect("journeys");
    let result = attribute(&journeys, &settings).expect("attributes");
    assert!(result.skipped.is_empty(), "{:?}", result.skipped);
    let (second, _) = qudao::attribution::markov(
        &journeys,
        &MarkovOptions {
            order: 2,
            ..settings.markov
        },
    )
    .expect("second order");
    assert!(attribution.contains(&format!(
        "{} first purchases (",
        journeys.stats().unattributed_conversions
    )));
    assert!(attribution.contains(&format!(
        "{} conversions, {} null journeys",
        journeys.total_conversions(),
        journeys.total_nulls()
    )));

    // Every model is a column and explains itself, the second-order Markov model beside the
    // first.
    let headings = [
        "first", "last", "linear", "decay", "position", "markov1", "markov2", "shapley",
    ];
    let header: Vec<&str> = attribution
        .lines()
        .find(|l| l.starts_with("channel "))
        .expect("a table")
        .split_whitespace()
        .collect();
    assert_eq!(header[1..], headings, "{attribution}");
    for h in headings {
        assert!(
            attribution
                .lines()
                .any(|l| l.starts_with(&format!("{h:<9}"))),
            "no explanation of {h} in\n{attribution}"
        );
    }
    let mut models: Vec<&qudao::attribution::ModelResult> = Model::ALL
        .iter()
        .map(|&m| result.model(m).expect("every model ran"))
        .collect();
    models.insert(6, &second);

    // Conversions and value per channel and model, as the core gives them.
    let conversions = between(
        attribution,
        "Attributed conversions by model",
        "Attributed value",
    );
    let value = between(
        attribution,
        "Attributed value by model",
        "Markov removal effects",
    );
    let mut rows = 0;
    for channel in &result.channels {
        let credits: Vec<_> = models
            .iter()
            .map(|m| m.credit(channel).expect("every channel"))
            .collect();
        if credits.iter().all(|c| c.touches == 0 && c.value == 0) {
            assert!(!conversions.contains(&format!("\n{channel} ")), "{channel}");
            continue;
        }
        rows += 1;
        let printed = cells(conversions, channel, 8);
        let printed_value = cells(value, channel, 8);
        for ((c, p), v) in credits.iter().zip(&printed).zip(&printed_value) {
            assert_eq!(number(p), c.conversions.round_dp(1), "{channel}");
            let thousands = Decimal::new(c.value, 2) / Decimal::ONE_THOUSAND;
            assert_eq!(number(v), thousands.round_dp(1), "{channel}");
        }
    }
    assert!(rows >= 2, "{attribution}");
    // Each column adds up to the conversions split.
    for p in cells(conversions, "total", 8) {
        assert_eq!(number(p), Decimal::from(journeys.total_conversions()));
    }

    // The chain: base conversion probability and removal effects.
    let markov = result.markov.as_ref().expect("markov report");
    assert!(
        attribution.contains(&format!(
            "P = {:.4}",
            markov.conversion_probability.round_dp(4)
        )),
        "{attribution}"
    );
    let effects = between(
        attribution,
        "Markov removal effects",
        "A channel's removal effect",
    );
    for r in &markov.removals {
        if r.removal_effect.is_zero() {
            continue;
        }
        let printed = cells(effects, &r.channel, 3);
        assert_eq!(number(printed[0]), r.conversion_probability.round_dp(4));
        let hundred = Decimal::ONE_HUNDRED;
        assert_eq!(number(printed[1]), (r.removal_effect * hundred).round_dp(1));
        assert_eq!(
            number(printed[2]),
            (r.value_removal_effect * hundred).round_dp(1)
        );
    }

    // Channel economics, computed directly.
    let as_of = data.summary().expect("summary").last_date.expect("lines");
    let (predictions, _) = ClvPredictions::fit(
        &data,
        as_of,
        &qudao::clv::predict::ClvOptions::monthly_in_weeks(),
    )
    .expect("fits");
    let econ = compute(
        &data,
        &EconomicsOptions::new(as_of, Grain::Quarter),
        Some(&predictions),
    )
    .expect("economics");
    let table = between(economics, "\nchannel ", "Budget reallocation");
    let two = |v: &qudao::economics::KpiValue| v.value().expect("a value").round_dp(2);
    for r in &econ.totals {
        let printed = cells(table, &r.channel, 8);
        assert_eq!(
            number(printed[0]),
            Decimal::from(r.acquired),
            "{}",
            r.channel
        );
        assert_eq!(
            number(printed[1]),
            Decimal::new(r.spend, 2),
            "{}",
            r.channel
        );
        assert_eq!(number(printed[2]), two(&r.cac), "{}", r.channel);
        assert_eq!(number(printed[3]), two(&r.clv), "{}", r.channel);
        assert_eq!(
            number(printed[4]),
            two(&r.predicted_per_customer),
            "{}",
            r.channel
        );
        assert_eq!(number(printed[5]), two(&r.clv_cac), "{}", r.channel);
    }

    // The reallocation: the current spend by CLV/CAC, 50–200 % of each channel's spend.
    let total: i64 = econ.totals.iter().map(|r| r.spend).sum();
    let plan = BudgetPlan {
        schema_version: 1,
        id: "demo-clv-cac".into(),
        name: None,
        total,
        measure: EfficiencyMeasure::ClvCac,
        channels: econ
            .totals
            .iter()
            .filter(|r| r.spend > 0)
            .map(|r| BudgetChannel {
                channel: r.channel.clone(),
                min: r.spend / 2,
                max: Some(r.spend * 2),
                efficiency: None,
            })
            .collect(),
    };
    let proposal = reallocate(&plan, &EfficiencyInputs::from_economics(&econ)).expect("plan");
    let budget = between(economics, "Budget reallocation / 预算再分配", "check:");
    let mut printed_sum = Decimal::ZERO;
    for l in &proposal.lines {
        let printed = cells(budget, &l.channel, 2);
        assert_eq!(
            number(printed[0]),
            Decimal::new(l.amount, 2),
            "{}",
            l.channel
        );
        printed_sum += number(printed[0]);
    }
    assert_eq!(
        printed_sum,
        Decimal::new(total, 2),
        "the amounts add up to the budget"
    );
    let money = |minor: i64| {
        let text = Decimal::new(minor, 2).to_string();
        let (int, frac) = text.split_once('.').expect("two decimals");
        let mut grouped = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("{grouped}.{frac}")
    };
    let check = format!(
        "check: the proposed amounts add up to {0} CNY, the budget {0} CNY: yes",
        money(total)
    );
    assert!(economics.contains(&check), "{check:?} in\n{economics}");
}

#[test]
fn demo_json_parses_and_is_deterministic() {
    let a = qudao(&["demo", "--lines", "5000", "--seed", "3", "--format", "json"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).expect("valid JSON");
    assert_eq!(v["totals"]["lines"], 5000);
    assert_eq!(v["currency"]["code"], "CNY");
    assert_eq!(v["by_channel"].as_array().map(Vec::len), Some(13));
    let b = qudao(&["demo", "--lines", "5000", "--seed", "3", "--format", "json"]);
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn generate_then_summary_round_trips() {
    let dir = tmp("roundtrip");
    let d = dir.to_str().expect("utf-8 path");
    let g = qudao(&["generate", "--out", d, "--lines", "4000", "--seed", "9"]);
    assert!(g.status.success(), "{}", stderr(&g));
    for f in [
        "transactions.csv",
        "partners.csv",
        "customers.csv",
        "prices.csv",
        "inventory.csv",
        "planted.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let from_files = qudao(&["summary", "--data", d, "--format", "json"]);
    assert!(from_files.status.success(), "{}", stderr(&from_files));
    let in_memory = qudao(&["demo", "--lines", "4000", "--seed", "9", "--format", "json"]);
    let a: serde_json::Value = serde_json::from_str(&stdout(&from_files)).expect("json");
    let b: serde_json::Value = serde_json::from_str(&stdout(&in_memory)).expect("json");
    for key in [
        "totals",
        "by_channel",
        "by_partner",
        "by_month",
        "master_counts",
        "operational_counts",
    ] {
        assert_eq!(a[key], b[key], "{key} survives the CSV round trip");
    }
    let text = qudao(&["summary", "--data", d]);
    assert!(text.status.success());
    assert!(stdout(&text).contains("By channel"));
    let demo_dir = qudao(&["demo", "--data", d]);
    assert!(demo_dir.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_data_is_exit_code_2_naming_the_file() {
    let dir = tmp("bad");
    let d = dir.to_str().expect("utf-8 path");
    let g = qudao(&["generate", "--out", d, "--lines", "1000"]);
    assert!(g.status.success(), "{}", stderr(&g));
    let tx = dir.join("transactions.csv");
    let mut text = std::fs::read_to_string(&tx).expect("read");
    text.push_str("BAD1,1,2024-13-45,C0000001,,DIRECT,SKU0001,ZJ-HZ,sale,1,10.00,10.00,5.00,\n");
    std::fs::write(&tx, text).expect("write");

    let o = qudao(&["summary", "--data", d]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("transactions.csv"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );

    // Lenient: the bad line is set aside and reported.
    let o = qudao(&["summary", "--data", d, "--lenient"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 records set aside"), "{}", stdout(&o));

    // A missing required file.
    std::fs::remove_file(dir.join("partners.csv")).expect("remove");
    let o = qudao(&["summary", "--data", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("partners.csv"), "{}", stderr(&o));

    // Not a directory at all, and a bad argument.
    let o = qudao(&["summary", "--data", "/nonexistent/qudao"]);
    assert_eq!(o.status.code(), Some(2));
    let o = qudao(&["summary", "--data", d, "--currency", "XYZ"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("XYZ"));
    let o = qudao(&["demo", "--lines", "many"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
