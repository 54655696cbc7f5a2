//! Planted-violation tests of the conflict detectors: the sample company is clean but for the
//! trouble it plants itself (cross-region and below-floor lines); every other detector is
//! tested by planting one case into a copy of the clean data and checking that exactly that
//! case is found — the right detector, partner, parties, territory, product and period — and
//! that nothing else appears (precision and recall both 100 % on planted cases).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use qudao::conflict::{
    Assignment, ConflictInputs, ConflictKind, ConflictPolicy, ConflictReport, Detector, Finding,
    Shipment, Sighting, detect,
};
use qudao::dataset::{DatasetBuilder, TxInput};
use qudao::intern::NONE;
use qudao::master::{MasterData, MasterDocument};
use qudao::model::{Customer, Presence, PriceEntry};
use qudao::ops::{InventorySnapshot, Operational};
use qudao::reject::Strictness;
use qudao::sample::{Sample, SampleConfig, generate};
use qudao::transactions::TxKind;
use qudao::{Dataset, Date, Period};
use rust_decimal::Decimal;

/// Sample size: big enough for the pattern detectors' minimums (30 priced lines per partner
/// and quarter, 20 shared customers), small enough for a debug test run.
const LINES: usize = 60_000;

struct Fixture {
    sample: Sample,
    /// The sample policy over the clean sample.
    base: ConflictReport,
    /// The clean sample's lines, owned.
    lines: Vec<Line>,
}

/// The sample and its report, made once for every test of this file.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let sample = generate(&SampleConfig::with_lines(LINES)).expect("the sample generates");
        let base = run(&sample.dataset, &ConflictInputs::default());
        let lines = lines_of(&sample.dataset);
        Fixture {
            sample,
            base,
            lines,
        }
    })
}

fn policy() -> ConflictPolicy {
    ConflictPolicy::sample_company()
}

fn run(data: &Dataset, inputs: &ConflictInputs<'_>) -> ConflictReport {
    detect(data, &policy(), inputs).expect("detects")
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

/// One transaction line with owned ids: what the rebuild pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    order: String,
    line: u32,
    date: Date,
    customer: String,
    partner: Option<String>,
    channel: String,
    product: String,
    territory: String,
    quantity: i64,
    unit_price: i64,
    amount: i64,
    cost: Option<i64>,
    original_order: Option<String>,
}

impl Line {
    /// A planted sale line (amount = quantity × unit price, no cost).
    #[expect(
        clippy::too_many_arguments,
        reason = "one line's fields, positional like TxInput"
    )]
    fn sale(
        order: &str,
        line: u32,
        date: Date,
        customer: &str,
        partner: Option<&str>,
        channel: &str,
        product: &str,
        territory: &str,
        quantity: i64,
        unit_price: i64,
    ) -> Line {
        Line {
            order: order.into(),
            line,
            date,
            customer: customer.into(),
            partner: partner.map(Into::into),
            channel: channel.into(),
            product: product.into(),
            territory: territory.into(),
            quantity,
            unit_price,
            amount: quantity * unit_price,
            cost: None,
            original_order: None,
        }
    }
}

/// Every line of a data set, in row order, with its ids from the interners.
fn lines_of(data: &Dataset) -> Vec<Line> {
    let m = &data.master;
    let tx = &data.transactions;
    let name = |code: u32, f: &dyn Fn(u32) -> String| {
        if code == NONE { String::new() } else { f(code) }
    };
    let mut out = Vec::with_capacity(tx.len());
    for c in &tx.chunks {
        for i in 0..c.len() {
            out.push(Line {
                order: tx.order_id(c.order[i]),
                line: c.line[i],
                date: Date(c.date[i]),
                customer: name(c.customer[i], &|x| m.customers.id(x).to_string()),
                partner: (c.partner[i] != NONE).then(|| m.partners.id(c.partner[i]).to_string()),
                channel: name(c.channel[i], &|x| m.channels.id(x).to_string()),
                product: name(c.product[i], &|x| m.products.id(x).to_string()),
                territory: name(c.territory[i], &|x| m.territories.id(x).to_string()),
                quantity: c.quantity[i],
                unit_price: c.unit_price[i],
                amount: c.amount[i],
                cost: c.cost_of(i),
                original_order: (c.original_order[i] != NONE)
                    .then(|| tx.order_id(c.original_order[i])),
            });
        }
    }
    out
}

/// A data set from a master document, lines and operational tables, strictly (a planted line
/// the builder refuses fails the test).
fn build(doc: MasterDocument, lines: &[Line], ops: &Operational) -> Dataset {
    let master = MasterData::new(doc).expect("the master document checks");
    let mut b = DatasetBuilder::new(master, Strictness::Strict);
    b.reserve(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let t = TxInput {
            order: &l.order,
            line: l.line,
            date: l.date,
            customer: &l.customer,
            partner: l.partner.as_deref(),
            channel: &l.channel,
            product: &l.product,
            territory: &l.territory,
            kind: if l.quantity < 0 {
                TxKind::Return
            } else {
                TxKind::Sale
            },
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount,
            cost: l.cost,
            original_order: l.original_order.as_deref(),
        };
        b.push(&t, i as u64 + 1)
            .unwrap_or_else(|e| panic!("line {l:?} is refused: {e}"));
    }
    *b.ops_mut() = ops.clone();
    b.finish().expect("the data set builds")
}

/// The clean sample rebuilt with `doc` (its master document, possibly with more price entries
/// or customers), the clean lines after `edit`, and `planted` lines appended.
fn rebuild(doc: MasterDocument, edit: impl Fn(&mut Line), planted: &[Line]) -> Dataset {
    let f = fixture();
    let mut lines = f.lines.clone();
    lines.iter_mut().for_each(edit);
    lines.extend_from_slice(planted);
    build(doc, &lines, &f.sample.dataset.ops)
}

fn doc() -> MasterDocument {
    fixture().sample.dataset.master.to_document()
}

fn ids(r: &ConflictReport) -> BTreeSet<&str> {
    r.findings.iter().map(|f| f.id.as_str()).collect()
}

/// The findings of `after` that the clean sample does not have; and no finding of the clean
/// sample disappears.
fn new_findings(after: &ConflictReport) -> Vec<&Finding> {
    let base = ids(&fixture().base);
    let now = ids(after);
    let gone: Vec<&&str> = base.difference(&now).collect();
    assert!(
        gone.is_empty(),
        "findings of the clean sample disappeared: {gone:?}"
    );
    after
        .findings
        .iter()
        .filter(|f| !base.contains(f.id.as_str()))
        .collect()
}

