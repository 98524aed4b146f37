//! The one error type of the core. Each error has a kind, which the C ABI
//! turns into a stable status code, and a message written for the user.

use std::fmt;

/// What went wrong, in the categories the bindings map to exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// An argument had a bad value (bad identifier, bad JSON, wrong shape...).
    InvalidArgument,
    /// A required pointer was NULL (C ABI only).
    NullArgument,
    /// No variable type, record or value matches.
    NotFound,
    /// Several variants sit at one location and the query does not choose.
    Ambiguous,
    /// A value has a type the operation cannot accept.
    TypeMismatch,
    /// The file system or the database engine failed.
    Io,
    /// The database file is locked by another process.
    Locked,
    /// The database was created with other schema keys.
    SchemaMismatch,
    /// A metadata key is reserved by scidb.
    ReservedKey,
    /// Stored bytes could not be decoded.
    Corrupt,
    /// The stream protocol was broken: truncated or malformed input from
    /// SciDB, or a read or write out of turn.
    Protocol,
    /// A bug: a panic was caught at the C boundary.
    Panic,
}

/// An error with a message that names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TypeMismatch, message)
    }
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Corrupt, message)
    }
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Io, message)
    }

    /// Prefixes the message with what was being done, keeping the kind.
    pub fn context(self, what: impl fmt::Display) -> Self {
        Error {
            kind: self.kind,
            message: format!("{what}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<duckdb::Error> for Error {
    fn from(e: duckdb::Error) -> Self {
        let text = e.to_string();
        // DuckDB reports a file held by another process as an IO error whose
        // text mentions the lock; users need to know it is a lock.
        if text.contains("Could not set lock") || text.contains("Conflicting lock") {
            // DuckDB's text names the holder's program and PID.
            return Error::new(
                ErrorKind::Locked,
                format!(
                    "database error: {text}. A DuckDB file serves one process at a time: \
                     close it in the other process, or keep the catalog in PostgreSQL, \
                     which serves many (see docs/cluster.md)"
                ),
            );
        }
        Error::new(ErrorKind::Io, format!("database error: {text}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::io(e.to_string())
    }
}

/// Adds context to any fallible core result.
pub trait ResultExt<T> {
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(what))
    }
}
