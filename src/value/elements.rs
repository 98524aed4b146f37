//! Where an array's element bytes live: an owned buffer, or a private
//! (copy-on-write) memory map of a payload file, so a large load reads
//! nothing until the elements are used and a binding can wrap them without
//! a copy.

use crate::error::{Error, Result};
use std::fs::File;
use std::ops::{Deref, DerefMut};
use std::os::unix::io::AsRawFd;

/// An array's element bytes. Both forms read and write as a `[u8]`.
pub enum Elements {
    Owned(Vec<u8>),
    Mapped(Mapped),
}

/// A `MAP_PRIVATE` mapping of a whole file whose elements start at
/// `offset`. Writes change this process's copy only, never the file; the
/// mapping is released exactly once, when this is dropped.
pub struct Mapped {
    base: *mut u8,
    map_len: usize,
    offset: usize,
    len: usize,
}

// SAFETY: the mapping is owned memory like a Vec's; nothing else refers to it.
unsafe impl Send for Mapped {}
// SAFETY: shared access only reads, as for a Vec.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps the first `offset + len` bytes of `file` privately and
    /// writable (copy-on-write); the caller has checked the file holds
    /// them. `len` must not be zero (mapping nothing is an error).
    pub fn map(file: &File, offset: usize, len: usize) -> Result<Mapped> {
        let map_len = offset
            .checked_add(len)
            .filter(|_| len > 0)
            .ok_or_else(|| Error::invalid(format!("cannot map {len} bytes at {offset}")))?;
        // SAFETY: a fresh mapping chosen by the kernel; the fd is valid for
        // the call and the mapping outlives it (the kernel holds the file).
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::io(format!(
                "mapping {map_len} bytes of a payload file: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(Mapped {
            base: base as *mut u8,
            map_len,
            offset,
            len,
        })
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: `base`/`map_len` are exactly what mmap returned, unmapped once.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.map_len);
        }
    }
}

impl Deref for Elements {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Elements::Owned(v) => v,
            // SAFETY: the mapping holds offset + len bytes while `m` lives.
            Elements::Mapped(m) => unsafe {
                std::slice::from_raw_parts(m.base.add(m.offset), m.len)
            },
        }
    }
}

impl DerefMut for Elements {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Elements::Owned(v) => v,
            // SAFETY: as in `deref`; the mapping is private and writable.
            Elements::Mapped(m) => unsafe {
                std::slice::from_raw_parts_mut(m.base.add(m.offset), m.len)
            },
        }
    }
}

impl Elements {
    /// Whether the bytes are a memory map of a file.
    pub fn is_mapped(&self) -> bool {
        matches!(self, Elements::Mapped(_))
    }
}

impl From<Vec<u8>> for Elements {
    fn from(v: Vec<u8>) -> Self {
        Elements::Owned(v)
    }
}

/// A clone is an owned copy (a mapping is not shared).
impl Clone for Elements {
    fn clone(&self) -> Self {
        Elements::Owned(self.to_vec())
    }
}

impl PartialEq for Elements {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<Vec<u8>> for Elements {
    fn eq(&self, other: &Vec<u8>) -> bool {
        **self == other[..]
    }
}

/// Shows the size only: element buffers are large.
impl std::fmt::Debug for Elements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.is_mapped() { "mapped" } else { "owned" };
        write!(f, "Elements({} bytes, {how})", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_mapping_is_private_copy_on_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = File::create(&path).unwrap();
        f.write_all(b"headerXYZ").unwrap();
        drop(f);
        let file = File::open(&path).unwrap();
        let mut e = Elements::Mapped(Mapped::map(&file, 6, 3).unwrap());
        assert_eq!(&e[..], b"XYZ");
        e[0] = b'Q';
        assert_eq!(&e[..], b"QYZ");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"headerXYZ",
            "the file is untouched"
        );
        let copy = e.clone();
        assert!(!copy.is_mapped());
        assert_eq!(copy, e);
        assert!(Mapped::map(&file, 6, 0).is_err());
    }
}