/// The only new finding, which must be of `detector`.
fn only_new(after: &ConflictReport, detector: Detector) -> &Finding {
    let new = new_findings(after);
    assert_eq!(
        new.len(),
        1,
        "exactly one new finding expected, got {:#?}",
        new.iter()
            .map(|f| (&f.id, &f.message.en))
            .collect::<Vec<_>>()
    );
    assert_eq!(new[0].detector, detector, "{:#?}", new[0]);
    new[0]
}

fn listed(f: &Finding) -> BTreeSet<(String, u32)> {
    f.evidence
        .listed
        .iter()
        .map(|e| (e.order.clone(), e.line))
        .collect()
}

/// The retail and floor price in force, minor units.
fn price_of(
    m: &MasterData,
    product: &str,
    channel: &str,
    territory: &str,
    day: Date,
) -> (i64, i64) {
    let r = m
        .prices
        .lookup(
            &m.territories.tree,
            m.products.code(product).expect("product"),
            m.channels.code(channel).expect("channel"),
            m.territories.code(territory).expect("territory"),
            day,
        )
        .expect("a price rule in force");
    (r.retail_price, r.floor_price)
}

/// Partners a planted case may use: not planted, never suspended or terminated.
fn clean(id: &str) -> bool {
    let p = &fixture().sample.planted;
    id != p.cross_region_partner
        && id != p.below_floor_partner
        && id != p.overstocked_partner
        && !p.suspended_partners.iter().any(|x| x == id)
        && !p.terminated_partners.iter().any(|x| x == id)
}

/// A customer record for a planted customer.
fn new_customer(id: &str, channel: &str, territory: &str, first: Date) -> Customer {
    Customer {
        id: id.into(),
        acquisition_channel: Some(channel.into()),
        territory: Some(territory.into()),
        first_seen: Some(first),
        member_tier: None,
    }
}

fn figure(f: &Finding, name: &str) -> (Decimal, Option<Decimal>) {
    let x = f
        .figures
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("{}: no figure {name}", f.id));
    (x.value, x.threshold)
}

// ---------------------------------------------------------------------------------------------
// The clean sample and the trouble it plants itself

#[test]
fn the_rebuild_gives_the_same_report() {
    let f = fixture();
    let again = rebuild(doc(), |_| {}, &[]);
    assert_eq!(
        again.transactions.len(),
        f.sample.dataset.transactions.len()
    );
    assert_eq!(run(&again, &ConflictInputs::default()), f.base);
}

#[test]
fn the_sample_gives_exactly_its_planted_cross_region_and_below_floor_lines() {
    let f = fixture();
    let planted = &f.sample.planted;
    eprintln!("clean sample: {:?}", f.base.counts());
    for x in &f.base.findings {
        eprintln!("  {} — {}", x.id, x.message.en);
    }
    let mut policy = ConflictPolicy::sample_company();
    policy.evidence_limit = 10_000;
    let all = detect(&f.sample.dataset, &policy, &ConflictInputs::default()).expect("detects");
    for (detector, partner, lines) in [
        (
            Detector::CrossRegion,
            &planted.cross_region_partner,
            &planted.cross_region,
        ),
        (
            Detector::BelowFloor,
            &planted.below_floor_partner,
            &planted.below_floor,
        ),
    ] {
        assert!(!lines.is_empty(), "the sample plants {detector} lines");
        let found: Vec<&Finding> = all.of(detector).collect();
        assert!(!found.is_empty(), "{detector}: nothing found");
        for x in &found {
            assert_eq!(x.partner.as_ref(), Some(partner), "{detector}: {}", x.id);
        }
        // Every line counted, and the listed lines are exactly the planted ones.
        let counted: u64 = found.iter().map(|x| x.evidence.lines).sum();
        assert_eq!(counted, lines.len() as u64, "{detector}: lines counted");
        let mut got: BTreeSet<(String, u32)> = BTreeSet::new();
        for x in &found {
            assert_eq!(x.evidence.listed.len() as u64, x.evidence.lines);
            got.extend(listed(x));
        }
        let want: BTreeSet<(String, u32)> =
            lines.iter().map(|l| (l.order.clone(), l.line)).collect();
        assert_eq!(
            got, want,
            "{detector}: the listed lines are the planted ones"
        );
        // One finding per territory and month of the planted lines.
        let mut cells: BTreeSet<(String, Period)> = BTreeSet::new();
        let by_key: BTreeMap<(String, u32), &qudao::sample::PlantedLine> = lines
            .iter()
            .map(|l| ((l.order.clone(), l.line), l))
            .collect();
        for x in &found {
            for e in &x.evidence.listed {
                let p = by_key[&(e.order.clone(), e.line)];
                assert_eq!(Some(&p.territory), x.territory.as_ref());
                assert_eq!(e.territory, p.territory);
                assert!(x.period.contains(e.date));
                cells.insert((p.territory.clone(), x.period));
            }
        }
        assert_eq!(cells.len(), found.len(), "{detector}: one finding per cell");
        // The default limit lists the first 20 of each and still counts them all.
        let limited: u64 = f.base.of(detector).map(|x| x.evidence.lines).sum();
        assert_eq!(limited, lines.len() as u64);
        assert!(f.base.of(detector).all(|x| x.evidence.listed.len() <= 20));
    }
    // Only those partners are found by anything: no finding against a clean partner. The
    // sample also plants an overstocked partner, whose backlog meets peers that ran out of the
    // product on a few month ends (transfer suggestions).
    for x in &f.base.findings {
        if let Some(p) = &x.partner {
            let ok = match x.detector {
                Detector::CrossRegion => p == &planted.cross_region_partner,
                // At larger sizes its planted lines are most of its sales: it undercuts too.
                Detector::BelowFloor | Detector::Undercutting => p == &planted.below_floor_partner,
                Detector::Inventory => p == &planted.overstocked_partner,
                _ => false,
            };
            assert!(
                ok,
                "a finding against the clean partner {p}: {} — {}",
                x.id, x.message.en
            );
        }
    }
    // Every finding explains itself.
    for x in &f.base.findings {
        assert!(
            !x.message.en.is_empty() && !x.message.zh.is_empty(),
            "{}",
            x.id
        );
        assert!(x.first_day <= x.last_day, "{}", x.id);
    }
}

// ---------------------------------------------------------------------------------------------
// One planted case per detector

/// Planted orders sort after every sample order id (`SO…`, `RO…`), so a planted line never
/// becomes a customer's first purchase by the order-id tie-break.
fn order(case: char, n: usize) -> String {
    format!("Z{case}{n:07}")
}

