//! Rebate engine: hand-computed settlements, true-up, deltas, clawback, stacking, penalties,
//! explanations, validation and invariants.

use proptest::prelude::*;
use qudao::dataset::{Dataset, DatasetBuilder, TxInput};
use qudao::document::RuleDocument;
use qudao::master::{MasterData, MasterDocument};
use qudao::rebate::{
    AdjustmentKind, Engine, EntryKind, Finding, Inputs, Ledger, ProgramBook, Reason, Referral,
    Settlement, Shortfall,
};
use qudao::transactions::TxKind;
use qudao::{Date, Error, Strictness};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{
      "territories": [{"id": "CN", "level": "country"},
                      {"id": "ZJ", "level": "province", "parent": "CN"},
                      {"id": "HZ", "level": "city", "parent": "ZJ"},
                      {"id": "JS", "level": "province", "parent": "CN"}],
      "channels": [{"id": "DIST", "kind": "distribution", "presence": "offline", "role": "main"},
                   {"id": "WEB", "kind": "direct", "presence": "online", "role": "auxiliary"}],
      "partners": [{"id": "GA", "model": "distribution", "grade": "A", "channel": "DIST",
                    "territories": [{"territory": "ZJ"}, {"territory": "JS"}]},
                   {"id": "D1", "model": "distribution", "grade": "A", "parent": "GA", "channel": "DIST",
                    "territories": [{"territory": "ZJ"}]},
                   {"id": "D2", "model": "distribution", "grade": "B", "parent": "GA", "channel": "DIST",
                    "territories": [{"territory": "JS"}]},
                   {"id": "AG1", "model": "agency", "grade": "B", "channel": "DIST",
                    "territories": [{"territory": "CN"}]}],
      "categories": [{"id": "tea"}, {"id": "green", "parent": "tea"}, {"id": "black", "parent": "tea"},
                     {"id": "gift"}],
      "products": [{"id": "G1", "category": "green", "list_price": "10.00"},
                   {"id": "B1", "category": "black", "list_price": "10.00"},
                   {"id": "X1", "category": "gift", "list_price": "10.00"}],
      "customers": [{"id": "C1", "member_tier": "gold"}, {"id": "C2"}, {"id": "C3"}]}"#,
        )
        .expect("json"),
    )
    .expect("master")
}

/// One line: order, date, partner, product, territory, quantity, amount in yuan (negative for
/// returns), original order of a return.
#[derive(Clone, Copy)]
struct L<'a> {
    order: &'a str,
    date: &'a str,
    partner: &'a str,
    product: &'a str,
    territory: &'a str,
    customer: &'a str,
    qty: i64,
    yuan: i64,
    original: Option<&'a str>,
}

fn sale<'a>(order: &'a str, date: &'a str, partner: &'a str, yuan: i64) -> L<'a> {
    L {
        order,
        date,
        partner,
        product: "G1",
        territory: "HZ",
        customer: "C1",
        qty: 1,
        yuan,
        original: None,
    }
}

fn ret<'a>(order: &'a str, date: &'a str, partner: &'a str, yuan: i64, original: &'a str) -> L<'a> {
    L {
        qty: -1,
        yuan: -yuan,
        original: Some(original),
        ..sale(order, date, partner, yuan)
    }
}

fn data(lines: &[L<'_>]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, l) in lines.iter().enumerate() {
        b.push(
            &TxInput {
                order: l.order,
                line: 1,
                date: d(l.date),
                customer: l.customer,
                partner: (!l.partner.is_empty()).then_some(l.partner),
                channel: if l.partner.is_empty() { "WEB" } else { "DIST" },
                product: l.product,
                territory: l.territory,
                kind: if l.qty < 0 {
                    TxKind::Return
                } else {
                    TxKind::Sale
                },
                quantity: l.qty,
                unit_price: l.yuan.abs() * 100 / l.qty.abs(),
                amount: l.yuan * 100,
                cost: Some(l.yuan * 60),
                original_order: l.original,
            },
            i as u64 + 2,
        )
        .expect("valid row");
    }
    b.finish().expect("dataset")
}

fn book(programs: &str) -> ProgramBook {
    ProgramBook::from_toml(&format!(
        "schema_version = 1\nid = \"t\"\ncurrency = \"CNY\"\n{programs}"
    ))
    .expect("book")
}

