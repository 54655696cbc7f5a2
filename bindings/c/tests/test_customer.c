/* The customer side: summary columns, RFM with segment schemes, ABC, member tiers, CLV.
 * Usage: test_customer <repo root> */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"

static char root[4096];

static double dabs(double v) { return v < 0 ? -v : v; }

static const qudao_dataset *load(const char *name) {
  char dir[8192];
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  snprintf(dir, sizeof dir, "%s/testdata/%s", root, name);
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return ds;
}

static int32_t day(const char *text) {
  int32_t d = 0;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_date_parse(TEXT(text), &d, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return d;
}

static const qudao_customers *summarise(const qudao_dataset *ds, const char *as_of) {
  qudao_customer_options opts;
  const qudao_customers *c = NULL;
  qudao_error *err = NULL;
  qudao_customer_options_init(&opts);
  opts.as_of = day(as_of);
  opts.frequency = QUDAO_FREQUENCY_DISTINCT_ORDERS;
  CHECK_STATUS(qudao_customers_compute(ds, &opts, &c, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return c;
}

static void test_free_null(void) {
  qudao_customers_free(NULL);
  qudao_rfm_free(NULL);
  qudao_segment_scheme_free(NULL);
  qudao_membership_free(NULL);
  qudao_clv_model_free(NULL);
  qudao_abc_free(NULL);
  CHECK(qudao_abc_len(NULL) == 0);
  qudao_customer_options_init(NULL);
  qudao_clv_options_init(NULL);
  CHECK(qudao_customers_clone(NULL) == NULL);
  CHECK(qudao_customers_len(NULL) == 0);
  CHECK(qudao_rfm_len(NULL) == 0);
  CHECK(qudao_rfm_segment_id(NULL, 0) == NULL);
  CHECK(qudao_membership_len(NULL) == 0);
  CHECK(qudao_membership_tier_id(NULL, 0) == NULL);
  CHECK(qudao_clv_model_clone(NULL) == NULL);
}

static void test_dates(void) {
  int32_t d = -1;
  qudao_error *err = NULL;
  CHECK(day("1970-01-01") == 0);
  CHECK(day("2025-01-02") == 20090);
  CHECK_STATUS(qudao_date_parse(TEXT("2025-02-30"), &d, &err), QUDAO_STATUS_INVALID_ARGUMENT,
               err);
  CHECK(d == -1); /* out-params are written only on success */
  CHECK(h_message_has(err, "2025-02-30"));
  qudao_error_free(err);
}

static void test_summary(void) {
  const qudao_dataset *ds = load("sample");
  const qudao_customers *c = summarise(ds, "2025-12-31");
  qudao_customer_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  size_t n = qudao_customers_len(c), i, len = 0;
  int64_t *monetary = calloc(n, sizeof *monetary);
  int64_t *margin = calloc(n, sizeof *margin);
  uint8_t *margin_valid = calloc(n, 1);
  uint32_t *orders = calloc(n, sizeof *orders);
  int32_t *recency = calloc(n, sizeof *recency);
  double *x = calloc(n, sizeof *x), *t_x = calloc(n, sizeof *t_x), *t = calloc(n, sizeof *t);
  int64_t total = 0;
  int ok = 1;
  const uint8_t *id = NULL;

  /* The summary keeps its data set alive. */
  qudao_dataset_free(ds);
  CHECK(n > 100);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.monetary = monetary;
  cols.margin = margin;
  cols.margin_valid = margin_valid;
  cols.orders = orders;
  cols.recency_days = recency;
  cols.x = x;
  cols.t_x = t_x;
  cols.t = t;
  CHECK_STATUS(qudao_customers_columns(c, &cols, &err), QUDAO_STATUS_OK, err);
  for (i = 0; i < n; i++) {
    total += monetary[i];
    if (orders[i] < 1 || recency[i] < 0 || x[i] < 0 || t_x[i] > t[i] ||
        (margin_valid[i] != 0 && margin_valid[i] != 1)) {
      ok = 0;
    }
  }
  CHECK(ok);
  CHECK(total > 0);

  CHECK_STATUS(qudao_customers_id(c, 0, &id, &len, &err), QUDAO_STATUS_OK, err);
  CHECK(len == 8 && memcmp(id, "C0000", 5) == 0);
  CHECK_STATUS(qudao_customers_row_json(c, 0, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"customer\": \"C0000"));
  CHECK(h_bytes_have(json, "\"first_purchase\": \"20"));
  qudao_bytes_free(json);
  CHECK_STATUS(qudao_customers_info_json(c, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"frequency\": \"distinct_orders\""));
  CHECK(h_bytes_have(json, "\"only_returns\""));
  qudao_bytes_free(json);

  /* Wrong row counts and rows are named; nothing is written. */
  monetary[0] = -42;
  cols.rows = n + 1;
  CHECK_STATUS(qudao_customers_columns(c, &cols, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "cols->rows"));
  qudao_error_free(err);
  err = NULL;
  CHECK(monetary[0] == -42);
  CHECK_STATUS(qudao_customers_id(c, n, &id, &len, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "out of range"));
  qudao_error_free(err);

  free(monetary);
  free(margin);
  free(margin_valid);
  free(orders);
  free(recency);
  free(x);
  free(t_x);
  free(t);
  qudao_customers_free(c);
}

static qudao_str str_of(const char *s) {
  qudao_str v;
  v.ptr = (const uint8_t *)s;
  v.len = strlen(s);
  return v;
}

/* A summary straight from customer lines: no master data, no data set. */
static void test_from_lines(void) {
  const char *customer[] = {"C2", "C2", "C1", "C1", "C2"};
  const char *order[] = {"O1", "O1", "O2", "R1", "O3"};
  int64_t amount[] = {1000, 500, 700, -200, 300};
  uint8_t kind[] = {0, 0, 0, 1, 0};
  int32_t date[5];
  qudao_str cust[5], ord[5];
  qudao_customer_line_columns cols;
  qudao_customer_options opts;
  qudao_customer_columns out;
  const qudao_customers *c = NULL;
  qudao_error *err = NULL;
  const uint8_t *id = NULL;
  size_t i, len = 0;
  int64_t monetary[2];
  uint32_t orders[2];

  for (i = 0; i < 5; i++) {
    cust[i] = str_of(customer[i]);
    ord[i] = str_of(order[i]);
    date[i] = day("2025-03-01") + (int32_t)i;
  }
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = 5;
  cols.customer = cust;
  cols.order = ord;
  cols.date = date;
  cols.amount = amount;
  cols.kind = kind;
  qudao_customer_options_init(&opts);
  opts.as_of = day("2025-03-31");
  opts.frequency = QUDAO_FREQUENCY_DISTINCT_ORDERS;
  CHECK_STATUS(qudao_customers_from_lines(&cols, TEXT("CNY"), &opts, &c, &err), QUDAO_STATUS_OK,
               err);
  CHECK(qudao_customers_len(c) == 2);
  memset(&out, 0, sizeof out);
  out.struct_size = sizeof out;
  out.rows = 2;
  out.monetary = monetary;
  out.orders = orders;
  CHECK_STATUS(qudao_customers_columns(c, &out, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_customers_id(c, 0, &id, &len, &err), QUDAO_STATUS_OK, err);
  CHECK(len == 2 && memcmp(id, "C1", 2) == 0);
  CHECK(monetary[0] == 500 && orders[0] == 1);
  CHECK(monetary[1] == 1800 && orders[1] == 2);
  qudao_customers_free(c);
  c = NULL;

  /* The first bad line is named: an order with two customers. */
  ord[2] = str_of("O1");
  CHECK_STATUS(qudao_customers_from_lines(&cols, NULL, 0, &opts, &c, &err),
               QUDAO_STATUS_DATA_ERROR, err);
  CHECK(h_message_has(err, "already belongs"));
  CHECK(h_message_has(err, "3"));
  CHECK(c == NULL);
  qudao_error_free(err);
  err = NULL;
  ord[2] = str_of("O2");
  kind[1] = 7;
  CHECK_STATUS(qudao_customers_from_lines(&cols, NULL, 0, &opts, &c, &err),
               QUDAO_STATUS_DATA_ERROR, err);
  CHECK(h_message_has(err, "kind"));
  qudao_error_free(err);
  err = NULL;
  kind[1] = 0;
  CHECK_STATUS(qudao_customers_from_lines(&cols, TEXT("NOPE"), &opts, &c, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  cols.struct_size = 8;
  CHECK_STATUS(qudao_customers_from_lines(&cols, NULL, 0, &opts, &c, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "struct_size"));
  qudao_error_free(err);
}

static void test_bad_options(void) {
  const qudao_dataset *ds = load("tiny");
  qudao_customer_options opts;
  const qudao_customers *c = NULL;
  qudao_error *err = NULL;
  qudao_customer_options_init(&opts);
  CHECK(opts.struct_size == sizeof opts);
  CHECK(opts.frequency == QUDAO_FREQUENCY_UNSET);
  CHECK(opts.period == QUDAO_TIME_UNIT_DAY && opts.unit == QUDAO_TIME_UNIT_WEEK);
  opts.as_of = day("2025-03-31");
  /* The frequency has no default: say which. */
  CHECK_STATUS(qudao_customers_compute(ds, &opts, &c, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "opts->frequency"));
  CHECK(c == NULL);
  qudao_error_free(err);
  err = NULL;
  opts.frequency = 9;
  CHECK_STATUS(qudao_customers_compute(ds, &opts, &c, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "not a qudao_frequency"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_customers_compute(ds, NULL, &c, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`opts`"));
  qudao_error_free(err);
  /* Without an error out-param the status still tells. */
  opts.struct_size = 3;
  CHECK(qudao_customers_compute(ds, &opts, &c, NULL) == QUDAO_STATUS_INVALID_ARGUMENT);
  CHECK(c == NULL);
  qudao_dataset_free(ds);
}

/* A scheme of one's own on two scores: recent or lapsed by R alone. */
static const char *TWO_SEGMENTS =
    "{\"schema_version\": 1, \"id\": \"two\", \"name\": {\"en\": \"Two\", \"zh\": \"liang\"},"
    " \"scores\": 2, \"segments\": ["
    "  {\"id\": \"recent\", \"label\": {\"en\": \"Recent\", \"zh\": \"jin\"}, \"when\": {\"r\": 2},"
    "   \"strategy\": {\"en\": \"Thank them\", \"zh\": \"gan xie\"}},"
    "  {\"id\": \"lapsed\", \"label\": {\"en\": \"Lapsed\", \"zh\": \"liu shi\"}, \"when\": {\"r\": 1},"
    "   \"strategy\": {\"en\": \"Win back\", \"zh\": \"wan hui\"}}]}";

static const char *TWO_BINS =
    "{\"recency\": {\"rule\": \"ordinal_rank\", \"bins\": 2},"
    " \"frequency\": {\"rule\": \"value_breaks\", \"bins\": 2},"
    " \"monetary\": {\"rule\": \"fixed\", \"thresholds\": [100000]}}";

static void test_rfm(void) {
  const qudao_dataset *ds = load("sample");
  const qudao_customers *c = summarise(ds, "2025-12-31");
  const qudao_segment_scheme *scheme = NULL;
  const qudao_rfm *rfm = NULL;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  size_t n = qudao_customers_len(c), i, k;
  uint8_t *r = malloc(n), *f = malloc(n), *m = malloc(n);
  uint16_t *seg = malloc(n * sizeof *seg);
  size_t counts[16] = {0};
  int in_range = 1;
  qudao_document doc;

  CHECK_STATUS(qudao_segment_scheme_builtin(TEXT("rfm-11"), &scheme, &err), QUDAO_STATUS_OK, err);
  /* NULL rules: ordinal-rank quintiles. */
  CHECK_STATUS(qudao_rfm_analyze(c, NULL, 0, scheme, &rfm, &err), QUDAO_STATUS_OK, err);
  CHECK(qudao_rfm_len(rfm) == n);
  CHECK(qudao_rfm_segment_count(rfm) == 11);
  CHECK(strcmp(qudao_rfm_segment_id(rfm, 0), "champions") == 0);
  CHECK(qudao_rfm_segment_id(rfm, 11) == NULL);
  CHECK_STATUS(qudao_rfm_columns(rfm, r, f, m, seg, n, &err), QUDAO_STATUS_OK, err);
  for (i = 0; i < n; i++) {
    if (r[i] < 1 || r[i] > 5 || f[i] < 1 || f[i] > 5 || m[i] < 1 || m[i] > 5 || seg[i] >= 11) {
      in_range = 0;
    } else {
      counts[seg[i]]++;
    }
  }
  CHECK(in_range);
  /* Ordinal quintiles: bin sizes differ by at most one. */
  {
    size_t per[6] = {0};
    for (i = 0; i < n; i++) {
      per[r[i]]++;
    }
    for (k = 1; k <= 5; k++) {
      CHECK(per[k] == n / 5 || per[k] == n / 5 + 1);
    }
  }
  CHECK_STATUS(qudao_rfm_segments_json(rfm, &json, &err), QUDAO_STATUS_OK, err);
  {
    char needle[64];
    snprintf(needle, sizeof needle, "\"customers\": %zu", counts[0]);
    CHECK(h_bytes_have(json, "\"id\": \"champions\""));
    CHECK(h_bytes_have(json, needle));
    CHECK(h_bytes_have(json, "\"revenue_share\""));
  }
  qudao_bytes_free(json);
  CHECK_STATUS(qudao_rfm_summary_json(rfm, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"scheme\": \"rfm-11\""));
  CHECK(h_bytes_have(json, "\"rule\": \"ordinal_rank\""));
  qudao_bytes_free(json);
  qudao_rfm_free(rfm);
  qudao_segment_scheme_free(scheme);

  /* A scheme of one's own, with rules of two scores each. */
  doc.text = (const uint8_t *)TWO_SEGMENTS;
  doc.len = strlen(TWO_SEGMENTS);
  doc.format = QUDAO_FORMAT_JSON;
  CHECK_STATUS(qudao_segment_scheme_validate(&doc, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_segment_scheme_parse(&doc, &scheme, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_rfm_analyze(c, TEXT(TWO_BINS), scheme, &rfm, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_rfm_columns(rfm, r, NULL, NULL, seg, n, &err), QUDAO_STATUS_OK, err);
  in_range = 1;
  for (i = 0; i < n; i++) {
    /* Segment 0 ("recent") is exactly R = 2. */
    if ((seg[i] == 0) != (r[i] == 2)) {
      in_range = 0;
    }
  }
  CHECK(in_range);
  CHECK_STATUS(qudao_rfm_summary_json(rfm, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"breaks\": [\n      100000\n    ]"));
  qudao_bytes_free(json);
  qudao_rfm_free(rfm);
  rfm = NULL;

  /* Rules that give 5 scores do not fit a 2-score scheme. */
  CHECK_STATUS(qudao_rfm_analyze(c, NULL, 0, scheme, &rfm, &err), QUDAO_STATUS_INVALID_ARGUMENT,
               err);
  CHECK(h_message_has(err, "scheme `two` uses 2"));
  CHECK(rfm == NULL);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_segment_scheme_document(scheme, QUDAO_FORMAT_TOML, &json, &err),
               QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "id = \"lapsed\""));
  qudao_bytes_free(json);
  qudao_segment_scheme_free(scheme);

  /* Without "lapsed", the cells with R = 1 are uncovered: the error names them. */
  {
    char *cut = malloc(strlen(TWO_SEGMENTS) + 1);
    char *lapsed;
    strcpy(cut, TWO_SEGMENTS);
    lapsed = strstr(cut, ",  {\"id\": \"lapsed\"");
    strcpy(lapsed, "]}");
    doc.text = (const uint8_t *)cut;
    doc.len = strlen(cut);
    CHECK_STATUS(qudao_segment_scheme_validate(&doc, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
    CHECK(h_message_has(err, "(r=1, f=1, m=1)"));
    qudao_error_free(err);
    err = NULL;
    free(cut);
  }
  doc.format = 7;
  CHECK_STATUS(qudao_segment_scheme_validate(&doc, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "doc->format"));
  qudao_error_free(err);

  free(r);
  free(f);
  free(m);
  free(seg);
  qudao_customers_free(c);
  qudao_dataset_free(ds);
}

static void test_schemas(void) {
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_schema_json(TEXT("rfm-segment-scheme"), &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"title\": \"RFM segment scheme\""));
  qudao_bytes_free(json);
  CHECK_STATUS(qudao_schema_json(TEXT("tier-scheme"), &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"schema_version\""));
  qudao_bytes_free(json);
  json = NULL;
  CHECK_STATUS(qudao_schema_json(TEXT("nope"), &json, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(json == NULL);
  CHECK(h_message_has(err, "rfm-segment-scheme, tier-scheme"));
  qudao_error_free(err);
}

static void test_abc(void) {
  const qudao_dataset *ds = load("sample");
  const qudao_customers *c = summarise(ds, "2025-12-31");
  qudao_customer_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  size_t n = qudao_customers_len(c), i;
  int64_t *monetary = malloc(n * sizeof *monetary);
  uint8_t *cls = malloc(n);
  size_t per[3] = {0, 0, 0};
  int ok = 1;

  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.monetary = monetary;
  CHECK_STATUS(qudao_customers_columns(c, &cols, &err), QUDAO_STATUS_OK, err);
  /* Rows are in id order, so NULL tie keys break ties by id. */
  CHECK_STATUS(qudao_abc_classify(monetary, NULL, n, NULL, 0, cls, &json, &err), QUDAO_STATUS_OK,
               err);
  for (i = 0; i < n; i++) {
    if (cls[i] > 2) {
      ok = 0;
    } else {
      per[cls[i]]++;
    }
  }
  CHECK(ok);
  CHECK(per[0] > 0 && per[0] < per[1] + per[2]); /* a minority holds 80 % */
  CHECK(h_bytes_have(json, "\"cumulative_share\": \"1\""));
  CHECK(h_bytes_have(json, "\"label\": \"A\""));
  qudao_bytes_free(json);
  json = NULL;
  CHECK_STATUS(qudao_abc_classify(monetary, NULL, n, TEXT("{\"classes\": [[\"A\", \"1.5\"]]}"),
                                  cls, &json, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(json == NULL);
  qudao_error_free(err);
  err = NULL;

  /* Products by net revenue in 2025, from the data set itself. */
  {
    const qudao_abc *abc = NULL;
    int32_t from = day("2025-01-01"), to = day("2025-12-31");
    size_t rows, total = 0;
    uint8_t *pc;
    int64_t *revenue;
    const uint8_t *id = NULL;
    size_t len = 0;
    CHECK_STATUS(qudao_abc_revenue_classes(ds, TEXT("product"), &from, &to, NULL, 0, &abc, &err),
                 QUDAO_STATUS_OK, err);
    rows = qudao_abc_len(abc);
    CHECK(rows > 10);
    pc = malloc(rows);
    revenue = malloc(rows * sizeof *revenue);
    CHECK_STATUS(qudao_abc_columns(abc, revenue, pc, rows, &err), QUDAO_STATUS_OK, err);
    for (i = 0; i < rows; i++) {
      total += pc[i] <= 2;
    }
    CHECK(total == rows);
    CHECK_STATUS(qudao_abc_id(abc, 0, &id, &len, &err), QUDAO_STATUS_OK, err);
    CHECK(len > 0 && memcmp(id, "SKU", 3) == 0);
    CHECK_STATUS(qudao_abc_summary_json(abc, &json, &err), QUDAO_STATUS_OK, err);
    CHECK(h_bytes_have(json, "\"subject\": \"product\""));
    qudao_bytes_free(json);
    free(pc);
    free(revenue);
    qudao_abc_free(abc);
    abc = NULL;
    CHECK_STATUS(qudao_abc_revenue_classes(ds, TEXT("shops"), NULL, NULL, NULL, 0, &abc, &err),
                 QUDAO_STATUS_INVALID_ARGUMENT, err);
    CHECK(abc == NULL);
    CHECK(h_message_has(err, "subject"));
    qudao_error_free(err);
  }
  free(monetary);
  free(cls);
  qudao_customers_free(c);
  qudao_dataset_free(ds);
}

static void test_membership(void) {
  const qudao_dataset *ds = load("tiny");
  const qudao_membership *mem = NULL;
  qudao_member_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  int64_t balance[7], earned[7], redeemed[7], reversed[7];
  uint8_t tier[7];
  const uint8_t *id = NULL;
  size_t len = 0;
  const char *redeem =
      "[{\"customer\": \"C1\", \"date\": \"2025-03-01\", \"points\": 50, \"reference\": \"R1\"}]";
  const char *greedy =
      "[{\"customer\": \"C2\", \"date\": \"2025-03-01\", \"points\": 5000, \"reference\": \"X\"}]";

  /* NULL scheme: the built-in regular / silver / gold / diamond. */
  CHECK_STATUS(qudao_membership_run(ds, NULL, TEXT(redeem), day("2025-03-31"), &mem, &err),
               QUDAO_STATUS_OK, err);
  CHECK(qudao_membership_len(mem) == 7);
  CHECK(qudao_membership_tier_count(mem) == 4);
  CHECK(strcmp(qudao_membership_tier_id(mem, 2), "gold") == 0);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = 7;
  cols.tier = tier;
  cols.balance = balance;
  cols.earned = earned;
  cols.redeemed = redeemed;
  cols.reversed = reversed;
  CHECK_STATUS(qudao_membership_columns(mem, &cols, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_membership_id(mem, 0, &id, &len, &err), QUDAO_STATUS_OK, err);
  CHECK(len == 2 && memcmp(id, "C1", 2) == 0);
  /* C1 bought 215.00 CNY (215 points), returned 25.00 of it (-25), redeemed 50. */
  CHECK(earned[0] == 215 && reversed[0] == 25 && redeemed[0] == 50 && balance[0] == 140);
  CHECK(strcmp(qudao_membership_tier_id(mem, tier[0]), "regular") == 0);
  CHECK_STATUS(qudao_membership_summary_json(mem, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"tier_counts\""));
  CHECK(h_bytes_have(json, "\"next_review\": \"2026-01-01\""));
  qudao_bytes_free(json);
  CHECK_STATUS(qudao_membership_customer_json(mem, 0, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"kind\": \"redeem\""));
  CHECK(h_bytes_have(json, "\"reference\": \"R1\""));
  qudao_bytes_free(json);
  qudao_membership_free(mem);
  mem = NULL;

  /* Bonus points (e.g. a rebate paid in points): +60 and -10 on 2025-03-31. */
  {
    const char *bonuses =
        "[{\"customer\": \"C1\", \"date\": \"2025-03-31\", \"points\": 60, \"reference\": "
        "\"Q1\"}, {\"customer\": \"C1\", \"date\": \"2025-03-31\", \"points\": -10, "
        "\"reference\": \"A\"}]";
    const char *zero =
        "[{\"customer\": \"C1\", \"date\": \"2025-03-01\", \"points\": 0, \"reference\": \"Z\"}]";
    int64_t bonus_balance[7];
    CHECK_STATUS(qudao_membership_run_with(ds, NULL, TEXT(redeem), TEXT(bonuses),
                                           day("2025-03-31"), &mem, &err),
                 QUDAO_STATUS_OK, err);
    memset(&cols, 0, sizeof cols);
    cols.struct_size = sizeof cols;
    cols.rows = 7;
    cols.balance = bonus_balance;
    CHECK_STATUS(qudao_membership_columns(mem, &cols, &err), QUDAO_STATUS_OK, err);
    /* 140 as above, - 10 + 60 in bonuses. */
    CHECK(bonus_balance[0] == 190);
    CHECK_STATUS(qudao_membership_customer_json(mem, 0, &json, &err), QUDAO_STATUS_OK, err);
    CHECK(h_bytes_have(json, "\"kind\": \"bonus\""));
    CHECK(h_bytes_have(json, "\"reference\": \"Q1\""));
    CHECK(h_bytes_have(json, "\"bonus\": 50"));
    qudao_bytes_free(json);
    qudao_membership_free(mem);
    mem = NULL;
    /* No bonuses (NULL, 0) is qudao_membership_run. */
    CHECK_STATUS(qudao_membership_run_with(ds, NULL, TEXT(redeem), NULL, 0, day("2025-03-31"),
                                           &mem, &err),
                 QUDAO_STATUS_OK, err);
    CHECK_STATUS(qudao_membership_columns(mem, &cols, &err), QUDAO_STATUS_OK, err);
    CHECK(bonus_balance[0] == 140);
    qudao_membership_free(mem);
    mem = NULL;
    /* A zero bonus names its row and column. */
    CHECK_STATUS(qudao_membership_run_with(ds, NULL, NULL, 0, TEXT(zero), day("2025-03-31"),
                                           &mem, &err),
                 QUDAO_STATUS_DATA_ERROR, err);
    CHECK(mem == NULL);
    CHECK(h_message_has(err, "bonuses:1, column `points`"));
    qudao_error_free(err);
    err = NULL;
  }

  /* A redemption larger than the balance is an error naming the customer. */
  CHECK(qudao_membership_run(ds, NULL, TEXT(greedy), day("2025-03-31"), &mem, &err) !=
        QUDAO_STATUS_OK);
  CHECK(mem == NULL);
  CHECK(h_message_has(err, "C2"));
  qudao_error_free(err);
  err = NULL;

  /* A scheme in YAML with a field error names the path. */
  {
    const char *yaml = "schema_version: 1\nid: x\nname: {en: X, zh: X}\ncurrency: CNY\n"
                       "basis: {kind: rolling_spend, window_days: 365}\ntiers: 3\n";
    qudao_document doc;
    doc.text = (const uint8_t *)yaml;
    doc.len = strlen(yaml);
    doc.format = QUDAO_FORMAT_YAML;
    CHECK_STATUS(qudao_tier_scheme_validate(&doc, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
    CHECK(h_message_has(err, "tiers"));
    qudao_error_free(err);
    err = NULL;
    CHECK_STATUS(qudao_membership_run(ds, &doc, NULL, 0, day("2025-03-31"), &mem, &err),
                 QUDAO_STATUS_DOCUMENT_ERROR, err);
    CHECK(mem == NULL);
    qudao_error_free(err);
  }
  qudao_dataset_free(ds);
}

static void test_clv_given(void) {
  const qudao_clv_model *bg = NULL, *gg = NULL;
  qudao_error *err = NULL;
  qudao_clv_options opts;
  qudao_clv_model_kind kind = QUDAO_CLV_MODEL_KIND_GAMMA_GAMMA;
  qudao_fit_status status = QUDAO_FIT_STATUS_CONVERGED;
  size_t count = 0;
  double x[2] = {2.0, 0.0}, t_x[2] = {30.43, 0.0}, t[2] = {38.86, 38.86}, mean[2] = {22.35, 0.0};
  double out[2] = {0.0, 0.0}, spend[2] = {0.0, 0.0}, value[2] = {0.0, 0.0};

  /* Fader, Hardie & Lee (2005), CDNOW in weeks. */
  CHECK_STATUS(qudao_clv_bgnbd_new(0.243, 4.414, 0.793, 2.426, &bg, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_clv_gamma_gamma_new(6.25, 3.74, 15.44, &gg, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_clv_model_info(bg, &kind, &status, &count, &err), QUDAO_STATUS_OK, err);
  CHECK(kind == QUDAO_CLV_MODEL_KIND_BG_NBD && status == QUDAO_FIT_STATUS_GIVEN && count == 4);
  CHECK_STATUS(qudao_clv_expected_purchases(bg, 39.0, x, t_x, t, 2, out, &err), QUDAO_STATUS_OK,
               err);
  CHECK(dabs(out[0] - 1.226) < 5e-4); /* FHL (2005) report 1.226 */
  CHECK_STATUS(qudao_clv_probability_alive(bg, x, t_x, t, 2, out, &err), QUDAO_STATUS_OK, err);
  CHECK(out[0] > 0.0 && out[0] < 1.0 && out[1] == 1.0);
  CHECK_STATUS(qudao_clv_expected_spend(gg, x, mean, 2, spend, &err), QUDAO_STATUS_OK, err);
  /* x = 0 gives the population mean p * gamma / (q - 1). */
  CHECK(dabs(spend[1] - 6.25 * 15.44 / 2.74) < 1e-9);
  qudao_clv_options_init(&opts);
  CHECK(opts.struct_size == sizeof opts && opts.steps == 12);
  CHECK_STATUS(qudao_clv_value(bg, x, t_x, t, spend, 2, &opts, value, &err), QUDAO_STATUS_OK, err);
  CHECK(value[0] > value[1] && value[1] > 0.0);

  /* Errors name the row and the argument; out is not written. */
  t_x[1] = 50.0;
  out[0] = out[1] = -1.0;
  CHECK_STATUS(qudao_clv_probability_alive(bg, x, t_x, t, 2, out, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "t_x[1]"));
  CHECK(out[0] == -1.0);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_clv_expected_spend(bg, x, mean, 2, spend, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "Gamma-Gamma"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_clv_bgnbd_new(0.2, 1.0, 0.0, 1.0, &bg, &err), QUDAO_STATUS_INVALID_ARGUMENT,
               err);
  CHECK(h_message_has(err, "a = 0"));
  qudao_error_free(err);
  qudao_clv_model_free(bg);
  qudao_clv_model_free(gg);
}

static void test_clv_fit(void) {
  const qudao_dataset *ds = load("sample");
  const qudao_customers *c = summarise(ds, "2025-12-31");
  const qudao_clv_model *bg = NULL, *gg = NULL;
  qudao_customer_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  qudao_fit_status status = QUDAO_FIT_STATUS_GIVEN;
  qudao_clv_options opts;
  size_t n = qudao_customers_len(c), i;
  double *x = malloc(n * sizeof *x), *t_x = malloc(n * sizeof *t_x), *t = malloc(n * sizeof *t);
  double *alive = malloc(n * sizeof *alive), *mean = malloc(n * sizeof *mean);
  double *spend = malloc(n * sizeof *spend), *value = malloc(n * sizeof *value);
  int64_t *repeat = malloc(n * sizeof *repeat);
  double params[4], se[4];
  uint8_t se_valid[4];
  int ok = 1;

  CHECK_STATUS(qudao_clv_fit_bgnbd(c, &bg, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_clv_model_info(bg, NULL, &status, NULL, &err), QUDAO_STATUS_OK, err);
  CHECK(status != QUDAO_FIT_STATUS_GIVEN);
  CHECK_STATUS(qudao_clv_model_params(bg, params, se, se_valid, 4, &err), QUDAO_STATUS_OK, err);
  CHECK(params[0] > 0 && params[1] > 0 && params[2] > 0 && params[3] > 0);
  CHECK_STATUS(qudao_clv_model_json(bg, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"model\": \"bg_nbd\""));
  CHECK(h_bytes_have(json, "\"log_likelihood\""));
  qudao_bytes_free(json);
  CHECK_STATUS(qudao_clv_fit_gamma_gamma(c, &gg, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_clv_model_json(gg, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"excluded_non_positive_spend\""));
  qudao_bytes_free(json);

  /* Predictions over the summary's rows. */
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.x = x;
  cols.t_x = t_x;
  cols.t = t;
  cols.repeat_value = repeat;
  CHECK_STATUS(qudao_customers_columns(c, &cols, &err), QUDAO_STATUS_OK, err);
  for (i = 0; i < n; i++) {
    /* Mean repeat value in yuan; the host decides how to read non-positive repeat value. */
    mean[i] = (x[i] > 0 && repeat[i] > 0) ? (double)repeat[i] / 100.0 / x[i] : 0.0;
  }
  CHECK_STATUS(qudao_clv_probability_alive(bg, x, t_x, t, n, alive, &err), QUDAO_STATUS_OK, err);
  CHECK_STATUS(qudao_clv_expected_spend(gg, x, mean, n, spend, &err), QUDAO_STATUS_OK, err);
  qudao_clv_options_init(&opts);
  opts.step = 30.0 / 7.0;
  CHECK_STATUS(qudao_clv_value(bg, x, t_x, t, spend, n, &opts, value, &err), QUDAO_STATUS_OK, err);
  for (i = 0; i < n; i++) {
    if (!(alive[i] >= 0.0 && alive[i] <= 1.0 && value[i] >= 0.0 && spend[i] > 0.0)) {
      ok = 0;
    }
  }
  CHECK(ok);

  free(x);
  free(t_x);
  free(t);
  free(alive);
  free(mean);
  free(spend);
  free(value);
  free(repeat);
  qudao_clv_model_free(bg);
  qudao_clv_model_free(gg);
  qudao_customers_free(c);
  qudao_dataset_free(ds);
}

typedef struct {
  const qudao_customers *c;
  int64_t total;
} worker_arg;

static void *worker(void *p) {
  worker_arg *a = (worker_arg *)p;
  int64_t monetary[6];
  qudao_customer_columns cols;
  int i;
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = 6;
  cols.monetary = monetary;
  a->total = 0;
  if (qudao_customers_columns(a->c, &cols, NULL) == QUDAO_STATUS_OK) {
    for (i = 0; i < 6; i++) {
      a->total += monetary[i];
    }
  }
  qudao_customers_free(a->c);
  return NULL;
}

static void test_threads(void) {
  const qudao_dataset *ds = load("tiny");
  const qudao_customers *c = summarise(ds, "2025-03-31");
  pthread_t th[2];
  worker_arg args[2];
  int i;
  qudao_dataset_free(ds);
  CHECK(qudao_customers_len(c) == 6);
  for (i = 0; i < 2; i++) {
    args[i].c = qudao_customers_clone(c);
    CHECK(pthread_create(&th[i], NULL, worker, &args[i]) == 0);
  }
  qudao_customers_free(c);
  for (i = 0; i < 2; i++) {
    CHECK(pthread_join(th[i], NULL) == 0);
    CHECK(args[i].total == 59100); /* the tiny data set's net revenue */
  }
}

int main(int argc, char **argv) {
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_free_null();
  test_dates();
  test_summary();
  test_from_lines();
  test_bad_options();
  test_rfm();
  test_schemas();
  test_abc();
  test_membership();
  test_clv_given();
  test_clv_fit();
  test_threads();
  return h_finish();
}
