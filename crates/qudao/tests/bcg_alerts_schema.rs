//! The committed JSON Schemas of the BCG options and the warning rules match the types.

use qudao::document::RuleDocument;
use qudao::evaluation::alerts::WarningRules;
use qudao::evaluation::bcg::BcgOptions;

fn check<T: RuleDocument>(file: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(file);
    let schema = format!("{}\n", <T as RuleDocument>::json_schema());
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir schemas");
        std::fs::write(&path, &schema).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "{} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --test bcg_alerts_schema\nand commit it",
        path.display()
    );
}

#[test]
fn bcg_options_schema_is_current() {
    check::<BcgOptions>("bcg-options.schema.json");
}

#[test]
fn warning_rules_schema_is_current() {
    check::<WarningRules>("warning-rules.schema.json");
}

#[test]
fn samples_round_trip_through_json() {
    let bcg = BcgOptions::sample_company();
    assert_eq!(bcg.id, "minghe-bcg");
    assert_eq!(BcgOptions::from_json(&bcg.to_json()).expect("parses"), bcg);
    let rules = WarningRules::sample_company();
    assert_eq!(rules.id, "minghe-warnings");
    assert_eq!(
        WarningRules::from_json(&rules.to_json()).expect("parses"),
        rules
    );
}
