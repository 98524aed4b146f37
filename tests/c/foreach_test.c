/* for_each from C: the no-callback path (next / item_input / item_done /
 * finish), the callback path on 1 and 4 threads (same records saved),
 * cached re-runs, failures in the run log, and bad arguments. Built with
 * -Wall -Wextra -Werror under AddressSanitizer by `make test-c`. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define SUBJECTS 50

static const char *SPEC =
    "{\"function\": {\"language\": \"c\", \"name\": \"doubled\", \"version\": \"1\"},"
    " \"iterate\": [[\"subject\", []], [\"session\", [\"a\", \"b\"]]],"
    " \"inputs\": [{\"name\": \"signal\", \"variable\": \"Raw\"},"
    "              {\"name\": \"gain\", \"constant\": 2}],"
    " \"outputs\": [\"Doubled\"]}";

static scidb_value *f64(double x) {
  scidb_value *v = NULL;
  CHECK(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &x, sizeof x, 1, &v) == SCIDB_OK);
  return v;
}

static double first_f64(const scidb_value *v) {
  scidb_array_view view;
  if (scidb_value_array(v, &view) != SCIDB_OK || view.nbytes < sizeof(double)) return -1;
  double x;
  memcpy(&x, view.data, sizeof x);
  return x;
}

/* Raw at subjects 0..SUBJECTS-1 x sessions a, b; subject 7 has no "b". */
static scidb_db *seeded(const char *dir, const char *name) {
  const char *keys[2] = {"subject", "session"};
  scidb_db *db = NULL;
  CHECK(open_fresh(dir, name, keys, 2, &db) == SCIDB_OK && db != NULL);
  for (int s = 0; s < SUBJECTS; s++) {
    for (int k = 0; k < 2; k++) {
      if (s == 7 && k == 1) continue;
      char meta[64], rid[SCIDB_RECORD_ID_SIZE];
      snprintf(meta, sizeof meta, "{\"subject\": %d, \"session\": \"%s\"}", s, k ? "b" : "a");
      scidb_value *v = f64(s * 10 + k);
      CHECK(scidb_save(db, "Raw", meta, v, rid) == SCIDB_OK);
      scidb_value_free(&v);
    }
  }
  return db;
}

static atomic_int calls;

/* doubled(signal, gain): fails on subject 3 session a, with a message. */
static scidb_status doubled(void *user_data, const char *metadata_json,
                            const scidb_value *const *inputs, size_t n_inputs,
                            scidb_value **outputs, size_t n_outputs, char *error,
                            size_t error_size) {
  (void)user_data;
  atomic_fetch_add(&calls, 1);
  if (n_inputs != 2 || n_outputs != 1) return SCIDB_INVALID_ARGUMENT;
  if (strcmp(metadata_json, "{\"session\":\"a\",\"subject\":3}") == 0) {
    snprintf(error, error_size, "subject 3 is broken");
    return SCIDB_INVALID_ARGUMENT;
  }
  outputs[0] = f64(first_f64(inputs[0]) * 2);
  return SCIDB_OK;
}

static char *report(scidb_foreach *fe) {
  char *json = NULL;
  CHECK(scidb_foreach_report_json(fe, &json) == SCIDB_OK && json != NULL);
  return json;
}

static void test_no_callback(const char *dir) {
  scidb_db *db = seeded(dir, "steps.duckdb");
  scidb_foreach *fe = NULL;
  CHECK(scidb_foreach_new(db, SPEC, &fe) == SCIDB_OK && fe != NULL);
  scidb_foreach_summary s;
  CHECK(scidb_foreach_summary_get(fe, &s) == SCIDB_OK);
  CHECK(s.combinations == 2 * SUBJECTS && s.to_run == 2 * SUBJECTS - 1 && s.skipped == 1);
  size_t items[16], n = 0, done = 0;
  for (;;) {
    CHECK(scidb_foreach_next(db, fe, 16, items, &n) == SCIDB_OK);
    if (n == 0) break;
    for (size_t i = 0; i < n; i++) {
      scidb_value *signal = NULL, *gain = NULL;
      CHECK(scidb_foreach_item_input(fe, items[i], 0, &signal) == SCIDB_OK);
      CHECK(scidb_foreach_item_input(fe, items[i], 1, &gain) == SCIDB_OK);
      scidb_value *out[1] = {f64(first_f64(signal) * 2)};
      CHECK(scidb_foreach_item_done(db, fe, items[i], out, 1) == SCIDB_OK);
      CHECK(out[0] == NULL);
      scidb_value_free(&signal);
      scidb_value_free(&gain);
      done++;
    }
  }
  CHECK(done == 2 * SUBJECTS - 1);
  CHECK(scidb_foreach_finish(db, fe, &s) == SCIDB_OK);
  CHECK(s.ran == 2 * SUBJECTS - 1 && s.skipped == 1 && s.failed == 0 && s.run_id == 1);
  char *json = report(fe);
  CHECK(strstr(json, "no Raw record at subject=7, session=\\\"b\\\"") != NULL);
  scidb_string_free(&json);
  /* A finished run can only be reported on. */
  CHECK(scidb_foreach_next(db, fe, 16, items, &n) == SCIDB_INVALID_ARGUMENT);
  scidb_foreach_free(&fe);
  CHECK(fe == NULL);

  scidb_records *recs = NULL;
  CHECK(scidb_load(db, "Doubled", "{\"subject\": 12, \"session\": \"b\", \"gain\": 2}", &recs) ==
        SCIDB_OK);
  const scidb_value *v = NULL;
  CHECK(scidb_records_value(recs, 0, &v) == SCIDB_OK && first_f64(v) == 242);
  scidb_records_free(&recs);

  /* Run again with the callback: everything is cached, nothing runs. */
  atomic_store(&calls, 0);
  CHECK(scidb_foreach_new(db, SPEC, &fe) == SCIDB_OK);
  CHECK(scidb_foreach_run(db, fe, doubled, NULL, 1, &s) == SCIDB_OK);
  CHECK(s.cached == 2 * SUBJECTS - 1 && s.ran == 0 && atomic_load(&calls) == 0);
  scidb_foreach_free(&fe);
  CHECK(scidb_run_log_json(db, 0, &json) == SCIDB_OK);
  CHECK(strstr(json, "\"run_id\":2") != NULL && strstr(json, "\"status\":\"cached\"") != NULL);
  scidb_string_free(&json);
  scidb_db_free(&db);
}

