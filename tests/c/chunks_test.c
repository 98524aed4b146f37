/* Exercises chunked values through the C ABI: an array saved from uneven
 * chunks and read back in stored chunks, a table through the Arrow C Data
 * Interface, misuse that must fail cleanly, and a reader that outlives
 * its database handle. Built with -Wall -Wextra -Werror under ASan by
 * `make test-c`. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* Adds rows [start, start + n) of the float64 array whose element i is i. */
static void add_rows(scidb_chunk_writer *w, size_t start, size_t n) {
  double *xs = malloc(n * sizeof *xs);
  for (size_t i = 0; i < n; i++) xs[i] = (double)(start + i);
  uint64_t shape[1] = {n};
  scidb_value *v = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, shape, 1, xs, n * sizeof *xs, 0, &v) ==
        SCIDB_OK);
  free(xs);
  CHECK(scidb_chunk_writer_add(w, v) == SCIDB_OK);
  scidb_value_free(&v);
}

static void test_array(scidb_db **db) {
  scidb_chunk_writer *w = NULL;
  CHECK(scidb_chunk_writer_open(*db, "Signal", "{\"subject\": 1}", &w) == SCIDB_OK);
  add_rows(w, 0, 600000);
  add_rows(w, 600000, 600000);
  add_rows(w, 1200000, 10);
  /* A chunk of another dtype is refused and the writer goes on. */
  int32_t ints[2] = {1, 2};
  uint64_t shape[1] = {2};
  scidb_value *bad = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_INT32, shape, 1, ints, sizeof ints, 0, &bad) ==
        SCIDB_OK);
  CHECK(scidb_chunk_writer_add(w, bad) == SCIDB_TYPE_MISMATCH);
  CHECK(strstr(scidb_last_error(), "chunk 4") != NULL);
  scidb_value_free(&bad);
  CHECK(scidb_chunk_writer_add(w, NULL) == SCIDB_NULL_ARGUMENT);
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_chunk_writer_finish(w, rid) == SCIDB_OK);
  CHECK(scidb_chunk_writer_finish(w, rid) == SCIDB_INVALID_ARGUMENT);
  scidb_chunk_writer_free(&w);
  CHECK(w == NULL);

  scidb_chunk_reader *r = NULL;
  CHECK(scidb_chunk_reader_open(*db, "Signal", "{\"subject\": 1}", &r) == SCIDB_OK);
  /* The reader keeps the file open after the database handle is freed. */
  scidb_db_free(db);
  uint32_t kind = 0;
  uint64_t chunks = 0, rows = 0;
  CHECK(scidb_chunk_reader_info(r, &kind, &chunks, &rows) == SCIDB_OK);
  CHECK(kind == SCIDB_KIND_ARRAY && chunks == 2 && rows == 1200010);
  struct ArrowSchema s;
  struct ArrowArray a;
  int32_t has = 0;
  CHECK(scidb_chunk_reader_next_arrow(r, &s, &a, &has) == SCIDB_TYPE_MISMATCH);
  uint64_t seen = 0;
  int ok = 1;
  for (;;) {
    scidb_value *chunk = NULL;
    CHECK(scidb_chunk_reader_next(r, &chunk) == SCIDB_OK);
    if (!chunk) break;
    scidb_array_view view;
    CHECK(scidb_value_array(chunk, &view) == SCIDB_OK);
    const double *xs = view.data;
    for (uint64_t i = 0; i < view.shape[0]; i++) ok &= xs[i] == (double)(seen + i);
    seen += view.shape[0];
    scidb_value_free(&chunk);
  }
  CHECK(ok && seen == 1200010);
  scidb_chunk_reader_free(&r);
  CHECK(r == NULL);
}

static void release_schema(struct ArrowSchema *s) { s->release = NULL; }
static void release_array(struct ArrowArray *a) { a->release = NULL; }

static void test_table(scidb_db *db) {
  static int64_t values[3] = {10, 20, 30};
  static uint8_t validity[1] = {0x5}; /* rows 0 and 2 valid */
  const void *child_buffers[2] = {validity, values};
  const void *top_buffers[1] = {NULL};
  struct ArrowSchema child_schema = {"l", "x", NULL, ARROW_FLAG_NULLABLE, 0,
                                     NULL, NULL, release_schema, NULL};
  struct ArrowSchema *schema_children[1] = {&child_schema};
  struct ArrowSchema schema = {"+s", "", NULL, 0, 1, schema_children, NULL,
                               release_schema, NULL};
  struct ArrowArray child = {3, 1, 0, 2, 0, child_buffers, NULL, NULL, release_array, NULL};
  struct ArrowArray *array_children[1] = {&child};
  struct ArrowArray array = {3, 0, 0, 1, 1, top_buffers, array_children, NULL,
                             release_array, NULL};

  scidb_chunk_writer *w = NULL;
  CHECK(scidb_chunk_writer_open(db, "Rows", "{\"subject\": 2}", &w) == SCIDB_OK);
  CHECK(scidb_chunk_writer_add_arrow(w, &schema, &array) == SCIDB_OK);
  CHECK(schema.release == NULL && array.release == NULL); /* moved in */
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_chunk_writer_finish(w, rid) == SCIDB_OK);
  scidb_chunk_writer_free(&w);

  scidb_chunk_reader *r = NULL;
  CHECK(scidb_chunk_reader_open_record(db, "Rows", rid, &r) == SCIDB_OK);
  struct ArrowSchema out_schema;
  struct ArrowArray out_array;
  int32_t has = 0;
  CHECK(scidb_chunk_reader_next_arrow(r, &out_schema, &out_array, &has) == SCIDB_OK && has);
  if (has) {
    const int64_t *back = out_array.children[0]->buffers[1];
    CHECK(out_array.length == 3 && back[0] == 10 && back[2] == 30);
    CHECK(out_array.children[0]->null_count == 1);
    out_array.release(&out_array);
    out_schema.release(&out_schema);
  }
  CHECK(scidb_chunk_reader_next_arrow(r, &out_schema, &out_array, &has) == SCIDB_OK && !has);
  scidb_chunk_reader_free(&r);

  /* A writer freed unfinished saves nothing. */
  CHECK(scidb_chunk_writer_open(db, "Dropped", "{\"subject\": 3}", &w) == SCIDB_OK);
  scidb_chunk_writer_free(&w);
  CHECK(scidb_chunk_reader_open(db, "Dropped", NULL, &r) == SCIDB_NOT_FOUND);
}

int main(void) {
  char dir[] = "/tmp/scidb_chunks_test_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/c.duckdb", dir);
  const char *keys[1] = {"subject"};
  scidb_db *db = NULL;
  CHECK(scidb_open(path, keys, 1, NULL, &db) == SCIDB_OK);
  if (db) test_table(db);
  if (db) test_array(&db);
  CHECK(db == NULL);
  unlink(path);
  char wal[300];
  snprintf(wal, sizeof wal, "%s.wal", path);
  unlink(wal);
  rmdir(dir);
  printf("chunks_test: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
