/* Every failure gives the right status and a message naming what to fix.
 * Usage: test_errors <repo root> */
#include <stdlib.h>

#include "harness.h"

static char root[4096];

static void test_missing_dir(void) {
  char dir[8192];
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  snprintf(dir, sizeof dir, "%s/no/such/dataset", root);
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_IO_ERROR,
               err);
  CHECK(ds == NULL); /* out-params are written only on success */
  CHECK(err != NULL);
  CHECK(qudao_error_status(err) == QUDAO_STATUS_IO_ERROR);
  CHECK(h_message_has(err, "no/such/dataset"));
  {
    size_t len = 0;
    const char *m = qudao_error_message(err, &len);
    CHECK(len == strlen(m) && len > 0);
  }
  qudao_error_free(err);

  /* Without an error out-param the status still tells, and nothing leaks. */
  CHECK(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, NULL) == QUDAO_STATUS_IO_ERROR);
}

static void test_bad_utf8(void) {
  static const uint8_t bad[] = {'t', 'e', 's', 't', 0xff, 0xfe};
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_dataset_load_csv_dir(bad, sizeof bad, NULL, &ds, &err),
               QUDAO_STATUS_INVALID_UTF8, err);
  CHECK(h_message_has(err, "dir"));
  CHECK(h_message_has(err, "byte 4"));
  qudao_error_free(err);
}

static void test_null_arguments(void) {
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  const char *dir = "testdata/tiny";
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, NULL, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`out`"));
  qudao_error_free(err);
  err = NULL;

  CHECK_STATUS(qudao_dataset_load_csv_dir(NULL, 5, NULL, &ds, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  CHECK(h_message_has(err, "`dir`"));
  qudao_error_free(err);
  err = NULL;

  {
    qudao_bytes *json = NULL;
    CHECK_STATUS(qudao_dataset_summary_json(NULL, &json, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
    CHECK(json == NULL);
    CHECK(h_message_has(err, "`ds`"));
    qudao_error_free(err);
    err = NULL;
  }
  CHECK_STATUS(qudao_dataset_from_columns(TEXT("{}"), NULL, NULL, &ds, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`cols`"));
  qudao_error_free(err);
}

static void test_bad_options(void) {
  qudao_load_options opts;
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  char dir[8192];
  snprintf(dir, sizeof dir, "%s/testdata/tiny", root);

  qudao_load_options_init(&opts);
  opts.struct_size = 3;
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), &opts, &ds, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "struct_size"));
  qudao_error_free(err);
  err = NULL;

  qudao_load_options_init(&opts);
  opts.mode = 7;
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), &opts, &ds, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "mode"));
  qudao_error_free(err);
  err = NULL;

  qudao_load_options_init(&opts);
  opts.currency = (const uint8_t *)"XYZ";
  opts.currency_len = 3;
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), &opts, &ds, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "XYZ"));
  qudao_error_free(err);
  CHECK(ds == NULL);
}

