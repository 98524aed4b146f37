/* MATLAB values into scidb values, following the value table of DESIGN.md:
 * numeric and logical arrays (1x1 is a scalar; other shapes are kept, the
 * core converts column-major order), char and string text, cells as lists,
 * scalar structs as maps, struct arrays as lists of maps, tables, and []
 * as null. Everything else is refused with a message naming its class. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"

static int value_in(const mxArray *a, scidb_value **out, const char *path, int depth);

/* `depth` counts the lists and maps around a value. A container at
 * SCIDB_MAX_DEPTH would exceed the core's one limit: refused here, before
 * the recursion goes deeper (a cell nested 100,000 deep is one loop away). */
static int check_depth(const char *path, int depth)
{
    if (depth < SCIDB_MAX_DEPTH)
        return 0;
    return fail("scidb:typeMismatch",
                "%s: values nested deeper than %d cells, structs or maps cannot be saved", path,
                SCIDB_MAX_DEPTH);
}
static int is_null(const mxArray *a);

/* The scidb dtype and element size of a MATLAB numeric or logical class. */
static int dtype_of(const mxArray *a, const char *path, uint32_t *dtype, size_t *size)
{
    int cplx = mxIsComplex(a);
    switch (mxGetClassID(a)) {
    case mxLOGICAL_CLASS: *dtype = SCIDB_DTYPE_BOOL; *size = 1; break;
    case mxINT8_CLASS: *dtype = SCIDB_DTYPE_INT8; *size = 1; break;
    case mxUINT8_CLASS: *dtype = SCIDB_DTYPE_UINT8; *size = 1; break;
    case mxINT16_CLASS: *dtype = SCIDB_DTYPE_INT16; *size = 2; break;
    case mxUINT16_CLASS: *dtype = SCIDB_DTYPE_UINT16; *size = 2; break;
    case mxINT32_CLASS: *dtype = SCIDB_DTYPE_INT32; *size = 4; break;
    case mxUINT32_CLASS: *dtype = SCIDB_DTYPE_UINT32; *size = 4; break;
    case mxINT64_CLASS: *dtype = SCIDB_DTYPE_INT64; *size = 8; break;
    case mxUINT64_CLASS: *dtype = SCIDB_DTYPE_UINT64; *size = 8; break;
    case mxSINGLE_CLASS:
        *dtype = cplx ? SCIDB_DTYPE_COMPLEX64 : SCIDB_DTYPE_FLOAT32;
        *size = cplx ? 8 : 4;
        return 0;
    case mxDOUBLE_CLASS:
        *dtype = cplx ? SCIDB_DTYPE_COMPLEX128 : SCIDB_DTYPE_FLOAT64;
        *size = cplx ? 16 : 8;
        return 0;
    default:
        return fail("scidb:typeMismatch", "%s: values of class %s cannot be saved", path,
                    mxGetClassName(a));
    }
    if (cplx)
        return fail("scidb:typeMismatch",
                    "%s: complex %s arrays cannot be saved (complex values must be single or double)",
                    path, mxGetClassName(a));
    return 0;
}

/* The element bytes of a numeric or logical array (interleaved complex).
 * Complex singles go through mxGetData, which gives the same interleaved
 * bytes: Octave 7's mxGetComplexSingles refuses every array. */
static const void *numeric_data(const mxArray *a, uint32_t dtype)
{
    if (dtype == SCIDB_DTYPE_COMPLEX128)
        return mxGetComplexDoubles(a);
    return mxGetData(a);
}

static int numeric_array_in(const mxArray *a, scidb_value **out, const char *path, int keep_1x1)
{
    uint32_t dtype;
    size_t size;
    if (dtype_of(a, path, &dtype, &size) != 0)
        return -1;
    mwSize nd = mxGetNumberOfDimensions(a);
    const mwSize *dims = mxGetDimensions(a);
    size_t count = mxGetNumberOfElements(a);
    /* A 1x1 array is what MATLAB has for a scalar. */
    int scalar = !keep_1x1 && nd == 2 && dims[0] == 1 && dims[1] == 1;
    uint64_t shape[64];
    if (nd > 64)
        return fail("scidb:typeMismatch", "%s: arrays of more than 64 dimensions cannot be saved", path);
    for (mwSize i = 0; i < nd; i++)
        shape[i] = (uint64_t)dims[i];
    scidb_status st = scidb_value_new_array(
        dtype, scalar ? NULL : shape, scalar ? 0 : (size_t)nd, count ? numeric_data(a, dtype) : NULL,
        count * size, scalar ? SCIDB_ARRAY_SCALAR : SCIDB_ARRAY_COLUMN_MAJOR, out);
    return st == SCIDB_OK ? 0 : fail_status(st, path);
}