fn settle_with(
    data: &Dataset,
    b: &ProgramBook,
    as_of: &str,
    ledger: &Ledger,
    inputs: &Inputs<'_>,
) -> Settlement {
    let engine = Engine::new(b.clone(), &data.master).expect("engine");
    engine
        .volumes(data, d(as_of), inputs)
        .expect("volumes")
        .settle(ledger)
        .expect("settle")
}

fn settle(data: &Dataset, b: &ProgramBook, as_of: &str) -> Settlement {
    settle_with(data, b, as_of, &Ledger::default(), &Inputs::default())
}

/// Quarterly all-units for D1 with monthly partials: [0, 2000) 0, [2000, 3000) 2 %,
/// [3000, ∞) 3 %.
const QUARTERLY: &str = r#"
[[programs]]
id = "vol"
name = { en = "Volume", zh = "量" }
valid_from = "2025-01-01"
valid_to = "2025-12-31"
calendar = { period = "quarter", partial = "month" }
participants = { partners = ["D1"] }
measure = "net_revenue"
shape = { kind = "all_units", tiers = [
  { from = "0", to = "2000", rate = "0" },
  { from = "2000", to = "3000", rate = "0.02" },
  { from = "3000", rate = "0.03" } ] }
rounding = { mode = "half_up", point = "period" }
"#;

fn amounts(s: &Settlement) -> Vec<(String, EntryKind, i64, i64)> {
    s.statements
        .iter()
        .map(|l| (l.through.to_string(), l.kind, l.entitlement, l.amount))
        .collect()
}

#[test]
fn partials_pay_what_is_due_and_the_final_trues_up() {
    // January ¥1,000 (below ¥2,000: nothing), February +¥1,500 = ¥2,500 (2 %: ¥50.00),
    // March +¥500 = ¥3,000 (3 % retroactive to the first yuan: ¥90.00; ¥50 paid, ¥40 due).
    let data = data(&[
        sale("O1", "2025-01-10", "D1", 1000),
        sale("O2", "2025-02-10", "D1", 1500),
        sale("O3", "2025-03-10", "D1", 500),
    ]);
    let s = settle(&data, &book(QUARTERLY), "2025-03-31");
    assert_eq!(
        amounts(&s),
        [
            ("2025-02-28".into(), EntryKind::Partial, 5000, 5000),
            ("2025-03-31".into(), EntryKind::Final, 9000, 4000),
        ],
        "January entitles nothing, so it has no statement line"
    );
    let fin = &s.statements[1];
    assert_eq!(fin.base.volume, Some(300_000));
    assert_eq!(fin.base.sale_lines, 3);
    assert_eq!(fin.tier.as_ref().map(|t| t.index), Some(2));
    assert_eq!(fin.rate, Some("0.03".parse().expect("rate")));
    assert_eq!(fin.previously_paid, 5000);
    // The ledger holds January's zero too, so nothing is paid twice on the next run.
    assert_eq!(s.ledger.len(), 3);
    let mut ledger = Ledger::default();
    ledger.extend(&s);
    let again = settle_with(
        &data,
        &book(QUARTERLY),
        "2025-03-31",
        &ledger,
        &Inputs::default(),
    );
    assert!(again.statements.is_empty(), "{:?}", amounts(&again));
}

