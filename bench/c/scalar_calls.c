/* Per-call cost of saving and loading a scalar through the C ABI: the
 * baseline the MATLAB gateway's overhead is measured against.
 *
 *   scalar_calls PATH N     prints "save_ms <median> load_ms <median>"
 *
 * Each save writes a new record (subject = i), committed on its own, as a
 * save from MATLAB does. */
#define _POSIX_C_SOURCE 199309L
#include "scidb.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *xs, int n) {
  qsort(xs, n, sizeof *xs, cmp);
  return xs[n / 2];
}

static int fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, scidb_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: scalar_calls PATH N\n");
    return 2;
  }
  int n = atoi(argv[2]);
  if (n < 1) return 2;
  const char *keys[2] = {"subject", "session"};
  scidb_db *db = NULL;
  if (scidb_open(argv[1], keys, 2, NULL, &db) != SCIDB_OK) return fail("open");
  double *save_ms = calloc(n, sizeof *save_ms), *load_ms = calloc(n, sizeof *load_ms);
  char meta[96], rid[SCIDB_RECORD_ID_SIZE];
  for (int i = 0; i < n; i++) {
    double x = i * 0.5;
    double t0 = now_ms();
    scidb_value *v = NULL;
    snprintf(meta, sizeof meta, "{\"subject\": %d, \"session\": \"a\"}", i);
    if (scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &x, sizeof x, SCIDB_ARRAY_SCALAR, &v) !=
            SCIDB_OK ||
        scidb_save(db, "Scalar", meta, v, rid) != SCIDB_OK)
      return fail("save");
    scidb_value_free(&v);
    save_ms[i] = now_ms() - t0;
  }
  for (int i = 0; i < n; i++) {
    double t0 = now_ms();
    scidb_records *recs = NULL;
    const scidb_value *v = NULL;
    struct scidb_array_view view;
    snprintf(meta, sizeof meta, "{\"subject\": %d, \"session\": \"a\"}", i);
    if (scidb_load(db, "Scalar", meta, &recs) != SCIDB_OK ||
        scidb_records_value(recs, 0, &v) != SCIDB_OK || scidb_value_array(v, &view) != SCIDB_OK)
      return fail("load");
    if (*(const double *)view.data != i * 0.5) return fail("load returned another value");
    scidb_records_free(&recs);
    load_ms[i] = now_ms() - t0;
  }
  printf("save_ms %.4f load_ms %.4f\n", median(save_ms, n), median(load_ms, n));
  free(save_ms);
  free(load_ms);
  scidb_db_free(&db);
  return 0;
}
