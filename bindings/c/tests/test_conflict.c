/* Conflict: the sample policy over the bundled sample (cross-region findings only against
 * the planted cross-region partner, read as columns and as JSON, one finding by id), the
 * findings fed to the rebate settlement of the sample book (a penalty adjustment quoting a
 * finding id; waiving it removes it), field-path errors of a bad policy and of bad inputs,
 * NULL arguments.
 * Usage: test_conflict <repo root> */
#include <stdlib.h>

#include "harness.h"

static char root[4096];

static const qudao_dataset *load_sample(void) {
  char dir[8192];
  const qudao_dataset *ds = NULL;
  qudao_error *err = NULL;
  snprintf(dir, sizeof dir, "%s/testdata/sample", root);
  CHECK_STATUS(qudao_dataset_load_csv_dir(TEXT(dir), NULL, &ds, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return ds;
}

static const qudao_conflict_policy *sample_policy(void) {
  const qudao_conflict_policy *p = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_conflict_policy_sample(&p, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return p;
}

static const qudao_conflict_report *detect(const qudao_dataset *ds,
                                           const qudao_conflict_policy *p,
                                           const qudao_conflict_inputs *inputs) {
  const qudao_conflict_report *r = NULL;
  qudao_error *err = NULL;
  CHECK_STATUS(qudao_conflict_detect(ds, p, inputs, &r, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  return r;
}

static int str_is(qudao_str s, const char *text) {
  return s.ptr != NULL && s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

/* A field of testdata/sample/planted.json (`"key": "value"`). */
static int planted(const char *key, char *id, size_t cap) {
  char path[8192], buf[65536], pattern[128];
  const char *at, *end;
  size_t n;
  FILE *f;
  snprintf(path, sizeof path, "%s/testdata/sample/planted.json", root);
  snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
  f = fopen(path, "rb");
  if (f == NULL) {
    return 0;
  }
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  at = strstr(buf, pattern);
  if (at == NULL) {
    return 0;
  }
  at += strlen(pattern);
  end = strchr(at, '"');
  if (end == NULL || (size_t)(end - at) >= cap) {
    return 0;
  }
  memcpy(id, at, (size_t)(end - at));
  id[end - at] = '\0';
  return 1;
}

static void test_free_null(void) {
  qudao_conflict_policy_free(NULL);
  qudao_conflict_report_free(NULL);
  qudao_conflict_inputs_init(NULL);
  CHECK(qudao_conflict_policy_clone(NULL) == NULL);
  CHECK(qudao_conflict_report_clone(NULL) == NULL);
  CHECK(qudao_conflict_report_len(NULL) == 0);
}

#define MAX_IDS 64
#define ID_CAP 128

/* The ids of the cross-region findings. */
static char cross_ids[MAX_IDS][ID_CAP];
static size_t cross_count = 0;

/* The sample: cross-region findings exist and all are against the planted partner (their ids
 * go to `cross_ids`); columns and JSON agree; one finding by id; an unknown id is an invalid
 * argument. */
static void test_sample_report(const qudao_conflict_report *r) {
  qudao_conflict_columns cols;
  qudao_error *err = NULL;
  qudao_bytes *json = NULL, *one = NULL;
  char cross[64], below[64];
  size_t n = qudao_conflict_report_len(r), i, cross_found = 0, cross_other = 0;
  size_t below_found = 0, below_other = 0;
  qudao_str *id = calloc(n ? n : 1, sizeof *id);
  qudao_str *detector = calloc(n ? n : 1, sizeof *detector);
  qudao_str *partner = calloc(n ? n : 1, sizeof *partner);
  qudao_str *period = calloc(n ? n : 1, sizeof *period);
  qudao_str *severity = calloc(n ? n : 1, sizeof *severity);
  qudao_conflict_severity *severity_code = calloc(n ? n : 1, sizeof *severity_code);
  qudao_str *message_zh = calloc(n ? n : 1, sizeof *message_zh);
  int32_t *first_day = calloc(n ? n : 1, sizeof *first_day);
  int32_t *last_day = calloc(n ? n : 1, sizeof *last_day);
  uint64_t *lines = calloc(n ? n : 1, sizeof *lines);
  int64_t *amount = calloc(n ? n : 1, sizeof *amount);

  CHECK(planted("cross_region_partner", cross, sizeof cross));
  CHECK(planted("below_floor_partner", below, sizeof below));
  CHECK(n > 0);

  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.id = id;
  cols.detector = detector;
  cols.partner = partner;
  cols.period = period;
  cols.severity = severity;
  cols.severity_code = severity_code;
  cols.message_zh = message_zh;
  cols.first_day = first_day;
  cols.last_day = last_day;
  cols.evidence_lines = lines;
  cols.evidence_amount = amount;
  CHECK_STATUS(qudao_conflict_report_columns(r, &cols, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  for (i = 0; i < n; i++) {
    if (str_is(detector[i], "cross_region")) {
      if (str_is(partner[i], cross)) {
        cross_found++;
        if (cross_count < MAX_IDS && id[i].len < ID_CAP) {
          memcpy(cross_ids[cross_count], id[i].ptr, id[i].len);
          cross_ids[cross_count][id[i].len] = '\0';
          cross_count++;
        }
        CHECK(lines[i] > 0);
        CHECK(amount[i] > 0);
      } else {
        cross_other++;
      }
    }
    if (str_is(detector[i], "below_floor")) {
      if (str_is(partner[i], below)) {
        below_found++;
      } else {
        below_other++;
      }
    }
    CHECK(first_day[i] <= last_day[i]);
    CHECK(period[i].len > 0);
    CHECK(message_zh[i].len > 0);
    CHECK((unsigned)severity_code[i] <= (unsigned)QUDAO_CONFLICT_SEVERITY_CRITICAL);
  }
  CHECK(cross_found > 0);
  CHECK(cross_other == 0); /* no cross-region finding on a clean partner */
  CHECK(below_found > 0);
  CHECK(below_other == 0);

  CHECK_STATUS(qudao_conflict_report_json(r, &json, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(json, "\"findings\""));
  CHECK(h_bytes_have(json, "\"not_run\""));
  CHECK(h_bytes_have(json, "\"scanned\""));
  CHECK(h_bytes_have(json, "\"evidence\""));
  qudao_bytes_free(json);

  CHECK(cross_count > 0);
  if (cross_count > 0) {
    CHECK_STATUS(qudao_conflict_report_finding_json(r, TEXT(cross_ids[0]), &one, &err),
                 QUDAO_STATUS_OK, err);
    CHECK(h_bytes_have(one, cross_ids[0]));
    CHECK(h_bytes_have(one, "\"detector\": \"cross_region\""));
    CHECK(h_bytes_have(one, cross));
    qudao_bytes_free(one);
    one = NULL;
  }
  CHECK_STATUS(qudao_conflict_report_finding_json(r, TEXT("cross_region/NOPE/-/-/2025-01"), &one,
                                                  &err),
               QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "cross_region/NOPE/-/-/2025-01"));
  CHECK(one == NULL);
  qudao_error_free(err);
  err = NULL;

  /* A wrong row count writes nothing. */
  cols.rows = n + 1;
  lines[0] = 4242;
  CHECK_STATUS(qudao_conflict_report_columns(r, &cols, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "cols->rows"));
  CHECK(lines[0] == 4242);
  qudao_error_free(err);
  err = NULL;
  cols.rows = n;
  cols.struct_size = 8;
  CHECK_STATUS(qudao_conflict_report_columns(r, &cols, &err), QUDAO_STATUS_INVALID_ARGUMENT, err);
  CHECK(h_message_has(err, "struct_size"));
  qudao_error_free(err);

  free(id);
  free(detector);
  free(partner);
  free(period);
  free(severity);
  free(severity_code);
  free(message_zh);
  free(first_day);
  free(last_day);
  free(lines);
  free(amount);
}

/* The settlement of the sample book with `findings` (JSON), as JSON. */
static qudao_bytes *settle_json(const qudao_dataset *ds, const qudao_bytes *findings) {
  const qudao_program_book *book = NULL;
  const qudao_settlement *s = NULL;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  qudao_rebate_inputs inputs;
  CHECK_STATUS(qudao_program_book_sample(&book, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  qudao_rebate_inputs_init(&inputs);
  inputs.findings_json.ptr = qudao_bytes_data(findings);
  inputs.findings_json.len = qudao_bytes_len(findings);
  CHECK_STATUS(qudao_rebate_settle(ds, book, TEXT("2025-12-31"), &inputs, &s, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_settlement_json(s, &json, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  qudao_settlement_free(s);
  qudao_program_book_free(book);
  return json;
}

/* Whether a penalty adjustment of a settlement (JSON) quotes finding `id`: adjustments list
 * the findings behind a penalty as "findings": ["<id>", …]. */
static int quotes(const qudao_bytes *settlement, const char *id) {
  char quoted[ID_CAP + 2];
  const char *text = (const char *)qudao_bytes_data(settlement);
  const char *at = text == NULL ? NULL : strstr(text, "\"findings\"");
  snprintf(quoted, sizeof quoted, "\"%s\"", id);
  while (at != NULL) {
    const char *close = strchr(at, ']');
    const char *hit = strstr(at, quoted);
    if (hit != NULL && close != NULL && hit < close) {
      return 1;
    }
    at = strstr(at + 1, "\"findings\"");
  }
  return 0;
}

/* The findings fed to the sample book: a penalty adjustment quotes a cross-region finding
 * id; waived, it does not. */
static void test_penalties(const qudao_dataset *ds, const qudao_conflict_report *r) {
  qudao_bytes *findings = NULL, *spared = NULL, *fined = NULL, *kept = NULL;
  qudao_error *err = NULL;
  const char *id = NULL;
  char waived[ID_CAP + 8];
  size_t i;

  CHECK_STATUS(qudao_conflict_report_penalty_findings_json(r, NULL, 0, &findings, &err),
               QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK(h_bytes_have(findings, "\"kind\": \"cross_region\""));
  CHECK(h_bytes_have(findings, "\"waived\": false"));
  fined = settle_json(ds, findings);
  for (i = 0; i < cross_count && id == NULL; i++) {
    if (quotes(fined, cross_ids[i])) {
      id = cross_ids[i];
    }
  }
  CHECK(id != NULL); /* a penalty adjustment quotes a cross-region finding id */
  if (id != NULL) {
    snprintf(waived, sizeof waived, "[\"%s\"]", id);
    CHECK_STATUS(qudao_conflict_report_penalty_findings_json(r, TEXT(waived), &spared, &err),
                 QUDAO_STATUS_OK, err);
    qudao_error_free(err);
    err = NULL;
    CHECK(h_bytes_have(spared, "\"waived\": true"));
    kept = settle_json(ds, spared);
    CHECK(!quotes(kept, id));
    qudao_bytes_free(kept);
    qudao_bytes_free(spared);
    spared = NULL;
  }
  qudao_bytes_free(fined);

  CHECK_STATUS(qudao_conflict_report_penalty_findings_json(r, TEXT("{\"ids\": 1}"), &spared, &err),
               QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "waived_ids_json"));
  CHECK(spared == NULL);
  qudao_error_free(err);
  qudao_bytes_free(findings);
}

static void test_bad_policy(void) {
  static const char *const json =
      "{\"schema_version\": 1, \"id\": \"x\", \"undercutting\": {\"gap\": \"1.5\"}}";
  static const char *const toml = "schema_version = 1\nid = \"x\"\n[undercutting]\ngap = \"1.5\"\n";
  static const char *const yaml = "schema_version: 1\nid: x\nundercutting:\n  gap: \"1.5\"\n";
  const char *const texts[3] = {json, toml, yaml};
  const qudao_format formats[3] = {QUDAO_FORMAT_JSON, QUDAO_FORMAT_TOML, QUDAO_FORMAT_YAML};
  const qudao_conflict_policy *p = NULL;
  qudao_bytes *schema = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  int i;
  for (i = 0; i < 3; i++) {
    doc.text = (const uint8_t *)texts[i];
    doc.len = strlen(texts[i]);
    doc.format = formats[i];
    CHECK_STATUS(qudao_conflict_policy_parse(&doc, &p, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
    CHECK(p == NULL); /* out-params are written only on success */
    CHECK(h_message_has(err, "undercutting.gap"));
    qudao_error_free(err);
    err = NULL;
  }
  CHECK_STATUS(qudao_schema_json(TEXT("conflict-policy"), &schema, &err), QUDAO_STATUS_OK, err);
  CHECK(h_bytes_have(schema, "\"undercutting\""));
  qudao_bytes_free(schema);
  qudao_error_free(err);
}

/* The sample policy round trips through JSON. */
static void test_policy_json(const qudao_conflict_policy *p) {
  const qudao_conflict_policy *again = NULL;
  qudao_bytes *json = NULL, *json2 = NULL;
  qudao_error *err = NULL;
  qudao_document doc;
  CHECK_STATUS(qudao_conflict_policy_json(p, &json, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  doc.text = qudao_bytes_data(json);
  doc.len = qudao_bytes_len(json);
  doc.format = QUDAO_FORMAT_JSON;
  CHECK_STATUS(qudao_conflict_policy_parse(&doc, &again, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_policy_json(again, &json2, &err), QUDAO_STATUS_OK, err);
  qudao_error_free(err);
  CHECK(qudao_bytes_len(json) == qudao_bytes_len(json2));
  CHECK(memcmp(qudao_bytes_data(json), qudao_bytes_data(json2), qudao_bytes_len(json)) == 0);
  qudao_bytes_free(json);
  qudao_bytes_free(json2);
  qudao_conflict_policy_free(again);
}

static void test_bad_inputs(const qudao_dataset *ds, const qudao_conflict_policy *p) {
  const qudao_conflict_report *r = NULL;
  qudao_error *err = NULL;
  qudao_conflict_inputs inputs;
  static const char *const bad_date =
      "[{\"customer\": \"C1\", \"partner\": \"P1\", \"from\": \"2025-02-30\"}]";
  static const char *const bad_quantity =
      "[{\"batch\": \"B1\", \"date\": \"2025-03-01\", \"territory\": \"SH\", \"quantity\": 1},"
      " {\"batch\": \"B1\", \"date\": \"2025-03-01\", \"territory\": \"SH\", \"quantity\": \"x\"}]";

  qudao_conflict_inputs_init(&inputs);
  inputs.assignments_json.ptr = (const uint8_t *)bad_date;
  inputs.assignments_json.len = strlen(bad_date);
  CHECK_STATUS(qudao_conflict_detect(ds, p, &inputs, &r, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "inputs->assignments_json"));
  CHECK(h_message_has(err, "[0].from"));
  qudao_error_free(err);
  err = NULL;

  qudao_conflict_inputs_init(&inputs);
  inputs.sightings_json.ptr = (const uint8_t *)bad_quantity;
  inputs.sightings_json.len = strlen(bad_quantity);
  CHECK_STATUS(qudao_conflict_detect(ds, p, &inputs, &r, &err), QUDAO_STATUS_DOCUMENT_ERROR, err);
  CHECK(h_message_has(err, "inputs->sightings_json"));
  CHECK(h_message_has(err, "[1].quantity"));
  qudao_error_free(err);
  err = NULL;

  qudao_conflict_inputs_init(&inputs);
  inputs.struct_size = 3;
  CHECK_STATUS(qudao_conflict_detect(ds, p, &inputs, &r, &err), QUDAO_STATUS_INVALID_ARGUMENT,
               err);
  CHECK(h_message_has(err, "struct_size"));
  qudao_error_free(err);
  CHECK(r == NULL);
}

static void test_null_arguments(const qudao_dataset *ds, const qudao_conflict_policy *p) {
  const qudao_conflict_report *r = NULL;
  const qudao_conflict_policy *q = NULL;
  qudao_bytes *b = NULL;
  qudao_error *err = NULL;
  qudao_conflict_columns cols;

  CHECK_STATUS(qudao_conflict_detect(NULL, p, NULL, &r, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`ds`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_detect(ds, NULL, NULL, &r, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`policy`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_detect(ds, p, NULL, NULL, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`out`"));
  qudao_error_free(err);
  err = NULL;
  CHECK(r == NULL);
  CHECK_STATUS(qudao_conflict_policy_parse(NULL, &q, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`doc`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_policy_sample(NULL, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_policy_json(NULL, &b, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_report_json(NULL, &b, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  CHECK(h_message_has(err, "`report`"));
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_report_finding_json(NULL, TEXT("x"), &b, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  CHECK_STATUS(qudao_conflict_report_penalty_findings_json(NULL, NULL, 0, &b, &err),
               QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  err = NULL;
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  CHECK_STATUS(qudao_conflict_report_columns(NULL, &cols, &err), QUDAO_STATUS_NULL_ARGUMENT, err);
  qudao_error_free(err);
  CHECK(b == NULL && q == NULL);
  /* Without an error out-param the status still tells, and nothing leaks. */
  CHECK(qudao_conflict_detect(NULL, NULL, NULL, NULL, NULL) == QUDAO_STATUS_NULL_ARGUMENT);
}

int main(int argc, char **argv) {
  const qudao_dataset *ds;
  const qudao_conflict_policy *p;
  const qudao_conflict_report *r;
  qudao_conflict_inputs inputs;
  snprintf(root, sizeof root, "%s", argc > 1 ? argv[1] : ".");
  test_free_null();
  ds = load_sample();
  p = sample_policy();
  qudao_conflict_inputs_init(&inputs);
  inputs.threads = 2;
  r = detect(ds, p, &inputs);
  test_sample_report(r);
  test_penalties(ds, r);
  test_bad_policy();
  test_policy_json(p);
  test_bad_inputs(ds, p);
  test_null_arguments(ds, p);
  qudao_conflict_report_free(r);
  qudao_conflict_policy_free(p);
  qudao_dataset_free(ds);
  return h_finish();
}
