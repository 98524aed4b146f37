/* Lineage and caching from C: the no-callback path (look up, run the
 * function here on a miss, save with lineage), the callback path
 * (scidb_call_cached), provenance JSON, MATLAB source helpers, and bad
 * arguments. Built with -Wall -Wextra -Werror under AddressSanitizer by
 * `make test-c`. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static scidb_value *f64s(const double *xs, uint64_t n) {
  scidb_value *v = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, &n, 1, xs, n * sizeof(double), 0, &v) ==
        SCIDB_OK);
  return v;
}

/* The "function" both paths run: doubles every element. */
static int runs = 0;

static scidb_value *doubled(const scidb_value *in) {
  scidb_array_view view;
  if (scidb_value_array(in, &view) != SCIDB_OK) return NULL;
  size_t n = view.nbytes / sizeof(double);
  double *out = malloc(view.nbytes ? view.nbytes : 1);
  const double *x = (const double *)view.data;
  for (size_t i = 0; i < n; i++) out[i] = 2 * x[i];
  scidb_value *v = f64s(out, n);
  free(out);
  runs++;
  return v;
}

/* Describes doubled(signal = record) with a constant gain. */
static scidb_call *describe(scidb_db *db, const char *version, const char *record_id, int gain) {
  scidb_call *call = NULL;
  CHECK(scidb_call_new("c", "doubled", NULL, version, 1, &call) == SCIDB_OK);
  CHECK(scidb_call_add_input_record(call, db, "signal", record_id) == SCIDB_OK);
  char constants[64];
  snprintf(constants, sizeof constants, "{\"gain\": %d}", gain);
  CHECK(scidb_call_add_constants(call, constants) == SCIDB_OK);
  return call;
}

/* The no-callback path: returns the record id of the result in `out`. */
static int cached_doubled(scidb_db *db, const char *version, const char *raw_id, int gain,
                          char out[SCIDB_RECORD_ID_SIZE]) {
  scidb_call *call = describe(db, version, raw_id, gain);
  int32_t hit = -1;
  CHECK(scidb_call_lookup(db, call, &hit) == SCIDB_OK);
  if (hit) {
    size_t n = 0;
    const char *rid = NULL;
    CHECK(scidb_call_output_count(call, &n) == SCIDB_OK && n == 1);
    CHECK(scidb_call_output_record_id(call, 0, &rid) == SCIDB_OK);
    snprintf(out, SCIDB_RECORD_ID_SIZE, "%s", rid);
  } else {
    scidb_records *recs = NULL;
    const scidb_value *input = NULL;
    CHECK(scidb_load_record(db, NULL, raw_id, &recs) == SCIDB_OK);
    CHECK(scidb_records_value(recs, 0, &input) == SCIDB_OK);
    scidb_value *result = doubled(input);
    CHECK(scidb_call_save_output(db, call, 0, "Doubled", "{\"subject\": 1}", result, out) ==
          SCIDB_OK);
    scidb_value_free(&result);
    scidb_records_free(&recs);
  }
  scidb_call_free(&call);
  CHECK(call == NULL);
  return hit;
}

