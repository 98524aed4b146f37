//! The canonical content hash (BLAKE3) of a value's logical content.
//!
//! The byte recipe is written down in `docs/content-hash.md`; the tests at
//! the bottom rebuild those bytes by hand and check the published vectors.
//! Row-major order, little-endian elements, maps by sorted key: the same
//! logical value hashes alike from MATLAB, Python or C.

use crate::value::{Array, DType, Table, Value};
use arrow::array::Array as _;

/// Domain-separation prefix of every content hash.
const DOMAIN: &[u8] = b"scidb:content:v1\0";

/// The 64-hex-digit content hash of a value.
pub fn content_hash(value: &Value) -> String {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    feed_value(&mut h, value);
    h.finalize().to_hex().to_string()
}

/// The content hash of an array given as borrowed row-major element bytes,
/// equal to `content_hash` of the same array, without copying it into a
/// value first. The caller checks that `data` fits the dtype and shape.
pub fn array_hash(dtype: DType, shape: &[u64], data: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    feed_array_parts(&mut h, dtype, shape, data);
    h.finalize().to_hex().to_string()
}

/// The content hash of an array given as borrowed column-major (Fortran,
/// MATLAB) element bytes: the same hash as the row-major array, since the
/// recipe is over row-major bytes. A matrix is reordered a strip at a time
/// (a blocked transpose into a bounded buffer, hashed while the next strip
/// is built), never copied whole; other shapes with more than one
/// dimension longer than 1 are reordered whole first. The caller checks
/// that `data` fits the dtype and shape.
pub fn array_hash_column_major(dtype: DType, shape: &[u64], data: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    let long = shape.iter().filter(|&&d| d > 1).count();
    match shape {
        _ if long <= 1 => feed_array_parts(&mut h, dtype, shape, data),
        &[m, n] => {
            feed_array_parts(&mut h, dtype, shape, &[]);
            feed_column_major_matrix(&mut h, m as usize, n as usize, dtype.size(), data);
        }
        _ => {
            let mut row_major = vec![0u8; data.len()];
            crate::value::convert_order(shape, dtype.size(), data, &mut row_major, true);
            feed_array_parts(&mut h, dtype, shape, &row_major);
        }
    }
    h.finalize().to_hex().to_string()
}

/// Bytes of one reordered strip of a column-major matrix: few enough rows
/// that a column's slice is a cache line or two and the rows written stay
/// in L1/L2 (a 4 MiB strip ran at a third of this speed).
const STRIP_BYTES: usize = 256 << 10;

/// Hashes a column-major matrix's row-major bytes, a strip of whole rows
/// (about [`STRIP_BYTES`], at least one row) at a time: one thread
/// reorders the next strip while this one hashes the last, two buffers in
/// turn, so hashing runs at the slower of the two and memory stays bounded.
fn feed_column_major_matrix(h: &mut blake3::Hasher, m: usize, n: usize, elem: usize, data: &[u8]) {
    let row = n * elem;
    let rows = (STRIP_BYTES / row.max(1)).clamp(1, m.max(1));
    let strips = (0..m).step_by(rows).map(move |r0| (r0, rows.min(m - r0)));
    if data.len() <= STRIP_BYTES {
        let mut buf = vec![0u8; data.len()];
        for (r0, take) in strips {
            let strip = &mut buf[..take * row];
            crate::value::column_major_rows(m, n, elem, data, r0, strip);
            h.update(strip);
        }
        return;
    }
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    for _ in 0..2 {
        let _ = empty_tx.send(Vec::new());
    }
    std::thread::scope(|s| {
        s.spawn(move || {
            for (r0, take) in strips {
                // Ends early only when the hashing side is gone (unwinding).
                let Ok(mut buf) = empty_rx.recv() else { return };
                buf.resize(take * row, 0);
                crate::value::column_major_rows(m, n, elem, data, r0, &mut buf);
                if full_tx.send(buf).is_err() {
                    return;
                }
            }
        });
        while let Ok(buf) = full_rx.recv() {
            h.update(&buf);
            let _ = empty_tx.send(buf);
        }
    });
}

fn feed_len(h: &mut blake3::Hasher, n: u64) {
    h.update(&n.to_le_bytes());
}

fn feed_str(h: &mut blake3::Hasher, s: &str) {
    feed_len(h, s.len() as u64);
    h.update(s.as_bytes());
}

fn feed_value(h: &mut blake3::Hasher, value: &Value) {
    match value {
        Value::Null => {
            h.update(b"N");
        }
        Value::Array(a) => feed_array(h, a),
        Value::String(s) => {
            h.update(b"S");
            feed_str(h, s);
        }
        Value::List(items) => {
            h.update(b"L");
            feed_len(h, items.len() as u64);
            for item in items {
                feed_value(h, item);
            }
        }
        Value::Map(entries) => {
            h.update(b"M");
            feed_len(h, entries.len() as u64);
            let mut sorted: Vec<&(String, Value)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (k, v) in sorted {
                feed_str(h, k);
                feed_value(h, v);
            }
        }
        Value::Table(t) => feed_table(h, t),
    }
}

