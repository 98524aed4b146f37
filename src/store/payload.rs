//! Where value bytes live (see `codec` for the record blob format).
//!
//! Values whose encoded size is up to [`INLINE_BYTES`] sit whole in the
//! record's own catalog row, so a small save is one INSERT. Larger ones are
//! *payload files*, written once per content hash under the payload
//! directory, in formats other tools open without scidb:
//!
//! | value | file |
//! |---|---|
//! | array (whole or saved in chunks) | `<hash>.npy` (numpy's format, row-major) |
//! | table (whole or saved in chunks) | `<hash>.arrow` (Arrow IPC file, a record batch per chunk) |
//! | anything else (lists, maps of arrays...) | `<hash>.sdv` (the `codec` blob) |
//!
//! Files sit in a folder named after the first two hex digits of the hash.
//! Writes are crash-safe: a temporary file in `tmp/` is written, fsynced,
//! renamed into place and the folder fsynced, all before the catalog row
//! that names it commits. A crash therefore leaves either no record or a
//! record whose file is complete; what it may leave is a file no record
//! names, which [`PayloadStore::gc`] removes (a load never does).
//!
//! Layout 1 kept large bodies in `_scidb_values`/`_scidb_chunks` (tag `x`)
//! and chunked values in `_scidb_words`; those are still read.

use super::sql::{args, Conn};
use crate::codec;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::value::{Array, DType, Elements, Mapped, Value};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Values whose stored form is larger than this go to payload files.
pub const INLINE_BYTES: usize = 1 << 20;

/// The kinds of payload file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Npy,
    Arrow,
    Sdv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Npy => "npy",
            Format::Arrow => "arrow",
            Format::Sdv => "sdv",
        }
    }

    /// The code stored in a record blob (see `codec`).
    pub fn code(self) -> u8 {
        match self {
            Format::Npy => 0,
            Format::Arrow => 1,
            Format::Sdv => 2,
        }
    }

    pub fn from_code(code: u8) -> Result<Format> {
        match code {
            0 => Ok(Format::Npy),
            1 => Ok(Format::Arrow),
            2 => Ok(Format::Sdv),
            c => Err(Error::corrupt(format!("unknown payload format {c}"))),
        }
    }

    fn from_extension(ext: &str) -> Option<Format> {
        [Format::Npy, Format::Arrow, Format::Sdv]
            .into_iter()
            .find(|f| f.extension() == ext)
    }
}

/// What [`PayloadStore::gc`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Payload files no record names, removed.
    pub removed_files: u64,
    pub removed_bytes: u64,
    /// Temporary files of interrupted writes, removed.
    pub removed_temporary: u64,
    /// Payload files kept.
    pub kept_files: u64,
}

/// The payload directory of one database.
#[derive(Debug)]
pub struct PayloadStore {
    dir: PathBuf,
    /// Temporary files being written by this process (gc leaves them).
    live: Mutex<HashSet<PathBuf>>,
    next_temp: AtomicU64,
}

