//! Saving a value from a sequence of chunks and reading it back chunk by
//! chunk (see `crate::chunked` for the layout and the hash).
//!
//! A chunked value is a record like any other: versioned, found by its
//! metadata, shown in its variable's view (as a description). Its record
//! row holds the chunked header; the stored chunks are rows of 8-byte words
//! in `_scidb_words`, one row per word, under a stream id drawn when the
//! writer opens. DuckDB keeps such a column in compressed blocks it can
//! evict, so a value of any size streams through bounded memory (a large
//! blob, as whole values use, stays in memory until its transaction ends).
//!
//! The writer has its own connection and one transaction: words are
//! appended as chunks arrive, and `finish` inserts the record and commits
//! (or, when the same content is stored already, rolls the words back and
//! points the record at the stored stream). A writer dropped before
//! `finish` rolls everything back. While writers or readers are open,
//! DuckDB's memory limit is lowered to [`STREAMING_MEMORY_LIMIT`], so its
//! buffer pool does not keep what streams through.

use super::preview::{Preview, KIND_OTHER};
use super::{find, record_id, Batch, Database, Prepared};
use crate::chunked::{Chunk, ChunkRef, Header, Rechunker};
use crate::codec;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::metadata::{self, Metadata, Query};
use crate::value::{table_from_batch, Array, Value};
use arrow::array::{ArrayRef, AsArray, Int32Array, Int64Array, RecordBatch};
use duckdb::{params, Connection};
use std::sync::Arc;

/// Whole-value loads of chunked values up to this many stored bytes are
/// allowed; larger ones must be read chunk by chunk.
pub const WHOLE_LOAD_BYTES: u64 = 256 << 20;

/// DuckDB's memory limit while chunk writers or readers are open.
pub const STREAMING_MEMORY_LIMIT: &str = "64MB";

/// Holds DuckDB's memory limit at [`STREAMING_MEMORY_LIMIT`] while it
/// lives; the limit in force before is restored when the last one drops.
struct StreamingMemory(Arc<Database>);

impl StreamingMemory {
    fn new(db: &Arc<Database>) -> Result<Self> {
        let mut inner = db.lock();
        if inner.streaming_users == 0 {
            let before: String =
                inner
                    .conn
                    .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))?;
            inner
                .conn
                .execute_batch(&format!("SET memory_limit = '{STREAMING_MEMORY_LIMIT}'"))?;
            inner.memory_limit_before = Some(before);
        }
        inner.streaming_users += 1;
        Ok(StreamingMemory(Arc::clone(db)))
    }
}

impl Drop for StreamingMemory {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.streaming_users -= 1;
        if inner.streaming_users == 0 {
            if let Some(before) = inner.memory_limit_before.take() {
                // DuckDB printed the limit itself ("19.1 GiB"); it reads it back.
                let sql = format!("SET memory_limit = '{}'", before.replace('\'', ""));
                let _ = inner.conn.execute_batch(&sql);
            }
        }
    }
}

/// Saves one value from a sequence of chunks.
pub struct ChunkWriter {
    db: Arc<Database>,
    conn: Connection,
    variable: String,
    meta: Metadata,
    stream: u64,
    rechunker: Option<Rechunker>,
    chunk_bytes: Vec<u64>,
    open: bool,
    _memory: StreamingMemory,
}

impl Database {
    /// Starts saving a value of `variable` with metadata `meta` from
    /// chunks (see [`ChunkWriter`]).
    pub fn chunk_writer(self: &Arc<Self>, variable: &str, meta: &Metadata) -> Result<ChunkWriter> {
        metadata::validate_identifier("variable type", variable)?;
        for k in meta.keys() {
            metadata::validate_key(k)?;
        }
        let memory = StreamingMemory::new(self)?;
        let (conn, stream) = {
            let inner = self.lock();
            let stream: i64 =
                inner
                    .conn
                    .query_row("SELECT nextval('_scidb_stream_seq')", [], |r| r.get(0))?;
            (inner.conn.try_clone()?, stream as u64)
        };
        conn.execute_batch("BEGIN TRANSACTION")
            .context(format!("saving {variable} in chunks"))?;
        Ok(ChunkWriter {
            db: Arc::clone(self),
            conn,
            variable: variable.to_string(),
            meta: meta.clone(),
            stream,
            rechunker: None,
            chunk_bytes: Vec::new(),
            open: true,
            _memory: memory,
        })
    }

