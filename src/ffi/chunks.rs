//! Chunked values for C callers: save a value from a sequence of chunks,
//! read it back one chunk at a time, never holding it whole. Array chunks
//! cross as values; table chunks as values or as Arrow C Data Interface
//! struct arrays (the only way for binary columns).

use super::arrow::{check_arrow_out, export_batch, import_batch};
use super::value::into_handle;
use super::*;
use crate::chunked::{Chunk, ChunkRef, Layout};
use crate::metadata::{self, Selection};
use crate::store::{ChunkReader, ChunkWriter};
use crate::value::{Table, Value};

/// A value being saved from chunks; see `scidb_chunk_writer_open`.
pub struct scidb_chunk_writer(Option<ChunkWriter>);

/// A chunked value being read; see `scidb_chunk_reader_open`.
pub struct scidb_chunk_reader(ChunkReader);

/// Starts saving a value of variable type `variable` with metadata
/// `metadata_json` (as `scidb_save`) from a sequence of chunks, added with
/// `scidb_chunk_writer_add` or `scidb_chunk_writer_add_arrow` and committed
/// by `scidb_chunk_writer_finish`. Nothing is visible to other calls until
/// then; freeing an unfinished writer discards it. Stored chunks hold about
/// one million cells whatever size the added chunks have. The writer keeps
/// the database open until it is freed. Free with `scidb_chunk_writer_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_writer_open(
    db: *const scidb_db,
    variable: *const c_char,
    metadata_json: *const c_char,
    out_writer: *mut *mut scidb_chunk_writer,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_str(variable, "variable")?;
        let meta = metadata::parse_metadata(arg_str(metadata_json, "metadata_json")?)?;
        let out = arg_out(out_writer, "out_writer")?;
        let writer = db.0.chunk_writer(variable, &meta)?;
        *out = Box::into_raw(Box::new(scidb_chunk_writer(Some(writer))));
        Ok(())
    })
}

fn open_writer(w: &mut scidb_chunk_writer) -> Result<&mut ChunkWriter> {
    w.0.as_mut()
        .ok_or_else(|| Error::invalid("this chunk writer has already finished"))
}

/// Adds the next chunk: an array value (its rows along the first axis;
/// every chunk has the first one's dtype and trailing shape) or a table
/// value (the first one's column names and types). The value stays the
/// caller's.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_writer_add(
    writer: *mut scidb_chunk_writer,
    chunk: *const scidb_value,
) -> scidb_status {
    guard(|| {
        let writer = open_writer(arg_out(writer, "writer")?)?;
        match &arg_ref(chunk, "chunk")?.0 {
            Value::Array(a) => writer.add(ChunkRef::Array(a)),
            Value::Table(t) => writer.add(ChunkRef::Table(t.batch())),
            other => Err(Error::type_mismatch(format!(
                "a chunk is an array or a table, not a {}",
                other.kind_name()
            ))),
        }
    })
}

/// Adds the next chunk of a table as an Arrow struct array (one child per
/// column: numbers, bool, utf8 or binary). `schema` and `array` are moved
/// in and released by scidb, also on failure.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_writer_add_arrow(
    writer: *mut scidb_chunk_writer,
    schema: *mut ArrowSchema,
    array: *mut ArrowArray,
) -> scidb_status {
    guard(|| {
        let batch = import_batch(schema, array)?;
        let writer = open_writer(arg_out(writer, "writer")?)?;
        writer.add(ChunkRef::Table(&batch))
    })
}

/// Commits the value and its record and writes the record id (and a NUL)
/// into `out_record_id`, which must hold `SCIDB_RECORD_ID_SIZE` bytes.
/// The writer is spent either way; free it with `scidb_chunk_writer_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_writer_finish(
    writer: *mut scidb_chunk_writer,
    out_record_id: *mut c_char,
) -> scidb_status {
    guard(|| {
        let writer = arg_out(writer, "writer")?;
        if out_record_id.is_null() {
            return Err(null_arg("out_record_id"));
        }
        let w = writer
            .0
            .take()
            .ok_or_else(|| Error::invalid("this chunk writer has already finished"))?;
        let id = w.finish()?;
        write_fixed(&id, out_record_id, SCIDB_RECORD_ID_SIZE, "out_record_id")
    })
}

/// Frees a writer (discarding its chunks unless it finished) and sets
/// `*writer` to NULL.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_writer_free(writer: *mut *mut scidb_chunk_writer) {
    free_handle(writer)
}