static void test_no_callback(scidb_db *db) {
  const double xs[3] = {1, 2, 3};
  scidb_value *raw = f64s(xs, 3);
  char raw_id[SCIDB_RECORD_ID_SIZE];
  CHECK(scidb_save(db, "Raw", "{\"subject\": 1}", raw, raw_id) == SCIDB_OK);
  scidb_value_free(&raw);

  char first[SCIDB_RECORD_ID_SIZE], again[SCIDB_RECORD_ID_SIZE], other[SCIDB_RECORD_ID_SIZE];
  runs = 0;
  CHECK(cached_doubled(db, "1", raw_id, 2, first) == 0);
  CHECK(cached_doubled(db, "1", raw_id, 2, again) == 1);
  CHECK(runs == 1);
  CHECK(strcmp(first, again) == 0);
  /* Another version or constant runs again; the first result stays. */
  CHECK(cached_doubled(db, "2", raw_id, 2, other) == 0);
  CHECK(cached_doubled(db, "1", raw_id, 3, other) == 0);
  CHECK(runs == 3);
  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Doubled", "{\"subject\": 1, \"gain\": 3}", &recs) == SCIDB_OK);
  const char *rid = NULL;
  CHECK(scidb_records_record_id(recs, 0, &rid) == SCIDB_OK && strcmp(rid, other) == 0);
  scidb_records_free(&recs);
  CHECK(scidb_load_record(db, "Doubled", first, &recs) == SCIDB_OK);
  scidb_records_free(&recs);

  /* Provenance names the function, its constant and its input record. */
  char *json = NULL;
  CHECK(scidb_provenance_json(db, first, &json) == SCIDB_OK);
  CHECK(json && strstr(json, "\"function_name\":\"doubled\"") != NULL);
  CHECK(json && strstr(json, "\"constants\":{\"gain\":2}") != NULL);
  CHECK(json && strstr(json, raw_id) != NULL);
  scidb_string_free(&json);
  CHECK(json == NULL);
  CHECK(scidb_provenance_json(db, raw_id, &json) == SCIDB_OK);
  CHECK(json && strcmp(json, "null") == 0);
  scidb_string_free(&json);
  CHECK(scidb_upstream_provenance_json(db, first, &json) == SCIDB_OK);
  CHECK(json && json[0] == '[' && strstr(json, "doubled") != NULL);
  scidb_string_free(&json);
  CHECK(scidb_provenance_json(db, "nope", &json) == SCIDB_NOT_FOUND);
}

/* The callback: doubles input 0 into output 0 and counts its runs. */
static scidb_status run_doubled(void *user_data, const scidb_value *const *inputs,
                                size_t n_inputs, scidb_value **outputs, size_t n_outputs) {
  int *calls = (int *)user_data;
  (*calls)++;
  if (n_inputs != 1 || n_outputs != 1) return SCIDB_INVALID_ARGUMENT;
  outputs[0] = doubled(inputs[0]);
  return outputs[0] ? SCIDB_OK : SCIDB_TYPE_MISMATCH;
}

static scidb_status fail(void *user_data, const scidb_value *const *inputs, size_t n_inputs,
                         scidb_value **outputs, size_t n_outputs) {
  (void)user_data;
  (void)inputs;
  (void)n_inputs;
  (void)n_outputs;
  /* A half-made output is freed by scidb. */
  const double x = 1;
  outputs[0] = f64s(&x, 1);
  return SCIDB_TYPE_MISMATCH;
}

