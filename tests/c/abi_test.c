/* Exercises the scidb C ABI from C: saves and loads on a real DuckDB file,
 * NULL and bad arguments, tables through the Arrow C Data Interface, the
 * Arrow C Stream Interface and cell by cell (binary columns).
 * Built with -Wall -Werror under AddressSanitizer by `make test-c`. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static scidb_value *f64_array(const double *xs, const uint64_t *shape,
                              size_t ndim, size_t n, uint32_t flags) {
  scidb_value *v = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, shape, ndim, xs, n * sizeof(double), flags,
                              &v) == SCIDB_OK);
  return v;
}

/* A one-column int64 Arrow struct array on the stack; release marks it released. */
static void release_schema(struct ArrowSchema *s) { s->release = NULL; }
static void release_array(struct ArrowArray *a) { a->release = NULL; }

static void test_table_round_trip(scidb_db *db) {
  static int64_t values[3] = {10, 20, 30};
  static uint8_t validity[1] = {0x5}; /* rows 0 and 2 valid */
  const void *child_buffers[2] = {validity, values};
  const void *top_buffers[1] = {NULL};
  struct ArrowSchema child_schema = {"l", "x", NULL, ARROW_FLAG_NULLABLE, 0,
                                     NULL, NULL, release_schema, NULL};
  struct ArrowSchema *schema_children[1] = {&child_schema};
  struct ArrowSchema schema = {"+s", "", NULL, 0, 1, schema_children, NULL,
                               release_schema, NULL};
  struct ArrowArray child = {3, 1, 0, 2, 0, child_buffers, NULL, NULL,
                             release_array, NULL};
  struct ArrowArray *array_children[1] = {&child};
  struct ArrowArray array = {3, 0, 0, 1, 1, top_buffers, array_children, NULL,
                             release_array, NULL};

  scidb_value *table = NULL;
  CHECK(scidb_value_new_table_from_arrow(&schema, &array, &table) == SCIDB_OK);
  CHECK(array.release == NULL && schema.release == NULL); /* consumed */
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Tab", "{\"subject\": 7}", table, rid) == SCIDB_OK);
  scidb_value_free(&table);
  CHECK(table == NULL);

  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Tab", "{\"subject\": 7}", &recs) == SCIDB_OK);
  const scidb_value *v = NULL;
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  struct ArrowSchema out_schema;
  struct ArrowArray out_array;
  CHECK(scidb_value_table_to_arrow(v, &out_schema, &out_array) == SCIDB_OK);
  CHECK(out_array.length == 3 && out_schema.n_children == 1);
  CHECK(strcmp(out_schema.children[0]->format, "l") == 0);
  CHECK(strcmp(out_schema.children[0]->name, "x") == 0);
  const int64_t *back = (const int64_t *)out_array.children[0]->buffers[1];
  const uint8_t *valid = (const uint8_t *)out_array.children[0]->buffers[0];
  CHECK(back[0] == 10 && back[2] == 30);
  CHECK(out_array.children[0]->null_count == 1 && (valid[0] & 0x7) == 0x5);
  out_array.release(&out_array);
  out_schema.release(&out_schema);
  scidb_records_free(&recs);
}

/* Binary columns built cell by cell, saved, loaded, read back as cells
 * and carried through an Arrow C stream into a second table. */
