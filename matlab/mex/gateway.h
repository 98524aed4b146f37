/*
 * Shared declarations of the scidb MEX gateway (scidb_mex). Built with the
 * MATLAB R2018a C Matrix API (interleaved complex) under MATLAB and Octave.
 *
 * Error convention: a function that fails records one pending error with
 * fail()/fail_status() and returns -1 after freeing what it owns; the
 * gateway raises it as a MATLAB error only once everything is freed, since
 * raising jumps out of the MEX file.
 */
#ifndef SCIDB_GATEWAY_H
#define SCIDB_GATEWAY_H

#include "mex.h"
#include "scidb.h"

/* Records a pending error with a MATLAB identifier; returns -1. */
int fail(const char *id, const char *fmt, ...);
/* Records the pending error of a failed scidb call, with context. */
int fail_status(scidb_status status, const char *what);
/* Raises the pending error as a MATLAB error (does not return). */
void raise_pending(void);
/* A whole number in [lo, hi] from a real numeric scalar, into `*out`;
 * NaN, Inf, fractions and anything else are a pending
 * scidb:invalidArgument error naming `what`. */
int whole_number(const mxArray *a, double lo, double hi, const char *what, double *out);
/* 0 when `st` is SCIDB_OK, else the pending error of a failed call. */
int check(scidb_status st, const char *what);

/* The database opened by scidb.configure_database, or NULL. */
scidb_db *current_database(void);
/* 0 when a database is open, else a pending scidb:notConfigured error. */
int require_database(void);
/* The cell {'name', value, ...} as metadata JSON (mxMalloc'd). */
int pairs_json(const mxArray *pairs, char **out_json);
/* A 1xN struct array of records: data (unless `with_data` is 0),
 * metadata, record_id, content_hash, version, saved_at. */
int records_out(scidb_records *records, int with_data, mxArray **out);

/* Lineage commands (lineage.c), with the signature of every command. */
int cmd_source_hash(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_matlab_signature(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_call_lookup(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_call_save(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_provenance(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_upstream_provenance(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_load_record(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

/* A MATLAB value as a new scidb value; `path` names it in messages. */
int to_value(const mxArray *a, scidb_value **out, const char *path);
/* The fields of a scalar struct, equal-length column vectors of numbers,
 * logicals or text (cellstr), as a new table value. */
int columns_to_value(const mxArray *columns, scidb_value **out, const char *path);
/* A chunk: numeric arrays stay arrays (1x1 too), structs are columns. */
int chunk_to_value(const mxArray *a, scidb_value **out, const char *path);
/* A scidb value as a new MATLAB value. */
int from_value(const scidb_value *v, mxArray **out);
/* A chunk read from a stream or chunked value, freed: [] when NULL (the end). */
int take_chunk(scidb_value **chunk, mxArray **out);

/* Columns as a MATLAB table where tables exist, else a struct of columns
 * (names made valid field names). `names` are UTF-8, NUL-terminated. */
int columns_to_table(const char **names, mxArray **columns, size_t ncols, mxArray **out);
/* load_all's records as columns: metadata keys, then data. */
int records_to_columns(scidb_records *records, mxArray **out);

/* Text from a char row vector or a string scalar, as a NUL-terminated
 * UTF-8 copy allocated with mxMalloc (free with mxFree). */
int get_text(const mxArray *a, const char *what, char **out);
/* A new char row vector holding `len` bytes of UTF-8. */
int text_to_mx(const char *utf8, size_t len, mxArray **out);
/* Calls a MATLAB function, turning a MATLAB error into a pending error. */
int call_matlab(int nout, mxArray **out, int nin, mxArray **in, const char *fn);

/* for_each commands (foreach.c); foreach_release drops the live plan. */
void foreach_release(void);
int cmd_foreach_new(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_report(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_summary(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_next(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_done(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_failed(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_finish(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_foreach_free(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_run_log(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_jobs(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_clear_jobs(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

/* inspect.c */
int cmd_status(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_graph(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

/* SciDB stream() child commands (stream.c); stream_release forgets it. */
void stream_release(void);
int cmd_stream_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_stream_read(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_stream_write(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

/* Chunked values (chunks.c); chunks_release frees every writer and reader. */
void chunks_release(void);
int cmd_chunk_writer_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_chunk_writer_add(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_chunk_writer_finish(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_chunk_writer_free(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_chunk_reader_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_chunk_reader_next(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);
int cmd_chunk_reader_free(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

#endif
