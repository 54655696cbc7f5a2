/* Loading, summarising, building from columns, sharing across threads.
 * Usage: test_dataset <repo root> */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"

static char root[4096];

static const char *path_in(const char *rel) {
  static char buf[8192];
  snprintf(buf, sizeof buf, "%s/%s", root, rel);
  return buf;
}

static void test_version(void) {
  char want[64];
  snprintf(want, sizeof want, "%d.%d.%d", QUDAO_VERSION_MAJOR, QUDAO_VERSION_MINOR,
           QUDAO_VERSION_PATCH);
  CHECK(strcmp(qudao_version(), want) == 0);
  CHECK(strcmp(qudao_version(), QUDAO_VERSION) == 0);
}

static void test_free_null(void) {
  qudao_dataset_free(NULL);
  qudao_bytes_free(NULL);
  qudao_error_free(NULL);
  CHECK(qudao_dataset_clone(NULL) == NULL);
  CHECK(qudao_dataset_transaction_count(NULL) == 0);
  CHECK(qudao_bytes_len(NULL) == 0);
  CHECK(qudao_bytes_data(NULL) == NULL);
  CHECK(qudao_error_status(NULL) == QUDAO_STATUS_OK);
  CHECK(strcmp(qudao_error_message(NULL, NULL), "") == 0);
}

static const qudao_dataset *load_tiny(void) {
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  const char *dir = path_in("testdata/tiny");
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_OK, err);
  CHECK(err == NULL);
  qudao_error_free(err);
  return ds;
}

static void test_load_tiny(void) {
  const qudao_dataset *ds = load_tiny();
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  CHECK(ds != NULL);
  CHECK(qudao_dataset_transaction_count(ds) == 10);
  CHECK_STATUS(qudao_dataset_summary_json(ds, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(json != NULL);
  CHECK(qudao_bytes_len(json) == strlen((const char *)qudao_bytes_data(json)));
  /* Sales 646.00, returns 55.00, net 591.00 in CNY minor units. */
  CHECK(h_bytes_have(json, "\"gross_sales\": 64600"));
  CHECK(h_bytes_have(json, "\"returns\": 5500"));
  CHECK(h_bytes_have(json, "\"net_revenue\": 59100"));
  CHECK(h_bytes_have(json, "\"CNY\""));
  qudao_bytes_free(json);

  json = NULL;
  CHECK_STATUS(qudao_dataset_rejections_json(ds, &json, NULL), QUDAO_STATUS_OK, NULL);
  CHECK(h_bytes_have(json, "\"counts\": {}"));
  qudao_bytes_free(json);
  qudao_dataset_free(ds);
}

static void test_load_with_options(void) {
  qudao_load_options opts;
  const qudao_dataset *ds = NULL;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  const char *dir = path_in("testdata/tiny");
  qudao_load_options_init(&opts);
  CHECK(opts.struct_size == sizeof opts);
  CHECK(opts.mode == QUDAO_STRICTNESS_STRICT);
  opts.mode = QUDAO_STRICTNESS_LENIENT;
  opts.currency = (const uint8_t *)"CNY";
  opts.currency_len = 3;
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), &opts, &ds, &err), QUDAO_STATUS_OK, err);
  CHECK(qudao_dataset_transaction_count(ds) == 10);
  qudao_dataset_free(ds);

  /* Lenient load of a data set with unknown references: the bad lines are reported. */
  {
    static const char *tables[] = {"channels", "territories", "partners", "products",
                                   "transactions"};
    static const char *files[] = {"testdata/tiny/channels.csv", "testdata/tiny/territories.csv",
                                  "testdata/tiny/partners.csv", "testdata/tiny/products.csv",
                                  "testdata/bad/unknown_refs/transactions.csv"};
    char paths_buf[5][8192];
    qudao_str t[5], p[5];
    size_t i;
    for (i = 0; i < 5; i++) {
      snprintf(paths_buf[i], sizeof paths_buf[i], "%s/%s", root, files[i]);
      t[i].ptr = (const uint8_t *)tables[i];
      t[i].len = strlen(tables[i]);
      p[i].ptr = (const uint8_t *)paths_buf[i];
      p[i].len = strlen(paths_buf[i]);
    }
    ds = NULL;
    CHECK_STATUS(qudao_dataset_load_csv_files(t, p, 5, &opts, &ds, &err), QUDAO_STATUS_OK, err);
    CHECK(ds != NULL);
    CHECK_STATUS(qudao_dataset_rejections_json(ds, &json, &err), QUDAO_STATUS_OK, err);
    CHECK(h_bytes_have(json, "\"unknown_reference\": 4"));
    CHECK(h_bytes_have(json, "\"P9\""));
    qudao_bytes_free(json);
    qudao_dataset_free(ds);
  }
}

