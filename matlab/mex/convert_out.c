/* scidb values into MATLAB values: arrays keep class and shape (0-d is
 * 1x1, 1-d (n,) an n x 1 column), text is a char row, lists are 1xN cells
 * (a list of maps with the same fields a 1xN struct array), maps scalar
 * structs (containers.Map when a key is not a valid field name), tables a
 * MATLAB table where one exists (else a struct of columns), null []. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"

#define NAME_MAX_LEN 63

static int value_out(const scidb_value *v, mxArray **out, int depth);


static mxClassID class_of(uint32_t dtype, mxComplexity *cplx)
{
    *cplx = mxREAL;
    switch (dtype) {
    case SCIDB_DTYPE_BOOL: return mxLOGICAL_CLASS;
    case SCIDB_DTYPE_INT8: return mxINT8_CLASS;
    case SCIDB_DTYPE_INT16: return mxINT16_CLASS;
    case SCIDB_DTYPE_INT32: return mxINT32_CLASS;
    case SCIDB_DTYPE_INT64: return mxINT64_CLASS;
    case SCIDB_DTYPE_UINT8: return mxUINT8_CLASS;
    case SCIDB_DTYPE_UINT16: return mxUINT16_CLASS;
    case SCIDB_DTYPE_UINT32: return mxUINT32_CLASS;
    case SCIDB_DTYPE_UINT64: return mxUINT64_CLASS;
    case SCIDB_DTYPE_FLOAT32: return mxSINGLE_CLASS;
    case SCIDB_DTYPE_COMPLEX64: *cplx = mxCOMPLEX; return mxSINGLE_CLASS;
    case SCIDB_DTYPE_COMPLEX128: *cplx = mxCOMPLEX; return mxDOUBLE_CLASS;
    default: return mxDOUBLE_CLASS;
    }
}

/* A complex array whose element buffer we allocate ourselves: Octave 7's
 * interleaved mxCreate*Array(..., mxCOMPLEX) allocates half the bytes its
 * elements need, so writing them corrupts the heap. */
static mxArray *new_complex_array(mxClassID id, mwSize nd, const mwSize *dims, void **data)
{
    size_t count = 1;
    for (mwSize i = 0; i < nd; i++)
        count *= dims[i];
    mxArray *a = mxCreateNumericMatrix(0, 0, id, mxCOMPLEX);
    if (id == mxDOUBLE_CLASS) {
        mxComplexDouble *elements = mxCalloc(count ? count : 1, sizeof(mxComplexDouble));
        mxSetComplexDoubles(a, elements);
        *data = elements;
    } else {
        mxComplexSingle *elements = mxCalloc(count ? count : 1, sizeof(mxComplexSingle));
        mxSetComplexSingles(a, elements);
        *data = elements;
    }
    mxSetDimensions(a, dims, nd);
    return a;
}

/* A new uninitialised array of a dtype, and where its elements go. */
static mxArray *new_array(uint32_t dtype, mwSize nd, const mwSize *dims, void **data)
{
    mxComplexity cplx;
    mxClassID id = class_of(dtype, &cplx);
    if (cplx == mxCOMPLEX)
        return new_complex_array(id, nd, dims, data);
    mxArray *a = id == mxLOGICAL_CLASS ? mxCreateLogicalArray(nd, dims)
                                       : mxCreateUninitNumericArray(nd, dims, id, cplx);
    *data = mxGetData(a);
    return a;
}

static int array_out(const scidb_value *v, mxArray **out)
{
    scidb_array_view view;
    if (check(scidb_value_array(v, &view), "reading an array") != 0)
        return -1;
    mwSize dims[64];
    mwSize nd = 2;
    if (view.ndim > 64)
        return fail("scidb:typeMismatch", "arrays of %zu dimensions cannot be loaded", view.ndim);
    if (view.ndim == 0) {
        dims[0] = dims[1] = 1; /* 0-d: 1x1 */
    } else if (view.ndim == 1) {
        dims[0] = (mwSize)view.shape[0]; /* 1-d (n,): an n x 1 column */
        dims[1] = 1;
    } else {
        nd = (mwSize)view.ndim;
        for (size_t i = 0; i < view.ndim; i++)
            dims[i] = (mwSize)view.shape[i];
    }
    void *data = NULL;
    *out = new_array(view.dtype, nd, dims, &data);
    if (view.nbytes == 0)
        return 0;
    return check(scidb_value_array_copy(v, data, view.nbytes, SCIDB_ORDER_COLUMN_MAJOR),
                 "reading an array");
}