static void test_callback(scidb_db *db) {
  const double xs[2] = {5, 6};
  scidb_value *input = f64s(xs, 2);
  const char *variables[1] = {"Twice"};
  const char *metadata[1] = {"{\"subject\": 2}"};
  char ids[2][SCIDB_RECORD_ID_SIZE];
  int calls = 0;
  for (int round = 0; round < 2; round++) {
    scidb_call *call = NULL;
    CHECK(scidb_call_new("c", "doubled", NULL, "1", 1, &call) == SCIDB_OK);
    scidb_value *copy = f64s(xs, 2);
    CHECK(scidb_call_add_input_value(call, "signal", &copy) == SCIDB_OK && copy == NULL);
    int32_t hit = -1;
    CHECK(scidb_call_cached(db, call, 1, variables, metadata, run_doubled, &calls, ids[round],
                            &hit) == SCIDB_OK);
    CHECK(hit == round);
    scidb_call_free(&call);
  }
  CHECK(calls == 1);
  CHECK(strcmp(ids[0], ids[1]) == 0);
  scidb_records *recs = NULL;
  const scidb_value *v = NULL;
  scidb_array_view view;
  CHECK(scidb_load_record(db, "Twice", ids[0], &recs) == SCIDB_OK);
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK);
  CHECK(scidb_value_array(v, &view) == SCIDB_OK && ((const double *)view.data)[1] == 12);
  scidb_records_free(&recs);

  /* A failing function saves nothing and its status comes back. */
  scidb_call *call = NULL;
  CHECK(scidb_call_new("c", "fails", NULL, "1", 1, &call) == SCIDB_OK);
  CHECK(scidb_call_add_input_value(call, "signal", &input) == SCIDB_OK);
  int32_t hit = -1;
  char id[SCIDB_RECORD_ID_SIZE];
  const char *fail_vars[1] = {"Failed"};
  CHECK(scidb_call_cached(db, call, 1, fail_vars, metadata, fail, NULL, id, &hit) ==
        SCIDB_TYPE_MISMATCH);
  CHECK(strstr(scidb_last_error(), "fails") != NULL);
  CHECK(scidb_load(db, "Failed", NULL, &recs) == SCIDB_NOT_FOUND);
  /* An input known only by hash cannot be given to a callback. */
  scidb_call_free(&call);
  CHECK(scidb_call_new("c", "doubled", NULL, "1", 1, &call) == SCIDB_OK);
  CHECK(scidb_call_add_input_hash(call, "signal", "0000000000000000000000000000000000000000000000000000000000000000") == SCIDB_OK);
  CHECK(scidb_call_cached(db, call, 1, variables, metadata, run_doubled, &calls, id, &hit) ==
        SCIDB_INVALID_ARGUMENT);
  scidb_call_free(&call);
}

/* Two outputs saved in one transaction, then found and saved again from the cache. */
static void test_two_outputs(scidb_db *db) {
  const double lo[1] = {1}, hi[2] = {2, 3};
  scidb_value *values[2] = {f64s(lo, 1), f64s(hi, 2)};
  const scidb_value *borrowed[2] = {values[0], values[1]};
  const char *variables[2] = {"Low", "High"};
  const char *metadata[2] = {"{\"subject\": 3}", "{\"subject\": 3}"};
  char ids[2 * SCIDB_RECORD_ID_SIZE], again[2 * SCIDB_RECORD_ID_SIZE];
  for (int round = 0; round < 2; round++) {
    scidb_call *call = NULL;
    CHECK(scidb_call_new("c", "split", NULL, "1", 0, &call) == SCIDB_OK);
    CHECK(scidb_call_add_constants(call, "{\"at\": 1}") == SCIDB_OK);
    int32_t hit = -1;
    CHECK(scidb_call_lookup(db, call, &hit) == SCIDB_OK && hit == round);
    if (round == 0) {
      /* The function decided: two outputs. */
      CHECK(scidb_call_save_outputs(db, call, 2, variables, metadata, borrowed, ids) ==
            SCIDB_INVALID_ARGUMENT); /* the count is not set yet */
      CHECK(scidb_call_set_output_count(call, 2) == SCIDB_OK);
      CHECK(scidb_call_save_outputs(db, call, 2, variables, metadata, borrowed, ids) == SCIDB_OK);
    } else {
      size_t n = 0;
      const char *rid = NULL;
      CHECK(scidb_call_output_count(call, &n) == SCIDB_OK && n == 2);
      CHECK(scidb_call_output_record_id(call, 1, &rid) == SCIDB_OK);
      CHECK(strcmp(rid, ids + SCIDB_RECORD_ID_SIZE) == 0);
      CHECK(scidb_call_set_output_count(call, 2) == SCIDB_OK);
      /* NULL values: save what the cache holds (already saved: no write). */
      CHECK(scidb_call_save_outputs(db, call, 2, variables, metadata, NULL, again) == SCIDB_OK);
      CHECK(memcmp(ids, again, sizeof ids) == 0);
    }
    scidb_call_free(&call);
  }
  scidb_value_free(&values[0]);
  scidb_value_free(&values[1]);
  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "High", "{\"at\": 1}", &recs) == SCIDB_OK);
  scidb_records_free(&recs);
}

