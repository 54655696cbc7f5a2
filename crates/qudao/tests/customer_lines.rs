//! Customer lines from Arrow: the same summary as the checked data set, and bad input named.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Int64Array, RecordBatch, StringArray, StringViewArray,
    UInt64Array,
};
use qudao::Error;
use qudao::arrow::{customer_lines_from_batches, transactions_batch};
use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
use qudao::sample::{SampleConfig, generate};

fn as_of() -> qudao::Date {
    qudao::Date::from_ymd(2025, 9, 30).expect("date")
}

#[test]
fn a_whole_transaction_table_gives_the_data_sets_summary() {
    let sample = generate(&SampleConfig::with_lines(30_000)).expect("sample");
    let ds = &sample.dataset;
    // The exported table: dictionary ids, text orders, every other column too (ignored).
    let batches: Vec<RecordBatch> = ds
        .transactions
        .chunks
        .iter()
        .map(|c| transactions_batch(ds, c).expect("export"))
        .collect();
    let lines = customer_lines_from_batches(&batches, ds.currency().clone()).expect("lines");
    assert_eq!(lines.len(), ds.transactions.len());
    for frequency in [
        Frequency::DistinctOrders,
        Frequency::OrderLines,
        Frequency::ActivePeriods,
    ] {
        let options = CustomerOptions::new(as_of(), frequency);
        let ours = lines.summarise(options).expect("summary");
        let theirs = CustomerSummary::compute(ds, options).expect("summary");
        assert_eq!(ours.len(), theirs.len());
        for r in 0..ours.len() {
            assert_eq!(
                lines.customers().id(ours.code(r)),
                ds.master.customers.id(theirs.code(r))
            );
            assert_eq!(ours.frequency(r), theirs.frequency(r));
            assert_eq!(ours.monetary(r), theirs.monetary(r));
            assert_eq!(ours.recency_days(r), theirs.recency_days(r));
            assert_eq!(ours.btyd(r), theirs.btyd(r));
            assert_eq!(ours.repeat_value(r), theirs.repeat_value(r));
            assert_eq!(ours.margin(r), theirs.margin(r));
        }
        assert!((0..ours.len()).any(|r| ours.margin(r).is_some()));
    }
    // Rows in reverse: the same table (recounts cover lines out of date order).
    let reversed: Vec<RecordBatch> = batches
        .iter()
        .rev()
        .map(|b| {
            let idx = arrow_array::UInt32Array::from_iter_values((0..b.num_rows() as u32).rev());
            let cols = b
                .columns()
                .iter()
                .map(|c| arrow_select_take(c, &idx))
                .collect::<Vec<_>>();
            RecordBatch::try_new(b.schema(), cols).expect("batch")
        })
        .collect();
    let again = customer_lines_from_batches(&reversed, ds.currency().clone()).expect("lines");
    let options = CustomerOptions::new(as_of(), Frequency::DistinctOrders);
    let (a, b) = (
        lines.summarise(options).expect("a"),
        again.summarise(options).expect("b"),
    );
    assert_eq!(a.len(), b.len());
    for r in 0..a.len() {
        assert_eq!(
            lines.customers().id(a.code(r)),
            again.customers().id(b.code(r))
        );
        assert_eq!(a.values(r), b.values(r));
    }
}

/// `take` by hand for the few types the exported table has (no arrow-select dependency).
fn arrow_select_take(c: &ArrayRef, idx: &arrow_array::UInt32Array) -> ArrayRef {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let rows: Vec<usize> = idx.values().iter().map(|&i| i as usize).collect();
    if let Some(s) = c.as_string_opt::<i32>() {
        let v: Vec<Option<&str>> = rows
            .iter()
            .map(|&i| (!s.is_null(i)).then(|| s.value(i)))
            .collect();
        return Arc::new(StringArray::from(v));
    }
    if let Some(d) = c.as_dictionary_opt::<arrow_array::types::UInt32Type>() {
        let keys: Vec<Option<u32>> = rows
            .iter()
            .map(|&i| (!d.keys().is_null(i)).then(|| d.keys().value(i)))
            .collect();
        let dict = DictionaryArray::<arrow_array::types::UInt32Type>::try_new(
            arrow_array::UInt32Array::from(keys),
            Arc::clone(d.values()),
        )
        .expect("dictionary");
        return Arc::new(dict);
    }
    macro_rules! prim {
        ($($t:ty),*) => {$(
            if let Some(p) = c.as_primitive_opt::<$t>() {
                let v: Vec<Option<<$t as arrow_array::ArrowPrimitiveType>::Native>> = rows
                    .iter()
                    .map(|&i| (!p.is_null(i)).then(|| p.value(i)))
                    .collect();
                return Arc::new(arrow_array::PrimitiveArray::<$t>::from(v).with_data_type(c.data_type().clone()));
            }
        )*};
    }
    prim!(
        arrow_array::types::Int64Type,
        arrow_array::types::UInt32Type,
        arrow_array::types::Date32Type
    );
    panic!("unexpected type {}", c.data_type());
}