#[test]
fn a_late_line_after_settlement_gives_a_delta_not_a_rewrite() {
    let early = data(&[sale("O1", "2025-01-10", "D1", 2500)]);
    let s1 = settle(&early, &book(QUARTERLY), "2025-03-31");
    // Q1: ¥2,500 × 2 % = ¥50.00, all paid with January's partial; the final adds nothing.
    assert_eq!(
        amounts(&s1),
        [
            ("2025-01-31".into(), EntryKind::Partial, 5000, 5000),
            ("2025-02-28".into(), EntryKind::Partial, 5000, 0),
            ("2025-03-31".into(), EntryKind::Final, 5000, 0),
        ]
    );
    let mut ledger = Ledger::default();
    ledger.extend(&s1);
    // A March line arrives late: Q1 is now ¥3,000 at 3 % = ¥90.00; the delta pays ¥40.00.
    let late = data(&[
        sale("O1", "2025-01-10", "D1", 2500),
        sale("O9", "2025-03-30", "D1", 500),
    ]);
    let s2 = settle_with(
        &late,
        &book(QUARTERLY),
        "2025-04-30",
        &ledger,
        &Inputs::default(),
    );
    let delta: Vec<_> = s2
        .statements
        .iter()
        .filter(|l| l.kind == EntryKind::Delta)
        .collect();
    assert_eq!(delta.len(), 1);
    assert_eq!(
        (
            delta[0].entitlement,
            delta[0].previously_paid,
            delta[0].amount
        ),
        (9000, 5000, 4000)
    );
    assert!(
        delta[0]
            .delta_reason
            .as_deref()
            .is_some_and(|r| r.contains("250000 → 300000")
                && r.contains(
                    "+1 sale lines, +0 returns (+0 clawed back) since the settlement of 2025-03-31"
                )),
        "{:?}",
        delta[0].delta_reason
    );
    // The ledger remembers the lines each entry counted.
    let q1_final = s2
        .ledger
        .iter()
        .find(|e| e.kind == EntryKind::Delta)
        .expect("delta entry");
    assert_eq!((q1_final.lines.sales, q1_final.lines.returns), (2, 0));
    // Paying the delta settles it: the next run has nothing for Q1.
    ledger.extend(&s2);
    let s3 = settle_with(
        &late,
        &book(QUARTERLY),
        "2025-04-30",
        &ledger,
        &Inputs::default(),
    );
    assert!(
        s3.statements
            .iter()
            .all(|l| l.period.to_string() != "2025-Q1")
    );
}

#[test]
fn returns_after_the_period_are_clawed_back_within_the_window_only() {
    // Q1: ¥3,000 at 3 % = ¥90.00. A ¥1,000 return of a March sale dated 20 April (inside the
    // 90-day window) takes Q1 back to ¥2,000 at 2 % = ¥40.00: a delta of −¥50.00, and Q2 is
    // untouched.
    let base = [
        sale("O1", "2025-01-10", "D1", 2000),
        sale("O2", "2025-03-10", "D1", 1000),
    ];
    let s1 = settle(&data(&base), &book(QUARTERLY), "2025-03-31");
    let mut ledger = Ledger::default();
    ledger.extend(&s1);
    let mut with_return = base.to_vec();
    with_return.push(ret("R1", "2025-04-20", "D1", 1000, "O2"));
    let s2 = settle_with(
        &data(&with_return),
        &book(QUARTERLY),
        "2025-06-30",
        &ledger,
        &Inputs::default(),
    );
    let delta = s2
        .statements
        .iter()
        .find(|l| l.kind == EntryKind::Delta)
        .expect("a delta");
    assert_eq!((delta.entitlement, delta.amount), (4000, -5000));
    assert_eq!(delta.base.clawed_back_returns, 1);
    assert!(
        s2.statements
            .iter()
            .all(|l| l.period.to_string() != "2025-Q2"),
        "Q2 has no volume"
    );
    // The same return dated in August (after the window closed on 29 June) nets Q3 instead:
    // Q1 stays paid, Q3's volume is −¥1,000 (nothing to pay).
    let mut late = base.to_vec();
    late.push(ret("R1", "2025-08-20", "D1", 1000, "O2"));
    let s3 = settle_with(
        &data(&late),
        &book(QUARTERLY),
        "2025-09-30",
        &ledger,
        &Inputs::default(),
    );
    assert!(
        s3.statements.iter().all(|l| l.kind != EntryKind::Delta),
        "{:?}",
        amounts(&s3)
    );
    let q3 = s3
        .not_paid
        .iter()
        .find(|n| n.period.to_string() == "2025-Q3")
        .expect("Q3 not paid");
    assert!(q3.reasons.iter().any(|r| matches!(
        r,
        Reason::Shape {
            shortfall: Shortfall::BelowFirstTier { .. }
        }
    )));
}

#[test]
fn a_return_and_its_reversal_leave_the_statement_unchanged() {
    let base = vec![sale("O1", "2025-02-10", "D1", 2600)];
    let s0 = settle(&data(&base), &book(QUARTERLY), "2025-03-31");
    let mut more = base.clone();
    more.push(ret("R1", "2025-03-05", "D1", 700, "O1"));
    more.push(sale("O2", "2025-03-06", "D1", 700));
    let s1 = settle(&data(&more), &book(QUARTERLY), "2025-03-31");
    assert_eq!(amounts(&s0), amounts(&s1));
}

