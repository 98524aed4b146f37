//! Saving a value from a sequence of chunks and reading it back chunk by
//! chunk (see `crate::chunked` for the layout and the hash).
//!
//! A chunked value is a record like any other: versioned, found by its
//! metadata, shown in its variable's view (as a description). Its record
//! row holds the chunked header; the stored chunks stream straight into
//! one payload file as they arrive (an array's rows into `<hash>.npy`, a
//! table's batches into `<hash>.arrow`), so memory stays bounded by a
//! stored chunk whatever the value's size, and nothing is asked of the
//! catalog's connection until `finish` commits the record. A writer
//! dropped before `finish` removes its temporary file.
//!
//! Layout 1 stored chunks as rows of 8-byte words in `_scidb_words`; those
//! are still read.

use super::payload::{read_exact_at, Format, PayloadStore, TempFile};
use super::preview::{Preview, KIND_OTHER};
use super::sql::Conn;
use super::tables::{BatchFile, BatchReader};
use super::{find, npy, record_id, Batch, Database, Inner, Prepared};
use crate::chunked::{Chunk, ChunkRef, Header, Layout, Rechunker, Stored, IN_PAYLOAD_FILE};
use crate::codec;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::hash::ChunkedHasher;
use crate::metadata::{self, Metadata, Query};
use crate::value::{Array, Table, Value};
use arrow::array::{AsArray, RecordBatch};
use std::fs::File;
use std::sync::Arc;

/// Whole-value loads of chunked values up to this many stored bytes are
/// allowed; larger ones must be read chunk by chunk.
pub const WHOLE_LOAD_BYTES: u64 = 256 << 20;

/// Saves one value from a sequence of chunks.
pub struct ChunkWriter {
    db: Arc<Database>,
    variable: String,
    meta: Metadata,
    rechunker: Option<Rechunker>,
    sink: Option<Sink>,
    chunk_bytes: Vec<u64>,
}

/// Where stored chunks go: an array's `.npy` file (its header rewritten
/// once the row count is known) or a table's Arrow file.
enum Sink {
    Array { temp: TempFile, header_len: usize },
    Table(Box<BatchFile>),
}

impl Sink {
    fn new(store: &Arc<PayloadStore>, layout: &Layout) -> Result<Sink> {
        Ok(match layout {
            Layout::Array { dtype, inner } => {
                let header_len = npy::growable_header_len(*dtype, inner);
                let mut temp = store.temp()?;
                // Rewritten by `finish`; a crash leaves only a temporary file.
                temp.write_all(&vec![0u8; header_len])?;
                Sink::Array { temp, header_len }
            }
            Layout::Table { .. } => Sink::Table(Box::new(BatchFile::new(store, &layout.schema())?)),
        })
    }

    /// Writes one stored chunk; returns the bytes it took.
    fn store(&mut self, chunk: Stored<'_>) -> Result<u64> {
        match (self, chunk) {
            (Sink::Array { temp, .. }, Stored::Bytes(b)) => {
                temp.write_all(b)?;
                Ok(b.len() as u64)
            }
            (Sink::Table(file), Stored::Batch(b)) => file.write(b),
            _ => Err(Error::invalid("a chunk does not match its value's kind")),
        }
    }

    /// The file, complete: the array's header holds its final shape.
    fn finish(self, header: &Header) -> Result<(TempFile, Format)> {
        match self {
            Sink::Array {
                mut temp,
                header_len,
            } => {
                let Layout::Array { dtype, .. } = &header.layout else {
                    return Err(Error::invalid("a chunk does not match its value's kind"));
                };
                temp.write_at(0, &npy::header(*dtype, &header.shape(), Some(header_len)))?;
                Ok((temp, Format::Npy))
            }
            Sink::Table(file) => Ok((file.finish()?, Format::Arrow)),
        }
    }
}

/// The payload format of a chunked value's layout.
fn format_of(layout: &Layout) -> Format {
    match layout {
        Layout::Array { .. } => Format::Npy,
        Layout::Table { .. } => Format::Arrow,
    }
}

