//! The store: an embedded DuckDB catalog holding records, versions, views
//! and lineage, and a payload directory holding large values as files.
//!
//! Everything that touches SQL lives under this module, behind the small
//! API of [`Database`], so another catalog can be put behind the same
//! calls later; the payload store (`payload`) does not know the catalog.

mod chunked;
mod copy;
mod find;
pub mod foreach;
pub mod inspect;
pub mod jobs;
pub mod lineage;
mod npy;
pub mod payload;
pub mod pg_config;
mod preview;
mod schema;
pub(crate) mod sql;
mod tables;
mod views;

pub use chunked::{ChunkReader, ChunkWriter, WHOLE_LOAD_BYTES};
pub use copy::CopyReport;
pub use find::RecordInfo;
pub use payload::{GcReport, INLINE_BYTES};
pub use sql::quote_ident;

use crate::codec;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::hash::content_hash;
use crate::metadata::{self, Metadata, Query};
use crate::value::{Table, Value};
use payload::{Format, PayloadStore, TempFile};
use sql::{args, now, Arg, Conn};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};
use views::Signature;

/// A loaded record: what was saved, where, when, and the value.
#[derive(Debug, Clone)]
pub struct Record {
    pub info: RecordInfo,
    pub metadata: Metadata,
    /// None when only the record's description was asked for.
    pub value: Option<Value>,
}

/// A record `load_all_readable` found but could not read: its description
/// and why (a missing or damaged payload file, a changed value).
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub info: RecordInfo,
    pub error: Error,
}

/// An open scidb database.
pub struct Database {
    path: String,
    schema_keys: Vec<String>,
    /// The INSERT of a record, which depends only on the schema keys.
    insert_sql: String,
    /// Counts records newer than a given one at its location and variant.
    newer_sql: String,
    /// Where values larger than [`INLINE_BYTES`] live.
    payloads: Arc<PayloadStore>,
    /// Whether every load recomputes the content hash, array payload files
    /// included (`SCIDB_VERIFY_LOADS=1`); values in the catalog, tables and
    /// chunked values are verified on every load anyway.
    verify_loads: bool,
    inner: Mutex<Inner>,
    /// How to open another connection to a PostgreSQL catalog (the lease
    /// renewer's), and its name.
    reconnect: Option<(postgres::Config, String)>,
    /// Which open database this is, in this process (two catalogs of one
    /// PostgreSQL server may share a name).
    open_id: u64,
    /// The file claim of a DuckDB database.
    _claim: Option<OpenClaim>,
}

/// Files this process has open. DuckDB's file lock keeps other processes
/// out but not a second instance in this one, which would lose writes
/// (each keeps its own write-ahead log, named after the path it was given);
/// a claim refuses that and is released when the database drops.
static OPEN_FILES: Mutex<Vec<Claimed>> = Mutex::new(Vec::new());

/// The id the next opened database gets.
static NEXT_OPEN_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One open file: the path it was reached by, canonical, and its identity
/// (device, inode), which every symlink and hard link to it shares.
#[derive(Clone, PartialEq, Eq)]
struct Claimed {
    path: std::path::PathBuf,
    identity: (u64, u64),
}

struct OpenClaim(Claimed);

impl OpenClaim {
    /// Opens `path` with `open` while holding the claim list, so that no
    /// other thread can open the same file between the check and the open:
    /// an existing file is checked by identity before DuckDB sees it; a
    /// new one by its canonical path, then claimed by identity once created.
    fn open<T>(path: &str, open: impl FnOnce() -> Result<T>) -> Result<(Self, T)> {
        use std::os::unix::fs::MetadataExt;
        let p = std::path::Path::new(path);
        let io = |e: std::io::Error| Error::io(format!("opening {path}: {e}"));
        let mut claimed = OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner());
        let already = || {
            Error::new(
                ErrorKind::Locked,
                format!("{path} is already open in this process (perhaps by another name); close it first"),
            )
        };
        let existing = match std::fs::metadata(p) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        let canonical = match &existing {
            Some(m) => {
                check_database_file(path, m)?;
                if claimed.iter().any(|c| c.identity == (m.dev(), m.ino())) {
                    return Err(already());
                }
                p.canonicalize().map_err(io)?
            }
            None => {
                // The folder must exist; the file is created by DuckDB.
                let dir = match p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    Some(d) => d.canonicalize(),
                    None => std::env::current_dir(),
                }
                .map_err(io)?;
                dir.join(p.file_name().unwrap_or_default())
            }
        };
        if claimed.iter().any(|c| c.path == canonical) {
            return Err(already());
        }
        let opened = open()?;
        let m = std::fs::metadata(p).map_err(io)?;
        let claim = Claimed {
            path: canonical,
            identity: (m.dev(), m.ino()),
        };
        if claimed.iter().any(|c| c.identity == claim.identity) {
            return Err(already());
        }
        claimed.push(claim.clone());
        Ok((OpenClaim(claim), opened))
    }
}

impl Drop for OpenClaim {
    fn drop(&mut self) {
        let mut open = OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|c| c != &self.0);
    }
}

/// The first bytes of a DuckDB file: an 8-byte checksum, then "DUCK".
const DUCKDB_MAGIC: &[u8; 4] = b"DUCK";

