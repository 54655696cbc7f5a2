//! The sample company: determinism, strictness, shape, and that the planted trouble is
//! exactly where `Planted` says it is.

use std::collections::HashSet;

use qudao::Date;
use qudao::intern::NONE;
use qudao::model::ChannelKind;
use qudao::sample::{Sample, SampleConfig, generate};

fn small(seed: u64) -> Sample {
    let config = SampleConfig {
        seed,
        ..SampleConfig::with_lines(30_000)
    };
    generate(&config).expect("the sample generates")
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let a = small(7).dataset.summary().expect("summary").to_json();
    let b = small(7).dataset.summary().expect("summary").to_json();
    let c = small(8).dataset.summary().expect("summary").to_json();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let pa = serde_json::to_string(&small(7).planted).expect("planted serialises");
    let pb = serde_json::to_string(&small(7).planted).expect("planted serialises");
    assert_eq!(pa, pb);
}

#[test]
fn strict_build_rejects_nothing_and_has_the_intended_shape() {
    let config = SampleConfig::with_lines(30_000);
    let s = generate(&config).expect("the sample generates");
    let d = &s.dataset;
    let m = &d.master;
    assert!(d.rejections.is_empty(), "{:?}", d.rejections.counts);
    assert_eq!(d.transactions.len(), config.lines, "exactly `lines` lines");

    let kinds: HashSet<ChannelKind> = m.channels.records().iter().map(|c| c.kind).collect();
    assert_eq!(kinds.len(), ChannelKind::ALL.len(), "all 12 channel kinds");
    assert!(
        (28..=36).contains(&m.territories.len()),
        "{}",
        m.territories.len()
    );
    assert_eq!(m.partners.len(), config.partners);
    let depths: HashSet<u16> = (0..m.partners.len() as u32)
        .map(|p| m.partners.tree.depth(p))
        .collect();
    assert_eq!(depths, HashSet::from([0, 1, 2]), "three partner levels");
    assert_eq!(m.products.len(), config.products);
    assert_eq!(m.customers.len(), config.customers);
    assert!(
        m.categories.records().iter().any(|c| c.parent.is_some()),
        "a category tree"
    );

    let sum = d.summary().expect("summary");
    let by_kind: HashSet<ChannelKind> = sum
        .by_channel
        .iter()
        .filter(|r| r.lines > 0)
        .filter_map(|r| m.channels.code(&r.key).and_then(|c| m.channel_kind(c)))
        .collect();
    assert_eq!(
        by_kind.len(),
        ChannelKind::ALL.len(),
        "every kind has sales"
    );
    let returns = sum.totals.return_lines as f64 / sum.totals.lines as f64;
    assert!((0.015..0.05).contains(&returns), "returns {returns}");
    assert_eq!(sum.first_date, Some(config.start));
    assert_eq!(sum.by_month.len(), config.months as usize);
    let margin =
        sum.totals.gross_margin.expect("cost on every line") as f64 / sum.totals.net_revenue as f64;
    assert!((0.2..0.5).contains(&margin), "margin {margin}");
    for (table, n) in &sum.operational_counts {
        assert!(*n > 0, "{table} is empty");
    }
}

#[test]
fn growth_and_decline_are_visible() {
    let s = small(42);
    let d = &s.dataset;
    let m = &d.master;
    let mut first = vec![0i64; m.channels.len()];
    let mut last = vec![0i64; m.channels.len()];
    let (start, _) = d.transactions.date_range().expect("lines");
    let split = Date(start.0 + 365);
    for c in &d.transactions.chunks {
        for i in 0..c.len() {
            let slot = if c.date[i] < split.0 {
                &mut first
            } else {
                &mut last
            };
            slot[c.channel[i] as usize] += c.amount[i];
        }
    }
    let code = |id: &str| m.channels.code(id).expect("channel") as usize;
    for id in &s.planted.growing_channels {
        assert!(last[code(id)] > first[code(id)] * 13 / 10, "{id} grows");
    }
    for id in &s.planted.declining_channels {
        assert!(last[code(id)] < first[code(id)] * 3 / 4, "{id} declines");
    }
}