impl Database {
    /// Starts saving a value of `variable` with metadata `meta` from
    /// chunks (see [`ChunkWriter`]).
    pub fn chunk_writer(self: &Arc<Self>, variable: &str, meta: &Metadata) -> Result<ChunkWriter> {
        metadata::validate_identifier("variable type", variable)?;
        for k in meta.keys() {
            metadata::validate_key(k)?;
        }
        Ok(ChunkWriter {
            db: Arc::clone(self),
            variable: variable.to_string(),
            meta: meta.clone(),
            rechunker: None,
            sink: None,
            chunk_bytes: Vec::new(),
        })
    }

    /// Opens the one chunked record `query` selects (as `load` selects:
    /// the newest at one location) for reading chunk by chunk.
    pub fn chunk_reader(self: &Arc<Self>, variable: &str, query: &Query) -> Result<ChunkReader> {
        let info = {
            let inner = self.fresh()?;
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

    /// Opens chunked record `record_id` for reading chunk by chunk; when
    /// `variable` is given the record must be of that variable type.
    pub fn chunk_reader_for_record(
        self: &Arc<Self>,
        variable: Option<&str>,
        record_id: &str,
    ) -> Result<ChunkReader> {
        let info = {
            let inner = self.fresh()?;
            find::by_id(&inner.conn, &self.schema_keys, variable, record_id, true)?
        };
        ChunkReader::new(Arc::clone(self), info)
    }
}

impl ChunkWriter {
    /// Adds the next chunk: an array (rows along its first axis) or a
    /// table. Every chunk must match the first one's dtype and trailing
    /// shape, or column names and types.
    pub fn add(&mut self, chunk: ChunkRef<'_>) -> Result<()> {
        let what = || format!("saving {} in chunks", self.variable);
        let rechunker = match &mut self.rechunker {
            Some(r) => r,
            slot @ None => slot.insert(Rechunker::new(chunk).map_err(|e| e.context(what()))?),
        };
        let sink = match &mut self.sink {
            Some(s) => s,
            slot @ None => slot.insert(
                Sink::new(&self.db.payloads, rechunker.layout()).map_err(|e| e.context(what()))?,
            ),
        };
        let sizes = &mut self.chunk_bytes;
        let mut store = |c: Stored<'_>| sink.store(c).map(|n| sizes.push(n));
        rechunker
            .push(chunk, &mut store)
            .map_err(|e| e.context(what()))
    }

    /// Stores the last rows, commits the value and its record, and returns
    /// the record id. Saving content and metadata that are already stored
    /// makes the existing record the newest version again, as `save` does.
    pub fn finish(mut self) -> Result<String> {
        let what = format!("saving {} in chunks", self.variable);
        let (Some(rechunker), Some(mut sink)) = (self.rechunker.take(), self.sink.take()) else {
            return Err(Error::invalid(format!("{what}: no chunk was added")));
        };
        let layout = rechunker.layout().clone();
        let sizes = &mut self.chunk_bytes;
        let mut store = |c: Stored<'_>| sink.store(c).map(|n| sizes.push(n));
        let (total_rows, hash) = rechunker.finish(&mut store).context(&what)?;
        let header = Header {
            layout,
            total_rows,
            body_bytes: self.chunk_bytes.iter().sum(),
            stream: IN_PAYLOAD_FILE,
            chunk_bytes: std::mem::take(&mut self.chunk_bytes),
        };
        let (file, format) = sink.finish(&header).context(&what)?;
        self.db
            .commit_chunked(&self.variable, &self.meta, &hash, header, file, format)
            .context(what)
    }
}

impl Database {
    /// Puts the payload file in place (unless the same content is there
    /// already), then saves the record as `save` does, with the header as
    /// its value. The catalog is held from the rename to the commit, so
    /// `gc` cannot take the file in between.
    fn commit_chunked(
        &self,
        variable: &str,
        meta: &Metadata,
        hash: &str,
        header: Header,
        mut file: TempFile,
        format: Format,
    ) -> Result<String> {
        let written = file.written()?;
        self.writing(|inner| {
            self.commit_chunked_in(inner, variable, meta, hash, header, file, written, format)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn commit_chunked_in(
        &self,
        inner: &mut Inner,
        variable: &str,
        meta: &Metadata,
        hash: &str,
        header: Header,
        file: TempFile,
        written: u64,
        format: Format,
    ) -> Result<String> {
        if !self.payloads.holds(hash, format, Some(written)) {
            file.commit(hash, format)?;
        }
        let record_id = record_id(variable, &metadata::to_json_object(meta), hash);
        let prepared = Prepared {
            variable,
            record_id: record_id.clone(),
            hash: hash.to_string(),
            encoded: codec::Encoded::blob(header.encode()),
            payload: None,
            staged: None,
            preview: Preview {
                kind: KIND_OTHER,
                text: Some(format!(
                    "chunked {}",
                    header.layout.describe(header.total_rows)
                )),
            },
            meta: meta.clone(),
            variant: self.variant_of(meta),
            table: None,
        };
        let mut batch = Batch::default();
        self.plan_record(inner, &mut batch, prepared)?;
        self.commit(inner, batch, |_| Ok(()))?;
        Ok(record_id)
    }
}

/// Reads a chunked value's chunks in order, one at a time, and checks the
/// content hash when the last one is read.
pub struct ChunkReader {
    db: Arc<Database>,
    record_id: String,
    content_hash: String,
    header: Header,
    source: Source,
    hasher: Option<ChunkedHasher>,
    next: usize,
    offset: u64,
}

/// Where a chunked value's chunks are read from.
enum Source {
    Npy(File),
    Arrow(Box<BatchReader>),
    /// Layout 1: `_scidb_words`, through the catalog.
    Words,
}

impl Source {
    /// Opens a value's payload file, checking an array's `.npy` header.
    fn open(store: &PayloadStore, hash: &str, header: &Header) -> Result<(Source, u64)> {
        if header.stream != IN_PAYLOAD_FILE {
            return Ok((Source::Words, 0));
        }
        let mut file = store.open_file(hash, format_of(&header.layout))?;
        match &header.layout {
            Layout::Array { dtype, inner } => {
                let len = npy::growable_header_len(*dtype, inner);
                let expected = npy::header(*dtype, &header.shape(), Some(len));
                if read_exact_at(&mut file, 0, len as u64)? != expected {
                    return Err(Error::corrupt(format!(
                        "the payload file of value {hash} does not hold its array"
                    )));
                }
                Ok((Source::Npy(file), len as u64))
            }
            Layout::Table { .. } => {
                let reader = BatchReader::open(file)?;
                if reader.batches() != header.n_chunks() {
                    return Err(Error::corrupt(format!(
                        "the payload file of value {hash} holds {} of {} chunks",
                        reader.batches(),
                        header.n_chunks()
                    )));
                }
                Ok((Source::Arrow(Box::new(reader)), 0))
            }
        }
    }
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
        let what = || format!("record {}", info.record_id);
        let header = Header::decode(&blob).context(what())?;
        let (source, offset) =
            Source::open(&db.payloads, &info.content_hash, &header).context(what())?;
        Ok(ChunkReader {
            db,
            hasher: Some(ChunkedHasher::new(&header.layout)),
            header,
            source,
            record_id: info.record_id,
            content_hash: info.content_hash,
            next: 0,
            offset,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// The next chunk, or None after the last. The last chunk is returned
    /// only when the whole value's content hash is the stored one; a
    /// mismatch is a `Corrupt` error naming the record.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let i = self.next;
        if i >= self.header.n_chunks() {
            return Ok(None);
        }
        let what = || format!("record {} chunk {i}", self.record_id);
        let len = self.header.chunk_bytes[i];
        let chunk = match &mut self.source {
            Source::Npy(file) => {
                let bytes = read_exact_at(file, self.offset, len).context(what())?;
                self.header.decode_chunk(i, bytes)?
            }
            Source::Arrow(reader) => {
                let batch = reader.batch(i).context(what())?;
                self.header.table_chunk(i, batch)?
            }
            Source::Words => {
                let inner = self.db.lock();
                let bytes = read_words(&inner.conn, &self.header, i).context(what())?;
                self.header.decode_chunk(i, bytes)?
            }
        };
        self.offset += len;
        self.next += 1;
        if let Some(h) = &mut self.hasher {
            feed(h, &chunk);
        }
        if self.next == self.header.n_chunks() {
            if let Some(h) = self.hasher.take() {
                check_hash(h, &self.header, &self.content_hash, &self.record_id)?;
            }
        }
        Ok(Some(chunk))
    }
}

fn feed(h: &mut ChunkedHasher, chunk: &Chunk) {
    match chunk {
        Chunk::Array(a) => h.update_array(&a.data),
        Chunk::Table(b) => h.update_table(b),
    }
}

fn check_hash(h: ChunkedHasher, header: &Header, hash: &str, record_id: &str) -> Result<()> {
    if h.finish(&header.layout, header.total_rows) != hash {
        return Err(Error::corrupt(format!(
            "record {record_id}: the stored chunks do not hold the saved content \
             (their content hash differs from {hash})"
        )));
    }
    Ok(())
}

/// Layout 1: the bytes of stored chunk `i`, from `_scidb_words`. Rows come
/// back in the order they were appended (DuckDB preserves insertion order
/// for a filtered scan).
fn read_words(conn: &Conn, header: &Header, i: usize) -> Result<Vec<u8>> {
    let conn = conn
        .duck()
        .ok_or_else(|| Error::corrupt("layout-1 chunk words exist only in DuckDB files"))?;
    let len = header.chunk_bytes[i];
    let mut out = Vec::new();
    out.try_reserve_exact(len.div_ceil(8) as usize * 8)
        .map_err(|_| Error::io(format!("cannot allocate {len} bytes for a chunk")))?;
    let mut stmt =
        conn.prepare_cached("SELECT w FROM _scidb_words WHERE stream = ? AND chunk = ?")?;
    for batch in stmt.query_arrow(duckdb::params![header.stream as i64, i as i32])? {
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
/// rows (tables with binary columns cannot be loaded whole). Its content
/// hash is checked, since every byte is read.
pub(super) fn load_whole(
    conn: &Conn,
    store: &PayloadStore,
    record_id: &str,
    hash: &str,
    blob: &[u8],
) -> Result<Value> {
    let header = Header::decode(blob)?;
    if header.body_bytes > WHOLE_LOAD_BYTES {
        return Err(Error::invalid(format!(
            "record {record_id} is a chunked {} of {} MiB; read it chunk by chunk \
             (load_chunks) rather than whole",
            header.layout.describe(header.total_rows),
            header.body_bytes >> 20
        )));
    }
    let (mut source, mut offset) = Source::open(store, hash, &header)?;
    let mut hasher = ChunkedHasher::new(&header.layout);
    let mut chunks = Vec::with_capacity(header.n_chunks());
    for i in 0..header.n_chunks() {
        let len = header.chunk_bytes[i];
        let chunk = match &mut source {
            Source::Npy(file) => header.decode_chunk(i, read_exact_at(file, offset, len)?)?,
            Source::Arrow(reader) => header.table_chunk(i, reader.batch(i)?)?,
            Source::Words => header.decode_chunk(i, read_words(conn, &header, i)?)?,
        };
        offset += len;
        feed(&mut hasher, &chunk);
        chunks.push(chunk);
    }
    check_hash(hasher, &header, hash, record_id)?;
    match &header.layout {
        Layout::Array { dtype, .. } => {
            let mut data = Vec::with_capacity(header.body_bytes as usize);
            for c in &chunks {
                if let Chunk::Array(a) = c {
                    data.extend_from_slice(&a.data);
                }
            }
            Ok(Value::Array(Array::new(
                *dtype,
                header.shape(),
                data,
                false,
            )?))
        }
        Layout::Table { .. } => {
            let batches: Vec<RecordBatch> = chunks
                .into_iter()
                .filter_map(|c| match c {
                    Chunk::Table(b) => Some(b),
                    Chunk::Array(_) => None,
                })
                .collect();
            let all = arrow::compute::concat_batches(&header.layout.schema(), &batches)
                .map_err(|e| Error::corrupt(format!("joining chunks: {e}")))?;
            Ok(Value::Table(Table::new(all).map_err(|e| {
                e.context(format!(
                    "record {record_id} cannot be loaded whole; read its chunks"
                ))
            })?))
        }
    }
}
