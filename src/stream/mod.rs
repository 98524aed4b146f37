//! The child's side of SciDB's `stream()` operator (the protocol of the
//! stream plugin 19.11), so a Python, MATLAB or C program can be the
//! process SciDB streams array chunks through.
//!
//! - [`Stream`]: read a chunk, answer it, and answer SciDB's end marker
//!   once; [`Stream::map`] runs the whole exchange.
//! - [`types`]: the SciDB ↔ host type table (SciDB-Py's null promotion).
//! - [`ipc`]: one record batch as an Arrow IPC stream.
//! - [`tsv`]: the TSV format.
//!
//! Framing (docs/stream.md has the full description): in the Arrow format
//! every message is an 8-byte little-endian byte count followed by an Arrow
//! IPC stream holding one record batch, and a count of 0 ends the stream
//! (from SciDB) or is an empty answer (from the child). In the TSV format a
//! message is a line count and that many lines.

pub mod ipc;
mod session;
pub mod tsv;
pub mod types;

pub use session::{Options, Stream};

/// The stream plugin's data formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `format:'feather'`: Arrow IPC messages.
    Arrow,
    /// `format:'tsv'` (SciDB's default): tab-separated text.
    Tsv,
}
