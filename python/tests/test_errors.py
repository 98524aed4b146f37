"""Bad input gets a clear error and leaves the database unchanged."""

import ctypes

import numpy as np
import pytest

import scidb
from scidb import BaseVariable
from scidb._lib import check, lib


class Kept(BaseVariable):
    pass


def snapshot():
    return [v["record_id"] for v in Kept.list_versions()]


def test_unconfigured_database_is_a_clear_error(tmp_path):
    db = scidb.configure_database(tmp_path / "x.duckdb", ["subject"])
    db.close()
    with pytest.raises(scidb.DatabaseNotConfiguredError, match="configure_database"):
        Kept.save(1.0, subject=1)


def test_unknown_variable(db):
    class NeverSaved(BaseVariable):
        pass

    with pytest.raises(scidb.NotFoundError, match="NeverSaved"):
        NeverSaved.load(subject=1)


def test_bad_input_changes_nothing(db):
    Kept.save(1.0, subject=1, session="a")
    before = snapshot()
    with pytest.raises(scidb.ReservedMetadataKeyError, match="record_id"):
        Kept.save(2.0, subject=1, record_id="x")
    with pytest.raises(scidb.TypeMismatchError, match="set"):
        Kept.save({1, 2}, subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="dtype"):
        Kept.save(np.array(["a", "b"]), subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="object"):
        Kept.save(object(), subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="dict keys"):
        Kept.save({1: "a"}, subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="int64"):
        Kept.save(2**70, subject=1)
    with pytest.raises(scidb.InvalidArgumentError, match="finite"):
        Kept.save(1.0, subject=float("nan"))
    with pytest.raises(scidb.InvalidArgumentError, match="numbers, strings or booleans"):
        Kept.save(1.0, subject=[1, 2])
    with pytest.raises(scidb.InvalidArgumentError, match="not a valid name"):
        Kept.save(1.0, **{"bad-key": 1})
    with pytest.raises(scidb.NotFoundError):
        Kept.load(version="0" * 32)
    assert snapshot() == before


def test_bad_dataframes_are_refused(db):
    import pandas as pd

    with pytest.raises(scidb.TypeMismatchError, match="column names must be str"):
        Kept.save(pd.DataFrame(np.zeros((2, 2))), subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="mixes text"):
        Kept.save(pd.DataFrame({"x": ["a", 1]}), subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="reset_index"):
        Kept.save(pd.DataFrame({"x": [1.0]}, index=[5]), subject=1)


def test_c_level_errors_surface_as_exceptions(db):
    out = ctypes.c_void_p()
    with pytest.raises(scidb.InvalidArgumentError, match="dtype code"):
        check(lib.scidb_value_new_array(77, None, 0, None, 0, 0, ctypes.byref(out)))
    with pytest.raises(scidb.InvalidArgumentError, match="NULL"):
        check(lib.scidb_save(None, b"A", b"{}", None, None))
    with pytest.raises(scidb.InvalidArgumentError, match="UTF-8"):
        check(lib.scidb_load(db.ptr, b"\xff", b"{}", ctypes.byref(out)))


def test_a_file_is_open_once(tmp_path):
    path = tmp_path / "once.duckdb"
    first = scidb.Database(path, ["subject"])
    with pytest.raises(scidb.DatabaseLockedError, match="already open"):
        scidb.Database(path, ["subject"])
    first.close()
    scidb.Database(path, ["subject"]).close()


def test_a_file_held_by_another_process_is_locked(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import scidb, sys; db = scidb.Database({str(path)!r}, ['subject']); print('ok', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(scidb.DatabaseLockedError):
            scidb.Database(path, ["subject"])
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_every_status_of_the_core_has_an_exception_class():
    """The codes live in the core; the binding maps its identifiers."""
    from scidb._lib import lib
    from scidb.exceptions import BY_STATUS_ID

    named = 0
    for code in range(-1, 128):
        name = lib.scidb_status_name(code).decode()
        ident = lib.scidb_status_id(code).decode()
        if name == "SCIDB_UNKNOWN_STATUS":
            assert ident == "internal"
        elif code != 0:
            assert ident in BY_STATUS_ID, (code, name, ident)
            named += 1
    assert named == 12
    assert lib.scidb_status_id(11) == b"protocol"
