//! Chunked values: an array or table saved from a sequence of chunks and
//! read back one chunk at a time, so it is never held whole (the SQL side
//! is `store::chunked`).
//!
//! Arrays are concatenated along their first axis (every chunk has the
//! same dtype and the same trailing shape); tables by rows (every chunk has
//! the same column names and types: numbers, bool, text, binary). Whatever
//! sizes the saver's chunks have, the stored chunks hold [`CHUNK_CELLS`]
//! cells (the seed thread's guidance of 100K-1M cells a chunk), the last
//! one fewer, so a value stores the same way however it was cut.

use crate::codec::MAGIC;
use crate::error::{Error, Result};
use crate::stream::ipc;
use crate::value::{element_count, Array, DType};
use arrow::array::{make_array, ArrayRef, MutableArrayData, RecordBatch};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{Field, Schema, SchemaRef};
use std::sync::Arc;

/// Cells (array elements, or table rows times columns) of a stored chunk.
pub const CHUNK_CELLS: u64 = 1_000_000;

/// The blob tag of a chunked value's header (see `codec`).
const TAG: u8 = b'c';

/// One chunk as read back.
#[derive(Debug, Clone)]
pub enum Chunk {
    /// Rows along the first axis.
    Array(Array),
    Table(RecordBatch),
}

/// One stored chunk on its way to storage: an array's row-major bytes or
/// a table's rows (with the stored schema).
#[derive(Debug, Clone, Copy)]
pub enum Stored<'a> {
    Bytes(&'a [u8]),
    Batch(&'a RecordBatch),
}

/// One chunk as saved (borrowed: saving copies nothing it need not).
#[derive(Debug, Clone, Copy)]
pub enum ChunkRef<'a> {
    Array(&'a Array),
    Table(&'a RecordBatch),
}

/// The type of a table column of a chunked value: the value model's one
/// map to Arrow types.
pub use crate::value::ColumnType;

/// What every chunk of a value looks like.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    Array { dtype: DType, inner: Vec<u64> },
    Table { columns: Vec<(String, ColumnType)> },
}

/// The column type codes of a chunked value's header (see `codec`).
impl ColumnType {
    fn code(self) -> u8 {
        match self {
            ColumnType::Numeric(d) => d as u8,
            ColumnType::Text => 100,
            ColumnType::Binary => 101,
        }
    }

    fn from_code(code: u8) -> Result<ColumnType> {
        match code {
            100 => Ok(ColumnType::Text),
            101 => Ok(ColumnType::Binary),
            c => DType::from_code(c as u32)
                .map(ColumnType::Numeric)
                .map_err(|e| Error::corrupt(format!("chunked value header: {}", e.message))),
        }
    }
}

impl Layout {
    /// The layout a first chunk sets.
    pub fn of(chunk: ChunkRef<'_>) -> Result<Layout> {
        match chunk {
            ChunkRef::Array(a) => {
                if a.shape.is_empty() {
                    return Err(Error::invalid(
                        "a chunk of an array needs at least one dimension (its rows)",
                    ));
                }
                Ok(Layout::Array {
                    dtype: a.dtype,
                    inner: a.shape[1..].to_vec(),
                })
            }
            ChunkRef::Table(b) => {
                let columns = b
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| {
                        ColumnType::of(f.data_type())
                            .map(|t| (f.name().clone(), t))
                            .ok_or_else(|| {
                                Error::type_mismatch(format!(
                                    "chunk column '{}' has type {}; chunked tables hold numbers, \
                                     bool, text and binary",
                                    f.name(),
                                    f.data_type()
                                ))
                            })
                    })
                    .collect::<Result<_>>()?;
                Ok(Layout::Table { columns })
            }
        }
    }

    /// Cells in one row (one step along the first axis).
    fn cells_per_row(&self) -> u64 {
        match self {
            Layout::Array { inner, .. } => inner.iter().product(),
            Layout::Table { columns } => columns.len() as u64,
        }
    }

    /// Rows of every stored chunk but the last.
    pub fn rows_per_chunk(&self) -> u64 {
        (CHUNK_CELLS / self.cells_per_row().max(1)).max(1)
    }

    /// Bytes of one array row.
    fn row_bytes(&self) -> u64 {
        match self {
            Layout::Array { dtype, inner } => inner.iter().product::<u64>() * dtype.size() as u64,
            Layout::Table { .. } => 0,
        }
    }

    /// The Arrow schema stored table chunks have.
    pub(crate) fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = match self {
            Layout::Table { columns } => columns
                .iter()
                .map(|(name, t)| Field::new(name, t.arrow(), true))
                .collect(),
            Layout::Array { .. } => Vec::new(),
        };
        Arc::new(Schema::new(fields))
    }

    /// "float64 array (n, 3)" or "table {x: int64, s: string}".
    pub fn describe(&self, rows: u64) -> String {
        match self {
            Layout::Array { dtype, inner } => {
                let dims: Vec<String> = std::iter::once(rows)
                    .chain(inner.iter().copied())
                    .map(|d| d.to_string())
                    .collect();
                format!("{} array {}", dtype.name(), dims.join("x"))
            }
            Layout::Table { columns } => {
                let cols: Vec<String> = columns
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.name()))
                    .collect();
                format!("table {rows} rows {{{}}}", cols.join(", "))
            }
        }
    }

    /// Checks that a later chunk matches; names what differs.
    fn check(&self, chunk: ChunkRef<'_>, index: u64) -> Result<()> {
        let other = Layout::of(chunk)?;
        if &other == self {
            return Ok(());
        }
        let what = |l: &Layout| match l {
            Layout::Array { dtype, inner } => {
                format!("{} rows of shape {inner:?}", dtype.name())
            }
            Layout::Table { columns } => {
                let cols: Vec<String> = columns
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.name()))
                    .collect();
                format!("columns {{{}}}", cols.join(", "))
            }
        };
        Err(Error::type_mismatch(format!(
            "chunk {index} has {}, but the first chunk has {}",
            what(&other),
            what(self)
        )))
    }
}

