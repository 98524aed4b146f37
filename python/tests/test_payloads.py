"""Large values live in payload files other tools open without scidb."""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.ipc

import scidb
from scidb import BaseVariable


class Recording(BaseVariable):
    pass


class Trials(BaseVariable):
    pass


def payload_files(db, suffix):
    return sorted(Path(db.data_path).glob(f"??/*{suffix}"))


def test_a_large_array_is_an_npy_file_numpy_loads(db):
    arr = np.random.default_rng(1).standard_normal((500, 400))
    Recording.save(arr, subject=1, session="a")
    (path,) = payload_files(db, ".npy")
    assert path.stem == Recording.load(subject=1, session="a").content_hash
    np.testing.assert_array_equal(np.load(path), arr)


def test_a_fortran_order_array_is_stored_in_logical_order(db):
    arr = np.asfortranarray(np.arange(300_000, dtype=np.int32).reshape(600, 500))
    Recording.save(arr, subject=1, session="a")
    (path,) = payload_files(db, ".npy")
    on_disk = np.load(path)
    assert on_disk.dtype == np.int32 and on_disk.shape == (600, 500)
    np.testing.assert_array_equal(on_disk, arr)
    back = Recording.load(subject=1, session="a").data
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_a_large_dataframe_is_an_arrow_file_pandas_reads(db):
    n = 100_000
    df = pd.DataFrame(
        {
            "t": np.arange(n, dtype=np.float64),
            "trial": np.arange(n, dtype=np.int64) % 17,
            "label": [f"s{i % 5}" if i % 9 else None for i in range(n)],
            "ok": np.arange(n) % 2 == 0,
        }
    )
    Trials.save(df, subject=1, session="a")
    (path,) = payload_files(db, ".arrow")
    on_disk = pd.read_feather(path)
    pd.testing.assert_frame_equal(on_disk, df)
    with pyarrow.ipc.open_file(path) as f:
        assert f.schema.names == ["t", "trial", "label", "ok"]
    pd.testing.assert_frame_equal(Trials.load(subject=1, session="a").data, df)


def test_a_large_dataframe_with_binary_cells_reads_without_scidb(db):
    n = 60_000
    blobs = [bytes([i % 256]) * (i % 40) if i % 11 else None for i in range(n)]
    df = pd.DataFrame({"blob": blobs, "x": np.arange(n, dtype=np.float32)})
    Trials.save(df, subject=2, session="b")
    (path,) = payload_files(db, ".arrow")
    with pyarrow.ipc.open_file(path) as f:
        table = f.read_all()
    assert str(table.schema.field("blob").type) == "binary"
    assert table.column("blob").to_pylist() == blobs
    pd.testing.assert_frame_equal(Trials.load(subject=2, session="b").data, df)


def test_a_chunked_array_is_one_npy_file(db):
    chunks = [np.arange(i * 600_000, (i + 1) * 600_000, dtype=np.float64) for i in range(3)]
    Recording.save_chunks(iter(chunks), subject=2, session="a")
    (path,) = payload_files(db, ".npy")
    np.testing.assert_array_equal(np.load(path), np.concatenate(chunks))


def test_the_data_path_can_be_chosen_and_gc_keeps_what_records_name(tmp_path):
    db = scidb.configure_database(tmp_path / "x.duckdb", ["subject"], data_path="bulk")
    try:
        assert Path(db.data_path) == tmp_path / "bulk"
        Recording.save(np.ones(300_000), subject=1)
        assert db.gc() == (0, 0)
        (kept,) = payload_files(db, ".npy")
        orphan = kept.with_name("ab" * 32 + ".npy")
        orphan.write_bytes(kept.read_bytes())
        assert db.gc() == (1, kept.stat().st_size)
        assert not orphan.exists()
        np.testing.assert_array_equal(Recording.load(subject=1).data, np.ones(300_000))
    finally:
        db.close()


def test_load_all_leaves_out_unreadable_records_with_a_warning(db):
    import warnings

    import pytest

    lost = Recording.save(np.full(300_000, 1.0), subject=1, session="a")
    Recording.save(np.full(300_000, 2.0), subject=2, session="a")
    Recording.save(np.zeros(3), subject=3, session="a")
    (path,) = [p for p in payload_files(db, ".npy") if p.stem == Recording.load(subject=1, session="a").content_hash]
    path.unlink()
    with pytest.warns(scidb.UnreadableRecordsWarning, match=lost) as caught:
        got = list(Recording.load_all())
    assert sorted(r.metadata["subject"] for r in got) == [2, 3]
    assert caught[0].message.unreadable[0]["record_id"] == lost
    with warnings.catch_warnings():
        warnings.simplefilter("error", scidb.UnreadableRecordsWarning)
        with pytest.raises(scidb.UnreadableRecordsWarning):
            Recording.load_all(as_df=True)