static int numeric_in(const mxArray *a, scidb_value **out, const char *path)
{
    return numeric_array_in(a, out, path, 0);
}

int chunk_to_value(const mxArray *a, scidb_value **out, const char *path)
{
    if (mxIsStruct(a))
        return columns_to_value(a, out, path);
    if ((mxIsNumeric(a) || mxIsLogical(a)) && !mxIsSparse(a))
        return numeric_array_in(a, out, path, 1);
    return to_value(a, out, path);
}

static int char_in(const mxArray *a, scidb_value **out, const char *path)
{
    size_t count = mxGetNumberOfElements(a);
    if (count > 0 && (mxGetNumberOfDimensions(a) > 2 || mxGetM(a) != 1))
        return fail("scidb:typeMismatch",
                    "%s: a char array of %zu rows cannot be saved as text; save one row, "
                    "or several texts as a cell array (cellstr) or string array",
                    path, mxGetM(a));
    scidb_status st;
    if (sizeof(mxChar) == 1) /* Octave: the chars are UTF-8 bytes */
        st = scidb_value_new_string((const char *)mxGetChars(a), count, out);
    else /* MATLAB: UTF-16 code units */
        st = scidb_value_new_string_utf16((const uint16_t *)mxGetChars(a), count, out);
    return st == SCIDB_OK ? 0 : fail_status(st, path);
}

/* Refuses cells and struct arrays that are not vectors: lists have one axis. */
static int require_vector(const mxArray *a, const char *what, const char *path)
{
    const mwSize *dims = mxGetDimensions(a);
    if (mxGetNumberOfDimensions(a) > 2 || (dims[0] > 1 && dims[1] > 1))
        return fail("scidb:typeMismatch",
                    "%s: a %s of size %zux%zu cannot be saved; only row or column %ss "
                    "(saved as lists) can",
                    path, what, (size_t)dims[0], mxGetNumberOfElements(a) / (dims[0] ? dims[0] : 1),
                    what);
    return 0;
}

/* Appends `item` (taken) to `list`; frees both on failure. */
static int push(scidb_value **list, scidb_value **item, const char *path)
{
    scidb_status st = scidb_value_list_push(*list, item);
    if (st == SCIDB_OK)
        return 0;
    scidb_value_free(item);
    scidb_value_free(list);
    return fail_status(st, path);
}

static int cell_in(const mxArray *a, scidb_value **out, const char *path, int depth)
{
    char child[512];
    scidb_value *item = NULL;
    if (require_vector(a, "cell array", path) != 0 || check_depth(path, depth) != 0)
        return -1;
    scidb_status st = scidb_value_new_list(out);
    if (st != SCIDB_OK)
        return fail_status(st, path);
    size_t n = mxGetNumberOfElements(a);
    for (size_t i = 0; i < n; i++) {
        snprintf(child, sizeof child, "%s{%zu}", path, i + 1);
        if (value_in(mxGetCell(a, i), &item, child, depth + 1) != 0) {
            scidb_value_free(out);
            return -1;
        }
        if (push(out, &item, child) != 0)
            return -1;
    }
    return 0;
}

/* Element `index` of a struct array as a map of its fields. */
static int struct_element_in(const mxArray *a, size_t index, scidb_value **out, const char *path,
                             int depth)
{
    char child[512];
    scidb_value *item = NULL;
    if (check_depth(path, depth) != 0)
        return -1;
    scidb_status st = scidb_value_new_map(out);
    if (st != SCIDB_OK)
        return fail_status(st, path);
    int nfields = mxGetNumberOfFields(a);
    for (int f = 0; f < nfields; f++) {
        const char *name = mxGetFieldNameByNumber(a, f);
        snprintf(child, sizeof child, "%s.%s", path, name);
        if (value_in(mxGetFieldByNumber(a, index, f), &item, child, depth + 1) != 0) {
            scidb_value_free(out);
            return -1;
        }
        st = scidb_value_map_insert(*out, name, &item);
        if (st != SCIDB_OK) {
            scidb_value_free(&item);
            scidb_value_free(out);
            return fail_status(st, child);
        }
    }
    return 0;
}

