//! The stream protocol for C callers: a child of SciDB's `stream()` reads
//! chunks and writes answers with these calls, or hands a callback to
//! `scidb_stream_map`. Chunks and answers cross as Arrow C Data Interface
//! struct arrays (one child per column), or as table values for callers
//! that already read and build tables column by column.

use super::arrow::{check_arrow_out, export_batch, import_batch};
use super::value::into_handle;
use super::*;
use crate::stream::{Format, Options, Stream};
use crate::value::{Table, Value};
use std::ffi::c_void;

/// One stream exchange on a pair of file descriptors.
pub struct scidb_stream(Stream);

/// `format` of `scidb_stream_open`: Arrow IPC messages (the plugin's
/// `format:'feather'`).
pub const SCIDB_STREAM_ARROW: u32 = 0;
/// `format` of `scidb_stream_open`: tab-separated text (the plugin's default).
pub const SCIDB_STREAM_TSV: u32 = 1;

/// Flag of `scidb_stream_open`: send NaN cells of float answer columns as
/// nulls (pandas' and MATLAB's notion of missing, as scidb-strm does).
pub const SCIDB_STREAM_NAN_IS_NULL: u32 = 1;
/// Flag of `scidb_stream_open`: deliver chunks with SciDB's own column
/// types, without the null promotion of docs/stream.md (integers holding
/// nulls otherwise arrive as double with NaN).
pub const SCIDB_STREAM_KEEP_NULL_TYPES: u32 = 2;

/// A map callback of `scidb_stream_map`. It receives chunk `chunk_schema` /
/// `chunk_array`, lent for the call: scidb releases them afterwards unless
/// the callback moved them out (copied the structs and set their `release`
/// to NULL, as the Arrow C Data Interface describes). To answer with data
/// it fills `reply_schema` / `reply_array` (moved to scidb); leaving
/// `reply_array->release` NULL sends an empty answer. Any status other
/// than `SCIDB_OK` stops the exchange with an error.
pub type scidb_stream_map_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        chunk_schema: *mut ArrowSchema,
        chunk_array: *mut ArrowArray,
        reply_schema: *mut ArrowSchema,
        reply_array: *mut ArrowArray,
    ) -> scidb_status,
>;

/// A finalize callback of `scidb_stream_map`: called once after the last
/// chunk; fills `reply_schema` / `reply_array` for the final answer or
/// leaves `reply_array->release` NULL for an empty one.
pub type scidb_stream_finalize_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        reply_schema: *mut ArrowSchema,
        reply_array: *mut ArrowArray,
    ) -> scidb_status,
>;

/// Opens a stream exchange reading SciDB's messages from `in_fd` and
/// writing answers to `out_fd` (0 and 1 for a child of SciDB; stdout must
/// carry nothing else, so log to stderr). The descriptors stay the
/// caller's and must stay open while the stream lives; read nothing else
/// from `in_fd` meanwhile (the stream buffers it). `format` is
/// `SCIDB_STREAM_ARROW` or `SCIDB_STREAM_TSV`; `flags` is 0 or a sum of
/// `SCIDB_STREAM_*` flags. Free with `scidb_stream_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_open(
    in_fd: i32,
    out_fd: i32,
    format: u32,
    flags: u32,
    out_stream: *mut *mut scidb_stream,
) -> scidb_status {
    guard(|| {
        let out = arg_out(out_stream, "out_stream")?;
        let format = match format {
            SCIDB_STREAM_ARROW => Format::Arrow,
            SCIDB_STREAM_TSV => Format::Tsv,
            other => {
                return Err(Error::invalid(format!(
                    "unknown stream format {other}; use SCIDB_STREAM_ARROW or SCIDB_STREAM_TSV"
                )))
            }
        };
        let known = SCIDB_STREAM_NAN_IS_NULL | SCIDB_STREAM_KEEP_NULL_TYPES;
        if flags & !known != 0 {
            return Err(Error::invalid(format!("unknown stream flags {flags:#x}")));
        }
        if in_fd < 0 || out_fd < 0 {
            return Err(Error::invalid(format!(
                "file descriptors must be open (got {in_fd} and {out_fd})"
            )));
        }
        let options = Options {
            nan_as_null: flags & SCIDB_STREAM_NAN_IS_NULL != 0,
            keep_null_types: flags & SCIDB_STREAM_KEEP_NULL_TYPES != 0,
        };
        let stream = Stream::from_fds(format, options, in_fd, out_fd);
        *out = Box::into_raw(Box::new(scidb_stream(stream)));
        Ok(())
    })
}

/// Frees a stream (the descriptors stay open) and sets `*stream` to NULL.
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_free(stream: *mut *mut scidb_stream) {
    free_handle(stream)
}

/// Reads the next chunk. With a chunk, sets `*out_has_chunk` to 1 and
/// moves it into `out_schema` / `out_array` (a struct array; the caller
/// releases both). When SciDB has ended the stream, sets `*out_has_chunk`
/// to 0 and leaves the structs untouched; one final answer is then due.
/// Truncated or malformed input fails with `SCIDB_PROTOCOL` and a message
/// naming what was expected; so does reading again before answering.
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_read(
    stream: *mut scidb_stream,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
    out_has_chunk: *mut i32,
) -> scidb_status {
    guard(|| {
        let stream = arg_out(stream, "stream")?;
        check_arrow_out(out_schema, out_array)?;
        let has = arg_out(out_has_chunk, "out_has_chunk")?;
        *has = 0;
        if let Some(chunk) = stream.0.read()? {
            export_batch(chunk, out_schema, out_array)?;
            *has = 1;
        }
        Ok(())
    })
}