/// Refuses what DuckDB must not be pointed at: anything but a regular file
/// (a FIFO would block the open forever, a directory fails obscurely) and
/// files of other formats (DuckDB would try to load an extension for a
/// SQLite file).
fn check_database_file(path: &str, m: &std::fs::Metadata) -> Result<()> {
    use std::io::Read;
    if !m.is_file() {
        return Err(Error::invalid(format!(
            "{path} is not a regular file; a scidb database is a DuckDB file (or a path where one can be created)"
        )));
    }
    if m.len() == 0 {
        // DuckDB refuses an empty file too, less clearly.
        return Err(Error::invalid(format!(
            "{path} is an empty file, not a DuckDB database; remove it and scidb creates a new database there"
        )));
    }
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| Error::io(format!("reading {path}: {e}")))?;
    if head.get(8..12) != Some(&DUCKDB_MAGIC[..]) {
        let what = if head.starts_with(b"SQLite format 3\0") {
            "a SQLite database"
        } else {
            "some other file"
        };
        return Err(Error::invalid(format!(
            "{path} is not a DuckDB database (it looks like {what}); scidb opens only DuckDB files it created or new paths"
        )));
    }
    Ok(())
}

/// Opens a DuckDB connection with extension auto-install and auto-load
/// off: an embedded library must never download code from the network.
fn connect(path: &str) -> Result<Conn> {
    let config = duckdb::Config::default()
        .enable_autoload_extension(false)
        .context("configuring DuckDB")?;
    let conn =
        duckdb::Connection::open_with_flags(path, config).context(format!("opening {path}"))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(Conn::Duck(conn))
}

/// A catalog connection just opened, before its tables are checked.
struct Opened {
    /// The name it goes by (a URL without its password).
    shown: String,
    /// A DuckDB file's claim in this process.
    claim: Option<OpenClaim>,
    conn: Conn,
    /// How to connect again (PostgreSQL).
    reconnect: Option<(postgres::Config, String)>,
}

impl Opened {
    /// Connects to a PostgreSQL URL (checking a given `data_path` first) or
    /// opens a DuckDB file, claimed in this process.
    fn catalog(path: &str, data_path: Option<&str>) -> Result<Opened> {
        if !pg_config::is_postgres_url(path) {
            let (claim, conn) = OpenClaim::open(path, || connect(path))?;
            return Ok(Opened {
                shown: path.to_string(),
                claim: Some(claim),
                conn,
                reconnect: None,
            });
        }
        let target = pg_config::parse(path)?;
        if let Some(d) = data_path {
            shared_data_path(&target.redacted, Some(d))?;
        }
        let conn = Conn::postgres(&target.config, &target.redacted)?;
        Ok(Opened {
            reconnect: Some((target.config, target.redacted.clone())),
            shown: target.redacted,
            claim: None,
            conn,
        })
    }
}

/// What this process knows of the catalog. With a DuckDB file this
/// process is the only writer, so the maps are the truth and stand in for
/// unique indexes (which cost more per insert in DuckDB) and answer cache
/// lookups without a query. With a shared (PostgreSQL) catalog they are a
/// copy brought up to date from the catalog before every use (`refresh`),
/// under the catalog's writer lock when writing.
struct Inner {
    conn: Conn,
    /// Each variable type's view signature, as committed.
    signatures: BTreeMap<String, Signature>,
    /// Every record's content hash by record id.
    records: HashMap<String, String>,
    /// The calls whose results were saved, by cache key (see `lineage`).
    calls: HashMap<String, lineage::CallEntry>,
    /// The id the next lineage row gets.
    next_lineage_id: i64,
    /// The newest record version `records` holds (shared catalogs).
    seen_version: i64,
}

/// A value ready to be written: what a save computes before the lock.
struct Prepared<'a> {
    variable: &'a str,
    record_id: String,
    hash: String,
    encoded: codec::Encoded<'a>,
    /// The format of the payload file of a value stored outside its row.
    payload: Option<Format>,
    /// That file when this save wrote it, not yet in place (see `commit`).
    staged: Option<Staged>,
    preview: preview::Preview,
    meta: Metadata,
    /// The metadata that is not schema keys.
    variant: Metadata,
    table: Option<&'a Table>,
}

/// A payload file written before the lock.
struct Staged {
    file: TempFile,
    /// The file's size, when known before it is written.
    len: Option<u64>,
}

/// A write a save needs. A record that exists and is already the newest
/// of its location and variant needs none.
enum Action<'a> {
    /// The record exists; make it the newest version again.
    Bump(String),
    Insert(Box<Insert<'a>>),
}

struct Insert<'a> {
    p: Prepared<'a>,
    widened: bool,
    /// The view's signature before (when widened) and after (when widened
    /// or rows are copied for a table).
    old: Option<Signature>,
    sig: Option<Signature>,
}

/// Records about to be written together, and what the in-memory state
/// gains once they commit.
#[derive(Default)]
struct Batch<'a> {
    actions: Vec<Action<'a>>,
    signatures: BTreeMap<String, Signature>,
    records: HashMap<String, String>,
    /// Lineage rows the batch writes besides the records.
    lineage_writes: usize,
    /// Existing records already checked for a newer version (see `check_newer`).
    newer_checked: HashMap<String, bool>,
}

impl Database {
    /// Opens (creating when missing) a database file with its ordered schema
    /// keys. Reopening with other keys is a `SchemaMismatch` error. The
    /// optional lineage path is recorded; lineage lives in the same file so
    /// a save and its lineage commit together.
    pub fn open(path: &str, schema_keys: &[String], lineage_path: Option<&str>) -> Result<Self> {
        Self::open_with_data_path(path, schema_keys, lineage_path, None)
    }