static int struct_in(const mxArray *a, scidb_value **out, const char *path, int depth)
{
    char child[512];
    scidb_value *item = NULL;
    size_t n = mxGetNumberOfElements(a);
    if (n == 1)
        return struct_element_in(a, 0, out, path, depth);
    /* A list of no maps keeps no field names: it would load as an empty cell. */
    if (n == 0)
        return fail("scidb:typeMismatch",
                    "%s: an empty struct array (%zux%zu with %d fields) cannot be saved: it would "
                    "load back as an empty cell, without its fields; save [] or a struct whose "
                    "fields hold empty values",
                    path, (size_t)mxGetM(a), (size_t)mxGetN(a), mxGetNumberOfFields(a));
    if (require_vector(a, "struct array", path) != 0 || check_depth(path, depth) != 0)
        return -1;
    scidb_status st = scidb_value_new_list(out);
    if (st != SCIDB_OK)
        return fail_status(st, path);
    for (size_t i = 0; i < n; i++) {
        snprintf(child, sizeof child, "%s(%zu)", path, i + 1);
        /* A struct array is a list of maps: its elements are one level down. */
        if (struct_element_in(a, i, &item, child, depth + 1) != 0) {
            scidb_value_free(out);
            return -1;
        }
        if (push(out, &item, child) != 0)
            return -1;
    }
    return 0;
}

/* A containers.Map with char keys as a map, entries in its key order (what
 * loading a dict whose keys are not field names gives back). */
static int containers_map_in(const mxArray *a, scidb_value **out, const char *path, int depth)
{
    char child[512];
    mxArray *arg = (mxArray *)a;
    mxArray *keys = NULL, *values = NULL;
    scidb_value *item = NULL;
    if (check_depth(path, depth) != 0 || call_matlab(1, &keys, 1, &arg, "keys") != 0)
        return -1;
    if (call_matlab(1, &values, 1, &arg, "values") != 0) {
        mxDestroyArray(keys);
        return -1;
    }
    int rc = 0;
    scidb_status st = scidb_value_new_map(out);
    if (st != SCIDB_OK) {
        rc = fail_status(st, path);
        goto done;
    }
    for (size_t i = 0; i < mxGetNumberOfElements(keys); i++) {
        const mxArray *key = mxGetCell(keys, i);
        char *name = NULL;
        if (key == NULL || !mxIsChar(key)) {
            rc = fail("scidb:typeMismatch",
                      "%s: containers.Map with %s keys cannot be saved (only char keys can)", path,
                      key ? mxGetClassName(key) : "empty");
            break;
        }
        if (get_text(key, path, &name) != 0) {
            rc = -1;
            break;
        }
        snprintf(child, sizeof child, "%s('%s')", path, name);
        if (value_in(mxGetCell(values, i), &item, child, depth + 1) != 0) {
            mxFree(name);
            rc = -1;
            break;
        }
        st = scidb_value_map_insert(*out, name, &item);
        mxFree(name);
        if (st != SCIDB_OK) {
            scidb_value_free(&item);
            rc = fail_status(st, child);
            break;
        }
    }
    if (rc != 0)
        scidb_value_free(out);
done:
    mxDestroyArray(keys);
    mxDestroyArray(values);
    return rc;
}

/* A MATLAB string array: one string is text, several a list of texts. */
static int string_in(const mxArray *a, scidb_value **out, const char *path, int depth)
{
    mxArray *cells = NULL;
    mxArray *arg = (mxArray *)a;
    if (call_matlab(1, &cells, 1, &arg, "cellstr") != 0)
        return -1;
    if (mxGetNumberOfElements(a) == 1)
        return char_in(mxGetCell(cells, 0), out, path);
    return cell_in(cells, out, path, depth);
}