fn table(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(cols).expect("batch")
}

fn text(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

#[test]
fn returns_come_from_kind_quantity_or_the_amount_sign() {
    let base = || {
        vec![
            ("customer", text(&["A", "A", "B"])),
            ("order", text(&["1", "2", "3"])),
            (
                "date",
                Arc::new(Date32Array::from(vec![20_000, 20_001, 20_002])) as ArrayRef,
            ),
            (
                "amount",
                Arc::new(Int64Array::from(vec![500, -100, 300])) as ArrayRef,
            ),
        ]
    };
    let options = CustomerOptions::new(qudao::Date(20_010), Frequency::DistinctOrders);
    let mut with_kind = base();
    with_kind.push(("kind", text(&["sale", "return", "sale"])));
    let mut with_quantity = base();
    with_quantity.push((
        "quantity",
        Arc::new(Int64Array::from(vec![5, -1, 3])) as ArrayRef,
    ));
    for cols in [with_kind, with_quantity, base()] {
        let lines =
            customer_lines_from_batches(&[table(cols)], qudao::Currency::default()).expect("ok");
        let s = lines.summarise(options).expect("summary");
        // A's return nets the money and is not an order.
        assert_eq!((s.orders(0), s.lines(0), s.monetary(0)), (1, 1, 400));
        assert_eq!((s.orders(1), s.monetary(1)), (1, 300));
    }
}

#[test]
fn view_dictionary_and_integer_ids() {
    let customers: DictionaryArray<arrow_array::types::Int32Type> =
        vec!["B", "A", "B", "A"].into_iter().collect();
    let cols = vec![
        ("customer", Arc::new(customers) as ArrayRef),
        (
            "order",
            Arc::new(UInt64Array::from(vec![9, 7, 9, 8])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000, 20_000, 20_000, 20_003])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef,
        ),
    ];
    let lines =
        customer_lines_from_batches(&[table(cols)], qudao::Currency::default()).expect("ok");
    let s = lines
        .summarise(CustomerOptions::new(
            qudao::Date(20_003),
            Frequency::DistinctOrders,
        ))
        .expect("summary");
    // Rows in id order: A then B.
    assert_eq!(lines.customers().id(s.code(0)), "A");
    assert_eq!((s.orders(0), s.monetary(0)), (2, 6));
    assert_eq!((s.orders(1), s.monetary(1)), (1, 4));

    let view = vec![
        (
            "customer",
            Arc::new(StringViewArray::from(vec!["A", "A"])) as ArrayRef,
        ),
        (
            "order",
            Arc::new(StringViewArray::from(vec![
                "o-long-order-id-1",
                "o-long-order-id-2",
            ])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000, 20_001])) as ArrayRef,
        ),
        ("amount", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
    ];
    let lines =
        customer_lines_from_batches(&[table(view)], qudao::Currency::default()).expect("ok");
    assert_eq!(lines.order_count(), 2);
}