fn program(id: &str, extra: &str, shape: &str) -> String {
    format!(
        r#"
[[programs]]
id = "{id}"
name = {{ en = "{id}", zh = "{id}" }}
valid_from = "2025-01-01"
valid_to = "2025-03-31"
calendar = {{ period = "quarter" }}
participants = {{ partners = ["D1"] }}
measure = "net_revenue"
shape = {shape}
rounding = {{ mode = "half_up", point = "period" }}
{extra}
"#
    )
}

#[test]
fn stacking_groups_combine_in_a_total_order() {
    let data = data(&[sale("O1", "2025-02-10", "D1", 10_000)]);
    let two = |combine: &str| {
        book(&format!(
            "groups = [{{ id = \"g\", combine = \"{combine}\" }}]\n{}{}",
            program(
                "a",
                "group = \"g\"\npriority = 1",
                "{ kind = \"flat_rate\", rate = \"0.01\" }"
            ),
            program(
                "b",
                "group = \"g\"\npriority = 2",
                "{ kind = \"flat_rate\", rate = \"0.005\" }"
            ),
        ))
    };
    let paid = |s: &Settlement| -> Vec<(String, i64)> {
        s.statements
            .iter()
            .map(|l| (l.program.clone(), l.amount))
            .collect()
    };
    // ¥10,000: a pays ¥100.00, b ¥50.00.
    assert_eq!(
        paid(&settle(&data, &two("exclusive_best"), "2025-03-31")),
        [("a".into(), 10000)]
    );
    // b has the higher priority and pays something: b alone.
    let s = settle(&data, &two("exclusive_by_priority"), "2025-03-31");
    assert_eq!(paid(&s), [("b".into(), 5000)]);
    let np = s
        .not_paid
        .iter()
        .find(|n| n.program == "a")
        .expect("a not paid");
    assert_eq!(
        np.reasons,
        [Reason::Superseded {
            by: "b".into(),
            group: "g".into()
        }]
    );
    assert_eq!(
        paid(&settle(&data, &two("additive"), "2025-03-31")),
        [("a".into(), 10000), ("b".into(), 5000)]
    );
    // Compounding in order b, a: b pays ¥50.00; a pays 1 % of ¥9,950 = ¥99.50.
    assert_eq!(
        paid(&settle(&data, &two("compounding"), "2025-03-31")),
        [("a".into(), 9950), ("b".into(), 5000)]
    );
}

#[test]
fn penalties_deduct_with_the_finding_id_and_waived_findings_do_not() {
    let data = data(&[sale("O1", "2025-02-10", "D1", 10_000)]);
    let b = book(&program(
        "p",
        "penalties = [{ id = \"xr\", on = [\"cross_region\"], per_violation = \"30\", share = \"0.1\" }]",
        "{ kind = \"flat_rate\", rate = \"0.01\" }",
    ));
    let f = |id: &str, waived: bool| Finding {
        id: id.into(),
        kind: "cross_region".into(),
        partner: "D1".into(),
        date: d("2025-03-01"),
        waived,
    };
    let findings = [f("F1", false), f("F2", false), f("F3", true)];
    let inputs = Inputs {
        findings: &findings,
        ..Inputs::default()
    };
    let s = settle_with(&data, &b, "2025-03-31", &Ledger::default(), &inputs);
    // ¥100.00 − (10 % of ¥100.00 + 2 × ¥30.00) = ¥30.00.
    let line = &s.statements[0];
    assert_eq!(line.amount, 3000);
    let pen = line
        .adjustments
        .iter()
        .find(|a| a.kind == AdjustmentKind::Penalty)
        .expect("penalty");
    assert_eq!(pen.findings, ["F1", "F2"]);
    assert_eq!(pen.amount, "-7000".parse().expect("decimal"));
    // A finding in another quarter does not count.
    let other = [Finding {
        date: d("2025-04-01"),
        ..f("F4", false)
    }];
    let s = settle_with(
        &data,
        &b,
        "2025-03-31",
        &Ledger::default(),
        &Inputs {
            findings: &other,
            ..Inputs::default()
        },
    );
    assert_eq!(s.statements[0].amount, 10000);
}

