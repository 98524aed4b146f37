//! The database layout: scidb's own tables, created on first open, and the
//! check that a reopened database has the schema keys it was created with.
//!
//! Layout 2 keeps large values in payload files; a layout-1 file (large
//! bodies in `_scidb_values`/`_scidb_chunks`, chunked values in
//! `_scidb_words`) is upgraded on open by recording the new version: its
//! old tables stay and are still read, and new values go to files.

use super::sql::{args, Conn, Dialect};
use crate::error::{Error, ErrorKind, Result, ResultExt};

/// Version of the table layout written into `_scidb_info`.
pub(crate) const LAYOUT_VERSION: &str = "2";
/// Layouts this version opens (and upgrades to [`LAYOUT_VERSION`]).
const READABLE_LAYOUTS: [&str; 2] = ["1", "2"];

/// The column of `_scidb_records` holding a schema key's canonical JSON.
pub fn key_column(key: &str) -> String {
    format!("\"key_{key}\"")
}

/// Creates scidb's tables when missing and checks the stored schema keys.
/// Returns the payload folder recorded when the database was created with
/// one (`data_path`); a new database records the one given.
pub fn prepare(
    conn: &Conn,
    schema_keys: &[String],
    lineage_path: Option<&str>,
    data_path: Option<&str>,
) -> Result<Option<String>> {
    refuse_foreign(conn)?;
    if conn.is_shared() {
        // Processes opening a new catalog at once: one creates it.
        conn.batch("BEGIN")?;
        let result = conn
            .execute(
                "SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))",
                args![CREATE_LOCK],
            )
            .and_then(|_| prepare_tables(conn, schema_keys, lineage_path, data_path));
        let end = conn.batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
        return result.and_then(|v| end.map(|_| v));
    }
    prepare_tables(conn, schema_keys, lineage_path, data_path)
}

/// The advisory lock held while a shared catalog's tables are checked or
/// created ("scdc", with the schema).
const CREATE_LOCK: i32 = 0x7363_6463;

fn prepare_tables(
    conn: &Conn,
    schema_keys: &[String],
    lineage_path: Option<&str>,
    data_path: Option<&str>,
) -> Result<Option<String>> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS _scidb_info (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);",
    )
    .context("creating _scidb_info")?;
    let stored = info(conn, "schema_keys").context("reading the schema keys")?;
    let wanted = serde_json::to_string(schema_keys).map_err(|e| Error::invalid(e.to_string()))?;
    let result = match stored {
        Some(existing) if existing == wanted => {
            check_layout(conn)?;
            // Files written before lineage existed gain its tables.
            super::lineage::create_tables(conn)?;
            super::foreach::create_tables(conn)?;
            super::jobs::create_tables(conn)
        }
        Some(existing) => Err(Error::new(
            ErrorKind::SchemaMismatch,
            format!(
                "the database was created with schema keys {existing}, not {wanted}; \
                 open it with the same keys in the same order"
            ),
        )),
        None => create(conn, schema_keys, &wanted, lineage_path, data_path),
    };
    result?;
    info(conn, "data_path")
}

/// A DuckDB file is scidb's when it has `_scidb_info`, and new when it
/// has no tables or views at all; anything else is someone else's data,
/// which scidb must not add its tables to.
fn refuse_foreign(conn: &Conn) -> Result<()> {
    let names: Vec<String> = conn
        .query(
            "SELECT CAST(table_name AS VARCHAR) FROM information_schema.tables \
             WHERE table_catalog = current_database() AND table_schema = current_schema() \
             ORDER BY table_name",
            &[],
        )
        .and_then(|rows| rows.iter().map(|r| r.get(0)).collect())
        .context("listing the database's tables")?;
    if names.is_empty() || names.iter().any(|n| n == "_scidb_info") {
        return Ok(());
    }
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    let more = if names.len() > shown.len() {
        ", ..."
    } else {
        ""
    };
    Err(Error::invalid(format!(
        "the file is a DuckDB database but not a scidb one (it holds {}{more}); \
         scidb adds its tables only to new databases",
        shown.join(", ")
    )))
}

