//! Saving a value from a sequence of chunks and reading it back chunk by
//! chunk (see `crate::chunked` for the layout and the hash).
//!
//! A chunked value is a record like any other: versioned, found by its
//! metadata, shown in its variable's view (as a description). Its record
//! row holds the chunked header; the stored chunks live in `_scidb_chunks`
//! under the value's content hash, split into pieces of at most 1 MiB.
//!
//! The writer has its own connection and one transaction: pieces are
//! written as chunks arrive, under a temporary key because the content
//! hash is known only at the end, when they are renamed (or dropped, when
//! the same content is already stored) and the record is inserted. A
//! writer dropped before `finish` rolls everything back.

use super::payload::CHUNK_BYTES;
use super::preview::{Preview, KIND_OTHER};
use super::{find, in_transaction_end, record_id, Database, NewRecord};
use crate::chunked::{Chunk, ChunkRef, Header, Rechunker};
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::metadata::{self, Metadata, Query};
use crate::value::{table_from_batch, Array, Value};
use duckdb::{params, Connection};
use std::sync::Arc;

/// Whole-value loads of chunked values up to this many stored bytes are
/// allowed; larger ones must be read chunk by chunk.
pub const WHOLE_LOAD_BYTES: u64 = 256 << 20;

/// Saves one value from a sequence of chunks.
pub struct ChunkWriter {
    db: Arc<Database>,
    conn: Connection,
    variable: String,
    meta: Metadata,
    /// Pieces are written under this key until the content hash is known.
    temp_key: String,
    rechunker: Option<Rechunker>,
    pieces: Vec<u32>,
    next_piece: u64,
    body_bytes: u64,
    open: bool,
}

