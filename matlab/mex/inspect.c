/* Looking at the pipeline: the per-step status (current and stale
 * outputs) and the pipeline picture, both computed by the library. */
#include <string.h>

#include "gateway.h"

static int text_out(scidb_status st, char *text, const char *what, mxArray **out)
{
    int rc = check(st, what);
    if (rc == 0)
        rc = text_to_mx(text, strlen(text), out);
    scidb_string_free(&text);
    return rc;
}

/* status(function_json) -> JSON list of steps; function_json is [] for
 * none, or the identity of a function as it is now. */
int cmd_status(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *function = NULL;
    char *json = NULL;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0)
        return -1;
    if (!(mxIsDouble(prhs[0]) && mxIsEmpty(prhs[0])) &&
        get_text(prhs[0], "a function identity (JSON)", &function) != 0)
        return -1;
    scidb_status st = scidb_status_json(current_database(), function, &json);
    if (function)
        mxFree(function);
    return text_out(st, json, "status", &plhs[0]);
}

/* graph(kind) -> the picture as text: 'dot', 'svg', 'html' or 'json'. */
int cmd_graph(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *kind = NULL;
    char *text = NULL;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0)
        return -1;
    if (get_text(prhs[0], "a picture format", &kind) != 0)
        return -1;
    scidb_status st = scidb_graph_text(current_database(), kind, &text);
    mxFree(kind);
    return text_out(st, text, "graph", &plhs[0]);
}