static int string_out(const scidb_value *v, mxArray **out)
{
    const char *utf8;
    size_t len;
    if (check(scidb_value_string(v, &utf8, &len), "reading text") != 0)
        return -1;
    return text_to_mx(utf8, len, out);
}

/* Copies a key into a NUL-terminated field name; 0 when it is not a valid
 * MATLAB field name (a letter, then letters, digits, underscores). */
static int field_name(const char *key, size_t len, char name[NAME_MAX_LEN + 1])
{
    if (len == 0 || len > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        int digit = c >= '0' && c <= '9';
        if (!(letter || (i > 0 && (digit || c == '_'))))
            return 0;
    }
    memcpy(name, key, len);
    name[len] = 0;
    return 1;
}

/* The field names of a map, or 0 when some key is not a valid name. */
static int map_field_names(const scidb_value *map, size_t n, char (*names)[NAME_MAX_LEN + 1])
{
    for (size_t i = 0; i < n; i++) {
        const char *key;
        size_t len;
        const scidb_value *item;
        if (scidb_value_map_entry(map, i, &key, &len, &item) != SCIDB_OK ||
            !field_name(key, len, names[i]))
            return 0;
    }
    return 1;
}

/* Fills element `index` of a struct array from a map's entries. */
static int fill_struct(mxArray *s, size_t index, const scidb_value *map, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++) {
        const char *key;
        size_t len;
        const scidb_value *item;
        mxArray *field = NULL;
        if (check(scidb_value_map_entry(map, i, &key, &len, &item), "reading a map") != 0 ||
            value_out(item, &field, depth + 1) != 0)
            return -1;
        mxSetFieldByNumber(s, index, (int)i, field);
    }
    return 0;
}

static mxArray *new_struct(size_t count, size_t nfields, char (*names)[NAME_MAX_LEN + 1])
{
    const char *pointers[1024];
    for (size_t i = 0; i < nfields; i++)
        pointers[i] = names[i];
    return mxCreateStructMatrix(1, count, (int)nfields, pointers);
}

/* A map whose keys are not all field names, as a containers.Map. */
static int container_map_out(const scidb_value *map, size_t n, mxArray **out, int depth)
{
    mxArray *keys = mxCreateCellMatrix(1, n);
    mxArray *values = mxCreateCellMatrix(1, n);
    for (size_t i = 0; i < n; i++) {
        const char *key;
        size_t len;
        const scidb_value *item;
        mxArray *k = NULL, *val = NULL;
        if (check(scidb_value_map_entry(map, i, &key, &len, &item), "reading a map") != 0 ||
            text_to_mx(key, len, &k) != 0 || value_out(item, &val, depth + 1) != 0)
            return -1;
        mxSetCell(keys, i, k);
        mxSetCell(values, i, val);
    }
    mxArray *args[4] = {keys, values, mxCreateString("UniformValues"), mxCreateLogicalScalar(0)};
    return call_matlab(1, out, 4, args, "containers.Map");
}

static int map_out(const scidb_value *v, mxArray **out, int depth)
{
    size_t n;
    if (check(scidb_value_len(v, &n), "reading a map") != 0)
        return -1;
    char(*names)[NAME_MAX_LEN + 1] = mxCalloc(n ? n : 1, sizeof *names);
    int rc;
    if (n <= 1024 && map_field_names(v, n, names)) {
        *out = new_struct(1, n, names);
        rc = fill_struct(*out, 0, v, n, depth);
    } else {
        rc = container_map_out(v, n, out, depth);
    }
    mxFree(names);
    return rc;
}

/* Whether every item of a list is a map with the same keys in the same
 * order, all valid field names: such a list loads as a struct array. */