    /// Opens the one chunked record `query` selects (as `load` selects:
    /// the newest at one location) for reading chunk by chunk.
    pub fn chunk_reader(self: &Arc<Self>, variable: &str, query: &Query) -> Result<ChunkReader> {
        let info = {
            let inner = self.lock();
            self.require_variable(&inner, variable)?;
            let matches = find::matching(&inner.conn, &self.schema_keys, variable, query, true)?;
            if matches.is_empty() {
                return Err(self.no_match(variable, query));
            }
            let mut chosen = find::one_per_location(matches, &self.schema_keys)?;
            if chosen.len() > 1 {
                return Err(Error::new(
                    ErrorKind::Ambiguous,
                    format!(
                        "{} {variable} records match; reading chunks needs one (give every schema key)",
                        chosen.len()
                    ),
                ));
            }
            chosen.pop().ok_or_else(|| self.no_match(variable, query))?
        };
        ChunkReader::new(Arc::clone(self), info)
    }

    /// Opens chunked record `record_id` for reading chunk by chunk.
    pub fn chunk_reader_for_record(self: &Arc<Self>, record_id: &str) -> Result<ChunkReader> {
        let info = {
            let inner = self.lock();
            find::by_id(&inner.conn, &self.schema_keys, None, record_id, true)?
        };
        ChunkReader::new(Arc::clone(self), info)
    }
}

impl ChunkWriter {
    /// Adds the next chunk: an array (rows along its first axis) or a
    /// table. Every chunk must match the first one's dtype and trailing
    /// shape, or column names and types.
    pub fn add(&mut self, chunk: ChunkRef<'_>) -> Result<()> {
        if !self.open {
            return Err(Error::invalid("this chunk writer has already finished"));
        }
        let what = || format!("saving {} in chunks", self.variable);
        let rechunker = match &mut self.rechunker {
            Some(r) => r,
            slot @ None => slot.insert(Rechunker::new(chunk).map_err(|e| e.context(what()))?),
        };
        let (conn, stream, sizes) = (&self.conn, self.stream, &mut self.chunk_bytes);
        let mut store = |bytes: &[u8]| store_chunk(conn, stream, bytes, sizes);
        rechunker
            .push(chunk, &mut store)
            .map_err(|e| e.context(what()))
    }

