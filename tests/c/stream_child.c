/* A child of SciDB's stream() operator written against the scidb C ABI,
 * driven by tests/stream_harness.py (which plays SciDB) and by the stream
 * benchmark. Built with -Wall -Wextra -Werror under AddressSanitizer.
 *
 *   stream_child identity    answer each chunk with itself (scidb_stream_map)
 *   stream_child readwrite   the same with scidb_stream_read / _write
 *   stream_child values      the same with table values (_read_value / _write_value)
 *   stream_child count       answer each chunk with {count: [rows]}
 *   stream_child totals      count per chunk, then {total: [all rows]} at the end
 *   stream_child tsv-count   count per chunk in the TSV format
 *
 * Errors go to stderr with a non-zero exit, as SciDB expects of a child. */
#include "scidb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A one-row, one-column int64 struct array that owns its memory. */
struct one_int64 {
  int64_t value;
  const void *child_buffers[2];
  const void *top_buffers[1];
  struct ArrowArray child;
  struct ArrowArray *children[1];
  struct ArrowSchema child_schema;
  struct ArrowSchema *schema_children[1];
  char name[32];
};

static void release_array(struct ArrowArray *a) {
  /* The top-level array owns the block; children are released with it. */
  if (a->n_children == 1) free(a->private_data);
  a->release = NULL;
}

static void release_schema(struct ArrowSchema *s) { s->release = NULL; }

static void release_top_schema(struct ArrowSchema *s) {
  free(s->private_data);
  s->release = NULL;
}

/* Fills `schema` and `array` with {name: [value]}; both are the caller's to
 * release (or to hand to scidb, which releases them). */
static int one_int64_reply(const char *name, int64_t value, struct ArrowSchema *schema,
                           struct ArrowArray *array) {
  struct one_int64 *a = calloc(1, sizeof *a);
  struct one_int64 *s = calloc(1, sizeof *s);
  if (!a || !s) {
    free(a);
    free(s);
    return -1;
  }
  a->value = value;
  a->child_buffers[0] = NULL;
  a->child_buffers[1] = &a->value;
  a->top_buffers[0] = NULL;
  a->child = (struct ArrowArray){1, 0, 0, 2, 0, a->child_buffers, NULL, NULL, release_array, NULL};
  a->children[0] = &a->child;
  *array = (struct ArrowArray){1, 0, 0, 1, 1, a->top_buffers, a->children, NULL, release_array, a};

  snprintf(s->name, sizeof s->name, "%s", name);
  s->child_schema = (struct ArrowSchema){"l", s->name, NULL, 0, 0, NULL, NULL, release_schema, NULL};
  s->schema_children[0] = &s->child_schema;
  *schema = (struct ArrowSchema){"+s", "", NULL, 0, 1, s->schema_children, NULL,
                                 release_top_schema, s};
  return 0;
}

static scidb_status identity(void *user, struct ArrowSchema *chunk_schema,
                             struct ArrowArray *chunk_array, struct ArrowSchema *reply_schema,
                             struct ArrowArray *reply_array) {
  (void)user;
  /* Move the chunk into the reply: no copy. */
  *reply_schema = *chunk_schema;
  *reply_array = *chunk_array;
  chunk_schema->release = NULL;
  chunk_array->release = NULL;
  return SCIDB_OK;
}

static scidb_status count(void *user, struct ArrowSchema *chunk_schema,
                          struct ArrowArray *chunk_array, struct ArrowSchema *reply_schema,
                          struct ArrowArray *reply_array) {
  int64_t *total = user;
  (void)chunk_schema;
  *total += chunk_array->length;
  /* The chunk is left in place: scidb releases it. */
  return one_int64_reply("count", chunk_array->length, reply_schema, reply_array) == 0
             ? SCIDB_OK
             : SCIDB_IO;
}

static scidb_status totals(void *user, struct ArrowSchema *reply_schema,
                           struct ArrowArray *reply_array) {
  const int64_t *total = user;
  return one_int64_reply("total", *total, reply_schema, reply_array) == 0 ? SCIDB_OK : SCIDB_IO;
}

