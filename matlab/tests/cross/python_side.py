"""The Python half of the cross-language tests (the Octave half is
octave_side.m; test_cross_language.m runs both).

    python python_side.py save PATH    saves every case from Python
    python python_side.py check PATH   loads what Octave saved and checks it

`check` compares each loaded value with the value Python expects (type,
dtype, shape, content) and the record's content hash with the hash of that
expected value, and exits non-zero on any difference.
"""

import math
import sys

import numpy as np
import pandas as pd

import scidb
from scidb import BaseVariable


class Cross(BaseVariable):
    pass


KEYS = ["case"]


def python_cases():
    """What Python saves; octave_side.m holds what Octave must load."""
    return {
        "f64_matrix": np.arange(12.0).reshape(3, 4),
        "f64_1d": np.array([1.5, 2.5, 3.5]),
        "f64_0d": np.array(2.5),
        "f64_fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        # Over 1 MiB: stored as a payload file (.npy).
        "f64_big_fortran": np.asfortranarray(np.arange(400 * 700.0).reshape(400, 700)),
        "py_float": 2.5,
        "py_int": 7,
        "py_bool": True,
        "i32_3d": np.arange(24, dtype=np.int32).reshape(2, 3, 4),
        "i8": np.array([[-128, 0, 127]], dtype=np.int8),
        "u8": np.array([[0, 1], [254, 255]], dtype=np.uint8),
        "i16": np.array([[-3, 4]], dtype=np.int16),
        "u16": np.array([[65535, 1]], dtype=np.uint16),
        "u32": np.array([[4294967295, 2]], dtype=np.uint32),
        "i64": np.array([[-(2**63), 2**63 - 1]], dtype=np.int64),
        "u64": np.array([[2**64 - 1, 0]], dtype=np.uint64),
        "f32": np.array([[0.5, -1.25]], dtype=np.float32),
        "bool": np.array([[True, False, True]]),
        "c128": np.array([[1 + 2j, 3 - 4j], [-5j, 6]]),
        "c64": np.array([[1 + 2j, 3]], dtype=np.complex64),
        "specials": np.array([[math.nan, math.inf, -math.inf, -0.0]]),
        "empty_0x3": np.zeros((0, 3)),
        "text": "h\u00e9llo",
        "list": [1.5, "two", np.array([[3, 4]], dtype=np.int16)],
        "dict": {"a": 1.5, "b": {"c": "x"}},
        "list_of_dicts": [{"x": 1.5}, {"x": 2.5}],
        "dict_bad_keys": {"my key": 1.5, "2x": 2.5},
        "none": None,
        "dataframe": pd.DataFrame(
            {
                "x": [1.0, 2.0],
                "n": pd.array([1, None], dtype="Int64"),
                "s": ["a", None],
                "b": [b"\x00\xff", None],
            }
        ),
    }


def octave_cases():
    """What Octave saves (octave_side.m), as Python must load it."""
    return {
        "m_matrix": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        "m_big_matrix": np.arange(400 * 700.0).reshape(700, 400).T,
        "m_row": np.array([[1.0, 2.0, 3.0]]),
        "m_column": np.array([[1.0], [2.0]]),
        "m_scalar": 5.0,
        "m_int32_3d": np.arange(24, dtype=np.int32).reshape(2, 3, 4),
        "m_uint8": np.array([[0, 255]], dtype=np.uint8),
        "m_int64": np.array([[-(2**63), 2**63 - 1]], dtype=np.int64),
        "m_single": np.array([[0.5], [-1.25]], dtype=np.float32),
        "m_logical": np.array([[True, False], [False, True]]),
        "m_logical_scalar": True,
        "m_int16_scalar": np.int16(-7),
        "m_complex": np.array([[1 + 2j, 3 - 4j]]),
        "m_complex_single": np.complex64(1 - 1j),
        "m_specials": np.array([[math.nan, math.inf, -math.inf, -0.0]]),
        "m_char": "h\u00e9llo",
        "m_empty_char": "",
        "m_null": None,
        "m_zeros_0x3": np.zeros((0, 3)),
        "m_cell": [1.0, "two", [3.0, "four"]],
        "m_struct": {"name": "trial", "gain": np.float32(2.5), "inner": {"window": np.array([[1.0, 2.0]])}},
        "m_struct_array": [{"x": 1.0, "label": "a"}, {"x": 2.0, "label": "b"}],
    }


def same(actual, expected, what):
    """Raises AssertionError unless actual equals expected in type and content."""
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected)
        return
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"{what}: {type(actual)} is not an ndarray"
        assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
        assert actual.tobytes() == np.ascontiguousarray(expected).tobytes(), f"{what}: {actual!r} != {expected!r}"
        return
    assert type(actual) is type(expected), f"{what}: {type(actual)} is not {type(expected)}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{what}: keys {list(actual)} != {list(expected)}"
        for k in expected:
            same(actual[k], expected[k], f"{what}.{k}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{what}: {len(actual)} items != {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            same(a, e, f"{what}[{i}]")
    elif isinstance(expected, (float, np.floating, complex, np.complexfloating)):
        assert np.asarray(actual).tobytes() == np.asarray(expected).tobytes(), f"{what}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{what}: {actual!r} != {expected!r}"


def main(action, path):
    scidb.configure_database(path, KEYS)
    failures = 0
    if action == "save":
        for name, value in python_cases().items():
            Cross.save(value, case=name)
    else:
        for name, expected in octave_cases().items():
            try:
                loaded = Cross.load(case=name)
                same(loaded.data, expected, name)
                want = scidb.content_hash(expected)
                assert loaded.content_hash == want, f"{name}: content hash {loaded.content_hash} != {want}"
            except Exception as e:  # report every case, not just the first
                failures += 1
                print(f"python check failed: {e}", file=sys.stderr)
    scidb.get_database().close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
