//! The TSV format of the stream protocol (SciDB's default). A message is a
//! line count `N\n` followed by N lines of tab-separated cells; `\N` is a
//! null cell and `\\`, `\n`, `\t`, `\r` are escapes inside text. SciDB sends
//! only attributes, as text; a chunk reaches the host as a table of
//! nullable text columns named `a0`, `a1`, ... (SciDB's default names).
//! A host parses numbers itself (SciDB writes NaN as `nan`).

use crate::error::{Error, Result, ResultExt};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use std::io::BufRead;
use std::sync::Arc;

/// The text of a null cell.
const NULL: &str = "\\N";

/// Reads one message; None for the end marker `0\n`.
pub fn read_chunk(input: &mut impl BufRead, chunk_no: u64) -> Result<Option<RecordBatch>> {
    let mut line = Vec::new();
    let what = format!("chunk {chunk_no}'s line count");
    let n = input
        .read_until(b'\n', &mut line)
        .context(format!("reading {what}"))?;
    if n == 0 {
        return Err(Error::protocol(format!(
            "the input ended before {what} (SciDB ends a stream with the line `0`)"
        )));
    }
    if line.last() != Some(&b'\n') {
        return Err(Error::protocol(format!(
            "the input ended inside {what} ({:?})",
            shown(&line)
        )));
    }
    line.pop();
    let count = parse_count(&line)
        .ok_or_else(|| Error::protocol(format!("{what} is not a number: {:?}", shown(&line))))?;
    if count == 0 {
        return Ok(None);
    }
    let mut columns: Vec<StringBuilder> = Vec::new();
    for i in 0..count {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .context(format!("reading chunk {chunk_no}"))?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Err(Error::protocol(format!(
                "the input ended after {i} of the {count} lines of chunk {chunk_no}"
            )));
        }
        line.pop();
        let text = std::str::from_utf8(&line).map_err(|e| {
            Error::protocol(format!(
                "line {} of chunk {chunk_no} is not valid UTF-8: {e}",
                i + 1
            ))
        })?;
        let cells: Vec<&str> = text.split('\t').collect();
        if i == 0 {
            columns = (0..cells.len()).map(|_| StringBuilder::new()).collect();
        } else if cells.len() != columns.len() {
            return Err(Error::protocol(format!(
                "line {} of chunk {chunk_no} has {} cells; its first line has {}",
                i + 1,
                cells.len(),
                columns.len()
            )));
        }
        for (cell, column) in cells.iter().zip(columns.iter_mut()) {
            if *cell == NULL {
                column.append_null();
            } else {
                column.append_value(unescape(cell));
            }
        }
    }
    let fields: Vec<Field> = (0..columns.len())
        .map(|i| Field::new(format!("a{i}"), DataType::Utf8, true))
        .collect();
    let arrays: Vec<ArrayRef> = columns
        .iter_mut()
        .map(|c| Arc::new(c.finish()) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map(Some)
        .map_err(|e| Error::protocol(format!("building chunk {chunk_no}: {e}")))
}

/// At most the first 40 bytes of a bad line, for messages.
fn shown(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned()
}

/// A line count: decimal digits only.
fn parse_count(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn unescape(cell: &str) -> String {
    if !cell.contains('\\') {
        return cell.to_string();
    }
    let mut out = String::with_capacity(cell.len());
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            // Anything else is not an escape SciDB writes: keep it as is.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
}

/// A float as text SciDB parses: `nan`, `inf`, `-inf`, or the shortest
/// decimal that reads back exactly.
fn float_text(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:?}")
    }
}