fn feed_array(h: &mut blake3::Hasher, a: &Array) {
    feed_array_parts(h, a.dtype, &a.shape, &a.data);
}

fn feed_array_parts(h: &mut blake3::Hasher, dtype: DType, shape: &[u64], data: &[u8]) {
    h.update(b"A");
    feed_str(h, dtype.name());
    feed_len(h, shape.len() as u64);
    for &d in shape {
        feed_len(h, d);
    }
    update_bulk(h, data);
}

/// Feeds a large buffer on every core (BLAKE3's tree mode gives the same
/// hash as feeding it serially); small ones on this thread, where starting
/// the pool would cost more than it saves.
pub(crate) fn update_bulk(h: &mut blake3::Hasher, data: &[u8]) {
    if data.len() >= PARALLEL_HASH_BYTES {
        h.update_rayon(data);
    } else {
        h.update(data);
    }
}

/// Buffers from this size on are hashed on every core.
const PARALLEL_HASH_BYTES: usize = 1 << 20;

fn feed_table(h: &mut blake3::Hasher, t: &Table) {
    h.update(b"T");
    feed_len(h, t.num_columns() as u64);
    feed_len(h, t.rows());
    for c in t.columns() {
        feed_str(h, c.name);
        feed_str(h, c.ty.name());
        // A nullable column without nulls hashes like a non-nullable one: the
        // logical content is the same.
        if c.has_nulls() {
            h.update(b"V");
            feed_validity(h, c.array.as_ref());
        } else {
            h.update(b"F");
        }
        feed_cells(h, c.array);
    }
}

/// Rows of a column turned into bytes at a time (bool cells, validity,
/// numbers with missing cells zeroed): a bounded buffer, never a copy of
/// the column.
const BLOCK_ROWS: usize = 1 << 16;

/// One byte per row, 1 present and 0 missing, a block at a time.
fn feed_validity(h: &mut blake3::Hasher, a: &dyn arrow::array::Array) {
    let mut buf = vec![0u8; BLOCK_ROWS.min(a.len())];
    for start in (0..a.len()).step_by(BLOCK_ROWS) {
        let n = BLOCK_ROWS.min(a.len() - start);
        crate::value::validity_bytes_into(a, start, &mut buf[..n]);
        h.update(&buf[..n]);
    }
}

/// Pieces fed through a buffer, so a column of short cells costs one
/// hasher update per buffer rather than two per cell.
struct Buffered<'a> {
    h: &'a mut blake3::Hasher,
    buf: Vec<u8>,
}