static int is_struct_array(const scidb_value *list, size_t n, size_t *nfields,
                           char (**names)[NAME_MAX_LEN + 1])
{
    const scidb_value *first;
    uint32_t kind;
    if (n == 0 || scidb_value_list_get(list, 0, &first) != SCIDB_OK ||
        scidb_value_kind(first, &kind) != SCIDB_OK || kind != SCIDB_KIND_MAP ||
        scidb_value_len(first, nfields) != SCIDB_OK || *nfields > 1024)
        return 0;
    *names = mxCalloc(*nfields ? *nfields : 1, sizeof **names);
    if (!map_field_names(first, *nfields, *names))
        return 0;
    for (size_t i = 1; i < n; i++) {
        const scidb_value *item;
        size_t len;
        if (scidb_value_list_get(list, i, &item) != SCIDB_OK ||
            scidb_value_kind(item, &kind) != SCIDB_OK || kind != SCIDB_KIND_MAP ||
            scidb_value_len(item, &len) != SCIDB_OK || len != *nfields)
            return 0;
        for (size_t f = 0; f < len; f++) {
            const char *key;
            size_t key_len;
            const scidb_value *field;
            if (scidb_value_map_entry(item, f, &key, &key_len, &field) != SCIDB_OK ||
                key_len != strlen((*names)[f]) || memcmp(key, (*names)[f], key_len) != 0)
                return 0;
        }
    }
    return 1;
}

static int list_out(const scidb_value *v, mxArray **out, int depth)
{
    size_t n, nfields = 0;
    char(*names)[NAME_MAX_LEN + 1] = NULL;
    if (check(scidb_value_len(v, &n), "reading a list") != 0)
        return -1;
    if (is_struct_array(v, n, &nfields, &names)) {
        *out = new_struct(n, nfields, names);
        mxFree(names);
        for (size_t i = 0; i < n; i++) {
            const scidb_value *item;
            if (check(scidb_value_list_get(v, i, &item), "reading a list") != 0 ||
                fill_struct(*out, i, item, nfields, depth) != 0)
                return -1;
        }
        return 0;
    }
    if (names)
        mxFree(names);
    *out = n == 0 ? mxCreateCellMatrix(0, 0) : mxCreateCellMatrix(1, n);
    for (size_t i = 0; i < n; i++) {
        const scidb_value *item;
        mxArray *element = NULL;
        if (check(scidb_value_list_get(v, i, &item), "reading a list") != 0 ||
            value_out(item, &element, depth + 1) != 0)
            return -1;
        mxSetCell(*out, i, element);
    }
    return 0;
}

/* A numeric table column; integer and bool columns with missing cells are
 * promoted to double with NaN (SciDB-Py's null promotion). */
static int numeric_column_out(const scidb_column_view *col, size_t rows, mxArray **out)
{
    size_t missing = 0;
    for (size_t r = 0; col->validity && r < rows; r++)
        missing += col->validity[r] == 0;
    int is_float = col->dtype == SCIDB_DTYPE_FLOAT32 || col->dtype == SCIDB_DTYPE_FLOAT64;
    mwSize dims[2] = {rows, 1};
    void *data = NULL;
    if (missing > 0 && !is_float) {
        *out = mxCreateDoubleMatrix(rows, 1, mxREAL);
        double *d = mxGetDoubles(*out);
        const unsigned char *src = col->data;
        size_t size = col->nbytes / (rows ? rows : 1);
        for (size_t r = 0; r < rows; r++) {
            /* memcpy: the core's buffers carry no alignment promise. */
            union { int8_t i8; int16_t i16; int32_t i32; int64_t i64; uint8_t u8;
                    uint16_t u16; uint32_t u32; uint64_t u64; } e;
            double x;
            memcpy(&e, src + r * size, size);
            switch (col->dtype) {
            case SCIDB_DTYPE_BOOL:
            case SCIDB_DTYPE_UINT8: x = e.u8; break;
            case SCIDB_DTYPE_INT8: x = e.i8; break;
            case SCIDB_DTYPE_INT16: x = e.i16; break;
            case SCIDB_DTYPE_INT32: x = e.i32; break;
            case SCIDB_DTYPE_INT64: x = (double)e.i64; break;
            case SCIDB_DTYPE_UINT16: x = e.u16; break;
            case SCIDB_DTYPE_UINT32: x = e.u32; break;
            default: x = (double)e.u64; break;
            }
            d[r] = col->validity[r] ? x : mxGetNaN();
        }
        return 0;
    }
    *out = new_array(col->dtype, 2, dims, &data);
    if (col->nbytes > 0)
        memcpy(data, col->data, col->nbytes);
    if (missing > 0 && col->dtype == SCIDB_DTYPE_FLOAT64) {
        for (size_t r = 0; r < rows; r++)
            if (!col->validity[r])
                ((double *)data)[r] = mxGetNaN();
    } else if (missing > 0) {
        for (size_t r = 0; r < rows; r++)
            if (!col->validity[r])
                ((float *)data)[r] = (float)mxGetNaN();
    }
    return 0;
}

