"""Every value kind saves and loads back exactly."""

import math

import numpy as np
import pandas as pd
import pytest

import scidb
from scidb import BaseVariable

DTYPES = [
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float32, np.float64, np.complex64, np.complex128,
]
SHAPES = [(), (5,), (3, 4), (2, 3, 1, 2), (0, 3)]


class Thing(BaseVariable):
    pass


def sample(dtype, shape):
    rng = np.random.default_rng(7)
    n = int(np.prod(shape)) if shape else 1
    if dtype == np.bool_:
        flat = rng.integers(0, 2, n).astype(bool)
    elif np.issubdtype(dtype, np.complexfloating):
        flat = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype)
    elif np.issubdtype(dtype, np.floating):
        flat = rng.standard_normal(n).astype(dtype)
    else:
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    return flat.reshape(shape)


def round_trip(value, **meta):
    meta = meta or {"subject": 1, "session": "a"}
    rid = Thing.save(value, **meta)
    loaded = Thing.load(version=rid)
    assert loaded.record_id == rid
    return loaded.data


def same_array(a, b):
    assert isinstance(b, np.ndarray)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()  # bit-exact, NaN payloads and -0.0 included


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_numeric_arrays_bit_exact(db, dtype, shape):
    a = sample(dtype, shape)
    same_array(a, round_trip(a))


def test_special_floats_bit_exact(db):
    a = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324], dtype=np.float64)
    same_array(a, round_trip(a))
    f = np.array([np.nan, -0.0], dtype=np.float32)
    same_array(f, round_trip(f))


def test_fortran_order_round_trip_and_hash(db):
    c = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    f = np.asfortranarray(c)
    assert scidb.content_hash(c) == scidb.content_hash(f)
    same_array(c, round_trip(f))
    strided = np.arange(20.0).reshape(4, 5)[:, ::2]
    same_array(np.ascontiguousarray(strided), round_trip(strided))


def test_python_scalars_come_back_as_python_scalars(db):
    for value in [True, False, 0, -(2**63), 2**63 - 1, 1.5, -0.0, float("inf"), 1 + 2j]:
        back = round_trip(value)
        assert type(back) is type(value)
        assert back == value
    assert math.copysign(1.0, round_trip(-0.0)) == -1.0
    assert math.isnan(round_trip(float("nan")))


def test_numpy_scalars_keep_their_dtype(db):
    for value in [np.int8(-3), np.uint16(7), np.float32(0.1), np.complex64(1 - 1j), np.int32(5)]:
        back = round_trip(value)
        assert back.dtype == value.dtype and back == value


def test_zero_d_array_stays_an_array(db):
    a = np.array(2.5)
    back = round_trip(a)
    assert isinstance(back, np.ndarray) and back.shape == () and back == 2.5


def test_strings_none_and_nesting(db):
    assert round_trip("héllo wörld ✓ 日本") == "héllo wörld ✓ 日本"
    assert round_trip("") == ""
    assert round_trip(None) is None
    nested = [1, [2.5, ["deep", None]], {"k": [True]}]
    assert round_trip(nested) == nested
    d = {"emg": np.arange(3.0), "fs": 1000, "label": "x"}
    back = round_trip(d)
    assert list(back) == ["emg", "fs", "label"]
    same_array(d["emg"], back["emg"])
    assert back["fs"] == 1000 and back["label"] == "x"
    lod = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert round_trip(lod) == lod
    assert round_trip((1, 2)) == [1, 2]  # tuples are saved as lists


def test_dataframe_round_trip(db):
    df = pd.DataFrame(
        {
            "i": np.array([1, 2, 3], dtype=np.int64),
            "f": [0.5, np.nan, -0.0],
            "s": ["a", None, "ü"],
            "b": [True, False, True],
            "i8": np.array([1, -1, 0], dtype=np.int8),
            "u": np.array([1, 2, 3], dtype=np.uint32),
        }
    )
    back = round_trip(df)
    assert list(back.columns) == list(df.columns)
    assert list(back.dtypes) == list(df.dtypes)
    pd.testing.assert_frame_equal(back, df)
    assert pd.isna(back["s"][1])  # None, or NaN under pandas 3's str dtype
    assert np.signbit(back["f"][2]) and np.isnan(back["f"][1])


def test_dataframe_binary_columns(db):
    df = pd.DataFrame({"b": [b"\x00\xff", None, b""], "i": [1, 2, 3]})
    back = round_trip(df)
    pd.testing.assert_frame_equal(back, df)
    assert back["b"][0] == b"\x00\xff" and back["b"][1] is None and back["b"][2] == b""
    # The published vector (docs/content-hash.md).
    assert scidb.content_hash(df[["b"]]) == "08bdca904d85af1890bffd45138c80e056108f4536474417d388a0e44031d4c8"
    with pytest.raises(scidb.TypeMismatchError, match="mixes str and bytes"):
        Thing.save(pd.DataFrame({"b": [b"x", "y"]}), subject=9, session="a")


def test_loaded_dataframes_are_the_callers_to_modify(db):
    df = pd.DataFrame({"f": np.arange(5.0), "i": np.arange(5), "s": list("abcde")})
    back = round_trip(df)
    back.loc[0, "f"] = 42.0
    back.loc[0, "i"] = 7
    assert back["f"][0] == 42.0 and back["i"][0] == 7
    pd.testing.assert_frame_equal(round_trip(df), df)


def test_dataframe_nullable_columns(db):
    df = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "m": pd.array([True, None, False], dtype="boolean")})
    back = round_trip(df)
    pd.testing.assert_frame_equal(back, df)


def test_empty_dataframe(db):
    df = pd.DataFrame({"x": np.array([], dtype=np.float64), "s": pd.Series([], dtype=object)})
    back = round_trip(df)
    assert list(back.columns) == ["x", "s"] and len(back) == 0


def test_loaded_arrays_wrap_library_memory(db):
    a = np.arange(1000, dtype=np.float64)
    back = round_trip(a)
    assert not back.flags.owndata  # no copy on the way out
    back[0] = 42.0  # the array is the caller's to modify
    same_array(a, Thing.load(subject=1, session="a").data)


def test_identical_save_adds_no_duplicate(db):
    first = Thing.save(np.arange(5), subject=1, session="a")
    again = Thing.save(np.arange(5), subject=1, session="a")
    assert first == again
    assert len(Thing.list_versions(subject=1, session="a")) == 1
