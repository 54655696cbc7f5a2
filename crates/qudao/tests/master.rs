//! Master data documents: field-path errors, hierarchy checks, the price list.

use qudao::master::{MasterData, MasterDocument, Origins};
use qudao::reject::{RejectReason, RejectionReport};
use qudao::{Date, Error, Strictness};

const BASE: &str = r#"{
  "currency": "CNY",
  "territories": [
    {"id": "CN", "level": "country"},
    {"id": "CN-E", "level": "region", "parent": "CN"},
    {"id": "ZJ", "level": "province", "parent": "CN-E"},
    {"id": "ZJ-HZ", "level": "city", "parent": "ZJ"},
    {"id": "JS", "level": "province", "parent": "CN-E"}
  ],
  "channels": [
    {"id": "web", "kind": "direct", "presence": "online", "role": "main"},
    {"id": "dist", "kind": "distribution", "presence": "offline", "role": "main"}
  ],
  "partners": [
    {"id": "GA", "model": "distribution", "grade": "general_agent", "territories": [{"territory": "CN-E"}]},
    {"id": "D1", "model": "distribution", "parent": "GA", "territories": [{"territory": "ZJ", "exclusive": true}],
     "onboarding": {"licence_held": true, "years_in_industry": 5, "registered_capital": "1000000.00", "brand_alignment": [4, 5]},
     "status": [{"status": "prospect", "since": "2023-01-01"}, {"status": "active", "since": "2023-03-01"}]}
  ],
  "products": [{"id": "TEA", "category": "drinks", "list_price": "100.00"}],
  "prices": [
    {"product": "TEA", "retail_price": "100.00", "floor_price": "80.00", "valid_to": "2024-12-31"},
    {"product": "TEA", "retail_price": "110.00", "floor_price": "88.00", "valid_from": "2025-01-01"},
    {"product": "TEA", "territory": "ZJ", "retail_price": "105.00", "floor_price": "90.00", "valid_from": "2025-01-01"},
    {"product": "TEA", "channel": "web", "retail_price": "99.00", "floor_price": "85.00"}
  ]
}"#;

fn doc(edit: impl FnOnce(&mut serde_json::Value)) -> Result<MasterData, Error> {
    let mut v: serde_json::Value = serde_json::from_str(BASE).expect("base json");
    edit(&mut v);
    MasterData::new(MasterDocument::from_json(&v.to_string())?)
}

fn day(s: &str) -> Date {
    s.parse().expect("date")
}

#[test]
fn resolves_trees_grants_and_money() {
    let m = doc(|_| {}).expect("valid");
    let d1 = m.partners.code("D1").expect("D1");
    let ga = m.partners.code("GA").expect("GA");
    assert_eq!(m.partners.tree.parent(d1), Some(ga));
    assert_eq!(m.partners.registered_capital(d1), Some(100_000_000));
    let hz = m.territories.code("ZJ-HZ").expect("HZ");
    let js = m.territories.code("JS").expect("JS");
    assert!(
        m.is_authorised(d1, hz),
        "a city inside the authorised province"
    );
    assert!(!m.is_authorised(d1, js));
    assert!(m.is_authorised(ga, js), "the region covers both provinces");
    let p = &m.partners.records()[d1 as usize];
    assert_eq!(
        p.status_on(day("2023-02-01")),
        Some(qudao::model::PartnerStatus::Prospect)
    );
    assert_eq!(
        p.status_on(day("2024-01-01")),
        Some(qudao::model::PartnerStatus::Active)
    );
    assert_eq!(p.status_on(day("2022-01-01")), None);
}

#[test]
fn price_lookup_prefers_channel_then_deepest_territory_and_respects_validity() {
    let m = doc(|_| {}).expect("valid");
    let tea = m.products.code("TEA").expect("tea");
    let web = m.channels.code("web").expect("web");
    let dist = m.channels.code("dist").expect("dist");
    let hz = m.territories.code("ZJ-HZ").expect("hz");
    let js = m.territories.code("JS").expect("js");
    let t = &m.territories.tree;
    let retail = |ch, terr, d: &str| {
        m.prices
            .lookup(t, tea, ch, terr, day(d))
            .map(|r| r.retail_price)
    };
    assert_eq!(
        retail(dist, js, "2024-12-31"),
        Some(10_000),
        "last valid day of the old price"
    );
    assert_eq!(
        retail(dist, js, "2025-01-01"),
        Some(11_000),
        "first valid day of the new price"
    );
    assert_eq!(
        retail(dist, hz, "2025-01-01"),
        Some(10_500),
        "the province entry covers its city"
    );
    assert_eq!(
        retail(dist, hz, "2024-06-01"),
        Some(10_000),
        "before the province entry starts"
    );
    assert_eq!(
        retail(web, hz, "2025-06-01"),
        Some(9_900),
        "a channel entry beats a territory entry"
    );
}

