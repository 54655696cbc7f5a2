/* Customer value of a CSV data set: RFM segments, ABC classes, member tiers and the
 * customers with the highest predicted 12-month lifetime value.
 *
 *   make -C examples/c run-customers AS_OF=2025-12-31   (testdata/sample by default)
 *   ./customers <dir> <as-of YYYY-MM-DD>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qudao.h"

#define TOP 5

static int fail(const char *what, qudao_error *err) {
  fprintf(stderr, "%s (status %u): %s\n", what, (unsigned)qudao_error_status(err),
          qudao_error_message(err, NULL));
  qudao_error_free(err);
  return 1;
}

/* Print the `n` bytes at `p`. */
static void put(const uint8_t *p, size_t n) { fwrite(p, 1, n, stdout); }

int main(int argc, char **argv) {
  const qudao_dataset *ds = NULL;
  const qudao_customers *customers = NULL;
  const qudao_segment_scheme *scheme = NULL;
  const qudao_rfm *rfm = NULL;
  const qudao_membership *members = NULL;
  const qudao_clv_model *bgnbd = NULL, *spend_model = NULL;
  qudao_customer_options opts;
  qudao_customer_columns cols;
  qudao_member_columns mcols;
  qudao_clv_options horizon;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  size_t n, i, k, top[TOP], segments, tiers, classes = 0;
  int64_t *monetary, *repeat;
  double *x, *t_x, *t, *mean, *spend, *value, *alive;
  uint16_t *segment;
  uint8_t *abc, *tier;
  int rc = 1;

  if (argc != 3) {
    fprintf(stderr, "usage: %s <data set directory> <as-of YYYY-MM-DD>\n(qudao %s)\n", argv[0],
            qudao_version());
    return 2;
  }
  qudao_customer_options_init(&opts);
  if (qudao_date_parse((const uint8_t *)argv[2], strlen(argv[2]), &opts.as_of, &err) !=
      QUDAO_STATUS_OK) {
    return fail("bad as-of date", err);
  }
  opts.frequency = QUDAO_FREQUENCY_DISTINCT_ORDERS; /* no default: say what frequency counts */
  if (qudao_dataset_load_csv_dir((const uint8_t *)argv[1], strlen(argv[1]), NULL, &ds, &err) !=
      QUDAO_STATUS_OK) {
    return fail("cannot load the data set", err);
  }
  if (qudao_customers_compute(ds, &opts, &customers, &err) != QUDAO_STATUS_OK) {
    qudao_dataset_free(ds);
    return fail("cannot summarise customers", err);
  }
  n = qudao_customers_len(customers);
  printf("%zu customers with a purchase on or before %s\n", n, argv[2]);

  monetary = calloc(n + 1, sizeof *monetary);
  repeat = calloc(n + 1, sizeof *repeat);
  x = calloc(n + 1, sizeof *x);
  t_x = calloc(n + 1, sizeof *t_x);
  t = calloc(n + 1, sizeof *t);
  mean = calloc(n + 1, sizeof *mean);
  spend = calloc(n + 1, sizeof *spend);
  value = calloc(n + 1, sizeof *value);
  alive = calloc(n + 1, sizeof *alive);
  segment = calloc(n + 1, sizeof *segment);
  abc = calloc(n + 1, 1);
  if (!monetary || !repeat || !x || !t_x || !t || !mean || !spend || !value || !alive ||
      !segment || !abc) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }

  /* The per-customer table, as columns (rows in customer id order). */
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.monetary = monetary;
  cols.repeat_value = repeat;
  cols.x = x;
  cols.t_x = t_x;
  cols.t = t;
  if (qudao_customers_columns(customers, &cols, &err) != QUDAO_STATUS_OK) {
    rc = fail("cannot read the columns", err);
    goto done;
  }

  /* RFM: ordinal-rank quintiles (NULL rules), the four classes of the domain brief. */
  if (qudao_segment_scheme_builtin((const uint8_t *)"rfm-4class", 10, &scheme, &err) !=
          QUDAO_STATUS_OK ||
      qudao_rfm_analyze(customers, NULL, 0, scheme, &rfm, &err) != QUDAO_STATUS_OK ||
      qudao_rfm_columns(rfm, NULL, NULL, NULL, segment, n, &err) != QUDAO_STATUS_OK) {
    rc = fail("RFM failed", err);
    goto done;
  }
  segments = qudao_rfm_segment_count(rfm);
  printf("\nRFM segments (rfm-4class):\n");
  for (k = 0; k < segments; k++) {
    size_t count = 0;
    for (i = 0; i < n; i++) {
      count += segment[i] == k;
    }
    printf("  %-12s %6zu\n", qudao_rfm_segment_id(rfm, k), count);
  }
  /* The segment summary (orders, revenue, share, AOV, labels, care strategy) as JSON. */
  if (qudao_rfm_segments_json(rfm, &json, &err) != QUDAO_STATUS_OK) {
    rc = fail("segment summary failed", err);
    goto done;
  }
  printf("  segment summary: %zu bytes of JSON\n", qudao_bytes_len(json));
  qudao_bytes_free(json);
  json = NULL;

  /* ABC by revenue to date: A 80 %, B 15 %, C 5 %; ties by id (the row order). */
  if (qudao_abc_classify(monetary, NULL, n, NULL, 0, abc, &json, &err) != QUDAO_STATUS_OK) {
    rc = fail("ABC failed", err);
    goto done;
  }
  qudao_bytes_free(json);
  json = NULL;
  printf("\nABC classes by revenue:");
  for (k = 0; k < 3; k++) {
    size_t count = 0;
    for (i = 0; i < n; i++) {
      count += abc[i] == k;
    }
    classes += count;
    printf("  %c %zu", (int)('A' + k), count);
  }
  printf("  (%zu)\n", classes);
  /* The same for partners and products, straight from the data set. */
  for (k = 0; k < 2; k++) {
    const char *subject = k == 0 ? "partner" : "product";
    const qudao_abc *items = NULL;
    uint8_t *cls;
    size_t m, c, count[3] = {0, 0, 0};
    if (qudao_abc_revenue_classes(ds, (const uint8_t *)subject, strlen(subject), NULL,
                                  &opts.as_of, NULL, 0, &items, &err) != QUDAO_STATUS_OK) {
      rc = fail("ABC failed", err);
      goto done;
    }
    m = qudao_abc_len(items);
    cls = calloc(m + 1, 1);
    if (cls && qudao_abc_columns(items, NULL, cls, m, NULL) == QUDAO_STATUS_OK) {
      for (c = 0; c < m; c++) {
        count[cls[c] < 3 ? cls[c] : 2]++;
      }
      printf("  %ss: A %zu  B %zu  C %zu\n", subject, count[0], count[1], count[2]);
    }
    free(cls);
    qudao_abc_free(items);
  }

  /* Member tiers under the built-in scheme (NULL), no redemptions. */
  if (qudao_membership_run(ds, NULL, NULL, 0, opts.as_of, &members, &err) != QUDAO_STATUS_OK) {
    rc = fail("member tiers failed", err);
    goto done;
  }
  tier = calloc(qudao_membership_len(members) + 1, 1);
  if (!tier) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  memset(&mcols, 0, sizeof mcols);
  mcols.struct_size = sizeof mcols;
  mcols.rows = qudao_membership_len(members);
  mcols.tier = tier;
  if (qudao_membership_columns(members, &mcols, &err) != QUDAO_STATUS_OK) {
    free(tier);
    rc = fail("cannot read the tiers", err);
    goto done;
  }
  tiers = qudao_membership_tier_count(members);
  printf("\nMember tiers:");
  for (k = 0; k < tiers; k++) {
    size_t count = 0;
    for (i = 0; i < mcols.rows; i++) {
      count += tier[i] == k;
    }
    printf("  %s %zu", qudao_membership_tier_id(members, k), count);
  }
  printf("\n");
  free(tier);

  /* Lifetime value: BG/NBD for purchases, Gamma-Gamma for spend (in yuan), 12 months. */
  if (qudao_clv_fit_bgnbd(customers, &bgnbd, &err) != QUDAO_STATUS_OK ||
      qudao_clv_fit_gamma_gamma(customers, &spend_model, &err) != QUDAO_STATUS_OK) {
    rc = fail("CLV fit failed", err);
    goto done;
  }
  for (i = 0; i < n; i++) {
    /* Mean repeat value per repeat purchase, in yuan; none counts as 0 (population mean). */
    mean[i] = (x[i] > 0 && repeat[i] > 0) ? (double)repeat[i] / 100.0 / x[i] : 0.0;
  }
  qudao_clv_options_init(&horizon); /* 12 steps of 4.345 weeks, 1 % a month */
  if (qudao_clv_expected_spend(spend_model, x, mean, n, spend, &err) != QUDAO_STATUS_OK ||
      qudao_clv_value(bgnbd, x, t_x, t, spend, n, &horizon, value, &err) != QUDAO_STATUS_OK ||
      qudao_clv_probability_alive(bgnbd, x, t_x, t, n, alive, &err) != QUDAO_STATUS_OK) {
    rc = fail("CLV prediction failed", err);
    goto done;
  }
  /* The TOP highest values (ties by row, that is by id). */
  for (k = 0; k < TOP && k < n; k++) {
    size_t best = n;
    for (i = 0; i < n; i++) {
      size_t j;
      int taken = 0;
      for (j = 0; j < k; j++) {
        taken |= top[j] == i;
      }
      if (!taken && (best == n || value[i] > value[best])) {
        best = i;
      }
    }
    top[k] = best;
  }
  printf("\nTop %d customers by predicted 12-month value (CNY):\n", TOP);
  for (k = 0; k < TOP && k < n; k++) {
    const uint8_t *id = NULL;
    size_t len = 0;
    if (qudao_customers_id(customers, top[k], &id, &len, &err) != QUDAO_STATUS_OK) {
      rc = fail("cannot read an id", err);
      goto done;
    }
    printf("  ");
    put(id, len);
    printf("  %10.2f  P(alive) %.3f  revenue to date %s%lld.%02lld\n", value[top[k]],
           alive[top[k]], monetary[top[k]] < 0 ? "-" : "", llabs(monetary[top[k]]) / 100,
           llabs(monetary[top[k]]) % 100);
  }
  rc = 0;

done:
  free(monetary);
  free(repeat);
  free(x);
  free(t_x);
  free(t);
  free(mean);
  free(spend);
  free(value);
  free(alive);
  free(segment);
  free(abc);
  qudao_clv_model_free(bgnbd);
  qudao_clv_model_free(spend_model);
  qudao_membership_free(members);
  qudao_rfm_free(rfm);
  qudao_segment_scheme_free(scheme);
  qudao_customers_free(customers);
  qudao_dataset_free(ds);
  return rc;
}