static void test_binary_columns_and_streams(scidb_db *db) {
  static const char cell0[2] = {0, (char)0xff};
  const char *cells[3] = {cell0, NULL, ""};
  size_t lens[3] = {2, 0, 0};
  uint8_t valid[3] = {1, 0, 1};
  scidb_value *table = NULL;
  CHECK(scidb_value_new_table(3, &table) == SCIDB_OK);
  CHECK(scidb_value_table_add_binary(table, "b", cells, lens, valid) == SCIDB_OK);
  /* Text must be UTF-8; binary need not be. */
  CHECK(scidb_value_table_add_text(table, "t", cells, lens, valid) == SCIDB_INVALID_ARGUMENT);
  char hash[SCIDB_HASH_SIZE];
  CHECK(scidb_value_hash(table, hash) == SCIDB_OK);
  CHECK(strcmp(hash, "08bdca904d85af1890bffd45138c80e056108f4536474417d388a0e44031d4c8") == 0); /* docs/content-hash.md */
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Bin", "{\"subject\": 1}", table, rid) == SCIDB_OK);
  scidb_value_free(&table);

  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Bin", "{\"subject\": 1}", &recs) == SCIDB_OK);
  const scidb_value *v = NULL;
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  scidb_column_view col;
  CHECK(scidb_value_table_column(v, 0, &col) == SCIDB_OK);
  CHECK(col.is_text == SCIDB_COLUMN_BINARY && col.validity != NULL && col.validity[1] == 0);
  const char *bytes = NULL;
  size_t len = 9;
  CHECK(scidb_value_table_text(v, 0, 0, &bytes, &len) == SCIDB_OK);
  CHECK(len == 2 && bytes[0] == 0 && (unsigned char)bytes[1] == 0xff);
  CHECK(scidb_value_table_text(v, 0, 1, &bytes, &len) == SCIDB_OK && len == 0);

  /* The stream shares the loaded table's buffers and outlives the records. */
  struct ArrowArrayStream stream;
  CHECK(scidb_value_table_to_arrow_stream(v, &stream) == SCIDB_OK);
  scidb_records_free(&recs);
  struct ArrowSchema schema;
  CHECK(stream.get_schema(&stream, &schema) == 0);
  CHECK(schema.n_children == 1 && strcmp(schema.children[0]->format, "z") == 0);
  schema.release(&schema);
  scidb_value *again = NULL;
  CHECK(scidb_value_new_table_from_arrow_stream(&stream, &again) == SCIDB_OK);
  CHECK(stream.release == NULL); /* consumed */
  char hash2[SCIDB_HASH_SIZE];
  CHECK(scidb_value_hash(again, hash2) == SCIDB_OK && strcmp(hash, hash2) == 0);
  scidb_value_free(&again);
  /* A released stream and NULL are refused. */
  CHECK(scidb_value_new_table_from_arrow_stream(&stream, &again) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_value_new_table_from_arrow_stream(NULL, &again) == SCIDB_NULL_ARGUMENT);
  ArrowArrayStream *heap = scidb_arrow_stream_new();
  CHECK(heap != NULL && heap->release == NULL);
  scidb_arrow_stream_free(&heap);
  CHECK(heap == NULL);
}

static void test_nested(scidb_db *db) {
  scidb_value *map = NULL, *list = NULL, *s = NULL, *n = NULL;
  CHECK(scidb_value_new_map(&map) == SCIDB_OK);
  CHECK(scidb_value_new_list(&list) == SCIDB_OK);
  CHECK(scidb_value_new_string("h\xc3\xa9", 3, &s) == SCIDB_OK);
  CHECK(scidb_value_list_push(list, &s) == SCIDB_OK && s == NULL);
  CHECK(scidb_value_new_null(&n) == SCIDB_OK);
  CHECK(scidb_value_list_push(list, &n) == SCIDB_OK);
  CHECK(scidb_value_map_insert(map, "items", &list) == SCIDB_OK && list == NULL);
  scidb_value *dup = NULL;
  CHECK(scidb_value_new_null(&dup) == SCIDB_OK);
  CHECK(scidb_value_map_insert(map, "items", &dup) == SCIDB_INVALID_ARGUMENT);
  CHECK(dup != NULL); /* still ours on failure */
  scidb_value_free(&dup);
  /* Pushing onto a non-list is a type mismatch, not a crash. */
  scidb_value *item = NULL;
  CHECK(scidb_value_new_null(&item) == SCIDB_OK);
  CHECK(scidb_value_list_push(map, &item) == SCIDB_TYPE_MISMATCH);
  scidb_value_free(&item);

  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Nested", "{\"subject\": 1, \"session\": \"x\"}", map, rid) == SCIDB_OK);
  char hash_saved[SCIDB_HASH_SIZE];
  CHECK(scidb_value_hash(map, hash_saved) == SCIDB_OK);
  scidb_value_free(&map);

  scidb_records *recs = NULL;
  CHECK(scidb_load_record(db, "Nested", rid, &recs) == SCIDB_OK);
  const scidb_value *v = NULL;
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  char hash_loaded[SCIDB_HASH_SIZE];
  CHECK(scidb_value_hash(v, hash_loaded) == SCIDB_OK);
  CHECK(strcmp(hash_saved, hash_loaded) == 0);
  const char *key = NULL;
  size_t key_len = 0;
  const scidb_value *items = NULL;
  CHECK(scidb_value_map_entry(v, 0, &key, &key_len, &items) == SCIDB_OK);
  CHECK(key_len == 5 && memcmp(key, "items", 5) == 0);
  size_t len = 0;
  CHECK(scidb_value_len(items, &len) == SCIDB_OK && len == 2);
  const scidb_value *first = NULL;
  CHECK(scidb_value_list_get(items, 0, &first) == SCIDB_OK);
  const char *text = NULL;
  size_t text_len = 0;
  CHECK(scidb_value_string(first, &text, &text_len) == SCIDB_OK);
  CHECK(text_len == 3 && memcmp(text, "h\xc3\xa9", 3) == 0);
  CHECK(scidb_value_list_get(items, 5, &first) == SCIDB_INVALID_ARGUMENT);
  scidb_records_free(&recs);
}