/// The schema keys a database was created with.
pub fn recorded_keys(conn: &Conn, shown: &str) -> Result<Vec<String>> {
    let not_scidb = || {
        Error::not_found(format!(
            "{shown} is not a scidb database (it has no schema keys)"
        ))
    };
    let has_info = conn
        .query_opt(
            "SELECT 1 FROM information_schema.tables WHERE table_name = '_scidb_info' \
             AND table_schema = current_schema()",
            &[],
        )?
        .is_some();
    if !has_info {
        return Err(not_scidb());
    }
    let keys = info(conn, "schema_keys")?.ok_or_else(not_scidb)?;
    serde_json::from_str(&keys)
        .map_err(|e| Error::corrupt(format!("the schema keys of {shown}: {e}")))
}

fn info(conn: &Conn, key: &str) -> Result<Option<String>> {
    conn.query_opt("SELECT value FROM _scidb_info WHERE key = ?", args![key])
        .and_then(|r| r.map(|r| r.get(0)).transpose())
        .context(format!("reading {key}"))
}

/// Refuses layouts this scidb cannot read and upgrades older ones.
fn check_layout(conn: &Conn) -> Result<()> {
    let layout = info(conn, "layout_version")?;
    match layout.as_deref() {
        Some(LAYOUT_VERSION) => Ok(()),
        Some(v) if READABLE_LAYOUTS.contains(&v) => conn
            .execute(
                "UPDATE _scidb_info SET value = ? WHERE key = 'layout_version'",
                args![LAYOUT_VERSION],
            )
            .map(|_| ())
            .context("upgrading the layout version"),
        _ => Err(Error::corrupt(format!(
            "the database has scidb layout version {layout:?}; this scidb reads versions {}",
            READABLE_LAYOUTS.join(", ")
        ))),
    }
}

fn create(
    conn: &Conn,
    keys: &[String],
    keys_json: &str,
    lineage_path: Option<&str>,
    data_path: Option<&str>,
) -> Result<()> {
    let key_columns: String = keys
        .iter()
        .map(|k| format!("{} VARCHAR, ", key_column(k)))
        .collect();
    // See lineage::create_tables for why only a shared catalog has keys.
    let (unique, blob) = match conn.dialect() {
        Dialect::Postgres => (" PRIMARY KEY", "BYTEA"),
        Dialect::DuckDb => ("", "BLOB"),
    };
    let ddl = format!(
        "CREATE SEQUENCE _scidb_version_seq START 1;
        CREATE TABLE _scidb_records (
            record_id VARCHAR NOT NULL{unique},
            variable VARCHAR NOT NULL,
            version BIGINT NOT NULL,
            content_hash VARCHAR NOT NULL,
            value {blob} NOT NULL,
            variant VARCHAR NOT NULL,
            saved_at TIMESTAMP NOT NULL,
            {key_columns}
            preview VARCHAR);
        CREATE TABLE _scidb_variables (name VARCHAR PRIMARY KEY, signature VARCHAR NOT NULL);"
    );
    let ddl = match conn.dialect() {
        // Indexes for finding records and for `refresh`.
        Dialect::Postgres => format!(
            "{ddl}
            CREATE INDEX _scidb_records_variable ON _scidb_records (variable);
            CREATE INDEX _scidb_records_version ON _scidb_records (version);"
        ),
        Dialect::DuckDb => ddl,
    };
    let mut info = vec![
        ("schema_keys", keys_json),
        ("layout_version", LAYOUT_VERSION),
        ("lineage_path", lineage_path.unwrap_or("")),
    ];
    if let Some(d) = data_path {
        info.push(("data_path", d));
    }
    // One transaction: a crash leaves either no layout or a whole one.
    let write = || -> Result<()> {
        conn.batch(&ddl)?;
        for (k, v) in &info {
            conn.execute("INSERT INTO _scidb_info VALUES (?, ?)", args![*k, *v])?;
        }
        super::lineage::create_tables(conn)?;
        super::foreach::create_tables(conn)?;
        super::jobs::create_tables(conn)
    };
    super::in_write_transaction(conn, write).context("creating scidb's tables")
}