#[test]
fn planted_trouble_is_exactly_where_it_says() {
    let s = small(42);
    let d = &s.dataset;
    let m = &d.master;
    let p = &s.planted;
    assert!(!p.cross_region.is_empty() && p.cross_region.len() <= 500);
    assert!(!p.below_floor.is_empty() && p.below_floor.len() <= 500);
    let key = |order: &str, line: u32| (order.to_owned(), line);
    let cross: HashSet<_> = p
        .cross_region
        .iter()
        .map(|l| key(&l.order, l.line))
        .collect();
    let below: HashSet<_> = p
        .below_floor
        .iter()
        .map(|l| key(&l.order, l.line))
        .collect();
    for l in p.cross_region.iter().chain(&p.below_floor) {
        assert!(m.partners.code(&l.partner).is_some());
        assert!(m.territories.code(&l.territory).is_some());
    }
    let (mut seen_cross, mut seen_below) = (0, 0);
    for c in &d.transactions.chunks {
        for i in 0..c.len() {
            let k = key(&d.transactions.order_id(c.order[i]), c.line[i]);
            let partner = c.partner[i];
            if partner != NONE {
                let inside = m.is_authorised(partner, c.territory[i]);
                if cross.contains(&k) {
                    assert!(!inside, "planted cross-region line {k:?} is inside");
                    assert_eq!(m.partners.id(partner), p.cross_region_partner);
                    seen_cross += 1;
                } else {
                    assert!(
                        inside,
                        "line {k:?} of {} is outside its territories",
                        m.partners.id(partner)
                    );
                }
            }
            if c.is_return(i) {
                continue;
            }
            let rule = m
                .prices
                .lookup(
                    &m.territories.tree,
                    c.product[i],
                    c.channel[i],
                    c.territory[i],
                    Date(c.date[i]),
                )
                .expect("every product has a price");
            if below.contains(&k) {
                assert!(
                    c.unit_price[i] < rule.floor_price,
                    "planted below-floor line {k:?} is not below"
                );
                assert_eq!(m.partners.id(partner), p.below_floor_partner);
                seen_below += 1;
            } else {
                assert!(
                    c.unit_price[i] >= rule.floor_price,
                    "line {k:?} is below the floor"
                );
            }
        }
    }
    assert_eq!(seen_cross, p.cross_region.len());
    assert_eq!(seen_below, p.below_floor.len());

    // The other planted partners exist and show their trouble.
    let over = m
        .partners
        .code(&p.overstocked_partner)
        .expect("overstocked partner");
    let prod = m
        .products
        .code(&p.overstocked_product)
        .expect("overstocked product");
    let snaps: Vec<_> = d
        .ops
        .inventory
        .iter()
        .filter(|s| s.partner == over && s.product == prod)
        .collect();
    assert!(!snaps.is_empty());
    for snap in &snaps {
        let rate = snap.daily_sales_rate * rust_decimal::Decimal::from(90);
        assert!(
            rust_decimal::Decimal::from(snap.on_hand) > rate,
            "on hand ≫ sales"
        );
    }
    let rising = m
        .partners
        .code(&p.rising_complaints_partner)
        .expect("rising partner");
    let mut per_month = std::collections::BTreeMap::new();
    for c in d.ops.complaints.iter().filter(|c| c.partner == rising) {
        *per_month.entry(c.opened.date().month_index()).or_insert(0) += 1;
    }
    let counts: Vec<i32> = per_month.values().copied().collect();
    assert!(
        counts.len() >= 20 && counts.windows(2).all(|w| w[1] > w[0]),
        "{counts:?}"
    );
    let fast = d
        .ops
        .complaints
        .iter()
        .filter(|c| c.resolved.is_some_and(|r| r.0 - c.opened.0 <= 86_400))
        .count();
    assert!(
        fast * 10 > d.ops.complaints.len() * 7,
        "most complaints resolved within 24 h"
    );
}

#[test]
fn bad_configs_are_errors_not_panics() {
    let bad = [
        SampleConfig {
            partners: 3,
            ..SampleConfig::with_lines(100)
        },
        SampleConfig {
            products: 1,
            ..SampleConfig::with_lines(100)
        },
        SampleConfig {
            customers: 0,
            ..SampleConfig::with_lines(100)
        },
        SampleConfig {
            months: 0,
            ..SampleConfig::with_lines(100)
        },
    ];
    for c in bad {
        assert!(generate(&c).is_err());
    }
    for lines in [0, 1, 17, 999] {
        let s = generate(&SampleConfig {
            months: 3,
            ..SampleConfig::with_lines(lines)
        })
        .expect("tiny samples work");
        assert_eq!(s.dataset.transactions.len(), lines);
    }
}