#[test]
fn why_not_says_what_was_missing() {
    // D1 sells only black tea and gifts; the program selects green tea.
    let mut black = sale("O1", "2025-02-10", "D1", 500);
    black.product = "B1";
    let data = data(&[black]);
    let b = book(&format!(
        "{}{}{}",
        program(
            "green",
            "selection = { categories = { include = [\"green\"] } }",
            "{ kind = \"flat_rate\", rate = \"0.01\" }"
        ),
        program(
            "min",
            "gates = { min_volume = \"1000\" }",
            "{ kind = \"flat_rate\", rate = \"0.01\" }"
        ),
        program(
            "target",
            "",
            "{ kind = \"target\", target = \"800\", levels = [{ attainment = \"1\", rate = \"0.05\" }] }"
        ),
    ));
    let s = settle(&data, &b, "2025-03-31");
    assert!(s.statements.is_empty());
    let why = |p: &str| {
        s.not_paid
            .iter()
            .find(|n| n.program == p)
            .map(|n| n.reasons.clone())
            .unwrap_or_default()
    };
    assert_eq!(why("green"), [Reason::ExcludedByFilter { lines: 1 }]);
    assert_eq!(
        why("min"),
        [Reason::BelowMinimum {
            volume: 50_000,
            minimum: 100_000
        }]
    );
    // ¥500 of ¥800: attainment 0.625, short by ¥300.
    assert_eq!(
        why("target"),
        [Reason::Shape {
            shortfall: Shortfall::TargetMissed {
                attainment: "0.625".parse().expect("d"),
                needed: "1".parse().expect("d"),
                short_by: "30000".parse().expect("d"),
            }
        }]
    );
}

#[test]
fn pooled_tree_volume_is_split_among_contributors_to_the_unit() {
    // GA's network: GA ¥1,000, D1 ¥2,000, D2 ¥3,001 = ¥6,001 at 1 % = ¥60.01, split by volume
    // with largest remainder: 1000/6001 × 6001 fen = 1000, 2000, 3001.
    let mut d2 = sale("O3", "2025-02-10", "D2", 3001);
    d2.territory = "JS";
    let data = data(&[
        sale("O1", "2025-02-10", "GA", 1000),
        sale("O2", "2025-02-11", "D1", 2000),
        d2,
    ]);
    let b = book(
        &program("net", "", "{ kind = \"flat_rate\", rate = \"0.01\" }").replace(
            "partners = [\"D1\"]",
            "partners = [\"GA\"], volume = \"with_descendants\", pay_to = \"contributors\"",
        ),
    );
    let s = settle(&data, &b, "2025-03-31");
    let got: Vec<(String, i64)> = s
        .statements
        .iter()
        .map(|l| (l.payee.clone(), l.amount))
        .collect();
    assert_eq!(
        got,
        [
            ("D1".into(), 2000),
            ("D2".into(), 3001),
            ("GA".into(), 1000)
        ]
    );
    assert_eq!(got.iter().map(|x| x.1).sum::<i64>(), 6001);
}

#[test]
fn accrual_projects_and_says_how_close_the_next_tier_is() {
    // As of 15 February: ¥1,500 so far in Q1 (46 of 90 days): projected ¥1,500 × 90 / 46
    // = ¥2,934.78 → 2 % = ¥58.70; the 2 % tier is ¥500 away and would pay ¥40.00.
    let data = data(&[sale("O1", "2025-01-10", "D1", 1500)]);
    let engine = Engine::new(book(QUARTERLY), &data.master).expect("engine");
    let a = engine
        .volumes(&data, d("2025-02-15"), &Inputs::default())
        .expect("volumes")
        .accrue(&Ledger::default())
        .expect("accrue");
    let l = &a.lines[0];
    assert_eq!(
        (l.volume, l.earned, l.projected_volume, l.projected),
        (Some(150_000), 0, Some(293_478), 5870)
    );
    let next = l.next.as_ref().expect("next tier");
    assert_eq!(
        (next.index, next.volume_needed, next.pays),
        (1, 50_000, 4000)
    );
}

