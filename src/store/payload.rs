//! Where value bytes live (see `codec` for the blob format). Values whose
//! body is up to [`INLINE_BYTES`] sit whole in the record's own row, so a
//! small save is one INSERT. Larger bodies are stored once per content
//! hash in `_scidb_values`, split into `_scidb_chunks` rows of
//! [`CHUNK_BYTES`], so no single DuckDB value grows without bound.

use crate::codec;
use crate::error::{Error, Result, ResultExt};
use crate::value::Value;
use duckdb::types::ValueRef;
use duckdb::{params, Connection};

/// Bodies up to this size are stored in the record row.
pub(crate) const INLINE_BYTES: usize = 1 << 20;
/// Larger bodies are split into chunks of this size.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Whether a body is stored outside the record row.
pub fn is_external(body: &[u8]) -> bool {
    body.len() > INLINE_BYTES
}

/// Stores a large body under its content hash (the caller knows it is new).
pub fn store_external(conn: &Connection, hash: &str, body: &[u8]) -> Result<()> {
    let what = || format!("storing value {hash}");
    let chunks: Vec<&[u8]> = body.chunks(CHUNK_BYTES).collect();
    conn.prepare_cached("INSERT INTO _scidb_values VALUES (?, ?, ?)")?
        .execute(params![hash, body.len() as u64, chunks.len() as i32])
        .context(what())?;
    let mut insert = conn.prepare_cached("INSERT INTO _scidb_chunks VALUES (?, ?, ?)")?;
    for (i, chunk) in chunks.iter().enumerate() {
        insert
            .execute(params![hash, i as i32, *chunk])
            .context(what())?;
    }
    Ok(())
}

/// Decodes a record's value blob, reading its body from the chunk tables
/// when it is stored there.
pub fn decode(conn: &Connection, record_id: &str, hash: &str, blob: &[u8]) -> Result<Value> {
    if crate::chunked::is_chunked(blob) {
        return super::chunked::load_whole(conn, record_id, blob);
    }
    codec::decode(blob, || load_external(conn, hash)).context(format!("record {record_id}"))
}

/// Reads a chunked body straight into one buffer of its final size.
fn load_external(conn: &Connection, hash: &str) -> Result<Vec<u8>> {
    let (body_bytes, n_chunks): (u64, i32) = conn
        .prepare_cached("SELECT body_bytes, n_chunks FROM _scidb_values WHERE content_hash = ?")?
        .query_row([hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| Error::corrupt(format!("value {hash} is not stored: {e}")))?;
    let size = usize::try_from(body_bytes)
        .map_err(|_| Error::corrupt(format!("value {hash} is too large for this machine")))?;
    let mut body = Vec::with_capacity(size);
    let mut stmt = conn.prepare_cached(
        "SELECT chunk, bytes FROM _scidb_chunks WHERE content_hash = ? ORDER BY chunk",
    )?;
    let mut rows = stmt.query([hash])?;
    let mut expected = 0;
    while let Some(row) = rows.next()? {
        let index: i32 = row.get(0)?;
        if index != expected {
            return Err(Error::corrupt(format!(
                "value {hash} lacks chunk {expected}"
            )));
        }
        match row.get_ref(1)? {
            ValueRef::Blob(b) => body.extend_from_slice(b),
            _ => return Err(Error::corrupt(format!("value {hash} has a non-blob chunk"))),
        }
        expected += 1;
    }
    if expected != n_chunks || body.len() != size {
        return Err(Error::corrupt(format!(
            "value {hash} has {expected} of {n_chunks} chunks, {} of {size} bytes",
            body.len()
        )));
    }
    Ok(body)
}