fn data_error(e: Error) -> (String, u64, String, String) {
    match e {
        Error::Data { location, reason } => (
            location.source,
            location.line,
            location.column.unwrap_or_default(),
            reason,
        ),
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn bad_rows_name_batch_row_and_column() {
    let good = table(vec![
        ("customer", text(&["A"])),
        ("order", text(&["1"])),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000])) as ArrayRef,
        ),
        ("amount", Arc::new(Int64Array::from(vec![5])) as ArrayRef),
    ]);
    let bad = |customer: &[&str], order: &[&str], kind: &[&str], amount: Vec<i64>| {
        table(vec![
            ("customer", text(customer)),
            ("order", text(order)),
            (
                "date",
                Arc::new(Date32Array::from(vec![20_000; customer.len()])) as ArrayRef,
            ),
            ("amount", Arc::new(Int64Array::from(amount)) as ArrayRef),
            ("kind", text(kind)),
        ])
    };
    let cases = [
        (
            bad(&["A", ""], &["1", "2"], &["sale", "sale"], vec![1, 1]),
            "customer",
            "empty",
        ),
        (
            bad(&["A", "B"], &["1", ""], &["sale", "sale"], vec![1, 1]),
            "order",
            "empty",
        ),
        (
            bad(&["A", "B"], &["1", "2"], &["sale", "gift"], vec![1, 1]),
            "kind",
            "sale",
        ),
        (
            bad(&["A", "B"], &["1", "2"], &["sale", "sale"], vec![1, -1]),
            "amount",
            "non-negative",
        ),
        (
            bad(&["A", "B"], &["1", "2"], &["sale", "return"], vec![1, 1]),
            "amount",
            "non-positive",
        ),
        (
            bad(&["A", "B"], &["2", "1"], &["sale", "sale"], vec![1, 1]),
            "customer",
            "already belongs",
        ),
    ];
    for (batch, column, text) in cases {
        let e = customer_lines_from_batches(&[good.clone(), batch], qudao::Currency::default())
            .expect_err(column);
        let (source, row, col, reason) = data_error(e);
        assert_eq!(source, "lines batch 1");
        assert_eq!((row, col.as_str()), (2, column), "{reason}");
        assert!(reason.contains(text), "{reason}");
    }
    let missing = table(vec![("customer", text(&["A"]))]);
    assert!(matches!(
        customer_lines_from_batches(&[missing], qudao::Currency::default()),
        Err(Error::MissingColumn { .. })
    ));
    let float = table(vec![
        ("customer", text(&["A"])),
        ("order", text(&["1"])),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(arrow_array::Float64Array::from(vec![1.5])) as ArrayRef,
        ),
    ]);
    let (_, _, col, reason) = data_error(
        customer_lines_from_batches(&[float], qudao::Currency::default()).expect_err("float"),
    );
    assert_eq!(col, "amount");
    assert!(reason.contains("floating point"), "{reason}");
}

#[test]
fn orders_split_into_several_runs_count_once() {
    // Sequence numbers (with and without leading zeros), return orders with their own
    // numbering, an order whose lines are not together, and a late, lower number.
    let rows = [
        ("A", "9"),
        ("A", "10"),
        ("A", "10"),
        ("B", "R1"),
        ("B", "11"),
        ("A", "10"),
        ("B", "R1"),
        ("B", "012"),
        ("C", "8"),
        ("B", "11"),
    ];
    let batch = |rows: &[(&str, &str)]| {
        let n = rows.len();
        table(vec![
            (
                "customer",
                text(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
            ),
            ("order", text(&rows.iter().map(|r| r.1).collect::<Vec<_>>())),
            (
                "date",
                Arc::new(Date32Array::from(vec![20_000; n])) as ArrayRef,
            ),
            ("amount", Arc::new(Int64Array::from(vec![1; n])) as ArrayRef),
        ])
    };
    let options = CustomerOptions::new(qudao::Date(20_000), Frequency::DistinctOrders);
    // One batch, and the same rows over three batches (runs continue across batches).
    let one = customer_lines_from_batches(&[batch(&rows)], qudao::Currency::default()).expect("ok");
    let three = customer_lines_from_batches(
        &[batch(&rows[..3]), batch(&rows[3..6]), batch(&rows[6..])],
        qudao::Currency::default(),
    )
    .expect("ok");
    for lines in [&one, &three] {
        assert_eq!(lines.order_count(), 6);
        let s = lines.summarise(options).expect("summary");
        let orders: Vec<(String, u32)> = (0..s.len())
            .map(|r| (lines.customers().id(s.code(r)).to_owned(), s.orders(r)))
            .collect();
        assert_eq!(orders, [("A".into(), 2), ("B".into(), 3), ("C".into(), 1)]);
    }
    // An order split into runs still has one customer.
    let mut bad = rows.to_vec();
    bad[5] = ("C", "10");
    let (_, row, column, reason) = data_error(
        customer_lines_from_batches(&[batch(&bad)], qudao::Currency::default())
            .expect_err("two customers"),
    );
    assert_eq!((row, column.as_str()), (6, "customer"));
    assert!(reason.contains("\"A\""), "{reason}");
}