#[test]
fn referral_rewards_both_parties_when_the_new_customer_buys_enough() {
    let mut c2 = sale("O1", "2025-01-20", "", 300);
    c2.customer = "C2";
    c2.territory = "CN";
    let mut c3 = sale("O2", "2025-01-20", "", 50);
    c3.customer = "C3";
    c3.territory = "CN";
    let data = data(&[c2, c3]);
    let b = book(
        r#"
[[programs]]
id = "refer"
name = { en = "Refer a friend", zh = "推荐有礼" }
valid_from = "2025-01-01"
valid_to = "2025-12-31"
beneficiary = "customer"
calendar = { period = "month" }
participants = { everyone = true }
measure = "net_revenue"
shape = { kind = "referral", referrer = "20", referred = "10", min_volume = "100", within_days = 30 }
rounding = { mode = "half_up", point = "period" }
"#,
    );
    let refs = [
        Referral {
            referrer: "C1".into(),
            referred: "C2".into(),
            date: d("2025-01-15"),
        },
        Referral {
            referrer: "C1".into(),
            referred: "C3".into(),
            date: d("2025-01-15"),
        },
    ];
    let s = settle_with(
        &data,
        &b,
        "2025-03-31",
        &Ledger::default(),
        &Inputs {
            referrals: &refs,
            ..Inputs::default()
        },
    );
    let paid: Vec<(String, i64)> = s
        .statements
        .iter()
        .filter(|l| l.amount != 0)
        .map(|l| (l.payee.clone(), l.amount))
        .collect();
    assert_eq!(paid, [("C1".into(), 2000), ("C2".into(), 1000)]);
    assert_eq!(
        s.not_paid.iter().filter(|n| n.program == "refer").count(),
        2,
        "C3 bought ¥50 < ¥100"
    );
}

