//! scidb: a versioned, queryable home for every value a scientific analysis
//! produces, with one Rust core behind a stable C ABI for MATLAB, Python and C.
//!
//! - [`value`]: the value model (arrays, strings, lists, maps, tables, null).
//! - [`hash`]: the canonical content hash.
//! - [`codec`]: the storage encoding of values.
//! - [`chunked`]: values saved and read chunk by chunk.
//! - [`metadata`]: metadata keys, values and queries.
//! - [`lineage`]: function identities, calls and cache keys.
//! - [`foreach`]: running a function over combinations of metadata.
//! - [`store`]: the DuckDB-backed database (records, versions, lineage).
//! - [`stream`]: the child's side of SciDB's `stream()` protocol.
//! - [`ffi`]: the C ABI (the only `extern "C"` code).

pub mod chunked;
pub mod codec;
pub mod error;
pub mod ffi;
pub mod foreach;
pub mod hash;
#[cfg(test)]
mod hash_vectors;
pub mod lineage;
pub mod metadata;
pub mod store;
pub mod stream;
pub mod value;

pub use error::{Error, ErrorKind, Result};
pub use store::{Database, Record};
pub use value::{Array, DType, Value};