/* A text column as an n x 1 cell of char rows; missing cells are [] (so
 * they differ from '' and go back as missing). */
static int text_column_out(const scidb_value *table, const scidb_column_view *col, size_t index,
                           size_t rows, mxArray **out)
{
    *out = mxCreateCellMatrix(rows, 1);
    for (size_t r = 0; r < rows; r++) {
        const char *utf8;
        size_t len;
        mxArray *cell = NULL;
        if (col->validity && !col->validity[r]) {
            mxSetCell(*out, r, mxCreateDoubleMatrix(0, 0, mxREAL));
            continue;
        }
        if (check(scidb_value_table_text(table, index, r, &utf8, &len), "reading a table") != 0 ||
            text_to_mx(utf8, len, &cell) != 0)
            return -1;
        mxSetCell(*out, r, cell);
    }
    return 0;
}

/* A binary column as an n x 1 cell of uint8 row vectors; missing cells
 * are [] (a double, so they differ from an empty uint8 cell). */
static int binary_column_out(const scidb_value *table, size_t index, const scidb_column_view *col,
                             size_t rows, mxArray **out)
{
    *out = mxCreateCellMatrix(rows, 1);
    for (size_t r = 0; r < rows; r++) {
        const char *bytes;
        size_t len;
        if (col->validity && !col->validity[r]) {
            mxSetCell(*out, r, mxCreateDoubleMatrix(0, 0, mxREAL));
            continue;
        }
        if (check(scidb_value_table_text(table, index, r, &bytes, &len), "reading a table") != 0)
            return -1;
        mxArray *cell = mxCreateNumericMatrix(1, len, mxUINT8_CLASS, mxREAL);
        if (len > 0)
            memcpy(mxGetData(cell), bytes, len);
        mxSetCell(*out, r, cell);
    }
    return 0;
}

/* Whether MATLAB tables exist here (MATLAB yes, Octave 7 no); asked once. */
static int have_tables(void)
{
    static int known = -1;
    if (known < 0) {
        mxArray *name = mxCreateString("table");
        mxArray *answer = NULL;
        known = mexCallMATLABWithTrap(1, &answer, 1, &name, "exist") == NULL &&
                mxGetScalar(answer) != 0;
    }
    return known;
}

/* A column name as a struct field name: invalid characters become '_', a
 * name not starting with a letter gets an 'x' in front. */
