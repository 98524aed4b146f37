//! The storage encoding of values.
//!
//! A value is stored as one blob. A top-level array's elements (its *body*)
//! follow a short header, or, for large arrays, are stored elsewhere (tag
//! 'x'), so large arrays are never copied into an envelope. All integers
//! are little-endian.
//!
//! ```text
//! blob       := "SDV1" item
//!             | "SDV1" 'a' array-header elements      (body inline)
//!             | "SDV1" 'n' array-header               (body in the payload file <hash>.npy)
//!             | "SDV1" 'p' u8:format                  (whole value in a payload file:
//!                                                      1 <hash>.arrow, 2 <hash>.sdv)
//!             | "SDV1" 'c' chunked-header             (chunks stored elsewhere)
//!             | "SDV1" 'x' array-header               (layout 1: body in _scidb_chunks)
//! item       := 'N'
//!             | 'A' array-header u64:nbytes bytes
//!             | 'S' str
//!             | 'L' u64:n item*n
//!             | 'M' u64:n (str item)*n
//!             | 'T' u64:ncols u64:nrows column*ncols
//! array-header := u8:dtype u8:scalar u32:ndim u64:dim*ndim
//! column     := str:name u8:0 u8:dtype u8:has_validity [u8*nrows] u64:nbytes bytes
//!             | str:name u8:1 u8:0 u8:has_validity [u8*nrows] str*nrows
//! str        := u64:len utf8
//! chunked-header := u64:rows u64:rows_per_chunk u64:body_bytes u64:stream
//!                   u64:n u64:chunk_bytes*n layout   (see `chunked::Header`)
//! layout     := u8:0 u8:dtype u32:ndim u64:dim*ndim    (array; trailing dims)
//!             | u8:1 u64:ncols (str:name u8:type)*ncols (table; type is a
//!               dtype code, 100 text or 101 binary)
//! ```

use crate::error::{Error, Result};
use crate::store::payload::Format;
use crate::value::{Array, Column, ColumnData, DType, Table, Value, MAX_DEPTH};

pub(crate) const MAGIC: &[u8; 4] = b"SDV1";

/// The encoded form of a value: a header and, for arrays, a body.
pub struct Encoded<'a> {
    header: Vec<u8>,
    pub body: &'a [u8],
}

impl Encoded<'_> {
    /// A value whose whole blob is already encoded (a chunked value's
    /// header, see `chunked::Header`).
    pub fn blob(blob: Vec<u8>) -> Encoded<'static> {
        Encoded {
            header: blob,
            body: &[],
        }
    }

    /// One blob holding the whole value.
    pub fn inline_blob(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(self.header.len() + self.body.len());
        blob.extend_from_slice(&self.header);
        blob.extend_from_slice(self.body);
        blob
    }

    /// The array header alone, its tag `x` (layout 1 kept such bodies in
    /// the catalog; tests build layout-1 blobs with it).
    #[cfg(test)]
    pub fn external_blob(&self) -> Vec<u8> {
        self.retagged(b'x')
    }

    /// The record blob of a value stored in a payload file: an array's
    /// header (tag `n`, elements in `<hash>.npy`), or a marker naming the
    /// file's format.
    pub fn payload_blob(&self, format: Format) -> Vec<u8> {
        if self.is_array() {
            return self.retagged(b'n');
        }
        let mut blob = MAGIC.to_vec();
        blob.push(b'p');
        blob.push(format.code());
        blob
    }

    /// Whether this is a top-level array (a header and a body).
    pub fn is_array(&self) -> bool {
        self.header.get(MAGIC.len()) == Some(&b'a')
    }

    /// Bytes of the stored form when kept whole.
    pub fn stored_len(&self) -> usize {
        self.header.len() + self.body.len()
    }

    /// The encoded bytes before the body (the whole blob for non-arrays).
    pub fn header_bytes(&self) -> &[u8] {
        &self.header
    }

    fn retagged(&self, tag: u8) -> Vec<u8> {
        let mut blob = self.header.clone();
        if self.is_array() {
            blob[MAGIC.len()] = tag;
        }
        blob
    }
}

/// Where a stored blob's value lives besides the blob itself.
#[derive(Debug, PartialEq)]
pub enum Elsewhere {
    /// Nowhere: the blob is the whole value.
    No,
    /// An array whose elements are in `<hash>.npy`.
    Npy {
        dtype: DType,
        shape: Vec<u64>,
        scalar: bool,
    },
    /// The whole value is in a payload file of this format.
    File(Format),
    /// Layout 1: an array body in `_scidb_chunks`.
    LegacyBody,
}

