/* Settle the sample company's rebate programs over a data set and print the statement.
 *
 *   ./rebates <data set directory> [YYYY-MM-DD] [lines]
 *   ./rebates testdata/sample 2025-12-31 10      (from the repository root)
 *
 * Prints the number of statement lines, then the first ones (10 by default): program,
 * payee, period, kind, and what the line pays (money in minor units, or points).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qudao.h"

static void fail(const char *what, qudao_status status, qudao_error *err) {
  fprintf(stderr, "%s (status %u): %s\n", what, (unsigned)status, qudao_error_message(err, NULL));
  qudao_error_free(err);
}

/* Print a borrowed, not NUL-terminated text padded to `width`. */
static void put(qudao_str s, int width) { printf("%-*.*s ", width, (int)s.len, (const char *)s.ptr); }

int main(int argc, char **argv) {
  const char *as_of = argc > 2 ? argv[2] : "2025-12-31";
  long show = argc > 3 ? strtol(argv[3], NULL, 10) : 10;
  const qudao_dataset *ds = NULL;
  const qudao_program_book *book = NULL;
  const qudao_settlement *s = NULL;
  qudao_load_options opts;
  qudao_statement_columns cols;
  qudao_error *err = NULL;
  qudao_status status;
  qudao_str *program = NULL, *payee = NULL, *period = NULL, *kind = NULL;
  qudao_payout *payout = NULL;
  int64_t *amount = NULL;
  size_t n, i, rows;
  int rc = 1;

  if (argc < 2 || argc > 4 || show < 0) {
    fprintf(stderr, "usage: %s <data set directory> [YYYY-MM-DD] [lines]\n(qudao %s)\n", argv[0],
            qudao_version());
    return 2;
  }
  qudao_load_options_init(&opts);
  status = qudao_dataset_load_csv_dir((const uint8_t *)argv[1], strlen(argv[1]), &opts, &ds, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot load the data set", status, err);
    return 1;
  }
  /* The sample company's five programs (crates/qudao/programs/sample-programs.toml); use
   * qudao_program_book_parse for your own book. */
  status = qudao_program_book_sample(&book, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the program book", status, err);
    goto done;
  }
  /* NULL inputs: no ledger (nothing paid before), no findings, referrals or segments. */
  status = qudao_rebate_settle(ds, book, (const uint8_t *)as_of, strlen(as_of), NULL, &s, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot settle", status, err);
    goto done;
  }
  n = qudao_settlement_len(s);
  printf("%zu statement lines as of %s\n", n, as_of);

  rows = n ? n : 1;
  program = calloc(rows, sizeof *program);
  payee = calloc(rows, sizeof *payee);
  period = calloc(rows, sizeof *period);
  kind = calloc(rows, sizeof *kind);
  payout = calloc(rows, sizeof *payout);
  amount = calloc(rows, sizeof *amount);
  if (!program || !payee || !period || !kind || !payout || !amount) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  memset(&cols, 0, sizeof cols);
  cols.struct_size = sizeof cols;
  cols.rows = n;
  cols.program = program;
  cols.payee = payee;
  cols.period = period;
  cols.kind = kind;
  cols.payout = payout;
  cols.amount = amount;
  status = qudao_settlement_columns(s, &cols, &err);
  if (status != QUDAO_STATUS_OK) {
    fail("cannot read the statement", status, err);
    goto done;
  }
  printf("%-18s %-10s %-22s %-8s %14s\n", "program", "payee", "period", "kind", "pays");
  for (i = 0; i < n && i < (size_t)show; i++) {
    put(program[i], 18);
    put(payee[i], 10);
    put(period[i], 22);
    put(kind[i], 8);
    if (payout[i] == QUDAO_PAYOUT_POINTS) {
      printf("%7lld points\n", (long long)amount[i]);
    } else {
      /* Minor units (fen for CNY): 2 decimals, exact. */
      char money[32];
      long long a = (long long)amount[i], m = a < 0 ? -a : a;
      snprintf(money, sizeof money, "%s%lld.%02lld", a < 0 ? "-" : "", m / 100, m % 100);
      printf("%14s\n", money);
    }
  }
  rc = 0;

done:
  /* Text from qudao_settlement_columns is borrowed from the settlement: free it last. */
  free(program);
  free(payee);
  free(period);
  free(kind);
  free(payout);
  free(amount);
  qudao_settlement_free(s);
  qudao_program_book_free(book);
  qudao_dataset_free(ds);
  return rc;
}
