import pytest

import scidb


@pytest.fixture
def db(tmp_path):
    """A fresh database with schema keys subject and session."""
    database = scidb.configure_database(tmp_path / "test.duckdb", ["subject", "session"])
    yield database
    database.close()