impl Database {
    /// Starts saving a value of `variable` with metadata `meta` from
    /// chunks (see [`ChunkWriter`]).
    pub fn chunk_writer(self: &Arc<Self>, variable: &str, meta: &Metadata) -> Result<ChunkWriter> {
        metadata::validate_identifier("variable type", variable)?;
        for k in meta.keys() {
            metadata::validate_key(k)?;
        }
        let conn = self.lock().conn.try_clone()?;
        conn.execute_batch("BEGIN TRANSACTION")
            .context(format!("saving {variable} in chunks"))?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Ok(ChunkWriter {
            db: Arc::clone(self),
            conn,
            variable: variable.to_string(),
            meta: meta.clone(),
            temp_key: format!("pending:{}:{nonce}", std::process::id()),
            rechunker: None,
            pieces: Vec::new(),
            next_piece: 0,
            body_bytes: 0,
            open: true,
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
            find::by_id(&inner.conn, &self.schema_keys, None, record_id)?
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
        let (conn, key) = (&self.conn, &self.temp_key);
        let (pieces, next_piece, body_bytes) =
            (&mut self.pieces, &mut self.next_piece, &mut self.body_bytes);
        let mut store =
            |bytes: &[u8]| store_chunk(conn, key, bytes, pieces, next_piece, body_bytes);
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
        let (conn, key) = (&self.conn, &self.temp_key);
        let (pieces, next_piece, body_bytes) =
            (&mut self.pieces, &mut self.next_piece, &mut self.body_bytes);
        let mut store =
            |bytes: &[u8]| store_chunk(conn, key, bytes, pieces, next_piece, body_bytes);
        let (total_rows, hash) = rechunker.finish(&mut store).context(&what)?;
        let header = Header {
            layout,
            total_rows,
            body_bytes: self.body_bytes,
            pieces: std::mem::take(&mut self.pieces),
        };
        let meta_json = metadata::to_json_object(&self.meta);
        let id = record_id(&self.variable, &meta_json, &hash);
        self.open = false;
        let db = Arc::clone(&self.db);
        let result = db.commit_chunked(
            &self.conn,
            &self.variable,
            &self.meta,
            &id,
            &hash,
            &header,
            &self.temp_key,
        );
        result.context(what)?;
        Ok(id)
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Writes one stored chunk as pieces of at most `CHUNK_BYTES`.
fn store_chunk(
    conn: &Connection,
    key: &str,
    bytes: &[u8],
    pieces: &mut Vec<u32>,
    next_piece: &mut u64,
    body_bytes: &mut u64,
) -> Result<()> {
    let mut insert = conn.prepare_cached("INSERT INTO _scidb_chunks VALUES (?, ?, ?)")?;
    let mut n = 0u32;
    for piece in bytes.chunks(CHUNK_BYTES) {
        let index = i32::try_from(*next_piece)
            .map_err(|_| Error::invalid("a chunked value may have at most 2^31 pieces of 1 MiB"))?;
        insert.execute(params![key, index, piece])?;
        *next_piece += 1;
        n += 1;
    }
    pieces.push(n);
    *body_bytes += bytes.len() as u64;
    Ok(())
}

impl Database {
    /// Names the pieces by the content hash (or drops them when the hash
    /// is stored already), inserts the record and commits, all on the
    /// writer's connection and transaction.
    #[allow(clippy::too_many_arguments)]
    fn commit_chunked(
        &self,
        conn: &Connection,
        variable: &str,
        meta: &Metadata,
        id: &str,
        hash: &str,
        header: &Header,
        temp_key: &str,
    ) -> Result<()> {
        let mut inner = self.lock();
        let known = inner.stored_hashes.contains(hash);
        let rows = in_transaction_end(conn, || {
            if known {
                conn.execute(
                    "DELETE FROM _scidb_chunks WHERE content_hash = ?",
                    [temp_key],
                )?;
            } else {
                conn.execute(
                    "UPDATE _scidb_chunks SET content_hash = ? WHERE content_hash = ?",
                    [hash, temp_key],
                )?;
                conn.execute(
                    "INSERT INTO _scidb_values VALUES (?, ?, ?)",
                    params![
                        hash,
                        header.body_bytes,
                        header.pieces.iter().map(|&p| p as i64).sum::<i64>()
                    ],
                )?;
            }
            if inner.record_ids.contains(id) {
                conn.execute(
                    "UPDATE _scidb_records SET version = nextval('_scidb_version_seq'), \
                     saved_at = ? WHERE record_id = ?",
                    params![super::now(), id],
                )?;
                return Ok(None);
            }
            let preview = Preview {
                kind: KIND_OTHER,
                text: Some(format!(
                    "chunked {}",
                    header.layout.describe(header.total_rows)
                )),
            };
            let variant = self.variant_of(meta);
            let old_sig = inner.signatures.get(variable);
            let mut sig = old_sig.cloned().unwrap_or_default();
            let widened = sig.absorb(meta, preview.kind, None) || old_sig.is_none();
            self.insert_record(
                conn,
                &NewRecord {
                    variable,
                    record_id: id,
                    hash,
                    blob: header.encode(),
                    meta,
                    variant: &variant,
                    preview: &preview,
                },
            )?;
            if widened {
                super::views::apply(conn, variable, &self.schema_keys, old_sig, &sig)?;
            }
            Ok(Some((widened, sig)))
        })?;
        inner.stored_hashes.insert(hash.to_string());
        if let Some((widened, sig)) = rows {
            if widened {
                inner.signatures.insert(variable.to_string(), sig);
            }
            inner.record_ids.insert(id.to_string());
        }
        Ok(())
    }
}

/// Reads a chunked value's chunks in order, one at a time.
pub struct ChunkReader {
    db: Arc<Database>,
    record_id: String,
    hash: String,
    header: Header,
    next: usize,
    next_piece: u64,
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
            db,
            header: Header::decode(&blob).context(format!("record {}", info.record_id))?,
            record_id: info.record_id,
            hash: info.content_hash,
            next: 0,
            next_piece: 0,
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
        let n = self.header.pieces[i] as u64;
        let bytes = {
            let inner = self.db.lock();
            read_pieces(&inner.conn, &self.hash, self.next_piece, n)
                .context(format!("record {} chunk {i}", self.record_id))?
        };
        let chunk = self.header.decode_chunk(i, bytes)?;
        self.next += 1;
        self.next_piece += n;
        Ok(Some(chunk))
    }
}

/// Pieces `first..first + n` of a stored value, joined.
fn read_pieces(conn: &Connection, hash: &str, first: u64, n: u64) -> Result<Vec<u8>> {
    let mut stmt = conn.prepare_cached(
        "SELECT chunk, bytes FROM _scidb_chunks WHERE content_hash = ? AND chunk >= ? \
         AND chunk < ? ORDER BY chunk",
    )?;
    let mut rows = stmt.query(params![hash, first as i64, (first + n) as i64])?;
    let mut out = Vec::new();
    let mut expected = first as i64;
    while let Some(row) = rows.next()? {
        let index: i64 = row.get(0)?;
        if index != expected {
            return Err(Error::corrupt(format!("piece {expected} is missing")));
        }
        match row.get_ref(1)? {
            duckdb::types::ValueRef::Blob(b) => out.extend_from_slice(b),
            _ => return Err(Error::corrupt("a stored piece is not a blob")),
        }
        expected += 1;
    }
    if expected != (first + n) as i64 {
        return Err(Error::corrupt(format!(
            "{} of {n} pieces are stored",
            expected - first as i64
        )));
    }
    Ok(out)
}

/// A chunked value as one value, when it is small enough (see
/// [`WHOLE_LOAD_BYTES`]): the array with all rows, or the table with all
/// rows (tables with binary columns cannot be loaded whole).
pub(super) fn load_whole(
    conn: &Connection,
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
    let mut chunks = Vec::with_capacity(header.n_chunks());
    let mut piece = 0;
    for (i, &n) in header.pieces.iter().enumerate() {
        let bytes = read_pieces(conn, hash, piece, n as u64)?;
        chunks.push(header.decode_chunk(i, bytes)?);
        piece += n as u64;
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