static void sanitize_name(const char *name, size_t len, char out[NAME_MAX_LEN + 1])
{
    size_t o = 0;
    if (len == 0 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        out[o++] = 'x';
    for (size_t i = 0; i < len && o < NAME_MAX_LEN; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out[o++] = ok ? c : '_';
    }
    out[o] = 0;
}

int columns_to_table(const char **names, mxArray **columns, size_t ncols, mxArray **out)
{
    if (have_tables()) {
        mxArray *var_names = mxCreateCellMatrix(1, ncols);
        mxArray **args = mxCalloc(ncols + 2, sizeof *args);
        for (size_t c = 0; c < ncols; c++) {
            mxArray *name = NULL;
            if (text_to_mx(names[c], strlen(names[c]), &name) != 0) {
                mxFree(args);
                return -1;
            }
            mxSetCell(var_names, c, name);
            args[c] = columns[c];
        }
        args[ncols] = mxCreateString("VariableNames");
        args[ncols + 1] = var_names;
        int rc = call_matlab(1, out, (int)ncols + 2, args, "table");
        mxFree(args);
        return rc;
    }
    char(*fields)[NAME_MAX_LEN + 1] = mxCalloc(ncols ? ncols : 1, sizeof *fields);
    for (size_t c = 0; c < ncols; c++) {
        sanitize_name(names[c], strlen(names[c]), fields[c]);
        /* A name that collides after sanitizing gets a numeric suffix. */
        for (size_t p = 0; p < c; p++)
            if (strcmp(fields[c], fields[p]) == 0) {
                char suffix[24];
                int k = snprintf(suffix, sizeof suffix, "_%zu", c + 1);
                size_t base = strlen(fields[c]);
                if (base + (size_t)k > NAME_MAX_LEN)
                    base = NAME_MAX_LEN - (size_t)k;
                memcpy(fields[c] + base, suffix, (size_t)k + 1);
            }
    }
    *out = new_struct(1, ncols, fields);
    for (size_t c = 0; c < ncols; c++)
        mxSetFieldByNumber(*out, 0, (int)c, columns[c]);
    mxFree(fields);
    return 0;
}

static int table_out(const scidb_value *v, mxArray **out)
{
    size_t rows, ncols;
    if (check(scidb_value_table_shape(v, &rows, &ncols), "reading a table") != 0)
        return -1;
    if (ncols > 1024)
        return fail("scidb:typeMismatch", "tables of more than 1024 columns cannot be loaded");
    mxArray **columns = mxCalloc(ncols ? ncols : 1, sizeof *columns);
    char **names = mxCalloc(ncols ? ncols : 1, sizeof *names);
    int rc = 0;
    for (size_t c = 0; c < ncols && rc == 0; c++) {
        scidb_column_view col;
        rc = check(scidb_value_table_column(v, c, &col), "reading a table");
        if (rc != 0)
            break;
        if (col.is_text == SCIDB_COLUMN_BINARY)
            rc = binary_column_out(v, c, &col, rows, &columns[c]);
        else if (col.is_text == SCIDB_COLUMN_TEXT)
            rc = text_column_out(v, &col, c, rows, &columns[c]);
        else
            rc = numeric_column_out(&col, rows, &columns[c]);
        names[c] = mxCalloc(col.name_len + 1, 1);
        memcpy(names[c], col.name, col.name_len);
    }
    if (rc == 0)
        rc = columns_to_table((const char **)names, columns, ncols, out);
    for (size_t c = 0; c < ncols; c++)
        if (names[c])
            mxFree(names[c]);
    mxFree(names);
    mxFree(columns);
    return rc;
}

static int value_out(const scidb_value *v, mxArray **out, int depth)
{
    uint32_t kind;
    /* The core never returns a value deeper than SCIDB_MAX_DEPTH; this keeps
     * the recursion bounded whatever it is given. */
    if (depth > SCIDB_MAX_DEPTH)
        return fail("scidb:typeMismatch", "values nested deeper than %d levels cannot be loaded",
                    SCIDB_MAX_DEPTH);
    if (check(scidb_value_kind(v, &kind), "reading a value") != 0)
        return -1;
    switch (kind) {
    case SCIDB_KIND_NULL: *out = mxCreateDoubleMatrix(0, 0, mxREAL); return 0;
    case SCIDB_KIND_ARRAY: return array_out(v, out);
    case SCIDB_KIND_STRING: return string_out(v, out);
    case SCIDB_KIND_LIST: return list_out(v, out, depth);
    case SCIDB_KIND_MAP: return map_out(v, out, depth);
    case SCIDB_KIND_TABLE: return table_out(v, out);
    default: return fail("scidb:internal", "unknown value kind %u", kind);
    }
}

int from_value(const scidb_value *v, mxArray **out)
{
    return value_out(v, out, 0);
}

int take_chunk(scidb_value **chunk, mxArray **out)
{
    if (*chunk == NULL) {
        *out = mxCreateDoubleMatrix(0, 0, mxREAL);
        return 0;
    }
    int rc = from_value(*chunk, out);
    scidb_value_free(chunk);
    return rc;
}