/* A binary column: a cell of uint8 vectors (bytes in order), [] cells
 * missing. The bytes are read where MATLAB holds them. */
static int binary_column_in(scidb_value *table, const char *name, const mxArray *cells,
                            size_t rows, const char *child)
{
    const char **ptrs = mxCalloc(rows ? rows : 1, sizeof *ptrs);
    size_t *lens = mxCalloc(rows ? rows : 1, sizeof *lens);
    uint8_t *validity = mxCalloc(rows ? rows : 1, 1);
    int any_missing = 0;
    int rc = 0;
    for (size_t r = 0; r < rows && rc == 0; r++) {
        const mxArray *cell = mxGetCell(cells, r);
        if (cell == NULL || is_null(cell)) {
            any_missing = 1;
            continue;
        }
        validity[r] = 1;
        if (!mxIsUint8(cell) || mxIsComplex(cell) ||
            (mxGetM(cell) > 1 && mxGetN(cell) > 1) || mxGetNumberOfDimensions(cell) > 2) {
            rc = fail("scidb:typeMismatch",
                      "%s: row %zu is a %s, not a uint8 vector (the column holds bytes)", child,
                      r + 1, mxGetClassName(cell));
            break;
        }
        ptrs[r] = (const char *)mxGetData(cell);
        lens[r] = mxGetNumberOfElements(cell);
    }
    scidb_status st;
    if (rc == 0 && (st = scidb_value_table_add_binary(table, name, ptrs, lens,
                                                      any_missing ? validity : NULL)) != SCIDB_OK)
        rc = fail_status(st, child);
    mxFree(validity);
    mxFree(ptrs);
    mxFree(lens);
    return rc;
}

/* One table column (a column vector) added to `table`. */
static int table_column_in(scidb_value *table, const char *name, const mxArray *col, size_t rows,
                           const char *path)
{
    char child[512];
    snprintf(child, sizeof child, "%s.%s", path, name);
    scidb_status st;
    if ((mxIsNumeric(col) || mxIsLogical(col)) && !mxIsSparse(col)) {
        uint32_t dtype;
        size_t size;
        if (dtype_of(col, child, &dtype, &size) != 0)
            return -1;
        if (mxGetNumberOfElements(col) != rows || mxGetN(col) != 1)
            return fail("scidb:typeMismatch", "%s: table columns must be column vectors", child);
        st = scidb_value_table_add_numeric(table, name, dtype, rows ? mxGetData(col) : NULL,
                                           rows * size, NULL);
        return st == SCIDB_OK ? 0 : fail_status(st, child);
    }
    mxArray *cells = (mxArray *)col;
    if (mxIsClass(col, "string") || mxIsClass(col, "categorical")) {
        mxArray *arg = (mxArray *)col;
        if (call_matlab(1, &cells, 1, &arg, "cellstr") != 0)
            return -1;
    }
    if (!mxIsCell(cells) || mxGetNumberOfElements(cells) != rows)
        return fail("scidb:typeMismatch",
                    "%s: table columns of class %s cannot be saved (numeric, logical, text, "
                    "cells of uint8 vectors)", child, mxGetClassName(col));
    /* A cell of uint8 vectors (and [] for missing) is a binary column. */
    for (size_t r = 0; r < rows; r++) {
        const mxArray *cell = mxGetCell(cells, r);
        if (cell == NULL || is_null(cell))
            continue;
        if (mxIsUint8(cell))
            return binary_column_in(table, name, cells, rows, child);
        break;
    }
    /* Text cells: convert each to a scidb string, then add them at once.
     * A [] cell is a missing one. */
    scidb_value **texts = mxCalloc(rows ? rows : 1, sizeof *texts);
    const char **ptrs = mxCalloc(rows ? rows : 1, sizeof *ptrs);
    size_t *lens = mxCalloc(rows ? rows : 1, sizeof *lens);
    uint8_t *validity = mxCalloc(rows ? rows : 1, 1);
    int any_missing = 0;
    int rc = 0;
    for (size_t r = 0; r < rows && rc == 0; r++) {
        const mxArray *cell = mxGetCell(cells, r);
        if (cell == NULL || is_null(cell)) {
            any_missing = 1;
            continue;
        }
        validity[r] = 1;
        if (!mxIsChar(cell)) {
            rc = fail("scidb:typeMismatch", "%s: row %zu is not text", child, r + 1);
            break;
        }
        rc = char_in(cell, &texts[r], child);
        if (rc == 0 && (st = scidb_value_string(texts[r], &ptrs[r], &lens[r])) != SCIDB_OK)
            rc = fail_status(st, child);
    }
    if (rc == 0 && (st = scidb_value_table_add_text(table, name, ptrs, lens,
                                                    any_missing ? validity : NULL)) != SCIDB_OK)
        rc = fail_status(st, child);
    mxFree(validity);
    for (size_t r = 0; r < rows; r++)
        scidb_value_free(&texts[r]);
    mxFree(texts);
    mxFree(ptrs);
    mxFree(lens);
    return rc;
}

