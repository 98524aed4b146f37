//! Tables in payload files: Arrow IPC files (`<hash>.arrow`, one record
//! batch per stored chunk), which pyarrow (`pyarrow.ipc.open_file`), pandas
//! (`read_feather`), polars and DuckDB's arrow extension read without scidb.

use super::payload::{PayloadStore, TempFile};
use crate::error::{Error, Result};
use crate::hash::content_hash;
use crate::value::{Elements, Mapped, Table, Value};
use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::sync::Arc;

fn arrow_error(what: &str) -> impl Fn(ArrowError) -> Error + '_ {
    move |e| Error::io(format!("{what}: {e}"))
}

/// Writes a whole table as a one-batch Arrow IPC file (not yet
/// committed), straight from the table's own record batch.
pub fn stage_whole(store: &Arc<PayloadStore>, table: &Table) -> Result<TempFile> {
    let batch = table.batch();
    let mut writer = BatchFile::new(store, batch.schema_ref())?;
    writer.write(batch)?;
    writer.finish()
}

/// Reads a whole table back; its content hash must be `hash`, since the
/// Arrow form is a conversion of what was saved. The file is memory-mapped
/// (privately) and the table's buffers point into the mapping: nothing is
/// copied, and only what is used is read.
pub fn read_whole(file: File, hash: &str) -> Result<Value> {
    let what = "reading a table payload";
    let buffer = map_file(&file)?;
    let (schema, batches) = decode_file(&buffer)
        .map_err(|e| Error::corrupt(format!("a table payload is not an Arrow file: {e}")))?;
    let all = match <[RecordBatch; 1]>::try_from(batches) {
        Ok([one]) => one,
        Err(batches) => {
            arrow::compute::concat_batches(&schema, &batches).map_err(arrow_error(what))?
        }
    };
    let value = Value::Table(Table::new(all)?);
    if content_hash(&value) != hash {
        return Err(Error::corrupt(format!(
            "the table payload of value {hash} holds other content"
        )));
    }
    Ok(value)
}

/// The whole file as one Arrow buffer over a private memory map, which
/// the buffer (and every slice of it) keeps alive.
fn map_file(file: &File) -> Result<Buffer> {
    let len = file
        .metadata()
        .map_err(|e| Error::corrupt(format!("reading a table payload's size: {e}")))?
        .len();
    let len = usize::try_from(len)
        .map_err(|_| Error::io(format!("{len} bytes do not fit in memory here")))?;
    if len < 10 {
        return Err(Error::corrupt(
            "a table payload is too short to be an Arrow file",
        ));
    }
    let mapped = std::sync::Arc::new(Elements::Mapped(Mapped::map(file, 0, len)?));
    let ptr = std::ptr::NonNull::new(mapped.as_ptr() as *mut u8)
        .ok_or_else(|| Error::io("mapping a table payload gave no address"))?;
    // SAFETY: the mapping holds `len` readable bytes for as long as
    // `mapped` lives, and the buffer owns `mapped`.
    Ok(unsafe { Buffer::from_custom_allocation(ptr, len, mapped) })
}

/// The schema and record batches of an Arrow IPC file held in `buffer`,
/// decoded in place (buffers that are misaligned are copied) and
/// validated. Every block is checked to lie inside the file first.
fn decode_file(buffer: &Buffer) -> std::result::Result<(SchemaRef, Vec<RecordBatch>), String> {
    use arrow::ipc::reader::{read_footer_length, FileDecoder};
    let len = buffer.len();
    let trailer: [u8; 10] = buffer[len - 10..].try_into().map_err(|_| "no trailer")?;
    let footer_len = read_footer_length(trailer).map_err(|e| e.to_string())?;
    let footer_start = (len - 10)
        .checked_sub(footer_len)
        .ok_or("the footer is longer than the file")?;
    let footer = arrow::ipc::root_as_footer(&buffer[footer_start..len - 10])
        .map_err(|e| format!("the footer is unreadable: {e}"))?;
    let schema = Arc::new(arrow::ipc::convert::fb_to_schema(
        footer.schema().ok_or("the footer has no schema")?,
    ));
    let decoder = FileDecoder::new(Arc::clone(&schema), footer.version());
    let mut batches = Vec::new();
    for block in footer.recordBatches().into_iter().flatten() {
        let start = usize::try_from(block.offset()).map_err(|_| "a negative block offset")?;
        let block_len = usize::try_from(block.metaDataLength())
            .ok()
            .zip(usize::try_from(block.bodyLength()).ok())
            .and_then(|(m, b)| m.checked_add(b))
            .ok_or("a block of impossible length")?;
        if start
            .checked_add(block_len)
            .map_or(true, |end| end > footer_start)
        {
            return Err("a record batch lies outside the file".into());
        }
        let data = buffer.slice_with_length(start, block_len);
        match decoder.read_record_batch(block, &data) {
            Ok(Some(batch)) => batches.push(batch),
            Ok(None) => return Err("a record batch block holds no batch".into()),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok((schema, batches))
}

/// An Arrow IPC file being written batch by batch into a temporary file;
/// it counts the bytes each batch took.
pub struct BatchFile {
    writer: FileWriter<BufWriter<Counting>>,
    temp: TempFile,
}

/// A file that counts the bytes written to it.
struct Counting {
    file: File,
    written: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl BatchFile {
    pub fn new(store: &Arc<PayloadStore>, schema: &SchemaRef) -> Result<BatchFile> {
        let mut temp = store.temp()?;
        let file = temp.clone_file()?;
        let sink = BufWriter::with_capacity(1 << 20, Counting { file, written: 0 });
        let writer = FileWriter::try_new(sink, schema).map_err(arrow_error("writing a table"))?;
        Ok(BatchFile { writer, temp })
    }

    /// Bytes handed to the file so far.
    fn position(&mut self) -> Result<u64> {
        let sink = self.writer.get_mut();
        sink.flush()
            .map_err(|e| Error::io(format!("writing a table: {e}")))?;
        Ok(sink.get_ref().written)
    }

    /// Appends a batch; returns the bytes it took.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<u64> {
        let before = self.position()?;
        self.writer
            .write(batch)
            .map_err(arrow_error("writing a table"))?;
        Ok(self.position()? - before)
    }

    /// Writes the file's footer; the file is ready to commit.
    pub fn finish(mut self) -> Result<TempFile> {
        self.writer
            .finish()
            .map_err(arrow_error("writing a table"))?;
        self.position()?;
        Ok(self.temp)
    }
}

/// Reads the stored chunks of a chunked table, by index.
pub struct BatchReader {
    reader: FileReader<BufReader<File>>,
}

impl BatchReader {
    pub fn open(file: File) -> Result<BatchReader> {
        let reader = FileReader::try_new(BufReader::new(file), None)
            .map_err(|e| Error::corrupt(format!("a table payload is not an Arrow file: {e}")))?;
        Ok(BatchReader { reader })
    }

    pub fn batches(&self) -> usize {
        self.reader.num_batches()
    }

    /// Batch `i`.
    pub fn batch(&mut self, i: usize) -> Result<RecordBatch> {
        let bad = |e: ArrowError| Error::corrupt(format!("stored chunk {i}: {e}"));
        self.reader.set_index(i).map_err(bad)?;
        match self.reader.next() {
            Some(b) => b.map_err(bad),
            None => Err(Error::corrupt(format!("stored chunk {i} is missing"))),
        }
    }
}
