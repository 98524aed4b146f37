/*
 * scidb_mex: the one MEX gateway between MATLAB/Octave and the scidb core.
 * The +scidb package calls it as scidb_mex(command, args...); users do not.
 *
 * The open database lives here, in a static handle: mexLock keeps the MEX
 * loaded (so `clear all` / `clear mex` cannot drop it mid-use) and
 * mexAtExit closes it when MATLAB exits or the MEX is finally unloaded.
 */
#include <stdio.h>
#include <string.h>

#include "gateway.h"

static scidb_db *database = NULL;

static void close_database(void)
{
    foreach_release(); /* plans, writers and readers must not outlive their database */
    chunks_release();
    if (database) {
        scidb_db_free(&database);
        mexUnlock();
    }
}

/* Unloading the MEX (or leaving MATLAB) releases everything it holds. */
static void at_exit(void)
{
    stream_release();
    close_database();
}

scidb_db *current_database(void)
{
    return database;
}

int require_database(void)
{
    if (database == NULL)
        return fail("scidb:notConfigured",
                    "no database is configured: call scidb.configure_database(path, schema_keys) first");
    return 0;
}


/* ---- metadata given as 'name', value pairs -------------------------------- */

/* The pairs cell {'subject', 1, 'session', "a"} as scidb metadata JSON
 * (mxMalloc'd). Names may be char or string (MATLAB's name=value syntax). */
int pairs_json(const mxArray *pairs, char **out_json)
{
    scidb_value *map = NULL, *item = NULL;
    char *json = NULL;
    if (!mxIsCell(pairs))
        return fail("scidb:invalidArgument", "metadata must be given as 'name', value pairs");
    size_t n = mxGetNumberOfElements(pairs);
    if (n % 2 != 0)
        return fail("scidb:invalidArgument",
                    "metadata must be 'name', value pairs; got an odd number (%zu) of arguments", n);
    if (check(scidb_value_new_map(&map), "metadata") != 0)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        char *name = NULL;
        char what[64];
        snprintf(what, sizeof what, "metadata name (argument %zu)", i + 1);
        if (get_text(mxGetCell(pairs, i), what, &name) != 0)
            goto fail;
        int rc = to_value(mxGetCell(pairs, i + 1), &item, name);
        if (rc == 0)
            rc = check(scidb_value_map_insert(map, name, &item), "metadata");
        scidb_value_free(&item);
        mxFree(name);
        if (rc != 0)
            goto fail;
    }
    if (check(scidb_metadata_json_from_map(map, &json), "metadata") != 0)
        goto fail;
    *out_json = mxMalloc(strlen(json) + 1);
    strcpy(*out_json, json);
    scidb_string_free(&json);
    scidb_value_free(&map);
    return 0;
fail:
    scidb_value_free(&map);
    return -1;
}


/* ---- results --------------------------------------------------------------- */

static const char *RECORD_FIELDS[] = {"data", "metadata", "record_id", "content_hash", "version",
                                      "saved_at"};

static int text_field(mxArray *s, size_t i, int field, const char *text)
{
    mxArray *mx = NULL;
    if (text_to_mx(text, strlen(text), &mx) != 0)
        return -1;
    mxSetFieldByNumber(s, i, field, mx);
    return 0;
}

/* A 1xN struct array of the records: data (unless `with_data` is 0),
 * metadata, record_id, content_hash, version, saved_at. */