static void test_arrays_and_versions(scidb_db *db) {
  /* A 2x3 matrix given column-major loads back row-major. */
  const double col_major[6] = {1, 4, 2, 5, 3, 6};
  const uint64_t shape[2] = {2, 3};
  scidb_value *m = f64_array(col_major, shape, 2, 6, SCIDB_ARRAY_COLUMN_MAJOR);
  char rid1[SCIDB_RECORD_ID_SIZE], rid2[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Mat", "{\"subject\": 1, \"session\": \"a\"}", m, rid1) == SCIDB_OK);
  scidb_value_free(&m);
  const double special[3] = {NAN, INFINITY, -0.0};
  const uint64_t shape3[1] = {3};
  scidb_value *s = f64_array(special, shape3, 1, 3, 0);
  CHECK(scidb_save(db, "Mat", "{\"subject\": 1, \"session\": \"a\"}", s, rid2) == SCIDB_OK);
  scidb_value_free(&s);
  CHECK(strcmp(rid1, rid2) != 0);

  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Mat", "{\"subject\": 1, \"session\": \"a\"}", &recs) == SCIDB_OK);
  size_t count = 0;
  CHECK(scidb_records_count(recs, &count) == SCIDB_OK && count == 1);
  const char *id = NULL;
  CHECK(scidb_records_record_id(recs, 0, &id) == SCIDB_OK && strcmp(id, rid2) == 0);
  const scidb_value *v = NULL;
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  scidb_array_view view;
  CHECK(scidb_value_array(v, &view) == SCIDB_OK);
  CHECK(view.dtype == SCIDB_DTYPE_FLOAT64 && view.ndim == 1 && view.shape[0] == 3);
  CHECK(memcmp(view.data, special, sizeof special) == 0); /* bit-exact */
  scidb_records_free(&recs);
  CHECK(recs == NULL);

  CHECK(scidb_load_record(db, "Mat", rid1, &recs) == SCIDB_OK);
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  CHECK(scidb_value_array(v, &view) == SCIDB_OK);
  const double *row_major = (const double *)view.data;
  CHECK(view.ndim == 2 && row_major[0] == 1 && row_major[1] == 2 && row_major[3] == 4);
  double back[6];
  CHECK(scidb_value_array_copy(v, back, sizeof back, SCIDB_ORDER_COLUMN_MAJOR) == SCIDB_OK);
  CHECK(memcmp(back, col_major, sizeof back) == 0);
  CHECK(scidb_value_array_copy(v, back, 8, SCIDB_ORDER_ROW_MAJOR) == SCIDB_INVALID_ARGUMENT);
  scidb_value *taken = NULL;
  CHECK(scidb_records_take_value(recs, 0, &taken) == SCIDB_OK && taken != NULL);
  CHECK(scidb_records_take_value(recs, 0, &taken) == SCIDB_NOT_FOUND);
  scidb_value_free(&taken);
  scidb_records_free(&recs);

  CHECK(scidb_list_versions(db, "Mat", NULL, &recs) == SCIDB_OK);
  CHECK(scidb_records_count(recs, &count) == SCIDB_OK && count == 2);
  const char *info = NULL;
  CHECK(scidb_records_info_json(recs, &info) == SCIDB_OK && strstr(info, rid1) != NULL);
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_NOT_FOUND);
  scidb_records_free(&recs);

  /* Two variants at one location: ambiguous until chosen. */
  const double one = 1, two = 2;
  scidb_value *a = f64_array(&one, NULL, 0, 1, SCIDB_ARRAY_SCALAR);
  scidb_value *b = f64_array(&two, NULL, 0, 1, SCIDB_ARRAY_SCALAR);
  CHECK(scidb_save(db, "F", "{\"subject\": 1, \"smoothing\": 0.2}", a, rid1) == SCIDB_OK);
  CHECK(scidb_save(db, "F", "{\"subject\": 1, \"smoothing\": 0.3}", b, rid2) == SCIDB_OK);
  scidb_value_free(&a);
  scidb_value_free(&b);
  CHECK(scidb_load(db, "F", "{\"subject\": 1}", &recs) == SCIDB_AMBIGUOUS);
  CHECK(strstr(scidb_last_error(), "smoothing") != NULL);
  CHECK(recs == NULL);
  CHECK(scidb_load(db, "F", "{\"smoothing\": 0.3}", &recs) == SCIDB_OK);
  CHECK(scidb_records_record_id(recs, 0, &id) == SCIDB_OK && strcmp(id, rid2) == 0);
  scidb_records_free(&recs);
  CHECK(scidb_load(db, "F", "{\"subject\": 2}", &recs) == SCIDB_NOT_FOUND);
}

