//! The committed JSON Schema of the rebate program book matches the types.

use qudao::document::RuleDocument;
use qudao::rebate::ProgramBook;

#[test]
fn schema_file_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/rebate-program-book.schema.json");
    let schema = format!("{}\n", <ProgramBook as RuleDocument>::json_schema());
    if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir schemas");
        std::fs::write(&path, &schema).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema,
        "{} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --test rebate_schema\nand commit it",
        path.display()
    );
}

#[test]
fn sample_book_round_trips_through_json() {
    let book = ProgramBook::sample_company();
    assert_eq!(book.id, "minghe-2025");
    let json = serde_json::to_string_pretty(&book).expect("serialises");
    assert_eq!(ProgramBook::from_json(&json).expect("parses"), book);
}
