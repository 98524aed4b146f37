/* for_each commands of the gateway, used by +scidb/for_each.m. The engine
 * (planning, bulk loads, cache decisions, batched saves, run log) is the
 * core's; MATLAB only runs the function. One plan is live at a time, held
 * here between calls and freed by foreach_free, a new foreach_new, or
 * when the MEX is unloaded. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"

static scidb_foreach *plan = NULL;

void foreach_release(void)
{
    scidb_foreach_free(&plan);
}

static int require_plan(void)
{
    if (require_database() != 0)
        return -1;
    if (plan == NULL)
        return fail("scidb:invalidArgument", "no for_each run is in progress");
    return 0;
}

/* The JSON text a call `st` wrote into `json` as a char array; frees it.
 * (Call first, then pass: argument evaluation order is unspecified.) */
static int json_out(scidb_status st, char *json, mxArray **out)
{
    int rc = check(st, "for_each");
    if (rc == 0)
        rc = text_to_mx(json, strlen(json), out);
    scidb_string_free(&json);
    return rc;
}

static int index_arg(const mxArray *a, size_t *out)
{
    double d = 0;
    if (whole_number(a, 0, 4294967295.0, "a combination index", &d) != 0)
        return -1;
    *out = (size_t)d;
    return 0;
}

/* foreach_new(spec_json): plans a run (docs/foreach.md) and keeps it. */
int cmd_foreach_new(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *spec = NULL;
    (void)nlhs, (void)plhs, (void)nrhs;
    if (require_database() != 0 || get_text(prhs[0], "the for_each description", &spec) != 0)
        return -1;
    foreach_release();
    int rc = check(scidb_foreach_new(current_database(), spec, &plan), "for_each");
    mxFree(spec);
    return rc;
}

/* foreach_report() -> JSON text: the summary and every combination. */
int cmd_foreach_report(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    (void)nlhs, (void)nrhs, (void)prhs;
    if (require_plan() != 0)
        return -1;
    scidb_status st = scidb_foreach_report_json(plan, &json);
    return json_out(st, json, &plhs[0]);
}

/* foreach_summary() -> the summary text the core writes for every language. */
int cmd_foreach_summary(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *text = NULL;
    (void)nlhs, (void)nrhs, (void)prhs;
    if (require_plan() != 0)
        return -1;
    scidb_status st = scidb_foreach_summary_text(plan, &text);
    return json_out(st, text, &plhs[0]);
}

/* foreach_next(max, n_inputs) -> struct array with index and inputs (a
 * cell, in the description's order); empty when nothing is left. */
int cmd_foreach_next(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    static const char *FIELDS[] = {"index", "inputs"};
    size_t max = 0, n_inputs = 0, n = 0;
    (void)nlhs, (void)nrhs;
    if (require_plan() != 0 || index_arg(prhs[0], &max) != 0 || index_arg(prhs[1], &n_inputs) != 0)
        return -1;
    if (max == 0)
        max = 1;
    size_t *items = mxCalloc(max, sizeof *items);
    int rc = check(scidb_foreach_next(current_database(), plan, max, items, &n), "for_each");
    if (rc == 0)
        plhs[0] = mxCreateStructMatrix(1, n, 2, FIELDS);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        mxArray *inputs = mxCreateCellMatrix(1, n_inputs);
        mxSetFieldByNumber(plhs[0], i, 0, mxCreateDoubleScalar((double)items[i]));
        mxSetFieldByNumber(plhs[0], i, 1, inputs);
        for (size_t k = 0; rc == 0 && k < n_inputs; k++) {
            scidb_value *v = NULL;
            mxArray *mx = NULL;
            rc = check(scidb_foreach_item_input(plan, items[i], k, &v), "for_each input");
            if (rc == 0)
                rc = from_value(v, &mx);
            scidb_value_free(&v);
            if (rc == 0)
                mxSetCell(inputs, k, mx);
        }
    }
    mxFree(items);
    return rc;
}

/* foreach_done(index, outputs_cell): hands back a combination's outputs. */
int cmd_foreach_done(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    size_t index = 0;
    (void)nlhs, (void)plhs, (void)nrhs;
    if (require_plan() != 0 || index_arg(prhs[0], &index) != 0)
        return -1;
    if (!mxIsCell(prhs[1]))
        return fail("scidb:invalidArgument", "for_each outputs must be a cell array");
    size_t n = mxGetNumberOfElements(prhs[1]);
    scidb_value **outputs = mxCalloc(n ? n : 1, sizeof *outputs);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "output %zu", i + 1);
        rc = to_value(mxGetCell(prhs[1], i), &outputs[i], what);
    }
    if (rc == 0)
        rc = check(scidb_foreach_item_done(current_database(), plan, index, outputs, n), "for_each");
    for (size_t i = 0; i < n; i++)
        scidb_value_free(&outputs[i]);
    mxFree(outputs);
    return rc;
}

/* foreach_failed(index, message): the function failed on a combination. */
int cmd_foreach_failed(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    size_t index = 0;
    char *message = NULL;
    (void)nlhs, (void)plhs, (void)nrhs;
    if (require_plan() != 0 || index_arg(prhs[0], &index) != 0 ||
        get_text(prhs[1], "the failure message", &message) != 0)
        return -1;
    int rc = check(scidb_foreach_item_failed(plan, index, message), "for_each");
    mxFree(message);
    return rc;
}

/* foreach_finish(): saves what is left and writes the run log. */
int cmd_foreach_finish(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_foreach_summary summary;
    (void)nlhs, (void)plhs, (void)nrhs, (void)prhs;
    if (require_plan() != 0)
        return -1;
    return check(scidb_foreach_finish(current_database(), plan, &summary), "for_each");
}

/* foreach_free(): drops the plan (an unfinished run writes no log). */
int cmd_foreach_free(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    (void)nlhs, (void)plhs, (void)nrhs, (void)prhs;
    foreach_release();
    return 0;
}

/* run_log(run_id) -> JSON text of a run's log (0: the latest run). */
/* jobs: the jobs of shared for_each runs, as JSON. */
int cmd_jobs(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    (void)nlhs, (void)nrhs, (void)prhs;
    if (require_database() != 0)
        return -1;
    scidb_status st = scidb_jobs_json(current_database(), &json);
    return json_out(st, json, &plhs[0]);
}

/* clear_jobs(status) -> how many jobs were deleted: those with the status
 * ('pending', 'reserved', 'done', 'failed'), or all when status is []. */
int cmd_clear_jobs(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *status = NULL;
    uint64_t deleted = 0;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0)
        return -1;
    if (!(mxIsDouble(prhs[0]) && mxIsEmpty(prhs[0])) && get_text(prhs[0], "a job status", &status) != 0)
        return -1;
    scidb_status st = scidb_clear_jobs(current_database(), status, &deleted);
    if (status)
        mxFree(status);
    if (check(st, "clear_jobs") != 0)
        return -1;
    plhs[0] = mxCreateDoubleScalar((double)deleted);
    return 0;
}

int cmd_run_log(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *json = NULL;
    (void)nlhs, (void)nrhs;
    if (require_database() != 0)
        return -1;
    double run_id = 0;
    if (whole_number(prhs[0], 0, 9007199254740992.0, "a run id", &run_id) != 0)
        return -1;
    scidb_status st = scidb_run_log_json(current_database(), (int64_t)run_id, &json);
    return json_out(st, json, &plhs[0]);
}