    /// Opens a database as [`Database::open`] does, with its payload files
    /// under `data_path` (see [`payload_dir`]).
    pub fn open_with_data_path(
        path: &str,
        schema_keys: &[String],
        lineage_path: Option<&str>,
        data_path: Option<&str>,
    ) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::invalid("the database path is empty"));
        }
        // Their columns' names are compared ignoring case by DuckDB.
        let mut seen = std::collections::HashMap::new();
        for k in schema_keys {
            metadata::validate_key(k).context("schema key")?;
            if let Some(first) = seen.insert(k.to_lowercase(), k) {
                return Err(Error::invalid(if first == k {
                    format!("schema key '{k}' is listed twice")
                } else {
                    format!(
                        "schema keys '{first}' and '{k}' differ only in case, which SQL ignores"
                    )
                }));
            }
        }
        let Opened {
            shown,
            claim,
            conn,
            reconnect,
        } = Opened::catalog(path, data_path)?;
        let recorded = schema::prepare(&conn, schema_keys, lineage_path, data_path)
            .context(format!("opening {shown}"))?;
        let folder = if conn.is_shared() {
            shared_data_path(&shown, data_path.or(recorded.as_deref()))?
        } else {
            payload_dir(path, data_path.or(recorded.as_deref()))
        };
        let payloads = PayloadStore::open(&folder).context(format!("opening {shown}"))?;
        let mut inner = Inner {
            conn,
            signatures: BTreeMap::new(),
            records: HashMap::new(),
            calls: HashMap::new(),
            next_lineage_id: 1,
            seen_version: 0,
        };
        refresh(&mut inner).context(format!("opening {shown}"))?;
        Ok(Database {
            path: shown,
            insert_sql: insert_record_sql(schema_keys),
            newer_sql: newer_record_sql(schema_keys),
            _claim: claim,
            open_id: NEXT_OPEN_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            reconnect,
            schema_keys: schema_keys.to_vec(),
            payloads,
            verify_loads: std::env::var_os(VERIFY_LOADS_ENV).is_some_and(|v| v == "1"),
            inner: Mutex::new(inner),
        })
    }

    /// Opens an existing database with the schema keys it was created
    /// with (read from its catalog): what tools that did not create it use.
    pub fn open_existing(path: &str, data_path: Option<&str>) -> Result<Self> {
        if !pg_config::is_postgres_url(path) && !Path::new(path).is_file() {
            return Err(Error::not_found(format!("{path} is not a database file")));
        }
        let keys = {
            let opened = Opened::catalog(path, None)?;
            schema::recorded_keys(&opened.conn, &opened.shown)?
        };
        Self::open_with_data_path(path, &keys, None, data_path)
    }

    /// A number no other database opened in this process has.
    pub fn open_id(&self) -> u64 {
        self.open_id
    }

    /// Whether other processes may write this database too (a PostgreSQL
    /// catalog).
    pub fn is_shared(&self) -> bool {
        self.lock().conn.is_shared()
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn schema_keys(&self) -> &[String] {
        &self.schema_keys
    }

    /// The folder holding this database's payload files.
    pub fn data_path(&self) -> &Path {
        self.payloads.dir()
    }

    /// Removes payload files no record refers to (left by a save that was
    /// interrupted between writing its file and committing its record) and
    /// temporary files of interrupted writes. Loads never remove anything.
    ///
    /// On a shared catalog this holds the writer lock (no process can place
    /// a file and commit its record meanwhile) and keeps temporary files of
    /// the last day, which may be saves in progress on other machines.
    pub fn gc(&self) -> Result<GcReport> {
        self.writing(|inner| {
            let referenced: HashSet<String> = inner
                .conn
                .query("SELECT DISTINCT content_hash FROM _scidb_records", &[])?
                .iter()
                .map(|r| r.get(0))
                .collect::<Result<_>>()?;
            let grace = inner
                .conn
                .is_shared()
                .then_some(std::time::Duration::from_secs(24 * 3600));
            self.payloads
                .gc(&referenced, grace)
                .context("collecting unused payload files")
        })
    }

    /// The variable types that have records.
    pub fn variables(&self) -> Result<Vec<String>> {
        Ok(self.fresh()?.signatures.keys().cloned().collect())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                // A panic interrupted an operation: drop any transaction it left open.
                let g = poisoned.into_inner();
                let _ = g.conn.batch("ROLLBACK");
                g
            }
        }
    }

    /// The state, brought up to date with what other processes committed
    /// when the catalog is shared.
    fn fresh(&self) -> Result<MutexGuard<'_, Inner>> {
        let mut inner = self.lock();
        if inner.conn.is_shared() {
            refresh_snapshot(&mut inner)?;
        }
        Ok(inner)
    }

    /// Runs a write: on a shared catalog inside one transaction that first
    /// takes the catalog's writer lock and brings the state up to date, so
    /// planning sees every committed record and call (writes are short:
    /// payload files are written before). A DuckDB file has one writer;
    /// there `commit` makes its own transaction.
    fn writing<T>(&self, f: impl FnOnce(&mut Inner) -> Result<T>) -> Result<T> {
        let mut inner = self.lock();
        if !inner.conn.is_shared() {
            return f(&mut inner);
        }
        let result = begin_shared_write(&mut inner).and_then(|_| {
            let v = f(&mut inner)?;
            inner.conn.batch("COMMIT")?;
            Ok(v)
        });
        if result.is_err() {
            let _ = inner.conn.batch("ROLLBACK");
            // The state may hold what was not committed: read it afresh.
            forget(&mut inner);
        }
        result
    }

    /// Runs a write that touches no records, calls or lineage (the run
    /// log): on a shared catalog in one transaction under a lock of its
    /// own, so runs are numbered in commit order without waiting for the
    /// writer lock or reading what other processes saved. A DuckDB file
    /// runs it as is (`in_write_transaction` makes the transaction).
    fn writing_runs<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let inner = self.lock();
        if !inner.conn.is_shared() {
            return f(&inner.conn);
        }
        let conn = &inner.conn;
        let result = conn
            .batch("BEGIN")
            .and_then(|_| {
                conn.execute(
                    "SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))",
                    args![RUNS_LOCK],
                )
                .context("waiting for the run log's lock")
            })
            .and_then(|_| f(conn))
            .and_then(|v| {
                conn.batch("COMMIT")?;
                Ok(v)
            });
        if result.is_err() {
            let _ = conn.batch("ROLLBACK");
        }
        result
    }

    /// Saves a value under a variable type with metadata; returns the record
    /// id. Saving identical content and metadata again stores nothing new:
    /// the existing record becomes the newest version again (nothing is
    /// written when it already is).
    pub fn save(&self, variable: &str, meta: &Metadata, value: &Value) -> Result<String> {
        let prepared = self.prepare(variable, meta.clone(), value)?;
        let record_id = prepared.record_id.clone();
        self.writing(|inner| {
            let mut batch = Batch::default();
            self.plan_record(inner, &mut batch, prepared)?;
            self.commit(inner, batch, |_| Ok(()))
        })?;
        Ok(record_id)
    }

    /// Computes everything a save needs that does not touch the database.
    fn prepare<'a>(
        &self,
        variable: &'a str,
        meta: Metadata,
        value: &'a Value,
    ) -> Result<Prepared<'a>> {
        metadata::validate_identifier("variable type", variable)?;
        for k in meta.keys() {
            metadata::validate_key(k)?;
        }
        value.validate().context(format!("saving {variable}"))?;
        let encoded = codec::encode(value);
        let (hash, payload, staged) = self
            .stage_payload(value, &encoded)
            .context(format!("saving {variable}"))?;
        let record_id = record_id(variable, &metadata::to_json_object(&meta), &hash);
        let variant = self.variant_of(&meta);
        Ok(Prepared {
            variable,
            record_id,
            hash,
            encoded,
            payload,
            staged,
            preview: preview::preview(value),
            meta,
            variant,
            table: match value {
                Value::Table(t) => Some(t),
                _ => None,
            },
        })
    }

    /// The metadata that is not schema keys.
    fn variant_of(&self, meta: &Metadata) -> Metadata {
        meta.iter()
            .filter(|(k, _)| !self.schema_keys.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The content hash and, for a value too large for its row, its
    /// payload file written to a temporary file. An array's file is
    /// written while its elements are hashed (one pass over memory on each
    /// core), and so is a table's Arrow file; a file for content already
    /// stored is not written at all, except for arrays and tables, whose
    /// hash is known only at the end.
    fn stage_payload(
        &self,
        value: &Value,
        encoded: &codec::Encoded<'_>,
    ) -> Result<(String, Option<Format>, Option<Staged>)> {
        if encoded.stored_len() <= INLINE_BYTES {
            return Ok((content_hash(value), None, None));
        }
        if let Value::Array(a) = value {
            let header = npy::header(a.dtype, &a.shape, None);
            let len = Some((header.len() + a.data.len()) as u64);
            let (hash, file) = std::thread::scope(|s| {
                let hashing = s.spawn(|| content_hash(value));
                let file = self.payloads.stage(&[&header, &a.data]);
                (hashing.join(), file)
            });
            let hash =
                hash.map_err(|_| Error::new(ErrorKind::Panic, "hashing an array panicked"))?;
            let staged = Staged { file: file?, len };
            return Ok((hash, Some(Format::Npy), Some(staged)));
        }
        if let Value::Table(t) = value {
            // The Arrow file is written from the table's own batch while
            // another thread hashes the same buffers.
            let (hash, file) = std::thread::scope(|s| {
                let hashing = s.spawn(|| content_hash(value));
                let file = tables::stage_whole(&self.payloads, t);
                (hashing.join(), file)
            });
            let hash =
                hash.map_err(|_| Error::new(ErrorKind::Panic, "hashing a table panicked"))?;
            let staged = Staged {
                file: file?,
                len: None,
            };
            return Ok((hash, Some(Format::Arrow), Some(staged)));
        }
        let hash = content_hash(value);
        let (format, len) = (Format::Sdv, Some(encoded.stored_len() as u64));
        if self.payloads.holds(&hash, format, len) {
            // Stored already: the record row only names the file.
            return Ok((hash, Some(format), None));
        }
        let file = self.payloads.stage(&[encoded.header_bytes()])?;
        Ok((hash, Some(format), Some(Staged { file, len })))
    }

    /// Decides what saving one record writes, and notes in the batch what
    /// the in-memory state gains once it commits.
    fn plan_record<'a>(&self, inner: &Inner, batch: &mut Batch<'a>, p: Prepared<'a>) -> Result<()> {
        if batch.records.contains_key(&p.record_id) || inner.records.contains_key(&p.record_id) {
            return self.plan_existing(inner, batch, &p.record_id);
        }
        let old = batch
            .signatures
            .get(p.variable)
            .or_else(|| inner.signatures.get(p.variable))
            .cloned();
        if old.is_none() {
            let known = inner.signatures.keys().chain(batch.signatures.keys());
            if let Some(twin) = views::case_twin(p.variable, known) {
                return Err(Error::invalid(format!(
                    "variable type '{}' differs from the existing type '{twin}' only in case; \
                     SQL names ignore case, so the two would share one view: use another name",
                    p.variable
                )));
            }
        }
        let mut sig = old.clone().unwrap_or_default();
        let widened = sig.absorb(&p.meta, p.preview.kind, p.table) || old.is_none();
        batch.records.insert(p.record_id.clone(), p.hash.clone());
        if widened {
            batch.signatures.insert(p.variable.to_string(), sig.clone());
        }
        let keep_sig = widened || p.table.is_some();
        batch.actions.push(Action::Insert(Box::new(Insert {
            p,
            widened,
            old: if widened { old } else { None },
            sig: keep_sig.then_some(sig),
        })));
        Ok(())
    }

    /// Plans saving a record that exists: it becomes the newest version
    /// again unless it already is (or was written earlier in the batch).
    fn plan_existing(&self, inner: &Inner, batch: &mut Batch<'_>, record_id: &str) -> Result<()> {
        if batch.records.contains_key(record_id) {
            return Ok(());
        }
        let newer = match batch.newer_checked.get(record_id) {
            Some(&newer) => newer,
            None => self.has_newer(&inner.conn, record_id)?,
        };
        if newer {
            batch.actions.push(Action::Bump(record_id.to_string()));
        }
        Ok(())
    }

    /// Checks at once which of these existing records have a newer record
    /// at their location and variant (`plan_existing` then asks no query).
    fn check_newer(&self, inner: &Inner, batch: &mut Batch<'_>, ids: &[&str]) -> Result<()> {
        for chunk in ids.chunks(1000) {
            let sql = newer_records_sql(&self.schema_keys, chunk.len());
            let ids: Vec<Arg<'_>> = chunk.iter().map(|id| Arg::from(*id)).collect();
            let newer = inner
                .conn
                .query(&sql, &ids)
                .and_then(|rows| rows.iter().map(|r| r.get(0)).collect())
                .map(|ids: Vec<String>| ids.into_iter().collect::<HashSet<String>>())
                .context("comparing versions")?;
            for id in chunk {
                batch
                    .newer_checked
                    .insert(id.to_string(), newer.contains(*id));
            }
        }
        Ok(())
    }

    /// Whether a newer record shares this record's location and variant.
    fn has_newer(&self, conn: &Conn, record_id: &str) -> Result<bool> {
        let n: i64 = conn
            .query_one(&self.newer_sql, args![record_id])
            .and_then(|r| r.get(0))
            .context("comparing versions")?;
        Ok(n > 0)
    }

    /// Puts the batch's payload files in place, then writes its catalog
    /// rows and `extra` (lineage) in one transaction (a lone simple write
    /// commits on its own), and only then lets the in-memory state see
    /// what was written. Files go first: a crash before the commit leaves
    /// files no record names (for `gc`), never a record without its file.
    fn commit(
        &self,
        inner: &mut Inner,
        mut batch: Batch<'_>,
        extra: impl FnOnce(&Conn) -> Result<()>,
    ) -> Result<()> {
        for action in &mut batch.actions {
            if let Action::Insert(i) = action {
                if let (Some(staged), Some(format)) = (i.p.staged.take(), i.p.payload) {
                    self.place_payload(&i.p.hash, format, staged)?;
                }
            }
        }
        let lone_simple = batch.lineage_writes == 0
            && match batch.actions.as_slice() {
                [] | [Action::Bump(_)] => true,
                [Action::Insert(i)] => !i.widened && i.p.table.is_none(),
                _ => false,
            };
        let conn = &inner.conn;
        let write_all = || -> Result<()> {
            // Plain inserts (no view change, no table rows) are written
            // together: DuckDB's per-statement cost dominates.
            let mut plain: Vec<&Insert<'_>> = Vec::new();
            for action in &batch.actions {
                match action {
                    Action::Insert(i) if i.sig.is_none() => {
                        plain.push(i);
                        if plain.len() == INSERT_GROUP {
                            self.insert_records(conn, &std::mem::take(&mut plain))?;
                        }
                    }
                    _ => {
                        self.insert_records(conn, &std::mem::take(&mut plain))?;
                        self.write(conn, action)?;
                    }
                }
            }
            self.insert_records(conn, &plain)?;
            extra(conn)
        };
        if lone_simple {
            write_all()?;
        } else {
            in_write_transaction(conn, write_all)?;
        }
        inner.signatures.extend(batch.signatures);
        inner.records.extend(batch.records);
        Ok(())
    }

    /// Renames a staged payload file into place unless the same content is
    /// there already (then the staged file is removed).
    fn place_payload(&self, hash: &str, format: Format, staged: Staged) -> Result<()> {
        if self.payloads.holds(hash, format, staged.len) {
            return Ok(());
        }
        staged.file.commit(hash, format)
    }

    fn write(&self, conn: &Conn, action: &Action<'_>) -> Result<()> {
        let i = match action {
            Action::Bump(record_id) => {
                conn.execute(
                    "UPDATE _scidb_records SET version = nextval('_scidb_version_seq'), \
                     saved_at = ? WHERE record_id = ?",
                    &[now(), Arg::from(record_id)],
                )
                .context(format!("making record {record_id} the newest"))?;
                return Ok(());
            }
            Action::Insert(i) => i,
        };
        let p = &i.p;
        let what = || format!("saving {}", p.variable);
        self.insert_record(conn, p, &p.blob()).context(what())?;
        if let Some(sig) = &i.sig {
            if i.widened {
                views::apply(conn, p.variable, &self.schema_keys, i.old.as_ref(), sig)
                    .context(what())?;
            }
            // A table in a payload file (over `INLINE_BYTES`) is not copied
            // row by row into the view: that copy cost several times the
            // file itself. Its view row has NULL cells (docs/storage.md).
            if let (Some(t), None) = (p.table, p.payload) {
                views::insert_rows(conn, p.variable, &p.record_id, t, sig).context(what())?;
            }
        }
        Ok(())
    }

    /// Inserts plain records: one by one when they are few, else with an
    /// appender after drawing their versions from the sequence at once.
    fn insert_records(&self, conn: &Conn, inserts: &[&Insert<'_>]) -> Result<()> {
        let blobs: Vec<Vec<u8>> = inserts.iter().map(|i| i.p.blob()).collect();
        let duck = match conn.duck() {
            Some(duck) if inserts.len() >= APPEND_FROM => duck,
            _ => {
                for (i, blob) in inserts.iter().zip(&blobs) {
                    self.insert_record(conn, &i.p, blob)
                        .context(format!("saving {}", i.p.variable))?;
                }
                return Ok(());
            }
        };
        let mut versions: Vec<i64> = duck
            .prepare_cached("SELECT nextval('_scidb_version_seq') FROM range(?)")?
            .query_map([inserts.len() as i64], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()
            .context("numbering versions")?;
        versions.sort_unstable();
        let mut app = duck.appender("_scidb_records")?;
        for ((i, blob), version) in inserts.iter().zip(&blobs).zip(versions) {
            let mut args = self.record_args(&i.p, blob);
            // The table's column order: the version after the type, the
            // preview after the schema keys.
            let preview = args.remove(6);
            args.insert(2, Arg::Int(version));
            args.push(preview);
            app.append_row(duckdb::appender_params_from_iter(args.iter()))
                .context(format!("saving {}", i.p.variable))?;
        }
        app.flush().context("recording records")?;
        Ok(())
    }

    fn insert_record(&self, conn: &Conn, r: &Prepared<'_>, blob: &[u8]) -> Result<()> {
        let args = self.record_args(r, blob);
        conn.execute(&self.insert_sql, &args)
            .context("recording the record")?;
        Ok(())
    }

    /// The parameters of one record's row in `insert_sql`.
    fn record_args<'b>(&self, r: &'b Prepared<'_>, blob: &'b [u8]) -> Vec<Arg<'b>> {
        // The value blob is bound by reference: a 1 MiB body is not copied.
        let mut args: Vec<Arg<'_>> = vec![
            Arg::from(&r.record_id),
            Arg::from(r.variable),
            Arg::from(&r.hash),
            Arg::from(blob),
            Arg::from(metadata::to_json_object(&r.variant)),
            now(),
            Arg::from(r.preview.text.as_deref()),
        ];
        for k in &self.schema_keys {
            args.push(Arg::from(r.meta.get(k).map(|v| v.canonical())));
        }
        args
    }

    fn require_variable(&self, inner: &Inner, variable: &str) -> Result<()> {
        metadata::validate_identifier("variable type", variable)?;
        if inner.signatures.contains_key(variable) {
            Ok(())
        } else {
            Err(Error::not_found(format!(
                "no variable type named '{variable}' has been saved in {}",
                self.path
            )))
        }
    }

    fn with_values(&self, conn: &Conn, infos: Vec<RecordInfo>) -> Result<Vec<Record>> {
        infos
            .into_iter()
            .map(|info| self.with_value(conn, info).map_err(|u| u.error))
            .collect()
    }

    /// The record with its value read (and verified where loads verify),
    /// or its description and why it cannot be read.
    fn with_value(
        &self,
        conn: &Conn,
        mut info: RecordInfo,
    ) -> std::result::Result<Record, Box<Unreadable>> {
        let Some(blob) = info.blob.take() else {
            let error = Error::corrupt("a record was read without its value");
            return Err(Box::new(Unreadable { info, error }));
        };
        let value = payload::decode(
            conn,
            &self.payloads,
            &info.record_id,
            &info.content_hash,
            &blob,
        )
        .and_then(|value| {
            if !payload::verified_by_decode(&blob)
                && (self.verify_loads || !payload::is_array_payload(&blob))
            {
                verify_content(&info, &value)?;
            }
            Ok(value)
        });
        match value {
            Ok(value) => Ok(Record {
                metadata: info.metadata(&self.schema_keys),
                info,
                value: Some(value),
            }),
            Err(error) => Err(Box::new(Unreadable { info, error })),
        }
    }

    /// The newest record at each matching location. With full schema keys
    /// that is one record. A location holding several variants (records
    /// whose other metadata differs) is an `Ambiguous` error that names the
    /// keys that would choose; no match is `NotFound`.
    pub fn load(&self, variable: &str, query: &Query) -> Result<Vec<Record>> {
        let inner = self.fresh()?;
        self.require_variable(&inner, variable)?;
        let matches = find::matching(&inner.conn, &self.schema_keys, variable, query, true)?;
        if matches.is_empty() {
            return Err(self.no_match(variable, query));
        }
        let chosen = find::one_per_location(matches, &self.schema_keys)?;
        self.with_values(&inner.conn, chosen)
    }

    /// The newest record of every matching location and variant; none
    /// (not an error) for a variable type that was never saved.
    pub fn load_all(&self, variable: &str, query: &Query) -> Result<Vec<Record>> {
        let (records, unreadable) = self.load_all_readable(variable, query)?;
        match unreadable.into_iter().next() {
            Some(u) => Err(u.error),
            None => Ok(records),
        }
    }

    /// As [`Database::load_all`], but a record whose value cannot be read
    /// (a missing or damaged payload file, a value changed behind scidb's
    /// back) does not fail the others: the readable records come first,
    /// the unreadable ones second, each with its error.
    pub fn load_all_readable(
        &self,
        variable: &str,
        query: &Query,
    ) -> Result<(Vec<Record>, Vec<Unreadable>)> {
        let inner = self.fresh()?;
        metadata::validate_identifier("variable type", variable)?;
        if !inner.signatures.contains_key(variable) {
            return Ok((Vec::new(), Vec::new()));
        }
        let matches = find::matching(&inner.conn, &self.schema_keys, variable, query, true)?;
        let mut records = Vec::new();
        let mut unreadable = Vec::new();
        for info in find::newest_per_variant(matches) {
            match self.with_value(&inner.conn, info) {
                Ok(r) => records.push(r),
                Err(u) => unreadable.push(*u),
            }
        }
        Ok((records, unreadable))
    }

    /// Every matching record, all versions, without values, oldest first
    /// within each location; none (not an error) for a variable type that
    /// was never saved, as for `load_all`.
    pub fn list_versions(&self, variable: &str, query: &Query) -> Result<Vec<Record>> {
        let inner = self.fresh()?;
        metadata::validate_identifier("variable type", variable)?;
        if !inner.signatures.contains_key(variable) {
            return Ok(Vec::new());
        }
        let matches = find::matching(&inner.conn, &self.schema_keys, variable, query, false)?;
        Ok(matches
            .into_iter()
            .map(|info| Record {
                metadata: info.metadata(&self.schema_keys),
                info,
                value: None,
            })
            .collect())
    }

    /// Exactly one record by id; with a variable type, the record must be of it.
    pub fn load_record(&self, variable: Option<&str>, record_id: &str) -> Result<Record> {
        let inner = self.fresh()?;
        if let Some(v) = variable {
            self.require_variable(&inner, v)?;
        }
        let info = find::by_id(&inner.conn, &self.schema_keys, variable, record_id, true)?;
        let mut records = self.with_values(&inner.conn, vec![info])?;
        records
            .pop()
            .ok_or_else(|| Error::not_found(format!("no record has id '{record_id}'")))
    }

    fn no_match(&self, variable: &str, query: &Query) -> Error {
        let wanted: Vec<String> = query
            .iter()
            .map(|(k, vals)| {
                let shown: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
                if shown.len() == 1 {
                    format!("{k}={}", shown[0])
                } else {
                    format!("{k} in [{}]", shown.join(", "))
                }
            })
            .collect();
        Error::new(
            ErrorKind::NotFound,
            if wanted.is_empty() {
                format!("no {variable} record exists")
            } else {
                format!("no {variable} record matches {}", wanted.join(", "))
            },
        )
    }
}

