/* The pending error of a gateway call, and small helpers shared by the
 * conversions: text in and out, and calling MATLAB functions safely. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gateway.h"

static char pending_id[64] = "scidb:internal";
static char pending_message[4096];

int fail(const char *id, const char *fmt, ...)
{
    va_list args;
    snprintf(pending_id, sizeof pending_id, "%s", id);
    va_start(args, fmt);
    vsnprintf(pending_message, sizeof pending_message, fmt, args);
    va_end(args);
    return -1;
}

int whole_number(const mxArray *a, double lo, double hi, const char *what, double *out)
{
    if (!mxIsNumeric(a) || mxIsComplex(a) || mxIsSparse(a) || mxGetNumberOfElements(a) != 1)
        return fail("scidb:invalidArgument", "%s must be a real number", what);
    double d = mxGetScalar(a);
    /* NaN fails every comparison, so it never passes the range test. */
    if (!(d >= lo && d <= hi) || d != floor(d))
        return fail("scidb:invalidArgument", "%s must be a whole number from %.0f to %.0f", what, lo,
                    hi);
    *out = d;
    return 0;
}

/* The MATLAB error identifier of a scidb status code: scidb:<id>, the id
 * the core gives every binding (scidb_status_id). */
static const char *status_id(scidb_status status)
{
    static char id[64];
    snprintf(id, sizeof id, "scidb:%s", scidb_status_id(status));
    return id;
}

int fail_status(scidb_status status, const char *what)
{
    const char *message = scidb_last_error();
    if (what && *what)
        return fail(status_id(status), "%s: %s", what, message);
    return fail(status_id(status), "%s", message);
}

int check(scidb_status st, const char *what)
{
    return st == SCIDB_OK ? 0 : fail_status(st, what);
}

void raise_pending(void)
{
    /* Copies first: the message buffers are reused by the next call. */
    char id[sizeof pending_id];
    char message[sizeof pending_message];
    memcpy(id, pending_id, sizeof id);
    memcpy(message, pending_message, sizeof message);
    mexErrMsgIdAndTxt(id, "%s", message);
}

int call_matlab(int nout, mxArray **out, int nin, mxArray **in, const char *fn)
{
    mxArray *exception = mexCallMATLABWithTrap(nout, out, nin, in, fn);
    if (exception == NULL)
        return 0;
    /* The MException's message says what went wrong. */
    mxArray *message = NULL;
    char *text = NULL;
    if (mexCallMATLABWithTrap(1, &message, 1, &exception, "getReport") == NULL)
        text = mxArrayToString(message);
    fail("scidb:typeMismatch", "calling %s failed: %s", fn, text ? text : "unknown error");
    if (text)
        mxFree(text);
    return -1;
}

int get_text(const mxArray *a, const char *what, char **out)
{
    scidb_value *v = NULL;
    const char *utf8;
    size_t len;
    if (a == NULL || !(mxIsChar(a) || (mxIsClass(a, "string") && mxGetNumberOfElements(a) == 1)))
        return fail("scidb:invalidArgument", "%s must be text (a char row vector or a string), got a %s",
                    what, a ? mxGetClassName(a) : "missing value");
    if (to_value(a, &v, what) != 0)
        return -1;
    scidb_status st = scidb_value_string(v, &utf8, &len);
    if (st != SCIDB_OK) {
        scidb_value_free(&v);
        return fail("scidb:invalidArgument", "%s must be a single line of text", what);
    }
    if (memchr(utf8, 0, len) != NULL) {
        scidb_value_free(&v);
        return fail("scidb:invalidArgument", "%s holds a NUL character", what);
    }
    *out = mxMalloc(len + 1);
    memcpy(*out, utf8, len);
    (*out)[len] = 0;
    scidb_value_free(&v);
    return 0;
}

int text_to_mx(const char *utf8, size_t len, mxArray **out)
{
    mwSize dims[2] = {len > 0 ? 1 : 0, 0};
    if (sizeof(mxChar) == 1) {
        /* Octave: char elements are the UTF-8 bytes themselves. */
        dims[1] = len;
        *out = mxCreateCharArray(2, dims);
        if (len > 0)
            memcpy(mxGetChars(*out), utf8, len);
        return 0;
    }
    /* MATLAB: char elements are UTF-16 code units; the core converts. */
    scidb_value *v = NULL;
    size_t units = 0;
    scidb_status st = scidb_value_new_string(utf8, len, &v);
    if (st == SCIDB_OK)
        st = scidb_value_string_utf16_len(v, &units);
    if (st == SCIDB_OK) {
        dims[0] = units > 0 ? 1 : 0;
        dims[1] = units;
        *out = mxCreateCharArray(2, dims);
        st = scidb_value_string_utf16_copy(v, (uint16_t *)mxGetChars(*out), units);
    }
    scidb_value_free(&v);
    return st == SCIDB_OK ? 0 : fail_status(st, "converting text");
}
