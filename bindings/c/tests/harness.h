/* A tiny assertion harness for the C tests: CHECK counts, h_finish prints
 * "N passed, M failed" and gives the exit status. */
#ifndef QUDAO_TEST_HARNESS_H
#define QUDAO_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "qudao.h"

static int h_passed = 0;
static int h_failed = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) {                                                                  \
      h_passed++;                                                                \
    } else {                                                                     \
      h_failed++;                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

/* A status check that prints the error message when it is not the expected one. */
#define CHECK_STATUS(call_status, expected, err)                                 \
  do {                                                                           \
    qudao_status h_s = (call_status);                                            \
    if (h_s == (expected)) {                                                     \
      h_passed++;                                                                \
    } else {                                                                     \
      h_failed++;                                                                \
      fprintf(stderr, "%s:%d: status %u, expected %u (%s): %s\n", __FILE__,      \
              __LINE__, (unsigned)h_s, (unsigned)(expected), #expected,          \
              qudao_error_message((err), NULL));                                 \
    }                                                                            \
  } while (0)

/* Whether the error's message contains `needle`. */
static inline int h_message_has(const qudao_error *err, const char *needle) {
  const char *m = qudao_error_message(err, NULL);
  if (strstr(m, needle) != NULL) {
    return 1;
  }
  fprintf(stderr, "message \"%s\" lacks \"%s\"\n", m, needle);
  return 0;
}

/* Whether a buffer's text contains `needle`. */
static inline int h_bytes_have(const qudao_bytes *b, const char *needle) {
  const char *text = (const char *)qudao_bytes_data(b);
  if (text != NULL && strstr(text, needle) != NULL) {
    return 1;
  }
  fprintf(stderr, "buffer lacks \"%s\"\n", needle);
  return 0;
}

/* (ptr, len) of a C string. */
#define TEXT(s) (const uint8_t *)(s), strlen(s)

static inline int h_finish(void) {
  printf("%d passed, %d failed\n", h_passed, h_failed);
  return h_failed == 0 ? 0 : 1;
}

#endif
