"""Hostile inputs from Python: deep values, odd database paths, unknown types."""

import os

import pytest

import scidb
from scidb import BaseVariable
from scidb._lib import lib


class Nested(BaseVariable):
    pass


def nest(depth, leaf=1.0):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_the_depth_limit_is_the_cores(db):
    limit = lib.scidb_max_depth()
    assert limit == 128
    Nested.save(nest(limit), subject=1)
    assert Nested.load(subject=1).data == nest(limit)
    with pytest.raises(scidb.TypeMismatchError, match="deeper than 128"):
        Nested.save(nest(limit + 1), subject=2)
    with pytest.raises(scidb.TypeMismatchError, match="deeper than 128"):
        Nested.save(nest(100_000), subject=2)
    loop = []
    loop.append(loop)
    with pytest.raises(scidb.TypeMismatchError, match="contains itself"):
        Nested.save(loop, subject=2)
    deep_map = {"k": nest(limit - 1)}
    Nested.save(deep_map, subject=3)
    with pytest.raises(scidb.TypeMismatchError, match="deeper than 128"):
        Nested.save({"k": nest(limit)}, subject=4)


def test_load_all_of_an_unknown_type_is_empty(db):
    class NeverSaved(BaseVariable):
        pass

    assert list(NeverSaved.load_all()) == []
    assert len(NeverSaved.load_all(as_df=True)) == 0
    assert NeverSaved.list_versions() == []
    with pytest.raises(scidb.NotFoundError, match="NeverSaved"):
        NeverSaved.load(subject=1)


def test_one_file_through_a_symlink_or_hard_link_is_open_once(tmp_path):
    path = tmp_path / "real.duckdb"
    first = scidb.Database(path, ["subject"])
    os.symlink(path, tmp_path / "alias.duckdb")
    os.link(path, tmp_path / "hard.duckdb")
    for other in ("alias.duckdb", "hard.duckdb"):
        with pytest.raises(scidb.DatabaseLockedError, match="already open"):
            scidb.Database(tmp_path / other, ["subject"])
    first.close()
    scidb.Database(tmp_path / "hard.duckdb", ["subject"]).close()


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.duckdb"
    os.mkfifo(fifo)
    with pytest.raises(scidb.InvalidArgumentError, match="not a regular file"):
        scidb.Database(fifo, ["subject"])


def test_a_foreign_file_is_refused(tmp_path):
    sqlite = tmp_path / "other.sqlite"
    import sqlite3

    con = sqlite3.connect(sqlite)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(scidb.SciDBError, match="not a DuckDB database"):
        scidb.Database(sqlite, ["subject"])
