//! Arrow ingestion: zero-copy where types match, conversions, and every row still checked.
#![cfg(feature = "arrow")]

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    UInt32Array,
};
use qudao::arrow::{dataset_from_batches, summary_batches};
use qudao::master::{MasterData, MasterDocument};
use qudao::reject::RejectReason;
use qudao::{Error, Strictness};

fn master() -> MasterData {
    MasterData::new(
        MasterDocument::from_json(
            r#"{
      "territories": [{"id": "CN", "level": "country"}, {"id": "ZJ", "level": "province", "parent": "CN"}],
      "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"},
                   {"id": "dist", "kind": "distribution", "presence": "offline", "role": "main"}],
      "partners": [{"id": "P1", "model": "distribution", "territories": [{"territory": "ZJ"}]}],
      "products": [{"id": "TEA", "category": "drinks", "list_price": "10.00"},
                   {"id": "CUP", "category": "ware", "list_price": "5.00"}]}"#,
        )
        .expect("json"),
    )
    .expect("master")
}

fn s(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// Three lines: two sales and one return of the first order.
fn batch(quantity: Vec<i64>, amount: Vec<i64>) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("order", s(&["O1", "O2", "R1"])),
        (
            "line",
            Arc::new(UInt32Array::from(vec![1, 1, 1])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000, 20_001, 20_002])) as ArrayRef,
        ),
        ("customer", s(&["C1", "C2", "C1"])),
        (
            "partner",
            Arc::new(StringArray::from(vec![Some("P1"), None, Some("P1")])) as ArrayRef,
        ),
        ("channel", s(&["dist", "web", "dist"])),
        ("product", s(&["TEA", "CUP", "TEA"])),
        ("territory", s(&["ZJ", "CN", "ZJ"])),
        ("quantity", Arc::new(Int64Array::from(quantity)) as ArrayRef),
        (
            "unit_price",
            Arc::new(Int64Array::from(vec![1000, 500, 1000])) as ArrayRef,
        ),
        ("amount", Arc::new(Int64Array::from(amount)) as ArrayRef),
        (
            "original_order",
            Arc::new(StringArray::from(vec![None, None, Some("O1")])) as ArrayRef,
        ),
    ])
    .expect("batch")
}

#[test]
fn matching_types_are_shared_not_copied() {
    let b = batch(vec![3, 1, -1], vec![3000, 500, -1000]);
    let data = dataset_from_batches(master(), &[b], Strictness::Strict).expect("load");
    let c = &data.transactions.chunks[0];
    assert!(c.quantity.is_shared() && c.amount.is_shared() && c.unit_price.is_shared());
    assert!(c.date.is_shared() && c.line.is_shared());
    assert!(!c.customer.is_shared(), "text ids are looked up into codes");
    let s = data.summary().expect("summary");
    assert_eq!(s.totals.net_revenue, 3000 + 500 - 1000);
    assert_eq!(s.totals.returns, 1000);
    assert_eq!(s.totals.units, 3);
    assert_eq!(s.by_partner.len(), 2, "P1 and direct");
    assert_eq!(
        data.master.customers.len(),
        2,
        "customers registered as named"
    );
}

#[test]
fn return_larger_than_sale_is_rejected() {
    let b = batch(vec![3, 1, -4], vec![3000, 500, -4000]);
    let err = dataset_from_batches(master(), std::slice::from_ref(&b), Strictness::Strict)
        .expect_err("strict");
    assert!(err.to_string().contains("returns 4 units"), "{err}");
    let data = dataset_from_batches(master(), &[b], Strictness::Lenient).expect("lenient");
    assert_eq!(data.transactions.len(), 2);
    assert_eq!(data.rejections.total(), 1);
    assert_eq!(
        data.rejections.rejections[0].reason,
        RejectReason::ReturnExceedsSale
    );
    assert_eq!(data.rejections.rejections[0].location.line, 3);
}

