/* Exercises the C ABI that host-language gateways (the MATLAB MEX) use
 * instead of JSON and Arrow: metadata from map values, metadata back as
 * values, UTF-16 text, tables column by column, and save times. Built with
 * -Wall -Werror under AddressSanitizer by `make test-c`. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static scidb_value *f64_scalar(double x) {
  scidb_value *v = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &x, sizeof x, SCIDB_ARRAY_SCALAR, &v) ==
        SCIDB_OK);
  return v;
}

static scidb_value *text(const char *s) {
  scidb_value *v = NULL;
  CHECK(scidb_value_new_string(s, strlen(s), &v) == SCIDB_OK);
  return v;
}

/* Builds {"subject": 1.0, "session": "a", <extra_key>: extra} and returns its JSON. */
static char *metadata_json(const char *extra_key, scidb_value *extra) {
  scidb_value *map = NULL, *item = NULL;
  char *json = NULL;
  CHECK(scidb_value_new_map(&map) == SCIDB_OK);
  item = f64_scalar(1.0);
  CHECK(scidb_value_map_insert(map, "subject", &item) == SCIDB_OK && item == NULL);
  item = text("a");
  CHECK(scidb_value_map_insert(map, "session", &item) == SCIDB_OK);
  if (extra_key)
    CHECK(scidb_value_map_insert(map, extra_key, &extra) == SCIDB_OK);
  /* Callers check the result: some expect a refusal (NULL). */
  if (scidb_metadata_json_from_map(map, &json) != SCIDB_OK)
    json = NULL;
  scidb_value_free(&map);
  return json;
}

static void test_metadata_from_map(scidb_db *db) {
  char *json = metadata_json("gain", f64_scalar(0.25));
  CHECK(json && strcmp(json, "{\"gain\":0.25,\"session\":\"a\",\"subject\":1}") == 0);
  scidb_value *v = f64_scalar(3.0);
  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Meta", json, v, rid) == SCIDB_OK);
  scidb_string_free(&json);
  CHECK(json == NULL);
  scidb_string_free(&json); /* nulled: a no-op */
  scidb_string_free(NULL);

  /* Metadata comes back as a map value, schema keys first. */
  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Meta", "{\"subject\": 1}", &recs) == SCIDB_OK);
  const scidb_value *meta = NULL;
  CHECK(scidb_records_metadata_value(recs, 0, &meta) == SCIDB_OK);
  const char *key;
  size_t key_len, n = 0;
  const scidb_value *item;
  CHECK(scidb_value_len(meta, &n) == SCIDB_OK && n == 3);
  CHECK(scidb_value_map_entry(meta, 0, &key, &key_len, &item) == SCIDB_OK);
  CHECK(key_len == 7 && memcmp(key, "subject", 7) == 0);
  struct scidb_array_view view;
  CHECK(scidb_value_array(item, &view) == SCIDB_OK && view.dtype == SCIDB_DTYPE_FLOAT64 &&
        view.ndim == 0 && *(const double *)view.data == 1.0);
  CHECK(scidb_value_map_entry(meta, 2, &key, &key_len, &item) == SCIDB_OK);
  CHECK(key_len == 4 && memcmp(key, "gain", 4) == 0);
  const char *saved_at = NULL;
  CHECK(scidb_records_saved_at(recs, 0, &saved_at) == SCIDB_OK && strlen(saved_at) >= 19);
  CHECK(scidb_records_metadata_value(recs, 5, &meta) == SCIDB_INVALID_ARGUMENT);
  scidb_records_free(&recs);
  scidb_value_free(&v);

  /* A two-element array is a list: fine in a query, refused by a save. */
  int32_t two[2] = {1, 2};
  uint64_t shape[1] = {2};
  scidb_value *list = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_INT32, shape, 1, two, sizeof two, 0, &list) == SCIDB_OK);
  json = metadata_json("trial", list);
  CHECK(json && strstr(json, "\"trial\":[1,2]") != NULL);
  v = f64_scalar(1.0);
  CHECK(scidb_save(db, "Meta", json, v, rid) == SCIDB_INVALID_ARGUMENT);
  scidb_string_free(&json);
  scidb_value_free(&v);

  /* Values that are not metadata are named in the error. */
  scidb_value *null = NULL;
  CHECK(scidb_value_new_null(&null) == SCIDB_OK);
  CHECK(metadata_json("weird", null) == NULL);
  CHECK(strstr(scidb_last_error(), "weird") != NULL);
  scidb_value *not_map = f64_scalar(1.0);
  CHECK(scidb_metadata_json_from_map(not_map, &json) == SCIDB_TYPE_MISMATCH);
  CHECK(scidb_metadata_json_from_map(NULL, &json) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_metadata_json_from_map(not_map, NULL) == SCIDB_NULL_ARGUMENT);
  scidb_value_free(&not_map);
}

