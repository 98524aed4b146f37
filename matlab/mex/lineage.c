/* Lineage and caching commands of the gateway, used by scidb.Thunk and
 * scidb.ThunkResult. A call travels as a MATLAB struct ("spec") that
 * +scidb/Thunk.m builds:
 *   name, source_hash, version ('' for none): the function's identity;
 *   n_outputs: how many outputs the caller asked for;
 *   input_names, input_records, input_hashes: cells, one entry per input
 *     (a record id, or '' and the content hash of an unsaved value);
 *   constants: a cell {'name', value, ...} of scalars and text.
 * The C call is rebuilt from the spec for each lookup and save, so inputs
 * resolve to records as they are at that moment. */
#include <string.h>

#include "gateway.h"

/* The text field `name` of the spec (mxMalloc'd), or NULL when empty and
 * `optional`. */
static int spec_text(const mxArray *spec, const char *name, int optional, char **out)
{
    const mxArray *f = mxGetField(spec, 0, name);
    *out = NULL;
    if (f == NULL)
        return fail("scidb:invalidArgument", "the call description has no field '%s'", name);
    if (optional && mxIsEmpty(f))
        return 0;
    return get_text(f, name, out);
}

static const mxArray *spec_cell(const mxArray *spec, const char *name, size_t n)
{
    const mxArray *f = mxGetField(spec, 0, name);
    if (f == NULL || !mxIsCell(f) || (n != (size_t)-1 && mxGetNumberOfElements(f) != n)) {
        fail("scidb:invalidArgument", "the call description's '%s' must be a cell array%s", name,
             n != (size_t)-1 ? " with one entry per input" : "");
        return NULL;
    }
    return f;
}