impl Buffered<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > self.buf.capacity() {
            self.flush();
        }
        if bytes.len() >= self.buf.capacity() {
            update_bulk(self.h, bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
    fn flush(&mut self) {
        self.h.update(&self.buf);
        self.buf.clear();
    }
}

/// Text or binary cells: `u64(len)` and the bytes of each, empty when
/// missing (whatever the offsets of a missing cell span).
fn feed_var_cells<O: arrow::array::OffsetSizeTrait>(
    h: &mut blake3::Hasher,
    offsets: &[O],
    values: &[u8],
    nulls: Option<&arrow::buffer::NullBuffer>,
) {
    let mut b = Buffered {
        h,
        buf: Vec::with_capacity(1 << 16),
    };
    for (i, w) in offsets.windows(2).enumerate() {
        let (s, e) = (w[0].as_usize(), w[1].as_usize());
        if nulls.is_some_and(|n| n.is_null(i)) || s == e {
            b.put(&0u64.to_le_bytes());
        } else {
            b.put(&((e - s) as u64).to_le_bytes());
            b.put(&values[s..e]);
        }
    }
    b.flush();
}

/// Domain-separation prefix of the hash of a chunked value.
const CHUNKED_DOMAIN: &[u8] = b"scidb:chunked:v1\0";

/// The content hash of a chunked value, fed chunk by chunk. It depends on
/// the logical content only, not on where the chunks were cut (recipe in
/// docs/content-hash.md): each column's cells (or an array's elements)
/// stream into their own hasher, and the final hash combines their digests
/// with the shape, which is known only at the end.
pub struct ChunkedHasher {
    data: blake3::Hasher,
    columns: Vec<ColumnHasher>,
}

struct ColumnHasher {
    cells: blake3::Hasher,
    validity: blake3::Hasher,
    has_nulls: bool,
}

impl ChunkedHasher {
    pub fn new(layout: &crate::chunked::Layout) -> Self {
        let n = match layout {
            crate::chunked::Layout::Table { columns } => columns.len(),
            crate::chunked::Layout::Array { .. } => 0,
        };
        ChunkedHasher {
            data: blake3::Hasher::new(),
            columns: (0..n)
                .map(|_| ColumnHasher {
                    cells: blake3::Hasher::new(),
                    validity: blake3::Hasher::new(),
                    has_nulls: false,
                })
                .collect(),
        }
    }

    /// Array elements, row-major, in order.
    pub fn update_array(&mut self, bytes: &[u8]) {
        update_bulk(&mut self.data, bytes);
    }

    /// A table chunk with the stored schema (32-bit offsets).
    pub fn update_table(&mut self, batch: &arrow::array::RecordBatch) {
        for (h, column) in self.columns.iter_mut().zip(batch.columns()) {
            feed_validity(&mut h.validity, column.as_ref());
            h.has_nulls |= column.null_count() > 0;
            feed_cells(&mut h.cells, column);
        }
    }

    pub fn finish(self, layout: &crate::chunked::Layout, rows: u64) -> String {
        let mut h = blake3::Hasher::new();
        h.update(CHUNKED_DOMAIN);
        match layout {
            crate::chunked::Layout::Array { dtype, inner } => {
                h.update(b"A");
                feed_str(&mut h, dtype.name());
                feed_len(&mut h, inner.len() as u64 + 1);
                feed_len(&mut h, rows);
                inner.iter().for_each(|&d| feed_len(&mut h, d));
                h.update(self.data.finalize().as_bytes());
            }
            crate::chunked::Layout::Table { columns } => {
                h.update(b"T");
                feed_len(&mut h, columns.len() as u64);
                feed_len(&mut h, rows);
                for ((name, ty), c) in columns.iter().zip(self.columns) {
                    feed_str(&mut h, name);
                    feed_str(&mut h, ty.name());
                    if c.has_nulls {
                        h.update(b"V");
                        h.update(c.validity.finalize().as_bytes());
                    } else {
                        h.update(b"F");
                    }
                    h.update(c.cells.finalize().as_bytes());
                }
            }
        }
        h.finalize().to_hex().to_string()
    }
}

/// A column's cells, read where Arrow holds them: fixed-width elements
/// little-endian (bool one byte, missing cells all zero), text and binary
/// as `u64(len)` and bytes (missing cells empty).
fn feed_cells(h: &mut blake3::Hasher, column: &arrow::array::ArrayRef) {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::DataType;
    let n = column.len();
    match column.data_type() {
        DataType::Utf8 => {
            let a = column.as_string::<i32>();
            feed_var_cells(h, a.value_offsets(), a.values(), a.nulls());
        }
        DataType::Binary => {
            let a = column.as_binary::<i32>();
            feed_var_cells(h, a.value_offsets(), a.values(), a.nulls());
        }
        DataType::Boolean => {
            let a = column.as_boolean();
            let mut buf = vec![0u8; BLOCK_ROWS.min(n)];
            for start in (0..n).step_by(BLOCK_ROWS) {
                let k = BLOCK_ROWS.min(n - start);
                crate::value::bool_bytes_into(a, start, &mut buf[..k]);
                h.update(&buf[..k]);
            }
        }
        other => {
            // Tables hold no other types than fixed-width numbers here.
            let size = other.primitive_width().unwrap_or(0);
            let data = column.to_data();
            let start = data.offset() * size;
            let values = &data.buffers()[0].as_slice()[start..start + n * size];
            match column.nulls().filter(|n| n.null_count() > 0) {
                None => update_bulk(h, values),
                Some(nulls) => {
                    let mut buf = vec![0u8; BLOCK_ROWS.min(n) * size];
                    for first in (0..n).step_by(BLOCK_ROWS) {
                        let k = BLOCK_ROWS.min(n - first);
                        let block = &mut buf[..k * size];
                        block.copy_from_slice(&values[first * size..(first + k) * size]);
                        for (i, cell) in block.chunks_exact_mut(size).enumerate() {
                            if nulls.is_null(first + i) {
                                cell.fill(0);
                            }
                        }
                        h.update(block);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manual(bytes: &[u8]) -> String {
        let mut h = blake3::Hasher::new();
        h.update(DOMAIN);
        h.update(bytes);
        h.finalize().to_hex().to_string()
    }

    fn le(n: u64) -> [u8; 8] {
        n.to_le_bytes()
    }

    #[test]
    fn null_follows_recipe() {
        assert_eq!(content_hash(&Value::Null), manual(b"N"));
    }

    #[test]
    fn scalar_follows_recipe() {
        let v = Value::Array(Array::scalar(DType::Float64, &1.5f64.to_le_bytes()).unwrap());
        let mut b = b"A".to_vec();
        b.extend(le(7));
        b.extend(b"float64");
        b.extend(le(0));
        b.extend(1.5f64.to_le_bytes());
        assert_eq!(content_hash(&v), manual(&b));
    }

    #[test]
    fn column_major_hash_matches_the_row_major_array() {
        // Small and strip-sized matrices, one longer than a strip (several
        // strips, a short last one), a row longer than a strip, N-d, vectors.
        let shapes: [&[u64]; 9] = [
            &[2, 3],
            &[33, 65],
            &[1, 7],
            &[7, 1],
            &[0, 3],
            &[1500, 401],
            &[2, 300_000],
            &[3, 4, 5],
            &[9],
        ];
        for shape in shapes {
            for dtype in [DType::UInt8, DType::Float64, DType::Complex128] {
                let n = Array::byte_len(dtype, shape).unwrap() as usize;
                let col: Vec<u8> = (0..n).map(|i| (i * 7 + i / 251) as u8).collect();
                let a = Array::from_column_major(dtype, shape.to_vec(), &col, false).unwrap();
                assert!(
                    array_hash_column_major(dtype, shape, &col) == content_hash(&Value::Array(a)),
                    "{dtype:?} {shape:?}"
                );
            }
        }
    }

    #[test]
    fn borrowed_array_hash_matches() {
        let data: Vec<u8> = (0u8..48).collect();
        let a = Array::new(DType::Float64, vec![2, 3], data.clone(), false).unwrap();
        assert_eq!(
            array_hash(DType::Float64, &[2, 3], &data),
            content_hash(&Value::Array(a))
        );
    }

    #[test]
    fn scalar_flag_is_not_hashed() {
        let a = Array::new(DType::Int32, vec![], 7i32.to_le_bytes().to_vec(), true).unwrap();
        let mut b = a.clone();
        b.scalar = false;
        assert_eq!(
            content_hash(&Value::Array(a)),
            content_hash(&Value::Array(b))
        );
    }

    #[test]
    fn map_follows_recipe_sorted_by_key() {
        let v = Value::Map(vec![
            ("b".into(), Value::String("x".into())),
            ("a".into(), Value::Null),
        ]);
        let mut b = b"M".to_vec();
        b.extend(le(2));
        b.extend(le(1));
        b.extend(b"a");
        b.extend(b"N");
        b.extend(le(1));
        b.extend(b"b");
        b.extend(b"S");
        b.extend(le(1));
        b.extend(b"x");
        assert_eq!(content_hash(&v), manual(&b));
    }

    #[test]
    fn table_with_nulls_follows_recipe() {
        use arrow::array::{ArrayRef, Int64Array, StringArray};
        use std::sync::Arc;
        let x: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), None]));
        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("hé"), Some("")]));
        let t = Table::from_columns(2, vec![("x".into(), x), ("s".into(), s)]).unwrap();
        let mut b = b"T".to_vec();
        b.extend(le(2));
        b.extend(le(2));
        b.extend(le(1));
        b.extend(b"x");
        b.extend(le(5));
        b.extend(b"int64");
        b.extend(b"V");
        b.extend([1u8, 0u8]);
        b.extend(5i64.to_le_bytes());
        b.extend([0u8; 8]);
        b.extend(le(1));
        b.extend(b"s");
        b.extend(le(6));
        b.extend(b"string");
        b.extend(b"F");
        b.extend(le(3));
        b.extend("hé".as_bytes());
        b.extend(le(0));
        assert_eq!(content_hash(&Value::Table(t)), manual(&b));
    }

    #[test]
    fn binary_column_follows_recipe() {
        use arrow::array::{ArrayRef, BinaryArray, LargeBinaryArray};
        use std::sync::Arc;
        let cells = vec![Some(&[0u8, 0xff][..]), None, Some(&[][..])];
        let b: ArrayRef = Arc::new(BinaryArray::from(cells.clone()));
        let t = Table::from_columns(3, vec![("b".into(), b)]).unwrap();
        let mut m = b"T".to_vec();
        m.extend(le(1));
        m.extend(le(3));
        m.extend(le(1));
        m.extend(b"b");
        m.extend(le(6));
        m.extend(b"binary");
        m.extend(b"V");
        m.extend([1u8, 0, 1]);
        m.extend(le(2));
        m.extend([0u8, 0xff]);
        m.extend(le(0));
        m.extend(le(0));
        assert_eq!(content_hash(&Value::Table(t)), manual(&m));
        // Large offsets hash alike.
        let large: ArrayRef = Arc::new(LargeBinaryArray::from(cells));
        let t = Table::from_columns(3, vec![("b".into(), large)]).unwrap();
        assert_eq!(content_hash(&Value::Table(t)), manual(&m));
    }

    /// The published vectors of docs/content-hash.md.
    #[test]
    fn published_vectors() {
        for (value, expected) in crate::hash_vectors::vectors() {
            assert_eq!(content_hash(&value), expected, "vector {value:?}");
        }
    }
}