impl Prepared<'_> {
    /// The record row's value blob: the whole value, or what names its
    /// payload file.
    fn blob(&self) -> Vec<u8> {
        match self.payload {
            Some(format) => self.encoded.payload_blob(format),
            None => self.encoded.inline_blob(),
        }
    }
}

/// The environment variable that makes every load verify content hashes.
pub const VERIFY_LOADS_ENV: &str = "SCIDB_VERIFY_LOADS";

/// A `Corrupt` error naming the record unless `value` hashes to the
/// record's content hash (a value edited or swapped behind scidb's back).
fn verify_content(info: &RecordInfo, value: &Value) -> Result<()> {
    let actual = crate::hash::content_hash(value);
    if actual == info.content_hash {
        return Ok(());
    }
    Err(Error::corrupt(format!(
        "record {} of {}: its value hashes to {actual}, not to its content hash {}; \
         it was changed after it was saved",
        info.record_id, info.variable, info.content_hash
    )))
}

/// The folder of a database's payload files: `data_path` when given (a
/// relative one is taken from the database's folder), else the database
/// file's name with `.data` appended, beside it (`exp.duckdb.data/`).
pub fn payload_dir(db_path: &str, data_path: Option<&str>) -> PathBuf {
    let db = Path::new(db_path);
    let folder = db.parent().unwrap_or(Path::new(""));
    match data_path {
        Some(d) => folder.join(d),
        None => {
            let mut name = db.file_name().unwrap_or_default().to_os_string();
            name.push(".data");
            folder.join(name)
        }
    }
}