impl ChunkRef<'_> {
    pub fn rows(&self) -> u64 {
        match self {
            ChunkRef::Array(a) => a.shape.first().copied().unwrap_or(0),
            ChunkRef::Table(b) => b.num_rows() as u64,
        }
    }
}

/// The stored form of a chunked value's record: its layout and where its
/// chunks are. Chunk i holds `rows_per_chunk` rows (the last one fewer) in
/// `chunk_bytes[i]` bytes: in the value's payload file (`stream` 0: an
/// array's rows in `<hash>.npy`, a table's record batch i in
/// `<hash>.arrow`) or, in layout 1, as 8-byte words of stream `stream`.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub layout: Layout,
    pub total_rows: u64,
    pub body_bytes: u64,
    pub stream: u64,
    pub chunk_bytes: Vec<u64>,
}

/// `Header::stream` of a value whose chunks are in its payload file.
pub const IN_PAYLOAD_FILE: u64 = 0;

/// Whether a stored value blob is a chunked value's header.
pub fn is_chunked(blob: &[u8]) -> bool {
    blob.len() > MAGIC.len() && blob.starts_with(MAGIC) && blob[MAGIC.len()] == TAG
}

impl Header {
    /// An array's whole shape: every row, then the trailing dimensions.
    pub fn shape(&self) -> Vec<u64> {
        let inner: &[u64] = match &self.layout {
            Layout::Array { inner, .. } => inner,
            Layout::Table { .. } => &[],
        };
        std::iter::once(self.total_rows)
            .chain(inner.iter().copied())
            .collect()
    }

    pub fn n_chunks(&self) -> usize {
        self.chunk_bytes.len()
    }

