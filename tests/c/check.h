/* The C tests' one assertion: CHECK(cond) counts a pass or a failure (and
 * prints where, with the library's last error) without stopping, so one
 * run reports every failing check. Each test's main prints the counts. */
#ifndef SCIDB_TEST_CHECK_H
#define SCIDB_TEST_CHECK_H

#include <stdio.h>

#include "scidb.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      passed++;                                                              \
    } else {                                                                 \
      failed++;                                                              \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, \
              __LINE__, #cond, scidb_last_error());                          \
    }                                                                        \
  } while (0)

#endif
