//! Content-addressed value storage: one row per distinct content hash in
//! `_scidb_values`; bodies larger than a chunk go to `_scidb_chunks`, so no
//! single DuckDB value grows without bound and big arrays stream in pieces.

use crate::codec::{self, Encoded};
use crate::error::{Error, Result, ResultExt};
use crate::value::Value;
use duckdb::types::ValueRef;
use duckdb::{params, Connection, OptionalExt};
use std::collections::HashMap;

/// Bodies up to this size are stored inline in `_scidb_values`.
pub const CHUNK_BYTES: usize = 8 << 20;

/// Stores an encoded value unless its content hash is already stored.
pub fn store(conn: &Connection, hash: &str, kind: &str, enc: &Encoded<'_>) -> Result<()> {
    let what = || format!("storing value {hash}");
    if enc.body.len() <= CHUNK_BYTES {
        conn.prepare_cached(
            "INSERT INTO _scidb_values VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            hash,
            kind,
            &enc.descriptor[..],
            enc.body.len() as u64,
            enc.body
        ])
        .context(what())?;
        return Ok(());
    }
    let exists: Option<i32> = conn
        .prepare_cached("SELECT 1 FROM _scidb_values WHERE content_hash = ?")?
        .query_row([hash], |r| r.get(0))
        .optional()
        .context(what())?;
    if exists.is_some() {
        return Ok(());
    }
    let chunks: Vec<&[u8]> = enc.body.chunks(CHUNK_BYTES).collect();
    conn.prepare_cached("INSERT INTO _scidb_values VALUES (?, ?, ?, ?, ?, NULL)")?
        .execute(params![
            hash,
            kind,
            &enc.descriptor[..],
            enc.body.len() as u64,
            chunks.len() as i32
        ])
        .context(what())?;
    let mut insert = conn.prepare_cached("INSERT INTO _scidb_chunks VALUES (?, ?, ?)")?;
    for (i, chunk) in chunks.iter().enumerate() {
        insert
            .execute(params![hash, i as i32, *chunk])
            .context(what())?;
    }
    Ok(())
}

/// Loads and decodes the values of some content hashes.
pub fn load(conn: &Connection, hashes: &[&str]) -> Result<HashMap<String, Value>> {
    let mut out = HashMap::with_capacity(hashes.len());
    if hashes.is_empty() {
        return Ok(out);
    }
    // One query for all; batches keep the parameter list bounded.
    for batch in hashes.chunks(1000) {
        let marks = vec!["?"; batch.len()].join(", ");
        let sql = format!(
            "SELECT content_hash, descriptor, body_bytes, n_chunks, body FROM _scidb_values \
             WHERE content_hash IN ({marks})"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(duckdb::params_from_iter(batch.iter()))?;
        while let Some(row) = rows.next()? {
            let hash: String = row.get(0)?;
            let descriptor: Vec<u8> = row.get(1)?;
            let body_bytes: u64 = row.get(2)?;
            let n_chunks: i32 = row.get(3)?;
            let body = if n_chunks == 0 {
                match row.get_ref(4)? {
                    ValueRef::Blob(b) => b.to_vec(),
                    ValueRef::Null => Vec::new(),
                    _ => return Err(Error::corrupt(format!("value {hash} has a non-blob body"))),
                }
            } else {
                load_chunks(conn, &hash, body_bytes, n_chunks)?
            };
            let value = codec::decode(&descriptor, body).context(format!("value {hash}"))?;
            out.insert(hash, value);
        }
    }
    for h in hashes {
        if !out.contains_key(*h) {
            return Err(Error::corrupt(format!(
                "a record refers to value {h}, which is not stored"
            )));
        }
    }
    Ok(out)
}

/// Reads a chunked body straight into one buffer of the final size.
fn load_chunks(conn: &Connection, hash: &str, body_bytes: u64, n_chunks: i32) -> Result<Vec<u8>> {
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
