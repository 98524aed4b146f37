//! Tables in payload files: Arrow IPC files (`<hash>.arrow`, one record
//! batch per stored chunk), which pyarrow (`pyarrow.ipc.open_file`), pandas
//! (`read_feather`), polars and DuckDB's arrow extension read without scidb.

use super::payload::{PayloadStore, TempFile};
use crate::error::{Error, Result};
use crate::hash::content_hash;
use crate::value::{batch_from_table, table_from_batch, Table, Value};
use arrow::array::RecordBatch;
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

/// Writes a whole table as a one-batch Arrow IPC file (not yet committed).
pub fn stage_whole(store: &Arc<PayloadStore>, table: &Table) -> Result<TempFile> {
    let batch = batch_from_table(table)?;
    let mut writer = BatchFile::new(store, &batch.schema())?;
    writer.write(&batch)?;
    writer.finish()
}

/// Reads a whole table back; its content hash must be `hash`, since the
/// Arrow form is a conversion of what was saved.
pub fn read_whole(file: File, hash: &str) -> Result<Value> {
    let what = "reading a table payload";
    let reader = FileReader::try_new(BufReader::new(file), None).map_err(arrow_error(what))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(arrow_error(what))?;
    let all = arrow::compute::concat_batches(&schema, &batches).map_err(arrow_error(what))?;
    let value = Value::Table(table_from_batch(&all)?);
    if content_hash(&value) != hash {
        return Err(Error::corrupt(format!(
            "the table payload of value {hash} holds other content"
        )));
    }
    Ok(value)
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