impl PayloadStore {
    /// The store at `dir`, created when missing.
    pub fn open(dir: &Path) -> Result<Arc<PayloadStore>> {
        fs::create_dir_all(dir.join("tmp")).map_err(|e| {
            Error::io(format!(
                "creating the payload directory {}: {e}",
                dir.display()
            ))
        })?;
        Ok(Arc::new(PayloadStore {
            dir: dir.to_path_buf(),
            live: Mutex::new(HashSet::new()),
            next_temp: AtomicU64::new(0),
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the payload of content `hash` in `format` lives.
    pub fn path(&self, hash: &str, format: Format) -> PathBuf {
        let fan = hash.get(..2).unwrap_or("00");
        self.dir
            .join(fan)
            .join(format!("{hash}.{}", format.extension()))
    }

    /// Whether the payload is in place with the expected size (a file
    /// renamed into place is complete; a size mismatch means it was damaged
    /// and a new save rewrites it).
    pub fn holds(&self, hash: &str, format: Format, len: Option<u64>) -> bool {
        fs::metadata(self.path(hash, format))
            .is_ok_and(|m| m.is_file() && len.map_or(true, |n| m.len() == n))
    }

    /// A new temporary file in `tmp/`, removed when dropped uncommitted.
    pub fn temp(self: &Arc<Self>) -> Result<TempFile> {
        let n = self.next_temp.fetch_add(1, Ordering::Relaxed);
        let path =
            self.dir
                .join("tmp")
                .join(format!("{}-{}-{n}.part", host_name(), std::process::id()));
        // Never another writer's file (a shared folder, a reused pid).
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("creating {}: {e}", path.display())))?;
        self.live_set().insert(path.clone());
        Ok(TempFile {
            store: Arc::clone(self),
            path,
            file: Some(file),
        })
    }

    fn live_set(&self) -> std::sync::MutexGuard<'_, HashSet<PathBuf>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `parts` as one temporary file (to be committed under `hash`).
    pub fn stage(self: &Arc<Self>, parts: &[&[u8]]) -> Result<TempFile> {
        let mut t = self.temp()?;
        for p in parts {
            t.write_all(p)?;
        }
        Ok(t)
    }

    /// Opens a payload file for reading.
    pub fn open_file(&self, hash: &str, format: Format) -> Result<File> {
        let path = self.path(hash, format);
        File::open(&path).map_err(|e| {
            Error::corrupt(format!(
                "the payload file {} of value {hash} cannot be opened: {e}",
                path.display()
            ))
        })
    }

    /// Reads `len` bytes at `offset` of a payload file, failing when the
    /// file is shorter.
    pub fn read_at(&self, hash: &str, format: Format, offset: u64, len: u64) -> Result<Vec<u8>> {
        let mut file = self.open_file(hash, format)?;
        read_exact_at(&mut file, offset, len)
            .map_err(|e| e.context(format!("reading the payload of value {hash}")))
    }

    /// Removes payload files whose hash is not in `referenced` and the
    /// temporary files of interrupted writes (not those this process is
    /// writing). The caller holds the catalog still, so no save commits a
    /// new reference meanwhile.
    /// Temporary files younger than `keep_temp_younger` are kept: in a
    /// folder that processes of other machines write, they may be a save
    /// in progress.
    pub fn gc(
        &self,
        referenced: &HashSet<String>,
        keep_temp_younger: Option<std::time::Duration>,
    ) -> Result<GcReport> {
        let mut report = GcReport::default();
        let io = |p: &Path, e: std::io::Error| Error::io(format!("gc: {}: {e}", p.display()));
        let live = self.live_set().clone();
        let tmp = self.dir.join("tmp");
        let young = |path: &Path| {
            keep_temp_younger.is_some_and(|grace| {
                fs::metadata(path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .map_or(true, |age| age < grace)
            })
        };
        for entry in fs::read_dir(&tmp).map_err(|e| io(&tmp, e))? {
            let path = entry.map_err(|e| io(&tmp, e))?.path();
            if !live.contains(&path) && !young(&path) {
                fs::remove_file(&path).map_err(|e| io(&path, e))?;
                report.removed_temporary += 1;
            }
        }
        for fan in fs::read_dir(&self.dir).map_err(|e| io(&self.dir, e))? {
            let fan = fan.map_err(|e| io(&self.dir, e))?.path();
            let is_fan = fan
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit()));
            if !is_fan || !fan.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&fan).map_err(|e| io(&fan, e))? {
                let path = entry.map_err(|e| io(&fan, e))?.path();
                let (Some(stem), Some(ext)) = (
                    path.file_stem().and_then(|s| s.to_str()),
                    path.extension().and_then(|s| s.to_str()),
                ) else {
                    continue;
                };
                if Format::from_extension(ext).is_none() {
                    continue; // not ours
                }
                if referenced.contains(stem) {
                    report.kept_files += 1;
                } else {
                    let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    fs::remove_file(&path).map_err(|e| io(&path, e))?;
                    report.removed_files += 1;
                    report.removed_bytes += len;
                }
            }
        }
        Ok(report)
    }
}

