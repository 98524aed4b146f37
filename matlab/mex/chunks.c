/* Chunked values from MATLAB: save a value from a sequence of chunks and
 * read it back chunk by chunk, never holding it whole (the core's
 * scidb_chunk_writer / scidb_chunk_reader). Open writers and readers live
 * in small slot tables; MATLAB holds handle numbers (scidb.ChunkReader and
 * BaseVariable.save_chunks free them) and unloading the MEX frees all.
 * Handle numbers are never reused, so a stale handle (from before a free,
 * a configure_database or a `clear mex`) names nothing rather than someone
 * else's reader: they count up from the load time in microseconds-ish
 * units, so a reloaded MEX starts above every number the last one gave. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway.h"

#define SLOTS 64

static scidb_chunk_writer *writers[SLOTS];
static scidb_chunk_reader *readers[SLOTS];
/* The handle number of each open slot, and the next number to give out
 * (0: not yet seeded; 2^53 is where doubles stop counting exactly). */
static double writer_ids[SLOTS], reader_ids[SLOTS];
static double next_id = 0;
#define MAX_HANDLE 9007199254740992.0

void chunks_release(void)
{
    for (int i = 0; i < SLOTS; i++) {
        scidb_chunk_writer_free(&writers[i]);
        scidb_chunk_reader_free(&readers[i]);
    }
}

/* A free slot (its index into `*out`) with a new handle number in `ids`. */
static int free_slot(void **slots, double *ids, int *out)
{
    if (next_id == 0)
        next_id = (double)time(NULL) * 1e6 + 1;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i] == NULL) {
            ids[i] = next_id++;
            *out = i;
            return 0;
        }
    }
    return fail("scidb:invalidArgument", "more than %d chunked values are open at once", SLOTS);
}

/* The open slot handle `a` names, or -1 with a pending error. */
static int slot_arg(const mxArray *a, void **slots, const double *ids, const char *what)
{
    char label[64];
    double d = 0;
    snprintf(label, sizeof label, "a %s handle", what);
    if (whole_number(a, 1, MAX_HANDLE, label, &d) != 0)
        return -1;
    for (int i = 0; i < SLOTS; i++)
        if (slots[i] != NULL && ids[i] == d)
            return i;
    return fail("scidb:invalidArgument", "no open %s has handle %.0f", what, d);
}

/* chunk_writer_open(variable, pairs) -> handle */
int cmd_chunk_writer_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *variable = NULL, *meta = NULL;
    int slot = 0;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0 || free_slot((void **)writers, writer_ids, &slot) != 0 ||
        get_text(prhs[0], "the variable type", &variable) != 0)
        return -1;
    int rc = pairs_json(prhs[1], &meta);
    if (rc == 0)
        rc = check(scidb_chunk_writer_open(current_database(), variable, meta, &writers[slot]), "");
    if (rc == 0)
        plhs[0] = mxCreateDoubleScalar(writer_ids[slot]);
    mxFree(variable);
    if (meta)
        mxFree(meta);
    return rc;
}

/* chunk_writer_add(handle, chunk) */
int cmd_chunk_writer_add(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_value *chunk = NULL;
    (void)nlhs, (void)plhs, (void)nrhs;
    int i = slot_arg(prhs[0], (void **)writers, writer_ids, "chunk writer");
    if (i < 0)
        return -1;
    int rc = chunk_to_value(prhs[1], &chunk, "chunk");
    if (rc == 0)
        rc = check(scidb_chunk_writer_add(writers[i], chunk), "adding a chunk");
    scidb_value_free(&chunk);
    return rc;
}

/* chunk_writer_finish(handle) -> record id; the handle is freed. */
int cmd_chunk_writer_finish(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char record_id[SCIDB_RECORD_ID_SIZE];
    (void)nlhs, (void)nrhs;
    int i = slot_arg(prhs[0], (void **)writers, writer_ids, "chunk writer");
    if (i < 0)
        return -1;
    int rc = check(scidb_chunk_writer_finish(writers[i], record_id), "saving the chunks");
    scidb_chunk_writer_free(&writers[i]);
    return rc == 0 ? text_to_mx(record_id, strlen(record_id), &plhs[0]) : -1;
}

/* chunk_writer_free(handle): discards an unfinished value. */
int cmd_chunk_writer_free(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)plhs, (void)nrhs;
    int i = slot_arg(prhs[0], (void **)writers, writer_ids, "chunk writer");
    if (i >= 0)
        scidb_chunk_writer_free(&writers[i]);
    return 0;
}

/* chunk_reader_open(variable, pairs) -> [handle, n_chunks, rows]; a
 * 'version' pair (alone) opens exactly that record. */
int cmd_chunk_reader_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *variable = NULL, *query = NULL;
    int slot = 0;
    uint32_t kind;
    uint64_t n_chunks, rows;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0 || free_slot((void **)readers, reader_ids, &slot) != 0 ||
        get_text(prhs[0], "the variable type", &variable) != 0)
        return -1;
    scidb_chunk_reader **reader = &readers[slot];
    /* 'version', record_id is decided by the core, as for every binding. */
    int rc = pairs_json(prhs[1], &query);
    if (rc == 0)
        rc = check(scidb_chunk_reader_open(current_database(), variable, query, reader), "");
    if (rc == 0)
        rc = check(scidb_chunk_reader_info(*reader, &kind, &n_chunks, &rows), "");
    if (rc == 0) {
        plhs[0] = mxCreateDoubleScalar(reader_ids[slot]);
        plhs[1] = mxCreateDoubleScalar((double)n_chunks);
        plhs[2] = mxCreateDoubleScalar((double)rows);
    } else {
        scidb_chunk_reader_free(reader);
    }
    mxFree(variable);
    if (query)
        mxFree(query);
    return rc;
}

/* chunk_reader_next(handle) -> the next chunk, or [] after the last. */
int cmd_chunk_reader_next(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_value *chunk = NULL;
    (void)nlhs, (void)nrhs;
    int i = slot_arg(prhs[0], (void **)readers, reader_ids, "chunk reader");
    if (i < 0 || check(scidb_chunk_reader_next(readers[i], &chunk), "reading a chunk") != 0)
        return -1;
    return take_chunk(&chunk, &plhs[0]);
}

/* chunk_reader_free(handle) */
int cmd_chunk_reader_free(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)plhs, (void)nrhs;
    int i = slot_arg(prhs[0], (void **)readers, reader_ids, "chunk reader");
    if (i >= 0)
        scidb_chunk_reader_free(&readers[i]);
    return 0;
}
