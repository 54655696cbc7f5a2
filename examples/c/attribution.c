/* Attribute a data set's conversions to its channels with every model, show the channel
 * economics, and propose a budget reallocation by the Markov attribution.
 *
 *   ./attribution <data set directory> [as-of YYYY-MM-DD]
 *   ./attribution testdata/sample 2025-12-31      (from the repository root)
 *
 * Prints the journeys built from the touchpoints (first purchases as conversions, 30-day
 * lookback), the attributed conversions of each channel by every model side by side,
 * the economics of each acquisition channel over all periods (customers acquired, spend,
 * CAC, CLV/CAC with historic margin as the value), and the current total spend spread again
 * over the channels in proportion to Markov-attributed value per unit of spend, adding up
 * exactly to the budget.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qudao.h"

static void fail(const char *what, qudao_status status, qudao_error *err) {
  fprintf(stderr, "%s (status %u): %s\n", what, (unsigned)status, qudao_error_message(err, NULL));
  qudao_error_free(err);
}

/* Minor units (fen for CNY) as an exact amount with 2 decimals. */
static const char *money(long long a, char *buf, size_t cap) {
  long long m = a < 0 ? -a : a;
  snprintf(buf, cap, "%s%lld.%02lld", a < 0 ? "-" : "", m / 100, m % 100);
  return buf;
}

/* The sum of every `"amount": N` of a reallocation's JSON. */
static long long sum_amounts(const qudao_bytes *b) {
  const char *at = (const char *)qudao_bytes_data(b);
  long long sum = 0;
  while (at != NULL && (at = strstr(at, "\"amount\": ")) != NULL) {
    at += strlen("\"amount\": ");
    sum += strtoll(at, NULL, 10);
  }
  return sum;
}

