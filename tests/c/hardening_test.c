/* The C ABI against a hostile caller: values nested past the depth limit,
 * a list pushed into itself, absurd worker counts, malformed Arrow input
 * (every struct released, never SCIDB_PANIC) and load_all of an unknown
 * type. Built with -Wall -Wextra -Werror under AddressSanitizer and
 * UndefinedBehaviorSanitizer by `make test-c`. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static scidb_value *f64(double x) {
  scidb_value *v = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &x, sizeof x, SCIDB_ARRAY_SCALAR,
                              &v) == SCIDB_OK);
  return v;
}

/* A chain of `depth` lists around a number, built bottom up. Returns the
 * depth reached: the first push that would pass the limit is refused. */
static size_t nest(size_t depth, scidb_value **out) {
  scidb_value *v = f64(1.0);
  size_t reached = 0;
  for (size_t i = 0; i < depth; i++) {
    scidb_value *list = NULL;
    CHECK(scidb_value_new_list(&list) == SCIDB_OK);
    scidb_status st = scidb_value_list_push(list, &v);
    if (st != SCIDB_OK) {
      CHECK(st == SCIDB_INVALID_ARGUMENT && v != NULL);
      scidb_value_free(&list);
      break;
    }
    v = list;
    reached++;
  }
  *out = v;
  return reached;
}

static void test_depth_limit(scidb_db *db) {
  CHECK(scidb_max_depth() == SCIDB_MAX_DEPTH && SCIDB_MAX_DEPTH == 128);
  /* 100,000 deep used to overflow the stack in hash and save. */
  scidb_value *v = NULL;
  CHECK(nest(100000, &v) == SCIDB_MAX_DEPTH);
  CHECK(strstr(scidb_last_error(), "128") != NULL);
  char hash[SCIDB_HASH_SIZE], rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_value_hash(v, hash) == SCIDB_OK);
  /* The deepest value that can be built saves and loads back. */
  CHECK(scidb_save(db, "Deep", "{\"subject\": 1}", v, rid) == SCIDB_OK);
  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Deep", "{\"subject\": 1}", &recs) == SCIDB_OK);
  const scidb_value *back = NULL;
  CHECK(recs && scidb_records_value(recs, 0, &back) == SCIDB_OK);
  char back_hash[SCIDB_HASH_SIZE];
  CHECK(back && scidb_value_hash(back, back_hash) == SCIDB_OK && strcmp(hash, back_hash) == 0);
  scidb_records_free(&recs);

  /* A map counts like a list. */
  scidb_value *map = NULL;
  CHECK(scidb_value_new_map(&map) == SCIDB_OK);
  CHECK(scidb_value_map_insert(map, "k", &v) == SCIDB_INVALID_ARGUMENT && v != NULL);
  scidb_value_free(&map);
  scidb_value_free(&v);
}

static void test_no_self_insertion(void) {
  scidb_value *l = NULL, *m = NULL, *outer = NULL;
  CHECK(scidb_value_new_list(&l) == SCIDB_OK);
  scidb_value *same = l;
  CHECK(scidb_value_list_push(l, &same) == SCIDB_INVALID_ARGUMENT && same == l);
  CHECK(strstr(scidb_last_error(), "itself") != NULL);
  size_t n = 9;
  CHECK(scidb_value_len(l, &n) == SCIDB_OK && n == 0);
  CHECK(scidb_value_new_map(&m) == SCIDB_OK);
  same = m;
  CHECK(scidb_value_map_insert(m, "self", &same) == SCIDB_INVALID_ARGUMENT && same == m);
  CHECK(scidb_value_len(m, &n) == SCIDB_OK && n == 0);
  /* A list may not go into a list it holds either. */
  CHECK(scidb_value_new_list(&outer) == SCIDB_OK);
  scidb_value *inner = NULL;
  CHECK(scidb_value_new_list(&inner) == SCIDB_OK);
  CHECK(scidb_value_list_push(outer, &inner) == SCIDB_OK && inner == NULL);
  const scidb_value *held = NULL;
  CHECK(scidb_value_list_get(outer, 0, &held) == SCIDB_OK);
  scidb_value *outer_alias = outer;
  CHECK(scidb_value_list_push((scidb_value *)held, &outer_alias) == SCIDB_INVALID_ARGUMENT);
  CHECK(outer_alias == outer);
  scidb_value_free(&outer);
  scidb_value_free(&l);
  scidb_value_free(&m);
}