#[test]
fn promotion_depth_finds_a_company_discount_beyond_the_maximum_and_beyond_the_promotion() {
    // The sample's floors are 85 % of retail, so any discount deeper than the 35 % maximum is
    // below the floor too (below_floor wins). A clearance entry on TMALL (floor 50 % of retail)
    // for one product opens the room between: 60 % of retail in March 2025 is a 40 % discount,
    // outside any promotion. In November 2025 (a second clearance entry) the Double-11
    // promotion allows TMALL 45 % from the 1st to the 11th: 58 % of retail (42 % off) is
    // allowed, 50 % (50 % off, at the floor, not below it) is beyond the promotion.
    let f = fixture();
    let mut doc = doc();
    let general = |id: &str| {
        let e: Vec<&PriceEntry> = doc.prices.iter().filter(|e| e.product == id).collect();
        (e.len() == 1
            && e[0].channel.is_none()
            && e[0].territory.is_none()
            && e[0].valid_from.is_none()
            && e[0].valid_to.is_none())
        .then(|| e[0].clone())
    };
    let entry = doc
        .products
        .iter()
        .find_map(|p| general(&p.id))
        .expect("a product with one general price entry");
    let product = entry.product.clone();
    let clearance = |from: &str, to: &str| PriceEntry {
        product: product.clone(),
        channel: Some("TMALL".into()),
        territory: None,
        retail_price: entry.retail_price,
        floor_price: entry.retail_price / Decimal::TWO,
        valid_from: Some(d(from)),
        valid_to: Some(d(to)),
    };
    doc.prices.push(clearance("2025-03-01", "2025-03-31"));
    doc.prices.push(clearance("2025-11-01", "2025-11-30"));
    let retail = f
        .sample
        .dataset
        .currency()
        .from_decimal(entry.retail_price)
        .expect("money");
    assert_eq!(
        retail % 100,
        0,
        "whole yuan, so 60 %, 58 % and 50 % are exact"
    );
    let t = "ZJ-HZ";
    // (day, percent of retail): 3 in March, 2 allowed and 2 too deep in November.
    let plan = [
        ("2025-03-10", 60),
        ("2025-03-11", 60),
        ("2025-03-20", 60),
        ("2025-11-05", 58),
        ("2025-11-06", 58),
        ("2025-11-05", 50),
        ("2025-11-07", 50),
    ];
    let mut planted = Vec::new();
    for (k, (day, pct)) in plan.iter().enumerate() {
        let c = format!("ZA{k:03}");
        doc.customers.push(new_customer(&c, "TMALL", t, d(day)));
        planted.push(Line::sale(
            &order('A', k),
            1,
            d(day),
            &c,
            None,
            "TMALL",
            &product,
            t,
            1,
            retail * pct / 100,
        ));
    }
    let data = rebuild(doc, |_| {}, &planted);
    assert_eq!(
        price_of(&data.master, &product, "TMALL", t, d("2025-03-10")),
        (retail, retail / 2)
    );
    let report = run(&data, &ConflictInputs::default());
    let new = new_findings(&report);
    assert_eq!(new.len(), 2, "{new:#?}");
    let expect = [
        (
            "2025-03",
            d("2025-03-10"),
            d("2025-03-20"),
            &planted[..3],
            "0.4",
            "0.35",
        ),
        (
            "2025-11",
            d("2025-11-05"),
            d("2025-11-07"),
            &planted[5..],
            "0.5",
            "0.45",
        ),
    ];
    for (x, (month, first, last, lines, deepest, allowed)) in new.iter().zip(expect) {
        assert_eq!(x.detector, Detector::PromotionDepth);
        assert_eq!(
            x.id,
            Finding::make_id(
                Detector::PromotionDepth,
                None,
                Some(t),
                None,
                Period::month_of(first),
                &[]
            )
        );
        assert_eq!(x.period.to_string(), month);
        assert_eq!(x.partner, None, "the company's own channel");
        assert_eq!(x.kind, ConflictKind::Vertical);
        assert_eq!(x.territory.as_deref(), Some(t));
        assert_eq!(x.channels, ["TMALL"]);
        assert_eq!((x.first_day, x.last_day), (first, last));
        assert_eq!(x.evidence.lines, lines.len() as u64);
        let want: BTreeSet<(String, u32)> =
            lines.iter().map(|l| (l.order.clone(), l.line)).collect();
        assert_eq!(listed(x), want);
        let (value, threshold) = figure(x, "deepest_discount");
        assert_eq!(value, deepest.parse::<Decimal>().expect("decimal"));
        assert_eq!(threshold, Some(allowed.parse().expect("decimal")));
        assert_eq!(x.resolution, qudao::conflict::Resolution::Review);
    }
    assert!(new[0].message.en.contains("outside any approved promotion"));
    assert!(new[1].message.en.contains("double-11-2025"));
}

#[test]
fn undercutting_finds_a_retailer_pricing_under_its_peers_for_a_quarter() {
    // Peers: partners on the same channel at the same depth with at least 30 priced sale lines
    // in the quarter. Take the quarter with the most such retailers (at least four: the one
    // repriced and three peers) and its clean retailer with the most lines; reprice its sale
    // lines of that quarter to 90 % of retail (above the 85 % floor). Its median price index
    // drops to 0.9, below its peers' median (1.0 in the sample) × (1 − gap): 0.94 with the
    // sample policy's 6 % gap.
    let f = fixture();
    let m = &f.sample.dataset.master;
    let retail_channel = m.channels.code("RETAIL").expect("RETAIL");
    let quarter = |day: Date| qudao::conflict::Window::Quarter.of(day);
    let mut counts: BTreeMap<Period, BTreeMap<&str, u32>> = BTreeMap::new();
    for l in &f.lines {
        let Some(p) = l.partner.as_deref() else {
            continue;
        };
        let code = m.partners.code(p).expect("partner");
        if l.quantity > 0 && m.partners.channel(code) == retail_channel {
            *counts
                .entry(quarter(l.date))
                .or_default()
                .entry(p)
                .or_default() += 1;
        }
    }
    let (period, judged) = counts
        .iter()
        .map(|(q, by)| {
            let judged: BTreeMap<&str, u32> = by
                .iter()
                .filter(|&(_, &n)| n >= 30)
                .map(|(&p, &n)| (p, n))
                .collect();
            (*q, judged)
        })
        .max_by_key(|(q, j)| (j.len(), std::cmp::Reverse(*q)))
        .expect("quarters");
    assert!(judged.len() >= 4, "{period}: {judged:?}");
    let (victim, n) = judged
        .iter()
        .filter(|(p, _)| clean(p))
        .max_by_key(|&(p, &n)| (n, std::cmp::Reverse(*p)))
        .map(|(&p, &n)| (p.to_string(), n))
        .expect("a clean retailer");
    eprintln!("undercutting: {victim} in {period} ({n} lines), peers {judged:?}");
    let master = &f.sample.dataset.master;
    let data = rebuild(
        doc(),
        |l| {
            if l.partner.as_deref() == Some(&victim) && l.quantity > 0 && period.contains(l.date) {
                let (retail, floor) =
                    price_of(master, &l.product, &l.channel, &l.territory, l.date);
                l.unit_price = (retail * 90 / 100).max(floor);
                l.amount = l.quantity * l.unit_price;
            }
        },
        &[],
    );
    let report = run(&data, &ConflictInputs::default());
    let x = only_new(&report, Detector::Undercutting);
    eprintln!("{}: {}", x.id, x.message.en);
    assert_eq!(x.partner.as_deref(), Some(victim.as_str()));
    assert_eq!(x.period, period);
    assert_eq!(x.kind, ConflictKind::Horizontal);
    assert!(x.first_day >= period.start && x.last_day < period.end);
    let peers: Vec<&str> = judged.keys().copied().filter(|p| *p != victim).collect();
    assert_eq!(x.parties, peers, "the peers it was held against");
    assert_eq!(x.evidence.lines, u64::from(n), "its priced sale lines");
    assert_eq!(
        figure(x, "median_price_index"),
        (
            Decimal::new(9, 1),
            Some(Decimal::ONE - policy().undercutting.gap)
        )
    );
    assert_eq!(figure(x, "peer_median").0, Decimal::ONE);
}