#[test]
fn bad_rows_are_counted_and_compacted_in_lenient_mode() {
    let b = RecordBatch::try_from_iter([
        ("order", s(&["O1", "O2", "O3", "O1"])),
        (
            "line",
            Arc::new(UInt32Array::from(vec![1, 1, 1, 1])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000, 20_001, 20_002, 20_003])) as ArrayRef,
        ),
        ("customer", s(&["C1", "C2", "C3", "C1"])),
        ("channel", s(&["web", "nope", "web", "web"])),
        ("product", s(&["TEA", "CUP", "TEA", "TEA"])),
        ("territory", s(&["CN", "CN", "CN", "CN"])),
        (
            "quantity",
            Arc::new(Int64Array::from(vec![1, 1, -2, 1])) as ArrayRef,
        ),
        (
            "unit_price",
            Arc::new(Int64Array::from(vec![1000, 500, 1000, 1000])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![1000, 500, 2000, 1000])) as ArrayRef,
        ),
        ("kind", s(&["sale", "sale", "return", "sale"])),
    ])
    .expect("batch");
    let err = dataset_from_batches(master(), std::slice::from_ref(&b), Strictness::Strict)
        .expect_err("strict");
    match err {
        Error::Data { location, .. } => {
            assert_eq!(location.line, 2);
            assert_eq!(location.column.as_deref(), Some("channel"));
            assert_eq!(location.value.as_deref(), Some("nope"));
        }
        other => panic!("unexpected {other}"),
    }
    let data = dataset_from_batches(master(), &[b], Strictness::Lenient).expect("lenient");
    assert_eq!(data.transactions.len(), 1);
    assert_eq!(
        data.transactions.len() as u64 + data.rejections.total(),
        4,
        "nothing vanishes"
    );
    let reasons: Vec<_> = data
        .rejections
        .rejections
        .iter()
        .map(|r| (r.location.line, r.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (2, RejectReason::UnknownReference),
            (3, RejectReason::OutOfRange),
            (4, RejectReason::DuplicateId)
        ]
    );
}

#[test]
fn decimal_money_is_scaled_exactly_and_floats_are_refused() {
    let base = batch(vec![3, 1, -1], vec![3000, 500, -1000]);
    let mut cols: Vec<(String, ArrayRef)> = base
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .zip(base.columns().iter().cloned())
        .collect();
    let amount = Decimal128Array::from(vec![30_000, 5_000, -10_000])
        .with_precision_and_scale(18, 3)
        .expect("dec");
    cols[10].1 = Arc::new(amount);
    let b = RecordBatch::try_from_iter(cols.clone()).expect("batch");
    let data = dataset_from_batches(master(), &[b], Strictness::Strict).expect("decimal");
    assert_eq!(data.summary().expect("summary").totals.net_revenue, 2500);

    let too_fine = Decimal128Array::from(vec![30_001, 5_000, -10_000])
        .with_precision_and_scale(18, 3)
        .expect("dec");
    cols[10].1 = Arc::new(too_fine);
    let b = RecordBatch::try_from_iter(cols.clone()).expect("b");
    let err = dataset_from_batches(master(), &[b], Strictness::Strict).expect_err("too fine");
    assert!(err.to_string().contains("decimal digits"), "{err}");

    cols[10].1 = Arc::new(Float64Array::from(vec![30.0, 5.0, -10.0]));
    let b = RecordBatch::try_from_iter(cols).expect("b");
    let err = dataset_from_batches(master(), &[b], Strictness::Lenient).expect_err("floats");
    assert!(err.to_string().contains("floating point"), "{err}");
}

#[test]
fn dictionary_ids_and_uint32_codes() {
    let mut dict = StringDictionaryBuilder::<Int32Type>::new();
    for v in ["TEA", "CUP", "TEA"] {
        dict.append_value(v);
    }
    let b = RecordBatch::try_from_iter([
        (
            "order",
            Arc::new(UInt32Array::from(vec![10, 11, 12])) as ArrayRef,
        ),
        (
            "line",
            Arc::new(UInt32Array::from(vec![1, 1, 1])) as ArrayRef,
        ),
        ("date", s(&["2024-10-01", "2024-10-02", "2024-10-03"])),
        ("customer", s(&["C1", "C2", "C1"])),
        (
            "channel",
            Arc::new(UInt32Array::from(vec![0, 0, 1])) as ArrayRef,
        ),
        ("product", Arc::new(dict.finish()) as ArrayRef),
        (
            "territory",
            Arc::new(UInt32Array::from(vec![0, 0, 1])) as ArrayRef,
        ),
        (
            "quantity",
            Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
        ),
        (
            "unit_price",
            Arc::new(Int64Array::from(vec![1000, 500, 1000])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![1000, 1000, 3000])) as ArrayRef,
        ),
    ])
    .expect("batch");
    let data = dataset_from_batches(master(), &[b], Strictness::Strict).expect("load");
    let c = &data.transactions.chunks[0];
    assert!(c.channel.is_shared() && c.territory.is_shared() && c.order.is_shared());
    assert_eq!(data.transactions.order_id(11), "11");
    let summary = data.summary().expect("summary");
    assert_eq!(summary.by_channel.len(), 2);
    assert_eq!(summary.totals.orders, 3);

    let bad = RecordBatch::try_from_iter([
        ("order", Arc::new(UInt32Array::from(vec![1])) as ArrayRef),
        ("line", Arc::new(UInt32Array::from(vec![1])) as ArrayRef),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000])) as ArrayRef,
        ),
        ("customer", s(&["C1"])),
        ("channel", Arc::new(UInt32Array::from(vec![7])) as ArrayRef),
        ("product", s(&["TEA"])),
        ("territory", s(&["CN"])),
        ("quantity", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        (
            "unit_price",
            Arc::new(Int64Array::from(vec![1])) as ArrayRef,
        ),
        ("amount", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
    ])
    .expect("batch");
    let err = dataset_from_batches(master(), &[bad], Strictness::Strict).expect_err("range");
    assert!(err.to_string().contains("channel code 7"), "{err}");
}

