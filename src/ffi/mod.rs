//! The C ABI: the only `extern "C"` code of the crate.
//!
//! Conventions (see DESIGN.md and `include/scidb.h`):
//! - Every fallible function returns a `scidb_status` (0 = `SCIDB_OK`) and
//!   writes results through out-pointers; on failure a message for this
//!   thread is readable with `scidb_last_error()`.
//! - Every body runs inside a panic boundary: a bug becomes `SCIDB_PANIC`.
//! - Every pointer argument is checked for NULL.
//! - Handles are opaque and freed with their `_free(X**)`, which also sets
//!   the caller's pointer to NULL. Borrowed pointers returned by accessors
//!   stay valid while the handle they came from lives.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod arrow;
mod chunks;
mod db;
mod foreach;
mod inspect;
mod lineage;
mod metadata;
mod records;
mod source;
mod stream;
mod table;
mod value;

pub use arrow::{ArrowArray, ArrowArrayStream, ArrowSchema};
pub use chunks::*;
pub use db::*;
pub use foreach::*;
pub use inspect::*;
pub use lineage::*;
pub use metadata::*;
pub use records::*;
pub use source::*;
pub use stream::*;
pub use table::*;
pub use value::*;

use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

#[cfg(target_endian = "big")]
compile_error!("scidb stores little-endian bytes and runs on little-endian machines only");

/// Version of this C ABI; bindings refuse a library with another one.
pub const SCIDB_ABI_VERSION: u32 = 1;

/// Result of every fallible call; 0 is success.
pub type scidb_status = i32;
pub const SCIDB_OK: scidb_status = 0;
pub const SCIDB_INVALID_ARGUMENT: scidb_status = 1;
pub const SCIDB_NULL_ARGUMENT: scidb_status = 2;
pub const SCIDB_NOT_FOUND: scidb_status = 3;
pub const SCIDB_AMBIGUOUS: scidb_status = 4;
pub const SCIDB_TYPE_MISMATCH: scidb_status = 5;
pub const SCIDB_IO: scidb_status = 6;
pub const SCIDB_LOCKED: scidb_status = 7;
pub const SCIDB_SCHEMA_MISMATCH: scidb_status = 8;
pub const SCIDB_RESERVED_KEY: scidb_status = 9;
pub const SCIDB_CORRUPT: scidb_status = 10;
pub const SCIDB_PROTOCOL: scidb_status = 11;
pub const SCIDB_PANIC: scidb_status = 99;

/// Bytes of a record id buffer: 32 hex digits and a terminating NUL.
pub const SCIDB_RECORD_ID_SIZE: usize = 33;
/// Values whose stored form is larger than this many bytes (1 MiB) are
/// kept in payload files rather than in the catalog.
pub const SCIDB_INLINE_BYTES: usize = 1_048_576;
const _: () = assert!(SCIDB_INLINE_BYTES == crate::store::INLINE_BYTES);
/// Bytes of a content hash buffer: 64 hex digits and a terminating NUL.
pub const SCIDB_HASH_SIZE: usize = 65;

/// The one table of statuses: code, the error kind it stands for, its C
/// name and the language-neutral identifier bindings raise (MATLAB
/// `scidb:<id>`, Python's exception class chosen by it). Every other
/// mapping is derived from this table.
const STATUSES: [(scidb_status, Option<ErrorKind>, &CStr, &CStr); 13] = [
    (SCIDB_OK, None, c"SCIDB_OK", c"ok"),
    (
        SCIDB_INVALID_ARGUMENT,
        Some(ErrorKind::InvalidArgument),
        c"SCIDB_INVALID_ARGUMENT",
        c"invalidArgument",
    ),
    (
        SCIDB_NULL_ARGUMENT,
        Some(ErrorKind::NullArgument),
        c"SCIDB_NULL_ARGUMENT",
        c"invalidArgument",
    ),
    (
        SCIDB_NOT_FOUND,
        Some(ErrorKind::NotFound),
        c"SCIDB_NOT_FOUND",
        c"notFound",
    ),
    (
        SCIDB_AMBIGUOUS,
        Some(ErrorKind::Ambiguous),
        c"SCIDB_AMBIGUOUS",
        c"ambiguous",
    ),
    (
        SCIDB_TYPE_MISMATCH,
        Some(ErrorKind::TypeMismatch),
        c"SCIDB_TYPE_MISMATCH",
        c"typeMismatch",
    ),
    (SCIDB_IO, Some(ErrorKind::Io), c"SCIDB_IO", c"io"),
    (
        SCIDB_LOCKED,
        Some(ErrorKind::Locked),
        c"SCIDB_LOCKED",
        c"locked",
    ),
    (
        SCIDB_SCHEMA_MISMATCH,
        Some(ErrorKind::SchemaMismatch),
        c"SCIDB_SCHEMA_MISMATCH",
        c"schemaMismatch",
    ),
    (
        SCIDB_RESERVED_KEY,
        Some(ErrorKind::ReservedKey),
        c"SCIDB_RESERVED_KEY",
        c"reservedKey",
    ),
    (
        SCIDB_CORRUPT,
        Some(ErrorKind::Corrupt),
        c"SCIDB_CORRUPT",
        c"corrupt",
    ),
    (
        SCIDB_PROTOCOL,
        Some(ErrorKind::Protocol),
        c"SCIDB_PROTOCOL",
        c"protocol",
    ),
    (
        SCIDB_PANIC,
        Some(ErrorKind::Panic),
        c"SCIDB_PANIC",
        c"internal",
    ),
];

