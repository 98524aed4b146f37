import pytest

from catalogs import catalog_kinds, open_catalog


@pytest.fixture(params=catalog_kinds())
def catalog(request):
    """Which catalog a parametrized test runs on: "duckdb" or "postgres"."""
    return request.param


@pytest.fixture
def db(catalog, tmp_path):
    """A fresh database with schema keys subject and session, on each catalog."""
    database = open_catalog(catalog, tmp_path, ["subject", "session"])
    yield database
    database.close()