int records_out(scidb_records *records, int with_data, mxArray **out)
{
    size_t n;
    if (check(scidb_records_count(records, &n), "reading results") != 0)
        return -1;
    *out = mxCreateStructMatrix(1, n, 6, RECORD_FIELDS);
    for (size_t i = 0; i < n; i++) {
        const char *text;
        const scidb_value *value;
        int64_t version;
        mxArray *mx = NULL;
        if (with_data) {
            if (check(scidb_records_value(records, i, &value), "reading results") != 0 ||
                from_value(value, &mx) != 0)
                return -1;
            mxSetFieldByNumber(*out, i, 0, mx);
        }
        if (check(scidb_records_metadata_value(records, i, &value), "reading results") != 0 ||
            from_value(value, &mx) != 0)
            return -1;
        mxSetFieldByNumber(*out, i, 1, mx);
        if (check(scidb_records_record_id(records, i, &text), "reading results") != 0 ||
            text_field(*out, i, 2, text) != 0 ||
            check(scidb_records_content_hash(records, i, &text), "reading results") != 0 ||
            text_field(*out, i, 3, text) != 0 ||
            check(scidb_records_version(records, i, &version), "reading results") != 0)
            return -1;
        mxSetFieldByNumber(*out, i, 4, mxCreateDoubleScalar((double)version));
        if (check(scidb_records_saved_at(records, i, &text), "reading results") != 0 ||
            text_field(*out, i, 5, text) != 0)
            return -1;
    }
    return 0;
}

/* ---- commands ---------------------------------------------------------------- */

typedef int (*command_fn)(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[]);

/* open(path, schema_keys_cell, lineage_path_or_empty, data_path_or_empty) */
static int cmd_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *path = NULL, *lineage = NULL, *data_path = NULL;
    char **keys = NULL;
    size_t n = 0;
    int rc = -1;
    (void)nlhs, (void)plhs, (void)nrhs;
    if (get_text(prhs[0], "the database path", &path) != 0)
        return -1;
    if (!mxIsCell(prhs[1])) {
        fail("scidb:invalidArgument", "schema keys must be a cell array of names or a string array");
        goto done;
    }
    n = mxGetNumberOfElements(prhs[1]);
    keys = mxCalloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        if (get_text(mxGetCell(prhs[1], i), "a schema key", &keys[i]) != 0)
            goto done;
    if (!mxIsEmpty(prhs[2]) && get_text(prhs[2], "the lineage path", &lineage) != 0)
        goto done;
    if (!mxIsEmpty(prhs[3]) && get_text(prhs[3], "the data path", &data_path) != 0)
        goto done;
    close_database(); /* one database per session, as in Python */
    if (check(scidb_open_with_data_path(path, (const char *const *)keys, n, lineage, data_path,
                                        &database),
              "configure_database") != 0)
        goto done;
    mexLock();
    rc = 0;
done:
    for (size_t i = 0; keys && i < n; i++)
        if (keys[i])
            mxFree(keys[i]);
    if (keys)
        mxFree(keys);
    mxFree(path);
    if (lineage)
        mxFree(lineage);
    if (data_path)
        mxFree(data_path);
    return rc;
}

/* gc() -> [files_removed, bytes_removed] */
static int cmd_gc(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    uint64_t files = 0, bytes = 0;
    (void)nlhs, (void)nrhs, (void)prhs;
    if (require_database() != 0 || check(scidb_gc(database, &files, &bytes), "gc") != 0)
        return -1;
    plhs[0] = mxCreateDoubleMatrix(1, 2, mxREAL);
    mxGetDoubles(plhs[0])[0] = (double)files;
    mxGetDoubles(plhs[0])[1] = (double)bytes;
    return 0;
}

/* data_path() -> the folder of the payload files */
static int cmd_data_path(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *text = NULL;
    int rc = -1;
    (void)nlhs, (void)nrhs, (void)prhs;
    if (require_database() != 0 || check(scidb_db_data_path(database, &text), "data_path") != 0)
        return -1;
    rc = text_to_mx(text, strlen(text), &plhs[0]);
    scidb_string_free(&text);
    return rc;
}

static int cmd_close(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)plhs, (void)nrhs, (void)prhs;
    close_database();
    return 0;
}

static int cmd_is_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)nrhs, (void)prhs;
    plhs[0] = mxCreateLogicalScalar(database != NULL);
    return 0;
}

/* save(variable, data, pairs) -> record id */
static int cmd_save(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *variable = NULL, *meta = NULL;
    scidb_value *value = NULL;
    char record_id[SCIDB_RECORD_ID_SIZE];
    int rc = -1;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0 || get_text(prhs[0], "the variable type", &variable) != 0)
        return -1;
    if (pairs_json(prhs[2], &meta) == 0 && to_value(prhs[1], &value, "data") == 0 &&
        check(scidb_save(database, variable, meta, value, record_id), "") == 0 &&
        text_to_mx(record_id, strlen(record_id), &plhs[0]) == 0)
        rc = 0;
    scidb_value_free(&value);
    mxFree(variable);
    if (meta)
        mxFree(meta);
    return rc;
}

