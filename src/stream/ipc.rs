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
    // arrow-rs's IPC reader trusts parts of the metadata (it panics on a
    // buffer past the body, an unknown integer width, a missing union
    // member), so every message is checked first.
    check_messages(&bytes).map_err(bad)?;
    // A last line of defence: a panic left in the decoder is still the
    // input's fault, and reported as such.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_unchecked(bytes, what)
    }));
    decoded.unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "malformed message".into());
        Err(bad(detail))
    })
}

/// Marks a message length that follows (the IPC format since Arrow 0.15).
const CONTINUATION: u32 = 0xffff_ffff;

/// Walks the stream's messages as the decoder will and checks what it
/// would trust: every message is a verified flatbuffer of a known kind;
/// the schema has only flat columns of the types scidb reads (bool,
/// integers, float32/64, utf8 and binary, no dictionaries); a batch has one
/// node per column and the buffer count those columns need, each buffer
/// inside the body, no compression. A stream cut short passes here and is
/// refused by the decoder, which waits for bytes that never come.
fn check_messages(bytes: &[u8]) -> std::result::Result<(), String> {
    use arrow::ipc::{root_as_message, MessageHeader, MetadataVersion};
    let mut pos = 0usize;
    let mut columns: Option<Vec<ColumnLayout>> = None;
    let word = |at: usize| -> Option<u32> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    loop {
        let Some(mut len) = word(pos) else {
            return Ok(());
        };
        pos += 4;
        if len == CONTINUATION {
            let Some(l) = word(pos) else { return Ok(()) };
            len = l;
            pos += 4;
        }
        if len == 0 {
            return Ok(());
        }
        let Some(meta) = bytes.get(pos..pos.saturating_add(len as usize)) else {
            return Ok(());
        };
        pos += len as usize;
        // Flatbuffers are read from aligned memory, as the decoder does.
        let meta = Buffer::from(meta);
        let message =
            root_as_message(meta.as_slice()).map_err(|e| format!("bad message metadata: {e}"))?;
        if !matches!(message.version(), MetadataVersion::V4 | MetadataVersion::V5) {
            return Err(format!(
                "metadata version {:?} is not supported",
                message.version()
            ));
        }
        let body_len = usize::try_from(message.bodyLength())
            .map_err(|_| format!("a body length of {}", message.bodyLength()))?;
        // The format pads metadata so bodies and their buffers start at
        // multiples of 8; arrow-rs asserts on misaligned offsets.
        if pos % 8 != 0 {
            return Err(format!("a message body at byte {pos}, not a multiple of 8"));
        }
        match message.header_type() {
            MessageHeader::Schema => {
                if columns.is_some() {
                    return Err("a second schema".into());
                }
                let schema = message
                    .header_as_schema()
                    .ok_or("a schema message without its schema")?;
                let fields = schema.fields().ok_or("a schema without fields")?;
                let layouts = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| column_layout(&f).map_err(|e| format!("column {i}: {e}")))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                columns = Some(layouts);
            }
            MessageHeader::RecordBatch => {
                let layouts = columns.as_ref().ok_or("a record batch before the schema")?;
                let batch = message
                    .header_as_record_batch()
                    .ok_or("a record batch message without its batch")?;
                if batch.compression().is_some() {
                    return Err("compressed record batches are not supported".into());
                }
                if batch.variadicBufferCounts().is_some_and(|v| !v.is_empty()) {
                    return Err("variadic buffers for columns that have none".into());
                }
                let rows = u64::try_from(batch.length())
                    .map_err(|_| format!("a batch of {} rows", batch.length()))?;
                let nodes = batch.nodes().ok_or("a record batch without field nodes")?;
                if nodes.len() != layouts.len() {
                    return Err(format!(
                        "{} field nodes for {} columns",
                        nodes.len(),
                        layouts.len()
                    ));
                }
                let list = batch.buffers().ok_or("a record batch without buffers")?;
                let wanted: usize = layouts.iter().map(|l| l.buffers()).sum();
                if list.len() != wanted {
                    return Err(format!(
                        "{} buffers where the columns have {wanted}",
                        list.len()
                    ));
                }
                let mut lens = Vec::with_capacity(list.len());
                for b in list.iter() {
                    let (offset, len) = (u64::try_from(b.offset()), u64::try_from(b.length()));
                    match (offset, len) {
                        (Ok(o), Ok(l))
                            if o % 8 == 0
                                && o.checked_add(l).is_some_and(|e| e <= body_len as u64) =>
                        {
                            lens.push(l)
                        }
                        _ => {
                            return Err(format!(
                                "a buffer at {} of {} bytes in a body of {body_len} \
                                 (buffers start at multiples of 8)",
                                b.offset(),
                                b.length()
                            ))
                        }
                    }
                }
                let mut at = 0usize;
                for (i, (node, layout)) in nodes.iter().zip(layouts).enumerate() {
                    let n = u64::try_from(node.length()).ok().filter(|&n| n == rows);
                    let nulls = u64::try_from(node.null_count()).ok().filter(|&k| k <= rows);
                    let (Some(n), Some(nulls)) = (n, nulls) else {
                        return Err(format!(
                            "column {i} has {} rows and {} nulls in a batch of {rows}",
                            node.length(),
                            node.null_count()
                        ));
                    };
                    let end = at + layout.buffers();
                    layout
                        .check(n, nulls, &lens[at..end])
                        .map_err(|e| format!("column {i}: {e}"))?;
                    at = end;
                }
            }
            other => {
                return Err(format!(
                    "a {other:?} message, which the stream protocol never sends"
                ))
            }
        }
        pos = pos.saturating_add(body_len);
    }
}