/* Three lines: two sales (one through partner P1) and a return of one unit. */
static const char *MASTER =
    "{\"currency\": \"CNY\","
    " \"territories\": [{\"id\": \"CN\", \"level\": \"country\"}],"
    " \"channels\": [{\"id\": \"web\", \"kind\": \"direct\", \"presence\": \"online\", \"role\": "
    "\"main\"},"
    "                {\"id\": \"dist\", \"kind\": \"distribution\", \"presence\": \"offline\", "
    "\"role\": \"main\"}],"
    " \"partners\": [{\"id\": \"P1\", \"model\": \"distribution\", \"channel\": \"dist\"}],"
    " \"products\": [{\"id\": \"TEA\", \"category\": \"drinks\", \"list_price\": \"10.00\"}]}";

#define S(text) {(const uint8_t *)(text), sizeof(text) - 1}

static void test_from_columns(void) {
  qudao_str order[3] = {S("O1"), S("O2"), S("R1")};
  uint32_t line[3] = {1, 1, 1};
  int32_t date[3] = {20090, 20091, 20092}; /* 2025-01-02 .. 2025-01-04 */
  qudao_str customer[3] = {S("C1"), S("C2"), S("C1")};
  qudao_str partner[3] = {S(""), S("P1"), S("")};
  qudao_str channel[3] = {S("web"), S("dist"), S("web")};
  qudao_str product[3] = {S("TEA"), S("TEA"), S("TEA")};
  qudao_str territory[3] = {S("CN"), S("CN"), S("CN")};
  qudao_str original[3] = {S(""), S(""), S("O1")};
  int64_t quantity[3] = {2, 5, -1};
  int64_t unit_price[3] = {1000, 900, 1000};
  int64_t amount[3] = {2000, 4500, -1000};
  int64_t cost[3] = {1200, 3000, 0};
  uint8_t cost_valid[3] = {1, 1, 0};
  qudao_transaction_columns cols;
  const qudao_dataset *ds = NULL;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;

  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = 3;
  cols.order = order;
  cols.line = line;
  cols.date = date;
  cols.customer = customer;
  cols.partner = partner;
  cols.channel = channel;
  cols.product = product;
  cols.territory = territory;
  cols.kind = NULL; /* by sign */
  cols.quantity = quantity;
  cols.unit_price = unit_price;
  cols.amount = amount;
  cols.cost = cost;
  cols.cost_valid = cost_valid;
  cols.original_order = original;

  CHECK_STATUS(qudao_dataset_from_columns(TEXT(MASTER), &cols, NULL, &ds, &err), QUDAO_STATUS_OK,
               err);
  CHECK(qudao_dataset_transaction_count(ds) == 3);
  CHECK_STATUS(qudao_dataset_summary_json(ds, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"gross_sales\": 6500"));
  CHECK(h_bytes_have(json, "\"returns\": 1000"));
  CHECK(h_bytes_have(json, "\"net_revenue\": 5500"));
  qudao_bytes_free(json);
  qudao_dataset_free(ds);

  /* The same lines with an explicit kind column. */
  {
    uint8_t kind[3] = {0, 0, 1};
    cols.kind = kind;
    ds = NULL;
    CHECK_STATUS(qudao_dataset_from_columns(TEXT(MASTER), &cols, NULL, &ds, &err),
                 QUDAO_STATUS_OK, err);
    CHECK(qudao_dataset_transaction_count(ds) == 3);
    qudao_dataset_free(ds);
    cols.kind = NULL;
  }

  /* Lenient: an unknown channel on row 2 is set aside, the rest loads. */
  {
    qudao_load_options opts;
    qudao_load_options_init(&opts);
    opts.mode = QUDAO_STRICTNESS_LENIENT;
    channel[1].ptr = (const uint8_t *)"nope";
    channel[1].len = 4;
    ds = NULL;
    CHECK_STATUS(qudao_dataset_from_columns(TEXT(MASTER), &cols, &opts, &ds, &err),
                 QUDAO_STATUS_OK, err);
    CHECK(qudao_dataset_transaction_count(ds) == 2);
    CHECK_STATUS(qudao_dataset_rejections_json(ds, &json, &err), QUDAO_STATUS_OK, err);
    CHECK(h_bytes_have(json, "\"unknown_reference\": 1"));
    qudao_bytes_free(json);
    qudao_dataset_free(ds);
  }
}