/// Each customer's sale lines: (partner, day), for the planted cases that pick customers.
fn purchases() -> BTreeMap<&'static str, Vec<(Option<&'static str>, Date)>> {
    let mut out: BTreeMap<&str, Vec<(Option<&str>, Date)>> = BTreeMap::new();
    for l in &fixture().lines {
        if l.quantity > 0 {
            out.entry(l.customer.as_str())
                .or_default()
                .push((l.partner.as_deref(), l.date));
        }
    }
    out
}

#[test]
fn customer_overlap_finds_two_general_agents_selling_to_the_same_customers() {
    // The general agents GA01 (ZJ, SH) and GA02 (JS, SD) are peers (the root level, channel
    // DIST) with disjoint customers. In the first quarter where GA01 has at least `min_shared`
    // customers and none shared, GA02 sells one unit at the retail price in its own territory
    // (JS-NJ) to GA01's customers, by id, until the shared customers reach both `min_shared`
    // and `threshold` of the smaller customer base: exactly one overlap finding for
    // [GA01, GA02] in that quarter.
    let f = fixture();
    let rule = policy().customer_overlap;
    let min_shared = rule.min_shared as usize;
    let (a, b) = ("GA01", "GA02");
    let quarter = |day: Date| qudao::conflict::Window::Quarter.of(day);
    let mut base: BTreeMap<(&str, Period), BTreeMap<&str, Date>> = BTreeMap::new();
    for l in &f.lines {
        if let Some(p) = l.partner.as_deref()
            && l.quantity > 0
            && (p == a || p == b)
        {
            let last = base
                .entry((p, quarter(l.date)))
                .or_default()
                .entry(l.customer.as_str())
                .or_insert(l.date);
            *last = (*last).max(l.date);
        }
    }
    let empty = BTreeMap::new();
    let (period, of_a, of_b) = base
        .iter()
        .filter(|((p, _), _)| *p == a)
        .map(|((_, q), ca)| (*q, ca, base.get(&(b, *q)).unwrap_or(&empty)))
        .find(|(_, ca, cb)| ca.len() >= min_shared && ca.keys().all(|c| !cb.contains_key(c)))
        .expect("a quarter with 20 customers of GA01");
    let mut shared: Vec<(&str, Date)> = Vec::new();
    for (&c, &last) in of_a {
        shared.push((c, last));
        let n = shared.len();
        let smaller = of_a.len().min(of_b.len() + n);
        if n >= min_shared && Decimal::from(n) >= Decimal::from(smaller) * rule.threshold {
            break;
        }
    }
    eprintln!(
        "overlap: {period}: {a} {} customers, {b} {} customers, {} shared planted",
        of_a.len(),
        of_b.len(),
        shared.len()
    );
    let m = &f.sample.dataset.master;
    let product = m.products.id(0).to_string();
    let planted: Vec<Line> = shared
        .iter()
        .enumerate()
        .map(|(k, &(c, day))| {
            let (retail, _) = price_of(m, &product, "DIST", "JS-NJ", day);
            Line::sale(
                &order('C', k),
                1,
                day,
                c,
                Some(b),
                "DIST",
                &product,
                "JS-NJ",
                1,
                retail,
            )
        })
        .collect();
    let report = run(
        &rebuild(doc(), |_| {}, &planted),
        &ConflictInputs::default(),
    );
    let x = only_new(&report, Detector::CustomerOverlap);
    eprintln!("{}: {}", x.id, x.message.en);
    assert_eq!(x.parties, [a, b]);
    assert_eq!(x.partner, None);
    assert_eq!(x.period, period);
    assert_eq!(x.kind, ConflictKind::Horizontal);
    assert_eq!(
        x.id,
        Finding::make_id(Detector::CustomerOverlap, None, None, None, period, &[a, b])
    );
    let n = shared.len();
    assert_eq!(
        figure(x, "shared_customers"),
        (Decimal::from(n), Some(Decimal::from(min_shared)))
    );
    assert_eq!(
        figure(x, &format!("customers:{a}")).0,
        Decimal::from(of_a.len())
    );
    assert_eq!(
        figure(x, &format!("customers:{b}")).0,
        Decimal::from(of_b.len() + n)
    );
    let smaller = of_a.len().min(of_b.len() + n);
    assert_eq!(
        figure(x, "overlap_share").0.round_dp(4),
        (Decimal::from(n) / Decimal::from(smaller)).round_dp(4)
    );
    // One shared customer fewer is below `min_shared` (or the threshold): nothing.
    let fewer = run(
        &rebuild(doc(), |_| {}, &planted[..n - 1]),
        &ConflictInputs::default(),
    );
    assert!(new_findings(&fewer).is_empty());
}

