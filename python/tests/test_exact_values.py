"""Values that once came back different without an error: each is now kept
exactly or refused with a clear message."""

import numpy as np
import pandas as pd
import pytest

import scidb
from scidb import BaseVariable

from test_views import read_view


class Exact(BaseVariable):
    pass


class CaseFoo(BaseVariable):
    pass


class casefoo(BaseVariable):  # noqa: N801 - the name is the point
    pass


class Frames(BaseVariable):
    pass


def test_metadata_integers_beyond_int64_are_refused(db):
    for big in [2**63, 2**63 + 1, 2**70, -(2**63) - 1]:
        with pytest.raises(scidb.InvalidArgumentError, match="int64"):
            Exact.save(1.0, subject=1, big=big)
        with pytest.raises(scidb.InvalidArgumentError, match="int64"):
            Exact.load(subject=1, big=big)
    with pytest.raises(scidb.InvalidArgumentError, match="int64"):
        Exact.save(1.0, subject=1, big=np.uint64(2**64 - 1))
    for edge in [2**63 - 1, -(2**63)]:
        rid = Exact.save(1.0, subject=1, edge=edge)
        loaded = Exact.load(subject=1, edge=edge)
        assert loaded.record_id == rid and loaded.metadata["edge"] == edge


def test_metadata_floats_are_found_again(db):
    for i, x in enumerate([2.0**70, 2.0**63, 1e300, 5e-324, 0.1 + 0.2, 1 / 3, -0.5e-7]):
        rid = Exact.save(float(i), subject=i, x=x)
        loaded = Exact.load(subject=i, x=x)
        assert loaded.record_id == rid
        assert loaded.metadata["x"] == x
    # 2**63 as a float and 2**63 + 1 as an int are not one value: the int is refused.
    assert Exact.load(x=2.0**63).data == 1.0


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_masked_arrays_and_matrices_are_refused(db):
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(scidb.TypeMismatchError, match=r"mask.*filled"):
        Exact.save(masked, subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="mask"):
        Exact.save({"inner": [masked]}, subject=1)
    with pytest.raises(scidb.TypeMismatchError, match="mask"):
        scidb.content_hash(masked)
    with pytest.raises(scidb.TypeMismatchError, match=r"np\.asarray"):
        Exact.save(np.matrix([[1, 2], [3, 4]]), subject=1)
    # What the messages suggest works.
    Exact.save({"data": masked.data, "mask": np.ma.getmaskarray(masked)}, subject=2)
    np.testing.assert_array_equal(Exact.load(subject=2).data["mask"], [False, True, False])


def test_nul_characters_are_kept_or_refused(db, tmp_path):
    # Values carry their length: kept exactly.
    assert Exact.load(version=Exact.save("a\x00b", subject=1)).data == "a\x00b"
    rid = Exact.save(1.0, subject=2, session="x\x00y")
    assert Exact.load(subject=2, session="x\x00y").record_id == rid
    # C strings end at a NUL: refused instead of truncated.
    with pytest.raises(scidb.InvalidArgumentError, match="NUL"):
        Exact.save({"a\x00b": 1}, subject=3)
    with pytest.raises(scidb.TypeMismatchError, match="NUL"):
        Exact.save(pd.DataFrame({"a\x00b": [1]}), subject=3)
    with pytest.raises(scidb.InvalidArgumentError, match="NUL"):
        Exact.load(version="0" * 32 + "\x00")
    with pytest.raises(scidb.InvalidArgumentError, match="NUL"):
        scidb.configure_database(tmp_path / "a\x00b.duckdb", ["subject"])
    assert not (tmp_path / "a").exists()


def test_numpy_scalars_come_back_as_the_readme_says(db):
    # Saved alike as Python scalars of these dtypes, so loaded as Python scalars.
    for value, kind in [(np.bool_(True), bool), (np.int64(-3), int), (np.float64(0.5), float),
                        (np.complex128(1j), complex), (np.str_("x"), str)]:
        back = Exact.load(version=Exact.save(value, subject=1, session=kind.__name__)).data
        assert type(back) is kind and back == value
    # Other dtypes keep their numpy scalar type.
    back = Exact.load(version=Exact.save(np.float32(0.1), subject=2)).data
    assert type(back) is np.float32 and back == np.float32(0.1)


def test_variable_types_differing_in_case_are_refused(db):
    CaseFoo.save(1.0, subject=1)
    with pytest.raises(scidb.InvalidArgumentError, match="'CaseFoo'"):
        casefoo.save(2.0, subject=1)
    path = db.path
    db.close()
    rows, _ = read_view(path, "SELECT value FROM CaseFoo")
    assert rows == [(1.0,)]


def test_keys_named_like_view_columns_keep_the_real_columns(db, catalog):
    rid = Exact.save(0.25, subject=1, Value=3, RECORD_ID="mine")
    path = db.path
    db.close()
    rows, cols = read_view(path, 'SELECT value, record_id, "Value_", "RECORD_ID_" FROM Exact')
    assert rows == [(0.25, rid, 3, "mine")]
    rows, cols = read_view(path, "SELECT * FROM Exact LIMIT 0")
    assert cols[-2:] == ["record_id", "saved_at"]
    typeof, timestamp = {"duckdb": ("typeof", "TIMESTAMP"),
                         "postgres": ("pg_typeof", "timestamp without time zone")}[catalog]
    assert read_view(path, f"SELECT CAST({typeof}(saved_at) AS VARCHAR) FROM Exact")[0] == [(timestamp,)]


def test_dataframes_with_any_column_names_round_trip(db):
    frames = [
        pd.DataFrame({"record_id": [1, 2], "x": [0.5, 1.5]}),
        pd.DataFrame({"A": [1, 2], "a": ["p", "q"]}),
        pd.DataFrame({"": [7]}),
        pd.DataFrame(index=range(3)),
        pd.DataFrame({"row_index": [True], "saved_at": ["s"], "value": [1]}),
    ]
    for i, df in enumerate(frames):
        back = Frames.load(version=Frames.save(df, subject=i)).data
        pd.testing.assert_frame_equal(back, df)
    path = db.path
    db.close()
    _, cols = read_view(path, "SELECT * FROM Frames LIMIT 0")
    assert cols[:2] == ["subject", "session"] and cols[-2:] == ["record_id", "saved_at"]
    assert "record_id_" in cols and "A" in cols and "a_" in cols and "_" in cols
    # Only DataFrames: the view has no value column, so a column may be named so.
    assert "value" in cols and "saved_at_" in cols and "row_index" in cols
    rows, _ = read_view(path, 'SELECT subject, record_id_, "A", a_, "_" FROM Frames')
    assert rows == [(0, 1, None, None, None), (0, 2, None, None, None), (1, None, 1, "p", None),
                    (1, None, 2, "q", None), (2, None, None, None, 7), (3, None, None, None, None),
                    (4, None, None, None, None)]