static void test_sample(void) {
  const qudao_dataset *a = NULL, *b = NULL;
  qudao_bytes *ja = NULL, *jb = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_dataset_sample(42, 300, &a, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_dataset_sample(42, 300, &b, &err), QUDAO_STATUS_OK, err);
  CHECK(qudao_dataset_transaction_count(a) == 300);
  CHECK_STATUS(qudao_dataset_summary_json(a, &ja, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_dataset_summary_json(b, &jb, &err), QUDAO_STATUS_OK, err);
  /* The same seed gives the same data set. */
  CHECK(qudao_bytes_len(ja) == qudao_bytes_len(jb) &&
        memcmp(qudao_bytes_data(ja), qudao_bytes_data(jb), qudao_bytes_len(ja)) == 0);
  qudao_bytes_free(ja);
  qudao_bytes_free(jb);
  qudao_dataset_free(a);
  qudao_dataset_free(b);
}

typedef struct {
  const qudao_dataset *ds;
  int ok;
} worker_arg;

static void *worker(void *p) {
  worker_arg *a = (worker_arg *)p;
  int i;
  a->ok = 1;
  for (i = 0; i < 20; i++) {
    const qudao_dataset *mine = qudao_dataset_clone(a->ds);
    qudao_bytes *json = NULL;
    if (mine != a->ds || qudao_dataset_summary_json(mine, &json, NULL) != QUDAO_STATUS_OK ||
        strstr((const char *)qudao_bytes_data(json), "\"net_revenue\": 59100") == NULL) {
      a->ok = 0;
    }
    qudao_bytes_free(json);
    qudao_dataset_free(mine);
  }
  /* The thread owns the reference it was given and releases it. */
  qudao_dataset_free(a->ds);
  return NULL;
}

static void test_threads(void) {
  const qudao_dataset *ds = load_tiny();
  pthread_t t[2];
  worker_arg args[2];
  int i;
  for (i = 0; i < 2; i++) {
    args[i].ds = qudao_dataset_clone(ds);
    args[i].ok = 0;
    CHECK(pthread_create(&t[i], NULL, worker, &args[i]) == 0);
  }
  /* Drop the main thread's reference while the workers still run. */
  qudao_dataset_free(ds);
  for (i = 0; i < 2; i++) {
    CHECK(pthread_join(t[i], NULL) == 0);
    CHECK(args[i].ok);
  }
}

int main(int argc, char **argv) {
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_version();
  test_free_null();
  test_load_tiny();
  test_load_with_options();
  test_from_columns();
  test_sample();
  test_threads();
  return h_finish();
}