static atomic_int threads_seen;
static _Thread_local int counted;

static scidb_status copy_fn(void *user_data, const char *metadata_json,
                            const scidb_value *const *inputs, size_t n_inputs,
                            scidb_value **outputs, size_t n_outputs, char *error,
                            size_t error_size) {
  (void)user_data;
  (void)metadata_json;
  (void)inputs;
  (void)n_inputs;
  (void)error;
  (void)error_size;
  if (!counted) {
    counted = 1;
    atomic_fetch_add(&threads_seen, 1);
  }
  if (n_outputs != 1) return SCIDB_INVALID_ARGUMENT;
  outputs[0] = f64(2.0);
  return SCIDB_OK;
}

static void test_absurd_worker_counts(scidb_db *db) {
  char rid[SCIDB_RECORD_ID_SIZE], meta[64];
  for (int s = 0; s < 20; s++) {
    scidb_value *v = f64(s);
    snprintf(meta, sizeof meta, "{\"subject\": %d}", s);
    CHECK(scidb_save(db, "Raw", meta, v, rid) == SCIDB_OK);
    scidb_value_free(&v);
  }
  const uint32_t counts[2] = {100000, UINT32_MAX};
  for (int k = 0; k < 2; k++) {
    char spec[512];
    snprintf(spec, sizeof spec,
             "{\"function\": {\"language\": \"c\", \"name\": \"copy\", \"version\": \"%d\"},"
             " \"iterate\": [[\"subject\", []]],"
             " \"inputs\": [{\"name\": \"x\", \"variable\": \"Raw\"}],"
             " \"outputs\": [\"Copied\"]}",
             k);
    scidb_foreach *fe = NULL;
    scidb_foreach_summary sum;
    CHECK(scidb_foreach_new(db, spec, &fe) == SCIDB_OK);
    atomic_store(&threads_seen, 0);
    /* Used to start ~30,000 threads and then panic. */
    CHECK(scidb_foreach_run(db, fe, copy_fn, NULL, counts[k], &sum) == SCIDB_OK);
    CHECK(sum.ran == 20 && sum.failed == 0);
    CHECK(atomic_load(&threads_seen) >= 1 && atomic_load(&threads_seen) <= 20);
    scidb_foreach_free(&fe);
  }
}

/* Arrow structs on the stack that count their releases. */
static int schema_releases, array_releases;
static void release_schema(struct ArrowSchema *s) {
  schema_releases++;
  s->release = NULL;
}
static void release_array(struct ArrowArray *a) {
  array_releases++;
  a->release = NULL;
}

typedef struct {
  struct ArrowSchema child_schema, schema;
  struct ArrowSchema *schema_children[1];
  struct ArrowArray child, array;
  struct ArrowArray *array_children[1];
  const void *child_buffers[3];
  const void *top_buffers[1];
} table_input;

static int64_t values[4] = {1, 2, 3, 4};
static int32_t offsets[5] = {0, 1, 2, 3, 4};
static char text[4] = {'a', 'b', 'c', 'd'};

/* A valid one-column table (int64 "l" or utf8 "u") of 4 rows. */
static void valid_input(table_input *t, const char *format) {
  memset(t, 0, sizeof *t);
  int is_text = strcmp(format, "u") == 0;
  t->child_schema = (struct ArrowSchema){format, "x", NULL, 0, 0, NULL, NULL, release_schema, NULL};
  t->schema_children[0] = &t->child_schema;
  t->schema = (struct ArrowSchema){"+s", "", NULL, 0, 1, t->schema_children, NULL, release_schema,
                                   NULL};
  t->child_buffers[0] = NULL;
  t->child_buffers[1] = is_text ? (const void *)offsets : (const void *)values;
  t->child_buffers[2] = text;
  t->top_buffers[0] = NULL;
  t->child = (struct ArrowArray){4, 0, 0, is_text ? 3 : 2, 0, t->child_buffers, NULL, NULL,
                                 release_array, NULL};
  t->array_children[0] = &t->child;
  t->array = (struct ArrowArray){4, 0, 0, 1, 1, t->top_buffers, t->array_children, NULL,
                                 release_array, NULL};
}