/// How a column of a type scidb reads is laid out in a batch: a validity
/// bitmap, then fixed-width values (`bits` each) or offsets (`bytes`
/// each) and data.
#[derive(Clone, Copy)]
enum ColumnLayout {
    Fixed { bits: u64 },
    Offsets { bytes: u64 },
}

impl ColumnLayout {
    fn buffers(self) -> usize {
        match self {
            ColumnLayout::Fixed { .. } => 2,
            ColumnLayout::Offsets { .. } => 3,
        }
    }

    /// Checks the buffers of one column of `rows` rows with `nulls` nulls
    /// are large enough (arrow-rs asserts where it should refuse).
    fn check(self, rows: u64, nulls: u64, lens: &[u64]) -> std::result::Result<(), String> {
        let need = |what: &str, have: u64, need: Option<u64>| match need {
            Some(n) if have >= n => Ok(()),
            _ => Err(format!("a {what} buffer of {have} bytes for {rows} rows")),
        };
        if nulls > 0 {
            need("validity", lens[0], Some(rows.div_ceil(8)))?;
        }
        // Typed buffers are read as whole elements (arrow-rs asserts so).
        let width = match self {
            ColumnLayout::Fixed { bits } => bits / 8,
            ColumnLayout::Offsets { bytes } => bytes,
        };
        if width > 1 && lens[1] % width != 0 {
            return Err(format!(
                "a buffer of {} bytes of {width}-byte elements",
                lens[1]
            ));
        }
        match self {
            ColumnLayout::Fixed { bits } => need(
                "values",
                lens[1],
                rows.checked_mul(bits).map(|b| b.div_ceil(8)),
            ),
            ColumnLayout::Offsets { bytes } if rows > 0 => need(
                "offsets",
                lens[1],
                rows.checked_add(1).and_then(|n| n.checked_mul(bytes)),
            ),
            ColumnLayout::Offsets { .. } => Ok(()),
        }
    }
}

/// The layout of one column of a type scidb reads; an error for any
/// other column.
fn column_layout(field: &arrow::ipc::Field<'_>) -> std::result::Result<ColumnLayout, String> {
    use arrow::ipc::{Precision, Type};
    if field.dictionary().is_some() {
        return Err("dictionary-encoded columns are not supported".into());
    }
    if field.children().is_some_and(|c| !c.is_empty()) {
        return Err("nested columns are not supported".into());
    }
    let fixed = |bits| Ok(ColumnLayout::Fixed { bits });
    match field.type_type() {
        Type::Bool => fixed(1),
        Type::Int => match field.type_as_int().map(|t| t.bitWidth()) {
            Some(w @ (8 | 16 | 32 | 64)) => fixed(w as u64),
            w => Err(format!("an integer type of width {w:?}")),
        },
        Type::FloatingPoint => match field.type_as_floating_point().map(|t| t.precision()) {
            Some(Precision::SINGLE) => fixed(32),
            Some(Precision::DOUBLE) => fixed(64),
            p => Err(format!("a floating point type of precision {p:?}")),
        },
        Type::Utf8 | Type::Binary => Ok(ColumnLayout::Offsets { bytes: 4 }),
        Type::LargeUtf8 | Type::LargeBinary => Ok(ColumnLayout::Offsets { bytes: 8 }),
        other => Err(format!(
            "type {other:?} is not supported (bool, integers, float, utf8 and binary are)"
        )),
    }
}

fn decode_unchecked(bytes: Vec<u8>, what: &str) -> Result<RecordBatch> {
    let bad = |detail: String| {
        Error::protocol(format!("{what} is not a valid Arrow IPC stream: {detail}"))
    };
    // Buffers alias `bytes`; they need its start 8-byte aligned, as the
    // allocator gives it in practice (else one copy into aligned memory).
    let mut buffer = if bytes.as_ptr() as usize % 8 == 0 {
        Buffer::from_vec(bytes)
    } else {
        Buffer::from(bytes.as_slice())
    };
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