#[test]
fn vertical_finds_a_parent_and_the_company_selling_to_a_sub_partners_customers() {
    // Customers who bought only from one leaf partner S are assigned to S: on the clean data
    // that finds nothing. Then S's parent P sells each of them one unit (at retail, in P's own
    // territory) in December 2025, and a company DIRECT line goes to one of them: one finding
    // against P with S as party, and one against the company's own channels.
    let f = fixture();
    let m = &f.sample.dataset.master;
    let tree = &m.partners.hierarchy.tree;
    let mut only: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (c, lines) in purchases() {
        let Some(s) = lines[0].0 else { continue };
        if lines.iter().all(|(p, _)| *p == Some(s)) {
            only.entry(s).or_default().push(c);
        }
    }
    let (s, customers) = only
        .iter()
        .filter(|(s, _)| {
            let code = m.partners.code(s).expect("partner");
            clean(s) && tree.depth(code) == 2
        })
        .max_by_key(|(s, v)| (v.len(), std::cmp::Reverse(**s)))
        .map(|(s, v)| (s.to_string(), v.clone()))
        .expect("a leaf partner with customers of its own");
    let record = m
        .partners
        .records()
        .iter()
        .find(|p| p.id == s)
        .expect("record");
    let parent = record.parent.clone().expect("a parent");
    let territory = record.territories[0].territory.clone();
    eprintln!(
        "vertical: {} customers of {s} only; parent {parent}",
        customers.len()
    );
    let assignments: Vec<Assignment> = customers
        .iter()
        .map(|c| Assignment {
            customer: c.to_string(),
            partner: s.clone(),
            from: None,
            to: None,
        })
        .collect();
    let inputs = ConflictInputs {
        assignments: &assignments,
        ..ConflictInputs::default()
    };
    // The assignments alone: nothing new.
    let clean_run = run(&f.sample.dataset, &inputs);
    assert!(new_findings(&clean_run).is_empty());
    assert!(
        !clean_run
            .not_run
            .iter()
            .any(|n| n.detector == Detector::Vertical)
    );
    let product = m.products.id(0).to_string();
    let day = d("2025-12-10");
    let mut planted: Vec<Line> = customers
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let (retail, _) = price_of(m, &product, "DIST", &territory, day);
            Line::sale(
                &order('D', k),
                1,
                day,
                c,
                Some(&parent),
                "DIST",
                &product,
                &territory,
                1,
                retail,
            )
        })
        .collect();
    let direct = d("2025-12-12");
    let (retail, _) = price_of(m, &product, "DIRECT", &territory, direct);
    planted.push(Line::sale(
        &order('D', customers.len()),
        1,
        direct,
        customers[0],
        None,
        "DIRECT",
        &product,
        &territory,
        1,
        retail,
    ));
    let report = run(&rebuild(doc(), |_| {}, &planted), &inputs);
    let new = new_findings(&report);
    assert_eq!(new.len(), 2, "{new:#?}");
    let december = Period::month_of(day);
    // Findings sort by partner: none (the company) first.
    let (company, by_parent) = (new[0], new[1]);
    for x in &new {
        assert_eq!(x.detector, Detector::Vertical);
        assert_eq!(x.kind, ConflictKind::Vertical);
        assert_eq!(x.parties, [s.as_str()]);
        assert_eq!(x.period, december);
    }
    assert_eq!(by_parent.partner.as_deref(), Some(parent.as_str()));
    assert_eq!(
        by_parent.id,
        Finding::make_id(
            Detector::Vertical,
            Some(&parent),
            None,
            None,
            december,
            &[&s]
        )
    );
    assert_eq!(by_parent.evidence.lines, customers.len() as u64);
    let want: BTreeSet<(String, u32)> = planted[..customers.len()]
        .iter()
        .map(|l| (l.order.clone(), l.line))
        .collect();
    assert_eq!(listed(by_parent), want);
    assert_eq!(company.partner, None);
    assert_eq!(company.evidence.lines, 1);
    assert_eq!((company.first_day, company.last_day), (direct, direct));
    assert_eq!(company.channels, ["DIRECT"]);
}

fn median2(v: &mut [i64]) -> i64 {
    // Twice the median, exact.
    v.sort_unstable();
    let n = v.len();
    v[(n - 1) / 2] + v[n / 2]
}

#[test]
fn online_undercut_finds_tmall_pricing_under_the_offline_median() {
    // Per (product, province, quarter): the cell with the most offline sale lines whose
    // offline median is the retail price, so that 87 % of retail is below (1 − tolerance) of
    // it (88 % with the sample policy). Planted TMALL lines at 87 % of retail (above the 85 %
    // floor), one per new customer, enough to make at least `min_lines` TMALL lines there and
    // to be the majority of them: TMALL's median becomes 87 % of retail. One finding for
    // TMALL in that cell.
    let f = fixture();
    let rule = policy().online_undercut;
    let min_lines = rule.min_lines as usize;
    let keep = Decimal::ONE - rule.tolerance;
    let m = &f.sample.dataset.master;
    let tree = &m.territories.tree;
    let province = |id: &str| {
        let t = m.territories.code(id).expect("territory");
        std::iter::once(t)
            .chain(tree.ancestors(t))
            .find(|&a| {
                m.territories.get(a).map(|x| x.level)
                    == Some(qudao::model::TerritoryLevel::Province)
            })
            .map(|a| m.territories.id(a).to_string())
    };
    type Cell = (String, String, Period);
    let mut cells: BTreeMap<Cell, (Vec<i64>, Vec<i64>, String)> = BTreeMap::new();
    for l in &f.lines {
        let Some(prov) = province(&l.territory) else {
            continue;
        };
        if l.quantity < 0 {
            continue;
        }
        let ch = m.channels.code(&l.channel).expect("channel");
        let offline = m.channels.get(ch).map(|c| c.presence) == Some(Presence::Offline);
        let e = cells
            .entry((
                l.product.clone(),
                prov,
                qudao::conflict::Window::Quarter.of(l.date),
            ))
            .or_insert_with(|| (Vec::new(), Vec::new(), l.territory.clone()));
        if offline {
            e.0.push(l.unit_price);
        } else if l.channel == "TMALL" {
            e.1.push(l.unit_price);
        }
    }
    // The offline median must be the retail price (the sample sells 60 % of lines at retail).
    let fits = |(product, _, period): &Cell, (off, _, territory): &(Vec<i64>, Vec<i64>, String)| {
        let (retail, _) = price_of(m, product, "TMALL", territory, period.start.add_days(40));
        off.len() >= min_lines && median2(&mut off.clone()) == 2 * retail
    };
    let largest = cells.values().map(|c| c.0.len()).max().unwrap_or(0);
    let ((product, prov, period), (off, on, territory)) = cells
        .into_iter()
        .filter(|(k, v)| fits(k, v))
        .max_by(|a, b| a.1.0.len().cmp(&b.1.0.len()).then(b.0.cmp(&a.0)))
        .expect("a cell whose offline median is the retail price");
    let day = period.start.add_days(40);
    let (retail, floor) = price_of(m, &product, "TMALL", &territory, day);
    let price = retail * 87 / 100;
    assert!(price >= floor);
    assert!(Decimal::from(price) < Decimal::from(retail) * keep);
    let k = (min_lines.saturating_sub(on.len())).max(on.len() + 2);
    eprintln!(
        "online undercut: {product} {prov} {period}: {} offline lines (the largest cell has {largest}), {} TMALL lines, {k} planted at {price} (retail {retail})",
        off.len(),
        on.len()
    );
    let mut doc = doc();
    let mut planted = Vec::new();
    for i in 0..k {
        let c = format!("ZE{i:03}");
        doc.customers
            .push(new_customer(&c, "TMALL", &territory, day));
        planted.push(Line::sale(
            &order('E', i),
            1,
            day,
            &c,
            None,
            "TMALL",
            &product,
            &territory,
            1,
            price,
        ));
    }
    let report = run(&rebuild(doc, |_| {}, &planted), &ConflictInputs::default());
    let x = only_new(&report, Detector::OnlineUndercut);
    eprintln!("{}: {}", x.id, x.message.en);
    assert_eq!(
        x.id,
        Finding::make_id(
            Detector::OnlineUndercut,
            None,
            Some(&prov),
            Some(&product),
            period,
            &["TMALL"]
        )
    );
    assert_eq!(x.kind, ConflictKind::MultiChannel);
    assert_eq!(x.partner, None);
    assert_eq!(x.channels[0], "TMALL");
    assert_eq!(x.territory.as_deref(), Some(prov.as_str()));
    assert_eq!(x.product.as_deref(), Some(product.as_str()));
    assert_eq!(x.period, period);
    let cur = f.sample.dataset.currency();
    let off_med = cur.to_decimal(retail);
    assert_eq!(
        figure(x, "online_median"),
        (cur.to_decimal(price), Some(off_med * keep))
    );
    assert_eq!(figure(x, "offline_median").0, off_med);
    assert_eq!(figure(x, "online_lines").0, Decimal::from(on.len() + k));
    assert_eq!(x.evidence.lines, (on.len() + k) as u64);
}

