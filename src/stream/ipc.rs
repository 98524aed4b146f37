//! One record batch as an Arrow IPC stream (schema, the batch, end-of-stream
//! marker): the unit of the stream protocol's Arrow format and of chunked
//! storage.

use crate::error::{Error, Result};
use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::error::ArrowError;
use arrow::ipc::reader::StreamDecoder;
use arrow::ipc::writer::StreamWriter;

/// Appends `batch` as a complete IPC stream to `out`.
pub fn encode_into(batch: &RecordBatch, out: Vec<u8>) -> Result<Vec<u8>> {
    let fail = |e: ArrowError| Error::invalid(format!("encoding an Arrow batch: {e}"));
    let mut writer = StreamWriter::try_new(out, &batch.schema()).map_err(fail)?;
    writer.write(batch).map_err(fail)?;
    writer.finish().map_err(fail)?;
    writer.into_inner().map_err(fail)
}

/// Decodes an IPC stream that must hold exactly one record batch and
/// nothing after its end-of-stream marker. Column buffers alias `bytes`
/// where they are aligned (no copy). `what` names the message in errors
/// ("chunk 3").
pub fn decode_one(bytes: Vec<u8>, what: &str) -> Result<RecordBatch> {
    let bad = |detail: String| {
        Error::protocol(format!("{what} is not a valid Arrow IPC stream: {detail}"))
    };
    let mut buffer = Buffer::from_vec(bytes);
    let mut decoder = StreamDecoder::new();
    let mut batches = Vec::with_capacity(1);
    // `decode` consumes the buffer up to the end of a batch, or all of it.
    while !buffer.is_empty() {
        match decoder.decode(&mut buffer) {
            Ok(Some(batch)) => batches.push(batch),
            Ok(None) => {}
            // What the decoder says of bytes after the end-of-stream marker
            // (it leaves them in the buffer).
            Err(ArrowError::IpcError(m)) if m == "Unexpected EOS" => {
                return Err(bad(format!(
                    "{} bytes follow the end-of-stream marker",
                    buffer.len()
                )))
            }
            Err(e) => return Err(bad(e.to_string())),
        }
    }
    decoder.finish().map_err(|e| {
        bad(format!(
            "{e} (the stream is cut short or lacks its end-of-stream marker)"
        ))
    })?;
    match batches.len() {
        1 => Ok(batches.remove(0)),
        0 => Err(Error::protocol(format!(
            "{what} holds no record batch; the stream protocol sends exactly one"
        ))),
        n => Err(Error::protocol(format!(
            "{what} holds {n} record batches; the stream protocol sends exactly one"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Float64Array, StringArray};
    use std::sync::Arc;

    fn sample() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "x",
                Arc::new(Float64Array::from(vec![1.0, f64::NAN])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("a"), None])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let bytes = encode_into(&sample(), Vec::new()).unwrap();
        let back = decode_one(bytes, "chunk 1").unwrap();
        assert_eq!(back.num_rows(), 2);
        assert_eq!(back.schema(), sample().schema());
        assert!(back.column(1).is_null(1));
    }

    #[test]
    fn two_batches_are_refused() {
        let b = sample();
        let mut writer = StreamWriter::try_new(Vec::new(), &b.schema()).unwrap();
        writer.write(&b).unwrap();
        writer.write(&b).unwrap();
        writer.finish().unwrap();
        let err = decode_one(writer.into_inner().unwrap(), "chunk 1").unwrap_err();
        assert!(err.message.contains("2 record batches"), "{}", err.message);
    }

    #[test]
    fn truncated_and_garbage_bytes_are_refused() {
        let bytes = encode_into(&sample(), Vec::new()).unwrap();
        let cut = bytes[..bytes.len() - 20].to_vec();
        let err = decode_one(cut, "chunk 2").unwrap_err();
        assert!(
            err.message.starts_with("chunk 2 is not a valid"),
            "{}",
            err.message
        );
        let err = decode_one(vec![0x41; 64], "chunk 3").unwrap_err();
        assert!(
            err.message.starts_with("chunk 3 is not a valid"),
            "{}",
            err.message
        );
        let mut long = bytes.clone();
        long.extend_from_slice(&[0u8; 16]);
        let err = decode_one(long, "chunk 4").unwrap_err();
        assert!(
            err.message.contains("follow the end-of-stream"),
            "{}",
            err.message
        );
    }
}