static int32_t bad_offsets[5] = {0, 3, 1, 2, 4};
static int32_t negative_offsets[5] = {0, 1, 2, 3, -7};
static char bad_utf8[4] = {'a', (char)0xff, 'c', 'd'};
static uint8_t half_valid[1] = {0x3};

/* Breaks a valid input in way `k`; returns 0 past the last way. */
static int break_input(table_input *t, int k) {
  switch (k) {
  case 0: t->schema.format = NULL; return 1;
  case 1: t->schema.format = "+l"; return 1;
  case 2: t->schema.n_children = -1; return 1;
  case 3: t->schema.children = NULL; return 1;
  case 4: t->schema_children[0] = NULL; return 1;
  case 5: t->child_schema.format = NULL; return 1;
  case 6: t->child_schema.format = "\xff"; return 1;
  case 7: t->child_schema.name = "\xfe"; return 1;
  case 8: t->array.n_children = 0; return 1;
  case 9: t->array.children = NULL; return 1;
  case 10: t->array_children[0] = NULL; return 1;
  case 11: t->array.n_buffers = 0; return 1;
  case 12: t->array.buffers = NULL; return 1;
  case 13: t->child.n_buffers = 1; return 1;
  case 14: t->child.buffers = NULL; return 1;
  case 15: t->child.length = -1; return 1;
  case 16: t->child.offset = -3; return 1;
  case 17: t->child.length = 2; return 1;
  case 18: t->array.length = -5; return 1;
  case 19: t->array.offset = 9; return 1;
  case 20: t->child_buffers[1] = NULL; return 1;
  case 21: t->child.null_count = -9; return 1;
  case 22: t->child_buffers[0] = half_valid; t->child.null_count = 3; return 1; /* 2 are null */
  case 23: t->child_schema.n_children = 1; return 1;
  case 24: t->child_schema.dictionary = &t->child_schema; return 1;
  case 25: t->child_schema.format = "+s"; return 1;
  case 26: t->child_schema.format = "tsu:"; return 1;
  case 27: t->array.release = NULL; return 1; /* given already released */
  case 28: t->schema.release = NULL; return 1;
  case 29: t->array.null_count = 2; t->top_buffers[0] = half_valid; return 1;
  default: return 0;
  }
}

/* Breaks a valid text input in way `k`. */
static int break_text(table_input *t, int k) {
  switch (k) {
  case 0: t->child_buffers[1] = bad_offsets; return 1;
  case 1: t->child_buffers[1] = negative_offsets; return 1;
  case 2: t->child_buffers[2] = bad_utf8; return 1;
  case 3: t->child_buffers[1] = NULL; return 1;
  case 4: t->child_buffers[2] = NULL; return 1;
  case 5: t->child.n_buffers = 2; return 1;
  default: return 0;
  }
}

/* Where Arrow input goes in: a table value, a chunk writer, a stream reply. */
static scidb_chunk_writer *writer;
static scidb_stream *stream;
static int consumer;

static scidb_status consume(table_input *t, scidb_value **table) {
  switch (consumer) {
  case 1: return scidb_chunk_writer_add_arrow(writer, &t->schema, &t->array);
  case 2: return scidb_stream_write(stream, &t->schema, &t->array);
  default: return scidb_value_new_table_from_arrow(&t->schema, &t->array, table);
  }
}