typedef scidb_status (*query_fn)(const scidb_db *, const char *, const char *, scidb_records **);

/* Runs a query command: (variable, pairs) -> struct array of records. A
 * 'version' pair loads exactly that record id. */
/* load_all leaves out records it cannot read; say which, as a warning
 * (scidb:unreadableRecords) that a caller may turn into an error. */
static void warn_unreadable(const scidb_records *records, const char *variable)
{
    const char *json = NULL;
    if (scidb_records_unreadable_json(records, &json) == SCIDB_OK && json && strcmp(json, "[]") != 0)
        mexWarnMsgIdAndTxt("scidb:unreadableRecords",
                           "load_all left out %s records that cannot be read: %.2000s", variable, json);
}

static int run_query(query_fn fn, int with_data, mxArray *plhs[], const mxArray *prhs[])
{
    char *variable = NULL, *query = NULL;
    scidb_records *records = NULL;
    int rc = -1;
    if (require_database() != 0 || get_text(prhs[0], "the variable type", &variable) != 0)
        return -1;
    if (!mxIsCell(prhs[1])) {
        fail("scidb:invalidArgument", "metadata must be given as 'name', value pairs");
        goto done;
    }
    /* 'version', record_id is decided by the core, as for every binding. */
    if (pairs_json(prhs[1], &query) != 0 || check(fn(database, variable, query, &records), "") != 0)
        goto done;
    if (fn == scidb_load_all)
        warn_unreadable(records, variable);
    rc = records_out(records, with_data, &plhs[0]);
done:
    scidb_records_free(&records);
    mxFree(variable);
    if (query)
        mxFree(query);
    return rc;
}

static int cmd_load(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)nrhs;
    return run_query(scidb_load, 1, plhs, prhs);
}

static int cmd_load_all(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)nrhs;
    return run_query(scidb_load_all, 1, plhs, prhs);
}

static int cmd_load_all_columns(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *variable = NULL, *query = NULL;
    scidb_records *records = NULL;
    int rc = -1;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0 || get_text(prhs[0], "the variable type", &variable) != 0)
        return -1;
    if (pairs_json(prhs[1], &query) == 0 &&
        check(scidb_load_all(database, variable, query, &records), "") == 0) {
        warn_unreadable(records, variable);
        rc = records_to_columns(records, &plhs[0]);
    }
    scidb_records_free(&records);
    mxFree(variable);
    if (query)
        mxFree(query);
    return rc;
}

static int cmd_list_versions(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)nrhs;
    return run_query(scidb_list_versions, 0, plhs, prhs);
}

/* hash(value) -> the content hash the value would be saved with. */
static int cmd_hash(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_value *value = NULL;
    char hash[SCIDB_HASH_SIZE];
    (void)nlhs, (void)nrhs;
    int rc = to_value(prhs[0], &value, "value");
    if (rc == 0)
        rc = check(scidb_value_hash(value, hash), "hash");
    if (rc == 0)
        rc = text_to_mx(hash, strlen(hash), &plhs[0]);
    scidb_value_free(&value);
    return rc;
}

/* convert(value) -> the value as it would load after a save (no database). */
static int cmd_convert(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_value *value = NULL;
    (void)nlhs, (void)nrhs;
    int rc = to_value(prhs[0], &value, "value");
    if (rc == 0)
        rc = from_value(value, &plhs[0]);
    scidb_value_free(&value);
    return rc;
}

struct command {
    const char *name;
    command_fn fn;
    int nargs; /* exact number of arguments after the command name */
    int nout;  /* outputs it produces */
};

