//! Converting element bytes between row-major (C, numpy) and column-major
//! (Fortran, MATLAB) order.
//!
//! Matrices, the common case from MATLAB, use a cache-blocked transpose so a
//! 100 MB matrix converts near memory speed; arrays of three or more
//! dimensions walk the index space with a typed inner loop.

/// Square tile edge of the blocked transpose: a tile of the largest element
/// (16 bytes) is 16 KiB, so the source and destination tiles stay in L1/L2.
const TILE: usize = 32;

/// Copies `src` (in one layout of `shape`) into `dst` in the other layout.
/// `from_column_major` says which layout `src` has. Both slices hold exactly
/// the array's bytes; `elem` is the element size (1, 2, 4, 8 or 16).
pub(crate) fn convert_order(
    shape: &[u64],
    elem: usize,
    src: &[u8],
    dst: &mut [u8],
    from_column_major: bool,
) {
    debug_assert_eq!(src.len(), dst.len());
    // With at most one dimension longer than 1, both orders are the same bytes.
    if shape.iter().filter(|&&d| d > 1).count() <= 1 || src.is_empty() {
        dst.copy_from_slice(src);
        return;
    }
    match elem {
        1 => convert_typed::<1>(shape, src, dst, from_column_major),
        2 => convert_typed::<2>(shape, src, dst, from_column_major),
        4 => convert_typed::<4>(shape, src, dst, from_column_major),
        8 => convert_typed::<8>(shape, src, dst, from_column_major),
        16 => convert_typed::<16>(shape, src, dst, from_column_major),
        other => unreachable!("no dtype has {other}-byte elements"),
    }
}

/// Views bytes as elements of `N` bytes. `[u8; N]` has alignment 1, so any
/// byte slice whose length is a multiple of `N` can be viewed this way.
fn as_elements<const N: usize>(bytes: &[u8]) -> &[[u8; N]] {
    debug_assert_eq!(bytes.len() % N, 0);
    // SAFETY: [u8; N] has size N and alignment 1; the length is whole elements.
    unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const [u8; N], bytes.len() / N) }
}

fn as_elements_mut<const N: usize>(bytes: &mut [u8]) -> &mut [[u8; N]] {
    debug_assert_eq!(bytes.len() % N, 0);
    // SAFETY: as in `as_elements`.
    unsafe { std::slice::from_raw_parts_mut(bytes.as_mut_ptr() as *mut [u8; N], bytes.len() / N) }
}

fn convert_typed<const N: usize>(
    shape: &[u64],
    src: &[u8],
    dst: &mut [u8],
    from_column_major: bool,
) {
    let src = as_elements::<N>(src);
    let dst = as_elements_mut::<N>(dst);
    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    if let [m, n] = dims[..] {
        // A column-major m x n matrix is a row-major n x m one: converting
        // either way is one transpose.
        if from_column_major {
            transpose(src, dst, n, m);
        } else {
            transpose(src, dst, m, n);
        }
    } else {
        reverse_axes(&dims, src, dst, from_column_major);
    }
}

/// `dst` (cols x rows, row-major) = transpose of `src` (rows x cols, row-major).
fn transpose<T: Copy>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for c in c0..c1 {
                let out = &mut dst[c * rows..c * rows + rows];
                for r in r0..r1 {
                    out[r] = src[r * cols + c];
                }
            }
        }
    }
}

/// Rows `r0..r0 + dst.len() / (n * elem)` of a column-major `m x n` matrix
/// `src`, written row-major into `dst` (whole rows): a blocked transpose
/// of that strip, so a matrix is reordered a bounded buffer at a time.
pub(crate) fn column_major_rows(
    m: usize,
    n: usize,
    elem: usize,
    src: &[u8],
    r0: usize,
    dst: &mut [u8],
) {
    match elem {
        1 => strip_typed::<1>(m, n, src, r0, dst),
        2 => strip_typed::<2>(m, n, src, r0, dst),
        4 => strip_typed::<4>(m, n, src, r0, dst),
        8 => strip_typed::<8>(m, n, src, r0, dst),
        16 => strip_typed::<16>(m, n, src, r0, dst),
        other => unreachable!("no dtype has {other}-byte elements"),
    }
}