/* Equal-length columns, the fields of a scalar struct, as a table. */
static int struct_columns_in(const mxArray *columns, size_t rows, scidb_value **out,
                             const char *path)
{
    scidb_status st = scidb_value_new_table(rows, out);
    if (st != SCIDB_OK)
        return fail_status(st, path);
    int n = mxGetNumberOfFields(columns);
    for (int f = 0; f < n; f++) {
        if (table_column_in(*out, mxGetFieldNameByNumber(columns, f),
                            mxGetFieldByNumber(columns, 0, f), rows, path) != 0) {
            scidb_value_free(out);
            return -1;
        }
    }
    return 0;
}

/* A MATLAB table, read through table2struct(t, 'ToScalar', true). */
static int table_in(const mxArray *a, scidb_value **out, const char *path)
{
    mxArray *args[3] = {(mxArray *)a, mxCreateString("ToScalar"), mxCreateLogicalScalar(1)};
    mxArray *columns = NULL;
    mxArray *height = NULL;
    if (call_matlab(1, &columns, 3, args, "table2struct") != 0 ||
        call_matlab(1, &height, 1, args, "height") != 0)
        return -1;
    return struct_columns_in(columns, (size_t)mxGetScalar(height), out, path);
}

int columns_to_value(const mxArray *columns, scidb_value **out, const char *path)
{
    if (!mxIsStruct(columns) || mxGetNumberOfElements(columns) != 1)
        return fail("scidb:invalidArgument", "%s: columns must be a scalar struct", path);
    size_t rows = 0;
    if (mxGetNumberOfFields(columns) > 0) {
        const mxArray *first = mxGetFieldByNumber(columns, 0, 0);
        rows = first ? mxGetNumberOfElements(first) : 0;
    }
    return struct_columns_in(columns, rows, out, path);
}

static int is_null(const mxArray *a)
{
    return mxIsDouble(a) && !mxIsComplex(a) && mxGetNumberOfDimensions(a) == 2 && mxGetM(a) == 0 &&
           mxGetN(a) == 0;
}

static int value_in(const mxArray *a, scidb_value **out, const char *path, int depth)
{
    scidb_status st;
    /* Unset cell elements and struct fields are []. */
    if (a == NULL || (is_null(a) && !mxIsSparse(a))) {
        st = scidb_value_new_null(out);
        return st == SCIDB_OK ? 0 : fail_status(st, path);
    }
    if (mxIsSparse(a))
        return fail("scidb:typeMismatch", "%s: sparse matrices cannot be saved; save full(x)", path);
    if (mxIsChar(a))
        return char_in(a, out, path);
    if (mxIsNumeric(a) || mxIsLogical(a))
        return numeric_in(a, out, path);
    if (mxIsCell(a))
        return cell_in(a, out, path, depth);
    if (mxIsStruct(a))
        return struct_in(a, out, path, depth);
    if (mxIsClass(a, "string"))
        return string_in(a, out, path, depth);
    if (mxIsClass(a, "table"))
        return table_in(a, out, path);
    if (mxIsClass(a, "containers.Map"))
        return containers_map_in(a, out, path, depth);
    return fail("scidb:typeMismatch",
                "%s: values of class %s cannot be saved (numeric, logical, char, string, cell, "
                "struct, table, containers.Map and [] can)",
                path, mxGetClassName(a));
}

int to_value(const mxArray *a, scidb_value **out, const char *path)
{
    return value_in(a, out, path, 0);
}