/// Reads where a blob's value lives (chunked headers are `chunked`'s).
pub fn stored_elsewhere(blob: &[u8]) -> Result<Elsewhere> {
    let mut r = Reader {
        bytes: blob,
        pos: 0,
    };
    if r.take(4)? != MAGIC {
        return Err(Error::corrupt("stored value has an unknown format"));
    }
    match r.u8()? {
        b'x' => Ok(Elsewhere::LegacyBody),
        b'n' => {
            let (dtype, shape, scalar) = r.array_header()?;
            if r.pos != blob.len() {
                return Err(Error::corrupt("stored value has trailing bytes"));
            }
            Ok(Elsewhere::Npy {
                dtype,
                shape,
                scalar,
            })
        }
        b'p' => {
            let format = Format::from_code(r.u8()?)?;
            if r.pos != blob.len() {
                return Err(Error::corrupt("stored value has trailing bytes"));
            }
            Ok(Elsewhere::File(format))
        }
        _ => Ok(Elsewhere::No),
    }
}

/// Encodes a value for storage.
pub fn encode(value: &Value) -> Encoded<'_> {
    let mut out = MAGIC.to_vec();
    match value {
        Value::Array(a) => {
            out.push(b'a');
            put_array_header(&mut out, a);
            Encoded {
                header: out,
                body: &a.data,
            }
        }
        other => {
            put_item(&mut out, other);
            Encoded {
                header: out,
                body: &[],
            }
        }
    }
}

/// Decodes a stored blob; `external_body` fetches the body of an array
/// stored elsewhere (tag 'x').
pub fn decode(blob: &[u8], external_body: impl FnOnce() -> Result<Vec<u8>>) -> Result<Value> {
    let mut r = Reader {
        bytes: blob,
        pos: 0,
    };
    if r.take(4)? != MAGIC {
        return Err(Error::corrupt("stored value has an unknown format"));
    }
    let tag = r.peek()?;
    if tag == b'a' || tag == b'x' {
        r.pos += 1;
        let (dtype, shape, scalar) = r.array_header()?;
        let body = if tag == b'a' {
            blob[r.pos..].to_vec()
        } else if r.pos == blob.len() {
            external_body()?
        } else {
            return Err(Error::corrupt("stored value has trailing bytes"));
        };
        return Ok(Value::Array(
            Array::new(dtype, shape, body, scalar).map_err(as_corrupt)?,
        ));
    }
    let value = r.item(0)?;
    if r.pos != blob.len() {
        return Err(Error::corrupt("stored value has trailing bytes"));
    }
    Ok(value)
}

fn as_corrupt(e: Error) -> Error {
    Error::corrupt(format!("stored value is inconsistent: {}", e.message))
}

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_array_header(out: &mut Vec<u8>, a: &Array) {
    out.push(a.dtype as u8);
    out.push(a.scalar as u8);
    out.extend_from_slice(&(a.shape.len() as u32).to_le_bytes());
    for &d in &a.shape {
        put_u64(out, d);
    }
}

fn put_item(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(b'N'),
        Value::Array(a) => {
            out.push(b'A');
            put_array_header(out, a);
            put_u64(out, a.data.len() as u64);
            out.extend_from_slice(&a.data);
        }
        Value::String(s) => {
            out.push(b'S');
            put_str(out, s);
        }
        Value::List(items) => {
            out.push(b'L');
            put_u64(out, items.len() as u64);
            for item in items {
                put_item(out, item);
            }
        }
        Value::Map(entries) => {
            out.push(b'M');
            put_u64(out, entries.len() as u64);
            for (k, v) in entries {
                put_str(out, k);
                put_item(out, v);
            }
        }
        Value::Table(t) => {
            out.push(b'T');
            put_u64(out, t.columns.len() as u64);
            put_u64(out, t.rows);
            for c in &t.columns {
                put_column(out, c);
            }
        }
    }
}