static void test_bad_input(scidb_db *db) {
  const double x = 1;
  scidb_value *v = NULL;
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_value_new_array(99, NULL, 0, &x, 8, 0, &v) == SCIDB_INVALID_ARGUMENT);
  CHECK(strstr(scidb_last_error(), "dtype") != NULL);
  CHECK(v == NULL);
  CHECK(scidb_value_new_array(10, NULL, 0, &x, 4, 0, &v) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_value_new_array(10, NULL, 0, NULL, 8, 0, &v) == SCIDB_NULL_ARGUMENT);
  const uint8_t bad_bool = 2;
  CHECK(scidb_value_new_array(0, NULL, 0, &bad_bool, 1, 0, &v) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_value_new_string("\xff\xfe", 2, &v) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_value_new_array(10, NULL, 0, &x, 8, 0, &v) == SCIDB_OK);
  CHECK(scidb_save(NULL, "A", "{}", v, rid) == SCIDB_NULL_ARGUMENT);
  CHECK(strstr(scidb_last_error(), "db") != NULL);
  CHECK(scidb_save(db, NULL, "{}", v, rid) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_save(db, "A", NULL, v, rid) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_save(db, "A", "{}", NULL, rid) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_save(db, "A", "{}", v, NULL) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_save(db, "A\xff", "{}", v, rid) == SCIDB_INVALID_ARGUMENT);
  CHECK(strstr(scidb_last_error(), "UTF-8") != NULL);
  CHECK(scidb_save(db, "A", "{\"record_id\": 1}", v, rid) == SCIDB_RESERVED_KEY);
  CHECK(scidb_save(db, "A", "{not json", v, rid) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_save(db, "1A", "{}", v, rid) == SCIDB_INVALID_ARGUMENT);
  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "NeverSaved", "{}", &recs) == SCIDB_NOT_FOUND);
  CHECK(strstr(scidb_last_error(), "NeverSaved") != NULL);
  CHECK(scidb_load(db, "A", "{}", NULL) == SCIDB_NULL_ARGUMENT);
  uint32_t kind = 0;
  CHECK(scidb_value_kind(NULL, &kind) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_value_kind(v, &kind) == SCIDB_OK && kind == SCIDB_KIND_ARRAY);
  const char *text = NULL;
  size_t len = 0;
  CHECK(scidb_value_string(v, &text, &len) == SCIDB_TYPE_MISMATCH);
  scidb_value_free(&v);
  scidb_value_free(&v);   /* second free of a nulled pointer is a no-op */
  scidb_value_free(NULL); /* so is NULL */
  scidb_records_free(NULL);
  scidb_db_free(NULL);
  CHECK(strcmp(scidb_status_name(SCIDB_AMBIGUOUS), "SCIDB_AMBIGUOUS") == 0);
}

int main(void) {
  char dir[] = "/tmp/scidb_c_test_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/c.duckdb", dir);
  CHECK(scidb_abi_version() == SCIDB_ABI_VERSION);

  const char *keys[2] = {"subject", "session"};
  scidb_db *db = NULL;
  CHECK(scidb_open(path, keys, 2, NULL, &db) == SCIDB_OK && db != NULL);
  CHECK(scidb_open(NULL, keys, 2, NULL, &db) == SCIDB_NULL_ARGUMENT);
  if (db) {
    test_arrays_and_versions(db);
    test_nested(db);
    test_table_round_trip(db);
    test_binary_columns_and_streams(db);
    test_bad_input(db);
    scidb_db_free(&db);
    CHECK(db == NULL);
  }
  /* Reopening with other keys is refused. */
  const char *other[1] = {"trial"};
  CHECK(scidb_open(path, other, 1, NULL, &db) == SCIDB_SCHEMA_MISMATCH);
  CHECK(db == NULL);

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