/// Plain records of a batch written together; from this many on they
/// go through an appender (row-at-a-time INSERTs cost far more).
const INSERT_GROUP: usize = 1024;
const APPEND_FROM: usize = 16;

/// The INSERT of one record, with a parameter per schema-key column.
fn insert_record_sql(schema_keys: &[String]) -> String {
    let key_cols: String = schema_keys
        .iter()
        .map(|k| format!(", {}", schema::key_column(k)))
        .collect();
    let key_marks = ", ?".repeat(schema_keys.len());
    format!(
        "INSERT INTO _scidb_records (record_id, variable, version, content_hash, value, \
         variant, saved_at, preview{key_cols}) VALUES (?, ?, nextval('_scidb_version_seq'), \
         ?, ?, ?, ?, ?{key_marks})"
    )
}

/// Counts the records newer than record `?` with the same variable type,
/// location (schema keys, NULL matching NULL) and variant.
fn newer_record_sql(schema_keys: &[String]) -> String {
    format!(
        "SELECT count(*) {} WHERE a.record_id = ? AND b.version > a.version",
        newer_join(schema_keys)
    )
}

/// The records a (the `?`s) that have a newer record b at their variable
/// type, location and variant.
fn newer_records_sql(schema_keys: &[String], n_ids: usize) -> String {
    let marks = vec!["?"; n_ids].join(", ");
    format!(
        "SELECT DISTINCT a.record_id {} WHERE a.record_id IN ({marks}) AND b.version > a.version",
        newer_join(schema_keys)
    )
}