    /// Rows of chunk `i`.
    pub fn rows_of(&self, i: usize) -> u64 {
        let per = self.layout.rows_per_chunk();
        per.min(self.total_rows.saturating_sub(per * i as u64))
    }

    /// The record blob (format in `codec`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.push(TAG);
        out.extend_from_slice(&self.total_rows.to_le_bytes());
        out.extend_from_slice(&self.layout.rows_per_chunk().to_le_bytes());
        out.extend_from_slice(&self.body_bytes.to_le_bytes());
        out.extend_from_slice(&self.stream.to_le_bytes());
        out.extend_from_slice(&(self.chunk_bytes.len() as u64).to_le_bytes());
        for n in &self.chunk_bytes {
            out.extend_from_slice(&n.to_le_bytes());
        }
        match &self.layout {
            Layout::Array { dtype, inner } => {
                out.push(0);
                out.push(*dtype as u8);
                out.extend_from_slice(&(inner.len() as u32).to_le_bytes());
                for d in inner {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
            Layout::Table { columns } => {
                out.push(1);
                out.extend_from_slice(&(columns.len() as u64).to_le_bytes());
                for (name, t) in columns {
                    out.extend_from_slice(&(name.len() as u64).to_le_bytes());
                    out.extend_from_slice(name.as_bytes());
                    out.push(t.code());
                }
            }
        }
        out
    }

    pub fn decode(blob: &[u8]) -> Result<Header> {
        if !is_chunked(blob) {
            return Err(Error::corrupt("not a chunked value header"));
        }
        let mut r = Bytes(&blob[MAGIC.len() + 1..]);
        let total_rows = r.u64()?;
        let rows_per_chunk = r.u64()?;
        let body_bytes = r.u64()?;
        let stream = r.u64()?;
        let n = r.u64()?;
        if n > r.0.len() as u64 / 8 {
            return Err(Error::corrupt("chunked value header is truncated"));
        }
        let chunk_bytes = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
        let layout = match r.u8()? {
            0 => {
                let dtype =
                    DType::from_code(r.u8()? as u32).map_err(|e| Error::corrupt(e.message))?;
                let ndim = r.u32()?;
                if ndim > 63 {
                    return Err(Error::corrupt("chunked array has too many dimensions"));
                }
                let inner = (0..ndim).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
                Layout::Array { dtype, inner }
            }
            1 => {
                let ncols = r.u64()?;
                if ncols > r.0.len() as u64 {
                    return Err(Error::corrupt("chunked value header is truncated"));
                }
                let mut columns = Vec::with_capacity(ncols as usize);
                for _ in 0..ncols {
                    let len = r.u64()?;
                    let name = String::from_utf8(r.take(len)?.to_vec())
                        .map_err(|_| Error::corrupt("chunked column name is not UTF-8"))?;
                    columns.push((name, ColumnType::from_code(r.u8()?)?));
                }
                Layout::Table { columns }
            }
            other => {
                return Err(Error::corrupt(format!(
                    "chunked value has unknown layout {other}"
                )))
            }
        };
        if !r.0.is_empty() {
            return Err(Error::corrupt("chunked value header has trailing bytes"));
        }
        // Stored chunk sizes depend on the layout alone; a header that
        // disagrees was written by another scidb.
        if rows_per_chunk != layout.rows_per_chunk() {
            return Err(Error::corrupt(format!(
                "chunked value has {rows_per_chunk} rows a chunk; this scidb reads {}",
                layout.rows_per_chunk()
            )));
        }
        let header = Header {
            layout,
            total_rows,
            body_bytes,
            stream,
            chunk_bytes,
        };
        let expected = total_rows.div_ceil(header.layout.rows_per_chunk());
        if expected != header.n_chunks() as u64
            || header.chunk_bytes.iter().sum::<u64>() != body_bytes
        {
            return Err(Error::corrupt(format!(
                "chunked value of {total_rows} rows and {body_bytes} bytes lists {} chunks of {} bytes",
                header.n_chunks(),
                header.chunk_bytes.iter().sum::<u64>()
            )));
        }
        Ok(header)
    }

    /// Decodes stored chunk `i` from its bytes.
    pub fn decode_chunk(&self, i: usize, bytes: Vec<u8>) -> Result<Chunk> {
        let rows = self.rows_of(i);
        match &self.layout {
            Layout::Array { dtype, inner } => {
                let shape: Vec<u64> = std::iter::once(rows).chain(inner.iter().copied()).collect();
                Array::new(*dtype, shape, bytes, false)
                    .map(Chunk::Array)
                    .map_err(|e| Error::corrupt(format!("stored chunk {i}: {}", e.message)))
            }
            Layout::Table { .. } => {
                let batch = ipc::decode_one(bytes, &format!("stored chunk {i}"))
                    .map_err(|e| Error::corrupt(e.message))?;
                self.table_chunk(i, batch)
            }
        }
    }

    /// Stored table chunk `i`, checked against the layout.
    pub fn table_chunk(&self, i: usize, batch: RecordBatch) -> Result<Chunk> {
        if !matches!(self.layout, Layout::Table { .. })
            || batch.num_rows() as u64 != self.rows_of(i)
            || batch.schema() != self.layout.schema()
        {
            return Err(Error::corrupt(format!(
                "stored chunk {i} does not match its value's layout"
            )));
        }
        Ok(Chunk::Table(batch))
    }
}

struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        if n > self.0.len() as u64 {
            return Err(Error::corrupt("chunked value header is truncated"));
        }
        let (head, rest) = self.0.split_at(n as usize);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }
    fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
}

