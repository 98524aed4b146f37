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

/* A MATLAB value as a new scidb value; `path` names it in messages. */
int to_value(const mxArray *a, scidb_value **out, const char *path);
/* A scidb value as a new MATLAB value. */
int from_value(const scidb_value *v, mxArray **out);

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

#endif