#[test]
fn errors_name_the_field_path() {
    let err = doc(|v| v["partners"][1]["territories"][0]["territory"] = "XX".into())
        .expect_err("unknown");
    assert!(
        matches!(&err, Error::Document { path, .. } if path == "partners[1].territories"),
        "{err}"
    );
    assert!(
        err.to_string().contains("unknown territory \"XX\""),
        "{err}"
    );

    let err = doc(|v| v["products"][0]["list_price"] = "1.005".into()).expect_err("decimals");
    assert!(
        matches!(&err, Error::Document { path, .. } if path == "products[0].list_price"),
        "{err}"
    );

    let err = doc(|v| v["channels"][1]["kind"] = "carrier_pigeon".into()).expect_err("enum");
    assert!(
        matches!(&err, Error::Document { path, .. } if path == "channels[1].kind"),
        "{err}"
    );

    let err = doc(|v| v["territories"][4]["id"] = "ZJ".into()).expect_err("dup");
    assert!(err.to_string().contains("duplicate id \"ZJ\""), "{err}");

    let err = doc(|v| v["prices"][0]["floor_price"] = "120.00".into()).expect_err("floor");
    assert!(
        matches!(&err, Error::Document { path, .. } if path == "prices[0].floor_price"),
        "{err}"
    );

    let err = doc(|v| v["prices"][1]["valid_from"] = "2024-12-31".into()).expect_err("overlap");
    assert!(err.to_string().contains("overlaps price entry 0"), "{err}");

    let err = doc(|v| v["partners"][1]["onboarding"]["brand_alignment"] = serde_json::json!([6]))
        .expect_err("scale");
    assert!(err.to_string().contains("1–5"), "{err}");

    let err = MasterDocument::from_json("{\"territories\": [}").expect_err("syntax");
    assert!(matches!(err, Error::Parse { format: "json", .. }), "{err}");
}

#[test]
fn cycles_are_errors_in_both_modes() {
    let cyc = |v: &mut serde_json::Value| {
        v["territories"][0]["parent"] = "ZJ-HZ".into();
    };
    let err = doc(cyc).expect_err("cycle");
    assert!(err.to_string().contains("cycle"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(BASE).expect("json");
    cyc(&mut v);
    let d = MasterDocument::from_json(&v.to_string()).expect("parse");
    let mut report = RejectionReport::default();
    let res = MasterData::build(d, Strictness::Lenient, &Origins::default(), &mut report);
    assert!(res.is_err());
}

#[test]
fn lenient_mode_drops_bad_records_and_their_dependants() {
    let mut v: serde_json::Value = serde_json::from_str(BASE).expect("json");
    v["partners"][0]["territories"][0]["territory"] = "NOWHERE".into();
    let d = MasterDocument::from_json(&v.to_string()).expect("parse");
    let mut report = RejectionReport::default();
    let (m, kept) = MasterData::build(d, Strictness::Lenient, &Origins::default(), &mut report)
        .expect("lenient");
    assert_eq!(
        m.partners.len(),
        0,
        "GA is rejected, and D1 with it (its parent)"
    );
    assert_eq!(kept["partners"], Vec::<usize>::new());
    assert_eq!(report.total_for("partners"), 2);
    let reasons: Vec<_> = report.rejections.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        vec![
            RejectReason::UnknownReference,
            RejectReason::UnknownReference
        ]
    );
}

#[test]
fn toml_and_yaml_documents() {
    let toml = r#"
currency = { code = "JPY", exponent = 0 }
[[territories]]
id = "JP"
level = "country"
[[products]]
id = "X"
category = "c"
list_price = "120"
"#;
    let m = MasterData::new(MasterDocument::from_toml(toml).expect("toml")).expect("valid");
    assert_eq!(m.products.list_price(0), 120);
    let err = MasterData::new(
        MasterDocument::from_toml(&toml.replace("\"120\"", "\"120.5\"")).expect("toml"),
    )
    .expect_err("JPY has no minor unit");
    assert!(
        err.to_string().contains("more than 0 decimal digits"),
        "{err}"
    );

    let yaml = "territories:\n  - id: CN\n    level: country\nchannels:\n  - id: web\n    kind: live_stream\n    presence: online\n    role: auxiliary\n";
    let m = MasterData::new(MasterDocument::from_yaml(yaml).expect("yaml")).expect("valid");
    assert_eq!(
        m.channels.records()[0].kind,
        qudao::model::ChannelKind::LiveStream
    );
    let err =
        MasterDocument::from_yaml("channels:\n  - id: web\n    kind: nope\n").expect_err("bad");
    assert!(
        matches!(&err, Error::Document { path, .. } if path.starts_with("channels[0]")),
        "{err}"
    );
}

#[test]
fn documents_round_trip() {
    let m = doc(|_| {}).expect("valid");
    let again = MasterData::new(m.to_document()).expect("round trip");
    assert_eq!(m.to_document(), again.to_document());
}