fn status_of(kind: ErrorKind) -> scidb_status {
    STATUSES
        .iter()
        .find(|s| s.1 == Some(kind))
        .map_or(SCIDB_PANIC, |s| s.0)
}

/// The error kind a status stands for (a callback's failure keeps its
/// kind); codes outside the table are invalid arguments.
fn kind_of(status: scidb_status) -> ErrorKind {
    STATUSES
        .iter()
        .find(|s| s.0 == status)
        .and_then(|s| s.1)
        .unwrap_or(ErrorKind::InvalidArgument)
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// Runs an exported body: catches panics, records the error message and
/// returns the status code.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> scidb_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_last_error("");
            SCIDB_OK
        }
        Ok(Err(e)) => {
            set_last_error(&e.message);
            status_of(e.kind)
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!(
                "internal error in scidb (please report it): {what}"
            ));
            SCIDB_PANIC
        }
    }
}

/// Like [`guard`] for functions that cannot report a status (the `_free`s).
pub(crate) fn guard_void(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(
        ErrorKind::NullArgument,
        format!("argument '{name}' is NULL"),
    )
}

/// A required NUL-terminated UTF-8 string argument.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null_arg(name));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| Error::invalid(format!("argument '{name}' is not valid UTF-8")))
}

/// An optional string argument: NULL means absent.
pub(crate) unsafe fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        arg_str(ptr, name).map(Some)
    }
}

/// An optional query argument (JSON text as `scidb_load` takes); NULL
/// matches everything.
pub(crate) unsafe fn arg_query(ptr: *const c_char, name: &str) -> Result<crate::metadata::Query> {
    match arg_opt_str(ptr, name)? {
        Some(text) => crate::metadata::parse_query(text),
        None => Ok(crate::metadata::Query::new()),
    }
}

/// An optional load selection (NULL: everything), see
/// [`crate::metadata::parse_selection`].
pub(crate) unsafe fn arg_selection(
    ptr: *const c_char,
    name: &str,
) -> Result<crate::metadata::Selection> {
    match arg_opt_str(ptr, name)? {
        Some(text) => crate::metadata::parse_selection(text),
        None => Ok(crate::metadata::Selection::Matching(
            crate::metadata::Query::new(),
        )),
    }
}

/// A required reference argument.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    ptr.as_ref().ok_or_else(|| null_arg(name))
}

/// A required out-pointer.
pub(crate) unsafe fn arg_out<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    ptr.as_mut().ok_or_else(|| null_arg(name))
}

/// Copies text and a NUL into a caller's fixed-size buffer.
pub(crate) unsafe fn write_fixed(
    text: &str,
    out: *mut c_char,
    size: usize,
    name: &str,
) -> Result<()> {
    if out.is_null() {
        return Err(null_arg(name));
    }
    debug_assert!(text.len() < size);
    std::ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, out, text.len());
    *out.add(text.len()) = 0;
    Ok(())
}

/// Frees a boxed handle and nulls the caller's pointer.
pub(crate) unsafe fn free_handle<T>(handle: *mut *mut T) {
    guard_void(|| {
        if let Some(slot) = handle.as_mut() {
            if !slot.is_null() {
                drop(Box::from_raw(*slot));
                *slot = std::ptr::null_mut();
            }
        }
    })
}

/// The version of the C ABI this library implements (`SCIDB_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn scidb_abi_version() -> u32 {
    SCIDB_ABI_VERSION
}

/// The message of the last failed call on this thread ("" after a success).
/// The pointer stays valid until the next scidb call on this thread.
#[no_mangle]
pub extern "C" fn scidb_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// A static name for a status code, e.g. "SCIDB_NOT_FOUND".
#[no_mangle]
pub extern "C" fn scidb_status_name(status: scidb_status) -> *const c_char {
    STATUSES
        .iter()
        .find(|s| s.0 == status)
        .map_or(c"SCIDB_UNKNOWN_STATUS", |s| s.2)
        .as_ptr()
}

/// The language-neutral identifier of a status, e.g. "notFound" for
/// `SCIDB_NOT_FOUND` ("invalidArgument" for `SCIDB_NULL_ARGUMENT` too,
/// "internal" for `SCIDB_PANIC` and for codes outside the table): MATLAB
/// raises `scidb:<id>`, Python picks its exception class by it, so every
/// binding names a failure the same way.
#[no_mangle]
pub extern "C" fn scidb_status_id(status: scidb_status) -> *const c_char {
    STATUSES
        .iter()
        .find(|s| s.0 == status)
        .map_or(c"internal", |s| s.3)
        .as_ptr()
}