/// Appends a reply message (`K\n` and K lines; `0\n` for none) to `out`.
/// Numbers are written as text; binary columns cannot travel as TSV.
pub fn encode_into(reply: Option<&RecordBatch>, out: &mut Vec<u8>) -> Result<()> {
    let Some(batch) = reply else {
        out.extend_from_slice(b"0\n");
        return Ok(());
    };
    let cells: Vec<Vec<String>> = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| column_text(f.name(), c))
        .collect::<Result<_>>()?;
    let mut text = format!("{}\n", batch.num_rows());
    for row in 0..batch.num_rows() {
        for (i, column) in cells.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            text.push_str(&column[row]);
        }
        text.push('\n');
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Every cell of a column as TSV text (escaped, `\N` for null).
fn column_text(name: &str, column: &ArrayRef) -> Result<Vec<String>> {
    use arrow::datatypes as t;
    let n = column.len();
    let cell = |i: usize| -> Result<String> {
        Ok(match column.data_type() {
            DataType::Utf8 => {
                let mut s = String::new();
                escape_into(&mut s, column.as_string::<i32>().value(i));
                s
            }
            DataType::LargeUtf8 => {
                let mut s = String::new();
                escape_into(&mut s, column.as_string::<i64>().value(i));
                s
            }
            DataType::Int64 => column.as_primitive::<t::Int64Type>().value(i).to_string(),
            DataType::Float64 => float_text(column.as_primitive::<t::Float64Type>().value(i)),
            DataType::Boolean => column.as_boolean().value(i).to_string(),
            other => {
                return Err(Error::type_mismatch(format!(
                    "reply column '{name}' has type {other}, which a TSV reply cannot carry"
                )))
            }
        })
    };
    (0..n)
        .map(|i| {
            if column.is_null(i) {
                Ok(NULL.to_string())
            } else {
                cell(i)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, StringArray};
    use std::io::Cursor;

    #[test]
    fn reads_nulls_escapes_and_the_end_marker() {
        let mut input = Cursor::new(b"2\n1\t\\N\tnan\n2\ta\\tb\\\\\t1.5\n0\n".to_vec());
        let chunk = read_chunk(&mut input, 1).unwrap().unwrap();
        assert_eq!(chunk.num_columns(), 3);
        assert_eq!(chunk.schema().field(2).name(), "a2");
        let b = chunk.column(1).as_string::<i32>();
        assert!(b.is_null(0));
        assert_eq!(b.value(1), "a\tb\\");
        assert_eq!(chunk.column(2).as_string::<i32>().value(0), "nan");
        assert!(read_chunk(&mut input, 2).unwrap().is_none());
    }

    #[test]
    fn truncated_input_names_what_was_expected() {
        let err = read_chunk(&mut Cursor::new(b"3\nx\ny\n".to_vec()), 4).unwrap_err();
        assert_eq!(
            err.message,
            "the input ended after 2 of the 3 lines of chunk 4"
        );
        let err = read_chunk(&mut Cursor::new(b"".to_vec()), 1).unwrap_err();
        assert!(
            err.message.contains("before chunk 1's line count"),
            "{}",
            err.message
        );
        let err = read_chunk(&mut Cursor::new(b"12".to_vec()), 1).unwrap_err();
        assert!(
            err.message.contains("inside chunk 1's line count"),
            "{}",
            err.message
        );
        let err = read_chunk(&mut Cursor::new(b"x1\n".to_vec()), 1).unwrap_err();
        assert!(err.message.contains("not a number"), "{}", err.message);
        let err = read_chunk(&mut Cursor::new(b"2\na\tb\nc\n".to_vec()), 1).unwrap_err();
        assert!(
            err.message.contains("line 2 of chunk 1 has 1 cells"),
            "{}",
            err.message
        );
    }

    #[test]
    fn writes_replies_with_escapes_nulls_and_nan() {
        let batch = RecordBatch::try_from_iter([
            (
                "i",
                Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
            ),
            (
                "f",
                Arc::new(Float64Array::from(vec![f64::NAN, 0.1])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("a\nb"), Some("\\N")])) as ArrayRef,
            ),
        ])
        .unwrap();
        let mut out = Vec::new();
        encode_into(Some(&batch), &mut out).unwrap();
        assert_eq!(out, b"2\n1\tnan\ta\\nb\n\\N\t0.1\t\\\\N\n");
        let mut empty = Vec::new();
        encode_into(None, &mut empty).unwrap();
        assert_eq!(empty, b"0\n");
    }
}
