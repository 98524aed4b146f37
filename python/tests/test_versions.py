"""Version and variant semantics, as the seed README describes them."""

import numpy as np
import pytest

import scidb
from scidb import AmbiguousVersionError, BaseVariable, NotFoundError


class Signal(BaseVariable):
    pass


class Filtered(BaseVariable):
    pass


def test_newest_wins_and_versions_stay(db):
    rid1 = Signal.save(np.array([1.0]), subject=1, session="a")
    rid2 = Signal.save(np.array([2.0]), subject=1, session="a")
    loaded = Signal.load(subject=1, session="a")
    assert loaded.record_id == rid2 and loaded.data[0] == 2.0
    assert loaded.metadata == {"subject": 1, "session": "a"}
    versions = Signal.list_versions(subject=1, session="a")
    assert [v["record_id"] for v in versions] == [rid1, rid2]
    assert versions[0]["version"] < versions[1]["version"]
    assert Signal.load(version=rid1).data[0] == 1.0


def test_variants_need_choosing(db):
    Filtered.save(0.2, subject=1, session="a", smoothing=0.2)
    rid3 = Filtered.save(0.3, subject=1, session="a", smoothing=0.3)
    with pytest.raises(AmbiguousVersionError, match="smoothing"):
        Filtered.load(subject=1, session="a")
    chosen = Filtered.load(smoothing=0.3)
    assert chosen.record_id == rid3 and chosen.data == 0.3
    assert chosen.metadata["smoothing"] == 0.3


def test_partial_keys_return_lists(db):
    for subject in (1, 2, 3):
        for session in ("pre", "post"):
            Signal.save(float(subject), subject=subject, session=session)
    all_sessions = Signal.load(subject=3)
    assert isinstance(all_sessions, list) and len(all_sessions) == 2
    assert {v.metadata["session"] for v in all_sessions} == {"pre", "post"}
    two = Signal.load(subject=[1, 2], session="pre")
    assert [v.metadata["subject"] for v in two] == [1, 2]
    assert len(Signal.load(subject=range(1, 4), session=("pre",))) == 3
    assert len(list(Signal.load_all())) == 6
    with pytest.raises(NotFoundError, match="subject=9"):
        Signal.load(subject=9)


def test_load_all_as_dataframe(db):
    for subject in (1, 2):
        for session in ("baseline", "post"):
            Signal.save(subject + (0.5 if session == "post" else 0.0), subject=subject, session=session)
    df = Signal.load_all(as_df=True)
    assert list(df.columns) == ["subject", "session", "data"]
    assert len(df) == 4
    assert df["data"].dtype == np.float64
    means = df.groupby("session")["data"].mean()
    assert means["post"] == pytest.approx(2.0)
    sub = Signal.load_all(as_df=True, subject=2)
    assert list(sub["subject"]) == [2, 2]


def test_variant_keys_become_dataframe_columns(db):
    Filtered.save(1.0, subject=1, session="a", smoothing=0.2)
    Filtered.save(2.0, subject=1, session="a", smoothing=0.3)
    df = Filtered.load_all(as_df=True)
    assert list(df.columns) == ["subject", "session", "smoothing", "data"]
    assert sorted(df["smoothing"]) == [0.2, 0.3]


def test_dataframe_columns_follow_the_cores_one_order(db):
    Filtered.save(1.0, subject=5, zeta=1)
    Filtered.save(2.0, subject=6, session="x", alpha=2)
    df = Filtered.load_all(as_df=True)
    assert list(df.columns) == ["subject", "session", "alpha", "zeta", "data"]


def test_matlab_style_integral_floats_match_python_ints(db):
    Signal.save(1.0, subject=1.0, session="a")
    assert Signal.load(subject=1, session="a").metadata["subject"] == 1


def test_instances_can_save_and_load_like_matlab(db):
    rid = Signal().save(5.0, subject=1, session="x")
    assert Signal().load(subject=1, session="x").record_id == rid


def test_reopen_with_other_keys_fails(tmp_path):
    path = tmp_path / "k.duckdb"
    db = scidb.configure_database(path, ["subject", "session"])
    Signal.save(1.0, subject=1, session="a")
    db.close()
    with pytest.raises(scidb.SchemaMismatchError, match="subject"):
        scidb.configure_database(path, ["session", "subject"])
    db = scidb.configure_database(path, ["subject", "session"], "pipeline.db")
    assert Signal.load(subject=1).data == 1.0
    db.close()