/// This machine's name, for temporary file names in a shared folder.
pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // Safety: the buffer is writable for its length.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len()) } == 0;
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name: String = String::from_utf8_lossy(&buf[..len])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ok && !name.is_empty() {
        name
    } else {
        "host".into()
    }
}

/// A payload being written. Committing fsyncs it and renames it into place;
/// dropping it uncommitted removes it.
pub struct TempFile {
    store: Arc<PayloadStore>,
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    fn file(&mut self) -> Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| Error::invalid("the payload file was already committed"))
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let path = self.path.clone();
        self.file()?
            .write_all(bytes)
            .map_err(|e| write_error(&path, e))
    }

    /// The bytes written so far.
    pub fn written(&mut self) -> Result<u64> {
        let path = self.path.clone();
        let f = self.file()?;
        f.metadata()
            .map(|m| m.len())
            .map_err(|e| write_error(&path, e))
    }

    /// Overwrites bytes at `offset` (a header written before its sizes were known).
    pub fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
        let path = self.path.clone();
        let f = self.file()?;
        f.seek(SeekFrom::Start(offset))
            .and_then(|_| f.write_all(bytes))
            .and_then(|_| f.seek(SeekFrom::End(0)).map(|_| ()))
            .map_err(|e| write_error(&path, e))
    }

    /// A second handle on the file, for writers that own their sink.
    pub fn clone_file(&mut self) -> Result<File> {
        let path = self.path.clone();
        self.file()?.try_clone().map_err(|e| write_error(&path, e))
    }

    /// Makes the file durable and puts it in place as the payload of
    /// `hash`. Identical content already in place is replaced by an
    /// identical file, which is harmless.
    pub fn commit(mut self, hash: &str, format: Format) -> Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::invalid("the payload file was already committed"))?;
        let target = self.store.path(hash, format);
        let result = (|| -> std::io::Result<()> {
            file.sync_all()?;
            drop(file);
            let folder = target.parent().unwrap_or(self.store.dir());
            let new_folder = !folder.exists();
            fs::create_dir_all(folder)?;
            fs::rename(&self.path, &target)?;
            File::open(folder)?.sync_all()?;
            if new_folder {
                File::open(self.store.dir())?.sync_all()?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.store.live_set().remove(&self.path);
                Ok(())
            }
            Err(e) => Err(write_error(&target, e)),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        self.store.live_set().remove(&self.path);
    }
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    let kind = ErrorKind::Io;
    Error::new(kind, format!("writing {}: {e}", path.display()))
}

/// Reads exactly `len` bytes at `offset` into a new buffer.
pub fn read_exact_at(file: &mut File, offset: u64, len: u64) -> Result<Vec<u8>> {
    let size = usize::try_from(len)
        .map_err(|_| Error::io(format!("{len} bytes do not fit in memory here")))?;
    let mut out = Vec::new();
    out.try_reserve_exact(size)
        .map_err(|_| Error::io(format!("cannot allocate {len} bytes")))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::corrupt(format!("seeking to byte {offset}: {e}")))?;
    let got = file
        .take(len)
        .read_to_end(&mut out)
        .map_err(|e| Error::corrupt(format!("reading {len} bytes at {offset}: {e}")))?;
    if got as u64 != len {
        return Err(Error::corrupt(format!(
            "the file ends after {got} of {len} bytes at {offset}"
        )));
    }
    Ok(out)
}

/// Reads an array stored as `<hash>.npy`, checking its header is exactly
/// the one this dtype and shape get.
pub fn load_npy(
    store: &PayloadStore,
    hash: &str,
    dtype: DType,
    shape: Vec<u64>,
    scalar: bool,
    header_len: Option<usize>,
) -> Result<Array> {
    let header = super::npy::header(dtype, &shape, header_len);
    let body_len = Array::byte_len(dtype, &shape)?;
    let mut file = store.open_file(hash, Format::Npy)?;
    let found = read_exact_at(&mut file, 0, header.len() as u64)?;
    if found != header {
        return Err(Error::corrupt(format!(
            "the payload file of value {hash} does not hold a {} array of shape {shape:?}",
            dtype.name()
        )));
    }
    let body = map_body(&mut file, header.len(), body_len)
        .map_err(|e| e.context(format!("reading the payload of value {hash}")))?;
    Array::new(dtype, shape, body, scalar)
        .map_err(|e| Error::corrupt(format!("value {hash}: {}", e.message)))
}