#[test]
fn results_do_not_depend_on_threads_or_row_order() {
    let mut rows = Vec::new();
    let names: Vec<String> = (0..300).map(|i| format!("O{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        let partner = ["D1", "GA", "AG1"][i % 3];
        let date = format!("2025-{:02}-{:02}", i % 12 + 1, i % 28 + 1);
        rows.push((n.clone(), date, partner, 100 + (i as i64 * 37) % 900));
    }
    let lines: Vec<L<'_>> = rows
        .iter()
        .map(|(o, dt, p, y)| sale(o, dt, p, *y))
        .collect();
    let b = book(&QUARTERLY.replace("partners = [\"D1\"]", "everyone = true"));
    let json = |lines: &[L<'_>], threads: usize| {
        let data = data(lines);
        let s = settle_with(
            &data,
            &b,
            "2025-12-31",
            &Ledger::default(),
            &Inputs {
                threads,
                ..Inputs::default()
            },
        );
        serde_json::to_string(&s).expect("json")
    };
    let a = json(&lines, 1);
    let mut rev = lines.clone();
    rev.reverse();
    assert_eq!(a, json(&lines, 4));
    assert_eq!(a, json(&rev, 2));
}

fn err(text: &str) -> String {
    match ProgramBook::from_toml(text) {
        Err(Error::Document { path, message }) => format!("{path}: {message}"),
        Err(e) => e.to_string(),
        Ok(_) => "ok".into(),
    }
}

#[test]
fn bad_books_fail_with_the_field_path() {
    let gap = QUARTERLY.replace(
        "{ from = \"2000\", to = \"3000\"",
        "{ from = \"2500\", to = \"3000\"",
    );
    let e = err(&format!(
        "schema_version = 1\nid = \"t\"\ncurrency = \"CNY\"\n{gap}"
    ));
    assert!(
        e.starts_with("programs[0].shape.tiers[1].from: 2500 leaves a gap"),
        "{e}"
    );
    let overlap = QUARTERLY.replace(
        "{ from = \"2000\", to = \"3000\"",
        "{ from = \"1500\", to = \"3000\"",
    );
    let e = err(&format!(
        "schema_version = 1\nid = \"t\"\ncurrency = \"CNY\"\n{overlap}"
    ));
    assert!(
        e.starts_with("programs[0].shape.tiers[1].from: 1500 overlaps"),
        "{e}"
    );
    let nan = QUARTERLY.replace("rate = \"0.02\"", "rate = \"two percent\"");
    let e = err(&format!(
        "schema_version = 1\nid = \"t\"\ncurrency = \"CNY\"\n{nan}"
    ));
    assert!(
        e.starts_with("programs[0].shape.tiers[1].rate: \"two percent\" is not a number"),
        "{e}"
    );
    let unknown = book(&QUARTERLY.replace("[\"D1\"]", "[\"NOPE\"]"));
    match Engine::new(unknown, &master()) {
        Err(Error::Document { path, message }) => {
            assert_eq!(path, "programs[0].participants.partners[0]");
            assert!(message.contains("NOPE"));
        }
        other => panic!("{other:?}"),
    }
    let product = book(&QUARTERLY.replace(
        "measure = ",
        "selection = { products = { exclude = [\"ZZ\"] } }\nmeasure = ",
    ));
    assert!(
        matches!(Engine::new(product, &master()), Err(Error::Document { path, .. }) if path == "programs[0].selection.products.exclude[0]")
    );
    let mut usd = book(QUARTERLY);
    usd.currency = "USD".into();
    assert!(
        matches!(Engine::new(usd, &master()), Err(Error::Document { path, .. }) if path == "currency")
    );
    let e = err(&format!(
        "schema_version = 1\nid = \"t\"\ncurrency = \"CNY\"\n{}",
        QUARTERLY.replace("2025-01-01", "2025-01-02")
    ));
    assert!(e.starts_with("programs[0].valid_from"), "{e}");
}

#[test]
fn suspicious_books_give_warnings() {
    let b = book(&format!(
        "groups = [{{ id = \"g\", combine = \"exclusive_best\" }}]\n{}{}",
        program(
            "a",
            "group = \"g\"",
            "{ kind = \"all_units\", tiers = [{ from = \"0\", to = \"100\", rate = \"0.05\" }, { from = \"100\", to = \"200\", rate = \"0.03\" }] }"
        ),
        program(
            "b",
            "group = \"g\"",
            "{ kind = \"flat_rate\", rate = \"0.01\" }"
        ),
    ));
    let w: Vec<String> = b
        .warnings()
        .iter()
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect();
    assert_eq!(w.len(), 3, "{w:#?}");
    assert!(w[0].starts_with("programs[0].shape.tiers[1].rate: rate 0.03 is below"));
    assert!(w[1].starts_with("programs[0].shape.tiers[1].to: the last band ends at 200"));
    assert!(w[2].starts_with("programs[1].priority:") && w[2].contains("share priority 0"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// No panic on any document: random edits of a valid book either load or fail cleanly.
    #[test]
    fn no_panic_on_any_document(cut in 0usize..600, insert in "[ -~]{0,12}") {
        let text = format!("schema_version = 1\nid = \"t\"\ncurrency = \"CNY\"\n{QUARTERLY}");
        let at = cut.min(text.len());
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let mutated = format!("{}{}{}", &text[..at], insert, &text[at..]);
        if let Ok(b) = ProgramBook::from_toml(&mutated) {
            let data = data(&[sale("O1", "2025-01-10", "D1", 1000)]);
            if let Ok(engine) = Engine::new(b, &data.master) {
                let v = engine.volumes(&data, d("2025-12-31"), &Inputs::default());
                if let Ok(v) = v {
                    let _ = v.settle(&Ledger::default());
                    let _ = v.accrue(&Ledger::default());
                }
            }
        }
    }

    /// Whatever the month volumes, the final settlement minus the partials is the true-up,
    /// and the payments add up to the final entitlement.
    #[test]
    fn final_minus_partials_is_the_true_up(v in prop::collection::vec(-500i64..3000, 3)) {
        let mut lines = Vec::new();
        let orders = ["O1", "O2", "O3"];
        let dates = ["2025-01-10", "2025-02-10", "2025-03-10"];
        for k in 0..3 {
            lines.push(sale(orders[k], dates[k], "D1", v[k].abs() + 1));
        }
        let s = settle(&data(&lines), &book(QUARTERLY), "2025-03-31");
        let partial: i64 = s.statements.iter().filter(|l| l.kind == EntryKind::Partial).map(|l| l.amount).sum();
        let fin = s.statements.iter().find(|l| l.kind == EntryKind::Final);
        let total: i64 = s.statements.iter().map(|l| l.amount).sum();
        match fin {
            Some(f) => {
                prop_assert_eq!(f.amount, f.entitlement - partial);
                prop_assert_eq!(total, f.entitlement);
            }
            None => prop_assert_eq!(total, 0),
        }
    }
}
