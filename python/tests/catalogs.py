"""Opening test databases on either catalog (DuckDB file, PostgreSQL schema)."""

import os
import pathlib
import subprocess

import scidb

NEW_CATALOG = pathlib.Path(__file__).resolve().parents[2] / "tests" / "pg" / "new_catalog.sh"


def catalog_kinds():
    """DuckDB always; PostgreSQL when the test server runs (make test
    starts one and sets SCIDB_REQUIRE_PG=1, which makes it required)."""
    if os.environ.get("SCIDB_TEST_PG_URL"):
        return ["duckdb", "postgres"]
    if os.environ.get("SCIDB_REQUIRE_PG") == "1":
        raise RuntimeError("SCIDB_REQUIRE_PG=1 but no test server: run through tests/pg/with_server.sh")
    return ["duckdb"]


def new_pg_catalog():
    """The URL (password included) of a new, empty PostgreSQL catalog."""
    return subprocess.run([str(NEW_CATALOG)], check=True, capture_output=True, text=True).stdout.strip()


# The URL (password included) of each PostgreSQL catalog opened here, by
# the name the database goes by (db.path, without the password).
URLS = {}


def open_catalog(kind, tmp_path, keys, name="test.duckdb"):
    """A fresh database of either kind: a DuckDB file in tmp_path, or a new
    PostgreSQL schema with its payload files in tmp_path."""
    if kind == "duckdb":
        return scidb.configure_database(tmp_path / name, keys)
    url = new_pg_catalog()
    database = scidb.configure_database(url, keys, data_path=tmp_path / f"{name}.data")
    URLS[database.path] = url
    return database


def reopen_url(path):
    """What opens the database named `path` again: its URL with the
    password for a PostgreSQL catalog, else the path itself."""
    return URLS.get(str(path), path)