/// Bodies from this size on are memory-mapped rather than read.
const MAP_BYTES: u64 = 1 << 16;

/// The `len` element bytes after a header of `offset` bytes: a private,
/// copy-on-write memory map of the file (nothing is read until used, and
/// a binding wraps it without copying), or, for small bodies, a read. A
/// file shorter than that is `Corrupt`, checked before mapping so no access
/// of the mapping runs past the file's end. (Payload files are never
/// rewritten in place: a save renames a new file over the name, which
/// leaves existing mappings on the old one.)
fn map_body(file: &mut File, offset: usize, len: u64) -> Result<Elements> {
    if len < MAP_BYTES {
        return read_exact_at(file, offset as u64, len).map(Elements::from);
    }
    let size = file
        .metadata()
        .map_err(|e| Error::corrupt(format!("reading the file's size: {e}")))?
        .len();
    let end = (offset as u64).saturating_add(len);
    if size < end {
        return Err(Error::corrupt(format!(
            "the file ends after {} of {len} bytes at {offset}",
            size.saturating_sub(offset as u64)
        )));
    }
    let len = usize::try_from(len)
        .map_err(|_| Error::io(format!("{len} bytes do not fit in memory here")))?;
    Ok(Elements::Mapped(Mapped::map(file, offset, len)?))
}

/// Decodes a record's value blob, reading its body from a payload file or
/// (layout 1) the body tables when it is stored there.
/// Whether [`decode`] itself checks the content hash of what `blob` names:
/// tables and chunked values are hashed as they are read; the rest (values
/// in the catalog, nested values in `.sdv` files, array payloads) are
/// checked by the caller, array payloads only on request, since a load
/// otherwise never reads all of their bytes.
pub fn verified_by_decode(blob: &[u8]) -> bool {
    crate::chunked::is_chunked(blob)
        || matches!(
            codec::stored_elsewhere(blob),
            Ok(codec::Elsewhere::File(Format::Arrow))
        )
}

/// Whether `blob` names an array payload file, whose content loads check
/// only on request.
pub fn is_array_payload(blob: &[u8]) -> bool {
    matches!(
        codec::stored_elsewhere(blob),
        Ok(codec::Elsewhere::Npy { .. })
    )
}

pub fn decode(
    conn: &Conn,
    store: &PayloadStore,
    record_id: &str,
    hash: &str,
    blob: &[u8],
) -> Result<Value> {
    let what = || format!("record {record_id}");
    if crate::chunked::is_chunked(blob) {
        return super::chunked::load_whole(conn, store, record_id, hash, blob);
    }
    match codec::stored_elsewhere(blob).context(what())? {
        codec::Elsewhere::No => codec::decode(blob, || unreachable_body(hash)).context(what()),
        codec::Elsewhere::LegacyBody => {
            codec::decode(blob, || load_legacy_body(conn, hash)).context(what())
        }
        codec::Elsewhere::Npy {
            dtype,
            shape,
            scalar,
        } => Ok(Value::Array(
            load_npy(store, hash, dtype, shape, scalar, None).context(what())?,
        )),
        codec::Elsewhere::File(Format::Sdv) => {
            let len = file_len(store, hash, Format::Sdv)?;
            let inner = store.read_at(hash, Format::Sdv, 0, len)?;
            codec::decode(&inner, || unreachable_body(hash)).context(what())
        }
        codec::Elsewhere::File(Format::Arrow) => {
            let file = store.open_file(hash, Format::Arrow)?;
            super::tables::read_whole(file, hash).context(what())
        }
        codec::Elsewhere::File(Format::Npy) => Err(Error::corrupt(format!(
            "{}: an array payload without its header",
            what()
        ))),
    }
}

