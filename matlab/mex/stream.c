/* SciDB stream() child commands of the gateway, used by +scidb/+stream:
 * the process Octave or MATLAB runs as SciDB's stream command reads chunks
 * on stdin and answers on stdout (descriptors 0 and 1) through the core's
 * protocol code. One stream is open at a time, held here between calls. */
#include <string.h>

#include "gateway.h"

static scidb_stream *stream = NULL;

void stream_release(void)
{
    scidb_stream_free(&stream);
}

/* stream_open(format): 'arrow' (the plugin's format:'feather') or 'tsv'.
 * Float NaN cells of answers travel as nulls, as in scidb-strm. */
int cmd_stream_open(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    char *format = NULL;
    uint32_t code;
    (void)nlhs, (void)plhs, (void)nrhs;
    if (get_text(prhs[0], "the stream format", &format) != 0)
        return -1;
    if (strcmp(format, "arrow") == 0 || strcmp(format, "feather") == 0) {
        code = SCIDB_STREAM_ARROW;
    } else if (strcmp(format, "tsv") == 0) {
        code = SCIDB_STREAM_TSV;
    } else {
        fail("scidb:invalidArgument", "unknown stream format '%s' (arrow or tsv)", format);
        mxFree(format);
        return -1;
    }
    mxFree(format);
    stream_release();
    return check(scidb_stream_open(0, 1, code, SCIDB_STREAM_NAN_IS_NULL, &stream), "stream");
}

static int require_stream(void)
{
    if (stream == NULL)
        return fail("scidb:invalidArgument", "no stream is open: call scidb.stream.read first");
    return 0;
}

/* stream_read() -> the next chunk (a table, or a struct of columns on
 * Octave), or [] when SciDB has ended the stream. */
int cmd_stream_read(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_value *chunk = NULL;
    (void)nlhs, (void)nrhs, (void)prhs;
    if (require_stream() != 0 || check(scidb_stream_read_value(stream, &chunk), "stream") != 0)
        return -1;
    return take_chunk(&chunk, &plhs[0]);
}

/* stream_write(columns): answers the last chunk (or sends the final
 * answer) with a table or a struct of equal-length columns; [] sends an
 * empty answer. */
int cmd_stream_write(int nlhs, mxArray *plhs[], int nrhs, const mxArray *prhs[])
{
    scidb_value *reply = NULL;
    (void)nlhs, (void)plhs, (void)nrhs;
    if (require_stream() != 0)
        return -1;
    const mxArray *a = prhs[0];
    int rc = 0;
    if (mxIsStruct(a))
        rc = columns_to_value(a, &reply, "stream answer");
    else if (!mxIsEmpty(a))
        rc = to_value(a, &reply, "stream answer");
    if (rc == 0)
        rc = check(scidb_stream_write_value(stream, reply), "stream");
    scidb_value_free(&reply);
    return rc;
}