#[test]
fn channel_switching_finds_phone_customers_moving_to_the_community_channel() {
    // 40 new customers buy first on PHONE (December 2024), then in 2025 only on COMMUNITY,
    // for enough that COMMUNITY takes five points above the policy's threshold (60 % in the
    // sample policy) of the 2025 later revenue of all the
    // customers first won on PHONE. The oracle: each customer's first purchase is its earliest
    // sale line (ties: lowest order id, then line); later revenue is the sale lines of other
    // orders, by the year they fall in.
    let f = fixture();
    let rule = policy().channel_switching;
    let m = &f.sample.dataset.master;
    let mut first: BTreeMap<&str, (Date, &str, u32, &str)> = BTreeMap::new();
    for l in f.lines.iter().filter(|l| l.quantity > 0) {
        let key = (l.date, l.order.as_str(), l.line, l.channel.as_str());
        let e = first.entry(l.customer.as_str()).or_insert(key);
        if (key.0, key.1, key.2) < (e.0, e.1, e.2) {
            *e = key;
        }
    }
    let year = qudao::conflict::Window::Year.of(d("2025-06-30"));
    let (mut total, mut community) = (0i64, 0i64);
    let mut by_channel: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut returning, mut switching) = (BTreeSet::new(), BTreeSet::new());
    for l in f
        .lines
        .iter()
        .filter(|l| l.quantity > 0 && year.contains(l.date))
    {
        let fp = first[l.customer.as_str()];
        if fp.3 == "PHONE" && fp.1 != l.order {
            returning.insert(l.customer.as_str());
            if l.channel == "COMMUNITY" {
                switching.insert(l.customer.as_str());
            }
            total += l.amount;
            *by_channel.entry(l.channel.as_str()).or_default() += l.amount;
            if l.channel == "COMMUNITY" {
                community += l.amount;
            }
        }
    }
    eprintln!("PHONE-first later revenue in {year}: {total}, by channel {by_channel:?}");
    // (community + p) / (total + p) ≥ t  ⇔  p ≥ (t · total − community) / (1 − t), with t five
    // points above the threshold.
    let t = rule.threshold + Decimal::new(5, 2);
    let need = i64::try_from(
        ((t * Decimal::from(total) - Decimal::from(community)) / (Decimal::ONE - t)).ceil(),
    )
    .expect("money");
    let product = "SKU0044"; // 商务茶礼, the dearest gift box
    let territory = "SH";
    let (retail, _) = price_of(m, product, "COMMUNITY", territory, d("2025-03-01"));
    let n = 40;
    let per = (need / n + retail) / retail; // units per customer
    let mut doc = doc();
    let mut planted = Vec::new();
    for i in 0..n as usize {
        let c = format!("ZF{i:03}");
        let first_day = d("2024-12-01").add_days(i as i32 % 28);
        doc.customers
            .push(new_customer(&c, "PHONE", territory, first_day));
        let (r0, _) = price_of(m, product, "PHONE", territory, first_day);
        planted.push(Line::sale(
            &order('F', 2 * i),
            1,
            first_day,
            &c,
            None,
            "PHONE",
            product,
            territory,
            1,
            r0,
        ));
        let later = d("2025-02-01").add_days(7 * i as i32);
        let (r1, _) = price_of(m, product, "COMMUNITY", territory, later);
        planted.push(Line::sale(
            &order('F', 2 * i + 1),
            1,
            later,
            &c,
            None,
            "COMMUNITY",
            product,
            territory,
            per,
            r1,
        ));
    }
    let p: i64 = planted
        .iter()
        .filter(|l| l.channel == "COMMUNITY")
        .map(|l| l.amount)
        .sum();
    assert!(Decimal::from(community + p) >= t * Decimal::from(total + p));
    let report = run(&rebuild(doc, |_| {}, &planted), &ConflictInputs::default());
    let x = only_new(&report, Detector::ChannelSwitching);
    eprintln!("{}: {}", x.id, x.message.en);
    assert_eq!(
        x.id,
        Finding::make_id(
            Detector::ChannelSwitching,
            None,
            None,
            None,
            year,
            &["PHONE", "COMMUNITY"]
        )
    );
    assert_eq!(x.channels, ["PHONE", "COMMUNITY"]);
    assert_eq!(x.partner, None);
    assert_eq!(x.kind, ConflictKind::MultiChannel);
    assert_eq!(x.period, year);
    let cur = f.sample.dataset.currency();
    let share = Decimal::from(community + p) / Decimal::from(total + p);
    assert_eq!(figure(x, "switch_share"), (share, Some(rule.threshold)));
    assert_eq!(
        figure(x, "switching_customers"),
        (
            Decimal::from(switching.len() + n as usize),
            Some(Decimal::from(rule.min_customers))
        )
    );
    assert_eq!(
        figure(x, "returning_customers").0,
        Decimal::from(returning.len() + n as usize)
    );
    assert_eq!(
        figure(x, "revenue_switched").0,
        cur.to_decimal(community + p)
    );
    assert_eq!(figure(x, "later_revenue").0, cur.to_decimal(total + p));
}

