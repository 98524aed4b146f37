/* for_each overhead from C: N combinations of a trivial function (one
 * scalar input, one output) through scidb_foreach_run, then the same run
 * again (every combination cached). Prints "run_ms X cached_ms Y".
 * Usage: foreach_bench DB_PATH N [WORKERS] */
#define _POSIX_C_SOURCE 199309L
#include "scidb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, scidb_last_error());
  return 1;
}

static scidb_status plus_one(void *user, const char *meta, const scidb_value *const *in,
                             size_t n_in, scidb_value **out, size_t n_out, char *err,
                             size_t err_size) {
  (void)user, (void)meta, (void)n_in, (void)n_out, (void)err, (void)err_size;
  scidb_array_view v;
  if (scidb_value_array(in[0], &v) != SCIDB_OK) return SCIDB_TYPE_MISMATCH;
  double x;
  memcpy(&x, v.data, sizeof x);
  x += 1;
  return scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &x, sizeof x, 1, &out[0]);
}

static const char *SPEC =
    "{\"function\": {\"language\": \"c\", \"name\": \"plus_one\", \"version\": \"1\"},"
    " \"iterate\": [[\"subject\", []]],"
    " \"inputs\": [{\"name\": \"x\", \"variable\": \"BenchIn\"}],"
    " \"outputs\": [\"BenchOut\"]}";

static int run(scidb_db *db, uint32_t workers, double *ms) {
  scidb_foreach *fe = NULL;
  scidb_foreach_summary s;
  double t = now_ms();
  if (scidb_foreach_new(db, SPEC, &fe) != SCIDB_OK) return fail("plan");
  if (scidb_foreach_run(db, fe, plus_one, NULL, workers, &s) != SCIDB_OK) return fail("run");
  *ms = now_ms() - t;
  scidb_foreach_free(&fe);
  return s.failed != 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DB_PATH N [WORKERS]\n", argv[0]);
    return 2;
  }
  long n = atol(argv[2]);
  uint32_t workers = argc > 3 ? (uint32_t)atoi(argv[3]) : 1;
  const char *keys[1] = {"subject"};
  scidb_db *db = NULL;
  if (scidb_open(argv[1], keys, 1, NULL, &db) != SCIDB_OK) return fail("open");
  for (long i = 0; i < n; i++) {
    char meta[64], rid[SCIDB_RECORD_ID_SIZE];
    snprintf(meta, sizeof meta, "{\"subject\": %ld}", i);
    double x = (double)i;
    scidb_value *v = NULL;
    if (scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &x, sizeof x, 1, &v) != SCIDB_OK ||
        scidb_save(db, "BenchIn", meta, v, rid) != SCIDB_OK)
      return fail("seed");
    scidb_value_free(&v);
  }
  double run_ms = 0, cached_ms = 0;
  if (run(db, workers, &run_ms) || run(db, workers, &cached_ms)) return 1;
  printf("run_ms %.1f cached_ms %.1f\n", run_ms, cached_ms);
  scidb_db_free(&db);
  return 0;
}