#[test]
fn missing_columns_and_dates_out_of_range() {
    let b = RecordBatch::try_from_iter([("order", s(&["O1"]))]).expect("batch");
    let err = dataset_from_batches(master(), &[b], Strictness::Lenient).expect_err("missing");
    assert!(
        matches!(err, Error::MissingColumn { ref column, .. } if column == "line"),
        "{err}"
    );

    let b = batch(vec![3, 1, -1], vec![3000, 500, -1000]);
    let mut cols: Vec<ArrayRef> = b.columns().to_vec();
    cols[2] = Arc::new(Date32Array::from(vec![20_000, 200_000, 20_002]));
    let b = RecordBatch::try_new(b.schema(), cols).expect("batch");
    let data = dataset_from_batches(master(), &[b], Strictness::Lenient).expect("lenient");
    assert_eq!(
        data.rejections.rejections[0].reason,
        RejectReason::DateOutOfRange
    );
    assert_eq!(data.transactions.len(), 2);
}

#[test]
fn summary_exports_as_decimal_batches() {
    let b = batch(vec![3, 1, -1], vec![3000, 500, -1000]);
    let data = dataset_from_batches(master(), &[b], Strictness::Strict).expect("load");
    let s = data.summary().expect("summary");
    let b = summary_batches(&s).expect("export");
    assert_eq!(b.by_channel.num_rows(), 2);
    assert_eq!(b.totals.num_rows(), 1);
    let net = b.totals.column_by_name("net_revenue").expect("col");
    let net = net
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .expect("decimal");
    assert_eq!(net.value_as_string(0), "25.00");
    let schema = b.totals.schema();
    assert_eq!(
        schema.metadata().get("currency").map(String::as_str),
        Some("CNY")
    );
}

#[test]
fn transactions_export_and_reimport_agree() {
    let b = batch(vec![3, 1, -1], vec![3000, 500, -1000]);
    let data = dataset_from_batches(master(), &[b], Strictness::Strict).expect("load");
    let out =
        qudao::arrow::transactions_batch(&data, &data.transactions.chunks[0]).expect("export");
    assert_eq!(out.num_rows(), 3);
    let again = dataset_from_batches(master(), &[out], Strictness::Strict).expect("reimport");
    assert_eq!(
        again.summary().expect("s").by_partner,
        data.summary().expect("s").by_partner
    );
}

#[test]
fn an_order_has_one_customer() {
    let b = RecordBatch::try_from_iter([
        ("order", s(&["O1", "O1"])),
        ("line", Arc::new(UInt32Array::from(vec![1, 2])) as ArrayRef),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000, 20_000])) as ArrayRef,
        ),
        ("customer", s(&["C1", "C2"])),
        ("channel", s(&["web", "web"])),
        ("product", s(&["TEA", "CUP"])),
        ("territory", s(&["CN", "CN"])),
        (
            "quantity",
            Arc::new(Int64Array::from(vec![1, 1])) as ArrayRef,
        ),
        (
            "unit_price",
            Arc::new(Int64Array::from(vec![1000, 500])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![1000, 500])) as ArrayRef,
        ),
    ])
    .expect("batch");
    let err = dataset_from_batches(master(), &[b], Strictness::Strict).expect_err("two customers");
    assert!(
        err.to_string()
            .contains("already belongs to customer \"C1\""),
        "{err}"
    );
}

