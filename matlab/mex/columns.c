/* load_all as columns: one column per metadata key and a data column, as
 * MATLAB table variables (or an Octave struct of equal-length columns).
 * Numbers make double columns (NaN where a record lacks the key), text
 * cellstr columns ('' where missing), and data a numeric column when every
 * value is a real scalar of one class, else a cell column. */
#include <string.h>

#include "gateway.h"

#define MAX_KEYS 256
#define KEY_LEN 64

struct keys {
    size_t count;
    char names[MAX_KEYS][KEY_LEN];
};


/* The metadata keys to make columns of, in the core's one order
 * (scidb_records_column_keys: schema keys first, then the others sorted). */
static int column_keys(const scidb_records *records, struct keys *keys)
{
    const scidb_value *list = NULL;
    size_t n;
    if (check(scidb_records_column_keys(records, &list), "load_all") != 0 ||
        check(scidb_value_len(list, &n), "load_all") != 0)
        return -1;
    if (n > MAX_KEYS)
        return fail("scidb:invalidArgument", "more than %d metadata keys", MAX_KEYS);
    for (size_t i = 0; i < n; i++) {
        const scidb_value *item;
        const char *key;
        size_t len;
        if (check(scidb_value_list_get(list, i, &item), "load_all") != 0 ||
            check(scidb_value_string(item, &key, &len), "load_all") != 0)
            return -1;
        if (len >= KEY_LEN)
            return fail("scidb:internal", "metadata key longer than %d characters", KEY_LEN - 1);
        memcpy(keys->names[i], key, len);
        keys->names[i][len] = 0;
    }
    keys->count = n;
    return 0;
}

/* The value of `key` in a metadata map, or NULL. */
static const scidb_value *meta_get(const scidb_value *meta, const char *key)
{
    size_t n;
    if (scidb_value_len(meta, &n) != SCIDB_OK)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t len;
        const scidb_value *item;
        if (scidb_value_map_entry(meta, i, &k, &len, &item) == SCIDB_OK && strlen(key) == len &&
            memcmp(k, key, len) == 0)
            return item;
    }
    return NULL;
}

/* The dtype of a real scalar array value, or -1 for anything else. */
static int scalar_dtype(const scidb_value *v)
{
    uint32_t kind;
    scidb_array_view view;
    if (scidb_value_kind(v, &kind) != SCIDB_OK || kind != SCIDB_KIND_ARRAY ||
        scidb_value_array(v, &view) != SCIDB_OK || view.ndim != 0 ||
        view.dtype == SCIDB_DTYPE_COMPLEX64 || view.dtype == SCIDB_DTYPE_COMPLEX128)
        return -1;
    return (int)view.dtype;
}

static int key_column(const scidb_value **metas, size_t n, const char *key, mxArray **out)
{
    int all_numbers = 1, all_text = 1;
    for (size_t r = 0; r < n; r++) {
        const scidb_value *v = meta_get(metas[r], key);
        uint32_t kind = SCIDB_KIND_NULL;
        if (v == NULL)
            continue;
        scidb_value_kind(v, &kind);
        all_text &= kind == SCIDB_KIND_STRING;
        all_numbers &= scalar_dtype(v) == SCIDB_DTYPE_FLOAT64;
    }
    if (all_numbers && !all_text) {
        *out = mxCreateDoubleMatrix(n, 1, mxREAL);
        double *d = mxGetDoubles(*out);
        for (size_t r = 0; r < n; r++) {
            const scidb_value *v = meta_get(metas[r], key);
            scidb_array_view view;
            d[r] = mxGetNaN();
            if (v && scidb_value_array(v, &view) == SCIDB_OK)
                memcpy(&d[r], view.data, sizeof(double));
        }
        return 0;
    }
    *out = mxCreateCellMatrix(n, 1);
    for (size_t r = 0; r < n; r++) {
        const scidb_value *v = meta_get(metas[r], key);
        mxArray *cell = NULL;
        if (v == NULL)
            cell = all_text ? mxCreateString("") : mxCreateDoubleMatrix(0, 0, mxREAL);
        else if (from_value(v, &cell) != 0)
            return -1;
        mxSetCell(*out, r, cell);
    }
    return 0;
}

static int data_column(const scidb_value **values, size_t n, mxArray **out)
{
    int dtype = n > 0 ? scalar_dtype(values[0]) : -1;
    for (size_t r = 1; r < n && dtype >= 0; r++)
        if (scalar_dtype(values[r]) != dtype)
            dtype = -1;
    if (dtype >= 0) {
        /* One class throughout: concatenate the 1x1 values into a column. */
        mxArray *first = NULL;
        if (from_value(values[0], &first) != 0)
            return -1;
        size_t size = mxGetElementSize(first);
        mxClassID id = mxGetClassID(first);
        *out = id == mxLOGICAL_CLASS ? mxCreateLogicalMatrix(n, 1)
                                     : mxCreateNumericMatrix(n, 1, id, mxREAL);
        char *dst = mxGetData(*out);
        for (size_t r = 0; r < n; r++) {
            scidb_array_view view;
            if (check(scidb_value_array(values[r], &view), "load_all") != 0)
                return -1;
            memcpy(dst + r * size, view.data, size);
        }
        mxDestroyArray(first);
        return 0;
    }
    *out = mxCreateCellMatrix(n, 1);
    for (size_t r = 0; r < n; r++) {
        mxArray *cell = NULL;
        if (from_value(values[r], &cell) != 0)
            return -1;
        mxSetCell(*out, r, cell);
    }
    return 0;
}

/* Builds the columns of `records` as a table (MATLAB) or struct (Octave). */
int records_to_columns(scidb_records *records, mxArray **out)
{
    size_t n;
    if (check(scidb_records_count(records, &n), "load_all") != 0)
        return -1;
    struct keys *keys = mxCalloc(1, sizeof *keys);
    const scidb_value **metas = mxCalloc(n ? n : 1, sizeof *metas);
    const scidb_value **values = mxCalloc(n ? n : 1, sizeof *values);
    const char **names = NULL;
    mxArray **columns = NULL;
    int rc = -1;
    if (n > 0 && check(scidb_records_values(records, values, n), "load_all") != 0)
        goto done;
    for (size_t r = 0; r < n; r++)
        if (check(scidb_records_metadata_value(records, r, &metas[r]), "load_all") != 0)
            goto done;
    if (column_keys(records, keys) != 0)
        goto done;
    size_t ncols = keys->count + 1;
    names = mxCalloc(ncols, sizeof *names);
    columns = mxCalloc(ncols, sizeof *columns);
    for (size_t k = 0; k < keys->count; k++) {
        names[k] = keys->names[k];
        if (key_column(metas, n, keys->names[k], &columns[k]) != 0)
            goto done;
    }
    names[keys->count] = "data";
    if (data_column(values, n, &columns[keys->count]) != 0)
        goto done;
    rc = columns_to_table(names, columns, ncols, out);
done:
    if (names)
        mxFree((void *)names);
    if (columns)
        mxFree(columns);
    mxFree(keys);
    mxFree((void *)metas);
    mxFree((void *)values);
    return rc;
}
