/* Rebates: the sample company's programs settled over the bundled sample, statement columns,
 * the ledger fed back, field-path errors of a bad book, NULL arguments.
 * Usage: test_rebate <repo root> */
#include <stdlib.h>

#include "harness.h"

static char root[4096];

/* A book whose second band starts above the first's `to`: a gap. */
static const char *const GAP_BOOK =
    "{\"schema_version\": 1, \"id\": \"gap\", \"currency\": \"CNY\", \"programs\": [{"
    "\"id\": \"p\", \"name\": {\"en\": \"P\", \"zh\": \"P\"},"
    "\"valid_from\": \"2025-01-01\", \"valid_to\": \"2025-12-31\","
    "\"calendar\": {\"period\": \"quarter\"}, \"participants\": {\"models\": [\"distribution\"]},"
    "\"measure\": \"net_revenue\", \"shape\": {\"kind\": \"all_units\", \"tiers\": ["
    "{\"from\": \"0\", \"to\": \"2000\", \"rate\": \"0\"},"
    "{\"from\": \"3000\", \"rate\": \"0.02\"}]},"
    "\"rounding\": {\"mode\": \"half_up\", \"point\": \"period\"}}]}";

static const qudao_dataset *load_sample(void) {
  char dir[8192];
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  snprintf(dir, sizeof dir, "%s/testdata/sample", root);
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return ds;
}