static const struct command COMMANDS[] = {
    {"open", cmd_open, 4, 0},          {"close", cmd_close, 0, 0},
    {"gc", cmd_gc, 0, 1},              {"data_path", cmd_data_path, 0, 1},
    {"is_open", cmd_is_open, 0, 1},    {"save", cmd_save, 3, 1},
    {"load", cmd_load, 2, 1},          {"load_all", cmd_load_all, 2, 1},
    {"load_all_columns", cmd_load_all_columns, 2, 1},
    {"list_versions", cmd_list_versions, 2, 1},
    {"hash", cmd_hash, 1, 1},          {"convert", cmd_convert, 1, 1},
    {"load_record", cmd_load_record, 1, 1},
    {"source_hash", cmd_source_hash, 1, 1},
    {"matlab_signature", cmd_matlab_signature, 1, 1},
    {"call_lookup", cmd_call_lookup, 1, 1},
    {"call_save", cmd_call_save, 6, 1},
    {"provenance", cmd_provenance, 1, 1},
    {"upstream_provenance", cmd_upstream_provenance, 1, 1},
    {"foreach_new", cmd_foreach_new, 1, 0},
    {"foreach_report", cmd_foreach_report, 0, 1},
    {"foreach_summary", cmd_foreach_summary, 0, 1},
    {"foreach_next", cmd_foreach_next, 2, 1},
    {"foreach_done", cmd_foreach_done, 2, 0},
    {"foreach_failed", cmd_foreach_failed, 2, 0},
    {"foreach_finish", cmd_foreach_finish, 0, 0},
    {"foreach_free", cmd_foreach_free, 0, 0},
    {"run_log", cmd_run_log, 1, 1},
    {"jobs", cmd_jobs, 0, 1},
    {"clear_jobs", cmd_clear_jobs, 1, 1},
    {"status", cmd_status, 1, 1},
    {"graph", cmd_graph, 1, 1},
    {"stream_open", cmd_stream_open, 1, 0},
    {"stream_read", cmd_stream_read, 0, 1},
    {"stream_write", cmd_stream_write, 1, 0},
    {"chunk_writer_open", cmd_chunk_writer_open, 2, 1},
    {"chunk_writer_add", cmd_chunk_writer_add, 2, 0},
    {"chunk_writer_finish", cmd_chunk_writer_finish, 1, 1},
    {"chunk_writer_free", cmd_chunk_writer_free, 1, 0},
    {"chunk_reader_open", cmd_chunk_reader_open, 2, 3},
    {"chunk_reader_next", cmd_chunk_reader_next, 1, 1},
    {"chunk_reader_free", cmd_chunk_reader_free, 1, 0},
};

void mexFunction(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static int registered = 0;
    char name[32];
    if (!registered) {
        mexAtExit(at_exit);
        registered = 1;
    }
    if (scidb_abi_version() != SCIDB_ABI_VERSION)
        mexErrMsgIdAndTxt("scidb:internal", "scidb_mex was built for C ABI %d but the library has %u",
                          SCIDB_ABI_VERSION, scidb_abi_version());
    /* A NUL inside the name would cut it short, naming another command. */
    if (nrhs < 1 || !mxIsChar(prhs[0]) || mxGetString(prhs[0], name, sizeof name) != 0 ||
        strlen(name) != mxGetNumberOfElements(prhs[0]))
        mexErrMsgIdAndTxt("scidb:invalidArgument",
                          "scidb_mex needs a command name (text) as its first argument");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        const struct command *c = &COMMANDS[i];
        if (strcmp(c->name, name) != 0)
            continue;
        if (nrhs - 1 != c->nargs)
            mexErrMsgIdAndTxt("scidb:invalidArgument", "scidb_mex('%s') takes %d arguments, got %d",
                              name, c->nargs, nrhs - 1);
        if (nlhs > c->nout && !(nlhs == 1 && c->nout == 0))
            mexErrMsgIdAndTxt("scidb:invalidArgument", "scidb_mex('%s') returns %d outputs, %d requested",
                              name, c->nout, nlhs);
        if (c->fn(nlhs, plhs, nrhs - 1, prhs + 1) != 0)
            raise_pending();
        return;
    }
    mexErrMsgIdAndTxt("scidb:invalidArgument", "scidb_mex: unknown command '%s'", name);
}
