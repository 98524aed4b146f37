//! What the integration tests share: opening a fresh database on either
//! catalog. `SCIDB_TEST_CATALOG=postgres` runs a suite on a PostgreSQL
//! catalog (a new schema of the throw-away server `tests/pg/with_server.sh`
//! starts, payload files in the test's temporary folder); otherwise on a
//! DuckDB file in that folder.
#![allow(dead_code)]

use scidb::Database;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The test server's URL (without password) and password, when one runs.
/// With `SCIDB_REQUIRE_PG=1` (set by `make test`) a missing server fails.
pub fn pg_server() -> Option<(String, String)> {
    match (
        std::env::var("SCIDB_TEST_PG_URL"),
        std::env::var("SCIDB_TEST_PG_PASSWORD"),
    ) {
        (Ok(url), Ok(password)) => Some((url, password)),
        _ => {
            assert!(
                std::env::var("SCIDB_REQUIRE_PG").as_deref() != Ok("1"),
                "SCIDB_REQUIRE_PG=1 but no test server: run the tests through tests/pg/with_server.sh"
            );
            eprintln!("no PostgreSQL test server (SCIDB_TEST_PG_URL): skipped");
            None
        }
    }
}

/// The URL of `base` with the password and a search path added.
fn with_password_and_schema(base: &str, password: &str, schema: &str) -> String {
    let (scheme, rest) = base.split_once("://").expect("a URL");
    let (user, host) = rest.split_once('@').expect("a user in the test URL");
    format!("{scheme}://{user}:{password}@{host}?options=-csearch_path%3D{schema}")
}

/// A client of the test server (for checks in plain SQL).
pub fn pg_client(schema: Option<&str>) -> postgres::Client {
    let (base, password) = pg_server().expect("a test server");
    let url = match schema {
        Some(s) => with_password_and_schema(&base, &password, s),
        None => {
            let (scheme, rest) = base.split_once("://").unwrap();
            let (user, host) = rest.split_once('@').unwrap();
            format!("{scheme}://{user}:{password}@{host}")
        }
    };
    postgres::Client::connect(&url, postgres::NoTls).expect("connecting to the test server")
}

static SCHEMAS: AtomicUsize = AtomicUsize::new(0);

/// A new, empty schema of the test server: the URL of a fresh catalog
/// (password included) and the schema's name.
pub fn fresh_pg_catalog() -> Option<(String, String)> {
    let (base, password) = pg_server()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "t_{}_{}_{nanos}",
        std::process::id(),
        SCHEMAS.fetch_add(1, Ordering::Relaxed)
    );
    pg_client(None)
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("creating a schema");
    Some((with_password_and_schema(&base, &password, &schema), schema))
}

/// Whether this run's suites use the PostgreSQL catalog.
pub fn on_postgres() -> bool {
    std::env::var("SCIDB_TEST_CATALOG").as_deref() == Ok("postgres")
}

/// The database `name` in `dir` with these schema keys, created when
/// new: a DuckDB file, or (on_postgres) a PostgreSQL schema with its
/// payload files in `dir`, whose URL is kept in `dir` so that opening the
/// same name again reopens it, as with a file.
pub fn open_fresh(dir: &tempfile::TempDir, name: &str, keys: &[String]) -> Database {
    if on_postgres() {
        let remembered = dir.path().join(format!("{name}.url"));
        let url = match std::fs::read_to_string(&remembered) {
            Ok(url) => url,
            Err(_) => {
                let (url, _) =
                    fresh_pg_catalog().expect("SCIDB_TEST_CATALOG=postgres needs a test server");
                std::fs::write(&remembered, &url).unwrap();
                url
            }
        };
        let data = dir.path().join(format!("{name}.data"));
        return Database::open_with_data_path(&url, keys, None, data.to_str()).unwrap();
    }
    let path = dir.path().join(name);
    Database::open(path.to_str().unwrap(), keys, None).unwrap()
}
