//! The header of numpy's `.npy` format (version 1.0), so an array payload
//! file is one numpy reads with `np.load` and no scidb. The format is a
//! magic string, a version, a little-endian u16 header length and a
//! Python dict literal padded with spaces to a multiple of 64 bytes, then
//! the elements (see numpy's `numpy.lib.format`).

use crate::value::DType;

const MAGIC: &[u8] = b"\x93NUMPY\x01\x00";
/// The total header length is a multiple of this (numpy's own choice), so
/// the elements start aligned for any dtype.
const ALIGN: usize = 64;

/// numpy's `descr` for a dtype (little-endian).
fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "|b1",
        DType::Int8 => "|i1",
        DType::Int16 => "<i2",
        DType::Int32 => "<i4",
        DType::Int64 => "<i8",
        DType::UInt8 => "|u1",
        DType::UInt16 => "<u2",
        DType::UInt32 => "<u4",
        DType::UInt64 => "<u8",
        DType::Float32 => "<f4",
        DType::Float64 => "<f8",
        DType::Complex64 => "<c8",
        DType::Complex128 => "<c16",
    }
}

fn dict(dtype: DType, shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        descr(dtype)
    )
}

/// The header of a row-major array of this dtype and shape, padded to
/// `total` bytes when given (so a header rewritten with a larger first
/// dimension keeps its length), else to the next multiple of 64.
pub fn header(dtype: DType, shape: &[u64], total: Option<usize>) -> Vec<u8> {
    let dict = dict(dtype, shape);
    // magic + u16 length + dict + '\n'
    let min = MAGIC.len() + 2 + dict.len() + 1;
    let total = total
        .filter(|&t| t >= min && t % ALIGN == 0)
        .unwrap_or(min.div_ceil(ALIGN) * ALIGN);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&((total - MAGIC.len() - 2) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// The header length of a chunked array whose first dimension is not
/// known yet: long enough for any row count.
pub fn growable_header_len(dtype: DType, inner: &[u64]) -> usize {
    let shape: Vec<u64> = std::iter::once(u64::MAX)
        .chain(inner.iter().copied())
        .collect();
    header(dtype, &shape, None).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_aligned_and_padded() {
        let h = header(DType::Float64, &[3, 4], None);
        assert_eq!(h.len() % 64, 0);
        assert!(h.starts_with(MAGIC));
        assert_eq!(*h.last().unwrap(), b'\n');
        let text = std::str::from_utf8(&h[10..]).unwrap();
        assert!(text.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"));
        assert_eq!(
            u16::from_le_bytes([h[8], h[9]]) as usize,
            h.len() - 10,
            "the length field counts the dict and its padding"
        );
        assert!(std::str::from_utf8(&header(DType::Int8, &[5], None)[10..])
            .unwrap()
            .contains("(5,)"));
        assert!(std::str::from_utf8(&header(DType::Int8, &[], None)[10..])
            .unwrap()
            .contains("'shape': ()"));
    }

    #[test]
    fn growable_headers_keep_their_length() {
        let len = growable_header_len(DType::Complex128, &[7, 9]);
        let small = header(DType::Complex128, &[1, 7, 9], Some(len));
        let large = header(DType::Complex128, &[u64::MAX, 7, 9], Some(len));
        assert_eq!(small.len(), len);
        assert_eq!(large.len(), len);
    }
}