/* Runs SPEC with the callback on `workers` threads; returns the report. */
static char *run_with(const char *dir, const char *name, uint32_t workers) {
  scidb_db *db = seeded(dir, name);
  scidb_foreach *fe = NULL;
  scidb_foreach_summary s;
  atomic_store(&calls, 0);
  CHECK(scidb_foreach_new(db, SPEC, &fe) == SCIDB_OK);
  CHECK(scidb_foreach_run(db, fe, doubled, NULL, workers, &s) == SCIDB_OK);
  CHECK(s.ran == 2 * SUBJECTS - 2 && s.failed == 1 && s.skipped == 1);
  CHECK(atomic_load(&calls) == 2 * SUBJECTS - 1);
  char *json = report(fe);
  scidb_foreach_free(&fe);
  char *log = NULL;
  CHECK(scidb_run_log_json(db, 1, &log) == SCIDB_OK);
  CHECK(strstr(log, "subject 3 is broken (SCIDB_INVALID_ARGUMENT)") != NULL);
  scidb_string_free(&log);
  scidb_db_free(&db);
  return json;
}

static void test_callback_workers(const char *dir) {
  char *one = run_with(dir, "one.duckdb", 1);
  char *four = run_with(dir, "four.duckdb", 4);
  /* Same statuses, messages and record ids, in the same order. */
  CHECK(strcmp(one, four) == 0);
  CHECK(strstr(one, "\"failed\":1") != NULL);
  scidb_string_free(&one);
  scidb_string_free(&four);
}

static void test_bad_arguments(const char *dir) {
  scidb_db *db = seeded(dir, "bad.duckdb");
  scidb_db *other = seeded(dir, "other.duckdb");
  scidb_foreach *fe = NULL;
  scidb_foreach_summary s;
  size_t items[4], n = 0;
  CHECK(scidb_foreach_new(NULL, SPEC, &fe) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_foreach_new(db, NULL, &fe) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_foreach_new(db, "{\"function\": 1}", &fe) == SCIDB_INVALID_ARGUMENT);
  CHECK(strstr(scidb_last_error(), "for_each description") != NULL);
  CHECK(scidb_foreach_new(db, SPEC, NULL) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_foreach_new(db, SPEC, &fe) == SCIDB_OK);
  CHECK(scidb_foreach_next(other, fe, 4, items, &n) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_foreach_next(db, fe, 0, items, &n) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_foreach_next(db, fe, 4, NULL, &n) == SCIDB_NULL_ARGUMENT);
  CHECK(scidb_foreach_item_done(db, fe, 12345, NULL, 0) == SCIDB_NULL_ARGUMENT);
  scidb_value *out[1] = {f64(1)};
  CHECK(scidb_foreach_item_done(db, fe, 12345, out, 1) == SCIDB_INVALID_ARGUMENT);
  CHECK(out[0] == NULL); /* taken and freed even on failure */
  CHECK(scidb_foreach_next(db, fe, 4, items, &n) == SCIDB_OK && n == 4);
  scidb_value *in = NULL;
  CHECK(scidb_foreach_item_input(fe, items[0], 9, &in) == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_foreach_item_failed(fe, items[0], "gave up") == SCIDB_OK);
  CHECK(scidb_foreach_item_failed(fe, items[0], "twice") == SCIDB_INVALID_ARGUMENT);
  CHECK(scidb_foreach_run(db, fe, doubled, NULL, 1, &s) == SCIDB_INVALID_ARGUMENT);
  /* Items never completed are failed ("not run") by finish. */
  CHECK(scidb_foreach_finish(db, fe, &s) == SCIDB_OK);
  CHECK(s.failed == 2 * SUBJECTS - 1 && s.ran == 0);
  scidb_foreach_free(&fe);
  scidb_foreach_free(&fe);
  scidb_foreach_free(NULL);
  CHECK(scidb_run_log_json(NULL, 0, NULL) == SCIDB_NULL_ARGUMENT);
  scidb_db_free(&other);
  scidb_db_free(&db);
}

int main(void) {
  char dir[] = "/tmp/scidb_foreach_test_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  test_no_callback(dir);
  test_callback_workers(dir);
  test_bad_arguments(dir);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
