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