#[test]
fn all_null_dictionary_ids_are_direct_sales() {
    // What polars gives for a categorical column filtered to nulls: no dictionary values.
    let keys = arrow_array::Int32Array::from(vec![None, None, None]);
    let values = Arc::new(StringArray::from(Vec::<&str>::new()));
    let partner = arrow_array::DictionaryArray::<Int32Type>::try_new(keys, values).expect("dict");
    let b = batch(vec![3, 1, -1], vec![3000, 500, -1000]);
    let mut cols: Vec<ArrayRef> = b.columns().to_vec();
    let mut fields: Vec<arrow_schema::FieldRef> = b.schema().fields().iter().cloned().collect();
    cols[4] = Arc::new(partner);
    fields[4] = Arc::new(arrow_schema::Field::new(
        "partner",
        cols[4].data_type().clone(),
        true,
    ));
    let b = RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), cols).expect("batch");
    let data = dataset_from_batches(master(), &[b], Strictness::Strict).expect("load");
    let s = data.summary().expect("summary");
    assert_eq!(s.by_partner.len(), 1);
    assert_eq!(s.by_partner[0].key, "", "all direct");
}

#[test]
fn an_excessive_return_is_reported_at_its_own_row_after_other_rows_were_rejected() {
    let b = RecordBatch::try_from_iter([
        ("order", s(&["O1", "O2", "O3", "R1"])),
        (
            "line",
            Arc::new(UInt32Array::from(vec![1, 1, 1, 1])) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(vec![20_000, 20_001, 20_002, 20_003])) as ArrayRef,
        ),
        ("customer", s(&["C1", "C2", "C3", "C1"])),
        ("channel", s(&["web", "nope", "web", "web"])),
        ("product", s(&["TEA", "CUP", "TEA", "TEA"])),
        ("territory", s(&["CN", "CN", "CN", "CN"])),
        (
            "quantity",
            Arc::new(Int64Array::from(vec![1, 1, 1, -5])) as ArrayRef,
        ),
        (
            "unit_price",
            Arc::new(Int64Array::from(vec![1000, 500, 1000, 1000])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![1000, 500, 1000, -5000])) as ArrayRef,
        ),
        (
            "original_order",
            Arc::new(StringArray::from(vec![None, None, None, Some("O1")])) as ArrayRef,
        ),
    ])
    .expect("batch");
    let data = dataset_from_batches(master(), &[b], Strictness::Lenient).expect("lenient");
    let lines: Vec<_> = data
        .rejections
        .rejections
        .iter()
        .map(|r| (r.location.line, r.reason))
        .collect();
    assert_eq!(
        lines,
        vec![
            (2, RejectReason::UnknownReference),
            (4, RejectReason::ReturnExceedsSale)
        ]
    );
    assert_eq!(data.transactions.len(), 2);
}

#[test]
fn a_return_is_checked_against_sales_in_other_batches() {
    // A table read from Parquet arrives as one batch per row group: the sale of order O1 is
    // in the first batch, its return in the second.
    let b = batch(vec![3, 1, -2], vec![3000, 500, -2000]);
    let (first, second) = (b.slice(0, 2), b.slice(2, 1));
    let data = dataset_from_batches(
        master(),
        &[first.clone(), second.clone()],
        Strictness::Strict,
    )
    .expect("the return's sale is in batch 0");
    assert_eq!(data.transactions.len(), 3);
    assert_eq!(data.summary().expect("summary").totals.returns, 2000);

    // Too much returned is still caught across batches, at the return's own batch and row.
    let b = batch(vec![3, 1, -4], vec![3000, 500, -4000]);
    let batches = [b.slice(0, 2), b.slice(2, 1)];
    let err = dataset_from_batches(master(), &batches, Strictness::Strict).expect_err("strict");
    assert!(err.to_string().contains("returns 4 units"), "{err}");
    let data = dataset_from_batches(master(), &batches, Strictness::Lenient).expect("lenient");
    let r = &data.rejections.rejections[0];
    assert_eq!(
        (r.location.source.as_str(), r.location.line, r.reason),
        ("transactions batch 1", 1, RejectReason::ReturnExceedsSale)
    );
    assert_eq!(data.transactions.len(), 2);
}