static const qudao_program_book *sample_book(void) {
  const qudao_program_book *book = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_program_book_sample(&book, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return book;
}

static const qudao_settlement *settle(const qudao_dataset *ds, const qudao_program_book *book,
                                      const qudao_rebate_inputs *inputs) {
  const qudao_settlement *s = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-12-31"), inputs, &s, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return s;
}

static int str_is(qudao_str s, const char *text) {
  return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static void test_free_null(void) {
  qudao_program_book_free(NULL);
  qudao_settlement_free(NULL);
  qudao_rebate_inputs_init(NULL);
  CHECK(qudao_program_book_clone(NULL) == NULL);
  CHECK(qudao_settlement_clone(NULL) == NULL);
  CHECK(qudao_settlement_len(NULL) == 0);
}

/* Settle the sample; the money the lines pay is the entitlement of the final lines. */
static void test_settle_sample(void) {
  const qudao_dataset *ds = load_sample();
  const qudao_program_book *book = sample_book();
  const qudao_settlement *s = settle(ds, book, NULL);
  qudao_statement_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  size_t n = qudao_settlement_len(s), i, finals = 0, dist = 0;
  int64_t *amount = calloc(n ? n : 1, sizeof *amount);
  int64_t *entitlement = calloc(n ? n : 1, sizeof *entitlement);
  qudao_entry_kind *kind_code = calloc(n ? n : 1, sizeof *kind_code);
  qudao_payout *payout = calloc(n ? n : 1, sizeof *payout);
  qudao_str *program = calloc(n ? n : 1, sizeof *program);
  qudao_str *kind = calloc(n ? n : 1, sizeof *kind);
  qudao_str *period = calloc(n ? n : 1, sizeof *period);
  int32_t *through = calloc(n ? n : 1, sizeof *through);
  int64_t paid = 0, owed = 0;
  int32_t last_day = 0;

  /* The settlement holds what it reports: data set and book may go first. */
  qudao_program_book_free(book);
  qudao_dataset_free(ds);
  CHECK(s != NULL);
  CHECK(n > 0);

  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.amount = amount;
  cols.entitlement = entitlement;
  cols.kind_code = kind_code;
  cols.payout = payout;
  cols.program = program;
  cols.kind = kind;
  cols.period = period;
  cols.through = through;
  CHECK_STATUS(qudao_settlement_columns(s, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_date_parse(TEXT("2025-12-31"), &last_day, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  for (i = 0; i < n; i++) {
    if (payout[i] == QUDAO_PAYOUT_MONEY) {
      paid += amount[i];
      if (kind_code[i] == QUDAO_ENTRY_KIND_FINAL) {
        owed += entitlement[i];
      }
    }
    if (kind_code[i] == QUDAO_ENTRY_KIND_FINAL) {
      finals += str_is(kind[i], "final");
    }
    if (str_is(program[i], "dist-volume") && str_is(period[i], "2025-Q4") &&
        through[i] == last_day) {
      dist++;
    }
  }
  CHECK(paid > 0);
  CHECK(paid == owed);
  CHECK(finals > 0);
  CHECK(dist > 0); /* the distributors' fourth quarter is settled through 2025-12-31 */

  /* A wrong row count writes nothing. */
  cols.rows = n + 1;
  amount[0] = -12345;
  CHECK_STATUS(qudao_settlement_columns(s, &cols, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "cols->rows"));
  CHECK(amount[0] == -12345);
  qudao_error_free(err);
  err = NULL;

  CHECK_STATUS(qudao_settlement_json(s, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"statements\""));
  CHECK(h_bytes_have(json, "\"currency\": \"CNY\""));
  qudao_bytes_free(json);

  free(amount);
  free(entitlement);
  free(kind_code);
  free(payout);
  free(program);
  free(kind);
  free(period);
  free(through);
  qudao_settlement_free(s);
}

/* The ledger of a run, fed back, makes the next run pay nothing new. */
static void test_ledger_round_trip(void) {
  const qudao_dataset *ds = load_sample();
  const qudao_program_book *book = sample_book();
  const qudao_settlement *first = settle(ds, book, NULL);
  const qudao_settlement *second = NULL;
  qudao_bytes *ledger = NULL, *after = NULL, *accrual = NULL;
  qudao_error *err = NULL;
  qudao_rebate_inputs inputs;

  CHECK_STATUS(qudao_settlement_ledger_json(first, NULL, 0, &ledger, &err), QUDAO_STATUS_OK,
               err);
  qudao_error_free(err);
  err = NULL;
  CHECK(h_bytes_have(ledger, "\"kind\": \"final\""));

  qudao_rebate_inputs_init(&inputs);
  inputs.ledger_json.ptr = qudao_bytes_data(ledger);
  inputs.ledger_json.len = qudao_bytes_len(ledger);
  second = settle(ds, book, &inputs);
  CHECK(second != NULL);
  CHECK(qudao_settlement_len(second) == 0);

  /* Nothing new was issued: the ledger after the second run is the same text. */
  CHECK_STATUS(qudao_settlement_ledger_json(second, qudao_bytes_data(ledger),
                                            qudao_bytes_len(ledger), &after, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(qudao_bytes_len(after) == qudao_bytes_len(ledger));
  CHECK(memcmp(qudao_bytes_data(after), qudao_bytes_data(ledger), qudao_bytes_len(ledger)) == 0);

  /* Accrual with the same ledger: what has been paid shows. */
  CHECK_STATUS(qudao_rebate_accrue_json(ds, book, TEXT("2025-11-15"), &inputs, &accrual, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  CHECK(h_bytes_have(accrual, "\"lines\""));
  CHECK(h_bytes_have(accrual, "\"earned\""));

  qudao_bytes_free(accrual);
  qudao_bytes_free(after);
  qudao_bytes_free(ledger);
  qudao_settlement_free(second);
  qudao_settlement_free(first);
  qudao_program_book_free(book);
  qudao_dataset_free(ds);
}

static void test_bad_book(void) {
  const qudao_program_book *book = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  doc.text = (const uint8_t *)GAP_BOOK;
  doc.len = strlen(GAP_BOOK);
  doc.format = QUDAO_FORMAT_JSON;
  CHECK_STATUS(qudao_program_book_parse(&doc, &book, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(book == NULL); /* out-params are written only on success */
  CHECK(h_message_has(err, "programs[0].shape.tiers[1].from"));
  qudao_error_free(err);
}

static void test_bad_inputs(void) {
  const qudao_dataset *ds = load_sample();
  const qudao_program_book *book = sample_book();
  const qudao_settlement *s = NULL;
  qudao_error *err = NULL;
  qudao_rebate_inputs inputs;
  static const char *const findings =
      "[{\"id\": \"F1\", \"kind\": \"cross_region\", \"partner\": \"NOPE\","
      " \"date\": \"2025-03-01\"}]";

  qudao_rebate_inputs_init(&inputs);
  inputs.findings_json.ptr = (const uint8_t *)findings;
  inputs.findings_json.len = strlen(findings);
  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-12-31"), &inputs, &s, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "findings[0].partner"));
  qudao_error_free(err);
  err = NULL;

  inputs.findings_json.ptr = (const uint8_t *)"[{";
  inputs.findings_json.len = 2;
  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-12-31"), &inputs, &s, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "inputs->findings_json"));
  qudao_error_free(err);
  err = NULL;

  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-02-30"), NULL, &s, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "as_of"));
  qudao_error_free(err);
  err = NULL;

  inputs.findings_json.len = 0;
  inputs.struct_size = 3;
  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-12-31"), &inputs, &s, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "struct_size"));
  qudao_error_free(err);
  CHECK(s == NULL);

  qudao_program_book_free(book);
  qudao_dataset_free(ds);
}

static void test_null_arguments(void) {
  const qudao_dataset *ds = load_sample();
  const qudao_program_book *book = sample_book();
  const qudao_settlement *s = NULL;
  qudao_bytes *b = NULL;
  qudao_error *err = NULL;
  qudao_statement_columns cols;

  CHECK_STATUS(qudao_rebate_settle(NULL, book, TEXT("2025-12-31"), NULL, &s, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`ds`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_rebate_settle(ds, NULL, TEXT("2025-12-31"), NULL, &s, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`book`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_rebate_settle(ds, book, NULL, 10, NULL, &s, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`as_of`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-12-31"), NULL, NULL, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`out`"));
  qudao_error_free(err);
  err = NULL;
  CHECK(s == NULL);

  CHECK_STATUS(qudao_program_book_parse(NULL, &book, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`doc`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_program_book_sample(NULL, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_program_book_warnings_json(NULL, &b, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_rebate_accrue_json(ds, book, TEXT("2025-12-31"), NULL, NULL, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_settlement_json(NULL, &b, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_settlement_ledger_json(NULL, NULL, 0, &b, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  CHECK_STATUS(qudao_settlement_columns(NULL, &cols, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  CHECK(b == NULL);
  /* Without an error out-param the status still tells, and nothing leaks. */
  CHECK(qudao_rebate_settle(NULL, NULL, NULL, 0, NULL, NULL, NULL) ==
        QUDAO_STATUS_NULL_ARGUMENT);

  /* The warnings of the sample book: none. */
  err = NULL;
  CHECK_STATUS(qudao_program_book_warnings_json(book, &b, &err), QUDAO_STATUS_OK, err);
  CHECK(b != NULL && qudao_bytes_data(b)[0] == '[');
  qudao_bytes_free(b);

  qudao_program_book_free(book);
  qudao_dataset_free(ds);
}

int main(int argc, char **argv) {
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_free_null();
  test_settle_sample();
  test_ledger_round_trip();
  test_bad_book();
  test_bad_inputs();
  test_null_arguments();
  return h_finish();
}