fn put_column(out: &mut Vec<u8>, c: &Column) {
    put_str(out, &c.name);
    match &c.data {
        ColumnData::Numeric { dtype, .. } => {
            out.push(0);
            out.push(*dtype as u8);
        }
        ColumnData::Utf8(_) => {
            out.push(1);
            out.push(0);
        }
    }
    match &c.validity {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend(v.iter().map(|&ok| ok as u8));
        }
    }
    match &c.data {
        ColumnData::Numeric { data, .. } => {
            put_u64(out, data.len() as u64);
            out.extend_from_slice(data);
        }
        ColumnData::Utf8(cells) => cells.iter().for_each(|s| put_str(out, s)),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| Error::corrupt("stored value is truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn peek(&self) -> Result<u8> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or_else(|| Error::corrupt("stored value is truncated"))
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn len(&mut self) -> Result<usize> {
        let n = self.u64()?;
        // No length can exceed the bytes that remain; this bounds allocations.
        if n > (self.bytes.len() - self.pos) as u64 {
            return Err(Error::corrupt("stored value has a length beyond its end"));
        }
        Ok(n as usize)
    }
    fn str(&mut self) -> Result<String> {
        let n = self.len()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| Error::corrupt("stored text is not UTF-8"))
    }
    fn dtype(&mut self) -> Result<DType> {
        DType::from_code(self.u8()? as u32).map_err(as_corrupt)
    }
    fn array_header(&mut self) -> Result<(DType, Vec<u64>, bool)> {
        let dtype = self.dtype()?;
        let scalar = self.u8()? != 0;
        let ndim = self.u32()? as usize;
        if ndim > 64 {
            return Err(Error::corrupt("stored array has more than 64 dimensions"));
        }
        let shape = (0..ndim).map(|_| self.u64()).collect::<Result<Vec<_>>>()?;
        Ok((dtype, shape, scalar))
    }

    /// `depth` counts the lists and maps around this item; the limit is the
    /// one saves are held to, so corrupt bytes cannot overflow the stack.
    fn item(&mut self, depth: usize) -> Result<Value> {
        let tag = self.u8()?;
        if (tag == b'L' || tag == b'M') && depth >= MAX_DEPTH {
            return Err(Error::corrupt(format!(
                "stored value is nested more than {MAX_DEPTH} levels deep"
            )));
        }
        match tag {
            b'N' => Ok(Value::Null),
            b'A' => {
                let (dtype, shape, scalar) = self.array_header()?;
                let n = self.len()?;
                let data = self.take(n)?.to_vec();
                Ok(Value::Array(
                    Array::new(dtype, shape, data, scalar).map_err(as_corrupt)?,
                ))
            }
            b'S' => Ok(Value::String(self.str()?)),
            b'L' => {
                let n = self.len()?;
                (0..n)
                    .map(|_| self.item(depth + 1))
                    .collect::<Result<Vec<_>>>()
                    .map(Value::List)
            }
            b'M' => {
                let n = self.len()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.str()?;
                    entries.push((k, self.item(depth + 1)?));
                }
                Ok(Value::Map(entries))
            }
            b'T' => self.table(),
            tag => Err(Error::corrupt(format!(
                "stored value has unknown tag {tag}"
            ))),
        }
    }

    fn table(&mut self) -> Result<Value> {
        let ncols = self.len()?;
        let rows = self.u64()?;
        let mut columns = Vec::with_capacity(ncols);
        for _ in 0..ncols {
            let name = self.str()?;
            let is_text = self.u8()? == 1;
            let dtype_code = self.u8()?;
            let validity = if self.u8()? != 0 {
                let n = usize::try_from(rows)
                    .map_err(|_| Error::corrupt("stored table is too long"))?;
                Some(self.take(n)?.iter().map(|&b| b != 0).collect())
            } else {
                None
            };
            let data = if is_text {
                let mut cells = Vec::new();
                for _ in 0..rows {
                    cells.push(self.str()?);
                }
                ColumnData::Utf8(cells)
            } else {
                let dtype = DType::from_code(dtype_code as u32).map_err(as_corrupt)?;
                let n = self.len()?;
                ColumnData::Numeric {
                    dtype,
                    data: self.take(n)?.to_vec(),
                }
            };
            columns.push(Column {
                name,
                data,
                validity,
            });
        }
        let table = Table { rows, columns };
        table.validate().map_err(as_corrupt)?;
        Ok(Value::Table(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_external() -> Result<Vec<u8>> {
        Err(Error::corrupt("no external body"))
    }

    fn round_trip(v: &Value) -> Value {
        let e = encode(v);
        let inline = decode(&e.inline_blob(), no_external).unwrap();
        let external = decode(&e.external_blob(), || Ok(e.body.to_vec())).unwrap();
        assert_eq!(inline, external);
        inline
    }

    #[test]
    fn nested_values_round_trip() {
        let v = Value::Map(vec![
            (
                "x".into(),
                Value::Array(Array::new(DType::Int16, vec![2], vec![1, 0, 2, 0], false).unwrap()),
            ),
            (
                "l".into(),
                Value::List(vec![Value::Null, Value::String("é".into())]),
            ),
        ]);
        assert_eq!(round_trip(&v), v);
        let a = Value::Array(Array::new(DType::UInt8, vec![0, 3], vec![], false).unwrap());
        assert_eq!(round_trip(&a), a);
    }

    #[test]
    fn corrupt_bytes_are_errors_not_panics() {
        let v = Value::List(vec![Value::String("abc".into()); 3]);
        let blob = encode(&v).inline_blob();
        for cut in 0..blob.len() {
            assert!(decode(&blob[..cut], no_external).is_err());
        }
        let mut bad = blob.clone();
        bad[5] = 0xff;
        assert!(decode(&bad, no_external).is_err());
        let arr = Value::Array(Array::new(DType::Int32, vec![2], vec![0; 8], false).unwrap());
        let short = encode(&arr).inline_blob();
        assert!(decode(&short[..short.len() - 1], no_external).is_err());
    }
}
