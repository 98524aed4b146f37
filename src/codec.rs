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
//!             | str:name u8:1 u8:0 u8:has_validity [u8*nrows] str*nrows     (text)
//!             | str:name u8:2 u8:0 u8:has_validity [u8*nrows] bin*nrows     (binary)
//! str        := u64:len utf8
//! bin        := u64:len bytes
//! chunked-header := u64:rows u64:rows_per_chunk u64:body_bytes u64:stream
//!                   u64:n u64:chunk_bytes*n layout   (see `chunked::Header`)
//! layout     := u8:0 u8:dtype u32:ndim u64:dim*ndim    (array; trailing dims)
//!             | u8:1 u64:ncols (str:name u8:type)*ncols (table; type is a
//!               dtype code, 100 text or 101 binary)
//! ```
//!
//! In a column, `has_validity` is 1 for a nullable column, followed by one
//! byte per row (1 present, 0 missing); numeric cells are little-endian
//! (bool one byte 0/1) and missing cells are stored as zeros or empty.

use crate::error::{Error, Result};
use crate::store::payload::{Format, INLINE_BYTES};
use crate::value::{Array, ColumnRef, ColumnType, DType, Table, Value, MAX_DEPTH};
use arrow::array::{Array as _, ArrayData, ArrayRef, AsArray, BinaryArray, StringArray};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer};
use std::sync::Arc;

pub(crate) const MAGIC: &[u8; 4] = b"SDV1";

/// The encoded form of a value: a header and, for arrays, a body.
pub struct Encoded<'a> {
    header: Vec<u8>,
    pub body: &'a [u8],
    /// Bytes of the whole stored form (a large table's is counted, not
    /// built: it goes to an Arrow payload file instead).
    len: usize,
}

impl Encoded<'_> {
    /// A value whose whole blob is already encoded (a chunked value's
    /// header, see `chunked::Header`).
    pub fn blob(blob: Vec<u8>) -> Encoded<'static> {
        Encoded {
            len: blob.len(),
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
        self.len
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

/// Encodes a value for storage. A top-level table larger than
/// [`INLINE_BYTES`] is only measured: it is stored as an Arrow file.
pub fn encode(value: &Value) -> Encoded<'_> {
    let mut out = MAGIC.to_vec();
    match value {
        Value::Array(a) => {
            out.push(b'a');
            put_array_header(&mut out, a);
            Encoded {
                len: out.len() + a.data.len(),
                header: out,
                body: &a.data,
            }
        }
        Value::Table(t) if MAGIC.len() + table_len(t) > INLINE_BYTES => Encoded {
            header: Vec::new(),
            body: &[],
            len: MAGIC.len() + table_len(t),
        },
        other => {
            put_item(&mut out, other);
            Encoded {
                len: out.len(),
                header: out,
                body: &[],
            }
        }
    }
}

/// Bytes of a table's item (`'T' ...`), counted from its buffers.
fn table_len(t: &Table) -> usize {
    let rows = t.rows() as usize;
    let mut n = 1 + 16;
    for (i, c) in t.columns().enumerate() {
        n += 8 + c.name.len() + 3;
        if t.batch().schema_ref().field(i).is_nullable() {
            n += rows;
        }
        n += match c.ty {
            ColumnType::Numeric(d) => 8 + rows * d.size(),
            ColumnType::Text | ColumnType::Binary => {
                let offsets = var_offsets(c.array);
                8 * rows + (offsets[rows] - offsets[0]) as usize
            }
        };
    }
    n
}

/// The 32-bit offsets of a text or binary column.
fn var_offsets(a: &ArrayRef) -> &[i32] {
    match a.as_string_opt::<i32>() {
        Some(s) => s.value_offsets(),
        None => a.as_binary::<i32>().value_offsets(),
    }
}

/// The cell bytes of a text or binary column (all of its values buffer).
fn var_values(a: &ArrayRef) -> &[u8] {
    match a.as_string_opt::<i32>() {
        Some(s) => s.values().as_slice(),
        None => a.as_binary::<i32>().values().as_slice(),
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
            put_u64(out, t.num_columns() as u64);
            put_u64(out, t.rows());
            for (i, c) in t.columns().enumerate() {
                put_column(out, t, i, c);
            }
        }
    }
}