static void expect_refused(table_input *t, const char *what, int k) {
  /* A struct given already released is not released again. */
  int live_schema = t->schema.release != NULL, live_array = t->array.release != NULL;
  schema_releases = array_releases = 0;
  scidb_value *table = NULL;
  scidb_status st = consume(t, &table);
  if (st != SCIDB_INVALID_ARGUMENT && st != SCIDB_TYPE_MISMATCH)
    fprintf(stderr, "%s input %d: %s: %s\n", what, k, scidb_status_name(st), scidb_last_error());
  CHECK(st == SCIDB_INVALID_ARGUMENT || st == SCIDB_TYPE_MISMATCH);
  CHECK(table == NULL);
  /* Both structs are released, also on failure. */
  CHECK(schema_releases == live_schema && array_releases == live_array);
  CHECK(t->schema.release == NULL && t->array.release == NULL);
  scidb_value_free(&table);
}

static int malformed_inputs(void) {
  table_input t;
  int refused = 0;
  for (int k = 0;; k++) {
    valid_input(&t, "l");
    if (!break_input(&t, k)) break;
    expect_refused(&t, "int64", k);
    refused++;
  }
  for (int k = 0;; k++) {
    valid_input(&t, "u");
    if (!break_text(&t, k)) break;
    expect_refused(&t, "utf8", k);
    refused++;
  }
  return refused;
}

static void test_malformed_arrow(scidb_db *db) {
  table_input t;
  CHECK(malformed_inputs() == 36);
  /* The same through a chunk writer and a stream reply. */
  consumer = 1;
  CHECK(scidb_chunk_writer_open(db, "Chunked", "{\"subject\": 1}", &writer) == SCIDB_OK);
  CHECK(malformed_inputs() == 36);
  scidb_chunk_writer_free(&writer);
  consumer = 2;
  int in[2], out[2];
  CHECK(pipe(in) == 0 && pipe(out) == 0);
  CHECK(scidb_stream_open(in[0], out[1], SCIDB_STREAM_ARROW, 0, &stream) == SCIDB_OK);
  CHECK(malformed_inputs() == 36);
  scidb_stream_free(&stream);
  close(in[0]), close(in[1]), close(out[0]), close(out[1]);
  consumer = 0;
  /* The valid inputs themselves are accepted. */
  const char *formats[2] = {"l", "u"};
  for (int i = 0; i < 2; i++) {
    valid_input(&t, formats[i]);
    scidb_value *table = NULL;
    CHECK(scidb_value_new_table_from_arrow(&t.schema, &t.array, &table) == SCIDB_OK);
    size_t rows = 0, cols = 0;
    CHECK(scidb_value_table_shape(table, &rows, &cols) == SCIDB_OK && rows == 4 && cols == 1);
    scidb_value_free(&table);
  }
  /* NULL for one struct still releases the other. */
  valid_input(&t, "l");
  schema_releases = array_releases = 0;
  scidb_value *table = NULL;
  CHECK(scidb_value_new_table_from_arrow(NULL, &t.array, &table) == SCIDB_NULL_ARGUMENT);
  CHECK(array_releases == 1);
}

static void test_load_all_unknown_type(scidb_db *db) {
  scidb_records *recs = NULL;
  CHECK(scidb_load_all(db, "NeverSaved", NULL, &recs) == SCIDB_OK && recs != NULL);
  size_t n = 9;
  CHECK(recs && scidb_records_count(recs, &n) == SCIDB_OK && n == 0);
  scidb_records_free(&recs);
  CHECK(scidb_load(db, "NeverSaved", NULL, &recs) == SCIDB_NOT_FOUND);
  CHECK(scidb_load_all(db, "bad name!", NULL, &recs) == SCIDB_INVALID_ARGUMENT);
}

int main(void) {
  char dir[] = "/tmp/scidb_c_hardening_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/h.duckdb", dir);
  const char *keys[1] = {"subject"};
  scidb_db *db = NULL;
  CHECK(scidb_open(path, keys, 1, NULL, &db) == SCIDB_OK && db != NULL);
  if (db) {
    test_depth_limit(db);
    test_no_self_insertion();
    test_absurd_worker_counts(db);
    test_malformed_arrow(db);
    test_load_all_unknown_type(db);
    scidb_db_free(&db);
  }
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