fn newer_join(schema_keys: &[String]) -> String {
    let same_keys: String = schema_keys
        .iter()
        .map(|k| {
            let c = schema::key_column(k);
            format!(" AND b.{c} IS NOT DISTINCT FROM a.{c}")
        })
        .collect();
    format!(
        "FROM _scidb_records a JOIN _scidb_records b \
         ON b.variable = a.variable AND b.variant = a.variant{same_keys}"
    )
}

/// A record's id: derived from what it is, so the same save gives the same
/// id in any database and any language.
pub fn record_id(variable: &str, metadata_json: &str, content_hash: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"scidb:record:v1\0");
    for part in [variable, metadata_json, content_hash] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// Runs `f` in a transaction: committed when it succeeds, rolled back when
/// it fails, so a failed save leaves the database as it was.
fn in_transaction<T>(conn: &Conn, f: impl FnOnce() -> Result<T>) -> Result<T> {
    conn.batch("BEGIN TRANSACTION")?;
    let result = f().and_then(|v| {
        conn.batch("COMMIT")?;
        Ok(v)
    });
    if result.is_err() {
        let _ = conn.batch("ROLLBACK");
    }
    result
}

/// Runs `f` as one transaction: its own on a DuckDB file; on a shared
/// catalog, the one it already runs in (`writing`'s, or `schema::prepare`'s).
fn in_write_transaction<T>(conn: &Conn, f: impl FnOnce() -> Result<T>) -> Result<T> {
    if conn.is_shared() {
        f()
    } else {
        in_transaction(conn, f)
    }
}

