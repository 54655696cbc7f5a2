//! The summary state is a commutative monoid: any partitioning, any order, same answer.

use proptest::prelude::*;
use qudao::dataset::{Dataset, DatasetBuilder, TxInput};
use qudao::master::{MasterData, MasterDocument};
use qudao::summary::SummaryState;
use qudao::transactions::TxKind;
use qudao::{Date, Strictness};

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{
      "territories": [{"id": "CN", "level": "country"}],
      "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"},
                   {"id": "shop", "kind": "retail_terminal", "presence": "offline", "role": "auxiliary"}],
      "partners": [{"id": "P1", "model": "agency"}, {"id": "P2", "model": "franchise"}],
      "products": [{"id": "A", "category": "x", "list_price": "1.00"}, {"id": "B", "category": "x", "list_price": "2.00"}]}"#,
        )
        .expect("json"),
    )
    .expect("master")
}

/// A data set of `n` sales split into `parts` chunks at the given cut points.
fn dataset(rows: &[(u8, u8, u8, u16, i64)]) -> Dataset {
    let mut b = DatasetBuilder::new(master(), Strictness::Strict);
    for (i, &(c, p, ch, day, amount)) in rows.iter().enumerate() {
        let order = format!("O{}", i / 2);
        // Both lines of an order belong to the customer of its first line.
        let customer = format!("C{}", rows[i - i % 2].0);
        b.push(
            &TxInput {
                order: &order,
                line: (i % 2) as u32 + 1,
                date: Date(19_700 + i32::from(day)),
                customer: &customer,
                partner: match p % 3 {
                    0 => None,
                    1 => Some("P1"),
                    _ => Some("P2"),
                },
                channel: if ch % 2 == 0 { "web" } else { "shop" },
                product: if c % 2 == 0 { "A" } else { "B" },
                territory: "CN",
                kind: TxKind::Sale,
                quantity: 1 + i64::from(c % 4),
                unit_price: amount,
                amount,
                cost: (c % 5 != 0).then_some(amount / 2),
                original_order: None,
            },
            i as u64 + 2,
        )
        .expect("valid row");
    }
    b.finish().expect("dataset")
}

fn states(d: &Dataset, cuts: &[usize]) -> Vec<SummaryState> {
    // Summarise arbitrary row ranges of the single chunk by slicing a copy into chunks.
    let c = &d.transactions.chunks[0];
    let mut bounds: Vec<usize> = cuts.iter().map(|&x| x % (c.len() + 1)).collect();
    bounds.push(0);
    bounds.push(c.len());
    bounds.sort_unstable();
    bounds.dedup();
    bounds
        .windows(2)
        .map(|w| {
            let part = slice(c, w[0], w[1]);
            let mut s = SummaryState::new(&d.master);
            s.update(&part);
            s
        })
        .collect()
}

fn slice(c: &qudao::TxChunk, a: usize, b: usize) -> qudao::TxChunk {
    fn s<T: Copy>(col: &qudao::column::Column<T>, a: usize, b: usize) -> qudao::column::Column<T> {
        col[a..b].to_vec().into()
    }
    qudao::TxChunk {
        order: s(&c.order, a, b),
        line: s(&c.line, a, b),
        date: s(&c.date, a, b),
        customer: s(&c.customer, a, b),
        partner: s(&c.partner, a, b),
        channel: s(&c.channel, a, b),
        product: s(&c.product, a, b),
        territory: s(&c.territory, a, b),
        quantity: s(&c.quantity, a, b),
        unit_price: s(&c.unit_price, a, b),
        amount: s(&c.amount, a, b),
        cost: s(&c.cost, a, b),
        cost_valid: c.cost_valid.as_ref().map(|v| {
            let mut out = qudao::column::Bitmap::default();
            for i in a..b {
                out.push(v.get(i));
            }
            out
        }),
        original_order: s(&c.original_order, a, b),
    }
}

fn rows() -> impl Strategy<Value = Vec<(u8, u8, u8, u16, i64)>> {
    prop::collection::vec((0u8..20, 0u8..6, 0u8..2, 0u16..400, 0i64..100_000), 1..60)
}

proptest! {
    #[test]
    fn any_partition_gives_the_whole(rows in rows(), cuts in prop::collection::vec(0usize..60, 0..5)) {
        let d = dataset(&rows);
        let whole = d.summary().expect("summary");
        let parts = states(&d, &cuts);
        let merged = parts.iter().fold(SummaryState::new(&d.master), |acc, s| acc.merge(s));
        prop_assert_eq!(merged.finish(&d).expect("finish"), whole.clone());
        // Commutative: reversed order.
        let reversed = parts.iter().rev().fold(SummaryState::new(&d.master), |acc, s| acc.merge(s));
        prop_assert_eq!(reversed.finish(&d).expect("finish"), whole);
    }

    #[test]
    fn merge_is_associative_with_identity(rows in rows(), cuts in prop::collection::vec(0usize..60, 2..3)) {
        let d = dataset(&rows);
        let p = states(&d, &cuts);
        let e = SummaryState::new(&d.master);
        let (a, b, c) = (&p[0], p.get(1).unwrap_or(&e), p.get(2).unwrap_or(&e));
        let left = a.clone().merge(b).merge(c);
        let right = a.clone().merge(&b.clone().merge(c));
        prop_assert_eq!(&left, &right);
        prop_assert_eq!(&a.clone().merge(&e), a);
        prop_assert_eq!(&e.clone().merge(a), a);
    }
}

#[test]
fn hand_computed_summary() {
    // O0 line 1: C0 web direct A 1×10.00 no cost; O0 line 2: C0 shop P1 B 2×20.00 cost 10.00
    let d = dataset(&[(0, 0, 0, 0, 1000), (1, 1, 1, 40, 2000)]);
    let s = d.summary().expect("summary");
    assert_eq!(s.totals.net_revenue, 3000);
    assert_eq!(s.totals.orders, 1);
    assert_eq!(s.totals.units, 1 + 2);
    assert_eq!(s.active_customers, 1);
    assert_eq!(
        s.totals.cost, None,
        "C0 has no cost (c % 5 == 0), so the total cost is unknown"
    );
    let shop = s.by_channel.iter().find(|r| r.key == "shop").expect("shop");
    assert_eq!(shop.cost, Some(1000));
    assert_eq!(shop.gross_margin, Some(1000));
    assert_eq!(
        shop.share_of_revenue.map(|d| d.to_string()),
        Some("0.666667".into())
    );
    assert_eq!(s.by_month.len(), 2);
    assert_eq!(
        s.by_partner.last().map(|r| r.key.as_str()),
        Some(""),
        "direct sales last"
    );
}
