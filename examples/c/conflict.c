/* Detect channel conflict over a data set with the sample company's policy and print the
 * findings.
 *
 *   ./conflict <data set directory> [findings]
 *   ./conflict testdata/sample 10      (from the repository root)
 *
 * Prints the number of findings, then the first ones (10 by default): detector, partner,
 * territory, period, severity, suggested resolution, the evidence (lines and amount) and
 * the finding's id. The ids are stable: record decisions on them, and pass the ids you
 * waive to qudao_conflict_report_penalty_findings_json before feeding the findings to the
 * rebate settlement (qudao_rebate_inputs.findings_json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qudao.h"

static void fail(const char *what, qudao_status status, qudao_error *err) {
  fprintf(stderr, "%s (status %u): %s\n", what, (unsigned)status, qudao_error_message(err, NULL));
  qudao_error_free(err);
}

/* Print a borrowed, not NUL-terminated text padded to `width`; empty text as "-". */
static void put(qudao_str s, int width) {
  if (s.len == 0) {
    printf("%-*s ", width, "-");
  } else {
    printf("%-*.*s ", width, (int)s.len, (const char *)s.ptr);
  }
}

int main(int argc, char **argv) {
  long show = argc > 2 ? strtol(argv[2], NULL, 10) : 10;
  const qudao_dataset *ds = NULL;
  const qudao_conflict_policy *policy = NULL;
  const qudao_conflict_report *report = NULL;
  qudao_conflict_columns cols;
  qudao_error *err = NULL;
  qudao_status status;
  qudao_str *id = NULL, *detector = NULL, *partner = NULL, *territory = NULL, *period = NULL;
  qudao_str *severity = NULL, *resolution = NULL;
  uint64_t *lines = NULL;
  int64_t *amount = NULL;
  size_t n, i, rows;
  int rc = 1;

  if (argc < 2 || argc > 3 || show < 0) {
    fprintf(stderr, "usage: %s <data set directory> [findings]\n(qudao %s)\n", argv[0],
            qudao_version());
    return 2;
  }
  status = qudao_dataset_load_csv_dir((const uint8_t *)argv[1], strlen(argv[1]), NULL, &ds, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot load the data set", status, err);
    return 1;
  }
  /* The sample company's policy; use qudao_conflict_policy_parse for your own (JSON Schema:
   * qudao_schema_json("conflict-policy")). */
  status = qudao_conflict_policy_sample(&policy, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the policy", status, err);
    goto done;
  }
  /* NULL inputs: no customer assignments, shipments or sightings, so the vertical and
   * diverted-goods detectors do not run (the report's not_run says so). */
  status = qudao_conflict_detect(ds, policy, NULL, &report, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot detect", status, err);
    goto done;
  }
  n = qudao_conflict_report_len(report);
  printf("%zu findings\n", n);

  rows = n ? n : 1;
  id = calloc(rows, sizeof *id);
  detector = calloc(rows, sizeof *detector);
  partner = calloc(rows, sizeof *partner);
  territory = calloc(rows, sizeof *territory);
  period = calloc(rows, sizeof *period);
  severity = calloc(rows, sizeof *severity);
  resolution = calloc(rows, sizeof *resolution);
  lines = calloc(rows, sizeof *lines);
  amount = calloc(rows, sizeof *amount);
  if (!id || !detector || !partner || !territory || !period || !severity || !resolution ||
      !lines || !amount) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.id = id;
  cols.detector = detector;
  cols.partner = partner;
  cols.territory = territory;
  cols.period = period;
  cols.severity = severity;
  cols.resolution = resolution;
  cols.evidence_lines = lines;
  cols.evidence_amount = amount;
  status = qudao_conflict_report_columns(report, &cols, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the findings", status, err);
    goto done;
  }
  printf("%-18s %-8s %-8s %-8s %-8s %-14s %6s %14s  %s\n", "detector", "partner", "where",
         "period", "severity", "resolution", "lines", "amount", "id");
  for (i = 0; i < n && i < (size_t)show; i++) {
    char money[32];
    long long a = (long long)amount[i], m = a < 0 ? -a : a;
    put(detector[i], 18);
    put(partner[i], 8);
    put(territory[i], 8);
    put(period[i], 8);
    put(severity[i], 8);
    put(resolution[i], 14);
    /* Minor units (fen for CNY): 2 decimals, exact. */
    snprintf(money, sizeof money, "%s%lld.%02lld", a < 0 ? "-" : "", m / 100, m % 100);
    printf("%6llu %14s  %.*s\n", (unsigned long long)lines[i], money, (int)id[i].len,
           (const char *)id[i].ptr);
  }
  rc = 0;

done:
  /* Text from qudao_conflict_report_columns is borrowed from the report: free it last. */
  free(id);
  free(detector);
  free(partner);
  free(territory);
  free(period);
  free(severity);
  free(resolution);
  free(lines);
  free(amount);
  qudao_conflict_report_free(report);
  qudao_conflict_policy_free(policy);
  qudao_dataset_free(ds);
  return rc;
}