#[test]
fn inventory_suggests_a_transfer_to_a_peer_out_of_stock() {
    // The sample's overstocked partner holds a backlog of its product at every month end. On
    // a month end where no peer of it is out of that product, add a count for a peer (a
    // partner with a grant in the same region, without a count of its own that day): none on
    // hand, selling 2 units a day. It needs ceil(30 × 2) − 0 = 60 units to reach 30 days; the
    // overstocked partner can spare on_hand − floor(30 × its rate): it transfers the smaller.
    let f = fixture();
    let m = &f.sample.dataset.master;
    let planted = &f.sample.planted;
    let over = m
        .partners
        .code(&planted.overstocked_partner)
        .expect("partner");
    let product = m
        .products
        .code(&planted.overstocked_product)
        .expect("product");
    let inv = &f.sample.dataset.ops.inventory;
    let region_of = |p: u32| -> BTreeSet<String> {
        let tree = &m.territories.tree;
        m.partners
            .grants(p)
            .iter()
            .filter_map(|&(g, _)| {
                std::iter::once(g).chain(tree.ancestors(g)).find(|&a| {
                    m.territories.get(a).map(|t| t.level)
                        == Some(qudao::model::TerritoryLevel::Region)
                })
            })
            .map(|t| m.territories.id(t).to_string())
            .collect()
    };
    let region = region_of(over);
    assert_eq!(region.len(), 1);
    let region = region.into_iter().next().expect("region");
    let found_in: BTreeSet<Period> = f.base.of(Detector::Inventory).map(|x| x.period).collect();
    let snap = inv
        .iter()
        .filter(|s| s.partner == over && s.product == product)
        .filter(|s| s.daily_sales_rate > Decimal::ZERO)
        .filter(|s| s.date >= d("2025-01-01") && !found_in.contains(&Period::month_of(s.date)))
        .min_by_key(|s| s.date)
        .copied()
        .expect("a count of the overstocked product");
    let counted: BTreeSet<u32> = inv
        .iter()
        .filter(|s| s.date == snap.date && s.product == product)
        .map(|s| s.partner)
        .collect();
    let peer = (0..m.partners.len() as u32)
        .filter(|&p| p != over && !counted.contains(&p) && region_of(p).contains(&region))
        .min_by(|&a, &b| m.partners.id(a).cmp(m.partners.id(b)))
        .expect("a peer in the region");
    let peer_id = m.partners.id(peer).to_string();
    let rate = Decimal::new(200, 2);
    let rule = &policy().inventory;
    let thirty = Decimal::from(rule.target_days);
    let backlog = Decimal::from(rule.backlog_days);
    let cover = Decimal::from(snap.on_hand) / snap.daily_sales_rate;
    assert!(cover > backlog, "a backlog: {cover} days");
    let need = i64::try_from((thirty * rate).ceil()).expect("units");
    let spare =
        snap.on_hand - i64::try_from((thirty * snap.daily_sales_rate).floor()).expect("units");
    let transfer = spare.min(need);
    eprintln!(
        "inventory: {} on {}: {} on hand at {}/day; peer {peer_id}: need {need}, spare {spare}, transfer {transfer}",
        planted.overstocked_partner, snap.date, snap.on_hand, snap.daily_sales_rate
    );
    let mut ops = f.sample.dataset.ops.clone();
    ops.inventory.push(InventorySnapshot {
        partner: peer,
        product,
        date: snap.date,
        on_hand: 0,
        daily_sales_rate: rate,
    });
    let data = build(doc(), &f.lines, &ops);
    let report = run(&data, &ConflictInputs::default());
    let x = only_new(&report, Detector::Inventory);
    eprintln!("{}: {}", x.id, x.message.en);
    let month = Period::month_of(snap.date);
    assert_eq!(
        x.id,
        Finding::make_id(
            Detector::Inventory,
            Some(&planted.overstocked_partner),
            Some(&region),
            Some(&planted.overstocked_product),
            month,
            &[]
        )
    );
    assert_eq!(x.partner.as_ref(), Some(&planted.overstocked_partner));
    assert_eq!(x.parties, [peer_id.as_str()]);
    assert_eq!(x.territory.as_ref(), Some(&region));
    assert_eq!(x.product.as_ref(), Some(&planted.overstocked_product));
    assert_eq!((x.first_day, x.last_day), (snap.date, snap.date));
    assert_eq!(x.resolution, qudao::conflict::Resolution::Transfer);
    assert_eq!(figure(x, "transfer").0, Decimal::from(transfer));
    assert_eq!(
        figure(x, &format!("shortfall:{peer_id}")).0,
        Decimal::from(need)
    );
    assert_eq!(figure(x, "cover_days"), (cover, Some(backlog)));
    // The same count for a partner in another region: no peer, nothing.
    let stranger = (0..m.partners.len() as u32)
        .filter(|&p| !counted.contains(&p) && !region_of(p).contains(&region))
        .find(|&p| !region_of(p).is_empty())
        .expect("a partner elsewhere");
    let mut ops = f.sample.dataset.ops.clone();
    ops.inventory.push(InventorySnapshot {
        partner: stranger,
        product,
        date: snap.date,
        on_hand: 0,
        daily_sales_rate: rate,
    });
    let report = run(&build(doc(), &f.lines, &ops), &ConflictInputs::default());
    assert!(new_findings(&report).is_empty());
}