static int fail(scidb_status status) {
  fprintf(stderr, "stream_child: %s: %s\n", scidb_status_name(status), scidb_last_error());
  return 1;
}

/* Echoes every chunk with the explicit read/write calls (what a MATLAB
 * gateway does, without callbacks). */
static scidb_status read_write(scidb_stream *stream) {
  for (;;) {
    struct ArrowSchema schema;
    struct ArrowArray array;
    int32_t has_chunk = 0;
    scidb_status st = scidb_stream_read(stream, &schema, &array, &has_chunk);
    if (st != SCIDB_OK) return st;
    if (!has_chunk) return scidb_stream_write(stream, NULL, NULL);
    st = scidb_stream_write(stream, &schema, &array);
    if (st != SCIDB_OK) return st;
  }
}

/* Echoes every chunk through table values, column by column as a MATLAB
 * gateway reads them: the answer is rebuilt from the chunk's columns. */
static scidb_status values(scidb_stream *stream) {
  for (;;) {
    scidb_value *chunk = NULL;
    scidb_status st = scidb_stream_read_value(stream, &chunk);
    if (st != SCIDB_OK) return st;
    if (!chunk) return scidb_stream_write_value(stream, NULL);
    size_t rows = 0, cols = 0;
    scidb_value *answer = NULL;
    st = scidb_value_table_shape(chunk, &rows, &cols);
    if (st == SCIDB_OK) st = scidb_value_new_table(rows, &answer);
    for (size_t c = 0; st == SCIDB_OK && c < cols; c++) {
      scidb_column_view col;
      st = scidb_value_table_column(chunk, c, &col);
      if (st != SCIDB_OK) break;
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)col.name_len, col.name);
      if (!col.is_text) {
        st = scidb_value_table_add_numeric(answer, name, col.dtype, col.data, col.nbytes,
                                           col.validity);
        continue;
      }
      const char **cells = calloc(rows ? rows : 1, sizeof *cells);
      size_t *lens = calloc(rows ? rows : 1, sizeof *lens);
      for (size_t r = 0; st == SCIDB_OK && r < rows; r++)
        st = scidb_value_table_text(chunk, c, r, &cells[r], &lens[r]);
      if (st == SCIDB_OK) st = scidb_value_table_add_text(answer, name, cells, lens, col.validity);
      free(cells);
      free(lens);
    }
    if (st == SCIDB_OK) st = scidb_stream_write_value(stream, answer);
    scidb_value_free(&answer);
    scidb_value_free(&chunk);
    if (st != SCIDB_OK) return st;
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "identity";
  int tsv = strncmp(mode, "tsv-", 4) == 0;
  scidb_stream *stream = NULL;
  scidb_status st =
      scidb_stream_open(0, 1, tsv ? SCIDB_STREAM_TSV : SCIDB_STREAM_ARROW, 0, &stream);
  if (st != SCIDB_OK) return fail(st);
  int64_t total = 0;
  uint64_t chunks = 0;
  if (strcmp(mode, "identity") == 0) {
    st = scidb_stream_map(stream, identity, NULL, NULL, &chunks);
  } else if (strcmp(mode, "readwrite") == 0) {
    st = read_write(stream);
  } else if (strcmp(mode, "values") == 0) {
    st = values(stream);
  } else if (strcmp(mode, "count") == 0 || strcmp(mode, "tsv-count") == 0) {
    st = scidb_stream_map(stream, count, NULL, &total, &chunks);
  } else if (strcmp(mode, "totals") == 0) {
    st = scidb_stream_map(stream, count, totals, &total, &chunks);
  } else {
    fprintf(stderr, "stream_child: unknown mode '%s'\n", mode);
    scidb_stream_free(&stream);
    return 2;
  }
  scidb_stream_free(&stream);
  if (st != SCIDB_OK) return fail(st);
  fprintf(stderr, "stream_child: %s answered %llu chunks\n", mode, (unsigned long long)chunks);
  return 0;
}
