//! The committed JSON Schema of the attribution settings matches the type, and the defaults
//! round-trip.

use qudao::attribution::{AttributionSettings, Model, Repeats};
use qudao::document::RuleDocument;

#[test]
fn attribution_settings_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/attribution-settings.schema.json");
    let schema = format!("{}\n", <AttributionSettings as RuleDocument>::json_schema());
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &schema).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "{} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --test attribution_schema\nand commit it",
        path.display()
    );
}

#[test]
fn settings_round_trip_through_json_toml_and_yaml() {
    let mut s = AttributionSettings::default();
    s.markov.order = 2;
    s.markov.repeats = Repeats::Keep;
    s.models = vec![Model::Markov, Model::Linear];
    assert_eq!(
        AttributionSettings::from_json(&s.to_json()).expect("json"),
        s
    );
    let yaml = serde_norway::to_string(&s).expect("yaml");
    assert_eq!(
        AttributionSettings::from_yaml(&yaml).expect("yaml parses"),
        s
    );
    let toml = "schema_version = 1\nlookback_days = 14\nhalf_life_days = \"3.5\"\nmodels = [\"markov\", \"shapley\"]\n[markov]\norder = 3\n[position]\nfirst = \"0.3\"\nmiddle = \"0.4\"\nlast = \"0.3\"\n";
    let t = AttributionSettings::from_toml(toml).expect("toml");
    assert_eq!(t.lookback_days, 14);
    assert_eq!(t.markov.order, 3);
    assert_eq!(t.markov.repeats, Repeats::Collapse);
    assert_eq!(t.half_life_days.to_string(), "3.5");
    assert_eq!(t.models, [Model::Markov, Model::Shapley]);
}

#[test]
fn unknown_fields_and_models_are_rejected_with_their_path() {
    let e = AttributionSettings::from_json(r#"{"schema_version": 1, "markov": {"ordr": 2}}"#)
        .expect_err("typo");
    assert!(e.to_string().contains("ordr"), "{e}");
    let e =
        AttributionSettings::from_json(r#"{"schema_version": 1, "models": ["linear", "magic"]}"#)
            .expect_err("unknown model");
    assert!(e.to_string().contains("models[1]"), "{e}");
    let e = AttributionSettings::from_json(r#"{"schema_version": 2}"#).expect_err("version");
    assert!(e.to_string().starts_with("schema_version"), "{e}");
}