/// Opens the chunked record of `variable` that `query_json` selects (as
/// `scidb_load` selects: the newest at one location, or `{"version": id}`;
/// NULL matches all) for
/// reading chunk by chunk. Fails with `SCIDB_AMBIGUOUS` when it selects
/// several and `SCIDB_TYPE_MISMATCH` when the record was saved whole. The
/// reader keeps the database open until it is freed. Free with
/// `scidb_chunk_reader_free`.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_reader_open(
    db: *const scidb_db,
    variable: *const c_char,
    query_json: *const c_char,
    out_reader: *mut *mut scidb_chunk_reader,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_str(variable, "variable")?;
        let selection = arg_selection(query_json, "query_json")?;
        let out = arg_out(out_reader, "out_reader")?;
        let reader = match selection {
            Selection::Matching(query) => db.0.chunk_reader(variable, &query)?,
            Selection::Record(id) => db.0.chunk_reader_for_record(Some(variable), &id)?,
        };
        *out = Box::into_raw(Box::new(scidb_chunk_reader(reader)));
        Ok(())
    })
}

/// Opens chunked record `record_id` for reading chunk by chunk. When
/// `variable` is not NULL the record must be of that variable type (else
/// `SCIDB_NOT_FOUND`), as in `scidb_load_record`.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_reader_open_record(
    db: *const scidb_db,
    variable: *const c_char,
    record_id: *const c_char,
    out_reader: *mut *mut scidb_chunk_reader,
) -> scidb_status {
    guard(|| {
        let db = arg_ref(db, "db")?;
        let variable = arg_opt_str(variable, "variable")?;
        let record_id = arg_str(record_id, "record_id")?;
        let out = arg_out(out_reader, "out_reader")?;
        let reader = db.0.chunk_reader_for_record(variable, record_id)?;
        *out = Box::into_raw(Box::new(scidb_chunk_reader(reader)));
        Ok(())
    })
}

/// What a chunked value holds: `*out_kind` is `SCIDB_KIND_ARRAY` or
/// `SCIDB_KIND_TABLE`, `*out_chunks` the number of chunks and `*out_rows`
/// the rows of all chunks together (the first dimension of an array).
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_reader_info(
    reader: *const scidb_chunk_reader,
    out_kind: *mut u32,
    out_chunks: *mut u64,
    out_rows: *mut u64,
) -> scidb_status {
    guard(|| {
        let header = arg_ref(reader, "reader")?.0.header();
        *arg_out(out_kind, "out_kind")? = match header.layout {
            Layout::Array { .. } => SCIDB_KIND_ARRAY,
            Layout::Table { .. } => SCIDB_KIND_TABLE,
        };
        *arg_out(out_chunks, "out_chunks")? = header.n_chunks() as u64;
        *arg_out(out_rows, "out_rows")? = header.total_rows;
        Ok(())
    })
}

/// Reads the next chunk as a new value (an array, or a table without
/// binary columns; use `scidb_chunk_reader_next_arrow` for those) into
/// `*out_chunk`, the caller's to free; NULL after the last chunk.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_reader_next(
    reader: *mut scidb_chunk_reader,
    out_chunk: *mut *mut scidb_value,
) -> scidb_status {
    guard(|| {
        let reader = arg_out(reader, "reader")?;
        let out = arg_out(out_chunk, "out_chunk")?;
        *out = std::ptr::null_mut();
        let value = match reader.0.next_chunk()? {
            None => return Ok(()),
            Some(Chunk::Array(a)) => Value::Array(a),
            Some(Chunk::Table(b)) => Value::Table(Table::new(b)?),
        };
        into_handle(value, out)
    })
}

/// Reads the next chunk of a chunked table into `out_schema` /
/// `out_array` (a struct array, the caller's to release) and sets
/// `*out_has_chunk` to 1; after the last chunk sets it to 0 and leaves the
/// structs untouched. Array chunks are read with `scidb_chunk_reader_next`.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_reader_next_arrow(
    reader: *mut scidb_chunk_reader,
    out_schema: *mut ArrowSchema,
    out_array: *mut ArrowArray,
    out_has_chunk: *mut i32,
) -> scidb_status {
    guard(|| {
        let reader = arg_out(reader, "reader")?;
        check_arrow_out(out_schema, out_array)?;
        let has = arg_out(out_has_chunk, "out_has_chunk")?;
        *has = 0;
        if let Layout::Array { .. } = reader.0.header().layout {
            return Err(Error::type_mismatch(
                "this chunked value is an array; read its chunks with scidb_chunk_reader_next",
            ));
        }
        if let Some(Chunk::Table(batch)) = reader.0.next_chunk()? {
            export_batch(batch, out_schema, out_array)?;
            *has = 1;
        }
        Ok(())
    })
}

/// Frees a reader and sets `*reader` to NULL.
#[no_mangle]
pub unsafe extern "C" fn scidb_chunk_reader_free(reader: *mut *mut scidb_chunk_reader) {
    free_handle(reader)
}