fn strip_typed<const N: usize>(m: usize, n: usize, src: &[u8], r0: usize, dst: &mut [u8]) {
    let src = as_elements::<N>(src);
    let dst = as_elements_mut::<N>(dst);
    let rows = dst.len() / n.max(1);
    // Column c of the strip is src[c * m + r0 ..][..rows]; tiles keep the
    // reads of a few columns and the writes of a few rows in cache.
    if rows == 0 {
        return;
    }
    assert!(dst.len() == rows * n && (n - 1) * m + r0 + rows <= src.len());
    let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
    for c0 in (0..n).step_by(TILE) {
        let c1 = (c0 + TILE).min(n);
        for q0 in (0..rows).step_by(TILE) {
            let q1 = (q0 + TILE).min(rows);
            for c in c0..c1 {
                for q in q0..q1 {
                    // SAFETY: q < rows and c < n, so both indexes are inside
                    // the bounds asserted above.
                    unsafe { *d.add(q * n + c) = *s.add(c * m + r0 + q) };
                }
            }
        }
    }
}

/// The general N-d case: walks the index space in the destination's order
/// so writes are sequential.
fn reverse_axes<T: Copy>(dims: &[usize], src: &[T], dst: &mut [T], from_column_major: bool) {
    let nd = dims.len();
    let mut row_strides = vec![1usize; nd];
    let mut col_strides = vec![1usize; nd];
    for i in (0..nd - 1).rev() {
        row_strides[i] = row_strides[i + 1] * dims[i + 1];
    }
    for i in 1..nd {
        col_strides[i] = col_strides[i - 1] * dims[i - 1];
    }
    let (src_strides, dst_strides) = if from_column_major {
        (&col_strides, &row_strides)
    } else {
        (&row_strides, &col_strides)
    };
    // The destination's fastest axis is copied in a tight loop; the other
    // axes advance like an odometer, fastest first.
    let inner = if from_column_major { nd - 1 } else { 0 };
    let inner_len = dims[inner];
    let src_step = src_strides[inner];
    let outer_axes: Vec<usize> = if from_column_major {
        (0..nd - 1).rev().collect()
    } else {
        (1..nd).collect()
    };
    let mut index = vec![0usize; nd];
    let mut written = 0usize;
    while written < dst.len() {
        let mut s: usize = index.iter().zip(src_strides).map(|(i, s)| i * s).sum();
        let d: usize = index.iter().zip(dst_strides).map(|(i, s)| i * s).sum();
        for out in &mut dst[d..d + inner_len] {
            *out = src[s];
            s += src_step;
        }
        written += inner_len;
        for &axis in &outer_axes {
            index[axis] += 1;
            if index[axis] < dims[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row-major bytes of a u16 array whose element at each index is its
    /// column-major position, so any misplacement shows.
    fn check_round_trip(shape: &[u64]) {
        let count: usize = shape.iter().product::<u64>() as usize;
        let col_major: Vec<u8> = (0..count as u16).flat_map(|v| v.to_le_bytes()).collect();
        let mut row_major = vec![0u8; col_major.len()];
        convert_order(shape, 2, &col_major, &mut row_major, true);
        // Check every element against its index computed directly.
        let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        for (row_pos, chunk) in row_major.chunks(2).enumerate() {
            let mut rem = row_pos;
            let mut col_pos = 0;
            let mut col_stride = 1;
            let mut idx = vec![0; dims.len()];
            for (axis, &d) in dims.iter().enumerate().rev() {
                idx[axis] = rem % d;
                rem /= d;
            }
            for (axis, &d) in dims.iter().enumerate() {
                col_pos += idx[axis] * col_stride;
                col_stride *= d;
            }
            assert_eq!(u16::from_le_bytes([chunk[0], chunk[1]]) as usize, col_pos);
        }
        let mut back = vec![0u8; col_major.len()];
        convert_order(shape, 2, &row_major, &mut back, false);
        assert_eq!(back, col_major);
    }

    #[test]
    fn matrices_of_many_sizes() {
        for &(m, n) in &[(2, 3), (33, 65), (64, 64), (1, 7), (100, 3), (3, 100)] {
            check_round_trip(&[m, n]);
        }
    }

    #[test]
    fn higher_dimensions() {
        check_round_trip(&[2, 3, 4]);
        check_round_trip(&[5, 1, 3, 2]);
        check_round_trip(&[3, 4, 5, 6]);
    }
}