/// Cuts incoming chunks into stored chunks of `rows_per_chunk` rows,
/// buffering less than one stored chunk, and hashes the content on the way.
pub struct Rechunker {
    layout: Layout,
    rows_per_chunk: u64,
    /// Array rows not yet stored (row-major bytes).
    pending_bytes: Vec<u8>,
    /// Table rows not yet stored.
    pending_batches: Vec<RecordBatch>,
    pending_rows: u64,
    total_rows: u64,
    added: u64,
    hasher: crate::hash::ChunkedHasher,
}

impl Rechunker {
    pub fn new(first: ChunkRef<'_>) -> Result<Self> {
        let layout = Layout::of(first)?;
        if let Layout::Array { inner, .. } = &layout {
            if element_count(inner)? == 0 {
                return Err(Error::invalid(format!(
                    "chunks of shape (n, {}) hold no elements; a chunked array's rows need at \
                     least one",
                    inner
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(Rechunker {
            rows_per_chunk: layout.rows_per_chunk(),
            hasher: crate::hash::ChunkedHasher::new(&layout),
            layout,
            pending_bytes: Vec::new(),
            pending_batches: Vec::new(),
            pending_rows: 0,
            total_rows: 0,
            added: 0,
        })
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Takes one incoming chunk; `store` receives each full stored chunk's
    /// bytes in order.
    pub fn push(
        &mut self,
        chunk: ChunkRef<'_>,
        store: &mut dyn FnMut(Stored<'_>) -> Result<()>,
    ) -> Result<()> {
        self.added += 1;
        self.layout.check(chunk, self.added)?;
        match chunk {
            ChunkRef::Array(a) => {
                self.hasher.update_array(&a.data);
                self.push_array_bytes(&a.data, store)?;
            }
            ChunkRef::Table(b) => {
                let b = self.normalized(b)?;
                self.hasher.update_table(&b);
                self.push_batch(b, store)?;
            }
        }
        self.total_rows += chunk.rows();
        Ok(())
    }

    fn push_array_bytes(
        &mut self,
        mut data: &[u8],
        store: &mut dyn FnMut(Stored<'_>) -> Result<()>,
    ) -> Result<()> {
        let chunk_bytes = (self.rows_per_chunk * self.layout.row_bytes()) as usize;
        if !self.pending_bytes.is_empty() {
            let want = chunk_bytes - self.pending_bytes.len();
            let take = want.min(data.len());
            self.pending_bytes.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending_bytes.len() == chunk_bytes {
                store(Stored::Bytes(&self.pending_bytes))?;
                self.pending_bytes.clear();
            }
        }
        // Whole stored chunks go straight from the caller's buffer.
        while data.len() >= chunk_bytes {
            store(Stored::Bytes(&data[..chunk_bytes]))?;
            data = &data[chunk_bytes..];
        }
        self.pending_bytes.extend_from_slice(data);
        Ok(())
    }

    /// A batch with the stored schema: 32-bit offsets, nullable fields.
    fn normalized(&self, b: &RecordBatch) -> Result<RecordBatch> {
        let schema = self.layout.schema();
        let columns = b
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(c, f)| {
                if c.data_type() == f.data_type() {
                    Ok(c.clone())
                } else {
                    cast(c, f.data_type())
                        .map_err(|e| Error::invalid(format!("chunk column '{}': {e}", f.name())))
                }
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
        RecordBatch::try_new_with_options(schema, columns, &options)
            .map_err(|e| Error::invalid(format!("chunk: {e}")))
    }

    fn push_batch(
        &mut self,
        mut b: RecordBatch,
        store: &mut dyn FnMut(Stored<'_>) -> Result<()>,
    ) -> Result<()> {
        let n = self.rows_per_chunk as usize;
        if self.pending_rows > 0 {
            let need = n - self.pending_rows as usize;
            if b.num_rows() < need {
                self.pending_rows += b.num_rows() as u64;
                self.pending_batches.push(owned(&b)?);
                return Ok(());
            }
            self.pending_batches.push(b.slice(0, need));
            store(Stored::Batch(&self.take_pending()?))?;
            b = b.slice(need, b.num_rows() - need);
        }
        while b.num_rows() >= n {
            store(Stored::Batch(&b.slice(0, n)))?;
            b = b.slice(n, b.num_rows() - n);
        }
        if b.num_rows() > 0 {
            self.pending_rows = b.num_rows() as u64;
            self.pending_batches.push(owned(&b)?);
        }
        Ok(())
    }

    fn take_pending(&mut self) -> Result<RecordBatch> {
        let mut batches = std::mem::take(&mut self.pending_batches);
        self.pending_rows = 0;
        if batches.len() == 1 {
            if let Some(only) = batches.pop() {
                return Ok(only);
            }
        }
        concat_batches(&self.layout.schema(), &batches)
            .map_err(|e| Error::invalid(format!("joining chunks: {e}")))
    }

    /// Stores what is left and returns the total rows and content hash.
    pub fn finish(
        mut self,
        store: &mut dyn FnMut(Stored<'_>) -> Result<()>,
    ) -> Result<(u64, String)> {
        match self.layout {
            Layout::Array { .. } => {
                if !self.pending_bytes.is_empty() {
                    store(Stored::Bytes(&self.pending_bytes))?;
                }
            }
            Layout::Table { .. } => {
                if self.pending_rows > 0 {
                    let rest = self.take_pending()?;
                    store(Stored::Batch(&rest))?;
                }
            }
        }
        let hash = self.hasher.finish(&self.layout, self.total_rows);
        Ok((self.total_rows, hash))
    }
}

/// A copy of a batch in memory of its own. Rows kept for a later stored
/// chunk outlive the call that brought them, and a caller's buffers may
/// not (Python frees exported memory when the call returns).
fn owned(b: &RecordBatch) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = b
        .columns()
        .iter()
        .map(|c| {
            let data = c.to_data();
            let mut copy = MutableArrayData::new(vec![&data], false, data.len());
            copy.extend(0, 0, data.len());
            make_array(copy.freeze())
        })
        .collect();
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
    RecordBatch::try_new_with_options(b.schema(), columns, &options)
        .map_err(|e| Error::invalid(format!("keeping a chunk: {e}")))
}