static void test_sources(void) {
  const char *a = "function y = f(x)\n  y = x';  % transpose\nend\n";
  const char *b = "function y = f(x)\n%{\nhelp\n%}\ny = x'; # octave comment\nend";
  char ha[SCIDB_HASH_SIZE], hb[SCIDB_HASH_SIZE];
  CHECK(scidb_source_hash("matlab", a, strlen(a), ha) == SCIDB_OK);
  CHECK(scidb_source_hash("matlab", b, strlen(b), hb) == SCIDB_OK);
  CHECK(strcmp(ha, hb) == 0 && strlen(ha) == 64);
  char *text = NULL;
  CHECK(scidb_source_normalize("matlab", a, strlen(a), &text) == SCIDB_OK);
  CHECK(text && strcmp(text, "function y = f(x)\ny = x';\nend") == 0);
  scidb_string_free(&text);

  const char *decl = "function [a, b] = name(x, y, varargin)";
  scidb_value *sig = NULL;
  CHECK(scidb_matlab_signature(decl, strlen(decl), &sig) == SCIDB_OK);
  const char *key = NULL;
  size_t key_len = 0, n = 0;
  const scidb_value *inputs = NULL, *third = NULL;
  CHECK(scidb_value_map_entry(sig, 1, &key, &key_len, &inputs) == SCIDB_OK);
  CHECK(key_len == 6 && memcmp(key, "inputs", 6) == 0);
  CHECK(scidb_value_len(inputs, &n) == SCIDB_OK && n == 3);
  CHECK(scidb_value_list_get(inputs, 2, &third) == SCIDB_OK);
  const char *s = NULL;
  size_t len = 0;
  CHECK(scidb_value_string(third, &s, &len) == SCIDB_OK && len == 8 && memcmp(s, "varargin", 8) == 0);
  scidb_value_free(&sig);
  CHECK(scidb_matlab_signature("x = 1;", 6, &sig) == SCIDB_INVALID_ARGUMENT && sig == NULL);

  /* The array hash equals the value hash. */
  const double xs[4] = {1, 2, 3, 4};
  const uint64_t shape[2] = {2, 2};
  scidb_value *v = NULL;
  char h1[SCIDB_HASH_SIZE], h2[SCIDB_HASH_SIZE];
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, shape, 2, xs, sizeof xs, SCIDB_ARRAY_COLUMN_MAJOR, &v) == SCIDB_OK);
  CHECK(scidb_value_hash(v, h1) == SCIDB_OK);
  CHECK(scidb_array_hash(SCIDB_DTYPE_FLOAT64, shape, 2, xs, sizeof xs, SCIDB_ARRAY_COLUMN_MAJOR, h2) == SCIDB_OK);
  CHECK(strcmp(h1, h2) == 0);
  CHECK(scidb_array_hash(SCIDB_DTYPE_FLOAT64, shape, 2, xs, 8, 0, h2) == SCIDB_INVALID_ARGUMENT);
  scidb_value_free(&v);
  /* A column vector is hashed in place; same hash as its value. */
  const uint64_t column[2] = {4, 1};
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, column, 2, xs, sizeof xs, SCIDB_ARRAY_COLUMN_MAJOR, &v) == SCIDB_OK);
  CHECK(scidb_value_hash(v, h1) == SCIDB_OK);
  CHECK(scidb_array_hash(SCIDB_DTYPE_FLOAT64, column, 2, xs, sizeof xs, SCIDB_ARRAY_COLUMN_MAJOR, h2) == SCIDB_OK);
  CHECK(strcmp(h1, h2) == 0);
  CHECK(scidb_array_hash(SCIDB_DTYPE_FLOAT64, column, 2, xs, 8, SCIDB_ARRAY_COLUMN_MAJOR, h2) == SCIDB_INVALID_ARGUMENT);
  scidb_value_free(&v);
}