fn unreachable_body(hash: &str) -> Result<Vec<u8>> {
    Err(Error::corrupt(format!(
        "value {hash} refers to a body stored elsewhere"
    )))
}

pub fn file_len(store: &PayloadStore, hash: &str, format: Format) -> Result<u64> {
    let path = store.path(hash, format);
    fs::metadata(&path).map(|m| m.len()).map_err(|e| {
        Error::corrupt(format!(
            "the payload file {} of value {hash} is missing: {e}",
            path.display()
        ))
    })
}

/// Reads a layout-1 body from `_scidb_chunks` into one buffer of its final size.
fn load_legacy_body(conn: &Conn, hash: &str) -> Result<Vec<u8>> {
    let row = conn
        .query_one(
            "SELECT body_bytes, n_chunks FROM _scidb_values WHERE content_hash = ?",
            args![hash],
        )
        .map_err(|e| Error::corrupt(format!("value {hash} is not stored: {e}")))?;
    let (body_bytes, n_chunks): (i64, i64) = (row.get(0)?, row.get(1)?);
    let size = usize::try_from(body_bytes)
        .map_err(|_| Error::corrupt(format!("value {hash} is too large for this machine")))?;
    let mut body = Vec::with_capacity(size);
    let rows = conn.query(
        "SELECT chunk, bytes FROM _scidb_chunks WHERE content_hash = ? ORDER BY chunk",
        args![hash],
    )?;
    let mut expected = 0;
    for mut row in rows {
        let index: i64 = row.get(0)?;
        if index != expected {
            return Err(Error::corrupt(format!(
                "value {hash} lacks chunk {expected}"
            )));
        }
        let bytes: Vec<u8> = row
            .take(1)
            .map_err(|_| Error::corrupt(format!("value {hash} has a non-blob chunk")))?;
        body.extend_from_slice(&bytes);
        expected += 1;
    }
    if expected != n_chunks || body.len() != size {
        return Err(Error::corrupt(format!(
            "value {hash} has {expected} of {n_chunks} chunks, {} of {size} bytes",
            body.len()
        )));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_files_are_in_place_and_dropped_ones_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = PayloadStore::open(dir.path()).unwrap();
        let hash = "ab".repeat(32);
        let t = store.stage(&[b"hello ", b"world"]).unwrap();
        t.commit(&hash, Format::Sdv).unwrap();
        assert!(store.holds(&hash, Format::Sdv, Some(11)));
        assert!(!store.holds(&hash, Format::Sdv, Some(12)));
        assert_eq!(store.read_at(&hash, Format::Sdv, 6, 5).unwrap(), b"world");
        assert!(store.read_at(&hash, Format::Sdv, 6, 6).is_err());
        let dropped = store.stage(&[b"x"]).unwrap();
        let tmp_path = dropped.path.clone();
        drop(dropped);
        assert!(!tmp_path.exists());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn gc_removes_unreferenced_and_interrupted_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = PayloadStore::open(dir.path()).unwrap();
        let kept = "01".repeat(32);
        let orphan = "02".repeat(32);
        store
            .stage(&[b"k"])
            .unwrap()
            .commit(&kept, Format::Npy)
            .unwrap();
        store
            .stage(&[b"o"])
            .unwrap()
            .commit(&orphan, Format::Arrow)
            .unwrap();
        // An interrupted write of another process, and one in progress here.
        fs::write(dir.path().join("tmp").join("99999-0.part"), b"partial").unwrap();
        let live = store.stage(&[b"in progress"]).unwrap();
        let referenced: HashSet<String> = [kept.clone()].into_iter().collect();
        let report = store.gc(&referenced, None).unwrap();
        assert_eq!(report.removed_files, 1);
        assert_eq!(report.removed_temporary, 1);
        assert_eq!(report.kept_files, 1);
        assert!(store.holds(&kept, Format::Npy, None));
        assert!(!store.path(&orphan, Format::Arrow).exists());
        assert!(live.path.exists());
    }
}