static void test_utf16(void) {
  /* "hé😀": h, é, and a surrogate pair. */
  const uint16_t units[4] = {0x68, 0xE9, 0xD83D, 0xDE00};
  scidb_value *v = NULL;
  CHECK(scidb_value_new_string_utf16(units, 4, &v) == SCIDB_OK);
  const char *utf8;
  size_t len, n16;
  CHECK(scidb_value_string(v, &utf8, &len) == SCIDB_OK && len == 7);
  CHECK(memcmp(utf8, "h\xC3\xA9\xF0\x9F\x98\x80", 7) == 0);
  CHECK(scidb_value_string_utf16_len(v, &n16) == SCIDB_OK && n16 == 4);
  uint16_t back[4] = {0};
  CHECK(scidb_value_string_utf16_copy(v, back, 4) == SCIDB_OK && memcmp(back, units, 8) == 0);
  CHECK(scidb_value_string_utf16_copy(v, back, 3) == SCIDB_INVALID_ARGUMENT);
  scidb_value_free(&v);
  const uint16_t lone[1] = {0xD800};
  CHECK(scidb_value_new_string_utf16(lone, 1, &v) == SCIDB_INVALID_ARGUMENT && v == NULL);
  CHECK(scidb_value_new_string_utf16(NULL, 3, &v) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_value_new_string_utf16(NULL, 0, &v) == SCIDB_OK);
  CHECK(scidb_value_string_utf16_len(v, &n16) == SCIDB_OK && n16 == 0);
  scidb_value_free(&v);
}

static void test_table_columns(scidb_db *db) {
  scidb_value *t = NULL;
  CHECK(scidb_value_new_table(3, &t) == SCIDB_OK);
  const double x[3] = {1.5, NAN, -2};
  const uint8_t x_valid[3] = {1, 0, 1};
  CHECK(scidb_value_table_add_numeric(t, "x", SCIDB_DTYPE_FLOAT64, x, sizeof x, x_valid) == SCIDB_OK);
  const char *cells[3] = {"a", NULL, "c\xC3\xA9"};
  const size_t lens[3] = {1, 0, 3};
  CHECK(scidb_value_table_add_text(t, "label", cells, lens, NULL) == SCIDB_OK);
  /* Wrong lengths, duplicate names, bad UTF-8 and complex columns are refused. */
  CHECK(scidb_value_table_add_numeric(t, "y", SCIDB_DTYPE_FLOAT64, x, 16, NULL) ==
        SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_value_table_add_numeric(t, "x", SCIDB_DTYPE_FLOAT64, x, sizeof x, NULL) ==
        SCIDB_INVALID_ARGUMENT);
  const char *bad[3] = {"a", "\xFF", "c"};
  const size_t bad_lens[3] = {1, 1, 1};
  CHECK(scidb_value_table_add_text(t, "z", bad, bad_lens, NULL) == SCIDB_INVALID_ARGUMENT);
  CHECK(strstr(scidb_last_error(), "row 1") != NULL);
  const double cx[6] = {0};
  CHECK(scidb_value_table_add_numeric(t, "c", SCIDB_DTYPE_COMPLEX128, cx, 48, NULL) ==
        SCIDB_TYPE_MISMATCH);
  const uint8_t bad_flags[3] = {1, 2, 1};
  CHECK(scidb_value_table_add_numeric(t, "w", SCIDB_DTYPE_FLOAT64, x, sizeof x, bad_flags) ==
        SCIDB_INVALID_ARGUMENT);
  scidb_value *not_table = NULL;
  CHECK(scidb_value_new_null(&not_table) == SCIDB_OK);
  CHECK(scidb_value_table_add_numeric(not_table, "x", SCIDB_DTYPE_FLOAT64, x, sizeof x, NULL) ==
        SCIDB_TYPE_MISMATCH);
  scidb_value_free(&not_table);

  char rid[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Cols", "{\"subject\": 2}", t, rid) == SCIDB_OK);
  scidb_value_free(&t);

  scidb_records *recs = NULL;
  const scidb_value *v = NULL;
  CHECK(scidb_load(db, "Cols", "{\"subject\": 2}", &recs) == SCIDB_OK);
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  size_t rows = 0, cols = 0;
  CHECK(scidb_value_table_shape(v, &rows, &cols) == SCIDB_OK && rows == 3 && cols == 2);
  scidb_column_view col;
  CHECK(scidb_value_table_column(v, 0, &col) == SCIDB_OK);
  CHECK(col.name_len == 1 && col.name[0] == 'x' && !col.is_text && col.dtype == SCIDB_DTYPE_FLOAT64);
  CHECK(col.nbytes == sizeof x && ((const double *)col.data)[2] == -2);
  CHECK(col.validity && col.validity[0] == 1 && col.validity[1] == 0);
  CHECK(scidb_value_table_column(v, 1, &col) == SCIDB_OK && col.is_text && col.validity == NULL);
  const char *cell;
  size_t cell_len;
  CHECK(scidb_value_table_text(v, 1, 2, &cell, &cell_len) == SCIDB_OK && cell_len == 3 &&
        memcmp(cell, "c\xC3\xA9", 3) == 0);
  CHECK(scidb_value_table_text(v, 1, 3, &cell, &cell_len) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_value_table_text(v, 0, 0, &cell, &cell_len) == SCIDB_TYPE_MISMATCH);
  CHECK(scidb_value_table_column(v, 2, &col) == SCIDB_INVALID_ARGUMENT);
  scidb_records_free(&recs);
}

int main(void) {
  char dir[] = "/tmp/scidb_host_test_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/host.duckdb", dir);
  const char *keys[2] = {"subject", "session"};
  scidb_db *db = NULL;
  CHECK(scidb_open(path, keys, 2, NULL, &db) == SCIDB_OK);
  if (db) {
    test_metadata_from_map(db);
    test_table_columns(db);
    scidb_db_free(&db);
  }
  test_utf16();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