static void test_bad_master(void) {
  static const char *master =
      "{\"territories\": [{\"id\": \"CN\", \"level\": \"country\"}],"
      " \"channels\": [{\"id\": \"web\", \"kind\": \"telepathy\", \"presence\": \"online\", "
      "\"role\": \"main\"}]}";
  qudao_transaction_columns cols;
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  CHECK_STATUS(qudao_dataset_from_columns(TEXT(master), &cols, NULL, &ds, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "channels[0].kind"));
  CHECK(ds == NULL);
  qudao_error_free(err);
  err = NULL;

  /* Not JSON at all. */
  CHECK_STATUS(qudao_dataset_from_columns(TEXT("{\"territories\": ["), &cols, NULL, &ds, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  qudao_error_free(err);
}

static void test_strict_data_error_in_file(void) {
  static const char *tables[] = {"channels", "territories", "partners", "products",
                                 "transactions"};
  static const char *files[] = {"testdata/tiny/channels.csv", "testdata/tiny/territories.csv",
                                "testdata/tiny/partners.csv", "testdata/tiny/products.csv",
                                "testdata/bad/unknown_refs/transactions.csv"};
  char paths_buf[5][8192];
  qudao_str t[5], p[5];
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  size_t i;
  for (i = 0; i < 5; i++) {
    snprintf(paths_buf[i], sizeof paths_buf[i], "%s/%s", root, files[i]);
    t[i].ptr = (const uint8_t *)tables[i];
    t[i].len = strlen(tables[i]);
    p[i].ptr = (const uint8_t *)paths_buf[i];
    p[i].len = strlen(paths_buf[i]);
  }
  CHECK_STATUS(qudao_dataset_load_csv_files(t, p, 5, NULL, &ds, &err), QUDAO_STATUS_DATA_ERROR,
               err);
  CHECK(ds == NULL);
  CHECK(h_message_has(err, "transactions.csv:3"));
  CHECK(h_message_has(err, "P9"));
  qudao_error_free(err);
  err = NULL;

  /* A required table left out. */
  CHECK_STATUS(qudao_dataset_load_csv_files(t, p, 4, NULL, &ds, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "transactions"));
  qudao_error_free(err);
  err = NULL;

  /* An unknown table name. */
  t[0].ptr = (const uint8_t *)"chanels";
  t[0].len = 7;
  CHECK_STATUS(qudao_dataset_load_csv_files(t, p, 5, NULL, &ds, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "chanels"));
  qudao_error_free(err);
}

#define S(text) {(const uint8_t *)(text), sizeof(text) - 1}

static void test_strict_data_error_in_columns(void) {
  static const char *master =
      "{\"territories\": [{\"id\": \"CN\", \"level\": \"country\"}],"
      " \"channels\": [{\"id\": \"web\", \"kind\": \"direct\", \"presence\": \"online\", "
      "\"role\": \"main\"}],"
      " \"products\": [{\"id\": \"TEA\", \"category\": \"drinks\", \"list_price\": \"10.00\"}]}";
  qudao_str order[2] = {S("O1"), S("O2")};
  uint32_t line[2] = {1, 1};
  int32_t date[2] = {20090, 20090};
  qudao_str customer[2] = {S("C1"), S("C1")};
  qudao_str channel[2] = {S("web"), S("shop")};
  qudao_str product[2] = {S("TEA"), S("TEA")};
  qudao_str territory[2] = {S("CN"), S("CN")};
  int64_t quantity[2] = {1, 1};
  int64_t price[2] = {1000, 1000};
  qudao_transaction_columns cols;
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = 2;
  cols.order = order;
  cols.line = line;
  cols.date = date;
  cols.customer = customer;
  cols.channel = channel;
  cols.product = product;
  cols.territory = territory;
  cols.quantity = quantity;
  cols.unit_price = price;
  cols.amount = price;
  CHECK_STATUS(qudao_dataset_from_columns(TEXT(master), &cols, NULL, &ds, &err),
               QUDAO_STATUS_DATA_ERROR, err);
  CHECK(h_message_has(err, "transactions:2"));
  CHECK(h_message_has(err, "shop"));
  qudao_error_free(err);
  err = NULL;

  /* A required column missing. */
  cols.quantity = NULL;
  CHECK_STATUS(qudao_dataset_from_columns(TEXT(master), &cols, NULL, &ds, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "cols->quantity"));
  qudao_error_free(err);
  err = NULL;
  cols.quantity = quantity;

  /* Invalid UTF-8 in a text column names the column and row. */
  {
    static const uint8_t bad[] = {0xc3, 0x28};
    channel[1].ptr = bad;
    channel[1].len = sizeof bad;
    CHECK_STATUS(qudao_dataset_from_columns(TEXT(master), &cols, NULL, &ds, &err),
                 QUDAO_STATUS_INVALID_UTF8, err);
    CHECK(h_message_has(err, "cols->channel[1]"));
    qudao_error_free(err);
    err = NULL;
  }

  /* A date outside the accepted years. */
  channel[1].ptr = (const uint8_t *)"web";
  channel[1].len = 3;
  date[1] = 200000;
  CHECK_STATUS(qudao_dataset_from_columns(TEXT(master), &cols, NULL, &ds, &err),
               QUDAO_STATUS_DATA_ERROR, err);
  CHECK(h_message_has(err, "date"));
  qudao_error_free(err);
  CHECK(ds == NULL);
}

int main(int argc, char **argv) {
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_missing_dir();
  test_bad_utf8();
  test_null_arguments();
  test_bad_options();
  test_bad_master();
  test_strict_data_error_in_file();
  test_strict_data_error_in_columns();
  return h_finish();
}