static void test_bad_arguments(scidb_db *db) {
  scidb_call *call = NULL;
  CHECK(scidb_call_new("c", "f", NULL, NULL, 1, &call) == SCIDB_INVALID_ARGUMENT && call == NULL);
  CHECK(scidb_call_new("C++", "f", NULL, "1", 1, &call) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_call_new("c", "f", "abc", NULL, 1, &call) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_call_new(NULL, "f", NULL, "1", 1, &call) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_call_new("c", "f", NULL, "1", 1, NULL) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_call_new("c", "f", NULL, "1", 1, &call) == SCIDB_OK);
  CHECK(scidb_call_add_input_record(call, db, "x", "no-such-record") == SCIDB_NOT_FOUND);
  CHECK(strstr(scidb_last_error(), "'x'") != NULL);
  CHECK(scidb_call_add_input_record(NULL, db, "x", "r") == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_call_add_constants(call, "{\"version\": 1}") == SCIDB_RESERVED_KEY);
  CHECK(scidb_call_add_constants(call, "{\"a\": [1, 2]}") == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_call_add_constants(call, "{\"a\": 1, \"a\": 2}") == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_call_add_constants(call, "{\"a\": 1}") == SCIDB_OK);
  CHECK(scidb_call_add_input_hash(call, "a", "0000000000000000000000000000000000000000000000000000000000000000") == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_call_add_input_hash(call, "b", "xyz") == SCIDB_INVALID_ARGUMENT);
  scidb_value *dup = NULL;
  CHECK(scidb_value_new_null(&dup) == SCIDB_OK);
  CHECK(scidb_call_add_input_value(call, "a", &dup) == SCIDB_INVALID_ARGUMENT && dup != NULL);
  scidb_value_free(&dup);
  char key1[SCIDB_HASH_SIZE], key2[SCIDB_HASH_SIZE];
  CHECK(scidb_call_key(call, key1) == SCIDB_OK && strlen(key1) == 64);
  CHECK(scidb_call_add_constants(call, "{\"b\": \"x\"}") == SCIDB_OK);
  CHECK(scidb_call_key(call, key2) == SCIDB_OK && strcmp(key1, key2) != 0);
  const char *rid = NULL;
  CHECK(scidb_call_output_record_id(call, 0, &rid) == SCIDB_INVALID_ARGUMENT);
  char out[SCIDB_RECORD_ID_SIZE];
  /* Saving a cache hit without a value needs a saved output. */
  CHECK(scidb_call_save_output(db, call, 0, "V", "{}", NULL, out) == SCIDB_NOT_FOUND);
  scidb_value *v = NULL;
  CHECK(scidb_value_new_null(&v) == SCIDB_OK);
  CHECK(scidb_call_save_output(db, call, 1, "V", "{}", v, out) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_call_save_output(db, call, 0, "V", "{\"a\": 2}", v, out) == SCIDB_INVALID_ARGUMENT);
  CHECK(strstr(scidb_last_error(), "contradicts") != NULL);
  CHECK(scidb_call_save_output(db, call, 0, "V", "{}", v, NULL) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_call_set_output_count(call, 2) == SCIDB_INVALID_ARGUMENT);
  int32_t hit = 0;
  CHECK(scidb_call_cached(db, call, 1, NULL, NULL, run_doubled, NULL, out, &hit) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_call_cached(db, call, 1, NULL, NULL, NULL, NULL, out, &hit) == SCIDB_NULL_ARGUMENT);
  scidb_value_free(&v);
  scidb_call_free(&call);
  scidb_call_free(&call);
  scidb_call_free(NULL);
}

int main(void) {
  char dir[] = "/tmp/scidb_lineage_test_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  const char *keys[1] = {"subject"};
  scidb_db *db = NULL;
  CHECK(open_fresh(dir, "lineage.duckdb", keys, 1, &db) == SCIDB_OK && db != NULL);
  if (db) {
    test_no_callback(db);
    test_callback(db);
    test_two_outputs(db);
    test_bad_arguments(db);
    scidb_db_free(&db);
  }
  test_sources();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