fn put_column(out: &mut Vec<u8>, t: &Table, i: usize, c: ColumnRef<'_>) {
    put_str(out, c.name);
    let (kind, code) = match c.ty {
        ColumnType::Numeric(d) => (0, d as u8),
        ColumnType::Text => (1, 0),
        ColumnType::Binary => (2, 0),
    };
    out.push(kind);
    out.push(code);
    let rows = t.rows() as usize;
    if t.batch().schema_ref().field(i).is_nullable() {
        out.push(1);
        match t.validity_bytes(i) {
            Some(v) => out.extend_from_slice(v),
            None => out.extend(std::iter::repeat(1u8).take(rows)),
        }
    } else {
        out.push(0);
    }
    match c.ty {
        ColumnType::Numeric(DType::Bool) => {
            put_u64(out, rows as u64);
            out.extend_from_slice(t.bool_bytes(i).unwrap_or_default());
        }
        ColumnType::Numeric(d) => {
            let size = d.size();
            put_u64(out, (rows * size) as u64);
            let data = c.array.to_data();
            let start = data.offset() * size;
            let values = &data.buffers()[0].as_slice()[start..start + rows * size];
            let at = out.len();
            out.extend_from_slice(values);
            if c.has_nulls() {
                for (row, cell) in out[at..].chunks_exact_mut(size).enumerate() {
                    if c.array.is_null(row) {
                        cell.fill(0);
                    }
                }
            }
        }
        ColumnType::Text | ColumnType::Binary => {
            let values = var_values(c.array);
            for (row, w) in var_offsets(c.array).windows(2).enumerate() {
                let cell = if c.array.is_valid(row) {
                    &values[w[0] as usize..w[1] as usize]
                } else {
                    &[]
                };
                put_u64(out, cell.len() as u64);
                out.extend_from_slice(cell);
            }
        }
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
        let rows =
            usize::try_from(self.u64()?).map_err(|_| Error::corrupt("stored table is too long"))?;
        let mut columns = Vec::with_capacity(ncols);
        for _ in 0..ncols {
            let name = self.str()?;
            let kind = self.u8()?;
            let dtype_code = self.u8()?;
            let nulls = if self.u8()? != 0 {
                let flags = self.take(rows)?;
                Some(NullBuffer::from_iter(flags.iter().map(|&b| b != 0)))
            } else {
                None
            };
            let array = match kind {
                0 => self.numeric_column(&name, dtype_code, rows, nulls)?,
                1 | 2 => self.var_column(&name, kind == 1, rows, nulls)?,
                k => {
                    return Err(Error::corrupt(format!(
                        "stored table column '{name}' has unknown kind {k}"
                    )))
                }
            };
            columns.push((name, array));
        }
        let table = Table::from_columns(rows, columns).map_err(as_corrupt)?;
        Ok(Value::Table(table))
    }

    fn numeric_column(
        &mut self,
        name: &str,
        dtype_code: u8,
        rows: usize,
        nulls: Option<NullBuffer>,
    ) -> Result<ArrayRef> {
        let dtype = DType::from_code(dtype_code as u32).map_err(as_corrupt)?;
        let ty = ColumnType::numeric(dtype, name).map_err(as_corrupt)?;
        let n = self.len()?;
        if rows.checked_mul(dtype.size()) != Some(n) {
            return Err(Error::corrupt(format!(
                "stored table column '{name}' has {n} bytes for {rows} rows"
            )));
        }
        let bytes = self.take(n)?;
        let values = if dtype == DType::Bool {
            let bits: arrow::buffer::BooleanBuffer = bytes.iter().map(|&b| b != 0).collect();
            bits.into_inner()
        } else {
            // Copied into an aligned Arrow buffer.
            Buffer::from(bytes)
        };
        let data = ArrayData::builder(ty.arrow())
            .len(rows)
            .add_buffer(values)
            .nulls(nulls)
            .build()
            .map_err(|e| Error::corrupt(format!("stored table column '{name}': {e}")))?;
        Ok(arrow::array::make_array(data))
    }

    /// A text (`text`) or binary column's cells.
    fn var_column(
        &mut self,
        name: &str,
        text: bool,
        rows: usize,
        nulls: Option<NullBuffer>,
    ) -> Result<ArrayRef> {
        let mut lens = Vec::with_capacity(rows.min(self.bytes.len()));
        let mut values = Vec::new();
        for _ in 0..rows {
            let n = self.len()?;
            values.extend_from_slice(self.take(n)?);
            lens.push(n);
        }
        if values.len() > i32::MAX as usize {
            return Err(Error::corrupt(format!(
                "stored table column '{name}' is too long"
            )));
        }
        let offsets = OffsetBuffer::<i32>::from_lengths(lens);
        let values = Buffer::from_vec(values);
        let bad = |e: arrow::error::ArrowError| {
            Error::corrupt(format!("stored table column '{name}': {e}"))
        };
        Ok(if text {
            Arc::new(StringArray::try_new(offsets, values, nulls).map_err(bad)?)
        } else {
            Arc::new(BinaryArray::try_new(offsets, values, nulls).map_err(bad)?)
        })
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