#[test]
fn diverted_goods_finds_the_buyer_whose_batch_is_sold_outside_its_territory() {
    // Batch B1 is shipped to GA01 (ZJ, SH). Seen sold by GA02 in JS-NJ, where GA01 may not
    // sell: one finding against GA01, with GA02 as party. Seen in ZJ-HZ (GA01's own province)
    // sold by another partner: nothing — GA01 may sell there.
    let f = fixture();
    let (a, b) = ("GA01", "GA02");
    let shipments = [Shipment {
        batch: "B1".into(),
        product: "SKU0001".into(),
        partner: a.into(),
        date: d("2025-05-02"),
        quantity: 100,
        ship_to: None,
    }];
    let sightings = [
        Sighting {
            batch: "B1".into(),
            date: d("2025-05-20"),
            territory: "JS-NJ".into(),
            seller: Some(b.into()),
            quantity: 3,
        },
        Sighting {
            batch: "B1".into(),
            date: d("2025-05-21"),
            territory: "ZJ-HZ".into(),
            seller: Some("GA02".into()),
            quantity: 2,
        },
    ];
    let inputs = ConflictInputs {
        shipments: &shipments,
        sightings: &sightings,
        ..ConflictInputs::default()
    };
    let report = run(&f.sample.dataset, &inputs);
    assert!(
        !report
            .not_run
            .iter()
            .any(|n| n.detector == Detector::DivertedGoods)
    );
    let x = only_new(&report, Detector::DivertedGoods);
    eprintln!("{}: {}", x.id, x.message.en);
    let may = Period::month_of(d("2025-05-20"));
    assert_eq!(
        x.id,
        Finding::make_id(
            Detector::DivertedGoods,
            Some(a),
            Some("JS-NJ"),
            None,
            may,
            &[]
        )
    );
    assert_eq!(x.partner.as_deref(), Some(a));
    assert_eq!(x.parties, [b]);
    assert_eq!(x.territory.as_deref(), Some("JS-NJ"));
    assert_eq!(x.period, may);
    assert_eq!(
        (x.first_day, x.last_day),
        (d("2025-05-20"), d("2025-05-20"))
    );
    assert_eq!(x.evidence.quantity, 3);
    assert_eq!(figure(x, "sightings").0, Decimal::ONE);
    assert!(x.cause.is_some());
}

#[test]
fn the_report_does_not_depend_on_the_thread_count() {
    let f = fixture();
    let with = |policy: &ConflictPolicy, inputs: &ConflictInputs<'_>, threads: usize| {
        let inputs = ConflictInputs { threads, ..*inputs };
        detect(&f.sample.dataset, policy, &inputs)
            .expect("detects")
            .to_json()
    };
    let none = ConflictInputs::default();
    let one = with(&policy(), &none, 1);
    assert_eq!(one, with(&policy(), &none, 3));
    assert_eq!(one, f.base.to_json());
    // A lax policy, so that every detector finds something, with assignments (every tenth
    // customer to the partner of its first partner line), shipments and sightings.
    let mut lax = policy();
    lax.promotion_depth.max_discount = Decimal::new(12, 2);
    lax.undercutting.gap = Decimal::new(1, 2);
    lax.undercutting.min_lines = 5;
    lax.undercutting.min_peers = 1;
    lax.customer_overlap.threshold = Decimal::new(5, 2);
    lax.customer_overlap.min_shared = 2;
    lax.online_undercut.tolerance = Decimal::new(1, 2);
    lax.online_undercut.min_lines = 3;
    lax.channel_switching.threshold = Decimal::new(2, 1);
    lax.channel_switching.min_customers = 3;
    let mut assigned: BTreeMap<&str, &str> = BTreeMap::new();
    for l in f.lines.iter().filter(|l| l.quantity > 0) {
        if let Some(p) = l.partner.as_deref() {
            assigned.entry(l.customer.as_str()).or_insert(p);
        }
    }
    let assignments: Vec<Assignment> = assigned
        .iter()
        .step_by(10)
        .map(|(c, p)| Assignment {
            customer: c.to_string(),
            partner: p.to_string(),
            from: None,
            to: None,
        })
        .collect();
    let shipments = [Shipment {
        batch: "B1".into(),
        product: "SKU0001".into(),
        partner: "GA01".into(),
        date: d("2025-05-02"),
        quantity: 100,
        ship_to: Some("GD-GZ".into()),
    }];
    let sightings = [Sighting {
        batch: "B1".into(),
        date: d("2025-05-20"),
        territory: "JS-NJ".into(),
        seller: Some("GA02".into()),
        quantity: 3,
    }];
    let inputs = ConflictInputs {
        assignments: &assignments,
        shipments: &shipments,
        sightings: &sightings,
        threads: 0,
    };
    let all = detect(&f.sample.dataset, &lax, &inputs).expect("detects");
    let counts = all.counts();
    eprintln!("lax policy: {counts:?}");
    for d in Detector::ALL {
        if d != Detector::PromotionDepth {
            assert!(
                counts.contains_key(&d),
                "{d} finds nothing under the lax policy"
            );
        }
    }
    let one = with(&lax, &inputs, 1);
    assert_eq!(one, with(&lax, &inputs, 2));
    assert_eq!(one, with(&lax, &inputs, 3));
    assert_eq!(one, all.to_json());
}

#[test]
fn findings_feed_the_rebate_penalties_and_waived_ones_do_not() {
    use qudao::rebate::{AdjustmentKind, Engine, Inputs, Ledger, ProgramBook};
    let f = fixture();
    let data = &f.sample.dataset;
    let engine = Engine::new(ProgramBook::sample_company(), &data.master).expect("compiles");
    let as_of = d("2025-12-31");
    let settle = |findings: &[qudao::rebate::Finding]| {
        let inputs = Inputs {
            findings,
            ..Inputs::default()
        };
        engine
            .volumes(data, as_of, &inputs)
            .and_then(|v| v.settle(&Ledger::default()))
            .expect("settles")
    };
    let findings = f.base.penalty_findings::<&str>(&[]);
    assert!(!findings.is_empty());
    let conflict_ids = ids(&f.base);
    let run = settle(&findings);
    let mut penalised: BTreeSet<String> = BTreeSet::new();
    for s in &run.statements {
        for a in s
            .adjustments
            .iter()
            .filter(|a| a.kind == AdjustmentKind::Penalty)
        {
            assert!(!a.findings.is_empty());
            assert_eq!(s.payee, f.sample.planted.cross_region_partner);
            for id in &a.findings {
                assert!(
                    conflict_ids.contains(id.as_str()),
                    "{id} is no conflict finding"
                );
                assert_eq!(
                    f.base.get(id).map(|x| x.detector),
                    Some(Detector::CrossRegion)
                );
            }
            penalised.extend(a.findings.iter().cloned());
        }
    }
    assert!(
        !penalised.is_empty(),
        "a statement of {} carries a penalty",
        f.sample.planted.cross_region_partner
    );
    let waived: Vec<&str> = penalised.iter().map(String::as_str).collect();
    let after = settle(&f.base.penalty_findings(&waived));
    assert!(
        after.statements.iter().all(|s| s
            .adjustments
            .iter()
            .all(|a| a.kind != AdjustmentKind::Penalty)),
        "waived findings are not penalised"
    );
    let total = |r: &qudao::rebate::Settlement| -> Decimal {
        r.statements
            .iter()
            .filter(|s| s.payee == f.sample.planted.cross_region_partner)
            .map(|s| s.exact)
            .sum()
    };
    assert!(total(&after) > total(&run));
}
