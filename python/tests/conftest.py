import os
import pathlib
import subprocess

import pytest

import scidb

NEW_CATALOG = pathlib.Path(__file__).resolve().parents[2] / "tests" / "pg" / "new_catalog.sh"


def _catalogs():
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


def open_catalog(kind, tmp_path, keys, name="test.duckdb"):
    """A fresh database of either kind: a DuckDB file in tmp_path, or a new
    PostgreSQL schema with its payload files in tmp_path."""
    if kind == "duckdb":
        return scidb.configure_database(tmp_path / name, keys)
    return scidb.configure_database(new_pg_catalog(), keys, data_path=tmp_path / f"{name}.data")


@pytest.fixture(params=_catalogs())
def catalog(request):
    """Which catalog a parametrized test runs on: "duckdb" or "postgres"."""
    return request.param


@pytest.fixture
def db(catalog, tmp_path):
    """A fresh database with schema keys subject and session, on each catalog."""
    database = open_catalog(catalog, tmp_path, ["subject", "session"])
    yield database
    database.close()
