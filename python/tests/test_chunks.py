"""Values saved from chunks and read back chunk by chunk."""

import numpy as np
import pandas as pd
import pytest

import scidb
from scidb import BaseVariable


class Signal(BaseVariable):
    pass


class Events(BaseVariable):
    pass


def pieces(n, sizes):
    start = 0
    for size in sizes:
        yield np.arange(start, start + size, dtype=np.float64)
        start += size
    assert start == n


def test_array_chunks_round_trip_in_stored_chunks(db):
    n = 2_300_000
    rid = Signal.save_chunks(pieces(n, [1_500_000, 7, 799_993]), subject=1, session="a")
    chunks = Signal.load_chunks(subject=1, session="a")
    assert chunks.n_chunks == 3 and chunks.rows == n and chunks.is_array
    got = list(chunks)
    assert [len(c) for c in got] == [1_000_000, 1_000_000, 300_000]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(n, dtype=np.float64))
    # A record like any other: versioned, loadable by id.
    assert Signal.list_versions(subject=1)[0]["record_id"] == rid
    assert len(list(Signal.load_chunks(version=rid))) == 3
    # The record id must be one of this variable type's, as for load().
    with pytest.raises(scidb.NotFoundError):
        Events.load_chunks(version=rid)


def test_small_chunked_arrays_load_whole(db):
    Signal.save_chunks([np.ones((2, 3), np.int32), np.zeros((1, 3), np.int32)], subject=2, session="a")
    whole = Signal.load(subject=2, session="a").data
    assert whole.dtype == np.int32 and whole.shape == (3, 3)
    assert whole[:2].sum() == 6 and whole[2].sum() == 0


def test_dataframe_chunks_keep_types_and_missing_cells(db):
    def frames():
        for k in range(3):
            yield pd.DataFrame(
                {
                    "i": np.arange(k * 4, k * 4 + 4, dtype=np.int64),
                    "x": [0.5, np.nan, 1.5, 2.5],
                    "s": ["a", None, "c", "d"],
                    "b": [b"\x00", b"\xff", None, b""],
                }
            )

    Events.save_chunks(frames(), subject=1, session="a")
    back = list(Events.load_chunks(subject=1, session="a"))
    assert len(back) == 1  # 12 rows fit one stored chunk
    df = back[0]
    assert list(df["i"]) == list(range(12))
    assert np.isnan(df["x"][1]) and df["x"][0] == 0.5
    assert df["s"][0] == "a" and pd.isna(df["s"][1])
    assert df["b"][0] == b"\x00" and df["b"][2] is None


def test_a_failing_iterable_saves_nothing(db):
    def broken():
        yield np.zeros(10)
        raise RuntimeError("acquisition failed")

    with pytest.raises(RuntimeError):
        Signal.save_chunks(broken(), subject=3, session="a")
    with pytest.raises(scidb.NotFoundError):
        Signal.load_chunks(subject=3, session="a")


def test_mismatched_chunks_are_refused(db):
    with pytest.raises(scidb.TypeMismatchError, match="chunk 2"):
        Signal.save_chunks([np.zeros(3), np.zeros(3, np.float32)], subject=4, session="a")
    with pytest.raises(scidb.TypeMismatchError):
        Signal.save_chunks([[1, 2, 3]], subject=4, session="a")


def test_load_chunks_of_a_whole_record_is_a_type_mismatch(db):
    Signal.save(np.zeros(3), subject=5, session="a")
    with pytest.raises(scidb.TypeMismatchError, match="not saved in chunks"):
        Signal.load_chunks(subject=5, session="a")