    /// Stores the last rows, commits the value and its record, and returns
    /// the record id. Saving content and metadata that are already stored
    /// makes the existing record the newest version again, as `save` does.
    pub fn finish(mut self) -> Result<String> {
        let what = format!("saving {} in chunks", self.variable);
        let rechunker = self
            .rechunker
            .take()
            .ok_or_else(|| Error::invalid(format!("{what}: no chunk was added")))?;
        let layout = rechunker.layout().clone();
        let (conn, stream, sizes) = (&self.conn, self.stream, &mut self.chunk_bytes);
        let mut store = |bytes: &[u8]| store_chunk(conn, stream, bytes, sizes);
        let (total_rows, hash) = rechunker.finish(&mut store).context(&what)?;
        let header = Header {
            layout,
            total_rows,
            body_bytes: self.chunk_bytes.iter().sum(),
            stream: self.stream,
            chunk_bytes: std::mem::take(&mut self.chunk_bytes),
        };
        self.open = false;
        self.db
            .commit_chunked(&self.conn, &self.variable, &self.meta, &hash, header)
            .context(what)
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Words appended at a time: bounds the memory of the batches handed to
/// DuckDB's appender (its key columns repeat for every word).
const APPEND_WORDS: usize = 1 << 16;

/// Appends one stored chunk as 8-byte words (the last one zero-padded).
fn store_chunk(conn: &Connection, stream: u64, bytes: &[u8], sizes: &mut Vec<u64>) -> Result<()> {
    let chunk = i32::try_from(sizes.len())
        .map_err(|_| Error::invalid("a chunked value may have at most 2^31 chunks"))?;
    let mut appender = conn.appender("_scidb_words")?;
    for part in bytes.chunks(APPEND_WORDS * 8) {
        let words: Vec<i64> = part
            .chunks(8)
            .map(|w| {
                let mut word = [0u8; 8];
                word[..w.len()].copy_from_slice(w);
                i64::from_le_bytes(word)
            })
            .collect();
        let n = words.len();
        let batch = RecordBatch::try_from_iter([
            (
                "stream",
                Arc::new(Int64Array::from_value(stream as i64, n)) as ArrayRef,
            ),
            (
                "chunk",
                Arc::new(Int32Array::from_value(chunk, n)) as ArrayRef,
            ),
            ("w", Arc::new(Int64Array::from(words)) as ArrayRef),
        ])
        .map_err(|e| Error::invalid(format!("storing chunk {chunk}: {e}")))?;
        appender.append_record_batch(batch)?;
    }
    appender.flush()?;
    sizes.push(bytes.len() as u64);
    Ok(())
}

impl Database {
    /// Commits the words (or, when the same content is stored already,
    /// rolls them back and points the header at the stored stream), then
    /// saves the record as `save` does, with the header as its value.
    fn commit_chunked(
        &self,
        conn: &Connection,
        variable: &str,
        meta: &Metadata,
        hash: &str,
        mut header: Header,
    ) -> Result<String> {
        let mut inner = self.lock();
        if inner.stored_hashes.contains(hash) {
            conn.execute_batch("ROLLBACK")?;
            let blob: Vec<u8> = inner.conn.query_row(
                "SELECT value FROM _scidb_records WHERE content_hash = ? LIMIT 1",
                [hash],
                |r| r.get(0),
            )?;
            header.stream = Header::decode(&blob)?.stream;
        } else {
            in_transaction_end(conn, || {
                conn.execute(
                    "INSERT INTO _scidb_values VALUES (?, ?, ?)",
                    params![hash, header.body_bytes, header.n_chunks() as i64],
                )?;
                Ok(())
            })?;
            inner.stored_hashes.insert(hash.to_string());
        }
        let record_id = record_id(variable, &metadata::to_json_object(meta), hash);
        let prepared = Prepared {
            variable,
            record_id: record_id.clone(),
            hash: hash.to_string(),
            encoded: codec::Encoded::blob(header.encode()),
            preview: Preview {
                kind: KIND_OTHER,
                text: Some(format!(
                    "chunked {}",
                    header.layout.describe(header.total_rows)
                )),
            },
            meta: meta.clone(),
            variant: meta
                .iter()
                .filter(|(k, _)| !self.schema_keys.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            table: None,
        };
        let mut batch = Batch::default();
        self.plan_record(&inner, &mut batch, prepared)?;
        self.commit(&mut inner, batch, |_| Ok(()))?;
        Ok(record_id)
    }
}

/// Commits the transaction open on `conn` after `f`, or rolls it back when
/// `f` fails.
fn in_transaction_end(conn: &Connection, f: impl FnOnce() -> Result<()>) -> Result<()> {
    match f() {
        Ok(()) => conn.execute_batch("COMMIT").map_err(Error::from),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Reads a chunked value's chunks in order, one at a time.
pub struct ChunkReader {
    db: Arc<Database>,
    record_id: String,
    header: Header,
    next: usize,
    _memory: StreamingMemory,
}

impl ChunkReader {
    fn new(db: Arc<Database>, mut info: find::RecordInfo) -> Result<Self> {
        let blob = info
            .blob
            .take()
            .ok_or_else(|| Error::corrupt("a record was read without its value"))?;
        if !crate::chunked::is_chunked(&blob) {
            return Err(Error::type_mismatch(format!(
                "record {} was not saved in chunks; load it whole",
                info.record_id
            )));
        }
        Ok(ChunkReader {
            _memory: StreamingMemory::new(&db)?,
            db,
            header: Header::decode(&blob).context(format!("record {}", info.record_id))?,
            record_id: info.record_id,
            next: 0,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// The next chunk, or None after the last.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let i = self.next;
        if i >= self.header.n_chunks() {
            return Ok(None);
        }
        let bytes = {
            let inner = self.db.lock();
            read_chunk_bytes(&inner.conn, &self.header, i)
                .context(format!("record {} chunk {i}", self.record_id))?
        };
        let chunk = self.header.decode_chunk(i, bytes)?;
        self.next += 1;
        Ok(Some(chunk))
    }
}

/// The bytes of stored chunk `i`. Rows come back in the order they were
/// appended (DuckDB preserves insertion order for a filtered scan).
fn read_chunk_bytes(conn: &Connection, header: &Header, i: usize) -> Result<Vec<u8>> {
    let len = header.chunk_bytes[i];
    let mut out = Vec::new();
    out.try_reserve_exact(len.div_ceil(8) as usize * 8)
        .map_err(|_| Error::io(format!("cannot allocate {len} bytes for a chunk")))?;
    let mut stmt =
        conn.prepare_cached("SELECT w FROM _scidb_words WHERE stream = ? AND chunk = ?")?;
    for batch in stmt.query_arrow(params![header.stream as i64, i as i32])? {
        let words = batch
            .column(0)
            .as_primitive_opt::<arrow::datatypes::Int64Type>()
            .ok_or_else(|| Error::corrupt("stored words are not BIGINT"))?;
        for w in words.values() {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    if (out.len() as u64) < len || out.len() as u64 >= len + 8 {
        return Err(Error::corrupt(format!(
            "chunk {i} has {} stored bytes, not {len}",
            out.len()
        )));
    }
    out.truncate(len as usize);
    Ok(out)
}

/// A chunked value as one value, when it is small enough (see
/// [`WHOLE_LOAD_BYTES`]): the array with all rows, or the table with all
/// rows (tables with binary columns cannot be loaded whole).
pub(super) fn load_whole(conn: &Connection, record_id: &str, blob: &[u8]) -> Result<Value> {
    let header = Header::decode(blob)?;
    if header.body_bytes > WHOLE_LOAD_BYTES {
        return Err(Error::invalid(format!(
            "record {record_id} is a chunked {} of {} MiB; read it chunk by chunk \
             (load_chunks) rather than whole",
            header.layout.describe(header.total_rows),
            header.body_bytes >> 20
        )));
    }
    let mut chunks = Vec::with_capacity(header.n_chunks());
    for i in 0..header.n_chunks() {
        chunks.push(header.decode_chunk(i, read_chunk_bytes(conn, &header, i)?)?);
    }
    match &header.layout {
        crate::chunked::Layout::Array { dtype, inner } => {
            let mut data = Vec::with_capacity(header.body_bytes as usize);
            for c in &chunks {
                if let Chunk::Array(a) = c {
                    data.extend_from_slice(&a.data);
                }
            }
            let shape = std::iter::once(header.total_rows)
                .chain(inner.iter().copied())
                .collect();
            Ok(Value::Array(Array::new(*dtype, shape, data, false)?))
        }
        crate::chunked::Layout::Table { .. } => {
            let batches: Vec<_> = chunks
                .into_iter()
                .filter_map(|c| match c {
                    Chunk::Table(b) => Some(b),
                    Chunk::Array(_) => None,
                })
                .collect();
            let all = arrow::compute::concat_batches(&header.layout.schema(), &batches)
                .map_err(|e| Error::corrupt(format!("joining chunks: {e}")))?;
            Ok(Value::Table(table_from_batch(&all).map_err(|e| {
                e.context(format!(
                    "record {record_id} cannot be loaded whole; read its chunks"
                ))
            })?))
        }
    }
}