/// The PostgreSQL advisory lock every writer of a shared catalog holds
/// for its transaction ("scdb", with the schema: each schema of a
/// database is a catalog of its own): writes commit one at a time, so
/// versions and lineage ids grow in commit order and `refresh` can read
/// only what is newer than what it saw.
const WRITER_LOCK: i32 = 0x7363_6462;

/// The advisory lock under which runs are numbered ("runs").
const RUNS_LOCK: i32 = 0x7275_6e73;

fn begin_shared_write(inner: &mut Inner) -> Result<()> {
    inner.conn.batch("BEGIN")?;
    inner
        .conn
        .execute(
            "SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))",
            args![WRITER_LOCK],
        )
        .context("waiting for the catalog's writer lock")?;
    refresh(inner)
}

/// Brings the state up to date in one consistent snapshot (a shared
/// catalog's reads outside a write).
fn refresh_snapshot(inner: &mut Inner) -> Result<()> {
    inner
        .conn
        .batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
    let result = refresh(inner);
    let end = inner
        .conn
        .batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
    if result.is_err() {
        forget(inner);
    }
    result.and(end)
}

/// Reads what the catalog gained since the state last saw it: records
/// (by version), view signatures, calls and lineage rows.
fn refresh(inner: &mut Inner) -> Result<()> {
    let rows = inner.conn.query(
        "SELECT record_id, content_hash, version FROM _scidb_records WHERE version > ?",
        args![inner.seen_version],
    )?;
    for r in &rows {
        inner.records.insert(r.get(0)?, r.get(1)?);
        inner.seen_version = inner.seen_version.max(r.get(2)?);
    }
    inner.signatures = views::load_signatures(&inner.conn)?;
    lineage::refresh_calls(inner)
}

