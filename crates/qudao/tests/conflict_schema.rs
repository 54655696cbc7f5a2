//! The committed JSON Schema of the conflict policy matches the type, and the sample policy
//! round-trips.

use qudao::conflict::ConflictPolicy;
use qudao::document::RuleDocument;

#[test]
fn conflict_policy_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/conflict-policy.schema.json");
    let schema = format!("{}\n", <ConflictPolicy as RuleDocument>::json_schema());
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &schema).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "{} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --test conflict_schema\nand commit it",
        path.display()
    );
}

#[test]
fn sample_policy_round_trips_through_json_and_yaml() {
    let p = ConflictPolicy::sample_company();
    assert_eq!(p.id, "minghe-conflict");
    assert_eq!(p.promotion_depth.promotions.len(), 1);
    assert_eq!(ConflictPolicy::from_json(&p.to_json()).expect("json"), p);
    let yaml = serde_norway::to_string(&p).expect("yaml");
    assert_eq!(ConflictPolicy::from_yaml(&yaml).expect("yaml parses"), p);
}

#[test]
fn an_empty_policy_runs_every_detector_with_defaults() {
    let p = ConflictPolicy::from_json(r#"{"schema_version": 1, "id": "x"}"#).expect("parses");
    assert_eq!(
        p,
        ConflictPolicy {
            id: "x".into(),
            ..ConflictPolicy::default()
        }
    );
    assert!(qudao::conflict::Detector::ALL.iter().all(|&d| p.enabled(d)));
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let e =
        ConflictPolicy::from_toml("schema_version = 1\nid = \"x\"\n[undercutting]\ngapp = \"0.1\"")
            .expect_err("typo");
    assert!(e.to_string().contains("gapp"), "{e}");
}
