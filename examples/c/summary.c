/* Load a CSV data set and print its summary as JSON.
 *
 *   make -C examples/c run DATA=testdata/tiny      (from the repository root)
 *   ./summary <dir> [--lenient]
 */
#include <stdio.h>
#include <string.h>

#include "qudao.h"

int main(int argc, char **argv) {
  qudao_load_options opts;
  const qudao_dataset *ds = NULL;
  qudao_bytes *json = NULL;
  qudao_error *err = NULL;
  qudao_status status;

  if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--lenient") != 0)) {
    fprintf(stderr, "usage: %s <data set directory> [--lenient]\n(qudao %s)\n", argv[0],
            qudao_version());
    return 2;
  }
  qudao_load_options_init(&opts);
  if (argc == 3) {
    opts.mode = QUDAO_STRICTNESS_LENIENT;
  }

  status = qudao_dataset_load_csv_dir((const uint8_t *)argv[1], strlen(argv[1]), &opts, &ds, &err);
  if (status != QUDAO_STATUS_OK) {
    fprintf(stderr, "cannot load %s (status %u): %s\n", argv[1], (unsigned)status,
            qudao_error_message(err, NULL));
    qudao_error_free(err);
    return 1;
  }
  status = qudao_dataset_summary_json(ds, &json, &err);
  if (status != QUDAO_STATUS_OK) {
    fprintf(stderr, "cannot summarise (status %u): %s\n", (unsigned)status,
            qudao_error_message(err, NULL));
    qudao_error_free(err);
    qudao_dataset_free(ds);
    return 1;
  }
  /* The buffer is NUL-terminated; fwrite with the length works for any bytes. */
  fwrite(qudao_bytes_data(json), 1, qudao_bytes_len(json), stdout);
  fputc('\n', stdout);

  qudao_bytes_free(json); /* library memory goes back to the library, never to free() */
  qudao_dataset_free(ds);
  return 0;
}
