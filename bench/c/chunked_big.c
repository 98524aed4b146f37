/* Saves a large float64 array from chunks and streams it back through the
 * C ABI, never holding it whole, and reports time and peak memory.
 *
 *   chunked_big PATH GIB     prints one JSON line
 *
 * Element i of the array is i; reading checks every element. */
#define _POSIX_C_SOURCE 199309L
#include "scidb.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHUNK 1000000u /* elements a saved chunk (8 MB) */

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Peak resident memory of this process image: VmHWM (getrusage's
 * ru_maxrss would include the parent's peak, which Linux keeps across exec). */
static long peak_rss_mb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb / 1024;
}

static int fail(const char *what) {
  fprintf(stderr, "chunked_big: %s: %s\n", what, scidb_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: chunked_big PATH GIB\n");
    return 2;
  }
  const uint64_t total = (uint64_t)(atof(argv[2]) * (1u << 30)) / sizeof(double);
  const char *keys[1] = {"subject"};
  scidb_db *db = NULL;
  if (scidb_open(argv[1], keys, 1, NULL, &db) != SCIDB_OK) return fail("open");

  double *buf = malloc(CHUNK * sizeof *buf);
  double t0 = now_s();
  scidb_chunk_writer *w = NULL;
  if (scidb_chunk_writer_open(db, "Big", "{\"subject\": 1}", &w) != SCIDB_OK) return fail("writer");
  for (uint64_t start = 0; start < total; start += CHUNK) {
    uint64_t n = total - start < CHUNK ? total - start : CHUNK;
    for (uint64_t i = 0; i < n; i++) buf[i] = (double)(start + i);
    scidb_value *v = NULL;
    uint64_t shape[1] = {n};
    if (scidb_value_new_array(SCIDB_DTYPE_FLOAT64, shape, 1, buf, n * sizeof *buf, 0, &v) !=
            SCIDB_OK ||
        scidb_chunk_writer_add(w, v) != SCIDB_OK)
      return fail("add");
    scidb_value_free(&v);
  }
  char rid[SCIDB_RECORD_ID_SIZE];
  if (scidb_chunk_writer_finish(w, rid) != SCIDB_OK) return fail("finish");
  scidb_chunk_writer_free(&w);
  double t_save = now_s() - t0;
  long rss_save = peak_rss_mb();

  t0 = now_s();
  scidb_chunk_reader *r = NULL;
  if (scidb_chunk_reader_open_record(db, NULL, rid, &r) != SCIDB_OK) return fail("reader");
  uint64_t seen = 0;
  int ok = 1;
  for (;;) {
    scidb_value *chunk = NULL;
    if (scidb_chunk_reader_next(r, &chunk) != SCIDB_OK) return fail("next");
    if (!chunk) break;
    scidb_array_view view;
    if (scidb_value_array(chunk, &view) != SCIDB_OK) return fail("view");
    const double *xs = view.data;
    for (uint64_t i = 0; i < view.shape[0]; i++) ok &= xs[i] == (double)(seen + i);
    seen += view.shape[0];
    scidb_value_free(&chunk);
  }
  scidb_chunk_reader_free(&r);
  double t_load = now_s() - t0;
  scidb_db_free(&db);
  free(buf);
  double gb = total * sizeof(double) / 1e9;
  printf("{\"gb\": %.3f, \"save_s\": %.2f, \"load_s\": %.2f, \"save_gbps\": %.3f, "
         "\"load_gbps\": %.3f, \"peak_rss_mb_after_save\": %ld, \"peak_rss_mb\": %ld, "
         "\"ok\": %s}\n",
         gb, t_save, t_load, gb / t_save, gb / t_load, rss_save, peak_rss_mb(),
         ok && seen == total ? "true" : "false");
  return ok && seen == total ? 0 : 1;
}
