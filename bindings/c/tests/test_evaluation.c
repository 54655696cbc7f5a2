/* Evaluation: monthly KPIs of partners and channels over the bundled sample (values and a
 * missing value with its reason), the sample scorecard over quarterly KPIs (scores 0–100,
 * ranks 1..n), BCG of the channels for 2025, the sample warning rules catching the planted
 * overstocked partner, onboarding and grade suggestions as JSON, the field path of a
 * scorecard whose weights do not sum to 1, NULL arguments.
 * Usage: test_evaluation <repo root> */
#include <stdlib.h>

#include "harness.h"

static char root[4096];

static const char *const MONTHLY =
    "{\"from\": \"2024-01-01\", \"to\": \"2026-01-01\", \"grain\": \"month\","
    " \"kinds\": [\"partner\", \"channel\"]}";
static const char *const QUARTERLY =
    "{\"from\": \"2024-01-01\", \"to\": \"2026-01-01\", \"grain\": \"quarter\","
    " \"kinds\": [\"partner\"]}";
static const char *const YEARLY =
    "{\"from\": \"2024-01-01\", \"to\": \"2026-01-01\", \"grain\": \"year\","
    " \"kinds\": [\"channel\"]}";

/* One group whose weight is 0.5: the group weights sum to 0.5, not 1. */
static const char *const HALF_CARD =
    "{\"schema_version\": 1, \"id\": \"half\", \"name\": {\"en\": \"Half\", \"zh\": \"半\"},"
    " \"subject\": \"partner\", \"missing\": \"exclude_and_reweight\", \"groups\": [{"
    "\"group\": \"financial\", \"weight\": \"0.5\", \"indicators\": [{\"kpi\": \"revenue\","
    " \"normalisation\": {\"method\": \"min_max\"}, \"weight\": \"1\"}]}]}";

static const qudao_dataset *load_sample(void) {
  char dir[8192];
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  snprintf(dir, sizeof dir, "%s/testdata/sample", root);
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return ds;
}