/// Drops the state so that the next `refresh` reads it all again.
fn forget(inner: &mut Inner) {
    inner.signatures.clear();
    inner.records.clear();
    inner.calls.clear();
    inner.next_lineage_id = 1;
    inner.seen_version = 0;
}

/// The payload folder of a shared catalog: given, and absolute, since
/// every process (on every machine) must find the same files.
fn shared_data_path(shown: &str, data_path: Option<&str>) -> Result<PathBuf> {
    match data_path {
        Some(d) if Path::new(d).is_absolute() => Ok(PathBuf::from(d)),
        Some(d) => Err(Error::invalid(format!(
            "data_path '{d}' for {shown} is relative; a PostgreSQL catalog needs an absolute \
             data_path that every process sees (a shared filesystem)"
        ))),
        None => Err(Error::invalid(format!(
            "{shown} needs a data_path: the folder, on a filesystem every process sees, \
             that holds the payload files"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_never_installed_or_loaded_on_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.duckdb");
        let db = Database::open(path.to_str().unwrap(), &[], None).unwrap();
        let inner = db.lock();
        for setting in ["autoinstall_known_extensions", "autoload_known_extensions"] {
            let on: bool = inner
                .conn
                .query_one(&format!("SELECT current_setting('{setting}')"), &[])
                .and_then(|r| r.get(0))
                .unwrap();
            assert!(!on, "{setting} is on");
        }
    }
}
