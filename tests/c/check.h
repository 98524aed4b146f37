/* The C tests' one assertion: CHECK(cond) counts a pass or a failure (and
 * prints where, with the library's last error) without stopping, so one
 * run reports every failing check. Each test's main prints the counts. */
#ifndef SCIDB_TEST_CHECK_H
#define SCIDB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scidb.h"

static int passed = 0, failed = 0;

/* Opens a new database `name` in `dir`: a DuckDB file, or with
 * SCIDB_TEST_CATALOG=postgres a new PostgreSQL catalog of the test server
 * (tests/pg/new_catalog.sh, run from the repository's root as make does)
 * with its payload files in `dir`. */
static inline scidb_status open_fresh(const char *dir, const char *name, const char **keys,
                                      size_t n_keys, scidb_db **out) {
  char path[512], data[520];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  const char *catalog = getenv("SCIDB_TEST_CATALOG");
  if (!catalog || strcmp(catalog, "postgres") != 0) return scidb_open(path, keys, n_keys, NULL, out);
  FILE *p = popen("tests/pg/new_catalog.sh", "r");
  char url[1024] = {0};
  if (!p || !fgets(url, sizeof url, p)) {
    if (p) pclose(p);
    fprintf(stderr, "tests/pg/new_catalog.sh gave no catalog\n");
    return SCIDB_IO;
  }
  pclose(p);
  url[strcspn(url, "\n")] = 0;
  snprintf(data, sizeof data, "%s.data", path);
  return scidb_open_with_data_path(url, keys, n_keys, NULL, data, out);
}

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