int main(int argc, char **argv) {
  const char *as_of_text = argc > 2 ? argv[2] : "2025-12-31";
  const qudao_dataset *ds = NULL;
  const qudao_journeys *journeys = NULL;
  const qudao_attribution *attribution = NULL;
  const qudao_channel_economics *econ = NULL;
  const qudao_budget_plan *plan = NULL;
  qudao_credit_columns credit;
  qudao_economics_columns cols;
  qudao_economics_options opts;
  qudao_document doc;
  qudao_bytes *realloc_json = NULL;
  qudao_error *err = NULL;
  qudao_status status;
  qudao_str *model = NULL, *channel = NULL, *conversions = NULL, *econ_channel = NULL;
  int64_t *spend = NULL;
  uint64_t *acquired = NULL;
  double *cac = NULL, *clv_cac = NULL;
  char *plan_text = NULL, buf[32], buf2[32];
  size_t n, nt, i, at, cap;
  long long budget = 0;
  int32_t as_of = 0;
  int rc = 1;

  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s <data set directory> [as-of YYYY-MM-DD]\n(qudao %s)\n", argv[0],
            qudao_version());
    return 2;
  }
  status = qudao_date_parse((const uint8_t *)as_of_text, strlen(as_of_text), &as_of, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("bad as-of date", status, err);
    return 2;
  }
  status = qudao_dataset_load_csv_dir((const uint8_t *)argv[1], strlen(argv[1]), NULL, &ds, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot load the data set", status, err);
    return 1;
  }

  /* Journeys and every model, with the default settings (qudao_attribution_settings_parse
   * for your own; JSON Schema: qudao_schema_json("attribution-settings")). */
  status = qudao_journeys_from_dataset(ds, NULL, &journeys, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot build the journeys", status, err);
    goto done;
  }
  status = qudao_attribute(journeys, NULL, &attribution, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot attribute", status, err);
    goto done;
  }
  printf("%zu journeys\n", qudao_journeys_len(journeys));
  n = qudao_attribution_len(attribution);
  cap = n ? n : 1;
  model = calloc(cap, sizeof *model);
  channel = calloc(cap, sizeof *channel);
  conversions = calloc(cap, sizeof *conversions);
  if (!model || !channel || !conversions) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  memset(&credit, 0, sizeof credit);
  credit.struct_size = sizeof credit;
  credit.rows = n;
  credit.model = model;
  credit.channel = channel;
  credit.conversions = conversions;
  status = qudao_attribution_columns(attribution, &credit, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the attribution", status, err);
    goto done;
  }
  /* Rows are (model, channel), models in run order, every model over the same channels in
   * name order: print channels down, models across. */
  {
    size_t channels = 0, models, m, c;
    while (channels < n && model[channels].len == model[0].len &&
           memcmp(model[channels].ptr, model[0].ptr, model[0].len) == 0) {
      channels++;
    }
    models = channels ? n / channels : 0;
    printf("attributed conversions (value in the JSON of qudao_attribution_json)\n%-12s", "channel");
    for (m = 0; m < models; m++) {
      printf(" %14.*s", (int)model[m * channels].len, (const char *)model[m * channels].ptr);
    }
    printf("\n");
    for (c = 0; c < channels; c++) {
      printf("%-12.*s", (int)channel[c].len, (const char *)channel[c].ptr);
      for (m = 0; m < models; m++) {
        qudao_str v = conversions[m * channels + c];
        printf(" %14.*s", (int)v.len, (const char *)v.ptr);
      }
      printf("\n");
    }
  }

  /* Economics per acquisition channel over all periods. */
  qudao_economics_options_init(&opts);
  opts.as_of = as_of;
  status = qudao_economics_compute(ds, &opts, NULL, &econ, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot compute the economics", status, err);
    goto done;
  }
  nt = qudao_channel_economics_totals_len(econ);
  cap = nt ? nt : 1;
  econ_channel = calloc(cap, sizeof *econ_channel);
  acquired = calloc(cap, sizeof *acquired);
  spend = calloc(cap, sizeof *spend);
  cac = calloc(cap, sizeof *cac);
  clv_cac = calloc(cap, sizeof *clv_cac);
  plan_text = malloc(256 + 64 * cap);
  if (!econ_channel || !acquired || !spend || !cac || !clv_cac || !plan_text) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = nt;
  cols.channel = econ_channel;
  cols.acquired = acquired;
  cols.spend = spend;
  cols.cac = cac;
  cols.clv_cac = clv_cac;
  status = qudao_channel_economics_totals_columns(econ, &cols, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the economics", status, err);
    goto done;
  }
  printf("\n%-10s %9s %16s %12s %9s\n", "channel", "acquired", "spend", "CAC", "CLV/CAC");
  for (i = 0; i < nt; i++) {
    printf("%-10.*s %9llu %16s ", (int)econ_channel[i].len, (const char *)econ_channel[i].ptr,
           (unsigned long long)acquired[i], money(spend[i], buf, sizeof buf));
    /* NaN where a measure is missing (no customer acquired, no spend). */
    if (isnan(cac[i])) {
      printf("%12s ", "-");
    } else {
      printf("%12.2f ", cac[i]);
    }
    if (isnan(clv_cac[i])) {
      printf("%9s\n", "-");
    } else {
      printf("%9.2f\n", clv_cac[i]);
    }
    budget += spend[i];
  }

  /* A budget plan over every acquisition channel (no bounds): the current total spend,
   * spread by attributed value per spend. JSON Schema: qudao_schema_json("budget-plan"). */
  at = (size_t)sprintf(plan_text,
                       "{\"schema_version\": 1, \"id\": \"demo\", \"total\": %lld, "
                       "\"measure\": \"attributed_value_per_spend\", \"channels\": [",
                       budget);
  for (i = 0; i < nt; i++) {
    at += (size_t)sprintf(plan_text + at, "%s{\"channel\": \"%.*s\"}", i ? ", " : "",
                          (int)(econ_channel[i].len < 40 ? econ_channel[i].len : 40),
                          (const char *)econ_channel[i].ptr);
  }
  strcpy(plan_text + at, "]}");

  doc.text = (const uint8_t *)plan_text;
  doc.len = strlen(plan_text);
  doc.format = QUDAO_FORMAT_JSON;
  status = qudao_budget_plan_parse(&doc, &plan, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the budget plan", status, err);
    goto done;
  }
  status = qudao_budget_reallocate_economics(plan, econ, attribution,
                                             QUDAO_ATTRIBUTION_MODEL_MARKOV, &realloc_json, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot reallocate", status, err);
    goto done;
  }
  /* The reallocation is JSON (qudao_budget_reallocate_economics documents it): per line the
   * channel, its efficiency, the bound that applied, the amount and the change against the
   * current spend, and the notes with the reasoning. Printed here line by line. */
  printf("\nreallocation of %s by Markov-attributed value per spend\n", money(budget, buf, sizeof buf));
  printf("%-12s %-14s %16s %16s\n", "channel", "bound", "amount", "change");
  {
    const char *at_line = (const char *)qudao_bytes_data(realloc_json);
    while ((at_line = strstr(at_line, "\"channel\": \"")) != NULL) {
      const char *name = at_line + strlen("\"channel\": \"");
      const char *end = strchr(name, '"');
      const char *bound = strstr(name, "\"bound\": \"");
      const char *amount = strstr(name, "\"amount\": ");
      const char *change = strstr(name, "\"change\": ");
      if (end == NULL || bound == NULL || amount == NULL || change == NULL) {
        break;
      }
      bound += strlen("\"bound\": \"");
      amount += strlen("\"amount\": ");
      change += strlen("\"change\": ");
      printf("%-12.*s %-14.*s %16s %16s\n", (int)(end - name), name,
             (int)(strchr(bound, '"') - bound), bound,
             money(strtoll(amount, NULL, 10), buf, sizeof buf),
             *change == 'n' ? "-" : money(strtoll(change, NULL, 10), buf2, sizeof buf2));
      at_line = change;
    }
  }
  printf("allocated %s of %s\n", money(sum_amounts(realloc_json), buf, sizeof buf),
         money(budget, buf2, sizeof buf2));
  rc = 0;

done:
  /* Text from the columns is borrowed from the handles: free them last. */
  free(model);
  free(channel);
  free(conversions);
  free(econ_channel);
  free(acquired);
  free(spend);
  free(cac);
  free(clv_cac);
  free(plan_text);
  qudao_bytes_free(realloc_json);
  qudao_budget_plan_free(plan);
  qudao_channel_economics_free(econ);
  qudao_attribution_free(attribution);
  qudao_journeys_free(journeys);
  qudao_dataset_free(ds);
  return rc;
}