static const qudao_kpi_table *kpis(const qudao_dataset *ds, const char *options) {
  const qudao_kpi_table *t = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_kpi_compute(ds, TEXT(options), &t, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return t;
}

static int str_is(qudao_str s, const char *text) {
  return s.ptr != NULL && s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

/* The overstocked partner planted in the sample, read from testdata/sample/planted.json. */
static int planted_overstocked(char *id, size_t cap) {
  char path[8192], buf[65536];
  const char *key = "\"overstocked_partner\": \"";
  const char *at, *end;
  size_t n;
  FILE *f;
  snprintf(path, sizeof path, "%s/testdata/sample/planted.json", root);
  f = fopen(path, "rb");
  if (f == NULL) {
    return 0;
  }
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  at = strstr(buf, key);
  if (at == NULL) {
    return 0;
  }
  at += strlen(key);
  end = strchr(at, '"');
  if (end == NULL || (size_t)(end - at) >= cap) {
    return 0;
  }
  memcpy(id, at, (size_t)(end - at));
  id[end - at] = '\0';
  return 1;
}

static void test_free_null(void) {
  qudao_kpi_table_free(NULL);
  qudao_scorecard_free(NULL);
  qudao_warning_rules_free(NULL);
  qudao_bcg_options_free(NULL);
  qudao_onboarding_policy_free(NULL);
  qudao_grade_rules_free(NULL);
  qudao_score_run_free(NULL);
  qudao_bcg_report_free(NULL);
  qudao_alert_report_free(NULL);
  CHECK(qudao_kpi_table_clone(NULL) == NULL);
  CHECK(qudao_score_run_clone(NULL) == NULL);
  CHECK(qudao_kpi_table_len(NULL) == 0);
  CHECK(qudao_score_run_len(NULL) == 0);
  CHECK(qudao_bcg_report_len(NULL) == 0);
  CHECK(qudao_alert_report_len(NULL) == 0);
}

/* Monthly KPIs: 24 months of revenue per channel, a value present, a KPI that does not apply
 * to channels missing with its reason. */
static void test_monthly_kpis(const qudao_kpi_table *t) {
  qudao_kpi_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  size_t n = qudao_kpi_table_len(t), i;
  size_t tmall_months = 0, partner_revenue = 0, not_applicable = 0, other_missing = 0;
  qudao_str *kind = calloc(n ? n : 1, sizeof *kind);
  qudao_subject_kind *kind_code = calloc(n ? n : 1, sizeof *kind_code);
  qudao_str *subject = calloc(n ? n : 1, sizeof *subject);
  qudao_str *period = calloc(n ? n : 1, sizeof *period);
  qudao_str *kpi = calloc(n ? n : 1, sizeof *kpi);
  double *value = calloc(n ? n : 1, sizeof *value);
  uint8_t *valid = calloc(n ? n : 1, sizeof *valid);
  qudao_str *text = calloc(n ? n : 1, sizeof *text);
  qudao_str *missing = calloc(n ? n : 1, sizeof *missing);
  qudao_str *missing_kind = calloc(n ? n : 1, sizeof *missing_kind);

  CHECK(t != NULL);
  CHECK(n > 0);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.kind = kind;
  cols.kind_code = kind_code;
  cols.subject = subject;
  cols.period = period;
  cols.kpi = kpi;
  cols.value = value;
  cols.value_valid = valid;
  cols.value_text = text;
  cols.missing = missing;
  cols.missing_kind = missing_kind;
  CHECK_STATUS(qudao_kpi_table_columns(t, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  for (i = 0; i < n; i++) {
    if (kind_code[i] == QUDAO_SUBJECT_KIND_CHANNEL && str_is(subject[i], "TMALL") &&
        str_is(kpi[i], "revenue")) {
      tmall_months++;
      CHECK(str_is(kind[i], "channel"));
      CHECK(valid[i] == 1);
      CHECK(text[i].len > 0);
      CHECK(missing[i].len == 0);
      if (str_is(period[i], "2025-06")) {
        CHECK(value[i] > 0.0);
      }
    }
    if (kind_code[i] == QUDAO_SUBJECT_KIND_PARTNER && str_is(kpi[i], "revenue") &&
        valid[i] == 1 && value[i] > 0.0) {
      partner_revenue++;
    }
    if (kind_code[i] == QUDAO_SUBJECT_KIND_CHANNEL && str_is(kpi[i], "inventory_turnover_days")) {
      /* Inventory is counted per partner and product: not for channels, and it says so. */
      CHECK(valid[i] == 0);
      CHECK(value[i] == 0.0);
      CHECK(text[i].len == 0);
      not_applicable += str_is(missing_kind[i], "not_applicable") &&
                        str_is(missing[i], "does not apply");
    } else if (valid[i] == 0) {
      other_missing += missing[i].len > 0 && missing_kind[i].len > 0;
    }
  }
  CHECK(tmall_months == 24);
  CHECK(partner_revenue > 0);
  CHECK(not_applicable > 0);
  CHECK(other_missing > 0);

  /* A wrong row count writes nothing. */
  cols.rows = n + 1;
  valid[0] = 7;
  CHECK_STATUS(qudao_kpi_table_columns(t, &cols, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "cols->rows"));
  CHECK(valid[0] == 7);
  qudao_error_free(err);
  err = NULL;

  CHECK_STATUS(qudao_kpi_table_json(t, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"2025-12\""));
  CHECK(h_bytes_have(json, "\"not_applicable\""));
  qudao_bytes_free(json);

  free(kind);
  free(kind_code);
  free(subject);
  free(period);
  free(kpi);
  free(value);
  free(valid);
  free(text);
  free(missing);
  free(missing_kind);
}

/* Bad KPI options name the field. */
static void test_bad_options(const qudao_dataset *ds) {
  const qudao_kpi_table *t = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_kpi_compute(ds, TEXT("{\"from\": \"2024-01-01\", \"to\": \"2026-01-01\","
                                          " \"grain\": \"month\", \"roll_up\": \"yes\"}"),
                                 &t, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "roll_up"));
  CHECK(t == NULL);
  qudao_error_free(err);
}

/* The sample scorecard over quarterly partner KPIs: scores within 0–100, the ranks of each
 * quarter are 1..n. */
static void test_scorecard(const qudao_kpi_table *quarterly) {
  const qudao_kpi_table *t = qudao_kpi_table_clone(quarterly);
  const qudao_scorecard *card = NULL;
  const qudao_score_run *run = NULL;
  qudao_score_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  size_t n, i, j, start, quarters = 0;
  qudao_str *period, *subject;
  double *score;
  uint32_t *rank;
  int in_range = 1, ranks_ok = 1;

  CHECK_STATUS(qudao_scorecard_sample(&card, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_scorecard_evaluate(card, t, &run, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  /* The run holds what it reports: card and table may go first. */
  qudao_scorecard_free(card);
  qudao_kpi_table_free(t);

  n = qudao_score_run_len(run);
  CHECK(n > 0);
  period = calloc(n ? n : 1, sizeof *period);
  subject = calloc(n ? n : 1, sizeof *subject);
  score = calloc(n ? n : 1, sizeof *score);
  rank = calloc(n ? n : 1, sizeof *rank);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.period = period;
  cols.subject = subject;
  cols.score = score;
  cols.rank = rank;
  CHECK_STATUS(qudao_score_run_columns(run, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  /* Rows come period by period; within a period every rank 1..m appears once. */
  for (start = 0; start < n; start = i) {
    size_t m;
    char *seen;
    for (i = start; i < n && period[i].len == period[start].len &&
                    memcmp(period[i].ptr, period[start].ptr, period[i].len) == 0;
         i++) {
    }
    m = i - start;
    seen = calloc(m + 1, 1);
    for (j = start; j < i; j++) {
      if (!(score[j] >= 0.0 && score[j] <= 100.0)) {
        in_range = 0;
      }
      if (rank[j] < 1 || rank[j] > m || seen[rank[j]]) {
        ranks_ok = 0;
      } else {
        seen[rank[j]] = 1;
      }
      if (subject[j].len == 0) {
        ranks_ok = 0;
      }
    }
    free(seen);
    quarters++;
  }
  CHECK(in_range);
  CHECK(ranks_ok);
  CHECK(quarters == 8);

  CHECK_STATUS(qudao_score_run_json(run, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"contribution\""));
  CHECK(h_bytes_have(json, "\"strengths\""));
  qudao_bytes_free(json);

  free(period);
  free(subject);
  free(score);
  free(rank);
  qudao_score_run_free(run);
}

/* A scorecard whose group weights sum to 0.5 is refused, naming the field path. */
static void test_bad_scorecard(void) {
  const qudao_scorecard *card = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  doc.text = (const uint8_t *)HALF_CARD;
  doc.len = strlen(HALF_CARD);
  doc.format = QUDAO_FORMAT_JSON;
  CHECK_STATUS(qudao_scorecard_parse(&doc, &card, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "groups: group weights sum to 0.5"));
  CHECK(card == NULL);
  qudao_error_free(err);
}

/* BCG of the channels for 2025 (year-over-year growth, share relative to the average). */
static void test_bcg(const qudao_dataset *ds) {
  const qudao_kpi_table *t = kpis(ds, YEARLY);
  const qudao_bcg_options *options = NULL;
  const qudao_bcg_report *report = NULL;
  qudao_bcg_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  qudao_str year;
  size_t n, i;
  int consistent = 1;
  qudao_str *subject, *period, *quadrant;
  qudao_quadrant *code;
  double *share;
  static const char *const names[] = {"star", "cash_cow", "question_mark", "dog"};

  year.ptr = (const uint8_t *)"2025";
  year.len = 4;
  CHECK_STATUS(qudao_bcg_options_sample(&options, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_bcg_analyze(options, t, &year, 1, &report, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  n = qudao_bcg_report_len(report);
  CHECK(n > 0);
  subject = calloc(n ? n : 1, sizeof *subject);
  period = calloc(n ? n : 1, sizeof *period);
  quadrant = calloc(n ? n : 1, sizeof *quadrant);
  code = calloc(n ? n : 1, sizeof *code);
  share = calloc(n ? n : 1, sizeof *share);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.subject = subject;
  cols.period = period;
  cols.quadrant = quadrant;
  cols.quadrant_code = code;
  cols.relative_share = share;
  CHECK_STATUS(qudao_bcg_report_columns(report, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  for (i = 0; i < n; i++) {
    if ((unsigned)code[i] > 3 || !str_is(quadrant[i], names[code[i]]) ||
        !str_is(period[i], "2025") || subject[i].len == 0 || !(share[i] >= 0.0)) {
      consistent = 0;
    }
  }
  CHECK(consistent);
  CHECK_STATUS(qudao_bcg_report_json(report, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"movements\""));
  CHECK(h_bytes_have(json, "\"action\""));
  qudao_bytes_free(json);

  /* A bad period names its index. */
  year.ptr = (const uint8_t *)"2025-13";
  year.len = 7;
  qudao_bcg_report_free(report);
  report = NULL;
  CHECK_STATUS(qudao_bcg_analyze(options, t, &year, 1, &report, &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "periods[0]"));
  CHECK(report == NULL);
  qudao_error_free(err);

  free(subject);
  free(period);
  free(quadrant);
  free(code);
  free(share);
  qudao_bcg_options_free(options);
  qudao_kpi_table_free(t);
}

/* The sample warning rules over monthly KPIs catch the planted overstocked partner under
 * `stock-cover-high`. */
static void test_alerts(const qudao_kpi_table *t) {
  const qudao_warning_rules *rules = NULL;
  const qudao_alert_report *report = NULL;
  qudao_alert_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;
  char overstocked[64];
  size_t n, i, caught = 0;
  qudao_str *rule, *subject, *severity, *message;
  qudao_severity *severity_code;

  CHECK(planted_overstocked(overstocked, sizeof overstocked));
  CHECK_STATUS(qudao_warning_rules_sample(&rules, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_alerts_evaluate(rules, t, NULL, 0, &report, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  n = qudao_alert_report_len(report);
  CHECK(n > 0);
  rule = calloc(n ? n : 1, sizeof *rule);
  subject = calloc(n ? n : 1, sizeof *subject);
  severity = calloc(n ? n : 1, sizeof *severity);
  message = calloc(n ? n : 1, sizeof *message);
  severity_code = calloc(n ? n : 1, sizeof *severity_code);
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.rule = rule;
  cols.subject = subject;
  cols.severity = severity;
  cols.severity_code = severity_code;
  cols.message = message;
  CHECK_STATUS(qudao_alert_report_columns(report, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  for (i = 0; i < n; i++) {
    if (str_is(rule[i], "stock-cover-high") && str_is(subject[i], overstocked)) {
      caught++;
      CHECK(message[i].len > 0);
      CHECK(severity[i].len > 0);
    }
  }
  CHECK(caught > 0);
  CHECK_STATUS(qudao_alert_report_json(report, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"evidence\""));
  CHECK(h_bytes_have(json, "inventory_turnover_days"));
  qudao_bytes_free(json);

  free(rule);
  free(subject);
  free(severity);
  free(message);
  free(severity_code);
  qudao_alert_report_free(report);
  qudao_warning_rules_free(rules);
}

/* Onboarding of the master data's partners and grade suggestions from quarterly scores. */
static void test_onboarding_and_grades(const qudao_dataset *ds, const qudao_kpi_table *t) {
  const qudao_onboarding_policy *policy = NULL;
  const qudao_grade_rules *rules = NULL;
  const qudao_scorecard *card = NULL;
  const qudao_score_run *run = NULL;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL;

  CHECK_STATUS(qudao_onboarding_policy_sample(&policy, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_onboarding_evaluate_json(policy, ds, &json, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(h_bytes_have(json, "\"failed_gates\""));
  qudao_bytes_free(json);
  json = NULL;
  CHECK_STATUS(qudao_onboarding_evaluate_candidate_json(
                   policy, TEXT("{\"licence_held\": false, \"years_in_industry\": 10}"), &json,
                   &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(h_bytes_have(json, "\"passed\": false"));
  qudao_bytes_free(json);
  json = NULL;

  CHECK_STATUS(qudao_scorecard_sample(&card, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_scorecard_evaluate(card, t, &run, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_grade_rules_sample(&rules, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_grade_suggest_json(rules, ds, t, run, TEXT("2025-Q4"), &json, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(h_bytes_have(json, "\"suggestions\""));
  qudao_bytes_free(json);

  qudao_grade_rules_free(rules);
  qudao_score_run_free(run);
  qudao_scorecard_free(card);
  qudao_onboarding_policy_free(policy);
}

static void test_schemas(void) {
  static const char *const kinds[] = {"scorecard", "onboarding-policy", "grade-rules",
                                      "bcg-options", "warning-rules"};
  size_t i;
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    qudao_bytes *schema = NULL;
    qudao_error *err = NULL;
    CHECK_STATUS(qudao_schema_json(TEXT(kinds[i]), &schema, &err), QUDAO_STATUS_OK, err);
    CHECK(h_bytes_have(schema, "\"schema_version\""));
    qudao_bytes_free(schema);
    qudao_error_free(err);
  }
}

static void test_null_arguments(const qudao_dataset *ds) {
  const qudao_kpi_table *t = NULL;
  const qudao_score_run *run = NULL;
  const qudao_bcg_report *bcg = NULL;
  const qudao_alert_report *alerts = NULL;
  const qudao_scorecard *card = NULL;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;

  CHECK_STATUS(qudao_kpi_compute(NULL, TEXT(YEARLY), &t, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`ds`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_kpi_compute(ds, NULL, 5, &t, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`options_json`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_kpi_compute(ds, TEXT(YEARLY), NULL, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`out`"));
  qudao_error_free(err);
  CHECK(t == NULL);

  CHECK_STATUS(qudao_scorecard_evaluate(NULL, NULL, &run, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  CHECK(h_message_has(err, "`card`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_scorecard_sample(&card, NULL), QUDAO_STATUS_OK, NULL);
  CHECK_STATUS(qudao_scorecard_evaluate(card, NULL, &run, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  CHECK(h_message_has(err, "`table`"));
  qudao_error_free(err);
  qudao_scorecard_free(card);
  CHECK(run == NULL);

  CHECK_STATUS(qudao_bcg_analyze(NULL, NULL, NULL, 0, &bcg, &err), QUDAO_STATUS_NULL_ARGUMENT,
               err);
  CHECK(h_message_has(err, "`options`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_alerts_evaluate(NULL, NULL, NULL, 0, &alerts, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`rules`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_kpi_table_json(NULL, &json, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`table`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_kpi_table_columns(NULL, NULL, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  CHECK_STATUS(qudao_onboarding_evaluate_json(NULL, ds, &json, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`policy`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_grade_suggest_json(NULL, ds, NULL, NULL, NULL, 0, &json, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`rules`"));
  qudao_error_free(err);
  CHECK_STATUS(qudao_scorecard_parse(NULL, &card, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`doc`"));
  qudao_error_free(err);
  /* Without an error out-param the status still tells. */
  CHECK(qudao_warning_rules_sample(NULL, NULL) == QUDAO_STATUS_NULL_ARGUMENT);
  CHECK(bcg == NULL && alerts == NULL && json == NULL);
}

int main(int argc, char **argv) {
  const qudao_dataset *ds;
  const qudao_kpi_table *monthly, *quarterly;
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_free_null();
  ds = load_sample();
  monthly = kpis(ds, MONTHLY);
  quarterly = kpis(ds, QUARTERLY);
  test_monthly_kpis(monthly);
  test_bad_options(ds);
  test_scorecard(quarterly);
  test_bad_scorecard();
  test_bcg(ds);
  test_alerts(monthly);
  test_onboarding_and_grades(ds, quarterly);
  test_schemas();
  test_null_arguments(ds);
  qudao_kpi_table_free(quarterly);
  qudao_kpi_table_free(monthly);
  qudao_dataset_free(ds);
  return h_finish();
}
