/* Attribution and channel economics: the issue's hand-solved case (paths A: 2 conversions +
 * 1 null, B: 1, A > B: 1 → Markov A 2.4, B 1.6) read as columns and JSON, the same journeys
 * from touchpoints, bad input (empty path, negative value, lookback 0 in the settings in
 * JSON, TOML and YAML), a reallocation adding up exactly to the budget, economics of the
 * bundled sample with a CLV fit (columns, totals, revenue shares) and a reallocation by the
 * sample's Markov attribution, NULL arguments.
 * Usage: test_attribution <repo root> */
#include <math.h>
#include <stdlib.h>

#include "harness.h"

static char root[4096];

static int str_is(qudao_str s, const char *text) {
  return s.ptr != NULL && s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
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

static const qudao_attribution_settings *parse_settings(const char *text, qudao_format format) {
  const qudao_attribution_settings *s = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  doc.text = (const uint8_t *)text;
  doc.len = strlen(text);
  doc.format = format;
  CHECK_STATUS(qudao_attribution_settings_parse(&doc, &s, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return s;
}

static const qudao_budget_plan *parse_plan(const char *text) {
  const qudao_budget_plan *p = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  doc.text = (const uint8_t *)text;
  doc.len = strlen(text);
  doc.format = QUDAO_FORMAT_JSON;
  CHECK_STATUS(qudao_budget_plan_parse(&doc, &p, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return p;
}

static void test_free_null(void) {
  qudao_attribution_settings_free(NULL);
  qudao_journeys_free(NULL);
  qudao_attribution_free(NULL);
  qudao_channel_economics_free(NULL);
  qudao_budget_plan_free(NULL);
  qudao_economics_options_init(NULL);
  CHECK(qudao_attribution_settings_clone(NULL) == NULL);
  CHECK(qudao_journeys_clone(NULL) == NULL);
  CHECK(qudao_attribution_clone(NULL) == NULL);
  CHECK(qudao_channel_economics_clone(NULL) == NULL);
  CHECK(qudao_budget_plan_clone(NULL) == NULL);
  CHECK(qudao_journeys_len(NULL) == 0);
  CHECK(qudao_attribution_len(NULL) == 0);
  CHECK(qudao_channel_economics_len(NULL) == 0);
  CHECK(qudao_channel_economics_totals_len(NULL) == 0);
  CHECK(qudao_channel_economics_revenue_share_len(NULL) == 0);
}

/* The issue's paths. */
static qudao_str issue_path[3];
static int64_t issue_conversions[3] = {2, 1, 1};
static int64_t issue_value[3] = {200, 100, 100};
static int64_t issue_nulls[3] = {1, 0, 0};

static qudao_path_columns issue_columns(void) {
  qudao_path_columns cols;
  issue_path[0].ptr = (const uint8_t *)"A";
  issue_path[0].len = 1;
  issue_path[1].ptr = (const uint8_t *)"B";
  issue_path[1].len = 1;
  issue_path[2].ptr = (const uint8_t *)"A > B";
  issue_path[2].len = 5;
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = 3;
  cols.path = issue_path;
  cols.conversions = issue_conversions;
  cols.value = issue_value;
  cols.nulls = issue_nulls;
  return cols;
}

/* Markov credit of A and B (micro-conversions and value) in an attribution. */
static void markov_credit(const qudao_attribution *a, int64_t micro[2], int64_t value[2]) {
  qudao_credit_columns cols;
  qudao_error *err = NULL;
  size_t n = qudao_attribution_len(a), i;
  qudao_str *model = calloc(n ? n : 1, sizeof *model);
  qudao_str *channel = calloc(n ? n : 1, sizeof *channel);
  qudao_str *text = calloc(n ? n : 1, sizeof *text);
  qudao_attribution_model *code = calloc(n ? n : 1, sizeof *code);
  int64_t *m = calloc(n ? n : 1, sizeof *m);
  int64_t *v = calloc(n ? n : 1, sizeof *v);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.model = model;
  cols.model_code = code;
  cols.channel = channel;
  cols.conversions = text;
  cols.conversions_micro = m;
  cols.value = v;
  micro[0] = micro[1] = value[0] = value[1] = -1;
  CHECK_STATUS(qudao_attribution_columns(a, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  for (i = 0; i < n; i++) {
    if (code[i] == QUDAO_ATTRIBUTION_MODEL_MARKOV) {
      int c = str_is(channel[i], "A") ? 0 : 1;
      CHECK(str_is(model[i], "markov"));
      CHECK(str_is(text[i], c == 0 ? "2.400000" : "1.600000"));
      micro[c] = m[i];
      value[c] = v[i];
    }
  }
  free(model);
  free(channel);
  free(text);
  free(code);
  free(m);
  free(v);
}

/* Base conversion probability 4/5; removal effects A 0.75, B 0.5; shares 0.6 / 0.4 of 4
 * conversions and 400 of value. */
static void test_issue_case(void) {
  qudao_path_columns cols = issue_columns();
  const qudao_journeys *j = NULL;
  const qudao_attribution *a = NULL;
  qudao_bytes *json = NULL, *markov = NULL;
  qudao_error *err = NULL;
  int64_t micro[2], value[2];

  CHECK_STATUS(qudao_journeys_from_paths(&cols, NULL, 0, &j, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(qudao_journeys_len(j) == 3);
  CHECK_STATUS(qudao_attribute(j, NULL, &a, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  markov_credit(a, micro, value);
  CHECK(micro[0] == 2400000 && micro[1] == 1600000);
  CHECK(value[0] == 240 && value[1] == 160);

  CHECK_STATUS(qudao_attribution_json(a, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"models\""));
  CHECK(h_bytes_have(json, "\"shapley\""));
  CHECK(h_bytes_have(json, "\"time_decay\"")); /* skipped: paths have no times */
  qudao_bytes_free(json);
  CHECK_STATUS(qudao_attribution_markov_json(a, &markov, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(markov, "\"transitions\""));
  CHECK(h_bytes_have(markov, "\"removal_effect\": \"0.75"));
  CHECK(h_bytes_have(markov, "\"removal_effect\": \"0.5"));
  CHECK(h_bytes_have(markov, "\"conversion_probability\": \"0.8"));
  qudao_bytes_free(markov);
  qudao_attribution_free(a);
  qudao_journeys_free(j);
}

/* The same journeys from touchpoints and conversions give the same Markov credit. */
static void test_touchpoints(void) {
  static const char *const customers[6] = {"c1", "c2", "c3", "c4", "c5", "c5"};
  static const char *const channels[6] = {"A", "A", "A", "B", "A", "B"};
  static const char *const buyers[4] = {"c1", "c2", "c4", "c5"};
  qudao_str customer[6], channel[6], buyer[4];
  int64_t time[6] = {0, 0, 0, 0, 0, 50};
  int64_t conv_time[4] = {100, 100, 100, 100};
  int64_t conv_value[4] = {100, 100, 100, 100};
  qudao_touch_columns touches;
  qudao_conversion_columns conversions;
  const qudao_attribution_settings *s =
      parse_settings("{\"schema_version\": 1, \"lookback_days\": 1, \"models\": [\"markov\"]}",
                     QUDAO_FORMAT_JSON);
  const qudao_journeys *j = NULL;
  const qudao_attribution *a = NULL;
  qudao_error *err = NULL;
  int64_t micro[2], value[2];
  int i;
  for (i = 0; i < 6; i++) {
    customer[i].ptr = (const uint8_t *)customers[i];
    customer[i].len = strlen(customers[i]);
    channel[i].ptr = (const uint8_t *)channels[i];
    channel[i].len = strlen(channels[i]);
  }
  for (i = 0; i < 4; i++) {
    buyer[i].ptr = (const uint8_t *)buyers[i];
    buyer[i].len = strlen(buyers[i]);
  }
  memset(&touches, 0, sizeof touches);
  touches.struct_size = sizeof touches;
  touches.rows = 6;
  touches.customer = customer;
  touches.time = time;
  touches.channel = channel;
  memset(&conversions, 0, sizeof conversions);
  conversions.struct_size = sizeof conversions;
  conversions.rows = 4;
  conversions.customer = buyer;
  conversions.time = conv_time;
  conversions.value = conv_value;
  CHECK_STATUS(qudao_journeys_from_touchpoints(&touches, &conversions, s, &j, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_attribute(j, s, &a, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(qudao_attribution_len(a) == 2); /* one model, two channels */
  markov_credit(a, micro, value);
  CHECK(micro[0] == 2400000 && micro[1] == 1600000);
  CHECK(value[0] == 240 && value[1] == 160);
  qudao_attribution_free(a);
  qudao_journeys_free(j);

  /* A negative touch cost names the table, row and column. */
  {
    int64_t cost[6] = {0, 0, 0, 0, -1, 0};
    touches.cost = cost;
    j = NULL;
    CHECK_STATUS(qudao_journeys_from_touchpoints(&touches, &conversions, s, &j, &err),
                 QUDAO_STATUS_DATA_ERROR, err);
    CHECK(h_message_has(err, "touchpoints:5"));
    CHECK(h_message_has(err, "cost"));
    CHECK(j == NULL);
    qudao_error_free(err);
  }
  qudao_attribution_settings_free(s);
}

static void test_bad_input(void) {
  static const char *const json = "{\"schema_version\": 1, \"lookback_days\": 0}";
  static const char *const toml = "schema_version = 1\nlookback_days = 0\n";
  static const char *const yaml = "schema_version: 1\nlookback_days: 0\n";
  const char *const texts[3] = {json, toml, yaml};
  const qudao_format formats[3] = {QUDAO_FORMAT_JSON, QUDAO_FORMAT_TOML, QUDAO_FORMAT_YAML};
  qudao_path_columns cols = issue_columns();
  const qudao_journeys *j = NULL;
  const qudao_attribution_settings *s = NULL;
  qudao_bytes *schema = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  int i;

  /* An empty path. */
  issue_path[1].ptr = (const uint8_t *)" ";
  issue_path[1].len = 1;
  CHECK_STATUS(qudao_journeys_from_paths(&cols, NULL, 0, &j, &err), QUDAO_STATUS_DATA_ERROR, err);
  CHECK(h_message_has(err, "paths:2"));
  CHECK(h_message_has(err, "empty path"));
  CHECK(j == NULL);
  qudao_error_free(err);
  err = NULL;

  /* A negative value. */
  cols = issue_columns();
  issue_value[2] = -100;
  CHECK_STATUS(qudao_journeys_from_paths(&cols, NULL, 0, &j, &err), QUDAO_STATUS_DATA_ERROR, err);
  CHECK(h_message_has(err, "paths:3"));
  CHECK(h_message_has(err, "negative"));
  CHECK(j == NULL);
  qudao_error_free(err);
  err = NULL;
  issue_value[2] = 100;

  /* A wrong struct_size. */
  cols.struct_size = 4;
  CHECK_STATUS(qudao_journeys_from_paths(&cols, NULL, 0, &j, &err), QUDAO_STATUS_INVALID_ARGUMENT,
               err);
  CHECK(h_message_has(err, "struct_size"));
  qudao_error_free(err);
  err = NULL;

  /* Lookback 0 in the settings, in every format. */
  for (i = 0; i < 3; i++) {
    doc.text = (const uint8_t *)texts[i];
    doc.len = strlen(texts[i]);
    doc.format = formats[i];
    CHECK_STATUS(qudao_attribution_settings_parse(&doc, &s, &err), QUDAO_STATUS_DOCUMENT_ERROR,
                 err);
    CHECK(h_message_has(err, "lookback_days"));
    CHECK(s == NULL);
    qudao_error_free(err);
    err = NULL;
  }
  CHECK_STATUS(qudao_schema_json(TEXT("attribution-settings"), &schema, &err), QUDAO_STATUS_OK,
               err);
  CHECK(h_bytes_have(schema, "\"lookback_days\""));
  qudao_bytes_free(schema);
  schema = NULL;
  CHECK_STATUS(qudao_schema_json(TEXT("budget-plan"), &schema, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(schema, "\"measure\""));
  qudao_bytes_free(schema);
}

/* 1,000,001 over efficiencies 1 : 2 : 4, C capped: the amounts add up exactly. */
static void test_reallocation(void) {
  const qudao_budget_plan *p = parse_plan(
      "{\"schema_version\": 1, \"id\": \"q1\", \"total\": 1000001, \"measure\": \"given\","
      " \"channels\": [{\"channel\": \"A\", \"efficiency\": \"1\"},"
      " {\"channel\": \"B\", \"efficiency\": \"2\", \"min\": 100000},"
      " {\"channel\": \"C\", \"efficiency\": \"4\", \"max\": 500000}]}");
  const qudao_budget_plan *q = NULL;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  static const char *const bad = "{\"schema_version\": 1, \"id\": \"x\", \"total\": 10, "
                                 "\"measure\": \"given\", \"channels\": [{\"channel\": \"A\", "
                                 "\"min\": 5, \"max\": 3}]}";
  CHECK_STATUS(qudao_budget_reallocate(p, NULL, 0, &json, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(sum_amounts(json) == 1000001);
  CHECK(h_bytes_have(json, "\"bound\": \"max\""));
  CHECK(h_bytes_have(json, "\"notes\""));
  qudao_bytes_free(json);
  json = NULL;

  CHECK_STATUS(qudao_budget_reallocate(p, TEXT("{\"channels\": 3}"), &json, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "inputs_json"));
  CHECK(json == NULL);
  qudao_error_free(err);
  err = NULL;

  doc.text = (const uint8_t *)bad;
  doc.len = strlen(bad);
  doc.format = QUDAO_FORMAT_JSON;
  CHECK_STATUS(qudao_budget_plan_parse(&doc, &q, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "channels[0].max"));
  CHECK(q == NULL);
  qudao_error_free(err);
  qudao_budget_plan_free(p);
}

/* Economics of the bundled sample as of 2025-12-31 with a CLV fit; a reallocation of the
 * channels' budget by the Markov attribution of the sample's journeys. */
static void test_sample_economics(void) {
  char dir[8192], plan[8192];
  const qudao_dataset *ds = NULL;
  const qudao_channel_economics *e = NULL;
  const qudao_journeys *j = NULL;
  const qudao_attribution *a = NULL;
  const qudao_budget_plan *p = NULL;
  qudao_economics_options opts;
  qudao_clv_options clv;
  qudao_economics_columns cols;
  qudao_revenue_share_columns shares;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  size_t n, nt, ns, i, at;
  uint64_t acquired_sum = 0;
  int predicted_any = 0;
  int32_t as_of = 0;
  qudao_str *channel, *period, *share_period;
  uint64_t *acquired;
  int64_t *spend, *predicted;
  uint8_t *predicted_valid;
  double *cac, *share;

  snprintf(dir, sizeof dir, "%s/testdata/sample", root);
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_date_parse(TEXT("2025-12-31"), &as_of, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  qudao_economics_options_init(&opts);
  opts.as_of = as_of;
  opts.grain = QUDAO_GRAIN_QUARTER;
  opts.value = QUDAO_VALUE_BASIS_HISTORIC_PLUS_PREDICTED;
  opts.threads = 2;
  qudao_clv_options_init(&clv);
  CHECK_STATUS(qudao_economics_compute(ds, &opts, &clv, &e, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;

  n = qudao_channel_economics_len(e);
  nt = qudao_channel_economics_totals_len(e);
  ns = qudao_channel_economics_revenue_share_len(e);
  CHECK(n > 0 && nt > 0 && ns > 0);
  CHECK(n % nt == 0); /* every channel has a row for every period */

  channel = calloc(nt ? nt : 1, sizeof *channel);
  period = calloc(nt ? nt : 1, sizeof *period);
  acquired = calloc(nt ? nt : 1, sizeof *acquired);
  spend = calloc(nt ? nt : 1, sizeof *spend);
  predicted = calloc(nt ? nt : 1, sizeof *predicted);
  predicted_valid = calloc(nt ? nt : 1, sizeof *predicted_valid);
  cac = calloc(nt ? nt : 1, sizeof *cac);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = nt;
  cols.channel = channel;
  cols.period = period;
  cols.acquired = acquired;
  cols.spend = spend;
  cols.predicted = predicted;
  cols.predicted_valid = predicted_valid;
  cols.cac = cac;
  CHECK_STATUS(qudao_channel_economics_totals_columns(e, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  /* The plan over every acquisition channel. */
  at = (size_t)snprintf(plan, sizeof plan,
                        "{\"schema_version\": 1, \"id\": \"p\", \"total\": 12345679, "
                        "\"measure\": \"attributed_value_per_spend\", \"channels\": [");
  for (i = 0; i < nt; i++) {
    acquired_sum += acquired[i];
    predicted_any |= predicted_valid[i];
    CHECK(period[i].len == 0); /* totals have no period */
    CHECK(spend[i] >= 0);
    CHECK(isnan(cac[i]) || cac[i] >= 0.0);
    if (at < sizeof plan) {
      at += (size_t)snprintf(plan + at, sizeof plan - at, "%s{\"channel\": \"%.*s\"}",
                             i ? ", " : "", (int)channel[i].len, (const char *)channel[i].ptr);
    }
  }
  if (at < sizeof plan) {
    snprintf(plan + at, sizeof plan - at, "]}");
  }
  CHECK(acquired_sum > 0);
  CHECK(predicted_any); /* the CLV fit gave predictions */

  /* The period rows: the row count is checked; a wrong one writes nothing. */
  cols.rows = nt;
  CHECK_STATUS(qudao_channel_economics_columns(e, &cols, &err), n == nt ? QUDAO_STATUS_OK
                                                                        : QUDAO_STATUS_INVALID_ARGUMENT,
               err);
  qudao_error_free(err);
  err = NULL;

  share_period = calloc(ns, sizeof *share_period);
  share = calloc(ns, sizeof *share);
  memset(&shares, 0, sizeof shares);
  shares.struct_size = sizeof shares;
  shares.rows = ns;
  shares.period = share_period;
  shares.share = share;
  CHECK_STATUS(qudao_channel_economics_revenue_share_columns(e, &shares, &err), QUDAO_STATUS_OK,
               err);
  qudao_error_free(err);
  err = NULL;
  {
    double total = 0.0;
    for (i = 0; i < ns; i++) {
      if (share_period[i].len == share_period[0].len &&
          memcmp(share_period[i].ptr, share_period[0].ptr, share_period[0].len) == 0 &&
          !isnan(share[i])) {
        total += share[i];
      }
    }
    CHECK(total - 1.0 < 1e-9 && 1.0 - total < 1e-9);
  }

  CHECK_STATUS(qudao_channel_economics_json(e, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"totals\""));
  CHECK(h_bytes_have(json, "\"revenue_share\""));
  CHECK(h_bytes_have(json, "\"predictions\": \"BG/NBD"));
  qudao_bytes_free(json);
  json = NULL;
  CHECK_STATUS(qudao_channel_economics_clv_fit_json(e, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"purchases\""));
  qudao_bytes_free(json);
  json = NULL;

  /* The sample's journeys, Markov, and the budget by attributed value per spend. */
  CHECK_STATUS(qudao_journeys_from_dataset(ds, NULL, &j, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(qudao_journeys_len(j) > 0);
  CHECK_STATUS(qudao_attribute(j, NULL, &a, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  p = parse_plan(plan);
  CHECK_STATUS(
      qudao_budget_reallocate_economics(p, e, a, QUDAO_ATTRIBUTION_MODEL_MARKOV, &json, &err),
      QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(sum_amounts(json) == 12345679);
  CHECK(h_bytes_have(json, "\"measure\": \"attributed_value_per_spend\""));
  qudao_bytes_free(json);
  json = NULL;
  CHECK_STATUS(qudao_budget_reallocate_economics(p, e, a, 99, &json, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "model"));
  CHECK(json == NULL);
  qudao_error_free(err);

  free(channel);
  free(period);
  free(acquired);
  free(spend);
  free(predicted);
  free(predicted_valid);
  free(cac);
  free(share_period);
  free(share);
  qudao_budget_plan_free(p);
  qudao_attribution_free(a);
  qudao_journeys_free(j);
  qudao_channel_economics_free(e);
  qudao_dataset_free(ds);
}

static void test_null_arguments(void) {
  const qudao_journeys *j = NULL;
  const qudao_attribution *a = NULL;
  const qudao_channel_economics *e = NULL;
  qudao_bytes *b = NULL;
  qudao_error *err = NULL;
  qudao_economics_options opts;
  qudao_economics_options_init(&opts);

  CHECK_STATUS(qudao_journeys_from_paths(NULL, NULL, 0, &j, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  CHECK(h_message_has(err, "`cols`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_attribute(NULL, NULL, &a, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`journeys`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_attribution_json(NULL, &b, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_economics_compute(NULL, &opts, NULL, &e, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  CHECK(h_message_has(err, "`ds`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_budget_reallocate(NULL, NULL, 0, &b, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`plan`"));
  qudao_error_free(err);
  CHECK(j == NULL && a == NULL && e == NULL && b == NULL);
  /* Without an error out-param the status still tells, and nothing leaks. */
  CHECK(qudao_attribute(NULL, NULL, NULL, NULL) == QUDAO_STATUS_NULL_ARGUMENT);
}

int main(int argc, char **argv) {
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_free_null();
  test_issue_case();
  test_touchpoints();
  test_bad_input();
  test_reallocation();
  test_sample_economics();
  test_null_arguments();
  return h_finish();
}