/// Answers the last chunk read, or, after the end, sends the final answer.
/// `schema` and `array` (a struct array, one child per column) are moved
/// in and released by scidb, also on failure; both NULL send an empty
/// answer. Columns must be int64, double, string or binary (narrower
/// integers and float are widened).
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_write(
    stream: *mut scidb_stream,
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
) -> scidb_status {
    guard(|| {
        let reply = if schema.is_null() && array.is_null() {
            None
        } else {
            Some(import_batch(schema, array)?)
        };
        let stream = arg_out(stream, "stream")?;
        stream.0.write(reply.as_ref())
    })
}

/// Runs the whole exchange: `map_fn` answers every chunk, then
/// `finalize_fn` (may be NULL, for an empty final answer) produces the
/// final answer. `user_data` is passed to both. Returns when SciDB's end
/// marker has been answered, or with the first error (a callback's status
/// other than `SCIDB_OK` included). `*out_chunks` (may be NULL) receives
/// the number of chunks mapped.
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_map(
    stream: *mut scidb_stream,
    map_fn: scidb_stream_map_fn,
    finalize_fn: scidb_stream_finalize_fn,
    user_data: *mut c_void,
    out_chunks: *mut u64,
) -> scidb_status {
    guard(|| {
        let stream = arg_out(stream, "stream")?;
        let map_fn = map_fn.ok_or_else(|| null_arg("map_fn"))?;
        let map = |chunk| {
            let mut chunk_schema = ArrowSchema::empty();
            let mut chunk_array = ArrowArray::empty();
            export_batch(chunk, &mut chunk_schema, &mut chunk_array)?;
            let mut reply_schema = ArrowSchema::empty();
            let mut reply_array = ArrowArray::empty();
            let status = map_fn(
                user_data,
                &mut chunk_schema,
                &mut chunk_array,
                &mut reply_schema,
                &mut reply_array,
            );
            // Dropping the chunk structs releases whatever was not moved out.
            drop((chunk_schema, chunk_array));
            callback_reply(status, "map", reply_schema, reply_array)
        };
        let finalize = finalize_fn.map(|f| {
            move || {
                let mut reply_schema = ArrowSchema::empty();
                let mut reply_array = ArrowArray::empty();
                let status = f(user_data, &mut reply_schema, &mut reply_array);
                callback_reply(status, "finalize", reply_schema, reply_array)
            }
        });
        let n = stream.0.map(map, finalize)?;
        if let Some(out) = out_chunks.as_mut() {
            *out = n;
        }
        Ok(())
    })
}

/// The answer a callback left in its reply structs.
unsafe fn callback_reply(
    status: scidb_status,
    which: &str,
    mut schema: ArrowSchema,
    mut array: ArrowArray,
) -> Result<Option<::arrow::array::RecordBatch>> {
    if status != SCIDB_OK {
        // The callback's own failure, with its kind (a protocol error stays one).
        return Err(Error::new(
            kind_of(status),
            format!(
                "the {which} callback returned {}",
                CStr::from_ptr(scidb_status_name(status)).to_string_lossy()
            ),
        ));
    }
    if array.is_released() {
        return Ok(None);
    }
    import_batch(&mut schema, &mut array).map(Some)
}

/// Reads the next chunk as a new table value into `*out_table` (the
/// caller's to free), for callers that read columns with
/// `scidb_value_table_column` (a MATLAB gateway); NULL when SciDB has ended
/// the stream. Null cells are missing cells of the table (the promoted
/// double columns also hold NaN there); binary columns are binary columns
/// of the table.
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_read_value(
    stream: *mut scidb_stream,
    out_table: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let stream = arg_out(stream, "stream")?;
        let out = arg_out(out_table, "out_table")?;
        *out = std::ptr::null_mut();
        match stream.0.read()? {
            Some(chunk) => into_handle(Value::Table(Table::new(chunk)?), out),
            None => Ok(()),
        }
    })
}

/// Answers the last chunk read (or, after the end, sends the final answer)
/// with a table value, which stays the caller's; NULL sends an empty
/// answer. Columns must be numbers (sent as int64 or double) or text.
#[no_mangle]
pub unsafe extern "C" fn scidb_stream_write_value(
    stream: *mut scidb_stream,
    table: *const scidb_value,
) -> scidb_status {
    guard(|| {
        let stream = arg_out(stream, "stream")?;
        let reply = match table.as_ref().map(|v| &v.0) {
            None => None,
            Some(Value::Table(t)) => Some(t.batch().clone()),
            Some(other) => {
                return Err(Error::type_mismatch(format!(
                    "a stream answer is a table, not a {}",
                    other.kind_name()
                )))
            }
        };
        stream.0.write(reply.as_ref())
    })
}