static int add_inputs(scidb_call *call, const mxArray *spec)
{
    const mxArray *names = spec_cell(spec, "input_names", (size_t)-1);
    if (names == NULL)
        return -1;
    size_t n = mxGetNumberOfElements(names);
    const mxArray *records = spec_cell(spec, "input_records", n);
    const mxArray *hashes = records ? spec_cell(spec, "input_hashes", n) : NULL;
    if (hashes == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char *name = NULL, *text = NULL;
        int rc = get_text(mxGetCell(names, i), "an input name", &name);
        const mxArray *record = mxGetCell(records, i);
        if (rc == 0 && record != NULL && !mxIsEmpty(record)) {
            rc = get_text(record, name, &text);
            if (rc == 0)
                rc = check(scidb_call_add_input_record(call, current_database(), name, text), name);
        } else if (rc == 0) {
            rc = get_text(mxGetCell(hashes, i), name, &text);
            if (rc == 0)
                rc = check(scidb_call_add_input_hash(call, name, text), name);
        }
        if (name)
            mxFree(name);
        if (text)
            mxFree(text);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* A new C call from the spec (free with scidb_call_free). */
static int build_call(const mxArray *spec, scidb_call **out)
{
    char *name = NULL, *source = NULL, *version = NULL, *constants = NULL;
    int rc = -1;
    *out = NULL;
    if (!mxIsStruct(spec) || mxGetNumberOfElements(spec) != 1)
        return fail("scidb:invalidArgument", "a call description must be a scalar struct");
    const mxArray *n_outputs = mxGetField(spec, 0, "n_outputs");
    double count = 0;
    if (n_outputs == NULL)
        return fail("scidb:invalidArgument", "the call description has no n_outputs");
    if (whole_number(n_outputs, 1, 1000, "the call description's n_outputs", &count) != 0)
        return -1;
    const mxArray *pairs = spec_cell(spec, "constants", (size_t)-1);
    if (pairs == NULL || spec_text(spec, "name", 0, &name) != 0 ||
        spec_text(spec, "source_hash", 1, &source) != 0 ||
        spec_text(spec, "version", 1, &version) != 0)
        goto done;
    if (check(scidb_call_new("matlab", name, source, version, (uint32_t)count, out),
              name) != 0)
        goto done;
    if (add_inputs(*out, spec) != 0)
        goto done;
    if (mxGetNumberOfElements(pairs) > 0 &&
        (pairs_json(pairs, &constants) != 0 ||
         check(scidb_call_add_constants(*out, constants), "constants") != 0))
        goto done;
    rc = 0;
done:
    if (rc != 0)
        scidb_call_free(out);
    if (name)
        mxFree(name);
    if (source)
        mxFree(source);
    if (version)
        mxFree(version);
    if (constants)
        mxFree(constants);
    return rc;
}

/* source_hash(text) -> the hash of a .m file's normalized source. */
int cmd_source_hash(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *text = NULL;
    char hash[SCIDB_HASH_SIZE];
    (void)nlhs, (void)nrhs;
    if (get_text(prhs[0], "the function source", &text) != 0)
        return -1;
    int rc = check(scidb_source_hash("matlab", text, strlen(text), hash), "source hash");
    mxFree(text);
    return rc == 0 ? text_to_mx(hash, strlen(hash), &plhs[0]) : -1;
}

/* matlab_signature(text) -> struct with name, inputs, outputs. */
int cmd_matlab_signature(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *text = NULL;
    scidb_value *sig = NULL;
    (void)nlhs, (void)nrhs;
    if (get_text(prhs[0], "the function source", &text) != 0)
        return -1;
    int rc = check(scidb_matlab_signature(text, strlen(text), &sig), "function signature");
    mxFree(text);
    if (rc == 0)
        rc = from_value(sig, &plhs[0]);
    scidb_value_free(&sig);
    return rc;
}

/* call_lookup(spec) -> [] on a miss, else a struct array with the
 * record_id and content_hash of each saved output. */
int cmd_call_lookup(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static const char *FIELDS[] = {"record_id", "content_hash"};
    scidb_call *call = NULL;
    int32_t hit = 0;
    size_t n = 0;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0 || build_call(prhs[0], &call) != 0)
        return -1;
    int rc = check(scidb_call_lookup(current_database(), call, &hit), "cache lookup");
    if (rc == 0 && hit)
        rc = check(scidb_call_output_count(call, &n), "cache lookup");
    if (rc == 0)
        plhs[0] = hit ? mxCreateStructMatrix(1, n, 2, FIELDS) : mxCreateDoubleMatrix(0, 0, mxREAL);
    for (size_t i = 0; rc == 0 && hit && i < n; i++) {
        const char *rid, *hash;
        mxArray *a = NULL, *b = NULL;
        rc = check(scidb_call_output_record_id(call, i, &rid), "cache lookup");
        if (rc == 0)
            rc = check(scidb_call_output_content_hash(call, i, &hash), "cache lookup");
        if (rc == 0)
            rc = text_to_mx(rid, strlen(rid), &a);
        if (rc == 0)
            rc = text_to_mx(hash, strlen(hash), &b);
        if (rc == 0) {
            mxSetFieldByNumber(plhs[0], i, 0, a);
            mxSetFieldByNumber(plhs[0], i, 1, b);
        }
    }
    scidb_call_free(&call);
    return rc;
}

/* call_save(spec, index, variable, pairs, data, cached) -> record id.
 * Saves output `index` (1-based) of the call with its lineage; a cached
 * result (cached true) is saved from its record, `data` unused. */
int cmd_call_save(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_call *call = NULL;
    scidb_value *value = NULL;
    char *variable = NULL, *meta = NULL;
    char record_id[SCIDB_RECORD_ID_SIZE];
    int rc = -1;
    (void)nlhs, (void)nrhs;
    double index = 0;
    if (whole_number(prhs[1], 1, 1000, "the output index", &index) != 0)
        return -1;
    if (!mxIsLogical(prhs[5]) || mxGetNumberOfElements(prhs[5]) != 1)
        return fail("scidb:invalidArgument", "cached must be true or false");
    int cached = mxIsLogicalScalarTrue(prhs[5]);
    if (require_database() != 0 || get_text(prhs[2], "the variable type", &variable) != 0)
        return -1;
    if (pairs_json(prhs[3], &meta) != 0 || (!cached && to_value(prhs[4], &value, "data") != 0) ||
        build_call(prhs[0], &call) != 0)
        goto done;
    if (check(scidb_call_save_output(current_database(), call, (uint32_t)index - 1,
                                     variable, meta, value, record_id),
              "") != 0)
        goto done;
    rc = text_to_mx(record_id, strlen(record_id), &plhs[0]);
done:
    scidb_call_free(&call);
    scidb_value_free(&value);
    mxFree(variable);
    if (meta)
        mxFree(meta);
    return rc;
}

typedef scidb_status (*provenance_fn)(const scidb_db *, const char *, char **);

static int provenance_text(provenance_fn fn, mxArray *plhs[], const mxArray *prhs[])
{
    char *record_id = NULL, *json = NULL;
    if (require_database() != 0 || get_text(prhs[0], "the record id", &record_id) != 0)
        return -1;
    int rc = check(fn(current_database(), record_id, &json), "provenance");
    mxFree(record_id);
    if (rc == 0)
        rc = text_to_mx(json, strlen(json), &plhs[0]);
    scidb_string_free(&json);
    return rc;
}

/* provenance(record_id) -> JSON text ("null" without lineage). */
int cmd_provenance(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)nrhs;
    return provenance_text(scidb_provenance_json, plhs, prhs);
}

/* upstream_provenance(record_id) -> JSON list, the record first. */
int cmd_upstream_provenance(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)nrhs;
    return provenance_text(scidb_upstream_provenance_json, plhs, prhs);
}

/* load_record(record_id) -> the record of any variable type (1x1 struct). */
int cmd_load_record(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *record_id = NULL;
    scidb_records *records = NULL;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0 || get_text(prhs[0], "the record id", &record_id) != 0)
        return -1;
    int rc = check(scidb_load_record(current_database(), NULL, record_id, &records), "");
    mxFree(record_id);
    if (rc == 0)
        rc = records_out(records, 1, &plhs[0]);
    scidb_records_free(&records);
    return rc;
}
